"""The HTML report and propscan.render: escaping, overlapping spans, legend, index."""

from __future__ import annotations

import html as html_lib
import io
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from propscan.document import Analysis, Article, Profile, Span
from propscan.writers.report import MAX_LAYERS, REPORT_CSS, REPORT_JS, assign_layers, render_article, render_page
from propscan.writers import make_writer

EVIL = "<script>alert(1)</script>"
QUOTE = "\" onmouseover=\"alert(2)\" x='"


class Page(HTMLParser):
    """Collects tags, attributes, script bodies and the text inside each <mark>."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.marks: list[tuple[list[int], str]] = []
        self._script: dict[str, str | None] | None = None
        self._mark: list[int] | None = None
        self._buf: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "script":
            self._script, self._buf = a, []
        elif tag == "mark":
            self._mark, self._buf = [int(i) for i in (a.get("data-s") or "").split()], []

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._buf)))
            self._script = None
        elif tag == "mark" and self._mark is not None:
            self.marks.append((self._mark, "".join(self._buf)))
            self._mark = None

    def handle_data(self, data):
        if self._script is not None or self._mark is not None:
            self._buf.append(data)

    def data_blocks(self) -> list[dict]:
        return [json.loads(body) for a, body in self.scripts if a.get("type") == "application/json"]


def make(text: str, spans: list[tuple[str, str, float]] | list[Span], **kw) -> Analysis:
    """An Analysis whose spans are given as (phrase, technique, score), located in the text."""
    art = Article(id=kw.pop("id", "1"), text=text, source=kw.pop("source", "test"), meta=kw.pop("meta", {}))
    built: list[Span] = []
    for s in spans:
        if isinstance(s, Span):
            built.append(s)
        else:
            phrase, tech, score = s
            i = text.index(phrase)
            built.append(Span(i, i + len(phrase), tech, score, "test", kw.get("evidence", "")))
    kw.pop("evidence", None)
    return Analysis(article=art, spans=built, **kw)


TEXT = ("Leaders betray the nation\n\n"
        "The corrupt elite lied again, and only a fool would believe them now.\n"
        "Officials said the budget would be published on Friday.\n")


def overlapping() -> Analysis:
    return make(TEXT, [
        ("The corrupt elite lied again", "Name_Calling-Labeling", 0.7),   # outer
        ("corrupt elite", "Loaded_Language", 0.9),                        # inside outer
        ("elite lied again, and only a fool", "Doubt", 0.4),              # crosses the outer end
        ("betray", "Loaded_Language", 0.8),                               # in the title
    ])


def test_script_in_text_title_evidence_source_meta_is_escaped() -> None:
    text = f"Title {EVIL} {QUOTE}\n\nBody {EVIL} with {QUOTE} and &amp; entities.\n"
    a = make(text, [(f"Body {EVIL}", "Loaded_Language", 0.5)], evidence=f"because {EVIL} {QUOTE}",
             source=f"http://x.test/{EVIL}", meta={"author": EVIL, EVIL: QUOTE}, notices=[f"notice {EVIL}"],
             genre={EVIL: 0.5}, frames={QUOTE: 0.3}, profile=Profile(score=50, extra={"note": EVIL, EVIL: [EVIL]}),
             models={EVIL: QUOTE})
    a.paragraphs[1].flagged = EVIL
    page = render_page([a, a])
    assert EVIL not in page
    assert "<script>alert" not in page.lower()
    assert 'onmouseover="alert' not in page
    parsed = Page(page)
    # no event-handler attributes, and every script is either a JSON data block or the report's own code
    for tag, attrs in parsed.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
    for attrs, body in parsed.scripts:
        assert attrs.get("type") == "application/json" or body.strip() == REPORT_JS.strip()
        assert "</script" not in body.lower()
    # the data for the script still holds the exact text
    block = parsed.data_blocks()[0]
    assert block["spans"][0]["text"] == f"Body {EVIL}"
    assert block["spans"][0]["evidence"] == f"because {EVIL} {QUOTE}"
    # and the escaped text is shown to the reader
    assert "Body &lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_json_block_escapes_angle_brackets_and_ampersands() -> None:
    page = render_article(make("T\n\nA </script><!-- & b\n", [("A </script>", "Loaded_Language", 1.0)]))
    raw = re.search(r'<script type="application/json" class="ps-data">(.*?)</script>', page, re.S).group(1)
    assert "<" not in raw and ">" not in raw and "&" not in raw
    assert json.loads(raw)["spans"][0]["text"] == "A </script>"


def test_every_overlapping_span_is_rendered_in_full() -> None:
    a = overlapping()
    parsed = Page(render_article(a))
    spans = a.sorted_spans()
    for i, s in enumerate(spans):
        covered = "".join(text for ids, text in parsed.marks if i in ids)
        assert covered == a.text[s.start:s.end], s
    # overlapping spans sit on different underline layers
    layers = assign_layers(spans)
    for i, s in enumerate(spans):
        for j, t in enumerate(spans):
            if i < j and s.start < t.end and t.start < s.end:
                assert layers[i] != layers[j]
    # the piece where three spans meet lists all three
    assert any(len(ids) == 3 for ids, _ in parsed.marks)
    # each span has a keyboard stop where it starts
    starts = {a.text.index(m) for m in ("The corrupt", "corrupt", "elite lied", "betray")}
    assert len(starts) == 4
    focusable = [attrs for tag, attrs in parsed.tags if tag == "mark" and attrs.get("tabindex") == "0"]
    assert len(focusable) >= 4


def test_span_across_paragraphs_is_shown_in_both() -> None:
    text = "Title\n\nFirst line ends here.\nSecond line starts.\n"
    start = text.index("ends")
    end = text.index("Second") + len("Second")
    a = make(text, [Span(start, end, "Doubt", 0.5)])
    parsed = Page(render_article(a))
    assert [t for ids, t in parsed.marks] == ["ends here.", "Second"]


def test_bad_offsets_do_not_break_rendering() -> None:
    a = make(TEXT, [Span(5, 3, "Doubt"), Span(-2, 4, "Doubt"), Span(0, 10_000, "Doubt"), Span(0, 7, "Slogans")])
    parsed = Page(render_article(a))
    assert [t for _, t in parsed.marks] == ["Leaders"]


def test_legend_counts_per_technique_and_category() -> None:
    a = overlapping()
    page = render_article(a)
    legend = page[page.index('class="ps-legend"'):]

    def count(label_html: str) -> int:
        m = re.search(re.escape(label_html) + r'</span><span class="ps-n">(\d+)</span>', legend)
        assert m, label_html
        return int(m.group(1))

    assert count("<span>Loaded language") == 2
    assert count("<span>Doubt") == 1
    assert count("<span>Name calling / labeling") == 1
    cat = re.search(r'cat-Attack_on_Reputation".*?<span class="ps-n">(\d+)</span>', legend)
    assert cat and int(cat.group(1)) == 2
    # one filter toggle per technique found
    assert sorted(re.findall(r'class="ps-filter" data-t="([^"]+)"', legend)) == [
        "Doubt", "Loaded_Language", "Name_Calling-Labeling"]


def test_no_spans_says_so() -> None:
    page = render_article(make(TEXT, []))
    assert "No persuasion techniques found." in page
    assert "<mark" not in page


def test_paragraph_labels_and_flags_beside_paragraphs() -> None:
    a = overlapping()
    a.paragraphs[1].techniques = ["Loaded_Language", "Doubt"]
    a.paragraphs[1].scores = {"Doubt": 0.42}
    a.paragraphs[2].flagged = "language not supported"
    page = render_article(a, anchor="x")
    row2 = page[page.index('id="x-l3"'):page.index('id="x-l4"')]
    assert "Loaded language" in row2 and "Doubt" in row2 and "42%" in row2
    row3 = page[page.index('id="x-l4"'):]
    assert "ps-flagged" in page[page.index('id="x-l4"') - 60:page.index('id="x-l4"')]
    assert "not scored: language not supported" in row3


def test_genre_frames_profile_sections_only_when_present() -> None:
    bare = render_article(overlapping())
    assert "ps-genre" not in bare and "ps-frames" not in bare and "ps-profile" not in bare
    a = overlapping()
    a.genre = {"opinion": 0.7, "reporting": 0.2, "satire": 0.1}
    a.frames = {"Security_and_defense": 0.6, "Morality": 0.3}
    a.profile = Profile(score=64, extra={"techniques_per_100_words": 3.5, "top": ["Loaded_Language"]})
    page = render_article(a)
    assert "ps-genre" in page and "opinion" in page and "70%" in page
    assert "Security and defense" in page and "60%" in page
    assert '<div class="ps-score">64<small> / 100</small></div>' in page
    assert "techniques per 100 words" in page and "3.5" in page


def test_notices_and_models_shown() -> None:
    a = overlapping()
    a.notices = ["Removed a cookie banner"]
    a.models = {"tagger": "minilm-2024.1"}
    page = render_article(a)
    assert "Removed a cookie banner" in page
    assert "tagger minilm-2024.1" in page
    full = render_page([a])
    assert "tagger minilm-2024.1" in full[full.index('class="ps-footer"'):]


def test_cleanup_edits_listed() -> None:
    from propscan.document import Edit

    a = overlapping()
    a.article.edits = [Edit(200, 260, "", "cookie-notice", f"cookie banner {EVIL}", "We use cookies")]
    page = render_article(a)
    assert "Input cleanup: 1 change to the raw text" in page
    assert "cookie-notice" in page and "cookie banner &lt;script&gt;" in page


def test_several_articles_get_an_index_and_unique_anchors() -> None:
    analyses = [make(TEXT, [("corrupt", "Loaded_Language", 0.9)], id=str(i)) for i in range(3)]
    analyses[1].article.title = "Second <b>story</b>"
    page = render_page(analyses)
    parsed = Page(page)
    ids = [attrs["id"] for tag, attrs in parsed.tags if tag == "article"]
    assert ids == ["a1", "a2", "a3"]
    links = [attrs["href"] for tag, attrs in parsed.tags if tag == "a" and (attrs.get("href") or "").startswith("#")]
    assert links == ["#a1", "#a2", "#a3"]
    assert "Second &lt;b&gt;story&lt;/b&gt;" in page
    assert 'data-scope="all"' in page  # overall legend toggles every article
    assert re.search(r'<span>Loaded language</span><span class="ps-n">3</span>', page)
    single = render_page(analyses[:1])
    assert "ps-toc" not in single


def test_report_is_self_contained() -> None:
    page = render_page([overlapping()])
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta name="viewport"' in page
    parsed = Page(page)
    for tag, attrs in parsed.tags:
        assert not attrs.get("src"), (tag, attrs)  # no external script, image or frame
        if tag == "link":
            raise AssertionError("no external style sheets")
    assert "@import" not in REPORT_CSS and "url(" not in REPORT_CSS
    assert "fetch(" not in REPORT_JS and "XMLHttpRequest" not in REPORT_JS and "innerHTML" not in REPORT_JS
    assert ' style="' not in page.split("<style>")[0] + page.split("</style>")[1]


def test_html_writer_writes_one_page_at_close() -> None:
    out = io.StringIO()
    writer = make_writer("html", out)
    writer.write(overlapping())
    writer.write(make(TEXT, [], id="2"))
    assert out.getvalue() == ""
    writer.close()
    page = out.getvalue()
    assert page.count("<!DOCTYPE html>") == 1 and page.rstrip().endswith("</html>")
    assert page.count('<article class="ps-article"') == 2


def test_empty_report() -> None:
    out = io.StringIO()
    writer = make_writer("html", out)
    writer.close()
    assert "No articles were analysed." in out.getvalue()


def test_taxonomy_2020_view_names() -> None:
    page = render_article(overlapping(), taxonomy="2020")
    assert "SemEval-2020: Name_Calling,Labeling" in page


def test_deep_overlaps_are_clamped_to_the_last_layer() -> None:
    text = "T\n\n" + "word " * 20 + "\n"
    spans = [Span(3, 3 + 5 * (k + 1), "Loaded_Language") for k in range(MAX_LAYERS + 3)]
    a = make(text, spans)
    assert max(assign_layers(a.sorted_spans())) == MAX_LAYERS - 1
    page = render_article(a)
    assert f"d{MAX_LAYERS}" in page and f"d{MAX_LAYERS + 1}" not in page


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab <>&\"'\n")), min_size=1, max_size=60),
       st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), max_size=8))
def test_rendering_keeps_the_text_and_every_span(text: str, bounds: list[tuple[int, int]]) -> None:
    spans = [Span(min(a, b), max(a, b), "Doubt") for a, b in bounds
             if min(a, b) < max(a, b) <= len(text)]
    a = make(text, spans)
    page = render_article(a)
    parsed = Page(page)
    ordered = a.sorted_spans()
    for i, s in enumerate(ordered):
        expected = "".join(a.text[max(s.start, p.start):min(s.end, p.end)] for p in a.paragraphs
                           if s.start < p.end and s.end > p.start)
        assert "".join(t for ids, t in parsed.marks if i in ids) == expected
    assert "<script>" not in page.replace('<script type="application/json" class="ps-data">', "")


PROBE = r"""<script>
document.addEventListener("DOMContentLoaded", function () {
  var out = [];
  try {
    var art = document.querySelector(".ps-article");
    var mark = art.querySelector("mark.ps-seg[tabindex]");
    mark.focus();
    // headless Chromium delivers focus events only while its window has the system focus, which it
    // sometimes lacks: then send the focusin that a keyboard user's Tab would have caused
    if (!document.getElementById("ps-pop")) mark.dispatchEvent(new FocusEvent("focusin", {bubbles: true}));
    var pop = document.getElementById("ps-pop");
    out.push("focus-pop=" + (!!pop && !pop.hidden));
    out.push("evidence-as-text=" + (pop.textContent.indexOf("<script>alert(1)<\/script>") >= 0));
    out.push("scripts-in-pop=" + pop.querySelectorAll("script").length);
    mark.dispatchEvent(new KeyboardEvent("keydown", {key: "Escape", bubbles: true}));
    out.push("esc-hidden=" + pop.hidden);
    var box = art.querySelector("input.ps-filter[data-t=Loaded_Language]");
    box.click();
    out.push("filter-off=" + art.classList.contains("off-Loaded_Language"));
    box.click();
    out.push("filter-on=" + !art.classList.contains("off-Loaded_Language"));
    var all = document.querySelector("header input.ps-filter[data-t=Doubt]");
    all.click();
    out.push("global-off=" + document.querySelectorAll(".ps-article.off-Doubt").length);
    all.click();
    art.querySelector("button.ps-goto[data-i='2']").click();
    out.push("goto-marks=" + art.querySelectorAll("mark.ps-on").length);
    out.push("goto-pop=" + !pop.hidden);
    document.body.click();
    out.push("outside-hidden=" + pop.hidden);
  } catch (e) { out.push("ERROR " + e); }
  var p = document.createElement("pre"); p.id = "probe"; p.textContent = out.join(" "); document.body.appendChild(p);
});
</script>"""


@pytest.mark.browser
def test_report_script_in_headless_chromium(tmp_path) -> None:
    """Focus shows the popup, Escape hides it, filters and the span table work; evidence stays text."""
    browser = next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
    if browser is None:
        pytest.skip("needs headless Chromium (apt-get install chromium)")
    analyses = [overlapping(), overlapping()]
    for span in analyses[0].spans:
        span.evidence = EVIL
    page = tmp_path / "report.html"
    page.write_text(render_page(analyses).replace("</body>", PROBE + "</body>"), encoding="utf-8")
    want = {"focus-pop": "true", "evidence-as-text": "true", "scripts-in-pop": "0", "esc-hidden": "true",
            "filter-off": "true", "filter-on": "true", "global-off": "2", "goto-marks": "2",
            "goto-pop": "true", "outside-hidden": "true"}
    got: dict[str, str] = {}
    m = None
    for attempt in range(5):  # a loaded 2-core machine occasionally dumps the page before the probe ran
        done = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000",
                               f"--user-data-dir={tmp_path / f'profile{attempt}'}", "--dump-dom", page.as_uri()],
                              capture_output=True, text=True, timeout=120)
        m = re.search(r'<pre id="probe">([^<]*)</pre>', done.stdout)
        if m:
            got = dict(item.split("=", 1) for item in html_lib.unescape(m.group(1)).split(" ") if "=" in item)
            if got == want and "ERROR" not in m.group(1):
                break
    assert m, done.stderr[-2000:]
    assert "ERROR" not in m.group(1), m.group(1)
    assert got == want


def test_span_table_gives_line_and_offsets() -> None:
    a = overlapping()
    page = render_article(a)
    table = page[page.index('class="ps-spans"'):]
    start = a.text.index("betray")
    assert f"line 1, chars {start}–{start + 6}" in table
    start = a.text.index("corrupt elite")
    assert f"line 3, chars {start}–{start + len('corrupt elite')}" in table


class TextNodes(HTMLParser):
    """Every text node outside <script> and <style>: what a reader sees."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skip = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data)


