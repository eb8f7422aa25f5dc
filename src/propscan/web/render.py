"""The article highlighting, taken from ``propscan.render`` (shared with the HTML report).

The report's CSS and JS are served as files (/assets/report.css, .js) so the
page's Content-Security-Policy can forbid inline script.
"""

from __future__ import annotations

from markupsafe import Markup

from ..document import Analysis


def article_html(analysis: Analysis, taxonomy: str = "2023") -> Markup:
    from ..render import render_article

    # render_article escapes every untrusted string itself; Markup keeps Jinja from escaping it twice
    return Markup(render_article(analysis, taxonomy, heading_level=1, show_models=True))


def report_assets() -> tuple[str, str]:
    from ..render import REPORT_CSS, REPORT_JS

    return REPORT_CSS, REPORT_JS
