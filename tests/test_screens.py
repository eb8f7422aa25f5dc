"""Every page as a reader sees it: Chromium at 1366x768 and 390x844, screenshots and layout checks.

The issue-14 layout bug (a persuasion profile printed as JSON one character per
line, boxes 13,000-21,000 px tall) passed every DOM test; these checks measure
the rendered page instead: no element wider than the viewport, no text node
holding JSON, the article text close below its title, a bounded height per
article, readable contrast on /docs. Screenshots go to test-artifacts/screens/
(git-ignored) for a person to open and look at.

The store holds the real web samples (../shared/samples, analysed by the real
models) when present, plus three small fixture articles from two outlets, dated,
on one story. ``PROPSCAN_UPDATE_SCREENS=1`` also rewrites the README's
screenshots in docs/screens/.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlencode

import pytest

from test_browser import ARGS, ARTIFACTS, CHROMIUM, LiveServer  # noqa: E402  (skips without Chromium)

from propscan.analyzer import Analyzer  # noqa: E402
from propscan.classify.profile import PersuasionProfiler  # noqa: E402
from propscan.store import Store  # noqa: E402
from propscan.web import Settings, create_app  # noqa: E402

from conftest import SAMPLES  # noqa: E402
from test_web_api import KeywordTagger  # noqa: E402

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ARTIFACTS / "screens"
README_SHOTS = ROOT / "docs" / "screens"
VIEWPORTS = {"desktop": (1366, 768), "phone": (390, 844)}
# the article text must start within this many screens of the article's title (it was ~15,000 px below)
SCREENS_TO_TEXT = {"desktop": 2.0, "phone": 4.0}
# page height per article: fixed furniture plus the text; the 5-sample report was 87,196 px (17,400 per article)
HEIGHT_PER_ARTICLE = {"desktop": 7000, "phone": 12000}
PROBE = (Path(__file__).resolve().parent / "fixtures" / "layout_probe.js").read_text(encoding="utf-8")

CLAIM = "The council voted on Monday to close the old harbour pier for good, citing cracks in its supports."
FIXTURE_ARTICLES = [
    ("Harbour pier to close", "north.example", "2024-05-01",
     f"{CLAIM}\n\nBrutal traitors on the council ignored the fishermen again, critics said."),
    ("Council shuts the pier", "south.example", "2024-05-03",
     f"{CLAIM}\n\nResidents were calm about the decision, and the council promised a new pier by 2026."),
    ("Fishermen protest pier closure", "south.example", "2024-06-10",
     f"Fishermen marched on the town hall on Friday.\n\n{CLAIM}\n\nThe brutal decision angered the harbour's "
     "families, who say the repairs would have cost less than a new pier."),
]


def _ingest_samples(db: str) -> None:
    """The samples as an analyst would curate them: ingested, then dated (the samples carry no date metadata)."""
    from propscan.cli import main

    from test_corpus import SAMPLE_DATES  # the dates the articles state, or their events' (see there)

    assert main(["ingest", str(SAMPLES), "--db", db, "-q", "--no-stories"]) == 0
    with Store(db) as store:
        for i in store.ids():
            store.update_article(i, date=SAMPLE_DATES[store.info(i)["article_id"][:3]])


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A live server over the demo store, and the pages to look at."""
    db = str(tmp_path_factory.mktemp("screens") / "screens.db")
    samples = SAMPLES.is_dir() and any(SAMPLES.glob("*.txt"))
    if samples:
        _ingest_samples(db)
    store = Store(db)
    analyzer = Analyzer([KeywordTagger(), PersuasionProfiler()])
    from propscan.document import Article

    store.add_many([analyzer(Article(id=f"pier-{i}", text=f"{title}\n\n{text}\n", title=title,
                                             source=f"https://{outlet}/news/{i}",
                                             meta={"outlet": outlet, "date": date}))
                    for i, (title, outlet, date, text) in enumerate(FIXTURE_ARTICLES)])
    from propscan.corpus.update import update

    update(store)
    app = create_app(store=store, settings=Settings(api_token=None), analyzer_factory=lambda: analyzer)
    total, rows = store.search(limit=200)
    ids = [r["id"] for r in rows]
    sample_ids = [r["id"] for r in rows if not str(r["article_id"]).startswith("pier-")]
    main_id = max(sample_ids or ids, key=lambda i: store.info(i)["n_spans"])
    outlets = [o["outlet"] for o in store.outlets() if o["outlet"]]
    story = store.info(main_id)["story_id"]
    pages = {
        "analyze": "/",
        "article": f"/articles/{main_id}",
        "corpus": "/articles",
        "outlets": "/outlets",
        "outlet": "/outlets/" + outlets[0],
        "compare": "/compare?" + urlencode([("outlet", o) for o in outlets[:3]]),
        "stories": "/stories",
        "docs": "/docs",
    }
    if story:
        pages["story"] = f"/stories/{story}"
    pier = [r["id"] for r in rows if str(r["article_id"]).startswith("pier-")]
    dated_story = store.info(pier[0])["story_id"]
    if dated_story and dated_story != story:
        pages["story-dated"] = f"/stories/{dated_story}"  # two outlets, dated: the timeline
    pages["outlet-dated"] = "/outlets/south.example"  # dated articles: the charts by month
    report = ARTIFACTS / "report.html"
    ARTIFACTS.mkdir(exist_ok=True)
    from propscan.writers.report import render_page

    report.write_text(render_page([store.get(i) for i in (sample_ids or ids)], title="propscan report"),
                      encoding="utf-8")
    with LiveServer(app) as server:
        server.pages, server.ids, server.report, server.samples = pages, ids, report, samples
        yield server
    store.close()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _open(browser, viewport: str):
    w, h = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": w, "height": h}, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(20_000)
    return context, page


