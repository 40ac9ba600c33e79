"""The scale guard: a scale whose estimated memory exceeds the limit is refused before anything is built.

How the estimate compares with the real peak memory is measured once by ``measure_memory.py`` (numbers in
RELIABILITY.md), not asserted here.
"""

from __future__ import annotations

import pytest

import sim.model
from sim.errors import InputError
from sim.model import HunanModel
from sim.population import estimate_memory_bytes


class Built(Exception):
    """Raised by the stubs below if the model starts building its world or its population."""


@pytest.fixture
def no_building(monkeypatch):
    def refuse(*args, **kwargs):
        raise Built("the model started building")

    monkeypatch.setattr(sim.model, "synthesise_population", refuse)
    monkeypatch.setattr(sim.model.World, "build", staticmethod(refuse))


@pytest.mark.parametrize("scale", [1, 10, 100])
def test_a_scale_over_the_memory_limit_is_refused_before_building_with_estimate_and_limit(scale, no_building):
    need = estimate_memory_bytes(scale)
    limit = need * 0.9
    with pytest.raises(InputError) as info:
        HunanModel(scale=scale, memory_limit=limit, rng=1)
    message = str(info.value)
    assert info.value.field == "scale" and info.value.value == scale
    assert f"{need / 2**30:.1f} GiB" in message  # the estimate
    assert f"{limit / 2**30:.1f} GiB" in message  # the limit


def test_a_scale_within_the_limit_goes_on_to_build(no_building):
    need = estimate_memory_bytes(100)
    with pytest.raises(Built):  # past the guard: the (stubbed) build starts
        HunanModel(scale=100, memory_limit=need, rng=1)


def test_the_estimate_falls_as_the_scale_coarsens():
    estimates = [estimate_memory_bytes(s) for s in (1, 10, 100, 1000)]
    assert estimates == sorted(estimates, reverse=True)
    # full resolution: about 20 M households (18.6 M in Hunan in 2010, 2 M outside) cannot be under 1 GiB
    assert estimates[0] > 2**30


@pytest.mark.parametrize("scale", [float("nan"), 0, 0.5, -3, "100", True, None])
def test_invalid_scales_are_input_errors(scale, no_building):
    with pytest.raises(InputError) as info:
        HunanModel(scale=scale, rng=1)
    assert info.value.field == "scale"


@pytest.mark.parametrize("scale", [float("inf"), 1e7])
def test_an_infinite_or_absurdly_coarse_scale_is_an_input_error(scale):
    with pytest.raises(InputError) as info:
        model = HunanModel(scale=scale, rng=1)
        model.step()
    assert info.value.field == "scale"
