"""Compose components into the analysis pipeline; ``analyze`` is the public entry.

Components are built from one ``Settings`` (``runtime.settings``) and run in
order; each adds its annotations to the Analysis, and ``build`` checks that
each comes after what it requires (``components.check_order``). Models load
once per process and settings (``runtime.registry``), and so does the
default analyzer. ``analyze_many`` streams articles through in batches so the
ONNX tagger can fill its windows.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
from contextlib import contextmanager
from typing import Any, Iterable, Iterator, Sequence

from .components import Component, Factory, check_component, check_order
from .document import Analysis, Article
from .readers.bound import TRUNCATED, bound
from .runtime.registry import MODELS
from .runtime.settings import DEFAULT, DEFAULT_MAX_CHARS, Settings

# "module:factory" in pipeline order. Each factory's ``create(settings)``
# returns a Component, or None when the component does not apply (e.g. its
# model file is absent in a development checkout).
DEFAULT_PIPELINE: tuple[str, ...] = (
    "propscan.detect.language:LanguageTagger",
    "propscan.classify.multilingual:ParagraphModelScores",
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
EARLY: tuple[str, ...] = ("propscan.runtime.usetok:load_sentencepiece",)


def _factory(target: str) -> Any | None:
    module, _, factory = target.partition(":")
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name and e.name.startswith("propscan"):
            return None  # component not part of this build
        raise
    return getattr(mod, factory)


def build(targets: Sequence[str] = DEFAULT_PIPELINE, settings: Settings = DEFAULT) -> list[Component]:
    """The components of ``targets``; the order is checked, and every ``preload`` is called before any ``create``.

    Why: loading happens on background threads, and the slowest load (the
    multilingual encoder, needed late in the pipeline) should start first. A
    pipeline in the wrong order fails here (``PipelineError`` naming the
    component and what it misses), before any component's model is loaded.
    """
    if tuple(targets) == DEFAULT_PIPELINE:  # before the component modules (and numpy) are imported
        for early in EARLY:
            start = _factory(early)
            if start is not None:
                start()
    factories: list[Factory] = [f for f in map(_factory, targets) if f is not None]
    check_order(factories)
    for f in factories:
        f.preload(settings)
    made = [f.create(settings) for f in factories]
    return [c for c in made if c is not None]


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
    """A pipeline of components; build once, call many times.

    ``components`` None builds the default pipeline from ``settings``; given
    components are checked against the protocol and for their order.
    ``max_chars`` (default ``settings.max_chars``) bounds each article.
    """

    def __init__(self, components: Sequence[Component] | None = None, max_chars: int | None = None, *,
                 settings: Settings = DEFAULT) -> None:
        if components is None:
            self.components = build(settings=settings)
        else:
            self.components = list(components)
            for c in self.components:
                check_component(c)
            check_order(self.components)
        self.settings = settings
        self.max_chars = settings.max_chars if max_chars is None else max_chars

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
            analyses = list(c.pipe(analyses))
        return analyses


def default_analyzer(settings: Settings = DEFAULT) -> Analyzer:
    """The default pipeline for ``settings``, built once per process (or the one ``using`` put in place)."""
    return MODELS.value("analyzer", settings, lambda: Analyzer(settings=settings))


@contextmanager
def using(analyzer: Any) -> Iterator[Any]:
    """Inside the block, ``default_analyzer`` (and so ``analyze``, the CLI, the engine) gives ``analyzer``.

    The seam for tests and embedding applications that bring their own
    pipeline, instead of patching module globals.
    """
    with MODELS.override("analyzer", analyzer):
        yield analyzer


def analyze(source: str | bytes | os.PathLike[str] | Article, *, clean: bool = True,
            min_confidence: float | None = None, settings: Settings = DEFAULT) -> Analysis:
    """Analyse one article given as text, bytes, a file path or an ``Article``.

    ``min_confidence`` (0.01-1) replaces the default decision threshold: a span
    or paragraph label is shown when its calibrated probability reaches it
    (``Analysis.decision`` says which threshold applied).

    A string naming an existing file is read as a file; a string that looks
    like a path (one word with a folder separator or a file extension) but
    names no file is an error rather than a one-word article; any other string
    is taken as the article text (first line the title). Bytes are decoded as
    files are (UTF-8, else the detected encoding). ``settings`` (threads, size
    limit, models folder, cache folder) default to ``Settings()``.
    """
    from .readers import read_source

    article = read_source(source, clean=clean, max_bytes=settings.max_bytes, max_chars=settings.max_chars)
    return with_threshold(default_analyzer(settings)(article), min_confidence)


def analyze_many(articles: Iterable[Article], batch_size: int = 16,
                 min_confidence: float | None = None, settings: Settings = DEFAULT) -> Iterator[Analysis]:
    """Analyses of ``articles`` in order; ``min_confidence`` and ``settings`` as in ``analyze``."""
    for a in default_analyzer(settings).pipe(articles, batch_size=batch_size):
        yield with_threshold(a, min_confidence)


def with_threshold(analysis: Analysis, min_confidence: float | None) -> Analysis:
    """``analysis`` decided again at ``min_confidence`` (unchanged when None)."""
    if min_confidence is None:
        return analysis
    from .detect.paragraphs import decide

    return decide(analysis, min_confidence)
