"""Counts on the second thread (sim/concurrency.py, large tables) equal those counted inline, value for value."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim import concurrency
from sim.model import HunanModel


def _run(years: int = 3) -> HunanModel:
    model = HunanModel(scale=1000, rng=11)
    for _ in range(years):
        model.step()
    return model


def test_threaded_counts_equal_inline_counts(monkeypatch) -> None:
    model = _run()
    assert len(model.households) < concurrency.PARALLEL_RECORDS  # a table this size counts inline by default
    inline = model.indicators()
    monkeypatch.setattr(concurrency, "PARALLEL_RECORDS", 0)  # every table on the thread
    monkeypatch.setattr(concurrency, "_pool", None)
    threaded_model = _run()
    threaded = threaded_model.indicators()
    assert len(inline) > 1000
    pd.testing.assert_frame_equal(inline, threaded, check_exact=True)
    assert concurrency._pool is not None  # the thread was started by these runs
    for name, column in model.households.cols.items():  # and the households end the same
        np.testing.assert_array_equal(column, threaded_model.households.cols[name], err_msg=name)
