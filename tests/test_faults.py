"""Fault injection (issue 15): an ingest stopped at any stage and rerun stores what a clean run stores.

Fast versions of ``bench/faults.py``: the stop is raised in-process at the
fault point (the store sees what a SIGKILL leaves: a transaction that never
commits), one real SIGKILL runs in a subprocess, and a database that fills
up or stays locked gives one line and keeps what was committed. PostgreSQL
runs too when ``PROPSCAN_TEST_PG_URL`` names a server (``.ci/run`` starts one).
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from conftest import load_bench

from propscan import faults
from propscan.cli import main

PG_URL = os.environ.get("PROPSCAN_TEST_PG_URL")
bench = load_bench("faults")


class Killed(BaseException):
    """Stands in for SIGKILL: nothing catches it, so nothing after the fault point runs."""


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_url(request, tmp_path: Path):
    """A function giving the URL of a new, empty store on each call."""
    if request.param == "postgresql" and not PG_URL:
        pytest.skip("PostgreSQL fault tests need PROPSCAN_TEST_PG_URL (a server to test against; .ci/run starts one)")
    return lambda: bench.reset(PG_URL, tmp_path) if request.param == "postgresql" else bench.reset("sqlite", tmp_path)


@pytest.fixture
def feed(tmp_path: Path) -> Path:
    path = tmp_path / "feed.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in bench.corpus(12)))
    return path


def ingest(feed: Path, url: str, monkeypatch: pytest.MonkeyPatch, fault: str | None = None,
           commit_every: int = 100) -> int | str:
    """Exit code of an in-process ingest, or "killed" when it stopped at ``fault``."""
    if fault:
        monkeypatch.setenv(faults.ENV, fault)
    else:
        monkeypatch.delenv(faults.ENV, raising=False)

    def kill(stage: str) -> None:
        raise Killed(stage)

    monkeypatch.setattr(faults, "_kill", kill)
    try:
        return main(["ingest", "-q", str(feed), "--db", url, "--commit-every", str(commit_every)])
    except Killed:
        return "killed"
    finally:
        monkeypatch.delenv(faults.ENV, raising=False)


@pytest.fixture
def clean(feed: Path, fresh_url, monkeypatch: pytest.MonkeyPatch) -> dict:
    url = fresh_url()
    assert ingest(feed, url, monkeypatch) == 0
    return bench.snapshot(url)


@pytest.mark.parametrize("fault", ["read:1", "read:7", "analyse:3", "store:1", "link:1", "stories:1"])
def test_stopped_at_any_stage_a_rerun_stores_what_a_clean_run_stores(feed, fresh_url, clean, monkeypatch, fault):
    assert clean["articles"] and clean["dup_of"], "the corpus should hold near-duplicates"
    url = fresh_url()
    assert ingest(feed, url, monkeypatch, fault) == "killed"
    assert ingest(feed, url, monkeypatch) == 0
    assert bench.differences(bench.snapshot(url), clean) == []


def test_a_real_sigkill_while_linking_is_finished_by_the_rerun(feed, tmp_path, clean):
    url = bench.reset("sqlite", tmp_path)
    assert bench.ingest(feed, url, 100, "link:1") == -9
    with sqlite3.connect(url) as conn:
        assert conn.execute("select count(*) from articles where dedup_done = 0").fetchone()[0] == 12
    assert bench.ingest(feed, url, 100) == 0
    assert bench.differences(bench.snapshot(url), clean) == []


def _half_and_rest(feed: Path, tmp_path: Path) -> tuple[Path, Path]:
    lines = feed.read_text().splitlines(keepends=True)
    first, rest = tmp_path / "first.jsonl", tmp_path / "rest.jsonl"
    first.write_text("".join(lines[:6]))
    rest.write_text("".join(lines[6:]))
    return first, rest


def test_a_full_disk_is_one_line_and_keeps_what_was_committed(feed, tmp_path, monkeypatch, capsys):
    first, rest = _half_and_rest(feed, tmp_path)
    db = tmp_path / "full.db"
    assert main(["ingest", "-q", "--no-stories", str(first), "--db", str(db)]) == 0
    pages = sqlite3.connect(db).execute("pragma page_count").fetchone()[0]
    import sqlalchemy as sa

    real = sa.create_engine

    def small_disk(*args, **kwargs):  # the disk holds two more pages, then it is full
        engine = real(*args, **kwargs)
        sa.event.listen(engine, "connect", lambda c, _r: c.execute(f"PRAGMA max_page_count={pages + 2}"))
        return engine

    monkeypatch.setattr(sa, "create_engine", small_disk)
    capsys.readouterr()
    assert main(["ingest", "-q", "--no-stories", str(rest), "--db", str(db)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "full" in err and "Traceback" not in err
    monkeypatch.setattr(sa, "create_engine", real)
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from articles").fetchone()[0] == 6


def test_a_lock_held_too_long_is_one_line_and_keeps_what_was_committed(feed, tmp_path, monkeypatch, capsys):
    first, rest = _half_and_rest(feed, tmp_path)
    db = tmp_path / "locked.db"
    assert main(["ingest", "-q", "--no-stories", str(first), "--db", str(db)]) == 0
    monkeypatch.setenv("PROPSCAN_DB_BUSY_TIMEOUT_MS", "200")
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    capsys.readouterr()
    try:
        assert main(["ingest", "-q", "--no-stories", str(rest), "--db", str(db)]) == 2
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "locked" in err and "Traceback" not in err
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from articles").fetchone()[0] == 6
