"""The web app's data side: analysed articles join stories and duplicate groups as they are stored; a pasted
link is fetched server-side within limits and never from the server's own network."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pytest

from propscan.document import Analysis, Article
from propscan.errors import InputError
from propscan.store import Store

pytest.importorskip("fastapi")
from propscan.web import service  # noqa: E402

PAGE = (b"<html><head><title>Harbour pier closes</title><meta property='og:site_name' content='Coastline Daily'>"
        b"</head><body><article><h1>Harbour pier closes</h1><p>" + b"The council voted to close the old pier. " * 8
        + b"</p><p>Engineers found cracks in the supports last week.</p></article></body></html>")


def test_web_analysed_articles_join_duplicates_and_stories_as_they_are_stored(tmp_path, monkeypatch):
    from propscan.corpus import stories

    def embed(ledes):  # one topic: every article is close to every other
        return np.tile(np.eye(1, 8, dtype=np.float32), (len(ledes), 1))

    monkeypatch.setattr(stories, "default_embedder", lambda _settings: type("E", (), {"embed": staticmethod(embed)})())
    text = "Floods hit the city\n\n" + "Heavy rain flooded hundreds of homes in the old town on Tuesday. " * 4
    with Store(str(tmp_path / "w.db")) as store:
        first = service.store_and_link(store, [Analysis(article=Article(id="a", text=text, source="<web>"))])
        later = service.store_and_link(store, [Analysis(article=Article(
            id="b", text=text + " Updated at noon.", source="<web>", meta={"outlet": "Herald"}))])
        a, b = first[0][0], later[0][0]
        assert store.info(b)["dup_of"] == a
        assert store.info(a)["story_id"] is not None and store.info(a)["story_id"] == store.info(b)["story_id"]


class _Pages(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        if self.path == "/big":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html><body><p>" + b"x" * 50_000 + b"</p></body></html>")
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args):
        pass


@pytest.fixture
def local_site():
    server = HTTPServer(("127.0.0.1", 0), _Pages)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    t.join(5)


def test_a_link_is_fetched_and_read_like_a_page(local_site):
    art = service.fetch_link(local_site + "/news/pier.html", allow_private=True)  # the test server is local
    assert art.title == "Harbour pier closes"
    assert art.meta["outlet"] == "Coastline Daily" and art.meta["outlet_source"] == "site_name"
    assert "Engineers found cracks" in art.text
    with pytest.raises(InputError, match="too large"):
        service.fetch_link(local_site + "/big", allow_private=True, max_bytes=10_000)


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/", "http://[::1]/", "http://10.1.2.3/admin",
                                 "http://169.254.169.254/latest/meta-data/", "http://192.168.0.1/",
                                 "http://localhost/"])
def test_links_to_the_servers_own_network_are_refused(url):
    with pytest.raises(InputError, match="non-public address"):
        service.fetch_link(url)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x", "javascript:alert(1)", "", "http://"])
def test_only_http_links(url):
    with pytest.raises(InputError, match="http"):
        service.fetch_link(url)


def test_a_redirect_into_the_private_network_is_refused(monkeypatch):
    import httpx

    from propscan.readers import fetch as fetcher

    def handler(request):
        if request.url.host == "news.example":
            return httpx.Response(302, headers={"Location": "http://10.0.0.5/admin"})
        return httpx.Response(200, html="<html><body><p>secret</p></body></html>")

    real = fetcher.make_client

    def offline_client(timeout, event_hooks=None):
        client = real(timeout, event_hooks)
        client._transport = httpx.MockTransport(handler)
        return client

    monkeypatch.setattr(fetcher, "make_client", offline_client)
    public = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 80))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: public)
    with pytest.raises(InputError, match="10.0.0.5"):
        service.fetch_link("http://news.example/story")
