"""Line and fan charts as data for ``ui/chart.vue``.

Scales and ticks are computed here, so the template only draws polylines, polygons and text. The browser
draws the text, which keeps Chinese labels legible without a CJK font on the server, and a new simulated
year sends a few hundred numbers instead of a rendered image.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Drawing size: ui/chart.vue shows a chart at least 370 px wide, so its 13-unit text is at least 12 px.
WIDTH = 400
HEIGHT = 185
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 56, 14, 12, 28
#: Colours: simulated, second series, observed, targets, comparison (colour-blind safe Okabe-Ito subset).
COLOURS = {"sim": "#0072b2", "second": "#e69f00", "observed": "#000000", "target": "#d55e00",
           "baseline": "#7f7f7f", "current": "#0072b2", "runs": "#9e9e9e"}


@dataclass
class Series:
    """A line (or dots) on a chart.

    Attributes:
        label: legend text.
        xs: years.
        ys: values (NaN values break the line).
        colour: stroke colour.
        dash: draw dashed.
        dots: draw as dots instead of a line (observations).
        width: stroke width.
        legend: show in the legend.
    """

    label: str
    xs: Sequence[float]
    ys: Sequence[float]
    colour: str = COLOURS["sim"]
    dash: bool = False
    dots: bool = False
    width: float = 2.0
    legend: bool = True


@dataclass
class Band:
    """A shaded range between ``lower`` and ``upper`` (a fan chart)."""

    label: str
    xs: Sequence[float]
    lower: Sequence[float]
    upper: Sequence[float]
    colour: str = COLOURS["sim"]


@dataclass
class Target:
    """A plan target: a marker at (year, value) with a short label such as ``63 % (2025)``."""

    x: float
    y: float
    label: str
    colour: str = COLOURS["target"]


@dataclass
class ChartData:
    """Everything drawn on one chart."""

    title: str
    series: list[Series] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    x_range: tuple[float, float] = (2010, 2035)
    y_format: str = "{:,.1f}"
    target_legend: str = "plan target"
    marker: float | None = None


def nice_ticks(low: float, high: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values covering ``low``-``high``."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return []
    if high <= low:
        high = low + 1.0
    # a range below float resolution at this magnitude would give steps that do not advance
    span = max(high - low, 1e-6 * max(abs(low), abs(high)), 1e-9)
    raw = span / max(n - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    count = max(1, math.ceil((max(high, low + span) - start) / step - 1e-9))
    # the last tick is the first one at or above ``high``, so the ticks always cover the data
    return [round(start + i * step, 10) for i in range(count + 1)]


def _finite(values: Sequence[float]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(float(v))]


def chart_spec(chart: ChartData, *, width: int = WIDTH, height: int = HEIGHT) -> dict[str, Any]:
    """The chart in SVG pixel coordinates, as plain JSON for ``ui/chart.vue``."""
    x0, x1 = chart.x_range
    ys: list[float] = []
    for s in chart.series:
        ys += _finite(s.ys)
    for b in chart.bands:
        ys += _finite(b.lower) + _finite(b.upper)
    ys += [t.y for t in chart.targets if math.isfinite(t.y)]
    if ys:
        lo, hi = min(ys), max(ys)
        pad = 0.08 * (hi - lo) if hi > lo else max(abs(hi) * 0.1, 1.0)
        yticks = nice_ticks(lo - pad, hi + pad)
        y0, y1 = yticks[0], yticks[-1]
    else:
        yticks, y0, y1 = [], 0.0, 1.0
    left, right, top, bottom = PAD_LEFT, width - PAD_RIGHT, PAD_TOP, height - PAD_BOTTOM

    def px(x: float) -> float:
        return round(left + (x - x0) / (x1 - x0) * (right - left), 1)

    def py(y: float) -> float:
        return round(bottom - (y - y0) / ((y1 - y0) or 1.0) * (bottom - top), 1)

    def polyline(xs: Sequence[float], vals: Sequence[float]) -> list[str]:
        # NaN breaks the line into pieces
        pieces, current = [], []
        for x, y in zip(xs, vals, strict=False):
            if y is None or not math.isfinite(float(y)):
                if current:
                    pieces.append(" ".join(current))
                current = []
                continue
            current.append(f"{px(float(x))},{py(float(y))}")
        if current:
            pieces.append(" ".join(current))
        return pieces

    lines, dots, bands = [], [], []
    for i, s in enumerate(chart.series):
        if s.dots:
            dots += [{"cx": px(float(x)), "cy": py(float(y)), "colour": s.colour,
                      "title": f"{s.label} {int(x)}: {chart.y_format.format(float(y))}"}
                     for x, y in zip(s.xs, s.ys, strict=False) if y is not None and math.isfinite(float(y))]
        else:
            for j, pts in enumerate(polyline(s.xs, s.ys)):
                lines.append({"key": f"s{i}-{j}", "points": pts, "colour": s.colour, "dash": s.dash,
                              "width": s.width, "label": s.label})
    for i, b in enumerate(chart.bands):
        upper = [f"{px(float(x))},{py(float(y))}" for x, y in zip(b.xs, b.upper, strict=False) if math.isfinite(y)]
        lower = [f"{px(float(x))},{py(float(y))}" for x, y in zip(b.xs, b.lower, strict=False) if math.isfinite(y)]
        if upper and lower:
            bands.append({"key": f"b{i}", "points": " ".join(upper + lower[::-1]), "colour": b.colour})
    targets = [{"key": f"t{i}", "x": px(t.x), "y": py(t.y), "label": t.label, "colour": t.colour}
               for i, t in enumerate(chart.targets) if math.isfinite(t.y)]
    xticks = [{"x": px(x), "label": str(int(x))} for x in range(int(x0), int(x1) + 1, 5)]
    legend = [{"label": s.label, "colour": s.colour, "kind": "dot" if s.dots else ("dash" if s.dash else "line")}
              for s in chart.series if s.legend]
    legend += [{"label": b.label, "colour": b.colour, "kind": "band"} for b in chart.bands if b.label]
    if chart.targets:
        legend.append({"label": chart.target_legend, "colour": chart.targets[0].colour, "kind": "target"})
    marker = None
    if chart.marker is not None and x0 <= chart.marker <= x1:  # the year shown (the year scrubber)
        marker = {"x": px(chart.marker), "label": str(int(chart.marker))}
    return {"title": chart.title, "width": width, "height": height, "marker": marker,
            "box": {"left": left, "right": right, "top": top, "bottom": bottom},
            "xticks": xticks, "yticks": [{"y": py(t), "label": chart.y_format.format(t)} for t in yticks],
            "lines": lines, "dots": dots, "bands": bands, "targets": targets, "legend": legend}


def fan(runs: Sequence[Sequence[float]], low_q: float = 0.1, high_q: float = 0.9) -> tuple[list, list, list]:
    """Median, lower and upper quantile across runs of equal length (NaN where no run has a value)."""
    arr = np.asarray(runs, dtype=float)
    if arr.size == 0:
        return [], [], []
    with np.errstate(all="ignore"):
        valid = ~np.all(np.isnan(arr), axis=0)
        med = np.full(arr.shape[1], np.nan)
        lo = np.full(arr.shape[1], np.nan)
        hi = np.full(arr.shape[1], np.nan)
        if valid.any():
            med[valid] = np.nanmedian(arr[:, valid], axis=0)
            lo[valid] = np.nanquantile(arr[:, valid], low_q, axis=0)
            hi[valid] = np.nanquantile(arr[:, valid], high_q, axis=0)
    return med.tolist(), lo.tolist(), hi.tolist()
