"""The tasks ``propscan evaluate`` knows: official gold/prediction files in, a Score out.

Readers and formulas are imported when a task runs, so building the CLI's
help (done on every ``propscan`` start) costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..errors import PropscanError

if TYPE_CHECKING:
    from .metrics import Score


@dataclass(frozen=True)
class Task:
    name: str
    title: str
    metric: str
    score_files: Callable[[Path, Path], "Score"]


def _si(gold: Path, pred: Path) -> "Score":
    from . import formats, metrics

    return metrics.partial_overlap(formats.read_spans(gold, labelled=False),
                                   formats.read_spans(pred, labelled=False), use_labels=False, merge=True)


def _tc(gold: Path, pred: Path) -> "Score":
    from . import formats, metrics

    g = formats.spans_as_given(formats.read_spans(gold, "2020", labelled=True))
    p = formats.spans_as_given(formats.read_spans(pred, "2020", labelled=True))
    return metrics.given_spans(g, p)


def _spans(gold: Path, pred: Path) -> "Score":
    from . import formats, metrics

    return metrics.partial_overlap(formats.read_spans(gold, "2023", labelled=True),
                                   formats.read_spans(pred, "2023", labelled=True), use_labels=True, merge=True)


def _st1(gold: Path, pred: Path) -> "Score":
    from . import formats, metrics

    return metrics.multiclass(formats.read_genres(gold), formats.read_genres(pred))


def _st2(gold: Path, pred: Path) -> "Score":
    from . import formats, metrics

    return metrics.multilabel(formats.read_frames(gold), formats.read_frames(pred))


def _st3(gold: Path, pred: Path) -> "Score":
    from . import formats, metrics

    return metrics.multilabel(formats.read_paragraphs(gold), formats.read_paragraphs(pred))


def _t1(gold: Path, pred: Path) -> "Score":
    from . import formats, metrics

    return metrics.multilabel(formats.read_memes_t1(gold), formats.read_memes_t1(pred))


def _t2(gold: Path, pred: Path) -> "Score":
    from . import formats, metrics

    return metrics.partial_overlap(formats.read_memes_t2(gold), formats.read_memes_t2(pred),
                                   use_labels=True, merge=False)


TASKS: dict[str, Task] = {t.name: t for t in [
    Task("semeval2020-si", "SemEval-2020 T11 span identification", "partial-overlap span F1", _si),
    Task("semeval2020-tc", "SemEval-2020 T11 technique classification", "micro-F1 over given spans", _tc),
    Task("semeval2023-st1", "SemEval-2023 T3 subtask 1 (genre)", "macro-F1", _st1),
    Task("semeval2023-st2", "SemEval-2023 T3 subtask 2 (frames)", "micro-F1", _st2),
    Task("semeval2023-st3", "SemEval-2023 T3 subtask 3 (paragraph techniques)", "micro-F1", _st3),
    Task("semeval2021-t1", "SemEval-2021 T6 subtask 1 (meme techniques)", "micro-F1", _t1),
    Task("semeval2021-t2", "SemEval-2021 T6 subtask 2 (meme spans)", "technique-matched span F1", _t2),
    Task("spans", "technique-aware span F1", "partial-overlap span F1, same technique", _spans),
]}


def score_files(task: str, gold: str | Path, pred: str | Path) -> "Score":
    if task not in TASKS:
        raise PropscanError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    return TASKS[task].score_files(Path(gold), Path(pred))
