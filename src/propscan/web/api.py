"""The REST API under /api: analyse, browse the store, the taxonomy, feedback.

Every analysis is returned as ``Analysis.to_dict()`` (the shape of
``propscan analyze -f json``) with the store's ``id`` added. Errors are JSON
``{"error": {"status", "message"}}`` with a fitting status code.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException

from ..readers.text import safe_text
from ..taxonomy import CATEGORIES, TECHNIQUES
from . import inputs
from .app import ApiError
from .security import bearer, token_ok
from .service import analyze_and_store, get_analysis, record_feedback, store_of

Taxonomy = Literal["2023", "2020"]


def require_token(request: Request) -> None:
    """When PROPSCAN_API_TOKEN is set, writes need ``Authorization: Bearer <token>``."""
    expected = request.app.state.settings.api_token
    if expected and not token_ok(expected, bearer(request)):
        raise ApiError(401, "missing or wrong API token (send Authorization: Bearer <token>)",
                       {"WWW-Authenticate": "Bearer"})


router = APIRouter(prefix="/api", tags=["api"])


class AnalyzeIn(BaseModel):
    text: str | None = Field(None, description="article text; the first non-empty line is the title")
    html: str | None = Field(None, description="an HTML page instead of text; its main text is extracted")
    title: str | None = Field(None, max_length=2000)
    source: str | None = Field(None, max_length=2000, description="where the article comes from (URL or name)")
    outlet: str | None = Field(None, max_length=255)
    date: str | None = Field(None, max_length=64, description="publication date, e.g. 2023-05-17")
    url: str | None = Field(None, max_length=2000)
    clean: bool = Field(True, description="clean crawler debris (navigation, widgets) before analysis")


class FeedbackIn(BaseModel):
    article_id: int = Field(..., description="the id returned by POST /api/analyze")
    action: Literal["wrong", "relabel", "add"]
    start: int = Field(..., ge=0, description="character offset into the article text (inclusive)")
    end: int = Field(..., gt=0, description="character offset (exclusive)")
    technique: str | None = Field(None, description="the span's technique (wrong, relabel) or the new one (add)")
    new_technique: str | None = Field(None, description="the right technique (relabel)")
    note: str = Field("", max_length=2000)


_ANALYZE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": AnalyzeIn.model_json_schema()},
            "multipart/form-data": {"schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary",
                                        "description": ".txt or .html file"},
                               "title": {"type": "string"}, "source": {"type": "string"},
                               "outlet": {"type": "string"}, "date": {"type": "string"}},
                "required": ["file"]}},
            "text/html": {"schema": {"type": "string"}},
            "text/plain": {"schema": {"type": "string"}},
        },
    },
}


def _too_large(n: int, limit: int) -> None:
    if n > limit:
        raise ApiError(413, f"article too large ({n:,} bytes; the limit is {limit:,})")


async def _prepare_from_request(request: Request) -> Any:
    """A callable building the Article, checked for size and type here, run later in the worker."""
    limit = request.app.state.settings.max_upload_bytes
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/json":
        try:
            raw = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ApiError(400, "body is not valid JSON") from None
        except RecursionError:
            raise ApiError(400, "body nested too deeply") from None
        if not isinstance(raw, dict):
            raise ApiError(422, 'body must be a JSON object like {"text": "..."}')
        # a "\udXXX" escape gives a lone surrogate, which neither validation nor the store can take
        raw = {k: safe_text(v) if isinstance(v, str) else v for k, v in raw.items()}
        try:
            data = AnalyzeIn.model_validate(raw)
        except ValidationError as e:
            first = e.errors()[0]
            raise ApiError(422, f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from None
        if (data.text is None) == (data.html is None):
            raise ApiError(422, 'give exactly one of "text" or "html"')
        body = data.text if data.text is not None else data.html or ""
        _too_large(len(body.encode("utf-8", "surrogatepass")), limit)
        if not body.strip():
            raise ApiError(400, "empty article")
        meta = inputs.clean_meta(data.model_dump())
        build = inputs.from_text if data.text is not None else inputs.from_html
        return lambda: build(body, data.title, data.source or "", meta, data.clean)
    if ctype == "multipart/form-data":
        try:
            form = await request.form(max_files=1, max_fields=20, max_part_size=limit + 1)
        except (MultiPartException, StarletteHTTPException) as e:
            message = str(getattr(e, "message", None) or getattr(e, "detail", e))
            if "maximum size" in message:
                raise ApiError(413, f"form field too large (the limit is {limit:,} bytes)") from None
            raise ApiError(400, f"bad multipart body: {message}") from None
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiError(422, "file: a .txt or .html file is required (multipart field 'file')")
        kind = _upload_kind(upload)
        data_bytes = await upload.read(limit + 1)
        _too_large(len(data_bytes), limit)
        name = (upload.filename or "upload")[:255]
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        meta = inputs.clean_meta(fields)
        title = fields.get("title") or None
        source = fields.get("source") or name
        if kind == "html":
            return lambda: inputs.from_html(data_bytes, title, source, meta)
        return lambda: inputs.from_text(inputs.decode_upload(data_bytes, name), title, source, meta)
    if ctype in inputs.HTML_TYPES or ctype in inputs.TEXT_TYPES:
        data_bytes = await request.body()
        _too_large(len(data_bytes), limit)
        if ctype in inputs.HTML_TYPES:
            return lambda: inputs.from_html(data_bytes, None, "", {})
        return lambda: inputs.from_text(inputs.decode_upload(data_bytes, "<body>"), None, "", {})
    raise ApiError(415, f"unsupported content type {ctype or '(none)'!r}: send application/json, "
                        "multipart/form-data (field 'file'), text/html or text/plain")


def _upload_kind(upload: UploadFile) -> str:
    try:
        return inputs.kind_of(upload.filename, upload.content_type)
    except inputs.UnsupportedInput as e:
        raise ApiError(415, str(e)) from None


@router.post("/analyze", dependencies=[Depends(require_token)], openapi_extra=_ANALYZE_BODY,
             summary="Analyse an article (JSON text or html, a file upload, or an HTML/text body) and store it",
             responses={400: {"description": "empty or unreadable input"}, 401: {"description": "API token"},
                        413: {"description": "too large"}, 415: {"description": "unsupported type"},
                        422: {"description": "invalid fields"},
                        503: {"description": "analysis queue full (by count or bytes), or the store unavailable "
                                             "(read-only, locked, gone)"},
                        507: {"description": "the store's disk is full"}})
async def analyze(request: Request, taxonomy: Taxonomy = "2023") -> Response:
    prepare = await _prepare_from_request(request)
    article_id, analysis = await analyze_and_store(request, prepare)
    return json_response({"id": article_id, **analysis.to_dict(taxonomy)})


@router.get("/articles", summary="Search stored analyses")
async def articles(
    request: Request,
    outlet: str | None = Query(None, max_length=255),
    date_from: dt.date | None = Query(None, description="first publication date, YYYY-MM-DD"),
    date_to: dt.date | None = Query(None, description="last publication date, YYYY-MM-DD"),
    technique: str | None = Query(None, description="articles using this technique"),
    genre: str | None = Query(None, max_length=32),
    language: str | None = Query(None, max_length=16),
    q: str | None = Query(None, max_length=500, description="words in the title or text"),
    story: int | None = Query(None, ge=1, description="articles about this story (see propscan ingest)"),
    offset: int = Query(0, ge=0),
    limit: int = Query(50, ge=1, le=200),
) -> dict[str, Any]:
    filters: dict[str, Any] = {"story": story} if story is not None else {}
    return await search(request, outlet=outlet, date_from=date_from, date_to=date_to, technique=technique,
                        genre=genre, language=language, q=q, offset=offset, limit=limit, **filters)


async def search(request: Request, **filters: Any) -> dict[str, Any]:
    """Search the store with validated filters (shared with the corpus page)."""
    if filters.get("technique"):
        from .service import technique_name

        filters["technique"] = technique_name(filters["technique"], "technique")
    if filters.get("date_from") and filters.get("date_to") and filters["date_from"] > filters["date_to"]:
        raise ApiError(422, "date_from is after date_to")
    clean = {k: (v if v != "" else None) for k, v in filters.items()}
    total, rows = await run_in_threadpool(lambda: store_of(request).search(**clean))
    return {"total": int(total), "offset": clean["offset"], "limit": clean["limit"],
            "items": [_jsonable(r) for r in rows]}


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v) for k, v in dict(row).items()}


@router.get("/articles/{article_id}", summary="One stored analysis")
async def article(request: Request, article_id: int, taxonomy: Taxonomy = "2023") -> Response:
    analysis = await get_analysis(request, article_id)
    return json_response({"id": article_id, **analysis.to_dict(taxonomy)})


def json_response(payload: dict[str, Any], status: int = 200) -> Response:
    """Plain ``json.dumps``: an Analysis is JSON already, FastAPI's generic encoder would only add time."""
    return Response(json.dumps(payload, ensure_ascii=False), status_code=status, media_type="application/json")


