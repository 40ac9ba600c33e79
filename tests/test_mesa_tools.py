"""HunanModel works with Mesa's own tools: DataCollector and batch_run."""

from __future__ import annotations

import multiprocessing
import re

import mesa
import numpy as np
import pandas as pd
import pytest

from sim.errors import InputError
from sim.model import BY_REGION, HEADLINE, HunanModel, by_region_table


def test_datacollector_has_one_row_per_year():
    m = HunanModel(scale=50000, rng=1, end_year=2013)
    while m.running:
        m.step()
    df = m.datacollector.get_model_vars_dataframe()
    assert list(df.year) == [2010, 2011, 2012, 2013]
    assert (df.urbanization_rate > 0).all()


def test_batch_run_runs_the_model():
    # batch_run forces the "spawn" start method for the whole process (STACK.md): restore it afterwards
    method = multiprocessing.get_start_method(allow_none=True)
    try:
        results = _batch()
    finally:
        multiprocessing.set_start_method(method, force=True)
    assert len(results) == 2
    assert {r["scenario"] for r in results} == {"baseline", "plan-2021"}
    assert all(r["year"] == 2012 for r in results)


def _batch():
    return mesa.batch_run(HunanModel, parameters={"scale": [50000], "end_year": [2012],
                                                     "scenario": ["baseline", "plan-2021"]},
                          number_processes=1, rng=[7], max_steps=5, display_progress=False)


# --------------------------------------------------------------------------------------------------------
# levers and parameters as constructor arguments (issue 15): batch_run sweeps them without a subclass
# --------------------------------------------------------------------------------------------------------

LEVER_SWEEP = [{}, {"permit_schooling_share": 1.0, "settlement_min_years": 0}]


def _restore_start_method(fn):
    method = multiprocessing.get_start_method(allow_none=True)
    try:
        return fn()
    finally:
        multiprocessing.set_start_method(method, force=True)


def test_batch_run_sweeps_a_lever_and_its_effect_starts_at_policy_start():
    from sim.years import LAST_OBSERVED_YEAR, POLICY_START_YEAR

    rows = _restore_start_method(lambda: mesa.batch_run(
        HunanModel, parameters={"levers": LEVER_SWEEP, "scale": 20000, "end_year": POLICY_START_YEAR + 1},
        rng=[1, 2], number_processes=1, max_steps=50, data_collection_period=1, display_progress=False))
    df = pd.DataFrame(rows)
    df["swept"] = df["levers"].map(bool)
    assert sorted(df.year.unique()) == list(range(2010, POLICY_START_YEAR + 2))
    assert set(df.rng) == {1, 2} and set(df.swept) == {False, True}
    value_cols = [c for c in df.columns if c in HEADLINE or c.endswith("_by_region")]
    for rng, runs in df.groupby("rng"):
        base = runs[~runs.swept].set_index("year")[value_cols]
        lever = runs[runs.swept].set_index("year")[value_cols]
        history = list(range(2010, LAST_OBSERVED_YEAR + 1))
        # the calibrated history is the same whatever the lever: the lever is not in force before policy_start
        assert base.loc[history].to_dict() == lever.loc[history].to_dict(), rng
        after = [y for y in base.index if y >= POLICY_START_YEAR]
        assert base.loc[after].to_dict() != lever.loc[after].to_dict(), rng


def test_policy_start_moves_where_the_effect_begins():
    def run(levers, start):
        m = HunanModel(scale=20000, rng=3, end_year=2014, levers=levers, policy_start=start)
        while m.running:
            m.step()
        return m.datacollector.get_model_vars_dataframe().set_index("year")

    base, early = run(None, 2012), run(LEVER_SWEEP[1], 2012)
    assert base.loc[[2010, 2011]].to_dict() == early.loc[[2010, 2011]].to_dict()
    assert base.loc[[2012, 2013, 2014]].to_dict() != early.loc[[2012, 2013, 2014]].to_dict()


def test_parameters_are_constructor_arguments():
    m = HunanModel(scale=50000, rng=1, end_year=2011, taste_scale=1.25, moving_cost_fixed=np.int64(2))
    assert m.params.taste_scale == 1.25 and m.params.moving_cost_fixed == 2.0
    with pytest.raises(InputError) as err:
        HunanModel(scale=50000, rng=1, tast_scale=1.0)
    assert err.value.field == "tast_scale" and "taste_scale" in str(err.value)
    with pytest.raises(InputError) as err:
        HunanModel(scale=50000, rng=1, levers={"permit_schooling_share": 0.5}, policy_start=1999)
    assert err.value.field == "policy_start" and "1999" in str(err.value)


def test_by_region_reporters_give_every_division_as_a_tidy_table():
    from sim.data import division_names

    m = HunanModel(scale=50000, rng=1, end_year=2012)
    while m.running:
        m.step()
    df = m.datacollector.get_model_vars_dataframe()
    regions = set(df.urbanization_rate_by_region.iloc[0])
    counties = regions - set(division_names())
    # every division, and the county-level units the indicator table holds (region "430181 Liuyang")
    assert set(division_names()) <= regions and len(counties) > 100
    assert all(re.fullmatch(r"43\d{4} \S.*", r) for r in counties), sorted(counties)[:5]
    tidy = by_region_table(df)
    assert list(tidy.columns) == ["year", "region", "indicator", "value"]
    assert set(tidy.indicator) == set(BY_REGION)
    assert len(tidy) == sum(len(d) for name in BY_REGION for d in df[f"{name}_by_region"])
    # the reporters hold the model's own indicator rows
    table = m.indicators()
    expect = table[(table.year == 2012) & (table.region == "Changsha") & (table.indicator == "population")].value
    got = tidy[(tidy.year == 2012) & (tidy.region == "Changsha") & (tidy.indicator == "population")].value
    assert got.tolist() == expect.tolist()
