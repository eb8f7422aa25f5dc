"""Compose components into the analysis pipeline; ``analyze`` is the public entry.

Components are built once per process (models load once) and run in order;
each adds its annotations to the Analysis. ``analyze_many`` streams articles
through in batches so the ONNX tagger can fill its windows.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import re
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from .components import Component, pipe
from .document import Analysis, Article, apply_edits_inverse
from .errors import EMPTY, InputError

# the most characters of one article the pipeline sees: the tagger's time and memory grow with the
# text (about 3 s per 100,000 characters on one core), so a longer input is cut and says so
DEFAULT_MAX_CHARS = int(os.environ.get("PROPSCAN_MAX_CHARS") or 100_000)
# meta key recording the length of an article before it was cut
TRUNCATED = "truncated_from"

# "module:factory" in pipeline order. Each factory takes no argument and
# returns a Component, or None when the component does not apply (e.g. its
# model file is absent in a development checkout).
DEFAULT_PIPELINE: tuple[str, ...] = (
    "propscan.detect.language:LanguageTagger",
    "propscan.detect.tagger:SpanTagger",
    "propscan.detect.repetition:RepetitionDetector",
    "propscan.detect.paragraphs:ParagraphLabeler",
    "propscan.classify.multilingual:MultilingualTechniques",
    "propscan.detect.multitagger:MultiTagger",
    "propscan.classify.genre:GenreClassifier",
    "propscan.classify.frames:FrameClassifier",
    "propscan.classify.profile:PersuasionProfiler",
)


# loads that need no component module (nor numpy): started first thing, before the modules are imported
EARLY: tuple[str, ...] = ("propscan.usetok:load_sentencepiece",)


def _factory(target: str) -> Any | None:
    module, _, factory = target.partition(":")
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name and e.name.startswith("propscan"):
            return None  # component not part of this build
        raise
    return getattr(mod, factory)


def _create(factory: Any) -> Component | None:
    return factory.create()


def build(targets: Sequence[str] = DEFAULT_PIPELINE) -> list[Component]:
    """The components of ``targets``; every ``preload()`` is called before any component is built.

    Why: loading happens on background threads, and the slowest load (the
    multilingual encoder, needed late in the pipeline) should start first.
    """
    if tuple(targets) == DEFAULT_PIPELINE:
        for early in EARLY:
            start = _factory(early)
            if start is not None:
                start()
    factories = [f for f in map(_factory, targets) if f is not None]
    for f in factories:
        preload = getattr(f, "preload", None)
        if preload is not None:
            preload()
    return [c for c in map(_create, factories) if c is not None]


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


def _notices(article: Article, max_chars: int) -> list[str]:
    was = article.meta.get(TRUNCATED)
    if not was:
        return []
    return [f"long article: only its first {len(article.text):,} of {int(was):,} characters were analysed "
            f"(the limit is {max_chars:,}; set PROPSCAN_MAX_CHARS to change it)"]


def safe_article(article: Article, max_chars: int = DEFAULT_MAX_CHARS) -> Article:
    """``article`` bounded (``bound``) with NULs and lone surrogates replaced in every text it carries."""
    from .readers.text import safe_text

    article = bound(article, max_chars)
    fields = (article.text, article.title, article.source, article.raw_text or "",
              *(e.original + e.replacement for e in article.edits),
              *(v for v in article.meta.values() if isinstance(v, str)))
    if all(safe_text(s) is s for s in fields):
        return article
    edits = [dataclasses.replace(e, original=safe_text(e.original), replacement=safe_text(e.replacement))
             for e in article.edits]
    meta = {k: safe_text(v) if isinstance(v, str) else v for k, v in article.meta.items()}
    return Article(id=safe_text(article.id), text=safe_text(article.text), title=safe_text(article.title),
                   source=safe_text(article.source), language=article.language, meta=meta,
                   raw_text=safe_text(article.raw_text) if article.raw_text is not None else None, edits=edits)


class Analyzer:
    """A pipeline of components; build once, call many times."""

    def __init__(self, components: Sequence[Component] | None = None, max_chars: int = DEFAULT_MAX_CHARS) -> None:
        self.components = build() if components is None else list(components)
        self.max_chars = max_chars

    @property
    def versions(self) -> dict[str, str]:
        return {c.name: c.version for c in self.components}

    def __call__(self, article: Article) -> Analysis:
        return next(iter(self.pipe([article])))

    def pipe(self, articles: Iterable[Article], batch_size: int = 16) -> Iterator[Analysis]:
        """Analyses in input order, processed in batches of up to ``batch_size`` articles (see ``batching``)."""
        from .batching import chunks

        for batch in chunks(articles, batch_size):
            yield from self.run_batch(batch)

    def run_batch(self, articles: list[Article]) -> list[Analysis]:
        """One batch exactly as given (an engine that cut the batches itself calls this)."""
        safe = [safe_article(a, self.max_chars) for a in articles]
        analyses = [Analysis(article=a, models=dict(self.versions), notices=_notices(a, self.max_chars))
                    for a in safe]
        for c in self.components:
            analyses = list(pipe(c, analyses))
        return analyses


_default: Analyzer | None = None


def default_analyzer() -> Analyzer:
    global _default
    if _default is None:
        _default = Analyzer()
    return _default


_PATH_LIKE = re.compile(r"[^\s]*(?:[/\\][^\s]*|\.(?:txt|html?|json|jsonl|md))", re.IGNORECASE)


def _names_file(s: str) -> bool:
    """Whether ``s`` is the path of an existing file; text that cannot be a path (too long, NUL) is not one."""
    if "\n" in s or "\0" in s or len(s.encode("utf-8", "surrogatepass")) >= 4096:
        return False
    try:
        return Path(s).is_file()
    except (OSError, ValueError):  # a name too long for the file system, a lone surrogate
        return False


def analyze(source: str | bytes | os.PathLike[str] | Article, *, clean: bool = True,
            min_confidence: float | None = None) -> Analysis:
    """Analyse one article given as text, bytes, a file path or an ``Article``.

    ``min_confidence`` (0.01-1) replaces the default decision threshold: a span
    or paragraph label is shown when its calibrated probability reaches it
    (``Analysis.decision`` says which threshold applied).

    A string naming an existing file is read as a file; a string that looks
    like a path (one word with a folder separator or a file extension) but
    names no file is an error rather than a one-word article; any other string
    is taken as the article text (first line the title). Bytes are decoded as
    files are (UTF-8, else the detected encoding).
    """
    if isinstance(source, Article):
        article = source
    else:
        from .readers import iter_articles
        from .readers.text import article_from_text, check_text, decode

        if isinstance(source, (bytes, bytearray)):
            source = decode(bytes(source), "<bytes>")
        s = os.fspath(source)
        is_path = isinstance(source, os.PathLike) or _names_file(s)
        if not is_path and "\n" not in s and _PATH_LIKE.fullmatch(s.strip()):
            raise InputError(s, "no such file (give the article text itself, or an existing path)")
        if is_path:
            got = next(iter_articles([s], clean=clean))
            if isinstance(got, InputError):
                raise got
            article = got
        else:
            if not s.strip():
                raise InputError("<text>", "empty input", kind=EMPTY)
            article = article_from_text(check_text(s, "<text>"), "text", source="<text>")
            if clean:
                try:
                    from .cleanup import clean_article
                except ImportError:
                    pass
                else:
                    article = clean_article(article)
    return with_threshold(default_analyzer()(article), min_confidence)


def analyze_many(articles: Iterable[Article], batch_size: int = 16,
                 min_confidence: float | None = None) -> Iterator[Analysis]:
    """Analyses of ``articles`` in order; ``min_confidence`` as in ``analyze``."""
    for a in default_analyzer().pipe(articles, batch_size=batch_size):
        yield with_threshold(a, min_confidence)


def with_threshold(analysis: Analysis, min_confidence: float | None) -> Analysis:
    """``analysis`` decided again at ``min_confidence`` (unchanged when None)."""
    if min_confidence is None:
        return analysis
    from .detect.paragraphs import decide

    return decide(analysis, min_confidence)
