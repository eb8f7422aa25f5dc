"""Where overlapping spans go: underline layers and the pieces a paragraph is cut into.

Overlapping spans stay legible because the text is split at every span boundary and each piece
carries one underline layer per span covering it (spans get a fixed layer, like tracks in a genome
browser).
"""

from __future__ import annotations

from typing import NamedTuple

from ..document import Span

MAX_LAYERS = 6  # underline layers drawn per piece of text; deeper overlaps share the last one


def assign_layers(spans: list[Span]) -> list[int]:
    """A layer per span such that overlapping spans never share one (below MAX_LAYERS).

    Greedy interval partitioning: longer spans starting at the same place get
    the lower layers, so they sit closest to the text.
    """
    order = sorted(range(len(spans)), key=lambda i: (spans[i].start, -spans[i].end, i))
    ends: list[int] = []  # last end per layer
    layers = [0] * len(spans)
    for i in order:
        s = spans[i]
        for layer, end in enumerate(ends):
            if end <= s.start:
                ends[layer] = s.end
                layers[i] = layer
                break
        else:
            ends.append(s.end)
            layers[i] = len(ends) - 1
    return [min(layer, MAX_LAYERS - 1) for layer in layers]


class Piece(NamedTuple):
    start: int
    end: int
    spans: list[int]  # indices of the spans covering the piece
    opens: bool  # a span starts here (gets a keyboard stop)


def pieces(start: int, end: int, clipped: list[tuple[int, int, int]]) -> list[Piece]:
    """Split [start, end) at every boundary of the (clipped) spans."""
    bounds = sorted({start, end, *(c[0] for c in clipped), *(c[1] for c in clipped)})
    by_start = sorted(clipped)
    active: list[tuple[int, int, int]] = []
    j = 0
    out: list[Piece] = []
    for a, b in zip(bounds, bounds[1:]):
        while j < len(by_start) and by_start[j][0] <= a:
            active.append(by_start[j])
            j += 1
        active = [c for c in active if c[1] > a]
        covering = sorted(c[2] for c in active)
        out.append(Piece(a, b, covering, any(c[0] == a for c in active)))
    return out
