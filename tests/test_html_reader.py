"""Saved web pages: main text and metadata in, page furniture out, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from propscan.errors import InputError
from propscan.readers import iter_articles
from propscan.readers.html import article_from_html, looks_like_html, read_html_file


def test_page_text_and_metadata(fixtures: Path) -> None:
    [art] = read_html_file(fixtures / "crawl_page.html")
    assert art.title == "Harbour council closes the old ferry pier"
    assert art.meta["author"] == "Mara Ellison"
    assert art.meta["date"] == "2019-06-04"
    assert art.meta["outlet"] == "Coastline Daily" and art.meta["outlet_source"] == "site_name"
    assert art.meta["url"] == "https://coastline.example/local/harbour-pier-closed"
    assert art.meta["description"].startswith("Engineers found cracks")
    lines = art.text.split("\n")
    # SemEval layout: title, blank line, one paragraph per line
    assert lines[0] == art.title and lines[1] == ""
    assert "The harbour council voted on Tuesday to close the old ferry pier" in lines[2]
    assert len(art.paragraphs) >= 4
    assert "“We cannot take risks with people’s safety,”" in art.text  # entities decoded


def test_page_furniture_is_left_out(fixtures: Path) -> None:
    [art] = read_html_file(fixtures / "crawl_page.html")
    for noise in ("uses cookies", "Home", "Weather", "tracking", "Jonas", "falling apart", "Leave a Reply",
                  "All rights reserved", "Council budget approved", "Share on Facebook"):
        assert noise not in art.text, noise


def test_legacy_encoding_from_meta_charset(fixtures: Path) -> None:
    [art] = read_html_file(fixtures / "crawl_site" / "cafe-protest.htm")
    assert art.title == "Café owners protest new rules"
    assert "“We were not consulted,”" in art.text


def test_malformed_html_is_read(fixtures: Path) -> None:
    [art] = read_html_file(fixtures / "crawl_site" / "storm-broken.html")
    assert art.title == "Storm damage in the valley"
    assert "brought down trees and power lines" in art.text
    assert "fallen trees and debris" in art.text


def test_folder_of_saved_pages_is_read_and_cleaned(fixtures: Path) -> None:
    # cafe-protest_files/ holds the page's saved assets (an ad iframe): not an article
    assert (fixtures / "crawl_site" / "cafe-protest_files" / "ad-frame.html").exists()
    got = list(iter_articles([str(fixtures / "crawl_site")]))
    assert [type(g).__name__ for g in got] == ["Article", "Article"]
    assert {g.id for g in got if not isinstance(g, InputError)} == {"cafe-protest", "storm-broken"}


def test_html_article_goes_through_cleanup(fixtures: Path) -> None:
    page = fixtures / "crawl_shortcode_page.html"
    [art] = list(iter_articles([str(page)]))
    assert not isinstance(art, InputError)
    assert "mailpoet" not in art.text and "mailpoet" in art.raw
    assert [e.kind for e in art.edits] == ["shortcode"]


@pytest.mark.parametrize("data, problem", [
    (b"", "empty input"),
    (b"   \n ", "empty input"),
    (b"<html><body></body></html>", "no article text found"),
    (b"<html><head><script>var a = 1;</script></head><body><nav><a href='/'>x</a></nav></body></html>",
     "no article text found"),
    (b"\x00\x01\x02\x03binary\x00\x00" * 50, "binary"),
])
def test_bad_pages_give_one_clear_error(data: bytes, problem: str) -> None:
    with pytest.raises(InputError) as err:
        article_from_html(data, "p", "page.html")
    assert problem in str(err.value) and str(err.value).startswith("page.html: ")


def test_size_limit(tmp_path: Path) -> None:
    page = tmp_path / "big.html"
    page.write_bytes(b"<html><body>" + b"<p>word word word word</p>" * 2000 + b"</body></html>")
    with pytest.raises(InputError, match="too large"):
        read_html_file(page, max_bytes=10_000)


def test_html_on_stdin_is_read_as_a_page(fixtures: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO((fixtures / "crawl_page.html").read_bytes())))
    [art] = list(iter_articles(["-"]))
    assert not isinstance(art, InputError)
    assert art.title == "Harbour council closes the old ferry pier" and art.meta["outlet"] == "Coastline Daily"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_decoding_any_bytes_gives_text_or_one_clear_error(data: bytes) -> None:
    from propscan.readers.text import decode

    try:
        text = decode(data, "in.txt")
    except InputError as e:
        assert str(e).startswith("in.txt: ")
    else:
        assert isinstance(text, str) and text.strip()


def test_sniffing() -> None:
    assert looks_like_html(b"<!DOCTYPE html><html><body>x</body></html>")
    assert looks_like_html("  <!-- saved -->\n<html lang='en'>")
    assert not looks_like_html(b"Title\n\nThe <b>bold</b> claim.")


TAGS = ["p", "div", "span", "b", "i", "article", "table", "td", "tr", "h1", "script", "style", "ul", "li", "br"]
fragment = st.one_of(
    st.sampled_from(TAGS).map(lambda t: f"<{t}>"),
    st.sampled_from(TAGS).map(lambda t: f"</{t}>"),
    st.sampled_from(["&amp;", "&nbsp;", "&#x41;", "&bogus;", "<!--", "-->", "<![CDATA[", "<?xml ?>", "\x00"]),
    st.text(max_size=60),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(fragment, max_size=40).map("".join))
def test_random_markup_never_crashes(html: str) -> None:
    try:
        art = article_from_html(html.encode("utf-8", "surrogatepass"), "r", "r.html")
    except InputError:
        return
    assert art.text.strip()
