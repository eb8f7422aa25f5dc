"""``propscan analyze`` end to end: output formats, bad inputs, stdin.

Most tests swap in a small rule-based analyzer (it marks "corrupt" and
"corrupt elite") so the writers get real, overlapping spans whether or not the
trained model is installed; ``test_real_pipeline_*`` run the default pipeline,
whatever it holds, and assert only the shape of its output.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from typing import Iterator
from pathlib import Path

import pytest

from propscan.analyzer import Analyzer, using
from propscan.components import Base
from propscan.cli import main
from propscan.document import Analysis, Span
from propscan.taxonomy import NAMES_2020, TECHNIQUE_NAMES
from propscan.writers import CsvWriter

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOOD = [FIXTURES / "cli_article7001.txt", FIXTURES / "cli_article7002.txt"]


class MarkCorrupt(Base):
    """Loaded_Language on every "corrupt", Name_Calling on "corrupt elite" (overlapping)."""

    name = "test-rules"
    version = "0"

    def __call__(self, analysis: Analysis) -> Analysis:
        text = analysis.text
        for m in re.finditer(r"corrupt( elite)?", text, flags=re.IGNORECASE):
            analysis.spans.append(Span(m.start(), m.start() + len("corrupt"), "Loaded_Language", 0.9, self.name,
                                       "emotionally loaded word"))
            if m.group(1):
                analysis.spans.append(Span(m.start(), m.end(), "Name_Calling-Labeling", 0.6, self.name, "label"))
        for p in analysis.paragraphs:
            p.techniques = sorted({s.technique for s in analysis.spans_in(p.start, p.end)})
        return analysis


@pytest.fixture
def rules() -> Iterator[None]:
    with using(Analyzer([MarkCorrupt()])):
        yield


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["analyze", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def nonempty_lines(path: Path) -> list[int]:
    return [i for i, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1) if line.strip()]


# -- formats -------------------------------------------------------------------

def test_json_one_article(rules, capsys, tmp_path: Path) -> None:
    out = tmp_path / "sub" / "one.json"
    code, stdout, err = run([str(GOOD[0]), "-o", str(out)], capsys)
    assert code == 0, err
    d = json.loads(out.read_text(encoding="utf-8"))
    assert d["schema_version"] and d["article"]["id"] == "cli_article7001"
    assert {"id", "title", "text", "source", "language"} <= set(d["article"])
    assert d["models"] == {"test-rules": "0"}
    text = d["article"]["text"]
    assert len(d["spans"]) == 3
    for s in d["spans"]:
        assert {"start", "end", "technique", "category", "score", "evidence"} <= set(s)
        assert text[s["start"]:s["end"]].lower().startswith("corrupt")
    assert [p["line"] for p in d["paragraphs"]] == nonempty_lines(GOOD[0])
    assert "1 article(s) analysed, 0 failed" in err and "Traceback" not in err


def test_json_several_articles_to_stdout(rules, capsys) -> None:
    code, stdout, err = run([str(p) for p in GOOD], capsys)
    assert code == 0
    items = json.loads(stdout)
    assert [d["article"]["id"] for d in items] == ["cli_article7001", "cli_article7002"]


def test_jsonl(rules, capsys, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    code, _, _ = run([*map(str, GOOD), "-f", "jsonl", "-o", str(out)], capsys)
    assert code == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    assert [Analysis.from_dict(json.loads(line)).article.id for line in lines] == ["cli_article7001",
                                                                                  "cli_article7002"]


def test_csv(rules, capsys, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    code, _, _ = run([*map(str, GOOD), "--format", "csv", "-o", str(out)], capsys)
    assert code == 0
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[0] == CsvWriter.FIELDS
    assert len(rows) == 1 + 3
    for row in rows[1:]:
        rec = dict(zip(rows[0], row))
        assert rec["article_id"] == "cli_article7001"
        assert rec["technique"] in TECHNIQUE_NAMES
        assert int(rec["start"]) < int(rec["end"])
        assert rec["text"].lower().startswith("corrupt") and 0 <= float(rec["score"]) <= 1


def test_spans_offsets_index_the_raw_file(rules, capsys, tmp_path: Path) -> None:
    out = tmp_path / "out.tsv"
    code, _, _ = run([*map(str, GOOD), "-f", "spans", "-o", str(out)], capsys)
    assert code == 0
    raw = GOOD[0].read_text(encoding="utf-8")
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    for line in lines:
        aid, tech, start, end = line.split("\t")
        assert aid == "cli_article7001" and tech in TECHNIQUE_NAMES
        assert raw[int(start):int(end)].lower().startswith("corrupt")


def test_semeval2023_st3_lists_every_nonempty_line(rules, capsys, tmp_path: Path) -> None:
    out = tmp_path / "st3.txt"
    code, _, _ = run([*map(str, GOOD), "-f", "semeval2023-st3", "-o", str(out)], capsys)
    assert code == 0
    got: dict[str, list[int]] = {}
    for line in out.read_text(encoding="utf-8").splitlines():
        aid, number, techs = line.split("\t")
        got.setdefault(aid, []).append(int(number))
        assert all(t in TECHNIQUE_NAMES for t in techs.split(",") if t)
    assert got == {"cli_article7001": nonempty_lines(GOOD[0]), "cli_article7002": nonempty_lines(GOOD[1])}
    first = out.read_text(encoding="utf-8").splitlines()[0].split("\t")
    assert first[2] == "Loaded_Language"  # the title "Corrupt officials ..."


def test_semeval2020_formats(rules, capsys, tmp_path: Path) -> None:
    si, tc = tmp_path / "si.txt", tmp_path / "tc.txt"
    assert run([str(GOOD[0]), "-f", "semeval2020-si", "-o", str(si)], capsys)[0] == 0
    assert run([str(GOOD[0]), "-f", "semeval2020-tc", "-o", str(tc)], capsys)[0] == 0
    si_rows = [line.split("\t") for line in si.read_text(encoding="utf-8").splitlines()]
    assert si_rows and all(len(r) == 3 and int(r[1]) < int(r[2]) for r in si_rows)
    tc_rows = [line.split("\t") for line in tc.read_text(encoding="utf-8").splitlines()]
    assert tc_rows and all(len(r) == 4 and r[1] in NAMES_2020 for r in tc_rows)


def test_html_report_inferred_from_suffix(rules, capsys, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    code, stdout, _ = run([*map(str, GOOD), "-o", str(out)], capsys)
    assert code == 0 and stdout == ""
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count('<article class="ps-article"') == 2
    assert "Corrupt officials face questions over bridge repairs" in page
    assert "<mark" in page


def test_stdin(rules, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    text = "A corrupt deal\n\nThe corrupt elite signed it at night.\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8")), encoding="utf-8"))
    code, stdout, err = run(["-", "-f", "json"], capsys)
    assert code == 0, err
    d = json.loads(stdout)
    assert d["article"]["id"] == "stdin" and d["article"]["title"] == "A corrupt deal"
    assert len(d["spans"]) == 3


def test_folder_of_bundled_examples(rules, capsys, tmp_path: Path) -> None:
    out = tmp_path / "ex.jsonl"
    code, _, err = run([str(ROOT / "examples"), "-f", "jsonl", "-o", str(out), "-q"], capsys)
    assert code == 0 and err == ""
    ids = [json.loads(line)["article"]["id"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert ids == ["1001", "1002", "1003", "1004", "1005"]


# -- bad inputs ----------------------------------------------------------------

def _one_line_error(err: str, name: str) -> None:
    """The input's error is one line, starts with propscan:, names the input; no traceback."""
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("propscan: ") and name in line]
    assert len(lines) == 1, err
    assert lines[0] != f"propscan: {name}: "  # says what is wrong


