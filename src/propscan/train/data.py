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
    lines: np.ndarray | None = None  # (n_tokens,) int64 the line (paragraph) of each token, for the paragraph loss
    text: str = ""  # the article's text (its first line is the title, for title context)


def token_lines(text: str, offsets: np.ndarray) -> np.ndarray:
    """The 0-based line of each token (paragraphs are lines in the SemEval files)."""
    breaks = np.array([i for i, c in enumerate(text) if c == "\n"], np.int64)
    return np.searchsorted(breaks, offsets[:, 0], side="right").astype(np.int64) if len(offsets) else \
        np.zeros(0, np.int64)


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
    return Encoded(analysis.article.id, ids, offsets, token_labels(offsets, spans, labels),
                   lines=token_lines(text, offsets), text=text)


def article_windows(e: Encoded, spans: Sequence[tuple[int, int]], window: int, cls_id: int, sep_id: int,
                    pad_id: int = 0, title: int = 0) -> dict[str, np.ndarray]:
    """One article's windows ``spans`` (token ranges): input_ids, attention_mask, labels, label_mask, hard,
    para (each token's paragraph counted from the window's first, -1 off real tokens; when the article
    has its lines) and soft (the teacher's probabilities, when the article has them).

    Each window is ``[CLS] tokens [SEP]`` padded to ``window + 2``; ``label_mask``
    is 1 on real (non-special, non-pad) tokens, the only ones the loss sees. ``title``: title context, the
    title's first ``title`` tokens and a [SEP] before every window, ``[CLS] title [SEP] tokens [SEP]``
    (as ``detect.tagger.SpanTagger`` feeds a tagger trained so), padded to ``window + title + 3``.
    """
    from ..detect.decoding import title_tokens

    head = np.array([cls_id], np.int64)
    if title:
        head = np.concatenate([head, title_tokens(e.text, e.ids, e.offsets, title), [sep_id]])
    size = window + 2 + (title + 1 if title else 0)
    h = len(head)
    n_labels = e.labels.shape[1]
    k = len(spans)
    ids = np.full((k, size), pad_id, np.int64)
    mask = np.zeros((k, size), np.int64)
    y = np.zeros((k, size, n_labels), np.float32)
    lm = np.zeros((k, size), np.float32)
    soft = np.zeros((k, size, n_labels), np.float32) if e.soft is not None else None
    para = np.full((k, size), -1, np.int64)
    for r, (a, b) in enumerate(spans):
        n = b - a
        ids[r, :h] = head
        ids[r, h:h + n] = e.ids[a:b]
        ids[r, h + n] = sep_id
        mask[r, :h + n + 1] = 1
        y[r, h:h + n] = e.labels[a:b]
        lm[r, h:h + n] = 1.0
        if soft is not None:
            soft[r, h:h + n] = e.soft[a:b]
        if e.lines is not None and n:
            para[r, h:h + n] = e.lines[a:b] - e.lines[a]
    out = {"input_ids": ids, "attention_mask": mask, "labels": y, "label_mask": lm,
           "hard": np.full(k, 1.0 if e.hard else 0.0, np.float32), "para": para}
    if soft is not None:
        out["soft"] = soft
    return out


def make_windows(encoded: Sequence[Encoded], window: int, stride: int, cls_id: int, sep_id: int,
                 pad_id: int = 0, title: int = 0) -> dict[str, np.ndarray]:
    """All windows of all articles on the inference grid, stacked: input_ids, attention_mask, labels,
    label_mask (``article_windows`` per article)."""
    size = window + 2 + (title + 1 if title else 0)
    n_labels = encoded[0].labels.shape[1] if encoded else 0
    empty = {"input_ids": np.zeros((0, size), np.int64), "attention_mask": np.zeros((0, size), np.int64),
             "labels": np.zeros((0, size, n_labels), np.float32), "label_mask": np.zeros((0, size), np.float32)}
    if not encoded:
        return empty
    parts = [article_windows(e, windows(len(e.ids), window, stride), window, cls_id, sep_id, pad_id, title)
             for e in encoded]
    return {k: np.concatenate([p[k] for p in parts]) for k in empty}
