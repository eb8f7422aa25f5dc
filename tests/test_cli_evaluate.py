"""``propscan evaluate`` and ``propscan classify-spans`` on small official-format files, fake components."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from propscan.analyzer import Analyzer, using
from propscan.components import Base
from propscan.cli import main
from propscan.document import Analysis, Span

DATA = Path(__file__).resolve().parent / "fixtures" / "evaldata"

KEYWORDS = {"corrupt": "Loaded_Language", "so-called experts": "Name_Calling-Labeling",
            "disaster": "Loaded_Language", "rain": "Doubt"}


class KeywordTagger(Base):
    """A stand-in for the trained pipeline: fixed keywords become spans; paragraphs, genre, frames follow."""

    name = "keywords"
    version = "test"

    def __call__(self, a: Analysis) -> Analysis:
        low = a.text.lower()
        for word, tech in KEYWORDS.items():
            for m in re.finditer(re.escape(word), low):
                a.spans.append(Span(m.start(), m.end(), tech, detector="keywords"))
        for p in a.paragraphs:
            p.techniques = sorted({s.technique for s in a.spans_in(p.start, p.end)})
        a.genre = {"opinion": 0.8, "reporting": 0.2}
        a.frames = {"Political": 0.9, "Morality": 0.1}
        return a


def fake_scorer(article, spans):
    return [{"Name_Calling-Labeling": 0.9, "Loaded_Language": 0.2} if "experts" in article.text[s:e]
             else {"Loaded_Language": 0.8, "Doubt": 0.6, "Slogans": 0.1} for s, e in spans]


@pytest.fixture
def keywords():
    with using(Analyzer([KeywordTagger()])):
        yield


@pytest.fixture
def fake_pipeline(monkeypatch, keywords):
    import propscan.evaluate.spanlabels as spanlabels

    monkeypatch.setattr(spanlabels, "load_scorer", lambda: fake_scorer)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def run_json(capsys, *argv: str) -> dict:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


# -- TASK GOLD PRED -------------------------------------------------------------

def test_si_from_files_matches_hand_computation(tmp_path, capsys):
    gold = write(tmp_path / "gold.txt", "1\t0\t10\n1\t20\t30\n")
    pred = write(tmp_path / "pred.txt", "1\t5\t15\n1\t18\t22\n1\t25\t28\n")
    got = run_json(capsys, "evaluate", "semeval2020-si", str(gold), str(pred))
    assert got["score"] == pytest.approx(4 / 7)  # P = 2/3, R = 1/2
    assert got["task"] == "semeval2020-si"


def test_si_reads_folders_and_counts_false_positives_of_an_article_without_gold(tmp_path, capsys):
    write(tmp_path / "gold" / "article1.task1-SI.labels", "1\t0\t10\n")
    write(tmp_path / "gold" / "article2.task1-SI.labels", "")
    write(tmp_path / "pred" / "p.txt", "1\t0\t10\n2\t0\t5\n")
    got = run_json(capsys, "evaluate", "semeval2020-si", str(tmp_path / "gold"), str(tmp_path / "pred"))
    assert got["precision"] == 0.5 and got["recall"] == 1.0


def test_tc_uses_2020_names_and_accepts_any_spelling(tmp_path, capsys):
    gold = write(tmp_path / "g.txt", "1\tName_Calling,Labeling\t0\t5\n1\tLoaded_Language\t6\t9\n")
    pred = write(tmp_path / "p.txt", "1\tName_Calling-Labeling\t0\t5\n1\tDoubt\t6\t9\n")  # 2023 spelling
    got = run_json(capsys, "evaluate", "semeval2020-tc", str(gold), str(pred))
    assert got["score"] == 0.5
    assert set(got["per_label"]) == {"Name_Calling,Labeling", "Loaded_Language", "Doubt"}


def test_2023_subtasks_from_files(tmp_path, capsys):
    g1 = write(tmp_path / "g1.txt", "a\topinion\nb\topinion\nc\treporting\nd\tsatire\n")
    p1 = write(tmp_path / "p1.txt", "a\topinion\nb\treporting\nc\treporting\nd\topinion\n")
    assert run_json(capsys, "evaluate", "semeval2023-st1", str(g1), str(p1))["score"] == pytest.approx(7 / 18)
    g2 = write(tmp_path / "g2.txt", "a\tPolitical,Morality\nb\tEconomic\n")
    p2 = write(tmp_path / "p2.txt", "a\tPolitical\nb\tEconomic,Crime_and_punishment\n")
    assert run_json(capsys, "evaluate", "semeval2023-st2", str(g2), str(p2))["score"] == pytest.approx(2 / 3)
    g3 = write(tmp_path / "g3.txt", "1\t1\tLoaded_Language\n1\t3\t\n1\t5\tDoubt,Loaded_Language\n")
    p3 = write(tmp_path / "p3.txt", "1\t1\tLoaded_Language,Name_Calling-Labeling\n1\t3\t\n1\t5\tLoaded_Language\n")
    got = run_json(capsys, "evaluate", "semeval2023-st3", str(g3), str(p3))
    assert got["score"] == pytest.approx(2 / 3) and got["macro_f1"] == pytest.approx(1 / 3)


def test_memes_json_lists(tmp_path, capsys):
    g1 = write(tmp_path / "g1.json", json.dumps([{"id": "1", "text": "X", "labels": ["Loaded Language", "Smears"]},
                                                {"id": "2", "text": "Y", "labels": []}]))
    p1 = write(tmp_path / "p1.json", json.dumps([{"id": "1", "labels": ["Loaded Language"]},
                                                {"id": "2", "labels": ["Slogans"]}]))
    assert run_json(capsys, "evaluate", "semeval2021-t1", str(g1), str(p1))["score"] == 0.5
    g2 = write(tmp_path / "g2.json", json.dumps([{"id": "1", "text": "x" * 20, "labels": [
        {"start": 0, "end": 10, "technique": "Loaded Language", "text_fragment": "x"}]}]))
    p2 = write(tmp_path / "p2.json", json.dumps([{"id": "1", "labels": [
        {"start": 5, "end": 15, "technique": "Loaded Language"}, {"start": 0, "end": 4, "technique": "Smears"}]}]))
    got = run_json(capsys, "evaluate", "semeval2021-t2", str(g2), str(p2))
    # LL pair: 5/10 both ways; Smears no credit -> P = 0.5/2, R = 0.5/1
    assert got["precision"] == 0.25 and got["recall"] == 0.5


def test_technique_aware_spans_text_output_has_per_label_table(tmp_path, capsys):
    gold = write(tmp_path / "g.txt", "1\tLoaded_Language\t0\t10\n1\tDoubt\t20\t40\n")
    pred = write(tmp_path / "p.txt", "1\tLoaded_Language\t0\t5\n1\tSlogans\t20\t40\n")
    assert main(["evaluate", "spans", str(gold), str(pred)]) == 0
    out = capsys.readouterr().out
    assert "technique-aware span F1" in out
    assert re.search(r"Loaded_Language\s+1\.000\s+0\.500\s+0\.667\s+1\s+1", out)
    assert re.search(r"Doubt\s+0\.000\s+0\.000\s+0\.000\s+1\s+0", out)


@pytest.mark.parametrize("argv, message", [
    (["evaluate", "spans", "/no/such/gold", "/no/such/pred"], "/no/such/gold: no such file or folder"),
    (["evaluate", "nonsense", "a", "b"], "unknown task 'nonsense'"),
    (["evaluate", "spans"], "evaluate needs TASK GOLD PRED"),
])
def test_user_errors_are_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_bad_lines_name_file_and_line(tmp_path, capsys):
    gold = write(tmp_path / "g.txt", "1\tLoaded_Language\t0\t10\n")
    pred = write(tmp_path / "p.txt", "1\tLoaded_Language\t0\t10\n1\tNot_A_Technique\t3\t4\n")
    assert main(["evaluate", "spans", str(gold), str(pred)]) == 2
    assert f"{pred}:2: unknown technique name 'Not_A_Technique'" in capsys.readouterr().err
    bad = write(tmp_path / "b.txt", "1\tLoaded_Language\tzero\t10\n")
    assert main(["evaluate", "spans", str(gold), str(bad)]) == 2
    assert f"{bad}:1: expected a number" in capsys.readouterr().err


# -- --data: the analyzer on a dataset folder ----------------------------------

def test_data_scores_every_task_on_the_validation_split(fake_pipeline, capsys):
    got = run_json(capsys, "evaluate", "--data", str(DATA))
    tasks = got["tasks"]
    assert list(tasks) == ["semeval2020-si", "semeval2020-tc", "semeval2023-st1", "semeval2023-st2",
                           "semeval2023-st3", "semeval2021-t1", "semeval2021-t2", "spans"]
    # validation split = articles 1000 and 1004 (1001 is a training article)
    assert tasks["semeval2023-st3"]["articles"] == 2
    assert tasks["semeval2023-st3"]["score"] == pytest.approx(2 / 3)  # LL, NC right; Slogans missed; Doubt wrong
    assert tasks["spans"]["score"] == pytest.approx(2 / 3)
    assert tasks["semeval2023-st1"]["score"] == pytest.approx(1 / 3)  # opinion F1 2/3, reporting 0
    assert tasks["semeval2023-st2"]["score"] == pytest.approx(0.4)  # P 1/2, R 1/3
    assert tasks["semeval2020-si"]["score"] == pytest.approx(0.8)  # P 1, R 2/3
    assert tasks["semeval2020-tc"]["score"] == pytest.approx(2 / 3)  # Slogans span labelled Loaded_Language
    assert tasks["semeval2021-t1"]["score"] == pytest.approx(2 / 3)  # Smears missed
    assert tasks["semeval2021-t2"]["score"] == 1.0
    assert got["score"] == tasks["semeval2023-st3"]["score"]


def test_data_split_all_includes_training_articles(fake_pipeline, capsys):
    got = run_json(capsys, "evaluate", "--data", str(DATA), "--split", "all")
    assert got["tasks"]["semeval2023-st3"]["articles"] == 3
    assert got["tasks"]["semeval2021-t2"]["articles"] == 2


def test_data_table_and_missing_tagger(monkeypatch, capsys, keywords):
    import propscan.evaluate.spanlabels as spanlabels

    monkeypatch.setattr(spanlabels, "load_scorer", lambda: None)
    assert main(["evaluate", "--data", str(DATA), "--per-label"]) == 0
    out = capsys.readouterr().out
    assert "skipped: no span tagger model" in out
    assert re.search(r"semeval2023-st3\s+micro-F1\s+0\.667", out)
    assert "Name_Calling-Labeling" in out  # per-label tables


def test_data_folder_without_datasets_is_a_user_error(tmp_path, capsys):
    assert main(["evaluate", "--data", str(tmp_path)]) == 2
    assert "no SemEval dataset folder found" in capsys.readouterr().err


# -- classify-spans -------------------------------------------------------------

def test_classify_spans_outputs_official_tc_lines(fake_pipeline, tmp_path, capsys):
    arts = DATA / "semeval2020-task11" / "train-articles"
    spans = write(tmp_path / "spans.txt", "1000\t0\t7\n1000\t30\t47\n1000\t30\t47\n")
    assert main(["classify-spans", str(arts), str(spans)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "1000\tLoaded_Language\t0\t7",
        "1000\tName_Calling,Labeling\t30\t47",
        "1000\tLoaded_Language\t30\t47",  # listed twice: the next-best technique
    ]


def test_classify_spans_2023_names_and_tc_template_input(fake_pipeline, tmp_path, capsys):
    arts = DATA / "semeval2020-task11" / "train-articles"
    tc = DATA / "semeval2020-task11" / "train-labels-task2-technique-classification"
    out = tmp_path / "pred.txt"
    assert main(["classify-spans", str(arts), str(tc), "--format", "spans", "-o", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert lines == ["1000\tLoaded_Language\t0\t7", "1000\tName_Calling-Labeling\t30\t47",
                     "1000\tLoaded_Language\t61\t76"]
    # and the output scores with evaluate
    assert main(["evaluate", "semeval2020-tc", str(tc), str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["score"] == pytest.approx(2 / 3)


def test_classify_spans_reports_bad_articles_and_carries_on(fake_pipeline, tmp_path, capsys):
    arts = DATA / "semeval2020-task11" / "train-articles"
    spans = write(tmp_path / "spans.txt", "999\t0\t5\n1000\t0\t7\n1000\t0\t5000\n")
    assert main(["classify-spans", str(arts), str(spans)]) == 1
    captured = capsys.readouterr()
    assert "article 999: listed in SPANS but no article" in captured.err
    assert "outside the text" in captured.err


def test_classify_spans_without_model_says_so(monkeypatch, tmp_path, capsys):
    import propscan.evaluate.spanlabels as spanlabels

    monkeypatch.setattr(spanlabels, "load_scorer", lambda: None)
    spans = write(tmp_path / "s.txt", "1000\t0\t7\n")
    assert main(["classify-spans", str(DATA / "semeval2020-task11" / "train-articles"), str(spans)]) == 2
    assert "no span tagger model is installed" in capsys.readouterr().err
