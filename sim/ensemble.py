"""The one ensemble runner and the one Dask cluster factory.

Runner: :func:`as_completed_runs` submits one task per run to a Dask client and hands each back as it finishes,
with its position in the plan; :func:`run_ensemble` (calibration's posterior projections and sensitivity
designs, and the UI's comparison view: one :class:`EnsembleRun` per run) and
:func:`experiments.runner.run_experiment` (an experiment's plan, written to its results folder as runs finish)
are both built on it. Seeds come from :mod:`sim.seeds`. :func:`run_ensemble` without a client runs the same
specs one after another in the calling process: the UI compares a few small runs in seconds, where starting a
cluster would take longer than the runs.

Cluster factory: local clusters, SLURM clusters and clients of a running scheduler.

Experiments (:mod:`experiments.runner`), calibration (:mod:`calibration.smc`, :mod:`calibration.report`,
:mod:`calibration.screening`) and the benchmarks start their workers here, so that every local cluster is
built the same way:

* one single-threaded worker process per worker: the model is numpy-bound and holds the GIL for long
  stretches, and pyabc's proposals use numpy's per-process global state, so threads would neither speed up
  the model nor keep results repeatable (:mod:`calibration.sampler`);
* scheduler, workers and the scheduler's HTTP server (dashboard) listen on the loopback only, on free ports:
  nothing is reachable from other machines, and several clusters can share a machine without "port already in
  use" (the scheduler serves HTTP even with the dashboard off, on 8787 unless told otherwise);
* workers start without Dask's ``MALLOC_TRIM_THRESHOLD_`` (:func:`worker_environment`).

For a SLURM or PBS cluster, :func:`slurm_cluster` starts one with dask-jobqueue, or start a scheduler and
workers yourself (``--nthreads 1`` per worker, in the project's environment) and pass its address
(``tcp://host:8786``) to :func:`dask_client`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim.errors import InputError
from sim.seeds import spawned_seeds
from sim.years import LAST_OBSERVED_YEAR, PLAN_END_YEAR, PLAN_YEARS, START_YEAR

if TYPE_CHECKING:  # imported lazily at run time: Dask and dask-jobqueue take a second to import
    import pandas as pd
    from dask_jobqueue import SLURMCluster
    from distributed import Client, Future, LocalCluster

    from sim.scenario import Scenario

#: Provincial indicators kept for every year (the plan's outputs and the calibration's provincial targets).
PROVINCE_INDICATORS = (
    "urbanization_rate", "czt_urban_share", "urban_rural_income_ratio", "urban_unemployment_rate",
    "hukou_urbanization_rate", "hukou_gap", "registered_minus_resident", "population", "outside_hunan_population",
    "registered_elsewhere_in_hunan", "migrant_children_public_school_share", "settled_migrants", "permit_holders",
)


# --------------------------------------------------------------------------------------------------------
# the runner
# --------------------------------------------------------------------------------------------------------

def as_completed_runs(client: Client, fn: Callable[..., Any], items: Sequence[Any], *args: Any,
                      keys: Sequence[str] | None = None,
                      check: Callable[[], None] | None = None) -> Iterator[tuple[int, Future]]:
    """Submit ``fn(item, *args)`` for every item and yield ``(position in items, future)`` as each finishes.

    Args:
        client: a connected Dask client (:func:`dask_client`, :func:`local_cluster`, a scheduler, SLURM).
        fn: the task (picklable; runs on a worker).
        items: one per run.
        *args: extra arguments of every task.
        keys: Dask keys, one per item (unique per run, so that a shared scheduler never mixes two ensembles'
            tasks); default: random keys.
        check: called about five times a second while no run has finished; it raises to stop waiting (e.g.
            :func:`check_slurm_submissions`, when SLURM refuses the worker jobs).

    Yields:
        The item's position and its finished future (``future.result()`` returns or raises the task's result).
    """
    from distributed import as_completed

    futures = [client.submit(fn, item, *args, key=None if keys is None else keys[i], pure=False)
               for i, item in enumerate(items)]
    index = {f.key: i for i, f in enumerate(futures)}
    finished = as_completed(futures)
    if check is None:
        for future in finished:
            yield index[future.key], future
        return
    import time

    while not finished.is_empty():  # poll, so that ``check`` can stop a sweep that would otherwise wait forever
        batch = finished.next_batch(block=False)
        if not batch:
            check()
            time.sleep(0.2)
        for future in batch:
            yield index[future.key], future


@dataclass(frozen=True)
class EnsembleRun:
    """One run of an ensemble (a posterior projection or a sensitivity design point).

    Attributes:
        params: parameter values on top of the declared defaults.
        seed: model seed (a Python int; Mesa refuses numpy integers).
        scale: households per agent record.
        scenario: a scenario, or the name of a file in ``scenarios/``.
        end_year: last simulated year.
        tag: free label carried to the output (e.g. the draw number).
        keep_years: years for which every region's rows are kept (all years are kept for ``Hunan``'s
            :data:`PROVINCE_INDICATORS`); ``None`` keeps every row.
    """

    params: Mapping[str, float]
    seed: int
    scale: float
    scenario: Scenario | str = "baseline"
    end_year: int = PLAN_END_YEAR
    tag: int = 0
    keep_years: tuple[int, ...] | None = (START_YEAR, 2017, LAST_OBSERVED_YEAR, *PLAN_YEARS)


def clip_to_bounds(values: Mapping[str, float]) -> dict[str, float]:
    """Values clipped to each parameter's declared range.

    Design generators work in floating point: SALib's Morris grid can land a rounding error past a bound
    (0.020000000000000004 for a bound of 0.02), which the parameter declaration rightly refuses.
    """
    from sim.parameters import parameter_specs

    specs = parameter_specs()
    return {k: min(max(float(v), float(specs[k]["low"])), float(specs[k]["high"])) for k, v in values.items()}


def run_one(spec: EnsembleRun) -> pd.DataFrame:
    """Run one spec and return the kept indicator rows with a ``tag`` column."""
    from sim.parameters import ModelParameters
    from sim.run import run_simulation

    params = ModelParameters().replace(**clip_to_bounds(spec.params))
    result = run_simulation(scenario=spec.scenario, params=params, seed=int(spec.seed), scale=spec.scale,
                            end_year=spec.end_year)
    df = result.indicators
    if spec.keep_years is None:
        out = df.reset_index(drop=True)
    else:
        keep = ((df.region == "Hunan") & df.indicator.isin(PROVINCE_INDICATORS)) | df.year.isin(spec.keep_years)
        out = df[keep].reset_index(drop=True)
    out["tag"] = spec.tag
    return out


class Cancelled(Exception):
    """Raised by :func:`run_ensemble` when its ``cancelled`` callback returned True."""


def run_ensemble(client: Client | None, specs: Sequence[EnsembleRun],
                 progress: Callable[[int, int], None] | None = None,
                 cancelled: Callable[[], bool] | None = None) -> list[pd.DataFrame]:
    """Run every spec; results in the order of ``specs`` (a failed run raises its error).

    Args:
        client: a Dask client to run the specs on, or ``None`` to run them one after another in this process
            (the same :func:`run_one`, so both give the same tables bit for bit).
        specs: the runs.
        progress: called with ``(runs done, runs in all)`` after each run.
        cancelled: in this process only, polled before each run; when it returns True the ensemble stops.

    Raises:
        Cancelled: if ``cancelled()`` became true.
    """
    out: list[pd.DataFrame | None] = [None] * len(specs)
    if client is None:
        for i, spec in enumerate(specs):
            if cancelled is not None and cancelled():
                raise Cancelled()
            out[i] = run_one(spec)
            if progress is not None:
                progress(i + 1, len(specs))
        return out  # type: ignore[return-value]
    for done, (i, future) in enumerate(as_completed_runs(client, run_one, list(specs)), start=1):
        out[i] = future.result()
        if progress is not None:
            progress(done, len(specs))
    return out  # type: ignore[return-value]


def spawn_seeds(seed: int, n: int) -> list[int]:
    """``n`` independent model seeds from one recorded master seed (Python ints).

    :func:`sim.seeds.derive_seed` in its ``"low63"`` form, the one the recorded projections were made with.
    """
    return spawned_seeds(seed, n, form="low63")


# --------------------------------------------------------------------------------------------------------
# clusters
# --------------------------------------------------------------------------------------------------------


def default_workers() -> int:
    """One worker per available core."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def worker_environment() -> dict[str, Any]:
    """Environment variables set before a local worker process starts: Dask's defaults without
    ``MALLOC_TRIM_THRESHOLD_``.

    Dask sets ``MALLOC_TRIM_THRESHOLD_=65536`` so that workers hand freed memory back to the system at once. The
    model allocates and frees many arrays of a few MB every year; with that setting glibc returns and re-faults
    their pages each time, and a run at 1:100 took twice the CPU time in a worker that it takes in a plain
    process (3.8 s against 1.9 s, measured in benchmarks/results.md). glibc's own defaults keep them.
    """
    import dask

    env = dict(dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {})
    env.pop("MALLOC_TRIM_THRESHOLD_", None)
    return env


