"""The REST API: analyse, store, search, techniques, feedback, errors, limits, tokens; export-feedback."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from propscan.analyzer import Analyzer  # noqa: E402
from propscan.components import Base  # noqa: E402
from propscan.document import Analysis, Article, Profile, Span  # noqa: E402
from propscan.store import Store  # noqa: E402
from propscan.taxonomy import TECHNIQUES  # noqa: E402
from propscan.web import Settings, create_app  # noqa: E402
from propscan.web.runner import AnalysisRunner, Busy  # noqa: E402

ARTICLE = ("Ministers caught lying again\n\n"
           "The brutal regime keeps lying to its citizens.\n"
           "Only traitors would defend these traitors, the brutal ones.\n")


class KeywordTagger(Base):
    """A stand-in span tagger: marks fixed words, so tests know exactly which spans to expect."""

    name = "keywords"
    version = "test-1"
    WORDS = {"brutal": "Loaded_Language", "traitors": "Name_Calling-Labeling", "lying": "Loaded_Language"}

    def __call__(self, analysis: Analysis) -> Analysis:
        for m in re.finditer(r"\w+", analysis.text):
            tech = self.WORDS.get(m.group().lower())
            if tech:
                analysis.spans.append(Span(m.start(), m.end(), tech, 0.9, self.name, f"the word {m.group()!r}"))
        for p in analysis.paragraphs:
            p.techniques = sorted({s.technique for s in analysis.spans_in(p.start, p.end)})
        analysis.genre = {"opinion": 0.7, "reporting": 0.3}
        analysis.profile = Profile(score=10.0 * len(analysis.spans))
        return analysis

    @classmethod
    def create(cls) -> "KeywordTagger":
        return cls()


def make_app(tmp_path: Path, **settings) -> tuple[TestClient, Store]:
    store = Store(str(tmp_path / "web.db"))
    app = create_app(store=store, settings=Settings(**settings), analyzer_factory=lambda: Analyzer([KeywordTagger()]))
    return TestClient(app), store


@pytest.fixture
def client(tmp_path: Path):
    c, store = make_app(tmp_path, api_token=None)
    with c:
        yield c
    store.close()


@pytest.fixture
def app_store(tmp_path: Path):
    c, store = make_app(tmp_path, api_token=None)
    with c:
        yield c, store
    store.close()


def analyze(client: TestClient, text: str = ARTICLE, **extra) -> dict:
    r = client.post("/api/analyze", json={"text": text, **extra})
    assert r.status_code == 200, r.text
    return r.json()


# -- analyse and read back ------------------------------------------------------

def test_analyze_takes_min_confidence_and_refuses_one_out_of_range(client):
    kept = client.post("/api/analyze?min_confidence=0.5", json={"text": ARTICLE}).json()
    assert kept["decision"]["min_confidence"] == 0.5 and kept["spans"]  # the test spans score 0.9
    gone = client.post("/api/analyze?min_confidence=0.95", json={"text": ARTICLE}).json()
    assert gone["spans"] == [] and all(not p["techniques"] for p in gone["paragraphs"])
    r = client.post("/api/analyze?min_confidence=2", json={"text": ARTICLE})
    assert r.status_code == 422
    params = client.get("/openapi.json").json()["paths"]["/api/analyze"]["post"]["parameters"]
    assert "min_confidence" in {p["name"] for p in params}


def test_analyze_json_returns_the_cli_shape_with_an_id(client):
    got = analyze(client, outlet="example.org", date="2024-03-05")
    assert isinstance(got["id"], int)
    assert set(got) == {"id", "schema_version", "taxonomy", "article", "spans", "paragraphs", "genre", "frames",
                        "profile", "models", "notices", "decision", "undetected"}
    assert got["article"]["title"] == "Ministers caught lying again"
    assert got["article"]["meta"] == {"outlet": "example.org", "outlet_source": "web", "date": "2024-03-05"}
    assert [s["text"] for s in got["spans"]] == ["lying", "brutal", "lying", "traitors", "traitors", "brutal"]
    assert got["models"] == {"keywords": "test-1"}
    again = client.get(f"/api/articles/{got['id']}").json()
    assert again == got


def test_same_article_twice_is_stored_once(client):
    assert analyze(client)["id"] == analyze(client)["id"]
    assert client.get("/api/articles").json()["total"] == 1


def test_analyze_in_the_2020_view(client):
    got = client.post("/api/analyze?taxonomy=2020", json={"text": ARTICLE}).json()
    assert got["taxonomy"] == "2020"
    assert {s["technique"] for s in got["spans"]} == {"Loaded_Language", "Name_Calling,Labeling"}


def test_analyze_plain_text_body_and_txt_upload(client):
    r = client.post("/api/analyze", content=ARTICLE.encode(), headers={"Content-Type": "text/plain; charset=utf-8"})
    assert r.status_code == 200 and len(r.json()["spans"]) == 6
    r = client.post("/api/analyze", files={"file": ("piece.txt", ARTICLE.encode("utf-8"), "text/plain")},
                    data={"outlet": "upload.example"})
    assert r.status_code == 200, r.text
    assert r.json()["article"]["source"] == "piece.txt"
    assert r.json()["article"]["meta"]["outlet"] == "upload.example"


def test_latin1_upload_is_decoded(client):
    text = "Caf\u00e9 owners protest\n\nThe brutal tax hits every caf\u00e9 in town.\n"
    r = client.post("/api/analyze", files={"file": ("cafe.txt", text.encode("latin-1"), "text/plain")})
    assert r.status_code == 200, r.text
    assert "caf\u00e9" in r.json()["article"]["text"]


def test_html_input(client):
    page = ("<html><head><title>Regime news</title></head><body><nav>Home | About</nav><article>"
            "<h1>Regime news</h1><p>The brutal regime keeps lying to its citizens, say critics in the capital "
            "who have watched the government for years.</p><p>Only traitors would defend it, they add, "
            "and many agree with them across the country.</p></article></body></html>")
    try:
        import propscan.readers.html  # noqa: F401
    except ImportError:
        r = client.post("/api/analyze", json={"html": page})
        assert r.status_code == 415 and "readers.html" in r.json()["error"]["message"]
        return
    for r in (client.post("/api/analyze", json={"html": page}),
              client.post("/api/analyze", content=page.encode(), headers={"Content-Type": "text/html"}),
              client.post("/api/analyze", files={"file": ("page.html", page.encode(), "text/html")})):
        assert r.status_code == 200, r.text
        text = r.json()["article"]["text"]
        assert "brutal regime" in text and "<p>" not in text
        assert any(s["text"] == "brutal" for s in r.json()["spans"])


# -- errors ---------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, status, words", [
    ({"json": {"text": "   \n "}}, 400, "empty"),
    ({"content": b"{not json", "headers": {"Content-Type": "application/json"}}, 400, "JSON"),
    ({"json": {"title": "no text"}}, 422, "text"),
    ({"json": {"text": "a", "html": "<p>b</p>"}}, 422, "exactly one"),
    ({"json": ["a list"]}, 422, "object"),
    ({"json": {"text": 5}}, 422, "text"),
    ({"content": b"x", "headers": {"Content-Type": "application/pdf"}}, 415, "content type"),
    ({"content": b"x"}, 415, "content type"),
    ({"files": {"file": ("a.pdf", b"%PDF-1.4", "application/pdf")}}, 415, ".pdf"),
    ({"files": {"file": ("a.txt", b"\x00\x01\x02binary\x00" * 10, "text/plain")}}, 415, "binary"),
    ({"files": {"file": ("a.txt", b"", "text/plain")}}, 400, "empty"),
    ({"files": {"attachment": ("a.txt", b"abc", "text/plain")}}, 422, "field 'file'"),
    ({"data": {"text": "form-encoded"}}, 415, "content type"),
])
def test_bad_input_gets_a_clear_json_error(client, kwargs, status, words):
    r = client.post("/api/analyze", **kwargs)
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["status"] == status and words.lower() in err["message"].lower()


def test_too_large_is_413(tmp_path):
    c, store = make_app(tmp_path, max_upload_bytes=2000, api_token=None)
    with c:
        big = "Title\n\n" + "word " * 1000
        assert c.post("/api/analyze", json={"text": big}).status_code == 413
        r = c.post("/api/analyze", files={"file": ("big.txt", big.encode(), "text/plain")})
        assert r.status_code == 413 and "too large" in r.json()["error"]["message"]
        # a body far over the limit is refused before it is read
        r = c.post("/api/analyze", content=b"x" * 200_000, headers={"Content-Type": "text/plain"})
        assert r.status_code == 413
        assert c.post("/api/analyze", json={"text": "Title\n\nsmall brutal text"}).status_code == 200
    store.close()


def test_not_found_and_bad_ids(client):
    r = client.get("/api/articles/999")
    assert r.status_code == 404 and "999" in r.json()["error"]["message"]
    assert client.get("/api/articles/abc").status_code == 422
    assert client.get("/api/nothing").status_code == 404
    assert client.get("/api/outlets/nobody").status_code == 404


def test_security_headers(client):
    for path in ("/api/techniques", "/", "/api/articles/999"):
        h = client.get(path).headers
        assert "frame-ancestors 'none'" in h["content-security-policy"]
        assert "script-src 'self'" in h["content-security-policy"]
        assert "unsafe-inline" not in h["content-security-policy"].split("script-src")[1].split(";")[0]
        assert h["x-content-type-options"] == "nosniff"
        assert h["x-frame-options"] == "DENY"


def test_cross_origin_writes_are_refused(client):
    r = client.post("/api/analyze", json={"text": ARTICLE}, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    r = client.post("/api/analyze", json={"text": ARTICLE}, headers={"Origin": "http://testserver"})
    assert r.status_code == 200
    r = client.post("/api/analyze", json={"text": ARTICLE}, headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403


def test_api_token_guards_writes_only(tmp_path):
    c, store = make_app(tmp_path, api_token="s3cret-token")
    with c:
        r = c.post("/api/analyze", json={"text": ARTICLE})
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert c.post("/api/analyze", json={"text": ARTICLE},
                      headers={"Authorization": "Bearer wrong"}).status_code == 401
        ok = c.post("/api/analyze", json={"text": ARTICLE}, headers={"Authorization": "Bearer s3cret-token"})
        assert ok.status_code == 200
        aid = ok.json()["id"]
        assert c.get(f"/api/articles/{aid}").status_code == 200
        assert c.get("/api/articles").status_code == 200
        fb = {"article_id": aid, "action": "wrong", "start": 17, "end": 22, "technique": "Loaded_Language"}
        assert c.post("/api/feedback", json=fb).status_code == 401
        assert c.post("/api/feedback", json=fb, headers={"Authorization": "Bearer s3cret-token"}).status_code == 201
    store.close()


def test_the_token_comes_from_the_environment_only_through_serve(monkeypatch):
    import argparse

    from propscan.cli import serve

    monkeypatch.setenv("PROPSCAN_API_TOKEN", "from-env")
    assert Settings().api_token is None  # the library reads no environment variable
    got: dict = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: got.setdefault("settings", app.state.settings))
    parser = argparse.ArgumentParser()
    serve.register(parser.add_subparsers())
    args = parser.parse_args(["serve", "--db", ":memory:"])
    from propscan.runtime.settings import Settings as CoreSettings

    args.settings = CoreSettings()
    serve.run(args)
    assert got["settings"].api_token == "from-env"


# -- browsing ---------------------------------------------------------------------

def _seed(client: TestClient) -> dict[str, int]:
    ids = {}
    ids["a"] = analyze(client, "Brutal times\n\nThe brutal winter came early.\n", outlet="north.example",
                       date="2024-01-10")["id"]
    ids["b"] = analyze(client, "Traitors everywhere\n\nThey call them traitors.\n", outlet="north.example",
                       date="2024-02-11")["id"]
    ids["c"] = analyze(client, "Quiet report\n\nThe council met on Tuesday.\n", outlet="south.example",
                       date="2023-12-01")["id"]
    return ids


def test_search_filters_and_paging(client):
    ids = _seed(client)

    def found(**params):
        r = client.get("/api/articles", params=params)
        assert r.status_code == 200, r.text
        return [row["id"] for row in r.json()["items"]]

    assert sorted(found()) == sorted(ids.values())
    assert sorted(found(outlet="north.example")) == sorted([ids["a"], ids["b"]])
    assert found(technique="Name_Calling-Labeling") == [ids["b"]]
    assert found(technique="Name_Calling,Labeling") == [ids["b"]]  # the 2020 name works too
    assert sorted(found(date_from="2024-01-01")) == sorted([ids["a"], ids["b"]])
    assert found(date_to="2023-12-31") == [ids["c"]]
    assert found(q="council") == [ids["c"]]
    assert len(found(genre="opinion")) == 3 and found(genre="satire") == []
    assert len(found(language="en")) == 3
    page = client.get("/api/articles", params={"limit": 2, "offset": 2}).json()
    assert page["total"] == 3 and len(page["items"]) == 1 and page["offset"] == 2
    row = client.get("/api/articles", params={"q": "winter"}).json()["items"][0]
    assert {"id", "title", "outlet", "date", "language", "genre", "n_spans", "score"} <= set(row)
    assert row["date"] == "2024-01-10"


@pytest.mark.parametrize("params, words", [
    ({"date_from": "yesterday"}, "date_from"),
    ({"date_from": "2024-02-01", "date_to": "2024-01-01"}, "after"),
    ({"technique": "Mind_Control"}, "unknown technique"),
    ({"limit": 0}, "limit"),
    ({"offset": -1}, "offset"),
])
def test_bad_filters_are_422(client, params, words):
    r = client.get("/api/articles", params=params)
    assert r.status_code == 422 and words in r.json()["error"]["message"]


def test_outlets_and_profile(client):
    _seed(client)
    outlets = {o["outlet"]: o for o in client.get("/api/outlets").json()}
    assert outlets["north.example"]["n_articles"] == 2
    prof = client.get("/api/outlets/north.example").json()
    assert prof["n_articles"] == 2
    assert [m["month"] for m in prof["months"]] == ["2024-01", "2024-02"]


def test_techniques_endpoint():
    from propscan.web.api import techniques_payload

    payload = techniques_payload()
    assert len(payload["techniques"]) == len(TECHNIQUES) == 23
    assert len(payload["categories"]) == 6
    for t in payload["techniques"]:
        assert t["definition"] and t["category"] and re.fullmatch(r"#[0-9a-f]{6}", t["colour"])


def test_openapi_and_offline_docs(client):
    spec = client.get("/openapi.json").json()
    for path in ("/api/analyze", "/api/articles", "/api/articles/{article_id}", "/api/techniques", "/api/feedback"):
        assert path in spec["paths"]
    assert "multipart/form-data" in spec["paths"]["/api/analyze"]["post"]["requestBody"]["content"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/api/feedback" in docs.text
    assert not re.search(r"""(src|href)=["']https?://""", docs.text)  # nothing from a CDN
    assert "<script>" not in docs.text  # no inline script: the CSP forbids it
    if 'src="/docs/assets/swagger-ui-bundle.js"' in docs.text:
        assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/docs/assets/..%2F..%2Fsetup.py").status_code == 404


