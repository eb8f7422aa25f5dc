"""The REST API under /api: analyse, browse the store, the taxonomy, feedback.

Every analysis is returned as ``Analysis.to_dict()`` (the shape of
``propscan analyze -f json``) with the store's ``id`` added. Errors are JSON
``{"error": {"status", "message"}}`` with a fitting status code.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, StringConstraints, ValidationError, ValidationInfo, field_validator
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ..readers.text import safe_text
from ..store.store import MAX_ID, MAX_OFFSET
from ..taxonomy import CATEGORIES, TECHNIQUES
from . import inputs
from .errors import ApiError, status_of
from .queries import (LINK_PATTERN, MAX_COMPARE, compare_outlets, jsonable, link_preparer, outlet_profile,
                      remove_article, search, store_call, story_data, story_search, update_article)
from .schemas import (AnalysisOut, ArticleInfo, ArticleList, ArticlePatch, Comparison, FeedbackOut, FeedbackRow,
                      NON_BLANK, TECHNIQUE_NAMES, IsoDate, OutletProfile, OutletRow, StoryList, StoryOut, Taxonomy,
                      errors, ok, technique_schema)
from .security import bearer, token_ok
from .service import analyze_and_store, get_analysis, record_feedback, store_of, technique_name

TaxonomyVersion = Literal["2023", "2020"]


def require_token(request: Request) -> None:
    """When PROPSCAN_API_TOKEN is set, writes need ``Authorization: Bearer <token>``."""
    expected = request.app.state.settings.api_token
    if expected and not token_ok(expected, bearer(request)):
        raise ApiError(401, "missing or wrong API token (send Authorization: Bearer <token>)",
                       {"WWW-Authenticate": "Bearer"})


router = APIRouter(prefix="/api", tags=["api"])


def _one_of(field: str, schema: dict[str, Any], *others: str) -> dict[str, Any]:
    """A JSON Schema branch: ``field`` given as ``schema``, each of ``others`` absent or null."""
    return {"required": [field], "properties": {field: schema, **{o: {"type": "null"} for o in others}}}


class AnalyzeIn(BaseModel):
    """The JSON body of POST /api/analyze: exactly one of text, html or link (the code checks the same)."""

    model_config = {"json_schema_extra": {"oneOf": [
        _one_of("text", {"type": "string", "pattern": NON_BLANK}, "html", "link"),
        _one_of("html", {"type": "string", "pattern": NON_BLANK}, "text", "link"),
        _one_of("link", {"type": "string", "pattern": LINK_PATTERN}, "text", "html")]}}

    text: str | None = Field(None, description="article text; the first non-empty line is the title")
    html: str | None = Field(None, description="an HTML page instead of text; its main text is extracted")
    title: str | None = Field(None, max_length=2000)
    source: str | None = Field(None, max_length=2000, description="where the article comes from (URL or name)")
    outlet: str | None = Field(None, max_length=255)
    date: str | None = Field(None, max_length=64, description="publication date, e.g. 2023-05-17")
    url: str | None = Field(None, max_length=2000, description="the article's address (metadata only)")
    link: str | None = Field(None, max_length=2000,
                             description="an http(s) address to fetch and analyse instead of text or html")
    clean: bool = Field(True, description="clean crawler debris (navigation, widgets) before analysis")


class FeedbackIn(BaseModel):
    article_id: int = Field(..., description="the id returned by POST /api/analyze")
    action: Literal["wrong", "relabel", "add"]
    start: int = Field(..., ge=0, description="character offset into the article text (inclusive)")
    end: int = Field(..., gt=0, description="character offset (exclusive)")
    technique: str | None = Field(None, json_schema_extra=technique_schema(
        "the span's technique (wrong, relabel) or the new one (add)"))
    new_technique: str | None = Field(None, json_schema_extra=technique_schema("the right technique (relabel)"))
    note: str = Field("", max_length=2000)
    annotator: str = Field("", max_length=120, description="who made the correction (a name or handle, shown with it)")

    model_config = {"json_schema_extra": {"allOf": [
        {"if": {"properties": {"action": {"const": "add"}}, "required": ["action"]},
         "then": {"anyOf": [_one_of("technique", {"enum": TECHNIQUE_NAMES}),
                            _one_of("new_technique", {"enum": TECHNIQUE_NAMES})]}},
        {"if": {"properties": {"action": {"const": "relabel"}}, "required": ["action"]},
         "then": _one_of("new_technique", {"enum": TECHNIQUE_NAMES})}]}}

    @field_validator("technique", "new_technique")
    @classmethod
    def _known(cls, name: str | None, info: ValidationInfo) -> str | None:
        """A technique name from the enum (or an older name mapped onto one); 422 otherwise."""
        return technique_name(name, info.field_name) if name is not None else None


_ANALYZE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": AnalyzeIn.model_json_schema()},
            "multipart/form-data": {"schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary", "minLength": 1,
                                        "description": ".txt or .html file"},
                               "title": {"type": "string"}, "source": {"type": "string"},
                               "outlet": {"type": "string"}, "date": {"type": "string"}},
                "required": ["file"]}},
            "text/html": {"schema": {"type": "string", "pattern": NON_BLANK}},
            "text/plain": {"schema": {"type": "string", "pattern": NON_BLANK}},
        },
    },
}


def _too_large(n: int, limit: int) -> None:
    if n > limit:
        raise ApiError(413, f"article too large ({n:,} bytes; the limit is {limit:,})")


async def _prepare_from_request(request: Request) -> Any:
    """A callable building the Article, checked for size and type here, run later in the worker."""
    limit = request.app.state.settings.max_upload_bytes
    max_chars = request.app.state.settings.core.max_chars
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
        if sum(x is not None for x in (data.text, data.html, data.link)) != 1:
            raise ApiError(422, 'give exactly one of "text", "html" or "link"')
        fields = data.model_dump()
        if data.link is not None:
            return link_preparer(request, data.link, data.title, inputs.clean_meta(fields))
        body = data.text if data.text is not None else data.html or ""
        _too_large(len(body.encode("utf-8", "surrogatepass")), limit)
        if not body.strip():
            raise ApiError(400, "empty article")
        kind = "text" if data.text is not None else "html"
        return lambda: inputs.article_of(body, kind, fields, clean=data.clean, max_chars=max_chars)
    if ctype == "multipart/form-data":
        form = await inputs.read_form(request, 20, f"form field too large (the limit is {limit:,} bytes)",
                                      "bad multipart body")
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiError(422, "file: a .txt or .html file is required (multipart field 'file')")
        try:
            kind, data_bytes, name = await inputs.read_upload(upload, limit)
        except inputs.UnsupportedInput as e:
            raise ApiError(status_of(e), str(e)) from None
        _too_large(len(data_bytes), limit)
        form_fields = {k: v for k, v in form.items() if isinstance(v, str)}
        return lambda: inputs.article_of(data_bytes, kind, form_fields, name, max_chars=max_chars)
    if ctype in inputs.HTML_TYPES or ctype in inputs.TEXT_TYPES:
        data_bytes = await request.body()
        _too_large(len(data_bytes), limit)
        kind = "html" if ctype in inputs.HTML_TYPES else "text"
        return lambda: inputs.article_of(data_bytes, kind, {}, max_chars=max_chars)
    raise ApiError(415, f"unsupported content type {ctype or '(none)'!r}: send application/json, "
                        "multipart/form-data (field 'file'), text/html or text/plain")


@router.post("/analyze", dependencies=[Depends(require_token)], openapi_extra=_ANALYZE_BODY,
             summary="Analyse an article (JSON text, html or a link, a file upload, or an HTML/text body) and store it",
             response_model=None,
             responses={**ok(AnalysisOut, "the analysis, stored"),
                        **errors(400, 401, 413, 415, 422, 501, 503, 507, e400="empty, unreadable or unfetchable input",
                                 e503="analysis queue full (by count or bytes), models unavailable, or the store "
                                      "unavailable (read-only, locked, gone)")})
async def analyze(request: Request, taxonomy: TaxonomyVersion = "2023",
                  min_confidence: float | None = Query(
                      None, ge=0.01, le=1.0,
                      description="show a span or paragraph label when its calibrated probability reaches this "
                                  "(default: the model's threshold); applies to this response, the stored "
                                  "analysis keeps the default")) -> Response:
    prepare = await _prepare_from_request(request)
    article_id, analysis = await analyze_and_store(request, prepare)
    from ..analyzer import with_threshold

    return json_response({"id": article_id, **with_threshold(analysis, min_confidence).to_dict(taxonomy)})


@router.get("/articles", summary="Search stored analyses", response_model=None,
            responses={**ok(ArticleList, "one page of matching articles, newest first"),
                       **errors(400, 422, e400="a bad date")})
async def articles(
    request: Request,
    outlet: str | None = Query(None, max_length=255),
    date_from: IsoDate | None = Query(None, description="first publication date, YYYY-MM-DD"),
    date_to: IsoDate | None = Query(None, description="last publication date, YYYY-MM-DD"),
    technique: str | None = Query(None, json_schema_extra=technique_schema("articles using this technique")),
    genre: str | None = Query(None, max_length=32),
    language: str | None = Query(None, max_length=16),
    q: str | None = Query(None, max_length=500, description='words in the title or text; "quoted phrase"'),
    story: int | None = Query(None, ge=1, description="articles about this story (see propscan ingest)"),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    limit: int = Query(50, ge=1, le=200),
) -> dict[str, Any]:
    filters: dict[str, Any] = {"story": story} if story is not None else {}
    return await search(request, outlet=outlet, date_from=date_from, date_to=date_to, technique=technique,
                        genre=genre, language=language, q=q, offset=offset, limit=limit, **filters)


@router.get("/articles/{article_id}", summary="One stored analysis", response_model=None,
            responses={**ok(AnalysisOut, "the stored analysis"), **errors(404, 422)})
async def article(request: Request, article_id: int, taxonomy: TaxonomyVersion = "2023") -> Response:
    analysis = await get_analysis(request, article_id)
    return json_response({"id": article_id, **analysis.to_dict(taxonomy)})


@router.patch("/articles/{article_id}", dependencies=[Depends(require_token)], response_model=None,
              summary="Correct an article's outlet, date or title (fields left out stay as they are)",
              responses={**ok(ArticleInfo, "the article's facts after the change"), **errors(400, 401, 404, 422, 501, 503, 507)})
async def edit_article(request: Request, article_id: int, body: ArticlePatch) -> dict[str, Any]:
    return await update_article(request, article_id, body.model_dump(exclude_unset=True))


@router.delete("/articles/{article_id}", dependencies=[Depends(require_token)], status_code=204,
               response_model=None, summary="Delete an article and the feedback on it",
               responses={204: {"description": "deleted"}, **errors(401, 404, 422, 501, 503, 507)})
async def delete_article(request: Request, article_id: int) -> Response:
    await remove_article(request, article_id)
    return Response(status_code=204)


@router.get("/articles/{article_id}/feedback", summary="Corrections recorded on an article, oldest first",
            response_model=None, responses={**ok(list[FeedbackRow], "the corrections"), **errors(404, 422, 501)})
async def article_feedback(request: Request, article_id: int) -> list[dict[str, Any]]:
    await get_analysis(request, article_id)  # 404 for a missing article, not an empty list
    rows = await store_call(request, "article_feedback", article_id)
    return [jsonable(r) for r in rows]


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


@router.get("/techniques", summary="The taxonomy: techniques with definitions, categories and colours",
            response_model=None, responses=ok(Taxonomy, "categories and techniques"))
async def techniques() -> dict[str, Any]:
    return techniques_payload()


@router.get("/outlets", summary="Outlets in the store", response_model=None,
            responses=ok(list[OutletRow], "every outlet with its article count and dates"))
async def outlets(request: Request) -> list[dict[str, Any]]:
    rows = await run_in_threadpool(store_of(request).outlets)
    return [jsonable(r) for r in rows]


@router.get("/compare", summary="Compare 2-5 outlets: technique rates per 1,000 words with 95% intervals",
            response_model=None,
            responses={**ok(Comparison, "one entry per outlet, in the order asked"), **errors(404, 422, 501)})
async def compare(request: Request, outlet: list[Annotated[str, StringConstraints(pattern=NON_BLANK)]] = Query(
        ..., min_length=2, max_length=MAX_COMPARE, json_schema_extra={"uniqueItems": True},
        description=f"an outlet name; repeat 2-{MAX_COMPARE} times, each a different outlet")) -> dict[str, Any]:
    if len(set(outlet)) < len(outlet):
        raise ApiError(422, "outlet: the same outlet is named twice")
    return {"outlets": await compare_outlets(request, outlet)}


@router.get("/outlets/{name:path}", summary="An outlet's technique profile by month", response_model=None,
            responses={**ok(OutletProfile, "overall and month-by-month rates"), **errors(404, 422)})
async def outlet(request: Request, name: str) -> dict[str, Any]:
    return await outlet_profile(request, name)


@router.post("/feedback", dependencies=[Depends(require_token)], status_code=201, response_model=None,
             summary="Correct the model: mark a span wrong, relabel it, or add a missed span",
             responses={**ok(FeedbackOut, "the correction, recorded", 201),
                        **errors(400, 401, 404, 422, 503, 507, e400="a body that is not JSON",
                                 e404="no such article", e422="invalid correction")})
async def feedback(request: Request, body: FeedbackIn) -> dict[str, Any]:
    return await record_feedback(request, body.article_id, body.action, body.start, body.end, body.technique,
                                 body.new_technique, body.note, annotator=body.annotator)


# -- stories ----------------------------------------------------------------------------

@router.get("/stories", summary="Stories (articles on the same events), largest first, with filters",
            response_model=None, responses={**ok(StoryList, "one page of stories"), **errors(400, 422, 501)})
async def stories(
    request: Request,
    outlet: str | None = Query(None, max_length=255, description="stories with an article from this outlet"),
    date_from: IsoDate | None = Query(None, description="stories running on or after this date"),
    date_to: IsoDate | None = Query(None, description="stories running on or before this date"),
    technique: str | None = Query(None, json_schema_extra=technique_schema(
        "stories with an article using this technique")),
    min_size: int = Query(1, ge=1, le=MAX_ID, description="at least this many articles"),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    limit: int = Query(50, ge=1, le=200),
) -> dict[str, Any]:
    return await story_search(request, outlet=outlet, date_from=date_from, date_to=date_to, technique=technique,
                              min_size=min_size, offset=offset, limit=limit)


@router.get("/stories/{story_id}",
            summary="One story: its articles side by side by outlet, what differs, what is shared",
            response_model=None, responses={**ok(StoryOut, "the story"), **errors(404, 422, 501)})
async def story(request: Request, story_id: int) -> dict[str, Any]:
    return await story_data(request, story_id)
