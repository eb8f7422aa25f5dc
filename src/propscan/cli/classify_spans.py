"""``propscan classify-spans``: name the technique of spans a user supplies (SemEval-2020 TC).

Articles are read exactly as stored (no cleanup), so the span offsets of the
user's file point into the same text the tagger sees. Output is one line per
input span in the official TC format; a span listed k times (as in the TC
files, once per technique) gets the k best distinct techniques.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError, ModelError
from . import output

if TYPE_CHECKING:
    from ..evaluate.spanlabels import Scorer

FORMATS = {"semeval2020-tc": "2020", "spans": "2023"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "classify-spans", help="label given spans with their persuasion technique (SemEval-2020 TC)",
        description="Label the spans in SPANS (lines of ID<TAB>start<TAB>end, or ID<TAB>technique<TAB>start<TAB>end "
                    "with the technique ignored) of the articles in ARTICLES (article{ID}.txt files).",
        epilog="example: propscan classify-spans dev-articles/ dev-task-TC-template.out -o pred.txt")
    p.add_argument("articles", metavar="ARTICLES", help="article file or folder of article{ID}.txt files")
    p.add_argument("spans", metavar="SPANS", help="span file or folder of per-article span files")
    p.add_argument("-f", "--format", choices=tuple(FORMATS), default="semeval2020-tc",
                   help="technique names: SemEval-2020 (14) or SemEval-2023 (23); default semeval2020-tc")
    p.add_argument("-o", "--output", metavar="OUT", help="write here instead of standard output")
    p.set_defaults(func=run)


def _articles(path: Path) -> dict[str, Path]:
    from ..readers.text import article_id

    if path.is_dir():
        files = sorted(f for f in path.rglob("*.txt") if f.is_file() and not f.name.startswith("."))
    elif path.exists():
        files = [path]
    else:
        raise InputError(str(path), "no such file or folder")
    if not files:
        raise InputError(str(path), "folder holds no .txt articles")
    return {article_id(f): f for f in files}


def run(args: argparse.Namespace) -> int:
    from ..evaluate.formats import read_spans
    from ..evaluate.spanlabels import load_scorer

    articles = _articles(Path(args.articles))
    spans = read_spans(args.spans, labelled=None)
    scorer = load_scorer()
    if scorer is None:
        raise ModelError("no span tagger model is installed (propscan/models/tagger.onnx); "
                         "classify-spans needs it")
    taxonomy = FORMATS[args.format]
    failed = 0
    with output(args.output) as out:
        for doc, items in spans.items():
            try:
                labelled = classify(doc, items, articles.get(doc), scorer, taxonomy)
            except InputError as e:
                failed += 1
                print(f"propscan: {e}", file=sys.stderr)
                continue
            for line in labelled:
                out.write(line)
            out.flush()
    return 1 if failed else 0


def classify(doc: str, items: list[tuple[int, int, str]], path: Path | None, scorer: "Scorer",
             taxonomy: str) -> list[str]:
    """TC lines for one article's spans, in input order."""
    from ..document import Article
    from ..evaluate.spanlabels import label_spans
    from ..readers.text import decode, read_bytes

    if path is None:
        raise InputError(f"article {doc}", "listed in SPANS but no article{ID}.txt found in ARTICLES")
    text = decode(read_bytes(path), str(path))
    for s, e, _ in items:
        if e > len(text) or s < 0 or e <= s:
            raise InputError(f"article {doc}", f"span {s}-{e} is empty or outside the text ({len(text)} characters)")
    article = Article(id=doc, text=text, source=str(path))
    labels = label_spans(scorer, article, [(s, e) for s, e, _ in items], taxonomy)
    used: dict[tuple[int, int], int] = {}
    lines = []
    for s, e, _ in items:  # input order; a repeated span takes its next-best technique
        techs = labels[(s, e)]
        k = used.get((s, e), 0)
        used[(s, e)] = k + 1
        lines.append(f"{doc}\t{techs[min(k, len(techs) - 1)]}\t{s}\t{e}\n")
    return lines
