"""Speed: propscan versus a BERT-base token classifier (PyTorch, transformers pipeline) on the same articles.

    python bench/speed.py --data ../shared/data [--n 100] [--write-docs]

Each system runs in its own subprocess (so peak memory is its own), one after
the other, on the same articles, on this machine, in this run:

* propscan: the shipped pipeline (``propscan.analyzer.Analyzer``), in process;
* BERT-base: ``transformers.pipeline("token-classification")`` over a
  ``BertForTokenClassification`` randomly initialised from ``BertConfig()``
  (speed does not depend on the weights; nothing can be downloaded), with the
  BERT uncased WordPiece tokenizer of all-MiniLM-L6-v2, long articles cut into
  512-token windows with a 128-token stride: the model class behind Prta;
* ``propscan analyze`` end to end (startup, reading, writing JSON Lines):
  articles/s, peak RSS and time to the first result, against the core targets.

Latency is per article, one article per call; articles/s for the two systems
is over the same one-by-one loop, and propscan's batched rate (how the CLI
runs) is shown too. Tokens are the article's WordPiece tokens, counted once
with the same tokenizer for both systems.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, article_paths, machine, minilm_dir, replace_section, stamp

THREADS = 2
TARGETS = {"articles_per_s": 20.0, "peak_rss_mb": 400.0, "first_result_s": 1.0}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


# -- workers (run in their own process) ---------------------------------------------

def worker_propscan(paths: list[str]) -> dict:
    t0 = time.perf_counter()
    from propscan.analyzer import Analyzer
    from propscan.readers import iter_articles

    analyzer = Analyzer()
    load_s = time.perf_counter() - t0
    articles = [a for a in iter_articles(paths) if not isinstance(a, Exception)]
    analyzer(articles[0])  # warm-up: first-call allocations are not per-article cost
    lat, cpu = [], []
    for a in articles:
        t, c = time.perf_counter(), time.process_time()
        analyzer(a)
        lat.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    t = time.perf_counter()
    n = sum(1 for _ in analyzer.pipe(articles, batch_size=16))
    batched_s = time.perf_counter() - t
    return {"system": "propscan", "load_s": load_s, "latencies": lat, "cpu": cpu, "batched_s": batched_s,
            "batched_n": n,
            "peak_rss_mb": _peak_mb(), "components": analyzer.versions}


def worker_bert(paths: list[str]) -> dict:
    t0 = time.perf_counter()
    import torch
    from transformers import BertConfig, BertForTokenClassification, BertTokenizerFast, pipeline

    torch.set_num_threads(THREADS)
    torch.manual_seed(0)
    config = BertConfig(num_labels=2 * 23 + 1)  # BIO tags over the 23 techniques
    model = BertForTokenClassification(config).eval()
    tok = BertTokenizerFast.from_pretrained(str(minilm_dir()), model_max_length=512)
    tagger = pipeline("token-classification", model=model, tokenizer=tok, aggregation_strategy="simple",
                      stride=128, device=-1)
    load_s = time.perf_counter() - t0
    texts = [Path(p).read_text(encoding="utf-8") for p in paths]
    tagger(texts[0])  # warm-up
    lat, cpu = [], []
    for text in texts:
        t, c = time.perf_counter(), time.process_time()
        tagger(text)
        lat.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return {"system": "bert-base", "load_s": load_s, "latencies": lat, "cpu": cpu, "peak_rss_mb": _peak_mb(),
            "torch": torch.__version__, "threads": torch.get_num_threads()}


def run_worker(kind: str, paths: list[Path]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        lst = Path(tmp) / "paths.json"
        lst.write_text(json.dumps([str(p) for p in paths]))
        out = Path(tmp) / "out.json"
        env = dict(os.environ, OMP_NUM_THREADS=str(THREADS), TOKENIZERS_PARALLELISM="false")
        subprocess.run([sys.executable, __file__, "--worker", kind, "--paths", str(lst), "--out", str(out)],
                       check=True, env=env)
        return json.loads(out.read_text())


def run_before(ref: str, paths: list[Path]) -> dict:
    """The propscan worker of commit ``ref`` (exported with ``git archive``) on the same articles."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        tree.mkdir()
        archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
        lst, out = Path(tmp) / "paths.json", Path(tmp) / "out.json"
        lst.write_text(json.dumps([str(p.resolve()) for p in paths]))  # the worker runs in the exported tree
        env = dict(os.environ, OMP_NUM_THREADS=str(THREADS), TOKENIZERS_PARALLELISM="false")
        subprocess.run([sys.executable, str(tree / "bench" / "speed.py"), "--worker", "propscan", "--paths", str(lst),
                        "--out", str(out)], check=True, env=env, cwd=tree)
        return json.loads(out.read_text())


