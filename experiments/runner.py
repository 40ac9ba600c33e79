"""Run an experiment's plan on Dask: a local cluster, any running scheduler, or a SLURM cluster.

The client (this process) plans the runs, skips those already finished in the results folder, submits the rest
as Dask tasks (through the project's one runner, :func:`sim.ensemble.as_completed_runs`, on its one cluster
factory) and writes each result the moment it arrives; workers only simulate. So:

* results do not depend on the number or kind of workers (each run's seed comes from the master seed and the
  run's index, :mod:`experiments.seeds`);
* a sweep killed at any moment (``kill -9`` included) loses at most the runs in flight, and a restart with the
  same command finishes the rest;
* workers need the code but not the results folder (a remote cluster need not share a file system).

>>> from experiments.spec import load_experiment
>>> from experiments.runner import run_experiment
>>> summary = run_experiment(load_experiment("hukou-housing"), "results/hukou-housing", workers=2)  # doctest: +SKIP
"""

from __future__ import annotations

import os
import socket
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.spec import Experiment, OutputSpec, PlannedRun
from experiments.store import ResultStore
from sim.ensemble import (as_completed_runs, check_scheduler_address, check_slurm_submissions, local_cluster,
                          slurm_cluster)
from sim.errors import InputError
from sim.run import RunResult, run_simulation

ModelFn = Callable[..., RunResult]


@dataclass
class RunOutcome:
    """What a worker sends back for one run (a result or an error, never both)."""

    run_index: int
    ok: bool
    indicators: pd.DataFrame | None = None
    flows: pd.DataFrame | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    elapsed: float = 0.0
    worker: str = ""
    error_type: str = ""
    message: str = ""
    traceback: str = ""


@dataclass
class SweepSummary:
    """What a sweep did.

    Attributes:
        out_dir: the results folder.
        n_runs: runs in the plan.
        n_done_before: runs already finished when the sweep started.
        n_completed: runs finished by this sweep.
        n_failed: runs that failed in this sweep.
        n_failed_skipped: earlier failures not retried (use ``retry_failed``).
        n_corrupt: result files found corrupt and redone.
        elapsed: wall-clock seconds of the sweep (cluster start included).
        workers: number of Dask workers used.
        run_seconds: simulation seconds of each run completed in this sweep.
    """

    out_dir: Path
    n_runs: int
    n_done_before: int = 0
    n_completed: int = 0
    n_failed: int = 0
    n_failed_skipped: int = 0
    n_corrupt: int = 0
    elapsed: float = 0.0
    workers: int = 0
    run_seconds: list[float] = field(default_factory=list)

    @property
    def n_missing(self) -> int:
        """Runs without a result after the sweep."""
        return self.n_runs - self.n_done_before - self.n_completed

    def describe(self) -> str:
        """One paragraph for the command line."""
        text = (f"{self.n_runs} runs in {self.out_dir}: {self.n_done_before} already done, {self.n_completed} "
                f"completed now, {self.n_failed} failed now")
        if self.n_failed_skipped:
            text += f", {self.n_failed_skipped} earlier failures skipped (rerun them with --retry-failed)"
        if self.n_corrupt:
            text += f", {self.n_corrupt} corrupt result files redone"
        text += f"; {self.elapsed:.1f} s on {self.workers} workers"
        if self.run_seconds:
            text += f" (mean {sum(self.run_seconds) / len(self.run_seconds):.2f} s of simulation per run)"
        return text + "."


# --------------------------------------------------------------------------------------------------------
# the task (runs on a worker)
# --------------------------------------------------------------------------------------------------------

def _filter(indicators: pd.DataFrame, outputs: OutputSpec) -> pd.DataFrame:
    keep = pd.Series(True, index=indicators.index)
    if outputs.indicators is not None:
        keep &= indicators["indicator"].isin(outputs.indicators)
    if outputs.regions is not None:
        keep &= indicators["region"].isin(outputs.regions)
    if outputs.years is not None:
        keep &= indicators["year"].isin(outputs.years)
    return indicators[keep]


def execute_run(task: PlannedRun, model_fn: ModelFn | None = None) -> RunOutcome:
    """Simulate one planned run; errors are returned, not raised, so that the client can record them.

    Args:
        task: the run and its built inputs.
        model_fn: the model function (default :func:`sim.run.run_simulation`; tests pass a wrapper).
    """
    fn = model_fn or run_simulation
    worker = f"{socket.gethostname()}:{os.getpid()}"
    start = time.perf_counter()
    try:
        result = fn(scenario=task.scenario, params=task.params, seed=task.spec.seed, scale=task.scale,
                    end_year=task.end_year)
        indicators = _filter(result.indicators, task.outputs)
        flows = result.flows if task.outputs.flows else None
        return RunOutcome(run_index=task.spec.run_index, ok=True, indicators=indicators, flows=flows,
                          provenance=result.provenance, elapsed=time.perf_counter() - start, worker=worker)
    except Exception as exc:  # noqa: BLE001 - any model error is recorded against its run
        return RunOutcome(run_index=task.spec.run_index, ok=False, elapsed=time.perf_counter() - start,
                          worker=worker, error_type=type(exc).__name__, message=str(exc),
                          traceback=traceback.format_exc())


# --------------------------------------------------------------------------------------------------------
# the sweep (runs on the client)
# --------------------------------------------------------------------------------------------------------

