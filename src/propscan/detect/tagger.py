"""The span tagger: MiniLM-L6 fine-tuned to tag persuasion techniques, served as int8 ONNX.

Runtime needs only onnxruntime, tokenizers and numpy. An article is tokenised
once, cut into overlapping windows, the windows of a whole batch of articles
run through the model together, and each token's per-technique probability is
stitched from the windows that saw it (central positions weigh more). Token
probabilities are then decoded into character spans with per-technique
thresholds chosen on the validation split (see models/MODEL_CARD.md).
"""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from ..document import Analysis, Article, Span
from .. import onnx
from ..loading import Loading

MODEL_DIR = Path(__file__).resolve().parent.parent / "models"
MODEL_FILE = "tagger.onnx"
CONFIG_FILE = "tagger.json"
TOKENIZER_FILE = "tokenizer.json"
CALIBRATION_FILE = "calibration.json"
DEFAULT_THREADS = 2
# windows per onnxruntime call: 8 windows hold ~120 MB of activations, 4 about 65 MB, at the same speed
# (measured on 2 cores), which keeps a whole analysis under 400 MB
BATCH_WINDOWS = 4
# calibrated paragraph probabilities below this are not listed (nor can they become labels: see detect.paragraphs)
LISTED = 0.01
# English words that carry no technique on their own: not named as evidence (the tagger is English only)
FUNCTION_WORDS = frozenset("a an the of in on at to for from by with as and or but is are was were be been it its "
                           "this that these those there here than then".split())

# characters trimmed from both edges of a decoded span
_EDGE = set(" \t\r\n\u00a0.,;:!?\"'()[]{}«»“”‘’—–-…*#|/\\")


# -- windows and stitching ------------------------------------------------------

def windows(n_tokens: int, window: int, stride: int, offset: int = 0) -> list[tuple[int, int]]:
    """Token ranges ``[a, b)`` of at most ``window`` tokens, ``stride`` apart, covering all tokens.

    ``offset`` shifts the grid (training uses it to vary window borders between
    epochs); the first window always starts at 0 and the last always ends at
    ``n_tokens``.
    """
    if n_tokens <= 0:
        return []
    if n_tokens <= window:
        return [(0, n_tokens)]
    starts = [0]
    s = offset % stride if offset % stride else stride
    while s + window < n_tokens:
        starts.append(s)
        s += stride
    starts.append(n_tokens - window)
    out: list[tuple[int, int]] = []
    for a in sorted(set(starts)):
        out.append((a, min(a + window, n_tokens)))
    return out


def even_windows(n_tokens: int, window: int, max_stride: int) -> list[tuple[int, int]]:
    """As few windows of ``window`` tokens as keep neighbours at most ``max_stride`` apart, spread evenly.

    Why: the training grid (``windows``) leaves the last window overlapping its
    neighbour by whatever remains, often most of it; spreading the same or a
    smaller number of windows evenly gives every border the same context.
    """
    if n_tokens <= 0:
        return []
    if n_tokens <= window:
        return [(0, n_tokens)]
    room = n_tokens - window
    k = -(-room // max(1, max_stride)) + 1
    return [(a, a + window) for a in (round(i * room / (k - 1)) for i in range(k))]


def stitch(n_tokens: int, spans: Sequence[tuple[int, int]], probs: Sequence[np.ndarray]) -> np.ndarray:
    """Combine per-window token probabilities into one (n_tokens, n_labels) array.

    Each window's vote is weighted by the token's distance from the window's
    nearer edge (+1), so a token is judged mostly by the window that saw the
    most context around it. Article edges do not count as window edges.
    """
    if not probs:
        return np.zeros((n_tokens, 0), dtype=np.float32)
    n_labels = probs[0].shape[-1]
    acc = np.zeros((n_tokens, n_labels), dtype=np.float64)
    wsum = np.zeros(n_tokens, dtype=np.float64)
    for (a, b), p in zip(spans, probs):
        pos = np.arange(a, b)
        left = pos - a if a > 0 else np.full(b - a, b - a)
        right = (b - 1) - pos if b < n_tokens else np.full(b - a, b - a)
        w = np.minimum(left, right).astype(np.float64) + 1.0
        acc[a:b] += p[: b - a] * w[:, None]
        wsum[a:b] += w
    wsum[wsum == 0] = 1.0
    return (acc / wsum[:, None]).astype(np.float32)


# -- decoding ------------------------------------------------------------------

def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink ``[start, end)`` past whitespace and punctuation at both edges, then grow it to whole words."""
    while start < end and text[start] in _EDGE:
        start += 1
    while end > start and text[end - 1] in _EDGE:
        end -= 1
    if start < end:
        while start > 0 and text[start - 1].isalnum() and text[start].isalnum():
            start -= 1
        while end < len(text) and text[end].isalnum() and text[end - 1].isalnum():
            end += 1
    return start, end


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs of True in a 1-d boolean array, as ``[a, b)``."""
    if not mask.any():
        return []
    m = np.concatenate([[False], mask, [False]]).astype(np.int8)
    d = np.diff(m)
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1)
    return list(zip(starts.tolist(), ends.tolist()))


