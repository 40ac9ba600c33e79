"""The suggested replacements in ``benchmarks/alternatives.py`` do what the current core functions do.

Deterministic ones must give identical values; the random ones the same probabilities (read through a probe
generator, as in test_reference_equivalence) or, for the binomial sampler, the same distribution.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from agents import households as core
from benchmarks import alternatives as alt
from sim import markets
from sim.model import HunanModel


class ProbeGenerator:
    """``random(n)`` returns chosen uniforms, so that ``random(n) < prob`` reveals ``prob``."""

    def __init__(self, uniforms: np.ndarray) -> None:
        self.uniforms = uniforms

    def random(self, size: int | None = None) -> np.ndarray:
        assert size == len(self.uniforms)
        return self.uniforms


@pytest.fixture(scope="module")
def model() -> HunanModel:
    m = HunanModel(scale=1000, rng=5, network="division")  # the alternatives are written for the division network
    while m.year < 2018:
        m.step()
    return m


def test_urban_division_is_the_same(model: HunanModel) -> None:
    np.testing.assert_array_equal(alt.urban_division(model.households), markets.urban_division(model.households))


@pytest.mark.parametrize("p", [0.012, 1 / 15])
def test_small_binomial_has_the_binomial_distribution(p: float) -> None:
    rng = np.random.default_rng(3)
    n = np.repeat(np.arange(0, 13, dtype=np.int16), 40_000)
    draws = alt.small_binomial(rng, n, p)
    assert (draws <= n).all() and (draws >= 0).all()
    assert (draws[n == 0] == 0).all()
    # chi-square on (n, k) cells for k = 0, 1, 2 and 3 or more
    observed, expected = [], []
    for m in range(1, 13):
        x = draws[n == m]
        pmf = stats.binom.pmf(np.arange(3), m, p)  # zero where k > m
        observed += [np.sum(x == k) for k in range(3)] + [np.sum(x >= 3)]
        expected += list(len(x) * np.append(pmf, max(1.0 - pmf.sum(), 0.0)))
    observed, expected = np.array(observed, float), np.array(expected)
    keep = expected > 5
    assert stats.chisquare(observed[keep], expected[keep] * observed[keep].sum() / expected[keep].sum()).pvalue > 1e-3
    assert observed[~keep].sum() <= 20  # the cells too rare to test hold next to nothing


def test_small_binomial_detects_a_wrong_probability() -> None:
    """The distribution test above has power: draws at p = 0.013 are rejected as p = 0.012."""
    rng = np.random.default_rng(3)
    n = np.repeat(np.arange(1, 13, dtype=np.int16), 40_000)
    draws = alt.small_binomial(rng, n, 0.013)
    expected_mean = (n * 0.012).sum()
    assert abs(draws.sum() - expected_mean) > 5 * math.sqrt(expected_mean)


def test_settlement_decisions_are_the_same(model: HunanModel) -> None:
    h, pol, p = model.households, model.policy, model.params
    idx = alt.settlement_candidates(h, pol)
    np.testing.assert_array_equal(idx, np.flatnonzero(core.settlement_eligible(h, pol)))
    assert len(idx) > 100
    args = (pol, p, model.access_general, model.access_school)
    willing = alt.settlement_willing(h, idx, *args)
    np.testing.assert_array_equal(willing, core.settlement_willing(h, *args)[idx])
    assert 0 < willing.sum() < len(idx)
    prob = np.zeros(len(h))
    prob[idx[willing]] = p.settle_speed

    def settle(u: np.ndarray) -> np.ndarray:
        return core.decide_settlement(h, pol, p, model.access_general, model.access_school, ProbeGenerator(u))

    np.testing.assert_array_equal(settle(prob * (1 - 1e-9)), prob > 0)
    assert not settle(prob * (1 + 1e-9) + 1e-300).any()
    settlers = alt.decide_settlement(h, pol, p, model.access_general, model.access_school, np.random.default_rng(1))
    assert settlers.any() and (prob[settlers] > 0).all()


def test_permit_uptake_is_the_same(model: HunanModel) -> None:
    h, pol, rate = model.households, model.policy, model.params.permit_apply_rate
    copy = alt.copy_table(h)
    taken = alt.apply_for_permits(copy, pol, rate, np.random.default_rng(2))
    # the core with uniforms of 0 grants a permit to every eligible household with a positive probability
    everyone = core.apply_for_permits(alt.copy_table(h), pol, rate, ProbeGenerator(np.zeros(len(h))))
    assert taken.any() and not (taken & ~everyone).any()
    # and the probabilities agree: the core with uniforms just above the alternative's grants none
    idx = np.flatnonzero(everyone)
    sub = {"n_children": h.cols["n_children"][idx]}
    prob = np.ones(len(h))
    prob[idx] = rate * core.permit_benefit(sub, alt.DIVISION_OF_LOC[h.cols["loc"][idx]], pol)
    assert not core.apply_for_permits(alt.copy_table(h), pol, rate, ProbeGenerator(prob * (1 + 1e-9))).any()
    np.testing.assert_array_equal(core.apply_for_permits(alt.copy_table(h), pol, rate,
                                                         ProbeGenerator(prob * (1 - 1e-9))), everyone)


def test_review_probabilities_are_the_same(model: HunanModel) -> None:
    rate = model.params.review_rate
    np.testing.assert_array_equal(alt.review_probability(model.households, rate),
                                  core.review_probability(model.households, rate))


def test_incomes_are_the_same(model: HunanModel) -> None:
    expected = alt.household_incomes(model).astype(np.float32)
    model._set_incomes()
    np.testing.assert_array_equal(expected, model.households.cols["income"])


def test_renter_medians_are_the_same(model: HunanModel) -> None:
    div = markets.urban_division(model.households)
    medians = alt.renter_income_medians(model.households, div)
    np.testing.assert_array_equal(medians, alt.current_renter_income_medians(model.households, div))
    assert (medians > 0).sum() == 14


def test_keep_and_append_is_the_same(model: HunanModel) -> None:
    rng = np.random.default_rng(4)
    h = model.households
    alive = rng.random(len(h)) > 0.1
    new = {k: v[:50].copy() for k, v in h.cols.items()}
    a, b = alt.copy_table(h), alt.copy_table(h)
    a.keep(alive)
    a.append(new)
    alt.keep_and_append(b, alive, new)
    for name in a.cols:
        np.testing.assert_array_equal(a.cols[name], b.cols[name], err_msg=name)
        assert a.cols[name].dtype == b.cols[name].dtype
