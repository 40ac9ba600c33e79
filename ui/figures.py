"""The page's charts: which indicators, which plan targets and which observations each one shows.

Targets are read from the plan table (``sim.data.load_plan_indicators``) and observations from the data
files, so the charts show the same numbers as the rest of the project.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sim.data import load_plan_indicators, load_province_series, load_province_totals_2010, observed_urbanization_rate
from sim.plan_targets import PLAN_TARGETS
from sim.years import PLAN_YEARS
from ui.charts import COLOURS, Band, ChartData, Series, Target, fan
from ui.i18n import Lang, tr

SeriesSource = Callable[[str, str], tuple[Sequence[int], Sequence[float]]]

#: Plan indicator rows (``plan_indicators.csv`` column ``id``) that correspond to a model indicator.
PLAN_ROWS = {t.indicator: t.plan_id for t in PLAN_TARGETS if t.transform == "level"}


def parse_target(text: object) -> float:
    """The number in a plan cell such as ``63``, ``<5.5``, ``about 2.4`` or ``>=10000`` (NaN if none)."""
    if text is None:
        return float("nan")
    match = re.search(r"-?\d+(?:\.\d+)?", str(text).replace(",", ""))
    return float(match.group()) if match else float("nan")


@functools.cache
def plan_targets() -> dict[str, list[tuple[int, float]]]:
    """Plan targets by model indicator: ``[(2025, value), (2035, value)]`` where the plan gives one."""
    plan = load_plan_indicators()
    out: dict[str, list[tuple[int, float]]] = {}
    for indicator, row_id in PLAN_ROWS.items():
        row = plan[plan["id"].astype(str) == str(row_id)]
        if row.empty:
            continue
        pts = [(year, parse_target(row.iloc[0][f"target_{year}"])) for year in PLAN_YEARS]
        out[indicator] = [(y, v) for y, v in pts if math.isfinite(v)]
    return out


@functools.cache
def plan_values_2020() -> dict[str, float]:
    """The plan's 2020 values (observations) by model indicator."""
    plan = load_plan_indicators()
    out = {}
    for indicator, row_id in PLAN_ROWS.items():
        row = plan[plan["id"].astype(str) == str(row_id)]
        if not row.empty:
            v = parse_target(row.iloc[0]["value_2020"])
            if math.isfinite(v):
                out[indicator] = v
    return out


@functools.cache
def observed_registered_minus_resident() -> dict[int, float]:
    """Registered minus resident population (persons): 2010 census totals and the 2020 provincial series."""
    out = {}
    t = load_province_totals_2010()
    out[2010] = t["registered_population"] - t["population"]
    s = load_province_series()
    for year in sorted(set(s.year.astype(int))):
        rows = s[s.year == year].set_index("indicator")["value"]
        if "hukou_population" in rows and "resident_population" in rows:
            out[year] = (float(rows["hukou_population"]) - float(rows["resident_population"])) * 1e4  # 10k persons
    return out


@dataclass(frozen=True)
class ChartDef:
    """A chart of the main page: its title key and the indicators drawn (indicator, legend key, scale)."""

    key: str
    title_key: str
    lines: tuple[tuple[str, str, float], ...]
    y_format: str = "{:,.1f}"


MAIN_CHARTS: tuple[ChartDef, ...] = (
    ChartDef("urbanization", "chart_urbanization", (("urbanization_rate", "series_simulated", 1.0),), "{:,.0f}"),
    ChartDef("hukou", "chart_hukou", (("urbanization_rate", "series_resident", 1.0),
                                      ("hukou_urbanization_rate", "series_hukou", 1.0)), "{:,.0f}"),
    ChartDef("czt", "chart_czt", (("czt_urban_share", "series_simulated", 1.0),), "{:,.0f}"),
    ChartDef("income", "chart_income", (("urban_rural_income_ratio", "series_simulated", 1.0),), "{:,.2f}"),
    ChartDef("unemployment", "chart_unemployment", (("urban_unemployment_rate", "series_simulated", 1.0),)),
    ChartDef("outside", "chart_outside", (("outside_hunan_population", "series_outside", 1e-6),
                                          ("registered_minus_resident", "series_reg_minus_res", 1e-6))),
)


