"""The per-agent Mesa reference and the vectorised household rules decide the same way on the same inputs.

Both are fed one state of a :class:`~sim.model.HunanModel` (scale 1:1000, seed 7, run to 2017 so that permits,
settlement-eligible migrants, owners and children all occur) and the same year's context and levers. The
decision rules are compared exactly (utilities, probabilities) and the samplers by frequency (chi-square).
The last tests show that these comparisons fail when a term is dropped.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy import stats

from agents.households import (
    Households,
    apply_for_permits,
    choice_cdf,
    choose_destinations,
    decide_settlement,
    group_index,
    review_probability,
    settlement_eligible,
    settlement_gain,
    settlement_willing,
    settlers,
    utility_table,
    voluntary_land_exit,
)
from benchmarks.reference_mesa import HouseholdAgent, ReferenceModel
from sim.model import HunanModel
from sim.parameters import ModelParameters
from sim.places import N_DIVISIONS, N_LOCATIONS, OUTSIDE_LOC

pytestmark = pytest.mark.slow  # builds models and reference agents (about 20 s in all)

SEED, YEAR = 7, 2017
#: Choice parameters pinned for these tests (values inside the declared ranges) so that households move,
#: take permits and settle often enough for the comparisons to have power, whatever the calibrated defaults.
CHOICE_PARAMS = {
    "review_rate": 0.15, "taste_scale": 0.5, "moving_cost_fixed": 0.6, "moving_cost_per_hour": 0.15,
    "home_attachment": 0.8, "network_weight": 0.15, "service_value": 0.4, "schooling_value": 0.6,
    "settle_prospect_weight": 0.5,
    "permit_apply_rate": 0.4, "settle_intercept": -1.5, "settle_service_weight": 2.0, "settle_speed": 0.3,
    "citizenisation_cost": 0.5, "rural_entry_cost": 1.0,
    # the reference models Hunan's own households' decisions; arrivals from other provinces are a flow the
    # vectorised migration stage adds on top (it draws nothing when the inflow is 0)
    "other_province_inflow": 0.0,
}
#: Significance below which a frequency comparison fails (the draws are seeded, so a pass is reproducible).
ALPHA = 1e-3


class ProbeGenerator:
    """Stands in for a numpy Generator whose ``random(n)`` returns chosen uniforms.

    A rule of the form ``rng.random(n) < prob`` then reveals whether its ``prob`` lies above or below the
    uniforms we pass, which pins down the vectorised probabilities without reaching into the core.
    """

    def __init__(self, uniforms: np.ndarray) -> None:
        self.uniforms = uniforms

    def random(self, size: int | None = None) -> np.ndarray:
        assert size == len(self.uniforms), "the rule no longer draws one uniform per household"
        return self.uniforms


def copy_table(h: Households) -> Households:
    """An independent copy of a household table."""
    return Households(cols={k: v.copy() for k, v in h.cols.items()})


def build_model() -> HunanModel:
    # without the calibrated division place effects: some villages' negative effects leave too few moves into
    # other villages to compare the county placement of such moves (the rule itself treats effects as amenity)
    model = HunanModel(scale=1000, rng=SEED, network="division", params=ModelParameters().replace(**CHOICE_PARAMS),
                       division_effects=np.zeros((14, 2)))
    while model.year < YEAR:
        model.step()
    return model


@pytest.fixture(scope="module")
def model() -> HunanModel:
    """A model state shared read-only by the tests (tests that change state copy it)."""
    return build_model()


@pytest.fixture(scope="module")
def reference(model: HunanModel) -> ReferenceModel:
    """Reference agents built from ``model``; tests only call their pure methods on it."""
    return ReferenceModel.from_model(model, rng=3)


@pytest.fixture(scope="module")
def agents(reference: ReferenceModel) -> list[HouseholdAgent]:
    return reference.household_agents()


@pytest.fixture(scope="module")
def vector_probabilities(model: HunanModel) -> np.ndarray:
    """(n, 29) destination probabilities of each household from the vectorised choice table."""
    cdf = choice_cdf(utility_table(model.choice_context(), model.params), model.params.taste_scale)
    rows = cdf[group_index(model.households)]
    return np.diff(rows, axis=1, prepend=0.0)


def utility_mismatch(model: HunanModel, agents: list[HouseholdAgent]) -> float:
    """Largest absolute difference between the reference's and the vectorised utilities (inf if -inf differ)."""
    table = utility_table(model.choice_context(), model.params).reshape(-1, N_LOCATIONS)
    vector = table[group_index(model.households)]
    ref = np.array([a.utilities() for a in agents])
    open_vector, open_ref = np.isfinite(vector), np.isfinite(ref)
    if not (open_vector == open_ref).all():
        return np.inf
    return float(np.abs(vector[open_vector] - ref[open_ref]).max())


