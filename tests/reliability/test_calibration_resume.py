"""A calibration killed with SIGKILL between generations resumes with --resume and keeps what was finished."""

from __future__ import annotations

import json

import pytest

from rel_helpers import kill_group, run_cli, start_cli, wait_for

pytestmark = pytest.mark.slow

ARGS = ["calibrate", "--particles", "2", "--scale", "20000", "--workers", "1", "--seed", "3", "--no-report",
        "--posterior", "none", "--quiet"]


def _generations(out):
    try:
        return json.loads((out / "run.json").read_text(encoding="utf-8"))["generations"]
    except (OSError, ValueError, KeyError):
        return []


def test_killed_calibration_resumes_and_keeps_finished_generations(tmp_path):
    out = tmp_path / "cal"
    proc = start_cli([*ARGS, "--generations", "2", "--out", str(out)], tmp_path, tmp_path / "first.log")
    try:
        wait_for(lambda: len(_generations(out)) >= 1, timeout=240, proc=proc, what="a first generation")
    finally:
        kill_group(proc)
    before = _generations(out)
    assert len(before) == 1
    resumed = run_cli([*ARGS, "--generations", "2", "--out", str(out), "--resume"], tmp_path, timeout=400)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    after = _generations(out)
    assert [g["t"] for g in after] == [0, 1]
    assert after[: len(before)] == before  # finished generations kept as they were
    assert len(json.loads((out / "run.json").read_text(encoding="utf-8"))["sessions"]) == 2
    again = run_cli([*ARGS, "--generations", "2", "--out", str(out)], tmp_path)  # without --resume: refused
    assert again.returncode == 2 and "--out" in again.stderr
