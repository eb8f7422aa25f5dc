"""The span tagger: MiniLM-L6 fine-tuned to tag persuasion techniques, served as int8 ONNX.

Runtime needs only onnxruntime, tokenizers and numpy. An article is tokenised
once, cut into overlapping windows, the windows of a whole batch of articles
run through the model together, and each token's per-technique probability is
stitched from the windows that saw it (central positions weigh more). Token
probabilities are then decoded into character spans with per-technique
thresholds chosen on the validation split (see models/MODEL_CARD.md). The
numpy part (windows, stitching, decoding) is ``detect.decoding``, shared with
training; this module is the component around it.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from ..components import LANGUAGE, PARAGRAPH_MODEL, PARAGRAPH_MODEL_SCORES, PARAGRAPH_SCORES, SPANS, Base
from ..document import Analysis, Article, Span
from ..runtime import models, onnx
from ..runtime.settings import DEFAULT, Settings
from .calibration import LISTED, model_matrix
from .decoding import decode_candidates, even_windows, paragraph_scores, stitch, title_tokens, trim, windows

DEFAULT_THREADS = 2
# windows per onnxruntime call: 8 windows hold ~120 MB of activations, 4 about 65 MB, at the same speed
# (measured on 2 cores), which keeps a whole analysis under 400 MB
BATCH_WINDOWS = 4
# calibrated paragraph probabilities below this are not listed (nor can they become labels: see detect.paragraphs)
# English words that carry no technique on their own: not named as evidence (the tagger is English only)
FUNCTION_WORDS = frozenset("a an the of in on at to for from by with as and or but is are was were be been it its "
                           "this that these those there here than then".split())


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


def thread_count(settings: Settings) -> int:
    """The tagger's onnxruntime threads under ``settings``."""
    return settings.threads if settings.threads is not None else DEFAULT_THREADS


