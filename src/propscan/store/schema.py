"""Tables of the store, in SQLAlchemy Core so SQLite and PostgreSQL share one schema.

The full ``Analysis.to_dict()`` JSON is kept per article (the one result
shape); the other columns and tables are indexes over it, so the web app and
the corpus reports can filter and aggregate without parsing JSON.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

articles = sa.Table(
    "articles", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("content_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("article_id", sa.String(512), nullable=False),  # the reader's id (file stem, record id)
    sa.Column("title", sa.Text, nullable=False, default=""),
    sa.Column("source", sa.Text, nullable=False, default=""),
    sa.Column("url", sa.Text),
    sa.Column("outlet", sa.String(255), nullable=False, default="", index=True),
    # where the outlet came from: flag, web, column, meta, site_name, byline, url, edited, unknown
    sa.Column("outlet_source", sa.String(32), nullable=False, default="unknown", server_default="unknown"),
    sa.Column("date", sa.Date, index=True),
    sa.Column("month", sa.String(7), index=True),  # YYYY-MM, for trends
    sa.Column("language", sa.String(16), nullable=False, default="", index=True),
    sa.Column("genre", sa.String(32), nullable=False, default="", index=True),  # top genre
    sa.Column("n_chars", sa.Integer, nullable=False, default=0),
    sa.Column("n_words", sa.Integer, nullable=False, default=0, server_default="0"),
    # the text with whitespace collapsed: what ``q`` searches (never the stored JSON)
    sa.Column("body", sa.Text, nullable=False, default="", server_default=""),
    sa.Column("n_spans", sa.Integer, nullable=False, default=0),
    sa.Column("n_paragraphs", sa.Integer, nullable=False, default=0),
    # paragraphs labelled with a technique. "flagged" means "not scored" (ParagraphLabels.flagged): the
    # code says labelled, the database keeps the column name it was created with (no migration)
    sa.Column("n_flagged_paragraphs", sa.Integer, key="n_labelled_paragraphs", nullable=False, default=0),
    sa.Column("score", sa.Float),
    sa.Column("analysis", sa.Text, nullable=False),  # Analysis.to_dict() as JSON
    sa.Column("added_at", sa.DateTime, nullable=False),
    # corpus links, filled after the article is stored (NULL = not computed yet)
    sa.Column("dup_of", sa.Integer, index=True),  # the earliest stored near-duplicate
    sa.Column("dedup_done", sa.Boolean, nullable=False, default=False, index=True),
    # a near-duplicate of an earlier article of the same outlet (re-crawl, syndication):
    # left out of outlet profiles so it is not counted twice
    sa.Column("repeat", sa.Boolean, nullable=False, default=False),
    sa.Column("story_id", sa.Integer, index=True),
)

# one row per (article, technique) found by a span or a paragraph label
techniques = sa.Table(
    "article_techniques", metadata,
    sa.Column("article", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("technique", sa.String(64), primary_key=True),
    sa.Column("category", sa.String(64), nullable=False, index=True),
    sa.Column("n_spans", sa.Integer, nullable=False, default=0),
    sa.Column("n_paragraphs", sa.Integer, nullable=False, default=0),
    sa.Index("ix_article_techniques_technique", "technique", "article"),
)

# frames chosen for an article (profile["frames_chosen"] or score >= 0.5)
frames = sa.Table(
    "article_frames", metadata,
    sa.Column("article", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("frame", sa.String(64), primary_key=True),
    sa.Column("score", sa.Float, nullable=False, default=1.0),
    sa.Index("ix_article_frames_frame", "frame"),
)

# MinHash signature per article and its LSH band keys: near-duplicate candidates
# are found with an indexed lookup, so de-duplication stays incremental at any size
minhashes = sa.Table(
    "minhashes", metadata,
    sa.Column("article", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("signature", sa.LargeBinary, nullable=False),
)
lsh_bands = sa.Table(
    "lsh_bands", metadata,
    sa.Column("band", sa.SmallInteger, nullable=False),
    sa.Column("key", sa.BigInteger, nullable=False),
    sa.Column("article", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    sa.Index("ix_lsh_bands_key", "band", "key"),
    sa.Index("ix_lsh_bands_article", "article"),
)
duplicates = sa.Table(
    "duplicates", metadata,
    sa.Column("article", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("other", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("similarity", sa.Float, nullable=False),  # estimated Jaccard of word shingles
)

# stories: articles about the same event (embedding similarity with a time decay; corpus/stories.py)
stories = sa.Table(
    "stories", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("title", sa.Text, nullable=False, default=""),
    sa.Column("first_date", sa.Date, index=True),
    sa.Column("last_date", sa.Date, index=True),
    sa.Column("n_articles", sa.Integer, nullable=False, default=0),
    # unused since stories are components of links (kept so older stores and code read alike)
    sa.Column("centroid", sa.LargeBinary, nullable=False, default=b""),
)
embeddings = sa.Table(
    "embeddings", metadata,
    sa.Column("article", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("model", sa.String(128), nullable=False),
    sa.Column("vector", sa.LargeBinary, nullable=False),  # float32, L2-normalised
)

feedback = sa.Table(
    "feedback", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("article", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
    sa.Column("technique", sa.String(64)),
    sa.Column("new_technique", sa.String(64)),
    sa.Column("model_version", sa.String(255), nullable=False, default=""),
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Column("annotator", sa.String(255), nullable=False, default="", server_default=""),
    sa.Column("created_at", sa.DateTime, nullable=False, index=True),
)


# columns added after the first release: ``migrate`` adds them to an older store and fills them
ADDED_COLUMNS = {
    "articles": ("outlet_source", "n_words", "body"),
    "feedback": ("annotator",),
}


def migrate(engine: sa.Engine) -> None:
    """Bring a store made by an older propscan up to this schema (new columns, filled from the JSON)."""
    insp = sa.inspect(engine)
    tables = {"articles": articles, "feedback": feedback}
    missing = {name: [c for c in cols if c not in {col["name"] for col in insp.get_columns(name)}]
               for name, cols in ADDED_COLUMNS.items() if insp.has_table(name)}
    if not any(missing.values()):
        return
    prep = engine.dialect.identifier_preparer
    with engine.begin() as conn:
        for name, cols in missing.items():
            for c in cols:
                col = tables[name].c[c]
                ddl = col.type.compile(dialect=engine.dialect)
                default = col.server_default.arg if col.server_default is not None else ""
                literal = default if str(default).isdigit() else "'" + str(default) + "'"
                conn.execute(sa.text(f"ALTER TABLE {prep.quote(name)} ADD COLUMN {prep.quote(c)} {ddl} "
                                     f"NOT NULL DEFAULT {literal}"))
    if "body" in missing.get("articles", ()):
        backfill(engine)


def backfill(engine: sa.Engine, batch: int = 500) -> None:
    """Fill the search text, word count and outlet source of stored articles from their JSON."""
    import json

    from .facts import n_words, search_text

    last = 0
    while True:
        with engine.begin() as conn:
            rows = conn.execute(sa.select(articles.c.id, articles.c.analysis).where(articles.c.id > last)
                                .order_by(articles.c.id).limit(batch)).all()
            if not rows:
                return
            for pk, raw in rows:
                d = json.loads(raw)["article"]
                conn.execute(articles.update().where(articles.c.id == pk).values(
                    body=search_text(d["text"]), n_words=n_words(d["text"]),
                    outlet_source=str(d.get("meta", {}).get("outlet_source") or "legacy")[:32]))
            last = int(rows[-1][0])
