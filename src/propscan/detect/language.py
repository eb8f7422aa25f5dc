"""Which language an article and each of its paragraphs are written in.

Crawled pages mix languages: an English article with an Arabic cookie banner,
a Hebrew time stamp, a French quotation block. A model trained on one
language scores another language's text as noise at best, so paragraphs in a
language other than the article's are flagged (``ParagraphLabels.flagged``)
and later components skip them. Text that is plainly English by its function
words is settled at once (``clearly_english``); the rest goes to py3langid (a
naive Bayes model over byte n-grams, offline, numpy only), loaded once per
process when first needed.

Cost matters (this runs on every article): py3langid walks its automaton in
Python, about a microsecond per byte, so each paragraph is identified from
its first ``SAMPLE_CHARS`` characters and the article's language is the
length-weighted vote of its paragraphs. Short paragraphs (titles, bylines,
"Reorder rows") are not identified at all: on a few words any identifier
guesses.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from ..components import LANGUAGE, Base
from ..document import SUPPORTED_LANGUAGES as SUPPORTED
from ..document import Analysis
from ..runtime.loading import Loading
from ..runtime.registry import MODELS
from ..runtime.settings import DEFAULT, Settings

NAMES = {"en": "English", "fr": "French", "de": "German", "it": "Italian", "pl": "Polish", "ru": "Russian",
         "ar": "Arabic", "he": "Hebrew", "es": "Spanish", "pt": "Portuguese", "nl": "Dutch", "uk": "Ukrainian",
         "tr": "Turkish", "fa": "Persian", "zh": "Chinese", "ja": "Japanese", "ko": "Korean", "el": "Greek"}

SAMPLE_CHARS = 100  # of each paragraph given to the identifier
MIN_LETTERS = 40  # same-script paragraphs shorter than this are not identified
MIN_LETTERS_OTHER_SCRIPT = 8  # a run of Arabic in an English article is clear from a few letters
FLAG_CONFIDENCE = 0.9  # probability needed to call a same-script paragraph another language
ARTICLE_CONFIDENCE = 0.5

# coarse writing systems: a paragraph in another script than the article's is
# another language whatever the identifier's confidence
_SCRIPTS = {
    "latin": re.compile(r"[A-Za-z\u00C0-\u024F]"),
    "cyrillic": re.compile(r"[\u0400-\u052F]"),
    "arabic": re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]"),
    "hebrew": re.compile(r"[\u0590-\u05FF\uFB1D-\uFB4F]"),
    "greek": re.compile(r"[\u0370-\u03FF]"),
    "cjk": re.compile(r"[\u3040-\u30FF\u3400-\u9FFF\uAC00-\uD7AF]"),
    "devanagari": re.compile(r"[\u0900-\u097F]"),
}
_LANG_SCRIPT = {"ru": "cyrillic", "uk": "cyrillic", "bg": "cyrillic", "sr": "cyrillic", "mk": "cyrillic",
                "be": "cyrillic", "kk": "cyrillic", "ky": "cyrillic", "mn": "cyrillic", "ar": "arabic",
                "fa": "arabic", "ur": "arabic", "ps": "arabic", "he": "hebrew", "yi": "hebrew", "el": "greek",
                "zh": "cjk", "ja": "cjk", "ko": "cjk", "hi": "devanagari", "mr": "devanagari", "ne": "devanagari"}

def load_identifier(settings: Settings = DEFAULT) -> Loading[Any]:
    """Start loading the py3langid identifier (once per process and cache folder) without waiting for it."""
    return MODELS.load("language", settings.cache_dir, lambda: _load_identifier(settings.cache_dir))


def identifier(settings: Settings = DEFAULT) -> Any:
    """The py3langid identifier with calibrated probabilities, loaded once."""
    return load_identifier(settings).get()


def _load_identifier(cache_dir: Path | None) -> Any:
    """py3langid's model, through the inflated-table cache (its LZMA file costs ~0.4 s to inflate)."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    try:
        from py3langid.langid import _load_model_file

        from ..runtime.cache import cached_arrays

        path = MODEL_DIR / MODEL_FILE

        def build() -> dict[str, Any]:
            ptc, pc, classes, nextmove, row, output = _load_model_file(path)
            return {"ptc": ptc, "pc": pc, "classes": np.array(classes, dtype=str),
                    "nextmove": np.frombuffer(nextmove, dtype=f"u{nextmove.itemsize}"),
                    "row": np.frombuffer(row, dtype=f"u{row.itemsize}"), "output": np.asarray(output)}

        z = cached_arrays(cache_dir, "py3langid", [path], build)

        # the automaton indexes its tables one int at a time: a memoryview does that as fast as py3langid's
        # own stdlib arrays (numpy scalar indexing is ~5x slower) and keeps the 40 MB table mapped, not copied
        return LanguageIdentifier(z["ptc"], z["pc"], z["classes"].tolist(), memoryview(z["nextmove"]),
                                  z["output"].tolist(), norm_probs=True, tk_row=memoryview(z["row"]))
    except (ImportError, AttributeError, TypeError, ValueError, KeyError):  # another py3langid layout
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def script_of(text: str) -> tuple[str, int]:
    """The dominant writing system of ``text`` and its number of letters."""
    best, count = "latin", 0
    for name, rx in _SCRIPTS.items():
        n = len(rx.findall(text))
        if n > count:
            best, count = name, n
    return best, count


