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

from ..corpus.dedup import duplicates_of
from ..errors import InputError
from ..taxonomy import CATEGORIES, TECHNIQUES
from . import inputs
from .errors import ApiError, status_of
from .queries import (compare_outlets, compared_names, corpus_call, link_preparer, outlet_profile, remove_article,
                      search, story_data, story_search, update_article)
from .render import ANCHOR, article_html, report_assets
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
    return await inputs.read_form(request, 30, f"text too large (the limit is {limit:,} bytes)", "bad form")


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
    fields = {k: _str(form, k) for k in ("text", "title", "outlet", "date", "url", "source", "link")}
    upload = form.get("file")
    limit = request.app.state.settings.max_upload_bytes
    max_chars = request.app.state.settings.core.max_chars
    try:
        if fields["link"].strip() and not fields["text"].strip():
            meta = inputs.clean_meta({**fields, "url": fields["url"] or fields["link"].strip()})
            prepare = link_preparer(request, fields["link"], fields["title"] or None, meta)
        elif isinstance(upload, UploadFile) and upload.filename:
            kind, data, name = await inputs.read_upload(upload, limit)
            if len(data) > limit:
                raise ApiError(413, f"{upload.filename}: too large (the limit is {limit:,} bytes)")

            def prepare() -> Any:
                return inputs.article_of(data, kind, fields, name, max_chars=max_chars)
        else:
            text = fields["text"]
            if not text.strip():
                raise ApiError(400, "paste an article or choose a file")
            if len(text.encode("utf-8", "surrogatepass")) > limit:
                raise ApiError(413, f"text too large (the limit is {limit:,} bytes)")
            kind = "html" if inputs.looks_like_html(text) else "text"

            def prepare() -> Any:
                return inputs.article_of(text, kind, fields, max_chars=max_chars)
        article_id, _ = await analyze_and_store(request, prepare)
    except inputs.UnsupportedInput as e:
        return _page(request, "analyze.html", {"form": fields, "error": str(e)}, status_of(e))
    except ApiError as e:
        return _page(request, "analyze.html", {"form": fields, "error": e.message}, e.status)
    return RedirectResponse(f"/articles/{article_id}", status_code=303)


# -- one article ----------------------------------------------------------------------

@router.get("/articles/{article_id}")
async def article_page(request: Request, article_id: int, fb: int | None = None, edited: int = 0) -> Response:
    notice = f"Thank you: correction #{fb} recorded." if fb else "Saved." if edited else None
    return await _article(request, article_id, notice=notice)


async def _article(request: Request, article_id: int, notice: str | None = None, error: str | None = None,
                   status: int = 200) -> Response:
    analysis = await get_analysis(request, article_id)
    store = store_of(request)
    info = await run_in_threadpool(store.info, article_id) or {}
    duplicates = await corpus_call(request, duplicates_of, article_id)
    reviews = await run_in_threadpool(store.article_feedback, article_id)
    spans = analysis.sorted_spans()
    span_rows = [{"i": i, "start": s.start, "end": s.end, "technique": s.technique,
                  "label": _tlabel(s.technique), "text": analysis.text[s.start:s.end], "score": s.score}
                 for i, s in enumerate(spans)]
    corrections = {(r["start"], r["end"], r["technique"]): _verdict(r) for r in reviews
                   if r.get("technique") and r.get("action") in ("reject", "relabel", "confirm", "adjust")}
    return _page(request, "article.html", {
        "id": article_id, "a": analysis, "info": info, "body": article_html(analysis, corrections=corrections),
        "duplicates": duplicates[:10], "reviews": [{**r, "verdict": _verdict(r),
                                                    "text": analysis.text[r["start"]:r["end"]]} for r in reviews],
        "spans": span_rows, "techniques": TECHNIQUES, "categories": CATEGORIES,
        "paragraph_list": paragraph_list(analysis), "anchor": ANCHOR,
        "annotator": request.cookies.get(ANNOTATOR_COOKIE, "")[:120],
        "notice": notice, "error": error,
    }, status)


