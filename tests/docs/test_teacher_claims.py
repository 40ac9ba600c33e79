"""The claims of the classroom walkthrough (docs/guide-teachers.md) hold in the current model.

The guide quotes numbers observed at one commit with the calibrated defaults (posterior medians of
``calibration/posterior.json``); a recalibration or a change of the model will move them. What must not silently
change is what the guide tells students to observe: the direction and rough size of each
effect. Each test below is one sentence of the guide. When one fails, rerun ``python -m docs.lesson_numbers``
and rewrite that activity of the guide.

The runs are the UI's defaults (seed 1, 500 households per agent, levers from 2021), as in
``docs/lesson_numbers.py``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "guide-teachers.md"
OBSERVED_URBANIZATION_2020 = 58.76  # calibration/data/province_timeseries.csv, plan indicator 1
OBSERVED_CZT_SHARE_2020 = 32.9  # calibration/data/plan/plan_indicators.csv, indicator 5
OBSERVED_INCOME_RATIO_2020 = 2.51  # calibration/data/plan/plan_indicators.csv, indicator 4
OBSERVED_UNEMPLOYMENT_2020 = 5.8  # surveyed rate, calibration/data/plan/plan_indicators.csv, indicator 3
#: registered minus resident population 2020 (persons): hukou 7300.11 minus resident 6644.49 (10k persons),
#: calibration/data/province_timeseries.csv
OBSERVED_REGISTERED_MINUS_RESIDENT_2020 = 6.5562e6


def _lesson():
    spec = importlib.util.spec_from_file_location("docs_lesson_numbers", ROOT / "docs" / "lesson_numbers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def lesson():
    return _lesson()


@pytest.fixture(scope="module")
def runs(lesson):
    """Indicator tables of every activity (seven runs to 2035)."""
    return {name: lesson.run_activity(name) for name in lesson.ACTIVITIES}


def value(runs, activity, indicator, region, year):
    df = runs[activity]
    return float(df[(df.indicator == indicator) & (df.region == region) & (df.year == year)].value.iloc[0])


def test_every_activity_of_the_script_is_in_the_guide(lesson):
    text = GUIDE.read_text(encoding="utf-8")
    for name, (_, levers) in lesson.ACTIVITIES.items():
        for lever in levers:
            assert f"`{lever}`" in text, f"activity {name}: lever {lever} is not named in the guide"


def test_a1_the_model_follows_the_provincial_path_2010_2020(runs):
    """Activity 1: 'every year the simulated line stays within 0.7 points of the observed one: a little high until
    2015, a little low afterwards (it rises less than the observed rate over the decade)'. Checked with some
    slack: within one point every year, and a smaller rise than observed."""
    from sim.data import observed_urbanization_rate

    observed = observed_urbanization_rate()
    years = [int(y) for y in observed.index if 2010 <= int(y) <= 2020]
    assert 2010 in years and 2020 in years
    errors = {y: value(runs, "baseline", "urbanization_rate", "Hunan", y) - float(observed[y]) for y in years}
    assert max(abs(e) for e in errors.values()) < 1.0, errors
    assert errors[2010] > 0 > errors[2020], errors


def test_a1_fitted_patterns_match_and_unemployment_stays_below_the_survey(runs):
    """Activity 1: in 2020 the CZT share of the urban population matches the observed 32.9 % (fitted by
    construction through the division place effects), registered minus resident population and the income
    ratio are close to the observed values, and urban unemployment is below the surveyed 5.8 %."""
    assert abs(value(runs, "baseline", "urbanization_rate", "Hunan", 2020) - OBSERVED_URBANIZATION_2020) < 1.0
    assert abs(value(runs, "baseline", "czt_urban_share", "Hunan", 2020) - OBSERVED_CZT_SHARE_2020) < 1.0
    gap = value(runs, "baseline", "registered_minus_resident", "Hunan", 2020)
    assert abs(gap / OBSERVED_REGISTERED_MINUS_RESIDENT_2020 - 1) < 0.10
    assert abs(value(runs, "baseline", "urban_rural_income_ratio", "Hunan", 2020) - OBSERVED_INCOME_RATIO_2020) < 0.1
    assert value(runs, "baseline", "urban_unemployment_rate", "Hunan", 2020) < OBSERVED_UNEMPLOYMENT_2020


def test_a1_division_urbanization_rates_come_close_to_the_census(runs):
    """Activity 1: the divisions' 2020 urbanization rates in their panels are 'within about 2 points for most
    divisions; Xiangxi is 4 points low' (fitted by construction through the division place effects). Checked:
    at least 10 of 14 within 2.5 points, none off by 5 or more."""
    from calibration.targets import load_targets

    census = {t.region: t.observed for t in load_targets() if t.group == "division_urbanization" and t.year == 2020}
    assert len(census) == 14
    errors = {d: value(runs, "baseline", "urbanization_rate", d, 2020) - obs for d, obs in census.items()}
    assert sum(abs(e) < 2.5 for e in errors.values()) >= 10, errors
    assert max(abs(e) for e in errors.values()) < 5, errors


def test_a2_strict_changsha_rules_cut_settlement_but_not_residence(runs):
    """Activity 2: settlement in Changsha falls by about nine tenths, permit holders increase by more than half,
    the hukou gap widens by a few points, and the number of people living in Changsha's city falls by about 1 %."""
    base, strict = "baseline", "changsha_strict"
    assert value(runs, strict, "settled_migrants", "Changsha", 2035) < 0.2 * value(runs, base, "settled_migrants",
                                                                                     "Changsha", 2035)
    assert value(runs, strict, "permit_holders", "Changsha", 2035) > 1.3 * value(runs, base, "permit_holders",
                                                                                  "Changsha", 2035)
    assert value(runs, strict, "hukou_gap", "Hunan", 2035) > value(runs, base, "hukou_gap", "Hunan", 2035) + 1.0
    ratio = value(runs, strict, "urban_population", "Changsha", 2035) / value(runs, base, "urban_population",
                                                                             "Changsha", 2035)
    assert 0.97 < ratio < 1


