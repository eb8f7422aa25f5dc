"""How a stream of articles is cut into batches and how a batch survives one bad article.

Shared by the analyzer, every engine (``engine.analyze_batch``) and the web
app's queue (``web.runner``).

The first batches are small (1, 2, 4, ... articles, then ``size``) so the first
result comes out after one article, not after a whole batch; after that,
full batches keep the model busy. The cut depends only on the input order, so
every engine sees the same batches, which keeps results identical whichever
engine ran them (int8 activations are quantised per batch).
"""

from __future__ import annotations

import itertools
from typing import Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of 1, 2, 4, ... items, then ``size`` items each (the last may be shorter)."""
    size = max(1, size)
    it = iter(items)
    n = 1
    while True:
        chunk = list(itertools.islice(it, min(n, size)))
        if not chunk:
            return
        yield chunk
        n *= 2


def isolated(run: Callable[[list[T]], list[R]], batch: list[T], failed: Callable[[T, BaseException], R],
             catch: type[BaseException] | tuple[type[BaseException], ...] = Exception) -> list[R]:
    """``run(batch)``, in order; if it raises, each item is run again alone, so one item that fails
    becomes its own result (``failed(item, error)``, called while the error is being handled) and the
    others carry on.

    Why: one bad article must not lose the batch it happened to share. The batch is run whole
    first, so the common case costs one call and the components see the batch as it was cut.
    """
    try:
        return list(run(batch))
    except catch as e:
        if len(batch) == 1:
            return [failed(batch[0], e)]
    out: list[R] = []
    for item in batch:
        out.extend(isolated(run, [item], failed, catch))
    return out
