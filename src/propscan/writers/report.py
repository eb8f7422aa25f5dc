"""The HTML report: the one highlighting used by the report and the web app, rendered with Jinja.

Stable API (the web app and ``writers.html`` rely on it)::

    render_article(analysis, taxonomy="2023", *, anchor=None, heading_level=2,
                   show_models=True) -> str
        An HTML fragment (one ``<article class="ps-article">``) holding the
        article's header, notices, genre/frames/profile, the text with every
        span highlighted, paragraph labels, a legend with per-technique
        filters and a table of all spans. Needs REPORT_CSS and REPORT_JS once
        on the page; works without JS (native tooltips, static span table).
    render_page(analyses, taxonomy="2023", title="propscan report") -> str
        A complete self-contained HTML document (inline CSS and JS, no
        external requests) for one or many articles, with an index when
        there are several.
    REPORT_CSS, REPORT_JS: str
        The style sheet and script; serve them inline or as static files. No
        inline ``style`` attributes or handlers are emitted, so a strict
        Content-Security-Policy works when they are served as files.

Markup lives in ``templates/report/`` (Jinja, as the web pages in ``web/templates``); this module
builds each template's context. Overlapping spans stay legible because the text is split at every
span boundary (``layout``) and each piece carries one underline layer per span covering it plus a
faint tint per span; clicking, hovering or focusing a piece lists every span on it. Every value a
template prints goes through ``html.escape`` (the environment's ``finalize``: nothing can be printed
unescaped by forgetting a filter); data for the script sits in a ``<script type="application/json">``
block with ``<``, ``>`` and ``&`` escaped, and the script only ever uses ``textContent``.
"""

from __future__ import annotations

import bisect
import html
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any, Iterable

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from jinja2.ext import Extension
from markupsafe import Markup

from ..document import Analysis, Profile
from ..taxonomy import CATEGORIES, TECHNIQUES, to_view
from .layout import MAX_LAYERS, assign_layers, pieces

__all__ = ["MAX_LAYERS", "REPORT_CSS", "REPORT_JS", "PageBuilder", "assign_layers", "json_for_script",
           "render_article", "render_page"]

OTHER = "other"  # class key for a technique name propscan does not know
OTHER_COLOUR = "#888888"
HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
_LANG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
_URL = re.compile(r"^https?://[^\s\"'<>]+$", re.IGNORECASE)
REASONS = {"span": "shown because a highlighted span of this technique lies in the line",
           "paragraph": "\u00b6 shown on the line's own probability: no span of it is highlighted"}
PROFILE_SHOWN = ("words", "paragraphs", "paragraphs_with_techniques", "instance_unit", "technique_instances",
                 "density_per_1000_words", "density_per_paragraph", "techniques", "categories", "frames_chosen",
                 "score_definition", "evidence")
TAXONOMY_NAMES = {"2023": "SemEval-2023 Task 3", "2020": "SemEval-2020 Task 11", "2021": "SemEval-2021 Task 6"}


def json_for_script(obj: Any) -> str:
    """JSON safe inside a ``<script>`` element: no ``</script>``, no ``<!--``, no entities."""
    return (json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


# -- technique names, colours and numbers, shared by the templates ------------------------------------

def _key(technique: str) -> str:
    return technique if technique in TECHNIQUES else OTHER


def _colour(key: str) -> str:
    return CATEGORIES[TECHNIQUES[key].category].colour if key in TECHNIQUES else OTHER_COLOUR


def _label(key: str, taxonomy: str) -> str:
    if key not in TECHNIQUES:
        return "Unknown technique"
    label = TECHNIQUES[key].label
    if taxonomy != "2023":
        label += f" [SemEval-{taxonomy}: {to_view(key, taxonomy)}]"
    return label


def _definition(key: str) -> str:
    return TECHNIQUES[key].definition if key in TECHNIQUES else ""


def _technique_info(key: str, taxonomy: str) -> dict[str, str]:
    t = TECHNIQUES.get(key)
    cat = CATEGORIES[t.category] if t else None
    return {
        "label": _label(key, taxonomy),
        "category": cat.name if cat else "",
        "category_label": cat.label if cat else "Unknown category",
        "definition": t.definition if t else "",
        "colour": _colour(key),
    }


def _fmt_score(v: Any) -> str:
    v = float(v)
    return f"{v * 100:.0f}%" if 0.0 <= v <= 1.0 else f"{v:.3g}"


def _humanise(key: Any) -> str:
    return str(key).replace("_", " ")


def _clip(v: Any, n: int) -> str:
    s = str(v)
    return s if len(s) <= n else s[:n] + "…"


def _kind(v: Any) -> str:
    """What ``value`` (templates/report/macros.html) lays a JSON-like value out as."""
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, float):
        return "float"
    if isinstance(v, (int, str)):
        return "scalar"
    if isinstance(v, dict):
        return "dict"
    if isinstance(v, (list, tuple)):
        return "list"
    return "none" if v is None else "other"


