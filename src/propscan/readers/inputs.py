"""The one way in: user inputs (files, folders, record files, stdin, text, bytes) become Articles.

Every door (``propscan analyze`` and ``ingest``, the web app, ``propscan.analyze()``)
reads through here, so an input gives the same Article wherever it is given.
``iter_articles`` yields an Article or an InputError per input, in order, so a
caller can report a bad input and carry on with the rest. ``SUFFIXES`` is the
one table of file suffixes: what a suffix holds and which reader reads it.
Cleanup is applied in one place, ``cleaned``.
"""

from __future__ import annotations

import errno
import importlib
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from ..document import Article
from ..errors import EMPTY, UNREADABLE, InputError, PropscanError
from ..runtime.settings import DEFAULT_MAX_CHARS
from .bound import bound
from .text import DEFAULT_MAX_BYTES, article_from_text, check_text, decode

if TYPE_CHECKING:
    from .records import Columns

# what a file holds: one article as text, one as a web page, or many records (JSONL/CSV)
TEXT, HTML, RECORDS = "text", "html", "records"
# suffix -> (what it holds, "module:function" reading it). A text or HTML reader takes (path, max_bytes)
# and returns the file's Articles (raising InputError for the file); a records reader takes
# (path, max_bytes, columns) and streams Articles and an InputError per bad record. Modules are
# imported on first use so plain-text analysis never pays for HTML extraction.
SUFFIXES: dict[str, tuple[str, str]] = {
    ".txt": (TEXT, "propscan.readers.text:read_text_file"),
    ".text": (TEXT, "propscan.readers.text:read_text_file"),
    ".html": (HTML, "propscan.readers.html:read_html_file"),
    ".htm": (HTML, "propscan.readers.html:read_html_file"),
    ".jsonl": (RECORDS, "propscan.readers.records:iter_jsonl"),
    ".ndjson": (RECORDS, "propscan.readers.records:iter_jsonl"),
    ".csv": (RECORDS, "propscan.readers.records:iter_csv"),
}
# a file with any other suffix is read as text
DEFAULT_SUFFIX = ".txt"


def suffixes(*kinds: str) -> tuple[str, ...]:
    """The suffixes of files holding ``kinds`` (all when none is given), in table order."""
    return tuple(s for s, (kind, _) in SUFFIXES.items() if not kinds or kind in kinds)


def kind_of(path: str | Path) -> str | None:
    """What a file of this name holds, by its suffix (None for a suffix not in the table)."""
    got = SUFFIXES.get(Path(path).suffix.lower())
    return got[0] if got else None


# the articles of a folder: one article a file
FOLDER_SUFFIXES = suffixes(TEXT, HTML)


def _reader(suffix: str) -> tuple[str, Callable[..., Iterable[Article | InputError]]]:
    kind, target = SUFFIXES.get(suffix.lower(), SUFFIXES[DEFAULT_SUFFIX])
    module, _, func = target.partition(":")
    return kind, getattr(importlib.import_module(module), func)


def _folder_files(root: Path) -> tuple[list[Path], list[InputError]]:
    """The article files under ``root``, sorted, and an InputError for each thing that could not be read.

    Why not ``rglob``: it skips broken links, link loops and unreadable
    folders without a word; each of those is reported here instead.
    """
    files: list[Path] = []
    problems: list[InputError] = []
    seen: set[tuple[int, int]] = set()

    def unreadable(e: OSError) -> None:
        problems.append(InputError(str(e.filename), f"cannot read folder ({e.strerror or e})", kind=UNREADABLE))

    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable, followlinks=True):
        try:
            st = os.stat(dirpath)
        except OSError as e:
            unreadable(e)
            dirnames[:] = []
            continue
        if (st.st_dev, st.st_ino) in seen:
            problems.append(InputError(dirpath, "symbolic link loop (folder already read), skipped",
                                       kind=UNREADABLE))
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
                problems.append(InputError(str(f), f"{why}, skipped", kind=UNREADABLE))
    return sorted(files), problems


Input = str | InputError


def expand(paths: Iterable[Input]) -> Iterator[Input]:
    """Folders become their article files, sorted; '-' stays stdin; what cannot be read becomes its InputError.

    Errors given pass through, so ``iter_articles(expand(paths))`` (e.g. with a
    progress bar over the expanded list between) reads each input once.
    """
    for p in paths:
        if isinstance(p, InputError) or p == "-":
            yield p
            continue
        path = Path(p)
        if path.is_dir():
            files, problems = _folder_files(path)
            yield from problems
            if not files and not problems:
                yield InputError(p, "folder holds no .txt or .html articles", kind=EMPTY)
            for f in files:
                yield str(f)
        else:
            yield p


