"""Scaling: how propscan's cost grows with 1, 10, 100 and 1000 articles.

    python bench/scaling.py --data ../shared/data [--sizes 1,10,100,1000] [--write-docs]

For each size, ``propscan analyze`` runs end to end in a fresh process on that
many English SemEval-2023 articles (beyond the 446 available, the list
repeats): wall time including startup, cost per article, articles/s and the
process's peak RSS. The in-process column times ``Analyzer.pipe`` alone with
the models already loaded, so fixed startup cost and per-article cost can be
told apart.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import ROOT, article_paths, machine, replace_section, stamp
from speed import run_cli


def in_process(paths: list[Path]) -> float:
    """Seconds for ``Analyzer.pipe`` over the articles, models loaded and warmed up first (own process)."""
    code = (
        "import json,sys,time\n"
        "from propscan.analyzer import Analyzer\n"
        "from propscan.readers import iter_articles\n"
        "paths=json.load(open(sys.argv[1]))\n"
        "an=Analyzer()\n"
        "arts=[a for a in iter_articles(paths) if not isinstance(a, Exception)]\n"
        "an(arts[0])\n"
        "t=time.perf_counter(); n=sum(1 for _ in an.pipe(arts)); print(json.dumps([n, time.perf_counter()-t]))\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        lst = Path(tmp) / "paths.json"
        lst.write_text(json.dumps([str(p) for p in paths]))
        out = subprocess.run([sys.executable, "-c", code, str(lst)], capture_output=True, text=True, check=True,
                             env=dict(os.environ, PYTHONPATH=str(ROOT / "src")), cwd=ROOT)
    return float(json.loads(out.stdout.strip().splitlines()[-1])[1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"), help="folder holding semeval2023-task3/")
    ap.add_argument("--sizes", default="1,10,100,1000", help="comma-separated article counts")
    ap.add_argument("--write-docs", action="store_true", help="replace this bench's section of docs/speed.md")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    before = machine()
    rows = []
    for n in sizes:
        paths = article_paths(args.data, n)
        print(f"{n} article(s) ...", file=sys.stderr)
        cli = run_cli(paths)
        pipe_s = in_process(paths)
        rows.append((n, cli, pipe_s))
    lines = ["| articles | CLI wall s | CLI ms/article | CLI articles/s | CLI peak RSS MB | first result s "
             "| in-process s | in-process ms/article |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for n, cli, pipe_s in rows:
        lines.append(f"| {n} | {cli['wall_s']:.2f} | {1000 * cli['wall_s'] / n:.1f} | {n / cli['wall_s']:.1f} | "
                     f"{cli['peak_rss_mb']:.0f} | {cli['first_result_s'] or float('nan'):.2f} | {pipe_s:.2f} | "
                     f"{1000 * pipe_s / n:.1f} |")
    if len(rows) >= 2:
        (n0, c0, _), (n1, c1, _) = rows[-2], rows[-1]
        marginal = 1000 * (c1["wall_s"] - c0["wall_s"]) / (n1 - n0)
        lines += ["", f"Marginal cost from {n0} to {n1} articles: {marginal:.1f} ms per article (CLI); "
                      f"fixed startup about {rows[0][1]['wall_s'] - rows[0][2]:.2f} s."]
    body = "\n".join(lines)
    print(body)
    if args.write_docs:
        doc = ("## Scaling with the number of articles\n\n"
               f"Measured {stamp()} by `python bench/scaling.py --data ../shared/data"
               f"{'' if args.sizes == '1,10,100,1000' else ' --sizes ' + args.sizes} --write-docs` on {before} "
               "(at the start). Articles beyond the 446 English ones repeat.\n\n" + body + "\n")
        replace_section(ROOT / "docs" / "speed.md", "scaling", doc, "Speed")
        print("wrote docs/speed.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
