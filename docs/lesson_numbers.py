"""The numbers of the classroom walkthrough (``docs/guide-teachers.md``), computed the way the UI computes them.

Run it before a class to get the values your students will see with the current model::

    .venv/bin/python -m docs.lesson_numbers            # single runs (seed 1, 500 households per agent): ~1 min
    .venv/bin/python -m docs.lesson_numbers --compare  # also the Compare tab (3 replications per arm)

Every activity of the walkthrough is one run: the UI's defaults (preset ``baseline``, seed 1, 500 households
per agent) with the activity's levers changed from 2021, the UI's default "lever changes apply from year". A
lever set for "All cities" in the UI is set for every division here; a lever set for one city is set for that
city only. ``tests/docs/test_teacher_claims.py`` runs the same activities and checks the claims the guide makes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from sim.run import run_simulation  # noqa: E402
from sim.scenario import Scenario  # noqa: E402

#: The UI's defaults (ui/inputs.py DEFAULT_SCALE, ui/session.py seed and DEFAULT_LEVERS_FROM).
SEED, SCALE, LEVERS_FROM, END_YEAR = 1, 500, 2021, 2035

#: Each activity: the preset and the levers changed in the page (``{lever: value}`` for all cities,
#: ``{lever: {city: value}}`` for one city).
ACTIVITIES: dict[str, tuple[str, dict[str, Any]]] = {
    "baseline": ("baseline", {}),
    "changsha_strict": ("baseline", {
        "settlement_min_years": {"Changsha": 5}, "settlement_min_insurance_years": {"Changsha": 5},
        "settlement_housing_condition": {"Changsha": 2}, "settlement_requires_job": {"Changsha": True}}),
    # the UI's sliders move in steps of 1/100 of the range: 1,000 units, 2 m²
    "public_rental": ("baseline", {"public_rental_units_per_year": 1000}),
    "land_quota": ("baseline", {"land_quota_per_settler": 34}),
    "czt_metro": ("baseline", {"czt_metro_operation": True}),
    "plan_2021": ("plan-2021", {}),
}

#: What the walkthrough quotes: (indicator, region, year).
QUOTED: tuple[tuple[str, str, int], ...] = (
    ("urbanization_rate", "Hunan", 2010), ("urbanization_rate", "Hunan", 2020),
    ("hukou_urbanization_rate", "Hunan", 2020), ("czt_urban_share", "Hunan", 2020),
    ("urban_rural_income_ratio", "Hunan", 2020), ("urban_unemployment_rate", "Hunan", 2020),
    ("registered_minus_resident", "Hunan", 2020), ("outside_hunan_population", "Hunan", 2020),
    ("urbanization_rate", "Hunan", 2025), ("urbanization_rate", "Hunan", 2035),
    ("hukou_urbanization_rate", "Hunan", 2035), ("hukou_gap", "Hunan", 2035),
    ("public_rental_units", "Hunan", 2025), ("public_rental_units", "Changsha", 2025),
    ("settled_migrants", "Changsha", 2035), ("permit_holders", "Changsha", 2035),
    ("urban_population", "Changsha", 2035), ("rent", "Changsha", 2025), ("rent", "Changsha", 2035),
)


def scenario_for(activity: str) -> Scenario:
    """The scenario the page runs for an activity: its preset plus the levers from 2021."""
    preset, levers = ACTIVITIES[activity]
    scenario = Scenario.load(preset)
    return scenario.with_levers(levers, from_year=LEVERS_FROM, name=activity) if levers else scenario


def run_activity(activity: str, *, seed: int = SEED, scale: float = SCALE, end_year: int = END_YEAR) -> pd.DataFrame:
    """The indicator table of one activity's run."""
    return run_simulation(scenario=scenario_for(activity), seed=seed, scale=scale, end_year=end_year).indicators


def settled_since_2010(indicators: pd.DataFrame, division: str, year: int) -> float:
    """What the division panel shows as "since 2010": settled persons summed over the years."""
    rows = indicators[(indicators.indicator == "settled_migrants") & (indicators.region == division)
                      & (indicators.year <= year)]
    return float(rows.value.sum())


def quoted_values(indicators: pd.DataFrame) -> dict[str, float]:
    """The quoted numbers of one run, keyed ``indicator@region@year``."""
    out = {}
    for indicator, region, year in QUOTED:
        rows = indicators[(indicators.indicator == indicator) & (indicators.region == region)
                          & (indicators.year == year)]
        out[f"{indicator}@{region}@{year}"] = float(rows.value.iloc[0])
    out["settled_since_2010@Changsha@2035"] = settled_since_2010(indicators, "Changsha", 2035)
    return out


def lesson_table(activities: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Quoted numbers (rows) by activity (columns)."""
    names = activities or tuple(ACTIVITIES)
    return pd.DataFrame({name: quoted_values(run_activity(name)) for name in names})


def compare_tab(activity: str = "plan_2021", n_replications: int = 3) -> pd.DataFrame:
    """What the Compare tab shows for an activity against the baseline: median, 10 % and 90 % quantiles per arm and
    of the paired difference (activity minus baseline), computed by the page's own code (:mod:`ui.compare`)."""
    from ui.compare import difference_runs, run_comparison, summary, values_at

    result = run_comparison(current=scenario_for(activity), baseline=Scenario.load("baseline"), master_seed=SEED,
                            n_replications=n_replications, scale=SCALE, end_year=END_YEAR)
    keys = [("urbanization_rate", 2025), ("urbanization_rate", 2035), ("czt_urban_share", 2025),
            ("urban_rural_income_ratio", 2025), ("urban_unemployment_rate", 2025)]
    rows = []
    for arm, label in (("baseline", "baseline"), ("current", activity), ("difference", "difference")):
        stats: dict[str, dict[str, float]] = {"median": {}, "q10": {}, "q90": {}}
        for indicator, year in keys:
            runs = (difference_runs(result, indicator) if arm == "difference"
                    else result.series(arm, indicator))
            for stat, v in zip(stats, summary(values_at(runs, year)), strict=True):
                stats[stat][f"{indicator}@{year}"] = v
        rows += [pd.Series(stats[stat], name=f"{label} {stat}") for stat in stats]
    return pd.DataFrame(rows).T


def main(argv: list[str] | None = None) -> int:
    """Print the walkthrough's numbers for the current model."""
    parser = argparse.ArgumentParser(prog="python -m docs.lesson_numbers", description=__doc__.splitlines()[0])
    parser.add_argument("--compare", action="store_true", help="also the Compare tab (plan-2021 vs baseline)")
    args = parser.parse_args(argv)
    with pd.option_context("display.width", 250, "display.max_columns", 20, "display.float_format", "{:,.2f}".format):
        print(f"seed {SEED}, {SCALE} households per agent, levers from {LEVERS_FROM}")
        print(lesson_table())
        if args.compare:
            print(compare_tab())
    return 0


if __name__ == "__main__":
    sys.exit(main())
