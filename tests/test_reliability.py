"""Issue 15: each defect the reliability sweep found, as the smallest reproduction that failed before its fix.

The test names carry the defect number (``test_d<N>_...``). Web tests use an
empty pipeline (no models): they check the edges (validation, storage, the
queue), not the analysis.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest

import propscan
from propscan.analyzer import DEFAULT_MAX_CHARS, Analyzer, bound
from propscan.runtime.settings import Settings as CoreSettings
from propscan.cli import main
from propscan.document import Analysis, Article
from propscan.errors import BINARY, TOO_LARGE, UNREADABLE, InputError, printable
from propscan.readers import iter_articles
from propscan.readers.text import decode, safe_text
from propscan.store import Store

fastapi = pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from propscan.web import Settings, create_app  # noqa: E402
from propscan.web.runner import AnalysisRunner, Busy, ClientGone  # noqa: E402

TEXT = "Ministers meet again\n\nThe talks went on late into the night, officials said.\n"


def make_client(tmp_path: Path, store: Store | None = None, **settings) -> tuple[TestClient, Store]:
    store = store or Store(str(tmp_path / "web.db"))
    app = create_app(store=store, settings=Settings(api_token=None, **settings),
                     analyzer_factory=lambda: Analyzer([]))
    return TestClient(app), store


@pytest.fixture
def client(tmp_path: Path):
    c, store = make_client(tmp_path)
    with c:
        yield c
    store.close()


def encodes(analysis: Analysis) -> None:
    """The invariant of the fuzzing: spans index the text and the JSON encodes as UTF-8."""
    json.dumps(analysis.to_dict(), ensure_ascii=False).encode("utf-8")
    for s in analysis.spans:
        assert 0 <= s.start < s.end <= len(analysis.text)


# -- 1: analyze(text) asked the file system about the text ------------------------------

@pytest.mark.parametrize("n", [256, 1000, 4095, 5000])
def test_d1_analyze_takes_one_line_texts_of_any_length(n: int) -> None:
    text = ("The corrupt elite lied to you again. " * 200)[:n]
    got = propscan.analyze(text)
    assert got.text.startswith("The corrupt elite")
    encodes(got)


def test_d1_lone_surrogates_give_an_analysis_whose_json_encodes() -> None:
    text = "Title \udc80 here\n\nThe corrupt \ud800 elite lied to you again.\n"
    got = propscan.analyze(text)
    assert "\ufffd" in got.text and len(got.text) == len(text)
    encodes(got)


# -- 2: one request with a lone surrogate failed its whole batch -----------------------

def test_d2_a_lone_surrogate_in_json_is_stored_and_neighbours_succeed(client: TestClient) -> None:
    body = '{"text": "Title \\ud800 x\\n\\nSome words about the talks.", "title": "\\udfff odd", "outlet": "a\\udc00b"}'
    r = client.post("/api/analyze", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    got = client.get(f"/api/articles/{r.json()['id']}").json()
    assert got["article"]["title"] == "\ufffd odd"


def test_d2_a_batch_the_store_refuses_is_finished_one_by_one() -> None:
    def finish(analyses: list[Analysis]) -> list[str]:
        if any("bad" in a.text for a in analyses):
            raise RuntimeError("the store refused one")
        return [a.text for a in analyses]

    runner = AnalysisRunner(lambda: Analyzer([]), batch_size=8, finish=finish)
    gate = threading.Event()
    futs = [runner.submit(lambda: (gate.wait(5), Article(id="0", text="first"))[1])]
    runner.start()
    futs += [runner.submit(lambda i=i: Article(id=str(i), text="bad" if i == 3 else f"good {i}")) for i in range(1, 8)]
    gate.set()
    try:
        outcomes = [f.exception(timeout=10) is None for f in futs]
    finally:
        runner.stop()
    assert outcomes == [True, True, True, False, True, True, True, True]


# -- 3: NUL in a title or outlet is refused by PostgreSQL ------------------------------

@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "c.db")
    url = os.environ.get("PROPSCAN_TEST_PG_URL")
    if not url:
        pytest.skip("PostgreSQL tests need PROPSCAN_TEST_PG_URL (a server to test against; .ci/run starts one)")
    from propscan.store.schema import metadata

    with Store(url, create=False) as s:
        metadata.drop_all(s.engine)
    return url


def test_d3_nul_in_title_and_outlet_is_stored_without_nul(tmp_path: Path, db_url: str, capsys) -> None:
    feed = tmp_path / "feed.jsonl"
    records = [{"id": f"n{i}", "title": "Bad\u0000title" if i == 1 else f"Title {i}", "outlet": "Out\u0000let",
                "text": f"Some words about the talks, officials said on Monday ({i})."} for i in range(5)]
    feed.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert main(["ingest", "-q", "--no-stories", str(feed), "--db", db_url]) == 0
    with Store(db_url) as s:
        total, rows = s.search(limit=10)
    assert total == 5 and all("\x00" not in r["title"] + r["outlet"] for r in rows)
    assert "Bad\ufffdtitle" in {r["title"] for r in rows}


# -- 4: a run killed while linking its last batch was never finished by a rerun -------

def test_d4_rerun_with_the_same_path_links_what_a_killed_run_left(tmp_path: Path, capsys) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps({"id": f"r{i}", "text": f"Report number {i} on the harbour works, "
                                        "officials said.", "outlet": "Daily"}) + "\n" for i in range(6)))
    db = tmp_path / "c.db"
    assert main(["ingest", "-q", "--no-stories", str(feed), "--db", str(db)]) == 0
    with sqlite3.connect(db) as conn:  # the state a kill during linking leaves: the last batch not linked
        for table in ("lsh_bands", "minhashes"):
            conn.execute(f"delete from {table} where article > 3")
        conn.execute("delete from duplicates where article > 3 or other > 3")
        conn.execute("update articles set dedup_done = 0, dup_of = null where id > 3")
    assert main(["ingest", "-q", "--no-stories", str(feed), "--db", str(db)]) == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from articles where dedup_done = 0").fetchone()[0] == 0


# -- 5: --max-bytes was not enforced for pipes and devices -----------------------------

def test_d5_max_bytes_holds_for_a_pipe(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(b"Title\n\n" + b"word " * 4000))
    writer.start()
    got = next(iter_articles([str(fifo)], max_bytes=1000))
    writer.join(timeout=5)
    assert isinstance(got, InputError) and got.kind == TOO_LARGE


# -- 6 and 18: cost bounded per input; queue bounded in bytes; cancelled; quick stop ---

def test_d6_a_long_article_is_cut_with_a_notice() -> None:
    text = "A long one\n\n" + "The talks went on late into the night, officials said.\n" * 4000
    got = Analyzer([])(Article(id="x", text=text))
    assert len(got.text) <= DEFAULT_MAX_CHARS < len(text) and got.text.endswith("said.")
    assert any("only its first" in n for n in got.notices)


def test_d6_bound_keeps_cleanup_edits_exact() -> None:
    from propscan.cleanup import clean_article

    raw = "Title\n\n" + "Advertisement\nThe talks went on late, officials said.\n" * 50
    art = bound(clean_article(Article(id="x", text=raw)), 500)
    assert len(art.text) <= 500 and art.edits
    assert raw.startswith(art.raw)


def test_d6_the_queue_is_bounded_in_bytes() -> None:
    runner = AnalysisRunner(lambda: Analyzer([]), max_pending=100, max_pending_bytes=1000)
    runner.submit(lambda: Article(id="a", text="a"), size=900)  # not started: it stays queued
    with pytest.raises(Busy, match="bytes"):
        runner.submit(lambda: Article(id="b", text="b"), size=200)
    runner.submit(lambda: Article(id="c", text="c"), size=50)
    assert runner.pending == 2 and runner.pending_bytes == 950


def test_d6_work_of_a_client_that_left_is_cancelled() -> None:
    ran: list[str] = []
    runner = AnalysisRunner(lambda: Analyzer([]))  # not started until the first submit

    async def scenario() -> None:
        gate = threading.Event()
        blocker = runner.submit(lambda: (gate.wait(5), Article(id="0", text="first"))[1])

        async def gone() -> bool:
            return True

        with pytest.raises(ClientGone):
            await runner.analyze(lambda: (ran.append("left"), Article(id="1", text="x"))[1], 10, gone)
        gate.set()
        await asyncio.wrap_future(blocker)

    try:
        asyncio.run(scenario())
        deadline = time.time() + 5
        while runner.pending and time.time() < deadline:
            time.sleep(0.02)
    finally:
        runner.stop()
    assert ran == [] and runner.pending == 0 and runner.pending_bytes == 0


def test_d6_stop_does_not_wait_for_a_long_batch() -> None:
    gate = threading.Event()
    runner = AnalysisRunner(lambda: Analyzer([]), batch_size=1)
    runner.submit(lambda: (gate.wait(30), Article(id="0", text="slow"))[1])
    queued = runner.submit(lambda: Article(id="1", text="queued"))
    time.sleep(0.1)
    t0 = time.monotonic()
    runner.stop(timeout=0.5)
    took = time.monotonic() - t0
    gate.set()
    assert isinstance(queued.exception(timeout=1), Busy)
    assert took < 5


# -- 7: UTF-16 with a byte-order mark was refused as binary ----------------------------

@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_d7_text_with_a_byte_order_mark_is_decoded(encoding: str, tmp_path: Path, client: TestClient) -> None:
    text = "Caf\u00e9 talks\n\nThe talks went on late into the night, officials said.\n"
    data = text.encode(encoding) if encoding in ("utf-16", "utf-32") else ("\ufeff" + text).encode(encoding)
    assert decode(data, "x") == text
    f = tmp_path / "a.txt"
    f.write_bytes(data)
    assert next(iter_articles([str(f)], clean=False)).text == text
    r = client.post("/api/analyze", files={"file": ("a.txt", data, "text/plain")})
    assert r.status_code == 200, r.text


# -- 8: an article's identity included the path as typed -------------------------------

def test_d8_the_same_files_named_three_ways_are_stored_once(tmp_path: Path, monkeypatch, capsys) -> None:
    folder = tmp_path / "in3"
    folder.mkdir()
    for i in range(3):
        (folder / f"a{i}.txt").write_text(f"Story {i}\n\nThe harbour works went on, officials said ({i}).\n")
    db = str(tmp_path / "c.db")
    monkeypatch.chdir(tmp_path)
    for path in ("in3", str(folder), "."):
        if path == ".":
            monkeypatch.chdir(folder)
        assert main(["ingest", "-q", "--no-stories", path, "--db", db]) == 0
    with Store(db) as s:
        assert s.count() == 3


# -- 9: integers over 2^63 gave 500; 500s had no security headers -----------------------

@pytest.mark.parametrize("url", ["/api/articles/99999999999999999999", "/articles/99999999999999999999",
                                 "/api/articles?story=99999999999999999999",
                                 "/api/articles?offset=99999999999999999999", "/articles?page=99999999999999999999",
                                 "/api/articles/3000000000"])
def test_d9_huge_integers_are_not_server_errors(client: TestClient, url: str) -> None:
    r = client.get(url)
    assert r.status_code in (200, 404, 422), (r.status_code, r.text[:200])


def test_d9_feedback_on_a_huge_article_id_is_not_a_server_error(client: TestClient) -> None:
    r = client.post("/api/feedback", json={"article_id": 2**70, "action": "add", "start": 0, "end": 3,
                                           "technique": "Loaded_Language"})
    assert r.status_code in (404, 422), r.text


def test_d9_a_server_error_carries_the_security_headers(tmp_path: Path) -> None:
    class Broken(Store):
        def get(self, id: int) -> None:  # type: ignore[override]
            raise RuntimeError("a bug")

    c, store = make_client(tmp_path, store=Broken(str(tmp_path / "b.db")))
    with c:
        r = c.get("/api/articles/1")
    assert r.status_code == 500 and "content-security-policy" in r.headers
    assert r.json()["error"]["status"] == 500


# -- 10: database faults printed SQLAlchemy tracebacks --------------------------------

def test_d10_a_read_only_store_is_one_line_on_the_cli_and_503_on_the_web(tmp_path: Path, capsys) -> None:
    db = tmp_path / "c.db"
    Store(str(db)).close()
    url = f"sqlite:///file:{db}?mode=ro&uri=true"
    f = tmp_path / "a.txt"
    f.write_text(TEXT)
    assert main(["ingest", "-q", "--no-stories", str(f), "--db", url]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "read-only" in err and "Traceback" not in err and "INSERT" not in err
    c, store = make_client(tmp_path, store=Store(url))
    with c:
        r = c.post("/api/analyze", json={"text": TEXT})
    assert r.status_code == 503 and "read-only" in r.json()["error"]["message"]
    assert not Path(f"file:{db}").parent.exists()  # the URI named a file: no folder "file:/..." was made here


def test_d10_a_full_or_locked_database_is_a_one_line_error(tmp_path: Path, monkeypatch) -> None:
    import sqlalchemy as sa

    from propscan.errors import STORE_FULL, STORE_LOCKED, StoreError

    db = tmp_path / "c.db"
    store = Store(str(db), settings=CoreSettings(db_busy_timeout_ms=100))
    big = Analysis(article=Article(id="big", text="word " * 200_000))
    store.engine.dispose()
    sa.event.listen(store.engine, "connect", lambda c, _r: c.execute("PRAGMA max_page_count=40"))
    with pytest.raises(StoreError) as full:
        store.add(big)
    assert full.value.kind == STORE_FULL and "\n" not in str(full.value)
    store.close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError) as locked:
            Store(str(db), settings=CoreSettings(db_busy_timeout_ms=100)).add(Analysis(article=Article(id="x", text=TEXT)))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert locked.value.kind == STORE_LOCKED and "\n" not in str(locked.value)
    assert Store(str(db)).count() == 0


def test_d10_a_database_that_went_away_is_one_line(tmp_path: Path, capsys) -> None:
    import shutil

    from propscan.errors import STORE_UNAVAILABLE, StoreError

    folder = tmp_path / "db"
    store = Store(str(folder / "c.db"))
    store.add(Analysis(article=Article(id="x", text=TEXT)))
    store.engine.dispose()
    shutil.rmtree(folder)  # the disk was unmounted, the file deleted
    with pytest.raises(StoreError) as gone:
        store.count()
    assert gone.value.kind == STORE_UNAVAILABLE and "\n" not in str(gone.value)
    pytest.importorskip("psycopg")
    f = tmp_path / "a.txt"
    f.write_text(TEXT)
    assert main(["ingest", "-q", str(f), "--db", "postgresql://nobody@127.0.0.1:9/none"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err and "nobody@127.0.0.1:9" in err


# -- 11: the Host header was never checked ---------------------------------------------

def test_d11_an_unknown_host_is_refused(tmp_path: Path) -> None:
    c, store = make_client(tmp_path, allowed_hosts=("localhost", "127.0.0.1"))
    with c:
        evil = {"Host": "evil.example", "Origin": "http://evil.example"}
        r = c.post("/api/analyze", json={"text": TEXT}, headers=evil)
        assert r.status_code == 400 and "content-security-policy" in r.headers
        assert c.get("/api/techniques", headers={"Host": "localhost:8000"}).status_code == 200
        assert c.get("/api/techniques", headers={"Host": "[::1]:8000"}).status_code == 400
    assert store.count() == 0


def test_d11_the_trailing_slash_redirect_does_not_name_the_host(client: TestClient) -> None:
    r = client.get("/api/techniques/", headers={"Host": "evil.example"}, follow_redirects=False)
    assert r.status_code in (307, 308)
    assert r.headers["location"] == "/api/techniques"


def test_d11_serve_defaults_to_the_bind_address_and_localhost() -> None:
    from propscan.web.settings import default_hosts

    assert set(default_hosts("192.0.2.7")) == {"localhost", "127.0.0.1", "::1", "192.0.2.7"}
    assert "0.0.0.0" not in default_hosts("0.0.0.0", ("news.example",))


# -- 12: a deeply nested JSON body gave 500 --------------------------------------------

@pytest.mark.parametrize("route", ["/api/analyze", "/api/feedback"])
def test_d12_a_deeply_nested_body_is_a_bad_request(client: TestClient, route: str) -> None:
    body = "[" * 100_000 + "]" * 100_000
    r = client.post(route, content=body, headers={"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500, r.text[:200]


# -- 13: broken links, link loops and unreadable folders were skipped silently --------

def test_d13_folder_problems_are_reported(tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "site"
    (root / "sub").mkdir(parents=True)
    (root / "ok.txt").write_text(TEXT)
    (root / "dangling.txt").symlink_to(root / "missing.txt")
    (root / "self.txt").symlink_to(root / "self.txt")
    (root / "sub" / "up").symlink_to(root)
    (root / "locked").mkdir()
    real = os.scandir

    def scandir(path: object = ".") -> object:
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    got = list(iter_articles([str(root)], clean=False))
    errors = {Path(e.source).name: e.problem for e in got if isinstance(e, InputError)}
    assert [a.id for a in got if not isinstance(a, InputError)] == ["ok"]
    assert errors["dangling.txt"].startswith("broken symbolic link")
    assert errors["self.txt"].startswith("symbolic link loop")
    assert errors["up"].startswith("symbolic link loop")
    assert errors["locked"].startswith("cannot read folder")
    assert all(e.kind == UNREADABLE for e in got if isinstance(e, InputError))


# -- 14: file names were printed raw ----------------------------------------------------

def test_d14_file_names_are_printed_on_one_safe_line(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "evil\nname\x1b[31m.txt"
    bad.write_bytes(b"")
    main(["analyze", str(bad)])
    err = capsys.readouterr().err
    named = [line for line in err.splitlines() if "evil" in line]
    assert named and all("name" in line for line in named) and "\x1b" not in err and "\\n" in err
    assert printable("a\u202eb") == "a\\u202eb"


# -- 17: text made only of control characters was accepted ----------------------------

def test_d17_control_characters_only_are_refused(client: TestClient) -> None:
    r = client.post("/api/analyze", json={"text": "\x01\x02\x03\x04\x05\x06\x07\x0b"})
    assert r.status_code in (400, 415), r.text
    with pytest.raises(InputError) as e:
        propscan.analyze("\x01\x02\x03\x04\x05")
    assert e.value.kind == BINARY


def test_safe_text_replaces_one_for_one() -> None:
    s = "a\x00b\ud800c\udfffd"
    assert safe_text(s) == "a\ufffdb\ufffdc\ufffdd" and len(safe_text(s)) == len(s)
    assert safe_text("plain") == "plain"


def test_d6_sigterm_stops_the_server_within_seconds_with_a_request_in_flight(tmp_path: Path) -> None:
    import signal
    import socket
    import subprocess
    import sys

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    env.pop("PROPSCAN_API_TOKEN", None)
    proc = subprocess.Popen([sys.executable, "-m", "propscan", "serve", "--port", str(port), "--db",
                             str(tmp_path / "s.db"), "--log-level", "warning"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        long_text = "A long one\n\n" + "".join(f"Talks on item {i} went on until {i % 12 + 1} at night, "
                                                f"officials said of point {i * 7}.\n" for i in range(5000))
        threading.Thread(target=lambda: httpx.post(f"{base}/api/analyze", json={"text": long_text}, timeout=300),
                         daemon=True).start()
        time.sleep(1.5)  # the request is queued or being analysed
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
        assert time.monotonic() - t0 < 15
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_d6_a_small_request_goes_before_queued_huge_ones() -> None:
    order: list[str] = []
    gate = threading.Event()
    runner = AnalysisRunner(lambda: Analyzer([]), batch_size=1)
    first = runner.submit(lambda: (gate.wait(5), Article(id="0", text="running"))[1], size=10)
    time.sleep(0.1)
    futs = [runner.submit(lambda i=i: (order.append(f"huge{i}"), Article(id=f"h{i}", text="huge"))[1],
                          size=4_900_000) for i in range(3)]
    futs.append(runner.submit(lambda: (order.append("small"), Article(id="s", text="small"))[1], size=500))
    gate.set()
    try:
        for f in [first, *futs]:
            f.result(timeout=10)
    finally:
        runner.stop()
    assert order == ["small", "huge0", "huge1", "huge2"]
