"""Fit the tagger's calibrators and the decision threshold, and measure them on the protocol.

    python -m propscan.train.protocol_fit --data ../shared/data [--cache runs/tagger-cache] [--write]

Works on the tagger's raw token probabilities of every English article,
computed once and cached (``token_cache``). On the protocol
(``propscan.protocol``): the fit set is the crc32-validation articles that are
not outer (the shipped tagger never saw them); calibrators and the threshold
are fitted on 4/5 of its articles and measured on the fifth, for every fold;
the outer articles the tagger never saw are measured with calibrators fitted
on the whole fit set. ``--write`` stores those (``models/calibration.json``).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from .. import protocol as P
from ..detect.calibration import CONFIG as CALIBRATION, logit, mix, model_matrix, span_features
from ..detect.decoding import decode_candidates, line_breaks, paragraph_scores
from ..document import Analysis
from ..evaluate.metrics import merge_intervals, overlap_sums
from .calibrate import fit_platt

MIN_SUPPORT = 3

TAU = 0.4  # token threshold at which span candidates are decoded (chosen on the protocol, see the model card)
SPAN_FEATURES = ("logit_peak",)
SHRINK = 10.0
# English paragraphs: the weight of the paragraph model's calibrated probability
# (``classify.multilingual.ParagraphModelScores``) in the mean with the tagger's (chosen out of fold among
# 0.4-0.8 by the threshold's objective; model card)
MODEL_WEIGHT = 0.7
DECODE = {"min_chars": 4, "max_gap": 2}
GRID = tuple(float(x) for x in np.round(np.arange(0.1, 0.701, 0.025), 3))


@dataclass
class Item:
    """One article: its gold annotation and the tagger's output, decoded into candidates."""

    id: str
    cands: list[tuple[int, int, str, float, float]]
    tech: np.ndarray
    mean: np.ndarray
    peak: np.ndarray
    hit: np.ndarray  # candidate overlaps a gold span of its technique
    gold: list[tuple[int, int, int]]
    bounds: list[tuple[int, int]]
    raw: np.ndarray  # (paragraphs, labels): highest token probability
    pgold: np.ndarray  # (paragraphs, labels) bool
    cal: np.ndarray = field(default_factory=lambda: np.zeros(0))
    comb: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    model: np.ndarray | None = None  # (paragraphs, labels): the paragraph model's probabilities, if it reads them


