"""``--fetch``: real HTTP against a local server on 127.0.0.1 only (no outside network)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest

from propscan.cli import main
from propscan.errors import InputError
from propscan.readers.fetch import USER_AGENT, fetch, iter_fetched, url_id

FIXTURES = Path(__file__).parent / "fixtures"
PAGE = (FIXTURES / "crawl_page.html").read_bytes()
PLAIN = (FIXTURES / "crawl_captions.txt").read_bytes()
LEGACY = ("<html><head><title>Caf\u00e9 owners protest</title></head><body><article><h1>Caf\u00e9 owners protest</h1>"
          "<p>Owners of caf\u00e9s in the old town gathered in front of the town hall on Monday to protest against "
          "the new rules on terraces.</p><p>A vote on amendments is planned for next month, after a public "
          "consultation.</p></article></body></html>").encode("iso-8859-1")


class Handler(BaseHTTPRequestHandler):
    user_agents: list[str] = []

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def _send(self, status: int, ctype: str, body: bytes, length: bool = True) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        Handler.user_agents.append(self.headers.get("User-Agent", ""))
        path = self.path
        if path == "/news/harbour-pier.html":
            self._send(200, "text/html; charset=utf-8", PAGE)
        elif path == "/plain":
            self._send(200, "text/plain; charset=utf-8", PLAIN)
        elif path == "/legacy":
            self._send(200, "text/html; charset=iso-8859-1", LEGACY)
        elif path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/news/harbour-pier.html")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/image.png":
            self._send(200, "image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
        elif path == "/huge-declared":
            self._send(200, "text/html", b"<p>x</p>" * 20_000)
        elif path == "/huge-streamed":
            # no Content-Length: the client must count and stop by itself
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for _ in range(2_000):
                    self.wfile.write(b"<p>" + b"word " * 200 + b"</p>")
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif path == "/slow":
            time.sleep(2.0)
            self._send(200, "text/html", PAGE)
        else:
            self._send(404, "text/html", b"<h1>Not Found</h1>")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_fetches_a_page_with_metadata_and_a_polite_user_agent(server: str) -> None:
    art = fetch(f"{server}/news/harbour-pier.html")
    assert art.title == "Harbour council closes the old ferry pier"
    assert "cracks in three of its supporting columns" in art.text
    assert "uses cookies" not in art.text
    assert art.meta["author"] == "Mara Ellison"
    assert art.meta["fetched"]
    assert art.id == "harbour-pier"
    assert Handler.user_agents[-1] == USER_AGENT and USER_AGENT.startswith("propscan/")


def test_redirect_is_followed_and_final_url_kept(server: str) -> None:
    art = fetch(f"{server}/moved")
    assert "ferry pier" in art.title
    assert art.source == f"{server}/moved"


def test_plain_text_and_declared_charset(server: str) -> None:
    plain = fetch(f"{server}/plain")
    assert plain.title == "Bridge reopens after repairs"
    assert plain.meta["url"] == f"{server}/plain"
    legacy = fetch(f"{server}/legacy")
    assert legacy.title == "Café owners protest"


@pytest.mark.parametrize("path, problem", [
    ("/image.png", "not a web page or text (Content-Type: image/png)"),
    ("/missing", "HTTP 404"),
    ("/huge-declared", "too large"),
    ("/huge-streamed", "too large"),
    ("/loop", "redirects"),
])
def test_refusals_are_one_line_errors(server: str, path: str, problem: str) -> None:
    with pytest.raises(InputError) as err:
        fetch(f"{server}{path}", max_bytes=100_000)
    assert problem in str(err.value)
    assert "\n" not in str(err.value)


def test_timeout(server: str) -> None:
    with pytest.raises(InputError, match="timed out"):
        fetch(f"{server}/slow", timeout=0.3)


def test_bad_urls() -> None:
    with pytest.raises(InputError, match="not an http"):
        fetch("ftp://example.com/file.txt")
    with pytest.raises(InputError, match="not an http"):
        fetch("news/page.html")


def test_connection_refused() -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(InputError, match="cannot fetch"):
        fetch(f"http://127.0.0.1:{port}/x", timeout=2)


def test_iter_fetched_cleans_and_carries_on(server: str) -> None:
    got = list(iter_fetched([f"{server}/missing", f"{server}/plain"]))
    assert isinstance(got[0], InputError)
    art = got[1]
    assert not isinstance(art, InputError)
    assert "(Photo:" not in art.text and art.edits  # cleaned by default
    raw = list(iter_fetched([f"{server}/plain"], clean=False))[0]
    assert not isinstance(raw, InputError) and "(Photo:" in raw.text


def test_url_ids() -> None:
    assert url_id("https://example.com/2019/06/harbour-pier.html") == "harbour-pier"
    assert url_id("https://example.com/") == "example.com"
    assert url_id("https://example.com/a?b=c") == "a"


def test_cli_fetch(server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.jsonl"
    code = main(["analyze", "--fetch", f"{server}/news/harbour-pier.html", f"{server}/missing",
                 "-f", "jsonl", "-o", str(out), "-q"])
    assert code == 1  # one URL failed
    assert "HTTP 404" in capsys.readouterr().err
    [line] = out.read_text(encoding="utf-8").splitlines()
    article = json.loads(line)["article"]
    assert article["title"] == "Harbour council closes the old ferry pier"
    assert article["meta"]["outlet"] == "Coastline Daily"


def test_cli_needs_a_path_or_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze"]) == 2
    assert "--fetch URL" in capsys.readouterr().err


def test_iter_fetched_cuts_before_cleaning(server: str) -> None:
    """A fetched page is bounded like a file (``readers.prepared``): cut to ``max_chars`` first, then cleaned."""
    from propscan.readers.bound import TRUNCATED

    whole = list(iter_fetched([f"{server}/plain"], clean=False))[0]
    cut = list(iter_fetched([f"{server}/plain"], clean=False, max_chars=120))[0]
    assert not isinstance(whole, InputError) and not isinstance(cut, InputError)
    assert len(whole.text) > 120 and len(cut.text) <= 120 and whole.text.startswith(cut.text.rstrip())
    assert cut.meta.get(TRUNCATED)
