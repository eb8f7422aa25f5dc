"""The edges between the library and its doors: one way in (readers), flags named only by the CLI,
error kinds the web maps to status codes."""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

import pytest

from propscan.cli import FLAGS, build_parser, describe
from propscan.document import Article
from propscan.errors import KINDS, STATUS, InputError, PropscanError
from propscan.readers import (FOLDER_SUFFIXES, HTML, RECORDS, SUFFIXES, TEXT, cleaned, expand, iter_articles,
                              kind_of, read_source, suffixes)

SRC = Path(__file__).resolve().parents[1] / "src" / "propscan"


def cli_flags() -> set[str]:
    """Every long option of every propscan command."""
    found: set[str] = set()

    def walk(parser: argparse.ArgumentParser) -> None:
        for action in parser._actions:
            found.update(o for o in action.option_strings if o.startswith("--"))
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    walk(sub)

    walk(build_parser())
    return found - {"--help", "--version"}


def test_library_messages_name_no_cli_flag() -> None:
    """The library says which setting (``PropscanError.option``); the CLI, which owns the flags, names them.

    Modules that build their own ArgumentParser (the training scripts) own their flags and are left out.
    """
    flags = sorted(cli_flags(), key=len, reverse=True)
    pattern = re.compile(r"(?<![\w-])(%s)(?![\w-])" % "|".join(map(re.escape, flags)))
    bad = []
    for path in sorted(SRC.rglob("*.py")):
        if "cli" in path.relative_to(SRC).parts:
            continue
        source = path.read_text(encoding="utf-8")
        if "ArgumentParser(" in source:
            continue
        tree = ast.parse(source)
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                      and node.body and isinstance(node.body[0], ast.Expr)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                m = pattern.search(node.value)
                if m:
                    bad.append(f"{path.relative_to(SRC)}:{node.lineno}: {m.group(1)}")
    assert not bad, "library strings naming CLI flags: " + "; ".join(bad)


def test_every_option_an_error_can_name_is_a_flag_the_cli_has() -> None:
    assert set(FLAGS.values()) <= cli_flags()
    err = InputError("big.txt", "too large (over 10 bytes)", option="max_bytes")
    assert describe(err) == "big.txt: too large (over 10 bytes) (see --max-bytes)"
    assert describe(PropscanError("plain")) == "plain"


def test_every_kind_has_a_status() -> None:
    assert set(STATUS) == set(KINDS)


def test_one_table_of_suffixes() -> None:
    from propscan.web.settings import UPLOAD_SUFFIXES

    assert FOLDER_SUFFIXES == UPLOAD_SUFFIXES == suffixes(TEXT, HTML)
    assert set(suffixes()) == set(SUFFIXES)
    assert {kind for kind, _ in SUFFIXES.values()} == {TEXT, HTML, RECORDS}
    assert kind_of("a/b.HTM") == HTML and kind_of("feed.ndjson") == RECORDS and kind_of("x.pdf") is None


def test_expand_reports_problems_as_errors_not_magic_paths(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "a.txt").write_text("Title\n\nBody.\n")
    got = list(expand([str(empty), str(tmp_path / "full"), "-"]))
    assert isinstance(got[0], InputError) and got[0].kind == "empty" and "no .txt or .html" in str(got[0])
    assert got[1:] == [str(tmp_path / "full" / "a.txt"), "-"]
    assert not any(isinstance(g, str) and "\0" in g for g in got)
    # an error already found passes through a second expansion, read once
    assert list(expand(got)) == got
    assert [type(g).__name__ for g in iter_articles(got[:2])] == ["InputError", "Article"]


def test_every_door_cleans_in_one_place(tmp_path: Path) -> None:
    raw = "Title\n\nA sentence of the article.\n\nShare this:\n"
    f = tmp_path / "a.txt"
    f.write_text(raw)
    from propscan.web.inputs import from_text

    by_file = next(iter_articles([str(f)]))
    by_text = read_source(raw)
    by_web = from_text(raw)
    assert by_file.text == by_text.text == by_web.text == cleaned(Article(id="x", text=raw)).text
    assert "Share this" not in by_file.text
    assert next(iter_articles([str(f)], clean=False)).text == read_source(raw, clean=False).text == raw


def test_read_source_takes_text_bytes_paths_and_articles(tmp_path: Path) -> None:
    f = tmp_path / "article1.txt"
    f.write_text("Title\n\nBody.\n")
    assert read_source(str(f)).id == "1" and read_source(f).source == str(f)
    assert read_source(b"Title\n\nBody.\n").text == "Title\n\nBody.\n"
    art = Article(id="given", text="As it is")
    assert read_source(art) is art
    with pytest.raises(InputError, match="no such file"):
        read_source(str(tmp_path / "missing.csv"))
    with pytest.raises(InputError, match="empty input"):
        read_source("   ")


def test_record_files_read_with_the_columns_given(tmp_path: Path) -> None:
    from propscan.readers.records import Columns

    feed = tmp_path / "feed.csv"
    feed.write_text("story,head\nThe body of it.,A head\n")
    [err] = list(iter_articles([str(feed)]))
    assert isinstance(err, InputError) and err.option == "text_column"
    [art] = list(iter_articles([str(feed)], columns=Columns(text="story", title="head")))
    assert isinstance(art, Article) and art.title == "A head"
