"""A text as lines with their raw offsets: what every cleanup rule looks at."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class _Line:
    index: int
    start: int  # raw offset of the first character
    end: int  # raw offset just past the last character (before "\n")
    text: str
    stripped: str = field(init=False)

    def __post_init__(self) -> None:
        self.stripped = self.text.strip()

    @property
    def blank(self) -> bool:
        return not self.stripped

    @property
    def indent(self) -> int:
        return len(self.text) - len(self.text.lstrip())


def _lines(raw: str) -> list[_Line]:
    out: list[_Line] = []
    pos = 0
    for i, text in enumerate(raw.split("\n")):
        out.append(_Line(i, pos, pos + len(text), text))
        pos += len(text) + 1
    return out


def _words(s: str) -> int:
    return len(s.split())


def _preview(s: str, n: int = 60) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 1] + "…"
