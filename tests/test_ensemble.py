"""The one ensemble runner (sim/ensemble.py) on a real local Dask cluster."""

import pandas as pd
import pytest

from sim.ensemble import Cancelled, EnsembleRun, dask_client, run_ensemble, run_one, spawn_seeds


def test_run_ensemble_gives_each_run_in_plan_order_as_a_run_in_this_process_gives_it():
    specs = [EnsembleRun(params={}, seed=s, scale=20000, end_year=2012, tag=i, keep_years=(2012,))
             for i, s in enumerate(spawn_seeds(3, 2))]
    seen: list[tuple[int, int]] = []
    with dask_client(workers=1) as client:
        frames = run_ensemble(client, specs, progress=lambda done, total: seen.append((done, total)))
    assert [int(f.tag.unique()[0]) for f in frames] == [0, 1]
    assert seen == [(1, 2), (2, 2)]
    pd.testing.assert_frame_equal(frames[1], run_one(specs[1]))
    assert not frames[0].value.equals(frames[1].value)  # different seeds, different draws


def test_without_a_client_the_runs_go_one_after_another_in_this_process_and_can_be_cancelled():
    specs = [EnsembleRun(params={}, seed=s, scale=20000, end_year=2012, tag=i, keep_years=None)
             for i, s in enumerate(spawn_seeds(3, 2))]
    seen: list[tuple[int, int]] = []
    frames = run_ensemble(None, specs, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 2), (2, 2)]
    pd.testing.assert_frame_equal(frames[0], run_one(specs[0]))
    assert set(frames[0].year) == {2010, 2011, 2012}  # keep_years=None keeps every row
    polls: list[int] = []

    def cancelled() -> bool:  # lets the first run through, stops before the second
        polls.append(1)
        return len(polls) > 1

    with pytest.raises(Cancelled):
        run_ensemble(None, specs, cancelled=cancelled)
    assert len(polls) == 2
