"""The county-level data files: the 2020 unit table, the 2010 -> 2020 crosswalk and the county map.

They must match the census tables code for code (the model joins on the codes), every row must carry its
source, and the points and polygons from one source must agree with each other, with Hunan's extent and with
the independently sourced division map.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "calibration" / "data"
COUNTIES = DATA / "counties" / "hunan_counties_2020.csv"
CROSSWALK = DATA / "counties" / "county_crosswalk_2010_2020.csv"
COUNTY_MAP = DATA / "geo" / "hunan_counties.geojson"
DIVISION_MAP = DATA / "geo" / "hunan_divisions.geojson"

# Hunan spans about 108.8-114.3 E and 24.6-30.1 N; a small margin keeps this a test of gross errors
# (swapped lon/lat, another province, a projected coordinate).
LON_RANGE, LAT_RANGE = (108.5, 114.5), (24.5, 30.3)
KINDS = {"district", "county_city", "county", "autonomous_county", "function_zone"}
CONFIDENCE = {"sourced", "recalled", "gap"}


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _census_units(year: int) -> dict[str, str]:
    """County-level rows of a census table: code -> name (province and division totals left out)."""
    rows = _read(DATA / "census" / f"hunan_county_census_{year}.csv")
    code_col, name_col = ("区划代码", "区县") if year == 2020 else ("区划代码", "地区")
    return {r[code_col]: r[name_col].strip() for r in rows if not r[code_col].endswith("00")}


def _rings(geometry: dict) -> list[list[list[float]]]:
    """All rings (outer and holes) of a Polygon or MultiPolygon."""
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    return [ring for poly in geometry["coordinates"] for ring in poly]


def _contains(geometry: dict, lon: float, lat: float) -> bool:
    """Even-odd ray casting over every ring, so holes are handled without a geometry library."""
    inside = False
    for ring in _rings(geometry):
        for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
            if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
    return inside


def _box(geometry: dict) -> tuple[float, float, float, float]:
    xs = [x for ring in _rings(geometry) for x, _ in ring]
    ys = [y for ring in _rings(geometry) for _, y in ring]
    return min(xs), min(ys), max(xs), max(ys)


def _in_box(box: tuple[float, float, float, float], lon: float, lat: float) -> bool:
    return box[0] <= lon <= box[2] and box[1] <= lat <= box[3]


@pytest.fixture(scope="module")
def counties() -> list[dict[str, str]]:
    return _read(COUNTIES)


@pytest.fixture(scope="module")
def county_map() -> dict:
    return json.loads(COUNTY_MAP.read_text(encoding="utf-8"))


def test_county_table_schema_and_sources(counties):
    required = {"code", "name_zh", "name_en", "division_code", "division_en", "kind", "central_urban",
                "seat_lon", "seat_lat", "seat_datum", "seat_source", "seat_licence", "seat_confidence",
                "has_polygon", "polygon_source", "polygon_licence", "source", "confidence"}
    assert required <= set(counties[0]), required - set(counties[0])
    for r in counties:
        assert len(r["code"]) == 6 and r["code"].isdigit(), r["code"]
        assert r["kind"] in KINDS, (r["code"], r["kind"])
        assert r["central_urban"] in ("True", "False"), (r["code"], r["central_urban"])
        assert r["source"] and r["confidence"] in CONFIDENCE, r["code"]
        assert r["seat_confidence"] in CONFIDENCE, r["code"]
        assert r["name_en"] and r["name_en"].isascii(), (r["code"], r["name_en"])
        assert r["division_code"] == r["code"][:4] + "00", r["code"]
    assert len({r["code"] for r in counties}) == len(counties), "duplicate codes"
    assert len({(r["division_code"], r["name_en"]) for r in counties}) == len(counties), "English names collide"


def test_county_table_matches_the_2020_census(counties):
    census = _census_units(2020)
    assert {r["code"]: r["name_zh"] for r in counties} == census
    divisions = {r["adcode"] for r in _read(DATA / "divisions_census_2010_2020.csv")}
    assert {r["division_code"] for r in counties} <= divisions


def test_kinds_follow_the_names_and_districts_are_central(counties):
    for r in counties:
        name = r["name_zh"]
        expected = ("function_zone" if name.endswith(("示范区", "管理区")) else "district" if name.endswith("区")
                    else "autonomous_county" if name.endswith("自治县") else "county" if name.endswith("县")
                    else "county_city")
        assert r["kind"] == expected, (name, r["kind"])
        if r["kind"] == "district":
            assert r["central_urban"] == "True", name
        if r["kind"] in ("county", "autonomous_county"):
            assert r["central_urban"] == "False", name


def test_seats_are_sourced_points_inside_hunan_or_marked_gap(counties):
    for r in counties:
        if r["seat_confidence"] == "gap":
            assert r["seat_lon"] == r["seat_lat"] == "", r["code"]
            continue
        lon, lat = float(r["seat_lon"]), float(r["seat_lat"])
        assert LON_RANGE[0] < lon < LON_RANGE[1] and LAT_RANGE[0] < lat < LAT_RANGE[1], (r["code"], lon, lat)
        assert r["seat_source"] and r["seat_licence"] and r["seat_datum"], r["code"]


def test_seats_agree_with_the_independent_point_list(counties):
    """Where the second (two-decimal) list has the unit, the two seats lie within 10 km of each other."""
    checked = 0
    for r in counties:
        if r["alt_lon"]:
            assert float(r["alt_minus_primary_km"]) < 10.0, (r["code"], r["name_zh"], r["alt_minus_primary_km"])
            checked += 1
    assert checked >= 110


def test_county_map_matches_the_table(counties, county_map):
    assert COUNTY_MAP.stat().st_size < 1_000_000, "keep the county map light for the UI"
    by_code = {int(r["code"]): r for r in counties}
    feats = county_map["features"]
    codes = [f["properties"]["adcode"] for f in feats]
    assert len(codes) == len(set(codes))
    assert set(codes) == {c for c, r in by_code.items() if r["has_polygon"] == "True"}
    for f in feats:
        p, r = f["properties"], by_code[f["properties"]["adcode"]]
        assert (p["name_zh"], p["name_en"], str(p["division_adcode"])) == (r["name_zh"], r["name_en"],
                                                                         r["division_code"])
        assert f["geometry"]["type"] in ("Polygon", "MultiPolygon")
        for ring in _rings(f["geometry"]):
            assert ring[0] == ring[-1] and len(ring) >= 4
            for lon, lat in ring:
                assert LON_RANGE[0] < lon < LON_RANGE[1] and LAT_RANGE[0] < lat < LAT_RANGE[1], p["adcode"]


def test_each_seat_lies_in_its_county_and_its_division(counties, county_map):
    """The seat is inside its own county polygon and inside its division in the separately sourced division map."""
    polygons = {f["properties"]["adcode"]: f["geometry"] for f in county_map["features"]}
    divisions = {f["properties"]["adcode"]: f["geometry"]
                 for f in json.loads(DIVISION_MAP.read_text(encoding="utf-8"))["features"]}
    boxes = {c: _box(g) for c, g in polygons.items()}
    for r in counties:
        if not r["seat_lon"]:
            continue
        lon, lat = float(r["seat_lon"]), float(r["seat_lat"])
        assert _contains(polygons[int(r["code"])], lon, lat), (r["code"], r["name_zh"])
        assert _contains(divisions[int(r["division_code"])], lon, lat), (r["code"], r["name_zh"])
        others = [c for c, g in polygons.items()
                  if c != int(r["code"]) and _in_box(boxes[c], lon, lat) and _contains(g, lon, lat)]
        assert not others, (r["code"], others)


def test_crosswalk_covers_every_census_code_both_ways():
    links = _read(CROSSWALK)
    c2010, c2020 = _census_units(2010), _census_units(2020)
    assert {r["code_2010"] for r in links} == set(c2010)
    assert {r["code_2020"] for r in links} == set(c2020)
    for r in links:
        assert r["name_2010"] == c2010[r["code_2010"]] and r["name_2020"] == c2020[r["code_2020"]], r
        assert r["change"] in {"unchanged", "unchanged_less_zone", "county_to_district", "county_to_city",
                               "split_off_function_zone"}, r["change"]
        assert r["source"] and r["confidence"] in CONFIDENCE, r
        if r["change"] == "unchanged":
            assert r["code_2010"] == r["code_2020"], r
        if r["change"] in ("county_to_district", "county_to_city"):
            assert r["code_2010"] != r["code_2020"] and r["source"].startswith("http"), r
    shares: dict[str, float] = {}
    for r in links:
        shares[r["code_2010"]] = shares.get(r["code_2010"], 0.0) + float(r["pop_share_2020"])
    assert all(abs(s - 1.0) < 1e-3 for s in shares.values()), shares


def test_crosswalk_names_the_known_changes():
    """The changes the issue names (and 邵东) are in the crosswalk with the right codes."""
    pairs = {(r["code_2010"], r["code_2020"]) for r in _read(CROSSWALK)}
    assert {("430122", "430112"), ("430124", "430182"), ("430221", "430212"), ("430521", "430582")} <= pairs
