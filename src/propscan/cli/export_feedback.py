"""``propscan export-feedback``: what people reviewed, as a SemEval-2023 training folder (``propscan.feedback``).

Only what a person reviewed becomes gold; a span marked wrong goes to
``negatives.tsv``; ``--include-unreviewed`` adds the model's spans nobody
looked at; ``--base PATH`` writes the official training set next to the
corrections, so ``propscan train --data DIR`` trains on both.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..errors import PropscanError
from ..feedback import export


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export-feedback", help="write users' corrections as SemEval training data",
                       description="Write the corrections made in the web app (or API) as a SemEval-2023 "
                                   "span-labelled folder that `propscan train --data DIR` can use.")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="folder to write (created if needed)")
    p.add_argument("--db", metavar="URL", default=None,
                   help="store: SQLite file path or database URL (default: $PROPSCAN_DB or ./propscan.db)")
    p.add_argument("--base", default=None, metavar="PATH",
                   help="also write the official SemEval-2023 English training set (found under PATH, e.g. "
                        "../shared/data) into DIR, so training uses it plus the corrections")
    p.add_argument("--since", default=None, metavar="DATE|ID",
                   help="only feedback given on or after this date (YYYY-MM-DD), or after this feedback id")
    p.add_argument("--include-unreviewed", action="store_true",
                   help="also write the model's spans nobody reviewed in the corrected articles (default: only "
                        "what a person accepted, relabelled or added)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..store import Store, missing_file

    since: Any = args.since
    if since is not None and since.isdigit():
        since = int(since)
    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise PropscanError(f"{args.output}: exists and is not a folder")
    missing = missing_file(args.db)  # the check store.require_existing makes, in this command's words
    if missing is not None:
        raise PropscanError(f"--db {missing}: no such database file (give --db or set PROPSCAN_DB)")
    store = Store(args.db, create=False, settings=args.settings)
    try:  # a database fault is the Store's StoreError (store.store_error), printed in one line by cli.main
        stats = export(store, out, since, args.base, include_unreviewed=args.include_unreviewed)
    finally:
        store.close()
    kind = "span(s), reviewed or not," if args.include_unreviewed else "reviewed span(s)"
    print(f"propscan: {stats['articles']} article(s), {stats['spans']} {kind} and {stats['negatives']} span(s) "
          f"marked wrong from {stats['feedback']} correction(s) written to {out}"
          + (f"; {stats['ignored']} had no effect" if stats["ignored"] else "")
          + (f"; plus {stats['base_articles']} official training articles" if stats["base_articles"] else ""),
          file=sys.stderr)
    return 0
