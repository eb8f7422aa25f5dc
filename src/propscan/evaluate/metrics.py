"""The official SemEval formulas, on plain data (no files, no Analysis).

Every function returns a ``Score``: micro precision/recall/F1 plus a per-label
table. Conventions follow the official scorers:

* partial-overlap span F1 (SemEval-2020 SI, SemEval-2021 task 2): precision
  sums |s∩g|/|s| and recall sums |s∩g|/|g| over every overlapping pair of a
  predicted span s and a gold span g of the same article (and, when labels
  count, the same technique), divided by the number of predicted and gold
  spans; F1 is 1.0 when there is nothing to find and nothing was found;
* multi-label and multi-class scores count (item, label) pairs like
  scikit-learn's micro/macro averages; macro-F1 averages over the labels seen
  in gold or predictions (a label absent from both says nothing).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Hashable, Iterable, Mapping

Interval = tuple[int, int]


@dataclass
class LabelScore:
    precision: float
    recall: float
    f1: float
    support: int  # gold items (spans or pairs) with this label
    predicted: int

    def to_dict(self) -> dict[str, Any]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1,
                "support": self.support, "predicted": self.predicted}


@dataclass
class Score:
    """A task's result: ``headline`` names which number is the official score."""

    precision: float
    recall: float
    f1: float
    headline: str = "f1"
    macro_f1: float | None = None
    per_label: dict[str, LabelScore] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def score(self) -> float:
        return float(getattr(self, self.headline))

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"score": self.score, "headline": self.headline, "precision": self.precision,
                             "recall": self.recall, "f1": self.f1}
        if self.macro_f1 is not None:
            d["macro_f1"] = self.macro_f1
        d["per_label"] = {k: v.to_dict() for k, v in sorted(self.per_label.items())}
        d.update(self.counts)
        return d


def prf(p_num: float, p_den: float, r_num: float, r_den: float) -> tuple[float, float, float]:
    """Precision, recall, F1 from numerators and denominators, as the SemEval scorers define them.

    Nothing predicted and nothing to find counts as perfect (F1 1.0).
    """
    if p_den == 0 and r_den == 0:
        return 1.0, 1.0, 1.0
    p = p_num / p_den if p_den > 0 else 0.0
    r = r_num / r_den if r_den > 0 else 0.0
    f1 = 2 * p * r / (p + r) if p > 0 and r > 0 else 0.0
    return p, r, f1


def merge_intervals(spans: Iterable[Interval]) -> list[Interval]:
    """Union of overlapping (or touching-by-overlap) intervals; empty ones dropped.

    Two spans merge when they share at least one character, as in the
    SemEval-2020 SI scorer (adjacent spans stay apart).
    """
    out: list[list[int]] = []
    for s, e in sorted((int(s), int(e)) for s, e in spans if e > s):
        if out and s < out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def _overlap(a: Interval, b: Interval) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def overlap_sums(gold: list[Interval], pred: list[Interval]) -> tuple[float, float]:
    """(Σ|s∩g|/|s|, Σ|s∩g|/|g|) over every overlapping (pred s, gold g) pair."""
    p_sum = r_sum = 0.0
    gold_sorted = sorted(g for g in gold if g[1] > g[0])
    for s in pred:
        if s[1] <= s[0]:
            continue
        for g in gold_sorted:
            if g[0] >= s[1]:
                break
            inter = _overlap(s, g)
            if inter:
                p_sum += inter / (s[1] - s[0])
                r_sum += inter / (g[1] - g[0])
    return p_sum, r_sum


def partial_overlap(gold: Mapping[Hashable, Iterable[tuple[int, int, str]]],
                    pred: Mapping[Hashable, Iterable[tuple[int, int, str]]],
                    *, use_labels: bool, merge: bool) -> Score:
    """Partial-overlap span F1 over documents ``{doc id: [(start, end, label), ...]}``.

    ``use_labels``: a pair counts only when the labels match (per-label table
    filled); otherwise labels are ignored. ``merge``: overlapping spans of a
    document (and label, when labels count) are merged first on each side.
    Predictions for documents absent from gold are ignored (and counted).
    """
    totals = {"p_num": 0.0, "r_num": 0.0, "p_den": 0, "r_den": 0}
    per: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0, 0])  # p_num, r_num, p_den, r_den
    ignored = [d for d in pred if d not in gold]
    for doc, gold_items in gold.items():
        g_by: dict[str, list[Interval]] = defaultdict(list)
        p_by: dict[str, list[Interval]] = defaultdict(list)
        for s, e, lab in gold_items:
            if e > s:
                g_by[lab if use_labels else ""].append((int(s), int(e)))
        for s, e, lab in pred.get(doc, ()):
            if e > s:
                p_by[lab if use_labels else ""].append((int(s), int(e)))
        for lab in set(g_by) | set(p_by):
            g, p = g_by.get(lab, []), p_by.get(lab, [])
            if merge:
                g, p = merge_intervals(g), merge_intervals(p)
            p_num, r_num = overlap_sums(g, p)
            acc = per[lab]
            acc[0] += p_num
            acc[1] += r_num
            acc[2] += len(p)
            acc[3] += len(g)
    for acc in per.values():
        totals["p_num"] += acc[0]
        totals["r_num"] += acc[1]
        totals["p_den"] += int(acc[2])
        totals["r_den"] += int(acc[3])
    p, r, f1 = prf(totals["p_num"], totals["p_den"], totals["r_num"], totals["r_den"])
    per_label: dict[str, LabelScore] = {}
    if use_labels:
        for lab, (pn, rn, pd, rd) in per.items():
            lp, lr, lf = prf(pn, pd, rn, rd)
            per_label[lab] = LabelScore(lp, lr, lf, int(rd), int(pd))
    macro = sum(v.f1 for v in per_label.values()) / len(per_label) if per_label else None
    return Score(p, r, f1, macro_f1=macro, per_label=per_label,
                 counts={"gold_spans": int(totals["r_den"]), "predicted_spans": int(totals["p_den"]),
                         "documents": len(gold), "ignored_documents": len(ignored)})


