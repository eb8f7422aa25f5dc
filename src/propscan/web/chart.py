"""Line charts as inline SVG, drawn on the server: no chart library, no CDN, no script.

Colours are SVG presentation attributes (not style attributes), every label is
escaped, and each point carries a <title> so hovering (or a screen reader)
gives the exact value.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 4")


@dataclass
class Series:
    label: str
    colour: str
    values: list[float | None]  # one per x label; None = no data that month
    dash: str = ""


def line_chart(x_labels: list[str], series: list[Series], *, title: str, y_label: str = "share of articles",
               width: int = 720, height: int = 300, y_max: float | None = None, percent: bool = True) -> Markup:
    """An accessible SVG line chart that scales to its container (viewBox)."""
    left, right, top, bottom = 48, 12, 16, 44
    legend_rows = (len(series) + 2) // 3
    height_total = height + legend_rows * 18 + 8
    pw, ph = width - left - right, height - top - bottom
    vals = [v for s in series for v in s.values if v is not None]
    top_value = y_max if y_max is not None else max(vals + [0.0])
    top_value = _nice(top_value)
    n = len(x_labels)

    def x(i: int) -> float:
        return left + (pw * (i + 0.5) / n if n else 0)

    def y(v: float) -> float:
        return top + ph - (ph * v / top_value if top_value else 0)

    def fmt(v: float) -> str:
        return f"{v * 100:.0f}%" if percent else f"{v:g}"

    out: list[str] = [
        f'<svg class="chart" viewBox="0 0 {width} {height_total}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet">',
        f"<title>{escape(title)}</title>",
    ]
    # grid and y axis
    for k in range(5):
        v = top_value * k / 4
        yy = y(v)
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#e3e5e8"/>')
        out.append(f'<text x="{left - 6}" y="{yy + 4:.1f}" text-anchor="end" font-size="11" fill="#5c6166">'
                   f"{escape(fmt(v))}</text>")
    out.append(f'<text x="12" y="{top + ph / 2:.1f}" font-size="11" fill="#5c6166" text-anchor="middle" '
               f'transform="rotate(-90 12 {top + ph / 2:.1f})">{escape(y_label)}</text>')
    # x labels, thinned so they do not overlap
    step = max(1, (n + 11) // 12)
    for i, lab in enumerate(x_labels):
        if i % step == 0 or i == n - 1:
            out.append(f'<text x="{x(i):.1f}" y="{top + ph + 16}" text-anchor="middle" font-size="11" '
                       f'fill="#5c6166">{escape(lab)}</text>')
    out.append(f'<line x1="{left}" x2="{width - right}" y1="{top + ph}" y2="{top + ph}" stroke="#9aa0a6"/>')
    # series: polylines through consecutive known values, a dot per value
    for s in series:
        dash = f' stroke-dasharray="{escape(s.dash)}"' if s.dash else ""
        run: list[str] = []
        runs: list[list[str]] = []
        for i, v in enumerate(s.values):
            if v is None:
                if run:
                    runs.append(run)
                run = []
                continue
            run.append(f"{x(i):.1f},{y(v):.1f}")
        if run:
            runs.append(run)
        out.append(f'<g class="series" data-label="{escape(s.label)}">')
        for r in runs:
            if len(r) > 1:
                out.append(f'<polyline fill="none" stroke="{escape(s.colour)}" stroke-width="2"{dash} '
                           f'points="{" ".join(r)}"/>')
        for i, v in enumerate(s.values):
            if v is not None:
                out.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{escape(s.colour)}">'
                           f"<title>{escape(s.label)}, {escape(x_labels[i])}: {escape(fmt(v))}</title></circle>")
        out.append("</g>")
    # legend under the plot, three per row
    for j, s in enumerate(series):
        lx = left + (j % 3) * (pw / 3)
        ly = height + 4 + (j // 3) * 18
        dash = f' stroke-dasharray="{escape(s.dash)}"' if s.dash else ""
        out.append(f'<line x1="{lx:.1f}" x2="{lx + 22:.1f}" y1="{ly:.1f}" y2="{ly:.1f}" stroke="{escape(s.colour)}" '
                   f'stroke-width="3"{dash}/>')
        out.append(f'<text x="{lx + 28:.1f}" y="{ly + 4:.1f}" font-size="12" fill="#1d1f21">{escape(s.label)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


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


def profile_charts(profile: dict, techniques: dict, categories: dict, top: int = 6) -> list[tuple[str, Markup]]:
    """The outlet page's two charts: categories by month and its most used techniques by month."""
    months = [m for m in profile.get("months", []) if m.get("month")]
    if not months:
        return []
    labels = [str(m["month"]) for m in months]
    cat_series = [Series(c.label, c.colour, [m.get("categories", {}).get(name, 0.0) for m in months])
                  for name, c in categories.items()
                  if any(m.get("categories", {}).get(name) for m in months)]
    ranked = list(profile.get("techniques", {}))[:top]
    used_per_cat: dict[str, int] = {}
    tech_series = []
    for name in ranked:
        t = techniques.get(name)
        if t is None:
            continue
        k = used_per_cat.get(t.category, 0)
        used_per_cat[t.category] = k + 1
        tech_series.append(Series(t.label, categories[t.category].colour,
                                  [m.get("techniques", {}).get(name, 0.0) for m in months], DASHES[k % len(DASHES)]))
    charts = []
    if cat_series:
        title = "Share of articles using each category of technique, by month"
        charts.append((title, line_chart(labels, cat_series, title=title)))
    if tech_series:
        title = f"Share of articles using its {len(tech_series)} most used techniques, by month"
        charts.append((title, line_chart(labels, tech_series, title=title)))
    return charts
