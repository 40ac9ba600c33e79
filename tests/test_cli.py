"""The command line end to end at a small scale, and its refusal of bad options."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from sim.cli import main
from sim.run import read_provenance


def test_run_writes_indicators_and_flows_with_provenance(tmp_path, capsys):
    status = main(["run", "--scenario", "baseline", "--end", "2021", "--seed", "3", "--scale", "5000",
                   "--out", str(tmp_path)])
    assert status == 0
    out = capsys.readouterr().out
    assert "urbanization_rate" in out and "target 2025" in out
    ind = pd.read_parquet(tmp_path / "indicators.parquet")
    flows = pd.read_parquet(tmp_path / "flows.parquet")
    assert list(ind.columns) == ["year", "region", "indicator", "value"]
    assert set(ind.year) == set(range(2010, 2022))
    assert {"Hunan", "Changsha", "outside"} <= set(ind.region)
    assert {"origin", "destination", "persons", "households"} <= set(flows.columns)
    prov = read_provenance(tmp_path / "indicators.parquet")
    assert prov["seed"] == 3 and prov["scale"] == 5000 and prov["scenario"]["name"] == "baseline"
    assert {"mesa", "numpy", "pandas"} <= set(prov["packages"])
    assert "review_rate" in prov["parameters"] and prov["git_commit"]


@pytest.mark.slow
def test_console_script_runs_as_a_process(tmp_path):
    exe = [sys.executable, "-m", "sim.cli"]
    done = subprocess.run(exe + ["run", "--end", "2012", "--scale", "20000", "--scenario", "plan-2021"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "urbanization_rate" in done.stdout


@pytest.mark.parametrize(("argv", "needle"), [
    (["run", "--scale", "0"], "--scale"),
    (["run", "--seed", "x"], "--seed"),
    (["run", "--end", "2009"], "end"),
    (["run", "--scenario", "no-such-scenario"], "scenario"),
])
def test_bad_options_give_one_clear_message(argv, needle, capsys):
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse's own refusals exit with 2
        status = exc.code
    assert status == 2
    err = capsys.readouterr().err
    assert needle in err
    assert "Traceback" not in err