def multilabel(gold: Mapping[Hashable, Iterable[str]], pred: Mapping[Hashable, Iterable[str]],
               headline: str = "f1") -> Score:
    """Micro and macro F1 over (item, label) pairs; items missing from ``pred`` predict nothing.

    Predictions for items absent from gold are ignored (and counted), as the
    official scorers only score gold items.
    """
    tp: Counter[str] = Counter()
    n_gold: Counter[str] = Counter()
    n_pred: Counter[str] = Counter()
    for item, labels in gold.items():
        g = set(labels)
        p = set(pred.get(item, ()))
        n_gold.update(g)
        n_pred.update(p)
        tp.update(g & p)
    per_label: dict[str, LabelScore] = {}
    for lab in set(n_gold) | set(n_pred):
        lp, lr, lf = prf(tp[lab], n_pred[lab], tp[lab], n_gold[lab])
        per_label[lab] = LabelScore(lp, lr, lf, n_gold[lab], n_pred[lab])
    t, pg, pp = sum(tp.values()), sum(n_gold.values()), sum(n_pred.values())
    p, r, f1 = prf(t, pp, t, pg)
    macro = sum(v.f1 for v in per_label.values()) / len(per_label) if per_label else 0.0
    ignored = sum(1 for item in pred if item not in gold)
    return Score(p, r, f1, headline=headline, macro_f1=macro, per_label=per_label,
                 counts={"items": len(gold), "gold_labels": pg, "predicted_labels": pp,
                         "ignored_items": ignored})


def multiclass(gold: Mapping[Hashable, str], pred: Mapping[Hashable, str | None]) -> Score:
    """One label per item (SemEval-2023 subtask 1); headline macro-F1, micro-F1 is accuracy."""
    return multilabel({k: [v] for k, v in gold.items()},
                      {k: ([v] if v else []) for k, v in pred.items()}, headline="macro_f1")


def given_spans(gold: Mapping[Hashable, Iterable[str]], pred: Mapping[Hashable, Iterable[str]]) -> Score:
    """SemEval-2020 TC: micro-F1 over the labels of given spans ``{(doc, start, end): [label, ...]}``.

    A span may carry several gold labels; a predicted label counts once per
    matching gold label (multiset intersection). With predictions for exactly
    the gold spans, micro-F1 equals the accuracy the official scorer reports.
    """
    tp: Counter[str] = Counter()
    n_gold: Counter[str] = Counter()
    n_pred: Counter[str] = Counter()
    for key, labels in gold.items():
        g = Counter(labels)
        p = Counter(pred.get(key, ()))
        n_gold.update(g)
        n_pred.update(p)
        tp.update(g & p)
    extra = 0
    for key, labels in pred.items():
        if key not in gold:
            c = Counter(labels)
            n_pred.update(c)  # a prediction on a span that is not gold is a false positive
            extra += 1
    per_label: dict[str, LabelScore] = {}
    for lab in set(n_gold) | set(n_pred):
        lp, lr, lf = prf(tp[lab], n_pred[lab], tp[lab], n_gold[lab])
        per_label[lab] = LabelScore(lp, lr, lf, n_gold[lab], n_pred[lab])
    t, pg, pp = sum(tp.values()), sum(n_gold.values()), sum(n_pred.values())
    p, r, f1 = prf(t, pp, t, pg)
    macro = sum(v.f1 for v in per_label.values()) / len(per_label) if per_label else 0.0
    return Score(p, r, f1, macro_f1=macro, per_label=per_label,
                 counts={"gold_spans": len(gold), "gold_labels": pg, "predicted_labels": pp,
                         "spans_not_in_gold": extra})
