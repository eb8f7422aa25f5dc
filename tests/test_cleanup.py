"""Cleanup removes crawl noise, records why, maps offsets back, and leaves clean news alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from propscan.cleanup import clean_article, clean_text, find_edits
from propscan.document import Article, apply_edits, apply_edits_inverse


def cleaned(fixtures: Path, name: str) -> Article:
    raw = (fixtures / name).read_text(encoding="utf-8")
    return clean_article(Article(id=name, text=raw, source=name))


def kinds(art: Article) -> set[str]:
    return {e.kind for e in art.edits}


# -- each noise pattern, on fixtures that mimic ../shared/samples ------------

def test_shortcode_author_box_related_and_page_title(fixtures: Path) -> None:
    art = cleaned(fixtures, "crawl_shortcode_author.txt")
    assert "[mailpoet_form" not in art.text
    assert "About The Author" not in art.text and "Related posts" not in art.text
    assert "| Coastline Daily News" not in art.text
    assert "cracks in three of its supporting columns" in art.text
    assert "gave no figure for its cost." in art.text
    assert art.title == "Harbour Council Votes to Close the Old Ferry Pier"
    assert {"shortcode", "author-box", "title-repeat"} <= kinds(art)


def test_foreign_comment_widgets_and_cookie_banner(fixtures: Path) -> None:
    art = cleaned(fixtures, "crawl_foreign_tail.txt")
    assert "تعليق" not in art.text and "الكوكيز" not in art.text
    assert "Privacy & Cookies Policy" not in art.text
    assert "lifted for the rest of the season." in art.text
    assert kinds(art) == {"comments"}
    assert "to the end of the page" in art.edits[0].reason


def test_repeated_captions_time_stamp_and_talkbacks(fixtures: Path) -> None:
    art = cleaned(fixtures, "crawl_captions.txt")
    assert "(Photo:" not in art.text
    assert "פרסום" not in art.text and "talkbacks" not in art.text and "new comment" not in art.text
    assert "The city's main bridge reopened on Friday after eight months of repairs." in art.text
    assert "officials said." in art.text
    assert {"caption", "dateline", "comments"} <= kinds(art)


def test_comment_thread_with_replies(fixtures: Path) -> None:
    art = cleaned(fixtures, "crawl_comments.txt")
    for noise in ("Jonas", "peter88", "walking is good", "Leave A Reply", "email address"):
        assert noise not in art.text
    assert "put to a vote of the members next week." in art.text
    thread = next(e for e in art.edits if e.kind == "comments")
    assert "3 comments" in thread.reason


def test_pdf_text_rejoined_and_spaces_collapsed(fixtures: Path) -> None:
    art = cleaned(fixtures, "crawl_pdf.txt")
    assert "debate that lasted until late in the night. The opposition" in art.text
    assert "the well-known problems" in art.text
    assert "  " not in art.text
    assert "Follow the latest" not in art.text and "correspondent" not in art.text
    assert "originally published" not in art.text
    assert {"hard-wrap", "spaces", "promo", "author-box"} <= kinds(art)
    # one paragraph per line after joining
    assert len(art.paragraphs) == 3


def test_inline_shortcode_removed_inside_a_sentence() -> None:
    raw = "Title\n\nThe mayor spoke [caption id=\"a1\" width=\"300\"]Crowd[/caption] to the crowd today.\n"
    text = clean_text(raw)
    assert "caption" not in text and "Crowd" not in text
    assert "The mayor spoke to the crowd today." in text


def test_clean_news_is_untouched() -> None:
    raw = ("Senate passes the bill\n\nThe Senate passed the bill on Tuesday by 52 votes to 48.\n"
           "Critics said it was rushed. \"We will fight it in court,\" one senator said.\n\n"
           "[sic] and [1] are not shortcodes; related work says: nothing.\n")
    assert find_edits(raw) == []


def test_edits_record_what_where_why(fixtures: Path) -> None:
    art = cleaned(fixtures, "crawl_captions.txt")
    for e in art.edits:
        assert art.raw[e.start:e.end] == e.original
        assert e.reason and e.kind
    # the raw text can be rebuilt from the cleaned text and the edits (as from JSON)
    assert apply_edits_inverse(art.text, art.edits) == art.raw
    back = Article.from_dict(art.to_dict())
    assert back.raw == art.raw and back.text == art.text


def test_offsets_and_lines_map_back_to_raw(fixtures: Path) -> None:
    art = cleaned(fixtures, "crawl_captions.txt")
    i = art.text.index("Traffic is expected")
    j = art.raw.index("Traffic is expected")
    assert art.to_raw(i) == j
    assert art.raw_line_of(i) == art.raw.count("\n", 0, j) + 1


def test_cleaning_twice_changes_nothing(fixtures: Path) -> None:
    for f in sorted(fixtures.glob("crawl_*.txt")):
        once = cleaned(fixtures, f.name)
        assert find_edits(once.text) == [], f.name
        assert clean_article(once) is once


# -- properties --------------------------------------------------------------

NOISE_LINES = [
    "Leave a Reply", "Related posts", "About the Author", "Share this:", "Advertisement", "Reply",
    "[mailpoet_form id=\"1\"]", "We use cookies on this website. By continuing you accept our policy.",
    "  1. Anna says", "    great article", "Photo of the river (Photo: AP)", "0 تعليق", "Email *",
    "Privacy & Cookies Policy", "Follow us on Twitter", "John Doe is a staff writer at the Daily.",
    "This article was originally published by the Daily.", "published: 01.02.20, 10:00",
]
BODY_LINES = [
    "The council approved the plan on Monday after a long debate.",
    "Critics said the decision was rushed and   badly   explained to the public.",
    "a line that continues the previous sentence without a capital",
    "Hyphenated words such as long-term and well-",
    "", "", "  ", "Short line", "Title of the piece",
]
line = st.one_of(st.sampled_from(NOISE_LINES), st.sampled_from(BODY_LINES), st.text(max_size=40))
documents = st.lists(line, min_size=0, max_size=30).map("\n".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_edits_are_sorted_non_overlapping_and_exact(raw: str) -> None:
    edits = find_edits(raw)
    pos = 0
    for e in edits:
        assert pos <= e.start <= e.end <= len(raw)
        assert raw[e.start:e.end] == e.original
        pos = e.end
    text = apply_edits(raw, edits)
    assert apply_edits_inverse(text, edits) == raw


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_every_kept_character_maps_back_to_itself(raw: str) -> None:
    if not raw.strip():
        return
    art = clean_article(Article(id="h", text=raw))
    # characters produced by a replacement are not kept characters
    replaced: set[int] = set()
    shift = 0
    for e in art.edits:
        start = e.start + shift
        replaced.update(range(start, start + len(e.replacement)))
        shift += len(e.replacement) - (e.end - e.start)
    for i, ch in enumerate(art.text):
        if i not in replaced:
            assert art.raw[art.to_raw(i)] == ch


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_cleanup_is_idempotent(raw: str) -> None:
    once = clean_text(raw)
    assert clean_text(once) == once


# -- the annotated corpora must come through (nearly) untouched ----------------

def _gold_spans(folder: Path, article_id: str) -> list[tuple[int, int]]:
    path = folder / "train-labels-subtask-3-spans" / f"article{article_id}-labels-subtask-3.txt"
    if not path.exists():
        return []
    out = []
    for row in path.read_text(encoding="utf-8").splitlines():
        parts = row.split("\t")
        if len(parts) >= 4:
            out.append((int(parts[2]), int(parts[3])))
    return out


@pytest.mark.shared
@pytest.mark.parametrize("lang", ["en", "fr", "ge", "it", "po", "ru"])
def test_dataset_articles_lose_no_annotated_character(data_dir: Path, lang: str) -> None:
    folder = data_dir / "semeval2023-task3" / lang
    articles = sorted((folder / "train-articles-subtask-3").glob("article*.txt"))
    assert articles
    touched = 0
    for path in articles:
        raw = path.read_text(encoding="utf-8")
        edits = find_edits(raw)
        if not edits:
            continue
        touched += 1
        spans = _gold_spans(folder, path.stem[len("article"):])
        for e in edits:
            if e.replacement == "":
                # a removal never cuts into a gold span
                assert not any(s < e.end and e.start < t for s, t in spans), (path.name, e)
            else:
                # replacements only collapse whitespace; no word changes
                assert not e.original.strip() and not e.replacement.strip(), (path.name, e)
    # cleanup is for crawl noise: the clean corpora are almost entirely left alone
    assert touched <= 0.35 * len(articles), touched


def test_the_title_is_the_headline_not_a_caption_or_a_first_paragraph():
    from propscan.cleanup.title import choose_title

    caption = ("ISIS leader Abu Bakr al-Baghdadi\nISIS is fighting for its life\n"
               "After losing territory, the group seems to be fighting for its grip on power.\n\n"
               'See all talkbacks "ISIS is fighting for its life"\n')
    assert clean_article(Article(id="c", text=caption)).title == "ISIS is fighting for its life"
    paragraph = ("Inside Syria Media Center military correspondents in Iraq have recently reported that ISIS members "
                 "are surrendering in dozens in their stronghold in Iraq's Al-Hawija area. They estimate that the "
                 "Iraqi Army has nearly completed the operation on recapturing the city.\n\nMore text follows.\n")
    title = clean_article(Article(id="p", text=paragraph)).title
    assert title.startswith("Inside Syria Media Center military") and len(title) <= 101 and title.endswith("…")
    assert choose_title("Photo: Reuters\nMarkets fall again\n\nShares fell.") == "Markets fall again"
    plain = "Leaders meet\n\nThe elite met again today.\nLeaders meet\n"
    assert choose_title(plain) == "Leaders meet"  # a headline repeated later stays the headline


def test_the_samples_titles_are_their_headlines(samples_dir):
    from propscan.readers import iter_articles

    titles = {a.id[:3]: a.title for a in iter_articles([str(samples_dir)])}
    assert titles["002"] == "ISIS is fighting for its life"
    assert len(titles["004"]) <= 101 and titles["000"] == "ISIS: The End is Nigh"


def test_a_publication_date_stated_in_the_text():
    from propscan.readers.meta import date_from_text

    assert date_from_text("T\n\nbody\n\nפרסום ראשון: 05.30.16, 19:32\n") == "2016-05-30"
    assert date_from_text("T\n\nRepublic of Iraq (November 25, 2017) – After years of battles.") == "2017-11-25"
    assert date_from_text("T\n\nBody.\nPublished: March 3, 2017\n") == "2017-03-03"
    assert date_from_text("T\n\nPosted on 30/05/2016 by admin") == "2016-05-30"
    assert date_from_text("T\n\nPublished 03.04.17") is None  # March 4 or 3 April: no guess
    assert date_from_text("T\n\nOn November 25, 2017 the army entered the city.") is None  # mentioned, not stated
