"""Calibrated probabilities for the tagger's spans and paragraphs, and the one decision rule.

The tagger's raw token probabilities are not probabilities of anything an
analyst checks (of the spans it scored 0.8-0.9, 35% overlapped an annotated
span of that technique). ``models/calibration.json`` holds, per level and
technique, Platt coefficients fitted out-of-fold on articles the tagger never
saw (``propscan.train.calibrate.fit_platt``; the protocol in
``propscan.protocol``):

* span: P(the span overlaps an annotated span of its technique | the mean and
  the highest token probability inside it);
* paragraph: P(annotators gave the paragraph the technique | its highest token
  probability); for English also ``paragraph_model``, the same for the paragraph
  model's probability (``classify.multilingual.ParagraphModelScores``), and a
  paragraph's probability is then the weighted mean of the two,
  ``paragraph_model_weight`` on the second (a paragraph that model did not score
  keeps the tagger's).

The decision rule is one number, ``threshold``: a label is shown when its
calibrated probability reaches it (``decide``). A technique whose calibrator
had too few positives to be fitted is switched off at that level and listed
as not detected. Numpy only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..runtime import models

CONFIG = models.path(models.CALIBRATION)
EPS = 1e-4


def logit(p: np.ndarray | float) -> np.ndarray:
    q = np.clip(np.asarray(p, dtype=np.float64), EPS, 1.0 - EPS)
    return np.log(q / (1.0 - q))


# below this probability a technique is not listed on a paragraph (nor a span kept), so it cannot be labelled
LISTED = 0.01


def paragraph_probs(level: Any, peak: np.ndarray) -> np.ndarray:
    """(n_paragraphs, n_labels) calibrated probabilities, by ``level``, from raw ones (the highest token
    probabilities, or the paragraph model's)."""
    n, t = peak.shape
    return level(np.tile(np.arange(t), n), logit(peak.reshape(-1, 1))).reshape(n, t)


def span_features(names: Sequence[str], mean: np.ndarray, peak: np.ndarray) -> np.ndarray:
    """The span calibrator's inputs, by name: ``logit_mean`` and/or ``logit_peak``."""
    cols = {"logit_mean": mean, "logit_peak": peak}
    return np.column_stack([logit(np.asarray(cols[n], dtype=np.float64)) for n in names]).reshape(len(mean), -1)


def load_config(path: Path = CONFIG, tagger_version: str | None = None) -> dict[str, Any] | None:
    """The calibration file, or None when absent or fitted for another tagger than ``tagger_version``.

    Why the check: calibrators describe one tagger's probabilities; after a
    retraining they would state confidences that no longer hold, so the raw
    scores and the thresholds of tagger.json apply until they are refitted
    (``python -m propscan.train.protocol_fit --write``).
    """
    d = models.calibration_config(file=path)  # read (and cached) by the models module
    if d is None:
        return None
    fitted_for = d.get("tagger_version")
    if tagger_version is not None and fitted_for is not None and fitted_for != tagger_version:
        return None
    return d


def undetected_techniques(path: Path = CONFIG) -> dict[str, list[str]]:
    """Techniques the shipped English models never emit, per level ("spans", "paragraphs").

    Why here: the web filters and the README must name what the model cannot
    find; the calibration file is what switches a technique on or off.
    """
    from ..taxonomy import TECHNIQUES

    d = load_config(path)
    if d is None:
        return {}
    return {level: [t for t in TECHNIQUES if t not in set(d[key].get("enabled", []))]
            for level, key in (("spans", "span"), ("paragraphs", "paragraph"))}


def mix(own: np.ndarray, other: np.ndarray, model: np.ndarray, weight: float) -> np.ndarray:
    """The English paragraph probability: ``(1 - weight) * own + weight * other`` (the tagger's and the paragraph
    model's calibrated probabilities), the tagger's alone where the paragraph model gave nothing (``model`` NaN).
    One rule for the runtime (``Levels.paragraph_parts``) and the protocol that fits it (``train.protocol_fit``)."""
    return np.where(np.isnan(model), own, (1.0 - weight) * own + weight * other)


def model_matrix(got: dict[str, Any] | None, rows: Sequence[int], labels: Sequence[str]) -> np.ndarray | None:
    """The paragraph model's probabilities (``ParagraphModelScores``' scratch entry ``got``) for the paragraphs
    at indices ``rows``, in ``labels`` order; NaN where it did not score a paragraph or a technique, None when
    it did not run."""
    if not got:
        return None
    col = {t: j for j, t in enumerate(got["techniques"])}
    out = np.full((len(rows), len(labels)), np.nan)
    for r, i in enumerate(rows):
        row = got["rows"].get(i)
        if row is not None:
            for j, t in enumerate(labels):
                if t in col:
                    out[r, j] = row[col[t]]
    return out


class LevelCalibrator:
    """Per-technique Platt scaling of one level (spans or paragraphs): sigmoid(W[t] · [1, features])."""

    def __init__(self, labels: Sequence[str], coef: dict[str, Sequence[float]], enabled: Sequence[str],
                 features: Sequence[str]) -> None:
        self.labels = list(labels)
        self.features = list(features)
        k = 1 + len(self.features)
        self.W = np.array([list(coef.get(t, [-20.0] + [0.0] * (k - 1))) for t in self.labels], dtype=np.float64)
        self.enabled = np.array([t in set(enabled) for t in self.labels])

    @classmethod
    def from_dict(cls, labels: Sequence[str], d: dict[str, Any]) -> "LevelCalibrator":
        return cls(labels, d.get("coef", {}), d.get("enabled", []), d.get("features", []))

    def __call__(self, tech: np.ndarray, feats: np.ndarray) -> np.ndarray:
        """Calibrated probabilities for rows of ``feats`` (already logits) of techniques ``tech`` (indices)."""
        tech = np.asarray(tech, dtype=np.int64)
        X = np.hstack([np.ones((len(tech), 1)), np.asarray(feats, dtype=np.float64).reshape(len(tech), -1)])
        z = np.einsum("ij,ij->i", X, self.W[tech])
        return np.where(self.enabled[tech], 1.0 / (1.0 + np.exp(-z)), 0.0)

    def off(self) -> list[str]:
        return [t for t, on in zip(self.labels, self.enabled) if not on]


class Levels:
    """A span and a paragraph ``LevelCalibrator`` read from ``d["span"]`` and ``d["paragraph"]``."""

    def __init__(self, labels: Sequence[str], d: dict[str, Any]) -> None:
        self.labels = list(labels)
        self.span = LevelCalibrator.from_dict(labels, d["span"])
        self.paragraph = LevelCalibrator.from_dict(labels, d["paragraph"])
        pm = d.get("paragraph_model")
        self.paragraph_model = LevelCalibrator.from_dict(labels, pm) if pm else None
        self.model_weight = float(d.get("paragraph_model_weight", 0.0)) if pm else 0.0

    def spans(self, tech: np.ndarray, mean: np.ndarray, peak: np.ndarray) -> np.ndarray:
        """Calibrated span probabilities from each span's mean and highest token probability."""
        return self.span(tech, span_features(self.span.features, mean, peak))

    def paragraphs(self, peak: np.ndarray, model: np.ndarray | None = None) -> np.ndarray:
        """(n_paragraphs, n_labels) calibrated paragraph probabilities from the highest token probabilities and,
        when given and calibrated for, the paragraph model's probabilities ``model`` (same shape; NaN where
        that model did not score the paragraph: the tagger's probability stands alone there)."""
        return self.paragraph_parts(peak, model)[0]

    def paragraph_parts(self, peak: np.ndarray, model: np.ndarray | None = None,
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """``(mixed, own, other)``: the paragraph probabilities of ``paragraphs``, the tagger's calibrated part and
        the paragraph model's (None without it; NaN where it did not score the paragraph, or it is off there)."""
        own = paragraph_probs(self.paragraph, peak)
        if model is None or self.paragraph_model is None or not len(own):
            return own, own, None
        other = paragraph_probs(self.paragraph_model, np.nan_to_num(model, nan=0.5))
        model = np.where(self.paragraph.enabled[None, :], model, np.nan)  # off at paragraph level stays off
        return mix(own, other, model, self.model_weight), own, np.where(np.isnan(model), np.nan, other)


class Calibration(Levels):
    """The shipped calibrators plus the default decision threshold."""

    def __init__(self, labels: Sequence[str], d: dict[str, Any]) -> None:
        super().__init__(labels, d)
        self.version: str = d.get("version", "unknown")
        self.threshold: float = float(d.get("threshold", 0.5))
        self.decode_threshold: float = float(d["span"].get("decode_threshold", 0.3))
        # decoding as the calibrators were fitted (run joining, minimum length); no hysteresis
        self.decode: dict[str, Any] = {**d["span"].get("decode", {}), "peak_margin": 0.0}

    @classmethod
    def load(cls, labels: Sequence[str], path: Path = CONFIG, tagger_version: str | None = None,
             ) -> "Calibration | None":
        d = load_config(path, tagger_version)
        return None if d is None else cls(labels, d)
