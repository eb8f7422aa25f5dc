"""Remove crawl noise from article text, recording every change as an ``Edit``.

Crawler dumps and extracted web pages carry text that is not the article:
comment threads, "about the author" and "related posts" blocks, newsletter and
share widgets, cookie notices, shortcodes, photo captions repeated under each
photo, and PDF text hard-wrapped at a fixed width with doubled spaces. If it
reached the model, a reader's comment would be scored as the outlet's
propaganda. Cleanup never rewrites text silently: each removal or replacement
is an ``Edit`` over the raw input (what, where, why), so ``Article.to_raw``
maps offsets back and ``--raw`` turns it all off.

The rules are deliberately conservative: whole-line boilerplate phrases, blocks
introduced by a boilerplate heading, comment threads recognised by their
structure ("Name says" headers, indentation), and wrap joining only when the
whole document is laid out at a fixed width. Clean news text (the SemEval
corpora) comes through untouched or nearly so; tests check that no annotated
span loses a character.

The package, one module a concern: ``phrases`` (the tables), ``lines`` (text
as lines with offsets), ``classify`` (which lines are furniture), ``layout``
(hard-wrap joining, spacing), ``shortcodes``, ``edits`` (Edits over the raw
text, composed until stable), ``title`` (the headline among the first lines)
and ``article`` (``clean_article``).
"""

from __future__ import annotations

from .article import clean_article, clean_text
from .edits import find_edits

__all__ = ["clean_article", "clean_text", "find_edits"]
