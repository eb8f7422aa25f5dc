"""propscan: find where and how news articles try to persuade instead of inform.

    >>> from propscan import analyze
    >>> result = analyze("Title\n\nThe corrupt elite lied to you again.")
    >>> [(s.technique, result.text[s.start:s.end]) for s in result.spans]
"""

from __future__ import annotations

__version__ = "0.1.0"

from .document import SCHEMA_VERSION, Analysis, Article, ParagraphLabels, Span  # noqa: E402
from .analyzer import Analyzer, analyze, analyze_many  # noqa: E402
from .runtime.settings import Settings  # noqa: E402

__all__ = ["Analysis", "Analyzer", "Article", "ParagraphLabels", "SCHEMA_VERSION", "Settings", "Span", "analyze",
           "analyze_many", "__version__"]
