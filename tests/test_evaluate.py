"""Every metric pinned by a small example worked out by hand (numbers in the comments)."""

from __future__ import annotations

import pytest

from propscan.document import Analysis, Article, Gold, ParagraphLabels, Span
from propscan.evaluate import (score_2021_t1, score_2021_t2, score_si, score_spans, score_st1, score_st2,
                               score_st3, score_tc)
from propscan.evaluate.metrics import merge_intervals, prf

TEXT = "x" * 60 + "\n\n" + "y" * 20 + "\n\n" + "z" * 20


def art(doc_id: str = "A") -> Article:
    return Article(id=doc_id, text=TEXT)


def spans(doc_id: str, *items: tuple[int, int, str]) -> Analysis:
    return Analysis(art(doc_id), spans=[Span(s, e, t) for s, e, t in items])


LL, NC, DOUBT, SLOG = "Loaded_Language", "Name_Calling-Labeling", "Doubt", "Slogans"


def test_prf_conventions():
    assert prf(0, 0, 0, 0) == (1.0, 1.0, 1.0)  # nothing to find, nothing found
    assert prf(0, 3, 0, 0)[2] == 0.0
    assert prf(0, 0, 0, 2) == (0.0, 0.0, 0.0)


def test_merge_intervals_merges_only_shared_characters():
    assert merge_intervals([(4, 10), (0, 6), (10, 12), (20, 20)]) == [(0, 10), (10, 12)]


def test_si_partial_overlap_hand_computed():
    gold = [spans("A", (0, 10, LL), (20, 30, NC))]
    pred = [spans("A", (5, 15, DOUBT), (18, 22, LL), (25, 28, LL))]
    # precision: 5/10 + 2/4 + 3/3 = 2.0 over 3 spans; recall: 5/10 + 2/10 + 3/10 = 1.0 over 2 spans
    got = score_si(gold, pred)
    assert got["precision"] == pytest.approx(2 / 3)
    assert got["recall"] == pytest.approx(0.5)
    assert got["f1"] == pytest.approx(4 / 7)
    assert got["score"] == got["f1"]


def test_si_merges_overlapping_spans_first():
    gold = [spans("A", (0, 10, LL), (2, 8, NC))]  # merges to [0, 10)
    pred = [spans("A", (0, 6, LL), (4, 10, LL))]  # merges to [0, 10)
    got = score_si(gold, pred)
    assert (got["precision"], got["recall"], got["f1"]) == (1.0, 1.0, 1.0)
    assert got["gold_spans"] == 1 and got["predicted_spans"] == 1


def test_si_missing_prediction_counts_as_nothing_found_and_extra_is_ignored():
    gold = [spans("A", (0, 10, LL)), spans("B", (0, 5, LL))]
    pred = [spans("A", (0, 10, LL)), spans("C", (0, 5, LL))]
    got = score_si(gold, pred)
    # precision 1/1, recall 1/2
    assert got["precision"] == 1.0 and got["recall"] == 0.5
    assert got["f1"] == pytest.approx(2 / 3)
    assert got["ignored_documents"] == 1


def test_si_empty_both_is_perfect_and_empty_prediction_is_zero():
    assert score_si([spans("A")], [spans("A")])["f1"] == 1.0
    assert score_si([spans("A", (0, 5, LL))], [spans("A")])["f1"] == 0.0


def test_technique_aware_spans_hand_computed():
    gold = [spans("A", (0, 10, LL), (0, 10, NC))]
    pred = [spans("A", (0, 10, LL), (0, 5, DOUBT))]
    # LL pair: 10/10 both ways; NC never predicted; Doubt not gold -> P = 1/2, R = 1/2
    got = score_spans(gold, pred)
    assert (got["precision"], got["recall"], got["f1"]) == (0.5, 0.5, 0.5)
    per = got["per_label"]
    assert per[LL]["f1"] == 1.0 and per[NC]["f1"] == 0.0 and per[DOUBT]["f1"] == 0.0
    assert per[NC]["support"] == 1 and per[DOUBT]["predicted"] == 1
    assert got["macro_f1"] == pytest.approx(1 / 3)


def test_technique_aware_spans_partial_credit_and_merge_per_technique():
    gold = [spans("A", (0, 10, LL))]
    pred = [spans("A", (0, 6, LL), (4, 10, LL), (0, 4, NC))]
    # LL preds merge to [0,10): P contribution 1 over 1 LL pred, plus NC pred with no credit -> P = 1/2; R = 1
    got = score_spans(gold, pred)
    assert got["precision"] == 0.5 and got["recall"] == 1.0
    assert got["f1"] == pytest.approx(2 / 3)


def test_2021_task2_does_not_merge_like_its_scorer():
    gold = [spans("m1", (0, 10, LL))]
    pred = [spans("m1", (0, 6, LL), (4, 10, LL), (20, 25, NC))]
    # no merging: P = (6/6 + 6/6 + 0) / 3 = 2/3; R = (6/10 + 6/10) / 1 = 1.2 (the official scorer's behaviour)
    got = score_2021_t2(gold, pred)
    assert got["precision"] == pytest.approx(2 / 3)
    assert got["recall"] == pytest.approx(1.2)
    assert "Loaded Language" in got["per_label"]  # 2021 names