def test_a2_the_hukou_gap_is_about_20_points_and_widens(runs):
    """Activity 2: 'in the baseline the resident rate is 20 points above the hukou rate in 2020 and 23 points in
    2035'."""
    gap_2020 = (value(runs, "baseline", "urbanization_rate", "Hunan", 2020)
                - value(runs, "baseline", "hukou_urbanization_rate", "Hunan", 2020))
    gap_2035 = value(runs, "baseline", "hukou_gap", "Hunan", 2035)
    assert 15 < gap_2020 < 25
    assert gap_2020 < gap_2035 < 30


def test_a3_public_rental_builds_units_without_moving_market_rents(runs):
    """Activity 3: 1,000 units a year in each of 14 cities are 70,000 units by 2025; market rents stay."""
    assert value(runs, "public_rental", "public_rental_units", "Hunan", 2025) == pytest.approx(1000 * 14 * 5)
    assert value(runs, "public_rental", "public_rental_units", "Changsha", 2025) == pytest.approx(1000 * 5)
    ratio = value(runs, "public_rental", "rent", "Changsha", 2035) / value(runs, "baseline", "rent", "Changsha", 2035)
    assert abs(ratio - 1) < 0.01


def test_a3_land_linked_to_settlers_lowers_rents(runs):
    """Activity 3: a land quota per settler lowers Changsha's market rent, already in 2025 and by about 12 % in
    2035 (checked: between 5 % and 25 %)."""
    ratio = value(runs, "land_quota", "rent", "Changsha", 2035) / value(runs, "baseline", "rent", "Changsha", 2035)
    assert 0.75 < ratio < 0.95
    assert value(runs, "land_quota", "rent", "Changsha", 2025) < value(runs, "baseline", "rent", "Changsha", 2025)


def test_a4_metro_style_czt_rail_changes_nothing(runs):
    """Activity 4: every number is the same as the baseline's (the road is faster than the metro-style rail)."""
    a, b = runs["baseline"], runs["czt_metro"]
    assert a[["year", "region", "indicator"]].equals(b[["year", "region", "indicator"]])
    assert np.array_equal(a.value.to_numpy(), b.value.to_numpy())


def test_a5_the_plan_adds_less_than_a_point_and_brings_2035_to_the_target(runs):
    """Activity 5 (one replication, seed 1): both are about 63 % in 2025; plan-2021 is above the baseline in 2035
    by less than one point (checked: less than two), the baseline below the 72 % target, the plan within a point
    of it."""
    plan = value(runs, "plan_2021", "urbanization_rate", "Hunan", 2035)
    base = value(runs, "baseline", "urbanization_rate", "Hunan", 2035)
    assert base < plan < base + 2
    assert base < 72.0
    assert abs(plan - 72.0) < 1.0
    for arm in ("baseline", "plan_2021"):
        assert abs(value(runs, arm, "urbanization_rate", "Hunan", 2025) - 63.0) < 1.0


def test_a5_the_compare_tab_table(lesson):
    """Activity 5, the Compare tab (median of 3 replications): in 2035 the plan's median is above the baseline's
    and close to 72 %, the baseline's below it; neither reaches the 35 % CZT share in 2025; the income ratio is
    about the plan's 2.4 in both."""
    table = lesson.compare_tab()
    med = {arm: table[f"{arm} median"] for arm in ("baseline", "plan_2021")}
    assert med["baseline"]["urbanization_rate@2035"] < med["plan_2021"]["urbanization_rate@2035"]
    assert med["baseline"]["urbanization_rate@2035"] < 72.0
    assert abs(med["plan_2021"]["urbanization_rate@2035"] - 72.0) < 1.0
    for arm in med:
        assert med[arm]["czt_urban_share@2025"] < 35.0
        assert abs(med[arm]["urban_rural_income_ratio@2025"] - 2.4) < 0.15
