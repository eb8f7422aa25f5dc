"""Outlet profiles and trends: technique and category rates, genre mix and frames per outlet and month.

A *rate* is the share of a group's articles in which a technique (or a
category, genre, frame) occurs; ``spans_per_article`` counts span density.
Near-duplicates of an earlier article of the same outlet (re-crawls,
re-posts) are left out so they are not counted twice. Every aggregate is a
GROUP BY in the database, so profiles of millions of articles need no
Python-side scan. The web app charts these same dicts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import sqlalchemy as sa

from ..store.schema import articles, frames, techniques

if TYPE_CHECKING:
    from ..store import Store

GROUPINGS = {
    "outlet": ("outlet",),
    "month": ("month",),
    "outlet_month": ("outlet", "month"),
    "all": (),
}


def _where(outlet: str | None, month: str | None, include_repeats: bool) -> list[Any]:
    cond: list[Any] = []
    if not include_repeats:
        cond.append(articles.c.repeat.is_(False))
    if outlet is not None:
        cond.append(articles.c.outlet == outlet)
    if month is not None:
        cond.append(articles.c.month == month)
    return cond


def group_profiles(store: "Store", by: str = "outlet", outlet: str | None = None, month: str | None = None,
                   include_repeats: bool = False) -> list[dict[str, Any]]:
    """One profile per group (``by``: outlet, month, outlet_month or all), largest/earliest first."""
    if by not in GROUPINGS:
        raise ValueError(f"by must be one of {', '.join(GROUPINGS)}")
    names = GROUPINGS[by]
    keys = [articles.c[n] for n in names]
    cond = _where(outlet, month, include_repeats)
    base = (sa.select(*keys, sa.func.count().label("n"), sa.func.avg(articles.c.score).label("score"),
                      sa.func.avg(articles.c.n_spans).label("spans"))
            .where(*cond).group_by(*keys))
    tech = (sa.select(*keys, techniques.c.technique, sa.func.count().label("n"),
                      sa.func.sum(techniques.c.n_spans).label("spans"))
            .select_from(techniques.join(articles, articles.c.id == techniques.c.article))
            .where(*cond).group_by(*keys, techniques.c.technique))
    cat = (sa.select(*keys, techniques.c.category, sa.func.count(sa.distinct(techniques.c.article)).label("n"))
           .select_from(techniques.join(articles, articles.c.id == techniques.c.article))
           .where(*cond).group_by(*keys, techniques.c.category))
    gen = sa.select(*keys, articles.c.genre, sa.func.count().label("n")).where(*cond).group_by(*keys, articles.c.genre)
    fr = (sa.select(*keys, frames.c.frame, sa.func.count().label("n"))
          .select_from(frames.join(articles, articles.c.id == frames.c.article))
          .where(*cond).group_by(*keys, frames.c.frame))
    groups: dict[tuple, dict[str, Any]] = {}
    with store.engine.connect() as conn:
        for r in conn.execute(base).mappings():
            key = tuple(r[n] for n in names)
            g: dict[str, Any] = {n: r[n] for n in names}
            g.update(n_articles=int(r["n"]),
                     mean_score=None if r["score"] is None else round(float(r["score"]), 2),
                     mean_spans=round(float(r["spans"] or 0), 3),
                     techniques={}, spans_per_article={}, categories={}, genres={}, frames={})
            groups[key] = g

        def add(query: sa.Select, field: str, label: str, extra: str | None = None) -> None:
            for r in conn.execute(query).mappings():
                g = groups.get(tuple(r[n] for n in names))
                if g is None or not r[label]:
                    continue
                g[field][r[label]] = round(int(r["n"]) / g["n_articles"], 4)
                if extra:
                    g[extra][r[label]] = round(int(r["spans"] or 0) / g["n_articles"], 4)

        add(tech, "techniques", "technique", "spans_per_article")
        add(cat, "categories", "category")
        add(gen, "genres", "genre")
        add(fr, "frames", "frame")
    for g in groups.values():
        for field in ("techniques", "spans_per_article", "categories", "genres", "frames"):
            g[field] = dict(sorted(g[field].items(), key=lambda kv: (-kv[1], kv[0])))
    out = list(groups.values())
    if by == "outlet":
        out.sort(key=lambda g: (-g["n_articles"], g["outlet"]))
    else:
        out.sort(key=lambda g: tuple((g[n] is None, g[n] or "") for n in names))
    return out


def outlet_profile(store: "Store", outlet: str, include_repeats: bool = False) -> dict[str, Any]:
    """One outlet overall and month by month (``months`` in date order; undated articles under None)."""
    overall = group_profiles(store, "all", outlet=outlet, include_repeats=include_repeats)
    if not overall:
        return {"outlet": outlet, "n_articles": 0, "techniques": {}, "spans_per_article": {}, "categories": {},
                "genres": {}, "frames": {}, "mean_score": None, "mean_spans": 0.0, "months": []}
    prof = {"outlet": outlet, **overall[0]}
    prof["months"] = group_profiles(store, "month", outlet=outlet, include_repeats=include_repeats)
    return prof


def trends(store: "Store", outlets: Sequence[str] | None = None,
           include_repeats: bool = False) -> list[dict[str, Any]]:
    """Month-by-month profiles per outlet (all outlets when none are named): the series the web app charts."""
    rows = group_profiles(store, "outlet_month", include_repeats=include_repeats)
    if outlets:
        wanted = set(outlets)
        rows = [r for r in rows if r["outlet"] in wanted]
    return rows