def test_fixture_covers_the_cases_that_matter(model: HunanModel) -> None:
    c = model.households.cols
    assert c["permit"].sum() > 100
    assert settlement_eligible(model.households, model.policy).sum() > 300
    assert (c["n_children"] > 0).sum() > 1000 and (c["tenure"] == 0).sum() > 1000
    assert len(np.unique(c["loc"])) == N_LOCATIONS


def test_agents_mirror_the_table_row_for_row(model: HunanModel, reference: ReferenceModel) -> None:
    table = reference.to_households()
    for name, column in model.households.cols.items():
        np.testing.assert_array_equal(table.cols[name], column, err_msg=name)


def test_review_probabilities_are_equal(model: HunanModel, agents: list[HouseholdAgent]) -> None:
    vector = review_probability(model.households, model.params.review_rate)
    ref = np.array([a.review_probability() for a in agents])
    np.testing.assert_allclose(ref, vector, rtol=0, atol=1e-12)
    assert len(np.unique(ref)) >= 4  # young, old, unemployed and the rest all occur


def test_utilities_are_equal(model: HunanModel, agents: list[HouseholdAgent]) -> None:
    assert utility_mismatch(model, agents) <= 1e-9


def test_choice_probabilities_are_equal(agents: list[HouseholdAgent], vector_probabilities: np.ndarray) -> None:
    ref = np.array([a.choice_probabilities() for a in agents])
    np.testing.assert_allclose(ref, vector_probabilities, rtol=0, atol=1e-12)
    assert (ref.sum(axis=1) == pytest.approx(1.0))


def origin_destination_counts(origin: np.ndarray, dest: np.ndarray) -> np.ndarray:
    return np.bincount(origin * N_LOCATIONS + dest, minlength=N_LOCATIONS**2).astype(float)


def chi_square_p(observed: np.ndarray, expected: np.ndarray, min_expected: float = 5.0) -> float:
    """Goodness-of-fit p-value, pooling the cells expected fewer than ``min_expected`` times into one."""
    small = expected < min_expected
    obs = np.append(observed[~small], observed[small].sum())
    exp = np.append(expected[~small], expected[small].sum())
    if exp[-1] == 0:
        assert obs[-1] == 0, "draws fell on a destination whose probability is zero"
        obs, exp = obs[:-1], exp[:-1]
    return float(stats.chisquare(obs, exp * obs.sum() / exp.sum()).pvalue)


