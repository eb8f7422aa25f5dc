"""The one protocol every detector and classifier follows.

A component takes the Analysis built so far (the article plus what earlier
components found) and adds its own annotations. ``pipe`` lets a component
batch work across articles (the ONNX tagger does); the default calls
``__call__`` one by one. Adding a detector means writing one class.

Each pipeline entry names a factory with ``create()`` (the component, or None
when it does not apply) and optionally ``preload()``, which starts loading its
models in the background; ``analyzer.build`` calls every ``preload`` before
any ``create`` so that slow loads overlap from the start.
"""

from __future__ import annotations

from typing import Iterable, Iterator, Protocol, runtime_checkable

from .document import Analysis


@runtime_checkable
class Component(Protocol):
    name: str
    version: str

    def __call__(self, analysis: Analysis) -> Analysis: ...


def pipe(component: Component, analyses: Iterable[Analysis]) -> Iterator[Analysis]:
    """Run a component over many analyses, batched when the component can."""
    batched = getattr(component, "pipe", None)
    if batched is not None:
        yield from batched(analyses)
    else:
        for a in analyses:
            yield component(a)
