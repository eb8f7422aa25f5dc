"""The web app in a real browser: headless Debian Chromium driven by Playwright against uvicorn.

Covers analyze, highlight rendering, filters, feedback, search, the outlet
chart, a phone-sized viewport, and an article full of <script> that must never
run. Screenshots go to test-artifacts/ (gitignored) for a human to look at.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("PROPSCAN_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]

if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
    pytest.skip(f"needs Debian's Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (pip install playwright)")

from propscan.analyzer import Analyzer  # noqa: E402
from propscan.store import Store  # noqa: E402
from propscan.web import Settings, create_app  # noqa: E402

from test_web_api import ARTICLE, KeywordTagger  # noqa: E402

HOSTILE = ("Breaking <script>window.pwned = 'title'; alert('title')</script> news\n\n"
           "The brutal <img src=x onerror=\"window.pwned='img'; alert('img')\"> regime lies.\n"
           "</script><script>window.pwned='close'; alert('close')</script> Only traitors agree.\n"
           "<svg onload=\"window.pwned='svg'\"></svg> <a href=\"javascript:alert('link')\">click</a> brutal.\n")


class LiveServer:
    """uvicorn serving the app on a free loopback port, in a background thread."""

    def __init__(self, app) -> None:
        import uvicorn

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve(sockets=[self.sock])),
                                       daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.time() + 20
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    store = Store(str(tmp_path_factory.mktemp("browser") / "browser.db"))
    app = create_app(store=store, settings=Settings(api_token=None),
                     analyzer_factory=lambda: Analyzer([KeywordTagger()]))
    with LiveServer(app) as server:
        server.store = store
        yield server
    store.close()


@pytest.fixture(scope="module")
def browser():
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    pg.problems = []  # console errors (CSP violations show up here) and uncaught exceptions
    pg.on("console", lambda m: pg.problems.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.problems.append(str(e)))
    yield pg
    context.close()


def analyze_via_form(page, live, text: str, **fields) -> int:
    page.goto(live.url + "/")
    page.fill("#text", text)
    if fields:
        page.click("details.more summary")
        for name, value in fields.items():
            page.fill(f"input[name={name}]", value)
    page.click("#analyze-button")
    page.wait_for_url(re.compile(r".*/articles/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def test_analyze_and_highlight(page, live):
    aid = analyze_via_form(page, live, ARTICLE, outlet="browser.example", date="2024-04-02")
    marks = page.locator("mark.ps-seg")
    assert marks.count() == 6
    assert marks.first.inner_text() == "lying"
    # the report stylesheet is applied: underline layers are drawn as background images
    assert page.eval_on_selector("mark.ps-seg", "m => getComputedStyle(m).backgroundImage") != "none"
    legend = page.locator(".ps-legend").inner_text()
    assert "Loaded language" in legend and "Name calling" in legend
    # the popup gives technique, definition and evidence
    page.locator("mark.ps-seg", has_text="brutal").first.click()
    pop = page.locator(".ps-pop")
    pop.wait_for(state="visible")
    assert "Loaded language" in pop.inner_text() and "emotional" in pop.inner_text()
    assert "the word 'brutal'" in pop.inner_text()
    page.screenshot(path=str(ARTIFACTS / "article.png"), full_page=True)
    assert not page.problems, page.problems
    assert live.store.get(aid) is not None


def test_technique_filter_hides_highlights(page, live):
    analyze_via_form(page, live, ARTICLE)
    article = page.locator("article.ps-article")
    box = page.locator('input.ps-filter[data-t="Loaded_Language"]')
    before = page.eval_on_selector("mark.ps-seg", "m => getComputedStyle(m).backgroundImage")
    box.uncheck()
    assert "off-Loaded_Language" in article.get_attribute("class")
    after = page.eval_on_selector("mark.ps-seg", "m => getComputedStyle(m).backgroundImage")
    assert after != before  # the first mark ("lying", Loaded language) lost its colour
    box.check()
    assert "off-Loaded_Language" not in article.get_attribute("class")
    page.screenshot(path=str(ARTIFACTS / "article-filtered.png"))


def test_feedback_by_clicking_and_selecting(page, live):
    aid = analyze_via_form(page, live, ARTICLE)
    n_before = len(live.store.feedback())
    # click a highlighted "traitors": the correction form picks that span
    page.locator("mark.ps-seg", has_text="traitors").first.click()
    page.locator("#fb-bar").wait_for(state="visible")
    assert page.input_value("#fb-span-select") == "3"
    page.keyboard.press("Escape")
    page.check('#fb-span input[value="relabel"]')
    page.select_option("#fb-new-technique", "Loaded_Language")
    page.click("#fb-span button[type=submit]")
    page.wait_for_url(re.compile(r".*\?fb=\d+"))
    assert "recorded" in page.locator(".notice").inner_text()
    # select a passage the machine missed and report it
    page.evaluate("""() => {
        const p = [...document.querySelectorAll('.ps-ptext')].find(e => e.textContent.includes('keeps lying'));
        const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
        let node; while ((node = walker.nextNode()) && !node.textContent.includes('keeps')) {}
        const i = node.textContent.indexOf('keeps');
        const r = document.createRange();
        r.setStart(node, i);
        const after = walker.nextNode();  // "lying" sits in its own <mark>
        r.setEnd(after, after.textContent.length);
        const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(r);
    }""")
    bar = page.locator("#fb-bar")
    bar.wait_for(state="visible")
    assert "keeps lying" in bar.inner_text()
    page.click("#fb-bar-go")
    assert page.input_value("#fb-quote") == "keeps lying"
    page.wait_for_timeout(200)
    assert bar.is_hidden()
    assert page.input_value("#fb-line") == "3"
    page.select_option("#fb-technique", "Repetition")
    page.screenshot(path=str(ARTIFACTS / "feedback-form.png"))
    page.click("#fb-add button[type=submit]")
    page.wait_for_url(re.compile(r".*\?fb=\d+"))
    rows = live.store.feedback()[n_before:]
    text = live.store.get(aid).text
    assert [(r["action"], r["technique"], r["new_technique"]) for r in rows] == [
        ("relabel", "Name_Calling-Labeling", "Loaded_Language"), ("add", "Repetition", None)]
    assert text[rows[1]["start"]:rows[1]["end"]] == "keeps lying"
    assert not page.problems, page.problems


def test_corrections_listed_and_curation_in_the_browser(page, live):
    """Issue 14: a correction is listed with who and when and its span drawn as corrected; edit, then delete."""
    aid = analyze_via_form(page, live, ARTICLE + "\nA paragraph only this test adds.\n", outlet="curate.example")
    page.locator("mark.ps-seg", has_text="traitors").first.click()
    page.keyboard.press("Escape")
    page.fill("#fb-span input[name=annotator]", "Ana")
    page.click("#fb-span button[type=submit]")
    page.wait_for_url(re.compile(r".*\?fb=\d+"))
    row = page.locator("#reviews tbody tr").first
    assert "Ana" in row.inner_text() and "rejected" in row.inner_text()
    assert page.locator("mark.ps-seg.ps-rejected", has_text="traitors").count() >= 1
    assert page.input_value("#fb-add input[name=annotator]") == "Ana"  # remembered
    page.click("#curate summary")
    page.fill("#curate input[name=outlet]", "edited.example")
    page.fill("#curate input[name=date]", "2024-03-09")
    page.click("#curate button[type=submit]")
    page.wait_for_url(re.compile(r".*edited=1$"))
    assert "edited.example" in page.locator(".facts").first.inner_text()
    assert live.store.info(aid)["date"] == "2024-03-09"
    page.click("#curate summary")
    page.click("#curate a.danger")
    page.wait_for_url(re.compile(rf".*/articles/{aid}/delete$"))
    page.screenshot(path=str(ARTIFACTS / "delete-confirm.png"))
    assert "cannot be undone" in page.inner_text("main") and live.store.info(aid) is not None
    page.click("#delete-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/articles\?deleted=\d+$"))
    assert f"#{aid} deleted" in page.locator(".notice").inner_text() and live.store.info(aid) is None
    assert not page.problems, page.problems


def test_script_in_an_article_never_runs(page, live):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    aid = analyze_via_form(page, live, HOSTILE, title="<script>alert('t')</script>", outlet="<i>x</i>")
    page.wait_for_load_state("load")
    page.locator(".ps-legend").first.click()  # interact: hover/click handlers must not inject either
    page.locator("mark.ps-seg").first.click()
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.pwned") is None
    assert dialogs == []
    body_text = page.locator("#article-body").inner_text()
    assert "<script>window.pwned='close'" in body_text  # shown as text
    assert page.locator("#article-body img, #article-body svg, #article-body a[href^=javascript]").count() == 0
    # the same in the corpus list and the outlet page, where title and outlet appear too
    for url in ("/articles", "/outlets"):
        page.goto(live.url + url)
        page.wait_for_timeout(100)
    page.goto(live.url + f"/api/articles/{aid}")  # JSON is never rendered as HTML
    assert page.evaluate("() => window.pwned") is None and dialogs == []
    page.screenshot(path=str(ARTIFACTS / "hostile-json.png"))


def test_search_and_outlet_chart(page, live):
    for i, (month, text) in enumerate([("01", "brutal news"), ("02", "traitors and brutal men"),
                                       ("03", "a calm day")]):
        analyze_via_form(page, live, f"Chart story {i}\n\nIt was {text}.\n", outlet="chart.example",
                         date=f"2024-{month}-15")
    page.goto(live.url + "/articles")
    page.fill("input[name=q]", "Chart story")
    page.select_option("select[name=technique]", "Name_Calling-Labeling")
    page.click("#search button[type=submit]")
    page.wait_for_load_state("load")
    assert "technique=Name_Calling-Labeling" in page.url
    assert page.locator("#results tbody tr").count() == 1
    assert "Chart story 1" in page.locator("#results").inner_text()
    page.screenshot(path=str(ARTIFACTS / "articles.png"), full_page=True)
    page.click("#results a[href='/outlets/chart.example']")
    page.wait_for_url(re.compile(r".*/outlets/chart\.example$"))
    charts = page.locator("svg.chart")
    assert charts.count() == 2
    assert charts.first.bounding_box()["width"] > 300
    assert page.locator("svg.chart circle").count() >= 6
    page.screenshot(path=str(ARTIFACTS / "outlet.png"), full_page=True)
    assert not page.problems, page.problems


def test_phone_viewport_is_readable(browser, live):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    try:
        page.goto(live.url + "/")
        page.fill("#text", ARTICLE)
        page.click("#analyze-button")
        page.wait_for_url(re.compile(r".*/articles/\d+$"))
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"page scrolls sideways by {overflow}px on a phone"
        assert page.locator("mark.ps-seg").first.is_visible()
        page.screenshot(path=str(ARTIFACTS / "article-phone.png"), full_page=True)
        page.goto(live.url + "/articles")
        assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 1
    finally:
        context.close()


def test_docs_page_works_offline(page, live):
    page.goto(live.url + "/docs")
    assert "/api/analyze" in page.locator("#endpoints").inner_text()
    if page.locator("#swagger-ui").count():
        page.locator("#swagger-ui .opblock").first.wait_for(state="visible")
    page.screenshot(path=str(ARTIFACTS / "docs.png"))
    assert not page.problems, page.problems
