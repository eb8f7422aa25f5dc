"""The one decision rule (detect.paragraphs.decide), calibrators, the protocol's metrics, schema 1.2."""

from __future__ import annotations

import json

import numpy as np
import pytest

from propscan import protocol as P
from propscan.detect import calibration as cal
from propscan.detect.paragraphs import decide
from propscan.document import Analysis, Article, Span
from propscan.errors import PropscanError

TEXT = "Title\n\nThe corrupt elite lies.\n\nRain is expected."


def _analysis() -> Analysis:
    a = Analysis(article=Article(id="d1", text=TEXT))
    a.spans = [Span(11, 18, "Loaded_Language", 0.6, "tagger"), Span(11, 24, "Name_Calling-Labeling", 0.1, "tagger")]
    a.paragraphs[1].scores = {"Loaded_Language": 0.3, "Doubt": 0.25, "Name_Calling-Labeling": 0.05}
    a.paragraphs[2].scores = {"Doubt": 0.12}
    return a


def test_labels_are_exactly_the_listed_scores_at_or_above_the_threshold_with_their_reason():
    a = decide(_analysis(), 0.2)
    p = a.paragraphs[1]
    assert [s.technique for s in a.spans] == ["Loaded_Language"]
    assert p.techniques == ["Doubt", "Loaded_Language"]
    assert p.reasons == {"Doubt": "paragraph", "Loaded_Language": "span"}
    assert p.scores["Loaded_Language"] == 0.6  # the best span inside lifts the paragraph's score
    for q in a.paragraphs:
        assert set(q.techniques) == {t for t, s in q.scores.items() if s >= 0.2}
    assert a.decision["min_confidence"] == 0.2


def test_a_lower_threshold_brings_back_spans_under_the_default_and_decide_is_idempotent():
    a = decide(_analysis(), 0.5)
    assert [s.technique for s in a.spans] == ["Loaded_Language"] and len(a.candidates) == 1
    decide(a, 0.1)
    assert sorted(s.technique for s in a.spans) == ["Loaded_Language", "Name_Calling-Labeling"]
    assert a.paragraphs[1].reasons["Name_Calling-Labeling"] == "span"
    assert a.paragraphs[2].techniques == ["Doubt"]
    once = a.to_dict()
    assert decide(a, 0.1).to_dict() == once
    assert a.decision["default"] == 0.5  # the model's own threshold stays on record


def test_paragraphs_of_another_language_follow_the_same_threshold():
    a = _analysis()
    a.paragraphs[2].language = "fr"
    a.paragraphs[2].scores = {"Doubt": 0.9}
    assert decide(a, 0.95).paragraphs[2].techniques == []
    assert decide(a, 0.5).paragraphs[2].reasons == {"Doubt": "paragraph"}


def test_multilingual_labels_use_the_articles_decision_threshold(monkeypatch):
    from propscan.classify import multilingual

    comp = object.__new__(multilingual.MultilingualTechniques)
    comp.techniques, comp.thresholds = ["Doubt", "Slogans"], {"fr": np.array([0.9, 0.9])}
    a = Analysis(article=Article(id="f1", text="Titre\n\nIls mentent.", language="fr"))
    monkeypatch.setattr(comp, "probabilities", lambda an: [(an.paragraphs[1], "fr", np.array([0.3, 0.1]))])
    comp._label(a)
    assert a.paragraphs[1].techniques == []  # no decision made: the model's own threshold
    a.decision = {"min_confidence": 0.2}
    comp._label(a)
    assert a.paragraphs[1].techniques == ["Doubt"] and a.paragraphs[1].reasons == {"Doubt": "paragraph"}


@pytest.mark.parametrize("bad", [0, 1.5, -0.2, "x"])
def test_threshold_out_of_range_is_a_clear_error(bad):
    with pytest.raises(PropscanError, match="min_confidence"):
        decide(_analysis(), bad)


def test_schema_1_2_round_trips_and_1_0_documents_are_still_read():
    a = decide(_analysis(), 0.2)
    a.undetected = {"spans": ["Straw_Man"], "paragraphs": []}
    a.paragraphs[1].sources = {"Doubt": {"tagger": 0.1, "paragraph_model": 0.32}}
    d = a.to_dict()
    assert d["schema_version"] == "1.2" and d["undetected"]["spans"] == ["Straw_Man"]
    assert d["paragraphs"][1]["sources"] == {"Doubt": {"tagger": 0.1, "paragraph_model": 0.32}}
    assert "sources" not in a.to_dict("2020")["paragraphs"][1]  # scores are not given in the 2020 view either
    assert d["paragraphs"][1]["reasons"] == {"Doubt": "paragraph", "Loaded_Language": "span"}
    assert Analysis.from_dict(json.loads(json.dumps(d))).to_dict() == d
    old = dict(d, schema_version="1.0")
    for k in ("decision", "undetected"):
        old.pop(k)
    back = Analysis.from_dict(old)
    assert back.decision == {} and back.undetected == {}
    with pytest.raises(ValueError, match="schema_version"):
        Analysis.from_dict(dict(d, schema_version="9"))


