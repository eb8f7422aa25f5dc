"""Whole-article style measures that tell a news report from an opinion piece or satire.

Reporting attributes what it says (quotations, "said", "according to"),
cites numbers and dates and rarely addresses the reader; opinion speaks in
the first and second person, asks questions and exclaims. These measures are
counted on the whole text (not only the lead), need no trained detector (so
they behave the same on new articles as on the training ones), and exist for
the six languages the article-level models are trained on. They feed the
genre model next to the lead embedding (models/ARTICLE_MODEL_CARD.md).
"""

from __future__ import annotations

import math
import re

import numpy as np

from ..document import Analysis, base_language

_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"[.!?…]+(?=\s|$)")
_QUOTED = re.compile(r'"[^"\n]{3,800}"|“[^”\n]{3,800}”|«[^»\n]{3,800}»|„[^“”\n]{3,800}[“”]|‘[^’\n]{8,800}’')
_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")
_NUMBER = re.compile(r"\b\d[\d.,]*\b")
_CAPS = re.compile(r"\b[^\W\d_]{3,}\b")

# first person singular, first person plural, second person; then attribution ("said") words
_LEXICON: dict[str, tuple[str, str, str, str]] = {
    "en": ("i me my mine myself", "we us our ours ourselves", "you your yours yourself yourselves",
           "said says told according stated announced reported added confirmed spokesman spokeswoman "
           "spokesperson statement"),
    "fr": ("je j me m moi mon ma mes", "nous notre nos", "tu te toi ton ta tes vous votre vos",
           "déclaré selon affirmé annoncé indiqué précisé expliqué ajouté souligné communiqué rapporte"),
    "de": ("ich mich mir mein meine meinen meinem meiner meines", "wir uns unser unsere unseren unserem unserer",
           "du dich dir dein deine deinen euch euer eure",
           "sagte sagt erklärte laut teilte berichtete betonte sprecher sprecherin mitteilte angaben zufolge"),
    "it": ("io mi me mio mia miei mie", "noi nostro nostra nostri nostre",
           "tu ti te tuo tua tuoi tue voi vi vostro vostra vostri vostre",
           "detto dichiarato secondo affermato annunciato spiegato riferito sottolineato portavoce"),
    "pl": ("ja mnie mi mną mój moja moje mojego mojej moim", "my nas nam nami nasz nasza nasze naszego naszej naszym",
           "ty ciebie cię tobie twój twoja twoje wy was wam wasz wasza wasze",
           "powiedział powiedziała według poinformował poinformowała stwierdził stwierdziła oświadczył rzecznik "
           "przekazał dodał dodała"),
    "ru": ("я меня мне мной мой моя моё мое мои моего моей", "мы нас нам нами наш наша наше наши нашего нашей",
           "ты тебя тебе тобой твой твоя твои вы вас вам вами ваш ваша ваши",
           "сказал сказала заявил заявила сообщил сообщила словам отметил отметила рассказал согласно данным"),
}
_SETS = {lang: tuple(frozenset(s.split()) for s in sets) for lang, sets in _LEXICON.items()}

STYLE_FEATURES = (
    "log_words", "log_paragraphs", "log_words_per_sentence", "log_words_per_paragraph", "quoted_share",
    "paragraphs_with_quote", "first_singular", "first_plural", "second_person", "attribution",
    "numbers", "years", "questions", "exclamations", "caps_words", "title_question", "title_quote",
)


def _rate(n: float, per: float) -> float:
    """log(1 + 100 n / per): rates are skewed; the log keeps one extreme article from dominating."""
    return math.log1p(100.0 * n / per) if per else 0.0


def style_vector(analysis: Analysis) -> np.ndarray:
    """The ``STYLE_FEATURES`` of one article, unscaled (the genre model stores the scaling)."""
    art = analysis.article
    text = art.text
    lang = base_language(art.language) or "en"
    sing, plur, second, said = _SETS.get(lang, _SETS["en"])
    words = [w.lower() for w in _WORD.findall(text)]
    n = max(len(words), 1)
    sentences = max(len(_SENTENCE_END.findall(text)), 1)
    paras = [text[p.start:p.end] for p in art.paragraphs] or [text]
    quoted = sum(len(m.group()) for m in _QUOTED.finditer(text))
    with_quote = sum(1 for p in paras if _QUOTED.search(p))
    title = art.title or paras[0]
    counts = [sum(1 for w in words if w in s) for s in (sing, plur, second, said)]
    return np.array([
        math.log1p(n), math.log1p(len(paras)), math.log1p(n / sentences), math.log1p(n / len(paras)),
        quoted / max(len(text), 1), with_quote / len(paras),
        *(_rate(c, n) for c in counts),
        _rate(len(_NUMBER.findall(text)), n), _rate(len(_YEAR.findall(text)), n),
        _rate(text.count("?"), sentences), _rate(text.count("!"), sentences),
        _rate(sum(1 for w in _CAPS.findall(text) if w.isupper()), n),
        float("?" in title), float(bool(_QUOTED.search(title)) or "'" in title or '"' in title),
    ], dtype=np.float32)


def style_matrix(analyses: list[Analysis]) -> np.ndarray:
    if not analyses:
        return np.zeros((0, len(STYLE_FEATURES)), dtype=np.float32)
    return np.stack([style_vector(a) for a in analyses])
