"""Time from start to the first result of ``propscan analyze``, and where it goes.

    python bench/startup.py [FILE] [--runs 7] [--cold-runs 3] [--write-docs]

Runs ``propscan analyze FILE -f jsonl -q`` (default: the first bundled example)
``--runs`` times in fresh processes and reports the median time to the first
JSON line and to exit. One more run is instrumented: it records when each
component is built, when each background load (``propscan.runtime.loading``: tagger
session, language identifier, SentencePiece, multilingual encoder, frame
model) finishes, and when each component runs on the first
article, in seconds since the process started. The user cache of inflated
tables (``propscan.runtime.cache``) is warm for the timed runs, as for every run after
the first; ``--cold`` clears it before each run instead.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, machine, replace_section, stamp  # noqa: E402

TARGET_S = 1.0


def _child(argv: list[str]) -> int:
    """Instrumented CLI: events as JSON on stderr's last line."""
    t0 = time.perf_counter()
    events: list[tuple[float, str]] = []

    def mark(what: str) -> None:
        events.append((round(time.perf_counter() - t0, 3), what))

    import propscan.analyzer as analyzer
    import propscan.runtime.loading as loading

    # none of these imports numpy: the run starts as the plain CLI does
    mark("propscan imported")
    build, factory_of, load = analyzer.build, analyzer._factory, loading.Loading._run

    def timed_factory(target):  # type: ignore[no-untyped-def]
        f = factory_of(target)
        if f is None or not hasattr(f, "create"):  # absent, or an early load (a plain function)
            return f

        class Timed:  # the factory, its create() timed
            name, requires, provides = f.name, f.requires, f.provides
            preload = staticmethod(f.preload)

            @staticmethod
            def create(settings):  # type: ignore[no-untyped-def]
                got = f.create(settings)
                mark(f"built {f.__name__}")
                return got

        return Timed

    def timed_build(*args, **kwargs):  # type: ignore[no-untyped-def]
        components = build(*args, **kwargs)
        for c in components:
            def timed_pipe(analyses, run=c.pipe, name=c.name):  # type: ignore[no-untyped-def]
                out = list(run(analyses))
                mark(f"ran {name}")
                return out

            c.pipe = timed_pipe  # this instance only
        return components

    def timed_load(self):  # type: ignore[no-untyped-def]
        load(self)
        mark(f"background: {self._thread.name.removeprefix('propscan-load-')} loaded")

    analyzer.build, analyzer._factory, loading.Loading._run = timed_build, timed_factory, timed_load
    from propscan.cli import main

    try:
        return main(argv)
    finally:
        mark("exit")
        sys.stdout.flush()
        print(json.dumps(events), file=sys.stderr)


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT, text=True)
    assert proc.stdout is not None
    first = float("nan")
    for _ in proc.stdout:
        if first != first:
            first = time.perf_counter() - t0
    err = proc.stderr.read() if proc.stderr else ""
    proc.wait()
    return first, time.perf_counter() - t0, err


def main() -> int:
    if sys.argv[1:2] == ["--child"]:
        return _child(sys.argv[2:])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file", nargs="?", default=str(ROOT / "examples" / "article1001.txt"))
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--cold-runs", type=int, default=3,
                    help="runs with the cache of inflated tables cleared first (the first run after installing)")
    ap.add_argument("--write-docs", action="store_true", help="write the table into docs/speed.md")
    args = ap.parse_args()

    cache = Path(tempfile.mkdtemp(prefix="propscan-bench-cache-"))
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), PROPSCAN_CACHE_DIR=str(cache))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package has its bytecode compiled
    cli = [sys.executable, "-m", "propscan", "analyze", args.file, "-f", "jsonl", "-q"]
    try:
        cold: list[tuple[float, float]] = []
        for _ in range(args.cold_runs):
            shutil.rmtree(cache, ignore_errors=True)
            cold.append(_run(cli, env)[:2])
        _run(cli, env)  # fills the cache (and the OS page cache)
        warm = [_run(cli, env)[:2] for _ in range(args.runs)]
        _, _, err = _run([sys.executable, __file__, "--child", *cli[3:]], env)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    events = json.loads(err.strip().splitlines()[-1])

    def row(label: str, xs: list[float], target: bool) -> str:
        if not xs:
            return f"| {label} | | | | | |"
        med = statistics.median(xs)
        verdict = ("met" if med < TARGET_S else "**missed**") if target else ""
        return (f"| {label} | {med:.2f} | {min(xs):.2f} | {max(xs):.2f} | "
                f"{f'< {TARGET_S:.0f}' if target else ''} | {verdict} |")

    lines = [
        "## Time to the first result",
        "",
        f"Measured {stamp()} by `python bench/startup.py --runs {args.runs} --cold-runs {args.cold_runs} "
        f"--write-docs` on {machine()}: `propscan analyze {Path(args.file).name} -f jsonl -q` in a fresh process "
        "each time. Every run but the first after installing finds the user cache of inflated model tables "
        "(`propscan.runtime.cache`, ~170 MB under `~/.cache/propscan`) filled; the first one writes it.",
        "",
        "| measure | median s | min s | max s | target | |",
        "|---|---:|---:|---:|---:|---|",
        row("first result", [f for f, _ in warm], True),
        row("whole run (one article)", [w for _, w in warm], False),
        row("first result, first run after installing (cache empty)", [f for f, _ in cold], False),
        "",
        "One instrumented run (cache filled), seconds since the interpreter handed over to propscan:",
        "",
        "| s | event |",
        "|---:|---|",
        *(f"| {t:.3f} | {what} |" for t, what in events),
    ]
    text = "\n".join(lines)
    print(text)
    if args.write_docs:
        replace_section(ROOT / "docs" / "speed.md", "startup", text, "Speed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
