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
from propscan.web.chart import profile_charts, rate_panel, timeline  # noqa: E402

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
    """Issue 14: charts sat at 100% for small outlets (one article = 100% of them) and their lines hid each other."""
    client, _ = env
    submit(client, "One\n\nThe brutal start.\n", outlet="chart.example", date="2024-01-03")
    submit(client, "Two\n\nTraitors, brutal traitors.\n", outlet="chart.example", date="2024-02-03")
    submit(client, "Three\n\nA calm report.\n", outlet="chart.example", date="2024-03-03")
    listing = client.get("/outlets").text
    assert 'href="/outlets/chart.example"' in listing
    page = client.get("/outlets/chart.example")
    assert page.status_code == 200
    panels = re.findall(r'<svg class="chart panel".*?</svg>', page.text, flags=re.S)
    # one panel per category used (Manipulative wording, Attack on reputation): no line drawn over another
    assert len(panels) == 2 and all(p.count("<polyline") <= 1 for p in panels)
    assert "Manipulative wording" in page.text and "2024-01" in panels[0] and "2024-03" in panels[0]
    assert "100%" not in page.text  # rates per 1,000 words, not shares of one or two articles
    assert "per 1,000 words (95%" in panels[0] and "<polygon" in panels[0]  # the interval band
    assert 'fill="#ffffff"' in panels[0]  # months of one article are hollow dots
    table = page.text[page.text.index('id="profile"'):]
    assert "Loaded language" in table and 'class="ci"' in table and "of 3" in table
    assert "Only 2 articles" not in page.text
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


def test_rate_panel_escapes_and_shows_intervals():
    svg = rate_panel(["2024-01", "<b>", "2024-03"], [3, 0, 5], [1000, 0, 500], [3, 0, 1], title="A & B",
                     colour="#123456", y_max=10.0)
    assert "<b>" not in svg and "&lt;b&gt;" in svg and "A &amp; B" in svg
    assert svg.count("<circle") == 2  # the month without words has no point
    assert "3.0 per 1,000 words" in svg and "10.0 per 1,000 words" in svg and "<polygon" in svg
    assert svg.count('fill="#ffffff"') == 1  # 2024-03: one article, hollow


def test_timeline_escapes_links_and_marks_years():
    svg = timeline([{"date": "2016-05-30", "id": 1, "outlet": "<a>", "title": "x"},
                    {"date": "2019-02-12", "id": 2, "outlet": "b", "title": "<y>"}])
    assert "<y>" not in svg and "&lt;y&gt;" in svg and "&lt;a&gt;" in svg
    assert 'href="/articles/1"' in svg and 'href="/articles/2"' in svg
    assert all(f">{y}</text>" in svg for y in (2017, 2018, 2019)) and svg.index(">2017<") < svg.index("<circle")
    assert timeline([{"date": None, "id": 3}]) == ""


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
    assert 'href="/stories/7"' in page
    assert f'href="/articles/{b}">Flood hits town again</a>' in page and "83%" in page
    listing = client.get("/articles?story=7").text
    assert "2 articles" in listing and "story #7" in listing and f'/articles/{c}"' not in listing
    assert 'href="/stories/7"' in listing
    assert sorted(r["id"] for r in client.get("/api/articles?story=7").json()["items"]) == [a, b]


# -- the workbench: stories, comparison, curation, feedback list, paging (issue 14) ----------------------------

@pytest.fixture
def story_env(env, monkeypatch):
    """Three outlets telling one story (a one-topic embedder links them), plus an unrelated article."""
    import numpy as np

    from propscan.corpus import stories

    def embed(texts):  # every text on one topic, so one story; shared claims found by identical wording
        return np.array([[1.0, float("pier" in t.lower()) * 0.01] + [0.0] * 6 for t in texts], dtype=np.float32)

    monkeypatch.setattr(stories, "default_embedder", lambda _settings: type("E", (), {"embed": staticmethod(embed)})())
    client, store = env
    claim = "The council voted on Monday to close the old harbour pier for good."
    ids = []
    for outlet, date, extra in (("north.example", "2024-05-01", "Brutal traitors run the council."),
                                ("south.example", "2024-05-03", "Residents were calm about the decision."),
                                ("south.example", "2024-06-10", "The brutal decision angered fishermen.")):
        url = submit(client, f"Pier closes\n\n{claim}\n\n{extra}\n", outlet=outlet, date=date)
        ids.append(int(url.rsplit("/", 1)[1]))
    from propscan.corpus.update import update

    update(store)
    return client, store, ids


