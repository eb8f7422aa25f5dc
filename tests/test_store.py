"""The store keeps one Analysis per article, finds it again, and answers the web app's queries.

Every test runs on SQLite and, when ``PROPSCAN_TEST_PG_URL`` names a server
(CI starts one), on PostgreSQL too.
"""

from __future__ import annotations

import os

import pytest

from propscan.corpus.profiles import compare_outlets, outlet_profile
from propscan.document import Analysis, Article, ParagraphLabels, Profile, Span
from propscan.errors import InputError
from propscan.store import Store, resolve_url
from propscan.store.schema import metadata

PG_URL = os.environ.get("PROPSCAN_TEST_PG_URL")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request, tmp_path):
    if request.param == "sqlite":
        s = Store(str(tmp_path / "test.db"))
    else:
        if not PG_URL:
            pytest.skip("PostgreSQL store tests need PROPSCAN_TEST_PG_URL=postgresql+psycopg://... "
                        "(a server to test against; .ci/run starts one)")
        s = Store(PG_URL, create=False)
        metadata.drop_all(s.engine)  # each test starts from an empty database
        metadata.create_all(s.engine)
    yield s
    s.close()


def make(id: str, text: str, *, outlet: str = "", date: str | None = None, source: str = "",
         spans: list[tuple[int, int, str]] = (), genre: str | None = None, frames: list[str] = (),
         score: float | None = None, language: str = "en") -> Analysis:
    meta = {}
    if outlet:
        meta["outlet"] = outlet
    if date:
        meta["date"] = date
    art = Article(id=id, text=text, source=source or f"/corpus/{id}.txt", meta=meta, language=language)
    a = Analysis(article=art, spans=[Span(s, e, t, 0.9, "test") for s, e, t in spans])
    if genre:
        a.genre = {genre: 0.8, "satire": 0.1}
    a.frames = {f: 0.9 for f in frames}
    if score is not None:
        a.profile = Profile(score=score)
    return a


TEXT = "Leaders meet\n\nThe corrupt elite met again today.\nNothing was decided."


def test_add_is_idempotent_and_get_round_trips(store):
    a = make("a1", TEXT, outlet="Daily", date="2024-03-02", spans=[(18, 31, "Loaded_Language")],
             genre="opinion", frames=["Political"], score=42)
    first = store.add(a)
    assert store.add(a) == first
    assert store.count() == 1
    got = store.get(first)
    assert got is not None
    assert got.to_dict() == a.to_dict()
    assert store.get(first + 1000) is None


def test_same_text_from_another_source_is_another_article(store):
    a = make("a1", TEXT, source="/x/a.txt")
    b = make("a1", TEXT, source="/y/a.txt")
    assert store.add(a) != store.add(b)
    assert store.count() == 2


def test_add_many_reports_what_was_new(store):
    a, b = make("a", TEXT + " A"), make("b", TEXT + " B")
    store.add(a)
    result = store.add_many([a, b, b])
    assert [added for _, added in result] == [False, True, False]
    assert result[1][0] == result[2][0]


def test_outlet_comes_from_meta_then_byline_then_url_never_the_folder(store):
    text = "T\n\nbody one"
    i1 = store.add(make("1", text, outlet="The Outlet"))
    art = Article(id="2", text=text + " two", source="/data/feeds/x.html", meta={"url": "https://www.example.org/a/b"})
    i2 = store.add(Analysis(article=art))
    i3 = store.add(Analysis(article=Article(id="3", text=text + " three", source="/data/feedsite/x.txt")))
    signed = "Rockets hit the port\n\nBy: Anna Jaunger, Inside Syria Media Center |\n\nThe port was hit at dawn."
    i4 = store.add(Analysis(article=Article(id="4", text=signed, source="/data/samples/4.txt",
                                            meta={"url": "https://mirror.example.net/4"})))
    footer = "Troops advance\n\nThe army moved north.\nFollow the latest developments by reading Inside Syria Media Center."
    i5 = store.add(Analysis(article=Article(id="5", text=footer, source="/data/samples/5.txt")))
    got = {i: (store.info(i)["outlet"], store.info(i)["outlet_source"]) for i in (i1, i2, i3, i4, i5)}
    assert got == {i1: ("The Outlet", "meta"), i2: ("example.org", "url"), i3: ("unknown", "unknown"),
                   i4: ("Inside Syria Media Center", "byline"), i5: ("Inside Syria Media Center", "byline")}
    assert store.info(i2)["url"] == "https://www.example.org/a/b"