# -- feedback ---------------------------------------------------------------------

def test_feedback_is_stored_with_the_model_version(app_store):
    client, store = app_store
    got = analyze(client)
    aid, text = got["id"], got["article"]["text"]
    brutal = next(s for s in got["spans"] if s["text"] == "brutal")
    traitor = next(s for s in got["spans"] if s["text"] == "traitors")
    start = text.index("keeps lying")
    r1 = client.post("/api/feedback", json={"article_id": aid, "action": "wrong", "start": brutal["start"],
                                            "end": brutal["end"], "technique": "Loaded_Language"})
    r2 = client.post("/api/feedback", json={"article_id": aid, "action": "relabel", "start": traitor["start"],
                                            "end": traitor["end"], "technique": "Name_Calling-Labeling",
                                            "new_technique": "Loaded_Language", "note": "just an insult"})
    r3 = client.post("/api/feedback", json={"article_id": aid, "action": "add", "start": start,
                                            "end": start + len("keeps lying"), "technique": "Repetition"})
    for r in (r1, r2, r3):
        assert r.status_code == 201, r.text
        assert r.json()["model_version"] == "keywords=test-1"
    assert r3.json()["text"] == "keeps lying"
    rows = store.feedback()
    assert [(x["action"], x["technique"], x["new_technique"]) for x in rows] == [
        ("reject", "Loaded_Language", None),
        ("relabel", "Name_Calling-Labeling", "Loaded_Language"),
        ("add", "Repetition", None)]
    assert all(x["model_version"] == "keywords=test-1" for x in rows)
    assert rows[1]["note"] == "just an insult"


