"""Span priors for labelling given spans (SemEval-2020 TC): counting them and applying them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from propscan.detect.span_priors import MODEL, SpanPriors, length_bucket, occurrences
from propscan.train.span_priors import fit, main

TEXT = ("Traitors everywhere.\n\nThe traitors lied, and the traitors will lie again. Give us back our "
        "country, says the mayor, because if we do nothing now the whole region will fall to the "
        "criminals who run it today.\n\nNo warning came from the traitors.")


def priors(alpha: float = 1.0) -> SpanPriors:
    return SpanPriors.load_dict({
        "version": "test", "repetition": {"1": 0.03, "2": 0.3, "3": 0.6}, "length_edges": [1, 3, 7, 15],
        "length_ratio": {"Slogans": [1.0, 3.0, 1.0, 0.5, 0.2], "Causal_Oversimplification": [0.2, 0.3, 0.5, 1.5, 3.0],
                         "Repetition": [2.0, 1.0, 1.0, 1.0, 1.0]},
        "alpha": alpha})


def test_occurrences_are_whole_words_any_case() -> None:
    assert occurrences(TEXT, "traitors") == 4  # "Traitors" counts, "traitorous" would not
    assert occurrences(TEXT, "war") == 0  # inside "warning"
    assert occurrences(TEXT, "  ") == 0


def test_length_buckets() -> None:
    edges = [1, 3, 7, 15]
    assert [length_bucket(p, edges) for p in ("one", "two words", "a b c d e", " ".join("w" * 20))] == [0, 1, 2, 4]


def test_a_recurring_span_leans_to_repetition_and_a_single_one_does_not() -> None:
    start = TEXT.index("traitors lied")
    recurring = (start, start + len("traitors"))
    single = (TEXT.index("mayor"), TEXT.index("mayor") + len("mayor"))
    scores = [{"Repetition": 0.1, "Name_Calling-Labeling": 0.3}, {"Repetition": 0.1, "Name_Calling-Labeling": 0.3}]
    got = priors(alpha=0.0).adjust(TEXT, [recurring, single], scores)
    assert max(got[0], key=got[0].get) == "Repetition"
    assert got[1] == scores[1]  # once is no evidence: unchanged
    assert scores[0]["Repetition"] == 0.1, "the caller's scores are not modified"


def test_the_length_prior_reorders_close_calls() -> None:
    clause = (TEXT.index("because"), TEXT.index("today") + len("today"))  # 21 words
    slogan = (TEXT.index("Give us back"), TEXT.index("country") + len("country"))  # 5 words
    even = {"Slogans": 0.3, "Causal_Oversimplification": 0.3}
    got = priors(alpha=1.0).adjust(TEXT, [clause, slogan], [dict(even), dict(even)])
    assert max(got[0], key=got[0].get) == "Causal_Oversimplification"
    assert got[1]["Slogans"] > got[1]["Causal_Oversimplification"]
    assert priors(alpha=0.0).adjust(TEXT, [clause], [dict(even)]) == [even]


def _dataset(root: Path) -> Path:
    """A tiny SemEval-2020 folder in the official layout, with an article id outside the validation split."""
    base = root / "semeval2020-task11"
    for sub in ("train-articles", "train-labels-task2-technique-classification",
                "train-labels-task1-span-identification"):
        (base / sub).mkdir(parents=True)
    (base / "train-articles" / "article1001.txt").write_text(TEXT, encoding="utf-8")
    first = TEXT.index("traitors lied")
    rows = [("Repetition", first, first + 8), ("Name_Calling,Labeling", 0, 8),
            ("Slogans", TEXT.index("Give us back"), TEXT.index("country") + 7)]
    (base / "train-labels-task2-technique-classification" / "article1001.task2-TC.labels").write_text(
        "".join(f"1001\t{t}\t{s}\t{e}\n" for t, s, e in rows), encoding="utf-8")
    (base / "train-labels-task1-span-identification" / "article1001.task1-SI.labels").write_text(
        "".join(f"1001\t{s}\t{e}\n" for _, s, e in rows), encoding="utf-8")
    return root


def test_fit_counts_the_training_articles(tmp_path: Path) -> None:
    d = fit(_dataset(tmp_path), alpha=0.5)
    # the slogan occurs once; of the two "traitors" spans (3+ occurrences) one is Repetition
    assert d["repetition"] == {"1": 0.0, "3": 0.5}
    assert set(d["length_ratio"]) == {"Repetition", "Name_Calling-Labeling", "Slogans"}
    assert all(len(r) == len(d["length_edges"]) + 1 for r in d["length_ratio"].values())
    out = tmp_path / "priors.json"
    assert main(["--data", str(tmp_path), "--out", str(out)]) == 0
    assert SpanPriors.load(out) is not None and json.loads(out.read_text())["alpha"] == 0.5


def test_the_shipped_priors_load() -> None:
    if not MODEL.is_file():
        pytest.skip("span priors not bundled in this checkout")
    p = SpanPriors.load()
    assert p is not None and p.repetition[3] > p.repetition[2] > p.repetition[1]
    assert 0.0 <= p.alpha <= 1.0


def test_the_shipped_span_labeller_uses_the_priors() -> None:
    from propscan.detect.tagger import SpanTagger
    from propscan.document import Article
    from propscan.evaluate.spanlabels import load_scorer

    tagger = SpanTagger.create()
    scorer = load_scorer()
    if tagger is None or scorer is None or not MODEL.is_file():
        pytest.skip("tagger or span priors not bundled in this checkout")
    article = Article(id="t", title="Traitors everywhere.", text=TEXT)
    start = TEXT.index("traitors lied")
    spans = [(start, start + len("traitors"))]
    plain = tagger.technique_scores(article, spans)[0]
    with_priors = scorer(article, spans)[0]
    assert with_priors["Repetition"] > plain["Repetition"]  # "traitors" occurs 4 times
