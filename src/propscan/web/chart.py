"""Charts as inline SVG, drawn on the server: no chart library, no CDN, no script.

Colours are SVG presentation attributes (not style attributes), every label is
escaped, and each point carries a <title> so hovering (or a screen reader)
gives the exact value.
"""

from __future__ import annotations

from markupsafe import Markup, escape


def _nice(v: float) -> float:
    """A round axis maximum at or above ``v``."""
    if v <= 0:
        return 1.0
    for m in (0.05, 0.1, 0.2, 0.25, 0.4, 0.5, 0.6, 0.8, 1.0):
        if v <= m:
            return m
    mag = 1.0
    while v > mag * 10:
        mag *= 10
    for m in (1, 2, 2.5, 5, 10):
        if v <= m * mag:
            return m * mag
    return v


def _poisson(count: int) -> tuple[float, float]:
    from ..corpus.profiles import poisson_interval

    return poisson_interval(int(count))


def rate_panel(x_labels: list[str], counts: list[int], words: list[int], articles: list[int], *, title: str,
               colour: str, y_max: float, width: int = 360, height: int = 170) -> Markup:
    """One small chart: instances per 1,000 words by month, a 95% band, hollow dots for months of 1-2 articles.

    Small multiples (one panel per category) instead of one chart of lines on top of each other; a rate with its
    interval instead of a share of articles, which reads 100% from a single article.
    """
    left, right, top, bottom = 40, 8, 10, 30
    pw, ph = width - left - right, height - top - bottom
    n = len(x_labels)
    y_top = _nice(y_max)

    def x(i: int) -> float:
        return left + (pw * (i + 0.5) / n if n else 0)

    def y(v: float) -> float:
        return top + ph - ph * min(v, y_top) / y_top

    out = [f'<svg class="chart panel" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
           f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for k in range(3):
        v = y_top * k / 2
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e3e5e8"/>'
                   f'<text x="{left - 5}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="11" fill="#5c6166">'
                   f"{v:g}</text>")
    step = max(1, (n + 5) // 6)
    for i, lab in enumerate(x_labels):
        if i % step == 0 or i == n - 1:
            out.append(f'<text x="{x(i):.1f}" y="{top + ph + 16}" text-anchor="middle" font-size="11" '
                       f'fill="#5c6166">{escape(lab)}</text>')
    pts = []
    band_hi, band_lo = [], []
    for i, (c, w) in enumerate(zip(counts, words)):
        if not w:
            continue
        scale = 1000.0 / w
        lo, hi = _poisson(c)
        pts.append((i, c * scale, articles[i], lo * scale, hi * scale))
        band_hi.append(f"{x(i):.1f},{y(hi * scale):.1f}")
        band_lo.append(f"{x(i):.1f},{y(lo * scale):.1f}")
    if len(pts) > 1:
        out.append(f'<polygon points="{" ".join(band_hi + band_lo[::-1])}" fill="{escape(colour)}" '
                   f'fill-opacity="0.15" stroke="none"/>')
        out.append(f'<polyline fill="none" stroke="{escape(colour)}" stroke-width="2" '
                   f'points="{" ".join(f"{x(i):.1f},{y(v):.1f}" for i, v, *_ in pts)}"/>')
    for i, v, n_art, lo, hi in pts:
        if len(pts) == 1:
            out.append(f'<line x1="{x(i):.1f}" x2="{x(i):.1f}" y1="{y(lo):.1f}" y2="{y(hi):.1f}" '
                       f'stroke="{escape(colour)}" stroke-width="2" stroke-opacity="0.5"/>')
        fill = escape(colour) if n_art > 2 else "#ffffff"
        out.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.5" fill="{fill}" stroke="{escape(colour)}" '
                   f'stroke-width="1.5"><title>{escape(x_labels[i])}: {v:.1f} per 1,000 words '
                   f'(95% {lo:.1f}-{hi:.1f}), {n_art} article{"" if n_art == 1 else "s"}</title></circle>')
    out.append(f'<line x1="{left}" x2="{width - right}" y1="{top + ph}" y2="{top + ph}" stroke="#9aa0a6"/></svg>')
    return Markup("".join(out))


