"""The official SemEval submission formats (2020 Task 11 SI and TC, 2023 Task 3 subtasks 1-3).

Offsets and line numbers are those of the raw input (mapped back through cleanup), so the files
score exactly against gold.
"""

from __future__ import annotations

from ..document import Analysis
from ..taxonomy import to_view
from .base import Writer, raw_span


class Semeval2020SIWriter(Writer):
    """SemEval-2020 Task 11 SI: ``ID<TAB>start<TAB>end``, one line per propagandistic fragment."""

    def write(self, analysis: Analysis) -> None:
        seen: set[tuple[int, int]] = set()
        for s in analysis.sorted_spans():
            a, b = raw_span(analysis, s.start, s.end)
            if (a, b) not in seen:
                seen.add((a, b))
                self.out.write(f"{analysis.article.id}\t{a}\t{b}\n")
        self.out.flush()


class Semeval2020TCWriter(Writer):
    """SemEval-2020 Task 11 TC: ``ID<TAB>technique<TAB>start<TAB>end`` with the 14 2020 names."""

    def write(self, analysis: Analysis) -> None:
        seen: set[tuple[str, int, int]] = set()
        for s in analysis.sorted_spans():
            a, b = raw_span(analysis, s.start, s.end)
            key = (to_view(s.technique, "2020"), a, b)
            if key not in seen:
                seen.add(key)
                self.out.write(f"{analysis.article.id}\t{key[0]}\t{a}\t{b}\n")
        self.out.flush()


class Semeval2023ST3Writer(Writer):
    """SemEval-2023 Task 3 subtask 3: ``ID<TAB>line<TAB>tech,tech`` for every non-empty line."""

    def write(self, analysis: Analysis) -> None:
        art = analysis.article
        for p in analysis.paragraphs:
            line = art.raw_line_of(p.start)
            techs = ",".join(sorted(set(p.techniques)))
            self.out.write(f"{art.id}\t{line}\t{techs}\n")
        self.out.flush()


class Semeval2023ST1Writer(Writer):
    """SemEval-2023 Task 3 subtask 1: ``ID<TAB>genre``."""

    def write(self, analysis: Analysis) -> None:
        genre = analysis.top_genre()
        if genre:
            self.out.write(f"{analysis.article.id}\t{genre}\n")
        self.out.flush()


class Semeval2023ST2Writer(Writer):
    """SemEval-2023 Task 3 subtask 2: ``ID<TAB>frame,frame``."""

    def write(self, analysis: Analysis) -> None:
        self.out.write(f"{analysis.article.id}\t{','.join(analysis.chosen_frames())}\n")
        self.out.flush()