@pytest.fixture(scope="module")
def destination_draws(model: HunanModel, agents: list[HouseholdAgent]) -> dict[str, np.ndarray]:
    """Each sampler draws every household's destination ``reps`` times (reviewing forced for all)."""
    reps = 4
    h = model.households
    cdf = choice_cdf(utility_table(model.choice_context(), model.params), model.params.taste_scale)
    origin = h.cols["loc"].astype(np.int64)
    rng = np.random.default_rng(11)
    vector = np.zeros(N_LOCATIONS**2)
    for _ in range(reps):
        # review_rate 10 lifts every household's review probability (multipliers >= 0.4) to 1
        who, dest = choose_destinations(h, cdf, review_rate=10.0, rng=rng)
        assert len(who) == len(h)
        vector += origin_destination_counts(origin[who], dest.astype(np.int64))
    ref = np.zeros(N_LOCATIONS**2)
    for _ in range(reps):
        dest = np.array([a.choose_destination() for a in agents])
        ref += origin_destination_counts(origin, dest)
    return {"vector": vector, "reference": ref, "reps": np.array(reps), "origin": origin}


def expected_counts(origin: np.ndarray, probabilities: np.ndarray, reps: int) -> np.ndarray:
    out = np.zeros((N_LOCATIONS, N_LOCATIONS))
    np.add.at(out, origin, probabilities)
    return reps * out.ravel()


def test_destination_frequencies_match_the_probabilities(destination_draws: dict,
                                                         vector_probabilities: np.ndarray) -> None:
    expected = expected_counts(destination_draws["origin"], vector_probabilities, int(destination_draws["reps"]))
    for name in ("vector", "reference"):
        observed = destination_draws[name]
        assert observed.sum() == expected.sum().round()
        assert chi_square_p(observed, expected) > ALPHA, name


def test_destination_frequencies_agree_between_implementations(destination_draws: dict) -> None:
    table = np.stack([destination_draws["vector"], destination_draws["reference"]])
    table = table[:, table.sum(axis=0) >= 10]
    assert stats.chi2_contingency(table).pvalue > ALPHA


def test_permit_probabilities_are_equal(model: HunanModel, agents: list[HouseholdAgent]) -> None:
    ref = np.array([a.permit_probability() for a in agents])
    assert (ref > 0).sum() > 100
    rate = model.params.permit_apply_rate
    # uniforms just below each reference probability: every household with a positive one takes a permit
    coverage = model.housing_coverage
    below = apply_for_permits(copy_table(model.households), model.policy, rate, ProbeGenerator(ref * (1 - 1e-9)),
                              housing_coverage=coverage)
    np.testing.assert_array_equal(below, ref > 0)
    # just above: nobody does
    above = apply_for_permits(copy_table(model.households), model.policy, rate,
                              ProbeGenerator(ref * (1 + 1e-9) + 1e-300), housing_coverage=coverage)
    assert not above.any()


@pytest.mark.parametrize(("keep_land_rights", "compensation"), [(0.0, 0.0), (1.0, 0.0), (0.0, 20.0), (1.0, 20.0)])
def test_settlement_probabilities_are_equal(model: HunanModel, keep_land_rights: float, compensation: float) -> None:
    policy = dataclasses.replace(model.policy, values={**model.policy.values, "keep_land_rights": keep_land_rights,
                                                       "land_exit_compensation": compensation})
    ref_model = ReferenceModel(households=model.households, context=model.choice_context(), params=model.params,
                               policy=policy, access_general=model.access_general, access_school=model.access_school,
                               rent=model.rent, is_czt=model.world.is_czt, year=model.year, rng=5,
                               price_index=model.price_index())
    agents = ref_model.household_agents()
    eligible = np.array([a.settlement_eligible() for a in agents])
    np.testing.assert_array_equal(eligible, settlement_eligible(model.households, policy))
    gain = np.array([a.settlement_gain() for a in agents])
    args = (model.households, policy, model.params, model.access_general, model.access_school)
    land = {"land_income": model.land_income(), "price_index": model.price_index()}
    np.testing.assert_allclose(gain, settlement_gain(*args, **land), rtol=0, atol=1e-12)
    assert len(np.unique(gain[eligible].round(12))) > 3  # status and children vary the gain
    willing = np.array([a.settlement_willing() for a in agents])
    np.testing.assert_array_equal(willing, settlement_willing(*args, **land))
    assert 0 < (willing & eligible).sum() < eligible.sum()
    holders = eligible & (model.households.cols["land_contract"] | model.households.cols["homestead"])
    assert holders.sum() > 10
    rows = np.flatnonzero(holders)
    exits = voluntary_land_exit(model.households, policy, model.params, land["land_income"], land["price_index"], rows)
    np.testing.assert_array_equal(exits | (keep_land_rights < 0.5), [agents[i].exits_land() for i in rows])
    if keep_land_rights >= 0.5:  # paid exit: none without compensation, some but not all with it
        assert (0 < exits.sum() < len(rows)) if compensation else not exits.any()
    ref = np.array([a.settlement_probability() for a in agents])

    def settle(uniforms: np.ndarray) -> np.ndarray:
        return decide_settlement(model.households, policy, model.params, model.access_general, model.access_school,
                                 ProbeGenerator(uniforms), **land)

    np.testing.assert_array_equal(settle(ref * (1 - 1e-9)), eligible & (ref > 0))
    assert not settle(ref * (1 + 1e-9) + 1e-300).any()