def test_level_calibrator_applies_platt_per_technique_and_switches_off_the_unfitted():
    c = cal.LevelCalibrator(["A", "B"], {"A": [0.0, 1.0], "B": [1.0, 0.0]}, ["A"], ["logit_peak"])
    got = c(np.array([0, 0, 1]), cal.logit(np.array([[0.5], [0.8], [0.9]])))
    np.testing.assert_allclose(got, [0.5, 0.8, 0.0], atol=1e-6)
    assert c.off() == ["B"]


def test_fit_platt_recovers_a_pooled_curve_and_shrinks_a_rare_technique_towards_it():
    from propscan.train.calibrate import fit_platt

    rng = np.random.default_rng(0)
    x = rng.normal(size=4000)
    tech = (rng.random(4000) < 0.01).astype(int)  # technique 1 is rare
    y = rng.random(4000) < 1 / (1 + np.exp(-(2 * x - 1)))
    W, pos = fit_platt(x, y, tech, 2, shrink=10.0)
    np.testing.assert_allclose(W[0], [-1, 2], atol=0.25)
    np.testing.assert_allclose(W[1], W[0], atol=0.3)
    assert pos.sum() == y.sum()


def test_protocol_metrics_from_per_article_sums():
    c = np.array([[2, 1, 1], [0, 0, 2]], float)  # tp, fp, fn per article
    assert P.f1_from_counts(c) == pytest.approx(2 * 2 / (2 * 2 + 1 + 3))
    s = P.ece_stats(np.array([0.05, 0.95, 0.95]), np.array([0, 1, 0]), np.array([0, 0, 1]), 2)
    assert P.ece(s) == pytest.approx((0.05 + abs(1.9 - 1)) / 3)
    lo, hi = P.bootstrap(c, P.f1_from_counts, n=200)
    assert 0 <= lo <= P.f1_from_counts(c) <= hi <= 1
    assert P.cv_fold("111") == P.cv_fold("111") and {P.cv_fold(str(i)) for i in range(50)} == set(range(5))


def test_paired_difference_of_two_taggers_on_the_same_articles():
    from propscan.train.protocol_fit import paired_difference

    rng = np.random.default_rng(3)
    si = rng.integers(1, 9, (40, 4)).astype(float)
    st3 = rng.integers(1, 9, (40, 3)).astype(float)
    a = {"per_article": {part: {"si": si, "spans": si, "st3": st3} for part in ("oof", "outer_unseen")}}
    same = paired_difference(a, a, n=100)
    assert same["oof"]["st3"] == [0.0, 0.0, 0.0]  # the same articles resampled under both: no noise left
    better = {"per_article": {part: {"si": si, "spans": si, "st3": st3 * [1.5, 0.5, 0.5]}
                              for part in ("oof", "outer_unseen")}}
    d, lo, hi = paired_difference(better, a, n=200)["outer_unseen"]["st3"]
    assert d == pytest.approx(P.f1_from_counts(st3 * [1.5, 0.5, 0.5]) - P.f1_from_counts(st3), abs=1e-4)
    assert 0 < lo <= d <= hi


@pytest.mark.skipif(not cal.CONFIG.is_file(), reason="no shipped calibration.json")
def test_shipped_calibration_matches_the_tagger_labels_and_states_its_threshold():
    labels = json.loads((cal.CONFIG.parent / "tagger.json").read_text(encoding="utf-8"))["labels"]
    c = cal.Calibration.load(labels)
    assert c is not None and 0.01 <= c.threshold <= 1
    assert set(c.span.off()) >= {"Straw_Man", "Whataboutism"}  # never annotated often enough to fit
    p = c.paragraphs(np.full((2, len(labels)), 0.99))
    assert p.shape == (2, len(labels)) and ((p >= 0) & (p <= 1)).all()


