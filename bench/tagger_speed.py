"""Speed of the span tagger alone, and of ``propscan analyze`` measured in CPU seconds.

    python bench/tagger_speed.py [--data ../shared/data] [-n 100] [--threads 2] [--tagger-only]

``bench/speed.py`` is the reference benchmark for the whole CLI (issue 7
targets). This one isolates the ONNX span tagger (``--tagger-only``: word
pieces/s and articles/s in this process) and, without the flag, runs
``propscan analyze -f jsonl`` as a child and also reports its CPU seconds
(user + system), the steadier figure on a machine shared with other jobs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def pick_articles(data: Path | None, n: int, dest: Path) -> int:
    """Write ``n`` article files into ``dest``; returns their total size in characters."""
    sources: list[Path] = []
    if data is not None:
        for sub in ("semeval2023-task3/en/train-articles-subtask-3", "semeval2020-task11/train-articles"):
            d = data / sub
            if d.is_dir():
                sources = sorted(d.glob("article*.txt"))
                break
    if not sources:
        sources = sorted((ROOT / "examples").glob("*.txt"))
    if not sources:
        raise SystemExit("no articles found: pass --data ../shared/data")
    total = 0
    for i in range(n):
        src = sources[i % len(sources)]
        text = src.read_text(encoding="utf-8")
        (dest / f"article{900000 + i}.txt").write_text(text, encoding="utf-8")
        total += len(text)
    return total


def run_cli(folder: Path, threads: int) -> dict:
    env = dict(os.environ, PROPSCAN_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    cmd = [sys.executable, "-m", "propscan", "analyze", "-q", "-f", "jsonl", str(folder)]
    t0 = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True, cwd=ROOT)
    first = None
    count = 0
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip():
            count += 1
            if first is None:
                first = time.perf_counter() - t0
    err = proc.stderr.read() if proc.stderr else ""
    proc.wait()
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"propscan analyze failed ({proc.returncode}): {err[-2000:]}")
    return {"articles": count, "wall_s": round(wall, 2), "articles_per_s": round(count / wall, 1),
            "first_result_s": round(first or wall, 2), "peak_rss_mb": round(after.ru_maxrss / 1024, 1),
            "cpu_s": round(cpu, 2), "articles_per_cpu_s": round(count / cpu, 1) if cpu else None}


def tagger_only(folder: Path, threads: int) -> dict:
    sys.path.insert(0, str(ROOT / "src"))
    from propscan.detect.tagger import SpanTagger
    from propscan.document import Analysis
    from propscan.readers import iter_articles

    arts = [a for a in iter_articles([str(p) for p in sorted(folder.glob("*.txt"))], clean=False)
            if not isinstance(a, Exception)]
    t0 = time.perf_counter()
    tg = SpanTagger(threads=threads)
    load = time.perf_counter() - t0
    tg.pipe([Analysis(article=arts[0])]).__next__()  # warm up
    c0 = time.process_time()
    t0 = time.perf_counter()
    n_tok = 0
    for a in tg.pipe([Analysis(article=x) for x in arts]):
        n_tok += len(tg.tokenizer.encode(a.article.text, add_special_tokens=False).ids)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    return {"articles": len(arts), "load_s": round(load, 2), "wall_s": round(wall, 2),
            "articles_per_s": round(len(arts) / wall, 1), "tokens_per_s": round(n_tok / wall),
            "cpu_s": round(cpu, 2), "window": tg.window, "stride": tg.stride}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("-n", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tagger-only", action="store_true", help="time the span tagger alone, in this process")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="propscan-speed-"))
    try:
        chars = pick_articles(args.data if args.data.is_dir() else None, args.n, tmp)
        result = {"n": args.n, "mean_chars": round(chars / args.n), "threads": args.threads,
                  "cpus": os.cpu_count()}
        if args.tagger_only:
            result["tagger"] = tagger_only(tmp, args.threads)
        else:
            result["analyze"] = run_cli(tmp, args.threads)
        print(json.dumps(result, indent=2))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
