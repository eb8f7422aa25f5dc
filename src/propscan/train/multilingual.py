"""Train the non-English paragraph technique model (SemEval-2023 subtask 3) and its baseline.

    python -m propscan.train.multilingual --data ../shared/data

writes models/st3-multilingual.npz and prints, per language, subtask-3
micro-F1 on the fixed validation split (``propscan.splits``) for the model
and for a TF-IDF + logistic-regression baseline. Needs the ``[train]`` extra.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

from ..document import Analysis
from ..readers.semeval import ISO, load_2023
from ..splits import fold_of, is_validation
from ..taxonomy import TECHNIQUE_NAMES

MODELS = Path(__file__).resolve().parents[1] / "models"
FOLDERS = ("en", "fr", "ge", "it", "po", "ru")
TARGET = ("fr", "ge", "it", "po", "ru")
TARGET_ISO = ("fr", "de", "it", "pl", "ru")
RUNS = Path("runs")


def load_all(data: str | Path, folders: tuple[str, ...] = FOLDERS) -> dict[str, list[Analysis]]:
    """Articles per ISO language code (folder ge -> de, po -> pl)."""
    return {ISO[f]: load_2023(data, f) for f in folders}


def paragraph_embeddings(lang: str, analyses: list[Analysis], cache: Path = RUNS) -> dict[str, np.ndarray]:
    """USE vectors of every paragraph, keyed ``article:line``; cached under runs/ (the slow part)."""
    from ..runtime.encoders import MultilingualEmbedder

    path = cache / f"use_paragraphs_{lang}.npz"
    keys = [f"{a.article.id}:{p.line}" for a in analyses for p in a.paragraphs]
    if path.is_file():
        z = np.load(path)
        if list(z["keys"]) == keys:
            return dict(zip(keys, z["vecs"].astype(np.float32)))
    texts = [a.article.text[p.start:p.end] for a in analyses for p in a.paragraphs]
    t0 = time.time()
    vecs = MultilingualEmbedder.create().embed(texts)
    print(f"  embedded {len(texts)} {lang} paragraphs in {time.time() - t0:.0f}s", flush=True)
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(path, keys=np.array(keys), vecs=vecs.astype(np.float16))
    return dict(zip(keys, vecs))


def paragraph_rows(lang: str, analyses: list[Analysis], emb: dict[str, np.ndarray]):
    """Texts, label matrix, dense features (paragraph + article context vectors) and article ids."""
    texts, labels, dense, ids = [], [], [], []
    for a in analyses:
        vecs = np.stack([emb[f"{a.article.id}:{p.line}"] for p in a.paragraphs])
        ctx = vecs.mean(axis=0)
        ctx /= np.linalg.norm(ctx) or 1.0
        for p, v in zip(a.paragraphs, vecs):
            texts.append(a.article.text[p.start:p.end])
            labels.append([t in p.techniques for t in TECHNIQUE_NAMES])
            dense.append(np.concatenate([v, ctx]))
            ids.append(a.article.id)
    return texts, np.array(labels, dtype=np.int8), np.array(dense, dtype=np.float32), ids


def micro_f1(y: np.ndarray, pred: np.ndarray) -> float:
    tp = int((y & pred).sum())
    fp = int(((1 - y) & pred).sum())
    fn = int((y & (1 - pred)).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


DEVICE = "cpu"  # set by --device; a GPU only makes the fits faster


def fit_dense_ovr(X: np.ndarray, Y: np.ndarray, C: float, iters: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """One-vs-rest L2 logistic regressions with scikit-learn's objective (``C`` alike), fitted jointly with
    full-batch L-BFGS in torch: all labels at once, minutes faster on 2 cores; labels seen fewer than 3 times
    get a large negative bias."""
    import torch

    torch.manual_seed(0)
    torch.set_num_threads(1)  # the machine is shared: one thread avoids spin-waiting on a busy core
    dev = DEVICE
    if hasattr(X, "tocoo"):  # scipy sparse (TF-IDF): a torch sparse matrix, same objective
        coo = X.tocoo()
        Xt = torch.sparse_coo_tensor(np.vstack([coo.row, coo.col]).astype(np.int64), coo.data.astype(np.float32),
                                     coo.shape).coalesce().to(dev)
    else:
        Xt = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32)).to(dev)
    Yt = torch.from_numpy(Y.astype(np.float32)).to(dev)
    n, d = Xt.shape
    W = torch.zeros(Y.shape[1], d, requires_grad=True, device=dev)
    b = torch.zeros(Y.shape[1], requires_grad=True, device=dev)
    opt = torch.optim.LBFGS([W, b], lr=1.0, max_iter=iters, history_size=20, line_search_fn="strong_wolfe",
                            tolerance_grad=1e-6, tolerance_change=1e-9)

    def closure():  # type: ignore[no-untyped-def]
        opt.zero_grad()
        logits = (torch.sparse.mm(Xt, W.T) if Xt.is_sparse else Xt @ W.T) + b
        # sum over examples (as sklearn) scaled by C, plus 0.5 * ||W||^2 per label; divided by n for conditioning
        loss = (C * torch.nn.functional.binary_cross_entropy_with_logits(logits, Yt, reduction="sum")
                + 0.5 * (W ** 2).sum()) / n
        loss.backward()
        return loss

    opt.step(closure)
    coef = W.detach().cpu().numpy().astype(np.float32)
    intercept = b.detach().cpu().numpy().astype(np.float32)
    unseen = Y.sum(axis=0) < 3
    coef[unseen] = 0.0
    intercept[unseen] = -20.0
    return coef, intercept


def predict(X, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(np.asarray(X @ coef.T) + intercept, -40, 40)))


def best_threshold(Y: np.ndarray, P: np.ndarray) -> float:
    grid = np.arange(0.05, 0.71, 0.025)
    scores = [micro_f1(Y, (P >= t).astype(np.int8)) for t in grid]
    return float(grid[int(np.argmax(scores))])


def baseline(train: tuple, val: tuple) -> tuple[float, np.ndarray, float]:
    """TF-IDF (word uni-grams, sublinear tf) + one-vs-rest logistic regression (C=1) trained on the
    language's own training paragraphs: the usual SemEval baseline recipe. Returns its validation micro-F1
    at threshold 0.5, its validation probabilities, and its decision threshold chosen the way ours is
    (out-of-fold predictions on the training articles, 4 folds by article)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    def fit_predict(tr_texts, tr_y, te_texts):
        vec = TfidfVectorizer(sublinear_tf=True, dtype=np.float32)
        coef, b = fit_dense_ovr(vec.fit_transform(tr_texts), tr_y, 1.0)  # sklearn's objective, faster
        return predict(vec.transform(te_texts), coef, b)

    P = fit_predict(train[0], train[1], val[0])
    folds = np.array([fold_of(i, 4) for i in train[3]])
    oof = np.zeros(train[1].shape, dtype=np.float32)
    texts = np.array(train[0], dtype=object)
    for k in range(4):
        m = folds == k
        oof[m] = fit_predict(list(texts[~m]), train[1][~m], list(texts[m]))
    return micro_f1(val[1], (P >= 0.5).astype(np.int8)), P, best_threshold(train[1], oof)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m propscan.train.multilingual", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="folder holding semeval2023-task3/ (e.g. ../shared/data)")
    ap.add_argument("--C", type=float, default=1.0)
    ap.add_argument("--char-features", type=int, default=0,
                    help="add this many char 2-5-gram TF-IDF features (0: embeddings only)")
    ap.add_argument("--out", default=str(MODELS / "st3-multilingual.npz"))
    ap.add_argument("--device", default="cpu", help="torch device for the fits (cpu or cuda)")
    ap.add_argument("--cache", default=str(RUNS), help="folder of cached paragraph embeddings")
    args = ap.parse_args(argv)
    global DEVICE
    DEVICE = args.device
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer

    from ..classify.features import FeatureSet, Tfidf

    t_start = time.time()
    corpora = load_all(args.data)
    rows = {}
    for lang, arts in corpora.items():
        emb = paragraph_embeddings(lang, arts, Path(args.cache))
        tr = [a for a in arts if not is_validation(a.article.id)]
        va = [a for a in arts if is_validation(a.article.id)]
        rows[lang] = (paragraph_rows(lang, tr, emb), paragraph_rows(lang, va, emb))
    langs = list(rows)
    tr_text = [t for lg in langs for t in rows[lg][0][0]]
    tr_Y = np.vstack([rows[lg][0][1] for lg in langs])
    tr_D = np.vstack([rows[lg][0][2] for lg in langs])
    tr_ids = [i for lg in langs for i in rows[lg][0][3]]
    tr_lang = np.concatenate([[lg] * len(rows[lg][0][0]) for lg in langs])

    vec = None
    if args.char_features:
        vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=3,
                              max_features=args.char_features, dtype=np.float32)
        vec.fit(tr_text)

    def X(texts, dense):
        return hstack([vec.transform(texts), csr_matrix(dense)]).tocsr() if vec is not None else dense

    Xtr = X(tr_text, tr_D)
    fit = fit_dense_ovr  # sparse TF-IDF + dense vectors too (torch sparse), same objective as sklearn
    # thresholds from out-of-fold predictions on the training articles (never the validation split)
    folds = np.array([fold_of(i, 4) for i in tr_ids])
    oof = np.zeros(tr_Y.shape, dtype=np.float32)
    for k in range(4):
        m = folds == k
        coef, b = fit(Xtr[~m], tr_Y[~m], args.C)
        oof[m] = predict(Xtr[m], coef, b)
        print(f"  fold {k} done ({time.time() - t_start:.0f}s)", flush=True)
    thresholds = {lg: best_threshold(tr_Y[tr_lang == lg], oof[tr_lang == lg]) for lg in langs}
    coef, b = fit(Xtr, tr_Y, args.C)

    # a language's own model (its paragraphs only, dense features) replaces the pooled one where it does
    # better out of fold on that language's training articles (validation is never looked at)
    own: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    modes: dict[str, str] = {}
    own_report: dict[str, dict] = {}
    for lg in TARGET_ISO:
        m = tr_lang == lg
        Y, D, f = tr_Y[m], tr_D[m], folds[m]
        oof_own = np.zeros(Y.shape, dtype=np.float32)
        for k in range(4):
            c_k, b_k = fit_dense_ovr(D[f != k], Y[f != k], args.C)
            oof_own[f == k] = predict(D[f == k], c_k, b_k)
        # candidates: pooled, own, and the mean of both probabilities; each with its out-of-fold threshold
        cands = {"pooled": oof[m], "own": oof_own, "mix": (oof[m] + oof_own) / 2}
        ths = {k: best_threshold(Y, v) for k, v in cands.items()}
        f1s = {k: micro_f1(Y, (v >= ths[k]).astype(np.int8)) for k, v in cands.items()}
        best = max(f1s, key=lambda k: (f1s[k], k == "pooled"))
        own_report[lg] = {f"{k}_out_of_fold": round(v, 4) for k, v in f1s.items()}
        print(f"  {lg}: out of fold " + ", ".join(f"{k} {v:.3f}" for k, v in f1s.items()) + f" -> {best}",
              flush=True)
        modes[lg] = best
        thresholds[lg] = ths[best]
        if best != "pooled":
            own[lg] = fit_dense_ovr(D, Y, args.C)

    report = {}
    for lg in langs:
        if lg == "en":
            continue
        (tr_rows, va_rows) = rows[lg]
        P = predict(X(va_rows[0], va_rows[2]), coef, b)
        if modes[lg] == "own":
            P = predict(va_rows[2], *own[lg])
        elif modes[lg] == "mix":
            P = (P + predict(va_rows[2], *own[lg])) / 2
        ours = micro_f1(va_rows[1], (P >= thresholds[lg]).astype(np.int8))
        base, Pb, base_th = baseline(tr_rows, va_rows)
        base_fair = micro_f1(va_rows[1], (Pb >= base_th).astype(np.int8))
        base_tuned = max(micro_f1(va_rows[1], (Pb >= t).astype(np.int8)) for t in np.arange(0.05, 0.71, 0.025))
        report[lg] = {"ours": round(ours, 4), "model": modes[lg], **own_report[lg],
                      "baseline": round(base, 4), "baseline_threshold_out_of_fold": round(base_fair, 4),
                      "baseline_oof_threshold": base_th,
                      "baseline_best_threshold_on_val": round(base_tuned, 4), "threshold": thresholds[lg],
                      "val_paragraphs": len(va_rows[0]), "val_articles": len(set(va_rows[3]))}
        print(f"{lg}: ours {ours:.3f} ({modes[lg]} model, threshold {thresholds[lg]:.3f})  "
              f"baseline {base:.3f} at 0.5, {base_fair:.3f} at its out-of-fold threshold {base_th:.3f} "
              f"(oracle: best threshold on val {base_tuned:.3f})", flush=True)

    techniques = list(TECHNIQUE_NAMES)
    features = FeatureSet([Tfidf.from_sklearn(vec)] if vec is not None else [])
    arrays = features.to_arrays()
    target_langs = [lg for lg in langs if lg != "en"]
    np.savez_compressed(
        args.out, classes=np.array(techniques), coef=coef.astype(np.float16), intercept=b,
        languages=np.array(target_langs),
        thresholds=np.array([[thresholds[lg]] * len(techniques) for lg in target_langs], dtype=np.float32),
        version=np.array(f"st3-multilingual-{date.today().isoformat()}"),
        **({"own_languages": np.array(list(own), dtype=str),
            "own_modes": np.array([modes[lg] for lg in own], dtype=str),
            "own_coef": np.stack([own[lg][0] for lg in own]).astype(np.float16),
            "own_intercept": np.stack([own[lg][1] for lg in own]).astype(np.float32)} if own else {}),
        **arrays)
    meta = {"report": report, "models": modes, "C": args.C, "char_features": args.char_features,
            "train_paragraphs": len(tr_text), "seconds": round(time.time() - t_start)}
    metrics = Path(args.out).with_suffix(".metrics.json") if args.out != str(MODELS / "st3-multilingual.npz") \
        else RUNS / "st3_multilingual_metrics.json"
    metrics.parent.mkdir(parents=True, exist_ok=True)
    metrics.write_text(json.dumps(meta, indent=2))
    print(json.dumps(meta, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