def _story_id(store, article_id):
    return store.info(article_id)["story_id"]


def test_story_list_page_and_api_with_filters(story_env):
    client, store, ids = story_env
    sid = _story_id(store, ids[0])
    assert sid is not None and _story_id(store, ids[2]) == sid
    page = client.get("/stories")
    assert page.status_code == 200 and f'href="/stories/{sid}"' in page.text and "Pier closes" in page.text
    assert f'href="/stories/{sid}"' in client.get("/stories", params={"outlet": "north.example"}).text
    assert f'href="/stories/{sid}"' not in client.get("/stories", params={"outlet": "nobody.example"}).text
    assert f'href="/stories/{sid}"' not in client.get("/stories", params={"min_size": "4"}).text
    assert f'href="/stories/{sid}"' in client.get("/stories", params={"technique": "Name_Calling-Labeling"}).text
    assert f'href="/stories/{sid}"' not in client.get("/stories", params={"date_to": "2024-01-01"}).text
    assert client.get("/stories", params={"date_from": "soon"}).status_code == 400
    api = client.get("/api/stories", params={"min_size": 2}).json()
    assert api["total"] == 1 and api["items"][0]["id"] == sid and api["items"][0]["n_articles"] == 3
    assert client.get("/api/stories", params={"technique": "Nonsense"}).status_code == 422


def test_story_page_side_by_side_differences_shared_and_timeline(story_env):
    client, store, ids = story_env
    sid = _story_id(store, ids[0])
    page = client.get(f"/stories/{sid}")
    assert page.status_code == 200
    text = page.text
    side = text[text.index('id="side-by-side"'):text.index('id="profile"')]
    assert side.index("north.example") < side.index("south.example")  # one column per outlet
    assert all(f'href="/articles/{i}"' in side for i in ids)
    profile = text[text.index('id="story-profile"'):text.index("</table>", text.index('id="story-profile"'))]
    assert "Name calling / labeling" in profile and "Loaded language" in profile and "Attack on reputation" in profile
    diffs = text[text.index('id="differences"'):text.index('id="shared"')]
    assert "Only north.example" in diffs and "Name calling / labeling" in diffs
    shared = text[text.index('id="shared"'):text.index('id="timeline"')]
    assert "close the old harbour pier" in shared
    assert re.search(rf'href="/articles/{ids[0]}#text-l3"', shared)  # linked to its paragraph on the article page
    assert 'id="text-l3"' in client.get(f"/articles/{ids[0]}").text
    timeline = text[text.index('id="timeline"'):]
    assert "<svg" in timeline and timeline.index("2024-05-01") < timeline.index("2024-06-10")
    api = client.get(f"/api/stories/{sid}").json()
    assert api["n_outlets"] == 2 and api["shared"] and {p["article"] for p in api["shared"][0]["passages"]} >= {ids[0]}
    assert client.get("/stories/999").status_code == 404 and client.get("/api/stories/999").status_code == 404


def test_compare_outlets_page_and_api(story_env):
    client, _, _ = story_env
    page = client.get("/compare", params=[("outlet", "north.example"), ("outlet", "south.example")])
    assert page.status_code == 200
    table = page.text[page.text.index('id="comparison"'):]
    assert "1 article," in table and "2 articles," in table and table.count('class="ci"') >= 4
    assert "100%" not in table
    # an outlet that never used a technique still gets an interval above zero, not a certain 0
    assert re.search(r"<b>0\.0</b> <span class=\"muted\">\(0\.0–[1-9]", table)
    assert client.get("/compare", params={"outlet": "north.example"}).status_code == 422
    picks = client.get("/outlets").text
    assert 'action="/compare"' in picks and 'name="outlet" value="north.example"' in picks
    api = client.get("/api/compare", params=[("outlet", "north.example"), ("outlet", "south.example")]).json()
    rate = api["outlets"][0]["techniques"]["Name_Calling-Labeling"]
    assert rate["spans"] == 1 and rate["per_1000_ci"][0] < rate["per_1000_words"] < rate["per_1000_ci"][1]
    assert client.get("/api/compare", params=[("outlet", "a"), ("outlet", "north.example")]).status_code == 404
    assert client.get("/api/compare", params=[("outlet", "north.example")]).status_code == 422


