"""How a stream of articles is cut into batches, shared by the analyzer and every engine.

The first batches are small (1, 2, 4, ... articles, then ``size``) so the first
result comes out after one article, not after a whole batch; after that,
full batches keep the model busy. The cut depends only on the input order, so
every engine sees the same batches, which keeps results identical whichever
engine ran them (int8 activations are quantised per batch).
"""

from __future__ import annotations

import itertools
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")


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
