"""Calibration targets: what the model must reproduce for 2010-2020, each with its observed value and source.

The targets follow the pattern-oriented practice of ``MODEL.md`` ("Validation practice"): several patterns at
once, each a *group* of targets whose errors are averaged before the groups are combined, so that the 14
division rates do not outweigh the single income ratio just by being more numerous.

Groups (strength ``primary`` unless said otherwise; the tolerance is the error that counts as "one unit" in the
distance, chosen equal to the project's done-when threshold where there is one):

========================  ====================================================  ===========================
group                     targets                                               tolerance
========================  ====================================================  ===========================
provincial_path           Hunan resident urbanization rate, 2010-2020            0.5 pp (1.0 pp if recalled)
division_urbanization     each division's urbanization rate, 2020 census         2 pp
division_population       each division's share of Hunan's population, 2020      0.5 pp
concentration             Changsha's population share 2010 and 2020, CZT share  0.5 pp (CZT urban share 1 pp)
                          of Hunan's urban population 2020
registered_gap            registered minus resident population 2010 and 2020,   10 % of the observed value
                          Hunan's resident population 2020
income                    urban/rural income ratio 2020                          0.1
registered_elsewhere      each division's residents registered in another        3 pp of residents
                          county of Hunan, 2020 (percent of residents)
registered_other_province each division's residents registered in another       1 pp of residents
                          province, 2020 (percent of residents)
migrant_behaviour (weak)  migrant children in public schools 2017; share of     10 pp, 2 pp
                          out-migrants crossing the provincial border 2017;
                          surveyed urban unemployment 2020
========================  ====================================================  ===========================

No observation after 2020 is used (the plan's base year; later data are held out for validation):
:func:`load_targets` refuses any target dated after :data:`LAST_OBSERVED_YEAR`.

Behavioural evidence that the model does not output (yet) is listed in :data:`UNUSED_EVIDENCE` with the reason,
so that the report can say what was left out.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from dataclasses import asdict, dataclass
from typing import Literal

import pandas as pd

from sim.data import (
    CZT,
    DATA_DIR,
    load_divisions,
    load_plan_indicators,
    load_province_series,
    load_province_totals_2010,
)
from sim.errors import DataError, InputError
from sim.years import LAST_OBSERVED_YEAR, START_YEAR  # LAST_OBSERVED_YEAR: the last year calibration may use


Strength = Literal["primary", "weak"]

#: Weight of each pattern group in the distance, and its strength. Weak groups count a quarter as much:
#: their evidence comes from national surveys, not Hunan's census, and the model's measure is a proxy.
GROUPS: dict[str, tuple[float, Strength]] = {
    "provincial_path": (1.0, "primary"),
    "division_urbanization": (1.0, "primary"),
    "division_population": (1.0, "primary"),
    "concentration": (1.0, "primary"),
    "registered_gap": (1.0, "primary"),
    "income": (1.0, "primary"),
    "registered_elsewhere": (1.0, "primary"),
    "registered_other_province": (1.0, "primary"),
    "migrant_behaviour": (0.25, "weak"),
}

#: Evidence from ``MODEL.md`` not used as a target, with the reason (shown in the report).
UNUSED_EVIDENCE: dict[str, str] = {
    "CMDS 2016: about 30 % of migrants willing to transfer hukou":
        "the model records settlements (a flow), not stated willingness; no comparable output",
    "CMDS 2015-16: long-term stay intention 57-61 %":
        "the model has no stay-intention output",
    "Bai et al. 2018: cumulative return migration about 22 % over 1998-2015":
        "the period starts before the model's 2010 start; return moves are not tracked per migrant cohort",
    "Gu et al. 2020: homestead lowers hukou transfer by about 12 %":
        "used as the sourced parameter homestead_settle_penalty, not as a target",
    "Sustainability 10(9):3169: house prices +0.31 % per 1 % inflow":
        "used as the sourced parameter housing_price_elasticity, not as a target",
    "Census 2020 tenure by division":
        "the model has no tenure indicator in its output table",
    "Hukou-based urbanization rate of Hunan":
        "not found for Hunan (gap in calibration/data/README.md)",
}

_COUNTY_2020 = DATA_DIR / "census" / "hunan_county_census_2020.csv"
_COUNTY_2010 = DATA_DIR / "census" / "hunan_county_census_2010.csv"
_DIVISIONS_CENSUS = DATA_DIR / "divisions_census_2010_2020.csv"
_PROVINCE_SERIES = DATA_DIR / "province_timeseries.csv"
_MIGRATION_FACTS = DATA_DIR / "migration_facts.csv"
_PLAN = DATA_DIR / "plan" / "plan_indicators.csv"
_CENSUS_2020_SOURCE = ("7th census county yearbook via GitHub leiii/census data/census/census_county_2020_v1.xlsx "
                       "@0ba0f1e (calibration/data/census/hunan_county_census_2020.csv, division total rows)")


@dataclass(frozen=True)
class Target:
    """One observed value the model must reproduce.

    Attributes:
        key: unique id ``indicator|region|year``; the summary statistic of the same name is compared with it.
        group: the pattern group (a key of :data:`GROUPS`).
        indicator: a model indicator (``sim.indicators.INDICATORS``) or a derived measure named in
            :func:`simulated_values`.
        region: ``Hunan`` or a division's English name.
        year: year of the observation (at most 2020).
        observed: the observed value, in ``unit``.
        tolerance: the error that counts as one unit in the distance (same unit).
        unit: unit of ``observed``.
        source: where the number comes from (file and original citation).
        confidence: ``sourced`` or ``recalled`` (from the data file), or ``survey`` for national evidence.
        strength: ``primary`` or ``weak``.
    """

    key: str
    group: str
    indicator: str
    region: str
    year: int
    observed: float
    tolerance: float
    unit: str
    source: str
    confidence: str
    strength: Strength

    @property
    def weight(self) -> float:
        """Weight of the target's group in the distance."""
        return GROUPS[self.group][0]


