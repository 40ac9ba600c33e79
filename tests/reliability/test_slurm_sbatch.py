"""``hunan-sim sweep --slurm`` through the real dask-jobqueue code path, with stand-in ``sbatch`` and ``scancel``
executables first on PATH (issue 15).

* An ``sbatch`` that refuses every job (as SLURM does for a wrong account or partition): the sweep stops with one
  ``error:`` line naming ``--slurm`` and sbatch's message, exit status 2, instead of waiting forever at 0/N.
* An ``sbatch`` that accepts: it keeps a copy of each job script and runs it in the background, as SLURM would
  on a compute node, so the script's worker really joins the sweep's scheduler; the job scripts carry the options
  and the worker lifetime, the cluster adapts, and the sweep finishes every run. ``scancel`` stops a job by the id
  ``sbatch`` printed (the process group the script runs in).
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
from rel_helpers import HUNAN_SIM, REPO, cli_env

pytest.importorskip("dask_jobqueue")

REFUSING_SBATCH = """#!/bin/bash
cp "$1" "$FAKE_SLURM_DIR/refused-job.sh"
echo "sbatch: error: Batch job submission failed: Invalid account or account/partition combination specified" >&2
exit 1
"""
ACCEPTING_SBATCH = """#!/bin/bash
n=$(ls "$FAKE_SLURM_DIR"/job-*.sh 2>/dev/null | wc -l)
cp "$1" "$FAKE_SLURM_DIR/job-$n.sh"
setsid bash "$FAKE_SLURM_DIR/job-$n.sh" > "$FAKE_SLURM_DIR/job-$n.log" 2>&1 < /dev/null &
echo "Submitted batch job $!"
"""
SCANCEL = """#!/bin/bash
for id in "$@"; do kill -TERM -- "-$id" 2>/dev/null || true; done
"""
SWEEP = ["sweep", "experiments/plan-vs-baseline.toml", "--no-progress", "--set", "scale=50000", "--set",
         "end_year=2011", "--set", "replications=1", "--set", "uncertainties.n=2", "--set",
         "uncertainties.fallback.n=2"]


def _fake_slurm(tmp_path: Path, sbatch: str) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("sbatch", sbatch), ("scancel", SCANCEL)):
        path = bin_dir / name
        path.write_text(text, encoding="utf-8")
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    (tmp_path / "jobs").mkdir()
    return {**cli_env(tmp_path), "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "FAKE_SLURM_DIR": str(tmp_path / "jobs")}


@pytest.mark.slow
def test_a_refused_sbatch_stops_the_sweep_with_one_line_and_status_2(tmp_path):
    env = _fake_slurm(tmp_path, REFUSING_SBATCH)
    out = tmp_path / "res"
    # the timeout is a liveness guard only (before this fix the sweep waited forever)
    done = subprocess.run([str(HUNAN_SIM), *SWEEP, "--slurm", "2", "--slurm-account", "nosuch", "--out", str(out)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("error: "), done.stderr
    assert "--slurm" in errors[0] and "sbatch exited with status 1" in errors[0]
    assert "Invalid account" in errors[0] and "Traceback" not in done.stderr
    assert "#SBATCH -A nosuch" in (tmp_path / "jobs" / "refused-job.sh").read_text(encoding="utf-8")
    assert (out / "experiment.json").is_file() and list((out / "runs").glob("r*.parquet")) == []


@pytest.mark.slow
def test_an_accepting_sbatch_runs_the_sweep_on_adaptive_jobs_with_worker_lifetimes(tmp_path):
    env = _fake_slurm(tmp_path, ACCEPTING_SBATCH)
    out = tmp_path / "res"
    done = subprocess.run([str(HUNAN_SIM), *SWEEP, "--slurm", "2", "--slurm-queue", "normal", "--slurm-walltime",
                           "01:00:00", "--slurm-memory", "3GiB", "--slurm-prologue", "export HUNAN_FAKE_JOB=1",
                           "--out", str(out)], cwd=REPO, env=env, capture_output=True, text=True, timeout=240,
                          check=False)
    assert done.returncode == 0, done.stderr + "".join(
        p.read_text(errors="replace") for p in (tmp_path / "jobs").glob("*.log"))
    assert "4 completed now" in done.stdout
    scripts = sorted((tmp_path / "jobs").glob("job-*.sh"))
    assert 1 <= len(scripts) <= 2  # adaptive: never more than --slurm jobs at once
    text = scripts[0].read_text(encoding="utf-8")
    for line in ("#SBATCH -p normal", "#SBATCH -t 01:00:00", "#SBATCH --mem=3G", "export HUNAN_FAKE_JOB=1",
                 "--nthreads 1", "--lifetime 3240s", "--lifetime-stagger 180s", "--dashboard-address 127.0.0.1:0"):
        assert line in text, (line, text)
    assert len(list((out / "runs").glob("r*.parquet"))) == 4


@pytest.mark.parametrize(("walltime", "lifetime"), [("02:00:00", (6600, 300)), ("01:00:00", (3240, 180)),
                                                    ("30", (1620, 90)), ("1-00:00:00", (85800, 300)),
                                                    ("10:00", (540, 30))])
def test_worker_lifetime_ends_before_the_time_limit(walltime, lifetime):
    from sim.ensemble import walltime_seconds, worker_lifetime

    assert worker_lifetime(walltime) == lifetime
    life, stagger = lifetime
    assert life + stagger < walltime_seconds(walltime)


@pytest.mark.parametrize("walltime", ["2h", "", "00:01:00", "1-", "99999999"])
def test_a_malformed_walltime_is_refused_naming_the_option(walltime):
    from sim.errors import InputError
    from sim.ensemble import walltime_seconds

    with pytest.raises(InputError) as err:
        walltime_seconds(walltime)
    assert err.value.field == "--slurm-walltime"
