"""Turn user inputs (files, folders, stdin) into Articles.

``iter_articles`` yields an Article or an InputError per input, in order, so a
caller can report a bad input and carry on with the rest. Readers are chosen
by file suffix from ``READERS``; a reader returns one or more Articles.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ..document import Article
from ..errors import InputError, PropscanError
from .text import DEFAULT_MAX_BYTES, article_from_text, decode, read_text_file

Reader = Callable[[Path, int], Iterable[Article]]

# suffix -> "module:function"; modules are imported on first use so a missing
# optional reader never slows down or breaks plain-text analysis.
READERS: dict[str, str] = {
    ".txt": "propscan.readers.text:read_text_file",
    ".text": "propscan.readers.text:read_text_file",
    ".html": "propscan.readers.html:read_html_file",
    ".htm": "propscan.readers.html:read_html_file",
    ".jsonl": "propscan.readers.records:read_jsonl",
    ".csv": "propscan.readers.records:read_csv",
}
FOLDER_SUFFIXES = (".txt", ".html", ".htm")


def _reader(suffix: str) -> Reader:
    target = READERS.get(suffix.lower(), READERS[".txt"])
    module, _, func = target.partition(":")
    try:
        return getattr(importlib.import_module(module), func)
    except (ImportError, AttributeError):
        return read_text_file  # type: ignore[return-value]


def expand(paths: Iterable[str]) -> Iterator[str]:
    """Folders become their article files, sorted; '-' stays stdin."""
    for p in paths:
        if p == "-":
            yield p
            continue
        path = Path(p)
        if path.is_dir():
            # "Save page as, complete" puts each page's assets (and iframes) in "<page>_files/"
            files = sorted(f for f in path.rglob("*") if f.is_file() and f.suffix.lower() in FOLDER_SUFFIXES
                           and not f.name.startswith(".")
                           and not any(d.endswith("_files") for d in f.relative_to(path).parts[:-1]))
            if not files:
                yield f"{p}\0empty-folder"
            for f in files:
                yield str(f)
        else:
            yield p


def read_path(p: str, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Article]:
    if p == "-":
        data = sys.stdin.buffer.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise InputError("<stdin>", f"too large (over {max_bytes:,} bytes, see --max-bytes)")
        from .html import article_from_html, looks_like_html

        if looks_like_html(data):  # e.g. curl URL | propscan analyze -
            return [article_from_html(data, "stdin", source="<stdin>")]
        text = decode(data, "<stdin>")
        return [article_from_text(text, "stdin", source="<stdin>")]
    if p.endswith("\0empty-folder"):
        raise InputError(p[:-len("\0empty-folder")], "folder holds no .txt or .html articles")
    path = Path(p)
    if not path.exists():
        raise InputError(p, "no such file or folder")
    got = _reader(path.suffix)(path, max_bytes)
    arts = [got] if isinstance(got, Article) else list(got)  # readers return one Article or several
    if not arts:
        raise InputError(p, "no articles found")
    return arts


def iter_articles(paths: Iterable[str], max_bytes: int = DEFAULT_MAX_BYTES,
                  clean: bool = True) -> Iterator[Article | InputError]:
    """Each input's Articles (cleaned unless ``clean`` is False), or its error."""
    cleaner = None
    if clean:
        try:
            from ..cleanup import clean_article as cleaner  # type: ignore[no-redef]
        except ImportError:
            cleaner = None
    for p in expand(paths):
        if Path(p).suffix.lower() in (".jsonl", ".ndjson", ".csv") and Path(p).is_file():
            # record files can hold millions of articles: stream them, one error per bad record
            from .records import iter_records

            for got in iter_records(p, max_bytes):
                yield got if isinstance(got, InputError) or not cleaner else cleaner(got)
            continue
        try:
            arts = read_path(p, max_bytes)
        except InputError as e:
            yield e
            continue
        except PropscanError as e:
            yield InputError(p, str(e))
            continue
        for a in arts:
            yield cleaner(a) if cleaner else a
