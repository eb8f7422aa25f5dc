"""Server-rendered pages: analyze, article, corpus search, outlets.

Pages work without JavaScript (plain forms and links); a small script adds
conveniences (picking a span by clicking it, taking a text selection as a
missed span). Every write form carries a CSRF token checked against a
SameSite cookie, on top of the Origin check every write gets.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException

from ..errors import InputError
from ..taxonomy import CATEGORIES, TECHNIQUES
from . import inputs
from .app import ApiError
from .render import article_html, report_assets
from .security import csrf_ok, csrf_token, set_csrf_cookie, token_ok
from .service import analyze_and_store, article_offsets, get_analysis, record_feedback, store_of

router = APIRouter(include_in_schema=False)
PER_PAGE = 25
GENRES = ("opinion", "reporting", "satire")


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    settings = request.app.state.settings
    ctx = {"csrf": csrf_token(request), "need_token": bool(settings.api_token),
           "max_upload_mb": settings.max_upload_bytes / 1_000_000, **context}
    response = request.app.state.templates.TemplateResponse(request, name, ctx, status_code=status)
    set_csrf_cookie(request, response, settings.secure_cookies)
    return response


async def _form(request: Request) -> FormData:
    limit = request.app.state.settings.max_upload_bytes
    try:
        return await request.form(max_files=1, max_fields=30, max_part_size=limit + 1)
    except (MultiPartException, StarletteHTTPException) as e:
        message = str(getattr(e, "message", None) or getattr(e, "detail", e))
        if "maximum size" in message:
            raise ApiError(413, f"text too large (the limit is {limit:,} bytes)") from None
        raise ApiError(400, f"bad form: {message}") from None


def _check_write(request: Request, form: FormData) -> None:
    if not csrf_ok(request, _str(form, "csrf")):
        raise ApiError(403, "the form expired or came from another site: reload the page and try again")
    expected = request.app.state.settings.api_token
    if expected and not token_ok(expected, _str(form, "token")):
        raise ApiError(401, "missing or wrong API token")


def _str(form: FormData, key: str) -> str:
    v = form.get(key)
    return v if isinstance(v, str) else ""


# -- analyze ----------------------------------------------------------------------

@router.get("/")
async def home(request: Request) -> Response:
    return _page(request, "analyze.html", {"form": {}})


@router.post("/analyze")
async def analyze_form(request: Request) -> Response:
    form = await _form(request)
    _check_write(request, form)
    fields = {k: _str(form, k) for k in ("text", "title", "outlet", "date", "url", "source")}
    upload = form.get("file")
    limit = request.app.state.settings.max_upload_bytes
    try:
        if isinstance(upload, UploadFile) and upload.filename:
            kind = inputs.kind_of(upload.filename, upload.content_type)
            data = await upload.read(limit + 1)
            if len(data) > limit:
                raise ApiError(413, f"{upload.filename}: too large (the limit is {limit:,} bytes)")
            name = upload.filename[:255]

            def prepare() -> Any:
                title, source, meta = fields["title"] or None, fields["source"] or name, inputs.clean_meta(fields)
                if kind == "html":
                    return inputs.from_html(data, title, source, meta)
                return inputs.from_text(inputs.decode_upload(data, name), title, source, meta)
        else:
            text = fields["text"]
            if not text.strip():
                raise ApiError(400, "paste an article or choose a file")
            if len(text.encode("utf-8", "surrogatepass")) > limit:
                raise ApiError(413, f"text too large (the limit is {limit:,} bytes)")
            looks_html = inputs.looks_like_html(text)

            def prepare() -> Any:
                build = inputs.from_html if looks_html else inputs.from_text
                return build(text, fields["title"] or None, fields["source"], inputs.clean_meta(fields))
        article_id, _ = await analyze_and_store(request, prepare)
    except inputs.UnsupportedInput as e:
        return _page(request, "analyze.html", {"form": fields, "error": str(e)}, 415)
    except ApiError as e:
        return _page(request, "analyze.html", {"form": fields, "error": e.message}, e.status)
    return RedirectResponse(f"/articles/{article_id}", status_code=303)


# -- one article ----------------------------------------------------------------------

@router.get("/articles/{article_id}")
async def article_page(request: Request, article_id: int, fb: int | None = None) -> Response:
    return await _article(request, article_id, notice=f"Thank you: correction #{fb} recorded." if fb else None)


async def _article(request: Request, article_id: int, notice: str | None = None, error: str | None = None,
                   status: int = 200) -> Response:
    analysis = await get_analysis(request, article_id)
    store = store_of(request)
    info = await run_in_threadpool(getattr(store, "info", lambda _id: None), article_id) or {}
    duplicates = await run_in_threadpool(getattr(store, "duplicates", lambda _id: []), article_id)
    spans = analysis.sorted_spans()
    span_rows = [{"i": i, "start": s.start, "end": s.end, "technique": s.technique,
                  "label": TECHNIQUES[s.technique].label if s.technique in TECHNIQUES else s.technique,
                  "text": analysis.text[s.start:s.end], "score": s.score} for i, s in enumerate(spans)]
    return _page(request, "article.html", {
        "id": article_id, "a": analysis, "info": info, "body": article_html(analysis),
        "duplicates": duplicates[:10],
        "spans": span_rows, "techniques": TECHNIQUES, "categories": CATEGORIES,
        "paragraphs": {p.line: p.start for p in analysis.paragraphs},
        "notice": notice, "error": error,
    }, status)


@router.post("/articles/{article_id}/feedback")
async def feedback_form(request: Request, article_id: int) -> Response:
    form = await _form(request)
    try:
        _check_write(request, form)
        analysis = await get_analysis(request, article_id)
        action = _str(form, "action")
        note = _str(form, "note")
        if action in ("wrong", "relabel"):
            spans = analysis.sorted_spans()
            try:
                span = spans[int(_str(form, "span"))]
            except (ValueError, IndexError):
                raise ApiError(422, "choose one of the highlighted spans") from None
            got = await record_feedback(request, article_id, action, span.start, span.end, span.technique,
                                        _str(form, "new_technique") or None, note)
        elif action == "add":
            quote = _str(form, "quote")
            hint = _hint(analysis, _str(form, "line"), _str(form, "pos"))
            found = article_offsets(analysis.text, quote, hint)
            if found is None:
                raise ApiError(422, "select (or paste) a passage that appears in the article text")
            got = await record_feedback(request, article_id, "add", found[0], found[1],
                                        _str(form, "technique") or None, None, note)
        else:
            raise ApiError(422, "choose what to correct")
    except ApiError as e:
        if e.status == 404:
            raise
        return await _article(request, article_id, error=e.message, status=e.status)
    except InputError as e:
        return await _article(request, article_id, error=str(e), status=400)
    return RedirectResponse(f"/articles/{article_id}?fb={got['id']}#feedback", status_code=303)


def _hint(analysis: Any, line: str, pos: str) -> int | None:
    """Where the browser says the selection starts: its paragraph's line and the offset inside it."""
    if not (line.isdigit() and pos.isdigit()):
        return None
    for p in analysis.paragraphs:
        if p.line == int(line):
            return p.start + int(pos)
    return None