def _target(group: str, indicator: str, region: str, year: int, observed: float, tolerance: float, unit: str,
            source: str, confidence: str = "sourced", key_suffix: str = "") -> Target:
    return Target(key=f"{indicator}|{region}|{year}{key_suffix}", group=group, indicator=indicator, region=region,
                  year=int(year), observed=float(observed), tolerance=float(tolerance), unit=unit, source=source,
                  confidence=confidence, strength=GROUPS[group][1])


def _division_census_source(indicator: str, year: int = 2020) -> str:
    census = pd.read_csv(_DIVISIONS_CENSUS)
    rows = census[(census.indicator == indicator) & census.date_or_year.astype(str).str.startswith(str(year))]
    return f"calibration/data/divisions_census_2010_2020.csv ({indicator}, {year}): {rows.source.iloc[0]}"


def _county_2020_division_rows() -> pd.DataFrame:
    """Division total rows of the 2020 county census, in English, with the three registered-elsewhere columns.

    The division total rows are used rather than sums of the county rows: the county rows omit development
    zones (e.g. Xiangtan's county rows sum to 279,947 persons fewer than its division row), so their sums
    would understate every count.
    """
    cols = {"区划代码": "adcode", "人口数_合计": "population",
            "户口登记地在外乡镇街道人口_本省其他县": "registered_other_county",
            "户口登记地在外乡镇街道人口_省外": "registered_other_province"}
    raw = pd.read_csv(_COUNTY_2020)
    missing = [c for c in cols if c not in raw.columns]
    if missing:
        raise DataError(field=missing[0], value="missing column", allowed="the 7th census yearbook columns",
                        source=str(_COUNTY_2020))
    df = raw[list(cols)].rename(columns=cols)
    divs = load_divisions()
    rows = df[df.adcode.isin(divs.adcode)].set_index("adcode").loc[divs.adcode]
    rows.index = divs.division_en
    # the yearbook's division rows must agree with the division table used to build the model
    if not (rows.population.to_numpy() == divs.population_2020.to_numpy()).all():
        raise DataError(field="人口数_合计", value="differs from divisions_census_2010_2020.csv",
                        allowed="the same 2020 resident population per division", source=str(_COUNTY_2020))
    return rows


