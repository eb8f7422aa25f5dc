"""``propscan cache``: where the inflated model tables live, how big they are, and clearing them.

See ``propscan.runtime.cache``: the first run after installing writes uncompressed,
memory-mapped copies of two compressed model tables and onnxruntime's
optimised graphs (~170 MB), so that later runs start in well under a second.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path


def _size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cache", help="show or clear the cache of inflated model tables",
                       description="Show (or with --clear remove) the files propscan writes for itself to start "
                                   "fast: $PROPSCAN_CACHE_DIR, else $XDG_CACHE_HOME/propscan, else "
                                   "~/.cache/propscan. A cleared cache is rebuilt by the next run.")
    p.add_argument("--clear", action="store_true", help="remove every cached copy")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..runtime.cache import DONE, install_id, owner_of

    root = args.settings.cache_dir
    if root is None:
        print("cache: off (PROPSCAN_CACHE_DIR=off, or no home folder)")
        return 0
    entries = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    if args.clear:
        for p in entries:
            shutil.rmtree(p, ignore_errors=True)
        print(f"cache: cleared {len(entries)} entr{'y' if len(entries) == 1 else 'ies'} in {root}")
        return 0
    total = 0
    print(f"cache: {root}")
    for p in entries:
        size = _size(p)
        total += size
        state = "" if (p / DONE).is_file() else "  (incomplete: rebuilt on the next run)"
        owner = owner_of(p)
        if owner and owner != install_id():
            state += f"  (another install: {owner})"
        print(f"  {size / 2**20:8.1f} MB  {p.name}{state}")
    print(f"  {total / 2**20:8.1f} MB  in {len(entries)} entr{'y' if len(entries) == 1 else 'ies'}")
    return 0
