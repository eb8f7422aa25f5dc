"""The article-level validation protocol: outer set, folds, feed-mix weighting, calibration, decision rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")
pytest.importorskip("scipy")

from propscan.train.article import (FOLDS, OUTER, apply_genre_calibration, bootstrap_ci, choose_frames,  # noqa: E402
                                    feed_macro_f1, feed_prior, feed_weights, fit_genre_calibration, outer_ids,
                                    protocol_fold, reliability)

EVALDATA = Path(__file__).parent / "fixtures" / "evaldata"


def test_outer_set_is_the_2023_articles_missing_from_2020() -> None:
    # the fixture has 2023 articles 1000, 1001, 1004 and the 2020 article 1000
    assert outer_ids(EVALDATA) == {"1001", "1004"}


def test_folds_are_stable_and_outer_only_for_english() -> None:
    outer = {"1001"}
    assert protocol_fold("en", "1001", outer) == OUTER
    assert 0 <= protocol_fold("fr", "1001", outer) < FOLDS  # same id in another language: not the outer set
    assert protocol_fold("en", "1000", outer) == protocol_fold("en", "1000", outer)
    folds = {protocol_fold("de", str(i), outer) for i in range(200)}
    assert folds == set(range(FOLDS))


def test_feed_weights_give_the_feed_mix() -> None:
    y = np.array([0] * 80 + [1] * 15 + [2] * 5)  # opinion-heavy, like the training data
    w = feed_weights(y)
    share = np.array([w[y == c].sum() for c in range(3)]) / w.sum()
    assert np.allclose(share, feed_prior())
    assert feed_prior()[1] == pytest.approx(0.656, abs=1e-3)


def test_feed_macro_f1_counts_reporting_errors_heavily() -> None:
    y = np.array([0] * 80 + [1] * 15 + [2] * 5)
    assert feed_macro_f1(y, y) == 1.0
    all_opinion = feed_macro_f1(y, np.zeros_like(y))
    assert all_opinion < 0.2  # in a 2/3-reporting feed, calling everything opinion is nearly worthless


def test_reliability_of_a_calibrated_and_an_overconfident_model() -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 20000)
    hit = rng.uniform(0, 1, 20000) < p
    ece, table = reliability(p, hit)
    assert ece < 0.02 and len(table) == 10
    assert reliability(np.full(1000, 0.9), rng.uniform(0, 1, 1000) < 0.5)[0] > 0.35


def test_genre_calibration_learns_the_feed_prior() -> None:
    """Balanced raw scores that carry no information become the feed mix itself."""
    y = np.array([0] * 700 + [1] * 200 + [2] * 100)
    raw = np.zeros((len(y), 3))
    cal = fit_genre_calibration(raw, y)
    assert np.allclose(apply_genre_calibration(cal, raw)[0], feed_prior(), atol=0.01)


def test_frames_decision_rule() -> None:
    P = np.array([[0.5, 0.4, 0.1], [0.2, 0.3, 0.1]])
    assert choose_frames(P, 0.375).tolist() == [[1, 1, 0], [0, 1, 0]]  # none passes: the most probable one


def test_bootstrap_interval_is_deterministic_and_brackets_the_value() -> None:
    x = np.arange(100) % 2
    lo, hi = bootstrap_ci(lambda i: x[i].mean(), len(x))
    assert (lo, hi) == bootstrap_ci(lambda i: x[i].mean(), len(x))
    assert lo < 0.5 < hi
