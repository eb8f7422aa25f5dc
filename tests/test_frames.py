"""Frames (SemEval-2023 subtask 2) and the numpy TF-IDF that serves them without sklearn."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from propscan.classify.features import Tfidf
from propscan.classify.frames import MODEL, FrameClassifier
from propscan.document import Analysis, Article
from propscan.writers import Semeval2023ST2Writer

FIX = Path(__file__).parent / "fixtures" / "article_level"
needs_model = pytest.mark.skipif(not MODEL.is_file(), reason="frames.npz not trained")


def analysis(name: str, language: str) -> Analysis:
    text = (FIX / name).read_text(encoding="utf-8")
    return Analysis(article=Article(id=name.split(".")[0], text=text, language=language))


@pytest.mark.parametrize("analyzer,ngrams", [("word", (1, 1)), ("word", (1, 2)), ("char_wb", (2, 5)),
                                             ("char_wb", (1, 3))])
def test_numpy_tfidf_matches_sklearn(analyzer: str, ngrams: tuple[int, int]) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = [(FIX / f).read_text(encoding="utf-8") for f in sorted(p.name for p in FIX.glob("*.txt"))]
    docs += ["a b  c\td", "", "I", "Президент ушел в отставку!!"]
    vec = TfidfVectorizer(analyzer=analyzer, ngram_range=ngrams, sublinear_tf=True).fit(docs)
    ours = Tfidf.from_sklearn(vec)
    dense = vec.transform(docs).toarray()
    for row, d in zip(dense, docs):
        idx, val = ours.transform_one(d)
        got = np.zeros_like(row)
        got[idx] = val
        assert np.allclose(got, row, atol=1e-5)


@pytest.fixture(scope="module")
def clf() -> FrameClassifier:
    if not MODEL.is_file():
        pytest.skip("frames.npz not trained")
    return FrameClassifier.create()


@needs_model
def test_scores_for_all_14_frames_and_a_choice(clf: FrameClassifier) -> None:
    a = clf(analysis("en_opinion.txt", "en"))
    assert len(a.frames) == 14
    assert all(0 <= s <= 1 for s in a.frames.values())
    chosen = a.frames_chosen
    assert chosen and set(chosen) <= set(a.frames)


@needs_model
def test_budget_article_is_economic(clf: FrameClassifier) -> None:
    a = clf(analysis("de_report.txt", "de"))
    top = sorted(a.frames, key=a.frames.get, reverse=True)[:4]
    assert "Economic" in top


@needs_model
def test_st2_writer_uses_the_chosen_frames(clf: FrameClassifier) -> None:
    a = clf(analysis("en_reporting.txt", "en"))
    out = io.StringIO()
    Semeval2023ST2Writer(out).write(a)
    assert out.getvalue() == f"en_reporting\t{','.join(a.frames_chosen)}\n"


@needs_model
def test_unsupported_language(clf: FrameClassifier) -> None:
    a = clf(analysis("es_unsupported.txt", "es"))
    assert a.frames == {} and a.frames_chosen is None
    assert any(n.startswith("frames:") for n in a.notices)


@needs_model
@pytest.mark.shared
def test_outer_set_micro_f1(data_dir: Path, clf: FrameClassifier) -> None:
    """Frames micro-F1 on the protocol's outer set (75 English articles never fitted on), as in the card."""
    from propscan.readers.semeval import load_2023
    from propscan.train.article import outer_ids

    outer = outer_ids(data_dir)
    gold = [a for a in load_2023(data_dir, "en") if a.article.id in outer and a.labelled(2)]
    preds = list(clf.pipe([Analysis(article=a.article) for a in gold]))
    tp = fp = fn = 0
    for g, p in zip(gold, preds):
        want, got = set(g.frames), set(p.frames_chosen)
        tp, fp, fn = tp + len(want & got), fp + len(got - want), fn + len(want - got)
    assert 2 * tp / (2 * tp + fp + fn) >= 0.55


@needs_model
def test_too_short_text_gets_notice_and_no_frames(clf: FrameClassifier) -> None:
    a = clf(Analysis(article=Article(id="s", text="Title\n\nSome text.\n")))
    assert a.frames == {} and a.frames_chosen is None
    assert any(n.startswith("frames:") and "80 words" in n for n in a.notices)


@needs_model
def test_one_threshold_on_calibrated_probabilities(clf: FrameClassifier) -> None:
    """One visible decision rule: every chosen frame reaches the same threshold (or is the single top one)."""
    thresholds = clf._model.get()[4]
    assert len(set(np.round(thresholds, 6).tolist())) == 1
    a = clf(analysis("en_opinion.txt", "en"))
    chosen = a.frames_chosen
    assert all(a.frames[f] >= float(thresholds[0]) - 1e-4 for f in chosen) or len(chosen) == 1