def token_cache(articles: Sequence[Analysis], folder: Path,
                model_dir: Path | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """The tagger's (offsets, probabilities) per article, computed once into ``folder``.

    ``model_dir``: a tagger folder other than the shipped one (a candidate being measured).
    """
    folder.mkdir(parents=True, exist_ok=True)
    tagger = None
    out = []
    for a in articles:
        f = folder / f"{a.article.id}.npz"
        if not f.is_file():
            if tagger is None:
                from ..detect.tagger import SpanTagger

                tagger = SpanTagger(model_dir=model_dir) if model_dir else SpanTagger.create()
                if tagger is None:
                    raise SystemExit("needs the shipped span tagger (models/tagger.onnx)")
            (offs, probs), = tagger.token_probs([a.article])
            np.savez_compressed(f, offsets=offs.astype(np.int32), probs=probs.astype(np.float32))
        z = np.load(f)
        out.append((z["offsets"].astype(np.int64), z["probs"]))
    return out


def paragraph_model_cache(articles: Sequence[Analysis], labels: Sequence[str], folder: Path) -> list[np.ndarray]:
    """The paragraph model's (paragraphs, labels) probabilities per article, computed once into ``folder``.

    Computed as the pipeline does (``ParagraphModelScores`` after the language check, on a copy of the
    article without its annotations); a paragraph it does not score reads NaN, as at run time.
    """
    import copy

    from ..classify.multilingual import ParagraphModelScores
    from ..components import PARAGRAPH_MODEL_SCORES
    from ..detect.language import LanguageTagger

    folder.mkdir(parents=True, exist_ok=True)
    model = language = None
    out = []
    for a in articles:
        f = folder / f"{a.article.id}.npy"
        if not f.is_file():
            if model is None:
                model, language = ParagraphModelScores.create(), LanguageTagger.create()
                if model is None or language is None:
                    raise SystemExit("needs the shipped paragraph model (models/st3-multilingual.npz)")
            b = copy.deepcopy(a)
            b.spans, b.gold = [], None
            for p in b.paragraphs:
                p.techniques, p.scores = [], {}
            b = model(language(b))
            got = b.scratch.get(PARAGRAPH_MODEL_SCORES) or {"techniques": [], "rows": {}}
            np.save(f, model_matrix(got, range(len(b.paragraphs)), labels).astype(np.float32))
        out.append(np.load(f))
    return out


def items_for(articles: Sequence[Analysis], cache: Sequence[tuple[np.ndarray, np.ndarray]], labels: Sequence[str],
              thresholds: Sequence[float], models: Sequence[np.ndarray] | None = None, **decode: Any) -> list[Item]:
    """One ``Item`` per article; ``models``: the paragraph model's probabilities per article, when the paragraph
    calibrator reads them (English)."""
    index = {t: j for j, t in enumerate(labels)}
    out = []
    for k, (a, (offs, probs)) in enumerate(zip(articles, cache)):
        text = a.article.text
        kw = {**DECODE, **decode}
        c = decode_candidates(text, offs, probs, labels, thresholds, breaks=line_breaks(text, offs), **kw)
        gold = [(s.start, s.end, index[s.technique]) for s in a.spans if s.technique in index]
        hit = np.array([any(j == index[t] and gs < e and s < ge for gs, ge, j in gold) for s, e, t, _, _ in c], bool)
        bounds = [(p.start, p.end) for p in a.paragraphs]
        pg = np.zeros((len(bounds), len(labels)), bool)
        for i, p in enumerate(a.paragraphs):
            for t in p.techniques:
                if t in index:
                    pg[i, index[t]] = True
        out.append(Item(a.article.id, c, np.array([index[x[2]] for x in c], int), np.array([x[3] for x in c]),
                        np.array([x[4] for x in c]), hit, gold, bounds, paragraph_scores(offs, probs, bounds), pg,
                        model=None if models is None else models[k]))
    return out


def _span_x(it: Item) -> np.ndarray:
    return span_features(SPAN_FEATURES, it.mean, it.peak) if len(it.tech) else np.zeros((0, len(SPAN_FEATURES)))


def _par_x(it: Item) -> np.ndarray:
    """Paragraph calibrator inputs, one row per (paragraph, technique), paragraph-major."""
    return logit(it.raw.reshape(-1, 1))


def _model_x(it: Item) -> np.ndarray:
    """The paragraph model calibrator's inputs, as ``_par_x`` (a paragraph it did not score: logit 0)."""
    return logit(np.nan_to_num(it.model, nan=0.5).reshape(-1, 1))


def _apply(W: np.ndarray, tech: np.ndarray, x: np.ndarray) -> np.ndarray:
    X = np.hstack([np.ones((len(tech), 1)), x])
    return 1.0 / (1.0 + np.exp(-np.einsum("ij,ij->i", X, W[tech])))


def fit(items: Sequence[Item], n_labels: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Span and paragraph calibrators (coefficients, positives per technique) fitted on ``items``."""
    tech = np.concatenate([it.tech for it in items])
    span = fit_platt(np.concatenate([_span_x(it) for it in items]), np.concatenate([it.hit for it in items]),
                     tech, n_labels, SHRINK)
    ptech = np.concatenate([np.tile(np.arange(n_labels), len(it.raw)) for it in items])
    pgold = np.concatenate([it.pgold.reshape(-1) for it in items])
    par = fit_platt(np.concatenate([_par_x(it) for it in items]), pgold, ptech, n_labels, SHRINK)
    out = {"span": span, "paragraph": par}
    if items and all(it.model is not None for it in items):
        scored = np.concatenate([~np.isnan(it.model.reshape(-1)) for it in items])
        out["paragraph_model"] = fit_platt(np.concatenate([_model_x(it) for it in items])[scored], pgold[scored],
                                           ptech[scored], n_labels, SHRINK)
    return out


def apply(items: Sequence[Item], cal: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    """Set each item's calibrated span probabilities and paragraph scores (as ``detect.paragraphs.decide``)."""
    (Ws, spos), (Wp, ppos) = cal["span"], cal["paragraph"]
    for it in items:
        on = spos[it.tech] >= MIN_SUPPORT
        it.cal = np.where(on, _apply(Ws, it.tech, _span_x(it)), 0.0) if len(it.tech) else np.zeros(0)
        n, t = it.raw.shape
        pc = _apply(Wp, np.tile(np.arange(t), n), _par_x(it)).reshape(n, t)
        if "paragraph_model" in cal and it.model is not None:  # English: the weighted mean with the paragraph model
            pm = _apply(cal["paragraph_model"][0], np.tile(np.arange(t), n), _model_x(it)).reshape(n, t)
            pc = mix(pc, pm, it.model, MODEL_WEIGHT)
        pc[:, ppos < MIN_SUPPORT] = 0.0
        for (s, e, _, _, _), j, p in zip(it.cands, it.tech, it.cal):
            for i, (a, b) in enumerate(it.bounds):
                if s < b and e > a:
                    pc[i, j] = max(pc[i, j], p)
        it.comb = pc


def stats(items: Sequence[Item], thr: float) -> dict[str, np.ndarray]:
    """Per-article sufficient statistics at threshold ``thr``: SI, technique-aware spans, subtask 3."""
    si, tw, pc = [], [], []
    for it in items:
        kept = [c for c, p in zip(it.cands, it.cal) if p >= thr]
        g = merge_intervals([(s, e) for s, e, _ in it.gold])
        p = merge_intervals([(s, e) for s, e, *_ in kept])
        pn, rn = overlap_sums(g, p)
        si.append([pn, len(p), rn, len(g)])
        row = [0.0, 0.0, 0.0, 0.0]
        kj = [(c[0], c[1], j) for c, j, q in zip(it.cands, it.tech, it.cal) if q >= thr]
        for j in {x[2] for x in it.gold} | {x[2] for x in kj}:
            g = merge_intervals([(s, e) for s, e, t in it.gold if t == j])
            p = merge_intervals([(s, e) for s, e, t in kj if t == j])
            pn, rn = overlap_sums(g, p)
            row = [row[0] + pn, row[1] + len(p), row[2] + rn, row[3] + len(g)]
        tw.append(row)
        pred = it.comb >= thr
        pc.append([(pred & it.pgold).sum(), (pred & ~it.pgold).sum(), (~pred & it.pgold).sum()])
    return {"si": np.array(si, float), "spans": np.array(tw, float), "st3": np.array(pc, float)}


def objective(s: dict[str, np.ndarray]) -> float:
    """What the threshold maximises: the mean of technique-aware span F1 and subtask-3 micro-F1."""
    return (P.overlap_f1(s["spans"]) + P.f1_from_counts(s["st3"])) / 2


def choose_threshold(items: Sequence[Item], grid: Sequence[float] = GRID) -> float:
    return max(grid, key=lambda t: (objective(stats(items, t)), -t))


def calibration_stats(items: Sequence[Item], listed: float = 0.05) -> dict[str, np.ndarray]:
    """ECE statistics per article: spans (every candidate), paragraph scores (every pair, and those >= ``listed``).

    Why both for paragraphs: over every (paragraph, technique) pair the many
    near-zero scores make any model look calibrated; the pairs a reader sees
    listed are the ones that matter.
    """
    art = np.concatenate([[i] * len(it.cal) for i, it in enumerate(items)]).astype(int)
    span = P.ece_stats(np.concatenate([it.cal for it in items]), np.concatenate([it.hit for it in items]),
                       art, len(items))
    p = np.concatenate([it.comb.ravel() for it in items])
    y = np.concatenate([it.pgold.ravel() for it in items])
    part = np.concatenate([[i] * it.comb.size for i, it in enumerate(items)]).astype(int)
    keep = p >= listed
    return {"span": span, "paragraph": P.ece_stats(p, y, part, len(items)),
            "paragraph_listed": P.ece_stats(p[keep], y[keep], part[keep], len(items))}


def out_of_fold(items: Sequence[Item], n_labels: int,
                prepare: Callable[[list[int], dict], None] | None = None) -> list[float]:
    """Calibrate every item by calibrators fitted on the other folds; the threshold chosen there, per fold.

    ``prepare(indices, calibrators)`` puts the calibrated scores on those items (default ``apply``; the
    multilingual fit also combines paragraph probabilities there), before the threshold is chosen on them.
    """
    if prepare is None:
        def prepare(idx: list[int], cal: dict) -> None:
            apply([items[i] for i in idx], cal)
    folds = np.array([P.cv_fold(it.id) for it in items])
    thr = [0.5] * len(items)
    for k in range(P.FOLDS):
        train = [i for i in range(len(items)) if folds[i] != k]
        test = [i for i in range(len(items)) if folds[i] == k]
        if not train or not test:
            continue
        cal = fit([items[i] for i in train], n_labels)
        prepare(train, cal)
        t = choose_threshold([items[i] for i in train])
        prepare(test, cal)
        for i in test:
            thr[i] = t
    return thr


def oof_stats(items: Sequence[Item], thresholds: Sequence[float]) -> dict[str, np.ndarray]:
    parts = [stats([it], t) for it, t in zip(items, thresholds)]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]} if parts else {}


