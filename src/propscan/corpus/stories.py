"""Stories: articles about the same event or development, grouped by what they say and when.

Recipe (measured in docs/corpus.md). Each article's title and lede are
embedded with the shared MiniLM encoder (``propscan.runtime.encoders``, ONNX). Two
articles are *linked* when their cosine similarity clears a threshold that
rises with the time between them::

    cos(a, b) >= THRESHOLD + DECAY * log2(1 + days_apart / SCALE_DAYS)

so the same day needs 0.55, a month apart 0.56, a year 0.59, three years
0.60: a story told over months or years holds together, while recurring
events of one kind (a flood every spring) need closer matches the further
apart they are. An undated article counts as ``UNDATED_DAYS`` away from every
other article. A near-duplicate is always linked to its original. A story is
a connected component of these links.

Because a component does not depend on the order in which its links were
found, the stories are the same whatever the ingest order, the batch size,
or an interruption and resume (issue 15, defect 16): each new article is
compared with every stored article within ``MAX_GAP_DAYS`` (and the undated
ones), joins the story of any linked article and merges the stories it
bridges into the oldest one. The stored vectors are read once per run and
each batch is one matrix product against them (exact, no approximate index:
the work grows with the square of the corpus; 100,000 articles hold 150 MB
of vectors).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import TYPE_CHECKING, Any, Callable, Sequence, TypedDict

import numpy as np
import sqlalchemy as sa

from ..errors import InputError
from ..runtime.settings import DEFAULT, Settings
from ..store.links import refresh_stories
from ..store.schema import articles, duplicates, embeddings, stories, techniques

if TYPE_CHECKING:
    from ..store import Store

THRESHOLD = 0.55  # same-day links: best pairwise F1 (0.82) on the labelled SemEval events (docs/corpus.md)
DECAY = 0.01  # added to the threshold per doubling of (1 + days apart / SCALE_DAYS)
SCALE_DAYS = 30.0
UNDATED_DAYS = 30.0  # an undated article is taken to be this far from any other
MAX_GAP_DAYS = 5 * 365  # never compared further apart (keeps each lookup bounded)
LEDE_CHARS = 600


def lede(text: str, chars: int = LEDE_CHARS) -> str:
    """Title and first paragraphs, whitespace collapsed: what tells which event an article is about."""
    return " ".join(text[:chars * 2].split())[:chars]


def default_embedder(settings: Settings = DEFAULT) -> Any | None:
    """The shared encoder of ``settings``, or None when its model is absent (stories are then left for later)."""
    try:
        from ..runtime.encoders import Embedder
        from ..errors import ModelError
    except ImportError:
        return None
    try:
        return Embedder.create(settings)
    except ModelError:
        return None


def required_similarity(days_apart: float | None, threshold: float = THRESHOLD, decay: float = DECAY) -> float:
    """The cosine two articles this many days apart need to be linked (None: one is undated)."""
    days = UNDATED_DAYS if days_apart is None else abs(float(days_apart))
    return threshold + decay * math.log2(1.0 + days / SCALE_DAYS)


class _Rows:
    """The first ``n`` rows of the buffer ``_<name>`` of its owner: the part of a growing array in use."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.buffer = "_" + name

    def __get__(self, obj: Any, owner: type | None = None) -> np.ndarray:
        return getattr(obj, self.buffer)[:obj.n]


