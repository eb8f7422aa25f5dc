"""The Writer base class every output format derives from.

Writers stream: each Analysis is written as soon as it is ready, so an interrupted run keeps what it
finished. Writers that need every article at once (a JSON array, the HTML report) buffer and write at
``close``.
"""

from __future__ import annotations

from typing import IO

from ..document import Analysis


class Writer:
    """Base: subclasses override ``write`` (and ``close`` when they buffer)."""

    def __init__(self, out: IO[str], taxonomy: str = "2023") -> None:
        self.out = out
        self.taxonomy = taxonomy

    def write(self, analysis: Analysis) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.out.flush()


def raw_span(analysis: Analysis, start: int, end: int) -> tuple[int, int]:
    """A span's offsets in the raw input (mapped back through cleanup), as the gold files count them."""
    art = analysis.article
    return art.to_raw(start), art.to_raw(end)
