"""The article highlighting, taken from ``propscan.writers.report`` (shared with the HTML report).

The report's CSS and JS are served as files (/assets/report.css, .js) so the
page's Content-Security-Policy can forbid inline script.
"""

from __future__ import annotations

from markupsafe import Markup

from ..document import Analysis


ANCHOR = "text"  # paragraph ids on the article page are text-l<line>: the story page links to them


def article_html(analysis: Analysis, taxonomy: str = "2023",
                 corrections: dict[tuple[int, int, str], str] | None = None) -> Markup:
    from ..writers.report import render_article

    # render_article escapes every untrusted string itself; Markup keeps Jinja from escaping it twice
    return Markup(render_article(analysis, taxonomy, anchor=ANCHOR, heading_level=1, show_models=True,
                                 corrections=corrections))


def report_assets() -> tuple[str, str]:
    from ..writers.report import REPORT_CSS, REPORT_JS

    return REPORT_CSS, REPORT_JS
