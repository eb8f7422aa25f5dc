"""``propscan analyze``: articles in, annotated Analyses out, a summary at the end."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from itertools import chain
from typing import IO, Iterable, Iterator

from ..document import Analysis, Article
from ..errors import InputError, PropscanError
from ..readers import Input, expand, iter_articles
from ..readers.text import DEFAULT_MAX_BYTES
from ..taxonomy import TAXONOMIES, to_view
from ..writers import FORMATS, make_writer
from . import describe, output
from .options import add_engine_arguments

PROGRESS_MIN_FILES = 4


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("analyze", help="find persuasion techniques in articles",
                       description="Analyse text or HTML articles (files, folders, or - for stdin).")
    p.add_argument("paths", nargs="*", metavar="PATH", help="article file, folder of articles, or - for stdin")
    p.add_argument("--fetch", nargs="+", action="extend", default=[], metavar="URL",
                   help="also download and analyse these web pages (needs a network)")
    p.add_argument("-f", "--format", choices=FORMATS, default=None,
                   help="output format (default: html when -o ends in .html, else json)")
    p.add_argument("-o", "--output", metavar="OUT", help="write here instead of standard output")
    p.add_argument("--taxonomy", choices=TAXONOMIES[:2], default="2023", help="technique names to output")
    p.add_argument("--min-confidence", type=float, default=None, metavar="P",
                   help="show a span or paragraph label when its calibrated probability reaches P "
                        "(0.01-1; default: the model's threshold, chosen for F1 on the validation protocol)")
    p.add_argument("--raw", action="store_true", help="turn input cleanup off")
    p.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES, help="refuse larger inputs")
    p.add_argument("--batch-size", type=int, default=16, help=argparse.SUPPRESS)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    add_engine_arguments(p)  # --workers N, --engine local|dask, --scheduler ADDRESS
    p.set_defaults(func=run)


def _progress(items: list[Input], quiet: bool) -> Iterable[Input] | Iterator[Input]:
    if quiet or len(items) < PROGRESS_MIN_FILES:
        return items
    from tqdm import tqdm

    return tqdm(items, desc="analysing", unit="file", file=sys.stderr, leave=False)


def run(args: argparse.Namespace) -> int:
    from ..engine import analyze_stream

    from ..analyzer import with_threshold

    if args.max_bytes < 1:
        raise PropscanError(f"--max-bytes {args.max_bytes}: must be at least 1")
    if args.min_confidence is not None:
        from ..detect.paragraphs import check_min_confidence

        check_min_confidence(args.min_confidence, "--min-confidence")
    fmt = args.format or ("html" if args.output and args.output.lower().endswith((".html", ".htm")) else "json")
    if not args.paths and not args.fetch:
        raise PropscanError("nothing to analyse: give a PATH (file, folder or -) or --fetch URL")
    files = list(expand(args.paths))
    errors: list[InputError] = []
    analyses: list[Analysis] = []

    def articles() -> Iterator[Article]:
        inputs: Iterable[Article | InputError] = iter_articles(_progress(files, args.quiet),
                                                               max_bytes=args.max_bytes, clean=not args.raw,
                                                               max_chars=args.settings.max_chars)
        if args.fetch:
            from ..readers.fetch import iter_fetched

            inputs = chain(inputs, iter_fetched(args.fetch, max_bytes=args.max_bytes, clean=not args.raw,
                                                        max_chars=args.settings.max_chars))
        for got in inputs:
            if isinstance(got, InputError):
                errors.append(got)
                print(f"propscan: {describe(got)}", file=sys.stderr)
            else:
                yield got

    with output(args.output) as out:
        writer = make_writer(fmt, out, args.taxonomy)
        try:
            for analysis in analyze_stream(articles(), workers=args.workers, engine=args.engine,
                                           scheduler=args.scheduler, batch_size=args.batch_size,
                                           settings=args.settings):
                analysis = with_threshold(analysis, args.min_confidence)
                writer.write(analysis)
                if not args.quiet:  # -q keeps nothing: bounded memory for millions of articles
                    analyses.append(analysis)
        finally:
            writer.close()  # whatever finished is kept, even on Ctrl-C
    if not args.quiet:
        print_summary(analyses, errors, args.output, args.taxonomy)
    return 1 if errors else 0


def print_summary(analyses: list[Analysis], errors: list[InputError], output: str | None,
                  taxonomy: str = "2023", stream: IO[str] | None = None) -> None:
    """One screen: what was read, what was found, where it went."""
    w = (stream or sys.stderr).write  # looked up at call time: sys.stderr may have been replaced
    total = Counter[str]()
    for a in analyses:
        total.update(to_view(s.technique, taxonomy) for s in a.spans)
    n_par = sum(len(a.paragraphs) for a in analyses)
    n_used = sum(1 for a in analyses for p in a.paragraphs if p.techniques)
    w(f"\npropscan: {len(analyses)} article(s) analysed, {len(errors)} failed\n")
    w(f"  {sum(total.values())} technique spans; {n_used} of {n_par} paragraphs use at least one technique\n")
    shown = sorted({a.decision["min_confidence"] for a in analyses if "min_confidence" in a.decision})
    if shown:
        w(f"  shown: labels whose calibrated probability is at least {' / '.join(f'{t:g}' for t in shown)} "
          "(--min-confidence)\n")
    for a in analyses[:10]:
        score = a.profile.score if a.profile else None
        score_s = (f"  persuasion {score:>3}/100" if isinstance(score, (int, float)) else
                   "  persuasion   -/100" if a.profile and a.profile.score_definition is not None else "")
        genre = a.top_genre() or ""
        title = (a.article.title or a.article.id)[:52]
        w(f"  - {title:<52} {len(a.spans):>3} spans{score_s} {genre}\n")
    if len(analyses) > 10:
        w(f"  ... and {len(analyses) - 10} more\n")
    if any(a.profile and a.profile.score_definition is not None for a in analyses):
        from ..classify.profile import SCORE_DEFINITION

        w(f"  {SCORE_DEFINITION}\n")
    if total:
        w("  most used techniques:\n")
        for tech, n in total.most_common(6):
            w(f"    {n:>5}  {tech}\n")
    if output:
        w(f"  written to {output}\n")
    for e in errors[:10]:
        w(f"  failed: {e}\n")
