"""Token probabilities to character spans: the numpy decoding shared by the span tagger and training.

Windows over a long token sequence (``windows``, ``even_windows``), stitching
their per-token probabilities back together (``stitch``), and decoding runs of
probable tokens into trimmed character spans (``decode_candidates``) and
per-paragraph maxima (``paragraph_scores``). Numpy only: training imports
these without the ONNX component (``detect.tagger``).
"""

from __future__ import annotations

import re
from typing import Any, Sequence

import numpy as np

# characters trimmed from both edges of a decoded span
_EDGE = set(" \t\r\n\u00a0.,;:!?\"'()[]{}«»“”‘’—–-…*#|/\\")


# -- windows and stitching ------------------------------------------------------

def windows(n_tokens: int, window: int, stride: int, offset: int = 0) -> list[tuple[int, int]]:
    """Token ranges ``[a, b)`` of at most ``window`` tokens, ``stride`` apart, covering all tokens.

    ``offset`` shifts the grid (training uses it to vary window borders between
    epochs); the first window always starts at 0 and the last always ends at
    ``n_tokens``.
    """
    if n_tokens <= 0:
        return []
    if n_tokens <= window:
        return [(0, n_tokens)]
    starts = [0]
    s = offset % stride if offset % stride else stride
    while s + window < n_tokens:
        starts.append(s)
        s += stride
    starts.append(n_tokens - window)
    out: list[tuple[int, int]] = []
    for a in sorted(set(starts)):
        out.append((a, min(a + window, n_tokens)))
    return out


def title_tokens(text: str, ids: np.ndarray, offsets: np.ndarray, limit: int) -> np.ndarray:
    """The ids of the title's first ``limit`` tokens (the title is the text's first line), put before every
    window by a tagger trained with title context: a later window then still knows what the article is about."""
    end = text.find("\n")
    end = len(text) if end < 0 else end
    return ids[:limit][offsets[:limit, 0] < end] if len(ids) else ids


def even_windows(n_tokens: int, window: int, max_stride: int) -> list[tuple[int, int]]:
    """As few windows of ``window`` tokens as keep neighbours at most ``max_stride`` apart, spread evenly.

    Why: the training grid (``windows``) leaves the last window overlapping its
    neighbour by whatever remains, often most of it; spreading the same or a
    smaller number of windows evenly gives every border the same context.
    """
    if n_tokens <= 0:
        return []
    if n_tokens <= window:
        return [(0, n_tokens)]
    room = n_tokens - window
    k = -(-room // max(1, max_stride)) + 1
    return [(a, a + window) for a in (round(i * room / (k - 1)) for i in range(k))]


class Stitcher:
    """Per-window token vectors combined into one (n_tokens, width) array, one window at a time.

    Each window's vote is weighted by the token's distance from the window's
    nearer edge (+1), so a token is judged mostly by the window that saw the
    most context around it. Article edges do not count as window edges.
    Why one window at a time: the multilingual encoder's windows carry 1,152
    floats a token; holding every window until the end, then dividing into a
    new array, cost a long article ~90 MB of peak memory (docs/speed.md).
    """

    def __init__(self, n_tokens: int, width: int, dtype: type = np.float64) -> None:
        self.n_tokens = n_tokens
        # float32 halves the accumulator; the English tagger keeps float64 (its calibrated outputs as fitted)
        self.acc = np.zeros((n_tokens, width), dtype=dtype)
        self.wsum = np.zeros(n_tokens, dtype=np.float64)

    def add(self, a: int, b: int, p: np.ndarray) -> None:
        pos = np.arange(a, b)
        left = pos - a if a > 0 else np.full(b - a, b - a)
        right = (b - 1) - pos if b < self.n_tokens else np.full(b - a, b - a)
        w = np.minimum(left, right).astype(np.float64) + 1.0
        self.acc[a:b] += p[: b - a] * w.astype(self.acc.dtype)[:, None]
        self.wsum[a:b] += w

    def result(self) -> np.ndarray:
        """The weighted means, float32 (the accumulator is divided in place, and is the result when float32)."""
        self.wsum[self.wsum == 0] = 1.0
        self.acc /= self.wsum.astype(self.acc.dtype)[:, None]
        return self.acc.astype(np.float32, copy=False)


def stitch(n_tokens: int, spans: Sequence[tuple[int, int]], probs: Sequence[np.ndarray]) -> np.ndarray:
    """Combine per-window token probabilities into one (n_tokens, n_labels) array (``Stitcher``'s weights)."""
    if not probs:
        return np.zeros((n_tokens, 0), dtype=np.float32)
    st = Stitcher(n_tokens, probs[0].shape[-1])
    for (a, b), p in zip(spans, probs):
        st.add(a, b, p)
    return st.result()


# -- decoding ------------------------------------------------------------------

def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink ``[start, end)`` past whitespace and punctuation at both edges, then grow it to whole words."""
    while start < end and text[start] in _EDGE:
        start += 1
    while end > start and text[end - 1] in _EDGE:
        end -= 1
    if start < end:
        while start > 0 and text[start - 1].isalnum() and text[start].isalnum():
            start -= 1
        while end < len(text) and text[end].isalnum() and text[end - 1].isalnum():
            end += 1
    return start, end


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs of True in a 1-d boolean array, as ``[a, b)``."""
    if not mask.any():
        return []
    m = np.concatenate([[False], mask, [False]]).astype(np.int8)
    d = np.diff(m)
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1)
    return list(zip(starts.tolist(), ends.tolist()))


