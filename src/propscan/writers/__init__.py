"""Serialise Analyses: JSON, JSONL, CSV, span lists and the SemEval formats.

Writers stream: each Analysis is written as soon as it is ready, so an
interrupted run keeps what it finished. Writers that need every article at
once (a JSON array, the HTML report) buffer and write at ``close``.
The ``semeval*`` and ``spans`` formats report offsets and line numbers of the
raw input (mapped back through cleanup), so they score exactly against gold.
"""

from __future__ import annotations

import csv
import json
from typing import IO, Callable

from ..document import Analysis
from ..taxonomy import to_view


class Writer:
    """Base: subclasses override ``write`` (and ``close`` when they buffer)."""

    def __init__(self, out: IO[str], taxonomy: str = "2023") -> None:
        self.out = out
        self.taxonomy = taxonomy

    def write(self, analysis: Analysis) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.out.flush()


class JsonWriter(Writer):
    """One JSON object for one article, a JSON array for several."""

    def __init__(self, out: IO[str], taxonomy: str = "2023") -> None:
        super().__init__(out, taxonomy)
        self.items: list[dict] = []

    def write(self, analysis: Analysis) -> None:
        self.items.append(analysis.to_dict(self.taxonomy))

    def close(self) -> None:
        payload = self.items[0] if len(self.items) == 1 else self.items
        json.dump(payload, self.out, ensure_ascii=False, indent=2)
        self.out.write("\n")
        super().close()


class JsonlWriter(Writer):
    def write(self, analysis: Analysis) -> None:
        self.out.write(json.dumps(analysis.to_dict(self.taxonomy), ensure_ascii=False))
        self.out.write("\n")
        self.out.flush()


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


def _raw_span(analysis: Analysis, start: int, end: int) -> tuple[int, int]:
    art = analysis.article
    return art.to_raw(start), art.to_raw(end)


class SpansWriter(Writer):
    """``ID<TAB>technique<TAB>start<TAB>end`` (SemEval-2023 span label files)."""

    def write(self, analysis: Analysis) -> None:
        for s in analysis.sorted_spans():
            a, b = _raw_span(analysis, s.start, s.end)
            self.out.write(f"{analysis.article.id}\t{to_view(s.technique, self.taxonomy)}\t{a}\t{b}\n")
        self.out.flush()


class Semeval2020SIWriter(Writer):
    """SemEval-2020 Task 11 SI: ``ID<TAB>start<TAB>end``, one line per propagandistic fragment."""

    def write(self, analysis: Analysis) -> None:
        seen: set[tuple[int, int]] = set()
        for s in analysis.sorted_spans():
            a, b = _raw_span(analysis, s.start, s.end)
            if (a, b) not in seen:
                seen.add((a, b))
                self.out.write(f"{analysis.article.id}\t{a}\t{b}\n")
        self.out.flush()


class Semeval2020TCWriter(Writer):
    """SemEval-2020 Task 11 TC: ``ID<TAB>technique<TAB>start<TAB>end`` with the 14 2020 names."""

    def write(self, analysis: Analysis) -> None:
        seen: set[tuple[str, int, int]] = set()
        for s in analysis.sorted_spans():
            a, b = _raw_span(analysis, s.start, s.end)
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
        if analysis.genre:
            best = max(analysis.genre.items(), key=lambda kv: kv[1])[0]
            self.out.write(f"{analysis.article.id}\t{best}\n")
        self.out.flush()


class Semeval2023ST2Writer(Writer):
    """SemEval-2023 Task 3 subtask 2: ``ID<TAB>frame,frame``."""

    threshold = 0.5

    def write(self, analysis: Analysis) -> None:
        chosen = analysis.profile.get("frames_chosen")
        if chosen is None:
            chosen = [f for f, s in analysis.frames.items() if s >= self.threshold]
        self.out.write(f"{analysis.article.id}\t{','.join(chosen)}\n")
        self.out.flush()


def _html_writer(out: IO[str], taxonomy: str = "2023") -> Writer:
    from .html import HtmlWriter

    return HtmlWriter(out, taxonomy)


WRITERS: dict[str, Callable[..., Writer]] = {
    "json": JsonWriter,
    "jsonl": JsonlWriter,
    "csv": CsvWriter,
    "html": _html_writer,
    "spans": SpansWriter,
    "semeval2020-si": Semeval2020SIWriter,
    "semeval2020-tc": Semeval2020TCWriter,
    "semeval2023-st1": Semeval2023ST1Writer,
    "semeval2023-st2": Semeval2023ST2Writer,
    "semeval2023-st3": Semeval2023ST3Writer,
}
FORMATS = tuple(WRITERS)


def make_writer(fmt: str, out: IO[str], taxonomy: str = "2023") -> Writer:
    return WRITERS[fmt](out, taxonomy)
