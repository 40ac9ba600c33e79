"""Unit tests of the markets (sim/markets.py) on small hand-built household tables (issue 14, item 6).

Each test builds a few households by hand, runs one market function and checks its outputs against values
worked out by hand, plus conservation: the number of households never changes, jobs filled never exceed the
firms' demand, public rental units allocated never exceed the vacancies, homes bought never exceed what the
buyers can pay for.
"""

from __future__ import annotations

import numpy as np
import pytest

from agents.households import Employment, Households, Sector, Tenure, empty_columns
from sim import markets
from sim.places import N_DIVISIONS, default_places

PLACES = default_places()


def city(division: int) -> int:
    """The urban place of a division."""
    return int(PLACES.place_of(np.array([division]), np.array([True]))[0])


def village(division: int) -> int:
    """The rural place of a division."""
    return int(PLACES.place_of(np.array([division]), np.array([False]))[0])


def households(locs: list[int], **columns: list) -> Households:
    """A table of ``len(locs)`` households at ``locs``; one adult each unless ``n_members`` says otherwise."""
    cols = empty_columns(len(locs), PLACES)
    cols["loc"][:] = locs
    cols["n_members"][:] = 1
    cols["hid"][:] = np.arange(len(locs))
    for name, values in columns.items():
        cols[name][:] = values
    return Households(cols=cols, places=PLACES)


def demand(entries: dict[tuple[int, int], float]) -> np.ndarray:
    """A (14, 2) labour demand with the given (division, sector column) entries, zero elsewhere."""
    out = np.zeros((N_DIVISIONS, 2))
    for key, value in entries.items():
        out[key] = value
    return out


# ------------------------------------------------------------------------------------------------------
# Ranking helpers
# ------------------------------------------------------------------------------------------------------


def test_rank_within_groups_ranks_by_key_inside_each_group():
    groups = np.array([0, 1, 0, 1, 0])
    keys = np.array([0.1, 0.9, 0.7, 0.2, 0.4])
    np.testing.assert_array_equal(markets.rank_within_groups(groups, keys), [2, 0, 0, 1, 1])


def test_weight_before_within_groups_sums_the_weights_ranked_ahead():
    groups = np.array([0, 0, 0, 1, 1])
    keys = np.array([0.3, 0.9, 0.5, 0.1, 0.2])
    weights = np.array([1, 2, 4, 8, 16])
    np.testing.assert_array_equal(markets.weight_before_within_groups(groups, keys, weights), [6, 0, 2, 16, 0])


# ------------------------------------------------------------------------------------------------------
# Labour market
# ------------------------------------------------------------------------------------------------------


def test_city_workers_and_sector_employment_count_adults_by_city_and_sector():
    h = households([city(0), city(0), city(0), city(3), village(0), PLACES.outside],
                   n_members=[3, 2, 1, 4, 5, 2], n_children=[1, 0, 0, 2, 0, 0],
                   employment=[Employment.EMPLOYED, Employment.EMPLOYED, Employment.UNEMPLOYED,
                               Employment.EMPLOYED, Employment.FARMING, Employment.EMPLOYED],
                   sector=[Sector.MANUFACTURING, Sector.SERVICES, Sector.SERVICES, Sector.SERVICES,
                           Sector.AGRICULTURE, Sector.SERVICES])
    workers = markets.city_workers(h)
    assert workers.shape == (N_DIVISIONS, 3, 3)
    assert workers[0, Employment.EMPLOYED, Sector.MANUFACTURING] == 2  # 3 members, 1 child
    assert workers[0, Employment.EMPLOYED, Sector.SERVICES] == 2
    assert workers[0, Employment.UNEMPLOYED, Sector.SERVICES] == 1
    assert workers[3, Employment.EMPLOYED, Sector.SERVICES] == 2
    assert workers.sum() == 7  # the village and outside households are not city workers
    emp = markets.sector_employment(h)
    np.testing.assert_array_equal(emp[0], [2, 2])
    np.testing.assert_array_equal(emp[3], [0, 2])
    assert emp.sum() == 6


