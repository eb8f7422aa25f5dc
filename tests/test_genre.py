"""Genre (opinion / reporting / satire) from the multilingual lead embedding."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from propscan.classify.genre import MODEL, GenreClassifier
from propscan.document import Analysis, Article
from propscan.writers import Semeval2023ST1Writer

pytestmark = pytest.mark.skipif(not MODEL.is_file(), reason="genre.npz not trained")
FIX = Path(__file__).parent / "fixtures" / "article_level"


def analysis(name: str, language: str) -> Analysis:
    text = (FIX / name).read_text(encoding="utf-8")
    return Analysis(article=Article(id=name.split(".")[0], text=text, language=language))


@pytest.fixture(scope="module")
def clf() -> GenreClassifier:
    return GenreClassifier.create()


def test_probabilities_over_three_genres(clf: GenreClassifier) -> None:
    a = clf(analysis("en_opinion.txt", "en"))
    assert set(a.genre) == {"opinion", "reporting", "satire"}
    assert abs(sum(a.genre.values()) - 1) < 1e-3
    assert all(0 <= p <= 1 for p in a.genre.values())


def test_reporting_and_opinion_told_apart(clf: GenreClassifier) -> None:
    rep, op = list(clf.pipe([analysis("en_reporting.txt", "en"), analysis("en_opinion.txt", "en")]))
    assert rep.genre["reporting"] > op.genre["reporting"]
    assert op.genre["opinion"] > rep.genre["opinion"]
    assert max(rep.genre, key=rep.genre.get) == "reporting"


def test_other_languages(clf: GenreClassifier) -> None:
    de = clf(analysis("de_report.txt", "de"))
    assert max(de.genre, key=de.genre.get) == "reporting"
    fr = clf(analysis("fr_opinion.txt", "fr"))
    assert fr.genre and not fr.notices


def test_unsupported_language_gets_notice_and_no_label(clf: GenreClassifier) -> None:
    a = clf(analysis("es_unsupported.txt", "es"))
    assert a.genre == {}
    assert any("genre" in n and "'es'" in n for n in a.notices)


def test_st1_writer_takes_the_argmax(clf: GenreClassifier) -> None:
    a = clf(analysis("en_reporting.txt", "en"))
    out = io.StringIO()
    Semeval2023ST1Writer(out).write(a)
    assert out.getvalue() == f"en_reporting\t{max(a.genre, key=a.genre.get)}\n"


@pytest.mark.shared
def test_english_validation_quality(data_dir: Path, clf: GenreClassifier) -> None:
    """Balanced macro-F1 (each gold class weighted equally) on the English validation split >= 0.60."""
    from sklearn.metrics import f1_score

    from propscan.readers.semeval import load_2023
    from propscan.splits import split

    _, val = split([a for a in load_2023(data_dir, "en") if a.genre])
    gold = [next(iter(a.genre)) for a in val]
    pred_in = [Analysis(article=a.article) for a in val]
    pred = [max(p.genre, key=p.genre.get) for p in clf.pipe(pred_in)]
    counts = {g: gold.count(g) for g in set(gold)}
    weights = [1 / counts[g] for g in gold]
    f1 = f1_score(gold, pred, labels=sorted(counts), average="macro", sample_weight=weights)
    assert f1 >= 0.60
