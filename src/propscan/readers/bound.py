"""How much of an article the analysis takes: one long input is cut, and says so.

Here, below the readers and the analyzer alike, because both cut: the readers
before cleanup and before the store hashes an article (so a long input costs
no more than the part analysed), the analyzer on whatever it is given.
"""

from __future__ import annotations

from ..document import Article, apply_edits_inverse
from ..runtime.settings import DEFAULT_MAX_CHARS

# meta key recording the length of an article before it was cut
TRUNCATED = "truncated_from"


def _cut_point(text: str, limit: int) -> int:
    """Where to cut ``text`` to at most ``limit`` characters: a line end, else a space, in the last half."""
    for sep in ("\n", " "):
        i = text.rfind(sep, limit // 2, limit + 1)
        if i > 0:
            return i
    return limit


def bound(article: Article, max_chars: int = DEFAULT_MAX_CHARS) -> Article:
    """``article`` cut to at most ``max_chars`` characters (at a line end where it can), its length kept in meta.

    Why: one huge input must not take minutes and gigabytes; a notice in the
    Analysis says what was left out. Cleanup edits past the cut are dropped
    with the text they applied to, so offsets and the raw text stay exact.
    """
    n = len(article.text)
    if max_chars <= 0 or n <= max_chars:
        return article
    cut = _cut_point(article.text, max_chars)
    kept = []
    shift = 0
    for e in article.edits:  # sorted, in raw offsets; find each one's place in the cleaned text
        start = e.start + shift
        if start + len(e.replacement) > cut:
            cut = min(cut, start)
            break
        kept.append(e)
        shift += len(e.replacement) - (e.end - e.start)
    text = article.text[:cut]
    meta = {**article.meta, TRUNCATED: int(article.meta.get(TRUNCATED, n))}
    return Article(id=article.id, text=text, title=article.title, source=article.source, language=article.language,
                   meta=meta, raw_text=apply_edits_inverse(text, kept) if kept else None, edits=kept)
