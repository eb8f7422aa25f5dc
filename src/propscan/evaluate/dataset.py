"""Run the analyzer on a dataset folder and score every task the data supports, in one go.

Gold comes from the SemEval readers; the analyzer sees only fresh Articles
(id and text), never the gold labels. By default only the validation split
(``propscan.splits``, by article id) is scored, so numbers are comparable with
the model cards; the SemEval-2021 memes are scored on their official dev set.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable, Iterable

from ..document import Analysis, Article, Gold, Span
from ..errors import DatasetError, PropscanError
from ..splits import is_validation
from . import (score_2021_t1, score_2021_t2, score_si, score_spans, score_st1, score_st2,
               score_st3, score_tc)
from . import spanlabels
from .spanlabels import Scorer, label_spans
from .tasks import TASKS

SPLITS = ("validation", "all")


def _fresh(a: Analysis) -> Article:
    art = a.article
    return Article(id=art.id, text=art.text, title=art.title, source=art.source, language=art.language)


def _select(items: list[Analysis], split: str) -> list[Analysis]:
    if split not in SPLITS:
        raise PropscanError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    return items if split == "all" else [a for a in items if is_validation(a.article.id)]


def _progress(items: list[Article], desc: str, show: bool) -> Iterable[Article]:
    if not show:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit="article", file=sys.stderr, leave=False)


def _with_meta(task: str, result: dict[str, Any], articles: int, note: str = "") -> dict[str, Any]:
    t = TASKS[task]
    out = {"task": task, "title": t.title, "metric": t.metric, "articles": articles, **result}
    if note:
        out["note"] = note
    return out


def _skipped(task: str, why: str) -> dict[str, Any]:
    t = TASKS[task]
    return {"task": task, "title": t.title, "metric": t.metric, "skipped": why}


def classify_gold_spans(scorer: Scorer, gold: list[Analysis], taxonomy: str = "2020") -> list[Analysis]:
    """Predictions for SemEval-2020 TC: the gold spans relabelled by the tagger (2023 names kept)."""
    from ..taxonomy import FROM_2020

    out = []
    for a in gold:
        keys = [(s.start, s.end) for s in a.spans]
        labels = label_spans(scorer, a.article, keys, taxonomy)
        spans = [Span(s, e, FROM_2020[t] if taxonomy == "2020" else t, detector="classify-spans")
                 for (s, e), techs in labels.items() for t in techs]
        out.append(Analysis(article=a.article, spans=spans))
    return out


def evaluate_dataset(data: str | Path, lang: str = "en", split: str = "validation",
                     analyzer: Callable[..., Any] | None = None, scorer: Scorer | None | bool = True,
                     progress: bool = False) -> dict[str, dict[str, Any]]:
    """Scores per task name, in a fixed order; a task the data or pipeline cannot score says why.

    ``analyzer`` is anything with ``pipe(articles)`` (default: the shipped
    pipeline). ``scorer`` labels given spans for TC: True loads the shipped
    tagger, None/False skips TC.
    """
    from ..readers import semeval

    if analyzer is None:
        from ..analyzer import default_analyzer

        analyzer = default_analyzer()
    if scorer is True:
        scorer = spanlabels.load_scorer()
    results: dict[str, dict[str, Any]] = {}
    cache: dict[str, Analysis] = {}  # article id -> prediction, reused when the text is the same

    def predict(gold: list[Analysis], desc: str) -> list[Analysis]:
        todo = [a for a in gold if a.article.id not in cache or cache[a.article.id].article.text != a.article.text]
        arts = [_fresh(a) for a in todo]
        for got in analyzer.pipe(_progress(arts, desc, progress)):  # type: ignore[union-attr]
            cache[got.article.id] = got
        return [cache[a.article.id] for a in gold]

    found_any = False
    # -- SemEval-2023 Task 3 ---------------------------------------------------
    try:
        gold23 = _select(semeval.load_2023(data, lang), split)
    except DatasetError:
        gold23 = []
    if gold23:
        found_any = True
        pred23 = predict(gold23, f"semeval2023 {lang}")
        n = len(gold23)
        results["semeval2023-st3"] = _with_meta("semeval2023-st3", score_st3(gold23, pred23), n)
        results["spans"] = _with_meta("spans", score_spans(gold23, pred23), n)
        if any(a.genre for a in pred23):
            results["semeval2023-st1"] = _with_meta("semeval2023-st1", score_st1(gold23, pred23), n)
        else:
            results["semeval2023-st1"] = _skipped("semeval2023-st1", "no genre classifier in the pipeline")
        if any(a.frames or a.frames_chosen is not None for a in pred23):
            results["semeval2023-st2"] = _with_meta("semeval2023-st2", score_st2(gold23, pred23), n)
        else:
            results["semeval2023-st2"] = _skipped("semeval2023-st2", "no frame classifier in the pipeline")
    # -- SemEval-2020 Task 11 (English only) -------------------------------------
    if lang == "en":
        try:
            gold20 = _select(semeval.load_2020(data), split)
        except DatasetError:
            gold20 = []
        if gold20:
            found_any = True
            pred20 = predict(gold20, "semeval2020")
            results["semeval2020-si"] = _with_meta("semeval2020-si", score_si(gold20, pred20), len(gold20))
            if scorer:
                tc_pred = classify_gold_spans(scorer, gold20)  # type: ignore[arg-type]
                results["semeval2020-tc"] = _with_meta("semeval2020-tc", score_tc(gold20, tc_pred), len(gold20))
            else:
                results["semeval2020-tc"] = _skipped("semeval2020-tc", "no span tagger model to label given spans")
        # -- SemEval-2021 Task 6 memes: the official dev set -----------------------
        try:
            memes = semeval.load_2021(data, "dev")
            if split == "all":
                memes = semeval.load_2021(data, "training") + memes
        except DatasetError:
            memes = []
        if memes:
            found_any = True
            t1_labels = _meme_t1_labels(data, split)
            for a in memes:
                if a.article.id in t1_labels:
                    a.gold = Gold(techniques=t1_labels[a.article.id])
            pred21 = predict(memes, "semeval2021 memes")
            note = "dev set" if split == "validation" else "training + dev sets"
            results["semeval2021-t1"] = _with_meta("semeval2021-t1", score_2021_t1(memes, pred21), len(memes), note)
            results["semeval2021-t2"] = _with_meta("semeval2021-t2", score_2021_t2(memes, pred21), len(memes), note)
    if not found_any:
        raise DatasetError(f"{data}: no SemEval dataset folder found for language {lang!r}")
    order = list(TASKS)
    return {k: results[k] for k in order if k in results}


def _meme_t1_labels(data: str | Path, split: str) -> dict[str, list[str]]:
    """Subtask-1 labels of the memes (a meme may carry a technique without a span in subtask 2)."""
    from ..readers.semeval import find_2021
    from .formats import read_memes_t1

    root = find_2021(data)
    out: dict[str, list[str]] = {}
    for name in (["training_set_task1.txt"] if split == "all" else []) + ["dev_set_task1.txt"]:
        f = root / name
        if f.exists():
            out.update({f"meme{k}": v for k, v in read_memes_t1(f).items()})
    return out


def headline(results: dict[str, dict[str, Any]]) -> float | None:
    """The one number for a dataset run: SemEval-2023 subtask 3 micro-F1 (propscan's primary task)."""
    st3 = results.get("semeval2023-st3")
    return st3["score"] if st3 and "score" in st3 else None

