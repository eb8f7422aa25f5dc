"""SemEval dataset folders, read as gold ``Analysis`` objects.

Gold and predictions share one shape, so training and evaluation code never
has to know which file format the labels came from. Paths may point at the
corpus folder itself or at a parent holding it (e.g. ``../shared/data``).
"""

from __future__ import annotations

import json
from pathlib import Path

from ..document import Analysis, Article, Gold, ParagraphLabels, Span
from ..errors import DatasetError
from ..taxonomy import normalise
from .text import article_id, decode

LANGUAGES_2023 = ("en", "fr", "ge", "it", "po", "ru")
# the folder names of SemEval-2023 are not ISO codes for German and Polish
ISO = {"en": "en", "fr": "fr", "ge": "de", "it": "it", "po": "pl", "ru": "ru"}


def _read_article(path: Path, language: str = "en") -> Article:
    text = decode(path.read_bytes(), str(path))
    return Article(id=article_id(path), text=text, source=str(path), language=language)


def _tsv(path: Path) -> list[list[str]]:
    if not path.exists():
        return []
    return [line.rstrip("\n").split("\t") for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def find_2023(path: str | Path, lang: str = "en") -> Path:
    """The ``semeval2023-task3/{lang}`` folder under ``path`` (or ``path`` itself)."""
    p = Path(path)
    for cand in (p, p / lang, p / "semeval2023-task3" / lang):
        if (cand / "train-articles-subtask-3").is_dir() or (cand / "train-articles-subtask-1").is_dir():
            return cand
    raise DatasetError(f"{path}: no SemEval-2023 Task 3 '{lang}' folder found "
                       "(expected train-articles-subtask-3/ inside)")


def find_2020(path: str | Path) -> Path:
    p = Path(path)
    for cand in (p, p / "semeval2020-task11"):
        if (cand / "train-articles").is_dir():
            return cand
    raise DatasetError(f"{path}: no SemEval-2020 Task 11 folder found (expected train-articles/ inside)")


def find_2021(path: str | Path) -> Path:
    p = Path(path)
    for cand in (p, p / "semeval2021-task6"):
        if (cand / "training_set_task2.txt").exists():
            return cand
    raise DatasetError(f"{path}: no SemEval-2021 Task 6 folder found (expected training_set_task2.txt)")


def load_2023(path: str | Path, lang: str = "en", subtask: int = 3) -> list[Analysis]:
    """Articles of one language with spans, paragraph labels, genre and frames."""
    root = find_2023(path, lang)
    art_dir = root / f"train-articles-subtask-{subtask}"
    if not art_dir.is_dir():
        art_dir = root / "train-articles-subtask-3"
    genres = {r[0]: r[1] for r in _tsv(root / "train-labels-subtask-1.txt") if len(r) > 1}
    frames = {r[0]: [f for f in r[1].split(",") if f] for r in _tsv(root / "train-labels-subtask-2.txt") if len(r) > 1}
    par_labels: dict[str, dict[int, list[str]]] = {}
    for r in _tsv(root / "train-labels-subtask-3.txt"):
        techs = [normalise(t) for t in (r[2].split(",") if len(r) > 2 else []) if t]
        par_labels.setdefault(r[0], {})[int(r[1])] = techs
    span_dir = root / "train-labels-subtask-3-spans"
    out: list[Analysis] = []
    for f in sorted(art_dir.glob("article*.txt")):
        art = _read_article(f, ISO.get(lang, lang))
        spans: list[Span] = []
        span_file = span_dir / f"article{art.id}-labels-subtask-3.txt"
        for r in _tsv(span_file):
            spans.append(Span(int(r[2]), int(r[3]), normalise(r[1]), 1.0, "gold"))
        labels = par_labels.get(art.id, {})
        paragraphs = [ParagraphLabels(p.start, p.end, p.line, list(labels.get(p.line, [])))
                      for p in art.paragraphs]
        a = Analysis(article=art, spans=spans, paragraphs=paragraphs)
        if art.id in genres:
            a.genre = {genres[art.id]: 1.0}
        if art.id in frames:
            a.frames = {fr: 1.0 for fr in frames[art.id]}
        a.gold = Gold(labelled_subtasks=[n for n, ok in ((1, art.id in genres), (2, art.id in frames),
                                                         (3, art.id in par_labels)) if ok])
        out.append(a)
    if not out:
        raise DatasetError(f"{art_dir}: no article*.txt files")
    return out


def load_2020(path: str | Path) -> list[Analysis]:
    """SemEval-2020 Task 11 articles with their technique spans (TC labels, read as 2023 names)."""
    root = find_2020(path)
    tc_dir = root / "train-labels-task2-technique-classification"
    si_dir = root / "train-labels-task1-span-identification"
    out: list[Analysis] = []
    for f in sorted((root / "train-articles").glob("article*.txt")):
        art = _read_article(f)
        spans = [Span(int(r[2]), int(r[3]), normalise(r[1]), 1.0, "gold")
                 for r in _tsv(tc_dir / f"article{art.id}.task2-TC.labels")]
        a = Analysis(article=art, spans=spans)
        a.gold = Gold(si_spans=[(int(r[1]), int(r[2])) for r in _tsv(si_dir / f"article{art.id}.task1-SI.labels")])
        out.append(a)
    return out


def load_2021(path: str | Path, split: str = "training") -> list[Analysis]:
    """SemEval-2021 Task 6 meme texts with spans (``split``: training or dev)."""
    root = find_2021(path)
    data = json.loads((root / f"{split}_set_task2.txt").read_text(encoding="utf-8"))
    out: list[Analysis] = []
    for item in data:
        text = item["text"]
        art = Article(id=f"meme{item['id']}", text=text, source=str(root), language="en")
        spans = [Span(int(lab["start"]), int(lab["end"]), normalise(lab["technique"]), 1.0, "gold")
                 for lab in item["labels"]]
        out.append(Analysis(article=art, spans=spans))
    return out


