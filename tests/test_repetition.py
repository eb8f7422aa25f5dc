"""Repetition by rule: repeated charged phrases, later uses marked."""

from __future__ import annotations

from propscan.detect.repetition import RepetitionConfig, RepetitionDetector, find_repetitions
from propscan.document import Analysis, Article, Span

TEXT = ("Title line\n\nThey lied to us. They lied about the war.\n"
        "And the cost? They lied again, as they always lied.\nThe weather was fine.")


def test_repeated_charged_word_is_marked_after_its_first_use():
    first = TEXT.index("lied")
    got = find_repetitions(TEXT, charged=[(first, first + 4)], cfg=RepetitionConfig(strong_count=99))
    assert got and all(TEXT[s:e] == "lied" for s, e, _, _ in got)
    assert first not in [s for s, _, _, _ in got]
    assert len(got) == 3 and all(c == 4 for *_, c in got)


def test_uncharged_phrase_needs_to_be_frequent():
    assert find_repetitions(TEXT, charged=[], cfg=RepetitionConfig(strong_count=99)) == []
    got = find_repetitions(TEXT, charged=[], cfg=RepetitionConfig(strong_count=4))
    assert {TEXT[s:e] for s, e, _, _ in got} == {"lied"}


def test_stopwords_and_names_are_not_repetition():
    text = "A\n\nThe the the the. It was Smith again. We saw Smith there. Ask Smith now. Only Smith knows."
    got = find_repetitions(text, charged=[], cfg=RepetitionConfig(strong_count=2, max_n=1, skip_names=True))
    assert {text[s:e].lower() for s, e, _, _ in got} == set()


def test_longest_phrase_wins_and_spans_stay_on_one_line():
    text = "T\n\nwitch hunt now.\nA rigged witch hunt! The witch hunt\ncontinues, the witch hunt."
    got = find_repetitions(text, charged=[(3, 13)], cfg=RepetitionConfig(strong_count=99))
    frags = [text[s:e] for s, e, _, _ in got]
    assert frags and all(f == "witch hunt" for f in frags)
    assert all("\n" not in f for f in frags)


def test_detector_adds_spans_and_replaces_tagger_repetition():
    art = Article(id="r", text=TEXT)
    first = TEXT.index("lied")
    a = Analysis(article=art, spans=[Span(first, first + 4, "Loaded_Language", 0.9, "tagger"),
                                     Span(0, 5, "Repetition", 0.7, "tagger")])
    RepetitionDetector(RepetitionConfig(strong_count=99))(a)
    reps = [s for s in a.spans if s.technique == "Repetition"]
    assert reps and all(s.detector == "repetition" for s in reps)
    assert all("lied" in s.evidence and "4 times" in s.evidence for s in reps)


def test_detector_leaves_flagged_paragraphs_and_other_languages_alone():
    art = Article(id="r", text=TEXT)
    a = Analysis(article=art)
    for p in a.paragraphs[1:]:
        p.flagged = "language: fr"
    RepetitionDetector(RepetitionConfig(strong_count=2))(a)
    assert a.spans == []
    b = Analysis(article=Article(id="r2", text=TEXT, language="fr"))
    RepetitionDetector(RepetitionConfig(strong_count=2))(b)
    assert b.spans == []
