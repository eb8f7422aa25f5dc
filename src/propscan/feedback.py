"""What people reviewed in the web app or the API, as a SemEval-2023 training folder (and read back for training).

Only what a person reviewed becomes gold: a span accepted as it is, a span
relabelled (with its new technique), a span a person added. A span marked
wrong is no gold span; it is written to ``negatives.tsv`` (the SemEval format
has no place for negatives). The model's other spans in a corrected article
were never looked at and are left out unless ``include_unreviewed`` asks for
them (then the export is "model output as corrected by users"). The folder
has the layout of ``semeval2023-task3/en``, so training (``load_feedback``,
``propscan.readers.semeval.load_2023``) reads it like the official corpus:

    DIR/train-articles-subtask-3/article{ID}.txt              the article text, as analysed
    DIR/train-labels-subtask-3-spans/article{ID}-labels-subtask-3.txt
                                                              ID<TAB>technique<TAB>start<TAB>end
    DIR/train-labels-subtask-3.txt                            ID<TAB>line<TAB>tech,tech (from the spans)
    DIR/techniques.txt                                        the 23 technique names
    DIR/feedback.tsv                                          every correction used: who, when, model version
    DIR/negatives.tsv                                         ID<TAB>technique<TAB>start<TAB>end marked wrong

ID is the store's article id. Offsets index the text file exactly as written.

With ``base`` (a data folder, e.g. ``../shared/data``) the official SemEval-2023
English training set is written into DIR as well (its articles and labels
copied, the feedback articles added next to them) and the SemEval-2020 folder
is linked as ``DIR/semeval2020-task11``, so training on DIR trains on the official data plus the corrections in one run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from .document import Analysis, Article, Span
from .errors import PropscanError
from .taxonomy import TECHNIQUE_NAMES, normalise

ARTICLES_DIR = "train-articles-subtask-3"
SPANS_DIR = "train-labels-subtask-3-spans"
PARAGRAPH_LABELS = "train-labels-subtask-3.txt"
# the store's verdicts; the web app's "wrong" is stored as "reject"
REMOVE = {"reject", "wrong"}
NEGATIVES = "negatives.tsv"


def _technique(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return normalise(name)
    except KeyError:
        return None


def corrected_spans(analysis: Analysis, rows: Iterable[dict[str, Any]],
                    include_unreviewed: bool = False) -> tuple[list[Span], list[Span], int]:
    """(gold spans, spans marked wrong, rows with no effect), corrections applied in the order given.

    Gold is what a person reviewed: accepted, relabelled or added spans (plus, with
    ``include_unreviewed``, the model's spans nobody looked at).
    """
    model: dict[tuple[int, int, str], Span] = {}
    for s in analysis.spans:
        model.setdefault((s.start, s.end, s.technique), s)
    spans = dict(model) if include_unreviewed else {}
    negatives: dict[tuple[int, int, str], Span] = {}
    n = len(analysis.text)
    ignored = 0
    for r in rows:
        action = str(r.get("action", "")).lower()
        start, end = int(r["start"]), int(r["end"])
        old, new = _technique(r.get("technique")), _technique(r.get("new_technique"))
        if not 0 <= start < end <= n:
            ignored += 1
            continue
        at = [k for k in set(model) | set(spans) if k[0] == start and k[1] == end and (old is None or k[2] == old)]
        if action in REMOVE:
            for k in at:
                spans.pop(k, None)
                negatives[k] = Span(start, end, k[2], 0.0, "feedback")
            ignored += not at
        elif action == "relabel":
            if new is None or not at:
                ignored += 1
                continue
            for k in at:
                spans.pop(k, None)
                negatives[k] = Span(start, end, k[2], 0.0, "feedback")
            spans[(start, end, new)] = Span(start, end, new, 1.0, "feedback")
            negatives.pop((start, end, new), None)
        elif action in ("add", "confirm"):
            tech = old or new
            if tech is None:
                if action == "confirm" and at:  # accepted the model's span as it is
                    spans.update({k: Span(start, end, k[2], 1.0, "feedback") for k in at})
                    continue
                ignored += 1
                continue
            spans[(start, end, tech)] = Span(start, end, tech, 1.0, "feedback")
            negatives.pop((start, end, tech), None)
        else:  # e.g. "adjust": the store keeps no new offsets for it, so nothing to apply
            ignored += 1
    order = lambda s: (s.start, s.end, s.technique)  # noqa: E731
    return sorted(spans.values(), key=order), sorted(negatives.values(), key=order), ignored


def _paragraph_lines(article_id: str, text: str, spans: list[Span]) -> list[str]:
    """Subtask-3 lines: every non-empty line with the techniques of the spans touching it."""
    lines = []
    for p in Article(id=article_id, text=text).paragraphs:
        techs = sorted({s.technique for s in spans if s.start < p.end and s.end > p.start})
        lines.append(f"{article_id}\t{p.line}\t{','.join(techs)}\n")
    return lines


def copy_base(base: str | Path, out: Path) -> tuple[set[str], list[str]]:
    """Copy the official English SemEval-2023 training set into ``out``; (article ids, subtask-3 lines)."""
    import shutil

    from .readers.semeval import find_2020, find_2023

    root = find_2023(base, "en")
    ids: set[str] = set()
    for sub in (ARTICLES_DIR, SPANS_DIR):
        src = root / sub
        if not src.is_dir():
            raise PropscanError(f"base {base}: {src} is missing", option="base")
        for f in sorted(src.iterdir()):
            if f.is_file():
                shutil.copyfile(f, out / sub / f.name)
                if sub == ARTICLES_DIR and f.name.startswith("article"):
                    ids.add(f.name[len("article"):].split(".")[0])
    for name in ("train-labels-subtask-1.txt", "train-labels-subtask-2.txt"):
        if (root / name).exists():
            shutil.copyfile(root / name, out / name)
    lines = (root / PARAGRAPH_LABELS).read_text(encoding="utf-8").splitlines(keepends=True) \
        if (root / PARAGRAPH_LABELS).exists() else []
    try:
        src20 = find_2020(base).resolve()
    except PropscanError:
        src20 = None
    link = out / "semeval2020-task11"
    if src20 is not None and not link.exists():
        try:
            link.symlink_to(src20, target_is_directory=True)
        except OSError:
            shutil.copytree(src20, link)
    return ids, [ln if ln.endswith("\n") else ln + "\n" for ln in lines]


def export(store: Any, out_dir: str | Path, since: Any = None, base: str | Path | None = None,
           include_unreviewed: bool = False) -> dict[str, int]:
    """Write the folder; returns counts (articles, spans, negatives, feedback rows used and ignored)."""
    rows = store.feedback(since=since)
    by_article: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        by_article.setdefault(int(r["article_id"]), []).append(r)
    out = Path(out_dir)
    (out / ARTICLES_DIR).mkdir(parents=True, exist_ok=True)
    (out / SPANS_DIR).mkdir(parents=True, exist_ok=True)
    stats = {"articles": 0, "spans": 0, "negatives": 0, "feedback": len(rows), "ignored": 0, "base_articles": 0}
    negative_lines: list[str] = []
    par_lines: list[str] = []
    taken: set[str] = set()
    if base is not None:
        taken, par_lines = copy_base(base, out)
        stats["base_articles"] = len(taken)
    for article_id in sorted(by_article):
        if str(article_id) in taken:
            raise PropscanError(f"store article {article_id} has the same id as an article of the base set {base}; "
                                "export without it and merge by hand", option="base")
        analysis = store.get(article_id)
        if analysis is None:
            stats["ignored"] += len(by_article[article_id])
            continue
        spans, negatives, ignored = corrected_spans(analysis, by_article[article_id], include_unreviewed)
        stats["ignored"] += ignored
        stats["negatives"] += len(negatives)
        aid = str(article_id)  # an integer: safe as a file name
        text = analysis.text
        with open(out / ARTICLES_DIR / f"article{aid}.txt", "w", encoding="utf-8", newline="") as f:
            f.write(text)
        with open(out / SPANS_DIR / f"article{aid}-labels-subtask-3.txt", "w", encoding="utf-8", newline="") as f:
            for s in spans:
                f.write(f"{aid}\t{s.technique}\t{s.start}\t{s.end}\n")
        par_lines.extend(_paragraph_lines(aid, text, spans))
        negative_lines.extend(f"{aid}\t{s.technique}\t{s.start}\t{s.end}\n" for s in negatives)
        stats["articles"] += 1
        stats["spans"] += len(spans)
    with open(out / PARAGRAPH_LABELS, "w", encoding="utf-8", newline="") as f:
        f.writelines(par_lines)
    with open(out / "techniques.txt", "w", encoding="utf-8", newline="") as f:
        f.writelines(t + "\n" for t in TECHNIQUE_NAMES)
    with open(out / "feedback.tsv", "w", encoding="utf-8", newline="") as f:
        cols = ("id", "article_id", "action", "start", "end", "technique", "new_technique", "model_version",
                "annotator", "created_at", "note")
        f.write("\t".join(cols) + "\n")
        for r in rows:
            f.write("\t".join(_cell(r.get(c)) for c in cols) + "\n")
    with open(out / NEGATIVES, "w", encoding="utf-8", newline="") as f:
        f.writelines(negative_lines)
    return stats


def feedback_ids(folder: str | Path) -> set[str]:
    """The store articles an export holds (not the official ones ``--base`` copied next to them)."""
    path = Path(folder) / "feedback.tsv"
    if not path.is_file():
        raise PropscanError(f"{folder}: no feedback.tsv here (not an export of reviewed feedback)")
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    return {ln.split("\t")[1] for ln in lines if ln.count("\t") >= 2}


def load_feedback(folder: str | Path) -> list[Analysis]:
    """The reviewed articles of an export, with their gold spans and paragraph labels, for training."""
    from .readers.semeval import load_2023

    ids = feedback_ids(folder)
    return [a for a in load_2023(folder, "en") if a.article.id in ids]


def _cell(v: Any) -> str:
    return "" if v is None else " ".join(str(v).split())
