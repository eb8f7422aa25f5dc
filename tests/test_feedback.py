"""Feedback that closes the loop: who corrected what and when, an export of only what a person reviewed,
and ``propscan train --feedback`` that takes the export in and says so in the model card."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("fastapi")

from propscan.cli import main  # noqa: E402
from propscan.document import Analysis, Article, Span  # noqa: E402
from propscan.readers.semeval import load_2020, load_2023  # noqa: E402
from test_web_api import analyze  # noqa: E402  (the app with a keyword tagger: known spans)


@pytest.fixture
def app_store(tmp_path):
    from test_web_api import make_app

    c, store = make_app(tmp_path, api_token=None)
    with c:
        yield c, store
    store.close()


def _correct(client, got):
    """Three corrections: "brutal" is wrong, "traitors" relabelled, "keeps lying" added as Repetition."""
    text, spans = got["article"]["text"], got["spans"]
    brutal = next(s for s in spans if s["text"] == "brutal")
    traitor = next(s for s in spans if s["text"] == "traitors")
    start = text.index("keeps lying")
    for body in (
        {"action": "wrong", "start": brutal["start"], "end": brutal["end"], "technique": "Loaded_Language"},
        {"action": "relabel", "start": traitor["start"], "end": traitor["end"], "technique": "Name_Calling-Labeling",
         "new_technique": "Loaded_Language"},
        {"action": "add", "start": start, "end": start + 11, "technique": "Repetition"},
    ):
        r = client.post("/api/feedback", json={"article_id": got["id"], **body})
        assert r.status_code == 201, r.text
    return brutal, traitor, start


def test_export_writes_only_what_a_person_reviewed(app_store, tmp_path, capsys):
    client, store = app_store
    got = analyze(client)
    aid, text = got["id"], got["article"]["text"]
    analyze(client, "Untouched\n\nA brutal day.\n")  # no feedback: not exported
    brutal, traitor, start = _correct(client, got)
    out = tmp_path / "fb"
    assert main(["export-feedback", "--db", str(tmp_path / "web.db"), "-o", str(out)]) == 0
    assert "2 reviewed span(s) and 2 span(s) marked wrong from 3 correction(s)" in capsys.readouterr().err
    assert (out / "train-articles-subtask-3" / f"article{aid}.txt").read_bytes() == text.encode("utf-8")
    reviewed = {("Loaded_Language", traitor["start"], traitor["end"]), ("Repetition", start, start + 11)}
    gold = load_2023(out)
    assert len(gold) == 1 and gold[0].article.id == str(aid)
    # the model's unreviewed spans ("lying", the second "brutal", ...) are not training gold
    assert {(s.technique, s.start, s.end) for s in gold[0].spans} == reviewed
    line3 = next(p for p in gold[0].paragraphs if p.line == 3)
    assert line3.techniques == ["Repetition"]
    negatives = [ln.split("\t") for ln in (out / "negatives.tsv").read_text(encoding="utf-8").splitlines()]
    assert {(t, int(a), int(b)) for _, t, a, b in negatives} == {
        ("Loaded_Language", brutal["start"], brutal["end"]),
        ("Name_Calling-Labeling", traitor["start"], traitor["end"])}
    header, *rows = (out / "feedback.tsv").read_text(encoding="utf-8").splitlines()
    assert "annotator" in header.split("\t") and len(rows) == 3
    # --include-unreviewed: an explicit choice, the model's other spans as they are
    every = tmp_path / "every"
    assert main(["export-feedback", "--db", str(tmp_path / "web.db"), "-o", str(every), "--include-unreviewed"]) == 0
    expected = {(s["technique"], s["start"], s["end"]) for s in got["spans"]} - {
        ("Loaded_Language", brutal["start"], brutal["end"]),
        ("Name_Calling-Labeling", traitor["start"], traitor["end"])} | reviewed
    assert {(s.technique, s.start, s.end) for s in load_2023(every)[0].spans} == expected


def test_feedback_names_its_annotator_and_time(app_store):
    client, store = app_store
    got = analyze(client)
    brutal = next(s for s in got["spans"] if s["text"] == "brutal")
    store.add_feedback(got["id"], "confirm", brutal["start"], brutal["end"], "Loaded_Language", None, "m",
                       annotator="Ana")
    [row] = store.article_feedback(got["id"])
    assert row["annotator"] == "Ana" and row["created_at"][:2] == "20"


def test_corrected_spans_apply_in_order():
    from propscan.feedback import corrected_spans

    a = Analysis(Article(id="1", text="Title\n\nabc def ghi jkl\n"),
                 spans=[Span(7, 10, "Loaded_Language"), Span(11, 14, "Doubt"), Span(19, 22, "Slogans")])
    rows = [{"action": "add", "start": 15, "end": 18, "technique": "Slogans"},
            {"action": "reject", "start": 15, "end": 18, "technique": "Slogans"},  # the user changed their mind
            {"action": "relabel", "start": 11, "end": 14, "technique": "Doubt", "new_technique": "Red_Herring"},
            {"action": "reject", "start": 0, "end": 3, "technique": "Doubt"},  # no such span: no effect
            {"action": "confirm", "start": 7, "end": 10, "technique": "Loaded_Language"}]
    spans, negatives, ignored = corrected_spans(a, rows)
    assert [(s.start, s.end, s.technique) for s in spans] == [(7, 10, "Loaded_Language"), (11, 14, "Red_Herring")]
    assert [(s.start, s.end, s.technique) for s in negatives] == [(11, 14, "Doubt"), (15, 18, "Slogans")]
    assert ignored == 1
    every, _, _ = corrected_spans(a, rows, include_unreviewed=True)
    assert (19, 22, "Slogans") in [(s.start, s.end, s.technique) for s in every]  # nobody reviewed it


def test_train_takes_the_feedback_export_in_a_dry_run(app_store, tmp_path, capsys):
    client, store = app_store
    _correct(client, analyze(client))
    out = tmp_path / "fb"
    assert main(["export-feedback", "--db", str(tmp_path / "web.db"), "-o", str(out)]) == 0
    data = tmp_path / "semeval"  # a tiny stand-in for the official corpus
    arts = data / "semeval2023-task3" / "en" / "train-articles-subtask-3"
    arts.mkdir(parents=True)
    (arts.parent / "train-labels-subtask-3-spans").mkdir()
    for i in range(6):
        (arts / f"article{1000 + i}.txt").write_text(f"Title {i}\n\nSome words of article {i}.\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["train", "--data", str(data), "--feedback", str(out), "--dry-run"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["feedback_articles"] == 1 and plan["feedback_spans"] == 2
    assert plan["train_articles"] + plan["validation_articles"] == 6
    assert main(["train", "--data", str(data), "--feedback", str(tmp_path), "--dry-run"]) == 2  # not an export


def test_the_model_card_says_how_much_feedback_went_in():
    from propscan.train.card import feedback_line

    assert feedback_line({}) == ""
    line = feedback_line({"feedback": "fb", "feedback_articles": 3, "feedback_spans": 7})
    assert "3 articles" in line and "7 reviewed spans" in line and "export-feedback" in line


def test_export_feedback_with_the_official_training_set(app_store, tmp_path, data_dir):
    from propscan.feedback import export, load_feedback

    client, store = app_store
    got = analyze(client)
    brutal = next(s for s in got["spans"] if s["text"] == "brutal")
    client.post("/api/feedback", json={"article_id": got["id"], "action": "wrong", "start": brutal["start"],
                                       "end": brutal["end"], "technique": "Loaded_Language"})
    out = tmp_path / "train-data"
    stats = export(store, out, base=data_dir, include_unreviewed=True)
    official = load_2023(data_dir)
    combined = load_2023(out)
    assert stats["base_articles"] == len(official) and len(combined) == len(official) + 1
    mine = next(a for a in combined if a.article.id == str(got["id"]))
    assert len(mine.spans) == len(got["spans"]) - 1
    first = official[0]
    same = next(a for a in combined if a.article.id == first.article.id)
    assert same.article.text == first.article.text and same.spans == first.spans and same.genre == first.genre
    assert len(load_2020(out)) == len(load_2020(data_dir))  # linked, for the SI scores train reports
    assert [a.article.id for a in load_feedback(out)] == [str(got["id"])]  # train --feedback takes only these
