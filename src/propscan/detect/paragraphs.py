"""Paragraph labels (SemEval-2023 subtask 3): the techniques used in every non-empty line.

A paragraph gets technique *t* when the tagger's highest token probability for
*t* inside it reaches the paragraph threshold for *t* (tuned on validation,
stored in ``models/tagger.json``), or when a rule detector (e.g. Repetition)
put a span of *t* inside it. Without a tagger (development checkout, other
language) the labels come from whatever spans the paragraph holds.
``ParagraphLabels.scores`` keeps the evidence: the tagger's probability, or
the best rule-span score.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Iterator

from ..document import Analysis

CONFIG = Path(__file__).resolve().parent.parent / "models" / "tagger.json"


class ParagraphLabeler:
    name = "paragraphs"

    def __init__(self, thresholds: dict[str, float] | None = None, version: str = "spans-only") -> None:
        self.thresholds = dict(thresholds or {})
        self.version = version

    @classmethod
    def create(cls) -> "ParagraphLabeler":
        if CONFIG.is_file():
            cfg = json.loads(CONFIG.read_text(encoding="utf-8"))
            return cls(cfg.get("paragraph_thresholds", {}), cfg.get("version", "unknown"))
        return cls()

    def label(self, analysis: Analysis) -> Analysis:
        use_scores = bool(self.thresholds)
        for p in analysis.paragraphs:
            if p.flagged:
                continue
            found: set[str] = set()
            if use_scores:
                found.update(t for t, s in p.scores.items() if s >= self.thresholds.get(t, 2.0))
            for sp in analysis.spans_in(p.start, p.end):
                if use_scores and sp.detector == "tagger":
                    continue  # the tagger speaks through its paragraph probabilities
                found.add(sp.technique)
                p.scores[sp.technique] = max(p.scores.get(sp.technique, 0.0), round(float(sp.score), 4))
            p.techniques = sorted(set(p.techniques) | found)
        return analysis

    def __call__(self, analysis: Analysis) -> Analysis:
        return self.label(analysis)

    def pipe(self, analyses: Iterable[Analysis]) -> Iterator[Analysis]:
        for a in analyses:
            yield self.label(a)