class _Vectors:
    """Every stored embedding of one encoder, in memory for one ``assign_pending`` run: loaded once,
    then extended batch by batch, so each batch is one matrix product against the whole store.

    The arrays grow by doubling their capacity (``ids``, ``days``, ``story`` and ``vecs`` are views of the
    first ``n`` rows), so adding an article costs amortised constant time instead of a copy of the matrix."""

    def __init__(self, conn: sa.Connection, dim: int) -> None:
        self.dim = dim
        ids: list[int] = []
        days: list[int] = []
        sids: list[int] = []
        vecs: list[np.ndarray] = []
        q = (sa.select(embeddings.c.article, articles.c.date, articles.c.story_id, embeddings.c.vector)
             .join(articles, articles.c.id == embeddings.c.article).order_by(embeddings.c.article))
        for pk, date, sid, raw in conn.execute(q):
            v = np.frombuffer(raw, dtype=np.float32)
            if len(v) == dim:  # vectors of another encoder are not comparable
                ids.append(int(pk))
                days.append(date.toordinal() if date is not None else -1)
                sids.append(-1 if sid is None else int(sid))
                vecs.append(v)
        self.n = len(ids)
        self._ids = np.asarray(ids, dtype=np.int64)
        self._days = np.asarray(days, dtype=np.int64)
        self._story = np.asarray(sids, dtype=np.int64)  # -1: none yet
        self._vecs = np.stack(vecs) if vecs else np.zeros((0, dim), np.float32)
        self.pos = {pk: i for i, pk in enumerate(ids)}

    # the rows in use; views, so assigning into ``story`` (each article's story, -1: none yet) updates the index
    ids, days, story, vecs = _Rows(), _Rows(), _Rows(), _Rows()

    def add(self, pk: int, d: dt.date | None, v: np.ndarray) -> None:
        if pk in self.pos or len(v) != self.dim:
            return
        if self.n == len(self._ids):
            self._ids, self._days, self._story, self._vecs = (
                _grown(a, self.n) for a in (self._ids, self._days, self._story, self._vecs))
        i = self.n
        self.pos[pk] = i
        self._ids[i] = pk
        self._days[i] = d.toordinal() if d is not None else -1
        self._story[i] = -1
        self._vecs[i] = v
        self.n = i + 1

    def linked(self, pks: Sequence[int], dates: Sequence[dt.date | None], vs: np.ndarray, threshold: float,
               decay: float) -> list[set[int]]:
        """For each article, the stored ones close enough for their time apart."""
        sims = self.vecs @ vs.T  # (stored, batch)
        out = []
        for j, (pk, d) in enumerate(zip(pks, dates)):
            if d is None:
                gaps = np.full(len(self.ids), UNDATED_DAYS)
                near = np.ones(len(self.ids), dtype=bool)
            else:
                raw = np.abs(self.days - d.toordinal()).astype(np.float64)
                gaps = np.where(self.days < 0, UNDATED_DAYS, raw)
                near = (self.days < 0) | (raw <= MAX_GAP_DAYS)
            need = threshold + decay * np.log2(1.0 + gaps / SCALE_DAYS)
            hit = near & (sims[:, j] >= need) & (self.ids != pk)
            out.append({int(i) for i in self.ids[hit]})
        return out


def _grown(a: np.ndarray, n: int) -> np.ndarray:
    """A copy of the first ``n`` rows of ``a`` with room for twice as many (at least 256)."""
    out = np.empty((max(2 * n, 256), *a.shape[1:]), dtype=a.dtype)
    out[:n] = a[:n]
    return out


def _duplicate_links(conn: sa.Connection, pks: Sequence[int]) -> dict[int, set[int]]:
    """Near-duplicate partners of each article (both directions of the ``duplicates`` table)."""
    a, b = duplicates.c.article, duplicates.c.other
    out: dict[int, set[int]] = {pk: set() for pk in pks}
    for x, y in conn.execute(sa.select(a, b).where(sa.or_(a.in_(list(pks)), b.in_(list(pks))))):
        if int(x) in out:
            out[int(x)].add(int(y))
        if int(y) in out:
            out[int(y)].add(int(x))
    return out


