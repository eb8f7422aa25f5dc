"""Metadata that real crawls carry only in their text: the outlet named in a byline or footer, the headline.

A crawler's text file has no og:site_name, but news sites sign their copy:
"By: Anna Jaunger, Inside Syria Media Center |" above the article, "... is a
correspondent at Inside Syria Media Center where this article was originally
published" or "Follow the latest developments by reading Inside Syria Media
Center." below it. The first lines are not always the headline either: a photo
caption can sit above it, and a page without a headline starts with its first
paragraph, which is no title.
"""

from __future__ import annotations

import re

# a capitalised name of up to six words ("Inside Syria Media Center", "The New York Times", "RT")
_NAME = r"((?:The[ \t]+)?[A-Z][\w&'’-]*(?:\.[A-Za-z]+)*(?:[ \t]+(?:of[ \t]+|for[ \t]+|and[ \t]+|&[ \t]+)?[A-Z][\w&'’-]*){0,5})"
# "By: Name Surname, Outlet |" or "By Name, Outlet" on a line of its own, near the top
_BYLINE = re.compile(r"^\s*(?i:by):?\s+[^,\n|]{2,60},\s*" + _NAME + r"\s*(?:\||$)", re.MULTILINE)
# footers that name where the piece was published
_FOOTER = re.compile(
    r"(?i:originally\s+(?:published|appeared)\s+(?:on|at|in)|first\s+(?:published|appeared)\s+(?:on|at|in)"
    r"|by\s+reading)\s+(?:the\s+website\s+)?" + _NAME)
# "<Name> is a (special) correspondent at <Outlet> where ...": the author's note, in the last lines only
_AUTHOR_NOTE = re.compile(r"\bis\s+(?i:(?:a|an|the)\s+(?:[\w-]+\s+){0,3}(?:correspondent|reporter|writer|editor"
                          r"|columnist|journalist|contributor)\s+(?:at|for|with|to))\s+" + _NAME)
_TRAILING_WORDS = {"Where", "Which", "And", "The", "This", "All", "Rights", "Reserved", "Inc", "Ltd"}
HEAD_LINES = 15
TAIL_CHARS = 3000
NOTE_CHARS = 600


def _tidy(name: str) -> str | None:
    words = name.replace("’", "'").split()
    while words and words[-1].strip(".") in _TRAILING_WORDS:
        words.pop()
    name = " ".join(words).strip(" .,-")
    if len(name) < 2 or not any(ch.isalpha() for ch in name):
        return None
    return name[:255]


def outlet_from_text(text: str) -> str | None:
    """The outlet a byline (top of the article) or a footer (its end) names, or None."""
    head = "\n".join(text.split("\n", HEAD_LINES)[:HEAD_LINES])
    m = _BYLINE.search(head)
    if m:
        name = _tidy(m.group(1))
        if name:
            return name
    for pattern, chars in ((_FOOTER, TAIL_CHARS), (_AUTHOR_NOTE, NOTE_CHARS)):
        for m in pattern.finditer(text[-chars:]):
            name = _tidy(m.group(1))
            if name:
                return name
    return None


# -- a publication date a crawl left in the text --------------------------------------------------------
_MONTHS = {m: i for i, m in enumerate(("january february march april may june july august september october "
                                        "november december").split(), start=1)}
_MONTH_DATE = r"(?P<month>" + "|".join(_MONTHS) + r")\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>(?:19|20)\d\d)"
_NUMERIC_DATE = r"(?P<a>\d{1,2})[./-](?P<b>\d{1,2})[./-](?P<y>(?:19|20)?\d\d)\b"
# "Published: ...", "First published on ...", Ynet's "פרסום ראשון:" ("first published")
_LABELLED = re.compile(r"(?i:(?:first\s+)?published|posted|פרסום ראשון)\s*(?:on|:)?\s*(?:(?i:" + _MONTH_DATE + ")|"
                       + _NUMERIC_DATE + ")")
# a dateline: "Republic of Iraq, Syrian Arab Republic (November 25, 2017) – After ..."
_DATELINE = re.compile(r"\((?i:" + _MONTH_DATE + r")\)\s*[–—-]")
DATELINE_CHARS = 800


def _date(m: re.Match[str]) -> str | None:
    import datetime as dt

    g = m.groupdict()
    try:
        if g.get("month"):
            return dt.date(int(g["year"]), _MONTHS[g["month"].lower()], int(g["day"])).isoformat()
        a, b, y = int(g["a"]), int(g["b"]), int(g["y"])
        y += 2000 if y < 100 else 0
        month, day = (a, b) if a <= 12 else (b, a)  # "05.30.16": month first unless the first can't be one
        if a <= 12 and b <= 12 and a != b:
            return None  # 03.04.17: March 4 or 3 April? no guess
        return dt.date(y, month, day).isoformat()
    except (ValueError, KeyError):
        return None


def date_from_text(text: str) -> str | None:
    """An ISO date the text states as its publication date (a "Published:" label anywhere, a dateline
    near the top), or None; dates merely mentioned in the story are not taken."""
    for m in _LABELLED.finditer(text):
        d = _date(m)
        if d:
            return d
    m = _DATELINE.search(text[:DATELINE_CHARS])
    return _date(m) if m else None
