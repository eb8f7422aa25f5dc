"""Turn user inputs (files, folders, stdin) into Articles.

``iter_articles`` yields an Article or an InputError per input, in order, so a
caller can report a bad input and carry on with the rest. Readers are chosen
by file suffix from ``READERS``; a reader returns one or more Articles.
"""

from __future__ import annotations

import errno
import importlib
import os
import sys
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ..document import Article
from ..errors import EMPTY, TOO_LARGE, UNREADABLE, InputError, PropscanError
from ..runtime.settings import DEFAULT_MAX_CHARS
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


def _folder_files(root: Path) -> tuple[list[Path], list[tuple[str, str, str]]]:
    """The article files under ``root``, sorted, and (path, kind, problem) for what could not be read.

    Why not ``rglob``: it skips broken links, link loops and unreadable
    folders without a word; each of those is reported here instead.
    """
    files: list[Path] = []
    problems: list[tuple[str, str, str]] = []
    seen: set[tuple[int, int]] = set()

    def unreadable(e: OSError) -> None:
        problems.append((str(e.filename), UNREADABLE, f"cannot read folder ({e.strerror or e})"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable, followlinks=True):
        try:
            st = os.stat(dirpath)
        except OSError as e:
            unreadable(e)
            dirnames[:] = []
            continue
        if (st.st_dev, st.st_ino) in seen:
            problems.append((dirpath, UNREADABLE, "symbolic link loop (folder already read), skipped"))
            dirnames[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        # "Save page as, complete" puts each page's assets (and iframes) in "<page>_files/"
        dirnames[:] = sorted(d for d in dirnames if not d.endswith("_files"))
        for name in filenames:
            f = Path(dirpath) / name
            if name.startswith(".") or f.suffix.lower() not in FOLDER_SUFFIXES:
                continue
            if f.is_file():
                files.append(f)
                continue
            try:
                os.stat(f)
            except OSError as e:
                why = {errno.ENOENT: "broken symbolic link", errno.ELOOP: "symbolic link loop"}.get(
                    e.errno or 0, f"cannot read ({e.strerror or e})")
                problems.append((str(f), UNREADABLE, f"{why}, skipped"))
    return sorted(files), problems


def _problem(path: str, kind: str, problem: str) -> str:
    """An input that failed while expanding, carried through the stream of paths (NUL cannot be in a path)."""
    return f"{path}\0{kind}\0{problem}"


def expand(paths: Iterable[str]) -> Iterator[str]:
    """Folders become their article files, sorted; '-' stays stdin; what cannot be read is reported."""
    for p in paths:
        if p == "-":
            yield p
            continue
        path = Path(p)
        if path.is_dir():
            files, problems = _folder_files(path)
            for where, kind, problem in problems:
                yield _problem(where, kind, problem)
            if not files and not problems:
                yield _problem(p, EMPTY, "folder holds no .txt or .html articles")
            for f in files:
                yield str(f)
        else:
            yield p


def read_path(p: str, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Article]:
    if p == "-":
        data = sys.stdin.buffer.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise InputError("<stdin>", f"too large (over {max_bytes:,} bytes, see --max-bytes)", kind=TOO_LARGE)
        from .html import article_from_html, looks_like_html

        if looks_like_html(data):  # e.g. curl URL | propscan analyze -
            return [article_from_html(data, "stdin", source="<stdin>")]
        text = decode(data, "<stdin>")
        return [article_from_text(text, "stdin", source="<stdin>")]
    if "\0" in p:
        where, kind, problem = p.split("\0", 2)
        raise InputError(where, problem, kind=kind)
    path = Path(p)
    if not path.exists():
        raise InputError(p, "no such file or folder")
    got = _reader(path.suffix)(path, max_bytes)
    arts = [got] if isinstance(got, Article) else list(got)  # readers return one Article or several
    if not arts:
        raise InputError(p, "no articles found")
    return arts


def canonical_source(source: str) -> str:
    """A file's source as its absolute, resolved path (also for a record ``<file>#<id>``); others unchanged.

    Why: the store identifies an article by source and text, and ``in300``,
    its absolute path and ``.`` name the same files.
    """
    if not source or source.startswith("<") or "://" in source:
        return source
    head, sep, tail = source, "", ""
    if not os.path.isfile(source) and "#" in source:
        head, sep, tail = source.rpartition("#")
    try:
        return str(Path(head).resolve()) + sep + tail if os.path.isfile(head) else source
    except (OSError, ValueError, RuntimeError):
        return source


def prepared(article: Article, cleaner: Callable[[Article], Article] | None,
             max_chars: int = DEFAULT_MAX_CHARS) -> Article:
    """An article as read, cut to what the analyzer takes (``analyzer.bound``), then cleaned.

    Cut here, before cleanup and before the store hashes it, so a long input
    costs no more than the part analysed and its identity is that part's.
    """
    from ..analyzer import bound

    article = bound(article, max_chars)
    return cleaner(article) if cleaner else article


def iter_articles(paths: Iterable[str], max_bytes: int = DEFAULT_MAX_BYTES,
                  clean: bool = True, max_chars: int = DEFAULT_MAX_CHARS) -> Iterator[Article | InputError]:
    """Each input's Articles (cut to the analyzer's limit, cleaned unless ``clean`` is False), or its error."""
    cleaner = None
    if clean:
        try:
            from ..cleanup import clean_article as cleaner  # type: ignore[no-redef]
        except ImportError:
            cleaner = None
    for p in expand(paths):
        if "\0" not in p and Path(p).suffix.lower() in (".jsonl", ".ndjson", ".csv") and Path(p).is_file():
            # record files can hold millions of articles: stream them, one error per bad record
            from .records import iter_records

            for got in iter_records(p, max_bytes):
                yield got if isinstance(got, InputError) else prepared(got, cleaner, max_chars)
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
            yield prepared(a, cleaner, max_chars)
