"""Language identification: the article's language, and paragraphs in another one flagged."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from propscan.analyzer import DEFAULT_PIPELINE
from propscan.cleanup import clean_article
from propscan.components import Component
from propscan.document import Analysis, Article
from propscan.detect.language import LanguageTagger, script_of

EN = ("The water board announced on Monday that the reservoirs are again more than half full after "
      "three weeks of steady rain across the valley.")
EN2 = ("Farmers in the lower valley said they still cannot irrigate as much as they did before the "
       "drought began two years ago, and asked the board for help.")
AR = "هذا الموقع يستخدم ملفات الكوكيز لتقديم أفضل تجربة لزوار موقعنا، موافق قراءة المزيد"
FR = ("Le conseil municipal a voté mardi la fermeture de l'ancien ponton, après que des ingénieurs "
      "ont découvert des fissures dans trois de ses piliers.")
FR2 = ("Les habitants qui utilisent le ponton chaque matin ont déclaré que la décision avait été prise "
       "sans avertissement et sans aucune concertation.")
ES = ("El ayuntamiento aprobó el martes el cierre del viejo muelle después de que los ingenieros "
      "encontraran grietas en tres de sus columnas.")
ES2 = ("Los vecinos que usan el muelle cada mañana dijeron que la decisión llegó sin aviso y pidieron "
       "explicaciones al alcalde durante la reunión.")
DE = ("Der Stadtrat hat am Dienstag beschlossen, den alten Fähranleger zu schließen, nachdem Ingenieure "
      "Risse in drei seiner Stützpfeiler gefunden hatten.")


def tag(text: str, language: str = "en") -> Analysis:
    return LanguageTagger.create()(Analysis(article=Article(id="t", text=text, language=language)))


def test_is_a_component_and_first_in_the_pipeline() -> None:
    tagger = LanguageTagger.create()
    assert isinstance(tagger, Component)
    assert tagger.name == "language" and "py3langid" in tagger.version
    assert DEFAULT_PIPELINE[0] == "propscan.detect.language:LanguageTagger"


def test_arabic_paragraph_in_an_english_article_is_flagged() -> None:
    a = tag(f"Rain ends the drought\n\n{EN}\n{AR}\n{EN2}\n")
    assert a.article.language == "en"
    flagged = [p for p in a.paragraphs if p.flagged]
    assert len(flagged) == 1
    assert a.text[flagged[0].start:flagged[0].end] == AR
    assert flagged[0].flagged == "language: ar (article is en)"
    assert flagged[0].language == "ar"
    body = [p for p in a.paragraphs if a.text[p.start:p.end] == EN][0]
    assert body.language == "en" and not body.flagged
    assert any("1 paragraph(s) are in another language" in n for n in a.notices)


def test_short_lines_are_not_identified() -> None:
    a = tag(f"Rain ends\n\nby webadmin\n{EN}\nReorder rows\n{EN2}\n")
    short = [p for p in a.paragraphs if a.text[p.start:p.end] in ("Rain ends", "by webadmin", "Reorder rows")]
    assert all(p.language is None and not p.flagged for p in short)


def test_french_article_gets_its_language_and_no_flags() -> None:
    a = tag(f"Fermeture du ponton\n\n{FR}\n{FR2}\n")
    assert a.article.language == "fr"
    assert not any(p.flagged for p in a.paragraphs)
    assert not a.notices


def test_english_quotation_block_in_a_french_article_is_flagged() -> None:
    a = tag(f"Fermeture du ponton\n\n{FR}\n{EN}\n{FR2}\n")
    assert a.article.language == "fr"
    assert [p.flagged for p in a.paragraphs if p.flagged] == ["language: en (article is fr)"]


def test_unsupported_language_gets_a_notice() -> None:
    a = tag(f"Cierre del muelle\n\n{ES}\n{ES2}\n")
    assert a.article.language == "es"
    assert any("Spanish (es)" in n and "unreliable" in n for n in a.notices)


def test_language_given_by_a_reader_is_kept() -> None:
    a = tag(f"Titel\n\n{DE}\n{EN}\n", language="de")
    assert a.article.language == "de"
    assert [a.text[p.start:p.end] for p in a.paragraphs if p.flagged] == [EN]
    forced = Article(id="f", text=f"Rain\n\n{FR}\n{FR2}\n", meta={"language_given": True})
    assert LanguageTagger.create()(Analysis(article=forced)).article.language == "en"


def test_scripts() -> None:
    assert script_of(AR)[0] == "arabic"
    assert script_of("פרסום ראשון")[0] == "hebrew"
    assert script_of("Привет, мир")[0] == "cyrillic"
    assert script_of(EN)[0] == "latin"


def test_raw_crawl_fixture_flags_the_arabic_tail(fixtures: Path) -> None:
    raw = (fixtures / "crawl_foreign_tail.txt").read_text(encoding="utf-8")
    uncleaned = tag(raw)
    assert uncleaned.article.language == "en"
    assert any(p.flagged.startswith("language: ar") for p in uncleaned.paragraphs)
    # once cleaned, the Arabic widgets are gone and nothing is left to flag
    cleaned = LanguageTagger.create()(Analysis(article=clean_article(Article(id="c", text=raw))))
    assert not any(p.flagged for p in cleaned.paragraphs)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_never_crashes(text: str) -> None:
    a = tag(text if text.strip() else "x")
    assert isinstance(a.article.language, str) and a.article.language


@pytest.mark.shared
def test_dataset_languages_identified(data_dir: Path) -> None:
    iso = {"en": "en", "fr": "fr", "ge": "de", "it": "it", "po": "pl", "ru": "ru"}
    tagger = LanguageTagger.create()
    for folder, code in iso.items():
        folder_path = data_dir / "semeval2023-task3" / folder / "train-articles-subtask-3"
        paths = sorted(folder_path.glob("article*.txt"))[:25]
        for path in paths:
            art = Article(id=path.stem, text=path.read_text(encoding="utf-8"))
            a = tagger(Analysis(article=art))
            assert a.article.language == code, path
            assert sum(1 for p in a.paragraphs if p.flagged) <= 1, path


def test_plain_english_is_settled_without_the_identifier():
    from propscan.detect.language import clearly_english

    assert clearly_english("The minister said on Tuesday that the plan would be put to a vote in the spring.")
    for other in ("Le ministre a annoncé mardi que le projet serait soumis au vote au printemps prochain.",
                  "Der Minister sagte am Dienstag, dass der Plan im Frühjahr zur Abstimmung gestellt werde.",
                  "Il ministro ha detto martedì che il piano sarà messo ai voti in primavera, come previsto.",
                  "Minister powiedział we wtorek, że plan zostanie poddany pod głosowanie wiosną tego roku.",
                  "Министр заявил во вторник, что план будет вынесен на голосование весной.",
                  "Breaking news today"):  # too short to be sure
        assert not clearly_english(other)
