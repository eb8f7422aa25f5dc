"""From classified lines to Edits over the raw text: removals, composition of repeated passes, no overlaps."""

from __future__ import annotations

from typing import Iterable

from ..document import Edit, apply_edits
from .classify import _classify
from .layout import _join_edits, _space_edits, _wrap_width
from .lines import _Line, _lines, _preview
from .shortcodes import _inline_shortcodes


def _classify_until_stable(raw: str, lines: list[_Line]) -> dict[int, tuple[str, str]]:
    """Classify again on what is left until nothing changes, so cleaning is idempotent.

    Removing a block can make two copies of a caption adjacent or move a
    heading into the last part of the page; a second look catches what a
    second run of cleanup would otherwise find.
    """
    removed: dict[int, tuple[str, str]] = {}
    view = lines
    for _ in range(4):
        relabelled = [_Line(i, ln.start, ln.end, ln.text) for i, ln in enumerate(view)]
        found = {view[i].index: v for i, v in _classify(relabelled).items()}
        if not found:
            break
        removed.update(found)
        covered = _removal_edits(raw, lines, removed)
        view = [ln for ln in lines if not any(e.start <= ln.start and ln.end <= e.end for e in covered)]
    return removed


def _removal_edits(raw: str, lines: list[_Line], removed: dict[int, tuple[str, str]]) -> list[Edit]:
    """One Edit per run of removed lines of the same kind (blank lines between absorbed)."""
    edits: list[Edit] = []
    run: list[_Line] = []
    run_kind: tuple[str, str] | None = None

    def flush() -> None:
        if not run:
            return
        start = run[0].start
        end = run[-1].end
        if end < len(raw):
            end += 1  # the line's own newline
        assert run_kind is not None
        n = sum(1 for ln in run if ln.stripped)
        reason = f"{run_kind[1]} ({n} line{'s' if n != 1 else ''}: {_preview(run[0].stripped)!r})"
        edits.append(Edit(start, end, "", run_kind[0], reason, raw[start:end]))

    pending_blanks: list[_Line] = []
    for ln in lines:
        if ln.blank:
            if run:
                pending_blanks.append(ln)
            continue
        got = removed.get(ln.index)
        if got is not None and run_kind is not None and got[0] == run_kind[0] and run:
            run.extend(pending_blanks)
            run.append(ln)
        else:
            flush()
            run = [ln] if got is not None else []
            run_kind = got
        pending_blanks = []
    flush()
    return edits


def find_edits(raw: str) -> list[Edit]:
    """The edits that clean ``raw``: sorted, non-overlapping, each with its reason.

    Cleaning is idempotent: when the cleaned text would itself be cleaned
    further (re-joined lines that now read as a boilerplate line, two copies
    of a caption made adjacent), the further edits are composed into the
    edits over the raw text.
    """
    edits = _find_edits_once(raw)
    for _ in range(3):
        if not edits:
            break
        more = _find_edits_once(apply_edits(raw, edits))
        if not more:
            break
        edits = compose(raw, edits, more)
    return edits


def compose(raw: str, first: list[Edit], second: list[Edit]) -> list[Edit]:
    """Edits over ``raw`` equivalent to applying ``first`` and then ``second``.

    Each edit of ``second`` (over the once-cleaned text) is mapped back to the
    raw text; where it touches an edit of ``first``, the two become one edit
    covering both, with the reason of the later one.
    """
    mid = apply_edits(raw, first)
    # segments of the once-cleaned text: (raw_start, raw_end, mid_start, mid_end, edit or None)
    segs: list[tuple[int, int, int, int, Edit | None]] = []
    pos_raw = pos_mid = 0
    for e in first:
        if e.start > pos_raw:
            n = e.start - pos_raw
            segs.append((pos_raw, e.start, pos_mid, pos_mid + n, None))
            pos_mid += n
        segs.append((e.start, e.end, pos_mid, pos_mid + len(e.replacement), e))
        pos_mid += len(e.replacement)
        pos_raw = e.end
    segs.append((pos_raw, len(raw), pos_mid, pos_mid + len(raw) - pos_raw, None))

    def raw_start(s: int) -> tuple[int, int]:
        for rs, _re, ms, me, e in segs:
            if ms <= s < me:
                return (rs + (s - ms), s) if e is None else (rs, ms)
        return len(raw), len(mid)

    def raw_end(end: int) -> tuple[int, int]:
        for rs, re_, ms, me, e in segs:
            if ms < end <= me:
                return (rs + (end - ms), end) if e is None else (re_, me)
        return 0, 0

    mapped = []
    for e in second:
        rs, ms = raw_start(e.start)
        if e.end > e.start:
            re_, me = raw_end(e.end)
        else:
            re_, me = rs, ms
        mapped.append([rs, re_, ms, me, [e]])
    groups: list[list] = []
    for m in sorted(mapped, key=lambda m: (m[0], m[1])):
        if groups and m[0] < groups[-1][1]:
            g = groups[-1]
            g[1], g[3] = max(g[1], m[1]), max(g[3], m[3])
            g[4].extend(m[4])
        else:
            groups.append(m)
    out: list[Edit] = []
    for rs, re_, ms, me, inner in groups:
        local = [Edit(e.start - ms, e.end - ms, e.replacement, e.kind, e.reason, e.original) for e in inner]
        replacement = apply_edits(mid[ms:me], local)
        out.append(Edit(rs, re_, replacement, inner[0].kind, inner[0].reason, raw[rs:re_]))
    spans = [(g[0], g[1]) for g in groups]
    for e in first:
        if not any(rs <= e.start and e.end <= re_ and (rs < re_ or e.start == e.end) for rs, re_ in spans):
            out.append(e)
    return sorted(out, key=lambda e: (e.start, e.end))


def _find_edits_once(raw: str) -> list[Edit]:
    if not raw.strip():
        return []
    lines = _lines(raw)
    removed = _classify_until_stable(raw, lines)
    edits = _removal_edits(raw, lines, removed)
    edits += _inline_shortcodes(lines, removed)
    width = _wrap_width([ln for ln in lines if ln.index not in removed])
    if width is not None:
        edits += _join_edits(lines, removed, width)
    edits += _space_edits(raw, lines, removed, width is not None)
    return _non_overlapping(edits)


def _non_overlapping(edits: Iterable[Edit]) -> list[Edit]:
    out: list[Edit] = []
    for e in sorted(edits, key=lambda e: (e.start, -(e.end - e.start))):
        if out and e.start < out[-1].end:
            continue  # inside a larger edit already made
        if e.start == e.end and not e.replacement:
            continue
        out.append(e)
    return out