def _ranked(values: dict[str, float], limit: int = 12) -> list[tuple[str, float]]:
    return [(k, float(v)) for k, v in sorted(values.items(), key=lambda kv: (-float(kv[1]), str(kv[0])))[:limit]]


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _escape(value: Any) -> Any:
    """Every printed value through ``html.escape`` (quotes too), markup built by a template passes as it is."""
    return value if hasattr(value, "__html__") else Markup(html.escape(str(value), quote=True))


class Compact(Extension):
    """Drop each line break and the indentation after it from a template's source.

    Why: the report is written one element after another with no whitespace between them; this
    lets its templates be laid out on indented lines and still print exactly that.
    """

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return re.sub(r"\n[ \t]*", "", source)


def environment() -> Environment:
    """The report's Jinja environment: templates/report/*.html with escaping that cannot be forgotten."""
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, finalize=_escape,
                      undefined=StrictUndefined, extensions=[Compact], auto_reload=False)
    env.globals.update(label=_label, definition=_definition, kind=_kind, ranked=_ranked, REASONS=REASONS,
                       clamp=lambda v, lo, hi: min(max(float(v), lo), hi))
    env.filters.update(score=_fmt_score, humanise=_humanise, clip=_clip, fmt=format)
    return env


ENV = environment()


def _generated_css() -> str:
    """Per-technique colour variables, underline layers and filter switches."""
    keys = [*TECHNIQUES, OTHER]
    variables = "".join(f"--c-{k}:{_colour(k)};--t-{k}:{_colour(k)}2e;" for k in keys)
    rules = [f".ps-article{{{variables}}}"]
    for k in keys:
        rules.append(f".ps-article.off-{k}{{--c-{k}:transparent;--t-{k}:transparent}}")
        rules.append(f".tc-{k}{{--tc:{_colour(k)}}}")
        rules.extend(f".u{i}-{k}{{--l{i}:var(--c-{k});--b{i}:var(--t-{k})}}" for i in range(MAX_LAYERS))
    rules.extend(f".cat-{name}{{--tc:{c.colour}}}" for name, c in CATEGORIES.items())
    rules.extend(f".ps-par.d{d}{{--pad:{4 * d}px}}" for d in range(1, MAX_LAYERS + 1))
    return "\n".join(rules) + "\n"


REPORT_CSS: str = (HERE / "report.css").read_text(encoding="utf-8") + _generated_css()
REPORT_JS: str = (HERE / "report.js").read_text(encoding="utf-8")


# -- the contexts of the templates ---------------------------------------------------------------------

def legend_groups(counts: Counter[str], taxonomy: str = "2023") -> list[dict[str, Any]]:
    """Counts per category (in taxonomy order) and per technique (most found first), for ``legend``."""
    by_cat: dict[str, list[str]] = {}
    for key in counts:
        by_cat.setdefault(TECHNIQUES[key].category if key in TECHNIQUES else OTHER, []).append(key)
    groups = []
    for cat in [*CATEGORIES, OTHER]:
        keys = sorted(by_cat.get(cat, []), key=lambda k: (-counts[k], k))
        if keys:
            groups.append({
                "category": cat, "label": CATEGORIES[cat].label if cat in CATEGORIES else "Unknown",
                "title": CATEGORIES[cat].description if cat in CATEGORIES else "",
                "total": sum(counts[k] for k in keys),
                "techniques": [{"key": k, "definition": _definition(k), "label": _label(k, taxonomy),
                                "count": counts[k]} for k in keys]})
    return groups


