"""The validation protocol every span and paragraph model choice is measured on (issue 13).

The fixed crc32 split (``propscan.splits``) mixes articles of one annotation
release, so it does not predict new articles. The protocol:

* **outer set**: the English SemEval-2023 training articles whose ids are not
  among the SemEval-2020 ``train-articles`` (75 of 446; they came from another
  release). Never used for fitting anything.
* **fit set**: articles used to fit calibrators and choose thresholds, always
  out-of-fold: ``cv_fold`` cuts them into folds by a salted hash of the article
  id, so every figure is measured on articles the fitted part never saw.
* **confidence intervals**: ``bootstrap`` resamples whole articles.

The shipped tagger was trained on the crc32 training split (4/5 of the 446
articles), so only articles with ``tagger_unseen(id)`` (the 93 crc32-validation
articles: 77 in the fit set, 16 outer) can judge it or fit its calibrators.
Numpy only: the runtime never imports this module.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .splits import is_validation

FOLDS = 5
SALT = "protocol-2026-12"
BOOTSTRAP = 1000
GENRES = ("opinion", "reporting", "satire")
# the genre mix of a news feed (the public SemEval-2023 English dev set, like the articles propscan is measured
# on, is about two thirds reporting, a quarter opinion, a tenth satire); ``feed_prior`` normalises it
FEED_MIX = {"opinion": 0.25, "reporting": 2 / 3, "satire": 0.1}


def outer_ids(data: str | Path, english_ids: Sequence[str]) -> set[str]:
    """Ids of ``english_ids`` (SemEval-2023 English articles) absent from the SemEval-2020 train-articles."""
    from .readers.semeval import find_2020

    seen = {p.stem[len("article"):] for p in (find_2020(data) / "train-articles").glob("article*.txt")}
    return {i for i in english_ids if i not in seen}


def feed_prior() -> np.ndarray:
    p = np.array([FEED_MIX[g] for g in GENRES])
    return p / p.sum()


def feed_weights(y: Sequence[int] | np.ndarray) -> np.ndarray:
    """Weights that make the gold genres ``y`` (indices into ``GENRES``) count as in the feed mix.

    Why: the training articles are mostly opinion, the articles a user (and the held-out gold) brings
    mostly reporting; a figure weighted so is the one to expect there. A genre absent from ``y`` simply
    drops out (the others keep their ratio).
    """
    y = np.asarray(y, dtype=int)
    emp = np.bincount(y, minlength=len(GENRES)) / max(len(y), 1)
    return feed_prior()[y] / np.where(emp[y] > 0, emp[y], 1.0)


def tagger_unseen(article_id: str) -> bool:
    """True for the articles the shipped tagger was not trained on (its crc32 validation fold)."""
    return is_validation(article_id)


def cv_fold(article_id: str, folds: int = FOLDS) -> int:
    """Cross-validation fold of an article: a salted hash, independent of the crc32 split's own folds."""
    return zlib.crc32(f"{SALT}:{article_id}".encode("utf-8")) % folds


def bootstrap(stats: np.ndarray, metric: Callable[[np.ndarray], float], n: int = BOOTSTRAP,
              seed: int = 0) -> tuple[float, float]:
    """95% interval of ``metric`` over ``n`` resamples of the rows of ``stats`` (one row per article).

    Why rows of sufficient statistics: every metric here (micro-F1, the SI
    formula, binned calibration error) is a function of per-article sums, so a
    resample is one weighted sum instead of a re-scoring. (``stats`` may also be
    ``np.arange(articles)``, ``metric`` then reading its own arrays by index:
    ``train.article.bootstrap_ci``.) A resample on which ``metric`` is undefined
    (nan, e.g. an AUC with one class drawn) is left out of the interval.
    """
    if len(stats) == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    k = len(stats)
    vals = [metric(stats[rng.integers(0, k, k)]) for _ in range(n)]
    lo, hi = np.nanpercentile(vals, [2.5, 97.5])
    return float(lo), float(hi)


def f1_from_counts(c: np.ndarray) -> float:
    """Micro-F1 from summed (tp, fp, fn) columns of ``c``."""
    tp, fp, fn = c[:, 0].sum(), c[:, 1].sum(), c[:, 2].sum()
    return float(2 * tp / (2 * tp + fp + fn)) if tp else 0.0


def overlap_f1(c: np.ndarray) -> float:
    """SemEval-2020 SI-style F1 from summed (p_num, p_den, r_num, r_den) columns."""
    from .evaluate.metrics import prf

    return prf(c[:, 0].sum(), c[:, 1].sum(), c[:, 2].sum(), c[:, 3].sum())[2]


def ece_stats(prob: np.ndarray, hit: np.ndarray, article: np.ndarray, n_articles: int,
              bins: int = 10) -> np.ndarray:
    """Per article and bin: (count, sum of probabilities, sum of outcomes), flattened to one row per article."""
    b = np.minimum((np.asarray(prob) * bins).astype(int), bins - 1)
    out = np.zeros((n_articles, 3 * bins))
    np.add.at(out, (article, b), 1.0)
    np.add.at(out, (article, bins + b), prob)
    np.add.at(out, (article, 2 * bins + b), hit.astype(float))
    return out


def ece(stats: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error (equal-width bins) from ``ece_stats`` rows."""
    s = stats.sum(axis=0)
    n, p, y = s[:bins], s[bins:2 * bins], s[2 * bins:]
    total = n.sum()
    return float(np.abs(p - y).sum() / total) if total else 0.0


def reliability(stats: np.ndarray, bins: int = 10) -> list[tuple[float, float, int, float]]:
    """Per bin: (lower edge, mean predicted probability, count, observed frequency)."""
    s = stats.sum(axis=0)
    n, p, y = s[:bins], s[bins:2 * bins], s[2 * bins:]
    return [(i / bins, float(p[i] / n[i]) if n[i] else float("nan"), int(n[i]),
             float(y[i] / n[i]) if n[i] else float("nan")) for i in range(bins)]
