"""Label spans a user supplies (SemEval-2020 TC) with the span tagger's technique scores."""

from __future__ import annotations

from collections import Counter
from typing import Callable, Sequence

from ..document import Article
from ..taxonomy import to_view

Scorer = Callable[[Article, list[tuple[int, int]]], list[dict[str, float]]]


def load_scorer() -> Scorer | None:
    """The shipped span tagger's ``technique_scores`` with the span priors applied (``detect.span_priors``).

    None when no tagger model is installed; the tagger alone when the priors file is absent.
    """
    from ..detect.span_priors import SpanPriors
    from ..detect.tagger import SpanTagger

    tagger = SpanTagger.create()
    if tagger is None:
        return None
    priors = SpanPriors.load()
    if priors is None:
        return tagger.technique_scores

    def scorer(article: Article, spans: list[tuple[int, int]]) -> list[dict[str, float]]:
        return priors.adjust(article.text, spans, tagger.technique_scores(article, spans))

    return scorer


def label_spans(scorer: Scorer, article: Article, spans: Sequence[tuple[int, int]],
                taxonomy: str = "2023") -> dict[tuple[int, int], list[str]]:
    """Techniques for each distinct span, in the ``taxonomy`` naming, best first.

    A span listed k times (the TC files repeat a span once per technique)
    gets the k best distinct techniques. When several 2023 techniques share
    one name in the requested view, the view's score is the best of theirs.
    """
    wanted = Counter((int(s), int(e)) for s, e in spans)
    keys = list(wanted)
    if not keys:
        return {}
    scores = scorer(article, keys)
    out: dict[tuple[int, int], list[str]] = {}
    for key, sc in zip(keys, scores):
        view: dict[str, float] = {}
        for tech, p in sc.items():
            name = to_view(tech, taxonomy)
            view[name] = max(view.get(name, float("-inf")), float(p))
        ranked = sorted(view, key=lambda n: (-view[n], n))
        out[key] = ranked[:wanted[key]]
    return out