def assign_pending(store: "Store", embedder: Any | None = None, threshold: float = THRESHOLD,
                   decay: float = DECAY, batch: int = 256,
                   embed_fn: Callable[[Sequence[str]], np.ndarray] | None = None) -> int:
    """Give every stored article without a story one; returns how many were assigned.

    Runs after de-duplication so a near-duplicate is linked to its original.
    Returns 0 without doing anything when no encoder is available (and none
    is needed for articles whose embedding is stored already).
    """
    model = getattr(embed_fn, "version", "custom")
    resolved = embed_fn is not None
    done = 0
    index: _Vectors | None = None
    while True:
        with store.engine.begin() as conn:
            rows = conn.execute(sa.select(articles.c.id, articles.c.date, articles.c.analysis,
                                          embeddings.c.vector)
                                .outerjoin(embeddings, embeddings.c.article == articles.c.id)
                                .where(articles.c.story_id.is_(None), articles.c.dedup_done.is_(True))
                                .order_by(articles.c.id).limit(batch)).all()
            if not rows:
                return done
            missing = [r for r in rows if r.vector is None]
            if missing and not resolved:  # the encoder loads only when an article needs embedding
                resolved = True
                embedder = embedder or default_embedder(store.settings)
                if embedder is not None:
                    embed_fn, model = embedder.embed, getattr(embedder, "version", "encoder")
            if missing and embed_fn is None:
                rows = [r for r in rows if r.vector is not None]
                if not rows:
                    return done
                missing = []
            vec: dict[int, np.ndarray] = {int(r.id): np.frombuffer(r.vector, dtype=np.float32)
                                          for r in rows if r.vector is not None}
            if missing:
                got = np.asarray(embed_fn([lede(json.loads(r.analysis)["article"]["text"]) for r in missing]),
                                 dtype=np.float32)
                for r, v in zip(missing, got):
                    vec[int(r.id)] = v
                    conn.execute(embeddings.insert().values(article=int(r.id), model=model,
                                                            vector=np.asarray(v, np.float32).tobytes()))
            # every vector of the batch is stored (and indexed) first: links within the batch are found too
            if index is None:
                index = _Vectors(conn, len(next(iter(vec.values()))))
            else:
                for r in missing:
                    index.add(int(r.id), r.date, vec[int(r.id)])
            pks = [int(r.id) for r in rows]
            same = [r for r in rows if len(vec[int(r.id)]) == index.dim]
            near = dict(zip((int(r.id) for r in same), index.linked(
                [int(r.id) for r in same], [r.date for r in same],
                np.stack([vec[int(r.id)] for r in same]), threshold, decay))) if same else {}
            dups = _duplicate_links(conn, pks)
            _join_batch(conn, index, [(pk, r.date, near.get(pk, set()) | dups[pk]) for pk, r in zip(pks, rows)])
            done += len(rows)


def _join_batch(conn: sa.Connection, index: _Vectors, batch: list[tuple[int, dt.date | None, set[int]]]) -> None:
    """Each article joins the story of the articles it is linked to, merging the stories it bridges into
    the oldest; one pass in memory, then the changes written."""
    redirect: dict[int, int] = {}  # merged story -> the story it went into

    def resolve(sid: int) -> int:
        while sid in redirect:
            sid = redirect[sid]
        return sid

    outside = {i for _, _, links in batch for i in links if i not in index.pos}  # e.g. another encoder's
    story_outside = {int(i): int(sid) for i, sid in conn.execute(sa.select(articles.c.id, articles.c.story_id).where(
        articles.c.id.in_(list(outside)), articles.c.story_id.is_not(None)))} if outside else {}
    assigned: dict[int, int] = {}
    for pk, d, links in batch:
        sids = set()
        for i in links:
            sid = assigned.get(i, int(index.story[index.pos[i]]) if i in index.pos else story_outside.get(i, -1))
            if sid >= 0:
                sids.add(resolve(sid))
        if sids:
            target, *others = sorted(sids)
            for o in others:
                redirect[o] = target
        else:
            target = int(conn.execute(stories.insert().values(
                title="", first_date=d, last_date=d, n_articles=0, centroid=b"").returning(stories.c.id)).scalar_one())
        assigned[pk] = target
    merged: dict[int, list[int]] = {}
    for o in redirect:
        merged.setdefault(resolve(o), []).append(o)
    for target, olds in merged.items():
        conn.execute(articles.update().where(articles.c.story_id.in_(olds)).values(story_id=target))
        conn.execute(stories.delete().where(stories.c.id.in_(olds)))
        index.story[np.isin(index.story, olds)] = target
    final = {pk: resolve(sid) for pk, sid in assigned.items()}
    conn.execute(articles.update().where(articles.c.id == sa.bindparam("pk")).values(story_id=sa.bindparam("sid")),
                 [{"pk": pk, "sid": sid} for pk, sid in final.items()])
    for pk, sid in final.items():
        if pk in index.pos:
            index.story[index.pos[pk]] = sid
    refresh_stories(conn, set(final.values()) | set(merged))


# -- reading ----------------------------------------------------------------------------------------
class StorySummary(TypedDict):
    id: int
    title: str
    first_date: str | None
    last_date: str | None
    n_articles: int
    n_outlets: int
    outlets: list[str]