def _province_series_targets() -> list[Target]:
    series = load_province_series()
    rows = series[series.indicator == "urbanization_rate_resident"].sort_values("year")
    out = []
    for r in rows.itertuples():
        recalled = r.confidence != "sourced"
        out.append(_target("provincial_path", "urbanization_rate", "Hunan", int(r.year), r.value,
                           1.0 if recalled else 0.5, "percent",
                           f"calibration/data/province_timeseries.csv: {r.source}", r.confidence))
    return out


def _division_targets() -> list[Target]:
    divs = load_divisions()
    total_2020 = divs.population_2020.sum()
    census = _county_2020_division_rows()
    src_urban = _division_census_source("urban_resident_population")
    src_pop = _division_census_source("resident_population")
    out = []
    for d in divs.itertuples():
        out.append(_target("division_urbanization", "urbanization_rate", d.division_en, 2020,
                           100 * d.urban_population_2020 / d.population_2020, 2.0, "percent", src_urban))
    for d in divs.itertuples():
        out.append(_target("division_population", "share_of_hunan_population", d.division_en, 2020,
                           100 * d.population_2020 / total_2020, 0.5, "percent of Hunan", src_pop))
    for name, row in census.iterrows():
        out.append(_target("registered_elsewhere", "registered_elsewhere_in_hunan_pct", name, 2020,
                           100 * row.registered_other_county / row.population, 3.0, "percent of residents",
                           _CENSUS_2020_SOURCE + ", column 户口登记地在外乡镇街道人口_本省其他县 / 人口数_合计"))
    for name, row in census.iterrows():
        out.append(_target("registered_other_province", "registered_other_province_pct", name, 2020,
                           100 * row.registered_other_province / row.population, 1.0, "percent of residents",
                           _CENSUS_2020_SOURCE + ", column 户口登记地在外乡镇街道人口_省外 / 人口数_合计"))
    return out


def _concentration_targets() -> list[Target]:
    divs = load_divisions().set_index("division_en")
    out = []
    for year in (2010, 2020):
        pop = divs[f"population_{year}"]
        # Changsha's 2020 share is also a division_population target (same observation): the suffix keeps
        # the keys unique while the concentration pattern keeps its own weight.
        out.append(_target("concentration", "share_of_hunan_population", "Changsha", year,
                           100 * pop["Changsha"] / pop.sum(), 0.5, "percent of Hunan",
                           _division_census_source("resident_population", year),
                           key_suffix="|concentration" if year == 2020 else ""))
    plan = load_plan_indicators().set_index("id")
    # The plan's 2020 CZT share (32.9 %) agrees with the census: (8.30 + 2.78 + 1.75) M / 39.05 M.
    out.append(_target("concentration", "czt_urban_share", "Hunan", 2020, float(plan.loc[5, "value_2020"]), 1.0,
                       "percent of urban population",
                       f"calibration/data/plan/plan_indicators.csv indicator 5 (2020 value); cities {', '.join(CZT)}"))
    return out


def _registered_gap_targets() -> list[Target]:
    totals = load_province_totals_2010()
    gap_2010 = totals["registered_population"] - totals["population"]
    facts = pd.read_csv(_MIGRATION_FACTS)
    row = facts[(facts.indicator == "hukou_minus_resident_population") & (facts.year.astype(str) == "2020")]
    if len(row) != 1:
        raise DataError(field="hukou_minus_resident_population", value="missing for 2020",
                        allowed="one row for 2020", source=str(_MIGRATION_FACTS))
    gap_2020 = float(row.value.iloc[0]) * 1e4  # the file is in 10k persons
    series = load_province_series()
    pop = series[(series.indicator == "resident_population") & (series.year == 2020)]
    out = [
        _target("registered_gap", "registered_minus_resident", "Hunan", 2010, gap_2010, 0.1 * gap_2010, "persons",
                "calibration/data/census/hunan_county_census_2010.csv, province row: 户籍人口 70,780,713 minus "
                "合计 65,700,762 (6th census)"),
        _target("registered_gap", "registered_minus_resident", "Hunan", 2020, gap_2020, 0.1 * gap_2020, "persons",
                f"calibration/data/migration_facts.csv: {row.source.iloc[0]}"),
        _target("registered_gap", "population", "Hunan", 2020, float(pop.value.iloc[0]) * 1e4,
                0.01 * float(pop.value.iloc[0]) * 1e4, "persons",
                f"calibration/data/province_timeseries.csv: {pop.source.iloc[0]}"),
    ]
    return out