@functools.cache
def _observed_urbanization() -> tuple[list[int], list[float]]:
    s = observed_urbanization_rate()
    return [int(y) for y in s.index], [float(v) for v in s.values]


def _observations(chart: ChartDef, lang: Lang) -> list[Series]:
    label = tr("series_observed", lang)
    obs = []
    if chart.key in ("urbanization", "hukou"):
        xs, ys = _observed_urbanization()
        obs.append(Series(label, xs, ys, colour=COLOURS["observed"], dots=True))
    elif chart.key == "outside":
        o = observed_registered_minus_resident()
        obs.append(Series(label + " (" + tr("series_reg_minus_res", lang) + ")", list(o),
                          [v * 1e-6 for v in o.values()],
                          colour=COLOURS["observed"], dots=True))
    else:
        indicator = chart.lines[0][0]
        v2020 = plan_values_2020().get(indicator)
        if v2020 is not None:
            obs.append(Series(label, [2020], [v2020], colour=COLOURS["observed"], dots=True))
    return obs


def _targets(chart: ChartDef) -> list[Target]:
    indicator = chart.lines[0][0]
    return [Target(year, value, f"{value:g} ({year})") for year, value in plan_targets().get(indicator, [])]


def main_chart(chart: ChartDef, source: SeriesSource, lang: Lang) -> ChartData:
    """One chart of the main page, drawn from ``source(indicator, region)``."""
    series = []
    for i, (indicator, label_key, scale) in enumerate(chart.lines):
        xs, ys = source(indicator, "Hunan")
        series.append(Series(tr(label_key, lang), list(xs), [y * scale for y in ys],
                             colour=COLOURS["sim"] if i == 0 else COLOURS["second"]))
    return ChartData(title=tr(chart.title_key, lang), series=series + _observations(chart, lang),
                     targets=_targets(chart), y_format=chart.y_format, target_legend=tr("series_target", lang))


def fan_chart(chart: ChartDef, current: Mapping[str, Sequence[tuple[Sequence[int], Sequence[float]]]],
              baseline: Mapping[str, Sequence[tuple[Sequence[int], Sequence[float]]]], lang: Lang,
              x_range: tuple[int, int] = (2010, 2035)) -> ChartData:
    """A fan chart of every line of a chart: median and 10-90 % band for current levers and baseline.

    A two-line chart (resident and hukou rates; outside Hunan and registered minus resident) draws both of its
    indicators for both arms: the second indicator dashed (main at ffb33fd drew only the first, so the hukou
    rate was never compared).

    Args:
        chart: which chart.
        current: ``(years, values)`` of each replication with the current levers, by indicator.
        baseline: the same for the baseline preset.
        lang: language.
        x_range: years on the x axis.
    """
    years = list(range(x_range[0], x_range[1] + 1))
    series, bands = [], []
    two = len(chart.lines) > 1
    for i, (indicator, label_key, scale) in enumerate(chart.lines):
        for runs_by, key, colour in ((baseline, "series_baseline", COLOURS["baseline"]),
                                     (current, "series_current", COLOURS["current"])):
            aligned = []
            for xs, ys in runs_by.get(indicator, []):
                by_year = dict(zip(xs, ys, strict=False))
                aligned.append([by_year.get(y, float("nan")) * scale for y in years])
            med, lo, hi = fan(aligned)
            if not med:
                continue
            label = tr(key, lang) + (f" · {tr(label_key, lang)}" if two else "")
            series.append(Series(label, years, med, colour=colour, dash=i > 0))
            bands.append(Band("", years, lo, hi, colour=colour))
    return ChartData(title=tr(chart.title_key, lang), series=series + _observations(chart, lang), bands=bands,
                     targets=_targets(chart), x_range=x_range, y_format=chart.y_format,
                     target_legend=tr("series_target", lang))
