"""The map of Hunan as data for ``ui/map.vue``: division outlines, seats, rail lines, flows and colours.

Coordinates are projected once (equirectangular, scaled by the cosine of Hunan's central latitude, which
distorts distances by under 3 % across the province) into an SVG box; the static geometry is cached because
it comes from read-only data files. What changes each year (colours, open rail lines, flows) is computed by
:func:`map_state` and is all that a step sends to the browser.
"""

from __future__ import annotations

import functools
import math
from typing import Any

from sim.data import load_counties_2020, load_county_geojson, load_divisions, load_geojson, load_rail_lines
from ui.i18n import Lang, short_division_label, tr

WIDTH = 520
HEIGHT = 560
MARGIN = 14
#: Bounding box (lon, lat) drawn: Hunan plus room for the outside node south of Chenzhou.
LON_MIN, LON_MAX = 108.7, 114.4
LAT_MIN, LAT_MAX = 24.0, 30.2
_COS = math.cos(math.radians((LAT_MIN + LAT_MAX) / 2))
#: Where the outside node (chiefly the Pearl River Delta) is drawn: south of the Beijing-Guangzhou exit.
OUTSIDE_POINT = (113.3, 24.25)
#: Sequential colour scale (viridis at 9 stops) for indicator values.
PALETTE = ("#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962", "#addc30", "#fde725")
NO_DATA = "#d0d0d0"
#: Label offsets (pixels) where seats are too close for centred labels: Changsha, Zhuzhou and Xiangtan
#: lie within 40 km of each other.
LABEL_OFFSETS = {"Changsha": (0.0, -8.0), "Zhuzhou": (26.0, 4.0), "Xiangtan": (-26.0, 14.0)}


def _scale() -> float:
    return min((WIDTH - 2 * MARGIN) / ((LON_MAX - LON_MIN) * _COS), (HEIGHT - 2 * MARGIN) / (LAT_MAX - LAT_MIN))


def project(lon: float, lat: float) -> tuple[float, float]:
    """SVG coordinates (x right, y down) of a point given in degrees."""
    s = _scale()
    return (round(MARGIN + (lon - LON_MIN) * _COS * s, 1), round(MARGIN + (LAT_MAX - lat) * s, 1))


def _ring_path(ring: list[list[float]]) -> str:
    pts = [project(lon, lat) for lon, lat in ring]
    return "M" + " L".join(f"{x},{y}" for x, y in pts) + " Z"


@functools.cache
def division_shapes() -> tuple[dict[str, Any], ...]:
    """Static outline, seat and label point of each division, in division id order.

    Each item: ``id`` (English name), ``d`` (SVG path), ``x``/``y`` (seat city), ``lx``/``ly`` (label).
    """
    divs = load_divisions()
    by_code = {int(f["properties"]["adcode"]): f for f in load_geojson()["features"]}
    shapes = []
    for row in divs.itertuples():
        feature = by_code.get(int(row.adcode))
        if feature is None:
            raise ValueError(f"no map outline for {row.division_en} (adcode {row.adcode})")
        geom = feature["geometry"]
        polygons = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        d = " ".join(_ring_path(ring) for poly in polygons for ring in poly)
        x, y = project(float(row.lon), float(row.lat))
        dx, dy = LABEL_OFFSETS.get(row.division_en, (0.0, -7.0))
        shapes.append({"id": row.division_en, "d": d, "x": x, "y": y, "lx": round(x + dx, 1),
                       "ly": round(y + dy, 1)})
    return tuple(shapes)


@functools.cache
def county_shapes() -> tuple[dict[str, Any], ...]:
    """Static outline of each county-level unit with a polygon (122 of the 124 rows of the county table: the two
    function zones have none), for the county view of the map.

    Each item: ``id`` (the county's output region, e.g. ``430181 Liuyang``), ``division`` (its division's English
    name) and ``d`` (SVG path).
    """
    counties = load_counties_2020()
    region = dict(zip(counties.code.astype(int), counties.region, strict=True))
    names = load_divisions().division_en.tolist()
    division = dict(zip(counties.code.astype(int), (names[d] for d in counties.division), strict=True))
    shapes = []
    for feature in load_county_geojson()["features"]:
        code = int(feature["properties"]["adcode"])
        if code not in region:
            continue
        geom = feature["geometry"]
        polygons = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        d = " ".join(_ring_path(ring) for poly in polygons for ring in poly)
        shapes.append({"id": region[code], "division": division[code], "d": d})
    return tuple(shapes)


def _point(name: str) -> tuple[float, float]:
    if name == "outside":
        return project(*OUTSIDE_POINT)
    for s in division_shapes():
        if s["id"] == name:
            return s["x"], s["y"]
    raise KeyError(name)


def rail_lines(open_years: dict[str, float], year: int) -> list[dict[str, Any]]:
    """Polylines of the rail lines open in ``year``, in the order of the divisions they serve.

    Args:
        open_years: opening year by line id (the ``open_year_<line_id>`` levers in force).
        year: the simulated year.
    """
    out = []
    for row in load_rail_lines().itertuples():
        opened = open_years.get(row.line_id)
        if opened is None or opened > year:
            continue
        stops = [s.strip() for s in str(row.divisions_served).split(";") if s.strip()]
        pts = [_point(s) for s in stops]
        out.append({"id": row.line_id, "name_en": row.line_en, "name_zh": row.line_zh,
                    "points": " ".join(f"{x},{y}" for x, y in pts), "new": int(opened) == year})
    return out