def test_tc_micro_f1_hand_computed():
    gold = [spans("A", (0, 10, LL), (20, 30, NC), (20, 30, LL), (40, 50, DOUBT))]
    pred = [spans("A", (0, 10, LL), (20, 30, LL), (40, 50, SLOG))]
    # correct: LL@0-10, LL@20-30 -> 2 of 3 predicted, 2 of 4 gold
    got = score_tc(gold, pred)
    assert got["precision"] == pytest.approx(2 / 3)
    assert got["recall"] == pytest.approx(0.5)
    assert got["f1"] == pytest.approx(4 / 7)
    assert "Name_Calling,Labeling" in got["per_label"]  # 2020 names by default


def test_tc_equals_accuracy_when_every_gold_span_is_labelled():
    gold = [spans("A", (0, 10, LL), (20, 30, NC), (40, 50, DOUBT), (50, 55, SLOG))]
    pred = [spans("A", (0, 10, LL), (20, 30, LL), (40, 50, DOUBT), (50, 55, SLOG))]
    assert score_tc(gold, pred)["f1"] == pytest.approx(3 / 4)


def test_tc_span_not_in_gold_is_a_false_positive():
    gold = [spans("A", (0, 10, LL))]
    pred = [spans("A", (0, 10, LL), (11, 12, LL))]
    got = score_tc(gold, pred)
    assert got["precision"] == 0.5 and got["recall"] == 1.0 and got["spans_not_in_gold"] == 1


def genre(doc_id: str, label: str | None, **scores: float) -> Analysis:
    a = Analysis(art(doc_id))
    a.genre = dict(scores) if scores else ({label: 1.0} if label else {})
    return a


def test_st1_macro_f1_hand_computed():
    gold = [genre("a", "opinion"), genre("b", "opinion"), genre("c", "reporting"), genre("d", "satire")]
    pred = [genre("a", None, opinion=0.9, reporting=0.1), genre("b", "reporting"), genre("c", "reporting"),
            genre("d", "opinion")]
    # opinion P 1/2 R 1/2 F 1/2; reporting P 1/2 R 1 F 2/3; satire F 0 -> macro 7/18
    got = score_st1(gold, pred)
    assert got["score"] == pytest.approx((0.5 + 2 / 3 + 0) / 3)
    assert got["headline"] == "macro_f1"
    assert got["f1"] == pytest.approx(0.5)  # micro = accuracy here
    assert got["per_label"]["reporting"]["recall"] == 1.0


def frames(doc_id: str, **scores: float) -> Analysis:
    a = Analysis(art(doc_id))
    a.frames = dict(scores)
    return a


def test_st2_micro_f1_hand_computed_with_threshold():
    gold = [frames("a", Political=1.0, Morality=1.0), frames("b", Economic=1.0)]
    pred = [frames("a", Political=0.8, Morality=0.2), frames("b", Economic=0.6, Crime_and_punishment=0.5)]
    # chosen (>= 0.5): a {Political}, b {Economic, Crime}: 2 correct of 3 predicted, of 3 gold
    got = score_st2(gold, pred)
    assert got["f1"] == pytest.approx(2 / 3) and got["score"] == got["f1"]


def test_st2_uses_frames_chosen_when_the_classifier_set_it():
    gold = [frames("a", Political=1.0)]
    pred = [frames("a", Political=0.1)]
    pred[0].frames_chosen = ["Political"]
    assert score_st2(gold, pred)["f1"] == 1.0


def paragraphs(doc_id: str, labels: dict[int, list[str]]) -> Analysis:
    a = art(doc_id)
    pars = [ParagraphLabels(p.start, p.end, p.line, list(labels.get(p.line, []))) for p in a.paragraphs]
    return Analysis(a, paragraphs=pars)


def test_st3_micro_and_macro_hand_computed():
    gold = [paragraphs("1", {1: [LL], 5: [DOUBT, LL]})]
    pred = [paragraphs("1", {1: [LL, NC], 5: [LL]})]
    # triples: gold {1 LL, 5 Doubt, 5 LL}; pred {1 LL, 1 NC, 5 LL}: 2 correct -> P = R = F = 2/3
    got = score_st3(gold, pred)
    assert got["precision"] == pytest.approx(2 / 3) and got["recall"] == pytest.approx(2 / 3)
    assert got["f1"] == pytest.approx(2 / 3)
    # per label: LL 1.0, NC 0, Doubt 0 -> macro 1/3
    assert got["macro_f1"] == pytest.approx(1 / 3)
    assert got["items"] == 3  # lines 1, 3 and 5 are the non-empty lines


def test_st3_skips_articles_without_subtask3_labels():
    gold = [paragraphs("1", {1: [LL]}), paragraphs("2", {})]
    gold[1].gold = Gold(labelled_subtasks=[1, 2])
    pred = [paragraphs("1", {1: [LL]}), paragraphs("2", {1: [LL]})]
    assert score_st3(gold, pred)["f1"] == 1.0


def test_2021_task1_hand_computed():
    gold = [spans("m1", (0, 4, LL)), spans("m2")]
    gold[0].gold = Gold(techniques=["Loaded Language", "Smears"])
    pred = [spans("m1", (0, 4, LL)), spans("m2", (0, 3, SLOG))]
    # gold {LL, Smears} and {}; pred {LL} and {Slogans}: 1 correct of 2 and 2 -> 1/2
    got = score_2021_t1(gold, pred)
    assert got["f1"] == 0.5
    assert set(got["per_label"]) == {"Loaded Language", "Smears", "Slogans"}
