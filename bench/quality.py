"""Quality: the span and paragraph scores on the validation protocol, then every task on the old split.

    python bench/quality.py --data ../shared/data [--langs en,fr,ge,it,po,ru] [--write-docs] [--protocol-only]

The protocol (``propscan.protocol``, issue 13): calibrators and the threshold
fitted out-of-fold on the 77 tagger-unseen articles outside the outer set,
measured there and on the 16 outer articles the tagger never saw, with
bootstrap 95% intervals by article; reliability diagrams per level (PNG and
table, ``docs/reliability-*.png``; needs matplotlib, the ``bench`` extra).

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

from _common import ROOT, machine, stamp

from propscan.components import Base
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


PROTOCOL = """\
Articles (issue 13's protocol, `propscan.protocol`): the **outer set** is the {n_outer} English SemEval-2023
training articles whose ids are not in `semeval2020-task11/train-articles` (another annotation release), never
used for fitting anything. The shipped tagger was trained on the crc32 training split, so it has seen most of
them: only the 93 crc32-validation articles are unseen by it, {n_fit} of them outside the outer set (the **fit
set**) and {n_out} in it (the **unseen outer articles**). Calibrators (pooled Platt scaling with per-technique
shrinkage) and the one decision threshold are fitted out-of-fold on the fit set (5 folds by article; the
threshold chosen on the training folds was {folds}) and, for the unseen outer articles, on the whole fit set
(threshold {thr}, the shipped default). Intervals: bootstrap 95% by article (1,000 resamples). SI F1 is the
SemEval-2020 SI formula (techniques ignored) on the SemEval-2023 span annotation (the outer articles have no
2020 annotation); span F1 the same with techniques matched; subtask 3 over (paragraph, technique) pairs.
ECE: 10 equal-width bins; spans over every decoded candidate (is it overlapping an annotated span of its
technique?), paragraphs over every (paragraph, technique) pair and over those scored at least 0.05 (the ones
a reader sees listed). The stop-10 rows apply that release's decision recipe to this tagger's token
probabilities: raw scores (mean token probability per span, highest token probability per paragraph) and
per-technique thresholds, re-tuned out of fold, or as `tagger.json` ships them (tuned on all 93
tagger-unseen articles when the tagger was trained: scored on articles they were tuned on).

The fit set is {n_op} opinion pieces and {n_rep} news reports ({n_none} without a genre label); the articles a user brings,
and the held-out gold propscan is measured on, are mostly reports (the public SemEval-2023 English dev set is
about 2/3 reporting, 1/4 opinion, 1/10 satire). The **weighted** row re-weights the same out-of-fold results so
the genres count as in that mix (each report then weighs {w_rep:.1f} opinion pieces; articles without a genre
label weigh 0): the figures to expect on a news feed. They are lower because reports hold fewer annotated
techniques, so the tagger's false alarms weigh more, and there spans are over-confident ({n_rep} reports: too few to
fit a genre-aware calibrator that holds out of fold, see the model card). The interval is wide: {n_rep} reports carry
most of the weight.

Reproduce: `python bench/quality.py --data ../shared/data --write-docs` (the tagger's token probabilities
are cached under `runs/tagger-cache/` on the first run); the calibrators themselves:
`python -m propscan.train.protocol_fit --data ../shared/data --write`."""


class Baseline(Base):
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
P_HEADER = ["rule", "articles", "SI F1 (2023 spans)", "span F1, same technique", "subtask-3 micro-F1",
            "span ECE", "paragraph ECE (all pairs)", "paragraph ECE (scores >= 0.05)"]


def _ci(v: list[float] | None) -> str:
    return f"{v[0]:.3f} [{v[1]:.3f}, {v[2]:.3f}]" if v else "-"


def protocol_rows(data: str, cache: Path) -> tuple[list[list[Any]], dict[str, Any]]:
    """Rows of the protocol table and the calibrated rule's results (reliability tables included)."""
    from propscan.train.protocol_fit import Protocol, calibrated_rule, todays_rule

    pr = Protocol.load(data, cache)
    new, old = calibrated_rule(pr), todays_rule(pr)
    n_fit, n_out = len(pr.fit_set), len(pr.outer_set)
    rows = []
    for name, r, n in (
            ("calibrated, one threshold (shipped): out-of-fold on the fit set", new["oof"], n_fit),
            ("calibrated, one threshold (shipped): unseen outer articles", new["outer_unseen"], n_out),
            ("calibrated, one threshold (shipped): out-of-fold on the fit set, weighted to a news feed's genre mix",
             new["oof_feed_mix"], n_fit),
            ("stop 10 recipe (per-technique thresholds) re-tuned out-of-fold on the fit set", old["oof"], n_fit),
            ("stop 10 thresholds as shipped (tuned on these articles): fit set", old["shipped_fit"], n_fit),
            ("stop 10 thresholds as shipped (tuned on these articles): unseen outer articles",
             old["shipped_outer"], n_out)):
        rows.append([name, n, _ci(r["si"]), _ci(r["spans"]), _ci(r["st3"]), _ci(r.get("span_ece")),
                     _ci(r.get("paragraph_ece")), _ci(r.get("paragraph_listed_ece"))])
    return rows, {**new, "n_outer_all": pr.n_outer}