@pytest.mark.parametrize("kind", ["empty", "blank", "binary", "missing", "too-large", "empty-folder"])
def test_bad_input_is_reported_and_the_rest_still_written(kind: str, rules, capsys, tmp_path: Path) -> None:
    bad = tmp_path / f"bad-{kind}.txt"
    extra: list[str] = []
    if kind == "empty":
        bad.write_bytes(b"")
    elif kind == "blank":
        bad.write_bytes(b"  \n\n \t\n")
    elif kind == "binary":
        bad.write_bytes(bytes(range(256)) * 8)
    elif kind == "too-large":
        bad.write_text("Big\n\n" + "word " * 400, encoding="utf-8")
        extra = ["--max-bytes", "1000"]
    elif kind == "empty-folder":
        bad = tmp_path / "nothing-here"
        bad.mkdir()
    out = tmp_path / "out.jsonl"
    code, _, err = run([str(GOOD[0]), str(bad), str(GOOD[1]), "-f", "jsonl", "-o", str(out), *extra], capsys)
    assert code == 1
    _one_line_error(err, str(bad))
    ids = [json.loads(line)["article"]["id"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert ids == ["cli_article7001", "cli_article7002"]
    assert "2 article(s) analysed, 1 failed" in err


def test_unreadable_file(rules, capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "secret.txt"
    bad.write_text("Title\n\nBody\n", encoding="utf-8")
    real = Path.read_bytes

    def deny(self: Path) -> bytes:
        if self.name == "secret.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", deny)
    out = tmp_path / "out.json"
    code, _, err = run([str(bad), str(GOOD[1]), "-o", str(out), "-q"], capsys)
    assert code == 1
    _one_line_error(err, str(bad))
    assert "Permission denied" in err
    assert json.loads(out.read_text(encoding="utf-8"))["article"]["id"] == "cli_article7002"


def test_unreadable_file_for_real(rules, capsys, tmp_path: Path) -> None:
    bad = tmp_path / "locked.txt"
    bad.write_text("Title\n\nBody\n", encoding="utf-8")
    bad.chmod(0)
    try:
        bad.read_bytes()
    except PermissionError:
        pass
    else:
        bad.chmod(0o600)
        pytest.skip("file permissions do not stop this user (root); see test_unreadable_file")
    try:
        code, _, err = run([str(bad), str(GOOD[1]), "-o", str(tmp_path / "o.json"), "-q"], capsys)
    finally:
        bad.chmod(0o600)
    assert code == 1
    _one_line_error(err, str(bad))


def test_latin1_is_decoded_not_refused(rules, capsys, tmp_path: Path) -> None:
    src = tmp_path / "article7003.txt"
    text = ("Café owners protest corrupt licensing\n\n"
            "Owners of cafés in the old town said the licensing office déjà refused forty applications. "
            "Señora Muñoz called the officials a corrupt elite. Prices rose to £12 a plate.\n")
    src.write_bytes(text.encode("latin-1"))
    code, stdout, err = run([str(src), "-q"], capsys)
    assert code == 0, err
    d = json.loads(stdout)
    assert d["article"]["id"] == "7003"
    for phrase in ("Café owners", "cafés", "déjà", "Señora Muñoz", "£12"):
        assert phrase in d["article"]["text"]
    assert len(d["spans"]) == 3


def test_only_bad_inputs_still_give_valid_output(rules, capsys, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    code, _, err = run([str(tmp_path / "nope.txt"), "-o", str(out)], capsys)
    assert code == 1
    _one_line_error(err, str(tmp_path / "nope.txt"))
    assert json.loads(out.read_text(encoding="utf-8")) == []


def test_empty_stdin(rules, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b""), encoding="utf-8"))
    code, _, err = run(["-", "-q"], capsys)
    assert code == 1
    _one_line_error(err, "<stdin>")


# -- the real pipeline, whatever models are installed ---------------------------

@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "spans", "semeval2023-st3", "html"])
def test_real_pipeline_on_examples(fmt: str, capsys, tmp_path: Path) -> None:
    out = tmp_path / f"out.{fmt}"
    code, _, err = run([str(ROOT / "examples"), "-f", fmt, "-o", str(out)], capsys)
    assert code == 0, err
    assert "Traceback" not in err and "5 article(s) analysed, 0 failed" in err
    body = out.read_text(encoding="utf-8")
    if fmt == "json":
        items = json.loads(body)
        assert len(items) == 5
        for d in items:
            text = d["article"]["text"]
            assert all(0 <= s["start"] < s["end"] <= len(text) for s in d["spans"])
            assert all(s["technique"] in TECHNIQUE_NAMES for s in d["spans"])
    elif fmt == "jsonl":
        assert len(body.splitlines()) == 5
    elif fmt == "csv":
        assert next(csv.reader(io.StringIO(body))) == CsvWriter.FIELDS
    elif fmt == "spans":
        for line in body.splitlines():
            aid, tech, start, end = line.split("\t")
            assert aid in {"1001", "1002", "1003", "1004", "1005"} and tech in TECHNIQUE_NAMES
            assert int(start) < int(end)
    elif fmt == "semeval2023-st3":
        ids = {line.split("\t")[0] for line in body.splitlines()}
        assert ids == {"1001", "1002", "1003", "1004", "1005"}
        counted = sum(1 for line in body.splitlines() if line.split("\t")[0] == "1001")
        assert counted == len(nonempty_lines(ROOT / "examples" / "article1001.txt"))
    else:
        assert body.startswith("<!DOCTYPE html>") and body.count('<article class="ps-article"') == 5


