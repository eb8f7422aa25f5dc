"""Persuasion profile: counts, densities, the documented 0-100 score and the evidence shown to users."""

from __future__ import annotations

from propscan.classify.profile import SCORE_DEFINITION, PersuasionProfiler, build_profile, persuasion_score
from propscan.document import Analysis, Article, Span

TEXT = ("Traitors in parliament\n\n"
        "The corrupt traitors in parliament sold us out again, and the cowards laughed.\n\n"
        "The vote took place on Tuesday after a short debate.\n")


def make(spans: list[Span], language: str = "en") -> Analysis:
    return Analysis(article=Article(id="p1", text=TEXT, language=language), spans=spans)


def spans() -> list[Span]:
    i = TEXT.index("corrupt traitors")
    j = TEXT.index("cowards")
    k = TEXT.index("sold us out")
    return [Span(i, i + 16, "Name_Calling-Labeling", 0.9), Span(j, j + 7, "Name_Calling-Labeling", 0.6),
            Span(k, k + 11, "Loaded_Language", 0.7)]


def test_counts_and_densities() -> None:
    a = PersuasionProfiler.create()(make(spans()))
    p = a.profile
    assert p["technique_instances"] == 3
    assert p["techniques"]["Name_Calling-Labeling"]["count"] == 2
    assert p["techniques"]["Loaded_Language"]["count"] == 1
    assert p["categories"]["Attack_on_Reputation"]["count"] == 2
    assert p["categories"]["Manipulative_Wording"]["count"] == 1
    words = p["words"]
    assert abs(p["density_per_1000_words"] - 3 * 1000 / words) < 0.01
    assert p["density_per_paragraph"] == round(3 / 3, 3)
    assert p["paragraphs"] == 3


def test_score_is_documented_and_follows_its_definition() -> None:
    a = PersuasionProfiler.create()(make(spans()))
    assert a.profile["score_definition"] == SCORE_DEFINITION
    assert "1,000 words" in SCORE_DEFINITION
    assert a.profile["score"] == persuasion_score(a.profile["density_per_1000_words"])
    assert persuasion_score(0) == 0
    assert persuasion_score(15) == 63
    assert persuasion_score(1000) == 100
    assert [persuasion_score(d) for d in (1, 5, 10, 30)] == sorted(persuasion_score(d) for d in (1, 5, 10, 30))


def test_evidence_is_strongest_spans_first() -> None:
    ev = build_profile(make(spans()))["evidence"]
    assert [e["score"] for e in ev] == [0.9, 0.7, 0.6]
    assert ev[0]["text"] == "corrupt traitors"
    assert ev[0]["category"] == "Attack_on_Reputation"


def test_no_findings_scores_zero() -> None:
    p = build_profile(make([]))
    assert p["score"] == 0 and p["technique_instances"] == 0 and p["evidence"] == []


def test_non_english_counts_paragraph_labels() -> None:
    a = make([], language="fr")
    a.paragraphs[1].techniques = ["Loaded_Language", "Name_Calling-Labeling"]
    a.paragraphs[1].scores = {"Loaded_Language": 0.8, "Name_Calling-Labeling": 0.6}
    p = build_profile(a)
    assert p["instance_unit"] == "paragraph_labels"
    assert p["technique_instances"] == 2
    assert p["paragraphs_with_techniques"] == 1
    assert p["evidence"][0]["unit"] == "paragraph" and p["evidence"][0]["technique"] == "Loaded_Language"


def test_keeps_what_earlier_components_put_in_profile() -> None:
    a = make(spans())
    a.profile["frames_chosen"] = ["Political"]
    PersuasionProfiler.create()(a)
    assert a.profile["frames_chosen"] == ["Political"]


def test_empty_text() -> None:
    a = Analysis(article=Article(id="e", text=""))
    p = build_profile(a)
    assert p["score"] == 0 and p["words"] == 0
