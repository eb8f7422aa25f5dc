"""CSV: one row per span, ready for a spreadsheet."""

from __future__ import annotations

import csv
from typing import IO

from ..document import Analysis
from ..taxonomy import to_view
from .base import Writer


class CsvWriter(Writer):
    """One row per span, ready for a spreadsheet."""

    FIELDS = ["article_id", "source", "technique", "category", "start", "end", "score", "detector", "text", "evidence"]

    def __init__(self, out: IO[str], taxonomy: str = "2023") -> None:
        super().__init__(out, taxonomy)
        self.csv = csv.writer(out)
        self.csv.writerow(self.FIELDS)

    def write(self, analysis: Analysis) -> None:
        art = analysis.article
        for s in analysis.sorted_spans():
            self.csv.writerow([art.id, art.source, to_view(s.technique, self.taxonomy), s.category, s.start, s.end,
                               f"{s.score:.4f}", s.detector, art.text[s.start:s.end], s.evidence])
        self.out.flush()
