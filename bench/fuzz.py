"""Fuzz the input side (readers, cleanup, language identification) and, with ``--pipeline``, the whole pipeline.

Generates N inputs (default 10,000) from a fixed seed: random bytes, crawl-like
text built from noise and body lines, tag soup, and mutations of the fixture
articles. Each goes through decoding / the HTML reader, cleanup and the
language tagger, and the cleanup invariants are checked (edits exact and
non-overlapping, raw text rebuilt from the edits, kept characters map back,
cleaning twice changes nothing). A user error (InputError) is a fine outcome;
any other exception or a broken invariant is a failure.

With ``--pipeline`` each generated text (lone surrogates, NUL, control
characters, long lines, mixed scripts, crawl-like text) goes through
``propscan.analyze()`` and ``POST /api/analyze`` (the default models, a fresh
SQLite store): the outcome must be a documented input error (``InputError``;
HTTP 400, 413, 415 or 422) or an Analysis whose spans index its text and whose
JSON encodes as UTF-8 (issue 15).

    python bench/fuzz.py                 # 10,000 inputs
    python bench/fuzz.py -n 50000 --seed 7
    python bench/fuzz.py --pipeline -n 5000

Prints the counts per generator and outcome; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from propscan.cleanup import clean_article, find_edits  # noqa: E402
from propscan.detect.language import LanguageTagger  # noqa: E402
from propscan.document import Analysis, Article, apply_edits, apply_edits_inverse  # noqa: E402
from propscan.errors import InputError  # noqa: E402
from propscan.readers.html import article_from_html  # noqa: E402
from propscan.readers.text import article_from_text, decode  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"

NOISE = [
    "Leave a Reply", "Leave A Reply", "Related posts", "About The Author", "Share this:", "Advertisement",
    "Reply", "[mailpoet_form id=\"1\"]", "[caption id=\"x\"]A caption[/caption]", "Email *", "comments",
    "We use cookies on this website. By continuing to browse you accept our cookie policy.",
    "  1. Anna says", "    great article, thanks", "  2. bob_77 says:", "Photo of the river (Photo: AP)",
    "0 تعليق", "دع تعليقاً", "Privacy & Cookies Policy", "Follow us on Twitter",
    "Jane Roe is a staff writer at the Daily Example.", "This article was originally published by the Daily.",
    "פרסום ראשון: 05.30.16, 19:32", "\u00a0new comment", "See all talkbacks \"x\"", "Related", "READ MORE:",
    "Title | section | Site Name", "Advertisements", "Like this:", "Loading...",
]
BODY = [
    "The council approved the plan on Monday after a long and heated debate.",
    "Critics said the decision was rushed and badly explained to the public.",
    "“This is a disgrace,” one resident said, “and everyone knows it.”",
    "The ministry did not answer questions about the cost of the programme.",
    "Le conseil municipal a voté mardi la fermeture de l'ancien ponton.",
    "Der Stadtrat hat am Dienstag beschlossen, den alten Anleger zu schließen.",
    "Министерство не ответило на вопросы о стоимости программы.",
    "هذا الموقع يستخدم ملفات الكوكيز لتقديم أفضل تجربة",
    "Title of the piece", "", "", "   ", "\t", "a", "-", "...", "1.", "[1]", "[sic]",
]
TAGS = ["p", "div", "span", "b", "i", "article", "main", "table", "td", "tr", "h1", "h2", "script", "style",
        "ul", "li", "br", "nav", "footer", "header", "section", "figure", "figcaption", "a", "title", "head",
        "body", "html", "meta", "form", "iframe", "svg", "math", "template", "noscript"]


def random_unicode(rng: random.Random, n: int) -> str:
    pools = [(0x20, 0x7E), (0xA0, 0x24F), (0x400, 0x4FF), (0x590, 0x6FF), (0x2000, 0x206F), (0x4E00, 0x4F00),
             (0x1F300, 0x1F64F), (0x0, 0x1F), (0xFFF0, 0xFFFF)]
    out = []
    for _ in range(n):
        lo, hi = rng.choice(pools)
        out.append(chr(rng.randint(lo, hi)))
    return "".join(out)


def gen_bytes(rng: random.Random) -> tuple[str, bytes]:
    kind = rng.random()
    if kind < 0.4:
        data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 400)))
    elif kind < 0.7:
        data = random_unicode(rng, rng.randint(0, 300)).encode(rng.choice(["utf-8", "utf-16", "utf-8-sig"]),
                                                               "surrogatepass")
    else:
        text = "\n".join(rng.choice(BODY) for _ in range(rng.randint(1, 20)))
        data = text.encode(rng.choice(["utf-8", "cp1252", "latin-1", "utf-16", "cp1251", "koi8-r"]), "replace")
    return "bytes", data


def gen_crawl(rng: random.Random) -> tuple[str, str]:
    lines = []
    for _ in range(rng.randint(0, 40)):
        r = rng.random()
        if r < 0.35:
            lines.append(rng.choice(NOISE))
        elif r < 0.8:
            lines.append(rng.choice(BODY))
        else:
            lines.append(random_unicode(rng, rng.randint(0, 50)))
    text = "\n".join(lines)
    if rng.random() < 0.25:  # hard-wrap at a fixed width with doubled spaces, as PDF text
        width = rng.randint(30, 100)
        words = text.split(" ")
        out, cur = [], ""
        for w in words:
            if len(cur) + len(w) + 1 > width:
                out.append(cur)
                cur = w
            else:
                cur = f"{cur}{rng.choice([' ', '  '])}{w}" if cur else w
        out.append(cur)
        text = "\n".join(out)
    if rng.random() < 0.1:
        text = text.replace("\n", "\r\n")
    return "crawl", text


def gen_html(rng: random.Random) -> tuple[str, bytes]:
    parts = []
    for _ in range(rng.randint(0, 60)):
        r = rng.random()
        tag = rng.choice(TAGS)
        if r < 0.3:
            parts.append(f"<{tag}>")
        elif r < 0.5:
            parts.append(f"</{tag}>")
        elif r < 0.55:
            parts.append(rng.choice(["&amp;", "&nbsp;", "&#x41;", "&bogus;", "<!--", "-->", "<![CDATA[",
                                     "<?xml version='1.0'?>", "<meta charset='koi8-r'>", "<meta charset='nope'>",
                                     "\x00", "<p class=\"a", "<a href='javascript:x'>"]))
        elif r < 0.85:
            parts.append(rng.choice(BODY + NOISE))
        else:
            parts.append(random_unicode(rng, rng.randint(0, 40)))
    html = "".join(parts)
    if rng.random() < 0.5:
        html = f"<html><head><title>{rng.choice(BODY)}</title></head><body>{html}</body></html>"
    return "html", html.encode(rng.choice(["utf-8", "utf-8", "cp1252", "utf-16"]), "replace")


def gen_mutation(rng: random.Random, corpus: list[bytes]) -> tuple[str, bytes]:
    data = bytearray(rng.choice(corpus))
    for _ in range(rng.randint(1, 20)):
        if not data:
            break
        op = rng.random()
        i = rng.randrange(len(data))
        if op < 0.3:
            del data[i:i + rng.randint(1, 50)]
        elif op < 0.6:
            data[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 10)))
        elif op < 0.8:
            j = rng.randrange(len(data))
            data[i:i] = data[j:j + rng.randint(1, 200)]
        else:
            data[i] = rng.randrange(256)
    return "mutation", bytes(data)


def check_cleanup(article: Article) -> None:
    raw = article.text
    edits = find_edits(raw)
    pos = 0
    for e in edits:
        assert pos <= e.start <= e.end <= len(raw), f"edit out of order: {e}"
        assert raw[e.start:e.end] == e.original, f"edit original mismatch: {e}"
        pos = e.end
    text = apply_edits(raw, edits)
    assert apply_edits_inverse(text, edits) == raw, "raw text not rebuilt from the edits"
    cleaned = clean_article(article)
    assert cleaned.text == text
    replaced: set[int] = set()
    shift = 0
    for e in edits:
        start = e.start + shift
        replaced.update(range(start, start + len(e.replacement)))
        shift += len(e.replacement) - (e.end - e.start)
    for i, ch in enumerate(text):
        if i not in replaced:
            assert cleaned.raw[cleaned.to_raw(i)] == ch, f"offset {i} does not map back"
    assert find_edits(text) == [], "cleanup is not idempotent"


def run(n: int = 10_000, seed: int = 0, verbose: bool = False) -> Counter[tuple[str, str]]:
    rng = random.Random(seed)
    corpus = [p.read_bytes() for p in sorted(FIXTURES.glob("crawl_*")) if p.is_file()]
    corpus += [p.read_bytes() for p in sorted((FIXTURES / "crawl_site").rglob("*")) if p.is_file()]
    tagger = LanguageTagger.create()
    gens: list[Callable[[], tuple[str, str | bytes]]] = [
        lambda: gen_bytes(rng), lambda: gen_crawl(rng), lambda: gen_html(rng), lambda: gen_mutation(rng, corpus)]
    weights = [0.2, 0.45, 0.2, 0.15]
    counts: Counter[tuple[str, str]] = Counter()
    for i in range(n):
        kind, data = rng.choices(gens, weights)[0]()
        try:
            if isinstance(data, str):
                if not data.strip():
                    raise InputError("<fuzz>", "empty input")
                article = article_from_text(data, f"f{i}")
            elif kind == "html" or (kind == "mutation" and data.lstrip()[:1] == b"<"):
                article = article_from_html(data, f"f{i}", "<fuzz>")
            else:
                article = article_from_text(decode(data, "<fuzz>"), f"f{i}")
            check_cleanup(article)
            tagger(Analysis(article=clean_article(article)))
            counts[(kind, "ok")] += 1
        except InputError:
            counts[(kind, "input error")] += 1
        except Exception:  # noqa: BLE001 - counting failures is the point
            failed(counts, kind, i, data, verbose)
    return counts


def failed(counts: Counter[tuple[str, str]], kind: str, i: int, data: str | bytes, verbose: bool) -> None:
    """Count a failure; show the first three of each kind (all with ``verbose``) with their traceback."""
    counts[(kind, "FAILED")] += 1
    if verbose or counts[(kind, "FAILED")] <= 3:
        print(f"--- input {i} ({kind}) failed: {data[:300]!r}", file=sys.stderr)
        traceback.print_exc()


# documented answers of POST /api/analyze to bad input
INPUT_STATUS = {400, 413, 415, 422}


def gen_hostile(rng: random.Random) -> tuple[str, str]:
    """Text built to break things: lone surrogates, NUL and control characters, long lines, mixed scripts."""
    pieces = []
    for _ in range(rng.randint(0, 12)):
        r = rng.random()
        if r < 0.15:
            pieces.append(chr(rng.randint(0xD800, 0xDFFF)))
        elif r < 0.25:
            pieces.append(rng.choice(["\x00", "\x01", "\x1b[31m", "\x7f", "\u2028", "\u202e", "\ufeff", "\r", "\x0c"]))
        elif r < 0.35:
            pieces.append(rng.choice(BODY) * rng.randint(20, 80))  # one long line
        elif r < 0.75:
            pieces.append(rng.choice(BODY))
        else:
            pieces.append(random_unicode(rng, rng.randint(0, 60)))
        pieces.append(rng.choice(["\n", "\n\n", " ", ""]))
    return "hostile", "".join(pieces)


def check_analysis(d: dict) -> None:
    """The pipeline invariant on an Analysis as JSON: spans index the text, the JSON encodes as UTF-8."""
    import json

    json.dumps(d, ensure_ascii=False).encode("utf-8")
    text = d["article"]["text"]
    for s in d["spans"]:
        assert 0 <= s["start"] < s["end"] <= len(text), f"span {s['start']}-{s['end']} outside {len(text)}"
        assert s["text"] == text[s["start"]:s["end"]], "span text does not match its offsets"


def run_pipeline(n: int = 5000, seed: int = 0, verbose: bool = False) -> Counter[tuple[str, str]]:
    """``n`` generated texts through ``propscan.analyze()`` and ``POST /api/analyze``; counts per path and outcome."""
    import tempfile

    from fastapi.testclient import TestClient

    import propscan
    from propscan.analyzer import default_analyzer
    from propscan.store import Store
    from propscan.web import Settings, create_app

    rng = random.Random(seed)
    counts: Counter[tuple[str, str]] = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"{tmp}/fuzz.db")
        app = create_app(store=store, settings=Settings(api_token=None), analyzer_factory=default_analyzer)
        with TestClient(app) as client:
            for i in range(n):
                _, text = rng.choice([gen_hostile, gen_hostile, gen_crawl])(rng)
                path = "api" if i % 2 else "analyze"
                try:
                    if path == "analyze":
                        check_analysis(propscan.analyze(text).to_dict())
                        counts[(path, "ok")] += 1
                    else:
                        body = json.dumps({"text": text})  # lone surrogates travel as \udXXX escapes
                        r = client.post("/api/analyze", content=body, headers={"Content-Type": "application/json"})
                        if r.status_code in INPUT_STATUS:
                            counts[(path, "input error")] += 1
                        else:
                            assert r.status_code == 200, f"HTTP {r.status_code}: {r.text[:200]}"
                            check_analysis(r.json())
                            counts[(path, "ok")] += 1
                except InputError:
                    counts[(path, "input error")] += 1
                except Exception:  # noqa: BLE001 - counting failures is the point
                    failed(counts, path, i, text, verbose)
        store.close()
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=10_000, help="number of generated inputs")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("-v", "--verbose", action="store_true", help="print every failure")
    ap.add_argument("--pipeline", action="store_true",
                    help="through propscan.analyze() and POST /api/analyze instead of the readers only")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    counts = (run_pipeline if args.pipeline else run)(args.n, args.seed, args.verbose)
    took = time.perf_counter() - t0
    kinds = sorted({k for k, _ in counts})
    print(f"{'path' if args.pipeline else 'generator':<10} {'ok':>7} {'input error':>12} {'FAILED':>7}")
    for k in kinds:
        print(f"{k:<10} {counts[(k, 'ok')]:>7} {counts[(k, 'input error')]:>12} {counts[(k, 'FAILED')]:>7}")
    failed = sum(v for (k, o), v in counts.items() if o == "FAILED")
    print(f"total      {sum(counts.values()):>7} inputs in {took:.1f} s, {failed} failed (seed {args.seed})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