ANNOTATOR_COOKIE = "propscan_annotator"
VERDICTS = {"reject": "rejected: not a persuasion technique", "confirm": "confirmed",
            "add": "added (missed by the model)", "adjust": "boundaries adjusted"}


def _tlabel(name: str | None) -> str:
    return TECHNIQUES[name].label if name in TECHNIQUES else (name or "")


def _verdict(row: dict[str, Any]) -> str:
    """What a correction said, in words: 'relabelled as Doubt', 'rejected: ...'."""
    if row.get("action") == "relabel":
        return f"relabelled as {_tlabel(row.get('new_technique'))}"
    return VERDICTS.get(str(row.get("action")), str(row.get("action")))


def paragraph_list(analysis: Any) -> list[dict[str, Any]]:
    """Each paragraph that uses a technique: its techniques (strongest first) and its strongest passage."""
    out = []
    for p in analysis.paragraphs:
        inside = [s for s in analysis.spans if s.start < p.end and s.end > p.start]
        names = set(p.techniques) | {s.technique for s in inside}
        if not names:
            continue
        best = max(inside, key=lambda s: (s.score, -s.start), default=None)
        score = {t: max([p.scores.get(t, 0.0)] + [s.score for s in inside if s.technique == t]) for t in names}
        out.append({"line": p.line, "techniques": [(t, _tlabel(t), score[t]) for t in
                                                    sorted(names, key=lambda t: (-score[t], t))],
                    "best": None if best is None else {"text": analysis.text[best.start:best.end][:300],
                                                       "label": _tlabel(best.technique), "score": best.score}})
    return out


async def _article_form(request: Request, article_id: int, act: Any) -> Response:
    """Run one of the article page's write forms; its errors come back on the article page, with their status."""
    form = await _form(request)
    try:
        _check_write(request, form)
        return await act(form)
    except ApiError as e:
        if e.status == 404:
            raise
        return await _article(request, article_id, error=e.message, status=e.status)
    except InputError as e:
        return await _article(request, article_id, error=str(e), status=400)


@router.post("/articles/{article_id}/feedback")
async def feedback_form(request: Request, article_id: int) -> Response:
    async def act(form: FormData) -> Response:
        analysis = await get_analysis(request, article_id)
        action = _str(form, "action")
        note = _str(form, "note")
        annotator = _str(form, "annotator").strip()[:120]
        if action in ("wrong", "relabel"):
            spans = analysis.sorted_spans()
            try:
                span = spans[int(_str(form, "span"))]
            except (ValueError, IndexError):
                raise ApiError(422, "choose one of the highlighted spans") from None
            got = await record_feedback(request, article_id, action, span.start, span.end, span.technique,
                                        _str(form, "new_technique") or None, note, annotator=annotator)
        elif action == "add":
            quote = _str(form, "quote")
            hint = _hint(analysis, _str(form, "line"), _str(form, "pos"))
            found = article_offsets(analysis.text, quote, hint)
            if found is None:
                raise ApiError(422, "select (or paste) a passage that appears in the article text")
            got = await record_feedback(request, article_id, "add", found[0], found[1],
                                        _str(form, "technique") or None, None, note, annotator=annotator)
        else:
            raise ApiError(422, "choose what to correct")
        response = RedirectResponse(f"/articles/{article_id}?fb={got['id']}#feedback", status_code=303)
        if annotator:  # remembered for the next correction, on this browser only
            response.set_cookie(ANNOTATOR_COOKIE, annotator, max_age=365 * 86400, samesite="strict", httponly=True,
                                secure=request.app.state.settings.secure_cookies)
        return response

    return await _article_form(request, article_id, act)


# -- curation: correct outlet, date, title; delete ---------------------------------------

