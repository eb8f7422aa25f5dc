"""The HTML report: one self-contained file for one or many articles.

Each Analysis is rendered to its HTML fragment as it arrives (so the article
texts need not be kept), and the page, with its index, overall legend and
footer, is written at ``close``. The rendering itself lives in
``writers.report`` so the web app shows articles exactly like the report.
"""

from __future__ import annotations

from typing import IO

from ..document import Analysis
from .base import Writer
from .report import PageBuilder


class HtmlWriter(Writer):
    def __init__(self, out: IO[str], taxonomy: str = "2023", title: str = "propscan report") -> None:
        super().__init__(out, taxonomy)
        self.page = PageBuilder(taxonomy, title)

    def write(self, analysis: Analysis) -> None:
        self.page.add(analysis)

    def close(self) -> None:
        self.out.write(self.page.build())
        super().close()
