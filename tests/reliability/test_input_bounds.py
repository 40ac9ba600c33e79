"""Bounds on inputs (issue 13): every case of the issue is refused when its file is read, before any work (also
with ``--dry-run``), with one line naming the file, the field, the value (shortened) and the limit; exit 2 and
nothing written. The limits are declared in ``sim/limits.py``."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import numpy as np
import pytest

import sim.cli
import sim.scenario
from experiments.spec import experiment_from_dict, load_experiment, parse_override
from rel_helpers import TINY_EXPERIMENT, files_under
from sim import limits
from sim.data import division_names
from sim.errors import InputError
from sim.parameters import LEVERS, ModelParameters
from sim.scenario import Scenario

BASE = tomllib.loads(TINY_EXPERIMENT)


def _experiment(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _scenario(tmp_path: Path, text: str, name: str = "scen.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _refused_by_cli(argv: list[str], capsys, tmp_path: Path, monkeypatch, *must_contain: str) -> str:
    """Run ``hunan-sim ARGV`` in-process in an empty folder: exit 2, one line on stderr, nothing written."""
    work = tmp_path / "cwd"
    work.mkdir(exist_ok=True)
    monkeypatch.chdir(work)
    status = sim.cli.main(argv)
    err = capsys.readouterr().err
    assert status == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert len(err) < 1000, err  # the value is shortened for display
    for text in must_contain:
        assert text in err, (text, err)
    assert files_under(work) == []
    return err


def _sweep_dry_run(path: Path, *extra: str) -> list[str]:
    return ["sweep", str(path), "--dry-run", *extra]


# ---- run counts, sample sizes, factorial sizes, scales, years ------------------------------------------------

@pytest.mark.parametrize("value", ["1000000000", "1e9", "1001"])
def test_replications_over_the_limit_are_refused_with_dry_run(value, tmp_path, capsys, monkeypatch):
    path = _experiment(tmp_path, TINY_EXPERIMENT.replace("replications = 2", f"replications = {value}"))
    _refused_by_cli(_sweep_dry_run(path), capsys, tmp_path, monkeypatch, str(path), "'replications'", "from 1 to 1000")


@pytest.mark.parametrize("design", ["latin_hypercube", "sobol"])
def test_lever_sample_size_of_1e9_is_refused(design, tmp_path, capsys, monkeypatch):
    n = 2**30 if design == "sobol" else 10**9
    text = TINY_EXPERIMENT.replace("[levers.public_rental_units_per_year]\nvalues = [0, 3000]",
                                   f"[levers]\ndesign = \"{design}\"\nn = {n}\n"
                                   "[levers.public_rental_units_per_year]\nrange = [0, 3000]")
    _refused_by_cli(_sweep_dry_run(_experiment(tmp_path, text)), capsys, tmp_path, monkeypatch, "'levers.n'",
                    "100,000")


@pytest.mark.parametrize("design", ["latin_hypercube", "sobol", "sobol_sensitivity", "morris"])
def test_uncertainty_sample_size_of_1e9_is_refused(design, tmp_path, capsys, monkeypatch):
    text = TINY_EXPERIMENT + f"\n[uncertainties]\ndesign = \"{design}\"\nn = {2**30}\n"
    _refused_by_cli(_sweep_dry_run(_experiment(tmp_path, text)), capsys, tmp_path, monkeypatch,
                    "'uncertainties.n'", "100,000")


def test_a_sensitivity_design_with_too_many_rows_is_refused_by_its_row_count():
    # 4096 x (2 x 46 + 2) rows: n itself is allowed, the design it expands to is not
    doc = {**BASE, "uncertainties": {"design": "sobol_sensitivity", "n": 4096, "parameters": "all",
                                     "second_order": True}}
    with pytest.raises(InputError) as info:
        experiment_from_dict(doc, source="big.toml")
    assert info.value.field == "uncertainties" and "100,000" in str(info.value)


def test_an_11_to_the_14_factorial_is_refused_without_building_it(tmp_path, capsys, monkeypatch):
    factors = "".join(f"\n[levers.min_years_{i}]\nlever = \"settlement_min_years\"\ncities = [\"{city}\"]\n"
                      f"values = {list(range(11))}\n" for i, city in enumerate(division_names()))
    text = TINY_EXPERIMENT.split("[levers.")[0] + factors
    err = _refused_by_cli(_sweep_dry_run(_experiment(tmp_path, text)), capsys, tmp_path, monkeypatch,
                          "'levers'", "100,000 lever points")
    assert "11 x 11 x 11" in err


def test_a_plan_over_the_run_limit_is_refused_naming_its_size():
    doc = {**BASE, "replications": 1000, "uncertainties": {"design": "latin_hypercube", "n": 100}}
    with pytest.raises(InputError) as info:
        experiment_from_dict(doc, source="many.toml")
    assert "200,000" in str(info.value) and "100,000 runs" in str(info.value)


@pytest.mark.parametrize("value", ["1e9", "100001", "inf"])
def test_scale_over_the_model_limit_is_refused_at_load(value, tmp_path, capsys, monkeypatch):
    path = _experiment(tmp_path, TINY_EXPERIMENT.replace("scale = 50000", f"scale = {value}"))
    _refused_by_cli(_sweep_dry_run(path), capsys, tmp_path, monkeypatch, "'scale'", "100,000")


def test_a_factor_from_after_end_year_is_refused():
    doc = {**BASE, "levers": {"public_rental_units_per_year": {"values": [0, 3000], "from": 2030}}}
    with pytest.raises(InputError) as info:
        experiment_from_dict(doc, source="late.toml")  # end_year = 2012: the factor would never apply
    assert info.value.field == "levers.public_rental_units_per_year.from" and "2012" in str(info.value)


def test_a_scenario_block_from_after_the_model_last_year_is_refused(tmp_path):
    path = _scenario(tmp_path, "[[policy]]\nfrom = 2300\n[policy.levers]\nsettlement_min_years = 1\n")
    with pytest.raises(InputError) as info:
        Scenario.load(path)
    assert info.value.field == "from" and "2100" in str(info.value)


@pytest.mark.parametrize("end", ["2300", "2010", "9" * 5000])
def test_run_end_year_outside_the_model_limits_is_refused_by_the_parser(end, capsys):
    with pytest.raises(SystemExit) as info:
        sim.cli.build_parser().parse_args(["run", "--end", end])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "--end" in err and "2100" in err and len(err) < 1000


# ---- names --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["..", ".", "a/b", "..\\x", "g[1]", "*", ".hidden", "-rf", "x" * 101, "", "a b",
                                  "名"])
def test_an_experiment_name_that_is_not_a_plain_folder_name_is_refused(name, tmp_path, capsys, monkeypatch):
    with pytest.raises(InputError) as info:
        experiment_from_dict({**BASE, "name": name}, source="named.toml")
    assert info.value.field == "name" and "plain folder name" in str(info.value)
    path = _experiment(tmp_path, TINY_EXPERIMENT)
    _refused_by_cli(_sweep_dry_run(path, "--set", f"name={name!r}".replace("'", '"')), capsys, tmp_path,
                    monkeypatch, "'name'")


def test_the_shipped_experiments_pass_the_bounds():
    for path in sorted(Path(__file__).resolve().parents[2].joinpath("experiments").glob("*.toml")):
        exp = load_experiment(path)
        assert exp.n_runs <= limits.MAX_RUNS


# ---- integers, nesting, key counts, string lengths, file sizes ---------------------------------------------

def test_a_400_digit_lever_in_a_scenario_is_refused_naming_the_lever(tmp_path):
    path = _scenario(tmp_path, "[[policy]]\n[policy.levers]\nsettlement_min_years = " + "9" * 400 + "\n")
    with pytest.raises(InputError) as info:
        Scenario.load(path)
    msg = str(info.value)
    assert "settlement_min_years" in msg and str(path) in msg and "digits" in msg and len(msg) < 400


def test_a_400_digit_lever_given_in_code_is_refused_not_overflowed():
    with pytest.raises(InputError) as info:
        LEVERS["public_rental_units_per_year"].validate(10**400)
    assert "0 to 100000" in str(info.value)
    with pytest.raises(InputError):
        ModelParameters().replace(buy_rate=10**400)


def test_a_400_digit_lever_in_an_experiment_is_refused(tmp_path, capsys, monkeypatch):
    path = _experiment(tmp_path, TINY_EXPERIMENT.replace("values = [0, 3000]", "values = [0, " + "3" * 400 + "]"))
    _refused_by_cli(_sweep_dry_run(path), capsys, tmp_path, monkeypatch, "levers.public_rental_units_per_year",
                    "digits")


@pytest.mark.parametrize("where", ["scenario", "experiment"])
def test_a_5000_digit_from_is_refused_naming_the_field_and_line(where, tmp_path):
    digits = "1" * 5000
    if where == "scenario":
        path = _scenario(tmp_path, f"[[policy]]\nfrom = {digits}\n[policy.levers]\nsettlement_min_years = 1\n")
        load = Scenario.load
    else:
        path = _experiment(tmp_path, TINY_EXPERIMENT.replace("values = [0, 3000]", f"values = [0, 3000]\nfrom = "
                                                                                 f"{digits}"))
        load = load_experiment
    with pytest.raises(InputError) as info:
        load(path)
    msg = str(info.value)
    assert "from (line" in msg and "5,000 digits" in msg and str(path) in msg and len(msg) < 400


@pytest.mark.parametrize("text", ["a = " + "[" * 5000 + "]" * 5000, "a = " + "{b = " * 3000 + "1" + "}" * 3000,
                                  "a" + ".a" * 100_000 + " = 1", "".join(f"k{i} = {i}\n" for i in range(20_000))],
                         ids=["deep-arrays", "deep-inline-tables", "100k-dotted-keys", "20k-keys"])
def test_deep_nesting_and_many_keys_are_refused_in_both_kinds_of_file(text, tmp_path):
    path = _scenario(tmp_path, text)
    for load in (Scenario.load, load_experiment):
        with pytest.raises(InputError) as info:
            load(path)
        msg = str(info.value)
        assert str(path) in msg and ("nested" in msg or "keys" in msg) and len(msg) < 600


def test_a_huge_string_is_refused_and_shown_shortened():
    with pytest.raises(InputError) as info:
        experiment_from_dict({**BASE, "description": "x" * 100_000}, source="long.toml")
    assert info.value.field == "description" and len(str(info.value)) < 400 and "10,000" in str(info.value)


def test_a_toml_file_over_the_size_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.toml"
    with path.open("wb") as fh:
        fh.truncate(limits.MAX_TOML_BYTES + 1)  # sparse: nothing is really written
    for load in (Scenario.load, load_experiment):
        with pytest.raises(InputError) as info:
            load(path)
        assert "(file size)" in str(info.value) and "1,048,576" in str(info.value)


# ---- the posterior file -------------------------------------------------------------------------------------

def _posterior_doc(pf: str) -> dict:
    return {**BASE, "uncertainties": {"design": "posterior", "posterior_file": pf, "n": 2}}


def test_posterior_file_dev_zero_is_refused_before_reading():
    with pytest.raises(InputError) as info:
        experiment_from_dict(_posterior_doc("/dev/zero"), source="zero.toml")
    assert "posterior_file" in info.value.field and "not a regular file" in str(info.value)


def test_posterior_file_dev_zero_through_the_command_line(tmp_path, capsys, monkeypatch):
    path = _experiment(tmp_path, TINY_EXPERIMENT + '\n[uncertainties]\ndesign = "posterior"\n'
                                                   'posterior_file = "/dev/zero"\n')
    _refused_by_cli(_sweep_dry_run(path), capsys, tmp_path, monkeypatch, "posterior_file", "/dev/zero")


def test_a_posterior_file_that_is_a_fifo_or_a_folder_is_refused(tmp_path):
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)  # reading it would block for ever
    for pf in (str(fifo), str(tmp_path)):
        with pytest.raises(InputError) as info:
            experiment_from_dict(_posterior_doc(pf), source="fifo.toml")
        assert "not a regular file" in str(info.value)


def test_a_posterior_file_over_the_size_limit_is_refused(tmp_path):
    big = tmp_path / "big.json"
    with big.open("wb") as fh:
        fh.truncate(limits.MAX_POSTERIOR_BYTES + 1)
    with pytest.raises(InputError) as info:
        experiment_from_dict(_posterior_doc(str(big)), source="big.toml")
    assert "(file size)" in str(info.value) and f"{limits.MAX_POSTERIOR_BYTES:,}" in str(info.value)


def test_default_parameters_refuse_a_posterior_that_is_not_a_regular_file(tmp_path):
    from sim.parameters_default import default_parameters

    with pytest.raises(InputError) as info:
        default_parameters(Path("/dev/zero"))
    assert "not a regular file" in str(info.value)
    nested = tmp_path / "nested.json"
    nested.write_text('{"median": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(InputError):
        default_parameters(nested)


def test_a_posterior_with_a_400_digit_sample_value_is_refused(tmp_path):
    post = tmp_path / "post.json"
    post.write_text('{"median": {}, "samples": [{"buy_rate": ' + "9" * 400 + "}]}")
    with pytest.raises(InputError) as info:
        experiment_from_dict(_posterior_doc(str(post)), source="p.toml")
    assert "buy_rate" in str(info.value) and len(str(info.value)) < 400


# ---- extends ------------------------------------------------------------------------------------------------

@pytest.fixture
def scenario_dir(tmp_path, monkeypatch):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    monkeypatch.setattr(sim.scenario, "SCENARIO_DIR", folder)
    return folder


def test_extends_of_a_malformed_parent_names_the_parent_file(scenario_dir):
    (scenario_dir / "broken.toml").write_text("this is = = not toml\n")
    (scenario_dir / "child.toml").write_text('extends = "broken"\n')
    with pytest.raises(InputError) as info:
        Scenario.load("child")
    assert "broken.toml" in str(info.value) and info.value.field == "TOML syntax"


def test_extends_of_a_parent_with_a_bad_value_names_the_parent_file(scenario_dir):
    (scenario_dir / "parent.toml").write_text("[[policy]]\n[policy.levers]\nsettlement_min_years = " + "9" * 400)
    (scenario_dir / "child.toml").write_text('extends = "parent"\n')
    with pytest.raises(InputError) as info:
        Scenario.load("child")
    assert "parent.toml" in str(info.value) and "settlement_min_years" in str(info.value)


def test_a_2000_deep_extends_chain_is_refused_at_the_limit(scenario_dir):
    (scenario_dir / "s0.toml").write_text("")
    for i in range(1, 2000):
        (scenario_dir / f"s{i}.toml").write_text(f'extends = "s{i - 1}"\n')
    with pytest.raises(InputError) as info:
        Scenario.load("s1999")
    assert info.value.field == "extends" and f"at most {limits.MAX_EXTENDS_DEPTH}" in str(info.value)
    assert Scenario.load(f"s{limits.MAX_EXTENDS_DEPTH - 1}").name == f"s{limits.MAX_EXTENDS_DEPTH - 1}"


# ---- --set --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["replications=" + "9" * 5000, "master_seed=" + "9" * 400,
                                  "levers.public_rental_units_per_year.values=[0, " + "9" * 400 + "]",
                                  "levers=" + "[" * 3000 + "]" * 3000, "a" + ".a" * 50_000 + "=1",
                                  "description=" + "x" * 20_000],
                         ids=["5000-digits", "400-digit-seed", "400-digit-lever", "deep-array", "deep-keys", "long"])
def test_set_with_huge_integers_or_deep_nesting_is_one_clear_error(text, tmp_path, capsys, monkeypatch):
    with pytest.raises(InputError):
        load_experiment(_experiment(tmp_path, TINY_EXPERIMENT), overrides=[text])
    _refused_by_cli(_sweep_dry_run(_experiment(tmp_path, TINY_EXPERIMENT), "--set", text), capsys, tmp_path,
                    monkeypatch)


def test_set_over_a_limit_is_not_retried_as_a_string():
    with pytest.raises(InputError) as info:
        parse_override("master_seed=" + "9" * 30)  # a number over MAX_INT, not the string "999…"
    assert "--set master_seed" in str(info.value)


# ---- sweep --scheduler --------------------------------------------------------------------------------------

@pytest.mark.parametrize("address", ["abc", "tcp://host:notaport", "tcp://[::1", "x" * 5000])
def test_sweep_malformed_scheduler_is_refused_before_the_results_folder_exists(address, tmp_path, capsys,
                                                                                monkeypatch):
    path = _experiment(tmp_path, TINY_EXPERIMENT)
    out = tmp_path / "cwd" / "out"
    _refused_by_cli(["sweep", str(path), "--scheduler", address, "--no-progress", "--out", str(out)], capsys,
                    tmp_path, monkeypatch, "'--scheduler'", "tcp://host:8786")
    assert not out.exists()


def test_sweep_accepts_a_well_formed_scheduler_address():
    from sim.ensemble import check_scheduler_address

    check_scheduler_address("tcp://10.0.0.5:8786")  # no error


# ---- byte-order mark ----------------------------------------------------------------------------------------

def test_a_utf8_bom_is_accepted_in_a_scenario_file(tmp_path):
    text = '[[policy]]\nfrom = 2021\n[policy.levers]\nsettlement_min_years = 1\n'
    plain = _scenario(tmp_path, text, "plain.toml")
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert Scenario.load(bom).blocks == Scenario.load(plain).blocks


def test_a_utf8_bom_is_accepted_in_an_experiment_file(tmp_path):
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + TINY_EXPERIMENT.encode())
    assert load_experiment(bom).n_runs == load_experiment(_experiment(tmp_path, TINY_EXPERIMENT)).n_runs == 4


def test_a_scenario_with_a_bom_runs_from_the_command_line(tmp_path, capsys):
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + b'name = "bom"\n')
    assert Scenario.load(bom).name == "bom"


# ---- numpy values (EMA Workbench passes np.int64) ----------------------------------------------------------

@pytest.mark.parametrize(("lever", "value"), [("settlement_min_years", np.int64(3)), ("permit_min_years", np.int32(2)),
                                              ("settlement_requires_job", np.bool_(True)),
                                              ("public_rental_units_per_year", np.float32(600.0)),
                                              ("permit_schooling_share", np.float64(0.5))])
def test_numpy_lever_values_are_accepted_as_python_numbers(lever, value):
    assert LEVERS[lever].validate(value) == float(value)
    scenario = Scenario(name="np").with_levers({lever: value})
    assert float(np.asarray(scenario.policy(2021)[lever]).flat[0]) == float(value)


def test_a_numpy_lever_value_out_of_range_is_refused_for_its_range_not_its_type():
    with pytest.raises(InputError) as info:
        LEVERS["settlement_min_years"].validate(np.int64(11))
    assert "0 to 10 years" in str(info.value) and "a number from" not in str(info.value)


def test_numpy_parameter_values_are_accepted():
    params = ModelParameters().replace(buy_rate=np.float32(0.2), dormitory_share=np.int64(0))
    assert params.buy_rate == pytest.approx(0.2) and params.dormitory_share == 0.0
    assert type(ModelParameters(buy_rate=np.float64(0.2)).buy_rate) is float


# ---- the limits are declared once ---------------------------------------------------------------------------

def test_the_limits_module_agrees_with_the_model():
    import sim.model
    import sim.parameters
    import sim.run

    assert limits.FIRST_YEAR == sim.model.START_YEAR
    assert limits.LAST_YEAR == sim.run.LAST_YEAR
    assert limits.MAX_SCALE == sim.model.MAX_SCALE
    assert limits.NEVER_YEAR == sim.parameters.NEVER


def test_error_messages_are_one_line_whatever_the_key_holds():
    with pytest.raises(InputError) as info:
        experiment_from_dict({**BASE, "bad\nkey\x00": 1}, source="ctl.toml")
    assert "\n" not in str(info.value) and "\\n" in str(info.value)


def test_the_calibration_report_refuses_a_posterior_that_is_not_a_regular_file(tmp_path):
    from calibration.posterior import load_posterior

    with pytest.raises(InputError) as info:
        load_posterior("/dev/zero")
    assert "not a regular file" in str(info.value)
    odd = tmp_path / "odd.json"
    odd.write_text('{"median": {}, "samples": [1, 2]}')
    with pytest.raises(InputError):
        load_posterior(odd)
