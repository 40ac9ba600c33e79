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
