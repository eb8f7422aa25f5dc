"""Paragraph labels (SemEval-2023 subtask 3) and the one decision rule shared with spans.

With the calibrated tagger (``models/calibration.json``) every span and every
paragraph technique carries a calibrated probability, and ``decide`` applies
one visible threshold, ``min_confidence``:

* a span is shown when its probability reaches the threshold;
* a paragraph's score for a technique is the larger of its own calibrated
  paragraph probability and the probability of the best span of that
  technique inside it, and the paragraph carries the technique exactly when
  that score reaches the threshold. So a paragraph's labels are the techniques
  of its shown spans plus those its own probability passes, ``reasons`` says
  which ("span" or "paragraph"), and no technique listed at or above the
  threshold is missing from the labels.

The spans under the threshold are kept in ``Analysis.candidates`` (not
serialised), so ``decide`` can be applied again with another threshold
(``propscan analyze --min-confidence``, ``analyze(min_confidence=)``, the REST
``min_confidence`` parameter). Without a calibration file (development
checkout) the tagger's per-technique paragraph thresholds of ``tagger.json``
apply as before. Paragraphs in another language get their scores from the
multilingual model (later in the pipeline, at the same threshold), and
``decide`` treats them alike.
"""

from __future__ import annotations


from ..components import DECISION, PARAGRAPH_LABELS, PARAGRAPH_SCORES, SPANS, Base, providers
from ..document import Analysis
from ..errors import PropscanError
from ..runtime import models
from ..runtime.settings import DEFAULT, Settings
from . import tagger as _tagger  # noqa: F401 - declares the span model whose spans already fed paragraph scores
from .calibration import LISTED, load_config
MIN_CONFIDENCE = LISTED  # below this nothing is listed, so nothing can be labelled
RULE = ("a label is shown when its calibrated probability reaches min_confidence; a paragraph carries a technique "
        "when one of its shown spans does or its own paragraph probability reaches min_confidence")


def check_min_confidence(value: float, name: str = "min_confidence") -> float:
    """``value`` as a float in [0.01, 1], or a PropscanError naming ``name``."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise PropscanError(f"{name} {value!r}: must be a number between {MIN_CONFIDENCE} and 1") from None
    if not MIN_CONFIDENCE <= v <= 1.0:
        raise PropscanError(f"{name} {value!r}: must be between {MIN_CONFIDENCE} and 1")
    return v


def decide(analysis: Analysis, min_confidence: float, default: float | None = None) -> Analysis:
    """Apply the decision rule at ``min_confidence`` (see the module docstring); idempotent."""
    thr = check_min_confidence(min_confidence)
    pool = analysis.spans + analysis.candidates
    analysis.spans = [s for s in pool if s.score >= thr]
    analysis.candidates = [s for s in pool if s.score < thr]
    for p in analysis.paragraphs:
        if p.flagged:
            continue
        shown: set[str] = set()
        for sp in pool:
            if sp.start < p.end and sp.end > p.start:
                p.scores[sp.technique] = max(p.scores.get(sp.technique, 0.0), round(float(sp.score), 4))
                if sp.score >= thr:
                    shown.add(sp.technique)
        labels = sorted(t for t, s in p.scores.items() if s >= thr)
        p.techniques = labels
        p.reasons = {t: "span" if t in shown else "paragraph" for t in labels}
    if default is None:
        default = analysis.decision.get("default", thr)
    analysis.decision = {"min_confidence": thr, "default": default, "rule": RULE}
    return analysis


class ParagraphLabeler(Base):
    name = "paragraphs"
    requires = (SPANS, PARAGRAPH_SCORES)
    provides = (PARAGRAPH_LABELS, DECISION)

    def __init__(self, thresholds: dict[str, float] | None = None, version: str = "spans-only",
                 min_confidence: float | None = None) -> None:
        self.thresholds = dict(thresholds or {})
        self.version = version
        self.min_confidence = min_confidence

    @classmethod
    def create(cls, settings: Settings = DEFAULT) -> "ParagraphLabeler":
        cfg = models.tagger_config(settings)
        if cfg is not None:
            threshold = None
            version = cfg.get("version", "unknown")
            cal = load_config(models.path(models.CALIBRATION, settings), version)
            if cal is not None:
                threshold, version = float(cal["threshold"]), cal.get("version", version)
            return cls(cfg.get("paragraph_thresholds", {}), version, threshold)
        return cls()

    def label(self, analysis: Analysis) -> Analysis:
        if self.min_confidence is not None:
            return decide(analysis, self.min_confidence)
        use_scores = bool(self.thresholds)
        scored = providers(PARAGRAPH_SCORES)  # detectors whose spans are in the paragraph scores already
        for p in analysis.paragraphs:
            if p.flagged:
                continue
            found: set[str] = set()
            if use_scores:
                found.update(t for t, s in p.scores.items() if s >= self.thresholds.get(t, 2.0))
            for sp in analysis.spans_in(p.start, p.end):
                if use_scores and sp.detector in scored:
                    continue  # the span model speaks through its paragraph probabilities
                found.add(sp.technique)
                p.scores[sp.technique] = max(p.scores.get(sp.technique, 0.0), round(float(sp.score), 4))
            p.techniques = sorted(set(p.techniques) | found)
        return analysis

    def __call__(self, analysis: Analysis) -> Analysis:
        return self.label(analysis)
