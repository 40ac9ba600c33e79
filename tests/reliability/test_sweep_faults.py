"""Faults during sweeps: a killed Dask worker, kill -9 of the whole sweep, a full disk, a corrupt result file.

Each sweep is the tiny experiment (4 or 8 runs of 2-4 years at 20,000-50,000 households per agent) run with
the real ``hunan-sim sweep`` command in a subprocess. "Nothing lost, nothing duplicated": after recovery every
planned run has exactly one valid result file, and result files finished before the fault are untouched.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import psutil
import pyarrow.parquet as pq
import pytest

from rel_helpers import TINY_EXPERIMENT, files_under, kill_group, run_cli, start_cli, wait_for

pytestmark = pytest.mark.slow

SLOWER = TINY_EXPERIMENT.replace("end_year = 2012", "end_year = 2015").replace("scale = 50000", "scale = 20000") \
    .replace("replications = 2", "replications = 4")  # 8 runs: long enough to be interrupted


def _runs(out: Path) -> dict[str, tuple[int, int]]:
    """Finished run files: name -> (inode, mtime_ns)."""
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in sorted((out / "runs").glob("r*.parquet"))}


def _assert_complete(out: Path, n: int) -> None:
    names = sorted(p.name for p in (out / "runs").glob("*.parquet"))
    assert len(names) == n and len(set(names)) == n
    for p in (out / "runs").glob("*.parquet"):
        assert pq.read_table(p).num_rows > 0
    assert [f for f in files_under(out) if f.endswith(".tmp")] == []
    assert files_under(out / "failed") == []


def _cmdline(p: psutil.Process) -> str:
    try:
        return " ".join(p.cmdline())
    except psutil.Error:  # exited (or a zombie) meanwhile
        return ""


def _sweep_args(exp: Path, out: Path, workers: int = 2) -> list[str]:
    return ["sweep", str(exp), "--out", str(out), "--workers", str(workers), "--no-progress"]


def test_killing_a_dask_worker_mid_sweep_loses_no_run(tmp_path):
    exp = tmp_path / "slower.toml"
    exp.write_text(SLOWER, encoding="utf-8")
    out = tmp_path / "out"
    proc = start_cli(_sweep_args(exp, out), tmp_path, tmp_path / "sweep.log")
    try:
        wait_for(lambda: len(_runs(out)) >= 1, timeout=180, proc=proc, what="a first run file")
        # Dask's worker processes are spawned by the nannies (multiprocessing "spawn"); the resource tracker is
        # the other child. Kill one worker as the OOM killer would.
        workers = [p for p in psutil.Process(proc.pid).children(recursive=True) if "spawn_main" in _cmdline(p)]
        assert workers, "no Dask worker process found"
        victim = workers[0]
        still_running = proc.poll() is None and len(_runs(out)) < 8
        os.kill(victim.pid, signal.SIGKILL)
        assert proc.wait(timeout=240) == 0, (tmp_path / "sweep.log").read_text()
    finally:
        if proc.poll() is None:
            kill_group(proc)
    assert still_running  # the kill happened during the sweep
    _assert_complete(out, 8)


@pytest.fixture(scope="module")
def restarted_sweep(tmp_path_factory):
    """A sweep killed with SIGKILL (the process group: client and workers) after its first result, then rerun."""
    tmp = tmp_path_factory.mktemp("kill9")
    exp = tmp / "slower.toml"
    exp.write_text(SLOWER, encoding="utf-8")
    out = tmp / "out"
    proc = start_cli(_sweep_args(exp, out), tmp, tmp / "first.log")
    try:
        wait_for(lambda: len(_runs(out)) >= 1, timeout=180, proc=proc, what="a first run file")
    finally:
        kill_group(proc)
    before = _runs(out)
    second = run_cli(_sweep_args(exp, out), tmp)
    return {"exp": exp, "out": out, "before": before, "second": second, "tmp": tmp}


def test_kill_9_of_the_sweep_then_restart_finishes_every_run_once(restarted_sweep):
    r = restarted_sweep
    assert 1 <= len(r["before"]) < 8
    assert r["second"].returncode == 0, r["second"].stderr
    assert f"{len(r['before'])} already done" in r["second"].stdout
    _assert_complete(r["out"], 8)
    after = _runs(r["out"])
    assert {k: after[k] for k in r["before"]} == r["before"]  # finished files untouched (same inode, same mtime)


def test_a_corrupt_result_file_is_detected_quarantined_rerun_and_reported(restarted_sweep, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(restarted_sweep["out"], out)
    victim = sorted((out / "runs").glob("r*.parquet"))[1]
    raw = victim.read_bytes()
    victim.write_bytes(raw[: len(raw) // 2] + b"\0" * 64)  # a torn copy
    untouched = {k: v for k, v in _runs(out).items() if k != victim.name}
    result = run_cli(_sweep_args(restarted_sweep["exp"], out, workers=1), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "warning:" in result.stderr and victim.name in result.stderr and "run again" in result.stderr
    assert "1 corrupt result files redone" in result.stdout
    assert len(list((out / "corrupt").iterdir())) == 1
    _assert_complete(out, 8)
    after = _runs(out)
    assert {k: after[k] for k in untouched} == untouched


@pytest.fixture(scope="module")
def full_disk(tmp_path_factory):
    """A sweep into a 2 MiB tmpfs with almost no space left, then the same sweep after space returns."""
    tmp = tmp_path_factory.mktemp("diskfull")
    mnt = tmp / "mnt"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (not root?)")
    try:
        exp = tmp / "tiny.toml"
        exp.write_text(TINY_EXPERIMENT, encoding="utf-8")
        out = mnt / "out"
        filler = mnt / "filler"
        free = shutil.disk_usage(mnt).free
        filler.write_bytes(b"\0" * (free - 40 * 1024))  # room for the folder's records and about one run
        first = run_cli(_sweep_args(exp, out, workers=1), tmp)
        during = _runs(out) if (out / "runs").exists() else {}
        listing = files_under(out)
        filler.unlink()
        second = run_cli(_sweep_args(exp, out, workers=1), tmp)
        yield {"first": first, "second": second, "during": during, "listing": listing, "out": out}
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_full_disk_fails_without_partial_files_and_recovers_without_loss(full_disk):
    r = full_disk
    assert r["first"].returncode != 0 and "No space left" in r["first"].stderr  # it did run out of space
    assert [f for f in r["listing"] if f.endswith(".tmp")] == []  # no half-written file left
    assert r["second"].returncode == 0, r["second"].stderr
    _assert_complete(r["out"], 4)
    after = _runs(r["out"])
    assert {k: after[k] for k in r["during"]} == r["during"]



def test_full_disk_gives_one_clear_error_line(full_disk):
    err = full_disk["first"].stderr
    assert "Traceback" not in err
    assert "error:" in err and "space" in err


def test_ctrl_c_stops_a_sweep_with_one_line_and_the_same_command_finishes_it(tmp_path):
    """Ctrl-C as a terminal sends it: SIGINT to the whole foreground process group, client and workers."""
    exp = tmp_path / "slower.toml"
    exp.write_text(SLOWER, encoding="utf-8")
    out = tmp_path / "out"
    log = tmp_path / "sweep.log"
    proc = start_cli(_sweep_args(exp, out), tmp_path, log)
    try:
        wait_for(lambda: len(_runs(out)) >= 1, timeout=180, proc=proc, what="a first run file")
        interrupted_early = proc.poll() is None and len(_runs(out)) < 8
        os.killpg(proc.pid, signal.SIGINT)
        status = proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            kill_group(proc)
    assert interrupted_early and status == 130
    text = log.read_text()
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text
    assert [line for line in text.splitlines() if line.strip()] == [line for line in text.splitlines()
                                                                   if line.startswith("interrupted:")], text
    kept = _runs(out)
    assert kept and [f for f in files_under(out) if f.endswith(".tmp")] == []
    again = run_cli(_sweep_args(exp, out), tmp_path)
    assert again.returncode == 0, again.stderr
    assert f"{len(kept)} already done" in again.stdout
    _assert_complete(out, 8)
    assert {k: v for k, v in _runs(out).items() if k in kept} == kept  # finished files untouched