def colour_for(value: float, low: float, high: float) -> str:
    """Colour of ``value`` on the palette between ``low`` and ``high``."""
    if value is None or not math.isfinite(value):
        return NO_DATA
    t = 0.5 if high <= low else min(max((value - low) / (high - low), 0.0), 1.0)
    return PALETTE[round(t * (len(PALETTE) - 1))]


def flow_arrows(flows: list[tuple[str, str, float]], *, top: int = 20) -> list[dict[str, Any]]:
    """Curved arrows for the ``top`` largest flows ``(origin, destination, persons)``.

    Width grows with the square root of persons (so a few large flows do not hide the rest); the curve bends
    to the right of the direction of travel so that flows both ways between two places stay apart.
    """
    flows = sorted(flows, key=lambda f: -f[2])[:top]
    if not flows:
        return []
    biggest = flows[0][2]
    out = []
    for origin, dest, persons in flows:
        (x1, y1), (x2, y2) = _point(origin), _point(dest)
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        dx, dy = x2 - x1, y2 - y1
        length = math.hypot(dx, dy) or 1.0
        bend = 0.18 * length
        cx, cy = mx - dy / length * bend, my + dx / length * bend
        width = 1.0 + 5.0 * math.sqrt(max(persons, 0) / biggest) if biggest > 0 else 1.0
        out.append({"id": f"{origin}->{dest}", "d": f"M{x1},{y1} Q{cx:.1f},{cy:.1f} {x2},{y2}",
                    "w": round(width, 2), "persons": float(persons), "origin": origin, "destination": dest})
    return out


def _place(name: str, lang: Lang) -> str:
    return tr("map_outside", lang) if name == "outside" else short_division_label(name, lang)


def flow_legend(arrows: list[dict[str, Any]], value_format: str = "{:,.0f}") -> list[dict[str, Any]]:
    """Three sample widths of the flow arrows with the persons they stand for (largest, 1/4, 1/25 of it:
    the width grows with the square root)."""
    if not arrows:
        return []
    biggest = max(a["persons"] for a in arrows)
    if biggest <= 0:
        return []
    return [{"w": round(1.0 + 5.0 * math.sqrt(share), 2), "label": value_format.format(biggest * share)}
            for share in (1.0, 0.25, 0.04)]


def legend(low: float, high: float, fmt: str = "{:,.1f}") -> list[dict[str, str]]:
    """Colour legend entries from ``low`` to ``high``."""
    n = len(PALETTE)
    if not (math.isfinite(low) and math.isfinite(high)):
        return []
    return [{"colour": c, "label": fmt.format(low + (high - low) * i / (n - 1))} for i, c in enumerate(PALETTE)]


def map_state(values: dict[str, float], *, lang: Lang, open_years: dict[str, float], year: int,
              flows: list[tuple[str, str, float]] | None, value_format: str = "{:,.1f}",
              county_values: dict[str, float] | None = None) -> dict[str, Any]:
    """Everything that changes on the map in one year, as plain JSON for ``ui/map.vue``.

    Args:
        values: the colouring indicator by division (English name).
        lang: language of the labels.
        open_years: opening year by rail line id.
        year: the simulated year.
        flows: ``(origin, destination, persons)`` moves to draw, or ``None`` to hide flows.
        value_format: how values are written in tooltips and the legend.
        county_values: the colouring indicator by county (``region`` label) for the county view: the counties
            are coloured (and the legend spans them), the divisions drawn as outlines on top.
    """
    if county_values is not None:
        finite = [v for v in county_values.values() if v is not None and math.isfinite(v)]
        low, high = (min(finite), max(finite)) if finite else (float("nan"), float("nan"))
        state = map_state(values, lang=lang, open_years=open_years, year=year, flows=flows,
                          value_format=value_format)
        state["county_colours"] = {k: colour_for(v, low, high) for k, v in county_values.items()}
        state["county_tooltips"] = {k: f"{k}: " + (value_format.format(v) if math.isfinite(v) else "-")
                                    for k, v in county_values.items()}
        state["legend"] = legend(low, high, value_format) if finite else []
        return state
    finite = [v for v in values.values() if v is not None and math.isfinite(v)]
    low, high = (min(finite), max(finite)) if finite else (float("nan"), float("nan"))
    arrows = flow_arrows(flows) if flows else []
    for a in arrows:  # the value on hover (an SVG <title>)
        a["title"] = f"{_place(a['origin'], lang)} → {_place(a['destination'], lang)}: {a['persons']:,.0f}"
    return {
        "colours": {k: colour_for(v, low, high) for k, v in values.items()},
        "tooltips": {k: f"{short_division_label(k, lang)}: " + (value_format.format(v) if math.isfinite(v) else "-")
                     for k, v in values.items()},
        "labels": {s["id"]: short_division_label(s["id"], lang) for s in division_shapes()},
        "rails": rail_lines(open_years, year),
        "arrows": arrows,
        "flow_legend": flow_legend(arrows, value_format="{:,.0f}"),
        "legend": legend(low, high, value_format) if finite else [],
        "outside": dict(zip(("x", "y"), project(*OUTSIDE_POINT), strict=True)),
        "county_colours": {},
        "county_tooltips": {},
    }