# the most frequent English function words: in English prose a third or more of the words are these,
# in French, German, Italian, Polish or Russian text only a few percent (and no accented letters)
_EN_FUNCTION = frozenset(
    "the of and to in is that for it was on with as by at be this are from or an have has had not but "
    "they he his her their which were will would been we who its said there what about when than also "
    "after more one all can".split())
_WORD = re.compile(r"[A-Za-z\u00C0-\u024F']+")
EN_FAST_MIN_WORDS = 8
EN_FAST_SHARE = 0.25


def clearly_english(text: str) -> bool:
    """True for text that is English beyond doubt by its function words alone.

    Why: py3langid costs ~10 ms an article to run (and ~0.5 s to load when its cache is cold); most input is English,
    and this check settles it for a few microseconds. Anything less clear still goes to py3langid.
    """
    words = _WORD.findall(text)
    if len(words) < EN_FAST_MIN_WORDS:
        return False
    if any(not w.isascii() for w in words):
        return False
    hits = sum(1 for w in words if w.lower() in _EN_FUNCTION)
    return hits >= EN_FAST_SHARE * len(words)


def identify(text: str, settings: Settings = DEFAULT) -> tuple[str, float]:
    """(ISO 639-1 code, probability) for ``text``."""
    sample = text[:SAMPLE_CHARS * 4]
    if clearly_english(sample):
        return "en", 0.99
    lang, prob = identifier(settings).classify(sample)
    return str(lang), float(prob)


def language_name(code: str) -> str:
    return NAMES.get(code, code)


class LanguageTagger(Base):
    """Sets the article's language and flags paragraphs written in another one.

    ``Article.language`` is only set when the reader did not know it: "en" is
    the default of plain-text and HTML readers, so it is replaced by what the
    text says; a reader that sets another language (the SemEval readers do),
    or ``meta["language_given"]``, is trusted.
    """

    name = "language"
    provides = (LANGUAGE,)

    def __init__(self, settings: Settings = DEFAULT) -> None:
        import py3langid  # its own __version__: importlib.metadata costs ~0.1 s of start-up

        self.version = f"en-function-words-1+py3langid-{py3langid.__version__}"
        self.settings = settings

    @classmethod
    def preload(cls, settings: Settings = DEFAULT) -> None:
        # almost every article has a paragraph the function-word check leaves open, so the identifier is
        # needed early: load it on a background thread while the other models load
        load_identifier(settings)

    @classmethod
    def create(cls, settings: Settings = DEFAULT) -> "LanguageTagger":
        load_identifier(settings)
        return cls(settings)

    def __call__(self, analysis: Analysis) -> Analysis:
        article = analysis.article
        text = article.text
        found: list[tuple[int, str, float, str, int]] = []  # (paragraph index, lang, prob, script, letters)
        votes: dict[str, float] = defaultdict(float)
        for i, p in enumerate(analysis.paragraphs):
            sample = text[p.start:min(p.end, p.start + SAMPLE_CHARS)]
            script, letters = script_of(sample)
            if letters < MIN_LETTERS_OTHER_SCRIPT:
                continue
            if letters < MIN_LETTERS and script == "latin":
                continue
            lang, prob = identify(sample, self.settings)
            found.append((i, lang, prob, script, letters))
            votes[lang] += prob * min(p.end - p.start, SAMPLE_CHARS)

        given = article.language not in ("", "en") or bool(article.meta.get("language_given"))
        if not given:
            if votes:
                lang = max(votes.items(), key=lambda kv: kv[1])[0]
                share = votes[lang] / sum(votes.values())
            else:  # only short lines: identify them together
                lang, share = identify(text, self.settings) if text.strip() else ("en", 0.0)
            if share >= ARTICLE_CONFIDENCE and lang != article.language:
                article.language = lang
        main = article.language
        main_script = _LANG_SCRIPT.get(main, "latin")
        for i, lang, prob, script, letters in found:
            p = analysis.paragraphs[i]
            if script != main_script:
                # another writing system: another language, whatever the identifier is sure of
                if _LANG_SCRIPT.get(lang, "latin") != script:
                    lang = {"arabic": "ar", "hebrew": "he", "cyrillic": "ru", "greek": "el", "cjk": "zh",
                            "devanagari": "hi"}.get(script, lang)
                p.language = lang
                p.flagged = f"language: {lang} (article is {main})"
            elif lang != main and prob >= FLAG_CONFIDENCE and letters >= MIN_LETTERS:
                p.language = lang
                p.flagged = f"language: {lang} (article is {main})"
            else:
                p.language = main
        if main not in SUPPORTED:
            analysis.notices.append(
                f"language: the article is in {language_name(main)} ({main}); propscan's models were trained on "
                f"{', '.join(SUPPORTED)}, so its results for this article are unreliable")
        flagged = sum(1 for p in analysis.paragraphs if p.flagged.startswith("language:"))
        if flagged:
            analysis.notices.append(f"language: {flagged} paragraph(s) are in another language than the article's "
                                    f"({main}) and are flagged not to be scored")
        return analysis
