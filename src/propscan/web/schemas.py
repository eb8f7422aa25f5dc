"""Response schemas of the REST API, for the OpenAPI document (the contract clients code against).

The routes return plain dicts (an Analysis is JSON already); these models only
describe them, through ``responses=``, so nothing is re-validated or stripped
on the way out. ``extra="allow"`` says that new fields may appear. The store's
own shapes (``corpus.profiles.Rate``, ``corpus.stories.StorySummary``) are
``typing.TypedDict``s, which pydantic cannot read on Python 3.11, hence these.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from ..taxonomy import TECHNIQUES

TECHNIQUE_NAMES = sorted(TECHNIQUES)
#: a name the store keeps: it must have a non-space character (the store collapses whitespace)
NON_BLANK = r"\S"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_only(value: Any) -> Any:
    """Only ``YYYY-MM-DD``: pydantic alone would also take ``0`` (a Unix time) or ``20230517``."""
    if isinstance(value, dt.date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise ValueError("a date must be YYYY-MM-DD")


#: a calendar date as the OpenAPI ``format: date`` states it, and nothing looser
IsoDate = Annotated[dt.date, BeforeValidator(_iso_only)]


def technique_schema(description: str) -> dict[str, Any]:
    """``json_schema_extra`` naming the techniques a field takes (the code checks the same list)."""
    return {"enum": TECHNIQUE_NAMES, "description": description}


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ErrorBody(_Open):
    status: int = Field(..., description="the HTTP status code again")
    message: str = Field(..., description="one line saying what was wrong with the request")


class ErrorOut(_Open):
    error: ErrorBody
    detail: list[dict[str, Any]] | None = Field(None, description="validation errors (422 only)")


class SpanOut(_Open):
    start: int = Field(..., description="character offset into article.text (inclusive)")
    end: int = Field(..., description="character offset (exclusive)")
    technique: str
    category: str
    score: float = Field(..., description="model confidence 0-1")
    detector: str
    evidence: str = Field("", description="why the span was marked")


class ParagraphOut(_Open):
    start: int
    end: int
    line: int = Field(..., description="1-based line of the paragraph in article.text")
    techniques: list[str]
    scores: dict[str, float]
    sources: dict[str, dict[str, float]] = Field(
        {}, description="English (schema 1.2): per technique, the span model's and the paragraph model's calibrated "
                        "probabilities combined into the paragraph's own score ('tagger', 'paragraph_model')")


class ArticleOut(_Open):
    id: str
    title: str
    text: str
    source: str = ""
    language: str = ""
    meta: dict[str, Any] = {}


class AnalysisOut(_Open):
    """``propscan analyze -f json`` with the store's id."""

    id: int = Field(..., description="the store's id: use it in /api/articles/{id} and /api/feedback")
    schema_version: str
    taxonomy: str
    article: ArticleOut
    spans: list[SpanOut]
    paragraphs: list[ParagraphOut]
    genre: dict[str, float] = Field(..., description="probability per genre (opinion, reporting, satire)")
    frames: dict[str, float] = Field(..., description="probability per framing dimension")
    profile: dict[str, Any] = Field(..., description="persuasion profile: counts, rates per 1,000 words, score")
    models: dict[str, str]
    notices: list[str]
    decision: dict[str, Any] = Field(default_factory=dict, description="the threshold labels were shown at "
                                     "(min_confidence, default) and the rule, in words")
    undetected: dict[str, list[str]] = Field(default_factory=dict, description="per level (spans, paragraphs): "
                                             "the techniques these models cannot emit")


class ArticleRow(_Open):
    id: int
    article_id: str
    title: str | None
    outlet: str | None
    date: str | None
    language: str | None
    genre: str | None
    n_spans: int
    score: float | None
    url: str | None
    dup_of: int | None
    story_id: int | None


class ArticleList(_Open):
    total: int = Field(..., description="matching articles in all pages")
    offset: int
    limit: int
    items: list[ArticleRow]


class ArticleInfo(_Open):
    """An article's stored facts (no text, no spans)."""

    id: int
    article_id: str
    title: str | None
    outlet: str | None
    outlet_source: str | None = Field(None, description="where the outlet name came from (meta, byline, url, ...)")
    date: str | None
    language: str | None
    genre: str | None
    n_spans: int
    score: float | None
    story_id: int | None


def _date_or_empty(value: Any) -> Any:
    """A real ``YYYY-MM-DD`` day (kept as the string the store parses), "" or None."""
    if value in ("", None):
        return value
    dt.date.fromisoformat(_iso_only(value))  # 2023-02-30 fits the pattern but is no day
    return value


