"""Experiment files: the shipped ones load and expand to the intended designs; bad ones fail with clear errors."""

from __future__ import annotations

import json
import tomllib
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiments.spec import EXPERIMENT_DIR, experiment_from_dict, load_experiment, parse_override
from sim.errors import InputError
from sim.parameters import LEVERS, parameter_names, parameter_specs

SHIPPED = sorted(p.stem for p in EXPERIMENT_DIR.glob("*.toml"))


def _load(name: str, *overrides: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the posterior fallback note
        return load_experiment(name, overrides=overrides)


def test_the_brief_s_experiments_are_shipped():
    assert {"plan-vs-baseline", "hukou-housing", "permit-services", "transport", "sensitivity-morris",
            "sensitivity-sobol"} <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_experiment_loads_and_plans(name):
    exp = _load(name)
    plan = exp.plan()
    assert len(plan) == exp.n_runs > 0
    assert [p.spec.run_index for p in plan] == list(range(len(plan)))
    assert len({p.spec.seed for p in plan}) == len({(p.spec.uncertainty_point, p.spec.replicate) for p in plan}) \
        if exp.common_random_numbers else len(plan)


def test_hukou_housing_is_a_4x4x2_grid_at_scale_100():
    exp = _load("hukou-housing")
    assert exp.scale == 100 and exp.replications == 2 and exp.lever_design == "full_factorial"
    points = exp.lever_points()
    assert len(points) == 16 and exp.n_runs >= 32
    assert {p["changsha_settlement"] for p in points} == {"strict", "rules_2020", "rental_ok", "open"}
    assert {p["public_rental_units_per_year"] for p in points} == {0.0, 600.0, 3000.0, 10000.0}
    # the settlement bundle applies to Changsha only, from the plan's first year
    run = exp.plan()[-1]
    changsha = run.scenario.policy(2025).city("settlement_min_years")
    assert run.spec.levers["changsha_settlement"] == "open" and changsha[0] == 0


def test_transport_varies_shaoyong_opening_and_czt_metro():
    exp = _load("transport")
    points = exp.lever_points()
    assert {(p["open_year_shaoyong"], p["czt_metro_operation"]) for p in points} == \
        {(2027, False), (2027, True), (9999, False), (9999, True)}
    run = next(p for p in exp.plan() if p.spec.levers == {"open_year_shaoyong": 2027, "czt_metro_operation": True})
    assert run.scenario.policy(2030)["open_year_shaoyong"] == 2027
    assert run.scenario.policy(2030)["czt_metro_operation"] == 1.0


def test_sensitivity_designs_have_salib_sizes():
    morris = _load("sensitivity-morris")
    d = len(parameter_names())
    assert morris.n_runs == 10 * (d + 1)
    sobol = _load("sensitivity-sobol")
    assert sobol.n_runs == 128 * (8 + 2)
    # every point lies inside the declared ranges (SALib's Morris top level overshoots by an ulp otherwise)
    specs = parameter_specs()
    for point in morris.uncertainty_points():
        for k, v in point.items():
            assert specs[k]["low"] <= v <= specs[k]["high"]


def test_plan_vs_baseline_compares_both_scenarios_on_the_same_draws():
    exp = _load("plan-vs-baseline")
    assert exp.scenarios == ("baseline", "plan-2021")
    plan = exp.plan()
    half = len(plan) // 2
    for a, b in zip(plan[:half], plan[half:], strict=True):
        assert a.spec.uncertainties == b.spec.uncertainties
        assert a.spec.seed == b.spec.seed  # common random numbers


def test_levers_and_uncertainties_are_kept_apart():
    exp = _load("plan-vs-baseline")
    run = exp.plan()[0]
    assert set(run.spec.uncertainties) <= set(parameter_names())
    assert not set(run.spec.levers) & set(parameter_names())


# --------------------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------------------

BASE = 'name = "t"\nmaster_seed = 1\nscenarios = ["baseline"]\n'
BAD = [
    ("colour = 1", "colour", "keys"),
    ("scale = 0.5", "scale", "from 1 to 100,000"),
    ("replications = 0", "replications", "from 1 to 1000"),
    ("[levers.no_such_lever]\nvalues = [1]", "levers.no_such_lever", "a lever"),
    ("[levers.settlement_min_years]\nvalues = [0, 11]", "levers.settlement_min_years.values[1]", "0 to 10"),
    ("[levers.settlement_requires_job]\nvalues = [0, 1]", "levers.settlement_requires_job.values[0]", "true or false"),
    ("[levers.settlement_min_years]\nrange = [0, 5]", "levers.settlement_min_years.range", "full factorial"),
    ("[levers]\ndesign = \"sobol\"\nn = 10\n[levers.permit_health_share]\nrange = [0.0, 1.0]", "levers.n",
     "power of two"),
    ("[levers]\ndesign = \"grid\"", "levers.design", "full_factorial"),
    ("[levers.czt_mutual_recognition]\ncities = [\"Changsha\"]\nvalues = [true]",
     "levers.czt_mutual_recognition.cities", "province-wide"),
    ("[levers.x]\ncities = [\"Paris\"]\nlever = \"settlement_min_years\"\nvalues = [1]", "levers.x.cities",
     "division names"),
    ("[uncertainties]\ndesign = \"latin_hypercube\"\nparameters = [\"nope\"]\nn = 4", "uncertainties.parameters",
     "parameters"),
    ("[uncertainties]\ndesign = \"latin_hypercube\"\nparameters = [\"taste_scale\"]\nn = 4\n"
     "[uncertainties.ranges]\ntaste_scale = [0.0, 9.0]", "uncertainties.ranges.taste_scale", "declared range"),
    ("[uncertainties]\ndesign = \"latin_hypercube\"", "uncertainties.n", "number of points"),
    ("[uncertainties]\ndesign = \"posterior\"\nposterior_file = \"missing.json\"", "uncertainties.design",
     "fallback"),
    ("[outputs]\nindicators = [\"happiness\"]", "outputs.indicators", "urbanization_rate"),
    ("[report.discovery]\nindicator = \"urbanization_rate\"", "report.discovery", "min"),
]


@pytest.mark.parametrize(("snippet", "field", "allowed"), BAD)
def test_invalid_file_names_file_field_value_and_allowed(tmp_path, snippet, field, allowed):
    path = tmp_path / "bad.toml"
    path.write_text(BASE + snippet + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_experiment(path)
    message = str(err.value)
    assert str(path) in message
    assert f"field '{field}'" in message
    assert allowed in message


def test_missing_master_seed_is_refused(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('name = "t"\n', encoding="utf-8")
    with pytest.raises(InputError, match="master_seed"):
        load_experiment(path)


def test_unknown_scenario_names_the_experiment_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('master_seed = 1\nscenarios = ["utopia"]\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.toml: field 'scenarios' has value 'utopia'"):
        load_experiment(path)


def test_toml_syntax_error_names_the_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("master_seed = = 1\n", encoding="utf-8")
    with pytest.raises(InputError, match="TOML syntax"):
        load_experiment(path)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(["scale", "replications", "end_year", "master_seed", "policy_from", "scenarios",
                            "common_random_numbers"]),
       value=st.one_of(st.integers(-10, 10**6), st.floats(allow_nan=True), st.booleans(), st.text(max_size=5),
                       st.lists(st.integers(), max_size=2)))
@pytest.mark.slow
def test_any_top_level_value_loads_or_raises_input_error(key, value):
    data = {"master_seed": 1, "end_year": 2012, key: value}
    try:
        exp = experiment_from_dict(data, source="fuzz.toml")
    except InputError as err:
        assert "fuzz.toml" in str(err)
    else:
        assert exp.n_runs >= 1


@settings(max_examples=60, deadline=None)
@given(lever=st.sampled_from(sorted(LEVERS)), values=st.lists(
    st.one_of(st.integers(-5, 20000), st.floats(-1, 2, allow_nan=False), st.booleans()), min_size=1, max_size=3))
def test_any_lever_values_load_or_raise_input_error(lever, values):
    data = {"master_seed": 1, "end_year": 2012, "levers": {lever: {"values": values}}}
    try:
        exp = experiment_from_dict(data, source="fuzz.toml")
    except InputError as err:
        assert "fuzz.toml" in str(err) and lever in str(err)
    else:
        assert len(exp.lever_points()) == len(values)
        for v in values:
            LEVERS[lever].validate(v)


def test_overrides_use_toml_syntax_and_dotted_keys():
    assert parse_override("scale=1000") == {"scale": 1000}
    assert parse_override('scenarios=["baseline"]') == {"scenarios": ["baseline"]}
    assert parse_override("uncertainties.n=8") == {"uncertainties": {"n": 8}}
    assert parse_override("name=quick test") == {"name": "quick test"}
    with pytest.raises(InputError, match="--set"):
        parse_override("scale")
    exp = _load("hukou-housing", "scale=5000", "replications=1")
    assert exp.scale == 5000 and exp.n_runs == 16
    assert exp.overrides == ("scale=5000", "replications=1")


# --------------------------------------------------------------------------------------------------------
# posterior draws
# --------------------------------------------------------------------------------------------------------

@pytest.fixture
def posterior(tmp_path) -> Path:
    samples = [{"taste_scale": 0.3 + 0.01 * i, "moving_cost_fixed": 1.0 + 0.02 * i, "_weight": 1} for i in range(30)]
    path = tmp_path / "posterior.json"
    path.write_text(json.dumps({"median": {"taste_scale": 0.45, "moving_cost_fixed": 1.3}, "samples": samples}))
    return path


def _posterior_exp(tmp_path, posterior, n=8, seed=1):
    path = tmp_path / "post.toml"
    path.write_text(f'master_seed = {seed}\nend_year = 2012\n[uncertainties]\ndesign = "posterior"\nn = {n}\n'
                    f'posterior_file = "{posterior.name}"\n', encoding="utf-8")
    return load_experiment(path)


def test_posterior_draws_are_seeded_and_start_from_the_median(tmp_path, posterior):
    a = _posterior_exp(tmp_path, posterior)
    b = _posterior_exp(tmp_path, posterior)
    samples = json.loads(posterior.read_text())["samples"]
    points = a.uncertainty_points()
    assert points == b.uncertainty_points() and len(points) == 8
    assert all({k: s[k] for k in ("taste_scale", "moving_cost_fixed")} in [
        {k: v for k, v in q.items() if not k.startswith("_")} for q in samples] for s in points)
    assert a.base_parameters().taste_scale == 0.45
    assert a.plan()[0].params.taste_scale == points[0]["taste_scale"]
    c = _posterior_exp(tmp_path, posterior, seed=2)
    assert c.uncertainty_points() != points


def test_posterior_with_an_unknown_parameter_is_refused(tmp_path):
    path = tmp_path / "posterior.json"
    path.write_text(json.dumps({"median": {}, "samples": [{"tast_scale": 0.4}]}))
    with pytest.raises(InputError, match="tast_scale"):
        _posterior_exp(tmp_path, path).uncertainty_points()


def test_missing_posterior_uses_the_fallback_with_a_warning(tmp_path):
    path = tmp_path / "fb.toml"
    path.write_text('master_seed = 3\nend_year = 2012\n[uncertainties]\ndesign = "posterior"\n'
                    'posterior_file = "nowhere.json"\n[uncertainties.fallback]\ndesign = "latin_hypercube"\nn = 5\n'
                    'parameters = ["taste_scale"]\n', encoding="utf-8")
    with pytest.warns(UserWarning, match="does not exist yet"):
        exp = load_experiment(path)
    assert exp.uncertainty.design == "latin_hypercube" and len(exp.uncertainty_points()) == 5


def test_shipped_files_parse_with_stdlib_tomllib():
    for name in SHIPPED:
        with (EXPERIMENT_DIR / f"{name}.toml").open("rb") as fh:
            assert isinstance(tomllib.load(fh), dict)
