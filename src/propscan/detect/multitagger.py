"""The span tagger for French, German, Italian, Polish and Russian (issue 16).

A frozen multilingual-e5-small encoder (vocabulary pruned to the pieces the six
SemEval-2023 languages use, int8 ONNX, ``models/multi-encoder.onnx``) turns an
article's tokens into features, windowed and stitched as the English tagger
does (``detect.tagger.windows`` / ``stitch``); a small head (a projection, one
convolution over neighbouring tokens and a per-technique sigmoid, numpy
weights in ``models/multi-head.npz``) gives token probabilities. From there on
it is the English tagger's path: the same span decoding, per-language Platt
calibrators fitted out of fold (``models/multi-tagger.json``), the same
evidence, paragraph probabilities combined with the pooled-USE paragraph model
as chosen per language out of fold, then the one decision rule
(``detect.paragraphs.decide``) at the language's threshold.

Why a separate component: English keeps its stronger fine-tuned MiniLM; this
one loads only when an article in one of its languages arrives, so English
start-up and memory do not pay for it. Numpy + onnxruntime + tokenizers only.
See models/MULTI_TAGGER_CARD.md.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..components import DECISION, LANGUAGE, PARAGRAPH_LABELS, SPANS, Base
from ..document import Analysis, Span
from ..runtime import models, onnx
from ..runtime.loading import Loading
from ..runtime.settings import DEFAULT, Settings
from .decoding import Stitcher, decode_candidates, paragraph_scores, windows
from .calibration import LISTED, Levels
from .tagger import evidence_for, key_words, thread_count

WINDOW = 254
STRIDE = 192
CLS, PAD, SEP = 0, 1, 2  # XLM-R's <s>, <pad>, </s> (kept at these ids by the pruning)


def _gelu(x: np.ndarray) -> np.ndarray:
    """GELU, tanh form (the head is trained with ``approximate="tanh"``); in place, ``x`` is overwritten.

    Why in place: on a long article these are arrays of millions of floats, and the plain expression
    allocates six of them (a third of the head's time).
    """
    t = x * x
    t *= 0.044715 * 0.7978845608028654
    t += 0.7978845608028654
    t *= x
    np.tanh(t, out=t)
    t += 1.0
    x *= 0.5
    x *= t
    return x


def conv_same(h: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """1-d convolution over tokens with 'same' zero padding: ``h`` (T, C), ``weight`` (out, C, k) as torch's."""
    out_c, c, k = weight.shape
    hp = np.pad(h, ((k // 2, k // 2), (0, 0)))
    cols = np.concatenate([hp[i:i + len(h)] for i in range(k)], axis=1)  # (T, k*C): one matrix product
    return cols @ weight.transpose(2, 1, 0).reshape(k * c, out_c) + bias


def head_probs(w: dict[str, np.ndarray], feats: np.ndarray) -> np.ndarray:
    """(T, n_labels) token probabilities from (T, D) encoder features; mirrors ``train.multitagger_fit.make_head``.

    Weights stacked along a first axis (one per cross-validation fold) are an
    ensemble: the mean of its members' probabilities. The members' input
    standardisation is folded into their first layers, which run as one
    matrix product (a quarter of a non-English article's CPU time otherwise).
    """
    w = w if w["w1"].ndim == 3 else {k: v[None] for k, v in w.items()}
    m, hidden, d = w["w1"].shape
    w1 = w["w1"] / w["sd"][:, None, :]
    b1 = w["b1"] - np.einsum("mhd,md->mh", w1, w["mu"])
    first = _gelu(feats.astype(np.float32, copy=False) @ w1.reshape(m * hidden, d).T + b1.reshape(-1))
    out = np.zeros((len(feats), w["w2"].shape[1]), np.float32)
    for i in range(m):
        h = first[:, i * hidden:(i + 1) * hidden]
        h = h + _gelu(conv_same(h, w["conv_w"][i], w["conv_b"][i]))
        out += 1.0 / (1.0 + np.exp(-(h @ w["w2"][i].T + w["b2"][i])))
    return out / m


class Encoder:
    """The pruned, frozen e5-small: token offsets and stitched per-token features of a text."""

    def __init__(self, model_dir: Path, threads: int, cache_dir: Path | None = None) -> None:
        from .unigram import Unigram

        self.tokenizer = Unigram(model_dir / models.MULTI_TOKENIZER)
        # mem_pattern off: the same results, ~40 MB less peak memory for this encoder
        self._session = onnx.shared_session(model_dir / models.MULTI_ENCODER, threads, cache_dir, mem_pattern=False)
        self._lock = threading.Lock()

    def _run(self, window: np.ndarray) -> np.ndarray:
        """Features (len, D) of one window of token ids.

        Why one window per run: the int8 graph's activation scales are computed over a run's whole
        input, so a window's features depend on that window alone (the head was trained on features
        computed this way, ``train.multitagger extract``); it is also the fastest and smallest setting
        of the fused graph (MULTI_TAGGER_CARD.md).
        """
        ids = np.concatenate([[CLS], window, [SEP]]).astype(np.int64)[None, :]
        with self._lock:
            out = self._session.get().run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0]
        return out[0, 1:-1]

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """``(offsets, features)``: token character offsets (T, 2) and features (T, D), float32."""
        ids, offs = self.tokenizer.encode(text)
        spans = windows(len(ids), WINDOW, STRIDE)
        if not spans:
            return offs, np.zeros((0, 0), np.float32)
        first = self._run(ids[spans[0][0]:spans[0][1]])
        stitched = Stitcher(len(ids), first.shape[-1], np.float32)
        stitched.add(*spans[0], first)
        for a, b in spans[1:]:
            stitched.add(a, b, self._run(ids[a:b]))  # window by window: no list of every window's features
        return offs, stitched.result()

    def mean_features(self, text: str) -> np.ndarray:
        """(D,) mean of the features of the first window of ``text``: a short text's vector (the genre lead)."""
        ids, _ = self.tokenizer.encode(text)
        if len(ids) == 0:
            return np.zeros(self.dim, np.float32)
        return self._run(ids[:WINDOW]).mean(0)

    @property
    def dim(self) -> int:
        return int(self._session.get().get_outputs()[0].shape[-1])


def encoder_loading(settings: Settings = DEFAULT, model_dir: Path | None = None) -> Loading[Encoder]:
    """The one ``Encoder`` per models folder and settings, built on a background thread on the first call.

    The span tagger and the genre lead share it; a component's ``preload`` only starts it.
    """
    from ..runtime.registry import MODELS

    folder = Path(model_dir) if model_dir is not None else models.folder(settings)
    threads = thread_count(settings)
    return MODELS.load("multi-encoder", (str(folder), threads, settings.cache_dir),
                       lambda: Encoder(folder, threads, settings.cache_dir))


def shared_encoder(settings: Settings = DEFAULT, model_dir: Path | None = None) -> Encoder:
    return encoder_loading(settings, model_dir).get()


class LanguageCalibration(Levels):
    """One language's span and paragraph Platt calibrators (on the highest token probability), threshold, paragraph mode."""

    def __init__(self, labels: Sequence[str], d: dict[str, Any]) -> None:
        super().__init__(labels, {level: {**d[level], "features": ["logit_peak"]} for level in ("span", "paragraph")})
        self.threshold = float(d["threshold"])
        self.mode: str = d.get("paragraph_mode", "span")  # "span", "use" (pooled-USE model) or "mean" of both


class MultiTagger(Base):
    """Component: spans and paragraph probabilities for articles in fr, de, it, pl, ru.

    Runs after ``classify.multilingual.MultilingualTechniques`` (whose pooled-USE
    paragraph probabilities it may combine with its own) and decides the
    article again with ``detect.paragraphs.decide``.
    """

    name = "tagger-multilingual"
    requires = (LANGUAGE, PARAGRAPH_LABELS, DECISION)  # the pooled-USE paragraph probabilities, decided once
    provides = (SPANS, PARAGRAPH_LABELS, DECISION)

    def __init__(self, model_dir: Path | None = None, settings: Settings = DEFAULT) -> None:
        model_dir = Path(model_dir) if model_dir is not None else models.folder(settings)
        cfg = models.multi_tagger_config(models_dir=model_dir)
        if cfg is None:
            raise FileNotFoundError(f"{model_dir / models.MULTI_CONFIG}: no multilingual tagger configuration")
        self.config = cfg
        self.model_dir = model_dir
        self.settings = settings
        self.labels: list[str] = list(cfg["labels"])
        self.version: str = cfg["version"]
        self.decode_threshold = float(cfg["decode_threshold"])
        self.decode: dict[str, Any] = dict(cfg.get("decode", {}))
        self.languages = {lang: LanguageCalibration(self.labels, d) for lang, d in cfg["languages"].items()}
        self._head: dict[str, np.ndarray] | None = None
        self._load_lock = threading.Lock()

    @classmethod
    def create(cls, settings: Settings = DEFAULT) -> "MultiTagger | None":
        """The settings' component, or None when its files are absent (nothing is loaded until an article needs it).

        No ``preload`` of its own: the genre component starts the shared encoder loading on its thread.
        """
        if not models.has_multi_tagger(settings):
            return None
        return cls(settings=settings)

    def _load(self) -> tuple[Encoder, dict[str, np.ndarray]]:
        """The shared encoder (the registry holds it) and this tagger's head, loaded on first use."""
        encoder = shared_encoder(self.settings, self.model_dir)
        with self._load_lock:
            if self._head is None:
                with np.load(self.model_dir / models.MULTI_HEAD) as z:
                    self._head = {k: z[k].astype(np.float32) for k in z.files}
            return encoder, self._head

    def token_probs(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """``(offsets, probs)`` of one article's tokens."""
        encoder, head = self._load()
        offs, feats = encoder.features(text)
        if len(offs) == 0:
            return offs, np.zeros((0, len(self.labels)), np.float32)
        return offs, head_probs(head, feats)

    def __call__(self, analysis: Analysis) -> Analysis:
        cal = self.languages.get(analysis.language())
        if cal is None or not analysis.article.text.strip():
            return analysis
        self.annotate(analysis, cal, *self.token_probs(analysis.article.text))
        return analysis

    def annotate(self, analysis: Analysis, cal: LanguageCalibration, offsets: np.ndarray,
                 probs: np.ndarray) -> None:
        """Spans (calibrated), paragraph probabilities combined per the language's mode, then the decision rule."""
        from .paragraphs import decide

        text = analysis.article.text
        scored = [p for p in analysis.paragraphs if not p.flagged]
        allowed = [(p.start, p.end) for p in scored]
        thresholds = [self.decode_threshold] * len(self.labels)
        found = decode_candidates(text, offsets, probs, self.labels, thresholds, allowed=allowed, **self.decode)
        index = {t: j for j, t in enumerate(self.labels)}
        if found:
            scores = cal.spans(np.array([index[f[2]] for f in found]), np.array([f[3] for f in found]),
                               np.array([f[4] for f in found]))
        else:
            scores = np.zeros(0)
        for (start, end, tech, _, _), score in zip(found, scores.tolist()):
            if score <= 0.0:
                continue  # technique switched off at span level for this language
            words = key_words(text, offsets, probs[:, index[tech]], start, end)
            analysis.spans.append(Span(start, end, tech, round(score, 4), self.name,
                                       evidence_for(tech, score, words)))
        own = cal.paragraphs(paragraph_scores(offsets, probs, allowed))
        for p, row in zip(scored, own):
            use = np.array([p.scores.get(t, 0.0) for t in self.labels])
            comb = {"span": row, "use": use, "mean": (row + use) / 2}[cal.mode]
            p.scores = {t: round(float(v), 4) for t, v in zip(self.labels, comb) if v >= LISTED}
        analysis.undetected["spans"] = cal.span.off()
        if cal.mode == "span":  # without the pooled-USE model, a paragraph technique needs one of our two levels
            off = set(analysis.undetected["spans"])
            analysis.undetected["paragraphs"] = [t for t in cal.paragraph.off() if t in off]
        decide(analysis, cal.threshold, default=cal.threshold)

