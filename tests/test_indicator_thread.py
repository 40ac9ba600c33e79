"""Indicators counted partly on a second thread (large tables) equal those counted inline, value for value."""

from __future__ import annotations

import pandas as pd

from sim import indicators
from sim.model import HunanModel


def _run(years: int = 3) -> HunanModel:
    model = HunanModel(scale=1000, rng=11)
    for _ in range(years):
        model.step()
    return model


def test_threaded_counts_equal_inline_counts(monkeypatch) -> None:
    model = _run()
    assert len(model.households) < indicators.PARALLEL_RECORDS  # a table this size counts inline by default
    inline = model.indicators()
    monkeypatch.setattr(indicators, "PARALLEL_RECORDS", 0)  # every table on the thread
    threaded = _run().indicators()
    assert len(inline) > 1000
    pd.testing.assert_frame_equal(inline, threaded, check_exact=True)
    assert indicators._pool is not None  # the thread was used
