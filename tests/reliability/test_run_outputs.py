"""``hunan-sim run --out``: a results folder is written whole (issue 13).

A crash (``os._exit`` injected at each write step by ``crash_at.py``, which acts like ``kill -9``) or a full disk
(a small tmpfs) leaves the folder absent, holding the earlier run's pair, or holding the new pair: never the new
indicators beside the old flows; and the same command then completes. Bad ``--out`` values are refused with one
line and exit status 2 before anything is simulated or created.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rel_helpers import REPO, cli_env, files_under, run_cli

from sim.run import RESULT_FILES, TABLE_FILES, read_provenance

CRASH = Path(__file__).with_name("crash_at.py")
CRASH_STATUS = 77
#: a run of two years at a very coarse scale (about 1.5 s); the two seeds tell an earlier pair from a new one
RUN = ["run", "--end", "2012", "--scale", "50000"]
OLD_SEED, NEW_SEED = "1", "2"


def _run(out: Path, tmp: Path, seed: str, *extra: str) -> subprocess.CompletedProcess:
    return run_cli([*RUN, "--seed", seed, "--out", str(out), *extra], tmp)


def _crash_run(specs: list[str], out: Path, tmp: Path, seed: str, *extra: str) -> subprocess.CompletedProcess:
    args = [*RUN, "--seed", seed, "--out", str(out), *extra]
    return subprocess.run([sys.executable, str(CRASH), *specs, "--", *args], cwd=REPO, env=cli_env(tmp),
                          capture_output=True, text=True, timeout=240, check=False)


def pair_seed(folder: Path) -> int | None:
    """The seed of the results pair in ``folder`` (``None`` if there is no folder); fails on a mismatched or
    incomplete pair."""
    if not folder.exists():
        return None
    assert sorted(p.name for p in folder.iterdir()) == sorted(RESULT_FILES), files_under(folder)
    ind, flows = (read_provenance(folder / name) for name in TABLE_FILES)
    assert ind == flows, "indicators and flows of different runs"
    assert json.loads((folder / "provenance.json").read_text(encoding="utf-8")) == ind, "provenance.json of another run"
    return ind["seed"]


def _leftovers(parent: Path, name: str) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{name}."))


def _one_error_line(stderr: str) -> None:
    assert "Traceback" not in stderr, stderr
    assert [line for line in stderr.splitlines() if line.startswith("error:")] and len(stderr.splitlines()) == 1, \
        stderr


# Every write step of `run --out`, as (case, specs, what the folder must hold after the crash).
# "old" = the earlier pair (seed 1), "new" = this run's pair (seed 2), None = no folder.
FRESH_STEPS = [
    ("before-indicators", ["sim.run:write_table_atomic@1:before"], None),
    ("indicators-written", ["sim.run:write_table_atomic@1:after"], None),
    ("flows-written", ["sim.run:write_table_atomic@2:after"], None),
    ("dictionary-written", ["sim.run:write_dictionary@1:after"], None),
    ("provenance-written", ["sim.run:write_text_atomic@2:after"], None),
    ("renamed-into-place", ["sim.run:_rename_into_place@1:after"], "new"),
]
OVERWRITE_STEPS = [
    ("before-indicators", ["sim.run:write_table_atomic@1:before"], "old"),
    ("indicators-written", ["sim.run:write_table_atomic@1:after"], "old"),
    ("flows-written", ["sim.run:write_table_atomic@2:after"], "old"),
    ("provenance-written", ["sim.run:write_text_atomic@2:after"], "old"),
    ("exchanged", ["sim.run:_replace_folder@1:after"], "new"),  # the earlier pair not yet deleted
    # a file system without renameat2(RENAME_EXCHANGE): the earlier folder is moved aside, then the new one in
    ("fallback-moved-aside", ["sim.run:_exchange=false", "sim.run:os.rename@1:after"], None),
    ("fallback-moved-in", ["sim.run:_exchange=false", "sim.run:os.rename@2:after"], "new"),
]
SEEDS = {"old": int(OLD_SEED), "new": int(NEW_SEED), None: None}


@pytest.mark.slow
@pytest.mark.parametrize(("case", "specs", "expect"), FRESH_STEPS, ids=[s[0] for s in FRESH_STEPS])
def test_run_killed_at_each_write_step_into_a_new_folder(tmp_path, case, specs, expect):
    out = tmp_path / "res"
    crashed = _crash_run(specs, out, tmp_path, NEW_SEED)
    assert crashed.returncode == CRASH_STATUS, crashed.stderr  # the crash happened at this step
    assert pair_seed(out) == SEEDS[expect]
    again = _run(out, tmp_path, NEW_SEED, *(["--overwrite"] if expect else []))
    assert again.returncode == 0, again.stderr
    assert pair_seed(out) == int(NEW_SEED)


@pytest.mark.slow
@pytest.mark.parametrize(("case", "specs", "expect"), OVERWRITE_STEPS, ids=[s[0] for s in OVERWRITE_STEPS])
def test_run_overwrite_killed_at_each_write_step_keeps_one_whole_pair(tmp_path, case, specs, expect):
    out = tmp_path / "res"
    assert _run(out, tmp_path, OLD_SEED).returncode == 0
    before = {name: (out / name).read_bytes() for name in RESULT_FILES}
    crashed = _crash_run(specs, out, tmp_path, NEW_SEED, "--overwrite")
    assert crashed.returncode == CRASH_STATUS, crashed.stderr
    assert pair_seed(out) == SEEDS[expect]
    if expect == "old":
        assert {name: (out / name).read_bytes() for name in RESULT_FILES} == before  # untouched, byte for byte
    if expect is None:  # the fallback's one window: the earlier pair is whole in the hidden folder beside
        (aside,) = tmp_path.glob(".res.*.old")
        assert pair_seed(aside / "res") == int(OLD_SEED)
    again = _run(out, tmp_path, NEW_SEED, "--overwrite")
    assert again.returncode == 0, again.stderr
    assert pair_seed(out) == int(NEW_SEED)


@pytest.mark.slow
def test_run_refuses_an_existing_results_folder_without_overwrite(tmp_path):
    out = tmp_path / "res"
    assert _run(out, tmp_path, OLD_SEED).returncode == 0
    before = {name: (out / name).read_bytes() for name in RESULT_FILES}
    refused = _run(out, tmp_path, NEW_SEED)
    assert refused.returncode == 2 and "--overwrite" in refused.stderr
    _one_error_line(refused.stderr)
    assert {name: (out / name).read_bytes() for name in RESULT_FILES} == before
    assert refused.stdout == ""  # refused before simulating (the summary table is printed after a run)
    replaced = _run(out, tmp_path, NEW_SEED, "--overwrite")
    assert replaced.returncode == 0, replaced.stderr
    assert pair_seed(out) == int(NEW_SEED) and _leftovers(tmp_path, "res") == []


@pytest.mark.slow
def test_run_into_an_existing_empty_folder_and_mode_follows_umask(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    assert _run(out, tmp_path, NEW_SEED).returncode == 0
    assert pair_seed(out) == int(NEW_SEED)
    assert out.stat().st_mode & 0o777 == 0o777 & ~_umask()
    # files as open() makes them: 0666 less the umask (not mkstemp's 0600), so colleagues on shared storage
    # can read them when the umask lets them
    assert {p.name: p.stat().st_mode & 0o777 for p in out.iterdir()} == {n: 0o666 & ~_umask() for n in RESULT_FILES}


@pytest.mark.slow
@pytest.mark.parametrize("mask", [0o022, 0o077])
def test_result_files_follow_the_process_umask(tmp_path, mask):
    out = tmp_path / "res"
    args = [*RUN, "--seed", NEW_SEED, "--out", str(out), "--quiet"]
    done = subprocess.run([sys.executable, "-m", "sim.cli", *args], cwd=REPO, env=cli_env(tmp_path),
                          capture_output=True, text=True, timeout=240, check=False,
                          preexec_fn=lambda: os.umask(mask))  # noqa: PLW1509 - the child's umask only
    assert done.returncode == 0, done.stderr
    assert {p.name: p.stat().st_mode & 0o777 for p in out.iterdir()} == {n: 0o666 & ~mask for n in RESULT_FILES}
    assert out.stat().st_mode & 0o777 == 0o777 & ~mask


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.slow
def test_run_never_replaces_a_folder_holding_other_files(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    refused = _run(out, tmp_path, NEW_SEED, "--overwrite")
    assert refused.returncode == 2 and "never replaced" in refused.stderr
    _one_error_line(refused.stderr)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me" and _leftovers(tmp_path, "mine") == []


def _main(args: list[str], capsys) -> tuple[int, str, str]:
    import sim.cli

    status = sim.cli.main(args)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize("value", ["", "   "], ids=["empty", "blank"])
def test_run_out_empty_is_an_input_error(tmp_path, capsys, monkeypatch, value):
    monkeypatch.chdir(tmp_path)
    status, out, err = _main([*RUN, "--out", value], capsys)
    assert status == 2 and "--out" in err and out == ""
    _one_error_line(err)
    assert files_under(tmp_path) == []


def test_run_out_with_a_non_utf8_byte_is_refused_before_simulating(tmp_path, capsys):
    out = str(tmp_path) + "/bad\udcffname"  # the byte 0xff in argv, as Python decodes it (surrogateescape)
    status, stdout, err = _main([*RUN, "--out", out], capsys)
    assert status == 2 and "UTF-8" in err and stdout == ""
    _one_error_line(err)
    assert list(tmp_path.iterdir()) == []


def test_a_failing_scenario_with_out_leaves_no_folder(tmp_path, capsys):
    out = tmp_path / "a" / "b" / "res"
    status, _, err = _main([*RUN, "--scenario", "no-such-scenario", "--out", str(out)], capsys)
    assert status == 2 and "scenario" in err
    _one_error_line(err)
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def small_tmpfs(tmp_path):
    """A 1 MiB tmpfs (read-write), unmounted afterwards; skipped where mounting is not allowed."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)],
                      capture_output=True, check=False).returncode:
        pytest.skip("cannot mount a tmpfs here (not root?)")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_run_out_an_existing_read_only_folder_is_refused_before_simulating(small_tmpfs, capsys):
    # a read-only mount: root, who runs these tests here, is refused too (a chmod would not stop root)
    subprocess.run(["mount", "-o", "remount,ro", str(small_tmpfs)], check=True)
    for out, says in ((small_tmpfs, "read-only"), (small_tmpfs / "sub", "Read-only file system")):
        status, stdout, err = _main([*RUN, "--out", str(out)], capsys)
        assert status == 2 and says in err and stdout == ""
        _one_error_line(err)


@pytest.mark.slow
@pytest.mark.parametrize("room_kib", [0, 20], ids=["no-room", "room-for-indicators-only"])
@pytest.mark.parametrize("earlier", [False, True], ids=["new-folder", "overwrite"])
def test_run_into_a_full_disk_changes_nothing_and_reruns(tmp_path, small_tmpfs, room_kib, earlier):
    out = small_tmpfs / "res"
    if earlier:
        assert _run(out, tmp_path, OLD_SEED).returncode == 0
    filler = small_tmpfs / "filler"
    filler.write_bytes(b"\0" * (shutil.disk_usage(small_tmpfs).free - room_kib * 1024))
    full = _run(out, tmp_path, NEW_SEED, "--overwrite")
    assert full.returncode == 2 and "space" in full.stderr
    _one_error_line(full.stderr)
    assert pair_seed(out) == (int(OLD_SEED) if earlier else None)
    assert _leftovers(small_tmpfs, "res") == []  # the temporary folder was removed
    filler.unlink()
    again = _run(out, tmp_path, NEW_SEED, "--overwrite")
    assert again.returncode == 0, again.stderr
    assert pair_seed(out) == int(NEW_SEED)