JSONISH = re.compile(r'[{\[]\s*"[^"]*"\s*:')  # the start of a JSON object as it would appear in page text


def test_profile_techniques_are_a_table_not_raw_json() -> None:
    """The issue-14 layout bug: the nested techniques profile was printed as one JSON string."""
    from propscan.classify.profile import build_profile

    a = overlapping()
    a.profile = build_profile(a)
    a.frames = {"Security_and_defense": 0.6}
    a.frames_chosen = ["Security_and_defense"]
    page = render_article(a)
    texts = TextNodes(page).texts
    assert not [t for t in texts if JSONISH.search(t)], "a text node holds JSON"
    table = page[page.index('class="ps-table ps-ptable"'):]
    table = table[:table.index("</table>")]
    for label in ("Loaded language", "Name calling / labeling", "Doubt", "Manipulative wording"):
        assert label in table
    assert '<td class="ps-num">2</td>' in table  # Loaded_Language: two instances
    assert "per 1,000 words" in table and "Strongest passages" in page and "Frames chosen:" in page
    from propscan.classify.profile import SCORE_DEFINITION

    assert html_lib.escape(SCORE_DEFINITION, quote=True) in page  # the score's meaning, next to it


def test_profile_values_too_deep_are_summarised_not_dumped() -> None:
    a = overlapping()
    a.profile = Profile(score=10, extra={"odd": {"a": {"b": {"c": 1}}}})
    texts = TextNodes(render_article(a)).texts
    assert not [t for t in texts if JSONISH.search(t) or "{" in t]


