"""hunan-sim sweep / report on the command line: dry runs, the SLURM script, one-line errors with status 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sim.ensemble import slurm_job_script
from sim.cli import main

REPO = Path(__file__).resolve().parents[2]


def test_dry_run_validates_and_counts_runs(capsys):
    assert main(["sweep", "experiments/hukou-housing.toml", "--dry-run", "--set", "replications=3"]) == 0
    out = capsys.readouterr().out
    assert "48 runs" in out and "16 lever point(s)" in out and "results/hukou-housing" in out


def test_slurm_job_script_renders_without_slurm():
    script = slurm_job_script(queue="normal", account="hunan", walltime="01:00:00", memory="2GiB",
                              python="/opt/hunan/.venv/bin/python",
                              job_script_prologue=["source /opt/hunan/.venv/bin/activate"])
    assert "#SBATCH -p normal" in script and "#SBATCH -A hunan" in script and "#SBATCH -t 01:00:00" in script
    assert "/opt/hunan/.venv/bin/python -m distributed.cli.dask_worker" in script
    assert "--nthreads 1" in script and "source /opt/hunan/.venv/bin/activate" in script


@pytest.mark.slow
def test_input_errors_are_one_line_with_status_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("master_seed = 1\nreplications = 0\n")
    for args in (["sweep", str(bad)], ["sweep", "experiments/hukou-housing.toml", "--set", "scale"],
                 ["sweep", "experiments/hukou-housing.toml", "--workers", "2", "--scheduler", "tcp://x:1"]):
        proc = subprocess.run([sys.executable, "-m", "sim.cli", *args], cwd=REPO, capture_output=True, text=True)
        assert proc.returncode == 2, proc.stderr
        lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
        assert len(lines) == 1 and "allowed" in lines[0]
