"""The headline among an article's first lines: not a photo caption above it, not a first paragraph.

A crawl's first lines are not always the headline; cleanup chooses it again
for a title that was only taken from the first line.
"""

from __future__ import annotations

import re

TITLE_MAX = 150  # longer first lines are paragraphs, not headlines
TITLE_CUT = 100
_CAPTION = re.compile(r"^(?:photo|image|picture|credit|caption|file photo|video)\b|\((?:photo|credit)[^)]*\)\s*$"
                      r"|(?:getty images|reuters|\bap\b|afp|shutterstock)\W*$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[A-Z\"“‘(])")


def _headline_like(line: str) -> bool:
    return 0 < len(line) <= TITLE_MAX and not (len(line) > 80 and line.endswith("."))


def _shorten(line: str) -> str:
    """The first sentence, cut at a word boundary: a stand-in title for a page without a headline."""
    first = _SENTENCE_END.split(line, maxsplit=1)[0]
    if len(first) <= TITLE_CUT:
        return first
    cut = first[:TITLE_CUT].rsplit(" ", 1)[0].rstrip(",;:-– ")
    return cut + "…"


def _repeated(line: str, text: str) -> bool:
    """The line comes back later as a line of its own, in quotes, or before a ``|`` site suffix."""
    after = text[text.find(line) + len(line):]
    return any(form in after for form in (f"\n{line}\n", f'"{line}"', f"“{line}”", f"{line} |")) \
        or after.endswith("\n" + line)


def choose_title(text: str, context: str | None = None) -> str:
    """The headline among the first lines: not a photo caption, not a first paragraph.

    ``context`` is the page as crawled (before cleanup removed, say, its talkback links), where a
    repeated headline is looked for; it defaults to ``text``.
    """
    context = text if context is None else context
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()][:3]
    if not lines:
        return ""
    first = lines[0]
    if len(lines) >= 2 and _headline_like(lines[1]):
        second = lines[1]
        # a caption above the headline: marked as one, or the page repeats the second line ("See all
        # talkbacks "<headline>"", share links, "<headline> | Site") and not the first
        if _CAPTION.search(first) or (_headline_like(first) and not first.endswith((".", ":"))
                                      and _repeated(second, context) and not _repeated(first, context)):
            return second
    if _headline_like(first):
        return first
    return _shorten(first)
