"""Persuasion profile: counts, densities, the documented 0-100 score and the evidence shown to users."""

from __future__ import annotations

from propscan.classify.profile import (SCORE_DEFINITION, SCORE_MIN_WORDS, PersuasionProfiler, build_profile,
                                       persuasion_score)
from propscan.document import Analysis, Article, Span

TEXT = ("Traitors in parliament\n\n"
        "The corrupt traitors in parliament sold us out again, and the cowards laughed.\n\n"
        "The vote took place on Tuesday after a short debate.\n")
# long enough to be scored: the same article with a longer factual paragraph after it
LONG = TEXT + " ".join(["The committee published the figures for each region on its website."] * 9) + "\n"


def make(spans: list[Span], language: str = "en", text: str = TEXT) -> Analysis:
    return Analysis(article=Article(id="p1", text=text, language=language), spans=spans)


def spans() -> list[Span]:
    i = TEXT.index("corrupt traitors")
    j = TEXT.index("cowards")
    k = TEXT.index("sold us out")
    return [Span(i, i + 16, "Name_Calling-Labeling", 0.9), Span(j, j + 7, "Name_Calling-Labeling", 0.6),
            Span(k, k + 11, "Loaded_Language", 0.7)]


def test_counts_and_densities() -> None:
    a = PersuasionProfiler.create()(make(spans()))
    p = a.profile
    assert p.technique_instances == 3
    assert p.techniques["Name_Calling-Labeling"]["count"] == 2
    assert p.techniques["Loaded_Language"]["count"] == 1
    assert p.categories["Attack_on_Reputation"]["count"] == 2
    assert p.categories["Manipulative_Wording"]["count"] == 1
    words = p.words
    assert abs(p.density_per_1000_words - 3 * 1000 / words) < 0.01
    assert p.density_per_paragraph == round(3 / 3, 3)
    assert p.paragraphs == 3


def test_score_is_documented_and_follows_its_definition() -> None:
    a = make(spans(), text=LONG)
    a.genre = {"opinion": 0.3, "reporting": 0.62, "satire": 0.08}
    PersuasionProfiler.create()(a)
    assert a.profile.score_definition == SCORE_DEFINITION
    assert "opinion or satire rather than a news report" in SCORE_DEFINITION
    assert a.profile.words >= SCORE_MIN_WORDS
    assert a.profile.score == 38  # 100 x (1 - P(reporting))
    assert a.profile.score_missing is None
    a.genre = {"opinion": 0.0, "reporting": 1.0, "satire": 0.0}
    assert persuasion_score(a, a.profile.words) == (0, None)


def test_short_text_gets_no_score_and_says_why() -> None:
    """`Title\\n\\nSome text.` scored 100 under the old density score; now it gets none, with the reason."""
    a = Analysis(article=Article(id="s", text="Title\n\nSome text."), genre={"opinion": 0.9, "reporting": 0.1})
    p = build_profile(a)
    assert p.score is None
    assert "too short" in p.score_missing and str(SCORE_MIN_WORDS) in p.score_missing


def test_no_genre_no_score() -> None:
    p = build_profile(make(spans(), language="xx", text=LONG))
    assert p.score is None and "genre" in p.score_missing


def test_evidence_is_strongest_spans_first() -> None:
    ev = build_profile(make(spans())).evidence
    assert [e["score"] for e in ev] == [0.9, 0.7, 0.6]
    assert ev[0]["text"] == "corrupt traitors"
    assert ev[0]["category"] == "Attack_on_Reputation"


def test_no_findings() -> None:
    p = build_profile(make([]))
    assert p.technique_instances == 0 and p.density_per_1000_words == 0 and p.evidence == []


def test_non_english_counts_paragraph_labels() -> None:
    a = make([], language="fr")
    a.paragraphs[1].techniques = ["Loaded_Language", "Name_Calling-Labeling"]
    a.paragraphs[1].scores = {"Loaded_Language": 0.8, "Name_Calling-Labeling": 0.6}
    p = build_profile(a)
    assert p.instance_unit == "paragraph_labels"
    assert p.technique_instances == 2
    assert p.paragraphs_with_techniques == 1
    assert p.evidence[0]["unit"] == "paragraph" and p.evidence[0]["technique"] == "Loaded_Language"


def test_keeps_what_earlier_components_put_in_profile() -> None:
    a = make(spans())
    a.frames_chosen = ["Political"]
    PersuasionProfiler.create()(a)
    assert a.frames_chosen == ["Political"] and a.profile_dict()["frames_chosen"] == ["Political"]


def test_empty_text() -> None:
    a = Analysis(article=Article(id="e", text=""))
    p = build_profile(a)
    assert p.score is None and p.words == 0


def test_definition_is_shown_next_to_the_score_in_report_and_cli() -> None:
    """The one definition sentence appears wherever the score does (HTML report, CLI summary), and a
    missing score says why instead of showing a number."""
    import io

    from propscan.cli.analyze import print_summary
    from propscan.writers.report import render_article as article_html

    scored = make(spans(), text=LONG)
    scored.genre = {"opinion": 0.3, "reporting": 0.62, "satire": 0.08}
    PersuasionProfiler.create()(scored)
    short = PersuasionProfiler.create()(Analysis(article=Article(id="s", text="Title\n\nSome text.")))
    page = article_html(scored)
    assert '<div class="ps-score">38<small> / 100</small></div>' in page
    assert SCORE_DEFINITION.split(",")[0] in page
    page = article_html(short)
    assert "ps-score\"" not in page and "No persuasion score: too short to judge" in page
    out = io.StringIO()
    print_summary([scored, short], [], None, stream=out)
    text = out.getvalue()
    assert "persuasion  38/100" in text and "persuasion   -/100" in text and SCORE_DEFINITION in text
