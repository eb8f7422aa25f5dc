"""How well stories group: pairwise precision, recall and F1 on hand-labelled events of SemEval-2020 articles.

    python bench/stories.py --data ../shared/data

The labelled set: the 371 SemEval-2020 Task 11 English training articles (news of 2017-2019), each given an
event by the title rules in ``EVENTS`` below (written by reading all 371 titles; an article matching no rule
is left out of the scores, 1 article = 1 vote). The grouping is the shipped code (``Store`` +
``corpus.update``) on a throwaway SQLite store, with the articles' ledes embedded once.

The articles carry no dates, so two date settings are measured:
- ``same day``: every article dated 2018-06-01, which scores the similarity threshold alone;
- ``spread``: each article a date drawn uniformly from 2017-2019 (seed 0): each event is then told over
  months to years, the case the time decay is for, against the fixed 3-day window it replaced.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import random
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

EVENTS = [  # (event, title pattern), first match wins
    ("las-vegas-shooting", r"vegas|paddock|jesus campos|bellagio|active shooter"),
    ("kavanaugh", r"kavanaugh|christine ford|feinstein pushes"),
    ("madagascar-plague", r"plague|black death"),
    ("congo-ebola", r"ebola"),
    ("migrant-caravan", r"caravan|razor|migrants heading|migrant .invasion"),
    ("sonic-attacks", r"sonic|sound weapon|.sound. incident|brain injury"),
    ("russia-probe", r"mueller|russia probe|russian probe|witch hunt|sessions"),
    ("church-abuse", r"mccarrick|vigan|abuse|cover-up|chile|pennsylvania"),
    ("gay-blessings", r"bless|homosexual couples|gay unions"),
    ("farrakhan", r"farrakhan"),
    ("hammond-pardon", r"hammond|oregon ranchers"),
    ("sailor-sues-comey", r"sailor"),
    ("iran-regime-change", r"regime change"),
    ("obama-iran-money", r"obama.{0,40}iran|aid iran|iran.s windfall|bypass sanctions"),
    ("uranium-one", r"uranium one|clinton foundation to russian"),
    ("ice-operations", r"^ice |ice operation|ice raid"),
    ("awan-it-aides", r"awan|it aide|it spy|spy ring|muslim spy"),
    ("orban", r"orban|hungar"),
    ("snl-comedian", r"snl|nimesh patel|standup|stand-up"),
    ("mcgill", r"mcgill"),
    ("australia-country", r"australia"),
    ("homeschooling", r"homeschool"),
    ("khashoggi", r"saudi|khashoggi|missing journalist|consulate"),
    ("puerto-rico", r"puerto rico"),
    ("sun-cooling", r"\bsun\b|sunspot"),
    ("nasa-far-image", r"nasa"),
    ("travis-afb", r"travis"),
    ("florida-election", r"gillum|florida democrats|broward|snipes|election documents|florida county election"),
    ("maga-hat", r"maga hat"),
    ("kate-steinle", r"steinle|kate.s law"),
    ("franken-harassment", r"franken|sexual harassment"),
    ("dina-powell", r"dina (habib )?powell"),
    ("trump-kim", r"\bkim\b|korea"),
    ("assange", r"assange|manafort"),
    ("west-virginia-islam", r"west virginia|islamiz"),
    ("sweden-gangs", r"sweden|swedish"),
    ("france-jewish-woman", r"jewish woman|elderly jewish"),
    ("uk-bans", r"ban trump|bloggers banned|geller"),
    ("isis-convictions", r"join(ing)? isis"),
    ("google-clinton", r"google"),
    ("gun-control", r"gun|ammo"),
]

THRESHOLDS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75)
BASES = (0.55, 0.6)
DECAYS = (0.0, 0.01, 0.02, 0.03)


def label(title: str) -> str | None:
    t = title.lower()
    return next((e for e, pat in EVENTS if re.search(pat, t)), None)


def pairwise(pred: dict[str, int], gold: dict[str, str]) -> tuple[float, float, float]:
    """Pairwise precision, recall and F1 of 'same story' over the labelled articles."""
    ids = sorted(gold)
    tp = fp = fn = 0
    for a, b in itertools.combinations(ids, 2):
        same_p, same_g = pred[a] == pred[b], gold[a] == gold[b]
        tp += same_p and same_g
        fp += same_p and not same_g
        fn += same_g and not same_p
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def group_shipped(arts, vecs, dates, threshold: float, decay: float) -> dict[str, int]:
    """Story of each article from the shipped code: Store, de-duplication, stories.assign_pending."""
    from propscan.corpus import dedup, stories
    from propscan.document import Analysis
    from propscan.store import Store

    table = {stories.lede(a.text): v for a, v in zip(arts, vecs)}
    with tempfile.TemporaryDirectory() as tmp, Store(str(Path(tmp) / "b.db")) as s:
        ids = {}
        for a, d in zip(arts, dates):
            a.meta["date"] = d.isoformat()
            ids[a.id] = s.add(Analysis(article=a))
        dedup.dedup_pending(s)
        stories.assign_pending(s, embed_fn=lambda texts: np.stack([table[t] for t in texts]),
                               threshold=threshold, decay=decay)
        return {aid: s.info(pk)["story_id"] for aid, pk in ids.items()}


def group_window(vecs, dates, threshold: float = 0.6, window: int = 3) -> list[int]:
    """The replaced rule, as connected components: linked when cos >= threshold within ``window`` days."""
    n = len(vecs)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    sims = vecs @ vecs.T
    days = np.array([d.toordinal() for d in dates])
    close = np.abs(days[:, None] - days[None, :]) <= window
    for i, j in np.argwhere(np.triu((sims >= threshold) & close, 1)):
        parent[find(int(i))] = find(int(j))
    return [find(i) for i in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="folder holding semeval2020-task11/")
    args = ap.parse_args()
    from propscan.corpus import stories
    from propscan.runtime.encoders import Embedder
    from propscan.readers.semeval import find_2020
    from propscan.readers.text import read_text_file

    files = sorted((find_2020(args.data) / "train-articles").glob("article*.txt"))
    arts = [a for f in files for a in read_text_file(f)]
    gold = {a.id: e for a in arts if (e := label(a.title))}
    sizes = sorted((sum(1 for v in gold.values() if v == e) for e in set(gold.values())), reverse=True)
    print(f"{len(arts)} articles, {len(gold)} labelled with {len(set(gold.values()))} events "
          f"(sizes {sizes}); {sum(1 for a, b in itertools.combinations(sorted(gold), 2) if gold[a] == gold[b])} "
          "same-event pairs")
    vecs = Embedder.create().embed([stories.lede(a.text) for a in arts])
    same_day = [dt.date(2018, 6, 1)] * len(arts)
    rng = random.Random(0)
    spread = [dt.date(2017, 1, 1) + dt.timedelta(days=rng.randrange(3 * 365)) for _ in arts]
    print("\n| dates | grouping | stories | precision | recall | F1 |\n|---|---|---|---|---|---|")

    def row(dates_name: str, name: str, pred: dict[str, int]) -> None:
        p, r, f = pairwise(pred, gold)
        n = len({pred[a] for a in gold})
        print(f"| {dates_name} | {name} | {n} | {p:.3f} | {r:.3f} | {f:.3f} |")

    for th in THRESHOLDS:
        row("same day", f"cos >= {th:g}", group_shipped(arts, vecs, same_day, th, 0.0))
    for name, dates in (("spread 2017-2019", spread),):
        comp = group_window(vecs, dates)
        row(name, "fixed 3-day window, cos >= 0.6 (replaced)", {a.id: c for a, c in zip(arts, comp)})
        for base in BASES:
            for decay in DECAYS:
                tag = " (shipped)" if (base, decay) == (stories.THRESHOLD, stories.DECAY) else ""
                what = f"cos >= {base:g} + {decay:g} x log2(1 + days/30){tag}" if decay else \
                    f"cos >= {base:g}, no time at all"
                row(name, what, group_shipped(arts, vecs, dates, base, decay))


if __name__ == "__main__":
    main()
