"""Paragraph techniques for fr/de/it/pl/ru; English left alone; unsupported languages get a notice, no labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from propscan.classify.multilingual import MODEL, MultilingualTechniques
from propscan.document import Analysis, Article
from propscan.taxonomy import TECHNIQUES

pytestmark = pytest.mark.skipif(not MODEL.is_file(), reason="st3-multilingual.npz not trained")
FIX = Path(__file__).parent / "fixtures" / "article_level"


def analysis(name: str, language: str) -> Analysis:
    text = (FIX / name).read_text(encoding="utf-8")
    return Analysis(article=Article(id=name.split(".")[0], text=text, language=language))


@pytest.fixture(scope="module")
def comp() -> MultilingualTechniques:
    return MultilingualTechniques.create()


def test_french_rant_gets_labels(comp: MultilingualTechniques) -> None:
    a = comp(analysis("fr_opinion.txt", "fr"))
    labelled = [p for p in a.paragraphs if p.techniques]
    assert len(labelled) >= 2
    for p in a.paragraphs:
        assert set(p.techniques) <= set(TECHNIQUES)
        assert all(0 <= s <= 1 for s in p.scores.values())
        assert all(p.scores.get(t, 0) > 0 for t in p.techniques)
    assert not a.notices


def test_overrides_english_only_guesses(comp: MultilingualTechniques) -> None:
    a = analysis("de_report.txt", "de")
    for p in a.paragraphs:
        p.techniques, p.scores = ["Slogans"], {"Slogans": 0.99}
    comp(a)
    assert all(p.scores.get("Slogans", 0) < 0.99 for p in a.paragraphs)


def test_english_paragraphs_untouched(comp: MultilingualTechniques) -> None:
    a = analysis("en_opinion.txt", "en")
    a.paragraphs[1].techniques = ["Loaded_Language"]
    comp(a)
    assert a.paragraphs[1].techniques == ["Loaded_Language"]
    assert not a.notices


def test_unsupported_language_notice_and_no_labels(comp: MultilingualTechniques) -> None:
    a = analysis("es_unsupported.txt", "es")
    a.paragraphs[1].techniques = ["Loaded_Language"]  # e.g. an English-only detector's guess
    comp(a)
    assert all(not p.techniques and not p.scores for p in a.paragraphs)
    assert any("'es'" in n and "not supported" in n for n in a.notices)
    assert all("not supported" in p.flagged for p in a.paragraphs)


def test_mixed_languages_per_paragraph(comp: MultilingualTechniques) -> None:
    en = (FIX / "en_reporting.txt").read_text(encoding="utf-8")
    fr = (FIX / "fr_opinion.txt").read_text(encoding="utf-8")
    a = Analysis(article=Article(id="mix", text=en + "\n" + fr, language="en"))
    n_en = len(Article(id="x", text=en).paragraphs)
    for i, p in enumerate(a.paragraphs):
        p.language = "en" if i < n_en else "fr"
    comp(a)
    assert all(not p.techniques for p in a.paragraphs[:n_en])
    assert any(p.techniques for p in a.paragraphs[n_en:])


@pytest.mark.shared
def test_french_validation_beats_loaded_language_everywhere(data_dir: Path, comp: MultilingualTechniques) -> None:
    """On French validation articles the model must beat the trivial 'Loaded_Language on every paragraph'."""
    from propscan.readers.semeval import load_2023
    from propscan.splits import split

    _, val = split(load_2023(data_dir, "fr"))
    val = val[:12]
    preds = list(comp.pipe([Analysis(article=a.article) for a in val]))

    def f1(pairs_pred: set, pairs_gold: set) -> float:
        tp = len(pairs_pred & pairs_gold)
        return 2 * tp / (len(pairs_pred) + len(pairs_gold)) if tp else 0.0

    gold = {(a.article.id, p.line, t) for a in val for p in a.paragraphs for t in p.techniques}
    ours = {(a.article.id, p.line, t) for a in preds for p in a.paragraphs for t in p.techniques}
    trivial = {(a.article.id, p.line, "Loaded_Language") for a in val for p in a.paragraphs}
    assert f1(ours, gold) > f1(trivial, gold)


def test_article_level_runtime_needs_no_torch_or_sklearn() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from propscan.document import Analysis, Article\n"
        "from propscan.classify.multilingual import MultilingualTechniques\n"
        "from propscan.classify.genre import GenreClassifier\n"
        "from propscan.classify.frames import FrameClassifier\n"
        "from propscan.classify.profile import PersuasionProfiler\n"
        f"text = Path({str(FIX / 'fr_opinion.txt')!r}).read_text(encoding='utf-8')\n"
        "a = Analysis(article=Article(id='x', text=text, language='fr'))\n"
        "for c in (MultilingualTechniques.create(), GenreClassifier.create(), FrameClassifier.create(),"
        " PersuasionProfiler.create()):\n"
        "    a = c(a)\n"
        "assert a.genre and a.frames and a.profile.score >= 0\n"
        "bad = [m for m in ('torch', 'transformers', 'sklearn', 'scipy') if m in sys.modules]\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