def test_corrected_spans_are_drawn_as_corrected() -> None:
    a = overlapping()
    corrections = {(s.start, s.end, s.technique): ("rejected: not a technique" if s.technique == "Doubt"
                                                   else "relabelled as Slogans")
                   for s in a.spans if s.technique in ("Doubt", "Name_Calling-Labeling")}
    page = render_article(a, corrections=corrections)
    p = Page(page)
    data = p.data_blocks()[0]
    assert {s["technique"]: s.get("corrected") for s in data["spans"]}["Doubt"] == "rejected: not a technique"
    assert "ps-fixed" in page and "[corrected: relabelled as Slogans]" in page
    assert '<div class="ps-fixnote">corrected: rejected: not a technique</div>' in page
    doubt_only = [a for t, a in p.tags if t == "mark" and "u" in (a.get("class") or "")
                  and "Doubt" in (a.get("class") or "") and "Name_Calling" not in (a.get("class") or "")]
    assert doubt_only and all("ps-rejected" in (m.get("class") or "") for m in doubt_only)
    assert "ps-fixed" not in render_article(overlapping())


def test_legend_has_a_confidence_control() -> None:
    page = render_article(overlapping())
    assert 'class="ps-minconf" data-scope="article" min="0" max="95"' in page
    assert 'data-scope="all"' in render_page([overlapping(), overlapping()]).split('class="ps-minconf"')[1][:30]


def test_report_templates_escape_every_printed_value_with_html_escape():
    """The report is rendered from Jinja templates (writers/templates/report) whose environment escapes
    each printed value as ``html.escape`` does, so the page stays byte-identical to the f-string version
    and nothing prints unescaped for want of a filter; a misspelt name fails instead of printing nothing."""
    import html as _html

    import jinja2

    from propscan.writers.report import ENV

    evil = "<b title='x'>\"&"
    assert ENV.from_string("{{ v }}|{{ v|humanise }}").render(v=evil) == f"{_html.escape(evil)}|{_html.escape(evil)}"
    with pytest.raises(jinja2.UndefinedError):
        ENV.from_string("{{ nothing }}").render()
    page = render_page([Analysis(article=Article(id="q'1", text=evil + "\n\nBody."))])
    assert _html.escape(evil) in page and evil not in page
