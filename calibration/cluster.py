"""Dask clients for calibration and sensitivity runs: a local cluster by default, or any running scheduler.

A local cluster runs one single-threaded worker process per core: the model is numpy-bound and holds the GIL
for long stretches, and pyabc's proposals use numpy's per-process global state, so threads would neither speed
up the model nor keep results repeatable (:mod:`calibration.sampler`).

For a SLURM or PBS cluster, start a scheduler and workers (e.g. with ``dask-jobqueue``, ``--nthreads 1`` per
worker, in the project's environment) and pass the scheduler's address (``tcp://host:8786``).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator

import dask
from dask.distributed import Client, LocalCluster

from sim.errors import InputError


def default_workers() -> int:
    """One worker per available core."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


@contextlib.contextmanager
def dask_client(*, workers: int | None = None, scheduler: str | None = None) -> Iterator[Client]:
    """A connected Dask client, closed (with its local cluster) on exit.

    Args:
        workers: local worker processes (default: one per core); ignored with ``scheduler``.
        scheduler: address of a running Dask scheduler; ``None`` starts a local cluster.

    Raises:
        InputError: if the scheduler cannot be reached.
    """
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
    n = workers or default_workers()
    # dashboard on a free port: another cluster on the machine (a sweep, a second calibration) may hold 8787
    # scheduler, workers and dashboard on the loopback only: nothing is reachable from other machines
    # without Dask's MALLOC_TRIM_THRESHOLD_, which doubles a run's CPU time in a worker (experiments/runner.py)
    from experiments.runner import worker_environment

    with dask.config.set({"distributed.nanny.pre-spawn-environ": worker_environment()}), \
            LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                         dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:
        yield client
