"""What the JSON API and the pages both ask of the store: validated searches, curation, stories, outlets.

Each function takes the request (for its store and settings), checks what the
user gave and raises ``ApiError`` with the status to answer; the API returns
the result as JSON, the pages render it. Store calls run in the thread pool.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from ..corpus import passages, profiles, stories
from ..corpus.profiles import MAX_COMPARE
from ..corpus.update import update
from .errors import ApiError
from .service import store_of, technique_name


async def store_call(request: Request, name: str, *args: Any, **kwargs: Any) -> Any:
    """Call a Store method in the thread pool; 501 when this store lacks it (an older or a custom store)."""
    fn = getattr(store_of(request), name, None)
    if fn is None:
        raise ApiError(501, f"this store does not support {name.replace('_', ' ')}")
    return await run_in_threadpool(lambda: fn(*args, **kwargs))


async def corpus_call(request: Request, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """A corpus view (``propscan.corpus``) of the app's store, in the thread pool."""
    store = store_of(request)
    return await run_in_threadpool(lambda: fn(store, *args, **kwargs))


LINK_PATTERN = r"^\s*[Hh][Tt][Tt][Pp][Ss]?://"


def link_preparer(request: Request, link: str, title: str | None, meta: dict[str, Any]) -> Any:
    """Build the Article by fetching ``link`` server-side (in the analysis worker, never on the event loop)."""
    from . import service

    fetch = getattr(service, "fetch_link", None)
    if fetch is None:
        raise ApiError(501, "this server cannot fetch links")
    link = link.strip()
    if not link.lower().startswith(("http://", "https://")):
        raise ApiError(422, f"link: only http(s) addresses can be fetched, not {link[:80]!r}")
    settings = request.app.state.settings
    allow_private = bool(getattr(settings, "fetch_private", False))

    def prepare() -> Any:
        article = fetch(link, allow_private=allow_private, max_bytes=settings.max_upload_bytes,
                        max_chars=settings.core.max_chars)
        if title:
            article.title = title
        article.meta.update({k: v for k, v in meta.items() if v and k != "link"})
        return article

    return prepare


async def search(request: Request, **filters: Any) -> dict[str, Any]:
    """Search the store with validated filters (shared with the corpus page)."""
    if filters.get("technique"):
        filters["technique"] = technique_name(filters["technique"], "technique")
    if filters.get("date_from") and filters.get("date_to") and filters["date_from"] > filters["date_to"]:
        raise ApiError(422, "date_from is after date_to")
    clean = {k: (v if v != "" else None) for k, v in filters.items()}
    total, rows = await run_in_threadpool(lambda: store_of(request).search(**clean))
    return {"total": int(total), "offset": clean["offset"], "limit": clean["limit"],
            "items": [jsonable(r) for r in rows]}


def jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v) for k, v in dict(row).items()}


async def update_article(request: Request, article_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    """Apply a curation edit (shared with the article page's form); 404 when there is no such article."""
    if not fields:
        raise ApiError(422, "give at least one of outlet, date, title")
    got = await store_call(request, "update_article", article_id, **fields)
    if got is None:
        raise ApiError(404, f"no article with id {article_id}")
    if fields.get("date") is not None:  # re-dated: its story is grouped again at once
        got = await _relinked(request, article_id)
    return jsonable(got)


async def _relinked(request: Request, article_id: int) -> Any:
    """The article's facts after the corpus links what its edit unlinked."""
    await corpus_call(request, update)
    return await run_in_threadpool(store_of(request).info, article_id)


async def remove_article(request: Request, article_id: int) -> None:
    if not await store_call(request, "delete_article", article_id):
        raise ApiError(404, f"no article with id {article_id}")
    await corpus_call(request, update)  # what it held together is grouped again at once




def compared_names(names: list[str]) -> list[str]:
    """2-5 distinct outlet names, in the order given; 422 otherwise (shared with the comparison page)."""
    seen = list(dict.fromkeys(n.strip() for n in names if n and n.strip()))
    if not 2 <= len(seen) <= MAX_COMPARE:
        raise ApiError(422, f"outlet: choose 2 to {MAX_COMPARE} different outlets (got {len(seen)})")
    return seen


async def compare_outlets(request: Request, names: list[str]) -> list[dict[str, Any]]:
    names = compared_names(names)
    known = {o["outlet"] for o in await run_in_threadpool(store_of(request).outlets)}
    missing = [n for n in names if n not in known]
    if missing:
        raise ApiError(404, f"no articles from outlet {missing[0]!r}")
    return list(await corpus_call(request, profiles.compare_outlets, names))


async def story_search(request: Request, *, offset: int, limit: int, min_size: int = 1,
                       **filters: Any) -> dict[str, Any]:
    """Stories matching validated filters, with the total for paging (shared with the story list page)."""
    if filters.get("technique"):
        filters["technique"] = technique_name(filters["technique"], "technique")
    if filters.get("date_from") and filters.get("date_to") and filters["date_from"] > filters["date_to"]:
        raise ApiError(422, "date_from is after date_to")
    given = {k: v for k, v in filters.items() if v not in (None, "")}
    total = await corpus_call(request, stories.count_stories, min_size, **given)
    items = await corpus_call(request, stories.story_list, min_size, limit, offset, **given)
    return {"total": int(total), "offset": offset, "limit": limit, "items": [jsonable(r) for r in items]}


async def story_data(request: Request, story_id: int) -> dict[str, Any]:
    """The story with its shared passages (shared with the story page)."""
    got = await corpus_call(request, stories.story_view, story_id)
    if not got:
        raise ApiError(404, f"no story with id {story_id}")
    got = dict(got)
    got["shared"] = list(await corpus_call(request, passages.shared_passages, story_id))
    return got


async def outlet_profile(request: Request, name: str) -> dict[str, Any]:
    """An outlet's rates overall and by month; 404 when the store holds nothing from it (shared with its page)."""
    profile = await corpus_call(request, profiles.outlet_profile, name)
    if not profile or not profile.get("n_articles"):
        raise ApiError(404, f"no articles from outlet {name!r}")
    return profile
