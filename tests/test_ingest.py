"""``propscan ingest`` and ``propscan report``: idempotent, resumable, every input kind, one summary."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from propscan.cli import main
from propscan.store import Store

BODY = ("Officials in the capital said on {day} that talks on the {topic} would continue next week, "
        "after a first round ended without agreement. Both sides described the meeting as useful.")


def record(i: int, **extra) -> dict:
    return {"id": f"r{i}", "title": f"Talks on topic {i} continue",
            "text": BODY.format(day="Monday", topic=f"subject number {i} of the agenda") + f" Ref {i}.",
            "date": f"2024-0{1 + i % 3}-1{i % 9}", "outlet": ["Daily", "Herald", "Wire"][i % 3], **extra}


def write_jsonl(path, records) -> str:
    path.write_text("".join(json.dumps(r) + "\n" if isinstance(r, dict) else r + "\n" for r in records))
    return str(path)


def ingest(capsys, *args) -> tuple[int, dict]:
    code = main(["ingest", "--json", "--no-stories", *args])
    out = capsys.readouterr().out
    return code, json.loads(out.strip().splitlines()[-1])


def test_ingest_twice_stores_nothing_twice(tmp_path, capsys):
    db = str(tmp_path / "c.db")
    feed = write_jsonl(tmp_path / "feed.jsonl", [record(i) for i in range(12)])
    assert ingest(capsys, feed, "--db", db) == (0, {"added": 12, "skipped": 0, "failed": 0})
    assert ingest(capsys, feed, "--db", db) == (0, {"added": 0, "skipped": 12, "failed": 0})
    with Store(db) as s:
        assert s.count() == 12
        assert {o["outlet"] for o in s.outlets()} == {"Daily", "Herald", "Wire"}


def test_text_html_folders_and_csv_together(tmp_path, capsys):
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "one.txt").write_text("First story\n\nSomething happened in the town today, witnesses said.")
    (folder / "two.html").write_text("<html><head><title>Second story</title></head><body><article><h1>Second "
                                     "story</h1><p>" + "The council voted on the plan late in the evening. " * 5 +
                                     "</p></article></body></html>")
    csvf = tmp_path / "rows.csv"
    csvf.write_text("headline;story_text;when\nThird;A third article about the harbour expansion.;2024-02-01\n")
    code, counts = ingest(capsys, str(folder), str(csvf), "--db", str(tmp_path / "c.db"),
                          "--text-column", "story_text", "--date-column", "when")
    assert (code, counts) == (0, {"added": 3, "skipped": 0, "failed": 0})
    with Store(str(tmp_path / "c.db")) as s:
        total, rows = s.search(limit=10)
        assert total == 3
        third = [r for r in rows if r["title"] == "Third"][0]
        assert third["date"] == "2024-02-01"
        assert {r["outlet"] for r in rows} == {"unknown"}  # never a folder's name
        assert {r["outlet_source"] for r in rows} == {"unknown"}


def test_outlet_flag_and_a_second_ingest_with_new_metadata_update_not_duplicate(tmp_path, capsys):
    db = str(tmp_path / "c.db")
    folder = tmp_path / "samples"
    folder.mkdir()
    (folder / "a.txt").write_text("Troops advance\n\nBy: Anna Jaunger, Inside Syria Media Center |\n\n"
                                  "The army moved north overnight, officials said.")
    (folder / "b.txt").write_text("Talks resume\n\nNegotiators met again in the capital on Monday.")
    assert ingest(capsys, str(folder), "--db", db)[1]["added"] == 2
    with Store(db) as s:
        assert [(s.info(i)["outlet"], s.info(i)["outlet_source"]) for i in (1, 2)] == \
            [("Inside Syria Media Center", "byline"), ("unknown", "unknown")]
    code, counts = ingest(capsys, str(folder / "b.txt"), "--db", db, "--outlet", "Wire")
    assert (code, counts) == (0, {"added": 0, "skipped": 1, "failed": 0})
    with Store(db) as s:
        assert s.count() == 2 and (s.info(2)["outlet"], s.info(2)["outlet_source"]) == ("Wire", "flag")


def test_bad_inputs_are_counted_and_the_rest_stored(tmp_path, capsys):
    feed = write_jsonl(tmp_path / "feed.jsonl", [record(1), "{broken", {"title": "no text"}, record(2)])
    code = main(["ingest", "--json", "--no-stories", feed, str(tmp_path / "missing.txt"),
                 "--db", str(tmp_path / "c.db")])
    captured = capsys.readouterr()
    assert code == 1
    assert json.loads(captured.out) == {"added": 2, "skipped": 0, "failed": 3}
    assert "feed.jsonl:2: not valid JSON" in captured.err
    assert "missing.txt: no such file or folder" in captured.err
    assert "Traceback" not in captured.err


def test_summary_and_links_without_paths(tmp_path, capsys):
    db = str(tmp_path / "c.db")
    feed = write_jsonl(tmp_path / "feed.jsonl", [record(1), record(1, id="copy", outlet="Other")])
    assert main(["ingest", "-q", "--no-stories", feed, "--db", db]) == 0
    with Store(db) as s:
        assert s.info(2)["dup_of"] == 1  # near-duplicates are linked during ingest
    assert main(["ingest", "--db", db]) == 0  # no paths: only bring links (stories) up to date
    err = capsys.readouterr().err
    assert "0 article(s) added" in err and "the store holds 2" in err


def test_workers_and_dask_store_the_same_as_one_process(tmp_path, capsys):
    pytest.importorskip("dask.distributed")
    feed = write_jsonl(tmp_path / "feed.jsonl", [record(i) for i in range(10)])
    stored = {}
    for name, extra in {"one": [], "two": ["--workers", "2"], "dask": ["--engine", "dask", "--workers", "2"]}.items():
        db = str(tmp_path / f"{name}.db")
        assert ingest(capsys, feed, "--db", db, *extra)[1]["added"] == 10
        with Store(db) as s:
            stored[name] = [s.get(i).to_dict() for i in range(1, 11)]
    assert stored["one"] == stored["two"] == stored["dask"]


def test_killed_mid_run_a_rerun_loses_nothing_and_duplicates_nothing(tmp_path):
    n = 600
    feed = write_jsonl(tmp_path / "feed.jsonl", [record(i) for i in range(n)])
    db = tmp_path / "c.db"
    cmd = [sys.executable, "-m", "propscan", "ingest", "-q", "--no-stories", "--commit-every", "16", feed,
           "--db", str(db)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    killed_at = None
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
        try:
            with sqlite3.connect(db, timeout=1) as conn:
                count = conn.execute("select count(*) from articles").fetchone()[0]
        except sqlite3.Error:
            continue
        if count > 0:
            os.kill(proc.pid, signal.SIGKILL)
            killed_at = count
            break
    proc.wait()
    if killed_at is None:
        pytest.skip("the ingest finished before it could be killed")
    assert killed_at < n
    rerun = subprocess.run(cmd[:4] + ["--json"] + cmd[4:], capture_output=True, text=True, timeout=300)
    counts = json.loads(rerun.stdout)
    assert counts["failed"] == 0
    assert counts["added"] + counts["skipped"] == n
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from articles").fetchone()[0] == n
        assert conn.execute("select count(distinct content_hash) from articles").fetchone()[0] == n
        assert conn.execute("select count(*) from articles where dedup_done = 0").fetchone()[0] == 0


def test_report_by_outlet_month_and_story(tmp_path, capsys):
    db = str(tmp_path / "c.db")
    feed = write_jsonl(tmp_path / "feed.jsonl", [record(i) for i in range(6)])
    main(["ingest", "-q", feed, "--db", db])
    capsys.readouterr()
    assert main(["report", "--db", db]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0].split()[:2] == ["outlet", "articles"]
    assert {"Daily", "Herald", "Wire"} <= set(table.split())
    assert main(["report", "--by", "month", "--format", "json", "--db", db]) == 0
    months = json.loads(capsys.readouterr().out)
    assert [m["month"] for m in months] == ["2024-01", "2024-02", "2024-03"]
    assert sum(m["n_articles"] for m in months) == 6
    assert main(["report", "--by", "outlet", "--format", "csv", "--db", db]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("outlet,n_articles,mean_score,mean_spans")
    assert len(lines) == 4
    assert main(["report", "--by", "story", "--format", "json", "--min-articles", "1", "--db", db]) == 0
    views = json.loads(capsys.readouterr().out)
    with Store(db) as s:
        if s.info(1)["story_id"] is None:
            pytest.skip("the sentence encoder model is not in this checkout")
    assert sum(v["n_articles"] for v in views) == 6
    assert all("outlets" in v for v in views)
    assert main(["report", "--by", "story", "--story", "9999", "--db", db]) == 2
    assert "no such story" in capsys.readouterr().err


def test_report_on_a_missing_database_is_a_clear_error(tmp_path, capsys):
    assert main(["report", "--db", str(tmp_path / "nothing.db")]) == 2
    err = capsys.readouterr().err
    assert "no such database file" in err and "Traceback" not in err
    assert not (tmp_path / "nothing.db").exists()


def test_report_tables_never_cut_a_rate():
    from propscan.cli.report import _fit, _pct

    rates = {"Appeal_to_Fear-Prejudice": 1.0, "Causal_Oversimplification": 1.0, "Loaded_Language": 0.5,
             "Doubt": 0.25}
    assert _pct(rates) == "Appeal_to_Fear-Prejudice 100% (+3 more)"  # whole items only, within 60 characters
    assert _pct({"Doubt": 0.25, "Slogans": 0.5}) == "Doubt 25%, Slogans 50%"
    assert _fit(["a", "b"]) == "a, b" and _fit([]) == ""
