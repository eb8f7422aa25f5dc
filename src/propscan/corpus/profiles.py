"""Outlet profiles and trends: technique and category rates, genre mix and frames per outlet and month.

A *rate* is the share of a group's articles in which a technique (or a
category, genre, frame) occurs; ``spans_per_article`` counts span density.
Near-duplicates of an earlier article of the same outlet (re-crawls,
re-posts) are left out so they are not counted twice. Every aggregate is a
GROUP BY in the database, so profiles of millions of articles need no
Python-side scan. The web app charts these same dicts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence, TypedDict

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
                      sa.func.avg(articles.c.n_spans).label("spans"), sa.func.sum(articles.c.n_words).label("words"))
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
                     mean_spans=round(float(r["spans"] or 0), 3), n_words=int(r["words"] or 0),
                     techniques={}, spans_per_article={}, span_counts={}, categories={}, genres={}, frames={})
            groups[key] = g

        def add(query: sa.Select, field: str, label: str, extra: str | None = None) -> None:
            for r in conn.execute(query).mappings():
                g = groups.get(tuple(r[n] for n in names))
                if g is None or not r[label]:
                    continue
                g[field][r[label]] = round(int(r["n"]) / g["n_articles"], 4)
                if extra:
                    g[extra][r[label]] = round(int(r["spans"] or 0) / g["n_articles"], 4)
                    g["span_counts"][r[label]] = int(r["spans"] or 0)

        add(tech, "techniques", "technique", "spans_per_article")
        add(cat, "categories", "category")
        add(gen, "genres", "genre")
        add(fr, "frames", "frame")
    for g in groups.values():
        for field in ("techniques", "spans_per_article", "span_counts", "categories", "genres", "frames"):
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
        return {"outlet": outlet, "n_articles": 0, "n_words": 0, "techniques": {}, "spans_per_article": {},
                "span_counts": {}, "categories": {},
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


# -- outlet comparison: rates per 1,000 words with intervals ----------------------------------------
CONFIDENCE = 0.95
MIN_COMPARE, MAX_COMPARE = 1, 5  # one outlet: its own rates with intervals


class Rate(TypedDict):
    spans: int  # spans (or labelled paragraphs, for paragraph-only labels) in the outlet's articles
    articles: int  # articles using it
    per_1000_words: float
    per_1000_ci: list[float]  # exact (Garwood) Poisson interval on the span count
    share: float  # share of the outlet's articles using it
    share_ci: list[float]  # Wilson interval


class OutletRates(TypedDict):
    outlet: str
    n_articles: int
    n_words: int
    techniques: dict[str, Rate]
    categories: dict[str, Rate]
    frames: dict[str, Rate]
    genres: dict[str, int]


def poisson_interval(count: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Exact interval for a Poisson mean from one observed count (wide for small counts, on purpose)."""
    from scipy.stats import chi2

    a = 1.0 - confidence
    lo = 0.0 if count == 0 else float(chi2.ppf(a / 2, 2 * count) / 2)
    hi = float(chi2.ppf(1 - a / 2, 2 * count + 2) / 2)
    return lo, hi


def wilson_interval(k: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson score interval of a proportion: one article of one gives 0.21-1, not a 100 % line."""
    if n <= 0:
        return 0.0, 1.0
    from scipy.stats import binomtest

    ci = binomtest(int(k), int(n)).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def _rate(spans: int, arts: int, n_articles: int, words: int) -> Rate:
    lo, hi = poisson_interval(spans)
    scale = 1000.0 / words if words else 0.0
    slo, shi = wilson_interval(arts, n_articles)
    return Rate(spans=spans, articles=arts, per_1000_words=round(spans * scale, 3),
                per_1000_ci=[round(lo * scale, 3), round(hi * scale, 3)],
                share=round(arts / n_articles, 4) if n_articles else 0.0, share_ci=[round(slo, 4), round(shi, 4)])


def compare_outlets(store: "Store", names: Sequence[str], include_repeats: bool = False) -> list[OutletRates]:
    """1-5 outlets side by side: each technique, category and frame per 1,000 words and as a share of
    articles, with 95 % intervals; outlets in the order given."""
    names = list(dict.fromkeys(n for n in names if n))
    if not MIN_COMPARE <= len(names) <= MAX_COMPARE:
        from ..errors import InputError

        raise InputError("outlets", f"choose {MIN_COMPARE}-{MAX_COMPARE} different outlets, not {len(names)}")
    cond = _where(None, None, include_repeats) + [articles.c.outlet.in_(names)]
    base = (sa.select(articles.c.outlet, sa.func.count().label("n"), sa.func.sum(articles.c.n_words).label("w"))
            .where(*cond).group_by(articles.c.outlet))
    joined = techniques.join(articles, articles.c.id == techniques.c.article)
    count = sa.func.sum(sa.case((techniques.c.n_spans > 0, techniques.c.n_spans), else_=techniques.c.n_paragraphs))
    tech = (sa.select(articles.c.outlet, techniques.c.technique.label("k"), count.label("spans"),
                      sa.func.count(sa.distinct(techniques.c.article)).label("arts"))
            .select_from(joined).where(*cond).group_by(articles.c.outlet, techniques.c.technique))
    cat = (sa.select(articles.c.outlet, techniques.c.category.label("k"), count.label("spans"),
                     sa.func.count(sa.distinct(techniques.c.article)).label("arts"))
           .select_from(joined).where(*cond).group_by(articles.c.outlet, techniques.c.category))
    fr = (sa.select(articles.c.outlet, frames.c.frame.label("k"), sa.func.count().label("spans"),
                    sa.func.count().label("arts"))
          .select_from(frames.join(articles, articles.c.id == frames.c.article))
          .where(*cond).group_by(articles.c.outlet, frames.c.frame))
    gen = sa.select(articles.c.outlet, articles.c.genre, sa.func.count().label("n")).where(*cond) \
        .group_by(articles.c.outlet, articles.c.genre)
    out: dict[str, OutletRates] = {n: OutletRates(outlet=n, n_articles=0, n_words=0, techniques={}, categories={},
                                                  frames={}, genres={}) for n in names}
    with store.engine.connect() as conn:
        for r in conn.execute(base):
            out[r.outlet]["n_articles"], out[r.outlet]["n_words"] = int(r.n), int(r.w or 0)
        for field, query in (("techniques", tech), ("categories", cat), ("frames", fr)):
            for r in conn.execute(query):
                o = out[r.outlet]
                if r.k:
                    o[field][r.k] = _rate(int(r.spans or 0), int(r.arts), o["n_articles"], o["n_words"])  # type: ignore[literal-required]
        for r in conn.execute(gen):
            if r.genre:
                out[r.outlet]["genres"][r.genre] = int(r.n)
    for o in out.values():
        for field in ("techniques", "categories", "frames"):
            o[field] = dict(sorted(o[field].items(), key=lambda kv: (-kv[1]["per_1000_words"], kv[0])))  # type: ignore[literal-required]
    return [out[n] for n in names]