def test_match_jobs_fills_vacancies_with_local_job_seekers_and_no_more():
    # division 0: 1 manufacturing worker employed, 4 single-adult seekers, demand 3 manufacturing + 1 services
    h = households([city(0)] * 5 + [city(1)] * 2,
                   employment=[Employment.EMPLOYED] + [Employment.UNEMPLOYED] * 6,
                   sector=[Sector.MANUFACTURING] * 7)
    n = len(h)
    hires = markets.match_jobs(h, labour_demand=demand({(0, 0): 3, (0, 1): 1}), separation_rate=0.0,
                               outside_unemployment=0.0, hire_priority=np.ones(n), rng=np.random.default_rng(1))
    assert len(h) == n
    c = h.cols
    employed = c["employment"] == Employment.EMPLOYED
    # division 0 has 3 vacancies (2 manufacturing, 1 services) for its 4 seekers: exactly 3 get a job
    assert employed[:5].sum() == 4
    assert hires[0] == 3
    # the hires fill manufacturing vacancies first, then services, never more than demand
    emp = markets.sector_employment(h)
    np.testing.assert_array_equal(emp[0], [3, 1])
    # division 1 has no demand: its seekers stay unemployed
    assert not employed[5:].any() and hires[1] == 0
    assert hires.sum() == employed.sum() - 1


def test_match_jobs_lays_off_employment_above_demand():
    h = households([city(2)] * 6, employment=[Employment.EMPLOYED] * 6, sector=[Sector.SERVICES] * 6)
    hires = markets.match_jobs(h, labour_demand=demand({(2, 1): 4}), separation_rate=0.0, outside_unemployment=0.0,
                               hire_priority=np.ones(6), rng=np.random.default_rng(2))
    emp = markets.sector_employment(h)
    assert emp[2, 1] <= 4
    # the laid-off are unemployed job seekers and, with demand now met, none is re-hired beyond demand
    # exactly the excess is laid off (single-adult households), and nobody is hired back: demand is met
    assert emp[2, 1] == 4
    assert (h.cols["employment"] == Employment.UNEMPLOYED).sum() == 2
    assert hires[2] == 0


def test_match_jobs_separates_everyone_at_rate_one_then_rehires_to_demand():
    h = households([city(4)] * 5, employment=[Employment.EMPLOYED] * 5, sector=[Sector.SERVICES] * 5)
    hires = markets.match_jobs(h, labour_demand=demand({(4, 1): 2}), separation_rate=1.0, outside_unemployment=0.0,
                               hire_priority=np.ones(5), rng=np.random.default_rng(3))
    assert hires[4] == 2
    assert (h.cols["employment"] == Employment.EMPLOYED).sum() == 2


def test_match_jobs_redraws_employment_outside_hunan():
    h = households([PLACES.outside] * 4 + [village(5)], employment=[Employment.UNEMPLOYED] * 4 + [Employment.FARMING])
    markets.match_jobs(h, labour_demand=demand({}), separation_rate=0.0, outside_unemployment=0.0,
                       hire_priority=np.ones(5), rng=np.random.default_rng(4))
    assert (h.cols["employment"][:4] == Employment.EMPLOYED).all()
    assert h.cols["employment"][4] == Employment.FARMING  # villagers are not in the urban labour market
    markets.match_jobs(h, labour_demand=demand({}), separation_rate=0.0, outside_unemployment=1.0,
                       hire_priority=np.ones(5), rng=np.random.default_rng(4))
    assert (h.cols["employment"][:4] == Employment.UNEMPLOYED).all()


def test_match_jobs_gives_job_priority_to_permit_holders():
    """With one vacancy and a very large priority, the permit holder is hired in every seeded draw."""
    for seed in range(20):
        h = households([city(6)] * 4, employment=[Employment.UNEMPLOYED] * 4, permit=[False, False, True, False])
        priority = np.ones((N_DIVISIONS, 2))
        priority[:, 1] = 1e6
        markets.match_jobs(h, labour_demand=demand({(6, 1): 1}), separation_rate=0.0, outside_unemployment=0.0,
                           hire_priority_by_permit=priority, rng=np.random.default_rng(seed))
        np.testing.assert_array_equal(h.cols["employment"] == Employment.EMPLOYED, [False, False, True, False])