def run_experiment(experiment: Experiment, out_dir: Path | str, *, workers: int | None = None,
                   scheduler: str | None = None, slurm_jobs: int | None = None,
                   slurm_options: Mapping[str, Any] | None = None, slurm_min_jobs: int = 0,
                   retry_failed: bool = False,
                   progress: bool = True, model_fn: ModelFn | None = None,
                   connect_timeout: float = 30.0) -> SweepSummary:
    """Run every unfinished run of ``experiment`` and write its results to ``out_dir``.

    Args:
        experiment: the validated experiment.
        out_dir: the results folder (created; or resumed if it holds this experiment).
        workers: local worker processes (default: the number of CPUs); ignored with ``scheduler`` or SLURM.
        scheduler: address of a running Dask scheduler, e.g. ``tcp://10.0.0.5:8786``.
        slurm_jobs: start an adaptive SLURM cluster of at most this many worker jobs (options in
            ``slurm_options``): jobs are submitted while runs wait, and a job whose workers retire before its
            time limit (:func:`sim.ensemble.worker_lifetime`) is replaced; when SLURM refuses a job the sweep
            stops with an InputError (finished runs are kept).
        slurm_min_jobs: jobs kept even when no run waits (default 0).
        slurm_options: keyword arguments of :func:`slurm_cluster`.
        retry_failed: run earlier failed runs again (by default they are reported and skipped).
        progress: show a progress bar with ETA on stderr.
        model_fn: the model function (default :func:`sim.run.run_simulation`).
        connect_timeout: seconds to wait for ``scheduler``.

    Returns:
        A summary of what was done.

    Raises:
        InputError: the folder holds another experiment, is locked by another sweep, or the scheduler cannot be
            reached.
    """
    from distributed import Client
    from tqdm.auto import tqdm

    start = time.perf_counter()
    if scheduler:  # a malformed address is refused before the results folder is created
        check_scheduler_address(scheduler)
    plan = experiment.plan()
    digest = experiment.digest(plan)
    store = ResultStore(out_dir)
    summary = SweepSummary(out_dir=store.root, n_runs=len(plan))
    with store.locked():
        store.prepare(experiment, plan, digest)
        state = store.scan(plan)
        summary.n_done_before = len(state.done)
        summary.n_corrupt = len(state.corrupt)
        todo = [p for p in plan if p.spec.run_index not in state.done
                and (retry_failed or p.spec.run_index not in state.failed)]
        summary.n_failed_skipped = 0 if retry_failed else len(state.failed)
        if not todo:
            summary.elapsed = time.perf_counter() - start
            return summary
        cluster = client = None
        try:
            if scheduler:
                try:
                    client = Client(scheduler, timeout=f"{connect_timeout}s")
                except (OSError, TimeoutError, ValueError) as exc:
                    raise InputError(field="--scheduler", value=scheduler, allowed=f"the address of a running "
                                     f"Dask scheduler ({exc})", source="command line") from None
            else:
                if slurm_jobs:
                    cluster = slurm_cluster(**(slurm_options or {}))
                    # adaptive, as dask-jobqueue recommends with worker lifetimes: jobs come and go with the work
                    cluster.adapt(minimum_jobs=min(slurm_min_jobs, slurm_jobs), maximum_jobs=slurm_jobs)
                else:
                    cluster = local_cluster(workers or os.cpu_count() or 1)
                client = Client(cluster)
            summary.workers = len(client.scheduler_info(n_workers=-1).get("workers", {})) \
                if not slurm_jobs else slurm_jobs * int((slurm_options or {}).get("cores", 1))
            # explicit keys: unique per experiment and run, so a shared scheduler never mixes two sweeps' tasks
            keys = [f"hunan-{digest}-{p.spec.run_id}" for p in todo]
            check = (lambda: check_slurm_submissions(cluster)) if slurm_jobs else None
            finished = as_completed_runs(client, execute_run, todo, model_fn, keys=keys, check=check)
            with tqdm(total=len(plan), initial=summary.n_done_before, unit="run", desc=experiment.name,
                      disable=not progress, file=sys.stderr, dynamic_ncols=True, smoothing=0.1) as bar:
                for position, fut in finished:
                    planned = todo[position]
                    index = planned.spec.run_index
                    try:
                        outcome: RunOutcome = fut.result()
                    except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker: the run took its worker down
                        outcome = RunOutcome(run_index=index, ok=False, error_type=type(exc).__name__,
                                             message=str(exc), traceback=traceback.format_exc())
                    try:
                        if outcome.ok:
                            store.write_run(planned, experiment=experiment.name, digest=digest,
                                            indicators=outcome.indicators, flows=outcome.flows,
                                            provenance=outcome.provenance, elapsed=outcome.elapsed,
                                            worker=outcome.worker)
                            summary.n_completed += 1
                            summary.run_seconds.append(outcome.elapsed)
                        else:
                            store.write_failure(planned.spec, error_type=outcome.error_type,
                                                message=outcome.message, traceback=outcome.traceback,
                                                worker=outcome.worker)
                            summary.n_failed += 1
                            bar.set_postfix(failed=summary.n_failed)
                    except OSError as exc:  # e.g. a full disk: finished files stay; the same command continues
                        raise InputError(field="--out", value=str(store.root), source="command line",
                                         allowed=f"a folder with free space ({exc.strerror or exc}); rerun the "
                                                 "same command to continue where it stopped") from None
                    fut.release()
                    bar.update(1)
        finally:
            # only this process writes result files, and it is not writing now: a Ctrl-C that fell between a
            # temporary file's creation and its guard leaves no .tmp behind (the next sweep would remove it too)
            store.remove_temporaries()
            if client is not None:
                client.close()
            if cluster is not None:
                cluster.close()
    summary.elapsed = time.perf_counter() - start
    return summary
