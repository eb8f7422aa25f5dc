"""Layout repair: text hard-wrapped at a fixed width (PDF, e-mail) joined again, doubled spaces made single."""

from __future__ import annotations

from ..document import Edit
from .lines import _Line
from .phrases import _DOUBLE_SPACE, _SENTENCE_END


def _wrap_width(lines: list[_Line]) -> int | None:
    """The fixed line width the text was wrapped at, or None if it was not wrapped."""
    lengths = sorted(len(ln.text.rstrip()) for ln in lines if ln.stripped)
    if len(lengths) < 6:
        return None
    width = lengths[int(len(lengths) * 0.9) - 1]
    if not 35 <= width <= 130:
        return None
    if lengths[-1] > width * 1.6:
        return None
    pairs = unended = 0
    for a, b in zip(lines, lines[1:]):
        la = len(a.text.rstrip())
        if a.stripped and b.stripped and la >= 0.7 * width:
            pairs += 1
            if not a.stripped.endswith(_SENTENCE_END):
                unended += 1
    nonblank = len(lengths)
    if pairs >= 4 and pairs >= 0.4 * nonblank and unended >= 0.5 * pairs:
        return width
    return None


def _join_edits(lines: list[_Line], removed: dict[int, tuple[str, str]], width: int) -> list[Edit]:
    edits: list[Edit] = []
    for a, b in zip(lines, lines[1:]):
        if a.blank or b.blank or a.index in removed or b.index in removed:
            continue
        ta = a.text.rstrip()
        first_word = b.stripped.split()[0]
        wrapped = len(ta) + 1 + len(first_word) >= 0.85 * width or (
            not ta.endswith(_SENTENCE_END) and first_word[:1].islower())
        if not wrapped:
            continue
        start = a.start + len(ta)
        end = b.start + b.indent
        hyphen = ta.endswith("-") and len(ta) > 1 and ta[-2].isalpha()
        edits.append(Edit(start, end, "" if hyphen else " ", "hard-wrap",
                          "re-joined a line broken at the page width", a.text[len(ta):] + "\n" + b.text[:b.indent]))
    return edits


def _space_edits(raw: str, lines: list[_Line], removed: dict[int, tuple[str, str]], wrapped: bool) -> list[Edit]:
    edits: list[Edit] = []
    kept = [ln for ln in lines if ln.stripped and ln.index not in removed]
    doubles = sum(len(_DOUBLE_SPACE.findall(ln.text)) for ln in kept if "  " in ln.text or "\t" in ln.text)
    if not wrapped and doubles < max(8, 2 * len(kept)):
        return edits  # an odd double space is left alone; PDF text has them on every line
    for ln in kept:
        if wrapped and ln.indent and (ln.index == 0 or lines[ln.index - 1].blank):
            edits.append(Edit(ln.start, ln.start + ln.indent, "", "spaces", "leading spaces of PDF text",
                              ln.text[:ln.indent]))
        for m in _DOUBLE_SPACE.finditer(ln.text):
            edits.append(Edit(ln.start + m.start(), ln.start + m.end(), " ", "spaces",
                              "collapsed the doubled spaces of PDF text", m.group()))
    return edits
