"""The model as an EMA Workbench model, driven by EMA's own SequentialEvaluator on a tiny design."""

from __future__ import annotations

import numpy as np
import pytest
from ema_workbench import SequentialEvaluator, perform_experiments

from experiments.ema import build_model, hunan_model
from sim.errors import InputError

TINY = {"scale": 50000, "end_year": 2012, "outcomes": [("urbanization_rate", 2012), ("hukou_gap", 2012)]}


def _run(model, **kwargs):
    with SequentialEvaluator(model) as evaluator:
        return perform_experiments(model, evaluator=evaluator, uncertainty_sampling_kwargs={"rng": 1},
                                   lever_sampling_kwargs={"rng": 2}, **kwargs)


def test_ema_runs_a_tiny_design_reproducibly():
    model = build_model(uncertainties={"taste_scale": (0.3, 1.0)}, levers=["permit_schooling_share"],
                        policy_from=2011, **TINY)
    experiments, outcomes = _run(model, scenarios=2, policies=1)
    assert len(experiments) == 2 and set(outcomes) == {"urbanization_rate_2012", "hukou_gap_2012"}
    assert np.all(np.isfinite(outcomes["urbanization_rate_2012"]))
    assert experiments["taste_scale"].between(0.3, 1.0).all()
    again = _run(build_model(uncertainties={"taste_scale": (0.3, 1.0)}, levers=["permit_schooling_share"],
                             policy_from=2011, **TINY), scenarios=2, policies=1)[1]
    np.testing.assert_array_equal(outcomes["urbanization_rate_2012"], again["urbanization_rate_2012"])


def test_replications_give_the_mean_over_derived_seeds():
    model = build_model(uncertainties=["taste_scale"], replications=2, master_seed=4, **TINY)
    _, outcomes = _run(model, scenarios=1)
    seeds = [r["seed"] for r in model.replications]
    singles = [hunan_model(taste_scale=float(_run(model, scenarios=1)[0]["taste_scale"][0]), seed=s,
                           scale=TINY["scale"], end_year=2012, outcome_spec="urbanization_rate:2012")
               ["urbanization_rate_2012"] for s in seeds]
    assert all(type(s) is int for s in seeds) and seeds[0] != seeds[1]
    assert outcomes["urbanization_rate_2012"][0] == pytest.approx(np.mean(singles))


def test_declarations_generate_the_ema_parameters():
    model = build_model(levers=["czt_metro_operation", "settlement_housing_condition", "settlement_min_years"])
    names = {p.name: type(p).__name__ for p in model.levers}
    assert names == {"czt_metro_operation": "BooleanParameter", "settlement_housing_condition": "CategoricalParameter",
                     "settlement_min_years": "IntegerParameter"}
    assert len(model.uncertainties) > 40  # every behavioural parameter by default


@pytest.mark.parametrize("kwargs", [{"uncertainties": ["nope"]}, {"levers": ["nope"]},
                                    {"uncertainties": {"taste_scale": (0.0, 99.0)}},
                                    {"levers": ["open_year_shaoyong"]}, {"outcomes": [("happiness", 2025)]}])
def test_unknown_or_out_of_range_declarations_are_input_errors(kwargs):
    with pytest.raises(InputError):
        build_model(**kwargs)


# --------------------------------------------------------------------------------------------------------
# issue 15: time series, regions, labelled categories, replications kept; a hand-written model needs no adapter
# --------------------------------------------------------------------------------------------------------

SERIES_END = 2022


def handwritten(settlement_min_years=0, taste_scale=1.0, seed=1):
    """An analyst's own EMA model function: run_simulation as the README shows it, nothing else."""
    from sim.run import run_simulation

    result = run_simulation(scale=50000, seed=seed, end_year=SERIES_END, taste_scale=taste_scale,
                            levers={"settlement_min_years": settlement_min_years})
    df = result.indicators
    hunan = df[(df.region == "Hunan") & (df.indicator == "settled_migrants")].sort_values("year")
    return {"settled": hunan.value.to_numpy()}


