"""Shared fixtures: small models built once per session (building is cheap, but tests should stay fast)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def baseline_2010():
    """The 2010 state at 100 households per agent (the scale of the census comparison)."""
    from sim.model import HunanModel

    return HunanModel(scenario="baseline", scale=100, rng=11)
