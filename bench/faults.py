"""Kill ``propscan ingest`` with SIGKILL at every stage, rerun it, and compare the store with a clean run.

For each store (SQLite; PostgreSQL when ``PROPSCAN_TEST_PG_URL`` names a
server, e.g. the throwaway one ``--start-pg`` starts as ``.ci/run`` does), a
clean ingest of a generated corpus (near-duplicates across outlets, articles
about the same events) is the reference. Then, for each stage (read,
analyse, store, link, stories) and each of several points in it, an ingest
is started with ``PROPSCAN_FAULT=<stage>:<n>``, killed there by itself, and
rerun with the same path. The store after the rerun must hold the same
articles (texts and analyses), the same duplicate links and the same
stories as the clean run. Story membership can depend on commit-batch
boundaries (issue 15, defect 16, fixed on the workbench branch); with
``--commit-every`` at least the corpus size there is one batch and stories
must match too, otherwise story differences are reported, not failed.

    python bench/faults.py                         # SQLite, 40 articles, batches of 16
    python bench/faults.py --start-pg -n 60        # and a throwaway PostgreSQL on port 54329

Prints one line per run; exits 1 if articles or duplicate links differ.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

STAGES = ("read", "analyse", "store", "link", "stories")
EVENTS = ["the harbour expansion", "the rail strike", "the budget vote", "the river flooding", "the school reform"]
OUTLETS = ["Daily", "Herald", "Wire", "Courier"]


def corpus(n: int) -> list[dict[str, Any]]:
    """``n`` records: every fourth a near-copy of an earlier one in another outlet; a few events retold."""
    out: list[dict[str, Any]] = []
    for i in range(n):
        event = EVENTS[i % len(EVENTS)]
        if i % 4 == 3 and out:
            base = dict(out[i - 3])
            out.append({**base, "id": f"r{i}", "outlet": OUTLETS[(i + 1) % len(OUTLETS)],
                        "text": base["text"] + " (Reporting by the wire desk.)"})
            continue
        text = (f"Officials said on Monday that {event} would go ahead despite protests. "
                f"Critics called the decision a disgrace and said the public was misled about {event}. "
                f"Report {i}: the council met for {i % 7 + 2} hours and residents waited outside in the rain. "
                f"A spokesperson promised an answer within {i % 5 + 1} weeks.")
        out.append({"id": f"r{i}", "title": f"{event.capitalize()}: update {i}", "text": text,
                    "outlet": OUTLETS[i % len(OUTLETS)], "date": f"2024-03-{1 + i % 20:02d}"})
    return out


def snapshot(url: str) -> dict[str, Any]:
    """The store's content independent of row ids: articles, duplicate links and stories by content hash."""
    import sqlalchemy as sa

    from propscan.store import Store
    from propscan.store.schema import articles, duplicates

    store = Store(url, create=False)
    try:
        with store.engine.connect() as conn:
            rows = conn.execute(sa.select(articles.c.id, articles.c.content_hash, articles.c.title,
                                          articles.c.outlet, articles.c.analysis, articles.c.dup_of,
                                          articles.c.story_id, articles.c.dedup_done)).all()
            pairs = conn.execute(sa.select(duplicates.c.article, duplicates.c.other, duplicates.c.similarity)).all()
    finally:
        store.close()
    h = {r.id: r.content_hash for r in rows}
    groups: dict[int, list[str]] = defaultdict(list)
    for r in rows:
        if r.story_id is not None:
            groups[r.story_id].append(r.content_hash)
    return {
        "articles": sorted((r.content_hash, r.title, r.outlet, r.analysis) for r in rows),
        "dup_of": sorted((r.content_hash, h.get(r.dup_of)) for r in rows if r.dup_of is not None),
        "duplicates": sorted((h[a], h[o], round(float(s), 6)) for a, o, s in pairs),
        "stories": sorted(tuple(sorted(g)) for g in groups.values()),
        "unlinked": sum(1 for r in rows if not r.dedup_done),
    }


def differences(got: dict[str, Any], want: dict[str, Any]) -> list[str]:
    """The parts of the snapshot that differ, in words."""
    out = []
    for key in ("articles", "dup_of", "duplicates", "stories"):
        if got[key] != want[key]:
            out.append(f"{key}: {len(set(map(str, got[key])) ^ set(map(str, want[key])))} differ")
    if got["unlinked"]:
        out.append(f"{got['unlinked']} article(s) never linked")
    return out