def summary(s: dict[str, np.ndarray], c: dict[str, np.ndarray] | None = None, n: int = P.BOOTSTRAP) -> dict:
    """Scores with bootstrap 95% intervals by article."""
    out: dict[str, Any] = {}
    for key, fn in (("si", P.overlap_f1), ("spans", P.overlap_f1), ("st3", P.f1_from_counts)):
        out[key] = [round(fn(s[key]), 4), *[round(x, 4) for x in P.bootstrap(s[key], fn, n)]]
    for key, st in (c or {}).items():
        out[f"{key}_ece"] = [round(P.ece(st), 4), *[round(x, 4) for x in P.bootstrap(st, P.ece, n)]]
    out["articles"] = len(s["st3"])
    return out


def to_json(cal: dict[str, tuple[np.ndarray, np.ndarray]], labels: Sequence[str], threshold: float,
            measured: dict[str, Any], tagger_version: str) -> dict[str, Any]:
    def level(W: np.ndarray, pos: np.ndarray, features: Sequence[str]) -> dict[str, Any]:
        return {"features": list(features),
                "coef": {t: [round(float(x), 5) for x in W[j]] for j, t in enumerate(labels)},
                "positives": {t: int(pos[j]) for j, t in enumerate(labels)},
                "enabled": [t for j, t in enumerate(labels) if pos[j] >= MIN_SUPPORT]}

    return {
        "version": "calibration-platt-2" if "paragraph_model" in cal else "calibration-platt-1",
        "tagger_version": tagger_version,
        "threshold": threshold,
        "span": {"decode_threshold": TAU, "decode": DECODE, **level(*cal["span"], SPAN_FEATURES)},
        "paragraph": level(*cal["paragraph"], ["logit_peak"]),
        **({"paragraph_model": level(*cal["paragraph_model"], ["logit_paragraph_model"]),
            "paragraph_model_weight": MODEL_WEIGHT} if "paragraph_model" in cal else {}),
        "fitted_on": "the crc32-validation English SemEval-2023 articles outside the protocol's outer set "
                     "(never seen by the tagger)",
        "measured": measured,
    }