def _story_filter(outlet: str | None = None, date_from: Any = None, date_to: Any = None,
                  technique: str | None = None, min_size: int | None = None,
                  max_size: int | None = None) -> list[Any]:
    from ..store.facts import parse_date
    from ..taxonomy import normalise

    cond: list[Any] = []
    if outlet:
        cond.append(sa.exists().where(articles.c.story_id == stories.c.id, articles.c.outlet == outlet))
    for name, value, op in (("date_from", date_from, "ge"), ("date_to", date_to, "le")):
        if value:
            d = parse_date(value)
            if d is None:
                raise InputError(name, f"not a date: {value!r}")
            # a story overlaps the range
            cond.append(stories.c.last_date >= d if op == "ge" else stories.c.first_date <= d)
    if technique:
        try:
            tech = normalise(technique)
        except KeyError:
            raise InputError("technique", f"unknown technique {technique!r}") from None
        cond.append(sa.exists().where(articles.c.story_id == stories.c.id, techniques.c.article == articles.c.id,
                                      techniques.c.technique == tech))
    if min_size:
        cond.append(stories.c.n_articles >= int(min_size))
    if max_size:
        cond.append(stories.c.n_articles <= int(max_size))
    return cond


def story_list(store: "Store", min_articles: int = 1, limit: int = 100, offset: int = 0, *,
               outlet: str | None = None, date_from: Any = None, date_to: Any = None, technique: str | None = None,
               min_size: int | None = None, max_size: int | None = None) -> list[StorySummary]:
    """Stories, largest first, with the filters of the story list page."""
    cond = _story_filter(outlet, date_from, date_to, technique, max(min_articles or 1, min_size or 1), max_size)
    n_outlets = (sa.select(articles.c.story_id, sa.func.count(sa.distinct(articles.c.outlet)).label("n_outlets"))
                 .where(articles.c.story_id.is_not(None)).group_by(articles.c.story_id).subquery())
    q = (sa.select(stories.c.id, stories.c.title, stories.c.first_date, stories.c.last_date, stories.c.n_articles,
                   n_outlets.c.n_outlets)
         .join(n_outlets, n_outlets.c.story_id == stories.c.id).where(*cond)
         .order_by(stories.c.n_articles.desc(), n_outlets.c.n_outlets.desc(), stories.c.id)
         .offset(max(0, int(offset))).limit(max(0, min(int(limit), 1000))))
    with store.engine.connect() as conn:
        rows = conn.execute(q).all()
        names: dict[int, list[str]] = {}
        if rows:
            for sid, o in conn.execute(sa.select(articles.c.story_id, articles.c.outlet).distinct()
                                       .where(articles.c.story_id.in_([r.id for r in rows]))
                                       .order_by(articles.c.story_id, articles.c.outlet)):
                names.setdefault(int(sid), []).append(o)
    return [StorySummary(id=int(r.id), title=r.title, first_date=_iso(r.first_date), last_date=_iso(r.last_date),
                         n_articles=int(r.n_articles), n_outlets=int(r.n_outlets), outlets=names.get(int(r.id), []))
            for r in rows]


def count_stories(store: "Store", min_articles: int = 1, **filters: Any) -> int:
    """How many stories ``story_list`` would page through with these filters."""
    filters["min_size"] = max(min_articles or 1, filters.get("min_size") or 1)
    q = sa.select(sa.func.count()).select_from(stories).where(*_story_filter(**filters))
    with store.engine.connect() as conn:
        return int(conn.execute(q).scalar_one())


def _iso(d: Any) -> str | None:
    return d.isoformat() if d is not None else None


def _per_1000(counts: dict[str, int], words: int) -> dict[str, float]:
    return {k: round(1000.0 * n / words, 3) if words else 0.0
            for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))}


