"""Count the span priors that help label given spans (SemEval-2020 TC): ``models/span_priors.json``.

    python -m propscan.train.span_priors --data ../shared/data [--alpha 0.5] [--evaluate]

Both tables are counted on the SemEval-2020 annotation of the training
articles (the validation split of ``propscan.splits`` is left out); see
``propscan.detect.span_priors`` for how they are used. ``--evaluate`` scores
TC on the validation split for alpha 0, 0.25, 0.5 and 1 with the shipped
tagger, which is how the default alpha was chosen. Takes about a minute.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from ..detect.span_priors import MODEL, SpanPriors, length_bucket, occurrences

LENGTH_EDGES = [1, 3, 7, 15]  # words: 1 | 2-3 | 4-7 | 8-15 | 16+
MAX_COUNT = 3  # occurrences counted up to "3 or more"
ALPHAS = (0.0, 0.25, 0.5, 1.0)


def fit(data: str | Path, alpha: float) -> dict[str, Any]:
    from ..readers.semeval import load_2020
    from ..splits import is_validation

    train = [a for a in load_2020(data) if not is_validation(a.article.id)]
    rep_hits: Counter[int] = Counter()
    rep_all: Counter[int] = Counter()
    by_bucket: Counter[tuple[int, str]] = Counter()
    bucket_total: Counter[int] = Counter()
    technique_total: Counter[str] = Counter()
    for a in train:
        text = a.article.text
        labels: dict[tuple[int, int], set[str]] = defaultdict(set)
        for s in a.spans:
            labels[(s.start, s.end)].add(s.technique)
        for (start, end), techniques in labels.items():
            phrase = text[start:end]
            k = min(max(occurrences(text, phrase), 1), MAX_COUNT)
            rep_all[k] += 1
            rep_hits[k] += "Repetition" in techniques
            b = length_bucket(phrase, LENGTH_EDGES)
            for t in techniques:
                by_bucket[(b, t)] += 1
                bucket_total[b] += 1
                technique_total[t] += 1
    n, kinds = sum(technique_total.values()), len(technique_total)
    ratios = {t: [round(((by_bucket[(b, t)] + 1) / (bucket_total[b] + kinds))
                        / ((technique_total[t] + 1) / (n + kinds)), 4) for b in range(len(LENGTH_EDGES) + 1)]
              for t in sorted(technique_total)}
    return {
        "version": f"span-priors-{_dt.date.today().isoformat()}",
        "trained": f"SemEval-2020 annotation of {len(train)} training articles ({sum(rep_all.values())} spans)",
        "repetition": {str(k): round(rep_hits[k] / rep_all[k], 4) for k in sorted(rep_all)},
        "length_edges": LENGTH_EDGES,
        "length_ratio": ratios,
        "alpha": alpha,
    }


def evaluate(data: str | Path, priors: dict[str, Any]) -> dict[float, float]:
    """Validation TC micro-F1 of the shipped tagger with these priors at each alpha in ``ALPHAS``."""
    from ..analyzer import Analyzer
    from ..detect.tagger import SpanTagger
    from ..document import Article
    from ..evaluate.dataset import evaluate_dataset

    tagger = SpanTagger.create()
    if tagger is None:
        raise SystemExit("evaluating needs the shipped span tagger (propscan/models/tagger.onnx)")
    out = {}
    for alpha in ALPHAS:
        model = SpanPriors.load_dict({**priors, "alpha": alpha})

        def scorer(article: Article, spans: list[tuple[int, int]], model: SpanPriors = model) -> list[dict[str, float]]:
            return model.adjust(article.text, spans, tagger.technique_scores(article, spans))

        r = evaluate_dataset(data, "en", "validation", analyzer=Analyzer([]), scorer=scorer)
        out[alpha] = float(r["semeval2020-tc"]["score"])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m propscan.train.span_priors", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="folder holding semeval2020-task11/ (e.g. ../shared/data)")
    ap.add_argument("--alpha", type=float, default=0.5, help="weight of the length prior (default 0.5)")
    ap.add_argument("--out", default=str(MODEL), help="where to write the JSON (default: the shipped file)")
    ap.add_argument("--evaluate", action="store_true", help="also score validation TC for several alphas")
    args = ap.parse_args(argv)
    priors = fit(args.data, args.alpha)
    Path(args.out).write_text(json.dumps(priors, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: {priors['trained']}; P(Repetition | occurrences) = {priors['repetition']}")
    if args.evaluate:
        for alpha, score in evaluate(args.data, priors).items():
            print(f"alpha {alpha:<5} validation TC micro-F1 {score:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
