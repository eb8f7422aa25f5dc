"""Heads, calibrators and out-of-fold figures of the six-language span tagger (``train.multitagger``).

``train``: one head per protocol fold (trained on the other folds), each
checkpointed per epoch and resumed when stopped. The shipped model is the
ensemble of the five (mean probability): a sixth head on all articles would
cost another run, and the ensemble is what the English outer articles, seen by
no head, measure as shipped.
``fit``: every fit article's token probabilities come from the head that did
not see it; per language, span and paragraph calibrators, the threshold and
the paragraph mode (our span-derived paragraph probability, the pooled-USE
model's, or their mean) are chosen out of fold, figures reported with
bootstrap intervals by article, and the shipped files written
(``models/multi-head.npz``, ``models/multi-tagger.json``).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .. import protocol as P
from ..detect import multitagger as M
from ..runtime import models
from .article import OUTER, outer_ids, protocol_fold
from .data import token_labels
from .multitagger_data import feature_path, labels_of, load_articles, log

FOLD_RUNS = tuple(f"fold{k}" for k in range(P.FOLDS))
LANGS = ("en", "fr", "de", "it", "pl", "ru")
SHIPPED = ("fr", "de", "it", "pl", "ru")
MODES = ("span", "use", "mean")  # the paragraph probability: ours, the pooled-USE model's, their mean


@dataclass
class Doc:
    lang: str
    analysis: Any
    fold: int  # OUTER for the English outer set
    offsets: np.ndarray
    feats: np.ndarray  # float16 (T, D)
    y: np.ndarray  # (T, n_labels)


def load_docs(data: Path, out: Path, labels: Sequence[str], langs: Sequence[str] = LANGS) -> list[Doc]:
    arts = [(lang, a) for lang, a in load_articles(data) if lang in langs]
    outer = outer_ids(data)
    docs = []
    for lang, a in arts:
        z = np.load(feature_path(out, lang, a.article.id))
        offs = z["offsets"].astype(np.int64)
        spans = [(s.start, s.end, s.technique) for s in a.spans]
        docs.append(Doc(lang, a, protocol_fold(lang, a.article.id, outer), offs, z["feats"],
                        token_labels(offs, spans, labels)))
    return docs


# ------------------------------------------------------------------ the head

def make_head(d_in: int, n_labels: int, hidden: int, kernel: int):
    import torch

    class Head(torch.nn.Module):
        """Projection, one residual convolution over neighbouring tokens, per-technique logits (as M.head_probs)."""

        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("mu", torch.zeros(d_in))
            self.register_buffer("sd", torch.ones(d_in))
            self.drop = torch.nn.Dropout(0.1)
            self.w1 = torch.nn.Linear(d_in, hidden)
            self.conv = torch.nn.Conv1d(hidden, hidden, kernel, padding=kernel // 2)
            self.w2 = torch.nn.Linear(hidden, n_labels)

        def forward(self, x):  # (B, T, D) -> (B, T, n_labels) logits
            g = torch.nn.functional.gelu
            h = g(self.w1(self.drop((x - self.mu) / self.sd)), approximate="tanh")
            h = h + g(self.conv(self.drop(h).transpose(1, 2)).transpose(1, 2), approximate="tanh")
            return self.w2(self.drop(h))

    return Head()


def head_arrays(head) -> dict[str, np.ndarray]:
    sd = head.state_dict()
    return {"mu": sd["mu"].numpy(), "sd": sd["sd"].numpy(), "w1": sd["w1.weight"].numpy(),
            "b1": sd["w1.bias"].numpy(), "conv_w": sd["conv.weight"].numpy(), "conv_b": sd["conv.bias"].numpy(),
            "w2": sd["w2.weight"].numpy(), "b2": sd["w2.bias"].numpy()}


def train_head(docs: Sequence[Doc], folder: Path, *, epochs: int, hidden: int, kernel: int, crop: int,
               batch: int, lr: float, pos_weight: float, seed: int = 0) -> Path:
    """Train one head on ``docs``; a checkpoint per epoch (resumed), ``head.npz`` when done."""
    import torch

    done = folder / "head.npz"
    if done.is_file():
        return done
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    torch.set_num_threads(2)
    rng = np.random.default_rng(seed)
    n_labels, d_in = docs[0].y.shape[1], docs[0].feats.shape[1]
    head = make_head(d_in, n_labels, hidden, kernel)
    sample = np.concatenate([d.feats[:: 7].astype(np.float32) for d in docs])
    head.mu.copy_(torch.from_numpy(sample.mean(0)))
    head.sd.copy_(torch.from_numpy(sample.std(0) + 1e-3))
    opt = torch.optim.AdamW(head.parameters(), lr=lr, weight_decay=0.01)
    lengths = np.array([len(d.y) for d in docs], float)
    steps = int(lengths.sum() // (crop * batch)) + 1
    total = steps * epochs
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=total, pct_start=0.1)
    start = 0
    ckpt = folder / "ckpt.pt"
    if ckpt.is_file():
        st = torch.load(ckpt, weights_only=False)
        head.load_state_dict(st["head"])
        opt.load_state_dict(st["opt"])
        sched.load_state_dict(st["sched"])
        start = st["epoch"]
        rng = st["rng"]
        log(f"{folder.name}: resumed after epoch {start}")
    bce = torch.nn.BCEWithLogitsLoss(pos_weight=torch.full((n_labels,), pos_weight))
    prob = lengths / lengths.sum()
    for epoch in range(start, epochs):
        head.train()
        t0, run = time.time(), 0.0
        for _ in range(steps):
            xs, ys = [], []
            for i in rng.choice(len(docs), size=batch, p=prob):
                d = docs[i]
                a = int(rng.integers(0, max(1, len(d.y) - crop + 1)))
                x = np.zeros((crop, d_in), np.float32)
                y = np.zeros((crop, n_labels), np.float32)
                n = min(crop, len(d.y) - a)
                x[:n], y[:n] = d.feats[a:a + n], d.y[a:a + n]
                xs.append(x)
                ys.append(y)
            loss = bce(head(torch.from_numpy(np.stack(xs))), torch.from_numpy(np.stack(ys)))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            run += loss.item()
        torch.save({"head": head.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                    "epoch": epoch + 1, "rng": rng}, ckpt)
        log(f"{folder.name}: epoch {epoch + 1}/{epochs} loss {run / steps:.4f} ({time.time() - t0:.0f} s)")
    head.eval()
    np.savez(done, **head_arrays(head))
    return done


def train_main(out: Path, argv: Sequence[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m propscan.train.multitagger train")
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--runs", nargs="*", default=list(FOLD_RUNS), help="which heads (fold0..fold4)")
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--kernel", type=int, default=5)
    ap.add_argument("--crop", type=int, default=256)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--pos-weight", type=float, default=5.0)
    ap.add_argument("--dims", type=int, default=0, help="use only the last DIMS feature columns (0: all)")
    ap.add_argument("--name", default="heads", help="folder under the run folder")
    ap.add_argument("--eval", action="store_true", help="print each fold head's token-level average precision "
                    "on its held-out fold (quick comparison of settings)")
    args = ap.parse_args(argv)
    docs = [d for d in load_docs(Path(args.data), out, labels_of()) if d.fold != OUTER]
    if args.dims:
        for d in docs:
            d.feats = d.feats[:, -args.dims:]
    for run in args.runs:
        sel = [d for d in docs if d.fold != int(run.removeprefix("fold"))]
        log(f"{run}: {len(sel)} articles, {sum(len(d.y) for d in sel)} tokens")
        path = train_head(sel, out / args.name / run, epochs=args.epochs, hidden=args.hidden, kernel=args.kernel,
                          crop=args.crop, batch=args.batch, lr=args.lr, pos_weight=args.pos_weight)
        if args.eval:
            from sklearn.metrics import average_precision_score

            held = [d for d in docs if d.fold == int(run.removeprefix("fold"))]
            w = load_head(path)
            pr = [M.head_probs(w, d.feats) for d in held]
            for lang in (None, *LANGS):
                k = [i for i, d in enumerate(held) if lang is None or d.lang == lang]
                y = np.concatenate([held[i].y for i in k]).ravel()
                p = np.concatenate([pr[i] for i in k]).ravel()
                log(f"{args.name}/{run}: held-out token average precision {lang or 'all'}: "
                    f"{average_precision_score(y, p):.4f}")
    return 0


# ------------------------------------------------------------------ out-of-fold figures and the shipped files

def load_head(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as z:
        return {k: z[k].astype(np.float32) for k in z.files}


def ensemble(heads: Path) -> dict[str, np.ndarray]:
    """The five fold heads stacked along a first axis (``detect.multitagger.head_probs`` averages them)."""
    loaded = [load_head(heads / r / "head.npz") for r in FOLD_RUNS]
    return {k: np.stack([w[k] for w in loaded]) for k in loaded[0]}


def oof_probs(docs: Sequence[Doc], heads: Path) -> list[np.ndarray]:
    """Token probabilities of each article from the head that never saw it (the shipped ensemble for outer ones)."""
    loaded = {r: load_head(heads / r / "head.npz") for r in FOLD_RUNS}
    ens = ensemble(heads)
    return [M.head_probs(ens if d.fold == OUTER else loaded[f"fold{d.fold}"], d.feats) for d in docs]


def use_probs(docs: Sequence[tuple[str, Any]], labels: Sequence[str], cache: Path) -> dict[str, np.ndarray]:
    """Pooled-USE paragraph probabilities (paragraphs, labels) of the (language, analysis) pairs that model
    never saw (its crc32-validation fold), cached in ``cache/use_probs.npz``."""
    from ..classify.multilingual import MultilingualTechniques
    from ..splits import is_validation

    f = cache / "use_probs.npz"
    got = dict(np.load(f)) if f.is_file() else {}
    model = None
    fresh = 0
    for lang, analysis in docs:
        key = f"{lang}:{analysis.article.id}"
        if lang == "en" or not is_validation(analysis.article.id) or key in got:
            continue
        if model is None:
            model = MultilingualTechniques()
        fresh += 1
        index = {t: j for j, t in enumerate(model.techniques)}
        rows = {id(p): pr for p, _, pr in model.probabilities(analysis)}
        m = np.zeros((len(analysis.paragraphs), len(labels)), np.float32)
        for i, p in enumerate(analysis.paragraphs):
            if id(p) in rows:
                m[i] = [rows[id(p)][index[t]] if t in index else 0.0 for t in labels]
        got[key] = m
        if fresh % 25 == 0:  # a checkpoint now and then (resumable), not the whole cache rewritten per article
            np.savez(f, **got)
    if fresh:
        np.savez(f, **got)
    return got


def items(docs: Sequence[Doc], probs: Sequence[np.ndarray], labels: Sequence[str], tau: float) -> list:
    from .protocol_fit import items_for

    return items_for([d.analysis for d in docs], [(d.offsets, p) for d, p in zip(docs, probs)], labels,
                     [tau] * len(labels))


def combine(its: Sequence[Any], uses: Sequence[np.ndarray | None], mode: str) -> None:
    """Set ``comb``: the paragraph probability of ``mode``, raised to the best span of each technique inside."""
    for it, use in zip(its, uses):
        own = it.comb_own
        par = own if use is None or mode == "span" else use if mode in ("use", "use_only") else (own + use) / 2
        pc = par.copy()
        if mode == "use_only":  # today's pooled-USE model alone, the baseline: no spans
            it.comb = pc
            continue
        for (s, e, _, _, _), j, p in zip(it.cands, it.tech, it.cal):
            for i, (a, b) in enumerate(it.bounds):
                if s < b and e > a:
                    pc[i, j] = max(pc[i, j], p)
        it.comb = pc


def calibrate(its: Sequence[Any], cal: dict, n_labels: int) -> None:
    """Calibrated spans (``cal``) and own paragraph probabilities (``comb_own``), as the runtime computes them."""
    from .protocol_fit import apply

    apply(its, cal)
    (Wp, ppos) = cal["paragraph"]
    from .protocol_fit import MIN_SUPPORT, _apply, _par_x

    for it in its:
        n, t = it.raw.shape
        pc = _apply(Wp, np.tile(np.arange(t), n), _par_x(it)).reshape(n, t)
        pc[:, ppos < MIN_SUPPORT] = 0.0
        it.comb_own = pc


def oof_language(its: Sequence[Any], uses: Sequence[np.ndarray | None], n_labels: int, mode: str,
                 ) -> tuple[list[float], dict]:
    """Calibrators and threshold fitted on the other folds of this language, per fold; figures out of fold."""
    from .protocol_fit import oof_stats, out_of_fold

    def prepare(idx: list[int], cal: dict) -> None:
        calibrate([its[i] for i in idx], cal, n_labels)
        combine([its[i] for i in idx], [uses[i] for i in idx], mode)

    thr = out_of_fold(its, n_labels, prepare)
    return thr, oof_stats(its, thr)


def fit_main(data: Path, out: Path, argv: Sequence[str]) -> int:
    from .protocol_fit import calibration_stats, choose_threshold, fit, stats, summary, to_json

    ap = argparse.ArgumentParser(prog="python -m propscan.train.multitagger fit")
    ap.add_argument("--name", default="heads")
    ap.add_argument("--tau", type=float, nargs="*", default=[0.3, 0.4, 0.5],
                    help="token thresholds to decode span candidates at (chosen out of fold, pooled)")
    ap.add_argument("--bootstrap", type=int, default=P.BOOTSTRAP)
    ap.add_argument("--langs", nargs="*", default=list(LANGS), help="languages to fit (a quick check: one)")
    ap.add_argument("--write", action="store_true", help="write models/multi-head.npz and multi-tagger.json")
    ap.add_argument("--report", default=str(out / "fit.json"))
    args = ap.parse_args(argv)
    labels = labels_of()
    n = len(labels)
    docs = load_docs(data, out, labels, args.langs)
    heads = out / args.name
    log("fit: token probabilities")
    probs = oof_probs(docs, heads)
    uses_by_key = use_probs([(d.lang, d.analysis) for d in docs], labels, out)
    uses = [uses_by_key.get(f"{d.lang}:{d.analysis.article.id}") for d in docs]
    fitd = [i for i, d in enumerate(docs) if d.fold != OUTER]
    # the decode threshold: pooled over the six languages, span mode, out of fold
    best_tau, best = args.tau[0], -1.0
    for tau in args.tau if len(args.tau) > 1 else []:
        its = items([docs[i] for i in fitd], [probs[i] for i in fitd], labels, tau)
        _, s = oof_language(its, [None] * len(its), n, "span")
        score = (P.overlap_f1(s["spans"]) + P.f1_from_counts(s["st3"])) / 2
        log(f"fit: decode threshold {tau}: objective {score:.4f}")
        if score > best:
            best_tau, best = tau, score
    report: dict[str, Any] = {"decode_threshold": best_tau, "languages": {}}
    shipped: dict[str, Any] = {}
    for lang in args.langs:
        idx = [i for i in fitd if docs[i].lang == lang]
        its = items([docs[i] for i in idx], [probs[i] for i in idx], labels, best_tau)
        u = [uses[i] for i in idx]
        row: dict[str, Any] = {"articles": len(its)}
        _, s = oof_language(its, [None] * len(its), n, "span")
        row["span_mode_all"] = summary(s, calibration_stats(its), args.bootstrap)
        # the paragraph mode, compared on the articles the pooled-USE model never saw
        has = [k for k, x in enumerate(u) if x is not None]
        if has:
            sub = [its[k] for k in has]
            usub = [u[k] for k in has]
            row["use_unseen_articles"] = len(sub)
            for mode in (*MODES, "use_only"):
                _, sm = oof_language(sub, usub, n, mode)
                row[f"st3_{mode}"] = summary(sm, None, args.bootstrap)["st3"]
            mode = max(MODES, key=lambda m: row[f"st3_{m}"][0])
        else:
            mode = "span"
        row["paragraph_mode"] = mode
        cal = fit(its, n)
        calibrate(its, cal, n)
        combine(its, [None] * len(its), "span")
        threshold = choose_threshold(its)
        row["threshold"] = threshold
        if lang == "en":
            outer = [i for i, d in enumerate(docs) if d.fold == OUTER]
            oits = items([docs[i] for i in outer], [probs[i] for i in outer], labels, best_tau)
            calibrate(oits, cal, n)
            combine(oits, [None] * len(oits), "span")
            row["outer"] = summary(stats(oits, threshold), calibration_stats(oits), args.bootstrap)
            from ..protocol import tagger_unseen

            same = [k for k, it in enumerate(its) if tagger_unseen(it.id)]
            row["oof_on_minilm_unseen"] = summary({k: v[same] for k, v in s.items()}, None, args.bootstrap)
        report["languages"][lang] = row
        log(f"fit: {lang}: {json.dumps(row)}")
        if lang in SHIPPED:
            js = to_json(cal, labels, threshold, {}, "")
            shipped[lang] = {"threshold": threshold, "paragraph_mode": mode,
                             "span": {k: js["span"][k] for k in ("coef", "enabled", "positives")},
                             "paragraph": {k: js["paragraph"][k] for k in ("coef", "enabled", "positives")}}
    Path(args.report).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    if args.write:
        from .protocol_fit import DECODE

        ens = ensemble(heads)
        np.savez(models.BUNDLED / models.MULTI_HEAD, **{k: v.astype(np.float32) for k, v in ens.items()})
        cfg = {"version": f"propscan-multitagger-e5small-frozen-{time.strftime('%Y-%m-%d')}", "labels": labels,
               "decode_threshold": best_tau, "decode": DECODE, "languages": shipped,
               "fitted_on": "out-of-fold head probabilities of the six languages' SemEval-2023 span-annotated "
                            "articles (English outer set excluded); see MULTI_TAGGER_CARD.md",
               "measured": report}
        (models.BUNDLED / models.MULTI_CONFIG).write_text(json.dumps(cfg, indent=1) + "\n", encoding="utf-8")
        log(f"fit: wrote {models.BUNDLED / models.MULTI_HEAD} and {models.MULTI_CONFIG}")
    return 0
