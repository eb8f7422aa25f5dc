"""The SemEval scoring functions: which spans, labels or choices each task compares.

Each ``score_*`` takes gold and predicted Analyses, matched by ``analysis.article.id``, and returns
the dict of a ``metrics.Score``. The formulas live in ``metrics``, imported on use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Sequence

from ..taxonomy import to_view

if TYPE_CHECKING:
    from ..document import Analysis


def _spans(analyses: Iterable[Analysis], taxonomy: str) -> dict[str, list[tuple[int, int, str]]]:
    return {a.article.id: [(s.start, s.end, to_view(s.technique, taxonomy)) for s in a.spans] for a in analyses}


def score_si(gold: Sequence[Analysis], pred: Sequence[Analysis]) -> dict[str, Any]:
    """SemEval-2020 SI: partial-overlap span F1 ignoring the technique, overlapping spans merged first."""
    from .metrics import partial_overlap

    return partial_overlap(_spans(gold, "2023"), _spans(pred, "2023"), use_labels=False, merge=True).to_dict()


def score_spans(gold: Sequence[Analysis], pred: Sequence[Analysis], taxonomy: str = "2023") -> dict[str, Any]:
    """Technique-aware span F1: the SI formula, a pair counting only when techniques match.

    Overlapping spans of the same technique are merged first (as SI merges
    all spans), so a tagger is not rewarded for predicting a span twice.
    """
    from .metrics import partial_overlap

    return partial_overlap(_spans(gold, taxonomy), _spans(pred, taxonomy), use_labels=True, merge=True).to_dict()


def score_2021_t2(gold: Sequence[Analysis], pred: Sequence[Analysis]) -> dict[str, Any]:
    """SemEval-2021 Task 6 subtask 2: technique-matched partial overlap, no merging (as its scorer)."""
    from .metrics import partial_overlap

    return partial_overlap(_spans(gold, "2021"), _spans(pred, "2021"), use_labels=True, merge=False).to_dict()


def score_tc(gold: Sequence[Analysis], pred: Sequence[Analysis], taxonomy: str = "2020") -> dict[str, Any]:
    """SemEval-2020 TC: micro-F1 over the techniques of the gold spans (2020 names by default)."""
    from .metrics import given_spans

    g: dict[tuple[str, int, int], list[str]] = {}
    p: dict[tuple[str, int, int], list[str]] = {}
    for a in gold:
        for s in a.spans:
            g.setdefault((a.article.id, s.start, s.end), []).append(to_view(s.technique, taxonomy))
    gold_ids = {a.article.id for a in gold}
    for a in pred:
        if a.article.id not in gold_ids:
            continue
        for s in a.spans:
            p.setdefault((a.article.id, s.start, s.end), []).append(to_view(s.technique, taxonomy))
    return given_spans(g, p).to_dict()


def score_st1(gold: Sequence[Analysis], pred: Sequence[Analysis]) -> dict[str, Any]:
    """SemEval-2023 subtask 1 (genre): macro-F1 headline; micro-F1 is accuracy."""
    from .metrics import multiclass

    g = {a.article.id: a.top_genre() for a in gold if a.genre and a.labelled(1)}
    p = {a.article.id: a.top_genre() for a in pred}
    return multiclass({k: v for k, v in g.items() if v}, p).to_dict()


def score_st2(gold: Sequence[Analysis], pred: Sequence[Analysis]) -> dict[str, Any]:
    """SemEval-2023 subtask 2 (frames): micro-F1 over (article, frame) pairs."""
    from .metrics import multilabel

    g = {a.article.id: a.chosen_frames() for a in gold if a.labelled(2) and (a.frames or a.frames_chosen)}
    p = {a.article.id: a.chosen_frames() for a in pred}
    return multilabel(g, p).to_dict()


def score_st3(gold: Sequence[Analysis], pred: Sequence[Analysis], taxonomy: str = "2023") -> dict[str, Any]:
    """SemEval-2023 subtask 3: micro-F1 over (article, line, technique) triples, plus macro and per label.

    Only the gold paragraphs are scored (the official files list each
    non-empty line); a predicted paragraph on another line is ignored.
    """
    from .metrics import multilabel

    g: dict[tuple[str, int], list[str]] = {}
    for a in gold:
        if not a.labelled(3):
            continue
        for par in a.paragraphs:
            g[(a.article.id, par.line)] = [to_view(t, taxonomy) for t in par.techniques]
    p: dict[tuple[str, int], list[str]] = {}
    for a in pred:
        for par in a.paragraphs:
            p.setdefault((a.article.id, par.line), []).extend(to_view(t, taxonomy) for t in par.techniques)
    return multilabel(g, p).to_dict()


def article_techniques(a: Analysis, taxonomy: str = "2021") -> set[str]:
    """Every technique an analysis finds anywhere in the text (spans or paragraph labels)."""
    found = {to_view(s.technique, taxonomy) for s in a.spans}
    found.update(to_view(t, taxonomy) for par in a.paragraphs for t in par.techniques)
    return found


def score_2021_t1(gold: Sequence[Analysis], pred: Sequence[Analysis]) -> dict[str, Any]:
    """SemEval-2021 Task 6 subtask 1: micro-F1 over (meme, technique) pairs (2021 names), plus macro.

    A gold meme read from a task-1 file (labels without spans) carries its
    labels in ``gold.techniques``; otherwise they come from its spans.
    """
    from .metrics import multilabel

    g = {a.article.id: sorted(a.gold.techniques if a.gold and a.gold.techniques is not None
                              else article_techniques(a)) for a in gold}
    p = {a.article.id: sorted(article_techniques(a)) for a in pred}
    return multilabel(g, p).to_dict()

