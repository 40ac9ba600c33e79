"""Seeds: derived from the master seed and the run's identity only; designs and runs reproducible bit for bit."""

from __future__ import annotations

import numpy as np
import pandas as pd

from experiments.runner import execute_run
from experiments.seeds import crn_seed, design_rng, run_seed
from experiments.spec import experiment_from_dict

DEFN = {"master_seed": 11, "end_year": 2012, "scale": 50000, "replications": 2,
        "levers": {"design": "latin_hypercube", "n": 3, "permit_health_share": {"range": [0.0, 1.0]}},
        "uncertainties": {"design": "latin_hypercube", "n": 2, "parameters": ["taste_scale", "review_rate"]}}


def test_run_seed_is_a_python_int_from_the_master_seed_and_index():
    seeds = [run_seed(5, i) for i in range(1000)]
    assert all(type(s) is int and 0 <= s < 2**63 for s in seeds)
    assert len(set(seeds)) == 1000
    expected = int(np.random.SeedSequence(5, spawn_key=(7,)).generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
    assert seeds[7] == expected
    assert run_seed(6, 7) != seeds[7]


def test_crn_seeds_are_shared_across_policies_only():
    assert crn_seed(1, 0, 0) == crn_seed(1, 0, 0)
    assert len({crn_seed(1, u, r) for u in range(5) for r in range(5)}) == 25
    assert crn_seed(1, 0, 0) not in {run_seed(1, i) for i in range(100)}


def test_design_generators_are_independent_streams():
    a = design_rng(1, 0).random(4)
    assert np.array_equal(a, design_rng(1, 0).random(4))
    assert not np.array_equal(a, design_rng(1, 1).random(4))


def test_designs_are_reproducible_and_depend_on_the_master_seed():
    a, b = experiment_from_dict(DEFN), experiment_from_dict(DEFN)
    assert a.lever_points() == b.lever_points()
    assert a.uncertainty_points() == b.uncertainty_points()
    assert [p.spec.seed for p in a.plan()] == [p.spec.seed for p in b.plan()]
    c = experiment_from_dict({**DEFN, "master_seed": 12})
    assert c.lever_points() != a.lever_points()
    assert c.uncertainty_points() != a.uncertainty_points()


def test_a_run_s_seed_does_not_depend_on_the_rest_of_the_plan():
    """Adding replications appends runs but never changes the seed of an existing run index."""
    small = experiment_from_dict({**DEFN, "replications": 1}).plan()
    assert [p.spec.seed for p in small] == [run_seed(11, i) for i in range(len(small))]


def test_the_same_planned_run_reproduces_bit_for_bit():
    run = experiment_from_dict(DEFN).plan()[3]
    first, second = execute_run(run), execute_run(run)
    assert first.ok and second.ok
    pd.testing.assert_frame_equal(first.indicators, second.indicators, check_exact=True)
    assert first.provenance["seed"] == run.spec.seed
