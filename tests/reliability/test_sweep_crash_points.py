"""A sweep crashed at each of its write steps, and ``report`` on damaged folders (issue 13).

Each crash is an ``os._exit`` injected into the real ``hunan-sim sweep`` (``crash_at.py``: no cleanup, as a
``kill -9``) at one write step of the client, which does all the writing. After it, ``hunan-sim report`` either
reads the folder or refuses it with one line (exit 2, no traceback), and the same sweep command completes every
run, each with its matching flow file. A full disk while the definition is written is the same story.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from crash_at import CRASH_STATUS
from rel_helpers import REPO, TINY_EXPERIMENT, cli_env, files_under, kill_group, run_cli

CRASH = Path(__file__).with_name("crash_at.py")
#: the tiny experiment (4 runs) keeping its flows, so that a run is a pair of files
WITH_FLOWS = TINY_EXPERIMENT + "\n[outputs]\nflows = true\n"
N_RUNS = 4

# Every write step of a sweep's client, in order: (case, crash spec). The definition is design.parquet, then
# experiment.json (its presence marks the definition complete); then each run writes its flows, then its
# indicators (their presence marks the run done).
SWEEP_STEPS = [
    ("folders-made", "experiments.store:ResultStore._write_design@1:before"),
    ("design-written", "experiments.store:ResultStore._write_design@1:after"),
    ("experiment-json-written", "experiments.store:_atomic_text@1:after"),
    ("first-run-flows-written", "experiments.store:write_table_atomic@2:after"),
    ("first-run-written", "experiments.store:ResultStore.write_run@1:after"),
    ("third-run-flows-written", "experiments.store:write_table_atomic@4:after"),
]


def _sweep_args(exp: Path, out: Path) -> list[str]:
    return ["sweep", str(exp), "--out", str(out), "--workers", "1", "--no-progress"]


def _crash_sweep(spec: str, exp: Path, out: Path, tmp: Path) -> int:
    # its own session, so that the Dask workers it leaves behind can be killed with it
    proc = subprocess.Popen([sys.executable, str(CRASH), spec, "--", *_sweep_args(exp, out)], cwd=REPO,
                            env=cli_env(tmp), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        return proc.wait(timeout=240)
    finally:
        kill_group(proc)


def assert_report_reads_or_refuses(out: Path, tmp: Path) -> str:
    """``report`` on ``out`` exits 0 with a report, or 2 with one ``error:`` line; returns which."""
    proc = run_cli(["report", str(out), "--out", str(tmp / "report")], tmp)
    assert "Traceback" not in proc.stderr, proc.stderr
    if proc.returncode == 0:
        assert (tmp / "report" / "report.md").is_file()
        return "read"
    assert proc.returncode == 2, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and len(proc.stderr.splitlines()) == 1, proc.stderr
    return "refused"


def assert_complete_pairs(out: Path) -> None:
    """Every planned run has its indicator file and its flow file, both of the same run."""
    runs = sorted(p.name for p in (out / "runs").glob("r*.parquet"))
    flows = sorted(p.name for p in (out / "flows").glob("r*.parquet"))
    assert len(runs) == N_RUNS and runs == flows
    for name in runs:
        metas = [json.loads(pq.read_schema(out / sub / name).metadata[b"hunan_sim"])["run"]
                 for sub in ("runs", "flows")]
        assert metas[0] == metas[1]
    assert [f for f in files_under(out) if f.endswith(".tmp")] == []


@pytest.fixture
def experiment(tmp_path: Path) -> Path:
    path = tmp_path / "tiny-flows.toml"
    path.write_text(WITH_FLOWS, encoding="utf-8")
    return path


@pytest.mark.slow
@pytest.mark.parametrize(("case", "spec"), SWEEP_STEPS, ids=[s[0] for s in SWEEP_STEPS])
def test_sweep_killed_at_each_write_step_is_reported_or_refused_and_rerun_completes(tmp_path, experiment, case,
                                                                                    spec):
    out = tmp_path / "out"
    assert _crash_sweep(spec, experiment, out, tmp_path) == CRASH_STATUS  # it did crash at this step
    outcome = assert_report_reads_or_refuses(out, tmp_path)
    if case in ("folders-made", "design-written"):
        assert outcome == "refused"  # the definition is incomplete: nothing to report yet
    rerun = run_cli(_sweep_args(experiment, out), tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert_complete_pairs(out)
    assert assert_report_reads_or_refuses(out, tmp_path / "after") == "read"


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> dict[str, Path]:
    """One finished tiny sweep (with flows), copied by the tests that damage it."""
    tmp = tmp_path_factory.mktemp("finished")
    exp = tmp / "tiny-flows.toml"
    exp.write_text(WITH_FLOWS, encoding="utf-8")
    out = tmp / "out"
    proc = run_cli(_sweep_args(exp, out), tmp)
    assert proc.returncode == 0, proc.stderr
    return {"exp": exp, "out": out}


def _copy(finished: dict[str, Path], dest: Path) -> Path:
    shutil.copytree(finished["out"], dest)
    return dest


@pytest.mark.slow
def test_a_folder_torn_by_the_earlier_order_is_refused_then_repaired_by_a_rerun(finished, tmp_path):
    # experiment.json without design.parquet: what a crash between the two left before the order was swapped
    out = _copy(finished, tmp_path / "out")
    (out / "design.parquet").unlink()
    proc = run_cli(["report", str(out)], tmp_path)
    assert proc.returncode == 2 and "design.parquet" in proc.stderr and "rerun the same" in proc.stderr
    rerun = run_cli(_sweep_args(finished["exp"], out), tmp_path)
    assert rerun.returncode == 0 and f"{N_RUNS} already done" in rerun.stdout, rerun.stderr
    assert assert_report_reads_or_refuses(out, tmp_path) == "read"


@pytest.mark.slow
def test_report_on_a_torn_run_file_leaves_it_out_with_a_warning(finished, tmp_path):
    out = _copy(finished, tmp_path / "out")
    victim = out / "runs" / "r000001.parquet"
    victim.write_bytes(victim.read_bytes()[:2000])  # the footer is gone
    proc = run_cli(["report", str(out), "--out", str(tmp_path / "report")], tmp_path)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "warning:" in proc.stderr and victim.name in proc.stderr and "rerun the same" in proc.stderr
    assert "**1 of 4 runs have no result**" in (tmp_path / "report" / "report.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_report_on_a_run_file_damaged_inside_is_refused_with_a_message(finished, tmp_path):
    out = _copy(finished, tmp_path / "out")
    victim = out / "runs" / "r000002.parquet"
    raw = bytearray(victim.read_bytes())
    raw[200:2000] = b"\xff" * 1800  # the footer intact, the pages damaged
    victim.write_bytes(bytes(raw))
    assert assert_report_reads_or_refuses(out, tmp_path) == "refused"
    proc = run_cli(["report", str(out)], tmp_path)
    assert "runs" in proc.stderr and "rerun the same hunan-sim sweep command" in proc.stderr
    rerun = run_cli(_sweep_args(finished["exp"], out), tmp_path)  # quarantines and redoes the run
    assert rerun.returncode == 0 and "1 corrupt result files redone" in rerun.stdout, rerun.stderr
    assert assert_report_reads_or_refuses(out, tmp_path / "after") == "read"


@pytest.mark.parametrize("content", ["{not json", "[]", '{"name": "x"}', "\udcff"],
                         ids=["syntax", "not-an-object", "fields-missing", "not-utf8"])
@pytest.mark.slow
def test_report_on_a_bad_experiment_json_is_one_line(finished, tmp_path, capsys, content):
    import sim.cli

    out = _copy(finished, tmp_path / "out")
    (out / "experiment.json").write_bytes(content.encode("utf-8", "surrogateescape"))
    assert sim.cli.main(["report", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "experiment.json" in err


@pytest.mark.slow
def test_report_out_a_file_and_dir_a_file_are_one_line(finished, tmp_path, capsys):
    import sim.cli

    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    for argv, field in ((["report", str(finished["out"]), "--out", str(afile)], "--out"), (["report", str(afile)],
                                                                                            "DIR")):
        assert sim.cli.main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"'{field}'" in err and "this is a file" in err
    assert afile.read_text(encoding="utf-8") == "x"


@pytest.mark.slow
@pytest.mark.slow
def test_a_results_folder_named_like_a_glob_is_read_as_itself(finished, tmp_path):
    # DuckDB expands [1] in a path: without escaping, g[1] would read g1/ (another experiment's results)
    from experiments.store import query

    exact = _copy(finished, tmp_path / "g[1]")
    decoy = _copy(finished, tmp_path / "g1")
    for sub in ("runs", "flows"):  # the decoy keeps 2 of the 4 runs
        for p in sorted((decoy / sub).glob("r*.parquet"))[:2]:
            p.unlink()
    assert query(decoy, "SELECT count(DISTINCT run_index) AS n FROM runs")["n"].iloc[0] == 2
    assert query(exact, "SELECT count(DISTINCT run_index) AS n FROM runs")["n"].iloc[0] == N_RUNS
    assert query(exact, "SELECT count(DISTINCT filename) AS n FROM flows")["n"].iloc[0] == N_RUNS
    assert assert_report_reads_or_refuses(exact, tmp_path) == "read"
    for name in ("g*", "g?"):  # the other two glob characters
        other = _copy(finished, tmp_path / name)
        assert query(other, "SELECT count(DISTINCT run_index) AS n FROM runs")["n"].iloc[0] == N_RUNS


def test_sweep_out_empty_and_malformed_scheduler_are_refused_before_any_folder(tmp_path, tiny_experiment, capsys,
                                                                              monkeypatch):
    import sim.cli

    monkeypatch.chdir(tmp_path)
    for argv, field in ((["--out", ""], "--out"), (["--out", str(tmp_path / "bad\udcff")], "--out"),
                        (["--out", str(tmp_path / "x"), "--scheduler", "abc"], "--scheduler")):
        assert sim.cli.main(["sweep", str(tiny_experiment), *argv]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"'{field}'" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == [tiny_experiment.name]


@pytest.fixture
def nearly_full_tmpfs(tmp_path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)],
                      capture_output=True, check=False).returncode:
        pytest.skip("cannot mount a tmpfs here (not root?)")
    filler = mnt / "filler"
    filler.write_bytes(b"\0" * (shutil.disk_usage(mnt).free - 4096))  # no room for design.parquet
    yield mnt, filler
    subprocess.run(["umount", "-l", str(mnt)], check=False)


@pytest.mark.slow
def test_full_disk_while_writing_the_definition_is_one_line_then_rerun_completes(tmp_path, experiment,
                                                                                 nearly_full_tmpfs):
    mnt, filler = nearly_full_tmpfs
    out = mnt / "out"
    full = run_cli(_sweep_args(experiment, out), tmp_path)
    assert full.returncode == 2 and "space" in full.stderr and "rerun the same command" in full.stderr
    assert "Traceback" not in full.stderr and len(full.stderr.splitlines()) == 1, full.stderr
    assert not (out / "experiment.json").exists()
    assert assert_report_reads_or_refuses(out, tmp_path) == "refused"
    filler.unlink()
    rerun = run_cli(_sweep_args(experiment, out), tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert_complete_pairs(out)
