"""Training data for the span tagger: articles -> token windows with multi-hot labels.

Pure Python + tokenizers + numpy (no torch), so it can be tested in the fast
suite. Every token of a window gets one 0/1 target per technique: 1 when the
token's characters overlap a gold span of that technique. Windows are cut the
same way at training and at inference (``propscan.detect.decoding.windows``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..detect.decoding import windows
from ..document import Analysis


@dataclass
class Encoded:
    """One article, tokenised once (no special tokens)."""

    article_id: str
    ids: np.ndarray  # (n_tokens,) int64
    offsets: np.ndarray  # (n_tokens, 2) int64 char offsets into article.text
    labels: np.ndarray  # (n_tokens, n_labels) float32 multi-hot
    soft: np.ndarray | None = None  # (n_tokens, n_labels) a teacher's probabilities (distillation), if any
    hard: bool = True  # False: no gold annotation (an unlabelled text), only ``soft`` teaches


def load_tokenizer(path: str):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path))
    tok.no_padding()
    tok.no_truncation()
    return tok


def token_labels(offsets: np.ndarray, spans: Sequence[tuple[int, int, str]], labels: Sequence[str]) -> np.ndarray:
    """Multi-hot (n_tokens, n_labels): token i is inside technique t when it overlaps a span of t.

    ``offsets`` are sorted, non-overlapping character ranges, so each span
    covers a contiguous run of tokens found by binary search.
    """
    index = {name: j for j, name in enumerate(labels)}
    y = np.zeros((len(offsets), len(labels)), dtype=np.float32)
    if len(offsets) == 0:
        return y
    starts = offsets[:, 0]
    ends = offsets[:, 1]
    for start, end, tech in spans:
        j = index.get(tech)
        if j is None or end <= start:
            continue
        # first token whose end is after the span start; last token whose start is before the span end
        lo = int(np.searchsorted(ends, start, side="right"))
        hi = int(np.searchsorted(starts, end, side="left"))
        if hi > lo:
            y[lo:hi, j] = 1.0
    return y


def encode(analysis: Analysis, tokenizer, labels: Sequence[str]) -> Encoded:
    text = analysis.article.text
    enc = tokenizer.encode(text, add_special_tokens=False)
    ids = np.asarray(enc.ids, dtype=np.int64)
    offsets = np.asarray(enc.offsets, dtype=np.int64).reshape(-1, 2)
    spans = [(s.start, s.end, s.technique) for s in analysis.spans]
    return Encoded(analysis.article.id, ids, offsets, token_labels(offsets, spans, labels))


def make_windows(encoded: Sequence[Encoded], window: int, stride: int, cls_id: int, sep_id: int,
                 pad_id: int = 0) -> dict[str, np.ndarray]:
    """Stack all windows of all articles: input_ids, attention_mask, labels, label_mask.

    Each window is ``[CLS] tokens [SEP]`` padded to ``window + 2``; ``label_mask``
    is 1 on real (non-special, non-pad) tokens, the only ones the loss sees.
    """
    rows_ids, rows_mask, rows_y, rows_lm = [], [], [], []
    n_labels = encoded[0].labels.shape[1] if encoded else 0
    size = window + 2
    for e in encoded:
        for a, b in windows(len(e.ids), window, stride):
            n = b - a
            ids = np.full(size, pad_id, dtype=np.int64)
            ids[0] = cls_id
            ids[1:n + 1] = e.ids[a:b]
            ids[n + 1] = sep_id
            mask = np.zeros(size, dtype=np.int64)
            mask[:n + 2] = 1
            y = np.zeros((size, n_labels), dtype=np.float32)
            y[1:n + 1] = e.labels[a:b]
            lm = np.zeros(size, dtype=np.float32)
            lm[1:n + 1] = 1.0
            rows_ids.append(ids)
            rows_mask.append(mask)
            rows_y.append(y)
            rows_lm.append(lm)
    return {
        "input_ids": np.stack(rows_ids) if rows_ids else np.zeros((0, size), np.int64),
        "attention_mask": np.stack(rows_mask) if rows_mask else np.zeros((0, size), np.int64),
        "labels": np.stack(rows_y) if rows_y else np.zeros((0, size, n_labels), np.float32),
        "label_mask": np.stack(rows_lm) if rows_lm else np.zeros((0, size), np.float32),
    }