def local_cluster(workers: int, *, silence_logs: int = logging.CRITICAL) -> LocalCluster:
    """A local cluster of ``workers`` single-threaded worker processes on the loopback (module docstring).

    Args:
        workers: worker processes (a whole number >= 1).
        silence_logs: level below which Dask's own log lines are dropped (sweeps show a progress bar and drop
            all of them; calibration keeps errors).

    Raises:
        InputError: if ``workers`` is not a whole number >= 1.
    """
    import dask
    from distributed import LocalCluster

    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InputError(field="--workers", value=workers, allowed="a whole number >= 1", source="command line")
    with dask.config.set({"distributed.nanny.pre-spawn-environ": worker_environment()}), _sigint_ignored():
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                            dashboard_address="127.0.0.1:0", silence_logs=silence_logs)


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ignore Ctrl-C while worker processes are spawned, so that they inherit "ignore".

    Ctrl-C in a terminal reaches every process of the foreground group: the workers would each print a
    KeyboardInterrupt traceback. A process started with SIGINT ignored keeps it ignored (Python and asyncio
    install their handler only over the default one); the client alone handles Ctrl-C and closes the cluster.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def dask_client(*, workers: int | None = None, scheduler: str | None = None,
                silence_logs: int = logging.ERROR) -> Iterator[Client]:
    """A connected Dask client, closed (with its local cluster) on exit.

    Args:
        workers: local worker processes (default: one per core); ignored with ``scheduler``.
        scheduler: address of a running Dask scheduler; ``None`` starts a :func:`local_cluster`.
        silence_logs: passed to :func:`local_cluster`.

    Raises:
        InputError: if the scheduler cannot be reached.
    """
    from distributed import Client

    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError, ValueError) as exc:  # ValueError: a malformed address such as "x"
            raise InputError(field="--scheduler", value=scheduler, allowed=f"the address of a running Dask "
                             f"scheduler, e.g. tcp://host:8786 ({exc})", source="command line") from None
        try:
            yield client
        finally:
            client.close()
        return
    with local_cluster(workers or default_workers(), silence_logs=silence_logs) as cluster, \
            Client(cluster) as client:
        yield client


