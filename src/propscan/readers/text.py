"""Plain-text articles: one file, a folder of them, or stdin.

The format is the SemEval one: title on line 1, a blank line, then the body.
Bytes are decoded as UTF-8 when they are UTF-8, otherwise the encoding is
detected with charset-normalizer; binary and empty inputs are refused with an
error naming the input.
"""

from __future__ import annotations

import codecs
import re
import stat
from pathlib import Path

from ..document import Article
from ..errors import BINARY, EMPTY, TOO_LARGE, UNREADABLE, InputError
from ..runtime.settings import DEFAULT_MAX_BYTES  # the one default (``Settings.max_bytes``)

_ARTICLE_ID = re.compile(r"^article(\w+?)(?:\.txt)?$")


def article_id(path: Path) -> str:
    """``article123.txt`` gives ``123``; any other name gives its stem."""
    m = _ARTICLE_ID.match(path.name)
    return m.group(1) if m else path.stem


# byte-order marks, longest first (the UTF-32 LE mark begins with the UTF-16 LE one)
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_UNSAFE = re.compile("[\x00\ud800-\udfff]")


def safe_text(text: str) -> str:
    """``text`` with NULs and lone surrogates replaced by U+FFFD, one character for one.

    Why: neither can be stored (PostgreSQL refuses NUL, UTF-8 cannot encode a
    lone surrogate) and the tokenizer rejects surrogates; replacing them one
    for one keeps every offset into the text valid.
    """
    return _UNSAFE.sub("\ufffd", text) if _UNSAFE.search(text) else text


def check_text(text: str, source: str) -> str:
    """The text made safe (``safe_text``), refusing empty or control-character-only text."""
    if not text.strip():
        raise InputError(source, "empty input", kind=EMPTY)
    head = text[:8192]
    controls = sum(1 for ch in head if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > max(8, len(head) // 50) or not any(ch.isprintable() and not ch.isspace() for ch in head):
        raise InputError(source, "looks binary (control characters), not a text article", kind=BINARY)
    return safe_text(text)


def decode(data: bytes, source: str) -> str:
    """Bytes to text, refusing what is not text; a byte-order mark names the encoding."""
    if not data.strip():
        raise InputError(source, "empty input", kind=EMPTY)
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return check_text(data[len(bom):].decode(encoding), source)
            except UnicodeDecodeError:
                raise InputError(source, f"not valid {encoding.upper()} despite its byte-order mark",
                                 kind=BINARY) from None
    if b"\x00" in data[:8192]:
        raise InputError(source, "looks binary (NUL bytes), not a text article", kind=BINARY)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is None:
            raise InputError(source, "not UTF-8 and no text encoding could be detected", kind=BINARY) from None
        text = _prefer_cp1252(data, str(best))
    return check_text(text, source)


# languages normally written in Windows-1252 / Latin-1
_WESTERN = frozenset("af an br ca cy da de en es eu fi fo fr ga gl id is it la lb ms nb nl nn no oc pt sv sw wa".split())


def _prefer_cp1252(data: bytes, guess: str) -> str:
    """Windows-1252 when it reads as a Western language, else charset-normalizer's guess.

    On short texts charset-normalizer often picks a Central European code page
    for Western text, turning "£" into "Ł" and "ñ" into "ń"; Windows-1252 is
    by far the commonest legacy encoding of English news.
    """
    try:
        western = data.decode("cp1252")
    except UnicodeDecodeError:
        return guess
    if western == guess:
        return guess
    from ..detect.language import identifier  # the one loaded identifier (``runtime.registry``), not a second copy

    return western if identifier().classify(western)[0] in _WESTERN else guess


def too_large(source: str, limit: int, size: int | None = None) -> InputError:
    """The error for an input over the size limit (the CLI adds which flag raises it)."""
    got = f"{size:,} bytes; the limit is {limit:,}" if size is not None else f"over {limit:,} bytes"
    return InputError(source, f"too large ({got})", kind=TOO_LARGE, option="max_bytes")


def read_bytes(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The file's bytes, never more than ``max_bytes`` read (pipes and devices report no size to check first)."""
    source = str(path)
    try:
        st = path.stat()
        if st.st_size > max_bytes:
            raise too_large(source, max_bytes, st.st_size)
        if stat.S_ISREG(st.st_mode):
            data = path.read_bytes()
        else:  # a pipe or a device: its size says nothing, so read one byte past the limit at most
            with path.open("rb") as f:
                data = f.read(max_bytes + 1)
    except OSError as e:
        raise InputError(source, f"cannot read ({e.strerror or e})", kind=UNREADABLE) from None
    if len(data) > max_bytes:
        raise too_large(source, max_bytes)
    return data


def article_from_text(text: str, id: str, source: str = "", title: str | None = None,
                      meta: dict | None = None) -> Article:
    """An Article from text already in memory; the first non-empty line is the title."""
    art = Article(id=id, text=text, source=source, meta=dict(meta or {}))
    if title is not None:
        art.title = title
    return art


def read_text_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Article]:
    """The file's one Article (a list, as every reader of ``readers.SUFFIXES`` returns)."""
    text = decode(read_bytes(path, max_bytes), str(path))
    return [article_from_text(text, article_id(path), source=str(path))]
