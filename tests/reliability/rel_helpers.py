"""Helpers for the reliability tests (issue 7, "Nothing lost, nothing let in"): see RELIABILITY.md.

Everything here is small: sweeps and calibrations run at ``--scale 20000`` or coarser for a few years, so that
the whole folder stays within a few minutes on the shared 2-core machine.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # ui/ and app.py are top-level modules of the repository
    sys.path.insert(0, str(REPO))

HUNAN_SIM = Path(sys.executable).parent / "hunan-sim"

#: A tiny sweep: 2 lever values x 2 replications = 4 runs of 2 years at a very coarse scale.
TINY_EXPERIMENT = """
name = "tiny-reliability"
scenarios = ["baseline"]
end_year = 2012
scale = 50000
replications = 2
master_seed = 11
policy_from = 2011

[levers.public_rental_units_per_year]
values = [0, 3000]
"""


def cli_env(tmp: Path) -> dict[str, str]:
    """Environment for a ``hunan-sim`` subprocess: quiet, with its own config folders."""
    return {**os.environ, "MPLCONFIGDIR": str(tmp / "mpl"), "DASK_DISTRIBUTED__LOGGING__DISTRIBUTED": "error"}


def run_cli(args: list[str], tmp: Path, *, timeout: float = 240) -> subprocess.CompletedProcess:
    """Run ``hunan-sim ARGS`` in the repository and return the finished process (text output)."""
    return subprocess.run([str(HUNAN_SIM), *args], cwd=REPO, env=cli_env(tmp), capture_output=True, text=True,
                          timeout=timeout, check=False)


def start_cli(args: list[str], tmp: Path, log: Path) -> subprocess.Popen:
    """Start ``hunan-sim ARGS`` in its own process group (so that a test can kill it and its workers)."""
    fh = log.open("w")
    return subprocess.Popen([str(HUNAN_SIM), *args], cwd=REPO, env=cli_env(tmp), stdout=fh, stderr=subprocess.STDOUT,
                            start_new_session=True)


def kill_group(proc: subprocess.Popen) -> None:
    """``kill -9`` a process started by :func:`start_cli` and everything it started (its Dask workers)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


def wait_for(condition: Callable[[], bool], *, timeout: float, proc: subprocess.Popen | None = None,
             what: str = "condition") -> None:
    """Poll until ``condition()`` holds (a liveness guard, not a timed assertion: the limit is generous)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"process exited with {proc.returncode} before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.2)


def files_under(folder: Path) -> list[str]:
    """Relative paths of every file under ``folder`` (hidden ones included), sorted."""
    if not folder.exists():
        return []
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def tiny_experiment(tmp_path: Path) -> Path:
    """The tiny experiment file in a temporary folder."""
    path = tmp_path / "tiny-reliability.toml"
    path.write_text(TINY_EXPERIMENT, encoding="utf-8")
    return path
