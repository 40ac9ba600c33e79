"""The one Dask cluster factory: local clusters, SLURM clusters and clients of a running scheduler.

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
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from sim.errors import InputError

if TYPE_CHECKING:  # imported lazily at run time: Dask and dask-jobqueue take a second to import
    from dask_jobqueue import SLURMCluster
    from distributed import Client, LocalCluster


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
    with dask.config.set({"distributed.nanny.pre-spawn-environ": worker_environment()}):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                            dashboard_address="127.0.0.1:0", silence_logs=silence_logs)


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


def slurm_cluster(*, queue: str | None = None, account: str | None = None, walltime: str = "02:00:00",
                  memory: str = "2GiB", cores: int = 1, python: str | None = None,
                  job_extra_directives: Sequence[str] = (), job_script_prologue: Sequence[str] = (),
                  dashboard_address: str = "127.0.0.1:0") -> SLURMCluster:
    """A dask-jobqueue ``SLURMCluster`` whose jobs each start ``cores`` single-threaded workers.

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
    """
    from dask_jobqueue import SLURMCluster

    return SLURMCluster(queue=queue, account=account, walltime=walltime, memory=memory, cores=cores,
                        processes=cores, python=python or sys.executable,
                        job_extra_directives=list(job_extra_directives),
                        job_script_prologue=list(job_script_prologue),
                        worker_extra_args=["--dashboard-address", "127.0.0.1:0"],
                        scheduler_options={"dashboard_address": dashboard_address})


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

