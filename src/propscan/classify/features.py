"""TF-IDF features and linear models served with numpy alone.

Training uses scikit-learn (``[train]`` extra); its fitted vocabulary, idf
weights and coefficients are exported to ``.npz`` files, and this module
reproduces ``TfidfVectorizer`` + a linear decision function exactly without
importing sklearn or scipy, so ``propscan analyze`` stays light. Features are
kept sparse (index, value) pairs: scoring an article touches only the
coefficient rows of the n-grams it contains.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError

_WHITE = re.compile(r"\s\s+")
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def char_wb_ngrams(text: str, lo: int, hi: int) -> list[str]:
    """sklearn's ``analyzer='char_wb'``: n-grams inside space-padded words."""
    grams: list[str] = []
    for w in _WHITE.sub(" ", text).split():
        w = f" {w} "
        n_w = len(w)
        for n in range(lo, hi + 1):
            if n_w <= n:
                grams.append(w)
                break
            grams.extend(w[i:i + n] for i in range(n_w - n + 1))
    return grams


def word_ngrams(text: str, lo: int, hi: int) -> list[str]:
    """sklearn's ``analyzer='word'`` with the default token pattern."""
    tokens = _TOKEN.findall(text)
    if lo == hi == 1:
        return tokens
    grams: list[str] = []
    for n in range(lo, hi + 1):
        grams.extend(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
    return grams


@dataclass
class Tfidf:
    """A fitted TfidfVectorizer (lowercase, l2-normalised, optional sublinear tf)."""

    analyzer: str
    ngram_range: tuple[int, int]
    vocabulary: dict[str, int]
    idf: np.ndarray
    sublinear_tf: bool = True

    def analyse(self, text: str) -> list[str]:
        text = text.lower()
        lo, hi = self.ngram_range
        if self.analyzer == "char_wb":
            return char_wb_ngrams(text, lo, hi)
        return word_ngrams(text, lo, hi)

    def transform_one(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(column indices, tf-idf values) of one text, l2-normalised."""
        counts: dict[int, int] = {}
        vocab = self.vocabulary
        for g in self.analyse(text):
            j = vocab.get(g)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        if self.sublinear_tf:
            tf = 1.0 + np.log(tf)
        val = tf * self.idf[idx]
        val /= np.linalg.norm(val) or 1.0
        return idx, val.astype(np.float32)

    # -- (de)serialisation inside an npz -------------------------------------
    def to_arrays(self, prefix: str) -> dict[str, Any]:
        terms = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        meta = {"analyzer": self.analyzer, "ngram_range": list(self.ngram_range), "sublinear_tf": self.sublinear_tf}
        return {f"{prefix}terms": np.array(terms, dtype=str), f"{prefix}idf": self.idf.astype(np.float32),
                f"{prefix}meta": np.array(json.dumps(meta))}

    @classmethod
    def from_arrays(cls, z: Any, prefix: str) -> Tfidf:
        meta = json.loads(str(z[f"{prefix}meta"]))
        terms = z[f"{prefix}terms"].tolist()  # plain str, ~10x faster than str() per numpy scalar
        return cls(meta["analyzer"], tuple(meta["ngram_range"]), dict(zip(terms, range(len(terms)))),
                   z[f"{prefix}idf"].astype(np.float64), meta["sublinear_tf"])

    @classmethod
    def from_sklearn(cls, vec: Any) -> Tfidf:
        return cls(vec.analyzer, tuple(vec.ngram_range), {k: int(v) for k, v in vec.vocabulary_.items()},
                   np.asarray(vec.idf_, dtype=np.float64), bool(vec.sublinear_tf))


class FeatureSet:
    """Several TF-IDF blocks side by side (e.g. words + characters), one column space."""

    def __init__(self, blocks: Sequence[Tfidf]) -> None:
        self.blocks = list(blocks)
        self.offsets = np.cumsum([0] + [len(b.vocabulary) for b in self.blocks])

    @property
    def width(self) -> int:
        return int(self.offsets[-1])

    def transform_one(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        parts = [b.transform_one(text) for b in self.blocks]
        if not parts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        idx = np.concatenate([p[0] + off for p, off in zip(parts, self.offsets)])
        val = np.concatenate([p[1] for p in parts])
        return idx, val

    def to_arrays(self) -> dict[str, Any]:
        out: dict[str, Any] = {"n_blocks": np.array(len(self.blocks))}
        for i, b in enumerate(self.blocks):
            out.update(b.to_arrays(f"tfidf{i}_"))
        return out

    @classmethod
    def from_arrays(cls, z: Any) -> FeatureSet:
        return cls([Tfidf.from_arrays(z, f"tfidf{i}_") for i in range(int(z["n_blocks"]))])


def linear_scores(features: list[tuple[np.ndarray, np.ndarray]], coef: np.ndarray, dense: np.ndarray | None = None,
                  dense_coef: np.ndarray | None = None, intercept: np.ndarray | None = None) -> np.ndarray:
    """Decision values ``X @ coef.T + intercept`` for sparse rows (plus optional dense columns).

    ``coef`` is (labels, width); the result is (rows, labels).
    """
    out = np.zeros((len(features), coef.shape[0]), dtype=np.float64)
    for r, (idx, val) in enumerate(features):
        if len(idx):
            out[r] = coef[:, idx] @ val
    if dense is not None and dense_coef is not None:
        out += dense @ dense_coef.T
    if intercept is not None:
        out += intercept
    return out


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -40, 40)))


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def load_npz(path: Path) -> Any:
    if not path.is_file():
        raise ModelError(f"{path}: model file missing; see the model card for the command that trains it")
    return np.load(path, allow_pickle=False)