def walltime_seconds(walltime: str) -> int:
    """A SLURM time limit (``MM``, ``MM:SS``, ``HH:MM:SS``, ``D-HH``, ``D-HH:MM``, ``D-HH:MM:SS``) in seconds.

    Raises:
        InputError: naming ``--slurm-walltime``, the value and the forms allowed.
    """
    text = str(walltime).strip()
    m = re.fullmatch(r"(?:(\d{1,3})-)?(\d{1,4})(?::(\d{1,2}))?(?::(\d{1,2}))?", text)
    if m is None or len(text) > 20:
        seconds = 0
    else:
        days, a, b, c = (int(g) if g is not None else None for g in m.groups())
        if days is not None:  # D-HH[:MM[:SS]]
            seconds = days * 86400 + a * 3600 + (b or 0) * 60 + (c or 0)
        elif c is not None:  # HH:MM:SS
            seconds = a * 3600 + b * 60 + c
        elif b is not None:  # MM:SS
            seconds = a * 60 + b
        else:  # MM
            seconds = a * 60
    if seconds < 300:
        raise InputError(field="--slurm-walltime", value=walltime, source="command line",
                         allowed="a SLURM time limit of at least 5 minutes: MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or "
                                 "D-HH:MM:SS (e.g. 02:00:00)")
    return seconds


