"""Serialise Analyses: JSON, JSONL, CSV, span lists, the SemEval formats and the HTML report.

One module per kind of output (``json``, ``csv``, ``spans``, ``semeval``, ``html`` with the report it
renders in ``report``); ``registry`` maps format names to writers. The ``semeval*`` and ``spans``
formats report offsets and line numbers of the raw input, so they score exactly against gold.
"""

from __future__ import annotations

from .base import Writer
from .csv import CsvWriter
from .json import JsonlWriter, JsonWriter
from .registry import FORMATS, WRITERS, make_writer
from .semeval import (Semeval2020SIWriter, Semeval2020TCWriter, Semeval2023ST1Writer, Semeval2023ST2Writer,
                      Semeval2023ST3Writer)
from .spans import SpansWriter

__all__ = ["FORMATS", "WRITERS", "CsvWriter", "JsonWriter", "JsonlWriter", "Semeval2020SIWriter",
           "Semeval2020TCWriter", "Semeval2023ST1Writer", "Semeval2023ST2Writer", "Semeval2023ST3Writer",
           "SpansWriter", "Writer", "make_writer"]