def fill_gaps(on: np.ndarray, max_gap: int, line_break: np.ndarray) -> np.ndarray:
    """Switch on runs of at most ``max_gap`` off tokens lying between two on tokens of the same line."""
    out = on.copy()
    runs = _runs(on)
    for (a1, b1), (a2, b2) in zip(runs[:-1], runs[1:]):
        if a2 - b1 <= max_gap and not line_break[b1:a2 + 1].any():
            out[b1:a2] = True
    return out


def line_breaks(text: str, offsets: np.ndarray) -> np.ndarray:
    """Bool per token: a line break lies between it and the previous token."""
    out = np.zeros(len(offsets), dtype=bool)
    if len(offsets) < 2 or "\n" not in text:
        return out
    nl = np.fromiter((m.start() for m in re.finditer("\n", text)), dtype=np.int64)
    before = np.searchsorted(nl, offsets[1:, 0], side="left")  # newlines before each token start
    upto = np.searchsorted(nl, offsets[:-1, 1], side="left")  # newlines before the previous token's end
    out[1:] = before > upto
    return out


def decode_spans(text: str, offsets: np.ndarray, probs: np.ndarray, labels: Sequence[str],
                 thresholds: Sequence[float], **kw: Any) -> list[tuple[int, int, str, float]]:
    """``decode_candidates`` without the peak: ``(start, end, technique, mean token probability)``."""
    return [(s, e, t, m) for s, e, t, m, _ in decode_candidates(text, offsets, probs, labels, thresholds, **kw)]


def decode_candidates(text: str, offsets: np.ndarray, probs: np.ndarray, labels: Sequence[str],
                      thresholds: Sequence[float], *, min_chars: int = 2,
                      allowed: Sequence[tuple[int, int]] | None = None,
                      breaks: np.ndarray | None = None, max_gap: int = 0,
                      peak_margin: float = 0.0) -> list[tuple[int, int, str, float, float]]:
    """Character spans ``(start, end, technique, mean, peak)`` from token probabilities.

    A span is a maximal run of tokens whose probability for a technique is at
    or above its threshold; with ``max_gap``, runs at most that many tokens
    apart on the same line are joined. Spans never cross a line break
    (SemEval spans stay within a paragraph), are trimmed of whitespace and
    punctuation at the edges and grown to whole words. ``mean`` and ``peak``
    are the mean and the highest token probability over the span. ``allowed``, when given, lists character
    ranges (paragraphs) outside which nothing is emitted; ``breaks`` may pass
    ``line_breaks(text, offsets)`` precomputed. With ``peak_margin`` a run is
    kept only if some token reaches ``threshold + peak_margin`` (hysteresis:
    confident seeds, extended through less confident neighbours). A span with no letter in it
    (emoji, symbols, a bare number: pieces the vocabulary barely knows) is never emitted: there is
    no wording in it to judge.
    """
    out: list[tuple[int, int, str, float, float]] = []
    if len(offsets) == 0:
        return out
    line_break = line_breaks(text, offsets) if breaks is None else breaks
    for j, tech in enumerate(labels):
        thr = thresholds[j]
        if thr > 1.0:
            continue
        on = probs[:, j] >= thr
        if max_gap and on.any():
            on = fill_gaps(on, max_gap, line_break)
        for a, b in _runs(on):
            # split the run at line breaks
            cut = [a] + [i for i in np.flatnonzero(line_break[a + 1:b]) + a + 1] + [b]
            for x, y in zip(cut[:-1], cut[1:]):
                start, end = trim(text, int(offsets[x, 0]), int(offsets[y - 1, 1]))
                if end - start < min_chars or not any(ch.isalpha() for ch in text[start:end]):
                    continue
                peak = float(probs[x:y, j].max())
                if peak_margin and peak < min(thr + peak_margin, 0.99):
                    continue  # no token of the run is confident enough to seed a span
                out.append((start, end, tech, float(probs[x:y, j].mean()), peak))
    if allowed is not None:
        out = [s for s in out if any(a <= s[0] and s[1] <= b for a, b in allowed)]
    return out


def paragraph_scores(offsets: np.ndarray, probs: np.ndarray, bounds: Sequence[tuple[int, int]]) -> np.ndarray:
    """(n_paragraphs, n_labels): the highest token probability inside each paragraph."""
    n_labels = probs.shape[1] if probs.ndim == 2 else 0
    out = np.zeros((len(bounds), n_labels), dtype=np.float32)
    if len(offsets) == 0:
        return out
    starts = offsets[:, 0]
    for i, (a, b) in enumerate(bounds):
        lo = int(np.searchsorted(starts, a, side="left"))
        hi = int(np.searchsorted(starts, b, side="left"))
        if hi > lo:
            out[i] = probs[lo:hi].max(axis=0)
    return out
