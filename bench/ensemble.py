"""An ensemble of taggers on the protocol: the mean of their token probabilities, calibrated and measured.

    python bench/ensemble.py --data ../shared/data VERSION VERSION [...]

Each VERSION is a tagger version whose token probabilities ``protocol_fit``
has cached (``runs/tagger-cache/VERSION``: run ``python -m
propscan.train.protocol_fit --data ../shared/data --model-dir DIR`` once per
tagger). The mean is written as the cache of one more "tagger" in a temporary
folder (never beside the real taggers' caches) and measured by the same recipe as the shipped one (calibrators and threshold out-of-fold), so its
figures compare with the model card's directly. The taggers must share the
tokenizer (all MiniLM-based ones do): their token offsets are checked.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from _common import ROOT

from propscan.train import protocol_fit as pf


def mean_cache(cache: Path, versions: list[str], into: Path) -> str:
    """Write the mean token probabilities of ``versions`` (cached under ``cache``) as the cache of a new
    version under ``into``; returns its name."""
    name = "ensemble-" + "+".join(versions)
    out = into / name
    out.mkdir(parents=True, exist_ok=True)
    for f in sorted((cache / versions[0]).glob("*.npz")):
        zs = [np.load(cache / v / f.name) for v in versions if (cache / v / f.name).is_file()]
        if len(zs) != len(versions):
            continue
        if any(not np.array_equal(z["offsets"], zs[0]["offsets"]) for z in zs[1:]):
            raise SystemExit(f"{f.name}: the taggers tokenise differently; they cannot be averaged")
        probs = np.mean([z["probs"] for z in zs], axis=0).astype(np.float32)
        np.savez_compressed(out / f.name, offsets=zs[0]["offsets"], probs=probs)
    return name


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--cache", type=Path, default=ROOT / "runs" / "tagger-cache")
    ap.add_argument("versions", nargs="+", help="cached tagger versions to average")
    args = ap.parse_args()
    missing = [v for v in args.versions if not (args.cache / v).is_dir()]
    if missing:
        print(f"no cached token probabilities for {', '.join(missing)} under {args.cache}", file=sys.stderr)
        return 2
    cfg = json.loads((pf.CALIBRATION.parent / "tagger.json").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:  # the mean's cache, and a tagger folder that only names it
        cache, tagger = Path(tmp) / "cache", Path(tmp) / "tagger"
        tagger.mkdir()
        name = mean_cache(args.cache, args.versions, cache)
        (tagger / "tagger.json").write_text(json.dumps({**cfg, "version": name}), encoding="utf-8")
        pr = pf.Protocol.load(args.data, cache, tagger)
    got = pf.calibrated_rule(pr)
    print(json.dumps({"ensemble": args.versions, "threshold": got["threshold"],
                      **{k: got[k] for k in ("oof", "outer_unseen")}}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