@dataclass
class Protocol:
    """The protocol's article sets with the tagger's cached output."""

    labels: list[str]
    fit_set: list[Analysis]
    outer_set: list[Analysis]  # outer articles the tagger never saw
    fit_cache: list[tuple[np.ndarray, np.ndarray]]
    outer_cache: list[tuple[np.ndarray, np.ndarray]]
    n_outer: int  # all outer articles, seen by the tagger or not
    fit_models: list[np.ndarray] | None = None  # the paragraph model's probabilities (None: not read)
    outer_models: list[np.ndarray] | None = None

    @classmethod
    def load(cls, data: str | Path, cache: Path, model_dir: Path | None = None) -> "Protocol":
        from ..readers.semeval import load_2023

        cfg = json.loads(((model_dir or CALIBRATION.parent) / "tagger.json").read_text(encoding="utf-8"))
        labels = cfg["labels"]
        cache = cache / str(cfg.get("version", "unknown"))  # a retrained tagger never reads another's cache
        arts = load_2023(data, "en")
        outer = P.outer_ids(data, [a.article.id for a in arts])
        unseen = [a for a in arts if P.tagger_unseen(a.article.id)]
        fit_set = [a for a in unseen if a.article.id not in outer]
        outer_set = [a for a in unseen if a.article.id in outer]
        c = token_cache(fit_set + outer_set, cache, model_dir)
        from ..classify.features import load_npz
        from ..runtime import models as M

        version = str(load_npz(M.path(M.MULTILINGUAL))["version"])
        m = paragraph_model_cache(fit_set + outer_set, labels, cache.parent / f"paragraph-model-{version}")
        return cls(labels, fit_set, outer_set, c[:len(fit_set)], c[len(fit_set):], len(outer),
                   m[:len(fit_set)], m[len(fit_set):])


