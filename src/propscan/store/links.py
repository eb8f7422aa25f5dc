"""Story rows kept consistent with their members: bookkeeping over the schema, no grouping logic.

In the store because its own curation (a new date or title, a deletion) must
keep them right in the same transaction; how articles are grouped into
stories (embeddings, similarity) is the corpus's (``corpus/stories.py``),
which sits above the store and calls these too.
"""

from __future__ import annotations

from typing import Sequence

import sqlalchemy as sa

from .schema import articles, stories


def refresh_story(conn: sa.Connection, sid: int) -> None:
    refresh_stories(conn, [sid])


def refresh_stories(conn: sa.Connection, sids: Sequence[int]) -> None:
    """Recompute stories' titles (the earliest article's), dates and sizes from their members, in a few
    set-wise statements; a story left without members is removed."""
    sids = sorted(set(int(s) for s in sids))
    if not sids:
        return
    agg = {int(r.story_id): r for r in conn.execute(
        sa.select(articles.c.story_id, sa.func.count().label("n"), sa.func.min(articles.c.date).label("first"),
                  sa.func.max(articles.c.date).label("last"))
        .where(articles.c.story_id.in_(sids)).group_by(articles.c.story_id))}
    rank = sa.func.row_number().over(partition_by=articles.c.story_id,
                                     order_by=(articles.c.date.asc().nullslast(), articles.c.id)).label("rank")
    ranked = sa.select(articles.c.story_id, articles.c.title, rank).where(articles.c.story_id.in_(sids)).subquery()
    titles = {int(r.story_id): r.title for r in conn.execute(sa.select(ranked.c.story_id, ranked.c.title)
                                                               .where(ranked.c.rank == 1))}
    gone = [s for s in sids if s not in agg]
    if gone:
        conn.execute(stories.delete().where(stories.c.id.in_(gone)))
    rows = [{"sid": s, "t": titles.get(s) or "", "f": agg[s].first, "l": agg[s].last, "n": int(agg[s].n)}
            for s in sids if s in agg]
    if rows:
        conn.execute(stories.update().where(stories.c.id == sa.bindparam("sid")).values(
            title=sa.bindparam("t"), first_date=sa.bindparam("f"), last_date=sa.bindparam("l"),
            n_articles=sa.bindparam("n")), rows)


def regroup(conn: sa.Connection, sid: int) -> None:
    """Dissolve a story so that its remaining members are grouped again (after one of them was deleted
    or re-dated: the links it made may have been what held the story together)."""
    conn.execute(articles.update().where(articles.c.story_id == sid).values(story_id=None))
    conn.execute(stories.delete().where(stories.c.id == sid))
