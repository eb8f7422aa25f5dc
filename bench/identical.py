"""Record `propscan analyze` output and check a later checkout writes the same bytes.

Why: a renovation (issue 12) must not change what users get. Record the outputs on the code before the
change, then check them on the code after; every difference is listed by file and first differing line.

    python bench/identical.py record /tmp/before --data ../shared/data --samples ../shared/samples
    python bench/identical.py check  /tmp/before --data ../shared/data --samples ../shared/samples

Corpora: the bundled examples (every output format, both taxonomies), the raw web samples, and 50
SemEval-2023 articles (the first 40 English ones by file name, the first 2 of each other language),
all copied into one temporary folder and named relative to it, so the output is the same wherever the
checkout and the data are. The CLI runs from this checkout's ``src`` in a subprocess, as a user runs it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

ALL_FORMATS = ["json", "jsonl", "csv", "html", "spans", "semeval2020-si", "semeval2020-tc",
               "semeval2023-st1", "semeval2023-st2", "semeval2023-st3"]
# (corpus, extra CLI arguments, formats)
RUNS = [
    ("examples", [], ALL_FORMATS),
    ("examples", ["--taxonomy", "2020"], ["json", "spans"]),
    ("examples", ["--min-confidence", "0.5"], ["json"]),
    ("samples", [], ["json", "html", "spans", "semeval2023-st3"]),
    ("semeval50", [], ["json", "html", "spans", "semeval2023-st3", "semeval2020-si"]),
]
LANGS = {"en": 40, "fr": 2, "ge": 2, "it": 2, "po": 2, "ru": 2}


def semeval50(data: Path, into: Path) -> Path:
    """Copy the 50 SemEval articles into one folder (names prefixed with the language)."""
    into.mkdir(parents=True, exist_ok=True)
    for lang, n in LANGS.items():
        folder = data / "semeval2023-task3" / lang / "train-articles-subtask-3"
        files = sorted(folder.glob("article*.txt"))[:n]
        if len(files) < n:
            raise SystemExit(f"identical: {folder}: fewer than {n} articles")
        for f in files:
            shutil.copyfile(f, into / f"{lang}_{f.name}")
    return into


def corpora(data: Path, samples: Path, tmp: Path) -> dict[str, Path]:
    for p in (data, samples):
        if not p.is_dir():
            raise SystemExit(f"identical: {p}: no such folder")
    shutil.copytree(ROOT / "examples", tmp / "examples")
    shutil.copytree(samples, tmp / "samples")
    semeval50(data, tmp / "semeval50")
    return {"examples": Path("examples"), "samples": Path("samples"), "semeval50": Path("semeval50")}


def name(corpus: str, extra: list[str], fmt: str) -> str:
    tag = "".join(a.strip("-").replace(".", "") for a in extra)
    return f"{corpus}{'.' + tag if tag else ''}.{fmt}"


def write_all(out: Path, data: Path, samples: Path) -> list[str]:
    """Run every (corpus, arguments, format) into ``out``; return the file names written."""
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    written = []
    with tempfile.TemporaryDirectory() as t:
        paths = corpora(data, samples, Path(t))
        for corpus, extra, formats in RUNS:
            for fmt in formats:
                target = out / name(corpus, extra, fmt)
                cmd = [sys.executable, "-m", "propscan", "analyze", str(paths[corpus]), "-q", "-f", fmt,
                       "-o", str(target.resolve()), *extra]
                r = subprocess.run(cmd, env=env, cwd=t, capture_output=True, text=True)
                (out / (target.name + ".stderr")).write_text(r.stderr)
                if r.returncode not in (0, 1):
                    raise SystemExit(f"identical: {' '.join(cmd)} exited {r.returncode}:\n{r.stderr}")
                written.append(target.name)
                print(f"  {target.name}: {target.stat().st_size if target.exists() else 0} bytes", flush=True)
    return written


def first_difference(a: Path, b: Path) -> str:
    la = a.read_text(errors="replace").splitlines()
    lb = b.read_text(errors="replace").splitlines()
    for i, (x, y) in enumerate(zip(la, lb)):
        if x != y:
            col = next((j for j, (c, d) in enumerate(zip(x, y)) if c != d), min(len(x), len(y)))
            return f"line {i + 1} col {col + 1}: before {x[max(0, col - 60):col + 100]!r} / after {y[max(0, col - 60):col + 100]!r}"
    return f"lengths {len(la)} vs {len(lb)} lines"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=["record", "check"])
    ap.add_argument("folder", type=Path, help="where the recorded outputs are (record: written; check: read)")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--samples", type=Path, default=ROOT.parent / "shared" / "samples")
    args = ap.parse_args(argv)
    if args.mode == "record":
        files = write_all(args.folder, args.data, args.samples)
        print(f"recorded {len(files)} outputs in {args.folder}")
        return 0
    if not args.folder.is_dir():
        raise SystemExit(f"identical: {args.folder}: nothing recorded there (run record first)")
    with tempfile.TemporaryDirectory() as t:
        now = Path(t) / "now"
        files = write_all(now, args.data, args.samples)
        bad = []
        for f in files:
            for n in (f, f + ".stderr"):
                a, b = args.folder / n, now / n
                if not a.exists():
                    bad.append(f"{n}: not recorded")
                elif a.read_bytes() != b.read_bytes():
                    bad.append(f"{n}: {first_difference(a, b)}")
        for line in bad:
            print("DIFFERS", line)
        print(f"{len(files) - len({b.split(':')[0].removesuffix('.stderr') for b in bad})}/{len(files)} outputs "
              f"byte-identical (outputs and their messages)")
        return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
