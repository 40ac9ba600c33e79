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
