"""Geometry of the server-side SVG charts (drawn by ``templates/macros/charts.html``).

No JavaScript and no CDN: the page carries the chart as SVG, with the figures in
``<title>`` tooltips, and the table beside it remains the reference.
"""
from __future__ import annotations

import math
from dataclasses import dataclass


def nice_step(top: float, ticks: int = 4) -> int:
    """A round step (1, 2 or 5 × 10^k) giving about ``ticks`` gridlines up to ``top``."""
    if top <= 0:
        return 1
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return max(int(factor * power), 1)
    return max(int(10 * power), 1)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: str
    label: str
    value: int


@dataclass(frozen=True)
class ColumnChart:
    width: int
    height: int
    plot_left: int
    plot_bottom: int
    bars: list[Bar]
    ticks: list[tuple[int, float]]          # (value, y)
    categories: list[tuple[str, float]]     # (label, x of its centre)
    series: list[tuple[str, str]]           # (key, label) for the legend
    x_title: str = ""                       # axis titles, drawn when given
    y_title: str = ""


def column_chart(categories: list[str], series: list[tuple[str, str, list[int]]], *,
                 width: int = 720, height: int = 240, x_title: str = "",
                 y_title: str = "") -> ColumnChart:
    """Grouped columns: one group per category, one column per series; room is kept for
    the axis titles when there are any."""
    left = 48 + (20 if y_title else 0)
    right, top, bottom = 8, 12, height - 28 - (20 if x_title else 0)
    plot_w, plot_h = width - left - right, bottom - top
    peak = max([v for _k, _l, values in series for v in values] + [0])
    step = nice_step(peak)
    ceiling = max(step * math.ceil(peak / step), step)
    group_w = plot_w / max(len(categories), 1)
    bar_w = group_w * 0.8 / max(len(series), 1)
    bars = []
    for s, (key, _label, values) in enumerate(series):
        for c, value in enumerate(values):
            h = plot_h * value / ceiling
            bars.append(Bar(round(left + c * group_w + group_w * 0.1 + s * bar_w, 1),
                            round(bottom - h, 1), round(bar_w - 1, 1), round(h, 1),
                            key, categories[c], value))
    ticks = [(v, round(bottom - plot_h * v / ceiling, 1)) for v in range(0, ceiling + 1, step)]
    centres = [(label, round(left + (c + 0.5) * group_w, 1)) for c, label in enumerate(categories)]
    return ColumnChart(width, height, left, bottom, bars, ticks, centres,
                       [(key, label) for key, label, _v in series], x_title, y_title)


@dataclass(frozen=True)
class Row:
    y: float
    width: float
    label: str
    value: float | None
    met: bool


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    plot_left: int
    plot_width: int
    row_height: int
    rows: list[Row]
    reference_x: float          # where 100 % falls
    ceiling: int


def percent_bars(items: list[tuple[str, float | None]], *, width: int = 720,
                 label_width: int = 260, row_height: int = 22,
                 reference: float = 100.0) -> BarChart:
    """Horizontal bars of percentages with a line at ``reference`` (100 % of target)."""
    peak = max([v for _l, v in items if v is not None] + [reference])
    ceiling = int(math.ceil(min(peak, 3 * reference) / 25.0) * 25)
    plot_w = width - label_width - 56
    rows = [Row(round(i * row_height + 4, 1),
                round(plot_w * min(value or 0.0, ceiling) / ceiling, 1), label, value,
                value is not None and value >= reference)
            for i, (label, value) in enumerate(items)]
    return BarChart(width, row_height * len(items) + 24, label_width, plot_w, row_height, rows,
                    round(label_width + plot_w * reference / ceiling, 1), ceiling)
