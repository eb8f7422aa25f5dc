"""Quality: the shipped pipeline's official scores on the validation split, every task the data supports.

    python bench/quality.py --data ../shared/data [--langs en,fr,ge,it,po,ru] [--write-docs]

English: SemEval-2020 SI and TC (technique of the gold spans), SemEval-2023
subtasks 1-3, technique-aware span F1, SemEval-2021 memes tasks 1-2 on their
dev set. Other languages: SemEval-2023 subtasks 1-3 and span F1. Every score
is computed by ``propscan.evaluate`` on the fixed validation split
(``propscan.splits``: a fifth of the articles, by a hash of the article id),
next to a trivial baseline (Loaded_Language everywhere, the majority genre,
the frames most training articles carry) so a reader sees what a number is worth.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from _common import ROOT, machine, replace_section, stamp

from propscan.document import Analysis, Span
from propscan.evaluate.dataset import evaluate_dataset
from propscan.evaluate.report import markdown_table, per_label_rows, text_table

DETAIL = ("semeval2023-st3", "spans", "semeval2020-tc")

METRICS = """## How each score is computed

All in `propscan.evaluate` (formulas in `metrics.py`, each pinned by hand-computed examples in
`tests/test_evaluate.py`); gold and predictions are matched by article id, a gold article without a
prediction predicts nothing, predictions for articles not in gold are ignored.

- **semeval2020-si**: overlapping spans of an article are merged first (gold and predicted, techniques
  ignored); precision = Σ|s∩g|/|s| over every overlapping (predicted s, gold g) pair divided by the number
  of predicted spans, recall = Σ|s∩g|/|g| divided by the number of gold spans; F1 their harmonic mean
  (1.0 when there is nothing to find and nothing was predicted).
- **semeval2020-tc**: micro-F1 over the techniques of the gold spans (keyed by article, start, end; a
  span annotated with k techniques counts k times). Predicting a label for every gold span makes it
  the accuracy the official scorer reports.
- **semeval2023-st1**: macro-F1 over the genres seen in gold or predictions (micro-F1 = accuracy).
- **semeval2023-st2**: micro-F1 over (article, frame) pairs; a frame is predicted when the classifier
  chose it (`profile["frames_chosen"]`) or, failing that, scored it at least 0.5.
- **semeval2023-st3**: micro-F1 over (article, line, technique) triples of the gold paragraphs; macro-F1
  averages the per-technique F1 of the techniques seen in gold or predictions.