class SpanTagger(Base):
    """Component: tag persuasion-technique spans with the bundled ONNX model.

    Adds ``Span(detector="tagger")`` objects to ``analysis.spans`` and the
    tagger's per-paragraph probabilities (highest token probability per
    technique) to ``ParagraphLabels.scores``; ``ParagraphLabeler`` turns those
    into paragraph labels. English only: other languages get a notice.
    """

    name = "tagger"
    # paragraphs in another language are flagged and not scored; the paragraph model's probabilities are mixed into
    # the English paragraph probabilities (without them the tagger's stand alone)
    requires = (LANGUAGE, PARAGRAPH_MODEL)
    provides = (SPANS, PARAGRAPH_SCORES)

    def __init__(self, model_dir: str | os.PathLike[str] | None = None, threads: int | None = None,
                 batch_windows: int = BATCH_WINDOWS, settings: Settings = DEFAULT) -> None:
        from tokenizers import Tokenizer

        model_dir = Path(model_dir) if model_dir is not None else models.folder(settings)
        cfg = models.tagger_config(models_dir=model_dir)
        if cfg is None:
            raise FileNotFoundError(f"{model_dir / models.TAGGER_CONFIG}: no tagger configuration")
        self.config = cfg
        self.labels: list[str] = list(cfg["labels"])
        self.version: str = cfg.get("version", "unknown")
        self.window: int = int(cfg.get("window", 254))
        self.stride: int = int(cfg.get("inference_stride", cfg.get("stride", 192)))
        self.placement: str = cfg.get("inference_windows", "grid")  # "grid" as in training, or "even"
        # title context: up to this many of the title's tokens (and a [SEP]) before every window (0: none)
        self.title_context: int = int(cfg.get("title_context", 0))
        self.language: str = cfg.get("language", "en")
        self.other_span_languages = models.multi_tagger_languages(models_dir=model_dir) - {self.language}
        st = cfg.get("span_thresholds", {})
        self.span_thresholds = np.array([float(st.get(t, 2.0)) for t in self.labels], dtype=np.float32)
        dec = cfg.get("decode", {})
        self.decode = {"min_chars": int(dec.get("min_chars", 2)), "max_gap": int(dec.get("max_gap", 0)),
                       "peak_margin": float(dec.get("peak_margin", 0.0))}
        from .calibration import Calibration

        # calibrated probabilities and one decision threshold (None: raw scores, thresholds of tagger.json)
        self.calibration = Calibration.load(self.labels, model_dir / models.CALIBRATION, self.version)
        self.batch_windows = batch_windows
        tok = Tokenizer.from_file(str(model_dir / models.TAGGER_TOKENIZER))
        tok.no_padding()
        tok.no_truncation()
        self.tokenizer = tok
        self.cls_id = tok.token_to_id("[CLS]")
        self.sep_id = tok.token_to_id("[SEP]")
        self.pad_id = tok.token_to_id("[PAD]") or 0
        if threads is None:
            threads = thread_count(settings)
        # importing onnxruntime and building the session take ~0.3 s: on a background thread while the other
        # components load (started by ``preload`` already when this is the settings' model)
        self._session = onnx.shared_session(model_dir / models.TAGGER_ONNX, threads, settings.cache_dir)
        self._inputs: set[str] | None = None
        self._lock = threading.Lock()

    @property
    def session(self) -> Any:
        """The onnxruntime session (waits for it to finish loading)."""
        return self._session.get()

    @classmethod
    def preload(cls, settings: Settings = DEFAULT) -> None:
        path = models.path(models.TAGGER_ONNX, settings)
        if path.is_file():
            onnx.shared_session(path, thread_count(settings), settings.cache_dir)

    @classmethod
    def create(cls, settings: Settings = DEFAULT) -> "SpanTagger | None":
        """The tagger of the settings' models folder, or None when its files are absent (development checkout)."""
        if not models.has_tagger(settings):
            return None
        return cls(settings=settings)

    # -- model ---------------------------------------------------------------
    def _run(self, rows: list[np.ndarray], prefix: np.ndarray | None = None) -> list[np.ndarray]:
        """Probabilities (len, n_labels) for each row of token ids (no special tokens), one batch per call;
        ``prefix``: token ids put before every row, ``[CLS] prefix [SEP] row [SEP]`` (no scores of their own).

        Callers batch the windows of one article together and nothing else:
        int8 dynamic quantisation scales activations by the whole batch, so
        mixing articles would make one article's result depend on its
        neighbours in the input.
        """
        head = np.concatenate([[self.cls_id], prefix, [self.sep_id]]) if prefix is not None and len(prefix) \
            else np.array([self.cls_id])
        base = len(head)
        width = max(len(r) for r in rows) + base + 1
        ids = np.full((len(rows), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for r, row in enumerate(rows):
            n = len(row)
            ids[r, :base] = head
            ids[r, base:base + n] = row
            ids[r, base + n] = self.sep_id
            mask[r, :base + n + 1] = 1
        feed = {"input_ids": ids, "attention_mask": mask}
        if self._inputs is None:
            self._inputs = {i.name for i in self.session.get_inputs()}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        with self._lock:
            probs = self.session.run(None, feed)[0]
        return [probs[r, base:base + len(row)] for r, row in enumerate(rows)]

    def token_probs(self, articles: Sequence[Article]) -> list[tuple[np.ndarray, np.ndarray]]:
        """``(offsets, probs)`` per article: token character offsets and stitched probabilities."""
        encs = self.tokenizer.encode_batch([a.text for a in articles], add_special_tokens=False)
        out = []
        for article, enc in zip(articles, encs):
            ids = np.asarray(enc.ids, dtype=np.int64)
            offs = np.asarray(enc.offsets, dtype=np.int64).reshape(-1, 2)
            place = even_windows if self.placement == "even" else windows
            spans = place(len(ids), self.window, self.stride)
            if not spans:
                out.append((offs, np.zeros((0, len(self.labels)), np.float32)))
                continue
            rows = [ids[a:b] for a, b in spans]
            prefix = title_tokens(article.text, ids, offs, self.title_context) if self.title_context \
                else None
            probs: list[np.ndarray] = []
            for k in range(0, len(rows), self.batch_windows):
                probs.extend(self._run(rows[k:k + self.batch_windows], prefix))
            out.append((offs, stitch(len(ids), spans, probs)))
        return out

    # -- component protocol --------------------------------------------------
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
            if a.language() not in ("", self.language):
                if a.language() in self.other_span_languages:
                    continue  # another span model of the folder (``detect.multitagger``) reads this language
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
            index = {id(p): i for i, p in enumerate(analysis.paragraphs)}
            pscores, own, other = cal.paragraph_parts(pscores, model_matrix(
                analysis.scratch.get(PARAGRAPH_MODEL_SCORES), [index[id(p)] for p in scored], self.labels))
            analysis.undetected = {"spans": cal.span.off(), "paragraphs": cal.paragraph.off()}
        else:
            own = other = None
            analysis.undetected = {"spans": [t for t, th in zip(self.labels, self.span_thresholds) if th > 1.0]}
        floor = LISTED if cal is not None else 0.05
        for r, (p, row) in enumerate(zip(scored, pscores)):
            for j, t in enumerate(self.labels):
                v = float(row[j])
                if v >= floor or cal is None and v >= 0.01 and self.span_thresholds[j] <= 1.0:
                    p.scores[t] = max(p.scores.get(t, 0.0), round(v, 4))
                    if other is not None and not np.isnan(other[r, j]):  # why: the two probabilities averaged
                        p.sources[t] = {"tagger": round(float(own[r, j]), 4),
                                        "paragraph_model": round(float(other[r, j]), 4)}

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