def test_search_filters_and_pages(store):
    store.add(make("1", "One\n\nA tale of traitors.", outlet="A", date="2024-01-05",
                   spans=[(15, 23, "Name_Calling-Labeling")], genre="opinion"))
    store.add(make("2", "Two\n\nA calm report.", outlet="A", date="2024-02-05", genre="reporting"))
    store.add(make("3", "Three\n\nAnother calm report.", outlet="B", date="2024-03-05", genre="reporting",
                   language="fr"))
    store.add(make("4", "Four\n\nUndated calm report.", outlet="B", genre="reporting"))
    total, rows = store.search()
    assert total == 4
    assert [r["title"] for r in rows] == ["Three", "Two", "One", "Four"]  # newest first, undated last
    assert set(rows[0]) >= {"id", "title", "outlet", "date", "language", "genre", "n_spans", "score"}
    assert store.search(outlet="A")[0] == 2
    assert [r["title"] for r in store.search(date_from="2024-01-31", date_to="2024-02-28")[1]] == ["Two"]
    assert [r["title"] for r in store.search(technique="Name_Calling-Labeling")[1]] == ["One"]
    assert [r["title"] for r in store.search(technique="Name_Calling,Labeling")[1]] == ["One"]  # 2020 name
    assert store.search(genre="reporting")[0] == 3
    assert store.search(language="fr")[0] == 1
    assert [r["title"] for r in store.search(q="TRAITORS")[1]] == ["One"]
    assert store.search(q="100%")[0] == 0
    total, page = store.search(offset=1, limit=2)
    assert total == 4 and [r["title"] for r in page] == ["Two", "One"]


def test_search_refuses_bad_filters_with_a_clear_error(store):
    with pytest.raises(InputError, match="technique"):
        store.search(technique="Nonsense_Technique_Xyz")
    with pytest.raises(InputError, match="date_from"):
        store.search(date_from="not a date")


def test_outlets_and_outlet_profile(store):
    store.add(make("1", "One\n\nbad bad", outlet="A", date="2024-01-05", spans=[(5, 8, "Loaded_Language"),
                                                                                (9, 12, "Loaded_Language")],
                   genre="opinion", frames=["Political"], score=60))
    store.add(make("2", "Two\n\nfine", outlet="A", date="2024-01-20", genre="reporting", score=10))
    store.add(make("3", "Three\n\nthugs", outlet="A", date="2024-02-01", spans=[(7, 12, "Name_Calling-Labeling")],
                   genre="opinion", frames=["Political", "Security_and_Defense"], score=50))
    store.add(make("4", "Four\n\nok", outlet="B", date="2024-02-02", genre="reporting"))
    outs = store.outlets()
    assert [(o["outlet"], o["n_articles"]) for o in outs] == [("A", 3), ("B", 1)]
    assert outs[0]["first_date"] == "2024-01-05" and outs[0]["last_date"] == "2024-02-01"
    prof = outlet_profile(store, "A")
    assert prof["n_articles"] == 3
    assert prof["techniques"] == {"Loaded_Language": pytest.approx(1 / 3, abs=1e-3),
                                  "Name_Calling-Labeling": pytest.approx(1 / 3, abs=1e-3)}
    assert prof["spans_per_article"]["Loaded_Language"] == pytest.approx(2 / 3, abs=1e-3)
    assert prof["categories"] == {"Attack_on_Reputation": pytest.approx(1 / 3, abs=1e-3),
                                  "Manipulative_Wording": pytest.approx(1 / 3, abs=1e-3)}
    assert prof["genres"] == {"opinion": pytest.approx(2 / 3, abs=1e-3), "reporting": pytest.approx(1 / 3, abs=1e-3)}
    assert prof["frames"]["Political"] == pytest.approx(2 / 3, abs=1e-3)
    assert prof["mean_score"] == 40.0
    months = {m["month"]: m for m in prof["months"]}
    assert list(months) == ["2024-01", "2024-02"]
    assert months["2024-01"]["n_articles"] == 2
    assert months["2024-01"]["techniques"] == {"Loaded_Language": 0.5}
    assert months["2024-02"]["categories"] == {"Attack_on_Reputation": 1.0}
    assert outlet_profile(store, "nobody")["n_articles"] == 0


def test_paragraph_labels_count_as_technique_use(store):
    a = make("1", "Title\n\nWe must act now!", outlet="A")
    a.paragraphs = [ParagraphLabels(0, 5, 1), ParagraphLabels(7, 23, 3, ["Slogans"])]
    i = store.add(a)
    assert store.search(technique="Slogans")[1][0]["id"] == i
    assert outlet_profile(store, "A")["techniques"] == {"Slogans": 1.0}


