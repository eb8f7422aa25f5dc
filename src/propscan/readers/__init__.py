"""Reading articles: the one way in, and one module per kind of input.

``inputs`` is the door itself (the suffix table, ``iter_articles`` and
``read_source``, cleanup applied once); ``text``, ``html``, ``records`` and
``fetch`` read one kind of input each, ``bound`` cuts a long article,
``meta`` finds outlet, date and title, ``semeval`` reads the datasets.
"""

from __future__ import annotations

from .inputs import (  # noqa: F401 - the door's public names
    DEFAULT_MAX_BYTES, DEFAULT_MAX_CHARS, DEFAULT_SUFFIX, FOLDER_SUFFIXES, HTML, RECORDS, SUFFIXES, TEXT, Input,
    canonical_source, cleaned, expand, iter_articles, kind_of, prepared, read_path, read_source, suffixes,
)

__all__ = [
    "DEFAULT_MAX_BYTES", "DEFAULT_MAX_CHARS", "DEFAULT_SUFFIX", "FOLDER_SUFFIXES", "HTML", "RECORDS",
    "SUFFIXES", "TEXT", "Input", "canonical_source", "cleaned", "expand", "iter_articles", "kind_of",
    "prepared", "read_path", "read_source", "suffixes"
]