def test_curation_edit_and_delete_from_the_pages(env):
    client, store = env
    url = submit(client, HOSTILE.replace("Hostile", "Curated"), outlet="old.example")
    aid = int(url.rsplit("/", 1)[1])
    page = client.get(url).text
    assert f'action="/articles/{aid}/edit"' in page and f'href="/articles/{aid}/delete"' in page
    token = csrf_of(page)
    r = client.post(f"/articles/{aid}/edit", data={"csrf": token, "outlet": "new.example", "date": "2024-02-02",
                                                   "title": "A better title"}, follow_redirects=False)
    assert r.status_code == 303
    info = store.info(aid)
    assert (info["outlet"], info["date"], info["title"]) == ("new.example", "2024-02-02", "A better title")
    assert "Saved." in client.get(r.headers["location"]).text
    bad = client.post(f"/articles/{aid}/edit", data={"csrf": token, "outlet": "new.example", "date": "someday",
                                                     "title": "A better title"})
    assert bad.status_code == 400 and "someday" in bad.text
    assert client.post(f"/articles/{aid}/edit", data={"csrf": "forged", "outlet": "x"}).status_code == 403
    confirm = client.get(f"/articles/{aid}/delete")
    assert confirm.status_code == 200 and "cannot be undone" in confirm.text and "A better title" in confirm.text
    assert store.info(aid) is not None  # asking is not deleting
    r = client.post(f"/articles/{aid}/delete", data={"csrf": csrf_of(confirm.text)}, follow_redirects=False)
    assert r.status_code == 303 and store.info(aid) is None
    assert f"Article #{aid} deleted." in client.get(r.headers["location"]).text
    assert client.get(url, headers={"Accept": "text/html"}).status_code == 404


def test_curation_over_the_api_needs_the_token(tmp_path):
    store = Store(str(tmp_path / "tok.db"))
    app = create_app(store=store, settings=Settings(api_token="s3cret"),
                     analyzer_factory=lambda: Analyzer([KeywordTagger()]))
    auth = {"Authorization": "Bearer s3cret"}
    with TestClient(app) as client:
        aid = client.post("/api/analyze", json={"text": ARTICLE}, headers=auth).json()["id"]
        assert client.patch(f"/api/articles/{aid}", json={"outlet": "x.example"}).status_code == 401
        r = client.patch(f"/api/articles/{aid}", json={"outlet": "x.example", "date": "2024-01-31"}, headers=auth)
        assert r.status_code == 200 and r.json()["outlet"] == "x.example" and r.json()["date"] == "2024-01-31"
        assert client.patch(f"/api/articles/{aid}", json={}, headers=auth).status_code == 422
        assert client.patch("/api/articles/999", json={"title": "t"}, headers=auth).status_code == 404
        assert client.delete(f"/api/articles/{aid}").status_code == 401
        assert client.delete(f"/api/articles/{aid}", headers=auth).status_code == 204
        assert client.delete(f"/api/articles/{aid}", headers=auth).status_code == 404
        assert client.get(f"/api/articles/{aid}").status_code == 404
    store.close()


def test_corrections_listed_with_who_and_when_and_shown_as_corrected(env):
    client, _ = env
    url = submit(client)
    aid = int(url.rsplit("/", 1)[1])
    page = client.get(url).text
    assert "No corrections yet." in page
    r = client.post(f"/articles/{aid}/feedback", data={"csrf": csrf_of(page), "action": "wrong", "span": "0",
                                                       "annotator": "Ana <b>Analyst</b>", "note": "a fair word"},
                    follow_redirects=False)
    assert r.status_code == 303 and "propscan_annotator=" in r.headers["set-cookie"]
    page = client.get(r.headers["location"]).text
    reviews = page[page.index('id="reviews"'):page.index("</table>", page.index('id="reviews"'))]
    assert "Ana &lt;b&gt;Analyst&lt;/b&gt;" in reviews and "rejected" in reviews and "a fair word" in reviews
    assert re.search(r"<td>20\d\d-\d\d-\d\d \d\d:\d\d</td>", reviews)  # when
    assert "ps-fixed ps-rejected" in page and "corrected: rejected" in page  # the span is drawn as corrected
    assert 'value="Ana &lt;b&gt;Analyst&lt;/b&gt;"' in page  # the name is remembered for the next correction
    api = client.get(f"/api/articles/{aid}/feedback").json()
    assert api[0]["annotator"] == "Ana <b>Analyst</b>" and api[0]["action"] == "reject"
    assert client.get("/api/articles/999/feedback").status_code == 404