def test_a_handwritten_model_with_an_integer_lever_and_a_time_series_runs_without_the_adapter():
    from ema_workbench import IntegerParameter, Model, RealParameter, TimeSeriesOutcome

    from sim.years import LAST_OBSERVED_YEAR, POLICY_START_YEAR, START_YEAR

    model = Model("handwritten", function=handwritten)
    model.uncertainties = [RealParameter("taste_scale", 0.8, 1.2)]
    model.levers = [IntegerParameter("settlement_min_years", 0, 10)]  # EMA hands these over as np.int64
    model.outcomes = [TimeSeriesOutcome("settled")]
    experiments, outcomes = _run(model, scenarios=1, policies=3)
    series = outcomes["settled"]
    assert series.shape == (3, SERIES_END - START_YEAR + 1) and np.all(np.isfinite(series))
    assert experiments["settlement_min_years"].nunique() == 3
    history = LAST_OBSERVED_YEAR - START_YEAR + 1
    # one parameter point, three lever values: the same history, different policy years
    assert (series[:, :history] == series[0, :history]).all()
    assert len({tuple(row[history:]) for row in series}) > 1
    assert POLICY_START_YEAR == LAST_OBSERVED_YEAR + 1


def test_the_adapter_gives_region_and_time_series_outcomes_and_labelled_levers():
    from sim.years import START_YEAR

    outcomes_spec = [("urbanization_rate", None), ("urbanization_rate", 2012, "Changsha"),
                     ("population", None, "Xiangtan")]
    model = build_model(uncertainties={"taste_scale": (0.8, 1.2)},
                        levers=["settlement_housing_condition", "settlement_min_years"], scale=50000,
                        end_year=2012, policy_from=2011, outcomes=outcomes_spec)
    assert {type(o).__name__ for o in model.outcomes} == {"TimeSeriesOutcome", "ScalarOutcome"}
    experiments, outcomes = _run(model, scenarios=1, policies=3)
    assert set(outcomes) == {"urbanization_rate_series", "urbanization_rate_Changsha_2012",
                             "population_Xiangtan_series"}
    assert outcomes["urbanization_rate_series"].shape == (3, 2012 - START_YEAR + 1)
    # labels, not codes, in the experiments table (and so in PRIM boxes)
    from sim.parameters import LEVERS

    assert set(experiments["settlement_housing_condition"].astype(str)) <= set(LEVERS[
        "settlement_housing_condition"].choices)
    # the region's value is the model's own row
    row = experiments.iloc[0]
    direct = hunan_model(taste_scale=float(row["taste_scale"]), seed=1, scale=50000, end_year=2012, policy_from=2011,
                         settlement_housing_condition=row["settlement_housing_condition"],
                         settlement_min_years=row["settlement_min_years"],
                         outcome_spec="urbanization_rate:2012:Changsha;urbanization_rate:*:Hunan")
    assert outcomes["urbanization_rate_Changsha_2012"][0] == direct["urbanization_rate_Changsha_2012"]
    np.testing.assert_array_equal(outcomes["urbanization_rate_series"][0], direct["urbanization_rate_series"])


def test_per_replication_outcomes_keep_every_replication():
    model = build_model(uncertainties={"taste_scale": (0.8, 1.2)}, scale=50000, end_year=2012, replications=2,
                        master_seed=4, per_replication=True,
                        outcomes=[("urbanization_rate", 2012), ("urbanization_rate", None)])
    _, kept = _run(model, scenarios=2)
    assert set(kept) == {"urbanization_rate_2012_replications", "urbanization_rate_series"}
    assert kept["urbanization_rate_2012_replications"].shape == (2, 2)
    assert kept["urbanization_rate_series"].shape == (2, 2, 3)
    mean = build_model(uncertainties={"taste_scale": (0.8, 1.2)}, scale=50000, end_year=2012, replications=2,
                       master_seed=4, outcomes=[("urbanization_rate", 2012), ("urbanization_rate", None)])
    _, averaged = _run(mean, scenarios=2)
    np.testing.assert_allclose(averaged["urbanization_rate_2012"],
                               kept["urbanization_rate_2012_replications"].mean(axis=1))
    np.testing.assert_allclose(averaged["urbanization_rate_series"], kept["urbanization_rate_series"].mean(axis=1))