def _decision(analysis: Analysis, taxonomy: str) -> dict[str, Any]:
    thr = analysis.decision.get("min_confidence")
    undetected = [(what, ", ".join(_label(_key(t), taxonomy) for t in names))
                  for level, what in (("spans", "as spans"), ("paragraphs", "as paragraph labels"))
                  if (names := analysis.undetected.get(level) or [])]
    return {"threshold": thr if isinstance(thr, (int, float)) else None, "undetected": undetected}


def _rate_row(cls: str, name: str, label: str, row: Any) -> dict[str, Any]:
    row = row if isinstance(row, dict) else {"count": row}
    per_k = row.get("per_1000_words")
    return {"cls": cls, "label": label, "count": row.get("count", 0),
            "per_k": float(per_k) if isinstance(per_k, (int, float)) else None,
            "definition": TECHNIQUES[name].definition if name in TECHNIQUES else (
                CATEGORIES[name].description if name in CATEGORIES else "")}


def _profile(analysis: Analysis) -> dict[str, Any] | None:
    """The persuasion profile section: score, a sentence, the frames, a table and the strongest passages.

    Why a layout of its own: the generic key/value rendering printed the nested technique table as
    one long JSON string (a box ~15,000 px tall).
    """
    p = analysis.profile or Profile()
    if analysis.frames_chosen is None and not p.to_dict():
        return None
    summary = None
    if isinstance(p.technique_instances, int) and isinstance(p.words, int):
        summary = {"n": p.technique_instances, "words": p.words,
                   "unit": "paragraph labels" if p.instance_unit == "paragraph_labels" else "technique spans",
                   "density": float(p.density_per_1000_words) if _number(p.density_per_1000_words) else None,
                   "used": p.paragraphs_with_techniques,
                   "paragraphs": p.paragraphs if p.paragraphs is not None else "?"}
    techniques = p.techniques if isinstance(p.techniques, dict) else {}
    categories = p.categories if isinstance(p.categories, dict) else {}

    def per_k(row: Any) -> float:
        v = row.get("per_1000_words") if isinstance(row, dict) else None
        return float(v) if isinstance(v, (int, float)) else 0.0

    rows = []
    by_cat: dict[str, list[str]] = {}
    for t in techniques:
        by_cat.setdefault(TECHNIQUES[t].category if t in TECHNIQUES else OTHER, []).append(t)
    for cat in sorted(by_cat, key=lambda c: (-per_k(categories.get(c, {})), c)):
        if cat in categories:
            label = CATEGORIES[cat].label if cat in CATEGORIES else "Unknown category"
            rows.append(_rate_row(f"ps-pcat cat-{cat}", cat, label, categories[cat]))
        rows.extend(_rate_row(f"ps-ptech tc-{_key(t)}", t, _label(_key(t), "2023") if t in TECHNIQUES else t,
                              techniques[t]) for t in by_cat[cat])
    frames = analysis.frames_chosen
    evidence = [{"key": _key(str(e.get("technique", ""))), "text": str(e.get("text", ""))[:300],
                 "score": float(e["score"]) if isinstance(e.get("score"), (int, float)) else None}
                for e in (p.evidence if isinstance(p.evidence, list) else [])[:5] if isinstance(e, dict)]
    rest = {k: v for k, v in p.extra.items() if k not in PROFILE_SHOWN and (isinstance(v, (str, int, float, bool)) or (
        isinstance(v, list) and all(isinstance(x, (str, int, float)) for x in v)))}
    return {"score": float(p.score) if _number(p.score) else None, "missing": p.score_missing,
            "definition": p.score_definition, "summary": summary,
            "frames": ", ".join(_humanise(f) for f in frames) if isinstance(frames, list) else "",
            "rest": rest, "rows": rows, "evidence": evidence,
            "top": max([per_k(r) for r in [*techniques.values(), *categories.values()]] + [0.0])}


def _anchor_for(analysis: Analysis) -> str:
    safe = re.sub(r"[^A-Za-z0-9_-]", "-", analysis.article.id)[:60]
    return f"ps-{safe or 'article'}"