def fill_gaps(on: np.ndarray, max_gap: int, line_break: np.ndarray) -> np.ndarray:
    """Switch on runs of at most ``max_gap`` off tokens lying between two on tokens of the same line."""
    out = on.copy()
    runs = _runs(on)
    for (a1, b1), (a2, b2) in zip(runs[:-1], runs[1:]):
        if a2 - b1 <= max_gap and not line_break[b1:a2 + 1].any():
            out[b1:a2] = True
    return out


def line_breaks(text: str, offsets: np.ndarray) -> np.ndarray:
    """Bool per token: a line break lies between it and the previous token."""
    out = np.zeros(len(offsets), dtype=bool)
    if len(offsets) < 2 or "\n" not in text:
        return out
    nl = np.fromiter((m.start() for m in re.finditer("\n", text)), dtype=np.int64)
    before = np.searchsorted(nl, offsets[1:, 0], side="left")  # newlines before each token start
    upto = np.searchsorted(nl, offsets[:-1, 1], side="left")  # newlines before the previous token's end
    out[1:] = before > upto
    return out


def decode_spans(text: str, offsets: np.ndarray, probs: np.ndarray, labels: Sequence[str],
                 thresholds: Sequence[float], **kw: Any) -> list[tuple[int, int, str, float]]:
    """``decode_candidates`` without the peak: ``(start, end, technique, mean token probability)``."""
    return [(s, e, t, m) for s, e, t, m, _ in decode_candidates(text, offsets, probs, labels, thresholds, **kw)]


def decode_candidates(text: str, offsets: np.ndarray, probs: np.ndarray, labels: Sequence[str],
                      thresholds: Sequence[float], *, min_chars: int = 2,
                      allowed: Sequence[tuple[int, int]] | None = None,
                      breaks: np.ndarray | None = None, max_gap: int = 0,
                      peak_margin: float = 0.0) -> list[tuple[int, int, str, float, float]]:
    """Character spans ``(start, end, technique, mean, peak)`` from token probabilities.

    A span is a maximal run of tokens whose probability for a technique is at
    or above its threshold; with ``max_gap``, runs at most that many tokens
    apart on the same line are joined. Spans never cross a line break
    (SemEval spans stay within a paragraph), are trimmed of whitespace and
    punctuation at the edges and grown to whole words. ``mean`` and ``peak``
    are the mean and the highest token probability over the span. ``allowed``, when given, lists character
    ranges (paragraphs) outside which nothing is emitted; ``breaks`` may pass
    ``line_breaks(text, offsets)`` precomputed. With ``peak_margin`` a run is
    kept only if some token reaches ``threshold + peak_margin`` (hysteresis:
    confident seeds, extended through less confident neighbours).
    """
    out: list[tuple[int, int, str, float, float]] = []
    if len(offsets) == 0:
        return out
    line_break = line_breaks(text, offsets) if breaks is None else breaks
    for j, tech in enumerate(labels):
        thr = thresholds[j]
        if thr > 1.0:
            continue
        on = probs[:, j] >= thr
        if max_gap and on.any():
            on = fill_gaps(on, max_gap, line_break)
        for a, b in _runs(on):
            # split the run at line breaks
            cut = [a] + [i for i in np.flatnonzero(line_break[a + 1:b]) + a + 1] + [b]
            for x, y in zip(cut[:-1], cut[1:]):
                start, end = trim(text, int(offsets[x, 0]), int(offsets[y - 1, 1]))
                if end - start < min_chars:
                    continue
                peak = float(probs[x:y, j].max())
                if peak_margin and peak < min(thr + peak_margin, 0.99):
                    continue  # no token of the run is confident enough to seed a span
                out.append((start, end, tech, float(probs[x:y, j].mean()), peak))
    if allowed is not None:
        out = [s for s in out if any(a <= s[0] and s[1] <= b for a, b in allowed)]
    return out


