"""Repetition, found by a rule: the same charged word or phrase used again across the article.

SemEval annotators mark Repetition on a word or phrase that the writer hammers
home: it occurs several times in the article, it carries meaning (not a
function word or a bare name), and the later uses are the ones marked. A
window-limited tagger cannot see across a whole article; this detector can.

Candidates are word n-grams (1 to ``max_n`` words) that begin and end with a
content word and occur at least ``min_count`` times. An occurrence becomes a
span when the phrase is charged: some occurrence of it overlaps a span the
tagger already marked (loaded language, name calling, slogans...), or it
repeats often enough (``strong_count``) by itself. Parameters were tuned on the
validation split against gold Repetition spans (models/MODEL_CARD.md).
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from ..components import LANGUAGE, SPANS, Base
from ..document import Analysis, Span
from ..runtime import models
from ..runtime.settings import DEFAULT, Settings

_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*", re.UNICODE)

STOPWORDS = frozenset("""
a about above after again against all also am an and any are aren't as at be because been before being below
between both but by can cannot could couldn't did didn't do does doesn't doing don't down during each even ever
every few for from further get gets got had hadn't has hasn't have haven't having he he'd he'll he's her here
here's hers herself him himself his how how's however i i'd i'll i'm i've if in into is isn't it it's its itself
just let's like made make many may me might more most much must mustn't my myself new no nor not now of off
on once one only or other ought our ours ourselves out over own people said same say says shan't she she'd
she'll she's should shouldn't since so some still such than that that's the their theirs them themselves then
there there's these they they'd they'll they're they've this those though through to too two under until up
upon us very via was wasn't we we'd we'll we're we've were weren't what what's when when's where where's
whether which while who who's whom whose why why's will with won't would wouldn't year years yet you you'd
you'll you're you've your yours yourself yourselves mr mrs ms dr also according told tell time times day days
well back going way week first last many another around get go know see think want use used including
""".split())

# techniques whose spans mark a phrase as charged
CHARGED = frozenset({"Loaded_Language", "Name_Calling-Labeling", "Slogans", "Exaggeration-Minimisation",
                     "Flag_Waving", "Appeal_to_Fear-Prejudice", "Repetition", "Conversation_Killer"})


@dataclass
class RepetitionConfig:
    max_n: int = 3
    min_count: int = 2
    strong_count: int = 4  # a phrase this frequent counts as hammered home without a charged use
    min_chars: int = 4
    skip_first: bool = True  # the first use is not yet a repetition
    skip_names: bool = True  # capitalised names (people, places) repeat by necessity
    score: float = 0.6

    @classmethod
    def from_dict(cls, d: dict) -> "RepetitionConfig":
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


def _norm(w: str) -> str:
    return w.lower().replace("’", "'")


def find_repetitions(text: str, charged: Iterable[tuple[int, int]] = (), cfg: RepetitionConfig | None = None,
                     allowed: list[tuple[int, int]] | None = None) -> list[tuple[int, int, str, int]]:
    """``(start, end, phrase, count)`` for each repeated use of a charged phrase.

    ``charged`` are character ranges other detectors found persuasive;
    ``allowed`` (paragraph ranges) limits where spans may be emitted.
    """
    cfg = cfg or RepetitionConfig()
    words = [(m.start(), m.end(), _norm(m.group())) for m in _WORD.finditer(text)]
    if len(words) < 2:
        return []
    # n-grams may not cross a line break
    if "\n" in text:
        nl = [m.start() for m in re.finditer("\n", text)]
        line_of = [bisect.bisect_left(nl, s) for s, _, _ in words]
    else:
        line_of = [0] * len(words)
    occ: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i in range(len(words)):
        for n in range(1, cfg.max_n + 1):
            j = i + n
            if j > len(words) or line_of[j - 1] != line_of[i]:
                break
            gram = tuple(w for _, _, w in words[i:j])
            if gram[0] in STOPWORDS or gram[-1] in STOPWORDS or gram[0].isdigit() or gram[-1].isdigit():
                continue
            if words[j - 1][1] - words[i][0] < cfg.min_chars:
                continue
            occ[gram].append(i)
    charged = sorted(charged)
    c_starts = [c[0] for c in charged]
    longest = max((ce - cs for cs, ce in charged), default=0)

    def is_charged(s: int, e: int) -> bool:
        # charged ranges starting before e and not too far before s
        hi = bisect.bisect_left(c_starts, e)
        lo = bisect.bisect_left(c_starts, s - longest)
        return any(charged[k][1] > s for k in range(lo, hi))

    picked: list[tuple[int, int, str, int]] = []
    for gram, starts in occ.items():
        if len(starts) < cfg.min_count:
            continue
        n = len(gram)
        ranges = [(words[i][0], words[i + n - 1][1]) for i in starts]
        if cfg.skip_names and all(text[s].isupper() for s, _ in ranges if not _sentence_start(text, s)) \
                and any(not _sentence_start(text, s) for s, _ in ranges):
            continue
        if not (len(starts) >= cfg.strong_count or any(is_charged(s, e) for s, e in ranges)):
            continue
        for k, (s, e) in enumerate(ranges):
            if cfg.skip_first and k == 0:
                continue
            picked.append((s, e, " ".join(gram), len(starts)))
    # prefer the longest phrase where candidates overlap
    picked.sort(key=lambda x: (-(x[1] - x[0]), x[0]))
    out: list[tuple[int, int, str, int]] = []
    taken: list[tuple[int, int]] = []
    for s, e, g, c in picked:
        if any(ts < e and te > s for ts, te in taken):
            continue
        if allowed is not None and not any(a <= s and e <= b for a, b in allowed):
            continue
        taken.append((s, e))
        out.append((s, e, g, c))
    return sorted(out)


def _sentence_start(text: str, pos: int) -> bool:
    k = pos - 1
    while k >= 0 and text[k] in " \t\"'“‘(":
        k -= 1
    return k < 0 or text[k] in ".!?\n:"


class RepetitionDetector(Base):
    """Component: Repetition spans from repeated charged phrases (runs after the tagger)."""

    name = "repetition"
    version = "rule-1"
    requires = (LANGUAGE, SPANS)  # English only; a phrase is charged when another detector's span covers it
    provides = (SPANS,)

    def __init__(self, cfg: RepetitionConfig | None = None, replace_tagger: bool = True) -> None:
        self.cfg = cfg or RepetitionConfig()
        # when the rule beats the model on validation, the model's own Repetition spans are dropped
        self.replace_tagger = replace_tagger

    @classmethod
    def create(cls, settings: Settings = DEFAULT) -> "RepetitionDetector | None":
        cfg = models.tagger_config(settings)
        if cfg is not None:
            d = cfg.get("repetition", {})
            if d and not d.get("enabled", True):
                return None  # the model's own Repetition beat the rule on validation
            if d:
                det = cls(RepetitionConfig.from_dict(d.get("rule", {})), bool(d.get("replace_tagger", True)))
                det.version = d.get("version", det.version)
                return det
        return cls()

    def __call__(self, analysis: Analysis) -> Analysis:
        if analysis.language() not in ("", "en"):
            return analysis  # the stopword list is English
        if self.replace_tagger:  # the rule replaces every other detector's Repetition spans
            analysis.spans = [s for s in analysis.spans if not (s.technique == "Repetition" and s.detector != self.name)]
        charged = [(s.start, s.end) for s in analysis.spans if s.technique in CHARGED]
        flagged = any(p.flagged for p in analysis.paragraphs)
        allowed = [(p.start, p.end) for p in analysis.paragraphs if not p.flagged] if flagged else None
        for s, e, phrase, count in find_repetitions(analysis.article.text, charged, self.cfg, allowed):
            analysis.spans.append(Span(s, e, "Repetition", self.cfg.score, self.name,
                                       f"repetition: '{phrase}' occurs {count} times in the article"))
        return analysis
