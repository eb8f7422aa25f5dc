"""Official SemEval metrics over gold and predicted Analyses.

Gold and predictions are matched by ``analysis.article.id``; gold articles
without a prediction count as predicting nothing, predictions without gold
are ignored (and counted in the result). Each ``score_*`` returns a dict with
``score`` (the task's official headline number), ``precision``, ``recall``,
``f1``, often ``macro_f1``, and ``per_label``. The formulas live in
``metrics``; reading the official file formats in ``formats``.
"""

from __future__ import annotations

from .metrics import Score
from .scores import (article_techniques, score_2021_t1, score_2021_t2, score_si, score_spans, score_st1, score_st2,
                     score_st3, score_tc)

__all__ = [
    "Score",
    "score_si", "score_tc", "score_spans", "score_st1", "score_st2", "score_st3",
    "score_2021_t1", "score_2021_t2", "article_techniques",
]
