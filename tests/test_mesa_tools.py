"""HunanModel works with Mesa's own tools: DataCollector and batch_run."""

from __future__ import annotations

import multiprocessing

import mesa

from sim.model import HunanModel


def test_datacollector_has_one_row_per_year():
    m = HunanModel(scale=50000, rng=1, end_year=2013)
    while m.running:
        m.step()
    df = m.datacollector.get_model_vars_dataframe()
    assert list(df.year) == [2010, 2011, 2012, 2013]
    assert (df.urbanization_rate > 0).all()


def test_batch_run_runs_the_model():
    # batch_run forces the "spawn" start method for the whole process (STACK.md): restore it afterwards
    method = multiprocessing.get_start_method(allow_none=True)
    try:
        results = _batch()
    finally:
        multiprocessing.set_start_method(method, force=True)
    assert len(results) == 2
    assert {r["scenario"] for r in results} == {"baseline", "plan-2021"}
    assert all(r["year"] == 2012 for r in results)


def _batch():
    return mesa.batch_run(HunanModel, parameters={"scale": [50000], "end_year": [2012],
                                                     "scenario": ["baseline", "plan-2021"]},
                          number_processes=1, rng=[7], max_steps=5, display_progress=False)
