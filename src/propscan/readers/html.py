"""Saved web pages: main text and metadata extracted with trafilatura.

A page is mostly not the article (navigation, widgets, comments, footers);
trafilatura finds the main text and the metadata (title, author, date, site,
canonical URL). The Article text follows the SemEval layout, title line, blank
line, then one paragraph per line, so paragraph labels work the same as for
text files; propscan's own cleanup then removes what extraction left behind.
Offsets of an HTML article refer to this extracted text (``Article.raw_text``
after cleanup), not to the HTML source.

trafilatura (and lxml) are imported on first use: plain-text analysis never
pays for them.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from ..document import Article
from ..errors import InputError, BINARY, EMPTY
from .text import DEFAULT_MAX_BYTES, article_id, read_bytes

_WS = re.compile(r"[ \t\u00a0\u200b]+")
_HTML_SNIFF = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title)\b",
                         re.IGNORECASE | re.DOTALL)
_CHARSET = re.compile(rb"<meta[^>]{0,200}charset\s*=\s*[\"']?\s*([\w:.-]{1,40})", re.IGNORECASE)
_logging_quietened = False


def looks_like_html(data: bytes | str) -> bool:
    """True for a document that starts like an HTML page (for inputs without a telling suffix)."""
    head = data[:2048] if isinstance(data, bytes) else data[:2048].encode("utf-8", "replace")
    return _HTML_SNIFF.match(head) is not None


def _quieten_logging() -> None:
    # trafilatura and htmldate log every page they find hard; a CLI user sees
    # propscan's own one-line message instead
    global _logging_quietened
    if not _logging_quietened:
        for name in ("trafilatura", "htmldate", "courlan", "justext", "charset_normalizer"):
            logging.getLogger(name).addHandler(logging.NullHandler())
            logging.getLogger(name).propagate = False
        _logging_quietened = True


def decode_html(data: bytes, source: str, charset: str | None = None) -> str:
    """HTML bytes to text: the HTTP charset, else the page's <meta charset>, else detection."""
    from .text import decode

    if not data.strip():
        raise InputError(source, "empty input", kind=EMPTY)
    if data.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
        return decode(data, source)  # a UTF-16/32 byte-order mark says more than any declaration
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    declared = charset
    if declared is None:
        m = _CHARSET.search(data[:4096])
        declared = m.group(1).decode("ascii", "ignore") if m else None
    if declared:
        try:
            text = data.decode(declared)
        except (LookupError, UnicodeDecodeError):
            pass
        else:
            if "\x00" in text[:8192]:
                raise InputError(source, "looks binary (NUL bytes), not a web page", kind=BINARY)
            return text
    return decode(data, source)


def _lines(text: str) -> list[str]:
    out = []
    for line in text.split("\n"):
        line = _WS.sub(" ", line).strip()
        if line:
            out.append(line)
    return out


def _bare(html: str, url: str | None, **options: Any) -> Any:
    import trafilatura

    try:
        return trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                           include_tables=True, deduplicate=False, **options)
    except Exception:  # trafilatura on hostile markup: fall back, never crash
        return None


def _body_lines(doc: Any) -> list[str]:
    body = getattr(doc, "raw_text", None) or getattr(doc, "text", None) or ""
    if getattr(doc, "body", None) is not None:
        try:
            from trafilatura.xml import xmltotxt

            body = xmltotxt(doc.body, include_formatting=False) or body
        except Exception:
            pass
    return _lines(body)


def extract(html: str, url: str | None = None) -> tuple[str, list[str], dict[str, Any]]:
    """(title, paragraphs, metadata) of a page; empty paragraphs if nothing was found."""
    _quieten_logging()
    meta: dict[str, Any] = {}
    title = ""
    paragraphs: list[str] = []
    doc = _bare(html, url)
    if doc is not None:
        paragraphs = _body_lines(doc)
        if len(paragraphs) <= 1:
            # on short pages trafilatura may fall back to a flat extraction that
            # loses the paragraph breaks; the precise extractor keeps them
            precise = _bare(html, url, favor_precision=True)
            if precise is not None and len(_body_lines(precise)) > len(paragraphs):
                doc, paragraphs = precise, _body_lines(precise)
        title = " ".join((doc.title or "").split())
        for key, attr in (("author", "author"), ("date", "date"), ("outlet", "sitename"), ("url", "url"),
                          ("description", "description")):
            value = getattr(doc, attr, None)
            if value:
                meta[key] = " ".join(str(value).split())
        if "outlet" in meta:
            meta["outlet_source"] = "site_name"  # og:site_name, the publisher in JSON-LD, <meta name=...>
        elif getattr(doc, "hostname", None):
            meta["outlet"] = doc.hostname
            meta["outlet_source"] = "url"
    if not paragraphs:
        try:
            from trafilatura import html2txt

            paragraphs = _lines(html2txt(html) or "")
        except Exception:
            paragraphs = []
    if url and "url" not in meta:
        meta["url"] = url
    return title, paragraphs, meta


def article_from_html(data: bytes | str, id: str, source: str, url: str | None = None,
                      charset: str | None = None) -> Article:
    """One Article from a page: title, blank line, one paragraph per line."""
    html = data if isinstance(data, str) else decode_html(data, source, charset)
    if not html.strip():
        raise InputError(source, "empty input", kind=EMPTY)
    title, paragraphs, meta = extract(html, url)
    if paragraphs and title and paragraphs[0] == title:
        paragraphs = paragraphs[1:]  # the <h1> repeats the title
    if not title and paragraphs:
        title, paragraphs = paragraphs[0], paragraphs[1:]
    if sum(ch.isalnum() for ch in title) + sum(ch.isalnum() for p in paragraphs for ch in p) < 8:
        raise InputError(source, "no article text found in the page", kind=EMPTY)
    text = title + "\n\n" + "\n".join(paragraphs) if paragraphs else title
    meta = {k: v for k, v in meta.items() if v}
    meta["format"] = "html"
    return Article(id=id, text=text, title=title, source=source, meta=meta)


def read_html_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Article]:
    data = read_bytes(path, max_bytes)
    return [article_from_html(data, article_id(path), str(path))]