def genre_mix(counts: dict[str, int], n: int) -> dict[str, Any]:
    """The fit set's genre counts and how much one report weighs against one opinion piece in the feed mix."""
    from propscan.protocol import FEED_MIX

    op, rep = counts["opinion"], counts["reporting"]
    return {"n_op": op, "n_rep": rep, "n_none": n - sum(counts.values()),
            "w_rep": (FEED_MIX["reporting"] / rep) / (FEED_MIX["opinion"] / op) if op and rep else float("nan")}


M_HEADER = ["language", "articles", "ECE, scores >= 0.05", "subtask-3 micro-F1 at the one threshold",
            "at the model's own threshold (before)", "own threshold"]


def _counts(pred: Any, gold: Any, article: Any, n: int) -> Any:
    """Per article (tp, fp, fn) of boolean (paragraph, technique) matrices."""
    import numpy as np

    return np.array([[(pred[article == i] & gold[article == i]).sum(), (pred[article == i] & ~gold[article == i]).sum(),
                      (~pred[article == i] & gold[article == i]).sum()] for i in range(n)], float)


def multilingual_rows(data: str, threshold: float) -> list[list[Any]]:
    """The multilingual paragraph model on the old split: calibration of its probabilities and the one threshold.

    Its probabilities are shown as they are (no recalibration: refitting Platt curves out of fold on these
    articles did not lower the error), so this checks they hold, and what one threshold for every language
    costs against the per-language thresholds it used before.
    """
    import numpy as np

    from propscan import protocol as P
    from propscan.classify.multilingual import MultilingualTechniques
    from propscan.detect.language import LanguageTagger
    from propscan.document import Article
    from propscan.readers.semeval import ISO, load_2023
    from propscan.splits import is_validation

    lt, ml = LanguageTagger.create(), MultilingualTechniques.create()
    index = {t: j for j, t in enumerate(ml.techniques)}
    rows = []
    for folder in ("fr", "ge", "it", "po", "ru"):
        gold = [a for a in load_2023(data, folder) if is_validation(a.article.id)]
        prob, hit, art = [], [], []
        for i, g in enumerate(gold):
            a = lt(Analysis(article=Article(id=g.article.id, text=g.article.text, language=g.article.language)))
            labels = {p.line: p.techniques for p in g.paragraphs}
            for p, _, pr in ml.probabilities(a):
                y = np.zeros(len(index), bool)
                y[[index[t] for t in labels.get(p.line, []) if t in index]] = True
                prob.append(pr), hit.append(y), art.append(i)
        pr_, y_, a_ = np.array(prob), np.array(hit), np.array(art)
        keep = pr_ >= 0.05
        ece = P.ece_stats(pr_[keep], y_[keep], np.repeat(a_, pr_.shape[1]).reshape(pr_.shape)[keep], len(gold))

        one, own = (_counts(pr_ >= th, y_, a_, len(gold)) for th in (threshold, ml.thresholds[ISO[folder]][None, :]))
        rows.append([ISO[folder], len(gold), _ci([P.ece(ece), *P.bootstrap(ece, P.ece)]),
                     _ci([P.f1_from_counts(one), *P.bootstrap(one, P.f1_from_counts)]),
                     _ci([P.f1_from_counts(own), *P.bootstrap(own, P.f1_from_counts)]),
                     f"{float(ml.thresholds[ISO[folder]][0]):.3f}"])
    return rows