def reset(url: str, tmp: Path) -> str:
    """An empty store at ``url`` (a PostgreSQL database is emptied; a SQLite file is new)."""
    if url.startswith("postgresql"):
        from propscan.store import Store
        from propscan.store.schema import metadata

        s = Store(url, create=False)
        metadata.drop_all(s.engine)
        s.close()
        return url
    path = tmp / f"store-{time.monotonic_ns()}.db"
    return str(path)


def ingest(feed: Path, url: str, commit_every: int, fault: str | None = None, timeout: float = 900) -> int:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("PROPSCAN_FAULT", None)
    if fault:
        env["PROPSCAN_FAULT"] = fault
    cmd = [sys.executable, "-m", "propscan", "ingest", "-q", str(feed), "--db", url,
           "--commit-every", str(commit_every)]
    return subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout).returncode


@contextmanager
def throwaway_pg(port: int = 54329) -> Iterator[str]:
    """A PostgreSQL server in a temporary folder on loopback, as .ci/run starts one; stopped afterwards."""
    pgbin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    tmp = Path(tempfile.mkdtemp(prefix="propscan-pg."))
    root = os.getuid() == 0

    def as_pg(*cmd: str) -> None:
        line = " ".join(cmd)
        subprocess.run(["su", "postgres", "-c", line] if root else ["sh", "-c", line], check=True,
                       stdout=subprocess.DEVNULL)

    if root:
        shutil.chown(tmp, "postgres")
    as_pg(f"{pgbin}/initdb", "-D", f"{tmp}/data", "-A", "trust", "-U", "postgres")
    as_pg(f"{pgbin}/pg_ctl", "-D", f"{tmp}/data", "-l", f"{tmp}/log", "-w", "-o",
          f"'-c listen_addresses=127.0.0.1 -p {port} -k {tmp}'", "start")
    try:
        as_pg(f"{pgbin}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "propscan_faults")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/propscan_faults"
    finally:
        as_pg(f"{pgbin}/pg_ctl", "-D", f"{tmp}/data", "-m", "fast", "stop")
        shutil.rmtree(tmp, ignore_errors=True)


def run(urls: list[str], n: int, commit_every: int, points: int, tmp: Path) -> int:
    feed = tmp / "feed.jsonl"
    feed.write_text("".join(json.dumps(r) + "\n" for r in corpus(n)))
    bad = 0
    for base in urls:
        kind = "postgresql" if base.startswith("postgresql") else "sqlite"
        url = reset(base, tmp)
        t0 = time.perf_counter()
        assert ingest(feed, url, commit_every) == 0, "the clean run failed"
        want = snapshot(url)
        print(f"{kind}: clean run {time.perf_counter() - t0:.0f} s: {len(want['articles'])} articles, "
              f"{len(want['dup_of'])} duplicates, {len(want['stories'])} stories", flush=True)
        for stage in STAGES:
            for k in range(1, points + 1):
                nth = {"read": 1 + (k - 1) * max(1, n // points), "analyse": 1 + (k - 1) * max(1, n // points)}.get(
                    stage, k)
                url = reset(base, tmp)
                code = ingest(feed, url, commit_every, f"{stage}:{nth}")
                killed = code == -9
                rerun = ingest(feed, url, commit_every)
                diff = differences(snapshot(url), want)
                story_only = bool(diff) and all(d.startswith("stories") for d in diff) and commit_every < n
                status = "same" if not diff else ("stories differ (defect 16)" if story_only else "DIFFERENT")
                bad += bool(diff) and not story_only or rerun != 0
                print(f"{kind}: kill at {stage}:{nth}: {'killed' if killed else f'not reached (exit {code})'}, "
                      f"rerun exit {rerun}: {status}" + (f" ({'; '.join(diff)})" if diff else ""), flush=True)
    return bad


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=40, help="articles in the generated corpus")
    ap.add_argument("--commit-every", type=int, default=16)
    ap.add_argument("--points", type=int, default=2, help="kill points per stage")
    ap.add_argument("--start-pg", action="store_true", help="also run on a throwaway PostgreSQL (port 54329)")
    ap.add_argument("--no-sqlite", action="store_true")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="propscan-faults."))
    try:
        urls = [] if args.no_sqlite else ["sqlite"]
        if os.environ.get("PROPSCAN_TEST_PG_URL") and not args.start_pg:
            urls.append(os.environ["PROPSCAN_TEST_PG_URL"])
        if args.start_pg:
            with throwaway_pg() as pg:
                bad = run(urls + [pg], args.n, args.commit_every, args.points, tmp)
        else:
            bad = run(urls, args.n, args.commit_every, args.points, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{'all runs matched the clean run' if not bad else f'{bad} run(s) differ'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
