"""Articles from what a web user sends: pasted text, an uploaded .txt/.html file, or an HTML body.

The same readers and cleanup as the CLI are used, so an article analysed on
the web gives the same result as ``propscan analyze``. Nothing here touches
the file system: uploads are read from memory, and their names are only
shown, never used as paths.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..document import Article
from ..errors import EMPTY, UNSUPPORTED, InputError
from ..readers import HTML, SUFFIXES, cleaned
from ..readers.html import article_from_html, looks_like_html as _sniff_html
from ..readers.text import article_from_text, check_text
from .settings import UPLOAD_SUFFIXES

TEXT_TYPES = ("text/plain",)
HTML_TYPES = ("text/html", "application/xhtml+xml")
META_KEYS = ("outlet", "date", "url", "author")


class UnsupportedInput(InputError):
    """A file or body type the app does not read (its kind answers 415)."""

    kind = UNSUPPORTED


def web_id(text: str) -> str:
    return "web-" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def clean_meta(fields: dict[str, Any]) -> dict[str, str]:
    """The optional metadata fields a user may give (outlet, date, url, author), trimmed."""
    out: dict[str, str] = {}
    for k in META_KEYS:
        v = fields.get(k)
        if isinstance(v, str) and v.strip():
            out[k] = v.strip()[:1000]
    if "outlet" in out:
        out["outlet_source"] = "web"  # the store shows where an outlet came from
    return out


def kind_of(filename: str | None, content_type: str | None) -> str:
    """'text' or 'html' for an upload, from its name or else its declared type; 415 otherwise."""
    name = (filename or "").lower()
    ctype = (content_type or "").split(";")[0].strip().lower()
    if name:
        suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
        if suffix in UPLOAD_SUFFIXES:
            return "html" if SUFFIXES[suffix][0] == HTML else "text"
        if suffix:
            raise UnsupportedInput(filename or "", f"unsupported file type {suffix!r} "
                                                   f"(accepted: {', '.join(UPLOAD_SUFFIXES)})")
    if ctype in HTML_TYPES:
        return "html"
    if ctype in TEXT_TYPES or ctype == "":
        return "text"
    raise UnsupportedInput(filename or "upload", f"unsupported content type {ctype!r} (send text or HTML)")


def from_text(text: str, title: str | None = None, source: str = "", meta: dict | None = None,
              clean: bool = True) -> Article:
    text = check_text(text, source or "<text>")  # empty or control characters only: refused
    art = article_from_text(text, web_id(text), source=source or "<web>", title=title or None, meta=meta)
    return cleaned(art, clean)


def from_html(html: str | bytes, title: str | None = None, source: str = "", meta: dict | None = None,
              clean: bool = True) -> Article:
    """Main text and metadata of an HTML page, by the project's HTML reader.

    Bytes are decoded by the reader (HTTP/meta charset, else detection);
    metadata the user gave (outlet, date, ...) wins over what the page says.
    """
    if not (html.strip() if isinstance(html, str) else html.strip()):
        raise InputError(source or "<html>", "empty input", kind=EMPTY)
    digest = html if isinstance(html, str) else html.decode("latin-1")
    url = (meta or {}).get("url")
    art = article_from_html(html, web_id(digest), source=source or url or "<web>", url=url)
    if meta:
        art.meta.update(meta)
    if title:
        art.title = title
    return cleaned(art, clean)


def looks_like_html(text: str) -> bool:
    """A pasted text that is really a web page's source."""
    return _sniff_html(text)
