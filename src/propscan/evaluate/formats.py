"""Read gold and prediction files in the official SemEval formats.

A path may be one file or a folder of per-article files (read recursively,
``.template`` files and hidden files skipped). A per-article file whose name
holds the article id (``article123...``) registers that article even when it
is empty, so an article without gold spans still counts its false positives.
Technique names are read in any known spelling and compared in the task's
own naming (2020 names for SemEval-2020, 2021 names for memes).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterator

from ..errors import InputError
from ..taxonomy import normalise, to_view

_ARTICLE_ID = re.compile(r"^article([^.\-_]+)")
Spans = dict[str, list[tuple[int, int, str]]]


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(f for f in path.rglob("*") if f.is_file() and not f.name.startswith(".")
                       and not f.name.endswith(".template"))
        if not files:
            raise InputError(str(path), "folder holds no label files")
        return files
    if not path.exists():
        raise InputError(str(path), "no such file or folder")
    return [path]


def _rows(path: str | Path) -> Iterator[tuple[str, int, list[str], str | None]]:
    """(where, line number, tab-separated fields, article id from the file name) for each non-empty line."""
    for f in _files(Path(path)):
        m = _ARTICLE_ID.match(f.name)
        file_id = m.group(1) if m else None
        try:
            text = f.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(str(f), "not UTF-8 text; expected a SemEval label file") from None
        if file_id is not None:
            yield str(f), 0, [], file_id  # registers the article even when the file is empty
        for n, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                yield str(f), n, line.rstrip("\r\n").split("\t"), file_id


def _technique(name: str, taxonomy: str, where: str) -> str:
    try:
        return to_view(normalise(name.strip()), taxonomy)
    except KeyError:
        raise InputError(where, f"unknown technique name {name.strip()!r}") from None


def _int(value: str, where: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise InputError(where, f"expected a number, got {value.strip()!r}") from None


def read_spans(path: str | Path, taxonomy: str = "2023", labelled: bool | None = None) -> Spans:
    """Span files: ``ID<TAB>technique<TAB>start<TAB>end`` (TC, 2023 spans) or ``ID<TAB>start<TAB>end`` (SI).

    ``labelled`` True requires the technique column, False ignores it (label
    ""), None takes what each line has.
    """
    out: Spans = {}
    for where, n, fields, file_id in _rows(path):
        if n == 0:
            out.setdefault(file_id or "", [])
            continue
        at = f"{where}:{n}"
        if len(fields) >= 4:
            doc, tech, s, e = fields[0].strip(), fields[1], fields[2], fields[3]
            label = "" if labelled is False else _technique(tech, taxonomy, at)
        elif len(fields) == 3 and labelled is not True:
            doc, s, e = fields[0].strip(), fields[1], fields[2]
            label = ""
        else:
            want = "ID, technique, start, end" if labelled else "ID, start, end"
            raise InputError(at, f"expected tab-separated {want}; got {len(fields)} field(s)")
        start, end = _int(s, at), _int(e, at)
        if end < start:
            raise InputError(at, f"span end {end} is before its start {start}")
        out.setdefault(doc, []).append((start, end, label))
    return {k: v for k, v in out.items() if k}


def spans_as_given(spans: Spans) -> dict[tuple[str, int, int], list[str]]:
    """``{(id, start, end): [technique, ...]}``: the keying of SemEval-2020 TC."""
    out: dict[tuple[str, int, int], list[str]] = {}
    for doc, items in spans.items():
        for s, e, lab in items:
            out.setdefault((doc, s, e), []).append(lab)
    return out


def read_genres(path: str | Path) -> dict[str, str]:
    """SemEval-2023 subtask 1: ``ID<TAB>opinion|reporting|satire``."""
    out: dict[str, str] = {}
    for where, n, fields, _ in _rows(path):
        if n == 0:
            continue
        if len(fields) < 2 or not fields[1].strip():
            raise InputError(f"{where}:{n}", "expected ID<TAB>genre")
        out[fields[0].strip()] = fields[1].strip()
    return out


def read_frames(path: str | Path) -> dict[str, list[str]]:
    """SemEval-2023 subtask 2: ``ID<TAB>frame,frame,...`` (an empty list is allowed)."""
    out: dict[str, list[str]] = {}
    for _, n, fields, _ in _rows(path):
        if n == 0:
            continue
        labels = fields[1] if len(fields) > 1 else ""
        out[fields[0].strip()] = [f.strip() for f in labels.split(",") if f.strip()]
    return out


def read_paragraphs(path: str | Path, taxonomy: str = "2023") -> dict[tuple[str, int], list[str]]:
    """SemEval-2023 subtask 3: ``ID<TAB>line<TAB>technique,technique,...``."""
    out: dict[tuple[str, int], list[str]] = {}
    for where, n, fields, _ in _rows(path):
        if n == 0:
            continue
        at = f"{where}:{n}"
        if len(fields) < 2:
            raise InputError(at, "expected ID<TAB>line<TAB>techniques")
        techs = fields[2] if len(fields) > 2 else ""
        key = (fields[0].strip(), _int(fields[1], at))
        out.setdefault(key, []).extend(_technique(t, taxonomy, at) for t in techs.split(",") if t.strip())
    return out


def _json_items(path: str | Path) -> list[dict]:
    items: list[dict] = []
    for f in _files(Path(path)):
        text = f.read_text(encoding="utf-8-sig")
        try:
            got = json.loads(text)
        except json.JSONDecodeError:
            try:  # JSON Lines, as some later editions of the task use
                got = [json.loads(line) for line in text.splitlines() if line.strip()]
            except json.JSONDecodeError as e:
                raise InputError(str(f), f"not JSON: {e.msg} at line {e.lineno}") from None
        if isinstance(got, dict):
            got = [got]
        if not isinstance(got, list) or not all(isinstance(x, dict) and "id" in x for x in got):
            raise InputError(str(f), "expected a JSON list of objects with 'id' and 'labels'")
        items.extend(got)
    return items


def read_memes_t1(path: str | Path) -> dict[str, list[str]]:
    """SemEval-2021 Task 6 subtask 1: ``[{"id", "labels": [technique, ...]}]`` (2021 names)."""
    out: dict[str, list[str]] = {}
    for item in _json_items(path):
        where = f"{path}: meme {item['id']}"
        out[str(item["id"])] = [_technique(t, "2021", where) for t in item.get("labels", [])]
    return out


def read_memes_t2(path: str | Path) -> Spans:
    """SemEval-2021 Task 6 subtask 2: ``[{"id", "labels": [{"start", "end", "technique"}]}]``."""
    out: Spans = {}
    for item in _json_items(path):
        where = f"{path}: meme {item['id']}"
        spans = out.setdefault(str(item["id"]), [])
        for lab in item.get("labels", []):
            if not isinstance(lab, dict) or not {"start", "end", "technique"} <= set(lab):
                raise InputError(where, "each label needs start, end and technique")
            spans.append((int(lab["start"]), int(lab["end"]), _technique(lab["technique"], "2021", where)))
    return out