@router.post("/articles/{article_id}/edit")
async def edit_form(request: Request, article_id: int) -> Response:
    async def act(form: FormData) -> Response:
        fields = {k: _str(form, k).strip() for k in ("outlet", "date", "title")}
        info = await run_in_threadpool(store_of(request).info, article_id)
        if info is None:
            raise ApiError(404, f"no article with id {article_id}")
        changed = {k: v for k, v in fields.items() if v != (info.get(k) or "")}
        if not changed:
            raise ApiError(422, "nothing changed")
        await update_article(request, article_id, changed)
        return RedirectResponse(f"/articles/{article_id}?edited=1", status_code=303)

    return await _article_form(request, article_id, act)


@router.get("/articles/{article_id}/delete")
async def delete_confirm(request: Request, article_id: int) -> Response:
    info = await run_in_threadpool(store_of(request).info, article_id)
    if info is None:
        raise ApiError(404, f"no article with id {article_id}")
    reviews = await run_in_threadpool(store_of(request).article_feedback, article_id)
    return _page(request, "delete.html", {"id": article_id, "info": info, "n_feedback": len(reviews)})


@router.post("/articles/{article_id}/delete")
async def delete_form(request: Request, article_id: int) -> Response:
    form = await _form(request)
    _check_write(request, form)
    await remove_article(request, article_id)
    return RedirectResponse(f"/articles?deleted={article_id}", status_code=303)


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
    qp = request.query_params
    f = {k: qp.get(k, "").strip()[:500] for k in ("outlet", "date_from", "date_to", "technique", "genre",
                                                  "language", "q")}
    page = _page_number(qp.get("page", "1"))
    story = qp.get("story", "")
    f["story"] = story if story.isdigit() else ""
    error = None
    total, items = 0, []
    try:
        extra: dict[str, Any] = {"story": int(f["story"])} if f["story"] else {}
        date_from, date_to = _date(f["date_from"], "from"), _date(f["date_to"], "to")

        async def fetch(offset: int) -> dict[str, Any]:
            return await search(request, outlet=f["outlet"] or None, date_from=date_from, date_to=date_to,
                                technique=f["technique"] or None, genre=f["genre"] or None,
                                language=f["language"] or None, q=f["q"] or None, offset=offset, limit=PER_PAGE,
                                **extra)

        page, res = await _clamped(fetch, page)
        total, items = res["total"], res["items"]
    except (ApiError, InputError) as e:
        error = e.message if isinstance(e, ApiError) else str(e)
    pages = max(1, math.ceil(total / PER_PAGE))
    keep = {k: v for k, v in f.items() if v}

    deleted = qp.get("deleted", "")
    return _page(request, "articles.html", {
        "f": f, "items": items, "total": total, "page": page, "pages": pages, "error": error,
        **_pager("/articles", keep, page, pages),
        "notice": f"Article #{deleted} deleted." if deleted.isdigit() else None,
        "techniques": TECHNIQUES, "genres": GENRES, "outlets": await _outlet_names(request),
    }, 400 if error else 200)


def _page_number(value: str) -> int:
    try:
        return max(1, int(value))
    except ValueError:
        return 1


async def _clamped(fetch: Any, page: int) -> tuple[int, dict[str, Any]]:
    """Fetch one page; a page past the end shows the last page (not "page 999 of 5")."""
    res = await fetch((page - 1) * PER_PAGE)
    last = max(1, math.ceil(res["total"] / PER_PAGE))
    if page > last:
        page = last
        res = await fetch((page - 1) * PER_PAGE)
    return page, res


def _pager(base: str, keep: dict[str, Any], page: int, pages: int) -> dict[str, str | None]:
    def link(p: int) -> str:
        return base + "?" + urlencode({**keep, "page": p})

    return {"prev": link(page - 1) if page > 1 else None, "next": link(page + 1) if page < pages else None}


async def _outlet_names(request: Request) -> list[str]:
    rows = await run_in_threadpool(store_of(request).outlets)
    return [o["outlet"] for o in rows if o["outlet"]][:500]


# -- stories ------------------------------------------------------------------------