class ArticlePatch(BaseModel):
    """The fields an analyst may correct; the ones left out stay as they are (at least one is needed)."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    outlet: str | None = Field(None, max_length=255, pattern=NON_BLANK)
    date: Annotated[str | None, BeforeValidator(_date_or_empty), WithJsonSchema(
        {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "enum": [""]}, {"type": "null"}]})] = Field(
        None, description="YYYY-MM-DD; an empty string removes the date")
    title: str | None = Field(None, max_length=2000, pattern=NON_BLANK)


class CategoryOut(_Open):
    name: str
    label: str
    colour: str
    description: str


class TechniqueOut(_Open):
    name: str
    label: str
    category: str
    colour: str
    definition: str
    example: str


class Taxonomy(_Open):
    categories: list[CategoryOut]
    techniques: list[TechniqueOut]


class OutletRow(_Open):
    outlet: str | None
    n_articles: int
    first_date: str | None
    last_date: str | None
    mean_spans: float
    mean_score: float | None


class OutletProfile(_Open):
    outlet: str
    n_articles: int
    mean_score: float | None
    mean_spans: float
    techniques: dict[str, float] = Field(..., description="share of the outlet's articles using each technique")
    spans_per_article: dict[str, float]
    categories: dict[str, float]
    genres: dict[str, float]
    frames: dict[str, float]
    months: list[dict[str, Any]] = Field(..., description="the same rates month by month (undated: month null)")


class Rate(_Open):
    spans: int = Field(..., description="instances in the outlet's articles")
    articles: int = Field(..., description="articles using it")
    per_1000_words: float
    per_1000_ci: list[float] = Field(..., description="95% interval of the rate (exact Poisson)")
    share: float = Field(..., description="share of the outlet's articles using it")
    share_ci: list[float] = Field(..., description="95% interval of the share (Wilson)")


class OutletRates(_Open):
    outlet: str
    n_articles: int
    n_words: int
    techniques: dict[str, Rate]
    categories: dict[str, Rate]
    frames: dict[str, dict[str, Any]]
    genres: dict[str, int]


class Comparison(_Open):
    outlets: list[OutletRates]


class StorySummary(_Open):
    id: int
    title: str | None
    first_date: str | None
    last_date: str | None
    n_articles: int
    n_outlets: int
    outlets: list[str | None] = []


class StoryList(_Open):
    total: int
    offset: int
    limit: int
    items: list[StorySummary]


class PassageOut(_Open):
    article: int = Field(..., description="store id of the article")
    outlet: str | None
    start: int
    end: int
    text: str
    line: int | None


class SharedPassage(_Open):
    claim: str = Field(..., description="the passage that several outlets repeat (as worded in one of them)")
    similarity: float
    passages: list[PassageOut]


class StoryArticle(_Open):
    id: int
    title: str | None
    date: str | None
    genre: str | None
    n_spans: int
    score: float | None
    techniques: dict[str, int]
    categories: dict[str, int]
    frames: list[str]


class StoryOut(StorySummary):
    outlets: list[dict[str, Any]] = Field(..., description="[{outlet, articles: [StoryArticle]}]")
    profiles: list[dict[str, Any]] = Field([], description="per outlet: rates per 1,000 words, genres, frames")
    distinct: dict[str, dict[str, list[str]]] = Field({}, description="techniques and frames only this outlet uses")
    timeline: list[dict[str, Any]] = Field([], description="dated articles, oldest first")
    shared: list[SharedPassage] = Field([], description="passages making the same claim in several outlets")


class FeedbackOut(_Open):
    id: int
    article_id: int
    action: str
    start: int
    end: int
    technique: str | None
    new_technique: str | None
    model_version: str
    text: str
    annotator: str = ""


class FeedbackRow(_Open):
    id: int
    action: str
    start: int
    end: int
    technique: str | None
    new_technique: str | None
    note: str
    annotator: str = ""
    created_at: str | None


def errors(*codes: int, **described: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries for error codes, each with the error schema and a description."""
    default = {400: "bad input", 401: "missing or wrong API token", 404: "not found", 413: "too large",
               415: "unsupported content type", 422: "invalid fields", 501: "not supported by this store or server",
               503: "server busy, or the store unavailable (read-only, locked, gone)",
               507: "the store's disk is full"}
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        out[code] = {"model": ErrorOut, "description": described.get(f"e{code}", default.get(code, "error"))}
    return out


def ok(model: type[BaseModel], description: str, code: int = 200) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": model, "description": description}}
