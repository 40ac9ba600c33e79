"""The sweep benchmark's experiment and report (the figures themselves are measured in benchmarks/ only)."""

from __future__ import annotations

from benchmarks.sweep import DEFAULT_EXPERIMENT, render_section, summarise
from experiments.spec import load_experiment


def test_sweep_experiment_is_100_runs_of_the_baseline_at_1_100_to_2035() -> None:
    experiment = load_experiment(DEFAULT_EXPERIMENT)
    plan = experiment.plan()
    assert len(plan) == 100
    assert {p.scale for p in plan} == {100} and {p.end_year for p in plan} == {2035}
    assert len({p.spec.seed for p in plan}) == 100


def _run(workers: int, wall: float, cpu: float) -> dict:
    return {"workers": workers, "n_runs": 100, "n_completed": 100, "n_failed": 0, "wall_s": wall,
            "run_wall_s": wall * workers, "run_cpu_s": cpu, "mean_run_cpu_s": cpu / 100,
            "load_avg_start": [0.5, 0.5, 0.5], "load_avg_end": [1.9, 1.0, 0.7]}


def test_efficiency_and_report_rows() -> None:
    sweep = {"command": "python -m benchmarks.sweep --workers 1,2", "date": "2026-01-01T00:00:00+00:00",
             "commit": "abc1234", "experiment": "benchmarks/sweep-100.toml",
             "runs": [_run(1, 200.0, 190.0), _run(2, 125.0, 200.0)]}
    s = summarise(sweep["runs"])
    assert s["efficiency_wall"] == 200.0 / 250.0
    rows, section = render_section(sweep)
    assert len(rows) == 2
    assert "2.1 min" in rows[0] and "| yes /" in rows[0]
    assert "80 % on wall time" in rows[1] and "95 % on CPU time" in rows[1] and "| yes / yes |" in rows[1]
    assert any(line.startswith("| 2 | 100 of 100 | 125.0 |") for line in section)
