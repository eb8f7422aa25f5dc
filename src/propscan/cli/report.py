"""``propscan report``: the corpus by outlet, by month or by story, as a table, CSV or JSON.

A thin layer over ``propscan.corpus.profiles`` and ``propscan.corpus.stories``;
the web app charts the same data. Rates are the share of articles in which
a technique, category, genre or frame occurs.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import IO, Any

from .options import add_db_argument

TOP = 4


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="outlet profiles, monthly trends and stories from the store",
                       description="Summarise the stored corpus by outlet, by month or by story.")
    p.add_argument("--by", choices=("outlet", "month", "story"), default="outlet", help="grouping (default outlet)")
    p.add_argument("--format", "-f", choices=("table", "csv", "json"), default="table", help="output format")
    add_db_argument(p)
    p.add_argument("--outlet", metavar="NAME", help="only this outlet (with --by month: its monthly trend)")
    p.add_argument("--story", type=int, metavar="ID", help="only this story (with --by story)")
    p.add_argument("--min-articles", type=int, default=2, metavar="N",
                   help="with --by story: stories of at least N articles (default 2)")
    p.add_argument("--limit", type=int, default=50, metavar="N", help="with --by story: at most N stories")
    p.add_argument("--include-repeats", action="store_true",
                   help="count near-duplicates of an outlet's own earlier articles too")
    p.add_argument("-o", "--output", metavar="OUT", help="write here instead of standard output")
    p.set_defaults(func=run)


WIDTH = 60  # widest column of the table


def _fit(items: list[str], width: int = WIDTH) -> str:
    """Whole items, as many as fit, then how many more: a rate is never cut ("Causal_Oversimplification 10…")."""
    out: list[str] = []
    for i, item in enumerate(items):
        more = f" (+{len(items) - i - 1} more)" if i < len(items) - 1 else ""
        cell = ", ".join(out + [item])
        if len(cell) + len(more) > width and out:
            return ", ".join(out) + f" (+{len(items) - i} more)"
        out.append(item)
    return ", ".join(out)


def _pct(rates: dict[str, float], n: int = TOP) -> str:
    return _fit([f"{k} {v:.0%}" for k, v in list(rates.items())[:n]])


def _table(out: IO[str], header: list[str], rows: list[list[Any]]) -> None:
    cells = [[("" if c is None else str(c)) for c in r] for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(header)]
    widths = [min(w, WIDTH) for w in widths]

    def line(vals: list[str]) -> str:
        return "  ".join((v if len(v) <= w else v[:w - 1] + "…").ljust(w) for v, w in zip(vals, widths)).rstrip()

    out.write(line(header) + "\n")
    out.write(line(["-" * w for w in widths]) + "\n")
    for r in cells:
        out.write(line(r) + "\n")


def _groups(store: Any, args: argparse.Namespace) -> list[dict[str, Any]]:
    from ..corpus.profiles import group_profiles

    by = "outlet" if args.by == "outlet" else "month"
    return group_profiles(store, by, outlet=args.outlet, include_repeats=args.include_repeats)


def _flat(groups: list[dict[str, Any]], key: str) -> tuple[list[str], list[list[Any]]]:
    """One CSV row per group, one column per technique/category/genre/frame rate."""
    fields = ("techniques", "spans_per_article", "categories", "genres", "frames")
    names = {f: sorted({k for g in groups for k in g[f]}) for f in fields}
    header = [key, "n_articles", "mean_score", "mean_spans"]
    for f in fields:
        prefix = {"techniques": "rate:", "spans_per_article": "spans:", "categories": "category:",
                  "genres": "genre:", "frames": "frame:"}[f]
        header += [prefix + n for n in names[f]]
    rows = []
    for g in groups:
        row = [g.get(key), g["n_articles"], g["mean_score"], g["mean_spans"]]
        for f in fields:
            row += [g[f].get(n, 0.0) for n in names[f]]
        rows.append(row)
    return header, rows


def _stories(store: Any, args: argparse.Namespace) -> list[dict[str, Any]]:
    from ..corpus.stories import story_list, story_view
    from ..errors import InputError

    if args.story is not None:
        v = story_view(store, args.story)
        if v is None:
            raise InputError(f"--story {args.story}", "no such story in the store")
        return [v]
    return [v for s in story_list(store, args.min_articles, args.limit)
            if (v := story_view(store, s["id"])) is not None]


def run(args: argparse.Namespace) -> int:
    from ..store import Store, require_existing

    require_existing(args.db)
    store = Store(args.db, settings=args.settings)
    out: IO[str] = open(args.output, "w", encoding="utf-8", newline="") if args.output else sys.stdout
    try:
        if args.by == "story":
            write_stories(out, _stories(store, args), args.format)
        else:
            groups = _groups(store, args)
            key = args.by
            if args.format == "json":
                json.dump(groups, out, ensure_ascii=False, indent=2, default=str)
                out.write("\n")
            elif args.format == "csv":
                header, rows = _flat(groups, key)
                w = csv.writer(out)
                w.writerow(header)
                w.writerows(rows)
            else:
                if not groups:
                    out.write("no articles in the store; add some with `propscan ingest PATH`\n")
                    return 0
                _table(out, [key, "articles", "score", "spans/art", "top techniques (share of articles)",
                             "categories", "genres", "frames"],
                       [[g.get(key) or ("undated" if key == "month" else "(unknown)"), g["n_articles"],
                         g["mean_score"], g["mean_spans"], _pct(g["techniques"]), _pct(g["categories"], 3),
                         _pct(g["genres"], 3), _pct(g["frames"], 3)] for g in groups])
    finally:
        if args.output:
            out.close()
        store.close()
    return 0


def write_stories(out: IO[str], views: list[dict[str, Any]], fmt: str) -> None:
    if fmt == "json":
        json.dump(views, out, ensure_ascii=False, indent=2, default=str)
        out.write("\n")
        return
    if fmt == "csv":
        w = csv.writer(out)
        w.writerow(["story", "story_title", "outlet", "article", "date", "title", "genre", "n_spans", "score",
                    "duplicate_of", "techniques", "categories", "frames"])
        for v in views:
            for o in v["outlets"]:
                for a in o["articles"]:
                    w.writerow([v["id"], v["title"], o["outlet"], a["id"], a["date"], a["title"], a["genre"],
                                a["n_spans"], a["score"], a["duplicate_of"],
                                ";".join(f"{k}={n}" for k, n in a["techniques"].items()),
                                ";".join(f"{k}={n}" for k, n in a["categories"].items()), ";".join(a["frames"])])
        return
    if not views:
        out.write("no stories of that size yet (ingest more articles, or lower --min-articles)\n")
        return
    for v in views:
        dates = " .. ".join(d for d in {v["first_date"]: 0, v["last_date"]: 0} if d) or "undated"
        out.write(f"\nstory {v['id']}: {v['title']}\n  {v['n_articles']} articles from {v['n_outlets']} "
                  f"outlet(s), {dates}\n\n")
        rows = []
        for o in v["outlets"]:
            for a in o["articles"]:
                rows.append([o["outlet"], a["date"] or "", a["title"], a["genre"], a["n_spans"], a["score"],
                             _fit([f"{k} {n}" for k, n in list(a["techniques"].items())[:TOP]]),
                             _fit(a["frames"][:3]), f"dup of {a['duplicate_of']}" if a["duplicate_of"] else ""])
        _table(out, ["outlet", "date", "title", "genre", "spans", "score", "techniques (spans)", "frames", ""], rows)