def worker_lifetime(walltime: str) -> tuple[int, int]:
    """``(lifetime, stagger)`` in seconds for the workers of jobs with this time limit.

    A worker retires gracefully ``lifetime ± stagger`` after it starts, before SLURM kills its job at the time
    limit: its finished results are handed over, the adaptive cluster submits a new job in its place, and the
    stagger keeps all workers from leaving at once (the pattern dask-jobqueue's documentation recommends for
    long computations). The margin is a tenth of the time limit, from 1 to 10 minutes.
    """
    total = walltime_seconds(walltime)
    margin = max(60, min(600, round(total / 10)))
    return total - margin, round(margin / 2)


def slurm_cluster(*, queue: str | None = None, account: str | None = None, walltime: str = "02:00:00",
                  memory: str = "2GiB", cores: int = 1, python: str | None = None,
                  job_extra_directives: Sequence[str] = (), job_script_prologue: Sequence[str] = (),
                  dashboard_address: str = "127.0.0.1:0") -> SLURMCluster:
    """A dask-jobqueue ``SLURMCluster`` whose jobs each start ``cores`` single-threaded workers.

    Workers retire before the job's time limit (:func:`worker_lifetime`); scale it with
    ``cluster.adapt(minimum_jobs=..., maximum_jobs=...)`` so that retired workers are replaced by new jobs.
    A job that ``sbatch`` refuses is recorded (:func:`check_slurm_submissions` raises it as an InputError)
    instead of being lost in an asyncio task that nobody awaits.

    Args:
        queue: SLURM partition (``#SBATCH -p``).
        account: SLURM account (``#SBATCH -A``).
        walltime: time limit of each worker job.
        memory: memory of each job (a run at scale 100 peaks at about 230 MiB; a worker adds about 150 MiB).
        cores: worker processes per job.
        python: the cluster's Python (default: this interpreter; set it when the cluster's path differs).
        job_extra_directives: more ``#SBATCH`` lines, e.g. ``["--qos=normal"]``.
        job_script_prologue: shell lines run before the worker starts, e.g. ``["source ~/hunan/.venv/bin/activate"]``.
        dashboard_address: where the scheduler's dashboard (an unauthenticated HTTP server) listens: the loopback
            on a free port unless set (e.g. ``":8787"`` on a trusted network; an SSH tunnel is safer). The
            scheduler itself must listen where the compute nodes reach it, so its address is left to dask-jobqueue.
            Each worker's own dashboard listens on its node's loopback (the scheduler does not need it).

    Raises:
        InputError: a malformed ``walltime``.
    """
    from dask_jobqueue import SLURMCluster
    from dask_jobqueue.slurm import SLURMJob
    from distributed.core import Status

    lifetime, stagger = worker_lifetime(walltime)
    failures: list[str] = []

    class RecordedSLURMJob(SLURMJob):
        """A SLURM job whose failed submission is recorded where the sweep looks (see the class docstring)."""

        async def start(self) -> None:
            try:
                await super().start()
            except Exception as exc:  # noqa: BLE001 - any refusal of sbatch, recorded and re-raised
                failures.append(_submission_error(exc))
                self.status = Status.failed  # closing the cluster expects a job that never started to say so
                raise SubmissionRefused(failures[-1]) from exc

    for name in ("tornado.application", "asyncio", "distributed.deploy.spec", "distributed.deploy.adaptive_core",
                 "distributed.deploy.adaptive"):
        if not any(isinstance(f, _DropRefusals) for f in logging.getLogger(name).filters):
            logging.getLogger(name).addFilter(_DropRefusals())
    cluster = SLURMCluster(queue=queue, account=account, walltime=walltime, memory=memory, cores=cores,
                           processes=cores, python=python or sys.executable, job_cls=RecordedSLURMJob,
                           job_extra_directives=list(job_extra_directives),
                           job_script_prologue=list(job_script_prologue),
                           worker_extra_args=["--dashboard-address", "127.0.0.1:0", "--lifetime", f"{lifetime}s",
                                              "--lifetime-stagger", f"{stagger}s"],
                           scheduler_options={"dashboard_address": dashboard_address})
    cluster.submission_failures = failures  # type: ignore[attr-defined]
    return cluster


