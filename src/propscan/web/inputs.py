"""Articles from what a web user sends: pasted text, an uploaded .txt/.html file, or an HTML body.

The one parser of the REST API's and the pages' inputs (``read_form``,
``read_upload``, ``article_of``). The same readers, length cut and cleanup as
the CLI are used (``readers.prepared``), so an article analysed on the web
gives the same result as ``propscan analyze``. Nothing here touches the file
system: uploads are read from memory, and their names are only shown, never
used as paths.
"""

from __future__ import annotations

import hashlib
from typing import Any, Mapping

from fastapi import Request
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException

from ..document import Article
from ..errors import EMPTY, UNSUPPORTED, InputError
from ..readers import DEFAULT_MAX_CHARS, HTML, SUFFIXES, prepared
from ..readers.html import article_from_html, looks_like_html as _sniff_html
from ..readers.text import article_from_text, check_text, decode
from .errors import ApiError
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
              clean: bool = True, max_chars: int = DEFAULT_MAX_CHARS) -> Article:
    """A pasted or uploaded text, cut to ``max_chars`` and then cleaned (``readers.prepared``, as the CLI does)."""
    text = check_text(text, source or "<text>")  # empty or control characters only: refused
    art = article_from_text(text, web_id(text), source=source or "<web>", title=title or None, meta=meta)
    return prepared(art, clean, max_chars)


def from_html(html: str | bytes, title: str | None = None, source: str = "", meta: dict | None = None,
              clean: bool = True, max_chars: int = DEFAULT_MAX_CHARS) -> Article:
    """Main text and metadata of an HTML page, by the project's HTML reader, cut and cleaned like ``from_text``.

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
    return prepared(art, clean, max_chars)


def article_of(body: str | bytes, kind: str, fields: Mapping[str, Any], name: str = "", clean: bool = True,
               max_chars: int = DEFAULT_MAX_CHARS) -> Article:
    """The Article of a request: ``body`` as text or, when ``kind`` is "html", a web page, with the title,
    source and metadata the form or JSON gave (``fields``); an upload's bytes are decoded here, ``name``
    (the file's) being its source when none is given. One builder for the API and the pages alike."""
    title = fields.get("title") or None
    source = fields.get("source") or name
    meta = clean_meta(fields)
    if kind == "html":
        return from_html(body, title, source, meta, clean, max_chars)
    text = decode(body, name or "<body>") if isinstance(body, bytes) else body
    return from_text(text, title, source, meta, clean, max_chars)


async def read_form(request: Request, max_fields: int, too_large: str, bad: str) -> FormData:
    """The request's form: one file at most, no part over the upload limit; a fault is an ApiError (413 for a
    part too large, with the message ``too_large``; 400 ``"{bad}: why"`` otherwise: the API and the pages
    each word their own)."""
    limit = request.app.state.settings.max_upload_bytes
    try:
        return await request.form(max_files=1, max_fields=max_fields, max_part_size=limit + 1)
    except (MultiPartException, StarletteHTTPException) as e:
        message = str(getattr(e, "message", None) or getattr(e, "detail", e))
        if "maximum size" in message:
            raise ApiError(413, too_large) from None
        raise ApiError(400, f"{bad}: {message}") from None


async def read_upload(upload: UploadFile, limit: int) -> tuple[str, bytes, str]:
    """An uploaded file's kind ("text" or "html"; ``UnsupportedInput`` for another), its bytes (``limit + 1``
    at most, so the caller can tell one over the limit) and the name it is shown by."""
    kind = kind_of(upload.filename, upload.content_type)
    data = await upload.read(limit + 1)
    return kind, data, (upload.filename or "upload")[:255]


def looks_like_html(text: str) -> bool:
    """A pasted text that is really a web page's source."""
    return _sniff_html(text)
