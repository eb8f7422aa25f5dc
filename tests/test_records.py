"""JSONL and CSV corpus files become Articles, record by record, and bad records do not stop the rest."""

from __future__ import annotations

import json

import pytest

from propscan.document import Article
from propscan.errors import InputError
from propscan.cli import describe
from propscan.readers import iter_articles
from propscan.readers.records import Columns, iter_csv, iter_jsonl, read_csv, read_jsonl


def write_jsonl(path, records):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records), encoding="utf-8")
    return path


def test_jsonl_records_with_the_usual_field_names(tmp_path):
    p = write_jsonl(tmp_path / "feed.jsonl", [
        {"id": "a1", "title": "Leaders meet", "text": "They met today.\nNothing was decided.",
         "date": "2024-03-02", "url": "https://www.example.org/x", "lang": "fr", "section": "world"},
        {"headline": "Second", "content": "Body two.", "published": 1700000000, "publisher": "Daily"},
    ])
    arts = read_jsonl(p)
    assert [a.id for a in arts] == ["a1", "feed-2"]
    a = arts[0]
    assert a.text == "Leaders meet\n\nThey met today.\nNothing was decided."
    assert a.title == "Leaders meet"
    assert a.language == "fr"
    assert a.meta == {"date": "2024-03-02", "url": "https://www.example.org/x", "section": "world"}
    assert a.source == "https://www.example.org/x"
    assert [a.text[p.start:p.end] for p in a.paragraphs][0] == "Leaders meet"  # title is paragraph 1
    b = arts[1]
    assert b.meta == {"date": 1700000000, "outlet": "Daily", "outlet_source": "column"}
    assert b.language == "en"


def test_body_that_already_starts_with_the_title_is_not_doubled(tmp_path):
    p = write_jsonl(tmp_path / "x.jsonl", [{"title": "Same", "text": "Same\n\nbody"}])
    assert read_jsonl(p)[0].text == "Same\n\nbody"


def test_bad_lines_are_reported_by_line_and_the_rest_is_read(tmp_path):
    p = write_jsonl(tmp_path / "mixed.jsonl", [
        {"text": "good one"}, "{not json", "", "[1, 2]", {"title": "no body"}, {"text": "   "}, {"text": "good two"},
    ])
    got = list(iter_jsonl(p))
    errors = [describe(g) for g in got if isinstance(g, InputError)]  # as the CLI prints them
    assert [g.text for g in got if isinstance(g, Article)] == ["good one", "good two"]
    assert errors[0].startswith(f"{p}:2: not valid JSON")
    assert errors[1] == f"{p}:4: not a JSON object"
    assert errors[2].startswith(f"{p}:5: no text field") and "--text-column" in errors[2]
    assert errors[3] == f"{p}:6: empty text"
    with pytest.raises(InputError, match=":2: not valid JSON"):
        read_jsonl(p)


def test_an_over_long_record_is_refused_without_reading_it_whole(tmp_path):
    p = write_jsonl(tmp_path / "big.jsonl", [{"text": "x" * 5000}, {"text": "fine"}])
    got = list(iter_jsonl(p, max_bytes=1000))
    assert isinstance(got[0], InputError) and "too" in str(got[0])
    assert isinstance(got[1], Article) and got[1].text == "fine"


def test_empty_and_missing_files(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    assert [str(e) for e in iter_jsonl(empty)] == [f"{empty}: empty input (no JSON lines)"]
    missing = tmp_path / "missing.jsonl"
    assert "cannot read" in str(next(iter_jsonl(missing)))


def test_csv_with_auto_detected_columns(tmp_path):
    p = tmp_path / "feed.csv"
    p.write_text('id,headline,body,date,outlet\n'
                 '1,First,"Line one\nline two, with comma",2024-01-05,A\n'
                 '2,Second,Body two,,B\n', encoding="utf-8")
    arts = read_csv(p)
    assert [a.id for a in arts] == ["1", "2"]
    assert arts[0].text == "First\n\nLine one\nline two, with comma"
    assert arts[0].meta == {"date": "2024-01-05", "outlet": "A", "outlet_source": "column"}
    assert arts[1].meta == {"outlet": "B", "outlet_source": "column"}
    assert arts[0].source == f"{p}#1"


def test_csv_named_columns_semicolons_and_latin1(tmp_path):
    p = tmp_path / "feed.csv"
    p.write_bytes("nr;kop;tekst\n7;Café;Een tekst über alles\n".encode("latin-1"))
    arts = list(iter_csv(p, columns=Columns(text="tekst", title="kop", id="nr")))
    assert len(arts) == 1 and isinstance(arts[0], Article)
    assert arts[0].id == "7" and arts[0].title == "Café"
    assert arts[0].text.endswith("Een tekst über alles")


def test_csv_without_a_text_column_is_one_clear_error(tmp_path):
    p = tmp_path / "feed.csv"
    p.write_text("a,b\n1,2\n")
    got = list(iter_csv(p))
    assert len(got) == 1 and isinstance(got[0], InputError)
    assert "no text column" in str(got[0]) and "--" not in str(got[0])  # the library names no flag ...
    assert describe(got[0]).endswith("(see --text-column)")  # ... the CLI adds its own


def test_iter_articles_streams_record_files_and_reports_bad_records(tmp_path):
    p = write_jsonl(tmp_path / "feed.jsonl", [{"text": "one"}, "oops", {"text": "two"}])
    got = list(iter_articles([str(p)], clean=False))
    assert [type(g).__name__ for g in got] == ["Article", "InputError", "Article"]


def test_streaming_does_not_read_ahead(tmp_path):
    p = write_jsonl(tmp_path / "many.jsonl", [{"text": f"article {i}"} for i in range(1000)])
    it = iter_jsonl(p)
    first = next(it)
    assert first.text == "article 0"  # a generator: nothing beyond the first line has been built
    assert sum(1 for _ in it) == 999