def test_feedback_is_kept_in_order_with_the_span_text(store):
    i = store.add(make("1", TEXT, spans=[(18, 31, "Loaded_Language")]))
    f1 = store.add_feedback(i, "reject", 18, 31, "Loaded_Language", None, "tagger 0.1")
    f2 = store.add_feedback(i, "relabel", 18, 31, "Loaded_Language", "Name_Calling-Labeling", "tagger 0.1",
                            note="it labels people")
    rows = store.feedback()
    assert [r["id"] for r in rows] == [f1, f2]
    assert rows[0]["text"] == TEXT[18:31]
    assert rows[1]["new_technique"] == "Name_Calling-Labeling" and rows[1]["note"] == "it labels people"
    assert rows[0]["article_id"] == i and rows[0]["model_version"] == "tagger 0.1"
    assert [r["id"] for r in store.feedback(since=f1)] == [f2]
    assert len(store.feedback(since="2000-01-01")) == 2
    assert store.feedback(since="2999-01-01") == []


@pytest.mark.parametrize("args, match", [
    ((999, "reject", 0, 1, None, None, "v"), "no stored article"),
    ((None, "frobnicate", 0, 1, None, None, "v"), "action"),
    ((None, "add", 0, 10_000, "Loaded_Language", None, "v"), "outside"),
    ((None, "add", 0, 1, "Not_A_Technique_At_All", None, "v"), "unknown technique"),
])
def test_bad_feedback_is_refused(store, args, match):
    i = store.add(make("1", TEXT))
    args = (i if args[0] is None else args[0],) + args[1:]
    with pytest.raises(InputError, match=match):
        store.add_feedback(*args)


def test_default_url_and_plain_paths(monkeypatch, tmp_path):
    from propscan.runtime.settings import from_environ

    monkeypatch.setenv("PROPSCAN_DB", str(tmp_path / "env.db"))
    assert resolve_url(None) == "sqlite:///propscan.db"  # the library reads no environment variable
    assert resolve_url(from_environ({"PROPSCAN_DB": str(tmp_path / "env.db")}).db_url) == \
        f"sqlite:///{tmp_path / 'env.db'}"
    assert resolve_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert resolve_url("sqlite:///x.db") == "sqlite:///x.db"


def test_a_store_reopened_keeps_its_articles(tmp_path):
    path = str(tmp_path / "sub" / "keep.db")
    with Store(path) as s:
        i = s.add(make("1", TEXT))
    with Store(path) as s:
        assert s.get(i).article.text == TEXT


def test_q_searches_title_text_and_outlet_not_the_stored_json(store):
    """Issue 15, defect 15: ``q=schema_version`` matched every article (it is a key of the stored JSON)."""
    store.add(make("1", "Floods in the north\n\nThe river burst its banks\non Tuesday night.", outlet="Daily"))
    store.add(make("2", "Budget passed\n\nParliament approved the budget.", outlet="River Herald"))
    for q in ("schema_version", "spans", "meta", "article", "Daily Herald"):
        assert store.search(q=q)[0] == 0, q
    assert [r["id"] for r in store.search(q="river")[1]] == [2, 1]  # text, and the outlet's name
    assert store.search(q="floods banks")[0] == 1  # every word, anywhere
    assert store.search(q='"burst its banks on Tuesday"')[0] == 1  # a phrase across a line break
    assert store.search(q='“burst its banks”')[0] == 1  # typographic quotes
    assert store.search(q='"banks burst"')[0] == 0  # the words, not in that order
    assert store.search(q="100%_")[0] == 0  # LIKE wildcards are literal


def test_curation_updates_outlet_date_and_title_everywhere(store):
    pk = store.add(make("1", TEXT, outlet="samples", date="2024-03-02"))
    info = store.update_article(pk, outlet="Inside Syria Media Center", date="2017-10-05", title="Leaders meet again")
    assert (info["outlet"], info["outlet_source"], info["date"], info["month"], info["title"]) == \
        ("Inside Syria Media Center", "edited", "2017-10-05", "2017-10", "Leaders meet again")
    art = store.get(pk).article  # the stored JSON says the same
    assert (art.title, art.meta["outlet"], art.meta["date"]) == ("Leaders meet again", "Inside Syria Media Center",
                                                                  "2017-10-05")
    assert store.search(outlet="Inside Syria Media Center")[0] == 1
    assert store.update_article(pk, date="")["date"] is None
    with pytest.raises(InputError):
        store.update_article(pk, date="soon")
    with pytest.raises(InputError):
        store.update_article(pk, outlet="  ")
    assert store.update_article(999, title="x") is None


def test_delete_removes_the_article_with_its_feedback(store):
    keep = store.add(make("1", "Keep\n\nOther words entirely.", outlet="A"))
    pk = store.add(make("2", TEXT, outlet="A", spans=[(18, 31, "Loaded_Language")]))
    store.add_feedback(pk, "reject", 18, 31, "Loaded_Language", None, "m1", annotator="ana")
    assert store.delete_article(pk) is True
    assert store.get(pk) is None and store.info(pk) is None
    assert store.feedback() == [] and store.count() == 1
    assert store.delete_article(pk) is False
    assert store.search(technique="Loaded_Language")[0] == 0 and store.get(keep) is not None


