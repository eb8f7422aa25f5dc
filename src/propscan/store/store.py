"""The Store: analysed articles in SQLite (default) or PostgreSQL, with the queries the CLI and web app need.

SQLAlchemy Core keeps one schema and one set of queries for both databases.
Adding is idempotent by content hash, and ``add_many`` commits a whole batch
in one transaction, so an interrupted ingest loses at most the batch in flight
and a rerun skips everything already stored.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from pathlib import Path
from typing import Any, Iterable, Sequence

import sqlalchemy as sa

from ..document import Analysis, Article
from .. import errors
from ..errors import InputError, PropscanError, StoreError
from ..readers.text import safe_text
from ..runtime.settings import DEFAULT, Settings
from ..taxonomy import normalise
from . import facts
from .schema import articles, feedback, frames, metadata, migrate, techniques

DEFAULT_DB = "propscan.db"
FEEDBACK_ACTIONS = ("confirm", "reject", "relabel", "add", "adjust")
SUMMARY_COLUMNS = ("id", "title", "outlet", "outlet_source", "date", "language", "genre", "n_spans", "n_words", "score")
# metadata that re-ingesting the same text (or curation) may change without a new analysis
METADATA_COLUMNS = ("title", "url", "outlet", "outlet_source", "date", "month")
ANNOTATOR_MAX = 255


def resolve_url(url: str | None = None) -> str:
    """A SQLAlchemy URL from ``--db``: None -> ./propscan.db; a plain path -> SQLite.

    (The CLI puts ``$PROPSCAN_DB`` in ``--db``'s place when it is not given: ``Settings.db_url``.)
    """
    if not url:
        url = DEFAULT_DB
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser()}"
    # psycopg 3 is the driver we ship (the `postgres` extra); SQLAlchemy's default is psycopg2
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain):]
    return url


def safe_url(url: str | None) -> str:
    """``url`` resolved as ``resolve_url`` does, its password hidden: the store as messages name it."""
    return sa.engine.make_url(resolve_url(url)).render_as_string(hide_password=True)


def missing_file(url: str | None) -> str | None:
    """The SQLite file ``url`` names when it does not exist, else None (a file that exists, or a server)."""
    u = sa.engine.make_url(resolve_url(url))
    if u.get_backend_name() == "sqlite" and u.database not in (None, "", ":memory:") \
            and not Path(u.database).exists():
        return u.database
    return None


def require_existing(url: str | None) -> None:
    """Refuse to read from a SQLite file that does not exist (instead of creating an empty store)."""
    missing = missing_file(url)
    if missing is not None:
        raise PropscanError(f"database {missing}: no such database file (ingest articles first, "
                            "or name another database or set PROPSCAN_DB)", option="db")


def _sqlite_pragmas(busy_timeout_ms: int, dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers (the web app) do not block an ingest
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    # how long a write waits for another process's lock before "database is locked"
    cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    cur.close()


# words of SQLite's and PostgreSQL's messages -> the kind of fault (first match wins)
_FAULTS = (
    (("disk is full", "no space left", "could not extend file", "disk full"), errors.STORE_FULL),
    (("readonly database", "read-only", "read only"), errors.STORE_READ_ONLY),
    (("database is locked", "lock timeout", "deadlock", "could not obtain lock"), errors.STORE_LOCKED),
)


def store_error(url: str, e: BaseException) -> StoreError:
    """A database failure as a one-line error naming the store, with its kind (full, locked, read-only, gone).

    The one translation of SQLAlchemy's errors: the Store's methods, the CLI and the web app all use it, so a
    fault reads the same wherever it surfaces (``url`` as ``safe_url`` renders it)."""
    orig = getattr(e, "orig", None) or e
    first = (str(orig).strip().splitlines() or [type(orig).__name__])[0][:300]
    low = first.lower()
    kind = next((k for words, k in _FAULTS if any(w in low for w in words)), errors.STORE_UNAVAILABLE)
    what = {errors.STORE_FULL: "the database is full", errors.STORE_READ_ONLY: "the database is read-only",
            errors.STORE_LOCKED: "the database is locked by another process",
            errors.STORE_UNAVAILABLE: "the database failed"}[kind]
    return StoreError(f"database {url}: {what} ({first}); nothing committed was lost", kind)


def _translating(method: Any) -> Any:
    """``method`` with SQLAlchemy errors raised as ``StoreError`` (no traceback with SQL and article text)."""
    @functools.wraps(method)
    def wrapper(self: "Store", *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sa.exc.SQLAlchemyError as e:
            raise store_error(self._safe_url(), e) from None
    return wrapper


# ids are INTEGER columns (32-bit on PostgreSQL): a larger number names nothing stored
MAX_ID = 2**31 - 1
MAX_OFFSET = 2**62


def valid_id(value: Any) -> int | None:
    """``value`` as a row id, or None when no row can have it (an id from a URL may be any integer)."""
    try:
        i = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return i if 0 < i <= MAX_ID else None


def _iso(d: Any) -> str | None:
    return d.isoformat() if d is not None else None


class Store:
    """Analysed articles and their corpus links; build one per process."""

    def __init__(self, url: str | None = None, *, create: bool = True, settings: Settings = DEFAULT) -> None:
        """``settings``: how long a SQLite write waits for a lock; the sentence encoder the corpus links with."""
        self.settings = settings
        self.url = resolve_url(url)
        try:
            u = sa.engine.make_url(self.url)
        except sa.exc.ArgumentError:
            raise PropscanError(f"database {url}: not a database URL or file path", option="db") from None
        self.dialect = u.get_backend_name()
        kwargs: dict[str, Any] = {"future": True}
        if self.dialect == "sqlite" and u.database not in (None, "", ":memory:") \
                and not (u.database.startswith("file:") and u.query.get("uri") == "true"):
            # a file's folder is made for it; an SQLite URI ("file:...?uri=true") names a file as it is
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        if self.dialect == "postgresql":
            kwargs["pool_pre_ping"] = True
        try:
            self.engine = sa.create_engine(self.url, **kwargs)
        except ModuleNotFoundError as e:
            raise PropscanError(f"database {url}: the database driver is not installed ({e.name}); "
                                "for PostgreSQL: pip install 'propscan[postgres]'", option="db") from None
        if self.dialect == "sqlite":
            sa.event.listen(self.engine, "connect", functools.partial(_sqlite_pragmas, settings.db_busy_timeout_ms))
        if create:
            try:
                metadata.create_all(self.engine)
                migrate(self.engine)
            except sa.exc.SQLAlchemyError as e:
                raise store_error(self._safe_url(), e) from None

    def _safe_url(self) -> str:
        return safe_url(self.url)

    def __repr__(self) -> str:
        return f"Store({self._safe_url()!r})"

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- adding ------------------------------------------------------------
    def _insert_ignore(self) -> Any:
        if self.dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        elif self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:  # pragma: no cover - other databases: plain insert, conflicts caught per row
            return None
        return insert(articles).on_conflict_do_nothing(index_elements=["content_hash"])

    def add(self, analysis: Analysis) -> int:
        """Store one Analysis (or find it stored already) and return its id."""
        return self.add_many([analysis])[0][0]

    def add_many(self, analyses: Sequence[Analysis]) -> list[tuple[int, bool]]:
        """Store a batch in one transaction; ``(id, added)`` per analysis, ``added`` False when already stored."""
        out: list[tuple[int, bool]] = []
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        ins = self._insert_ignore()
        with self.engine.begin() as conn:
            for a in analyses:
                row = self._row(a, now)
                if ins is not None:
                    new_id = conn.execute(ins.values(**row).returning(articles.c.id)).scalar()
                else:  # pragma: no cover
                    try:
                        with conn.begin_nested():
                            new_id = conn.execute(articles.insert().values(**row)).inserted_primary_key[0]
                    except sa.exc.IntegrityError:
                        new_id = None
                if new_id is None:
                    old = self._refresh(conn, row)
                    out.append((old, False))
                    continue
                self._index(conn, int(new_id), a)
                out.append((int(new_id), True))
        return out

    @staticmethod
    def _refresh(conn: sa.Connection, row: dict[str, Any]) -> int:
        """The stored article with this content hash, its metadata updated to what the new reading says.

        An outlet named nowhere ("unknown") never replaces a known one, nor does a missing date replace a date.
        """
        old = conn.execute(sa.select(articles.c.id, articles.c.story_id, articles.c.analysis,
                                     *[articles.c[c] for c in METADATA_COLUMNS])
                           .where(articles.c.content_hash == row["content_hash"])).mappings().one()
        new = {c: row[c] for c in METADATA_COLUMNS if row[c] != old[c]}
        keep: list[str] = []
        if row["outlet_source"] == "unknown" or (old["outlet_source"] == "edited" and row["outlet_source"] != "flag"):
            keep += ["outlet", "outlet_source"]  # a person's correction outlives a re-read, unless --outlet says
        if row["date"] is None:
            keep += ["date", "month"]
        keep += [c for c in ("title", "url") if not row[c]]
        for c in keep:
            new.pop(c, None)
        if new:
            Store._write_metadata(conn, int(old["id"]), old, new)
        return int(old["id"])

    @staticmethod
    def _write_metadata(conn: sa.Connection, pk: int, old: Any, new: dict[str, Any]) -> None:
        """Change indexed metadata and the stored JSON alike; a re-dated article is grouped again."""
        d = json.loads(old["analysis"])
        art = d["article"]
        meta = art.setdefault("meta", {})
        if "title" in new:
            art["title"] = new["title"]
        if "outlet" in new:
            meta["outlet"], meta["outlet_source"] = new["outlet"], new.get("outlet_source", "edited")
        if "date" in new:
            meta["date"] = new["date"].isoformat() if new["date"] else None
            if meta["date"] is None:
                meta.pop("date")
        if "url" in new and new["url"]:
            meta["url"] = new["url"]
        new = dict(new, analysis=safe_text(json.dumps(d, ensure_ascii=False)))
        conn.execute(articles.update().where(articles.c.id == pk).values(**new))
        if ("date" in new or "title" in new) and old["story_id"] is not None:
            from .links import refresh_story, regroup

            if "date" in new:  # its links depend on its date
                regroup(conn, int(old["story_id"]))
            else:
                refresh_story(conn, int(old["story_id"]))

    @staticmethod
    def _meta_row(art: Article) -> dict[str, Any]:
        """The content hash and the metadata columns of an article."""
        date = facts.date_of(art)
        outlet, outlet_source = facts.attribution(art)
        return {
            "content_hash": facts.content_hash(art),
            "title": safe_text(art.title or ""),
            "url": safe_text(facts.url_of(art) or "") or None,
            "outlet": safe_text(outlet),
            "outlet_source": outlet_source,
            "date": date,
            "month": date.strftime("%Y-%m") if date else None,
        }

    def refresh_many(self, arts: Sequence[Article]) -> int:
        """Re-read metadata of articles stored already (same content hash): how many exist.

        ``propscan ingest`` skips stored texts before analysing them; a second
        ingest with a new outlet, date or title updates the stored row instead.
        """
        found = 0
        with self.engine.begin() as conn:
            for art in arts:
                row = self._meta_row(art)
                if conn.execute(sa.select(articles.c.id).where(
                        articles.c.content_hash == row["content_hash"])).scalar() is not None:
                    self._refresh(conn, row)
                    found += 1
        return found

    @staticmethod
    def _row(a: Analysis, now: dt.datetime) -> dict[str, Any]:
        art = a.article
        return {
            **Store._meta_row(art),
            "article_id": safe_text(art.id[:512]),
            "source": safe_text(art.source or ""),
            "language": safe_text((art.language or "")[:16]),
            "genre": (a.top_genre() or "")[:32],
            "n_chars": len(art.text),
            "n_words": facts.n_words(art.text),
            "body": safe_text(facts.search_text(art.text)),
            "n_spans": len(a.spans),
            "n_paragraphs": len(a.paragraphs),
            "n_labelled_paragraphs": sum(1 for p in a.paragraphs if p.techniques),
            "score": facts.score_of(a),
            # NUL is escaped by json; a lone surrogate is not, and no database can take it
            "analysis": safe_text(json.dumps(a.to_dict(), ensure_ascii=False)),
            "added_at": now,
            "dedup_done": False,
            "repeat": False,
        }

    @staticmethod
    def _index(conn: sa.Connection, pk: int, a: Analysis) -> None:
        rows = [{"article": pk, "technique": t, "category": facts.safe_category(t), "n_spans": ns, "n_paragraphs": np_}
                for t, (ns, np_) in facts.technique_counts(a).items()]
        if rows:
            conn.execute(techniques.insert(), rows)
        fr = [{"article": pk, "frame": f[:64], "score": s} for f, s in facts.chosen_frames(a).items()]
        if fr:
            conn.execute(frames.insert(), fr)

    def stored_hashes(self, hashes: Iterable[str]) -> set[str]:
        """Which of these content hashes are stored already (ingest skips them before analysing)."""
        hashes = list(set(hashes))
        found: set[str] = set()
        with self.engine.connect() as conn:
            for i in range(0, len(hashes), 500):
                chunk = hashes[i:i + 500]
                found.update(conn.execute(sa.select(articles.c.content_hash).where(
                    articles.c.content_hash.in_(chunk))).scalars())
        return found

    # -- reading -----------------------------------------------------------
    def get(self, id: int) -> Analysis | None:
        if valid_id(id) is None:
            return None
        with self.engine.connect() as conn:
            raw = conn.execute(sa.select(articles.c.analysis).where(articles.c.id == int(id))).scalar()
        return Analysis.from_dict(json.loads(raw)) if raw is not None else None

    def info(self, id: int) -> dict[str, Any] | None:
        """The indexed columns of one article, with its corpus links (duplicate of, story)."""
        cols = [c for c in articles.c if c.name not in ("analysis", "content_hash", "body")]
        if valid_id(id) is None:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(*cols).where(articles.c.id == int(id))).mappings().first()
        if row is None:
            return None
        d = dict(row)
        d["date"] = _iso(d["date"])
        d["added_at"] = _iso(d["added_at"])
        return d

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(articles)).scalar_one())

    def ids(self, after: int = 0, limit: int = 1000) -> list[int]:
        with self.engine.connect() as conn:
            return [int(i) for i in conn.execute(sa.select(articles.c.id).where(articles.c.id > after)
                                                 .order_by(articles.c.id).limit(limit)).scalars()]

    def search(self, outlet: str | None = None, date_from: Any = None, date_to: Any = None,
               technique: str | None = None, genre: str | None = None, language: str | None = None,
               q: str | None = None, offset: int = 0, limit: int = 50,
               story: int | None = None) -> tuple[int, list[dict[str, Any]]]:
        """Total matches and one page of summary rows, newest first."""
        cond = []
        if outlet:
            cond.append(articles.c.outlet == outlet)
        if date_from:
            d = facts.parse_date(date_from)
            if d is None:
                raise InputError("date_from", f"not a date: {date_from!r}")
            cond.append(articles.c.date >= d)
        if date_to:
            d = facts.parse_date(date_to)
            if d is None:
                raise InputError("date_to", f"not a date: {date_to!r}")
            cond.append(articles.c.date <= d)
        if technique:
            try:
                tech = normalise(technique)
            except KeyError:
                raise InputError("technique", f"unknown technique {technique!r}") from None
            cond.append(sa.exists().where(techniques.c.article == articles.c.id, techniques.c.technique == tech))
        if genre:
            cond.append(articles.c.genre == genre)
        if language:
            cond.append(articles.c.language == language)
        if story is not None:
            sid = valid_id(story)
            cond.append(articles.c.story_id == sid if sid is not None else sa.false())
        if q:
            cond.extend(query_terms(q))
        where = sa.and_(sa.true(), *cond)
        cols = [articles.c[c] for c in SUMMARY_COLUMNS] + [articles.c.article_id, articles.c.url,
                                                          articles.c.dup_of, articles.c.story_id]
        with self.engine.connect() as conn:
            total = int(conn.execute(sa.select(sa.func.count()).select_from(articles).where(where)).scalar_one())
            rows = conn.execute(sa.select(*cols).where(where)
                                .order_by(articles.c.date.desc().nullslast(), articles.c.id.desc())
                                .offset(min(max(0, int(offset)), MAX_OFFSET))
                                .limit(max(0, min(int(limit), 1000)))).mappings().all()
        out = []
        for r in rows:
            d = dict(r)
            d["date"] = _iso(d["date"])
            out.append(d)
        return total, out

    def outlets(self) -> list[dict[str, Any]]:
        """Every outlet with its article count, date range, mean spans and mean score."""
        q = (sa.select(articles.c.outlet, sa.func.count().label("n_articles"),
                       sa.func.min(articles.c.date).label("first_date"), sa.func.max(articles.c.date).label("last_date"),
                       sa.func.avg(articles.c.n_spans).label("mean_spans"), sa.func.avg(articles.c.score).label("mean_score"))
             .group_by(articles.c.outlet).order_by(sa.func.count().desc(), articles.c.outlet))
        with self.engine.connect() as conn:
            rows = conn.execute(q).mappings().all()
        return [{"outlet": r["outlet"], "n_articles": int(r["n_articles"]), "first_date": _iso(r["first_date"]),
                 "last_date": _iso(r["last_date"]),
                 "mean_spans": round(float(r["mean_spans"] or 0), 3),
                 "mean_score": None if r["mean_score"] is None else round(float(r["mean_score"]), 2)} for r in rows]

    # -- curation ----------------------------------------------------------
    def update_article(self, id: int, *, outlet: str | None = None, date: Any = None,
                       title: str | None = None) -> dict[str, Any] | None:
        """Correct an article's outlet, date or title (None leaves a field; date "" clears it);
        returns ``info(id)``, or None when there is no such article.

        A new date unlinks the article's story (its links depend on the date); ``corpus.update.update``
        links it again (the web app calls it right after).
        """
        new: dict[str, Any] = {}
        if outlet is not None:
            outlet = safe_text(" ".join(str(outlet).split()))
            if not outlet:
                raise InputError("outlet", "an outlet cannot be empty (use \"unknown\")")
            new.update(outlet=outlet[:255], outlet_source="edited")
        if title is not None:
            title = safe_text(" ".join(str(title).split()))
            if not title:
                raise InputError("title", "a title cannot be empty")
            new["title"] = title
        if date is not None:
            if date == "":
                new.update(date=None, month=None)
            else:
                d = facts.parse_date(date)
                if d is None:
                    raise InputError("date", f"not a date: {date!r}")
                new.update(date=d, month=d.strftime("%Y-%m"))
        if valid_id(id) is None:
            return None
        with self.engine.begin() as conn:
            old = conn.execute(sa.select(articles.c.id, articles.c.story_id, articles.c.analysis,
                                         *[articles.c[c] for c in METADATA_COLUMNS])
                               .where(articles.c.id == int(id))).mappings().first()
            if old is None:
                return None
            new = {k: v for k, v in new.items() if v != old[k]}
            if new:
                self._write_metadata(conn, int(id), old, new)
        return self.info(id)

    def delete_article(self, id: int) -> bool:
        """Remove an article with its feedback, corpus links and embedding; False if there was none.

        Its story is dissolved (it may have been what joined two halves) and articles that pointed at
        it as their original are marked to be de-duplicated again: ``corpus.update.update`` links them
        (the web app calls it right after).
        """
        from .links import regroup
        from .schema import duplicates, embeddings, lsh_bands, minhashes

        if valid_id(id) is None:  # beyond the database's integers: no such article, not an overflow
            return False
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(articles.c.id, articles.c.story_id).where(
                articles.c.id == int(id))).first()
            if row is None:
                return False
            pk = int(row.id)
            for table, col in ((feedback, feedback.c.article), (techniques, techniques.c.article),
                               (frames, frames.c.article), (embeddings, embeddings.c.article),
                               (minhashes, minhashes.c.article), (lsh_bands, lsh_bands.c.article)):
                conn.execute(table.delete().where(col == pk))
            conn.execute(duplicates.delete().where(sa.or_(duplicates.c.article == pk, duplicates.c.other == pk)))
            copies = [int(i) for i in conn.execute(sa.select(articles.c.id).where(articles.c.dup_of == pk)).scalars()]
            conn.execute(articles.delete().where(articles.c.id == pk))
            if copies:  # signed and linked again: they find their next original, or none
                conn.execute(duplicates.delete().where(duplicates.c.article.in_(copies)))
                conn.execute(lsh_bands.delete().where(lsh_bands.c.article.in_(copies)))
                conn.execute(minhashes.delete().where(minhashes.c.article.in_(copies)))
                conn.execute(articles.update().where(articles.c.id.in_(copies)).values(
                    dup_of=None, repeat=False, dedup_done=False))
            if row.story_id is not None:
                regroup(conn, int(row.story_id))
        return True

    # -- feedback ----------------------------------------------------------
    def add_feedback(self, article_id: int, action: str, start: int, end: int, technique: str | None,
                     new_technique: str | None, model_version: str, note: str = "", annotator: str = "") -> int:
        """Record a user's verdict on a span (confirm, reject, relabel, add, adjust) for retraining."""
        action = (action or "").strip().lower()
        if action not in FEEDBACK_ACTIONS:
            raise InputError("action", f"must be one of {', '.join(FEEDBACK_ACTIONS)}, not {action!r}")
        names = []
        for label, name in (("technique", technique), ("new_technique", new_technique)):
            if name:
                try:
                    name = normalise(name)
                except KeyError:
                    raise InputError(label, f"unknown technique {name!r}") from None
            names.append(name or None)
        start, end = int(start), int(end)
        if valid_id(article_id) is None:
            raise InputError("article_id", f"no stored article {article_id}", kind=errors.NOT_FOUND)
        with self.engine.begin() as conn:
            n_chars = conn.execute(sa.select(articles.c.n_chars).where(articles.c.id == int(article_id))).scalar()
            if n_chars is None:
                raise InputError("article_id", f"no stored article {article_id}", kind=errors.NOT_FOUND)
            if not 0 <= start <= end <= n_chars:
                raise InputError("span", f"{start}-{end} is outside the article (0-{n_chars})")
            return int(conn.execute(feedback.insert().values(
                article=int(article_id), action=action, start=start, end=end, technique=names[0],
                new_technique=names[1], model_version=model_version or "", note=note or "",
                annotator=" ".join((annotator or "").split())[:ANNOTATOR_MAX],
                created_at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
            ).returning(feedback.c.id)).scalar_one())

    def article_feedback(self, article_id: int) -> list[dict[str, Any]]:
        """The corrections of one article, oldest first (who, when, what)."""
        return self.feedback(article_id=article_id)

    def feedback(self, since: Any = None, article_id: int | None = None) -> list[dict[str, Any]]:
        """Feedback in the order given; ``since`` is a feedback id (exclusive) or a date/datetime (inclusive)."""
        q = (sa.select(feedback, articles.c.article_id.label("article_ref"), articles.c.analysis)
             .join(articles, articles.c.id == feedback.c.article).order_by(feedback.c.id))
        if article_id is not None:
            q = q.where(feedback.c.article == int(article_id))
        if isinstance(since, int) and not isinstance(since, bool):
            q = q.where(feedback.c.id > since)
        elif since:
            when = since if isinstance(since, dt.datetime) else None
            if when is None:
                try:
                    when = dt.datetime.fromisoformat(str(since))
                except ValueError:
                    raise InputError("since", f"not a date or feedback id: {since!r}") from None
            if when.tzinfo is not None:
                when = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
            q = q.where(feedback.c.created_at >= when)
        out = []
        texts: dict[int, str] = {}
        with self.engine.connect() as conn:
            for r in conn.execute(q).mappings():
                d = {k: r[k] for k in ("id", "action", "start", "end", "technique", "new_technique",
                                       "model_version", "note", "annotator", "article_ref")}
                d["article_id"] = int(r["article"])
                d["created_at"] = _iso(r["created_at"])
                if d["article_id"] not in texts:
                    texts[d["article_id"]] = json.loads(r["analysis"])["article"]["text"]
                d["text"] = texts[d["article_id"]][d["start"]:d["end"]]
                out.append(d)
        return out


_TERM = re.compile(r'["“]([^"”]*)["”]|(\S+)')


def query_terms(q: str) -> list[Any]:
    """Conditions for a search query: a "quoted phrase" must occur as written, every other word must
    occur; each in the title, the text or the outlet (never in the stored JSON)."""
    cond = []
    for phrase, word in _TERM.findall(q):
        term = " ".join((phrase or word).split())
        if not term:
            continue
        pat = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        cond.append(sa.or_(*(c.ilike(pat, escape="\\") for c in (articles.c.title, articles.c.body,
                                                                   articles.c.outlet))))
    return cond


# every public method of the Store (those added later too) reports database faults in one line
for _name, _method in list(vars(Store).items()):
    if callable(_method) and not _name.startswith("_") and not isinstance(_method, (staticmethod, classmethod)):
        setattr(Store, _name, _translating(_method))

__all__ = ["Store", "missing_file", "query_terms", "require_existing", "resolve_url", "safe_url", "store_error"]
