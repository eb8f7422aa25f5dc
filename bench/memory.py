"""Peak memory and time of one huge input and of a folder of articles, through the ``propscan`` command.

Each case runs ``propscan analyze`` in a child process and reads the child's
peak resident set size (``ru_maxrss`` from ``wait4``) and wall time:

* a 5 MB and a 10 MB one-line article (distinct sentences, so cleanup keeps
  them whole; ``--max-bytes 20000000`` lets the 10 MB one in);
* a folder of the first 190 English SemEval-2023 articles (needs ``--data``);
* ``mixed``: a folder of the first 10 articles of each of the six SemEval-2023 languages (60 articles; the
  multilingual tagger loads beside the English one; issue 16 allows under 500 MB).

    python bench/memory.py --data ../shared/data
    PYTHONPATH=/path/to/old/src python bench/memory.py --data ../shared/data --src /path/to/old/src

Prints one line per case.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, article_paths

WORDS = ("the council said officials critics plan vote town river harbour strike budget school minister "
         "protest week night public decision cost report residents promised answer").split()


def one_line(n_bytes: int, seed: int = 0) -> bytes:
    """A title line, then one line of ``n_bytes`` of varied sentences."""
    rng = random.Random(seed)
    parts, size = [], 0
    while size < n_bytes:
        s = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14))).capitalize() + f" ({size})."
        parts.append(s)
        size += len(s) + 1
    return ("A very long article\n\n" + " ".join(parts))[:n_bytes].encode()


def measure(args: list[str], src: Path) -> tuple[float, float, int]:
    """(peak RSS in MB, seconds, exit code) of ``python -m propscan <args>``."""
    env = dict(os.environ, PYTHONPATH=str(src))
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "propscan", *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    return usage.ru_maxrss / 1024, time.perf_counter() - t0, os.waitstatus_to_exitcode(status)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", help="the shared data folder (for the 190-article folder)")
    ap.add_argument("--src", default=str(ROOT / "src"), help="the propscan source to measure")
    ap.add_argument("--only", choices=("5mb", "10mb", "folder", "mixed"), action="append")
    args = ap.parse_args(argv)
    src = Path(args.src)
    tmp = Path(tempfile.mkdtemp(prefix="propscan-memory."))
    try:
        cases: list[tuple[str, list[str]]] = []
        for name, size in (("5mb", 4_990_000), ("10mb", 10_000_000)):
            f = tmp / f"{name}.txt"
            f.write_bytes(one_line(size))
            cases.append((name, ["analyze", str(f), "-f", "json", "-o", str(tmp / "out.json"), "-q",
                                 "--max-bytes", "20000000"]))
        if args.data:
            folder = tmp / "folder"
            folder.mkdir()
            for p in article_paths(args.data, 190):
                shutil.copy(p, folder / p.name)
            cases.append(("folder", ["analyze", str(folder), "-f", "json", "-o", str(tmp / "out.json"), "-q"]))
            mixed = tmp / "mixed"
            mixed.mkdir()
            for lang in ("en", "fr", "ge", "it", "po", "ru"):
                for p in article_paths(args.data, 10, lang):
                    shutil.copy(p, mixed / f"{lang}-{p.name}")
            cases.append(("mixed", ["analyze", str(mixed), "-f", "json", "-o", str(tmp / "out.json"), "-q"]))
        for name, cmd in cases:
            if args.only and name not in args.only:
                continue
            rss, took, code = measure(cmd, src)
            print(f"{name:<7} peak RSS {rss:7.0f} MB  {took:7.1f} s  exit {code}", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
