"""The box perturbation kernel: a proper density on the prior box, proposals always inside it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calibration.transition import BoxTransition

BOUNDS = {"a": (0.0, 1.0), "b": (-2.0, 4.0)}


def _fitted(half_scale: float = 1.0) -> BoxTransition:
    X = pd.DataFrame({"a": [0.05, 0.5, 0.9, 0.52], "b": [-1.9, 0.0, 3.5, 0.1]})
    t = BoxTransition(bounds=BOUNDS, scaling=half_scale)
    t.fit(X, np.array([0.4, 0.3, 0.2, 0.1]))
    return t


@pytest.mark.parametrize("scale", [0.1, 0.5, 3.0])
def test_density_integrates_to_one_over_the_prior(scale):
    t = _fitted(scale)
    ga, gb = np.meshgrid(np.linspace(0, 1, 401)[:-1] + 1 / 800, np.linspace(-2, 4, 601)[:-1] + 6 / 1200)
    pts = pd.DataFrame({"a": ga.ravel(), "b": gb.ravel()})
    integral = t.pdf(pts).mean() * 1.0 * 6.0
    assert integral == pytest.approx(1.0, abs=0.02)


def test_density_is_flat_inside_a_lone_box_and_zero_outside_the_prior():
    t = _fitted(0.1)
    near = [t.pdf(pd.Series({"a": 0.9 + d, "b": 3.5 - d})) for d in (0.0, 0.01, -0.02)]
    assert near[0] > 0 and near == pytest.approx([near[0]] * 3)
    assert t.pdf(pd.Series({"a": 1.2, "b": 0.0})) == 0.0
    assert t.pdf(pd.Series({"a": 0.25, "b": 2.0})) == 0.0  # in no box


def test_proposals_stay_inside_the_prior_and_near_parents():
    t = _fitted(0.5)
    draws = pd.DataFrame([dict(t.rvs_single()) for _ in range(2000)])
    assert draws.a.between(0, 1).all() and draws.b.between(-2, 4).all()
    assert (t.pdf(draws) > 0).all()
