"""Choose the tagger's decision thresholds on the validation split and score the result.

Runs the exported ONNX tagger (exactly what ships) over the validation
articles once, then searches thresholds on the cached token probabilities:

* span thresholds, per technique: the one maximising that technique's
  partial-overlap span F1 (SemEval-2020 formula, techniques matched) against
  the SemEval-2023 gold spans; a technique that never reaches a useful F1 is
  switched off;
* paragraph thresholds, per technique: coordinate ascent on SemEval-2023
  subtask-3 micro-F1 over (paragraph, technique) pairs, where a paragraph's
  score is the highest token probability inside it.

Thresholds tuned on a split and scored on the same split flatter the model;
``cross_fitted`` also reports each half scored with thresholds tuned on the
other half, the honest estimate quoted in the model card.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..detect.decoding import decode_spans, line_breaks, paragraph_scores
from ..document import Analysis

GRID = tuple(round(x, 3) for x in np.arange(0.05, 0.951, 0.05))
OFF = 2.0  # a threshold no probability reaches: technique switched off
MIN_SUPPORT = 3  # fewer validation positives than this: keep the technique off
_BREAKS: dict[tuple[str, int, int], np.ndarray] = {}


def _po():
    from ..evaluate.metrics import partial_overlap

    return partial_overlap


def span_predictions(val: Sequence[Analysis], cache, labels: Sequence[str], thresholds: Sequence[float],
                     **decode_kw) -> dict[str, list[tuple[int, int, str]]]:
    out: dict[str, list[tuple[int, int, str]]] = {}
    for a, (offs, probs) in zip(val, cache):
        key = (a.article.id, hash(a.article.text), len(offs))
        if key not in _BREAKS:
            _BREAKS[key] = line_breaks(a.article.text, offs)
        got = decode_spans(a.article.text, offs, probs, labels, thresholds, breaks=_BREAKS[key], **decode_kw)
        out[a.article.id] = [(s, e, t) for s, e, t, _ in got]
    return out


def gold_spans(val: Sequence[Analysis]) -> dict[str, list[tuple[int, int, str]]]:
    return {a.article.id: [(s.start, s.end, s.technique) for s in a.spans] for a in val}


class SpanTable:
    """Decoded spans per (technique, threshold), computed once and reused by the searches."""

    def __init__(self, val: Sequence[Analysis], cache, labels: Sequence[str], grid: Sequence[float] = GRID,
                 **decode_kw) -> None:
        self.labels = list(labels)
        self.grid = list(grid)
        self.ids = [a.article.id for a in val]
        self.table: dict[tuple[int, float], dict[str, list[tuple[int, int, str]]]] = {}
        for j in range(len(labels)):
            for thr in self.grid:
                th = [OFF] * len(labels)
                th[j] = thr
                self.table[(j, thr)] = span_predictions(val, cache, labels, th, **decode_kw)

    def predictions(self, thresholds: Sequence[float]) -> dict[str, list[tuple[int, int, str]]]:
        out: dict[str, list[tuple[int, int, str]]] = {k: [] for k in self.ids}
        for j, thr in enumerate(thresholds):
            if thr <= 1.0:
                for k, v in self.table[(j, float(thr))].items():
                    out[k].extend(v)
        return out


def tune_span_thresholds(val: Sequence[Analysis], cache, labels: Sequence[str],
                         grid: Sequence[float] = GRID, table: SpanTable | None = None,
                         **decode_kw) -> tuple[list[float], dict[str, dict]]:
    """Per technique, the threshold with the best technique-matched partial-overlap F1."""
    partial_overlap = _po()
    table = table or SpanTable(val, cache, labels, grid, **decode_kw)
    gold = gold_spans(val)
    thresholds = [OFF] * len(labels)
    report: dict[str, dict] = {}
    for j, tech in enumerate(labels):
        g = {k: [x for x in v if x[2] == tech] for k, v in gold.items()}
        support = sum(len(v) for v in g.values())
        best = (0.0, OFF)
        if support >= MIN_SUPPORT:
            for thr in table.grid:
                f1 = partial_overlap(g, table.table[(j, thr)], use_labels=True, merge=True).f1
                if f1 > best[0] + 1e-9:
                    best = (f1, thr)
        thresholds[j] = best[1]
        report[tech] = {"support": support, "f1": best[0], "threshold": best[1]}
    return thresholds, report


def tune_si_thresholds(val: Sequence[Analysis], table: SpanTable, start: Sequence[float],
                       passes: int = 2) -> tuple[list[float], float]:
    """Coordinate ascent of per-technique span thresholds on technique-blind span F1 (the SI formula).

    Starts from ``start`` (usually the per-technique optimum); only techniques
    with enough validation support move. Gold: the validation spans, all
    techniques pooled.
    """
    partial_overlap = _po()
    gold = {k: [(s, e, "") for s, e, _ in v] for k, v in gold_spans(val).items()}
    support = {t: 0 for t in table.labels}
    for v in gold_spans(val).values():
        for _, _, t in v:
            if t in support:
                support[t] += 1

    def f1_of(th: Sequence[float]) -> float:
        pred = {k: [(s, e, "") for s, e, _ in v] for k, v in table.predictions(th).items()}
        return partial_overlap(gold, pred, use_labels=False, merge=True).f1

    th = [float(x) for x in start]
    cur = f1_of(th)
    for _ in range(passes):
        changed = False
        for j, tech in enumerate(table.labels):
            if support[tech] < MIN_SUPPORT:
                continue
            best = (cur, th[j])
            for t in table.grid + [OFF]:
                if t == th[j]:
                    continue
                trial = list(th)
                trial[j] = t
                f = f1_of(trial)
                if f > best[0] + 1e-9:
                    best = (f, t)
            if best[1] != th[j]:
                th[j] = best[1]
                cur = best[0]
                changed = True
        if not changed:
            break
    return th, cur


def paragraph_matrix(val: Sequence[Analysis], cache, labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(scores, gold) stacked over all validation paragraphs, shape (n_paragraphs, n_labels)."""
    index = {t: j for j, t in enumerate(labels)}
    s_rows, g_rows = [], []
    for a, (offs, probs) in zip(val, cache):
        bounds = [(p.start, p.end) for p in a.paragraphs]
        s_rows.append(paragraph_scores(offs, probs, bounds))
        g = np.zeros((len(bounds), len(labels)), dtype=bool)
        for i, p in enumerate(a.paragraphs):
            for t in p.techniques:
                if t in index:
                    g[i, index[t]] = True
        g_rows.append(g)
    return np.concatenate(s_rows), np.concatenate(g_rows)