# ------------------------------------------------------------------------------------------------------
# Housing market
# ------------------------------------------------------------------------------------------------------


def test_update_rents_follow_income_and_inflow_and_stop_at_the_floor():
    rent = np.array([1.0, 2.0, 1.0])
    new = markets.update_rents(rent, urban_now=np.array([110.0, 100.0, 10.0]),
                               urban_before=np.array([100.0, 100.0, 100.0]), income_growth=0.05, elasticity=0.6,
                               land_relief=np.array([0.0, 0.01, 0.0]), floor=0.5)
    # +10 % inflow raises the rent by 6 % on top of income growth; land relief lowers it; a city losing 90 % of
    # its people would see 1 - 0.54 = 0.46 but rents fall at most to the floor
    np.testing.assert_allclose(new, [1.0 * 1.05 * 1.06, 2.0 * 1.05 * 0.99, 1.0 * 1.05 * 0.5])
    # the floor is the parameter: a lower floor lets the emptying city's rent fall further
    lower = markets.update_rents(rent, urban_now=np.array([110.0, 100.0, 10.0]),
                                 urban_before=np.array([100.0, 100.0, 100.0]), income_growth=0.05, elasticity=0.6,
                                 land_relief=np.zeros(3), floor=0.2)
    assert lower[2] == pytest.approx(1.05 * 0.46)


def test_allocate_public_rental_gives_vacancies_to_eligible_low_income_market_renters():
    # division 0: four market renters (incomes 1, 2, 3, 4), one owner, one dormitory; two vacancies
    h = households([city(0)] * 6 + [city(1)] * 2,
                   tenure=[Tenure.MARKET_RENT] * 4 + [Tenure.OWN, Tenure.DORMITORY] + [Tenure.MARKET_RENT] * 2,
                   income=[1, 2, 3, 4, 0.1, 0.1, 1, 2])
    vacancies = np.zeros(N_DIVISIONS)
    vacancies[0] = 2.0
    got = markets.allocate_public_rental(h, vacancies=vacancies, eligibility=np.ones(len(h)),
                                         rng=np.random.default_rng(5))
    tenure = h.cols["tenure"]
    assert got[0] == 2 and got.sum() == 2
    # the two below or at the median (incomes 1 and 2) get the units; the others keep their tenure
    np.testing.assert_array_equal(tenure[:4], [Tenure.PUBLIC_RENTAL, Tenure.PUBLIC_RENTAL, Tenure.MARKET_RENT,
                                               Tenure.MARKET_RENT])
    assert tenure[4] == Tenure.OWN and tenure[5] == Tenure.DORMITORY
    assert (tenure[6:] == Tenure.MARKET_RENT).all()  # no vacancy in division 1
    assert len(h) == 8


def test_allocate_public_rental_skips_the_ineligible_and_never_exceeds_vacancies():
    h = households([city(2)] * 6, tenure=[Tenure.MARKET_RENT] * 6, income=[1, 1, 1, 1, 1, 1])
    vacancies = np.zeros(N_DIVISIONS)
    vacancies[2] = 10.0
    eligibility = np.array([0, 0, 1, 1, 0, 1], dtype=float)
    got = markets.allocate_public_rental(h, vacancies=vacancies, eligibility=eligibility,
                                         rng=np.random.default_rng(6))
    public = h.cols["tenure"] == Tenure.PUBLIC_RENTAL
    np.testing.assert_array_equal(public, eligibility == 1)
    assert got[2] == 3 <= vacancies[2]
    # eligibility given as a function of the candidate rows gives the same allocation
    h2 = households([city(2)] * 6, tenure=[Tenure.MARKET_RENT] * 6, income=[1, 1, 1, 1, 1, 1])
    markets.allocate_public_rental(h2, vacancies=vacancies, eligibility_of=lambda rows: eligibility[rows],
                                   rng=np.random.default_rng(6))
    np.testing.assert_array_equal(h2.cols["tenure"], h.cols["tenure"])