def _meta(analysis: Analysis) -> list[tuple[str, Any]]:
    """The article's scalar metadata shown in its header (the first eight, long values cut)."""
    return [(k, v if len(str(v)) <= 200 else str(v)[:200] + "…") for k, v in list(analysis.article.meta.items())[:8]
            if isinstance(v, (str, int, float)) and not isinstance(v, bool) and str(v).strip()]


def _rows(analysis: Analysis, spans: list, layers: list[int], keys: list[str], fixed: list[str],
          taxonomy: str) -> list[dict[str, Any]]:
    """The text, paragraph by paragraph, cut into pieces at every span boundary."""
    text = analysis.article.text
    rows: list[dict[str, Any]] = []
    order = sorted(range(len(spans)), key=lambda i: spans[i].start)
    active: list[int] = []  # spans that may reach into the paragraph (a sweep keeps this linear)
    j = 0
    for p in sorted(analysis.paragraphs or [], key=lambda p: p.start):
        while j < len(order) and spans[order[j]].start < p.end:
            active.append(order[j])
            j += 1
        active = [i for i in active if spans[i].end > p.start]
        clipped = [(max(spans[i].start, p.start), min(spans[i].end, p.end), i) for i in active
                   if spans[i].start < p.end]
        depth = max((layers[c[2]] + 1 for c in clipped), default=0)
        out = []
        for piece in pieces(p.start, p.end, clipped):
            classes = " ".join(f"u{layers[i]}-{keys[i]}" for i in piece.spans)
            if piece.spans and any(fixed[i] for i in piece.spans):
                classes += " ps-fixed"
                if all(fixed[i].startswith("rejected") for i in piece.spans):
                    classes += " ps-rejected"  # struck through: a person said it is no technique
            tip = "; ".join(f"{_label(keys[i], taxonomy)} ({_fmt_score(spans[i].score)})"
                            + (f" [corrected: {fixed[i]}]" if fixed[i] else "") for i in piece.spans)
            out.append({"text": text[piece.start:piece.end], "classes": classes, "tip": tip, "opens": piece.opens,
                        "ids": " ".join(map(str, piece.spans))})
        cls = ["ps-par", *([f"d{depth}"] if depth else []), *(["ps-title"] if p.line == 1 else []),
               *(["ps-flagged"] if p.flagged else [])]
        rows.append({"cls": " ".join(cls), "line": p.line, "pieces": out, "p": p, "unscored": p.flagged,
                     "label_keys": sorted({_key(t) for t in p.techniques}, key=lambda k: _label(k, taxonomy))})
    return rows


def render_article(analysis: Analysis, taxonomy: str = "2023", *, anchor: str | None = None,
                   heading_level: int = 2, show_models: bool = True,
                   corrections: dict[tuple[int, int, str], str] | None = None) -> str:
    """One article as an HTML fragment; see the module docstring for the contract.

    ``anchor`` is the element id (default derived from the article id; pass
    unique ones when several articles share a page). ``heading_level`` is the
    level of the article title (sections use the next levels). ``corrections``
    maps a span's (start, end, technique) to what a person said about it
    ("rejected: ...", "relabelled as ..."): such spans are drawn as corrected,
    struck through when every span on the passage was rejected.
    """
    corrections = corrections or {}
    art = analysis.article
    text = art.text
    anchor = re.sub(r"[^A-Za-z0-9_-]", "-", anchor) if anchor else _anchor_for(analysis)  # safe in ids
    h1 = min(max(heading_level, 1), 5)
    spans = [s for s in analysis.sorted_spans() if 0 <= s.start < s.end <= len(text)]
    layers = assign_layers(spans)
    keys = [_key(s.technique) for s in spans]
    fixed = [corrections.get((s.start, s.end, s.technique), "") for s in spans]
    data = {
        "id": art.id,
        "spans": [{"technique": k, "start": s.start, "end": s.end, "score": round(float(s.score), 4),
                   "evidence": s.evidence, "detector": s.detector, "text": text[s.start:s.end], "layer": layer,
                   **({"corrected": fix} if fix else {})}
                  for s, k, layer, fix in zip(spans, keys, layers, fixed)],
        "techniques": {k: _technique_info(k, taxonomy) for k in sorted(set(keys))},
    }
    newlines = [m.start() for m in re.finditer("\n", text)]  # line numbers by bisection, not counting
    paragraphs = analysis.paragraphs or []
    view = {
        "anchor": anchor, "id": art.id, "h1": h1, "h2": h1 + 1, "taxonomy": taxonomy, "text": text,
        "data": Markup(json_for_script(data)), "title": art.title or art.id,
        "source": art.source, "source_is_url": bool(_URL.match(art.source)), "language": art.language,
        "meta": _meta(analysis), "n_used": sum(1 for p in paragraphs if p.techniques),
        "n_paragraphs": len(paragraphs), "notices": analysis.notices,
        "unscored": [p.line for p in paragraphs if p.flagged], "edits": art.edits,
        "profile": _profile(analysis), "genre": analysis.genre, "frames": analysis.frames,
        "rows": _rows(analysis, spans, layers, keys, fixed, taxonomy),
        "spans": [{"key": k, "fixed": fix, "quote": _clip(text[s.start:s.end], 300), "start": s.start, "end": s.end,
                   "line": bisect.bisect_left(newlines, s.start) + 1, "score": s.score, "evidence": s.evidence}
                  for s, k, fix in zip(spans, keys, fixed)],
        "lang": art.language if art.language and _LANG.match(art.language) else "",
        "legend": legend_groups(Counter(keys), taxonomy), "note": _decision(analysis, taxonomy),
        "models": sorted(analysis.models.items()) if show_models else [],
    }
    return str(ENV.get_template("report/article.html").render(v=view))