def test_article_page_lists_paragraphs_with_their_strongest_passage(env):
    client, _ = env
    page = client.get(submit(client)).text
    plist = page[page.index('id="paragraphs"'):page.index('id="feedback"')]
    assert 'href="#text-l3"' in plist and "Loaded language" in plist and "<q>brutal</q>" in plist
    assert 'class="ps-minconf"' in page  # the confidence control
    assert "Evidence: why it was marked" in page and "Definition" in page


def test_a_page_past_the_end_shows_the_last_page(env):
    client, _ = env
    for i in range(27):
        submit(client, f"Paging {i}\n\nThe brutal item {i}.\n", outlet="paging.example")
    page = client.get("/articles", params={"outlet": "paging.example", "page": "999"})
    assert page.status_code == 200 and "page 2 of 2" in page.text and "page 999" not in page.text
    assert 'rel="prev"' in page.text and 'rel="next"' not in page.text
    assert "page 1 of 2" in client.get("/articles", params={"outlet": "paging.example", "page": "-3"}).text


def test_analyze_page_takes_a_link(env, monkeypatch):
    from propscan.document import Article
    from propscan.web import service

    seen = {}

    def fake_fetch(url, **kw):  # the fetcher itself is tested in test_web_data; here only the route and field
        seen.update(url=url, **kw)
        return Article(id="linked", text="Linked news\n\nThe brutal regime.\n", source=url)

    monkeypatch.setattr(service, "fetch_link", fake_fetch)
    client, store = env
    assert 'name="link"' in client.get("/").text
    page = client.get("/").text
    r = client.post("/analyze", data={"csrf": csrf_of(page), "text": "", "link": "https://news.example/a.html"},
                    files={"file": ("", b"")}, follow_redirects=False)
    assert r.status_code == 303 and seen["url"] == "https://news.example/a.html" and seen["allow_private"] is False
    assert "Linked news" in client.get(r.headers["location"]).text
    bad = client.post("/analyze", data={"csrf": csrf_of(page), "text": "", "link": "ftp://news.example/a"},
                      files={"file": ("", b"")})
    assert bad.status_code == 422 and "http(s)" in bad.text
    api = client.post("/api/analyze", json={"link": "https://news.example/b.html"})
    assert api.status_code == 200 and api.json()["article"]["title"] == "Linked news"
    assert client.post("/api/analyze", json={"link": "https://x.example", "text": "t"}).status_code == 422


def test_openapi_documents_status_codes_and_response_schemas():
    app = create_app(store=Store("sqlite://"), settings=Settings(api_token=None), analyzer_factory=lambda: None)
    schema = app.openapi()
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            codes = op["responses"]
            ok_codes = [c for c in codes if c.startswith("2")]
            assert ok_codes, f"{method} {path}: no success response"
            for code, resp in codes.items():
                if code == "204":
                    continue
                body = resp.get("content", {}).get("application/json", {}).get("schema")
                assert body and body != {} and body.get("additionalProperties") is not True, \
                    f"{method} {path} {code}: empty response schema"
                if not code.startswith("2"):
                    assert body == {"$ref": "#/components/schemas/ErrorOut"}, f"{method} {path} {code}"
    for path in ("/api/stories", "/api/stories/{story_id}", "/api/compare", "/api/articles/{article_id}/feedback"):
        assert path in schema["paths"]
    assert {"patch", "delete", "get"} <= set(schema["paths"]["/api/articles/{article_id}"])


def test_docs_examples_use_the_requests_own_address(env):
    client, _ = env
    page = client.get("/docs", headers={"Host": "propscan.example:9123"}).text
    assert "http://propscan.example:9123/api/analyze" in page and ":8000" not in page


def test_technique_filters_say_what_the_model_does_not_detect(env):
    """Issue 13 item 6: a filter offering a technique the models never emit says so."""
    from propscan.detect.calibration import undetected_techniques

    client, _ = env
    off = undetected_techniques()
    page = client.get("/articles").text
    for t in off["paragraphs"]:
        label = page[page.index(f'<option value="{t}"'):]
        assert label[:label.index("</option>")].endswith("(not detected in English)")
    only_paragraphs = [t for t in off["spans"] if t not in off["paragraphs"]]
    assert only_paragraphs and "(English: paragraph level only)" in page
    assert '<option value="Loaded_Language">Loaded language</option>' in page
