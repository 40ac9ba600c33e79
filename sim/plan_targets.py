"""The one map from model indicators to the provincial plan's targets.

The plan (``calibration/data/plan/plan_indicators.csv``, Hunan's 14th five-year new-urbanization plan) numbers
its indicators; five of them are model outputs (:data:`sim.indicators.INDICATORS`). The command line's summary,
the UI's charts, the calibration report's projections and a sweep's target attainment all read this table, so
adding or re-numbering a plan indicator is one edit here. (A module of its own rather than inside
``sim/indicators.py`` so that it imports nothing from the model: the UI and reports read it without building one.)
"""

from __future__ import annotations

from typing import Literal, NamedTuple


class PlanTarget(NamedTuple):
    """A plan indicator the model outputs.

    Attributes:
        plan_id: the plan's indicator number (column ``id`` of ``plan_indicators.csv``).
        indicator: the model indicator (a key of :data:`sim.indicators.INDICATORS`).
        transform: how a run's yearly values are compared with the target: ``level`` (the value in the target
            year) or ``sum_5y_10k`` (the sum over the five years ending in the target year, in 10k persons).
        direction: which side of the target meets it (``>=`` a floor, ``<=`` a ceiling).
    """

    plan_id: int
    indicator: str
    transform: Literal["level", "sum_5y_10k"]
    direction: Literal[">=", "<="]


#: The plan indicators the model outputs, in the plan's order.
PLAN_TARGETS: tuple[PlanTarget, ...] = (
    PlanTarget(1, "urbanization_rate", "level", ">="),
    PlanTarget(2, "new_urban_jobs", "sum_5y_10k", ">="),
    PlanTarget(3, "urban_unemployment_rate", "level", "<="),
    PlanTarget(4, "urban_rural_income_ratio", "level", "<="),
    PlanTarget(5, "czt_urban_share", "level", ">="),
)

#: Plan indicator number of each model indicator that has one.
PLAN_ID: dict[str, int] = {t.indicator: t.plan_id for t in PLAN_TARGETS}


class DefinitionDifference(NamedTuple):
    """A plan indicator whose model definition differs from the official statistic the plan's target is set in.

    Attributes:
        plan_ids: the plan's indicator numbers (``plan_indicators.csv``).
        statistic: what the official statistic measures.
        model: what the model's indicator measures, and what follows for comparing it with the target.
        documented: where the difference is documented.
    """

    plan_ids: tuple[int, ...]
    statistic: str
    model: str
    documented: str


#: Model indicators that stand for a plan indicator but are not measured the way the statistic is: a report
#: comparing them with the plan's targets says so (experiments/report.py). Indicators not listed here are
#: defined as the statistic is (docs/ODD.md 3.4.8 and section 5).
DEFINITION_DIFFERENCES: dict[str, DefinitionDifference] = {
    "urban_unemployment_rate": DefinitionDifference(
        (3,), "城镇调查失业率, the surveyed urban unemployment rate of the labour-force survey",
        "unemployed workers / workers (adults) of the non-farming households in Hunan's cities, counted from the "
        "model's labour market (movers into a city arrive unemployed), not sampled as the survey samples; only "
        "its level is fitted to the surveyed rate (mean of 2018 and 2020, through labour_demand_growth), so its "
        "response to a policy is the model's, not the survey's, and a probability of meeting the < 5.5 % target "
        "inherits the difference",
        "docs/ODD.md 3.4.8 (Indicators) and 1.1 (Level fits, issue 18)"),
    "cities_over_1m": DefinitionDifference(
        (12, 13), "cities counted by 城区人口 (urban-district population)",
        "central cities and county towns counted by all their urban residents (城镇人口), a broader measure",
        "sim/indicators.py INDICATORS and docs/ODD.md section 5"),
    "county_towns_500k_1m": DefinitionDifference(
        (14,), "county towns (县城) counted by 城区人口 (5 by 2025)",
        "county towns counted by all their urban residents (城镇人口), a broader measure",
        "sim/indicators.py INDICATORS and docs/ODD.md section 5"),
    "county_towns_200k_500k": DefinitionDifference(
        (15,), "county towns (县城) counted by 城区人口 (31 by 2025)",
        "county towns counted by all their urban residents (城镇人口), a broader measure",
        "sim/indicators.py INDICATORS and docs/ODD.md section 5"),
}


def definition_warning(indicator: str) -> str:
    """One line warning that ``indicator``'s model definition differs from the plan's statistic ('' if not)."""
    d = DEFINITION_DIFFERENCES.get(indicator)
    if d is None:
        return ""
    ids = ", ".join(str(i) for i in d.plan_ids)
    return (f"**Definition differs**: `{indicator}` (plan indicator {ids}): the plan's statistic is {d.statistic}; "
            f"the model measures {d.model} (see {d.documented}).")
