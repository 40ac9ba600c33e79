"""Seeds for runs and designs, all derived from one recorded master seed.

A run's seed depends only on the master seed and the run's identity (its index in the experiment's plan), never
on which worker ran it, in which order, or how many workers there were; so a sweep on 1 worker, 2 workers or a
SLURM cluster gives the same tables bit for bit.

The derivation itself is :func:`sim.seeds.derive_seed` (the project's one), in its ``"high63"`` form; this module
names the experiments' spawn keys.

Spawn keys of different lengths give independent streams (``SeedSequence`` mixes the key's length into its
state), which keeps the three families apart:

* ``(run_index,)``: a run's seed (the default);
* ``(DESIGN_KEY, block)``: the generator of a sampled design (lever or uncertainty block);
* ``(CRN_KEY, uncertainty_point, replicate)``: a run's seed under common random numbers, shared by every policy
  so that policies are compared on the same random draws (paired comparisons have less noise).
"""

from __future__ import annotations

import numpy as np

from sim.seeds import derive_seed

#: First element of a design's spawn key ('desi' in ASCII); any constant would do.
DESIGN_KEY = 0x64657369
#: First element of a common-random-numbers spawn key.
CRN_KEY = 0x63726E00
#: Design blocks.
LEVER_BLOCK, UNCERTAINTY_BLOCK, POSTERIOR_BLOCK, ANALYSIS_BLOCK = 0, 1, 2, 3


def run_seed(master_seed: int, run_index: int) -> int:
    """The seed of run ``run_index`` of an experiment with ``master_seed``.

    Args:
        master_seed: the experiment's master seed (``master_seed`` in its file).
        run_index: the run's position in the experiment's plan (0-based).

    Returns:
        A non-negative Python ``int`` below 2**63.
    """
    return derive_seed(master_seed, (run_index,), form="high63")


def crn_seed(master_seed: int, uncertainty_point: int, replicate: int) -> int:
    """The seed shared by all policies for one uncertainty point and replicate (common random numbers)."""
    return derive_seed(master_seed, (CRN_KEY, uncertainty_point, replicate), form="high63")


def design_seed(master_seed: int, block: int) -> int:
    """An integer seed for a third-party sampler (SALib) of one design block."""
    return derive_seed(master_seed, (DESIGN_KEY, block), form="high63")


def design_rng(master_seed: int, block: int) -> np.random.Generator:
    """A generator for one design block (scipy.stats.qmc samplers take it as ``rng=``)."""
    return np.random.default_rng(np.random.SeedSequence(master_seed, spawn_key=(DESIGN_KEY, block)))