def story_view(store: "Store", story_id: int) -> dict[str, Any] | None:
    """One story's articles by outlet, each outlet's technique profile per 1,000 words, what one outlet
    uses that the others do not, and a timeline; None when there is no such story."""
    from ..store.schema import frames
    from ..store.store import valid_id

    if valid_id(story_id) is None:  # beyond the database's integers: no such story, not an overflow
        return None
    with store.engine.connect() as conn:
        s = conn.execute(sa.select(stories).where(stories.c.id == int(story_id))).first()
        if s is None:
            return None
        rows = conn.execute(sa.select(articles.c.id, articles.c.title, articles.c.outlet, articles.c.outlet_source,
                                      articles.c.date, articles.c.genre, articles.c.n_spans, articles.c.score,
                                      articles.c.url, articles.c.language, articles.c.dup_of,
                                      articles.c.n_paragraphs, articles.c.n_labelled_paragraphs, articles.c.n_words)
                            .where(articles.c.story_id == s.id)
                            .order_by(articles.c.outlet, articles.c.date.asc().nullslast(), articles.c.id)).all()
        ids = [r.id for r in rows]
        techs: dict[int, dict[str, int]] = {}
        cats: dict[int, dict[str, int]] = {}
        for t in conn.execute(sa.select(techniques).where(techniques.c.article.in_(ids))):
            n = int(t.n_spans or t.n_paragraphs)
            techs.setdefault(t.article, {})[t.technique] = n
            cats.setdefault(t.article, {})
            cats[t.article][t.category] = cats[t.article].get(t.category, 0) + n
        frs: dict[int, list[str]] = {}
        for f in conn.execute(sa.select(frames).where(frames.c.article.in_(ids)).order_by(frames.c.score.desc())):
            frs.setdefault(f.article, []).append(f.frame)
    by_outlet: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_outlet.setdefault(r.outlet, []).append({
            "id": int(r.id), "title": r.title, "date": _iso(r.date), "url": r.url, "language": r.language,
            "genre": r.genre, "n_spans": int(r.n_spans), "n_words": int(r.n_words or 0), "score": r.score,
            "duplicate_of": r.dup_of, "outlet_source": r.outlet_source,
            "labelled_paragraphs": f"{r.n_labelled_paragraphs}/{r.n_paragraphs}",
            "techniques": dict(sorted(techs.get(r.id, {}).items(), key=lambda kv: (-kv[1], kv[0]))),
            "categories": dict(sorted(cats.get(r.id, {}).items(), key=lambda kv: (-kv[1], kv[0]))),
            "frames": frs.get(r.id, []),
        })
    profiles = []
    for outlet, arts in by_outlet.items():
        words = sum(a["n_words"] for a in arts)
        span_counts: dict[str, int] = {}
        cat_counts: dict[str, int] = {}
        genres: dict[str, int] = {}
        frame_counts: dict[str, int] = {}
        for a in arts:
            for t, n in a["techniques"].items():
                span_counts[t] = span_counts.get(t, 0) + n
            for c, n in a["categories"].items():
                cat_counts[c] = cat_counts.get(c, 0) + n
            if a["genre"]:
                genres[a["genre"]] = genres.get(a["genre"], 0) + 1
            for f in a["frames"]:
                frame_counts[f] = frame_counts.get(f, 0) + 1
        scores = [a["score"] for a in arts if a["score"] is not None]
        profiles.append({"outlet": outlet, "n_articles": len(arts), "n_words": words,
                         "techniques": _per_1000(span_counts, words), "categories": _per_1000(cat_counts, words),
                         "span_counts": dict(sorted(span_counts.items(), key=lambda kv: (-kv[1], kv[0]))),
                         "genres": genres, "frames": frame_counts,
                         "mean_score": round(sum(scores) / len(scores), 2) if scores else None})
    distinct = {}
    for p in profiles:
        others = [q for q in profiles if q is not p]
        used_t = {t for q in others for t in q["span_counts"]}
        used_f = {f for q in others for f in q["frames"]}
        distinct[p["outlet"]] = {"techniques": sorted(set(p["span_counts"]) - used_t) if others else [],
                                 "frames": sorted(set(p["frames"]) - used_f) if others else []}
    timeline = sorted(({"date": a["date"], "id": a["id"], "outlet": o, "title": a["title"]}
                       for o, arts in by_outlet.items() for a in arts if a["date"]),
                      key=lambda e: (e["date"], e["id"]))
    return {"id": int(s.id), "title": s.title, "first_date": _iso(s.first_date), "last_date": _iso(s.last_date),
            "n_articles": len(rows), "n_outlets": len(by_outlet),
            "outlets": [{"outlet": o, "articles": arts} for o, arts in by_outlet.items()],
            "profiles": profiles, "distinct": distinct, "timeline": timeline}
