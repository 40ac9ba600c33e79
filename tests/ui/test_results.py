"""Reading a folder of stored results (no browser)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from ui_testdata import write_results

from sim.errors import InputError
from sim.run import RunResult
from sim.run import write_results as write_run
from ui.results import catalogue, provenance_summary, read_tidy, runs_of, scan_folder


def test_scan_lists_tidy_files_and_names_the_skipped_ones(tmp_path: Path) -> None:
    written = write_results(tmp_path / "exp")
    found = scan_folder(tmp_path / "exp", tmp_path)
    assert found.files == [p.resolve() for p in written]
    assert [name for name, _ in found.skipped] == ["not_indicators.parquet"]
    assert catalogue(found.files) == (["urbanization_rate"], ["Hunan", "Changsha"])


def test_hidden_folders_of_interrupted_writes_are_not_listed(tmp_path: Path) -> None:
    written = write_results(tmp_path / "exp")
    write_results(tmp_path / "exp" / ".run.abc123.tmp")  # what a crash during `run --overwrite` can leave
    found = scan_folder(tmp_path / "exp", tmp_path)
    assert found.files == [p.resolve() for p in written]
    assert [name for name, _ in found.skipped] == ["not_indicators.parquet"]


def test_runs_are_read_per_file_for_one_indicator_and_region(tmp_path: Path) -> None:
    folder = tmp_path / "exp"
    write_results(folder, n_runs=3)
    found = scan_folder(folder, tmp_path)
    runs = runs_of(found.files, folder, "urbanization_rate", "Changsha")
    assert sorted(runs) == ["run_000.parquet", "run_001.parquet", "run_002.parquet"]
    run = runs["run_002.parquet"]
    assert run.years == list(range(2010, 2021)) and run.values[1] == pytest.approx(46.2)
    assert run.scenario == ""  # these files record no scenario
    assert runs_of(found.files, folder, "no_such_indicator", "Hunan") == {}


def test_files_linked_from_outside_the_root_are_skipped(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write_results(outside, n_runs=1)
    root = tmp_path / "root"
    (root / "exp").mkdir(parents=True)
    (root / "exp" / "linked.parquet").symlink_to(outside / "run_000.parquet")
    found = scan_folder(root / "exp", root)
    assert found.files == [] and found.skipped == [("linked.parquet", "outside the results root")]


def test_a_corrupt_file_is_skipped_not_fatal(tmp_path: Path) -> None:
    folder = tmp_path / "exp"
    folder.mkdir()
    (folder / "broken.parquet").write_bytes(b"not parquet")
    found = scan_folder(folder, tmp_path)
    assert found.files == [] and found.skipped[0][0] == "broken.parquet"
    with pytest.raises(InputError):
        read_tidy(folder / "broken.parquet")


def test_provenance_of_a_model_run_is_summarised(tmp_path: Path) -> None:
    indicators = pd.DataFrame({"year": [2010], "region": ["Hunan"], "indicator": ["population"], "value": [1.0]})
    flows = pd.DataFrame({"year": [2011], "origin": ["Changsha"], "destination": ["Loudi"], "persons": [1.0]})
    meta = {"scenario": {"name": "baseline"}, "seed": 7, "scale": 500, "git_commit": "abc", "data_version": "d",
            "created": "2026-01-01"}
    write_run(RunResult(indicators=indicators, flows=flows, provenance=meta), tmp_path)
    summary = provenance_summary(tmp_path / "indicators.parquet")
    assert "scenario baseline" in summary and "seed 7" in summary
    write_results(tmp_path / "plain", n_runs=1)
    assert provenance_summary(tmp_path / "plain" / "run_000.parquet") == ""


def test_provenance_of_an_experiment_run_names_the_experiment(tmp_path: Path) -> None:
    from sim.run import write_table_atomic

    df = pd.DataFrame({"year": [2010], "region": ["Hunan"], "indicator": ["population"], "value": [1.0]})
    meta = {"experiment": {"name": "plan-vs-baseline", "digest": "x"},
            "run": {"run_index": 4, "scenario": "plan-2021"}, "model": {"seed": 9, "scale": 100}}
    write_table_atomic(df, tmp_path / "r000004.parquet", meta)
    summary = provenance_summary(tmp_path / "r000004.parquet")
    assert summary.startswith("experiment plan-vs-baseline, run 4, scenario plan-2021")
    assert "seed 9" in summary


def test_runs_of_a_sweep_carry_their_scenario(tmp_path: Path) -> None:
    folder = tmp_path / "sweep" / "runs"
    folder.mkdir(parents=True)
    for i, scenario in enumerate(["baseline", "plan-2021", "baseline"]):
        pd.DataFrame({"run_index": i, "scenario": scenario, "year": [2010, 2011], "region": "Hunan",
                      "indicator": "urbanization_rate", "value": [43.0, 44.0 + i]}).to_parquet(
            folder / f"r{i:06d}.parquet")
    found = scan_folder(tmp_path / "sweep", tmp_path)
    runs = runs_of(found.files, tmp_path / "sweep", "urbanization_rate", "Hunan")
    assert {name: r.scenario for name, r in runs.items()} == {
        "runs/r000000.parquet": "baseline", "runs/r000001.parquet": "plan-2021", "runs/r000002.parquet": "baseline"}