def test_an_output_that_cannot_be_written_is_a_one_line_error(rules, capsys, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, out, err = run([str(GOOD[0]), "-q", "-o", str(blocker / "out.json")], capsys)
    assert code == 2
    assert err.strip().count("\n") == 0 and "cannot write the output" in err and str(blocker) in err
    if Path("/dev/full").exists():  # a disk that fills up while writing
        code, out, err = run([str(GOOD[0]), "-q", "-f", "jsonl", "-o", "/dev/full"], capsys)
        assert code == 2 and "No space left" in err and "Traceback" not in err


# -- the Python entry point ------------------------------------------------------

def test_python_analyze_takes_text_bytes_paths_and_refuses_missing_paths(rules, tmp_path: Path) -> None:
    from propscan import analyze
    from propscan.errors import InputError

    text = "The corrupt elite\n\nThey lied again, the corrupt elite."
    from_text = analyze(text)
    assert from_text.article.title == "The corrupt elite" and from_text.spans
    assert analyze(text.encode("cp1252")).article.text == from_text.article.text
    f = tmp_path / "article42.txt"
    f.write_text(text, encoding="utf-8")
    assert analyze(str(f)).article.id == "42" and analyze(f).article.id == "42"
    assert analyze("Corrupt").article.text == "Corrupt"  # one word is an article, not a path
    for missing in (str(tmp_path / "nope.txt"), "articles/today.html", "notes.txt"):
        with pytest.raises(InputError, match="no such file"):
            analyze(missing)
    for bad in ("", "   ", b"\x00\x01\x02"):
        with pytest.raises(InputError):
            analyze(bad)


# -- the decision threshold ------------------------------------------------------

def test_min_confidence_out_of_range_is_a_one_line_error(rules, capsys) -> None:
    code, _, err = run([str(GOOD[0]), "--min-confidence", "1.5"], capsys)
    assert code == 2 and "--min-confidence 1.5" in err and "Traceback" not in err


needs_calibration = pytest.mark.skipif(
    not (ROOT / "src" / "propscan" / "models" / "calibration.json").is_file()
    or not (ROOT / "src" / "propscan" / "models" / "tagger.onnx").is_file(),
    reason="needs the shipped tagger and its calibration")


@needs_calibration
def test_min_confidence_is_the_one_visible_rule_on_the_examples(capsys, tmp_path: Path) -> None:
    got = {}
    for thr in ("0.05", "0.6"):
        out = tmp_path / f"{thr}.json"
        code, _, err = run([str(ROOT / "examples"), "-q", "--min-confidence", thr, "-o", str(out)], capsys)
        assert code == 0, err
        got[thr] = json.loads(out.read_text(encoding="utf-8"))
    assert sum(len(d["spans"]) for d in got["0.05"]) > sum(len(d["spans"]) for d in got["0.6"])
    for thr, docs in got.items():
        for d in docs:
            assert d["decision"]["min_confidence"] == float(thr) and d["undetected"]["spans"]
            assert all(s["score"] >= float(thr) for s in d["spans"])
            for p in d["paragraphs"]:
                assert set(p["techniques"]) == {t for t, s in p["scores"].items() if s >= float(thr)}
                assert set(p.get("reasons", {})) == set(p["techniques"])
                for s in d["spans"]:  # a shown span's technique is a label of its paragraph
                    if p["start"] <= s["start"] < p["end"]:
                        assert s["technique"] in p["techniques"] and p["reasons"][s["technique"]] == "span"


@needs_calibration
def test_python_analyze_takes_min_confidence() -> None:
    from propscan import analyze

    text = (ROOT / "examples" / "article1002.txt").read_text(encoding="utf-8")
    low, high = analyze(text, min_confidence=0.05), analyze(text, min_confidence=0.9)
    assert len(low.spans) > len(high.spans) and high.decision["min_confidence"] == 0.9
    assert low.decision["default"] == high.decision["default"] < 0.9
