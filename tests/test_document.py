from propscan.document import Analysis, Article, Edit, Span, apply_edits, split_paragraphs
from propscan.taxonomy import CATEGORIES, NAMES_2020, NAMES_2021, TECHNIQUES, normalise, to_view


def test_taxonomy_has_23_techniques_in_6_categories():
    assert len(TECHNIQUES) == 23
    assert len(CATEGORIES) == 6
    assert {t.category for t in TECHNIQUES.values()} == set(CATEGORIES)
    assert all(t.definition and t.example for t in TECHNIQUES.values())


def test_views_cover_the_older_taxonomies():
    assert len(NAMES_2020) == 14
    assert len(NAMES_2021) == 20
    for name in TECHNIQUES:
        assert to_view(name, "2020") in NAMES_2020
        assert normalise(to_view(name, "2021")) in TECHNIQUES
    assert to_view("Straw_Man", "2020") == "Whataboutism,Straw_Men,Red_Herring"
    assert normalise("Thought-terminating_Cliches") == "Conversation_Killer"
    assert normalise("Smears") == "Questioning_the_Reputation"


def test_paragraphs_are_non_empty_lines_with_1_based_numbers():
    text = "Title\n\nFirst para.\n  \nSecond para.  \n"
    paras = split_paragraphs(text)
    assert [(text[p.start:p.end], p.line) for p in paras] == [("Title", 1), ("First para.", 3), ("Second para.", 5)]


def test_offsets_map_back_through_edits():
    raw = "Title\n\nBody [form id=1] text here.\nComment: spam\n"
    a, b = raw.index("[form"), raw.index("text")
    c = raw.index("Comment")
    edits = [Edit(a, b, "", "shortcode", "shortcode", raw[a:b]), Edit(c, len(raw), "", "comments", "", raw[c:])]
    clean = apply_edits(raw, edits)
    assert clean == "Title\n\nBody text here.\n"
    art = Article(id="1", text=clean, raw_text=raw, edits=edits)
    i = clean.index("text")
    assert raw[art.to_raw(i):art.to_raw(i + 4)] == "text"
    assert art.raw_line_of(clean.index("Body")) == 3


def test_analysis_round_trips_through_json():
    art = Article(id="7", text="A title\n\nThe corrupt elite lies.")
    a = Analysis(article=art, spans=[Span(13, 20, "Loaded_Language", 0.9, "tagger", "emotive word")])
    a.paragraphs[1].techniques.append("Loaded_Language")
    d = a.to_dict()
    assert d["schema_version"] == "1.2"
    assert d["spans"][0]["text"] == "corrupt"
    assert d["spans"][0]["category"] == "Manipulative_Wording"
    back = Analysis.from_dict(d)
    assert back.to_dict() == d
    assert a.to_dict("2020")["spans"][0]["technique"] == "Loaded_Language"


def test_reads_schema_1_0():
    """A 1.0 analysis (the old density-based 0-100 score, no score_missing) still reads back unchanged."""
    old = {"schema_version": "1.0", "taxonomy": "2023",
           "article": {"id": "8", "text": "T\n\nBody.", "title": "T", "source": "", "language": "en", "meta": {}},
           "spans": [], "paragraphs": [], "genre": {"opinion": 0.7, "reporting": 0.2, "satire": 0.1}, "frames": {},
           "profile": {"score": 100, "score_definition": "Persuasion score = 100 x (1 - exp(-d / 15))"},
           "models": {}, "notices": []}
    back = Analysis.from_dict(old)
    assert back.profile.score == 100 and back.genre["opinion"] == 0.7
    assert back.to_dict()["schema_version"] == "1.2"
