"""Format name -> writer: the one table the CLI's ``--format`` choices and ``make_writer`` read.

To add a format: write a ``Writer`` subclass in a module named after what it writes and list it here.
"""

from __future__ import annotations

from typing import IO, Callable

from .base import Writer
from .csv import CsvWriter
from .json import JsonlWriter, JsonWriter
from .semeval import (Semeval2020SIWriter, Semeval2020TCWriter, Semeval2023ST1Writer, Semeval2023ST2Writer,
                      Semeval2023ST3Writer)
from .spans import SpansWriter


def _html_writer(out: IO[str], taxonomy: str = "2023") -> Writer:
    from .html import HtmlWriter  # imported on use: it loads Jinja, which building the CLI needs not

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
