"""Inline CMS shortcodes (``[caption ...]...[/caption]``, ``[embed]``) removed from lines that stay."""

from __future__ import annotations

from ..document import Edit
from .lines import _Line
from .phrases import _CAPTION_BLOCK, _SHORTCODE


def _inline_shortcodes(lines: list[_Line], removed: dict[int, tuple[str, str]]) -> list[Edit]:
    edits: list[Edit] = []
    for ln in lines:
        if ln.index in removed or "[" not in ln.text:
            continue
        spans: list[tuple[int, int]] = []
        for m in _CAPTION_BLOCK.finditer(ln.text):
            spans.append((m.start(), m.end()))
        for m in _SHORTCODE.finditer(ln.text):
            if not any(s <= m.start() < e for s, e in spans):
                spans.append((m.start(), m.end()))
        for s, e in sorted(spans):
            # take one neighbouring space with it so no double space is left behind
            if e < len(ln.text) and ln.text[e] == " " and (s == 0 or ln.text[s - 1] == " "):
                e += 1
            edits.append(Edit(ln.start + s, ln.start + e, "", "shortcode", "CMS shortcode", ln.text[s:e]))
    return edits
