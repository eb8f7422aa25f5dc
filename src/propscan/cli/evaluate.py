"""``propscan evaluate``: official SemEval scores from gold and prediction files, or for the analyzer on a dataset."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..errors import PropscanError


def register(sub: argparse._SubParsersAction) -> None:
    from ..evaluate.tasks import TASKS

    tasks = "\n".join(f"  {t.name:<16} {t.title}: {t.metric}" for t in TASKS.values())
    p = sub.add_parser(
        "evaluate", help="score predictions with the official SemEval metrics",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Score PRED against GOLD (files or folders of per-article files in the official "
                    "format of TASK), or run the analyzer on a dataset folder with --data.\n\ntasks:\n" + tasks,
        epilog="examples:\n"
               "  propscan evaluate semeval2020-si gold-si-labels/ predictions.txt\n"
               "  propscan evaluate semeval2023-st3 train-labels-subtask-3.txt pred.txt --json\n"
               "  propscan evaluate --data ../shared/data --lang en --split validation")
    p.add_argument("task", nargs="?", metavar="TASK", help="one of: " + ", ".join(TASKS))
    p.add_argument("gold", nargs="?", metavar="GOLD", help="gold labels: file or folder")
    p.add_argument("pred", nargs="?", metavar="PRED", help="predicted labels: file or folder, same format")
    p.add_argument("--data", metavar="DIR", help="run the analyzer on this dataset folder and score every task")
    p.add_argument("--lang", default="en", help="SemEval-2023 language folder with --data (en fr ge it po ru)")
    p.add_argument("--split", choices=("validation", "all"), default="validation",
                   help="with --data: the fixed validation split (default) or every article")
    p.add_argument("--json", action="store_true", help="print one JSON object; its 'score' is the headline")
    p.add_argument("--per-label", action="store_true", help="with --data: also print per-label tables")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.data:
        if args.task or args.gold:
            raise PropscanError("give either TASK GOLD PRED or --data DIR, not both")
        return _run_dataset(args)
    if not (args.task and args.gold and args.pred):
        raise PropscanError("evaluate needs TASK GOLD PRED (or --data DIR); see propscan evaluate --help")
    from ..evaluate.report import describe
    from ..evaluate.tasks import TASKS, score_files

    result = score_files(args.task, args.gold, args.pred).to_dict()
    if args.json:
        _dump({"task": args.task, **result})
    else:
        t = TASKS[args.task]
        print(describe(t.name, t.title, t.metric, result))
    return 0


def _run_dataset(args: argparse.Namespace) -> int:
    from ..analyzer import default_analyzer
    from ..evaluate.dataset import evaluate_dataset, headline
    from ..evaluate.report import describe, text_table

    results = evaluate_dataset(args.data, lang=args.lang, split=args.split, progress=not args.json,
                               analyzer=default_analyzer(args.settings))
    if args.json:
        _dump({"score": headline(results), "data": args.data, "lang": args.lang, "split": args.split,
               "tasks": results})
        return 0
    print(summary_table(results, text_table))
    if args.per_label:
        for r in results.values():
            if "score" in r:
                print()
                print(describe(r["task"], r["title"], r["metric"], r))
    return 0


def summary_rows(results: dict[str, dict[str, Any]]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for r in results.values():
        if "score" in r:
            rows.append([r["task"], r["metric"], r["score"], r["precision"], r["recall"], r["f1"],
                         r.get("macro_f1"), r["articles"]])
        else:
            rows.append([r["task"], r["metric"], "skipped", "", "", "", "", ""])
    return rows


SUMMARY_HEADER = ["task", "metric", "score", "precision", "recall", "micro-F1", "macro-F1", "items"]


def summary_table(results: dict[str, dict[str, Any]], table: Any) -> str:
    """The one-screen table, then why any task was skipped."""
    notes = [f"{r['task']} skipped: {r['skipped']}." for r in results.values() if "skipped" in r]
    return "\n".join([table(SUMMARY_HEADER, summary_rows(results)), *notes])


def _dump(obj: Any) -> None:
    json.dump(obj, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
