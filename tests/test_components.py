"""The component protocol, the pipeline's order check, settings passed down and the one registry of models."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from propscan.analyzer import DEFAULT_PIPELINE, Analyzer, _factory, build, default_analyzer, using
from propscan.components import (GENRE, LANGUAGE, PARAGRAPH_SCORES, SPANS, Base, Component, PipelineError,
                                 check_order, providers)
from propscan.document import Analysis, Article
from propscan.errors import PropscanError
from propscan.runtime.registry import Registry
from propscan.runtime.settings import Settings, from_environ

SRC = Path(__file__).resolve().parents[1] / "src" / "propscan"


class Needs(Base):
    name, version = "needs-spans", "1"
    requires = (SPANS,)

    def __call__(self, analysis: Analysis) -> Analysis:
        analysis.notices.append(f"saw {len(analysis.spans)} spans")
        return analysis


class Gives(Base):
    name, version = "gives-spans", "1"
    provides = (SPANS,)

    def __call__(self, analysis: Analysis) -> Analysis:
        return analysis


def test_every_bundled_factory_declares_the_protocol_and_the_default_order_holds():
    factories = [f for f in map(_factory, DEFAULT_PIPELINE) if f is not None]
    assert len(factories) == len(DEFAULT_PIPELINE)
    for f in factories:
        assert f.name and isinstance(f.requires, tuple) and isinstance(f.provides, tuple), f
        assert callable(f.preload) and callable(f.create)
    check_order(factories)  # no error
    assert "tagger" in providers(PARAGRAPH_SCORES)


def test_a_pipeline_in_the_wrong_order_fails_naming_the_component_and_its_missing_input():
    with pytest.raises(PipelineError, match="'needs-spans' requires 'spans'.*'gives-spans'"):
        Analyzer([Needs(), Gives()])
    reversed_default = tuple(reversed(DEFAULT_PIPELINE))
    with pytest.raises(PropscanError, match="component 'profile' requires"):
        build(reversed_default)  # refused before any model is loaded
    got = Analyzer([Gives(), Needs()])(Article(id="a", text="Title\n\nText."))
    assert got.notices == ["saw 0 spans"]


def test_a_fact_no_component_provides_is_allowed_its_provider_may_be_absent():
    Analyzer([Needs()])  # e.g. a development checkout without the tagger model


def test_an_object_missing_part_of_the_protocol_is_refused_with_what_it_lacks():
    class Bare:
        name, version = "bare", "1"

        def __call__(self, analysis: Analysis) -> Analysis:
            return analysis

    with pytest.raises(PipelineError, match="'bare' lacks requires, provides, pipe"):
        Analyzer([Bare()])
    assert isinstance(Gives(), Component) and not isinstance(Bare(), Component)


def test_base_gives_pipe_from_call():
    a = Analysis(article=Article(id="a", text="x"))
    assert list(Needs().pipe([a])) == [a] and a.notices == ["saw 0 spans"]


def test_no_component_tests_another_ones_name():
    """Components coordinate through declared facts, not by comparing detector names."""
    for folder in ("detect", "classify"):
        for path in (SRC / folder).glob("*.py"):
            source = path.read_text(encoding="utf-8")
            assert 'detector == "' not in source and "detector == '" not in source, path


def test_settings_reach_the_components():
    settings = Settings(threads=1, max_chars=50)
    analyzer = Analyzer([Gives()], settings=settings)
    assert analyzer.max_chars == 50
    got = analyzer(Article(id="long", text="word " * 40))
    assert len(got.text) <= 50 and "limit is 50" in got.notices[0]
    assert Analyzer([Gives()], 70, settings=settings).max_chars == 70


def test_the_environment_is_read_into_settings_only_when_asked(monkeypatch):
    monkeypatch.setenv("PROPSCAN_MAX_CHARS", "123")
    assert Settings().max_chars == 100_000
    env = {"PROPSCAN_THREADS": "3", "PROPSCAN_MAX_CHARS": "0", "PROPSCAN_DB": "x.db",
           "PROPSCAN_DB_BUSY_TIMEOUT_MS": "250", "PROPSCAN_FAULT": "store:2"}
    got = from_environ(env)
    assert (got.threads, got.max_chars, got.db_url, got.db_busy_timeout_ms, got.fault) == (3, 0, "x.db", 250, "store:2")
    with pytest.raises(PropscanError, match="PROPSCAN_THREADS='two': must be a whole number"):
        from_environ({"PROPSCAN_THREADS": "two"})


def test_no_library_module_reads_or_writes_the_environment():
    """Only the CLI (cli/) reads the documented variables; training scripts are outside the runtime."""
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).parts
        if rel[0] in ("cli", "train"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "putenv"):
                assert not (isinstance(node.value, ast.Name) and node.value.id == "os"), f"{path}:{node.lineno}"


def test_the_registry_loads_once_per_key_and_an_override_wins():
    reg = Registry()
    calls: list[int] = []
    assert reg.value("m", 1, lambda: calls.append(1) or "one") == "one"
    assert reg.value("m", 1, lambda: calls.append(1) or "again") == "one"
    assert reg.value("m", 2, lambda: "two") == "two" and calls == [1]
    assert reg.load("bg", "k", lambda: 42).get() == 42 and reg.load("bg", "k", lambda: 0).get() == 42
    with reg.override("m", "mine"):
        assert reg.value("m", 3, lambda: "three") == "mine"
    assert reg.value("m", 1, lambda: "x") == "one"


def test_using_puts_an_analyzer_in_place_for_the_block():
    mine = Analyzer([Gives()])
    with using(mine):
        assert default_analyzer() is mine and default_analyzer(Settings(threads=1)) is mine
    assert default_analyzer.__name__ == "default_analyzer"  # the seam leaves nothing behind


def test_genre_and_language_are_declared_facts():
    from propscan.classify.genre import GenreClassifier
    from propscan.detect.language import LanguageTagger

    assert GENRE in GenreClassifier.provides and LANGUAGE in GenreClassifier.requires
    assert LanguageTagger.provides == (LANGUAGE,)


def test_analyze_reads_a_file_within_the_settings_size_limit(tmp_path):
    from propscan.analyzer import analyze
    from propscan.errors import InputError

    path = tmp_path / "big.txt"
    path.write_text("Title\n\n" + "word " * 50, encoding="utf-8")
    with using(Analyzer([Gives()])):
        with pytest.raises(InputError, match="too large"):
            analyze(path, settings=Settings(max_bytes=100))
        assert analyze(path, settings=Settings(max_bytes=1000)).article.title == "Title"


def test_one_module_knows_the_models_folder_and_reads_tagger_json():
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        if rel.parts[0] == "train" or rel == Path("runtime/models.py"):
            continue
        source = path.read_text(encoding="utf-8")
        assert '/ "models"' not in source and '"tagger.json"' not in source, rel