@pytest.mark.parametrize("change, status, words", [
    ({"action": "delete"}, 422, "action"),
    ({"start": 5, "end": 5}, 422, "start"),
    ({"end": 10_000}, 422, "length"),
    ({"technique": "Mind_Control"}, 422, "unknown technique"),
    ({"start": 0, "end": 3}, 422, "no model span"),
    ({"action": "relabel", "new_technique": None}, 422, "new_technique"),
    ({"action": "relabel", "new_technique": "Loaded_Language"}, 422, "same"),
    ({"action": "add", "technique": None}, 422, "technique"),
    ({"article_id": 4242}, 404, "4242"),
    ({"start": "x"}, 422, "start"),
])
def test_bad_feedback(client, change, status, words):
    got = analyze(client)
    brutal = next(s for s in got["spans"] if s["text"] == "brutal")
    body = {"article_id": got["id"], "action": "wrong", "start": brutal["start"], "end": brutal["end"],
            "technique": "Loaded_Language", **change}
    r = client.post("/api/feedback", json=body)
    assert r.status_code == status, r.text
    assert words in r.json()["error"]["message"]


def test_export_feedback_errors(tmp_path, capsys):
    from propscan.cli import main

    assert main(["export-feedback", "--db", str(tmp_path / "missing.db"), "-o", str(tmp_path / "o")]) == 2
    assert "no such database" in capsys.readouterr().err


