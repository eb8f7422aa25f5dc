"""Stories: articles about the same event, grouped by what they say and when.

Each article's title and lede are embedded with the shared MiniLM encoder
(``propscan.embed``, ONNX). An article joins the story whose centroid is most
similar (cosine >= ``threshold``) among the stories active within
``window_days`` of its date; otherwise it starts a new story. Undated
articles are compared with the undated stories. A near-duplicate joins its
original's story. Assignment is incremental and in id order, so ingesting
more articles extends stories without recomputing old ones, and only the
stories near an article's date are loaded, whatever the corpus size.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np
import sqlalchemy as sa

from ..store.schema import articles, embeddings, stories

if TYPE_CHECKING:
    from ..store import Store

THRESHOLD = 0.6  # samples of one event from five outlets score 0.55-0.81 pairwise; unrelated news ~0.2
WINDOW_DAYS = 3
LEDE_CHARS = 600


def lede(text: str, chars: int = LEDE_CHARS) -> str:
    """Title and first paragraphs, whitespace collapsed: what tells which event an article is about."""
    return " ".join(text[:chars * 2].split())[:chars]


def default_embedder() -> Any | None:
    """The shared encoder, or None when its model is absent (stories are then left for later)."""
    try:
        from ..embed import Embedder
        from ..errors import ModelError
    except ImportError:
        return None
    try:
        return Embedder.create()
    except ModelError:
        return None


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


class _Story:
    __slots__ = ("id", "title", "first", "last", "n", "centroid", "dirty")

    def __init__(self, id: int | None, title: str, first: dt.date | None, last: dt.date | None, n: int,
                 centroid: np.ndarray) -> None:
        self.id, self.title, self.first, self.last, self.n = id, title, first, last, n
        self.centroid = centroid
        self.dirty = False

    def near(self, d: dt.date | None, window: dt.timedelta) -> bool:
        if d is None or self.first is None:
            return d is None and self.first is None
        return self.first - window <= d <= self.last + window


def assign_pending(store: "Store", embedder: Any | None = None, threshold: float = THRESHOLD,
                   window_days: int = WINDOW_DAYS, batch: int = 256,
                   embed_fn: Callable[[Sequence[str]], np.ndarray] | None = None) -> int:
    """Give every stored article without a story one (in id order); returns how many were assigned.

    Runs after de-duplication so a near-duplicate can follow its original.
    Returns 0 without doing anything when no encoder is available.
    """
    if embed_fn is None:
        embedder = embedder or default_embedder()
        if embedder is None:
            return 0
        embed_fn = embedder.embed
        model = getattr(embedder, "version", "encoder")
    else:
        model = getattr(embed_fn, "version", "custom")
    window = dt.timedelta(days=window_days)
    done = 0
    while True:
        with store.engine.begin() as conn:
            rows = conn.execute(sa.select(articles.c.id, articles.c.date, articles.c.title, articles.c.dup_of,
                                          articles.c.analysis)
                                .where(articles.c.story_id.is_(None), articles.c.dedup_done.is_(True))
                                .order_by(articles.c.id).limit(batch)).all()
            if not rows:
                return done
            vecs = np.asarray(embed_fn([lede(json.loads(r.analysis)["article"]["text"]) for r in rows]),
                              dtype=np.float32)
            pool = _load_stories(conn, [r.date for r in rows], window)
            for r, v in zip(rows, vecs):
                story = None
                if r.dup_of is not None:
                    sid = conn.execute(sa.select(articles.c.story_id).where(articles.c.id == r.dup_of)).scalar()
                    story = next((s for s in pool if s.id == sid), None) if sid is not None else None
                    if story is None and sid is not None:
                        story = _load_one(conn, sid)
                        if story is not None:
                            pool.append(story)
                if story is None:
                    near = [s for s in pool if s.near(r.date, window)]
                    if near:
                        sims = np.stack([_unit(s.centroid) for s in near]) @ v
                        best = int(np.argmax(sims))
                        if sims[best] >= threshold:
                            story = near[best]
                if story is None:
                    story = _Story(None, r.title, r.date, r.date, 0, np.zeros_like(v))
                    story.id = int(conn.execute(stories.insert().values(
                        title=r.title or "", first_date=r.date, last_date=r.date, n_articles=0,
                        centroid=story.centroid.tobytes()).returning(stories.c.id)).scalar_one())
                    pool.append(story)
                story.centroid = story.centroid + v
                story.n += 1
                if r.date is not None:
                    story.first = min(story.first or r.date, r.date)
                    story.last = max(story.last or r.date, r.date)
                story.dirty = True
                conn.execute(embeddings.insert().values(article=int(r.id), model=model,
                                                        vector=np.asarray(v, np.float32).tobytes()))
                conn.execute(articles.update().where(articles.c.id == r.id).values(story_id=story.id))
            for s in pool:
                if s.dirty:
                    conn.execute(stories.update().where(stories.c.id == s.id).values(
                        first_date=s.first, last_date=s.last, n_articles=s.n,
                        centroid=s.centroid.astype(np.float32).tobytes()))
            done += len(rows)


def _story(row: Any) -> _Story:
    return _Story(int(row.id), row.title, row.first_date, row.last_date, int(row.n_articles),
                  np.frombuffer(row.centroid, dtype=np.float32).copy())


def _load_one(conn: sa.Connection, sid: int) -> _Story | None:
    row = conn.execute(sa.select(stories).where(stories.c.id == sid)).first()
    return _story(row) if row is not None else None


def _load_stories(conn: sa.Connection, dates: list[dt.date | None], window: dt.timedelta) -> list[_Story]:
    """Stories that can take any of these articles: active near their dates, or undated ones."""
    known = [d for d in dates if d is not None]
    cond = []
    if known:
        lo, hi = min(known) - window, max(known) + window
        cond.append(sa.and_(stories.c.last_date >= lo, stories.c.first_date <= hi))
    if any(d is None for d in dates):
        cond.append(stories.c.first_date.is_(None))
    if not cond:
        return []
    return [_story(r) for r in conn.execute(sa.select(stories).where(sa.or_(*cond)).order_by(stories.c.id))]


def story_list(store: "Store", min_articles: int = 1, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    """Stories, largest first: id, title, dates, number of articles and of outlets."""
    n_outlets = (sa.select(articles.c.story_id, sa.func.count(sa.distinct(articles.c.outlet)).label("n_outlets"))
                 .where(articles.c.story_id.is_not(None)).group_by(articles.c.story_id).subquery())
    q = (sa.select(stories.c.id, stories.c.title, stories.c.first_date, stories.c.last_date, stories.c.n_articles,
                   n_outlets.c.n_outlets)
         .join(n_outlets, n_outlets.c.story_id == stories.c.id)
         .where(stories.c.n_articles >= min_articles)
         .order_by(stories.c.n_articles.desc(), n_outlets.c.n_outlets.desc(), stories.c.id)
         .offset(offset).limit(limit))
    with store.engine.connect() as conn:
        return [{"id": int(r.id), "title": r.title, "first_date": _iso(r.first_date), "last_date": _iso(r.last_date),
                 "n_articles": int(r.n_articles), "n_outlets": int(r.n_outlets)} for r in conn.execute(q)]


def _iso(d: Any) -> str | None:
    return d.isoformat() if d is not None else None


def story_view(store: "Store", story_id: int) -> dict[str, Any] | None:
    """One story's articles by outlet, each with its technique profile, genre and frames, side by side."""
    from ..store.schema import frames, techniques

    with store.engine.connect() as conn:
        s = conn.execute(sa.select(stories).where(stories.c.id == int(story_id))).first()
        if s is None:
            return None
        rows = conn.execute(sa.select(articles.c.id, articles.c.title, articles.c.outlet, articles.c.date,
                                      articles.c.genre, articles.c.n_spans, articles.c.score, articles.c.url,
                                      articles.c.language, articles.c.dup_of, articles.c.n_paragraphs,
                                      articles.c.n_flagged_paragraphs)
                            .where(articles.c.story_id == s.id)
                            .order_by(articles.c.outlet, articles.c.date.asc().nullslast(), articles.c.id)).all()
        ids = [r.id for r in rows]
        techs: dict[int, dict[str, int]] = {}
        cats: dict[int, dict[str, int]] = {}
        for t in conn.execute(sa.select(techniques).where(techniques.c.article.in_(ids))):
            techs.setdefault(t.article, {})[t.technique] = int(t.n_spans or t.n_paragraphs)
            cats.setdefault(t.article, {})
            cats[t.article][t.category] = cats[t.article].get(t.category, 0) + int(t.n_spans or t.n_paragraphs)
        frs: dict[int, list[str]] = {}
        for f in conn.execute(sa.select(frames).where(frames.c.article.in_(ids)).order_by(frames.c.score.desc())):
            frs.setdefault(f.article, []).append(f.frame)
    by_outlet: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_outlet.setdefault(r.outlet, []).append({
            "id": int(r.id), "title": r.title, "date": _iso(r.date), "url": r.url, "language": r.language,
            "genre": r.genre, "n_spans": int(r.n_spans), "score": r.score, "duplicate_of": r.dup_of,
            "flagged_paragraphs": f"{r.n_flagged_paragraphs}/{r.n_paragraphs}",
            "techniques": dict(sorted(techs.get(r.id, {}).items(), key=lambda kv: (-kv[1], kv[0]))),
            "categories": dict(sorted(cats.get(r.id, {}).items(), key=lambda kv: (-kv[1], kv[0]))),
            "frames": frs.get(r.id, []),
        })
    return {"id": int(s.id), "title": s.title, "first_date": _iso(s.first_date), "last_date": _iso(s.last_date),
            "n_articles": len(rows), "n_outlets": len(by_outlet),
            "outlets": [{"outlet": o, "articles": arts} for o, arts in by_outlet.items()]}