def profile_charts(profile: dict, techniques: dict, categories: dict) -> list[tuple[str, Markup]]:
    """The outlet page's charts: one panel per category, instances per 1,000 words by month, same scale."""
    months = [m for m in profile.get("months", []) if m.get("month")]
    if not months:
        return []
    labels = [str(m["month"]) for m in months]
    words = [int(m.get("n_words") or 0) for m in months]
    arts = [int(m.get("n_articles") or 0) for m in months]
    per_cat: dict[str, list[int]] = {}
    for j, m in enumerate(months):
        for t, c in (m.get("span_counts") or {}).items():
            if t in techniques:
                per_cat.setdefault(techniques[t].category, [0] * len(months))[j] += int(c)
    if not per_cat:
        return []
    rates, highs = [0.0], [0.0]
    for counts in per_cat.values():
        for c, w in zip(counts, words):
            if w:
                rates.append(c * 1000.0 / w)
                highs.append(_poisson(c)[1] * 1000.0 / w)
    # room for the intervals, but not so much that one tiny month flattens every rate: bands may be cut at the top
    y_max = max(max(rates), min(max(highs), 2 * max(rates)))
    charts = []
    for name, c in categories.items():
        if name in per_cat:
            title = f"{c.label}: instances per 1,000 words by month"
            charts.append((c.label, rate_panel(labels, per_cat[name], words, arts, title=title, colour=c.colour,
                                               y_max=y_max)))
    return charts


def interval_bar(value: float, low: float, high: float, top: float, width: int = 120, height: int = 14) -> Markup:
    """A rate and its interval on a shared scale: a whisker from low to high with a dot at the rate."""
    def x(v: float) -> float:
        return 4 + (width - 8) * min(max(v, 0.0), top) / top if top else 4

    return Markup(f'<svg class="ci" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
                  f'aria-hidden="true" xmlns="http://www.w3.org/2000/svg">'
                  f'<line x1="4" x2="{width - 4}" y1="{height / 2}" y2="{height / 2}" stroke="#e3e5e8"/>'
                  f'<line x1="{x(low):.1f}" x2="{x(high):.1f}" y1="{height / 2}" y2="{height / 2}" stroke="#1f5fa8" '
                  f'stroke-width="3" stroke-opacity="0.45"/>'
                  f'<circle cx="{x(value):.1f}" cy="{height / 2}" r="3.5" fill="#1f5fa8"/></svg>')


def timeline(events: list[dict], width: int = 720) -> Markup:
    """Dated articles of a story on one axis, a row per outlet; each dot links to its article."""
    import datetime as dt

    dated = [(dt.date.fromisoformat(str(e["date"])[:10]), e) for e in events if e.get("date")]
    if not dated:
        return Markup("")
    outlets = list(dict.fromkeys(str(e.get("outlet") or "unknown") for _, e in dated))
    first, last = min(d for d, _ in dated), max(d for d, _ in dated)
    span = max((last - first).days, 1)
    left, right, row = 190, 20, 26
    height = 30 + row * len(outlets)

    def x(d: dt.date) -> float:
        return left + (width - left - right) * ((d - first).days / span if last > first else 0.5)

    out = [f'<svg class="chart timeline" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="timeline of the story" xmlns="http://www.w3.org/2000/svg"><title>Timeline</title>']
    for k, o in enumerate(outlets):
        yy = 14 + k * row
        label = o if len(o) <= 28 else o[:27] + "…"
        out.append(f'<text x="{left - 8}" y="{yy + 4}" text-anchor="end" font-size="12" fill="#1d1f21">'
                   f'{escape(label)}<title>{escape(o)}</title></text>'
                   f'<line x1="{left}" x2="{width - right}" y1="{yy}" y2="{yy}" stroke="#e3e5e8"/>')
    for d, e in dated:
        yy = 14 + outlets.index(str(e.get("outlet") or "unknown")) * row
        out.append(f'<a href="/articles/{int(e["id"])}"><circle cx="{x(d):.1f}" cy="{yy}" r="6" fill="#1f5fa8">'
                   f'<title>{escape(d.isoformat())} · {escape(str(e.get("outlet") or ""))}: '
                   f'{escape(str(e.get("title") or ""))}</title></circle></a>')
    years = [dt.date(y, 1, 1) for y in range(first.year + 1, last.year + 1)] if (last - first).days > 400 else []
    for d in years:  # a faint line at each new year of a story told over years, under the rows
        out.insert(1, f'<line x1="{x(d):.1f}" x2="{x(d):.1f}" y1="4" y2="{height - 18}" stroke="#eceef1"/>'
                   f'<text x="{x(d):.1f}" y="{height - 18}" text-anchor="middle" font-size="10" fill="#5c6166">'
                   f"{d.year}</text>")
    ticks = [first, last] if last > first else [first]
    for d in ticks:
        anchor = "start" if d == first and last > first else "end" if d == last and last > first else "middle"
        out.append(f'<text x="{x(d):.1f}" y="{height - 4}" text-anchor="{anchor}" font-size="11" fill="#5c6166">'
                   f"{escape(d.isoformat())}</text>")
    out.append("</svg>")
    return Markup("".join(out))
