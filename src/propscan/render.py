"""Render Analyses as HTML: the one highlighting used by the report and the web app.

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

Overlapping spans stay legible because the text is split at every span
boundary and each piece carries one underline layer per span covering it
(spans get a fixed layer, like tracks in a genome browser) plus a faint tint
per span; clicking, hovering or focusing a piece lists every span on it.
Every untrusted string (text, title, source, evidence, meta, labels) goes
through ``html.escape``; data for the script sits in a
``<script type="application/json">`` block with ``<``, ``>`` and ``&``
escaped, and the script only ever uses ``textContent``.
"""

from __future__ import annotations

import bisect
import html
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any, Iterable, NamedTuple

from .document import Analysis, ParagraphLabels, Span
from .taxonomy import CATEGORIES, TECHNIQUES, to_view

__all__ = ["MAX_LAYERS", "REPORT_CSS", "REPORT_JS", "render_article", "render_page", "json_for_script"]

MAX_LAYERS = 6  # underline layers drawn per piece of text; deeper overlaps share the last one
OTHER = "other"  # class key for a technique name propscan does not know
OTHER_COLOUR = "#888888"
_ASSETS = Path(__file__).resolve().parent / "writers"
_LANG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
_URL = re.compile(r"^https?://[^\s\"'<>]+$", re.IGNORECASE)


def esc(value: Any) -> str:
    """Escape anything for HTML text or a quoted attribute."""
    return html.escape(str(value), quote=True)


