"""The server-rendered pages: analyze form, article page, corpus search, outlets, CSRF, escaping, charts."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from propscan.analyzer import Analyzer  # noqa: E402
from propscan.store import Store  # noqa: E402
from propscan.web import Settings, create_app  # noqa: E402
from propscan.web.chart import Series, line_chart, profile_charts  # noqa: E402

from test_web_api import ARTICLE, KeywordTagger  # noqa: E402

HOSTILE = ('Hostile <script>window.pwned=1</script> title\n\n'
           'The brutal <img src=x onerror="window.pwned=2"> regime & its "friends".\n'
           '</script><script>window.pwned=3</script> traitors.\n')


@pytest.fixture
def env(tmp_path: Path):
    store = Store(str(tmp_path / "pages.db"))
    app = create_app(store=store, settings=Settings(api_token=None),
                     analyzer_factory=lambda: Analyzer([KeywordTagger()]))
    with TestClient(app) as client:
        yield client, store
    store.close()


def csrf_of(page: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', page)
    assert m, "no CSRF field on the page"
    return m.group(1)


def submit(client: TestClient, text: str = ARTICLE, **fields) -> str:
    """Post the analyze form like a browser; returns the article page's URL."""
    token = csrf_of(client.get("/").text)
    r = client.post("/analyze", data={"csrf": token, "text": text, **fields}, files={"file": ("", b"")},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.headers["location"]


def test_home_has_a_csrf_protected_form(env):
    client, _ = env
    r = client.get("/")
    assert r.status_code == 200
    assert 'enctype="multipart/form-data"' in r.text and 'name="file"' in r.text and 'name="text"' in r.text
    cookie = r.headers["set-cookie"].lower()
    assert "propscan_csrf=" in cookie and "samesite=strict" in cookie and "httponly" in cookie
    assert csrf_of(r.text) == client.cookies["propscan_csrf"]
    # the token stays the same for the visit
    assert csrf_of(client.get("/").text) == csrf_of(r.text)
    assert "<script>" not in r.text  # no inline script anywhere


def test_analyze_form_stores_and_redirects_to_the_article(env):
    client, store = env
    url = submit(client, outlet="paper.example", date="2024-05-01")
    assert re.fullmatch(r"/articles/\d+", url)
    page = client.get(url)
    assert page.status_code == 200
    assert 'class="ps-article"' in page.text and "mark class=\"ps-seg" in page.text
    assert 'href="/assets/report.css"' in page.text and 'src="/assets/report.js"' in page.text
    assert "paper.example" in page.text and "2024-05-01" in page.text
    assert store.count() == 1


def test_forms_refuse_missing_or_foreign_csrf(env):
    client, store = env
    client.get("/")
    assert client.post("/analyze", data={"text": ARTICLE}, files={"file": ("", b"")}).status_code == 403
    assert client.post("/analyze", data={"text": ARTICLE, "csrf": "x" * 43},
                       files={"file": ("", b"")}).status_code == 403
    token = csrf_of(client.get("/").text)
    r = client.post("/analyze", data={"text": ARTICLE, "csrf": token}, files={"file": ("", b"")},
                    headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    assert store.count() == 0


def test_form_upload_and_input_errors(env):
    client, _ = env
    token = csrf_of(client.get("/").text)
    r = client.post("/analyze", data={"csrf": token}, files={"file": ("a.txt", ARTICLE.encode(), "text/plain")},
                    follow_redirects=False)
    assert r.status_code == 303
    r = client.post("/analyze", data={"csrf": token},
                    files={"file": ("a.exe", b"MZ\x00\x00", "application/x-msdownload")},
                    headers={"Accept": "text/html"})
    assert r.status_code == 415 and "unsupported file type" in r.text and 'name="csrf"' in r.text
    r = client.post("/analyze", data={"csrf": token, "text": "  "}, files={"file": ("", b"")},
                    headers={"Accept": "text/html"})
    assert r.status_code == 400 and "paste an article" in r.text


def test_form_size_limit(tmp_path):
    store = Store(str(tmp_path / "s.db"))
    app = create_app(store=store, settings=Settings(api_token=None, max_upload_bytes=1000),
                     analyzer_factory=lambda: Analyzer([KeywordTagger()]))
    with TestClient(app) as client:
        token = csrf_of(client.get("/").text)
        r = client.post("/analyze", data={"csrf": token, "text": "T\n\n" + "x " * 800}, files={"file": ("", b"")})
        assert r.status_code == 413 and "too large" in r.text
    store.close()


def test_article_text_is_escaped(env):
    client, _ = env
    page = client.get(submit(client, HOSTILE, outlet="<b>bold</b> news")).text
    assert "window.pwned" in page  # the text is shown...
    body = page.split('<div id="article-body"', 1)[1].split('<section id="feedback"', 1)[0]
    # ...but never as markup: the only <script> is the JSON data block, and no tag from the article survives
    assert re.findall(r"<script\b[^>]*>", body) == ['<script type="application/json" class="ps-data">']
    assert "<img" not in page and "<b>bold</b>" not in page
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in page
    data = body.split('class="ps-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data  # the JSON cannot close its script element
    assert "&lt;b&gt;bold&lt;/b&gt; news" in page


def test_feedback_forms(env):
    client, store = env
    url = submit(client)
    aid = int(url.rsplit("/", 1)[1])
    page = client.get(url).text
    token = csrf_of(page)
    options = re.findall(r'<option value="(\d+)">#\d+ ([^:]+): “([^”]*)”', page)
    assert [o[2] for o in options][:2] == ["lying", "brutal"]
    # mark the first "brutal" wrong
    r = client.post(f"{url}/feedback", data={"csrf": token, "action": "wrong", "span": "1"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(f"{url}?fb=")
    assert "correction #1 recorded" in client.get(r.headers["location"]).text
    # relabel a "traitors" span
    r = client.post(f"{url}/feedback", data={"csrf": token, "action": "relabel", "span": "3",
                                             "new_technique": "Loaded_Language"}, follow_redirects=False)
    assert r.status_code == 303
    # add a missed passage given as a selection, with spacing that differs from the text and a position hint
    r = client.post(f"{url}/feedback", data={"csrf": token, "action": "add", "quote": "brutal\n  ones",
                                             "technique": "Exaggeration-Minimisation", "line": "4", "pos": "45"},
                    follow_redirects=False)
    assert r.status_code == 303
    rows = store.feedback()
    text = store.get(aid).text
    assert [(x["action"], x["technique"], x["new_technique"]) for x in rows] == [
        ("reject", "Loaded_Language", None), ("relabel", "Name_Calling-Labeling", "Loaded_Language"),
        ("add", "Exaggeration-Minimisation", None)]
    assert text[rows[2]["start"]:rows[2]["end"]] == "brutal ones"
    assert rows[0]["model_version"] == "keywords=test-1"
    # errors are shown on the page, nothing stored
    r = client.post(f"{url}/feedback", data={"csrf": token, "action": "add", "quote": "not in the article",
                                             "technique": "Slogans"}, headers={"Accept": "text/html"})
    assert r.status_code == 422 and "appears in the article" in r.text
    r = client.post(f"{url}/feedback", data={"csrf": "bad", "action": "wrong", "span": "0"})
    assert r.status_code == 403
    r = client.post(f"{url}/feedback", data={"csrf": token, "action": "wrong", "span": "99"})
    assert r.status_code == 422
    assert len(store.feedback()) == 3


def test_article_offsets_prefers_the_hinted_occurrence():
    from propscan.web.service import article_offsets

    text = "the cat sat.\nthe cat ran."
    assert article_offsets(text, "the cat") == (0, 7)
    assert article_offsets(text, "the  cat", hint=14) == (13, 20)
    assert article_offsets(text, "sat. the", hint=None) == (8, 16)
    assert article_offsets(text, "dog") is None and article_offsets(text, "  ") is None


def test_token_protected_forms(tmp_path):
    store = Store(str(tmp_path / "t.db"))
    app = create_app(store=store, settings=Settings(api_token="tok"),
                     analyzer_factory=lambda: Analyzer([KeywordTagger()]))
    with TestClient(app) as client:
        page = client.get("/").text
        assert 'name="token"' in page
        token = csrf_of(page)
        r = client.post("/analyze", data={"csrf": token, "text": ARTICLE}, files={"file": ("", b"")})
        assert r.status_code == 401
        r = client.post("/analyze", data={"csrf": token, "text": ARTICLE, "token": "tok"}, files={"file": ("", b"")},
                        follow_redirects=False)
        assert r.status_code == 303
    store.close()


def test_corpus_page_filters_and_pages(env):
    client, _ = env
    for i in range(30):
        submit(client, f"Story {i}\n\nThe brutal news number {i}.\n", outlet="many.example",
               date=f"2024-{1 + i % 12:02d}-01")
    submit(client, "Traitor story\n\nSome traitors again.\n", outlet="other.example", date="2023-06-01")
    page = client.get("/articles").text
    assert "31 articles" in page and 'rel="next"' in page and "page 1 of 2" in page
    page2 = client.get("/articles?page=2").text
    assert 'rel="prev"' in page2 and len(re.findall(r'<a href="/articles/\d+">', page2)) == 6
    one = client.get("/articles", params={"technique": "Name_Calling-Labeling"}).text
    assert "1 article" in one and "Traitor story" in one
    assert 'value="Name_Calling-Labeling" selected' in one
    assert "1 article" in client.get("/articles", params={"outlet": "other.example"}).text
    assert "1 article" in client.get("/articles", params={"date_to": "2023-12-31"}).text
    assert "1 article" in client.get("/articles", params={"q": "number 17"}).text
    bad = client.get("/articles", params={"date_from": "soon"})
    assert bad.status_code == 400 and "not a date" in bad.text
    nxt = re.search(r'href="([^"]+)" rel="next"', client.get("/articles", params={"outlet": "many.example"}).text)
    assert nxt and "outlet=many.example" in html.unescape(nxt.group(1))


def test_outlet_pages_chart_the_profile(env):
    client, _ = env
    submit(client, "One\n\nThe brutal start.\n", outlet="chart.example", date="2024-01-03")
    submit(client, "Two\n\nTraitors, brutal traitors.\n", outlet="chart.example", date="2024-02-03")
    submit(client, "Three\n\nA calm report.\n", outlet="chart.example", date="2024-03-03")
    listing = client.get("/outlets").text
    assert 'href="/outlets/chart.example"' in listing
    page = client.get("/outlets/chart.example")
    assert page.status_code == 200
    svgs = re.findall(r"<svg\b.*?</svg>", page.text, flags=re.S)
    assert len(svgs) == 2
    assert "2024-01" in svgs[0] and "2024-03" in svgs[0] and "Manipulative wording" in svgs[0]
    assert "Loaded language" in svgs[1]
    assert "Loaded language, 2024-02: 100%" in svgs[1]
    assert client.get("/outlets/nobody.example", headers={"Accept": "text/html"}).status_code == 404


def test_html_error_pages(env):
    client, _ = env
    r = client.get("/articles/12345", headers={"Accept": "text/html"})
    assert r.status_code == 404 and "<h1>404</h1>" in r.text and "12345" in r.text
    r = client.get("/nope/<script>", headers={"Accept": "text/html"})
    assert r.status_code == 404 and "<script>" not in r.text


def test_report_assets_and_static_files(env):
    client, _ = env
    css = client.get("/assets/report.css")
    js = client.get("/assets/report.js")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css") and ".ps-article" in css.text
    assert js.status_code == 200 and "javascript" in js.headers["content-type"] and "propscanReport" in js.text
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/static/%2e%2e/app.py").status_code == 404


def test_line_chart_escapes_and_handles_gaps():
    svg = line_chart(["2024-01", "2024-02", "2024-03"],
                     [Series("<evil>", "#123456", [0.2, None, 0.5]), Series("ok", "#abcdef", [0.1, 0.1, 0.1], "6 3")],
                     title="A & B")
    assert "<evil>" not in svg and "&lt;evil&gt;" in svg and "A &amp; B" in svg
    assert svg.count("<polyline") == 1  # the series with a gap draws points only, the full one a line
    assert svg.count("<circle") == 5
    assert 'stroke-dasharray="6 3"' in svg


def test_profile_charts_without_dated_articles():
    from propscan.taxonomy import CATEGORIES, TECHNIQUES

    assert profile_charts({"months": [{"month": None, "techniques": {"Doubt": 1.0}}]}, TECHNIQUES, CATEGORIES) == []


PAGE = ("<!DOCTYPE html><html><head><meta charset='windows-1252'><title>Regime news</title>"
        "<script>window.pwned=1</script></head><body><nav>Home | About | Contact</nav><article><h1>Regime news</h1>"
        "<p>The brutal regime keeps lying to its citizens, say critics in the capital who have watched the "
        "government for many years.</p><p>Only traitors would defend it, they add, and many people across the "
        "country agree with them.</p></article><footer>Cookie settings</footer></body></html>")


def test_form_accepts_pasted_and_uploaded_html(env):
    pytest.importorskip("propscan.readers.html")
    client, store = env
    url = submit(client, PAGE)
    text = store.get(int(url.rsplit("/", 1)[1])).text
    assert text.startswith("Regime news\n\n") and "brutal regime" in text
    assert "<p>" not in text and "pwned" not in text and "Home | About" not in text
    token = csrf_of(client.get("/").text)
    page = PAGE.replace("country", "pa\u00efs").encode("cp1252")  # decoded by its <meta charset>
    r = client.post("/analyze", data={"csrf": token, "outlet": "html.example"},
                    files={"file": ("page.html", page, "text/html")}, follow_redirects=False)
    assert r.status_code == 303
    a = store.get(int(r.headers["location"].rsplit("/", 1)[1]))
    assert "pa\u00efs" in a.text and a.article.meta["outlet"] == "html.example"


def test_outlet_names_with_slashes_and_markup(env):
    client, _ = env
    submit(client, "Odd\n\nA brutal day.\n", outlet="Radio <Free>/Europe & Co", date="2024-05-05")
    listing = client.get("/outlets").text
    href = re.search(r'href="(/outlets/[^"]*Europe[^"]*)"', listing).group(1)
    assert "<Free>" not in listing and "&lt;Free&gt;" in listing
    page = client.get(html.unescape(href))
    assert page.status_code == 200 and "Radio &lt;Free&gt;/Europe &amp; Co" in page.text
    assert client.get("/api/outlets/Radio <Free>/Europe & Co".replace("&", "%26")).json()["n_articles"] == 1


def test_story_and_near_duplicate_links(env):
    import sqlalchemy as sa

    from propscan.store.schema import articles, duplicates

    client, store = env
    a = int(submit(client, "Flood hits town\n\nA brutal flood hit the town.\n").rsplit("/", 1)[1])
    b = int(submit(client, "Flood hits town again\n\nA brutal flood hit the town today.\n").rsplit("/", 1)[1])
    c = int(submit(client, "Budget news\n\nThe council met.\n").rsplit("/", 1)[1])
    with store.engine.begin() as conn:  # what propscan ingest's story clustering and dedup would record
        conn.execute(sa.update(articles).where(articles.c.id.in_([a, b])).values(story_id=7))
        conn.execute(sa.insert(duplicates).values(article=b, other=a, similarity=0.83))
    page = client.get(f"/articles/{a}").text
    assert 'href="/articles?story=7"' in page
    assert f'href="/articles/{b}">Flood hits town again</a>' in page and "83%" in page
    listing = client.get("/articles?story=7").text
    assert "2 articles" in listing and "story #7" in listing and f'/articles/{c}"' not in listing
    assert sorted(r["id"] for r in client.get("/api/articles?story=7").json()["items"]) == [a, b]