def reliability_docs(result: dict[str, Any], folder: Path) -> str:
    """Reliability diagrams (PNG) and their tables, out-of-fold on the fit set."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = []
    for key, title in (("span", "Spans: P(overlaps an annotated span of its technique)"),
                       ("paragraph_listed", "Paragraph techniques listed (score >= 0.05): P(annotated)")):
        table = result["reliability"][key]
        fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
        xs = [m for _, m, n, _ in table if n]
        ys = [f for _, _, n, f in table if n]
        ax.plot([0, 1], [0, 1], color="#999999", linestyle="--", label="perfect calibration")
        ax.plot(xs, ys, marker="o", color="#1f5fa8", label="propscan (out-of-fold)")
        ax.set_xlim(0, 1), ax.set_ylim(0, 1)
        ax.set_xlabel("calibrated probability shown (bin mean)"), ax.set_ylabel("observed frequency")
        ax.set_title(title, fontsize=9), ax.legend(loc="upper left", fontsize=8)
        fig.tight_layout()
        name = f"reliability-{key.split('_')[0]}s.png"
        fig.savefig(folder / name)
        plt.close(fig)
        rows = [[f"{lo:.1f}-{lo + 0.1:.1f}", n, "-" if not n else f"{m:.3f}", "-" if not n else f"{f:.3f}"]
                for lo, m, n, f in table]
        out.append(f"### {title}\n\n![reliability diagram]({name})\n\n"
                   + markdown_table(["bin", "items", "mean probability", "observed"], rows))
    return "\n\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"), help="folder holding the SemEval corpora")
    ap.add_argument("--langs", default="en,fr,ge,it,po,ru", help="SemEval-2023 languages to score")
    ap.add_argument("--split", default="validation", choices=("validation", "all"))
    ap.add_argument("--write-docs", action="store_true", help="rewrite docs/quality.md")
    ap.add_argument("--cache", default=str(ROOT / "runs" / "tagger-cache"),
                    help="folder for the tagger's cached token probabilities (protocol)")
    ap.add_argument("--protocol-only", action="store_true", help="skip the old split's full-pipeline scores")
    args = ap.parse_args()
    print("scoring the protocol ...", file=sys.stderr)
    p_rows, p_result = protocol_rows(args.data, Path(args.cache))
    print(text_table(P_HEADER, p_rows))
    m_rows = multilingual_rows(args.data, p_result["threshold"])
    print(text_table(M_HEADER, m_rows))
    if args.protocol_only:
        if args.write_docs:
            print("--write-docs needs the full run (without --protocol-only)", file=sys.stderr)
        return 0
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
            "## Spans and paragraphs on the validation protocol (English)", "",
            PROTOCOL.format(n_outer=p_result["n_outer_all"], n_out=p_rows[1][1], n_fit=p_rows[0][1],
                            thr=p_result["threshold"], folds=", ".join(map(str, p_result["oof_fold_thresholds"])),
                            **genre_mix(p_result["oof_feed_mix"]["articles_by_genre"], p_rows[0][1])),
            "", markdown_table(P_HEADER, p_rows), "",
            "## Paragraph probabilities of the multilingual model (fr/de/it/pl/ru, old split)", "",
            "The multilingual model (trained on the crc32 training split) is scored on the crc32-validation "
            "articles of each language, which it never saw; its probabilities are shown as they are (refitting "
            "Platt curves out of fold on these articles did not lower the error), with the same one threshold "
            f"as English ({p_result['threshold']}); the last columns give what its own per-language thresholds "
            "(chosen out of fold on its training articles) scored before. 95% bootstrap intervals by article.", "",
            markdown_table(M_HEADER, m_rows), "",
            "## Reliability (out-of-fold on the fit set)", "",
            reliability_docs(p_result, ROOT / "docs"), "",
            "## Every task on the old split (crc32 validation)", "",
            "The figures below are on the old fixed split, kept for comparison with earlier model cards; "
            "they do not predict new articles as well as the protocol above (issue 13). Since `calibration-platt-1` "
            "the English span and paragraph calibrators and the decision threshold were fitted on 77 of these 93 "
            "articles, so the English subtask-3, span and SI figures below are partly in-sample; the protocol "
            "above is the honest estimate. The tagger is int8 with dynamic quantisation, whose kernels differ "
            "between CPUs: on a different machine the same model gives slightly different probabilities (TC, "
            "whose code did not change, read 0.569 on the AMD EPYC of stop 10).", "",
            f"Pipeline: {comps}. Split: `{args.split}` (the fixed validation split of `propscan.splits`: "
            "a fifth of the articles chosen by a hash of the article id, never trained on; the SemEval-2021 "
            "memes are scored on their official dev set). Scores come from `propscan.evaluate`, the same code as "
            "`propscan evaluate`; each task's headline metric is the official one (see `propscan evaluate --help`). "
            "Baseline: Loaded_Language on every paragraph (and as a paragraph-long span; for TC every given span), "
            "the training split's majority genre, and the frames at least half the training articles carry.", "",
            "SemEval-2020 SI/TC are scored on the 2020 (PTC) annotations of the validation articles, with 2020 "
            "technique names; subtask 3 and the span F1 on the 2023 annotations.", "",
            "### Scores (old split)", "",
            markdown_table(HEADER, rows), "",
            *([" ".join(notes), ""] if notes else []),
            "Published results for orientation (official test sets, not this split): SemEval-2020 SI best "
            "0.5155, TC best 0.6207; SemEval-2023 English subtask 3 best 0.376.", "",
        ]
        doc += ["### Per label (English, old split)", ""] + ["\n\n".join(details), ""]
        doc += [METRICS]
        (ROOT / "docs").mkdir(exist_ok=True)
        (ROOT / "docs" / "quality.md").write_text("\n".join(doc), encoding="utf-8")
        print("wrote docs/quality.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