def test_report_legend_states_the_threshold_and_what_is_not_detected_and_marks_paragraph_only_labels():
    from propscan.writers.report import render_article

    a = decide(_analysis(), 0.2)
    a.undetected = {"spans": ["Straw_Man"], "paragraphs": ["Whataboutism"]}
    html = render_article(a)
    assert "at least 0.2;" in html
    assert "Not detected by this model as spans: Straw man" in html
    assert "Not detected by this model as paragraph labels: Whataboutism" in html
    assert "\u00b6 25%" in html  # Doubt rests on the paragraph's own probability
    a.paragraphs[1].sources = {"Doubt": {"tagger": 0.1, "paragraph_model": 0.32}}
    assert "combines the span model&#x27;s 10% and the paragraph model&#x27;s 32%" in render_article(a)
    assert "\u00b6 60%" not in html and "60%" in html  # Loaded_Language comes from its span


def test_a_calibration_fitted_for_another_tagger_is_not_applied(tmp_path):
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps({"tagger_version": "old", "threshold": 0.2, "span": {}, "paragraph": {}}))
    assert cal.load_config(path, "new") is None
    assert cal.load_config(path, "old")["threshold"] == 0.2
    assert cal.load_config(tmp_path / "absent.json", "new") is None


def test_feed_weights_make_reports_count_as_in_a_news_feed():
    from propscan.train.protocol_fit import genre_weights, weighted

    arts = [Analysis(article=Article(id=str(i), text="x")) for i in range(6)]
    for a, g in zip(arts, ["opinion", "opinion", "opinion", "opinion", "reporting", None]):
        a.genre = {g: 1.0} if g else {}
    w = genre_weights(arts)
    assert w[5] == 0.0  # no gold genre: left out
    share = w[4] / (w[4] + w[:4].sum())  # the one report against the four opinion pieces, as in the feed mix
    assert share == pytest.approx(P.FEED_MIX["reporting"] / (P.FEED_MIX["reporting"] + P.FEED_MIX["opinion"]))
    # every metric is a ratio of per-article sums: weighting scales the rows, and equal weights change nothing
    st3 = np.array([[2.0, 1.0, 1.0], [0.0, 3.0, 1.0]])
    assert P.f1_from_counts(weighted({"st3": st3}, np.array([1.0, 1.0]))["st3"]) == P.f1_from_counts(st3)
    assert P.f1_from_counts(weighted({"st3": st3}, np.array([1.0, 0.0]))["st3"]) == P.f1_from_counts(st3[:1])


def test_paragraph_probability_is_the_weighted_mean_of_the_two_calibrated_models():
    labels = ["Doubt", "Slogans"]
    level = {"features": ["logit_peak"], "coef": {t: [0.0, 1.0] for t in labels}, "enabled": labels}
    d = {"span": level, "paragraph": {**level, "enabled": ["Doubt"]},
         "paragraph_model": {**level, "features": ["logit_paragraph_model"]}, "paragraph_model_weight": 0.7}
    c = cal.Levels(labels, d)
    peak = np.array([[0.2, 0.9], [0.2, 0.9]])
    model = np.array([[0.6, 0.9], [np.nan, np.nan]])  # the second paragraph was not scored by the paragraph model
    p = c.paragraphs(peak, model)
    assert p[0, 0] == pytest.approx(0.3 * 0.2 + 0.7 * 0.6)  # identity calibrators: the plain weighted mean
    assert p[1, 0] == pytest.approx(0.2)  # the tagger's alone where the paragraph model said nothing
    assert (p[:, 1] == 0).all()  # switched off at paragraph level stays off, whatever the second model says
    assert np.allclose(c.paragraphs(peak), [[0.2, 0.0], [0.2, 0.0]])  # no paragraph model: the tagger's alone


@pytest.mark.skipif(not cal.CONFIG.is_file(), reason="no shipped calibration.json")
def test_english_paragraphs_read_the_paragraph_model_before_the_tagger():
    from propscan.analyzer import Analyzer, build
    from propscan.components import PARAGRAPH_MODEL_SCORES

    steps = build(("propscan.detect.language:LanguageTagger", "propscan.classify.multilingual:ParagraphModelScores"))
    if len(steps) < 2:
        pytest.skip("paragraph model not shipped")
    text = ("Title of a report\n\nThe corrupt elite keeps lying to all of us, and everyone knows it.\n\n"
            "Rain is expected in the north on Tuesday, the weather service said.")
    a = Analyzer(steps)(Article(id="pm", text=text))
    rows = a.scratch[PARAGRAPH_MODEL_SCORES]["rows"]
    assert sorted(rows) == [0, 1, 2] and all(((r >= 0) & (r <= 1)).all() for r in rows.values())
