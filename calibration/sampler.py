"""A pyabc Dask sampler whose result depends on the seed only, not on the cluster or the scheduling.

pyabc's :class:`~pyabc.sampler.DaskDistributedSampler` already keeps the first ``n`` accepted particles *in
order of submission* (job ids), cancelling later jobs, so its population does not depend on which worker
finishes first. What breaks reproducibility is that every job starts with ``np.random.seed()`` from the
operating system's entropy, and pyabc draws the proposals (prior and perturbation kernel) from numpy's global
random state. :class:`SeededDaskSampler` keeps pyabc's scheme and seeds each job from ``(seed, generation,
job id)``, so a calibration is repeatable bit for bit from its seed, on a laptop or a cluster, and a run
resumed after an interruption continues exactly as if it had never stopped.

Requirements for bit-for-bit repeatability: one thread per Dask worker (the global numpy state is per
process; :func:`sim.ensemble.dask_client` starts local workers that way) and the same code and data.

Seeding numpy's *global* state is the only hook pyabc offers (it has no ``rng`` argument); it happens in the
worker process just before pyabc's own draw, and the model itself never uses it (the model draws from its own
generator seeded by :func:`calibration.simulator.model_seed`).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from time import sleep

import cloudpickle
import numpy as np
from dask.distributed import Client
from pyabc.population import Sample
from pyabc.sampler import DaskDistributedSampler
from sortedcontainers import SortedList

#: ``progress(n_accepted, n_wanted, n_evaluated)`` called while a generation samples.
ProgressCallback = Callable[[int, int, int], None]


def job_seed(seed: int, t: int, job_id: int) -> np.ndarray:
    """The seed words for one simulation job: a function of the calibration seed, generation and job id.

    ``t`` is -1 for pyabc's calibration sample from the prior, hence the shift to keep entropy non-negative.
    """
    return np.random.SeedSequence([int(seed), int(t) + 1, int(job_id)]).generate_state(4)


def _run_seeded_batch(simulate_one_pickle: bytes, job_ids: list[int], seed: int, t: int) -> list[tuple]:
    """Run pyabc's ``simulate_one`` once per job id, each after seeding the global generators (on a worker)."""
    simulate_one = cloudpickle.loads(simulate_one_pickle)
    out = []
    for job_id in job_ids:
        words = job_seed(seed, t, job_id)
        np.random.seed(words)  # noqa: NPY002 -- pyabc samples proposals from numpy's global state (module docstring)
        random.seed(int(words[0]))
        result = simulate_one()
        out.append((result, result.accepted, job_id))
    return out


class SeededDaskSampler(DaskDistributedSampler):
    """pyabc's Dask sampler with seeded jobs and deterministic evaluation counts.

    Args:
        dask_client: a connected :class:`dask.distributed.Client` (local cluster or remote scheduler).
        seed: the calibration seed.
        batch_size: simulations per Dask task (larger batches cut scheduling overhead for fast models; the
            result does not depend on it, since every simulation is seeded by its own job id).
        progress: optional callback reporting accepted / wanted / evaluated particles during a generation.

    Attributes:
        nr_evaluations_: simulations up to and including the ``n``-th accepted one (what pyabc's acceptance
            rate is computed from; deterministic, unlike the count of submitted jobs).
        submitted_: simulations submitted in the last generation, including those cancelled or discarded
            once enough particles were accepted (the real computing cost).
    """

    def __init__(self, *, dask_client: Client, seed: int, batch_size: int = 1,
                 progress: ProgressCallback | None = None) -> None:
        super().__init__(dask_client=dask_client, batch_size=batch_size)
        self.seed = int(seed)
        self.progress = progress
        self.submitted_ = 0

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state.pop("progress", None)  # a terminal progress bar is not picklable and not needed on workers
        return state

    def sample_until_n_accepted(self, n: int, simulate_one: Callable, t: int, *, max_eval: float = np.inf,
                                all_accepted: bool = False, ana_vars: object = None) -> Sample:
        """Sample until ``n`` particles are accepted; keep the first ``n`` accepted in job-id order.

        Follows :meth:`pyabc.sampler.eps_mixin.EPSMixin.sample_until_n_accepted` (pyabc 0.13) with two
        changes: jobs are seeded (module docstring) and finished jobs are collected without removing items
        from the list being iterated (pyabc's loop can skip a finished job for a round).
        """
        simulate_one_pickle = cloudpickle.dumps(simulate_one)
        n_accepted = 0
        next_job_id = 0
        running: list[tuple[int, object]] = []
        results = SortedList(key=lambda r: r[2])
        reported = -1
        while True:
            still_running = []
            for first_id, job in running:
                if job.done():
                    batch = job.result()
                    results.update(batch)
                    n_accepted += sum(1 for r in batch if r[1])
                else:
                    still_running.append((first_id, job))
            running = still_running
            if self.progress is not None and len(results) != reported:
                reported = len(results)
                self.progress(min(n_accepted, n), n, reported)
            if n_accepted >= n:
                nth_id = [r[2] for r in results if r[1]][n - 1]
                keep = []
                for first_id, job in running:
                    if first_id > nth_id:
                        job.cancel()  # started after the n-th acceptance: cannot enter the sample
                    else:
                        keep.append((first_id, job))
                running = keep
                if not running:
                    break
            n_slots = int(min(self.client_max_jobs, self.client_cores()))
            if len(running) < n_slots and n_accepted < n:
                for _ in range(n_slots - len(running)):
                    ids = list(range(next_job_id, next_job_id + self.batch_size))
                    next_job_id += self.batch_size
                    job = self.client.submit(_run_seeded_batch, simulate_one_pickle, ids, self.seed, t, pure=False)
                    running.append((ids[0], job))
            sleep(0.01)

        sample = self._create_empty_sample()
        nth_id = [r[2] for r in results if r[1]][n - 1]
        for result, _, job_id in results:
            if job_id > nth_id:
                break
            sample.append(result)
        self.nr_evaluations_ = nth_id + 1
        self.submitted_ = next_job_id
        return sample
