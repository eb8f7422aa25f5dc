"""The one protocol every detector and classifier follows, and the check of a pipeline's order.

A **component** takes the Analysis built so far (the article plus what earlier
components found) and adds its own annotations. It declares:

- ``name`` and ``version`` (recorded in ``Analysis.models``);
- ``requires``: the facts it reads, which an earlier component must provide;
- ``provides``: the facts it adds (``FACTS`` lists the pipeline's own);
- ``__call__(analysis)`` for one article and ``pipe(analyses)`` for a batch
  (the ONNX tagger batches work across articles; ``Base.pipe`` calls
  ``__call__`` one by one).

Each pipeline entry names a **factory** (usually the component's class) with
``preload(settings)``, which starts loading its models in the background, and
``create(settings)``, which gives the component or None when it does not apply
(its model file is absent in a development checkout). ``analyzer.build``
calls every ``preload`` before any ``create`` so that slow loads overlap from
the start, and ``check_order`` refuses a pipeline in which a component comes
before the one that provides what it requires.

Adding a detector means writing one class::

    class Shouting(Base):
        name, version = "shouting", "1"
        requires = (LANGUAGE,)
        provides = (SPANS,)

        def __call__(self, analysis: Analysis) -> Analysis:
            ...  # append Span(..., detector=self.name) to analysis.spans
            return analysis

and listing ``"module:Shouting"`` in ``analyzer.DEFAULT_PIPELINE`` (or passing
``Shouting()`` to ``Analyzer([...])``). Components coordinate only through
these declared facts, never by testing each other's names.
"""

from __future__ import annotations

from typing import ClassVar, Iterable, Iterator, Protocol, Sequence, runtime_checkable

from .document import Analysis
from .errors import PropscanError
from .runtime.settings import DEFAULT, Settings

# the facts of the bundled pipeline: what each component reads (requires) and adds (provides)
LANGUAGE = "language"                  # article.language, each paragraph's language (and flag when another)
SPANS = "spans"                        # technique spans (Analysis.spans, Analysis.candidates)
PARAGRAPH_SCORES = "paragraph_scores"  # per-paragraph technique probabilities from a span model
PARAGRAPH_LABELS = "paragraph_labels"  # ParagraphLabels.techniques
PARAGRAPH_MODEL = "paragraph_model"    # a paragraph model's probabilities for the tagger's calibrator:
PARAGRAPH_MODEL_SCORES = "paragraph_model_scores"  # its Analysis.scratch key
DECISION = "decision"                  # Analysis.decision: the threshold the labels were decided at
GENRE = "genre"
FRAMES = "frames"
PROFILE = "profile"
FACTS = (LANGUAGE, PARAGRAPH_MODEL, SPANS, PARAGRAPH_SCORES, PARAGRAPH_LABELS, DECISION, GENRE, FRAMES, PROFILE)

__all__ = ["Base", "Component", "FACTS", "Factory", "PipelineError", "check_component", "check_order",
           "providers"]


class PipelineError(PropscanError):
    """A pipeline that cannot run as given (wrong order, a component missing part of the protocol)."""


@runtime_checkable
class Component(Protocol):
    name: str
    version: str
    requires: tuple[str, ...]
    provides: tuple[str, ...]

    def __call__(self, analysis: Analysis) -> Analysis: ...

    def pipe(self, analyses: Iterable[Analysis]) -> Iterator[Analysis]: ...


class Factory(Protocol):
    """What a pipeline entry names: ``preload`` starts slow loads, ``create`` builds the component (or None)."""

    name: str
    requires: tuple[str, ...]
    provides: tuple[str, ...]

    def preload(self, settings: Settings = DEFAULT) -> None: ...

    def create(self, settings: Settings = DEFAULT) -> Component | None: ...


# component name -> the facts its class provides (filled by ``Base`` subclasses as they are defined)
_PROVIDES: dict[str, tuple[str, ...]] = {}


class Base:
    """The defaults of the protocol: no requirements, ``pipe`` one by one, nothing to preload, ``create()`` = ``cls()``.

    Subclasses set ``name``, ``version``, ``requires``, ``provides`` and
    override ``__call__`` or ``pipe`` (or both).
    """

    name: ClassVar[str]
    version: str
    requires: ClassVar[tuple[str, ...]] = ()
    provides: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            _PROVIDES[cls.name] = tuple(cls.provides)

    @classmethod
    def preload(cls, settings: Settings = DEFAULT) -> None:
        """Start loading models in the background (nothing to load by default)."""

    @classmethod
    def create(cls, settings: Settings = DEFAULT) -> Base | None:
        return cls()

    def __call__(self, analysis: Analysis) -> Analysis:
        return next(iter(self.pipe([analysis])))

    def pipe(self, analyses: Iterable[Analysis]) -> Iterator[Analysis]:
        for a in analyses:
            yield self(a)


def providers(fact: str) -> frozenset[str]:
    """Names of the declared components that provide ``fact`` (e.g. whose spans already fed paragraph scores)."""
    return frozenset(name for name, facts in _PROVIDES.items() if fact in facts)


def check_component(component: object) -> None:
    """Refuse an object that does not follow the ``Component`` protocol, naming what it lacks."""
    missing = [a for a in ("name", "version", "requires", "provides", "pipe") if not hasattr(component, a)]
    if missing or not callable(component):
        what = ", ".join(missing + ([] if callable(component) else ["__call__"]))
        label = getattr(component, "name", type(component).__name__)
        raise PipelineError(f"component {label!r} lacks {what} of the component protocol "
                            "(subclass propscan.components.Base for the defaults)")


def check_order(steps: Sequence[Component | Factory]) -> None:
    """Refuse a pipeline in which a component requires a fact that only a later component provides.

    A fact no step provides at all is allowed: its provider may be absent in
    this build (a development checkout without the model), and components
    cope with what is missing.
    """
    for i, step in enumerate(steps):
        before = {f for s in steps[:i] for f in s.provides}
        for fact in step.requires:
            if fact in before:
                continue
            later = next((s for s in steps[i + 1:] if fact in s.provides), None)
            if later is not None:
                raise PipelineError(f"pipeline: component {step.name!r} requires {fact!r}, which only the later "
                                    f"component {later.name!r} provides: put {later.name!r} before {step.name!r}")
