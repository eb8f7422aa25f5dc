"""What each decoding and calibration choice gives on the validation protocol (issue 13 item 3).

    python bench/thresholds.py --data ../shared/data [--cache runs/tagger-cache]

Everything out-of-fold on the protocol's fit set (``propscan.protocol``: the
77 tagger-unseen articles outside the outer set, 5 folds by article), and on
the 16 unseen outer articles with calibrators fitted on the whole fit set:

* the calibrator's inputs: the shipped ones (highest token probability of a
  span or paragraph) against adding the span's mean probability, its length
  (a length prior), how often its text recurs in the article (Repetition from
  the article's own repeated phrases), the best neighbouring paragraph or the
  article's highest probability (context);
* the token threshold at which span candidates are decoded;
* paragraph thresholds alone, tuned for subtask 3: one global threshold
  against one per technique, and per technique only with 20+ positives.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

import numpy as np
from _common import ROOT

import propscan.train.protocol_fit as F
from propscan import protocol as P
from propscan.detect.calibration import logit
from propscan.train.calibrate import micro_f1, tune_paragraph_thresholds

Features = Callable[[F.Item], np.ndarray]


def _cols(*fs: Features) -> Features:
    def x(it: F.Item) -> np.ndarray:
        return np.column_stack([f(it) for f in fs]) if len(it.tech) else np.zeros((0, len(fs)))
    return x


def variants(texts: dict[str, str]) -> dict[str, tuple[Features, Features]]:
    def peak(it: F.Item) -> np.ndarray:
        return logit(it.peak)

    def mean(it: F.Item) -> np.ndarray:
        return logit(it.mean)

    def length(it: F.Item) -> np.ndarray:
        return np.log(np.maximum(1, [e - s for s, e, *_ in it.cands]))

    def repeats(it: F.Item) -> np.ndarray:
        t = texts[it.id].lower()
        return np.log1p([max(0, t.count(t[s:e]) - 1) for s, e, *_ in it.cands])

    def neighbours(it: F.Item) -> np.ndarray:
        r, z = it.raw, np.zeros((1, it.raw.shape[1]))
        near = np.maximum(np.vstack([z, r[:-1]]), np.vstack([r[1:], z]))
        return np.column_stack([logit(r.reshape(-1)), logit(near.reshape(-1))])

    def article(it: F.Item) -> np.ndarray:
        top = np.repeat(it.raw.max(axis=0, keepdims=True), len(it.raw), axis=0)
        return np.column_stack([logit(it.raw.reshape(-1)), logit(top.reshape(-1))])

    own = F._par_x
    return {"shipped: span and paragraph logit(peak)": (_cols(peak), own),
            "span + logit(mean)": (_cols(peak, mean), own),
            "span + log length (length prior)": (_cols(peak, length), own),
            "span + log(1 + repeats of its text in the article)": (_cols(peak, repeats), own),
            "paragraph + best neighbouring paragraph": (_cols(peak), neighbours),
            "paragraph + the article's highest probability": (_cols(peak), article)}


def line(name: str, got: dict) -> str:
    o, u = got["oof"], got["outer_unseen"]
    return (f"{name:52s} {o['si'][0]:.3f} {o['spans'][0]:.3f} {o['st3'][0]:.3f} {o['span_ece'][0]:.3f} "
            f"{o['paragraph_listed_ece'][0]:.3f} | {u['si'][0]:.3f} {u['spans'][0]:.3f} {u['st3'][0]:.3f}")


def threshold_schemes(pr: F.Protocol) -> dict[str, float]:
    """Subtask-3 micro-F1 out-of-fold when paragraph thresholds alone are tuned for it, by scheme."""
    n = len(pr.labels)
    items = F.items_for(pr.fit_set, pr.fit_cache, pr.labels, [F.TAU] * n)
    folds = np.array([P.cv_fold(it.id) for it in items])
    counts: dict[str, list[list[float]]] = {"one global": [], "per technique": [], "own if >= 20 positives": []}
    for k in range(P.FOLDS):
        train = [it for it, f in zip(items, folds) if f != k]
        test = [it for it, f in zip(items, folds) if f == k]
        cal = F.fit(train, n)
        F.apply(train, cal)
        s, g = np.concatenate([it.comb for it in train]), np.concatenate([it.pgold for it in train])
        glob = max(F.GRID, key=lambda t: micro_f1(s >= t, g))
        per = np.array(tune_paragraph_thresholds(s, g, grid=F.GRID))
        F.apply(test, cal)
        s2, g2 = np.concatenate([it.comb for it in test]), np.concatenate([it.pgold for it in test])
        for name, th in (("one global", np.full(n, glob)), ("per technique", per),
                         ("own if >= 20 positives", np.where(g.sum(axis=0) >= 20, per, glob))):
            p = s2 >= th[None, :]
            counts[name].append([(p & g2).sum(), (p & ~g2).sum(), (~p & g2).sum()])
    return {k: P.f1_from_counts(np.array(v, float)) for k, v in counts.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--cache", default=str(ROOT / "runs" / "tagger-cache"))
    ap.add_argument("--bootstrap", type=int, default=200)
    args = ap.parse_args()
    pr = F.Protocol.load(args.data, Path(args.cache))
    texts = {a.article.id: a.article.text for a in pr.fit_set + pr.outer_set}
    print(f"{'out-of-fold on the fit set | unseen outer':52s} SI    spans st3   sECE  pECE  | SI    spans st3")
    span_x, par_x, tau = F._span_x, F._par_x, F.TAU
    try:
        for name, (sx, px) in variants(texts).items():
            F._span_x, F._par_x = sx, px
            print(line(name, F.calibrated_rule(pr, args.bootstrap)), flush=True)
        F._span_x, F._par_x = span_x, par_x
        for t in (0.2, 0.3, 0.5):
            F.TAU = t
            print(line(f"span candidates decoded at {t} (shipped {tau})", F.calibrated_rule(pr, args.bootstrap)),
                  flush=True)
    finally:
        F._span_x, F._par_x, F.TAU = span_x, par_x, tau
    print("paragraph thresholds alone, tuned for subtask 3 (out-of-fold st3 micro-F1):")
    for name, f1 in threshold_schemes(pr).items():
        print(f"  {name:28s} {f1:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