def calibrated_rule(pr: Protocol, bootstrap: int = P.BOOTSTRAP) -> dict[str, Any]:
    """The shipped recipe: OOF on the fit set, then fitted on all of it and measured on the unseen outer set."""
    th = [TAU] * len(pr.labels)
    items = items_for(pr.fit_set, pr.fit_cache, pr.labels, th, pr.fit_models)
    outer_items = items_for(pr.outer_set, pr.outer_cache, pr.labels, th, pr.outer_models)
    fold_thr = out_of_fold(items, len(pr.labels))
    oof_cal = calibration_stats(items)
    oof_s = oof_stats(items, fold_thr)
    out: dict[str, Any] = {"oof": summary(oof_s, oof_cal, bootstrap),
                           "oof_fold_thresholds": sorted(set(fold_thr)),
                           "reliability": {k: P.reliability(v) for k, v in oof_cal.items()}}
    cal = fit(items, len(pr.labels))
    apply(items, cal)
    threshold = choose_threshold(items)
    apply(outer_items, cal)
    outer_cal = calibration_stats(outer_items)
    outer_s = stats(outer_items, threshold)
    out["outer_unseen"] = summary(outer_s, outer_cal, bootstrap)
    out["per_article"] = {"oof": oof_s, "outer_unseen": outer_s}
    w = genre_weights(pr.fit_set)
    out["oof_feed_mix"] = summary(weighted(oof_s, w), weighted(oof_cal, w), bootstrap)
    out["oof_feed_mix"]["articles_by_genre"] = {g: sum(1 for a in pr.fit_set if g in a.genre) for g in P.GENRES}
    out["reliability_outer"] = {k: P.reliability(v) for k, v in outer_cal.items()}
    out["threshold"] = threshold
    out["calibrators"] = cal
    return out


def genre_weights(articles: Sequence[Analysis]) -> np.ndarray:
    """Per article, the weight that makes the gold genres count as in a news feed (``protocol.feed_weights``).

    Why: the fit set is 66 opinion pieces and 8 reports, a user's feed (and the held-out gold) mostly
    reports, where the tagger finds less and is right less often; weighted figures are the ones to expect
    there. An article without a gold genre weighs 0.
    """
    known = [i for i, a in enumerate(articles) if a.genre and next(iter(a.genre)) in P.GENRES]
    w = np.zeros(len(articles))
    w[known] = P.feed_weights([P.GENRES.index(next(iter(articles[i].genre))) for i in known])
    return w * len(known) / w.sum() if known else w


def weighted(s: dict[str, np.ndarray], w: np.ndarray) -> dict[str, np.ndarray]:
    """Per-article statistics rows scaled by the articles' weights (every metric here is a ratio of their sums)."""
    return {k: v * w[:, None] for k, v in s.items()}


def paired_difference(a: dict[str, Any], b: dict[str, Any], n: int = P.BOOTSTRAP) -> dict[str, Any]:
    """Scores of rule ``a`` minus rule ``b`` on the same articles, with paired bootstrap 95% intervals.

    Why paired: two taggers scored on the same 77 (16) articles share most of their sampling noise, so
    the interval of the difference is much narrower than either interval alone; the same resampled
    articles are scored under both.
    """
    out: dict[str, Any] = {}
    for part in ("oof", "outer_unseen"):
        sa, sb = a["per_article"][part], b["per_article"][part]
        row = {}
        for key, fn in (("si", P.overlap_f1), ("spans", P.overlap_f1), ("st3", P.f1_from_counts)):
            def diff(ix: np.ndarray, key: str = key, fn: Callable = fn) -> float:
                return fn(sa[key][ix]) - fn(sb[key][ix])
            k = len(sa[key])
            row[key] = [round(diff(np.arange(k)), 4), *[round(x, 4) for x in P.bootstrap(np.arange(k), diff, n)]]
        out[part] = row
    return out


def raw_stats(items: Sequence[Item], par_thresholds: np.ndarray) -> tuple[dict[str, np.ndarray], dict]:
    """Scores of items decoded as today (every candidate shown, per-technique paragraph thresholds), raw ECE."""
    for it in items:
        it.cal = np.ones(len(it.tech))
        it.comb = np.where(it.raw >= par_thresholds[None, :], 1.0, 0.0)
    s = stats(items, 0.5)
    for it in items:  # the raw numbers shown: mean token probability per span, highest per paragraph
        it.cal = it.mean
        it.comb = it.raw
    return s, calibration_stats(items)


