"""Calibration targets: sources, no observation after 2020, the published values, the distance."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from calibration.targets import (
    GROUPS,
    LAST_OBSERVED_YEAR,
    load_targets,
    observed_statistics,
    pattern_distance,
    simulated_values,
    targets_table,
)
from sim.data import division_names


@pytest.fixture(scope="module")
def targets():
    return load_targets()


def test_every_target_has_a_source_and_no_year_after_2020(targets):
    table = targets_table(targets)
    assert len(table) == len(targets) > 60
    assert table.source.str.len().min() > 20
    assert (table.year <= LAST_OBSERVED_YEAR).all()
    assert table.key.is_unique
    assert set(table.group) == set(GROUPS)
    assert (table.tolerance > 0).all()


def test_targets_cover_the_issue_list(targets):
    keys = {t.key for t in targets}
    assert {f"urbanization_rate|Hunan|{y}" for y in range(2010, 2021)} <= keys
    for name in division_names():
        for ind in ("urbanization_rate", "share_of_hunan_population", "registered_elsewhere_in_hunan_pct",
                    "registered_other_province_pct"):
            assert f"{ind}|{name}|2020" in keys


def test_published_values(targets):
    obs = observed_statistics(targets)
    assert obs["urbanization_rate|Hunan|2010"] == pytest.approx(43.3)
    assert obs["urbanization_rate|Hunan|2020"] == pytest.approx(58.76)
    assert obs["share_of_hunan_population|Changsha|2010"] == pytest.approx(10.72, abs=0.01)
    assert obs["share_of_hunan_population|Changsha|2020|concentration"] == pytest.approx(15.12, abs=0.01)
    assert obs["registered_minus_resident|Hunan|2010"] == pytest.approx(5.08e6, rel=0.002)
    assert obs["registered_minus_resident|Hunan|2020"] == pytest.approx(6.556e6, rel=0.001)
    assert obs["urban_rural_income_ratio|Hunan|2020"] == pytest.approx(41698 / 16585)
    # the census 2020 division rows: Changsha 3,086,381 registered in another Hunan county of 10,047,914
    assert obs["registered_elsewhere_in_hunan_pct|Changsha|2020"] == pytest.approx(100 * 3086381 / 10047914)
    shares = [obs[f"share_of_hunan_population|{n}|2020"] for n in division_names()]
    assert sum(shares) == pytest.approx(100.0)


def test_weak_targets_are_marked_and_weigh_less(targets):
    weak = [t for t in targets if t.strength == "weak"]
    assert {t.indicator for t in weak} >= {"migrant_children_public_school_share", "cross_province_share"}
    assert all(t.weight < 1 for t in weak)


def _indicator_table(targets, shift: float = 0.0) -> pd.DataFrame:
    """A tidy indicator table whose values reproduce every target (plus ``shift`` on the urbanization rates)."""
    rows = []
    pops = {}
    for t in targets:
        if t.indicator == "share_of_hunan_population":
            rows.append((t.year, t.region, t.indicator, t.observed))
        elif t.indicator.endswith("_pct"):
            pops.setdefault(t.region, 1e6)
            rows.append((t.year, t.region, t.indicator.removesuffix("_pct"), t.observed / 100 * 1e6))
        elif t.indicator == "cross_province_share":
            rows.append((t.year, "Hunan", "outside_hunan_population", t.observed))
            rows.append((t.year, "Hunan", "registered_elsewhere_in_hunan", 100 - t.observed))
        else:
            value = t.observed + (shift if t.indicator == "urbanization_rate" else 0.0)
            rows.append((t.year, t.region, t.indicator, value))
    rows += [(2020, region, "population", p) for region, p in pops.items()]
    return pd.DataFrame(rows, columns=["year", "region", "indicator", "value"])


def test_simulated_values_read_back_a_perfect_table_and_distance_is_zero(targets):
    sim = simulated_values(_indicator_table(targets), targets)
    for t in targets:
        assert sim[t.key] == pytest.approx(t.observed), t.key
    assert pattern_distance(sim, targets) == pytest.approx(0.0, abs=1e-9)


def test_distance_grows_with_error_and_missing_values_reject(targets):
    d1 = pattern_distance(simulated_values(_indicator_table(targets, 1.0), targets), targets)
    d2 = pattern_distance(simulated_values(_indicator_table(targets, 2.0), targets), targets)
    assert 0 < d1 < d2
    table = _indicator_table(targets)
    table = table[table.indicator != "urban_rural_income_ratio"]
    sim = simulated_values(table, targets)
    assert math.isnan(sim["urban_rural_income_ratio|Hunan|2020"])
    assert pattern_distance(sim, targets) == math.inf


def test_a_backcast_fits_only_the_targets_observed_up_to_its_year() -> None:
    from sim.errors import InputError

    every = load_targets()
    early = load_targets(2015)
    assert early and all(t.year <= 2015 for t in early)
    assert [t for t in every if t.year <= 2015] == list(early)  # same targets, same order
    assert len(early) < len(every) and any(t.year == 2020 for t in every)
    assert load_targets(2020) == every
    for bad in (2010, 2021, True, "2015"):
        with pytest.raises(InputError, match="fit_until"):
            load_targets(bad)