# -- the analysis queue ----------------------------------------------------------

class SlowAnalyzer:
    versions = {"slow": "1"}

    def __init__(self) -> None:
        self.batches: list[int] = []
        self.gate = threading.Event()

    def run_batch(self, articles):
        self.gate.wait(5)
        arts = list(articles)
        self.batches.append(len(arts))
        if any("boom" in a.text for a in arts):
            raise RuntimeError("model failure")
        return [Analysis(article=a) for a in arts]


def test_runner_batches_bounds_and_isolates_failures():
    from propscan.web.inputs import from_text

    slow = SlowAnalyzer()
    runner = AnalysisRunner(lambda: slow, workers=1, batch_size=4, max_pending=6)
    runner.start()
    try:
        futs = [runner.submit(lambda i=i: from_text(f"T{i}\n\nbody {i}")) for i in range(5)]
        futs.append(runner.submit(lambda: from_text("T\n\nboom")))
        with pytest.raises(Busy):
            runner.submit(lambda: from_text("one too many"))
        slow.gate.set()
        results = [f.exception(timeout=10) or f.result() for f in futs]
        assert all(isinstance(r, Analysis) for r in results[:5])
        assert isinstance(results[5], RuntimeError)
        assert max(slow.batches) > 1  # queued requests shared a batch
        bad = runner.submit(lambda: from_text("   "))
        assert "empty" in str(bad.exception(timeout=10))
        deadline = time.time() + 5
        while runner.pending and time.time() < deadline:
            time.sleep(0.01)
        assert runner.pending == 0
    finally:
        runner.stop()