def _read_stdin(max_bytes: int) -> list[Article]:
    data = sys.stdin.buffer.read(max_bytes + 1)
    if len(data) > max_bytes:
        from .text import too_large

        raise too_large("<stdin>", max_bytes)
    from .html import article_from_html, looks_like_html

    if looks_like_html(data):  # e.g. curl URL | propscan analyze -
        return [article_from_html(data, "stdin", source="<stdin>")]
    return [article_from_text(decode(data, "<stdin>"), "stdin", source="<stdin>")]


def read_path(p: str, max_bytes: int = DEFAULT_MAX_BYTES,
              columns: Columns | None = None) -> Iterator[Article | InputError]:
    """One input's Articles as read (not cut, not cleaned); its InputError when the whole input fails.

    A record file streams: one error per bad record, the good ones carry on.
    """
    try:
        if p == "-":
            yield from _read_stdin(max_bytes)
            return
        path = Path(p)
        if not path.exists():
            raise InputError(p, "no such file or folder", kind=UNREADABLE)
        kind, reader = _reader(path.suffix)
        if kind == RECORDS:
            yield from reader(path, max_bytes, columns)
            return
        arts = list(reader(path, max_bytes))
        if not arts:
            raise InputError(p, "no articles found", kind=EMPTY)
        yield from arts
    except InputError as e:
        yield e
    except PropscanError as e:
        yield InputError(p, str(e), kind=e.kind)


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


def cleaned(article: Article, clean: bool = True) -> Article:
    """``article`` with page furniture removed (``propscan.cleanup``) unless ``clean`` is False.

    The one place input cleanup is applied, whichever door the article came in by.
    """
    if not clean:
        return article
    from ..cleanup import clean_article

    return clean_article(article)


def prepared(article: Article, clean: bool = True, max_chars: int = DEFAULT_MAX_CHARS) -> Article:
    """An article as read, cut to what the analyzer takes (``bound``), then cleaned.

    Cut here, before cleanup and before the store hashes it, so a long input
    costs no more than the part analysed and its identity is that part's.
    """
    return cleaned(bound(article, max_chars), clean)


def iter_articles(paths: Iterable[Input], max_bytes: int = DEFAULT_MAX_BYTES, clean: bool = True,
                  columns: Columns | None = None, max_chars: int = DEFAULT_MAX_CHARS) -> Iterator[Article | InputError]:
    """Each input's Articles (cut to ``max_chars``, cleaned unless ``clean`` is False), or its error.

    ``columns`` (a ``records.Columns``) names the fields of JSONL/CSV records.
    """
    for p in expand(paths):
        if isinstance(p, InputError):
            yield p
            continue
        for got in read_path(p, max_bytes, columns):
            yield got if isinstance(got, InputError) else prepared(got, clean, max_chars)


# a string that means to be a path: one word with a folder separator, or ending in a suffix of the table
# (or of other documents a user may name by mistake)
_PATH_LIKE = re.compile(r"[^\s]*(?:[/\\][^\s]*|(?:%s))" % "|".join(map(re.escape, suffixes() + (".json", ".md"))),
                        re.IGNORECASE)


def _names_file(s: str) -> bool:
    """Whether ``s`` is the path of an existing file; text that cannot be a path (too long, NUL) is not one."""
    if "\n" in s or "\0" in s or len(s.encode("utf-8", "surrogatepass")) >= 4096:
        return False
    try:
        return Path(s).is_file()
    except (OSError, ValueError):  # a name too long for the file system, a lone surrogate
        return False


def read_source(source: str | bytes | os.PathLike[str] | Article, clean: bool = True,
                max_bytes: int = DEFAULT_MAX_BYTES, max_chars: int = DEFAULT_MAX_CHARS) -> Article:
    """One Article from text, bytes, a file path or an Article (``propscan.analyze``'s input); InputError if none.

    A string naming an existing file is read as a file; a string that looks
    like a path but names no file is an error rather than a one-word article;
    any other string is the article text, cut to ``max_chars`` and then
    cleaned as a file is (``prepared``). An Article is taken as it is.
    """
    if isinstance(source, Article):
        return source
    if isinstance(source, (bytes, bytearray)):
        source = decode(bytes(source), "<bytes>")
    s = os.fspath(source)
    is_path = isinstance(source, os.PathLike) or _names_file(s)
    if not is_path and "\n" not in s and _PATH_LIKE.fullmatch(s.strip()):
        raise InputError(s, "no such file (give the article text itself, or an existing path)")
    if is_path:
        got = next(iter_articles([s], max_bytes=max_bytes, clean=clean, max_chars=max_chars))
        if isinstance(got, InputError):
            raise got
        return got
    if not s.strip():
        raise InputError("<text>", "empty input", kind=EMPTY)
    return prepared(article_from_text(check_text(s, "<text>"), "text", source="<text>"), clean, max_chars)
