"""``propscan ingest``: analyse articles into the store, idempotently and resumably.

Articles already stored (same content hash) are skipped before analysis;
new ones are analysed (here, in local worker processes, or on Dask) and
committed in batches, then linked: near-duplicates, then stories. Killed
mid-run, a rerun loses nothing and stores nothing twice: committed batches
are skipped and unlinked articles are picked up.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from typing import Any, Iterable, Iterator

from ..document import Article
from ..errors import InputError, PropscanError
from ..readers.text import DEFAULT_MAX_BYTES
from . import describe
from .options import add_db_argument, add_engine_arguments

MAX_ERRORS_SHOWN = 20
COLUMN_ROLES = ("text", "title", "id", "date", "outlet", "url", "language")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ingest", help="analyse articles into the corpus store (SQLite or PostgreSQL)",
                       description="Analyse articles (text/HTML files, folders, JSONL or CSV corpus files) into "
                                   "the store, then link near-duplicates and group stories. Safe to rerun: what "
                                   "is stored is skipped. With no PATH, only links what is not linked yet.")
    p.add_argument("paths", nargs="*", metavar="PATH", help="article file, folder, .jsonl or .csv file")
    add_db_argument(p)
    add_engine_arguments(p)
    g = p.add_argument_group("JSONL/CSV fields (default: the usual names, e.g. text/content/body)")
    for role in COLUMN_ROLES:
        g.add_argument(f"--{role}-column", metavar="NAME", help=f"field holding the {role}")
    p.add_argument("--outlet", metavar="NAME",
                   help="the outlet of every article read (instead of the page's site name, a byline or the "
                        "URL's domain; articles naming none are filed under \"unknown\")")
    p.add_argument("--no-stories", action="store_true", help="skip story grouping (run ingest again later)")
    p.add_argument("--raw", action="store_true", help="turn input cleanup off")
    p.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES, help="refuse larger articles")
    p.add_argument("--commit-every", type=int, default=64, metavar="N", help="articles per transaction")
    p.add_argument("--json", action="store_true", help='print {"added", "skipped", "failed"} as JSON')
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    p.set_defaults(func=run)


def read_inputs(paths: Iterable[str], args: argparse.Namespace) -> Iterator[Article | InputError]:
    """Articles (cleaned unless --raw) or errors from every input, record files read with the chosen columns."""
    from ..readers import iter_articles
    from ..readers.records import Columns

    columns = Columns(**{role: getattr(args, f"{role}_column", None) for role in COLUMN_ROLES})
    return iter_articles(paths, max_bytes=args.max_bytes, clean=not args.raw, columns=columns,
                         max_chars=args.settings.max_chars)


class Tally:
    def __init__(self, quiet: bool) -> None:
        self.added = self.skipped = self.failed = 0
        self.shown = 0
        self.quiet = quiet
        self.bar: Any = None
        if not quiet:
            from tqdm import tqdm

            self.bar = tqdm(desc="ingesting", unit="article", file=sys.stderr, dynamic_ncols=True, leave=False,
                            disable=None)  # None: only on a terminal

    def fail(self, err: InputError) -> None:
        self.failed += 1
        if self.shown < MAX_ERRORS_SHOWN:
            msg = f"propscan: {describe(err)}"
            (self.bar.write(msg, file=sys.stderr) if self.bar is not None else print(msg, file=sys.stderr))
        elif self.shown == MAX_ERRORS_SHOWN:
            print("propscan: more failures not shown", file=sys.stderr)
        self.shown += 1
        self.tick()

    def tick(self, n: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(n)
            self.bar.set_postfix(added=self.added, skipped=self.skipped, failed=self.failed, refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    def as_dict(self) -> dict[str, int]:
        return {"added": self.added, "skipped": self.skipped, "failed": self.failed}


def run(args: argparse.Namespace) -> int:
    from ..corpus.update import update
    from ..engine import analyze_stream
    from ..faults import Faults
    from ..readers import canonical_source
    from ..store import Store
    from ..store.facts import content_hash

    if args.max_bytes < 1:
        raise PropscanError(f"--max-bytes {args.max_bytes}: must be at least 1")
    store = Store(args.db, settings=args.settings)
    faults = Faults(args.settings.fault)
    faults.arm(store.engine)
    tally = Tally(args.quiet)

    unlinked = [True]  # a killed run may have left stored articles unlinked

    def link() -> None:
        """Near-duplicates, then stories, of every article not linked yet (also those a killed run left)."""
        unlinked[0] = False
        with faults.phase("link"):
            update(store, stories=False)
        if not args.no_stories:
            with faults.phase("stories"):
                update(store, stories=True)

    def new_articles() -> Iterator[Article]:
        """Skip what the store holds already, checked a chunk at a time before any analysis."""
        items = read_inputs(args.paths, args)
        while True:
            chunk = list(itertools.islice(items, 256))
            if not chunk:
                return
            arts = [a for a in chunk if not isinstance(a, InputError)]
            for a in arts:
                faults.point("read")
                # the same file named another way (relative, absolute, via '.') is the same article
                a.source = canonical_source(a.source)
                if args.outlet:
                    a.meta["outlet"], a.meta["outlet_source"] = args.outlet, "flag"
            stored = store.stored_hashes(content_hash(a) for a in arts)
            # stored texts are not analysed again, but what this reading says about them (outlet, date,
            # title) replaces what the store knew
            store.refresh_many([a for a in arts if content_hash(a) in stored])
            seen: set[str] = set()
            for got in chunk:
                if isinstance(got, InputError):
                    tally.fail(got)
                    continue
                h = content_hash(got)
                if h in stored or h in seen:
                    tally.skipped += 1
                    tally.tick()
                    continue
                seen.add(h)
                yield got

    pending: list = []

    def commit() -> None:
        if pending:
            with faults.phase("store"):
                stored = store.add_many(pending)
            for _, added in stored:
                if added:
                    tally.added += 1
                else:
                    tally.skipped += 1
            tally.tick(len(pending))
            pending.clear()
            link()

    try:
        for got in analyze_stream(new_articles(), workers=args.workers, engine=args.engine,
                                  scheduler=args.scheduler, batch_size=16, errors="yield", settings=args.settings):
            if isinstance(got, InputError):
                tally.fail(got)
                continue
            faults.point("analyse")
            pending.append(got)
            if len(pending) >= max(1, args.commit_every):
                commit()
        commit()
        if unlinked[0]:  # nothing new: a run killed while linking its last batch left articles to link
            link()
    finally:
        tally.close()
    if args.json:
        print(json.dumps(tally.as_dict()))
    elif not args.quiet:
        total = store.count()
        print(f"propscan: {tally.added} article(s) added, {tally.skipped} skipped (already stored), "
              f"{tally.failed} failed; the store holds {total} ({store._safe_url()})", file=sys.stderr)
    store.close()
    return 1 if tally.failed else 0
