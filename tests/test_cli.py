"""The command line end to end at a small scale, and its refusal of bad options."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pyarrow.parquet as pq
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
    assert list(ind.columns) == ["year", "region", "indicator", "unit", "value"]
    assert set(ind[ind.indicator == "urbanization_rate"].unit) == {"percent"}
    assert set(ind[ind.indicator == "population"].unit) == {"persons"}
    assert "" not in set(ind.unit)  # every indicator written is declared with its unit
    units = json.loads(pq.read_schema(tmp_path / "indicators.parquet").metadata[b"hunan_sim_units"])
    assert units["urban_income"] == "yuan per person" and set(units) == set(ind.indicator)
    dictionary = pd.read_csv(tmp_path / "indicators.csv", dtype={"plan_indicator": "string"})
    assert list(dictionary.columns) == ["indicator", "unit", "definition", "label_zh", "regions", "plan_indicator"]
    assert set(ind.indicator) <= set(dictionary.indicator)
    assert dictionary.set_index("indicator").loc["urbanization_rate", "plan_indicator"] == "1"
    assert json.loads((tmp_path / "provenance.json").read_text(encoding="utf-8")) == read_provenance(
        tmp_path / "indicators.parquet")
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


# --------------------------------------------------------------------------------------------------------
# the usual manners (issue 15): --version, a progress bar on a terminal, --set, one line on Ctrl-C
# --------------------------------------------------------------------------------------------------------

def test_version_names_the_package_version_and_commit(capsys):
    from importlib import metadata

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith(f"hunan-sim {metadata.version('hunan-sim')} (commit ") and out.endswith(")")


def _on_a_terminal(args: list[str], tmp_path, *, interrupt_after: str | None = None, timeout: float = 120):
    """Run ``hunan-sim ARGS`` with stderr on a pseudo-terminal; return (status, stdout, terminal text).

    With ``interrupt_after``, SIGINT (Ctrl-C) is sent once the terminal shows that text."""
    import os
    import pty
    import select
    import fcntl
    import signal
    import struct
    import termios
    import time

    master, slave = pty.openpty()
    # a new pseudo-terminal is 0 columns wide, where a bar has no room: give it the size of a small window
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "sim.cli", *args], stdout=subprocess.PIPE, stderr=slave,
                            cwd=tmp_path, text=True)
    os.close(slave)
    seen, sent, deadline = b"", False, time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                chunk = b""
            if not chunk and proc.poll() is not None:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
        if interrupt_after and not sent and interrupt_after.encode() in seen:
            proc.send_signal(signal.SIGINT)
            sent = True
    out = proc.communicate(timeout=60)[0]
    os.close(master)
    return proc.returncode, out, seen.decode(errors="replace")


@pytest.mark.slow
def test_run_shows_a_progress_bar_of_years_on_a_terminal_and_quiet_hides_it(tmp_path):
    args = ["run", "--end", "2013", "--scale", "20000"]
    status, out, terminal = _on_a_terminal(args, tmp_path)
    assert status == 0 and "urbanization_rate" in out
    assert "baseline 2011:" in terminal and "/3 [" in terminal and "year/s" in terminal
    status, out, terminal = _on_a_terminal([*args, "--quiet"], tmp_path)
    assert status == 0 and "urbanization_rate" in out
    assert "year" not in terminal


@pytest.mark.slow
def test_ctrl_c_stops_a_run_with_one_line_and_leaves_out_as_it_was(tmp_path):
    out_dir = tmp_path / "res"
    status, out, terminal = _on_a_terminal(["run", "--scale", "50", "--out", str(out_dir)], tmp_path,
                                           interrupt_after="1/25 [")
    assert status == 130, terminal
    assert "Traceback" not in terminal and "KeyboardInterrupt" not in terminal
    lines = [line for line in terminal.replace("\r", "\n").splitlines() if line.startswith("interrupted")]
    assert len(lines) == 1, terminal
    assert out == "" and not out_dir.exists() and list(tmp_path.glob(".res.*")) == []


def test_run_set_overrides_levers_from_policy_start_and_parameters(tmp_path, capsys):
    status = main(["run", "--end", "2022", "--scale", "20000", "--quiet", "--out", str(tmp_path / "r"),
                   "--set", "permit_schooling_share=1", "--set", "settlement_min_years.Changsha=0",
                   "--set", "taste_scale=1.1"])
    assert status == 0
    assert "with --set permit_schooling_share=1, settlement_min_years={'Changsha': 0}, taste_scale=1.1 " \
           "(levers from 2021)" in capsys.readouterr().out
    prov = read_provenance(tmp_path / "r" / "indicators.parquet")
    assert prov["parameters"]["taste_scale"] == 1.1
    blocks = [b for b in prov["scenario"]["policy"] if b["source"] == "levers"]
    assert {(b["from"], tuple(b["cities"] or ()), *b["levers"].items()) for b in blocks} == {
        (2021, (), ("permit_schooling_share", 1.0)), (2021, ("Changsha",), ("settlement_min_years", 0.0))}


@pytest.mark.parametrize(("value", "needle"), [
    ("no_such_lever=1", "LEVER=VALUE"), ("settlement_min_years=11", "settlement_min_years"),
    ("settlement_min_years.Nowhere=1", "Nowhere"), ("taste_scale=x", "taste_scale"), ("novalue", "key=value"),
])
def test_run_set_refuses_bad_overrides_with_one_line(value, needle, capsys, tmp_path):
    status = main(["run", "--end", "2012", "--scale", "20000", "--set", value, "--out", str(tmp_path / "r")])
    assert status == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()  # refused before anything is written