def _check(result: dict, where: str) -> None:
    assert result["scrollWidth"] <= result["width"], f"{where}: page {result['scrollWidth']} px wide: {result['wide']}"
    assert not result["wide"], f"{where}: elements wider than the viewport: {result['wide']}"
    assert not result["json"], f"{where}: text nodes holding JSON: {result['json']}"


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_every_page_fits_and_reads(browser, demo, viewport):
    SHOTS.mkdir(parents=True, exist_ok=True)
    context, page = _open(browser, viewport)
    try:
        for name, path in demo.pages.items():
            page.goto(demo.url + path)
            page.wait_for_load_state("networkidle")
            result = page.evaluate(PROBE, {"contrast": name == "docs"})
            page.screenshot(path=str(SHOTS / f"{name}-{viewport}.png"), full_page=True)
            _check(result, f"{name} at {viewport}")
            if name == "article":
                _check_article(result, viewport, "article page")
            if name == "docs":
                assert result["nLow"] == 0, f"/docs text below WCAG AA contrast: {result['lowContrast']}"
                page.locator(".opblock-summary").first.click()  # an opened operation: parameters, responses
                page.wait_for_selector(".responses-wrapper")
                opened = page.evaluate(PROBE, {"contrast": True})
                page.screenshot(path=str(SHOTS / f"docs-opened-{viewport}.png"), full_page=True)
                assert opened["nLow"] == 0, f"/docs, an operation opened: low contrast: {opened['lowContrast']}"
        for aid in demo.ids:  # every stored article, not only the one photographed
            page.goto(f"{demo.url}/articles/{aid}")
            result = page.evaluate(PROBE, {"contrast": False})
            _check(result, f"article {aid} at {viewport}")
            _check_article(result, viewport, f"article {aid}")
    finally:
        context.close()


def _check_article(result: dict, viewport: str, where: str) -> None:
    screens = SCREENS_TO_TEXT[viewport] * VIEWPORTS[viewport][1]
    assert result["textStartsBelowTitle"] is not None, f"{where}: no article text"
    assert result["textStartsBelowTitle"] <= screens, \
        f"{where}: the text starts {result['textStartsBelowTitle']} px below the title (limit {screens:.0f})"
    assert result["height"] <= HEIGHT_PER_ARTICLE[viewport], f"{where}: {result['height']} px tall"


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_html_report_fits_and_reads(browser, demo, viewport):
    context, page = _open(browser, viewport)
    try:
        page.goto(demo.report.as_uri())
        result = page.evaluate(PROBE, {"contrast": False})
        page.screenshot(path=str(SHOTS / f"report-{viewport}.png"), full_page=True)
        _check(result, f"report at {viewport}")
        assert result["articles"] >= 3
        per_article = result["height"] / result["articles"]
        assert per_article <= HEIGHT_PER_ARTICLE[viewport], f"report: {per_article:.0f} px per article"
        assert result["textStartsBelowTitle"] <= SCREENS_TO_TEXT[viewport] * VIEWPORTS[viewport][1]
    finally:
        context.close()


def test_the_confidence_control_hides_weak_spans(browser, demo):
    context, page = _open(browser, "desktop")
    try:
        page.goto(demo.url + demo.pages["article"])
        shown = page.locator("mark.ps-seg:not(.ps-low)").count()
        page.locator("input.ps-minconf").first.fill("95")
        page.locator("input.ps-minconf").first.dispatch_event("input")
        after = page.locator("mark.ps-seg:not(.ps-low)").count()
        scores = page.evaluate("() => JSON.parse(document.querySelector('script.ps-data').textContent)"
                               ".spans.map(s => s.score)")
        assert after < shown or all(s >= 0.95 for s in scores)
        assert page.locator(".ps-conf output").first.inner_text() == "95%"
        hidden_rows = page.locator(".ps-spans tr[data-i][hidden]").count()
        assert hidden_rows == sum(1 for s in scores if s < 0.95)
    finally:
        context.close()


@pytest.mark.skipif(not os.environ.get("PROPSCAN_UPDATE_SCREENS"), reason="set PROPSCAN_UPDATE_SCREENS=1 to "
                    "rewrite the README screenshots in docs/screens/")
def test_write_readme_screenshots(browser, demo):
    """The article and story pages, first screen at 1100x700: small PNGs for the README (under 200 KB)."""
    if not demo.samples:
        pytest.skip("the README shows the real samples: needs ../shared/samples")
    README_SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1100, "height": 700}, device_scale_factor=1)
    page = context.new_page()
    try:
        for name, start in (("article", ".ps-cols"), ("story", "body")):
            page.goto(demo.url + demo.pages[name])
            page.wait_for_load_state("networkidle")
            top = page.eval_on_selector(start, "e => e.getBoundingClientRect().top + window.scrollY")
            target = README_SHOTS / f"{name}.png"
            page.screenshot(path=str(target), full_page=True,
                            clip={"x": 0, "y": max(0, top - 8), "width": 1100, "height": 700})
            assert target.stat().st_size < 200_000
    finally:
        context.close()


def test_readme_screenshots_are_small():
    shots = sorted(README_SHOTS.glob("*.png"))
    assert {p.name for p in shots} >= {"article.png", "story.png"}
    assert all(p.stat().st_size < 200_000 for p in shots), [(p.name, p.stat().st_size) for p in shots]