def json_for_script(obj: Any) -> str:
    """JSON safe inside a ``<script>`` element: no ``</script>``, no ``<!--``, no entities."""
    return (json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


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


REPORT_CSS: str = (_ASSETS / "report.css").read_text(encoding="utf-8") + _generated_css()
REPORT_JS: str = (_ASSETS / "report.js").read_text(encoding="utf-8")


# -- layout of spans -----------------------------------------------------------

def assign_layers(spans: list[Span]) -> list[int]:
    """A layer per span such that overlapping spans never share one (below MAX_LAYERS).

    Greedy interval partitioning: longer spans starting at the same place get
    the lower layers, so they sit closest to the text.
    """
    order = sorted(range(len(spans)), key=lambda i: (spans[i].start, -spans[i].end, i))
    ends: list[int] = []  # last end per layer
    layers = [0] * len(spans)
    for i in order:
        s = spans[i]
        for layer, end in enumerate(ends):
            if end <= s.start:
                ends[layer] = s.end
                layers[i] = layer
                break
        else:
            ends.append(s.end)
            layers[i] = len(ends) - 1
    return [min(layer, MAX_LAYERS - 1) for layer in layers]


class _Piece(NamedTuple):
    start: int
    end: int
    spans: list[int]  # indices of the spans covering the piece
    opens: bool  # a span starts here (gets a keyboard stop)


def _pieces(start: int, end: int, clipped: list[tuple[int, int, int]]) -> list[_Piece]:
    """Split [start, end) at every boundary of the (clipped) spans."""
    bounds = sorted({start, end, *(c[0] for c in clipped), *(c[1] for c in clipped)})
    by_start = sorted(clipped)
    active: list[tuple[int, int, int]] = []
    j = 0
    out: list[_Piece] = []
    for a, b in zip(bounds, bounds[1:]):
        while j < len(by_start) and by_start[j][0] <= a:
            active.append(by_start[j])
            j += 1
        active = [c for c in active if c[1] > a]
        covering = sorted(c[2] for c in active)
        out.append(_Piece(a, b, covering, any(c[0] == a for c in active)))
    return out


# -- fragments -----------------------------------------------------------------

def _chip(key: str, taxonomy: str, extra: str = "") -> str:
    title = TECHNIQUES[key].definition if key in TECHNIQUES else ""
    return (f'<span class="ps-chip tc-{key}" title="{esc(title)}">{esc(_label(key, taxonomy))}'
            f"{extra}</span>")


REASONS = {"span": "shown because a highlighted span of this technique lies in the line",
           "paragraph": "\u00b6 shown on the line's own probability: no span of it is highlighted"}


def _why(p: ParagraphLabels, key: str) -> str:
    """A paragraph chip's score, marked \u00b6 when the paragraph's own probability (not a span) carried it."""
    if key not in p.scores:
        return ""
    reason = p.reasons.get(key, "")
    mark = "\u00b6 " if reason == "paragraph" else ""
    title = f' title="{esc(REASONS[reason])}"' if reason in REASONS else ""
    return f' <span class="ps-muted"{title}>{mark}{esc(_fmt_score(float(p.scores[key])))}</span>'


def _fmt_score(v: float) -> str:
    return f"{v * 100:.0f}%" if 0.0 <= v <= 1.0 else f"{v:.3g}"


def _value(v: Any, depth: int = 0) -> str:
    """Any JSON-like value as escaped HTML (profile, meta)."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return esc(f"{v:.3g}")
    if isinstance(v, (int, str)):
        s = str(v)
        return esc(s if len(s) <= 500 else s[:500] + "…")
    if isinstance(v, dict) and depth < 2:
        rows = "".join(f"<dt>{esc(_humanise(k))}</dt><dd>{_value(x, depth + 1)}</dd>" for k, x in list(v.items())[:40])
        return f'<dl class="ps-kv">{rows}</dl>' if rows else "—"
    if isinstance(v, (list, tuple)) and depth < 2:
        items = [_value(x, depth + 1) for x in v[:40]]
        return ", ".join(items) + (" …" if len(v) > 40 else "") if items else "—"
    if v is None:
        return "—"
    if isinstance(v, (dict, list, tuple)):  # too deep to lay out: say how much, never dump JSON into the page
        return esc(f"({len(v)} entries)")
    return esc(str(v)[:300])


def _humanise(key: Any) -> str:
    return str(key).replace("_", " ")


def _bars(values: dict[str, float], limit: int = 12) -> str:
    items = sorted(values.items(), key=lambda kv: (-float(kv[1]), str(kv[0])))[:limit]
    rows = []
    for name, v in items:
        v = float(v)
        rows.append(f'<li><span>{esc(_humanise(name))}</span>'
                    f'<meter min="0" max="1" value="{min(max(v, 0.0), 1.0):.4f}"></meter>'
                    f'<span class="ps-v">{esc(_fmt_score(v))}</span></li>')
    return f'<ul class="ps-bars">{"".join(rows)}</ul>'


PROFILE_SHOWN = ("words", "paragraphs", "paragraphs_with_techniques", "instance_unit", "technique_instances",
                 "density_per_1000_words", "density_per_paragraph", "techniques", "categories", "frames_chosen",
                 "score_definition", "evidence")


def _rate_row(cls: str, name: str, label: str, row: Any, top: float) -> str:
    """One row of the profile table: swatch and name, count, rate per 1,000 words with a bar."""
    row = row if isinstance(row, dict) else {"count": row}
    count, per_k = row.get("count", 0), row.get("per_1000_words")
    bar = ""
    if isinstance(per_k, (int, float)) and top > 0:
        bar = f'<meter min="0" max="{top:.4g}" value="{float(per_k):.4g}" aria-hidden="true"></meter>'
    per_k_s = f"{float(per_k):.1f}" if isinstance(per_k, (int, float)) else ""
    definition = TECHNIQUES[name].definition if name in TECHNIQUES else (
        CATEGORIES[name].description if name in CATEGORIES else "")
    return (f'<tr class="{cls}"><th scope="row" title="{esc(definition)}"><span class="ps-sw"></span>'
            f'{esc(label)}</th><td class="ps-num">{esc(count)}</td><td class="ps-num">{esc(per_k_s)}</td>'
            f'<td class="ps-barcell">{bar}</td></tr>')


def _profile_body(profile: dict[str, Any], h: int, lead: str = "") -> str:
    """The profile: ``lead`` (the score), a sentence and the frames beside a table and the strongest passages.

    Why a layout of its own: the generic key/value rendering printed the nested
    technique table as one long JSON string (a box ~15,000 px tall). Two column
    containers, not one grid of loose items, so a long left column leaves no
    gaps between the table and the passages.
    """
    out: list[str] = []
    main: list[str] = []
    n, words = profile.get("technique_instances"), profile.get("words")
    if isinstance(n, int) and isinstance(words, int):
        unit = "paragraph labels" if profile.get("instance_unit") == "paragraph_labels" else "technique spans"
        density = profile.get("density_per_1000_words")
        rate = f": <b>{float(density):.1f}</b> per 1,000 words" if isinstance(density, (int, float)) else ""
        used = profile.get("paragraphs_with_techniques")
        pars = (f"; {esc(used)} of {esc(profile.get('paragraphs', '?'))} paragraphs use a technique"
                if used is not None else "")
        out.append(f'<p class="ps-psum"><b>{n}</b> {unit} in {words:,} words{rate}{pars}.</p>')
    techniques = profile.get("techniques") if isinstance(profile.get("techniques"), dict) else {}
    categories = profile.get("categories") if isinstance(profile.get("categories"), dict) else {}
    if techniques:
        def per_k(row: Any) -> float:
            v = row.get("per_1000_words") if isinstance(row, dict) else None
            return float(v) if isinstance(v, (int, float)) else 0.0

        top = max([per_k(r) for r in [*techniques.values(), *categories.values()]] + [0.0])
        by_cat: dict[str, list[str]] = {}
        for t in techniques:
            by_cat.setdefault(TECHNIQUES[t].category if t in TECHNIQUES else OTHER, []).append(t)
        rows = []
        for cat in sorted(by_cat, key=lambda c: (-per_k(categories.get(c, {})), c)):
            label = CATEGORIES[cat].label if cat in CATEGORIES else "Unknown category"
            if cat in categories:
                rows.append(_rate_row(f"ps-pcat cat-{cat}", cat, label, categories[cat], top))
            rows.extend(_rate_row(f"ps-ptech tc-{_key(t)}", t, _label(_key(t), "2023") if t in TECHNIQUES else t,
                                  techniques[t], top) for t in by_cat[cat])
        main.append('<div class="ps-wrap"><table class="ps-table ps-ptable"><caption class="ps-muted">Techniques '
                   'by category: instances and instances per 1,000 words</caption><thead><tr><th scope="col">'
                   'Category / technique</th><th scope="col" class="ps-num">Count</th><th scope="col" '
                   'class="ps-num">per 1,000 words</th><th scope="col"><span class="ps-sr">rate</span></th></tr>'
                   f'</thead><tbody>{"".join(rows)}</tbody></table></div>')
    frames = profile.get("frames_chosen")
    if isinstance(frames, list) and frames:
        out.append(f'<p class="ps-pframes"><b>Frames chosen:</b> {esc(", ".join(_humanise(f) for f in frames))}</p>')
    evidence = profile.get("evidence")
    if isinstance(evidence, list) and evidence:
        items = []
        for e in evidence[:5]:
            if not isinstance(e, dict):
                continue
            k = _key(str(e.get("technique", "")))
            score = e.get("score")
            score_s = f' <span class="ps-muted">{esc(_fmt_score(float(score)))}</span>' if isinstance(
                score, (int, float)) else ""
            items.append(f'<li>{_chip(k, "2023")}{score_s} <q>{esc(str(e.get("text", ""))[:300])}</q></li>')
        if items:
            main.append(f'<h{h} class="ps-ph">Strongest passages</h{h}><ul class="ps-evidence">{"".join(items)}</ul>')
    rest = {k: v for k, v in profile.items() if k not in PROFILE_SHOWN and (isinstance(v, (str, int, float, bool)) or (
        isinstance(v, list) and all(isinstance(x, (str, int, float)) for x in v)))}
    if rest:
        out.append(_value(rest))
    side = f'<div class="ps-pside">{lead}{"".join(out)}</div>'
    return side + (f'<div class="ps-pmain">{"".join(main)}</div>' if main else "")



def _extra(analysis: Analysis, h: int) -> str:
    """Genre, frames and persuasion profile, each when present."""
    parts: list[str] = []
    profile = dict(analysis.profile)
    if profile:
        body = ""
        score = profile.pop("score", None)
        definition = profile.pop("score_definition", None)
        missing = profile.pop("score_missing", None)
        if isinstance(score, (int, float)) and not isinstance(score, bool):
            body += (f'<div class="ps-score">{float(score):.0f}<small> / 100</small></div>'
                     f'<meter min="0" max="100" value="{min(max(float(score), 0.0), 100.0):.1f}"'
                     f' aria-label="persuasion score"></meter>')
        elif missing:
            body += f'<p class="ps-score-none">No persuasion score: {esc(str(missing))}.</p>'
        if definition:
            body += f'<p class="ps-muted ps-score-def">{esc(str(definition))}</p>'
        body = _profile_body(profile, h + 1, lead=body)
        parts.append(f'<section class="ps-profile"><h{h}>Persuasion profile</h{h}>{body}</section>')
    if analysis.genre:
        parts.append(f'<section class="ps-genre"><h{h}>Genre</h{h}>{_bars(analysis.genre)}</section>')
    if analysis.frames:
        parts.append(f'<section class="ps-frames"><h{h}>Frames</h{h}>{_bars(analysis.frames)}</section>')
    return f'<div class="ps-extra">{"".join(parts)}</div>' if parts else ""


def decision_note(analysis: Analysis, taxonomy: str = "2023") -> str:
    """The threshold labels were shown at and the techniques the models cannot emit, for the legend."""
    parts = []
    thr = analysis.decision.get("min_confidence")
    if isinstance(thr, (int, float)):
        parts.append(f'<p class="ps-muted ps-decision">Shown: spans and line labels whose calibrated '
                     f'probability is at least {thr:g}; a line label marked \u00b6 rests on the line\'s own '
                     f'probability, the others on a highlighted span.</p>')
    for level, what in (("spans", "as spans"), ("paragraphs", "as paragraph labels")):
        names = analysis.undetected.get(level) or []
        if names:
            parts.append(f'<p class="ps-muted ps-undetected">Not detected by this model {what}: '
                         + esc(", ".join(_label(_key(t), taxonomy) for t in names)) + ".</p>")
    return "".join(parts)


def legend(counts: Counter[str], taxonomy: str = "2023", *, scope: str = "article", h: int = 4,
           heading: str = "Techniques found", note: str = "") -> str:
    """Counts per category and technique with a filter toggle per technique; ``note`` (HTML) closes it.

    ``scope="all"`` toggles every article on the page (the report's overall legend).
    """
    if not counts:
        return (f'<section class="ps-legend"><h{h}>{esc(heading)}</h{h}>'
                f'<p class="ps-muted">No persuasion techniques found.</p>{note}</section>')
    by_cat: dict[str, list[str]] = {}
    for key in counts:
        cat = TECHNIQUES[key].category if key in TECHNIQUES else OTHER
        by_cat.setdefault(cat, []).append(key)
    items: list[str] = []
    for cat in [*CATEGORIES, OTHER]:
        keys = sorted(by_cat.get(cat, []), key=lambda k: (-counts[k], k))
        if not keys:
            continue
        cat_label = CATEGORIES[cat].label if cat in CATEGORIES else "Unknown"
        cat_title = CATEGORIES[cat].description if cat in CATEGORIES else ""
        items.append(f'<li class="ps-cat cat-{cat}" title="{esc(cat_title)}"><span class="ps-sw"></span>'
                     f'{esc(cat_label)}<span class="ps-n">{sum(counts[k] for k in keys)}</span></li>')
        for k in keys:
            definition = TECHNIQUES[k].definition if k in TECHNIQUES else ""
            items.append(f'<li><label class="tc-{k}" title="{esc(definition)}">'
                         f'<input type="checkbox" class="ps-filter" data-t="{k}" data-scope="{scope}" checked>'
                         f'<span class="ps-sw"></span><span>{esc(_label(k, taxonomy))}</span>'
                         f'<span class="ps-n">{counts[k]}</span></label></li>')
    return (f'<section class="ps-legend" aria-label="legend and filters"><h{h}>{esc(heading)}</h{h}>'
            f'<div class="ps-all"><button type="button" data-all="on">show all</button>'
            f'<button type="button" data-all="off">hide all</button></div>'
            f'<label class="ps-conf">Hide spans below <output>0%</output> confidence'
            f'<input type="range" class="ps-minconf" data-scope="{scope}" min="0" max="95" step="5" value="0" '
            f'aria-label="hide spans below this confidence"></label>'
            f'<ul>{"".join(items)}</ul>{note}</section>')


def _anchor_for(analysis: Analysis) -> str:
    safe = re.sub(r"[^A-Za-z0-9_-]", "-", analysis.article.id)[:60]
    return f"ps-{safe or 'article'}"


def _meta_items(analysis: Analysis) -> list[str]:
    art = analysis.article
    items: list[str] = []
    if art.source:
        src = esc(art.source)
        if _URL.match(art.source):
            src = f'<a href="{src}" rel="noopener noreferrer nofollow">{src}</a>'
        items.append(f"<li><b>Source</b> {src}</li>")
    items.append(f"<li><b>Language</b> {esc(art.language or 'unknown')}</li>")
    items.append(f"<li><b>ID</b> {esc(art.id)}</li>")
    for k, v in list(art.meta.items())[:8]:
        if isinstance(v, (str, int, float)) and not isinstance(v, bool) and str(v).strip():
            shown = v if len(str(v)) <= 200 else str(v)[:200] + "…"
            items.append(f"<li><b>{esc(_humanise(k))}</b> {_value(shown)}</li>")
    return items


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
    h2 = h1 + 1
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

    # the text, paragraph by paragraph
    paragraphs = analysis.paragraphs or []
    rows: list[str] = []
    order = sorted(range(len(spans)), key=lambda i: spans[i].start)
    active: list[int] = []  # spans that may reach into the paragraph (a sweep keeps this linear)
    j = 0
    for p in sorted(paragraphs, key=lambda p: p.start):
        while j < len(order) and spans[order[j]].start < p.end:
            active.append(order[j])
            j += 1
        active = [i for i in active if spans[i].end > p.start]
        clipped = [(max(spans[i].start, p.start), min(spans[i].end, p.end), i) for i in active
                   if spans[i].start < p.end]
        depth = max((layers[c[2]] + 1 for c in clipped), default=0)
        out: list[str] = []
        for piece in _pieces(p.start, p.end, clipped):
            chunk = esc(text[piece.start:piece.end])
            if not piece.spans:
                out.append(chunk)
                continue
            classes = " ".join(f"u{layers[i]}-{keys[i]}" for i in piece.spans)
            if any(fixed[i] for i in piece.spans):
                classes += " ps-fixed"
                if all(fixed[i].startswith("rejected") for i in piece.spans):
                    classes += " ps-rejected"  # struck through: a person said it is no technique
            tip = "; ".join(f"{_label(keys[i], taxonomy)} ({_fmt_score(float(spans[i].score))})"
                            + (f" [corrected: {fixed[i]}]" if fixed[i] else "") for i in piece.spans)
            focus = ' tabindex="0" role="button"' if piece.opens else ""
            out.append(f'<mark class="ps-seg {classes}" data-s="{" ".join(map(str, piece.spans))}"'
                       f' title="{esc(tip)}"{focus}>{chunk}</mark>')
        cls = ["ps-par"]
        if depth:
            cls.append(f"d{depth}")
        if p.line == 1:
            cls.append("ps-title")
        if p.flagged:
            cls.append("ps-flagged")
        label_keys = sorted({_key(t) for t in p.techniques}, key=lambda k: _label(k, taxonomy))
        labels = "".join(_chip(k, taxonomy, _why(p, k)) for k in label_keys)
        if p.flagged:
            labels += f'<span class="ps-flag">not scored: {esc(p.flagged)}</span>'
        rows.append(f'<div class="{" ".join(cls)}" id="{anchor}-l{p.line}"><span class="ps-ln">{p.line}</span>'
                    f'<p class="ps-ptext">{"".join(out)}</p>'
                    f'<div class="ps-plabels" aria-label="techniques in line {p.line}">{labels}</div></div>')
    if not paragraphs and text.strip():
        rows.append(f'<div class="ps-par"><span class="ps-ln"></span><p class="ps-ptext">{esc(text)}</p>'
                    f'<div class="ps-plabels"></div></div>')

    # header
    title = art.title or art.id
    n_used = sum(1 for p in paragraphs if p.techniques)
    stats = (f'<li><b>{len(spans)}</b> technique span{"s" if len(spans) != 1 else ""}</li>'
             f'<li><b>{n_used}</b> of {len(paragraphs)} paragraphs use a technique</li>')
    head = (f'<header class="ps-head"><h{h1}>{esc(title)}</h{h1}>'
            f'<ul class="ps-meta">{"".join(_meta_items(analysis))}{stats}</ul></header>')
    notices = ""
    if analysis.notices:
        notices = ('<ul class="ps-notices" aria-label="notices">'
                   + "".join(f"<li>{esc(n)}</li>" for n in analysis.notices) + "</ul>")
    flagged = [p for p in paragraphs if p.flagged]
    if flagged:
        plural = "s" if len(flagged) != 1 else ""
        lines = ", ".join(str(p.line) for p in flagged[:20]) + (" …" if len(flagged) > 20 else "")
        notices += f'<p class="ps-flag">{len(flagged)} paragraph{plural} not scored (line{plural} {lines}).</p>'

    if art.edits:
        shown = "".join(f"<li><b>{esc(e.kind)}</b> {esc(e.reason)} "
                        f'<span class="ps-muted">(raw characters {e.start}–{e.end})</span></li>'
                        for e in art.edits[:50])
        more = f"<li>… and {len(art.edits) - 50} more</li>" if len(art.edits) > 50 else ""
        notices += (f'<details class="ps-cleanup"><summary>Input cleanup: {len(art.edits)} change'
                    f'{"s" if len(art.edits) != 1 else ""} to the raw text</summary><ul>{shown}{more}</ul></details>')

    # table of every span
    table_rows = []
    newlines = [m.start() for m in re.finditer("\n", text)]  # line numbers by bisection, not counting
    for i, (s, k) in enumerate(zip(spans, keys)):
        quote = text[s.start:s.end]
        quote = quote if len(quote) <= 300 else quote[:300] + "…"
        definition = TECHNIQUES[k].definition if k in TECHNIQUES else ""
        fix = f'<div class="ps-fixnote">corrected: {esc(fixed[i])}</div>' if fixed[i] else ""
        table_rows.append(f'<tr data-i="{i}"><td>{_chip(k, taxonomy)}{fix}</td><td><q>{esc(quote)}</q>'
                          f'<div class="ps-muted">line {bisect.bisect_left(newlines, s.start) + 1}, chars {s.start}–{s.end}</div></td>'
                          f'<td class="ps-num">{esc(_fmt_score(float(s.score)))}</td><td>{esc(s.evidence)}</td>'
                          f'<td class="ps-muted">{esc(definition)}</td>'
                          f'<td><button type="button" class="ps-goto" data-i="{i}">show</button></td></tr>')
    span_table = ""
    if table_rows:
        span_table = (f'<details class="ps-spans"><summary>All {len(spans)} spans</summary><div class="ps-wrap">'
                      f'<table class="ps-table"><thead><tr><th>Technique</th><th>Text</th><th>Conf.</th>'
                      f'<th>Evidence: why it was marked</th><th>Definition</th><th></th></tr></thead>'
                      f'<tbody>{"".join(table_rows)}</tbody></table>'
                      f"</div></details>")

    models = ""
    if show_models and analysis.models:
        models = ('<footer class="ps-models">Models: '
                  + ", ".join(f"{esc(k)} {esc(v)}" for k, v in sorted(analysis.models.items())) + "</footer>")
    lang = f' lang="{esc(art.language)}"' if art.language and _LANG.match(art.language) else ""
    counts = Counter(keys)
    side = legend(counts, taxonomy, h=min(h2, 6), note=decision_note(analysis, taxonomy))
    return (f'<article class="ps-article" id="{esc(anchor)}" data-article-id="{esc(art.id)}">'
            f'<script type="application/json" class="ps-data">{json_for_script(data)}</script>'
            f"{head}{notices}{_extra(analysis, h2)}"
            f'<div class="ps-cols"><div class="ps-main"><div class="ps-text"{lang}>{"".join(rows)}</div>'
            f"{span_table}</div>"
            f'<aside class="ps-side">{side}</aside></div>{models}</article>')


# -- whole pages ---------------------------------------------------------------

def _short_source(source: str) -> str:
    """A URL's host, a path's file name: enough to tell articles apart in the index."""
    if _URL.match(source):
        return source.split("/")[2]
    return re.split(r"[/\\]", source.rstrip("/\\"))[-1] or source


def index_row(n: int, anchor: str, a: Analysis, taxonomy: str = "2023") -> str:
    """One row of the report's table of contents."""
    top = Counter(_key(s.technique) for s in a.spans).most_common(3)
    score = a.profile.get("score")
    score_s = f"{float(score):.0f}" if isinstance(score, (int, float)) and not isinstance(score, bool) else ""
    genre = max(a.genre.items(), key=lambda kv: kv[1])[0] if a.genre else ""
    return (f'<tr><td class="ps-num">{n}</td><td><a href="#{esc(anchor)}">{esc(a.article.title or a.article.id)}'
            f'</a></td><td title="{esc(a.article.source)}">{esc(_short_source(a.article.source))}</td>'
            f"<td>{esc(a.article.language)}</td>"
            f'<td class="ps-num">{len(a.spans)}</td><td class="ps-num">{esc(score_s)}</td>'
            f"<td>{esc(_humanise(genre))}</td>"
            f'<td>{" ".join(_chip(k, taxonomy, f" ×{c}") for k, c in top)}</td></tr>')


def _index(rows: list[str]) -> str:
    return (f'<nav class="ps-toc" aria-label="articles"><h2>Articles</h2><div class="ps-wrap">'
            f'<table class="ps-table ps-index"><thead><tr><th>#</th><th>Title</th><th>Source</th><th>Lang.</th>'
            f"<th>Spans</th><th>Score</th><th>Genre</th><th>Top techniques</th></tr></thead>"
            f'<tbody>{"".join(rows)}</tbody></table></div></nav>')


class PageBuilder:
    """Accumulates rendered articles so a writer can stream them in, then build the page."""

    def __init__(self, taxonomy: str = "2023", title: str = "propscan report") -> None:
        self.taxonomy = taxonomy
        self.title = title
        self.fragments: list[str] = []
        self.rows: list[str] = []  # index rows, so the article text need not be kept
        self.counts: Counter[str] = Counter()
        self.models: dict[str, set[str]] = {}

    def add(self, analysis: Analysis) -> None:
        anchor = f"a{len(self.fragments) + 1}"
        self.fragments.append(render_article(analysis, self.taxonomy, anchor=anchor, show_models=False))
        self.rows.append(index_row(len(self.fragments), anchor, analysis, self.taxonomy))
        self.counts.update(_key(s.technique) for s in analysis.spans)
        for k, v in analysis.models.items():
            self.models.setdefault(k, set()).add(str(v))

    def build(self) -> str:
        from . import __version__

        n = len(self.fragments)
        total = sum(self.counts.values())
        view = {"2023": "SemEval-2023 Task 3", "2020": "SemEval-2020 Task 11", "2021": "SemEval-2021 Task 6"}
        summary = (f'<p class="ps-muted">{n} article{"s" if n != 1 else ""} · {total} technique span'
                   f'{"s" if total != 1 else ""} · technique names: {esc(view.get(self.taxonomy, self.taxonomy))}</p>')
        head = f'<header><h1>{esc(self.title)}</h1>{summary}'
        if n > 1:
            head += _index(self.rows)
            head += legend(self.counts, self.taxonomy, scope="all", h=2, heading="All articles: techniques found")
        head += "</header>"
        body = "".join(self.fragments) if self.fragments else '<p>No articles were analysed.</p>'
        models = "; ".join(f"{esc(k)} {esc(', '.join(sorted(v)))}" for k, v in sorted(self.models.items()))
        footer = (f'<footer class="ps-footer"><p>Generated by propscan {esc(__version__)}. '
                  f'Models: {models or "none (rules only)"}.</p><p>Technique definitions follow the SemEval-2023 '
                  f"Task 3 taxonomy. Scores are model confidences, not proof; read each passage in context.</p>"
                  f"</footer>")
        return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
                '<meta name="viewport" content="width=device-width, initial-scale=1">'
                f'<meta name="generator" content="propscan {esc(__version__)}">'
                f"<title>{esc(self.title)}{' — ' + str(n) + ' articles' if n > 1 else ''}</title>"
                f"<style>\n{REPORT_CSS}</style></head>\n"
                f'<body><div class="ps-report">{head}<main>{body}</main>{footer}</div>\n'
                f"<script>\n{REPORT_JS}</script></body></html>\n")


def render_page(analyses: Iterable[Analysis], taxonomy: str = "2023", title: str = "propscan report") -> str:
    """A complete, self-contained HTML document for one or many analyses."""
    builder = PageBuilder(taxonomy, title)
    for a in analyses:
        builder.add(a)
    return builder.build()


assert "</script" not in REPORT_JS.lower() and "</style" not in REPORT_CSS.lower()
