"""Near-duplicate articles: datasketch MinHash over word 5-grams, LSH bands kept in the store.

Re-crawls, syndicated copies and lightly edited re-posts share most of their
word 5-grams. Each article's MinHash signature and its LSH band keys (band
count and width from datasketch's ``MinHashLSH`` for the threshold) are
stored, so finding the candidates of a new article is an indexed lookup:
de-duplication is incremental and works the same on a million articles as on
ten, on SQLite and PostgreSQL. Candidates are confirmed with the estimated
Jaccard similarity. A duplicate is linked to every match (``duplicates``) and
marked with ``dup_of`` = the earliest stored article it copies; ``repeat``
marks a copy of an earlier article from the same outlet.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

import numpy as np
import sqlalchemy as sa

from ..store.schema import articles, duplicates, lsh_bands, minhashes

if TYPE_CHECKING:
    from ..store import Store

NUM_PERM = 128
THRESHOLD = 0.8
SHINGLE = 5
SEED = 1
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class LshParams:
    b: int
    r: int


# datasketch's choice for the default threshold, so no ingest pays for its numerical search
# (seconds); tests check it still matches
KNOWN_PARAMS = {(THRESHOLD, NUM_PERM): LshParams(9, 13)}


@functools.lru_cache(maxsize=8)
def lsh_params(threshold: float = THRESHOLD, num_perm: int = NUM_PERM) -> LshParams:
    """Bands and rows that datasketch's ``MinHashLSH`` picks for this Jaccard threshold."""
    if (threshold, num_perm) in KNOWN_PARAMS:
        return KNOWN_PARAMS[(threshold, num_perm)]
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return LshParams(lsh.b, lsh.r)


def shingles(text: str, k: int = SHINGLE) -> set[bytes]:
    words = _WORD.findall(text.lower())
    if len(words) < k:
        return {" ".join(words).encode("utf-8")} if words else {b""}
    return {" ".join(words[i:i + k]).encode("utf-8") for i in range(len(words) - k + 1)}


_TEMPLATES: dict[int, object] = {}


def signature(text: str, num_perm: int = NUM_PERM) -> np.ndarray:
    from datasketch import MinHash

    template = _TEMPLATES.get(num_perm)
    if template is None:  # the random permutations are drawn once, not per article
        template = _TEMPLATES[num_perm] = MinHash(num_perm=num_perm, seed=SEED)
    m = template.copy()
    m.update_batch(list(shingles(text)))
    return m.hashvalues.astype(np.uint64)


def band_keys(sig: np.ndarray, params: LshParams) -> list[int]:
    """One signed 64-bit key per band (fits a BIGINT column)."""
    keys = []
    for i in range(params.b):
        chunk = np.ascontiguousarray(sig[i * params.r:(i + 1) * params.r], dtype=np.uint64).tobytes()
        keys.append(int.from_bytes(hashlib.blake2b(chunk, digest_size=8).digest(), "little", signed=True))
    return keys


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.count_nonzero(a == b)) / len(a)


def dedup_pending(store: "Store", threshold: float = THRESHOLD, batch: int = 200) -> int:
    """Sign, index and link every stored article not processed yet (in id order); returns how many."""
    import json

    params = lsh_params(threshold)
    done = 0
    while True:
        with store.engine.begin() as conn:
            rows = conn.execute(sa.select(articles.c.id, articles.c.outlet, articles.c.analysis)
                                .where(articles.c.dedup_done.is_(False)).order_by(articles.c.id)
                                .limit(batch)).all()
            if not rows:
                return done
            for pk, outlet, raw in rows:
                text = json.loads(raw)["article"]["text"]
                _link_one(conn, int(pk), outlet, text, params, threshold)
            done += len(rows)


MAX_CANDIDATES = 100  # the earliest ones: enough to find the original of even a much-copied article


def _candidate_query(b: int) -> sa.Select:
    """Articles sharing any LSH band key; built once per band count so SQLAlchemy caches it compiled."""
    match = sa.or_(*[sa.and_(lsh_bands.c.band == i, lsh_bands.c.key == sa.bindparam(f"k{i}")) for i in range(b)])
    return (sa.select(lsh_bands.c.article).where(match, lsh_bands.c.article != sa.bindparam("pk"))
            .distinct().order_by(lsh_bands.c.article).limit(MAX_CANDIDATES))


_QUERIES: dict[int, sa.Select] = {}


def _link_one(conn: sa.Connection, pk: int, outlet: str, text: str, params: LshParams, threshold: float) -> None:
    sig = signature(text)
    keys = band_keys(sig, params)
    cand_q = _QUERIES.get(params.b)
    if cand_q is None:
        cand_q = _QUERIES[params.b] = _candidate_query(params.b)
    cands = [int(c) for c in conn.execute(cand_q, {"pk": pk, **{f"k{i}": k for i, k in enumerate(keys)}}).scalars()]
    matches: list[tuple[int, float]] = []
    if cands:
        for other, raw_sig in conn.execute(sa.select(minhashes.c.article, minhashes.c.signature)
                                           .where(minhashes.c.article.in_(cands))):
            sim = jaccard(sig, np.frombuffer(raw_sig, dtype=np.uint64))
            if sim >= threshold:
                matches.append((int(other), sim))
    conn.execute(minhashes.insert().values(article=pk, signature=sig.tobytes()))
    conn.execute(lsh_bands.insert(), [{"band": i, "key": k, "article": pk} for i, k in enumerate(keys)])
    update: dict = {"dedup_done": True}
    if matches:
        conn.execute(duplicates.insert(), [{"article": pk, "other": o, "similarity": round(s, 4)} for o, s in matches])
        earlier = [o for o, _ in matches if o < pk]
        if earlier:
            info = conn.execute(sa.select(articles.c.id, articles.c.dup_of, articles.c.outlet)
                                .where(articles.c.id.in_(earlier))).all()
            roots = [(d if d is not None else i) for i, d, _ in info]
            update["dup_of"] = min(roots)
            update["repeat"] = any(o == outlet for _, _, o in info)
    conn.execute(articles.update().where(articles.c.id == pk).values(**update))


def duplicates_of(store: "Store", pk: int) -> list[dict]:
    """Stored near-duplicates of an article, both directions, most similar first."""
    from ..store.store import valid_id

    if valid_id(pk) is None:
        return []
    a, b = duplicates.c.article, duplicates.c.other
    q1 = sa.select(b.label("id"), duplicates.c.similarity).where(a == pk)
    q2 = sa.select(a.label("id"), duplicates.c.similarity).where(b == pk)
    u = sa.union_all(q1, q2).subquery()
    q = (sa.select(u.c.id, u.c.similarity, articles.c.title, articles.c.outlet, articles.c.date)
         .join(articles, articles.c.id == u.c.id).order_by(u.c.similarity.desc(), u.c.id))
    with store.engine.connect() as conn:
        return [{"id": int(r.id), "similarity": float(r.similarity), "title": r.title, "outlet": r.outlet,
                 "date": r.date.isoformat() if r.date else None} for r in conn.execute(q)]


def duplicate_groups(store: "Store", ids: Iterable[int] | None = None) -> dict[int, list[int]]:
    """Canonical article id -> ids of its near-duplicates."""
    q = sa.select(articles.c.id, articles.c.dup_of).where(articles.c.dup_of.is_not(None))
    if ids is not None:
        q = q.where(articles.c.id.in_(list(ids)))
    out: dict[int, list[int]] = {}
    with store.engine.connect() as conn:
        for i, d in conn.execute(q.order_by(articles.c.id)):
            out.setdefault(int(d), []).append(int(i))
    return out
