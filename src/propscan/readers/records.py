"""Article records: JSONL (one JSON object per line) and CSV with a text column.

Corpus files can hold millions of articles, so ``iter_jsonl``/``iter_csv``
stream record by record with bounded memory and yield an ``InputError`` for a
bad record (naming file and line) instead of giving up on the whole file.
``max_bytes`` limits one record, not the file. Columns are found by common
names (text/content/body, title/headline, date/published, outlet/source, url,
id, language) unless named in ``Columns``; other scalar fields go to
``Article.meta``.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

from ..document import Article
from ..errors import BINARY, EMPTY, TOO_LARGE, UNREADABLE, InputError
from .text import DEFAULT_MAX_BYTES

CANDIDATES: dict[str, tuple[str, ...]] = {
    "text": ("text", "content", "body", "article", "full_text", "fulltext", "maintext", "article_text"),
    "title": ("title", "headline", "heading"),
    "id": ("id", "article_id", "doc_id", "docid", "uid", "guid", "_id"),
    "date": ("date", "published", "published_at", "publish_date", "pubdate", "date_publish", "datetime",
             "timestamp", "created_at"),
    "outlet": ("outlet", "publisher", "source", "source_name", "site", "site_name", "domain", "media"),
    "url": ("url", "link", "source_url", "canonical_url"),
    "language": ("language", "lang"),
}
META_MAX_CHARS = 2000  # longer extra fields are not copied into meta


@dataclass(frozen=True)
class Columns:
    """Which field holds what; None means: look for the usual names."""

    text: str | None = None
    title: str | None = None
    id: str | None = None
    date: str | None = None
    outlet: str | None = None
    url: str | None = None
    language: str | None = None

    def resolve(self, fields: Any) -> dict[str, str | None]:
        """Field name per role, for a record with these fields (case-insensitive match)."""
        lower = {str(f).strip().lower(): f for f in fields}
        out: dict[str, str | None] = {}
        for role, names in CANDIDATES.items():
            chosen = getattr(self, role)
            if chosen is not None:
                out[role] = lower.get(chosen.strip().lower())
                continue
            out[role] = next((lower[n] for n in names if n in lower), None)
        return out


def _str(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, (int, float, bool)):
        return str(v)
    return json.dumps(v, ensure_ascii=False)


def article_from_record(rec: Mapping[str, Any], cols: dict[str, str | None], where: str, fallback_id: str,
                        path: Path, max_bytes: int) -> Article:
    """One Article from one record; raises InputError naming ``where`` (file:line) when unusable."""
    if cols["text"] is None or cols["text"] not in rec:
        raise InputError(where, "no text field (looked for " + ", ".join(CANDIDATES["text"]) + ")",
                         option="text_column")
    body = _str(rec[cols["text"]])
    if len(body) > max_bytes:
        raise InputError(where, f"text too large ({len(body):,} characters; the limit is {max_bytes:,})",
                         kind=TOO_LARGE, option="max_bytes")
    if not body.strip():
        raise InputError(where, "empty text", kind=EMPTY)
    if "\x00" in body:
        raise InputError(where, "text holds NUL characters (binary?)", kind=BINARY)
    title = _str(rec.get(cols["title"])).strip() if cols["title"] else ""
    title = " ".join(title.split())  # a title is one line: line 1 of the article
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    # SemEval layout: title on line 1, a blank line, then the body (unless the body starts with it)
    text = f"{title}\n\n{body}" if title and not body.lstrip().startswith(title) else body
    rid = _str(rec.get(cols["id"])).strip() if cols["id"] else ""
    url = _str(rec.get(cols["url"])).strip() if cols["url"] else ""
    meta: dict[str, Any] = {}
    for role in ("date", "outlet", "url"):
        if cols[role] and rec.get(cols[role]) not in (None, ""):
            meta[role] = rec[cols[role]] if role == "date" and isinstance(rec[cols[role]], (int, float)) \
                else _str(rec[cols[role]]).strip()
    if meta.get("outlet"):
        meta["outlet_source"] = "column"
    used = {c for c in cols.values() if c}
    for k, v in rec.items():
        if k in used or k in meta or v is None or v == "":
            continue
        if isinstance(v, (str, int, float, bool)) and len(str(v)) <= META_MAX_CHARS:
            meta[str(k)] = v
    # the source names the record stably (url, else file and id), so re-reading a grown file
    # gives each record the same identity in the store
    source = url or (f"{path}#{rid}" if rid else str(path))
    lang = _str(rec.get(cols["language"])).strip().lower() if cols["language"] else ""
    art = Article(id=rid or fallback_id, text=text, source=source, meta=meta, language=lang or "en")
    if title:
        art.title = title
    return art


def _too_long_line(f: io.BufferedReader, chunk: int = 1 << 20) -> None:
    """Skip the rest of an over-long line without holding it in memory."""
    while True:
        part = f.readline(chunk)
        if not part or part.endswith(b"\n"):
            return


def iter_jsonl(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES,
               columns: Columns | None = None) -> Iterator[Article | InputError]:
    """Articles of a JSONL file, one per line, streamed; an InputError per bad line."""
    path = Path(path)
    cols = columns or Columns()
    limit = max_bytes * 4 + 65536  # JSON escaping can make a line longer than its text
    try:
        f = open(path, "rb")
    except OSError as e:
        yield InputError(str(path), f"cannot read ({e.strerror or e})", kind=UNREADABLE)
        return
    with f:
        number = 0
        seen = 0
        while True:
            line = f.readline(limit + 1)
            if not line:
                break
            number += 1
            where = f"{path}:{number}"
            if len(line) > limit and not line.endswith(b"\n"):
                _too_long_line(f)
                yield InputError(where, f"line too long (over {limit:,} bytes)", kind=TOO_LARGE, option="max_bytes")
                continue
            if not line.strip():
                continue
            seen += 1
            try:
                rec = json.loads(line)
            except (ValueError, UnicodeDecodeError) as e:
                yield InputError(where, f"not valid JSON ({str(e).splitlines()[0][:120]})")
                continue
            if not isinstance(rec, dict):
                yield InputError(where, "not a JSON object")
                continue
            try:
                yield article_from_record(rec, cols.resolve(rec.keys()), where, f"{path.stem}-{number}", path,
                                          max_bytes)
            except InputError as e:
                yield e
        if not seen:
            yield InputError(str(path), "empty input (no JSON lines)", kind=EMPTY)


def _open_text(path: Path) -> io.TextIOWrapper:
    """UTF-8 (with or without BOM), else the encoding charset-normalizer detects on the first megabyte."""
    f = open(path, "rb")
    head = f.read(1 << 20)
    f.seek(0)
    encoding = "utf-8-sig"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start < len(head) - 4:  # not just a character cut at the end of the sample
            from charset_normalizer import from_bytes

            best = from_bytes(head).best()
            if best is None:
                f.close()
                raise InputError(str(path), "not UTF-8 and no text encoding could be detected", kind=BINARY) from None
            encoding = best.encoding
    return io.TextIOWrapper(f, encoding=encoding, errors="replace", newline="")


def iter_csv(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES,
             columns: Columns | None = None) -> Iterator[Article | InputError]:
    """Articles of a CSV (or ;/tab/| separated) file with a header row, streamed; an InputError per bad row."""
    path = Path(path)
    cols = columns or Columns()
    try:
        f = _open_text(path)
    except InputError as e:
        yield e
        return
    except OSError as e:
        yield InputError(str(path), f"cannot read ({e.strerror or e})", kind=UNREADABLE)
        return
    with f:
        sample = f.read(65536)
        f.seek(0)
        if not sample.strip():
            yield InputError(str(path), "empty input", kind=EMPTY)
            return
        try:
            dialect: Any = csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
        csv.field_size_limit(max(max_bytes * 4, 131072))
        reader = csv.DictReader(f, dialect=dialect)
        try:
            fields = reader.fieldnames or []
        except csv.Error as e:
            yield InputError(str(path), f"not a readable CSV header ({e})")
            return
        resolved = cols.resolve(fields)
        if resolved["text"] is None:
            wanted = cols.text or "/".join(CANDIDATES["text"][:4])
            yield InputError(str(path), f"no text column {wanted!r} in the header ({', '.join(map(str, fields))[:200]})",
                             option="text_column")
            return
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as e:
                yield InputError(f"{path}:{reader.line_num}", f"unreadable CSV row ({e})")
                continue
            where = f"{path}:{reader.line_num}"
            try:
                yield article_from_record({k: v for k, v in row.items() if k is not None}, resolved, where,
                                          f"{path.stem}-{reader.line_num}", path, max_bytes)
            except InputError as e:
                yield e


def _strict(items: Iterator[Article | InputError]) -> list[Article]:
    out: list[Article] = []
    for got in items:
        if isinstance(got, InputError):
            raise got
        out.append(got)
    return out


def read_jsonl(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Article]:
    """All articles of a JSONL file; the first bad line is an error (``iter_jsonl`` carries on instead)."""
    return _strict(iter_jsonl(path, max_bytes))


def read_csv(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Article]:
    """All articles of a CSV file; the first bad row is an error (``iter_csv`` carries on instead)."""
    return _strict(iter_csv(path, max_bytes))