@router.get("/stories")
async def stories_page(request: Request) -> Response:
    qp = request.query_params
    f = {k: qp.get(k, "").strip()[:255] for k in ("outlet", "date_from", "date_to", "technique", "min_size")}
    page = _page_number(qp.get("page", "1"))
    error, total, items = None, 0, []
    try:
        min_size = int(f["min_size"]) if f["min_size"] else 1
        if min_size < 1:
            raise ApiError(400, f"size: at least 1 article, not {min_size}")
        date_from, date_to = _date(f["date_from"], "from"), _date(f["date_to"], "to")

        async def fetch(offset: int) -> dict[str, Any]:
            return await story_search(request, outlet=f["outlet"] or None, date_from=date_from, date_to=date_to,
                                      technique=f["technique"] or None, min_size=min_size, offset=offset,
                                      limit=PER_PAGE)

        page, res = await _clamped(fetch, page)
        total, items = res["total"], res["items"]
    except ValueError:
        error = f"size: a whole number of articles, not {f['min_size']!r}"
    except (ApiError, InputError) as e:
        error = e.message if isinstance(e, ApiError) else str(e)
    pages = max(1, math.ceil(total / PER_PAGE))
    return _page(request, "stories.html", {
        "f": f, "items": items, "total": total, "page": page, "pages": pages, "error": error,
        **_pager("/stories", {k: v for k, v in f.items() if v}, page, pages),
        "techniques": TECHNIQUES, "outlets": await _outlet_names(request),
    }, 400 if error else 200)


@router.get("/stories/{story_id}")
async def story_page(request: Request, story_id: int) -> Response:
    from .chart import timeline

    story = await story_data(request, story_id)
    view = story_profile_table(story)
    events = [e for e in story.get("timeline", []) if e.get("date")]
    return _page(request, "story.html", {
        "s": story, "table": view, "anchor": ANCHOR, "techniques": TECHNIQUES, "categories": CATEGORIES,
        "timeline": timeline(events) if events else None, "distinct": story.get("distinct", {}),
        "shared": story.get("shared", []),
    })


def story_profile_table(story: dict[str, Any]) -> dict[str, Any]:
    """Rows by category then technique, one column per outlet: (count, rate per 1,000 words) in each cell."""
    profiles = {p["outlet"]: p for p in story.get("profiles", [])}
    outlets = [o["outlet"] for o in story.get("outlets", [])]
    used: dict[str, set[str]] = {}
    for o in outlets:
        for t in profiles.get(o, {}).get("span_counts", {}):
            used.setdefault(TECHNIQUES[t].category if t in TECHNIQUES else "other", set()).add(t)

    def cell(o: str, names: list[str], rate: float | None) -> dict[str, Any]:
        counts = profiles.get(o, {}).get("span_counts", {})
        return {"count": sum(int(counts.get(t, 0)) for t in names), "rate": rate}

    rows: list[dict[str, Any]] = []
    for cat in [*CATEGORIES, "other"]:
        names = sorted(used.get(cat, ()), key=lambda t: _tlabel(t))
        if not names:
            continue
        rows.append({"kind": "cat", "name": cat, "label": CATEGORIES[cat].label if cat in CATEGORIES else "Other",
                     "cells": [cell(o, names, profiles.get(o, {}).get("categories", {}).get(cat)) for o in outlets]})
        rows.extend({"kind": "tech", "name": t, "label": _tlabel(t), "category": cat,
                     "cells": [cell(o, [t], profiles.get(o, {}).get("techniques", {}).get(t)) for o in outlets]}
                    for t in names)
    top = max([c["rate"] or 0.0 for r in rows for c in r["cells"]] + [0.0])
    return {"outlets": outlets, "profiles": profiles, "rows": rows, "top": top or 1.0}


# -- outlets ------------------------------------------------------------------------

@router.get("/compare")
async def compare_page(request: Request) -> Response:
    from .chart import interval_bar

    names = [n for n in request.query_params.getlist("outlet") if n.strip()]
    all_outlets = await _outlet_names(request)
    error, rates = None, []
    if names:
        try:
            rates = await compare_outlets(request, compared_names(names))
        except ApiError as e:
            if e.status == 501:
                raise
            error = e.message
    rows = comparison_rows(rates)
    top = max([hi for r in rows for (_v, _lo, hi, _n) in r["cells"]] + [0.0]) or 1.0
    return _page(request, "compare.html", {
        "names": names, "all_outlets": all_outlets, "rates": rates, "rows": rows, "error": error,
        "bar": lambda v, lo, hi: interval_bar(v, lo, hi, top), "top": top,
    }, 200 if not error else 422)


