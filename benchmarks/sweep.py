"""Time a 100-run sweep at scale 1:100 on 1 and on 2 local Dask workers (issue 6: ≤ 5 min on 2 workers,
parallel efficiency from 1 to 2 workers ≥ 80 %).

Usage (from the repository root)::

    python -m benchmarks.sweep [--workers 1,2] [--experiment benchmarks/sweep-100.toml] [--set replications=20]

Each worker count runs the whole experiment (``benchmarks/sweep-100.toml``: 100 replications of the baseline at
scale 1:100, 2010-2035) into a fresh temporary folder through the same code as ``hunan-sim sweep`` (Dask
``LocalCluster``, one single-threaded worker process per worker; cluster start-up, every run, and writing every
result file are inside the wall time). The CPU time of each run is measured inside its worker
(``time.process_time`` around the simulation) and summed; the load average of the machine is recorded at the
start and end of each sweep, because the machine may be shared. Parallel efficiency is
``wall(1 worker) / (2 × wall(2 workers))``.

The figures go to ``benchmarks/sweep.json``, and ``benchmarks/results.md`` is re-rendered from
``benchmarks/results.json`` with them (``python -m benchmarks.run`` includes them too while the file exists).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EXPERIMENT = ROOT / "benchmarks" / "sweep-100.toml"
DEFAULT_OUT = ROOT / "benchmarks" / "sweep.json"
RESULTS_JSON = ROOT / "benchmarks" / "results.json"
CPU_KEY = "benchmark_run_cpu_s"
#: The issue's targets.
TARGET_SWEEP_S = 300.0
TARGET_EFFICIENCY = 0.80


def timed_simulation(**kwargs: Any) -> Any:
    """:func:`sim.run.run_simulation`, with the run's CPU time (this worker process) added to its provenance."""
    from sim.run import run_simulation

    start = time.process_time()
    result = run_simulation(**kwargs)
    result.provenance[CPU_KEY] = time.process_time() - start
    return result


