"""Flags several commands share: where the store is, how many articles are analysed at once and where."""

from __future__ import annotations

import argparse


def add_db_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="URL", help="SQLite file or database URL, e.g. postgresql://user@host/db "
                                               "(default: $PROPSCAN_DB or ./propscan.db)")


def add_engine_arguments(p: argparse.ArgumentParser) -> None:
    """``--workers/--engine/--scheduler`` for the commands that analyse many articles (analyze, ingest)."""
    from ..engine import ENGINES

    p.add_argument("--workers", type=int, default=1, metavar="N", help="analyse in N processes (default 1)")
    p.add_argument("--engine", choices=ENGINES, default="local",
                   help="local processes, or a Dask cluster (a local one unless --scheduler is given)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786")
