"""Every engine gives the same Analyses, in input order, in bounded memory."""

from __future__ import annotations

import pytest

from propscan import engine
from propscan.document import Analysis, Article
from propscan.errors import InputError, PropscanError

TEXTS = [
    "Leaders meet again\n\nThe corrupt elite met behind closed doors again. We must stop them now!",
    "Budget passed\n\nParliament approved the budget by 201 votes to 180 on Tuesday.",
    "Le gouvernement recule\n\nLe ministre a annoncé le retrait du projet de loi après des semaines de grève.",
    "Storm warning\n\nForecasters expect heavy rain and strong winds along the coast this weekend.",
    "Die Regierung\n\nDie Regierung hat am Dienstag einen neuen Haushalt vorgelegt, der mehr Geld für Schulen vorsieht.",
]


def articles(n: int = 23) -> list[Article]:
    return [Article(id=f"a{i}", text=TEXTS[i % len(TEXTS)] + f" ({i})", source=f"<test {i}>") for i in range(n)]


def dicts(items) -> list[dict]:
    return [a.to_dict() for a in items]


@pytest.fixture(scope="module")
def in_process() -> list[dict]:
    return dicts(engine.analyze_stream(articles(), batch_size=4))


def test_in_process_matches_the_analyzer(in_process):
    from propscan.analyzer import default_analyzer

    assert in_process == dicts(default_analyzer().pipe(articles(), batch_size=4))
    assert [d["article"]["id"] for d in in_process] == [f"a{i}" for i in range(23)]


def test_local_processes_give_identical_results_in_order(in_process):
    assert dicts(engine.analyze_stream(articles(), workers=2, batch_size=4)) == in_process


def test_dask_local_cluster_gives_identical_results_in_order(in_process):
    pytest.importorskip("dask.distributed")
    assert dicts(engine.analyze_stream(articles(), workers=2, engine="dask", batch_size=4)) == in_process


def test_the_input_is_consumed_lazily():
    pulled = []

    def source():
        for a in articles(1000):
            pulled.append(a.id)
            yield a

    stream = engine.analyze_stream(source(), batch_size=4)
    first = next(stream)
    assert first.article.id == "a0"
    assert len(pulled) == 1  # the first batch is one article: the first result comes without waiting
    stream.close()


def test_ordered_window_bounds_what_is_in_flight():
    in_flight = []
    pending_max = [0]

    class Fut:
        def __init__(self, chunk):
            self.chunk = chunk
            in_flight.append(self)
            pending_max[0] = max(pending_max[0], len(in_flight))

        def result(self):
            in_flight.remove(self)
            return [a.id for a in self.chunk]

    out = list(engine._ordered(Fut, lambda f: f.result(), articles(50), batch_size=3, in_flight=4))
    assert out == [f"a{i}" for i in range(50)]
    assert pending_max[0] == 4


def test_a_failing_article_is_isolated(monkeypatch):
    class Flaky:
        def run_batch(self, arts):
            for a in arts:
                if "boom" in a.text:
                    raise RuntimeError("kaput")
            return [Analysis(article=a) for a in arts]

        def pipe(self, arts, batch_size=16):
            return self.run_batch(list(arts))

    from propscan.analyzer import using

    arts = articles(3)
    arts[1] = Article(id="bad", text="boom\n\nboom", source="bad.txt")
    with using(Flaky()):
        got = list(engine.analyze_stream(arts, batch_size=3, errors="yield"))
        assert [type(g).__name__ for g in got] == ["Analysis", "InputError", "Analysis"]
        assert isinstance(got[1], InputError) and str(got[1]).startswith("bad.txt: analysis failed")
        with pytest.raises(RuntimeError, match="kaput"):  # in one process, a bug keeps its traceback
            list(engine.analyze_stream(arts, batch_size=3))


@pytest.mark.parametrize("kwargs, match, flag", [
    ({"engine": "spark"}, "engine spark: must be one of", "--engine"),
    ({"workers": 0}, "workers 0: must be at least 1", "--workers"),
    ({"scheduler": "tcp://x:1"}, "a scheduler address needs the dask engine", "--scheduler"),
])
def test_bad_options_are_user_errors(kwargs, match, flag):
    from propscan.cli import describe

    with pytest.raises(PropscanError, match=match) as got:
        list(engine.analyze_stream(articles(1), **kwargs))
    assert "--" not in str(got.value)  # the library names no flag; the CLI adds its own
    assert describe(got.value).endswith(f"(see {flag})")


def test_analyze_command_gives_the_same_jsonl_with_workers_and_dask(tmp_path):
    pytest.importorskip("dask.distributed")
    from propscan.cli import main

    feed = tmp_path / "in.jsonl"
    import json

    feed.write_text("".join(json.dumps({"id": a.id, "text": a.text}) + "\n" for a in articles(9)))
    outs = {}
    for name, extra in {"one": [], "two": ["--workers", "2"], "dask": ["--engine", "dask", "--workers", "2"]}.items():
        out = tmp_path / f"{name}.jsonl"
        assert main(["analyze", "-q", "-f", "jsonl", "-o", str(out), str(feed), *extra]) == 0
        outs[name] = out.read_text()
    assert len(outs["one"].splitlines()) == 9
    assert outs["one"] == outs["two"] == outs["dask"]


def test_batches_start_small_then_stay_full():
    from propscan.batching import chunks

    assert [len(c) for c in chunks(range(40), 8)] == [1, 2, 4, 8, 8, 8, 8, 1]
    assert [len(c) for c in chunks(range(3), 16)] == [1, 2]
    assert list(chunks([], 4)) == []
    assert [x for c in chunks(range(100), 16) for x in c] == list(range(100))