def test_buy_homes_buyers_pay_the_down_payment_and_become_owners():
    # price 10 per person, down payment 30 %: 3 per member
    h = households([city(0)] * 4 + [village(0)], n_members=[1, 2, 1, 1, 1], savings=[5, 5, 1.4, 0, 100],
                   tenure=[Tenure.MARKET_RENT, Tenure.MARKET_RENT, Tenure.DORMITORY, Tenure.PUBLIC_RENTAL,
                           Tenure.RURAL_SELF_BUILT])
    price = np.full(N_DIVISIONS, 10.0)
    slots = np.zeros(N_DIVISIONS)
    slots[0] = 1.0
    total_before = h.cols["savings"].sum()
    bought = markets.buy_homes(h, price_per_person=price, down_payment_share=0.3, buy_rate=1.0,
                               shared_ownership_slots=slots, rng=np.random.default_rng(7), shared_down_share=0.5)
    c = h.cols
    # household 0 can pay 3 and buys; household 1 needs 6 and has 5: it takes the shared-ownership slot (pays 3);
    # household 2 (1.4 of 3) cannot pay even half; household 3 has nothing; the villager does not buy in a city
    np.testing.assert_array_equal(c["tenure"], [Tenure.OWN, Tenure.OWN, Tenure.DORMITORY, Tenure.PUBLIC_RENTAL,
                                                Tenure.RURAL_SELF_BUILT])
    np.testing.assert_allclose(c["savings"], [2, 2, 1.4, 0, 100], rtol=1e-6)
    assert bought[0] == 2 and bought.sum() == 2
    assert total_before - c["savings"].sum() == pytest.approx(6.0)  # money paid equals the down payments


def test_buy_homes_buys_nothing_at_rate_zero_and_respects_the_shared_down_share():
    h = households([city(3)] * 3, savings=[100, 2, 2], tenure=[Tenure.MARKET_RENT] * 3)
    price = np.full(N_DIVISIONS, 10.0)
    slots = np.full(N_DIVISIONS, 5.0)
    none = markets.buy_homes(h, price_per_person=price, down_payment_share=0.3, buy_rate=0.0,
                             shared_ownership_slots=slots, rng=np.random.default_rng(8), shared_down_share=0.5)
    assert none.sum() == 0 and (h.cols["tenure"] == Tenure.MARKET_RENT).all()
    # with a shared down share of 0.8 (2.4 of the 3), savings of 2 are not enough for shared ownership either
    bought = markets.buy_homes(h, price_per_person=price, down_payment_share=0.3, buy_rate=1.0,
                               shared_ownership_slots=slots, rng=np.random.default_rng(8), shared_down_share=0.8)
    np.testing.assert_array_equal(h.cols["tenure"], [Tenure.OWN, Tenure.MARKET_RENT, Tenure.MARKET_RENT])
    assert bought.sum() == 1


def test_queue_helpers_accept_an_empty_queue():
    """No one queueing (no job seeker in any city) is an empty result, not an error."""
    empty = np.zeros(0)
    assert markets.weight_before_within_groups(empty.astype(np.int8), empty, empty).shape == (0,)
    assert markets.rank_within_groups(empty.astype(np.int8), empty).shape == (0,)


def test_allocate_public_rental_serves_the_queue_longest_resident_first():
    h = households([city(3)] * 6, tenure=[Tenure.MARKET_RENT] * 6, income=[1, 1, 1, 1, 1, 1])
    h.cols["years_here"][:] = [2, 9, 0, 5, 9, 1]
    vacancies = np.zeros(N_DIVISIONS)
    vacancies[3] = 3.0
    for seed in range(5):  # whatever the draws: the two 9-year residents, then the 5-year one
        h.cols["tenure"][:] = Tenure.MARKET_RENT
        markets.allocate_public_rental(h, vacancies=vacancies, eligibility=np.ones(6), rng=np.random.default_rng(seed))
        np.testing.assert_array_equal(np.flatnonzero(h.cols["tenure"] == Tenure.PUBLIC_RENTAL), [1, 3, 4])