def before_after(ref: str, before: dict, after: dict, tokens: int) -> str:
    """CPU time per article of commit ``ref`` and of this tree, measured in the same run."""
    b, a = summarise(before, tokens), summarise(after, tokens)
    return "\n".join([
        "| propscan | CPU ms/article | p50 ms/article | articles/s (one by one) | peak memory MB |",
        "|---|---:|---:|---:|---:|",
        f"| before (`{ref}`) | {b['cpu_ms']:.0f} | {b['p50_ms']:.0f} | {b['articles_per_s']:.2f} | "
        f"{b['peak_rss_mb']:.0f} |",
        f"| after (this tree) | {a['cpu_ms']:.0f} | {a['p50_ms']:.0f} | {a['articles_per_s']:.2f} | "
        f"{a['peak_rss_mb']:.0f} |",
        "", f"CPU time per article after / before: **{a['cpu_ms'] / b['cpu_ms']:.2f}x** (budget 1.3x)."])


def run_cli(paths: list[Path]) -> dict:
    """``propscan analyze`` over the files: wall time, time to the first JSON line, the child's peak RSS."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package has its bytecode compiled
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "propscan", "analyze", *map(str, paths), "-f", "jsonl", "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
    assert proc.stdout is not None
    first = None
    lines = 0
    for _ in proc.stdout:
        lines += 1
        if first is None:
            first = time.perf_counter() - t0
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"wall_s": wall, "first_result_s": first, "results": lines, "peak_rss_mb": usage.ru_maxrss / 1024,
            "returncode": proc.returncode}


# -- the report ---------------------------------------------------------------------

def count_tokens(paths: list[Path]) -> list[int]:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(minilm_dir() / "tokenizer.json"))
    tok.no_truncation()
    return [len(tok.encode(p.read_text(encoding="utf-8"), add_special_tokens=False).ids) for p in paths]


def summarise(res: dict, tokens: int) -> dict:
    lat = res["latencies"]
    total = sum(lat)
    cpu = sum(res.get("cpu", [])) or float("nan")
    return {"articles_per_s": len(lat) / total, "tokens_per_s": tokens / total, "cpu_ms": 1000 * cpu / len(lat),
            "p50_ms": 1000 * _pct(lat, 0.5), "p95_ms": 1000 * _pct(lat, 0.95),
            "peak_rss_mb": res["peak_rss_mb"], "load_s": res["load_s"]}


def tables(n: int, tokens: int, p: dict, b: dict | None, p_raw: dict, cli: dict, one: dict) -> str:
    rows = [("propscan (one by one)", p)]
    if b:
        rows.append(("BERT-base token classifier, PyTorch (one by one)", b))
    lines = [f"{n} English SemEval-2023 articles ({tokens:,} WordPiece tokens, {tokens / n:.0f} per article), "
             f"{THREADS} threads per system.", "",
             "| system | articles/s | tokens/s | p50 ms/article | p95 ms/article | CPU ms/article | peak memory MB "
             "| load s |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, s in rows:
        lines.append(f"| {name} | {s['articles_per_s']:.2f} | {s['tokens_per_s']:,.0f} | {s['p50_ms']:.0f} | "
                     f"{s['p95_ms']:.0f} | {s['cpu_ms']:.0f} | {s['peak_rss_mb']:.0f} | {s['load_s']:.1f} |")
    batched = p_raw["batched_n"] / p_raw["batched_s"]
    lines.append(f"| propscan (batches of 16, as the CLI runs) | {batched:.2f} | {tokens / p_raw['batched_s']:,.0f} "
                 f"| | | | | |")
    if b:
        lines += ["", f"**Ratio**: propscan is **{p['articles_per_s'] / b['articles_per_s']:.1f}x** faster per article "
                      f"than the BERT-base pipeline one by one ({batched / b['articles_per_s']:.1f}x batched), "
                      f"with {b['peak_rss_mb'] / p['peak_rss_mb']:.1f}x less peak memory; in CPU time (all threads, "
                      f"which a busy machine does not inflate) {b['cpu_ms'] / p['cpu_ms']:.1f}x less per article."]
    rate = cli["results"] / cli["wall_s"] if cli["wall_s"] else 0.0

    def ok(v: float, key: str, lower: bool) -> str:
        good = v <= TARGETS[key] if lower else v >= TARGETS[key]
        return "met" if good else "**missed**"

    first = cli["first_result_s"] or float("nan")
    lines += ["", f"`propscan analyze` end to end on the same {n} files (`-f jsonl -q`, startup included):", "",
              "| measure | value | target | |", "|---|---:|---:|---|",
              f"| articles/s | {rate:.1f} | >= {TARGETS['articles_per_s']:.0f} | {ok(rate, 'articles_per_s', False)} |",
              f"| peak RSS MB | {cli['peak_rss_mb']:.0f} | < {TARGETS['peak_rss_mb']:.0f} | "
              f"{ok(cli['peak_rss_mb'], 'peak_rss_mb', True)} |",
              f"| time to first result s | {first:.2f} | < {TARGETS['first_result_s']:.0f} | "
              f"{ok(first, 'first_result_s', True)} |",
              f"| one article, start to finish s | {one['wall_s']:.2f} | < {TARGETS['first_result_s']:.0f} | "
              f"{ok(one['wall_s'], 'first_result_s', True)} |"]
    comps = ", ".join(f"{k} {v}" for k, v in p_raw.get("components", {}).items()) or "none"
    lines += ["", f"Pipeline components: {comps}."]
    return "\n".join(lines)


LANGUAGE_FOLDERS = ("en", "fr", "ge", "it", "po", "ru")


def languages(data: str, n: int) -> str:
    """CPU time of the shipped pipeline per article and per 1,000 characters in each language, against English.

    Why: a non-English article runs the multilingual tagger (a 12-layer encoder, loaded on first use) where an
    English one runs MiniLM; issue 16 allows it at most 3x an English article's CPU time.
    """
    rows = []
    for folder in LANGUAGE_FOLDERS:
        paths = article_paths(data, n, folder)
        print(f"propscan in process on {n} '{folder}' articles ...", file=sys.stderr)
        res = run_worker("propscan", paths)
        chars = sum(len(p.read_text(encoding="utf-8")) for p in paths)
        cpu = sum(res["cpu"])
        rows.append((folder, 1000 * cpu / n, 1e6 * cpu / chars, chars / n, res["peak_rss_mb"]))
    en_art, en_chr = rows[0][1], rows[0][2]
    lines = [f"The first {n} SemEval-2023 training articles of each language, one by one in one process "
             f"({THREADS} threads), after a warm-up article (which loads the multilingual tagger).", "",
             "| language folder | characters/article | CPU ms/article | vs English | CPU ms per 1,000 characters "
             "| vs English | peak memory MB |", "|---|---:|---:|---:|---:|---:|---:|"]
    for folder, art, chr_, size, rss in rows:
        lines.append(f"| {folder} | {size:,.0f} | {art:.0f} | {art / en_art:.2f}x | {chr_:.1f} | "
                     f"{chr_ / en_chr:.2f}x | {rss:.0f} |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"), help="folder holding semeval2023-task3/")
    ap.add_argument("--n", type=int, default=100, help="articles (default 100)")
    ap.add_argument("--skip-bert", action="store_true", help="propscan only (quick check)")
    ap.add_argument("--write-docs", action="store_true", help="replace this bench's section of docs/speed.md")
    ap.add_argument("--before", metavar="REF", help="also run the propscan of git commit REF on the same articles, "
                    "right before this tree's, and compare CPU time per article (decoding changes)")
    ap.add_argument("--languages", action="store_true",
                    help="CPU time per article in each of the six languages against English (issue 16), then stop")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--paths", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        paths = json.loads(Path(args.paths).read_text())
        res = worker_propscan(paths) if args.worker == "propscan" else worker_bert(paths)
        Path(args.out).write_text(json.dumps(res))
        return 0
    if args.languages:
        body = languages(args.data, args.n)
        print(body)
        if args.write_docs:
            replace_section(ROOT / "docs" / "speed.md", "speed-languages",
                            f"## Non-English articles\n\nMeasured {stamp()} by `python bench/speed.py --data "
                            f"../shared/data --n {args.n} --languages --write-docs` on {machine()}.\n\n" + body
                            + "\n", "Speed")
        return 0
    paths = article_paths(args.data, args.n)
    tokens_each = count_tokens(paths)
    tokens = sum(tokens_each)
    before = machine()
    ref_raw = None
    if args.before:
        print(f"propscan at {args.before} in process on {len(paths)} articles ...", file=sys.stderr)
        ref_raw = run_before(args.before, paths)
    print(f"propscan in process on {len(paths)} articles ...", file=sys.stderr)
    p_raw = run_worker("propscan", paths)
    if ref_raw is not None:
        compared = before_after(args.before, ref_raw, p_raw, tokens)
        print(compared)
        if args.write_docs:
            replace_section(ROOT / "docs" / "speed.md", "speed-before-after",
                            f"## Before and after a decoding change\n\nMeasured {stamp()} by `python bench/speed.py "
                            f"--data ../shared/data --n {args.n} --before {args.before} --skip-bert --write-docs` on "
                            f"{before}: the two trees one after the other in the same run, {len(paths)} articles.\n\n"
                            + compared + "\n", "Speed")
        if args.skip_bert:
            return 0
    b_raw = None
    if not args.skip_bert:
        print("BERT-base pipeline on the same articles (slow) ...", file=sys.stderr)
        b_raw = run_worker("bert", paths)
    print("propscan analyze CLI ...", file=sys.stderr)
    cli = run_cli(paths)
    one = run_cli(paths[:1])
    p = summarise(p_raw, tokens)
    b = summarise(b_raw, tokens) if b_raw else None
    body = tables(len(paths), tokens, p, b, p_raw, cli, one)
    print(body)
    if args.write_docs:
        doc = ("## propscan versus a BERT-base token classifier\n\n"
               f"Measured {stamp()} by `python bench/speed.py --data ../shared/data"
               f"{'' if args.n == 100 else f' --n {args.n}'} --write-docs` "
               f"on {before} (at the start; other jobs share the cores, so absolute numbers are pessimistic "
               "while the ratio holds). The CLI runs after the in-process run, so the user cache of inflated "
               "model tables (`propscan.runtime.cache`) is warm, as on every run but the first after installing; "
               "`bench/startup.py --cold` measures that first run.\n\n" + body + "\n")
        replace_section(ROOT / "docs" / "speed.md", "speed", doc, "Speed")
        print("wrote docs/speed.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