def test_reingesting_the_same_text_with_new_metadata_updates_it(store):
    first = store.add(make("1", TEXT, source="/crawl/a.txt"))
    assert store.info(first)["outlet"] == "unknown"
    again = make("1", TEXT, source="/crawl/a.txt", outlet="Daily", date="2024-05-01")
    assert store.add_many([again]) == [(first, False)]
    info = store.info(first)
    assert (info["outlet"], info["date"], store.count()) == ("Daily", "2024-05-01", 1)
    # a reading that names no outlet leaves the known one; refresh_many is what ingest uses for skipped texts
    assert store.refresh_many([make("1", TEXT, source="/crawl/a.txt").article]) == 1
    assert store.info(first)["outlet"] == "Daily"
    assert store.refresh_many([make("9", "Never stored\n\ntext", source="/x.txt").article]) == 0


def test_feedback_records_who_and_when(store):
    pk = store.add(make("1", TEXT, spans=[(18, 31, "Loaded_Language")]))
    store.add_feedback(pk, "confirm", 18, 31, "Loaded_Language", None, "m1", annotator="  Ana   K ")
    rows = store.article_feedback(pk)
    assert [(r["action"], r["annotator"], r["text"]) for r in rows] == [("confirm", "Ana K", "corrupt elite")]
    assert rows[0]["created_at"]


def test_outlets_compared_with_rates_per_1000_words_and_intervals(store):
    store.add(make("1", "A\n\n" + "word " * 98 + "bad", outlet="Big", spans=[(3, 7, "Loaded_Language")]))
    store.add(make("2", "B\n\n" + "other " * 99, outlet="Big"))
    store.add(make("3", "C\n\n" + "one " * 99, outlet="Small", spans=[(3, 6, "Loaded_Language")]))
    big, small = compare_outlets(store, ["Big", "Small"])
    assert (big["n_articles"], big["n_words"], small["n_words"]) == (2, 200, 100)
    ll = big["techniques"]["Loaded_Language"]
    assert (ll["spans"], ll["articles"], ll["per_1000_words"], ll["share"]) == (1, 1, 5.0, 0.5)
    lo, hi = ll["per_1000_ci"]
    assert lo < 5.0 < hi and hi > 25  # one span says little
    one = small["techniques"]["Loaded_Language"]
    assert one["share"] == 1.0 and one["share_ci"][0] < 0.3 and one["share_ci"][1] == 1.0  # not a 100 % line
    [alone] = compare_outlets(store, ["Small"])  # one outlet: its own rates with intervals
    assert alone["techniques"]["Loaded_Language"]["per_1000_words"] == 10.0
    with pytest.raises(InputError):
        compare_outlets(store, [])
    with pytest.raises(InputError):
        compare_outlets(store, ["a", "b", "c", "d", "e", "f"])


def test_an_older_store_gains_the_new_columns(tmp_path):
    import sqlalchemy as sa

    path = tmp_path / "old.db"
    with Store(str(path)) as s:
        pk = s.add(make("1", TEXT, outlet="Daily"))
    eng = sa.create_engine(f"sqlite:///{path}")
    with eng.begin() as conn:  # what a store of the previous release looks like
        for table, col in (("articles", "body"), ("articles", "n_words"), ("articles", "outlet_source"),
                           ("feedback", "annotator")):
            conn.execute(sa.text(f"ALTER TABLE {table} DROP COLUMN {col}"))
    eng.dispose()
    with Store(str(path)) as s:
        assert s.search(q="corrupt elite")[0] == 1
        assert s.info(pk)["n_words"] == 11


def test_a_tied_genre_is_indexed_as_the_writers_and_the_scorer_read_it(store):
    """Issue 12: on a 50/50 tie the store indexed `reporting` while the SemEval writer and the evaluation
    said `opinion`; all now read ``Analysis.top_genre`` (ties: the first name)."""
    a = make("tie", TEXT)
    a.genre = {"reporting": 0.5, "opinion": 0.5, "satire": 0.0}
    store.add(a)
    assert a.top_genre() == "opinion"
    assert [r["genre"] for r in store.search()[1]] == ["opinion"]


def test_labelled_paragraphs_count_paragraphs_with_a_technique(store):
    """The store counts labelled paragraphs; "flagged" keeps its one meaning (ParagraphLabels: not scored)."""
    import sqlalchemy as sa

    from propscan.store.schema import articles

    a = make("lab", TEXT)
    a.paragraphs[1].techniques = ["Loaded_Language"]
    a.paragraphs[2].flagged = "language: fr"
    pk = store.add(a)
    with store.engine.connect() as conn:
        n = conn.execute(sa.select(articles.c.n_labelled_paragraphs).where(articles.c.id == pk)).scalar_one()
    assert n == 1
