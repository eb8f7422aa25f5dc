"""Quality of the six-language span tagger, out of fold, per language (issue 16, item 3).

    python bench/multilingual.py --data ../shared/data [--write-docs]

Runs ``python -m propscan.train.multitagger fit`` (needs the cached features and
trained heads of ``runs/multi``; the README's training steps make them) and
prints, per language, with 95% bootstrap intervals by article:

* span identification F1 (SemEval-2020 SI formula) and technique-aware span F1;
* subtask-3 paragraph micro-F1 of the pooled-USE paragraph model, of the
  span-derived paragraph probabilities and of their mean, on the articles the
  pooled-USE model never saw (its crc32-validation fold), and the one shipped;
* expected calibration error of span confidences;
* for English, the same figures on the articles the MiniLM tagger never saw,
  to compare with docs/quality.md's MiniLM figures.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from _common import ROOT, machine, replace_section, stamp

NAMES = {"en": "English", "fr": "French", "de": "German", "it": "Italian", "pl": "Polish", "ru": "Russian"}


def ci(x: list[float]) -> str:
    return f"{x[0]:.3f} [{x[1]:.3f}, {x[2]:.3f}]"


def tables(rep: dict) -> str:
    langs = rep["languages"]
    lines = ["| language | articles | span identification F1 | technique span F1 | span ECE | threshold |",
             "|---|---:|---:|---:|---:|---:|"]
    for lang, r in langs.items():
        s = r["span_mode_all"]
        lines.append(f"| {NAMES[lang]} | {r['articles']} | {ci(s['si'])} | {ci(s['spans'])} | "
                     f"{s['span_ece'][0]:.3f} | {r['threshold']:.3f} |")
    lines += ["", "Subtask-3 paragraph micro-F1 on the articles the pooled-USE paragraph model never saw "
              "(its crc32-validation fold), every choice out of fold:", "",
              "| language | articles | today: pooled-USE model alone | (a) pooled-USE + our spans | (b) span-derived "
              "| (c) mean of both + our spans | shipped |",
              "|---|---:|---:|---:|---:|---:|---|"]
    for lang, r in langs.items():
        if "st3_use" not in r:
            continue
        lines.append(f"| {NAMES[lang]} | {r['use_unseen_articles']} | {ci(r['st3_use_only'])} | {ci(r['st3_use'])} | "
                     f"{ci(r['st3_span'])} | "
                     f"{ci(r['st3_mean'])} | {r['paragraph_mode']} |")
    en = langs.get("en", {})
    if "outer" in en:
        o, u = en["outer"], en["oof_on_minilm_unseen"]
        lines += ["", "English (the multilingual head; English keeps the MiniLM tagger):", "",
                  "| set | articles | SI F1 | technique span F1 | subtask-3 F1 (span-derived) |",
                  "|---|---:|---:|---:|---:|",
                  f"| out of fold, articles MiniLM never saw | {u['articles']} | {ci(u['si'])} | {ci(u['spans'])} "
                  f"| {ci(u['st3'])} |",
                  f"| outer set, the shipped five-head ensemble | {o['articles']} | {ci(o['si'])} "
                  f"| {ci(o['spans'])} | {ci(o['st3'])} |"]
    lines += ["", f"Span candidates are decoded at token probability {rep['decode_threshold']} (`fit --tau`). "
              "The shipped paragraph mode is the best of (a)-(c) in this very table, so its figure is slightly "
              "optimistic; each column on its own is out of fold (calibrators and threshold fitted on the other "
              "folds)."]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--report", nargs="+", default=[str(ROOT / "runs" / "multi" / "fit.json")],
                    help="fit report(s); with --reuse several (e.g. one per language group) are merged")
    ap.add_argument("--reuse", action="store_true", help="format existing --report files instead of refitting")
    ap.add_argument("--write-docs", action="store_true", help="replace this bench's section of docs/quality.md")
    args = ap.parse_args()
    if not args.reuse:
        cmd = [sys.executable, "-m", "propscan.train.multitagger", "fit", "--data", args.data, "--tau", "0.4",
               "--report", args.report[0]]
        if subprocess.run(cmd, cwd=ROOT).returncode:
            return 1
    rep: dict = {"languages": {}}
    for f in args.report:
        got = json.loads(Path(f).read_text(encoding="utf-8"))
        rep["decode_threshold"] = got["decode_threshold"]
        rep["languages"].update(got["languages"])
    order = ["en", "fr", "de", "it", "pl", "ru"]
    rep["languages"] = dict(sorted(rep["languages"].items(), key=lambda kv: order.index(kv[0])))
    body = tables(rep)
    print(body)
    if args.write_docs:
        replace_section(ROOT / "docs" / "quality.md", "multilingual-spans",
                        "## Spans in French, German, Italian, Polish, Russian (multilingual tagger, protocol)\n\n"
                        f"Measured {stamp()} by `python bench/multilingual.py {' '.join(sys.argv[1:])}` "
                        f"on {machine()}. Out of fold: every article's token probabilities come from the head "
                        "trained without its fold (`train.article.protocol_fold`), its calibrators and threshold "
                        "from the other folds of its language; 95% bootstrap intervals by article.\n\n"
                        + body + "\n", "Quality")
        print("wrote docs/quality.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