def measure_sweep(experiment_path: Path, workers: int, overrides: Sequence[str] = ()) -> dict[str, Any]:
    """Run the experiment on ``workers`` local workers into a fresh folder; wall time, CPU time, load average."""
    from experiments.runner import run_experiment
    from experiments.spec import load_experiment
    from sim.run import read_provenance

    experiment = load_experiment(experiment_path, overrides=list(overrides))
    with tempfile.TemporaryDirectory(prefix="hunan-sweep-bench-") as tmp:
        load_start = os.getloadavg()
        summary = run_experiment(experiment, Path(tmp) / "out", workers=workers, progress=False,
                                 model_fn=timed_simulation)
        load_end = os.getloadavg()
        cpu = [read_provenance(p).get("model", {}).get(CPU_KEY, float("nan"))
               for p in sorted((Path(tmp) / "out" / "runs").glob("*.parquet"))]
    return {"workers": workers, "n_runs": summary.n_runs, "n_completed": summary.n_completed,
            "n_failed": summary.n_failed, "wall_s": summary.elapsed, "run_wall_s": sum(summary.run_seconds),
            "run_cpu_s": sum(cpu), "mean_run_cpu_s": sum(cpu) / max(len(cpu), 1),
            "load_avg_start": list(load_start), "load_avg_end": list(load_end)}


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Efficiency 1 -> 2 workers (wall and CPU-based) when both were measured."""
    by = {r["workers"]: r for r in runs}
    out: dict[str, Any] = {}
    if 1 in by and 2 in by:
        out["efficiency_wall"] = by[1]["wall_s"] / (2 * by[2]["wall_s"])
        # CPU per run on 2 workers against 1: what two workers cost each other (memory bandwidth, caches), the
        # part of the efficiency that does not depend on other processes taking cores
        out["cpu_per_run_ratio"] = by[2]["mean_run_cpu_s"] / by[1]["mean_run_cpu_s"]
        out["efficiency_cpu"] = 1.0 / out["cpu_per_run_ratio"]
    return out


def render_section(sweep: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Rows for the targets table and a Markdown section for ``benchmarks/results.md``."""
    runs = {r["workers"]: r for r in sweep["runs"]}
    s = summarise(sweep["runs"])
    rows: list[str] = []
    if 2 in runs:
        r = runs[2]
        rows.append(f"| {r['n_runs']}-run sweep at 1:100, 2010-2035, on 2 local Dask workers ≤ "
                    f"{TARGET_SWEEP_S / 60:g} min | {r['wall_s'] / 60:.1f} min ({r['run_cpu_s'] / 60:.1f} CPU-min over "
                    f"the runs; load avg {r['load_avg_start'][0]:.1f}-{r['load_avg_end'][0]:.1f}) | "
                    f"{_met(r['wall_s'] <= TARGET_SWEEP_S)} / {_met(r['run_cpu_s'] / 2 <= TARGET_SWEEP_S)} |")
    if "efficiency_wall" in s:
        rows.append(f"| parallel efficiency of the sweep, 1 -> 2 workers ≥ {100 * TARGET_EFFICIENCY:.0f} % | "
                    f"{100 * s['efficiency_wall']:.0f} % on wall time ({100 * s['efficiency_cpu']:.0f} % on CPU time "
                    f"per run; load avg up to {max(r['load_avg_end'][0] for r in runs.values()):.1f}) | "
                    f"{_met(s['efficiency_wall'] >= TARGET_EFFICIENCY)} / "
                    f"{_met(s['efficiency_cpu'] >= TARGET_EFFICIENCY)} |")
    section = ["## Sweeps on Dask", "",
               f"Generated by `{sweep['command']}` on {sweep['date']} at commit {sweep['commit']}: the experiment "
               f"`{sweep['experiment']}` ({runs[min(runs)]['n_runs']} runs of the baseline at 1:100, 2010-2035) "
               "into a fresh folder on a local Dask cluster of single-threaded worker processes, exactly as "
               "`hunan-sim sweep --workers N` runs it. Wall time covers the cluster's start, every run and writing "
               "every result file; CPU time is the sum over the runs of each run's simulation CPU time in its "
               "worker. Parallel efficiency = wall(1 worker) / (2 × wall(2 workers)).", "",
               "| workers | runs done | wall s | wall per run s | CPU s over the runs | CPU per run s | load avg "
               "start / end |", "|---|---|---|---|---|---|---|"]
    for w in sorted(runs):
        r = runs[w]
        section.append(f"| {w} | {r['n_completed']} of {r['n_runs']} | {r['wall_s']:.1f} | "
                       f"{r['wall_s'] / max(r['n_completed'], 1):.2f} | {r['run_cpu_s']:.1f} | "
                       f"{r['mean_run_cpu_s']:.2f} | {r['load_avg_start'][0]:.1f} / {r['load_avg_end'][0]:.1f} |")
    if "efficiency_wall" in s:
        section += ["", f"Parallel efficiency 1 -> 2 workers: **{100 * s['efficiency_wall']:.0f} %** on wall time. "
                    f"A run's CPU time on 2 workers was {s['cpu_per_run_ratio']:.2f}× that on 1 (CPU-time efficiency "
                    f"{100 * s['efficiency_cpu']:.0f} %): that is what the two workers cost each other (memory "
                    "bandwidth, caches). The wall-time efficiency also depends on the cores "
                    "being free: where the load average exceeds the workers' own load, other processes took cores "
                    "as well, and a saturated machine gives the second worker little to run on."]
    return rows, section + [""]


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sweep", description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="1,2", help="worker counts to measure, comma-separated (default 1,2)")
    parser.add_argument("--experiment", type=Path, default=DEFAULT_EXPERIMENT)
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a setting of the experiment (TOML value), e.g. replications=20")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON results (default benchmarks/sweep.json)")
    parser.add_argument("--no-report", action="store_true", help="do not re-render benchmarks/results.md")
    args = parser.parse_args(argv)
    counts = [int(w) for w in args.workers.split(",")]
    runs = []
    for w in counts:
        print(f"sweep on {w} worker(s) ...", file=sys.stderr, flush=True)
        runs.append(measure_sweep(args.experiment, w, args.overrides))
        print(f"  {runs[-1]['wall_s']:.1f} s", file=sys.stderr, flush=True)
    from benchmarks.run import machine_info

    machine = machine_info()
    try:
        experiment = str(args.experiment.resolve().relative_to(ROOT))
    except ValueError:
        experiment = str(args.experiment)
    command = "python -m benchmarks.sweep " + " ".join(
        [f"--workers {args.workers}"] + [f"--set {o}" for o in args.overrides])
    sweep = {"command": command, "date": datetime.now(UTC).isoformat(timespec="seconds"),
             "commit": machine["commit"], "experiment": experiment, "runs": runs, "summary": summarise(runs)}
    args.out.write_text(json.dumps(sweep, indent=1), encoding="utf-8")
    rows, section = render_section(sweep)
    print("\n".join(rows + [""] + section))
    if not args.no_report and RESULTS_JSON.exists():
        from benchmarks import run as bench_run

        bench_run.main(["--from-json", str(RESULTS_JSON)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