def techniques_payload() -> dict[str, Any]:
    return {
        "categories": [{"name": c.name, "label": c.label, "colour": c.colour, "description": c.description}
                       for c in CATEGORIES.values()],
        "techniques": [{"name": t.name, "label": t.label, "category": t.category,
                        "colour": CATEGORIES[t.category].colour, "definition": t.definition,
                        "example": t.example} for t in TECHNIQUES.values()],
    }


@router.get("/techniques", summary="The taxonomy: techniques with definitions, categories and colours")
async def techniques() -> dict[str, Any]:
    return techniques_payload()


@router.get("/outlets", summary="Outlets in the store")
async def outlets(request: Request) -> list[dict[str, Any]]:
    rows = await run_in_threadpool(store_of(request).outlets)
    return [_jsonable(r) for r in rows]


@router.get("/outlets/{name:path}", summary="An outlet's technique profile by month")
async def outlet(request: Request, name: str) -> dict[str, Any]:
    profile = await run_in_threadpool(store_of(request).outlet_profile, name)
    if not profile or not profile.get("n_articles"):
        raise ApiError(404, f"no articles from outlet {name!r}")
    return profile


@router.post("/feedback", dependencies=[Depends(require_token)], status_code=201,
             summary="Correct the model: mark a span wrong, relabel it, or add a missed span",
             responses={401: {"description": "API token"}, 404: {"description": "no such article"},
                        503: {"description": "the store unavailable (read-only, locked, gone)"},
                        507: {"description": "the store's disk is full"},
                        422: {"description": "invalid correction"}})
async def feedback(request: Request, body: FeedbackIn) -> dict[str, Any]:
    return await record_feedback(request, body.article_id, body.action, body.start, body.end, body.technique,
                                 body.new_technique, body.note)