# -- whole pages ---------------------------------------------------------------------------------------

def _short_source(source: str) -> str:
    """A URL's host, a path's file name: enough to tell articles apart in the index."""
    if _URL.match(source):
        return source.split("/")[2]
    return re.split(r"[/\\]", source.rstrip("/\\"))[-1] or source


def _index_row(anchor: str, a: Analysis) -> dict[str, Any]:
    """One row of the report's table of contents (kept instead of the article, whose text may be long)."""
    score = a.profile.score if a.profile else None
    return {"anchor": anchor, "title": a.article.title or a.article.id, "source": a.article.source,
            "short_source": _short_source(a.article.source), "language": a.article.language,
            "spans": len(a.spans), "score": f"{float(score):.0f}" if _number(score) else "",
            "genre": a.top_genre() or "", "top": Counter(_key(s.technique) for s in a.spans).most_common(3)}


class PageBuilder:
    """Accumulates rendered articles so a writer can stream them in, then build the page."""

    def __init__(self, taxonomy: str = "2023", title: str = "propscan report") -> None:
        self.taxonomy = taxonomy
        self.title = title
        self.fragments: list[Markup] = []
        self.rows: list[dict[str, Any]] = []  # index rows, so the article text need not be kept
        self.counts: Counter[str] = Counter()
        self.models: dict[str, set[str]] = {}

    def add(self, analysis: Analysis) -> None:
        anchor = f"a{len(self.fragments) + 1}"
        self.fragments.append(Markup(render_article(analysis, self.taxonomy, anchor=anchor, show_models=False)))
        self.rows.append(_index_row(anchor, analysis))
        self.counts.update(_key(s.technique) for s in analysis.spans)
        for k, v in analysis.models.items():
            self.models.setdefault(k, set()).add(str(v))

    def build(self) -> str:
        from .. import __version__

        return str(ENV.get_template("report/page.html").render(
            title=self.title, version=__version__, taxonomy=self.taxonomy, fragments=self.fragments,
            rows=self.rows, total=sum(self.counts.values()), view=TAXONOMY_NAMES.get(self.taxonomy, self.taxonomy),
            legend_groups=legend_groups(self.counts, self.taxonomy), css=Markup(REPORT_CSS), js=Markup(REPORT_JS),
            models="; ".join(f"{k} {', '.join(sorted(v))}" for k, v in sorted(self.models.items()))))


def render_page(analyses: Iterable[Analysis], taxonomy: str = "2023", title: str = "propscan report") -> str:
    """A complete, self-contained HTML document for one or many analyses."""
    builder = PageBuilder(taxonomy, title)
    for a in analyses:
        builder.add(a)
    return builder.build()


assert "</script" not in REPORT_JS.lower() and "</style" not in REPORT_CSS.lower()
