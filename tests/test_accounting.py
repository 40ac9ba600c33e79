"""Accounting: every person is in exactly one place, and the books balance exactly every year.

Property-based: hypothesis draws small worlds (scale, seed, behavioural parameters within their declared
ranges) and checks the identities after each step.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.model import HunanModel
from sim.parameters import ModelParameters, parameter_specs

SPECS = parameter_specs()
VARIED = ["review_rate", "taste_scale", "moving_cost_fixed", "home_attachment", "mortality_level",
          "household_split_rate", "outside_wage_premium", "settle_intercept", "buy_rate", "other_province_inflow"]


@st.composite
def small_worlds(draw):
    values = {k: draw(st.floats(SPECS[k]["low"], SPECS[k]["high"], allow_nan=False)) for k in VARIED}
    return {
        "params": ModelParameters().replace(**values),
        "scale": draw(st.sampled_from([20000, 40000, 80000])),
        "seed": draw(st.integers(0, 2**31 - 1)),
        "scenario": draw(st.sampled_from(["baseline", "plan-2021"])),
    }


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(world=small_worlds())
def test_population_changes_only_by_births_deaths_and_border_moves(world):
    m = HunanModel(scenario=world["scenario"], params=world["params"], scale=world["scale"], rng=world["seed"])
    for _ in range(6):
        c = m.households.cols
        in_before = float(c["n_members"][c["loc"] != m.places.outside].sum())
        total_before = m.total_persons()
        m.step()
        c = m.households.cols
        k = m.demography_counts
        in_after = float(c["n_members"][c["loc"] != m.places.outside].sum())
        # Hunan: births - deaths + arrivals - departures, exactly
        assert in_after - in_before == k["births"] - k["deaths"] + k["arrivals"] - k["departures"]
        # everyone, everywhere: only births, deaths and arrivals of people registered in other provinces
        total_births = k["births"] + k["births_outside"]
        total_deaths = k["deaths"] + k["deaths_outside"]
        assert m.total_persons() - total_before == total_births - total_deaths + k["other_province_arrivals"]
        # each person is in exactly one place: locations valid, sizes consistent, ids unique
        assert ((c["loc"] >= 0) & (c["loc"] <= m.places.outside)).all()
        assert (c["n_members"] >= 1).all() and (c["n_children"] >= 0).all()
        assert (c["n_children"] <= c["n_members"]).all()
        assert len(np.unique(c["hid"])) == len(c["hid"])
        by_loc = m.households.persons_by_loc()
        assert by_loc.sum() == m.total_persons()
        # the indicator table agrees with the household table
        assert abs(m.indicator("population") - in_after * m.scale) < 1e-6 * max(in_after * m.scale, 1)