# -- the corpus ---------------------------------------------------------------------

def _date(value: str, field: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ApiError(400, f"{field}: not a date (use YYYY-MM-DD): {value!r}") from None


@router.get("/articles")
async def corpus(request: Request) -> Response:
    from .api import search

    qp = request.query_params
    f = {k: qp.get(k, "").strip()[:500] for k in ("outlet", "date_from", "date_to", "technique", "genre",
                                                  "language", "q")}
    try:
        page = max(1, int(qp.get("page", "1")))
    except ValueError:
        page = 1
    story = qp.get("story", "")
    f["story"] = story if story.isdigit() else ""
    error = None
    total, items = 0, []
    try:
        extra: dict[str, Any] = {"story": int(f["story"])} if f["story"] else {}
        res = await search(request, outlet=f["outlet"] or None, date_from=_date(f["date_from"], "from"),
                           date_to=_date(f["date_to"], "to"), technique=f["technique"] or None,
                           genre=f["genre"] or None, language=f["language"] or None, q=f["q"] or None,
                           offset=(page - 1) * PER_PAGE, limit=PER_PAGE, **extra)
        total, items = res["total"], res["items"]
    except (ApiError, InputError) as e:
        error = e.message if isinstance(e, ApiError) else str(e)
    pages = max(1, math.ceil(total / PER_PAGE))
    keep = {k: v for k, v in f.items() if v}

    def link(p: int) -> str:
        return "/articles?" + urlencode({**keep, "page": p})

    outlets = await run_in_threadpool(store_of(request).outlets)
    return _page(request, "articles.html", {
        "f": f, "items": items, "total": total, "page": page, "pages": pages, "error": error,
        "prev": link(page - 1) if page > 1 else None, "next": link(page + 1) if page < pages else None,
        "techniques": TECHNIQUES, "genres": GENRES, "outlets": [o["outlet"] for o in outlets if o["outlet"]][:500],
    }, 400 if error else 200)


@router.get("/outlets")
async def outlets_page(request: Request) -> Response:
    rows = await run_in_threadpool(store_of(request).outlets)
    return _page(request, "outlets.html", {"outlets": rows})


@router.get("/outlets/{name:path}")
async def outlet_page(request: Request, name: str) -> Response:
    from .chart import profile_charts

    profile = await run_in_threadpool(store_of(request).outlet_profile, name)
    if not profile or not profile.get("n_articles"):
        raise ApiError(404, f"no articles from outlet {name!r}")
    top = [(TECHNIQUES[t], rate, profile.get("spans_per_article", {}).get(t, 0.0))
           for t, rate in profile.get("techniques", {}).items() if t in TECHNIQUES]
    return _page(request, "outlet.html", {
        "p": profile, "top": top, "charts": profile_charts(profile, TECHNIQUES, CATEGORIES),
        "categories": CATEGORIES,
        "cats": [(CATEGORIES[c], r) for c, r in profile.get("categories", {}).items() if c in CATEGORIES],
        "search": "/articles?" + urlencode({"outlet": name}),
    })


# -- the report's stylesheet and script, served as files so the CSP can forbid inline script ----

@router.get("/assets/report.css")
async def report_css() -> Response:
    css, _ = report_assets()
    return Response(css, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


@router.get("/assets/report.js")
async def report_js() -> Response:
    _, js = report_assets()
    return Response(js, media_type="text/javascript", headers={"Cache-Control": "public, max-age=3600"})