def _income_targets() -> list[Target]:
    series = load_province_series()
    urban = series[(series.indicator == "disp_income_per_capita_urban") & (series.year == 2020)]
    rural = series[(series.indicator == "disp_income_per_capita_rural") & (series.year == 2020)]
    ratio = float(urban.value.iloc[0]) / float(rural.value.iloc[0])
    return [_target("income", "urban_rural_income_ratio", "Hunan", 2020, ratio, 0.1, "ratio",
                    f"calibration/data/province_timeseries.csv: urban {urban.value.iloc[0]:,.0f} / rural "
                    f"{rural.value.iloc[0]:,.0f} yuan ({urban.source.iloc[0]})")]


def _weak_targets() -> list[Target]:
    plan = load_plan_indicators().set_index("id")
    return [
        _target("migrant_behaviour", "migrant_children_public_school_share", "Hunan", 2017, 80.0, 10.0, "percent",
                "Ministry of Education 2017: about 80 % of migrant children in compulsory education attend public "
                "schools (national; MODEL.md behavioural evidence)", "survey"),
        _target("migrant_behaviour", "cross_province_share", "Hunan", 2017, 61.0, 10.0,
                "percent of out-migrants",
                "NBS migrant-worker monitoring 2017: about 61 % of out-migrant workers from central provinces cross "
                "a provincial border (MODEL.md); model proxy: outside Hunan / (outside Hunan + registered in "
                "another Hunan county)", "survey"),
        _target("migrant_behaviour", "urban_unemployment_rate", "Hunan", 2020, float(plan.loc[3, "value_2020"]),
                2.0, "percent",
                "calibration/data/plan/plan_indicators.csv indicator 3 (surveyed urban unemployment, 2020 value)",
                "sourced"),
    ]


@functools.cache
def load_targets(fit_until: int = LAST_OBSERVED_YEAR) -> tuple[Target, ...]:
    """All calibration targets observed up to ``fit_until``, in a fixed order (the order of the summary-statistics
    vector).

    Args:
        fit_until: last year whose observations are targets; a backcast fits to an earlier year (issue 20: fit to
            2015, forecast 2016-2020 with :mod:`calibration.validation`). The default keeps every target.

    Raises:
        DataError: if a data file lacks a needed column, or a target would use an observation after 2020.
        InputError: if ``fit_until`` is not a year from 2011 to the last observed year.
    """
    if isinstance(fit_until, bool) or not isinstance(fit_until, int) or not START_YEAR < fit_until <= LAST_OBSERVED_YEAR:
        raise InputError(field="fit_until", value=fit_until, allowed=f"a year from {START_YEAR + 1} to "
                         f"{LAST_OBSERVED_YEAR}", source="calibration targets")
    targets = (_province_series_targets() + _division_targets() + _concentration_targets()
               + _registered_gap_targets() + _income_targets() + _weak_targets())
    keys = [t.key for t in targets]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise DataError(field="key", value=dup, allowed="unique target keys", source="calibration/targets.py")
    for t in targets:
        if t.year > LAST_OBSERVED_YEAR:
            raise DataError(field="year", value=t.year, allowed=f"at most {LAST_OBSERVED_YEAR} (later observations "
                            "are held out)", source=t.source)
        if not math.isfinite(t.observed) or not t.tolerance > 0:
            raise DataError(field=t.key, value=t.observed, allowed="a finite observation and a positive tolerance",
                            source=t.source)
    return tuple(t for t in targets if t.year <= fit_until)


def targets_table(targets: tuple[Target, ...] | None = None) -> pd.DataFrame:
    """The targets as a table (one row per target, with its source), for reports and checks."""
    return pd.DataFrame([asdict(t) | {"weight": t.weight} for t in (targets or load_targets())])


def targets_hash(targets: tuple[Target, ...] | None = None) -> str:
    """A short hash of the targets (keys, observations, tolerances): a resumed run must use the same ones."""
    payload = [(t.key, round(t.observed, 9), round(t.tolerance, 9), t.weight) for t in (targets or load_targets())]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()[:16]