- **semeval2021-t1**: micro-F1 over (meme, technique) pairs, 2021 names.
- **semeval2021-t2**: the SI formula, a pair counting only when the techniques match, with no merging
  (as the task's scorer); micro over all spans.
- **spans**: the same, but overlapping spans of one technique are merged first on each side, as SI does,
  so predicting a fragment twice earns nothing.
"""


class Baseline:
    """Loaded_Language on every paragraph (as a paragraph-long span), a fixed genre and frame set."""

    name = "baseline"
    version = "0"

    def __init__(self, genre: str, frames: list[str]) -> None:
        self.genre, self.frames = genre, frames

    def __call__(self, a: Analysis) -> Analysis:
        for p in a.paragraphs:
            p.techniques = ["Loaded_Language"]
        a.spans = [Span(p.start, p.end, "Loaded_Language", detector="baseline") for p in a.paragraphs]
        a.genre = {self.genre: 1.0}
        a.frames = {f: 1.0 for f in self.frames}
        return a

    def pipe(self, analyses):  # type: ignore[no-untyped-def]
        return (self(a) for a in analyses)


def baseline_for(data: str, lang: str) -> Any:
    """A Baseline whose genre and frames come from the training split (never validation)."""
    from propscan.analyzer import Analyzer
    from propscan.readers.semeval import load_2023
    from propscan.splits import is_validation

    train = [a for a in load_2023(data, lang) if not is_validation(a.article.id)]
    genres = Counter(g for a in train for g in a.genre)
    framed = [a for a in train if a.frames]
    counts = Counter(f for a in framed for f in a.frames)
    frames = [f for f, c in counts.items() if c >= len(framed) / 2] or [counts.most_common(1)[0][0]]
    return Analyzer([Baseline(genres.most_common(1)[0][0] if genres else "opinion", sorted(frames))])


def always_loaded(article, spans):  # type: ignore[no-untyped-def]
    return [{"Loaded_Language": 1.0} for _ in spans]


def rows_for(results: dict[str, dict], base: dict[str, dict], lang: str, notes: list[str]) -> list[list[Any]]:
    rows = []
    for task, r in results.items():
        b = base.get(task, {})
        if "score" not in r:
            rows.append([lang, task, r["metric"], "skipped", "", "", "", "", b.get("score"), ""])
            notes.append(f"{lang} {task} skipped: {r['skipped']}.")
            continue
        rows.append([lang, task, r["metric"], r["score"], r["precision"], r["recall"], r["f1"], r.get("macro_f1"),
                     b.get("score"), r["articles"]])
    return rows


HEADER = ["lang", "task", "metric", "score", "precision", "recall", "micro-F1", "macro-F1", "baseline", "items"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"), help="folder holding the SemEval corpora")
    ap.add_argument("--langs", default="en,fr,ge,it,po,ru", help="SemEval-2023 languages to score")
    ap.add_argument("--split", default="validation", choices=("validation", "all"))
    ap.add_argument("--write-docs", action="store_true", help="rewrite docs/quality.md")
    args = ap.parse_args()
    from propscan.analyzer import default_analyzer
    from propscan.evaluate.spanlabels import load_scorer

    analyzer = default_analyzer()
    scorer = load_scorer()
    rows: list[list[Any]] = []
    details: list[str] = []
    notes: list[str] = []
    for lang in [x.strip() for x in args.langs.split(",") if x.strip()]:
        print(f"scoring {lang} ...", file=sys.stderr)
        try:
            results = evaluate_dataset(args.data, lang, args.split, analyzer=analyzer, scorer=scorer, progress=True)
        except Exception as e:  # a missing language folder is reported, not fatal
            print(f"  {lang}: {e}", file=sys.stderr)
            continue
        base = evaluate_dataset(args.data, lang, args.split, analyzer=baseline_for(args.data, lang),
                                scorer=always_loaded)
        rows += rows_for(results, base, lang, notes)
        if lang == "en":
            for task in DETAIL:
                r = results.get(task, {})
                if "per_label" in r:
                    details.append(f"### {r['title']} ({task}), per label\n\n"
                                   + markdown_table(["label", "precision", "recall", "F1", "gold", "predicted"],
                                                    per_label_rows(r)))
    print(text_table(HEADER, rows))
    for n in notes:
        print(n)
    if args.write_docs:
        comps = ", ".join(f"{k} {v}" for k, v in analyzer.versions.items()) or "none"
        doc = [
            "# Quality", "",
            f"Measured {stamp()} by `python bench/quality.py --data ../shared/data --write-docs` "
            f"on {machine()}.", "",
            f"Pipeline: {comps}. Split: `{args.split}` (the fixed validation split of `propscan.splits`: "
            "a fifth of the articles chosen by a hash of the article id, never trained on; the SemEval-2021 "
            "memes are scored on their official dev set). Scores come from `propscan.evaluate`, the same code as "
            "`propscan evaluate`; each task's headline metric is the official one (see `propscan evaluate --help`). "
            "Baseline: Loaded_Language on every paragraph (and as a paragraph-long span; for TC every given span), "
            "the training split's majority genre, and the frames at least half the training articles carry.", "",
            "SemEval-2020 SI/TC are scored on the 2020 (PTC) annotations of the validation articles, with 2020 "
            "technique names; subtask 3 and the span F1 on the 2023 annotations.", "",
            "## Scores", "",
            markdown_table(HEADER, rows), "",
            *([" ".join(notes), ""] if notes else []),
            "Published results for orientation (official test sets, not this split): SemEval-2020 SI best "
            "0.5155, TC best 0.6207; SemEval-2023 English subtask 3 best 0.376.", "",
        ]
        doc += ["## Per label (English)", ""] + ["\n\n".join(details), ""]
        doc += [METRICS]
        (ROOT / "docs").mkdir(exist_ok=True)
        (ROOT / "docs" / "quality.md").write_text("\n".join(doc), encoding="utf-8")
        print("wrote docs/quality.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