def comparison_rows(rates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Category and technique rows, each with (rate, low, high, count) per outlet, for techniques any outlet uses."""
    if not rates:
        return []
    used = {t for r in rates for t, v in r.get("techniques", {}).items() if v.get("spans")}
    rows: list[dict[str, Any]] = []

    from ..corpus.profiles import poisson_interval

    def cells(kind: str, name: str) -> list[tuple[float, float, float, int]]:
        out = []
        for r in rates:
            v = r.get(kind, {}).get(name)
            if not v:  # none seen is not "certainly none": the interval of a zero count in its words
                words = int(r.get("n_words") or 0)
                hi = poisson_interval(0)[1] * 1000.0 / words if words else 0.0
                out.append((0.0, 0.0, hi, 0))
                continue
            lo, hi = (v.get("per_1000_ci") or [0.0, 0.0])[:2]
            out.append((float(v.get("per_1000_words", 0.0)), float(lo), float(hi), int(v.get("spans", 0))))
        return out

    for cat, c in CATEGORIES.items():
        names = sorted((t for t in used if t in TECHNIQUES and TECHNIQUES[t].category == cat), key=_tlabel)
        if not names:
            continue
        rows.append({"kind": "cat", "name": cat, "label": c.label, "cells": cells("categories", cat)})
        rows.extend({"kind": "tech", "name": t, "label": _tlabel(t), "category": cat,
                     "cells": cells("techniques", t)} for t in names)
    return rows


@router.get("/outlets")
async def outlets_page(request: Request) -> Response:
    rows = await run_in_threadpool(store_of(request).outlets)
    return _page(request, "outlets.html", {"outlets": rows})


@router.get("/outlets/{name:path}")
async def outlet_page(request: Request, name: str) -> Response:
    from .chart import interval_bar, profile_charts

    profile = await outlet_profile(request, name)
    rows = outlet_rates(profile)
    top = max([r["hi"] for r in rows] + [0.0]) or 1.0
    return _page(request, "outlet.html", {
        "p": profile, "rows": rows, "charts": profile_charts(profile, TECHNIQUES, CATEGORIES),
        "categories": CATEGORIES, "bar": lambda v, lo, hi: interval_bar(v, lo, hi, top),
        "search": "/articles?" + urlencode({"outlet": name}), "stories": "/stories?" + urlencode({"outlet": name}),
        "compare": "/compare?" + urlencode({"outlet": name}),
    })


def outlet_rates(profile: dict[str, Any]) -> list[dict[str, Any]]:
    """Each technique's instances per 1,000 words with a 95% interval, and the share of articles using it."""
    from ..corpus.profiles import poisson_interval

    words = int(profile.get("n_words") or 0)
    scale = 1000.0 / words if words else 0.0
    rows = []
    for t, n in (profile.get("span_counts") or {}).items():
        if t not in TECHNIQUES or not n:
            continue
        lo, hi = poisson_interval(int(n))
        rows.append({"t": TECHNIQUES[t], "count": int(n), "rate": n * scale, "lo": lo * scale, "hi": hi * scale,
                     "articles": round(float(profile.get("techniques", {}).get(t, 0.0)) * profile["n_articles"])})
    return sorted(rows, key=lambda r: (-r["rate"], r["t"].label))


# -- the report's stylesheet and script, served as files so the CSP can forbid inline script ----

@router.get("/assets/report.css")
async def report_css() -> Response:
    css, _ = report_assets()
    return Response(css, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


@router.get("/assets/report.js")
async def report_js() -> Response:
    _, js = report_assets()
    return Response(js, media_type="text/javascript", headers={"Cache-Control": "public, max-age=3600"})