def test_city_processing_speeds_are_equal(model: HunanModel) -> None:
    """The cities' settlement speed (``HunanModel.settle_speed_by_row``: their response to transfers per settler)
    is read by city in both implementations: each eligible, willing household settles with its city's speed."""
    speed = np.linspace(0.15, 0.95, N_DIVISIONS)  # one value per division (the division network's rule rows)
    land = {"land_income": model.land_income(), "price_index": model.price_index()}
    ref_model = ReferenceModel(households=model.households, context=model.choice_context(), params=model.params,
                               policy=model.policy, access_general=model.access_general,
                               access_school=model.access_school, rent=model.rent, is_czt=model.world.is_czt,
                               year=model.year, rng=5, price_index=model.price_index(),
                               housing_coverage=model.housing_coverage, settle_speed=speed)
    ref = np.array([a.settlement_probability() for a in ref_model.household_agents()])
    assert len(np.unique(ref[ref > 0])) > 3  # several cities' speeds occur
    args = (model.households, model.policy, model.params, model.access_general, model.access_school)
    below = settlers(*args, ProbeGenerator(ref * (1 - 1e-9)), **land, speed=speed)
    np.testing.assert_array_equal(below, np.flatnonzero(ref > 0))
    assert not len(settlers(*args, ProbeGenerator(ref * (1 + 1e-9) + 1e-300), **land, speed=speed))


def test_settlement_frequencies_match(model: HunanModel) -> None:
    """Both samplers settle as many households as the probabilities say, over several seeded repetitions."""
    reps = 5
    probe = ReferenceModel.from_model(model, rng=5)
    expected = reps * sum(a.settlement_probability() for a in probe.agents)
    rng = np.random.default_rng(13)
    vector = sum(int(decide_settlement(model.households, model.policy, model.params, model.access_general,
                                       model.access_school, rng, land_income=model.land_income(),
                                       price_index=model.price_index()).sum()) for _ in range(reps))
    ref = 0
    for r in range(reps):
        fresh = ReferenceModel.from_model(model, rng=100 + r)
        for agent in fresh.agents:
            was_registered = agent.hukou_div, agent.hukou_urban
            agent.decide_settlement()
            ref += (agent.hukou_div, agent.hukou_urban) != was_registered
    # sums of independent Bernoullis: the variance is at most the mean
    for name, count in (("vector", vector), ("reference", ref)):
        assert abs(count - expected) < 4 * np.sqrt(expected), name


