"""Passages that make the same claim in several outlets of one story, found with the sentence encoder.

Every sentence of the story's articles (6-80 words) is embedded with the
shared MiniLM encoder; sentences of *different* outlets (articles of
unknown outlet count as outlets of their own) whose cosine similarity is at
least ``THRESHOLD`` are paired, strongest first, and a claim grows only by a
passage close to every passage in it (no chains of ever looser matches), one
per article. A claim lists, per article, its
closest sentence with offsets into that article's text (``Analysis.text``,
what the article page shows), so the pages can link to the place.
"""

from __future__ import annotations

import functools
import json
import re
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np
import sqlalchemy as sa

from ..document import split_paragraphs
from ..store.schema import articles

if TYPE_CHECKING:
    from ..store import Store

THRESHOLD = 0.65  # the samples: the same announcement in two outlets scores 0.65, loose topical matches 0.55-0.6
UNKNOWN = "unknown"
MIN_WORDS, MAX_WORDS = 6, 80
MAX_CLAIMS = 30
_SENTENCE = re.compile(r"[^.!?]+(?:[.!?]+[\"”’)\]]*|$)")


class Passage(TypedDict):
    article: int
    outlet: str
    start: int
    end: int
    text: str
    line: int


class SharedPassage(TypedDict):
    claim: str  # the passage closest to all the others
    passages: list[Passage]  # one per article, outlets in alphabetical order
    similarity: float  # mean cosine between the passages of different outlets


def sentences(text: str) -> list[tuple[int, int, int]]:
    """(start, end, line) of every sentence long enough to carry a claim."""
    out = []
    for p in split_paragraphs(text):
        for m in _SENTENCE.finditer(text, p.start, p.end):
            s, e = m.start(), m.end()
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            if MIN_WORDS <= len(text[s:e].split()) <= MAX_WORDS:
                out.append((s, e, p.line))
    return out


def shared_passages(store: "Store", story_id: int, threshold: float = THRESHOLD,
                    embed_fn: Any = None) -> list[SharedPassage]:
    """The claims several outlets of a story share; [] when the story has one outlet or no encoder."""
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(articles.c.id, articles.c.outlet, articles.c.n_chars)
                            .where(articles.c.story_id == int(story_id)).order_by(articles.c.id)).all()
    if len({r.outlet if r.outlet != UNKNOWN else r.id for r in rows}) < 2:
        return []
    key = tuple((int(r.id), r.outlet, int(r.n_chars)) for r in rows)
    if embed_fn is None:
        from .stories import default_embedder

        embedder = default_embedder(store.settings)
        if embedder is None:
            return []
        return list(_cached(store, key, threshold, embedder.embed))
    return _find(store, key, threshold, embed_fn)


@functools.lru_cache(maxsize=64)
def _cached(store: "Store", key: tuple, threshold: float, fn: Any) -> tuple:
    # the members (ids, outlets, lengths) are the key: a story that changes is computed afresh
    return tuple(_find(store, key, threshold, fn))


def _find(store: "Store", key: tuple, threshold: float, embed_fn: Any) -> list[SharedPassage]:
    ids = [k[0] for k in key]
    outlet = {k[0]: k[1] for k in key}
    texts: dict[int, str] = {}
    with store.engine.connect() as conn:
        for pk, raw in conn.execute(sa.select(articles.c.id, articles.c.analysis).where(articles.c.id.in_(ids))):
            texts[int(pk)] = json.loads(raw)["article"]["text"]
    units: list[tuple[int, int, int, int]] = []  # article, start, end, line
    for pk in ids:
        units.extend((pk, s, e, line) for s, e, line in sentences(texts.get(pk, "")))
    if len(units) < 2:
        return []
    vecs = np.asarray(embed_fn([texts[u[0]][u[1]:u[2]] for u in units]), dtype=np.float32)
    sims = vecs @ vecs.T
    # "unknown" is no outlet: two articles of unknown origin may well be two outlets
    who = np.array([outlet[u[0]] if outlet[u[0]] != UNKNOWN else f"{UNKNOWN}#{u[0]}" for u in units])
    pairs = np.argwhere(np.triu((sims >= threshold) & (who[:, None] != who[None, :]), 1))
    pairs = sorted(((float(sims[i, j]), int(i), int(j)) for i, j in pairs), key=lambda t: (-t[0], t[1], t[2]))
    # greedy complete linkage, strongest pairs first: a passage joins a claim only if it is close to every
    # passage already in it and its article has none there yet (no chains of ever looser matches)
    claim_of: dict[int, list[int]] = {}
    for _, i, j in pairs:
        ci, cj = claim_of.get(i), claim_of.get(j)
        if ci is None and cj is None:
            claim_of[i] = claim_of[j] = [i, j]
            continue
        if ci is not None and cj is not None:
            continue
        group, new = (ci, j) if ci is not None else (cj, i)
        arts_in = {units[k][0] for k in group}
        if units[new][0] not in arts_in and all(sims[new, k] >= threshold for k in group):
            group.append(new)
            claim_of[new] = group
    claims: list[SharedPassage] = []
    seen: set[int] = set()
    for group in claim_of.values():
        if id(group) in seen:
            continue
        seen.add(id(group))
        chosen = sorted(group, key=lambda i: (outlet[units[i][0]], units[i][0], units[i][1]))
        pair = [float(sims[i, j]) for x, i in enumerate(chosen) for j in chosen[x + 1:] if who[i] != who[j]]
        centre = max(chosen, key=lambda i: float(sims[i, chosen].sum()))
        claims.append(SharedPassage(
            claim=texts[units[centre][0]][units[centre][1]:units[centre][2]],
            passages=[Passage(article=units[i][0], outlet=outlet[units[i][0]], start=units[i][1], end=units[i][2],
                              text=texts[units[i][0]][units[i][1]:units[i][2]], line=units[i][3]) for i in chosen],
            similarity=round(float(np.mean(pair)) if pair else 0.0, 4)))
    claims.sort(key=lambda c: (-len({p["outlet"] for p in c["passages"]}), -c["similarity"], c["claim"]))
    return claims[:MAX_CLAIMS]
