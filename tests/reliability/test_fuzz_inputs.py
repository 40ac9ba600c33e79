"""Fuzzing scenario files, experiment files and command-line options: one InputError (or argparse's exit 2
naming the option) for anything malformed, never a traceback from inside a library, never a partial file."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim.cli
from experiments.spec import experiment_from_dict, load_experiment, parse_override
from rel_helpers import TINY_EXPERIMENT, files_under
from sim.data import division_names
from sim.errors import InputError
from sim.parameters import LEVERS
from sim.scenario import Scenario

FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

scalars = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=10),
                    st.booleans(), st.sampled_from([2010, 2021, 2035, 0, 9999, 10000, -1, 1.5, 2**63]))
values = st.recursive(scalars, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
                      max_leaves=6)
lever_names = st.sampled_from(list(LEVERS)) | st.text(max_size=8)
cities = st.sampled_from(division_names() + ["长沙市", "Atlantis", "", "changsha"])
blocks = st.fixed_dictionaries({}, optional={
    "from": scalars, "until": scalars, "cities": st.lists(cities | scalars, max_size=3) | values,
    "levers": st.dictionaries(lever_names, scalars, max_size=3) | values,
    "by_city": st.dictionaries(lever_names, st.dictionaries(cities, scalars, max_size=2) | values, max_size=2),
    "source": values, "note": values, "bogus": values})
scenario_docs = st.fixed_dictionaries({}, optional={
    "name": st.text(max_size=8) | values, "description": values, "title_zh": values,
    "extends": st.sampled_from(["baseline", "plan-2021", "nope"]) | values,
    "policy": st.lists(blocks, max_size=3) | values, "surprise": values})


def _check_policy(scenario: Scenario) -> None:
    for year in (2010, 2021, 2035):
        policy = scenario.policy(year)
        for name, lever in LEVERS.items():
            v = policy[name]
            arr = [float(x) for x in (v if hasattr(v, "__len__") else [v])]
            assert all(math.isfinite(x) and lever.low <= x <= lever.high for x in arr), (name, v)


@pytest.mark.slow
@FUZZ
@given(doc=scenario_docs)
def test_fuzz_scenario_from_dict(doc):
    try:
        scenario = Scenario.from_dict(doc, source="fuzz.toml")
    except InputError as exc:
        assert "fuzz.toml" in str(exc) or "scenarios" in str(exc)  # names the file (or the parent it extends)
        return
    _check_policy(scenario)


def test_extends_with_a_nul_byte_is_an_input_error():
    with pytest.raises(InputError):
        Scenario.from_dict({"extends": "a\x00b"}, source="fuzz.toml")


def test_extends_cannot_leave_the_scenarios_folder():
    with pytest.raises(InputError) as info:
        Scenario.from_dict({"extends": "../experiments/hukou-housing"}, source="fuzz.toml")
    assert info.value.field == "extends" and "fuzz.toml" in str(info.value)


@FUZZ
@given(raw=st.binary(max_size=300) | st.text(max_size=300).map(lambda t: t.encode("utf-8")))
def test_fuzz_scenario_file_bytes(raw, tmp_path):
    path = tmp_path / "fuzz.toml"
    path.write_bytes(raw)
    try:
        _check_policy(Scenario.load(path))
    except InputError as exc:
        assert str(path) in str(exc)


def test_a_scenario_path_that_is_a_folder_is_an_input_error(tmp_path):
    folder = tmp_path / "dir.toml"
    folder.mkdir()
    with pytest.raises(InputError):
        Scenario.load(folder)


_BASE = tomllib.loads(TINY_EXPERIMENT)
_PATHS = [("name",), ("scenarios",), ("end_year",), ("scale",), ("replications",), ("master_seed",), ("policy_from",),
          ("common_random_numbers",), ("levers",), ("levers", "design"), ("levers", "n"),
          ("levers", "public_rental_units_per_year"), ("levers", "public_rental_units_per_year", "values"),
          ("levers", "public_rental_units_per_year", "range"), ("levers", "settlement_min_years"),
          ("uncertainties",), ("uncertainties", "design"), ("uncertainties", "n"), ("outputs",),
          ("outputs", "indicators"), ("outputs", "years"), ("report",), ("report", "discovery"), ("bogus",)]


@FUZZ
@given(edits=st.lists(st.tuples(st.sampled_from(_PATHS), values | st.none()), min_size=1, max_size=3))
def test_fuzz_experiment_definition(edits):
    import copy

    doc = copy.deepcopy(_BASE)
    for path, value in edits:
        node = doc
        for key in path[:-1]:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        if value is None:
            node.pop(path[-1], None)
        else:
            node[path[-1]] = value
    try:
        exp = experiment_from_dict(doc, source="fuzz-exp.toml")
    except InputError as exc:
        assert "fuzz-exp.toml" in str(exc) or "scenario" in str(exc)
        return
    assert exp.scale >= 1 and math.isfinite(exp.scale) and exp.replications >= 1


@FUZZ
@given(text=st.text(max_size=40))
def test_fuzz_override_text(text):
    try:
        assert isinstance(parse_override(text), dict)
    except InputError as exc:
        assert exc.field == "--set"


@FUZZ
@given(raw=st.binary(max_size=200))
def test_fuzz_experiment_file_bytes(raw, tmp_path):
    path = tmp_path / "fuzz.toml"
    path.write_bytes(raw)
    with pytest.raises(InputError) as info:  # no valid experiment has fewer than master_seed + …: always refused
        load_experiment(path)
    assert str(path) in str(info.value)


# ---- command line ------------------------------------------------------------------------------------------

class Reached(Exception):
    """The options were accepted and the command reached its work."""


@pytest.fixture
def stubbed(monkeypatch):
    """Replace the heavy work of each command so that accepted options return at once."""
    import calibration.smc
    import experiments.runner
    import sim.run

    def reached(*args, **kwargs):
        raise Reached(kwargs)

    monkeypatch.setattr(sim.run, "run_simulation", reached)
    monkeypatch.setattr(experiments.runner, "run_experiment", reached)
    monkeypatch.setattr(calibration.smc, "run_calibration", reached)


OPTIONS = {"run": ["--end", "--seed", "--scale", "--scenario"],
           "sweep": ["--workers", "--slurm-cores", "--set"],
           "calibrate": ["--particles", "--generations", "--scale", "--seed", "--workers", "--min-epsilon"]}
option_values = st.text(max_size=12) | st.sampled_from(["-1", "0", "nan", "inf", "-inf", "1e400", "1.5", "0x10",
                                                         "", " ", "２", "1_000", "99999999999999999999"])


@FUZZ
@given(command=st.sampled_from(sorted(OPTIONS)), data=st.data())
def test_fuzz_command_line_options(command, data, stubbed, capsys, tmp_path):
    option = data.draw(st.sampled_from(OPTIONS[command]))
    value = data.draw(option_values)
    out = tmp_path / "out"
    argv = {"run": ["run", "--out", str(out)], "sweep": ["sweep", str(_tiny_file(tmp_path)), "--out", str(out)],
            "calibrate": ["calibrate", "--out", str(out), "--no-report", "--posterior", "none"]}[command]
    argv = argv + [f"{option}={value}"]
    try:
        status = sim.cli.main(argv)
    except SystemExit as exc:  # argparse
        assert exc.code == 2
        assert option in capsys.readouterr().err
        status = None
    except Reached as reached:  # accepted: the value handed on must be sane
        kwargs = reached.args[0]
        for key in ("scale",):
            if key in kwargs:
                assert math.isfinite(float(kwargs[key])) and float(kwargs[key]) >= 1, kwargs
        status = None
    else:
        err = capsys.readouterr().err
        assert status == 2 and err.startswith("error: ") and err.count("\n") == 1, err
        assert option in err or "--set" in err or "fuzz" in err or option.strip("-") in err
    assert [f for f in files_under(out) if not f.endswith(".lock")] == []


def _tiny_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.toml"
    if not path.exists():
        path.write_text(TINY_EXPERIMENT, encoding="utf-8")
    return path


def test_run_refuses_an_infinite_scale(capsys):
    with pytest.raises(SystemExit) as info:
        sim.cli.build_parser().parse_args(["run", "--scale", "inf"])
    assert info.value.code == 2 and "--scale" in capsys.readouterr().err


def test_run_out_that_is_a_file_is_refused_before_simulating(tmp_path, stubbed, capsys):
    afile = tmp_path / "afile"
    afile.write_text("keep me")
    status = sim.cli.main(["run", "--out", str(afile)])  # Reached (the simulation started) is the bug
    assert status == 2 and "--out" in capsys.readouterr().err
    assert afile.read_text() == "keep me"


@pytest.mark.parametrize("command", ["sweep", "calibrate"])
def test_sweep_and_calibrate_out_that_is_a_file_is_an_input_error(command, tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("keep me")
    argv = {"sweep": ["sweep", str(_tiny_file(tmp_path)), "--workers", "1", "--no-progress"],
            "calibrate": ["calibrate", "--particles", "2", "--generations", "1", "--workers", "1", "--no-report",
                          "--posterior", "none", "--quiet"]}[command]
    try:
        status = sim.cli.main(argv + ["--out", str(afile)])
    except OSError:
        status = None
    assert status == 2 and "--out" in capsys.readouterr().err
    assert afile.read_text() == "keep me"


def test_calibrate_malformed_scheduler_is_an_input_error_and_leaves_no_folder(tmp_path, capsys):
    out = tmp_path / "cal"
    try:
        status = sim.cli.main(["calibrate", "--particles", "2", "--generations", "1", "--scheduler", "x",
                               "--out", str(out), "--no-report", "--posterior", "none", "--quiet"])
    except ValueError:
        status = None
    assert status == 2 and "--scheduler" in capsys.readouterr().err
    assert files_under(out) == []
