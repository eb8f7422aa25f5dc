"""JSON and JSON Lines: the full Analysis (layout in docs/schema.md)."""

from __future__ import annotations

import json
from typing import IO

from ..document import Analysis
from .base import Writer


class JsonWriter(Writer):
    """One JSON object for one article, a JSON array for several."""

    def __init__(self, out: IO[str], taxonomy: str = "2023") -> None:
        super().__init__(out, taxonomy)
        self.items: list[dict] = []

    def write(self, analysis: Analysis) -> None:
        self.items.append(analysis.to_dict(self.taxonomy))

    def close(self) -> None:
        payload = self.items[0] if len(self.items) == 1 else self.items
        json.dump(payload, self.out, ensure_ascii=False, indent=2)
        self.out.write("\n")
        super().close()


class JsonlWriter(Writer):
    def write(self, analysis: Analysis) -> None:
        self.out.write(json.dumps(analysis.to_dict(self.taxonomy), ensure_ascii=False))
        self.out.write("\n")
        self.out.flush()