class BatchRecorder(Base):
    """A component that notes the size of every batch it is handed."""

    name = "recorder"
    version = "1"

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def __call__(self, analysis: Analysis) -> Analysis:
        return next(iter(self.pipe([analysis])))

    def pipe(self, analyses):
        analyses = list(analyses)
        self.sizes.append(len(analyses))
        return analyses


def test_a_queued_batch_reaches_the_components_whole():
    """Eight requests queued together are one batch of 8 for the components, not recut as 1, 2, 4, 1."""
    from propscan.web.inputs import from_text

    recorder = BatchRecorder()
    started, gate = threading.Event(), threading.Event()

    def hold() -> Article:
        started.set()
        gate.wait(5)
        return from_text("T\n\nfirst")

    runner = AnalysisRunner(lambda: Analyzer([recorder]), workers=1, batch_size=8)
    runner.start()
    try:
        first = runner.submit(hold)
        assert started.wait(5)  # the worker holds the first job; the next eight queue behind it
        futs = [runner.submit(lambda i=i: from_text(f"T{i}\n\nbody {i}")) for i in range(8)]
        gate.set()
        assert isinstance(first.result(timeout=10), Analysis)
        assert all(isinstance(f.result(timeout=10), Analysis) for f in futs)
        assert recorder.sizes == [1, 8]
    finally:
        runner.stop()


