"""Quality of the article-level models (genre, persuasion score, frames) on the validation protocol.

    python bench/article_quality.py --data ../shared/data [--samples ../shared/samples] [--refit]
                                    [--multilingual [--skip-baseline]]

The protocol (propscan.train.article): the 75 English SemEval-2023 training articles that SemEval-2020
does not have (another annotation release) are the outer set, never fitted on; the rest (all six
languages) is cross-validated by article; bootstrap 95% intervals by article. Genre figures are
macro-F1 with the gold genres reweighted to a news-feed mix (2/3 reporting, 1/4 opinion, 1/10 satire).

* default: the shipped genre.npz / frames.npz scored on the outer set (fast), and with ``--samples``
  the full pipeline on the raw web samples (genre and score of each);
* ``--refit``: the whole protocol re-run (cross-validation folds too, as ``python -m
  propscan.train.article train`` does, without writing models): every figure of the model card;
* ``--multilingual``: fr/de/it/pl/ru subtask-3 micro-F1 of st3-multilingual.npz on the OLD fixed crc32
  split (propscan.splits; kept for comparison with earlier cards) next to a TF-IDF baseline;
* ``--refit --only genre --genre-blocks 1.5 3 1``: the genre protocol with other feature-block weights
  (the model card's grid);
* ``--refit --write-docs``: also writes the protocol tables into docs/quality.md (section
  "Article level on the validation protocol").
Not a test: prints tables for the model cards.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np


def micro(pred: set, gold: set) -> float:
    tp = len(pred & gold)
    return 2 * tp / (len(pred) + len(gold)) if tp else 0.0


def outer_figures(data: str) -> dict:
    """The shipped models on the outer set: never fitted, calibrated or thresholded on."""
    from sklearn.metrics import roc_auc_score

    from propscan.classify.frames import FrameClassifier
    from propscan.classify.genre import GenreClassifier
    from propscan.document import Analysis
    from propscan.readers.semeval import load_2023
    from propscan.train.article import GENRES, feed_macro_f1, figure, outer_ids
    from propscan.train.multilingual import micro_f1

    outer = outer_ids(data)
    gold = [a for a in load_2023(data, "en") if a.article.id in outer]
    fresh = [Analysis(article=a.article) for a in gold]
    t0 = time.perf_counter()
    fresh = list(GenreClassifier.create().pipe(fresh))
    t1 = time.perf_counter()
    frames = FrameClassifier.create()
    fresh = list(frames.pipe(fresh))
    t2 = time.perf_counter()
    y = np.array([GENRES.index(next(iter(g.genre))) for g in gold])
    pred = np.array([GENRES.index(p.top_genre()) for p in fresh])
    score = np.array([1.0 - p.genre["reporting"] for p in fresh])

    def auc(i):
        pos = y[i] != 1
        return roc_auc_score(pos, score[i]) if 0 < pos.sum() < len(i) else np.nan

    names = frames.frames
    Y = np.array([[f in g.frames for f in names] for g in gold], dtype=np.int8)
    F = np.array([[f in p.chosen_frames() for f in names] for p in fresh], dtype=np.int8)
    return {
        "articles": len(gold), "gold_genres": dict(zip(GENRES, np.bincount(y, minlength=3).tolist())),
        "predicted_genres": dict(zip(GENRES, np.bincount(pred, minlength=3).tolist())),
        "genre_macro_f1_feed_mix": figure(lambda i: feed_macro_f1(y[i], pred[i]), len(y)),
        "score_auc_opinion_satire_vs_reporting": figure(auc, len(y)),
        "median_score_by_gold_genre": {g: int(np.median(100 * score[y == k])) for k, g in enumerate(GENRES)
                                       if (y == k).any()},
        "frames_micro_f1": figure(lambda i: micro_f1(Y[i], F[i]), len(Y)),
        "genre_ms_per_article": round((t1 - t0) * 1000 / len(gold), 1),
        "frames_ms_per_article": round((t2 - t1) * 1000 / len(gold), 1),
    }


def samples(folder: str) -> list[dict]:
    """The full pipeline on raw web samples: what a user would see for each."""
    from propscan import analyze

    rows = []
    for path in sorted(Path(folder).glob("*.txt")):
        a = analyze(str(path))
        rows.append({"sample": path.name, "words": a.profile.words, "score": a.profile.score,
                     "genre": {k: round(v, 3) for k, v in a.genre.items()},
                     "density_per_1000_words": a.profile.density_per_1000_words})
    return rows


def multilingual_old_split(data: str, skip_baseline: bool) -> dict:
    from propscan.classify.multilingual import MultilingualTechniques
    from propscan.document import Analysis
    from propscan.readers.semeval import ISO, load_2023
    from propscan.splits import split

    tech = MultilingualTechniques()
    results: dict = {}
    for folder in ("fr", "ge", "it", "po", "ru"):
        lang = ISO[folder]
        train, val = split(load_2023(data, folder))
        fresh = [Analysis(article=a.article) for a in val]
        t0 = time.perf_counter()
        fresh = list(tech.pipe(fresh))
        r: dict = {"val_articles": len(val),
                   "techniques_ms_per_article": round((time.perf_counter() - t0) * 1000 / len(val), 1)}
        gold3 = {(a.article.id, p.line, t) for a in val for p in a.paragraphs for t in p.techniques}
        ours = {(a.article.id, p.line, t) for a in fresh for p in a.paragraphs for t in p.techniques}
        r["st3_micro_f1"] = round(micro(ours, gold3), 4)
        trivial = {(a.article.id, p.line, "Loaded_Language") for a in val for p in a.paragraphs}
        r["st3_loaded_language_everywhere"] = round(micro(trivial, gold3), 4)
        if not skip_baseline:
            from propscan.train.multilingual import baseline, paragraph_rows

            zero = {f"{a.article.id}:{p.line}": np.zeros(1) for a in train + val for p in a.paragraphs}
            va_rows = paragraph_rows(lang, val, zero)
            f1, probs, th = baseline(paragraph_rows(lang, train, zero), va_rows)
            yv = va_rows[1].astype(bool)
            pred = probs >= th
            tp, fp, fn = (pred & yv).sum(), (pred & ~yv).sum(), (~pred & yv).sum()
            r["st3_baseline_tfidf_lr"] = round(f1, 4)
            r["st3_baseline_tfidf_lr_oof_threshold"] = round(float(2 * tp / max(1, 2 * tp + fp + fn)), 4)
        results[lang] = r
        print(lang, json.dumps(r), flush=True)
    return results


SUBSETS = {"outer_en": "outer set (English, other release)", "cv_all": "CV folds, six languages",
           "cv_en": "CV folds, English", "cv_other_languages": "CV folds, fr/de/it/pl/ru",
           "protocol_all": "all protocol articles"}


def _ci(x: dict) -> str:
    return f"{x['value']:.3f} [{x['ci95'][0]:.3f}, {x['ci95'][1]:.3f}]"


def write_docs(report: dict) -> None:
    """The genre, score and frames figures of the protocol as a section of docs/quality.md."""
    from _common import machine, replace_section, stamp

    g, f = report["genre"], report["frames"]
    lines = ["## Article level on the validation protocol (genre, persuasion score, frames)", "",
             f"Measured {stamp()} by `python bench/article_quality.py --data ../shared/data "
             f"--refit --write-docs` on {machine()}. The protocol of issue 13 (`propscan.train.article`): the "
             f"{report['outer_articles']} English outer articles are never fitted on; the other articles of all six "
             "languages are cross-validated by article, calibrators and thresholds fitted out of fold; bootstrap 95% "
             "intervals by article. Genre macro-F1 \"feed mix\" reweights the gold genres to a news feed (2/3 "
             "reporting, 1/4 opinion, 1/10 satire); the persuasion score is 100 x P(opinion or satire). Details and "
             "what was tried: `src/propscan/models/ARTICLE_MODEL_CARD.md`.", "",
             "| articles | n | gold o/r/s | genre macro-F1, feed mix | score AUC, opinion+satire vs reporting | "
             "ECE P(not reporting), feed mix | predicted o/r/s | frames micro-F1 | ECE of frame probabilities |",
             "|---|---:|---|---|---|---|---|---|---|"]
    for key, name in SUBSETS.items():
        r, fr = g[key], f[key]
        gold, pred = r["gold_counts"], r["predicted_counts"]
        lines.append(f"| {name} | {sum(gold.values())} | {gold['opinion']}/{gold['reporting']}/{gold['satire']} | "
                     f"{_ci(r['macro_f1_feed_mix'])} | {_ci(r['score_auc_opinion_satire_vs_reporting'])} | "
                     f"{r['ece_not_reporting_feed_mix']:.3f} | {pred['opinion']}/{pred['reporting']}/{pred['satire']} | "
                     f"{_ci(fr['micro_f1'])} | {fr['ece_frame_probabilities']:.3f} |")
    lines += ["", "Targets (issue 13): genre macro-F1 >= 0.60 on the feed mix, score AUC >= 0.85."]
    replace_section(Path(__file__).resolve().parents[1] / "docs" / "quality.md", "article-protocol",
                    "\n".join(lines), "Quality")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="folder holding semeval2023-task3/ and semeval2020-task11/")
    ap.add_argument("--samples", help="a folder of raw articles (e.g. ../shared/samples) to show genre and score for")
    ap.add_argument("--refit", action="store_true", help="re-run the whole protocol (minutes: refits every model)")
    ap.add_argument("--only", choices=["genre", "frames"], help="with --refit: one model's protocol only")
    ap.add_argument("--genre-blocks", type=float, nargs=3, metavar=("LEAD", "STYLE", "E5"),
                    help="with --refit: genre feature-block weights to try (default: the shipped ones)")
    ap.add_argument("--multilingual", action="store_true", help="fr/de/it/pl/ru subtask 3 on the old split")
    ap.add_argument("--skip-baseline", action="store_true", help="with --multilingual: no TF-IDF baseline")
    ap.add_argument("--write-docs", action="store_true", help="with --refit: the protocol tables into docs/quality.md")
    args = ap.parse_args(argv)
    if args.write_docs and not args.refit:
        ap.error("--write-docs needs --refit (the cross-validation rows come from the refit)")
    if args.write_docs and (args.only or args.genre_blocks):
        ap.error("--write-docs writes the shipped recipe's tables: drop --only and --genre-blocks")

    results: dict = {"outer_set_shipped_models": outer_figures(args.data)}
    print("outer set, shipped models:", json.dumps(results["outer_set_shipped_models"]), flush=True)
    if args.samples:
        results["samples"] = samples(args.samples)
        for r in results["samples"]:
            print("sample", json.dumps(r), flush=True)
    if args.refit:
        from propscan.train.article import GENRE_BLOCKS, protocol

        tasks = (args.only,) if args.only else ("genre", "frames")
        blocks = tuple(args.genre_blocks) if args.genre_blocks else GENRE_BLOCKS
        _, results["protocol"] = protocol(args.data, tasks=tasks, genre_blocks=blocks)
        if args.write_docs:
            write_docs(results["protocol"])
    if args.multilingual:
        results["multilingual_old_split"] = multilingual_old_split(args.data, args.skip_baseline)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
