"""Persuasion profile: how much, and which kinds of, persuasion an article uses.

Counts and densities come straight from what the detectors found (spans, or
paragraph labels where a language has no span detector), so the profile never
claims more than the highlighted evidence shows. The 0-100 score is the genre
model's calibrated probability that annotators would call the article opinion
or satire rather than a news report (``SCORE_DEFINITION``, the one sentence
shown next to it everywhere; docs/persuasion_profile.md): a number with a
meaning that can be checked, measured on the article-level validation
protocol (models/ARTICLE_MODEL_CARD.md).
"""

from __future__ import annotations

import re

from ..components import GENRE, PARAGRAPH_LABELS, PROFILE, SPANS, Base
from ..document import Analysis, Profile
from ..taxonomy import CATEGORIES, TECHNIQUES

_WORD = re.compile(r"\w+")
EVIDENCE_MAX = 5
# below this many words the genre model has too little to go on: no score rather than a confident-looking one
SCORE_MIN_WORDS = 80
SCORE_DEFINITION = (
    "Persuasion score: the estimated chance, out of 100, that professional annotators would label this "
    "article opinion or satire rather than a news report, for a feed that is two thirds news reports "
    f"(no score for texts under {SCORE_MIN_WORDS} words)."
)


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def persuasion_score(analysis: Analysis, words: int) -> tuple[int | None, str | None]:
    """(score, None), or (None, why there is none)."""
    if words < SCORE_MIN_WORDS:
        return None, f"too short to judge: {words} words (a score needs at least {SCORE_MIN_WORDS})"
    reporting = analysis.genre.get("reporting")
    if reporting is None:
        return None, "no genre estimate for this article (see notices)"
    return round(100.0 * (1.0 - float(reporting))), None


class PersuasionProfiler(Base):
    name = "profile"
    version = "1"
    requires = (SPANS, PARAGRAPH_LABELS, GENRE)
    provides = (PROFILE,)

    def __call__(self, analysis: Analysis) -> Analysis:
        analysis.profile = build_profile(analysis)
        return analysis


def _instances(analysis: Analysis) -> tuple[list[str], str]:
    """Technique instances and what they are: spans for English (span detectors), else paragraph labels."""
    lang = analysis.language() or "en"
    labels = [t for p in analysis.paragraphs for t in p.techniques]
    if lang == "en" or (analysis.spans and not labels):
        return [s.technique for s in analysis.spans], "spans"
    return labels, "paragraph_labels"


def build_profile(analysis: Analysis) -> Profile:
    text = analysis.article.text
    words = word_count(text)
    n_par = max(len(analysis.paragraphs), 1)
    techniques, unit = _instances(analysis)
    t_counts: dict[str, int] = {}
    for t in techniques:
        if t in TECHNIQUES:
            t_counts[t] = t_counts.get(t, 0) + 1
    c_counts: dict[str, int] = {}
    for t, n in t_counts.items():
        c = TECHNIQUES[t].category
        c_counts[c] = c_counts.get(c, 0) + n
    total = sum(t_counts.values())
    per_k = 1000.0 / words if words else 0.0
    density = total * per_k

    def table(counts: dict[str, int]) -> dict[str, dict[str, float]]:
        return {k: {"count": n, "per_1000_words": round(n * per_k, 2), "per_paragraph": round(n / n_par, 3)}
                for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))}

    with_technique = sum(1 for p in analysis.paragraphs if p.techniques)
    evidence = []
    for s in sorted(analysis.spans, key=lambda s: (-s.score, s.start))[:EVIDENCE_MAX]:
        evidence.append({"technique": s.technique, "category": s.category, "start": s.start, "end": s.end,
                         "score": round(float(s.score), 4), "text": text[s.start:s.end][:300]})
    if not evidence:  # no spans (e.g. a language without span detection): the strongest paragraphs
        scored = [(max((v for k, v in p.scores.items() if k in p.techniques), default=0.0), p)
                  for p in analysis.paragraphs if p.techniques]
        for sc, p in sorted(scored, key=lambda x: (-x[0], x[1].start))[:EVIDENCE_MAX]:
            best = max(p.techniques, key=lambda t: p.scores.get(t, 0.0))
            evidence.append({"technique": best, "category": TECHNIQUES[best].category if best in TECHNIQUES else "",
                             "start": p.start, "end": p.end, "score": round(float(sc), 4),
                             "text": text[p.start:p.end][:300], "unit": "paragraph"})
    score, why = persuasion_score(analysis, words)
    return Profile(
        words=words,
        paragraphs=len(analysis.paragraphs),
        paragraphs_with_techniques=with_technique,
        instance_unit=unit,
        technique_instances=total,
        density_per_1000_words=round(density, 2),
        density_per_paragraph=round(total / n_par, 3),
        techniques=table(t_counts),
        categories={c: v for c, v in table(c_counts).items() if c in CATEGORIES},
        score=score,
        score_definition=SCORE_DEFINITION,
        evidence=evidence,
        score_missing=why,
    )
