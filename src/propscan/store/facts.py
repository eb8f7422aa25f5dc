"""What the store indexes about an Analysis: outlet, date, genre, techniques, frames.

Kept apart from the SQL so the same rules (where an outlet comes from, how a
date is read) hold for the store, the reports and the tests.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from ..document import Analysis, Article
from ..taxonomy import category_of

_WORD = re.compile(r"\w+")
_YMD = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")


def content_hash(article: Article) -> str:
    """Identity of an article in the store: the same text from the same source is stored once."""
    h = hashlib.sha256()
    h.update(article.source.encode("utf-8", "surrogatepass"))
    h.update(b"\0")
    h.update(article.text.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def url_of(article: Article) -> str | None:
    for key in ("url", "link", "source_url"):
        v = article.meta.get(key)
        if isinstance(v, str) and v.strip():
            return v.strip()
    if article.source.startswith(("http://", "https://")):
        return article.source
    return None


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


UNKNOWN_OUTLET = "unknown"
# where an outlet can come from, most trusted first; ``meta`` is an outlet set by a caller of the Python API
OUTLET_SOURCES = ("edited", "flag", "web", "column", "meta", "site_name", "byline", "url", "unknown")


def attribution(article: Article) -> tuple[str, str]:
    """(outlet, where it came from): the article's metadata, else a byline or footer naming the outlet,
    else the URL's domain, else "unknown" (never the folder a file was saved in)."""
    v = article.meta.get("outlet")
    if isinstance(v, str) and v.strip():
        src = article.meta.get("outlet_source")
        return " ".join(v.split())[:255], (src if src in OUTLET_SOURCES else "meta")
    from ..readers.meta import outlet_from_text

    named = outlet_from_text(article.raw)
    if named:
        return named, "byline"
    url = url_of(article)
    if url:
        host = _host(url)
        if host:
            return host[:255], "url"
    return UNKNOWN_OUTLET, "unknown"


def search_text(text: str) -> str:
    """The text ``q`` searches: whitespace collapsed, so a phrase matches across line breaks."""
    return " ".join(text.split())


def n_words(text: str) -> int:
    return len(_WORD.findall(text))


def parse_date(value: Any) -> dt.date | None:
    """A calendar date from ISO strings, RFC 2822 dates, datetimes or epoch seconds; None if unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return dt.datetime.fromtimestamp(float(value), tz=dt.timezone.utc).date()
        except (OverflowError, OSError, ValueError):
            return None
    s = str(value).strip()
    m = _YMD.search(s)
    if m:
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    try:
        return parsedate_to_datetime(s).date()
    except (TypeError, ValueError, IndexError):
        return None


def date_of(article: Article) -> dt.date | None:
    """The metadata's date, else one the text states as its publication date ("Published: ...",
    a dateline), never a date the story merely mentions."""
    for key in ("date", "published", "published_at", "pubdate", "datetime"):
        d = parse_date(article.meta.get(key))
        if d is not None:
            return d
    from ..readers.meta import date_from_text

    return parse_date(date_from_text(article.raw))


def chosen_frames(analysis: Analysis) -> dict[str, float]:
    """The chosen frames (``Analysis.chosen_frames``) with their scores (1.0 for a choice without one)."""
    return {str(f): float(analysis.frames.get(f, 1.0)) for f in analysis.chosen_frames()}


def technique_counts(analysis: Analysis) -> dict[str, tuple[int, int]]:
    """technique -> (spans, paragraphs labelled with it)."""
    out: dict[str, list[int]] = {}
    for s in analysis.spans:
        out.setdefault(s.technique, [0, 0])[0] += 1
    for p in analysis.paragraphs:
        for t in set(p.techniques):
            out.setdefault(t, [0, 0])[1] += 1
    return {t: (v[0], v[1]) for t, v in out.items()}


def score_of(analysis: Analysis) -> float | None:
    s = analysis.profile.score if analysis.profile else None
    return float(s) if isinstance(s, (int, float)) and not isinstance(s, bool) else None


def safe_category(technique: str) -> str:
    try:
        return category_of(technique)
    except KeyError:
        return ""
