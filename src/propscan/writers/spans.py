"""Span lists: ``ID<TAB>technique<TAB>start<TAB>end`` in raw-input offsets (SemEval-2023 span label files)."""

from __future__ import annotations

from ..document import Analysis
from ..taxonomy import to_view
from .base import Writer, raw_span


class SpansWriter(Writer):
    """``ID<TAB>technique<TAB>start<TAB>end`` (SemEval-2023 span label files)."""

    def write(self, analysis: Analysis) -> None:
        for s in analysis.sorted_spans():
            a, b = raw_span(analysis, s.start, s.end)
            self.out.write(f"{analysis.article.id}\t{to_view(s.technique, self.taxonomy)}\t{a}\t{b}\n")
        self.out.flush()