class SubmissionRefused(RuntimeError):
    """``sbatch`` refused a worker job (recorded on the cluster; :func:`check_slurm_submissions` reports it)."""


class _DropRefusals(logging.Filter):
    # The event loop and Dask's cluster code log a refused job's exception with a traceback, from a task nobody
    # awaits; the sweep reports it once, as one line, through check_slurm_submissions. Other records pass.
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        while exc is not None:
            if isinstance(exc, SubmissionRefused):
                return False
            exc = exc.__cause__ or exc.__context__
        return "SubmissionRefused" not in record.getMessage()


def _submission_error(exc: BaseException) -> str:
    """The gist of dask-jobqueue's error for a refused ``sbatch``: its exit code and first line of stderr."""
    text = str(exc)
    code = re.search(r"Exit code: (\S+)", text)
    err = text.split("stderr:", 1)[1].strip().splitlines() if "stderr:" in text else []
    first = err[0].strip() if err else text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return f"sbatch exited with status {code.group(1)}: {first}" if code else first


def check_slurm_submissions(cluster: Any) -> None:
    """Raise if SLURM refused a worker job of ``cluster`` (a :func:`slurm_cluster`).

    Raises:
        InputError: naming ``--slurm``, the first refusal (sbatch's exit status and message) and what to check.
    """
    failures = getattr(cluster, "submission_failures", [])
    if failures:
        status, _, said = failures[0].partition(": ")
        raise InputError(field="--slurm", value=f"a worker job refused ({status})", source="SLURM",
                         allowed=f"worker jobs that sbatch accepts; it said: {said or status}. Check --slurm-queue, "
                                 "--slurm-account, --slurm-walltime and --slurm-memory with --slurm-script "
                                 "(finished runs are kept; the same command continues)")


def check_scheduler_address(address: str) -> None:
    """Refuse a Dask scheduler address that cannot name a scheduler (``abc``, ``tcp://host`` without a port).

    Raises:
        InputError: naming ``--scheduler``, the value and the expected form.
    """
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        if len(address) > 1000:
            raise ValueError("longer than 1000 characters")
        scheme, location = parse_address(address)
        if scheme in ("tcp", "tls"):
            parse_host_port(location)  # a port is required
    except (ValueError, TypeError) as exc:
        raise InputError(field="--scheduler", value=address, allowed=f"the address of a Dask scheduler, e.g. "
                         f"tcp://host:8786 ({exc})", source="command line") from None


def slurm_job_script(**options: Any) -> str:
    """The batch script that :func:`slurm_cluster` would submit for each worker job (SLURM not needed)."""
    cluster = slurm_cluster(**options)
    try:
        return cluster.job_script()
    finally:
        cluster.close()