def paragraph_scores(offsets: np.ndarray, probs: np.ndarray, bounds: Sequence[tuple[int, int]]) -> np.ndarray:
    """(n_paragraphs, n_labels): the highest token probability inside each paragraph."""
    n_labels = probs.shape[1] if probs.ndim == 2 else 0
    out = np.zeros((len(bounds), n_labels), dtype=np.float32)
    if len(offsets) == 0:
        return out
    starts = offsets[:, 0]
    for i, (a, b) in enumerate(bounds):
        lo = int(np.searchsorted(starts, a, side="left"))
        hi = int(np.searchsorted(starts, b, side="left"))
        if hi > lo:
            out[i] = probs[lo:hi].max(axis=0)
    return out


# -- the component ---------------------------------------------------------------

def key_words(text: str, offsets: np.ndarray, column: np.ndarray, start: int, end: int,
              n: int = 3) -> list[tuple[str, float]]:
    """The ``n`` words of ``text[start:end]`` whose tokens had the highest probability, with that probability.

    Why: an analyst needs to see what in the passage made the model mark it,
    not the definition again. A word scores its best word piece.
    """
    lo = int(np.searchsorted(offsets[:, 0], start, side="left")) if len(offsets) else 0
    hi = int(np.searchsorted(offsets[:, 0], end, side="left")) if len(offsets) else 0
    best: dict[tuple[int, int], float] = {}
    for i in range(lo, hi):
        a, b = trim(text, int(offsets[i, 0]), int(offsets[i, 1]))
        if b > a and text[a:b].lower() not in FUNCTION_WORDS:
            best[(a, b)] = max(best.get((a, b), 0.0), float(column[i]))
    top = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    return [(text[a:b], p) for (a, b), p in top]


def evidence_for(technique: str, score: float, words: Sequence[tuple[str, float]] = ()) -> str:
    """A short human reason for a tagged span: the words that carried it, then the definition."""
    from ..taxonomy import TECHNIQUES

    t = TECHNIQUES.get(technique)
    why = t.definition.rstrip(".") if t else technique
    head = f"tagger: probability {score:.2f} that this is {technique}"
    if words:
        head += "; words that weighed most: " + ", ".join(f"\u201c{w}\u201d {p:.2f}" for w, p in words)
    return f"{head}. {technique}: {why[:1].lower()}{why[1:]}"


def _threads() -> int:
    return int(os.environ.get("PROPSCAN_THREADS", DEFAULT_THREADS))


_sessions: dict[tuple[str, int], Loading[Any]] = {}
_sessions_lock = threading.Lock()


def _session(path: Path, threads: int) -> Loading[Any]:
    """The onnxruntime session for ``path``, loading in the background; one per (model, threads) and process."""
    key = (str(path), threads)
    with _sessions_lock:
        if key not in _sessions:
            _sessions[key] = Loading(lambda: onnx.session(path, threads), "tagger")
        return _sessions[key]


