"""What a given span's own shape says about its technique, for labelling spans a user supplies.

SemEval-2020 TC gives the spans and asks for their techniques. The tagger's
mean token probabilities inside a span see ~254 word pieces of context; two
facts they miss are cheap to count:

- **How often the span's text occurs in the article.** Repetition is, by
  definition, the same phrase used again: in the training articles a span
  whose text occurs 3 or more times is Repetition 62% of the time, one that
  occurs once 3%. For a span that occurs twice or more, the fraction for
  its count is added to the tagger's Repetition score.
- **How long the span is.** Slogans and Name_Calling are a few words,
  Causal_Oversimplification and Black-and-White_Fallacy a clause or more.
  Each technique's score is multiplied by (P(technique | length) /
  P(technique)) ** alpha, the ratios counted on the training articles.

Both tables and alpha live in ``models/span_priors.json``, written by
``python -m propscan.train.span_priors --data PATH`` (see MODEL_CARD.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..runtime import models

MODEL = models.path(models.SPAN_PRIORS)


def occurrences(text: str, phrase: str) -> int:
    """Case-insensitive occurrences of ``phrase`` in ``text`` as whole words."""
    p = phrase.strip().lower()
    if not p:
        return 0
    return len(re.findall(r"(?<!\w)" + re.escape(p) + r"(?!\w)", text.lower()))


def length_bucket(phrase: str, edges: Sequence[int]) -> int:
    """Index of the first edge the span's word count does not exceed (len(edges) past the last)."""
    n = len(phrase.split())
    for i, edge in enumerate(edges):
        if n <= edge:
            return i
    return len(edges)


@dataclass
class SpanPriors:
    version: str
    repetition: dict[int, float]  # occurrences (capped at max key) -> P(Repetition)
    edges: list[int]  # word-count bucket edges
    length_ratio: dict[str, list[float]]  # technique -> P(t | bucket) / P(t), one per bucket
    alpha: float

    @classmethod
    def load(cls, path: Path = MODEL) -> SpanPriors | None:
        if not path.is_file():
            return None
        return cls.load_dict(json.loads(path.read_text(encoding="utf-8")))

    @classmethod
    def load_dict(cls, d: dict[str, Any]) -> SpanPriors:
        return cls(version=str(d["version"]), repetition={int(k): float(v) for k, v in d["repetition"].items()},
                   edges=[int(e) for e in d["length_edges"]],
                   length_ratio={t: [float(x) for x in r] for t, r in d["length_ratio"].items()},
                   alpha=float(d["alpha"]))

    def adjust(self, text: str, spans: Sequence[tuple[int, int]],
               scores: list[dict[str, float]]) -> list[dict[str, float]]:
        """The tagger's ``scores`` for each span of ``text``, with both priors applied (new dicts)."""
        top = max(self.repetition) if self.repetition else 0
        out = []
        for (start, end), sc in zip(spans, scores, strict=True):
            phrase = text[start:end]
            adjusted = dict(sc)
            k = min(occurrences(text, phrase), top)
            if "Repetition" in adjusted and k >= 2:  # occurring once is no evidence either way
                adjusted["Repetition"] += self.repetition.get(k, 0.0)
            b = length_bucket(phrase, self.edges)
            for t, ratios in self.length_ratio.items():
                if t in adjusted:
                    adjusted[t] *= ratios[min(b, len(ratios) - 1)] ** self.alpha
            out.append(adjusted)
        return out