def test_one_year_of_decisions_agrees_with_the_vectorised_stages() -> None:
    """End to end: a reference step and the stages migration + permits_and_settlement from the same state."""
    model = build_model()
    ref = ReferenceModel.from_model(model, rng=21)
    before = copy_table(model.households)
    model.migration()
    model.permits_and_settlement()
    # the rows of the households of before (the vectorised migration appends the members some movers leave
    # behind in their village as households of their own; the reference moves households whole)
    after = {name: col[:len(before)] for name, col in model.households.cols.items()}
    ref.step()
    ref_after = ref.to_households().cols

    vector_moved = after["loc"] != before.cols["loc"]
    ref_moved = ref_after["loc"] != before.cols["loc"]
    assert sum(ref.flows.values()) == ref_moved.sum()
    a, b = vector_moved.sum(), ref_moved.sum()
    assert a > 300 and abs(a - b) < 4 * np.sqrt(a + b)
    dest = np.stack([np.bincount(after["loc"][vector_moved], minlength=N_LOCATIONS),
                     np.bincount(ref_after["loc"][ref_moved], minlength=N_LOCATIONS)])
    assert stats.chi2_contingency(dest[:, dest.sum(axis=0) > 0]).pvalue > ALPHA

    settled_v = (after["settled_year"] != before.cols["settled_year"]).sum()
    settled_r = (ref_after["settled_year"] == ref.year).sum()
    assert settled_v > 100 and abs(settled_v - settled_r) < 4 * np.sqrt(settled_v + settled_r)
    permits_v, permits_r = after["permit"].sum(), ref_after["permit"].sum()
    assert abs(permits_v - permits_r) < 4 * np.sqrt(permits_v + permits_r)
    np.testing.assert_array_equal(ref_after["n_members"], before.cols["n_members"])  # decisions move, not create
    # movers within Hunan are placed in a county of their destination division; some go to other villages
    home = before.hukou_loc()
    village_moves = []
    for moved, table in ((vector_moved, after), (ref_moved, ref_after)):
        loc = table["loc"]
        in_hunan = moved & (loc != OUTSIDE_LOC)
        np.testing.assert_array_equal(model.county_division[table["county"][in_hunan]], loc[in_hunan] // 2)
        other_village = moved & (loc % 2 == 0) & (loc != OUTSIDE_LOC) & (loc != home)
        village_moves.append(int(other_village.sum()))
    # such moves are rare (a few per thousand movers): the check above is not vacuous if either side made some
    assert sum(village_moves) > 0, village_moves


def test_reference_is_reproducible(model: HunanModel) -> None:
    tables = []
    for _ in range(2):
        ref = ReferenceModel.from_model(model, rng=9)
        ref.step()
        tables.append(ref.to_households())
    for name in tables[0].cols:
        np.testing.assert_array_equal(tables[0].cols[name], tables[1].cols[name], err_msg=name)


# ------------------------------------------------------------------------------------------------------
# The comparisons can fail
# ------------------------------------------------------------------------------------------------------


def test_utility_comparison_detects_a_dropped_term(model: HunanModel) -> None:
    """Dropping the migrant-network term from the reference's context breaks the equality test."""
    ref = ReferenceModel.from_model(model, rng=3)
    ref.context = dataclasses.replace(ref.context, network=[[0.0] * N_LOCATIONS for _ in ref.context.network])
    assert utility_mismatch(model, ref.household_agents()) > 1e-3


def test_frequency_comparison_detects_a_dropped_term(model: HunanModel, vector_probabilities: np.ndarray) -> None:
    """Destinations drawn by a reference without the migrant-network term are rejected by the frequency test.

    The frequency tests check the samplers; a term that shifts choices by only a few percent (schooling, say)
    is the exact comparisons' job, as pooled frequencies do not see it.
    """
    ref = ReferenceModel.from_model(model, rng=3)
    ref.context = dataclasses.replace(ref.context, network=[[0.0] * N_LOCATIONS for _ in ref.context.network])
    agents = ref.household_agents()
    origin = model.households.cols["loc"].astype(np.int64)
    observed = sum(origin_destination_counts(origin, np.array([a.choose_destination() for a in agents]))
                   for _ in range(2))
    assert chi_square_p(observed, expected_counts(origin, vector_probabilities, 2)) < 1e-6