class SpanTagger:
    """Component: tag persuasion-technique spans with the bundled ONNX model.

    Adds ``Span(detector="tagger")`` objects to ``analysis.spans`` and the
    tagger's per-paragraph probabilities (highest token probability per
    technique) to ``ParagraphLabels.scores``; ``ParagraphLabeler`` turns those
    into paragraph labels. English only: other languages get a notice.
    """

    name = "tagger"

    def __init__(self, model_dir: str | os.PathLike[str] = MODEL_DIR, threads: int | None = None,
                 batch_windows: int = BATCH_WINDOWS) -> None:
        from tokenizers import Tokenizer

        model_dir = Path(model_dir)
        cfg = json.loads((model_dir / CONFIG_FILE).read_text(encoding="utf-8"))
        self.config = cfg
        self.labels: list[str] = list(cfg["labels"])
        self.version: str = cfg.get("version", "unknown")
        self.window: int = int(cfg.get("window", 254))
        self.stride: int = int(cfg.get("inference_stride", cfg.get("stride", 192)))
        self.placement: str = cfg.get("inference_windows", "grid")  # "grid" as in training, or "even"
        self.language: str = cfg.get("language", "en")
        st = cfg.get("span_thresholds", {})
        self.span_thresholds = np.array([float(st.get(t, 2.0)) for t in self.labels], dtype=np.float32)
        dec = cfg.get("decode", {})
        self.decode = {"min_chars": int(dec.get("min_chars", 2)), "max_gap": int(dec.get("max_gap", 0)),
                       "peak_margin": float(dec.get("peak_margin", 0.0))}
        from .calibration import Calibration

        # calibrated probabilities and one decision threshold (None: raw scores, thresholds of tagger.json)
        self.calibration = Calibration.load(self.labels, model_dir / CALIBRATION_FILE, self.version)
        self.batch_windows = batch_windows
        tok = Tokenizer.from_file(str(model_dir / TOKENIZER_FILE))
        tok.no_padding()
        tok.no_truncation()
        self.tokenizer = tok
        self.cls_id = tok.token_to_id("[CLS]")
        self.sep_id = tok.token_to_id("[SEP]")
        self.pad_id = tok.token_to_id("[PAD]") or 0
        if threads is None:
            threads = _threads()
        # importing onnxruntime and building the session take ~0.3 s: on a background thread while the other
        # components load (started by ``preload`` already when this is the bundled model)
        self._session = _session(model_dir / MODEL_FILE, threads)
        self._inputs: set[str] | None = None
        self._lock = threading.Lock()

    @property
    def session(self) -> Any:
        """The onnxruntime session (waits for it to finish loading)."""
        return self._session.get()

    @staticmethod
    def preload() -> None:
        if (MODEL_DIR / MODEL_FILE).is_file():
            _session(MODEL_DIR / MODEL_FILE, _threads())

    @classmethod
    def create(cls) -> "SpanTagger | None":
        """The bundled tagger, or None when the model files are absent (development checkout)."""
        if not all((MODEL_DIR / f).is_file() for f in (MODEL_FILE, CONFIG_FILE, TOKENIZER_FILE)):
            return None
        return cls()

    # -- model ---------------------------------------------------------------
    def _run(self, rows: list[np.ndarray]) -> list[np.ndarray]:
        """Probabilities (len, n_labels) for each row of token ids (no special tokens), one batch per call.

        Callers batch the windows of one article together and nothing else:
        int8 dynamic quantisation scales activations by the whole batch, so
        mixing articles would make one article's result depend on its
        neighbours in the input.
        """
        width = max(len(r) for r in rows) + 2
        ids = np.full((len(rows), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for r, row in enumerate(rows):
            n = len(row)
            ids[r, 0] = self.cls_id
            ids[r, 1:n + 1] = row
            ids[r, n + 1] = self.sep_id
            mask[r, :n + 2] = 1
        feed = {"input_ids": ids, "attention_mask": mask}
        if self._inputs is None:
            self._inputs = {i.name for i in self.session.get_inputs()}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        with self._lock:
            probs = self.session.run(None, feed)[0]
        return [probs[r, 1:len(row) + 1] for r, row in enumerate(rows)]

    def token_probs(self, articles: Sequence[Article]) -> list[tuple[np.ndarray, np.ndarray]]:
        """``(offsets, probs)`` per article: token character offsets and stitched probabilities."""
        encs = self.tokenizer.encode_batch([a.text for a in articles], add_special_tokens=False)
        out = []
        for enc in encs:
            ids = np.asarray(enc.ids, dtype=np.int64)
            offs = np.asarray(enc.offsets, dtype=np.int64).reshape(-1, 2)
            place = even_windows if self.placement == "even" else windows
            spans = place(len(ids), self.window, self.stride)
            if not spans:
                out.append((offs, np.zeros((0, len(self.labels)), np.float32)))
                continue
            rows = [ids[a:b] for a, b in spans]
            probs: list[np.ndarray] = []
            for k in range(0, len(rows), self.batch_windows):
                probs.extend(self._run(rows[k:k + self.batch_windows]))
            out.append((offs, stitch(len(ids), spans, probs)))
        return out

    # -- component protocol --------------------------------------------------
    def __call__(self, analysis: Analysis) -> Analysis:
        return next(iter(self.pipe([analysis])))

    def pipe(self, analyses: Iterable[Analysis], batch_size: int = 16) -> Iterator[Analysis]:
        batch: list[Analysis] = []
        for a in analyses:
            batch.append(a)
            if len(batch) >= batch_size:
                yield from self._process(batch)
                batch = []
        if batch:
            yield from self._process(batch)

    def _process(self, batch: list[Analysis]) -> list[Analysis]:
        todo = []
        for a in batch:
            lang = (a.article.language or "").lower()
            if lang and lang != self.language and not lang.startswith(self.language + "-"):
                from .multitagger import MultiTagger

                if MultiTagger.covers(lang):
                    continue  # the multilingual tagger (later in the pipeline) tags this language
                a.notices.append(f"{self.name}: no span model for language '{a.article.language}' yet; "
                                 f"the English tagger was not applied")
                a.undetected["spans"] = list(self.labels)  # no technique is looked for at span level
                continue
            if a.article.text.strip():
                todo.append(a)
        if not todo:
            return batch
        results = self.token_probs([a.article for a in todo])
        for a, (offs, probs) in zip(todo, results):
            self.annotate(a, offs, probs)
        return batch

    def annotate(self, analysis: Analysis, offsets: np.ndarray, probs: np.ndarray) -> None:
        """Add spans and paragraph probabilities decoded from token probabilities."""
        text = analysis.article.text
        scored = [p for p in analysis.paragraphs if not p.flagged]
        allowed = [(p.start, p.end) for p in scored]
        if len(scored) != len(analysis.paragraphs) or not analysis.paragraphs:
            allowed_arg: list[tuple[int, int]] | None = allowed
        else:
            allowed_arg = None
        cal = self.calibration
        index = {t: j for j, t in enumerate(self.labels)}
        if cal is None:
            thresholds, decode = self.span_thresholds, self.decode
        else:  # every enabled technique decoded at one token threshold; the calibrated probability decides
            thresholds = np.where(cal.span.enabled, cal.decode_threshold, 2.0)
            decode = {**self.decode, **cal.decode}
        found = decode_candidates(text, offsets, probs, self.labels, thresholds, allowed=allowed_arg, **decode)
        if cal is not None and found:
            tech = np.array([index[t] for _, _, t, _, _ in found])
            scores = cal.spans(tech, np.array([f[3] for f in found]), np.array([f[4] for f in found])).tolist()
        else:
            scores = [f[3] for f in found]
        for (start, end, tech_name, _, _), score in zip(found, scores):
            words = key_words(text, offsets, probs[:, index[tech_name]], start, end)
            analysis.spans.append(Span(start, end, tech_name, round(score, 4), self.name,
                                       evidence_for(tech_name, score, words)))
        pscores = paragraph_scores(offsets, probs, allowed)
        if cal is not None:
            pscores = cal.paragraphs(pscores)
            analysis.undetected = {"spans": cal.span.off(), "paragraphs": cal.paragraph.off()}
        else:
            analysis.undetected = {"spans": [t for t, th in zip(self.labels, self.span_thresholds) if th > 1.0]}
        floor = LISTED if cal is not None else 0.05
        for p, row in zip(scored, pscores):
            for j, t in enumerate(self.labels):
                v = float(row[j])
                if v >= floor or cal is None and v >= 0.01 and self.span_thresholds[j] <= 1.0:
                    p.scores[t] = max(p.scores.get(t, 0.0), round(v, 4))

    def technique_scores(self, article: Article, spans: Sequence[tuple[int, int]]) -> list[dict[str, float]]:
        """Per given character span, the mean token probability of each technique."""
        (offs, probs), = self.token_probs([article])
        out: list[dict[str, float]] = []
        for start, end in spans:
            if len(offs):
                sel = (offs[:, 0] < end) & (offs[:, 1] > start)
            else:
                sel = np.zeros(0, dtype=bool)
            if sel.any():
                m = probs[sel].mean(axis=0)
            else:
                m = np.zeros(len(self.labels), dtype=np.float32)
            out.append({t: float(m[j]) for j, t in enumerate(self.labels)})
        return out