def observed_statistics(targets: tuple[Target, ...] | None = None) -> dict[str, float]:
    """The observed summary statistics ``{key: value}`` (pyabc's ``x_0``)."""
    return {t.key: t.observed for t in (targets or load_targets())}


def simulated_values(indicators: pd.DataFrame, targets: tuple[Target, ...] | None = None) -> dict[str, float]:
    """The simulated counterpart of each target, from a run's tidy indicator table.

    Derived measures (not model indicators):

    * ``registered_elsewhere_in_hunan_pct`` and ``registered_other_province_pct``: the division's residents
      registered in another county of Hunan / another province, as a percent of its residents (the census
      columns divided by the census population);
    * ``cross_province_share``: Hunan-registered people living outside Hunan as a percent of them plus the
      residents registered in another Hunan county (the model's proxy for the NBS share of out-migrants who
      cross a provincial border).

    A target whose value the run lacks (a missing indicator or year) is NaN, which the distance treats as a
    failed fit rather than an error, so a model change that drops an indicator shows up in the report.
    """
    targets = targets or load_targets()
    table = indicators.set_index(["indicator", "region", "year"])["value"]
    table = table[~table.index.duplicated(keep="last")]

    def get(indicator: str, region: str, year: int) -> float:
        return float(table.get((indicator, region, year), math.nan))

    out: dict[str, float] = {}
    for t in targets:
        if t.indicator in ("registered_elsewhere_in_hunan_pct", "registered_other_province_pct"):
            count = get(t.indicator.removesuffix("_pct"), t.region, t.year)
            value = 100 * count / get("population", t.region, t.year)
        elif t.indicator == "cross_province_share":
            outside = get("outside_hunan_population", t.region, t.year)
            value = 100 * outside / (outside + get("registered_elsewhere_in_hunan", t.region, t.year))
        else:
            value = get(t.indicator, t.region, t.year)
        out[t.key] = value if math.isfinite(value) else math.nan
    return out


def standardized_errors(simulated: dict[str, float], targets: tuple[Target, ...] | None = None,
                        observed: dict[str, float] | None = None) -> dict[str, float]:
    """``(simulated - observed) / tolerance`` per target key (NaN where the simulation lacks a value).

    Args:
        simulated: simulated values by target key.
        targets: the targets (default: :func:`load_targets`).
        observed: observed values by key (default: each target's ``observed``; pyabc passes its stored ``x_0``).
    """
    targets = targets or load_targets()
    obs = observed or {t.key: t.observed for t in targets}
    return {t.key: (float(simulated.get(t.key, math.nan)) - float(obs[t.key])) / t.tolerance for t in targets}


def pattern_distance(simulated: dict[str, float], targets: tuple[Target, ...] | None = None,
                     observed: dict[str, float] | None = None) -> float:
    """The calibration distance: a weighted root-mean-square of standardized errors, averaged within groups.

    ``d = sqrt( Σ_g W_g · mean_{i in g} z_i² / Σ_g W_g )`` with ``z_i = (sim_i - obs_i) / tol_i``; ``d = 1``
    means that the targets are off by one tolerance on average. A missing or non-finite simulated value gives
    ``inf`` (the particle is rejected).
    """
    mean_sq = group_mean_squares(simulated, targets, observed)
    if not all(math.isfinite(v) for v in mean_sq.values()):
        return math.inf
    total = sum(GROUPS[g][0] * v for g, v in mean_sq.items())
    weight = sum(GROUPS[g][0] for g in mean_sq)
    return math.sqrt(total / weight)


def group_mean_squares(simulated: dict[str, float], targets: tuple[Target, ...] | None = None,
                       observed: dict[str, float] | None = None) -> dict[str, float]:
    """Mean squared standardized error of each pattern group (NaN for a group with a missing value)."""
    targets = targets or load_targets()
    z = standardized_errors(simulated, targets, observed)
    by_group: dict[str, list[float]] = {}
    for t in targets:
        by_group.setdefault(t.group, []).append(z[t.key] ** 2)
    return {g: sum(v) / len(v) for g, v in by_group.items()}