def test_a_failing_article_fails_alone_in_the_web_queue():
    from propscan.web.inputs import from_text

    slow = SlowAnalyzer()
    slow.gate.set()
    runner = AnalysisRunner(lambda: slow, workers=1, batch_size=4)
    runner.start()
    try:
        futs = [runner.submit(lambda t=t: from_text(f"T\n\n{t}")) for t in ("fine", "boom", "also fine")]
        got = [f.exception(timeout=10) or f.result() for f in futs]
        assert isinstance(got[0], Analysis) and isinstance(got[2], Analysis)
        assert isinstance(got[1], RuntimeError) and "model failure" in str(got[1])
    finally:
        runner.stop()


def test_cli_parser_does_not_import_the_web_stack():
    code = ("import sys, propscan.cli as c; c.build_parser(); "
            "bad = [m for m in ('fastapi', 'uvicorn', 'starlette', 'sqlalchemy', 'jinja2') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_serve_options():
    from propscan.cli import build_parser

    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port, args.db, args.max_upload) == ("127.0.0.1", 8000, None, 5_000_000)
    args = build_parser().parse_args(["serve", "--db", "postgresql://u@h/db", "--port", "9000"])
    assert args.db == "postgresql://u@h/db" and args.port == 9000


def test_a_missing_model_is_503_not_a_traceback(tmp_path):
    from propscan.errors import ModelError

    def broken():
        raise ModelError("tagger.onnx: missing")

    store = Store(str(tmp_path / "m.db"))
    with TestClient(create_app(store=store, settings=Settings(api_token=None), analyzer_factory=broken)) as c:
        r = c.post("/api/analyze", json={"text": ARTICLE})
        assert r.status_code == 503 and "tagger.onnx" in r.json()["error"]["message"]
    store.close()


def test_runner_hands_store_failures_to_the_requests():
    from propscan.web.inputs import from_text

    def finish(analyses):
        raise RuntimeError("database is locked")

    runner = AnalysisRunner(lambda: Analyzer([KeywordTagger()]), batch_size=4, finish=finish)
    runner.start()
    try:
        futs = [runner.submit(lambda i=i: from_text(f"T{i}\n\nbrutal {i}")) for i in range(3)]
        assert all("database is locked" in str(f.exception(timeout=10)) for f in futs)
    finally:
        runner.stop()


def test_runner_stop_refuses_what_is_still_queued():
    from propscan.web.inputs import from_text

    slow = SlowAnalyzer()
    runner = AnalysisRunner(lambda: slow, workers=1, batch_size=1)
    runner.start()
    first = runner.submit(lambda: from_text("T\n\nfirst"))
    time.sleep(0.2)  # the worker holds the first job, waiting at the gate
    queued = [runner.submit(lambda i=i: from_text(f"T\n\nqueued {i}")) for i in range(3)]
    stopper = threading.Thread(target=runner.stop)
    stopper.start()
    time.sleep(0.2)
    slow.gate.set()
    stopper.join(10)
    assert isinstance(first.result(timeout=5), Analysis)
    assert all(isinstance(f.exception(timeout=5), Busy) for f in queued)
    assert runner.pending == 0


def test_default_pipeline_end_to_end(tmp_path):
    """The real analyzer behind the API: an uploaded example article comes back analysed and stored."""
    example = Path(__file__).resolve().parents[1] / "examples" / "article1002.txt"
    if not example.exists():
        pytest.skip("examples/article1002.txt not present")
    from propscan.analyzer import default_analyzer

    store = Store(str(tmp_path / "real.db"))
    with TestClient(create_app(store=store, settings=Settings(api_token=None))) as c:
        r = c.post("/api/analyze", files={"file": (example.name, example.read_bytes(), "text/plain")})
        assert r.status_code == 200, r.text
        got = r.json()
        assert got["models"] == default_analyzer().versions
        assert got["article"]["text"].strip() and len(got["paragraphs"]) > 3
        assert c.get(f"/api/articles/{got['id']}").json() == got
        page = c.get(f"/articles/{got['id']}")
        assert page.status_code == 200 and 'class="ps-article"' in page.text
    store.close()
