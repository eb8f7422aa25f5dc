"""Paragraph labels from tagger probabilities and rule spans."""

from __future__ import annotations

from propscan.detect.paragraphs import ParagraphLabeler
from propscan.document import Analysis, Article, Span

TEXT = "A title\n\nFirst paragraph here.\n\nSecond one.\nThird."


def _analysis() -> Analysis:
    return Analysis(article=Article(id="p", text=TEXT))


def test_every_non_empty_line_is_a_paragraph_title_included():
    a = _analysis()
    assert [p.line for p in a.paragraphs] == [1, 3, 5, 6]


def test_thresholds_turn_probabilities_into_labels():
    a = _analysis()
    a.paragraphs[0].scores = {"Loaded_Language": 0.7, "Doubt": 0.2}
    a.paragraphs[1].scores = {"Loaded_Language": 0.3}
    ParagraphLabeler({"Loaded_Language": 0.5, "Doubt": 0.1})(a)
    assert a.paragraphs[0].techniques == ["Doubt", "Loaded_Language"]
    assert a.paragraphs[1].techniques == []


def test_rule_spans_label_their_paragraph_but_tagger_spans_do_not_when_thresholds_exist():
    a = _analysis()
    p2 = a.paragraphs[2]
    a.spans = [Span(p2.start, p2.start + 6, "Repetition", 0.6, "repetition"),
               Span(p2.start, p2.start + 6, "Doubt", 0.9, "tagger")]
    ParagraphLabeler({"Doubt": 0.95})(a)
    assert a.paragraphs[2].techniques == ["Repetition"]
    assert a.paragraphs[2].scores["Repetition"] == 0.6


def test_without_thresholds_spans_decide():
    a = _analysis()
    p1 = a.paragraphs[1]
    a.spans = [Span(p1.start, p1.start + 5, "Doubt", 0.9, "tagger")]
    ParagraphLabeler()(a)
    assert a.paragraphs[1].techniques == ["Doubt"]
    assert all(not p.techniques for i, p in enumerate(a.paragraphs) if i != 1)


def test_flagged_paragraphs_stay_unlabelled():
    a = _analysis()
    a.paragraphs[0].flagged = "language: fr"
    a.paragraphs[0].scores = {"Loaded_Language": 0.9}
    ParagraphLabeler({"Loaded_Language": 0.5})(a)
    assert a.paragraphs[0].techniques == []
