"""Charts drawn on the server as inline SVG: no script, no CDN, nothing fetched from outside, printable."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

PALETTE = ["#1d3c78", "#3f6fb5", "#6f9bd6", "#1e6b35", "#5a9e6f", "#b36b00", "#b3261e", "#5c6470"]
FONT = 'font-family="system-ui, sans-serif" font-size="13"'


def _fmt(value: float) -> str:
    return f"{value:,.0f}".replace(",", "\u202f")


def bar_chart(items: Sequence[tuple[str, int]], title: str, *, width: int = 400, empty: str = "Aucune donnée",
              single_colour: bool = False) -> Markup:
    """Horizontal bars, one per (label, value); the values are written at the end of each bar."""
    longest = max((len(label) for label, _ in items), default=8)
    row, label_width, pad = 26, min(215, max(50, int(7.6 * min(longest, 27)) + 16)), 8
    height = max(row * len(items), row) + 2 * pad
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    if not items or not any(value for _, value in items):
        parts.append(f'<text x="{width / 2}" y="{height / 2 + 4}" text-anchor="middle" fill="#5c6470" {FONT}>'
                     f'{escape(empty)}</text></svg>')
        return Markup("".join(parts))
    top = max(value for _, value in items) or 1
    bar_space = width - label_width - 60
    for index, (label, value) in enumerate(items):
        y = pad + index * row
        length = max(2.0, bar_space * value / top) if value else 0
        shown = label if len(label) <= 27 else label[:26] + "…"
        parts.append(f'<text x="{label_width - 6}" y="{y + 16}" text-anchor="end" fill="#1b1f24" {FONT}>'
                     f'{escape(shown)}</text>')
        parts.append(f'<rect x="{label_width}" y="{y + 4}" width="{length:.1f}" height="{row - 8}" rx="3" '
                     f'fill="{PALETTE[0 if single_colour else index % len(PALETTE)]}"><title>{escape(label)} : '
                     f'{_fmt(value)}</title></rect>')
        parts.append(f'<text x="{label_width + length + 6:.1f}" y="{y + 16}" fill="#1b1f24" {FONT}>'
                     f'{_fmt(value)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(points: Sequence[tuple[str, int]], title: str, *, width: int = 400, height: int = 200,
               empty: str = "Aucune donnée") -> Markup:
    """A line over time with a dot and a value per point, labels under the axis."""
    left, right, top_pad, bottom = 44, 16, 16, 36
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    if not points:
        parts.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" fill="#5c6470" {FONT}>'
                     f'{escape(empty)}</text></svg>')
        return Markup("".join(parts))
    top = max(max(value for _, value in points), 1)
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    step = plot_w / max(len(points) - 1, 1)
    coords = [(left + i * step, top_pad + plot_h - plot_h * value / top) for i, (_, value) in enumerate(points)]
    base = top_pad + plot_h
    parts.append(f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" stroke="#d5d9e0"/>')
    parts.append(f'<text x="{left - 6}" y="{top_pad + 4}" text-anchor="end" fill="#5c6470" {FONT}>{_fmt(top)}</text>')
    parts.append(f'<text x="{left - 6}" y="{base}" text-anchor="end" fill="#5c6470" {FONT}>0</text>')
    path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(coords))
    parts.append(f'<path d="{path}" fill="none" stroke="{PALETTE[0]}" stroke-width="2.5"/>')
    every = max(1, -(-len(points) // 4))
    for index, ((label, value), (x, y)) in enumerate(zip(points, coords, strict=True)):
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{PALETTE[0]}">'
                     f'<title>{escape(label)} : {_fmt(value)}</title></circle>')
        if (index % every == 0 and len(points) - 1 - index >= every) or index == len(points) - 1:
            anchor = "end" if index == len(points) - 1 else "start" if index == 0 else "middle"
            parts.append(f'<text x="{x:.1f}" y="{height - 12}" text-anchor="{anchor}" fill="#5c6470" {FONT}>'
                         f'{escape(label)}</text>')
    parts.append(f'<text x="{coords[-1][0]:.1f}" y="{coords[-1][1] - 8:.1f}" text-anchor="end" fill="#1b1f24" '
                 f'{FONT}>{_fmt(points[-1][1])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_bars(rows: Sequence[tuple[str, dict[str, int]]], series: Sequence[tuple[str, str]], title: str, *,
                 width: int = 400, empty: str = "Aucune donnée") -> Markup:
    """One horizontal stacked bar per row (e.g. an event and its answers); ``series`` = (key, label)."""
    row, label_width, legend = 28, 180, 24
    height = legend + max(row * len(rows), row) + 8
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    if not rows:
        parts.append(f'<text x="{width / 2}" y="{height / 2 + 4}" text-anchor="middle" fill="#5c6470" {FONT}>'
                     f'{escape(empty)}</text></svg>')
        return Markup("".join(parts))
    x = 0.0
    for index, (_, label) in enumerate(series):
        parts.append(f'<rect x="{x}" y="4" width="10" height="10" fill="{PALETTE[index % len(PALETTE)]}"/>'
                     f'<text x="{x + 14}" y="13" {FONT} fill="#1b1f24">{escape(label)}</text>')
        x += 22 + 7 * len(label)
    top = max((sum(values.values()) for _, values in rows), default=0) or 1
    space = width - label_width - 40
    for index, (label, values) in enumerate(rows):
        y = legend + index * row
        shown = label if len(label) <= 23 else label[:22] + "…"  # about 7.4 px a character: fits label_width
        parts.append(f'<text x="{label_width - 6}" y="{y + 17}" text-anchor="end" {FONT} fill="#1b1f24">'
                     f'{escape(shown)}</text>')
        x = float(label_width)
        for s_index, (key, s_label) in enumerate(series):
            value = values.get(key, 0)
            if not value:
                continue
            w = space * value / top
            parts.append(f'<rect x="{x:.1f}" y="{y + 5}" width="{w:.1f}" height="{row - 10}" '
                         f'fill="{PALETTE[s_index % len(PALETTE)]}"><title>{escape(s_label)} : {value}</title></rect>')
            x += w
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 17}" {FONT} fill="#1b1f24">{sum(values.values())}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