def micro_f1(pred: np.ndarray, gold: np.ndarray) -> float:
    tp = float((pred & gold).sum())
    fp = float((pred & ~gold).sum())
    fn = float((~pred & gold).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def tune_paragraph_thresholds(scores: np.ndarray, gold: np.ndarray, grid: Sequence[float] = GRID,
                              passes: int = 3, extra: np.ndarray | None = None) -> list[float]:
    """Per-technique thresholds by coordinate ascent on micro-F1, from the best single global one.

    ``extra`` (bool, same shape) holds labels predicted by other means (rules)
    that are added to the thresholded ones.
    """
    n = scores.shape[1]
    extra = np.zeros_like(gold) if extra is None else extra
    best_g = max(grid, key=lambda t: micro_f1((scores >= t) | extra, gold))
    th = np.full(n, best_g, dtype=np.float64)
    support = gold.sum(axis=0)
    th[support < MIN_SUPPORT] = OFF
    for _ in range(passes):
        changed = False
        for j in range(n):
            if support[j] < MIN_SUPPORT:
                continue
            cur = micro_f1((scores >= th) | extra, gold)
            best = (cur, th[j])
            for t in list(grid) + [OFF]:
                th2 = th.copy()
                th2[j] = t
                f = micro_f1((scores >= th2) | extra, gold)
                if f > best[0] + 1e-9:
                    best = (f, t)
            if best[1] != th[j]:
                th[j] = best[1]
                changed = True
        if not changed:
            break
    return [float(x) for x in th]


def halves(items: Sequence[Analysis]) -> tuple[list[int], list[int]]:
    """A fixed two-way split of the validation articles (by position after sorting by id)."""
    order = sorted(range(len(items)), key=lambda i: items[i].article.id)
    return order[0::2], order[1::2]


# -- calibrated probabilities (issue 13): pooled Platt scaling with per-technique shrinkage -----------------

def fit_platt(x: np.ndarray, y: np.ndarray, tech: np.ndarray, n_tech: int, shrink: float = 10.0,
              ) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients ``W`` (n_tech, 1 + n_features) with P(y | x, t) = sigmoid(W[t] · [1, x]).

    ``W[t] = w + d_t``: ``w`` is shared by all techniques (unpenalised) and
    ``d_t`` is pulled towards 0 by an L2 penalty ``shrink · |d_t|²``, so a
    technique with few positives gets nearly the pooled curve and a frequent
    one its own. Returns ``(W, positives per technique)``.
    """
    from scipy.optimize import minimize

    x = np.asarray(x, dtype=np.float64).reshape(len(y), -1)
    X = np.hstack([np.ones((len(y), 1)), x])
    y = np.asarray(y, dtype=np.float64)
    k = X.shape[1]

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, d = theta[:k], theta[k:].reshape(n_tech, k)
        W = w[None, :] + d
        z = np.einsum("ij,ij->i", X, W[tech])
        p = 1.0 / (1.0 + np.exp(-z))
        nll = float(np.sum(np.logaddexp(0.0, z) - y * z))
        r = (p - y)[:, None] * X
        gW = np.zeros((n_tech, k))
        np.add.at(gW, tech, r)
        gw = gW.sum(axis=0)
        gd = gW + 2.0 * shrink * d
        return nll + shrink * float((d ** 2).sum()), np.concatenate([gw, gd.ravel()])

    theta0 = np.zeros(k * (n_tech + 1))
    res = minimize(loss, theta0, jac=True, method="L-BFGS-B", options={"maxiter": 500})
    w, d = res.x[:k], res.x[k:].reshape(n_tech, k)
    pos = np.bincount(tech[y > 0.5], minlength=n_tech) if len(y) else np.zeros(n_tech, int)
    return w[None, :] + d, pos
