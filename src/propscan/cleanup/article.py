"""Cleanup of a whole Article: its text cleaned, the edits recorded, its headline chosen again."""

from __future__ import annotations

import dataclasses

from ..document import Article, apply_edits
from .edits import find_edits
from .title import choose_title


def clean_text(raw: str) -> str:
    return apply_edits(raw, find_edits(raw))


def clean_article(article: Article) -> Article:
    """A new Article whose text is ``article.text`` cleaned, with the edits recorded.

    An article that already carries edits was cleaned before and is returned as is.
    """
    if article.edits:
        return article
    raw = article.text
    edits = find_edits(raw)
    first = next((ln.strip() for ln in raw.split("\n") if ln.strip()), "")
    # a title taken from the first line (not given by the page's <title> or a record's column) is
    # chosen again: the headline, not a photo caption above it or a first paragraph
    derived = article.title == first and article.meta.get("format") != "html"
    if not edits:
        if derived and (title := choose_title(raw)) != article.title:
            return dataclasses.replace(article, title=title)
        return article
    text = apply_edits(raw, edits)
    title = choose_title(text, context=raw) if derived else article.title
    return Article(id=article.id, text=text, title=title, source=article.source, language=article.language,
                   meta=dict(article.meta), raw_text=raw, edits=edits)