def todays_rule(pr: Protocol, bootstrap: int = P.BOOTSTRAP) -> dict[str, Any]:
    """The stop-10 recipe (per-technique span and paragraph thresholds), as shipped and re-tuned out of fold.

    As shipped, its thresholds were tuned on all 93 tagger-unseen articles, these included: optimistic.
    """
    from .calibrate import OFF, paragraph_matrix, tune_paragraph_thresholds, tune_span_thresholds

    cfg = json.loads((CALIBRATION.parent / "tagger.json").read_text(encoding="utf-8"))
    span_th = [float(cfg["span_thresholds"].get(t, OFF)) for t in pr.labels]
    par_th = np.array([float(cfg["paragraph_thresholds"].get(t, OFF)) for t in pr.labels])
    dk = {"peak_margin": float(cfg.get("decode", {}).get("peak_margin", 0.0))}
    out: dict[str, Any] = {}
    for name, arts, cache in (("shipped_fit", pr.fit_set, pr.fit_cache),
                              ("shipped_outer", pr.outer_set, pr.outer_cache)):
        s, c = raw_stats(items_for(arts, cache, pr.labels, span_th, **dk), par_th)
        out[name] = summary(s, c, bootstrap)
    folds = np.array([P.cv_fold(a.article.id) for a in pr.fit_set])
    parts = []
    for k in range(P.FOLDS):
        tr = [i for i in range(len(pr.fit_set)) if folds[i] != k]
        te = [i for i in range(len(pr.fit_set)) if folds[i] == k]
        arts, cache = [pr.fit_set[i] for i in tr], [pr.fit_cache[i] for i in tr]
        sth, _ = tune_span_thresholds(arts, cache, pr.labels, **DECODE, **dk)
        pth = np.array(tune_paragraph_thresholds(*paragraph_matrix(arts, cache, pr.labels)))
        test = items_for([pr.fit_set[i] for i in te], [pr.fit_cache[i] for i in te], pr.labels, sth, **dk)
        parts.append(raw_stats(test, pth)[0])
    out["oof"] = summary({k: np.concatenate([p[k] for p in parts]) for k in parts[0]}, None, bootstrap)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--cache", default="runs/tagger-cache", help="folder for the tagger's cached probabilities")
    ap.add_argument("--write", action="store_true", help=f"write {CALIBRATION.name}")
    ap.add_argument("--bootstrap", type=int, default=P.BOOTSTRAP)
    ap.add_argument("--model-dir", type=Path, help="measure (and with --write, calibrate) the tagger in this folder "
                                                  "instead of the shipped one; it must be trained on the same split")
    ap.add_argument("--against", metavar="DIR", help="also measure the tagger in DIR ('shipped': the shipped one) "
                                                     "and print the difference, with paired bootstrap intervals")
    args = ap.parse_args(argv)
    pr = Protocol.load(args.data, Path(args.cache), args.model_dir)
    got = calibrated_rule(pr, args.bootstrap)
    measured = {k: got[k] for k in ("oof", "oof_fold_thresholds", "outer_unseen", "oof_feed_mix")}
    print(json.dumps(measured, indent=1))
    print(f"threshold {got['threshold']}")
    if args.against:
        other = Protocol.load(args.data, Path(args.cache), None if args.against == "shipped" else Path(args.against))
        if [a.article.id for a in other.fit_set + other.outer_set] != [a.article.id for a in pr.fit_set + pr.outer_set]:
            raise SystemExit("the two taggers are not measured on the same articles")
        ref = calibrated_rule(other, args.bootstrap)
        print(f"difference, this tagger minus {args.against} (paired bootstrap 95% intervals):")
        print(json.dumps(paired_difference(got, ref, args.bootstrap), indent=1))
    if args.write:
        folder = args.model_dir or CALIBRATION.parent
        version = json.loads((folder / "tagger.json").read_text(encoding="utf-8"))["version"]
        (folder / CALIBRATION.name).write_text(json.dumps(to_json(got["calibrators"], pr.labels, got["threshold"], measured,
                                                  version), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {folder / CALIBRATION.name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
