"""Unit tests of the government and firm agents and of the transport network (issue 14, item 6).

The agents live in a tiny Mesa model that holds only what they read (parameters, scale, scenario, world), so
each function is checked on hand-built levers: the province hands each city its levers, the cities publish
their permit and settlement rules (the only way households learn them), build housing and book land quota and
transfers for settlers; firms set demand, establishments and wages; the world rebuilds its network.
"""

from __future__ import annotations

import mesa
import numpy as np
import pytest

from agents.firms import FarmSector, SectorFirms, city_wage
from agents.governments import RULE_LEVERS, CityGovernment, CityRules, ProvincialGovernment
from agents.households import (
    Employment,
    Households,
    Tenure,
    apply_for_permits,
    empty_columns,
    settlement_eligible_rows,
)
from sim.parameters import ModelParameters
from sim.places import N_DIVISIONS, default_places
from sim.scenario import PolicyBlock, Scenario
from sim.errors import InputError
from sim.world import World

PLACES = default_places()


class TinyModel(mesa.Model):
    """Just what the government and firm agents read: parameters, scale, scenario, world and governments."""

    def __init__(self, scenario: Scenario, params: ModelParameters | None = None, scale: float = 100.0) -> None:
        super().__init__(rng=0)
        self.params = params or ModelParameters()
        self.scale = scale
        self.policy_scenario = scenario
        self.world = World.build()
        self.province = ProvincialGovernment(self)
        self.city_governments = [CityGovernment(self, division=d) for d in range(N_DIVISIONS)]
        self.price_level = 1.0

    def price_index(self) -> float:
        """The nominal income level relative to 2010 (``HunanModel.price_index``): set by the test."""
        return self.price_level


def scenario(*blocks: PolicyBlock) -> Scenario:
    return Scenario(name="unit-test", blocks=blocks)


def block(levers: dict, cities: tuple[int, ...] | None = None) -> PolicyBlock:
    return PolicyBlock(from_year=2010, until_year=2100, cities=cities, levers=levers)


# ------------------------------------------------------------------------------------------------------
# Province and cities: levers and published rules
# ------------------------------------------------------------------------------------------------------


def test_province_hands_each_city_its_own_levers_without_writing_model_state():
    m = TinyModel(scenario(block({"settlement_min_years": 2}), block({"settlement_min_years": 5}, cities=(3,)),
                           block({"keep_land_rights": True})))
    m.province.apply_policies(2015)
    assert not hasattr(m, "policy")  # the province keeps the levers; it does not write them into the model
    assert m.province.levers.year == 2015
    assert [g.levers["settlement_min_years"] for g in m.city_governments] == [2] * 3 + [5] + [2] * 10
    assert all(g.terms["keep_land_rights"] == 1.0 for g in m.city_governments)
    assert m.world.travel_hours.max() > 0  # the network was built for the year


def test_city_rules_publish_each_citys_rules_as_arrays_by_division():
    m = TinyModel(scenario(block({"permit_min_years": 3, "permit_health_share": 0.3}),
                           block({"permit_min_years": 0}, cities=(0,)), block({"government_cost_share": 0.4})))
    m.province.apply_policies(2020)
    rules = CityRules.publish(m.city_governments, 2020)
    assert set(rules.values) == set(RULE_LEVERS)
    np.testing.assert_array_equal(rules.city("permit_min_years"), [0] + [3] * 13)
    # the published rules are exactly the scenario's levers for the year: households see the same numbers
    for name in RULE_LEVERS:
        np.testing.assert_array_equal(rules.city(name), m.province.levers.city(name))
    assert rules["government_cost_share"] == 0.4
    # by rule row: the 14 central cities, then each division's county towns (the same rules unless scoped)
    np.testing.assert_allclose(rules.permit_general_share(), np.full(2 * N_DIVISIONS, 0.1))


def test_a_block_scoped_to_county_towns_sets_the_town_rules_only():
    towns_of_shaoyang = PolicyBlock(from_year=0, until_year=9999, cities=(4,), levers={"permit_min_years": 5.0},
                                    places="county_towns")
    every_town = PolicyBlock(from_year=0, until_year=9999, cities=None, levers={"settlement_min_years": 0.0},
                             places="county_towns")
    m = TinyModel(scenario(block({"permit_min_years": 2, "settlement_min_years": 3}), towns_of_shaoyang, every_town))
    m.province.apply_policies(2020)
    rules = CityRules.publish(m.city_governments, 2020)
    np.testing.assert_array_equal(rules.city("permit_min_years"), [2] * N_DIVISIONS)
    np.testing.assert_array_equal(rules.at("permit_min_years")[N_DIVISIONS:], [2] * 4 + [5] + [2] * 9)
    np.testing.assert_array_equal(rules.city("settlement_min_years"), [3] * N_DIVISIONS)
    np.testing.assert_array_equal(rules.at("settlement_min_years")[N_DIVISIONS:], [0] * N_DIVISIONS)
    # a scenario file says it the same way
    s = Scenario.from_dict({"name": "towns", "policy": [{"cities": ["Shaoyang"], "places": "county_towns",
                                                         "levers": {"permit_min_years": 5}}]})
    assert s.policy(2021).county_town("permit_min_years")[4] == 5 and s.policy(2021).city("permit_min_years")[4] != 5
    with pytest.raises(InputError, match="places"):
        Scenario.from_dict({"name": "bad", "policy": [{"places": "towns", "levers": {"permit_min_years": 5}}]})


def test_settlement_openness_discounts_each_condition():
    m = TinyModel(scenario(block({"settlement_min_years": 2, "settlement_housing_condition": 1,
                                  "settlement_requires_job": True}),
                           block({"settlement_min_years": 0, "settlement_housing_condition": 0,
                                  "settlement_requires_job": False}, cities=(5,)),
                           block({"settlement_min_insurance_years": 3, "settlement_housing_condition": 2},
                                 cities=(6,))))
    m.province.apply_policies(2012)
    rules = CityRules.publish(m.city_governments, 2012)
    openness = rules.settlement_openness(m.params)
    assert openness[0] == pytest.approx(1 / (1 + 2 / 3) * 0.8 * 0.8)
    assert openness[5] == 1.0  # no condition: fully open
    assert openness[6] == pytest.approx(1 / (1 + 2 / 3) / (1 + 3 / 3) * 0.5 * 0.8)
    # the discounts are parameters: a longer half-open horizon makes the same rules more open
    looser = rules.settlement_openness(m.params.replace(settle_open_years=6.0, settle_open_job=1.0))
    assert looser[0] == pytest.approx(1 / (1 + 2 / 6) * 0.8)


def test_households_ask_their_city_for_the_permit_and_settlement_rules():
    """A migrant is judged by the rules of the city it lives in, as published by that city's government."""
    m = TinyModel(scenario(block({"permit_min_years": 1, "permit_health_share": 1.0, "permit_housing_share": 1.0,
                                  "permit_training_share": 1.0, "settlement_min_years": 1}),
                           block({"permit_min_years": 5, "settlement_min_years": 5}, cities=(3,))))
    m.province.apply_policies(2016)
    rules = CityRules.publish(m.city_governments, 2016)
    cols = empty_columns(4, PLACES)
    cities = PLACES.place_of(np.array([0, 0, 3, 3]), np.ones(4, dtype=bool))
    cols["loc"][:] = cities
    cols["hukou_div"][:] = 7  # migrants from Changde's villages
    cols["n_members"][:] = 1
    cols["years_here"][:] = [2, 0, 2, 6]
    cols["employment"][:] = Employment.EMPLOYED
    cols["tenure"][:] = Tenure.MARKET_RENT
    h = Households(cols=cols, places=PLACES)
    np.testing.assert_array_equal(settlement_eligible_rows(h, rules), [0, 3])
    new = apply_for_permits(h, rules, apply_rate=1.0, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(new, [True, False, False, True])


# ------------------------------------------------------------------------------------------------------
# City budgets, land quota and housing
# ------------------------------------------------------------------------------------------------------


def test_build_housing_adds_the_years_programmes():
    m = TinyModel(scenario(block({"public_rental_units_per_year": 100.0, "affordable_rental_units_per_year": 40.0,
                                  "shared_ownership_units_per_year": 7.0, "renovation_units_per_year": 20.0},
                                 cities=(2,))))
    m.province.apply_policies(2021)
    g, other = m.city_governments[2], m.city_governments[0]
    g.build_housing()
    g.build_housing()
    assert (g.public_rental_stock, g.affordable_rental_stock, g.renovated_units) == (200.0, 80.0, 40.0)
    assert g.shared_ownership_offer == 7.0  # this year's offer, not cumulative
    other.build_housing()
    assert (other.public_rental_stock, other.shared_ownership_offer) == (0.0, 0.0)


def test_receive_settlers_books_land_quota_and_turns_transfers_into_units():
    m = TinyModel(scenario(block({"land_quota_per_settler": 34.69, "transfer_per_settler": 5.0})))
    m.province.apply_policies(2021)
    g = m.city_governments[1]
    g.receive_settlers(10.0)
    assert g.settled_persons == 10.0
    assert g.land_quota_new_m2 == pytest.approx(346.9)
    assert g.transfers_received == 50.0
    assert g.public_rental_stock == pytest.approx(50.0 / 25.0)  # public_rental_unit_cost
    g.receive_settlers(0.0)
    assert g.land_quota_new_m2 == 0.0 and g.land_quota_m2 == pytest.approx(346.9)  # cumulative kept
    # a dearer unit buys fewer units with the same transfers
    dear = TinyModel(scenario(block({"transfer_per_settler": 5.0})), params=ModelParameters().replace(
        public_rental_unit_cost=50.0))
    dear.province.apply_policies(2021)
    dear.city_governments[1].receive_settlers(10.0)
    assert dear.city_governments[1].public_rental_stock == pytest.approx(1.0)


# ------------------------------------------------------------------------------------------------------
# Firms
# ------------------------------------------------------------------------------------------------------


def test_sector_firms_grow_demand_and_count_establishments():
    m = TinyModel(scenario(), scale=10.0)
    p = m.params
    manufacturing = SectorFirms(m, division=0, sector=0, employment_2010=1000.0)
    services = SectorFirms(m, division=0, sector=1, employment_2010=1000.0)
    assert manufacturing.labour_demand == pytest.approx(1000.0)
    assert manufacturing.n_firms == pytest.approx(1000.0 * 10.0 / p.workers_per_firm)
    manufacturing.produce(agglomeration_growth=1.0, transfer_incentive=1.0)
    services.produce(agglomeration_growth=1.0, transfer_incentive=1.0)
    growth = 1.0 + p.labour_demand_growth
    # industry transfer adds to manufacturing only, a share of the 2010 demand
    assert manufacturing.labour_demand == pytest.approx(1000.0 * growth + 1000.0 * p.industry_transfer_rate)
    assert services.labour_demand == pytest.approx(1000.0 * growth)
    moved = 1000.0 * p.industry_transfer_rate * 10.0 / p.workers_per_firm
    assert manufacturing.relocated_in == pytest.approx(moved)
    # establishments: last year's + entries - exits + relocated
    assert manufacturing.n_firms == pytest.approx(500.0 + manufacturing.entries - manufacturing.exits + moved)
    services.produce(agglomeration_growth=0.5, transfer_incentive=1.0)  # a shrinking city: firms exit
    assert services.exits > 0 and services.entries == 0


def test_city_wage_moves_with_tightness_within_bounds():
    base, agglo = np.array([2.0, 2.0, 2.0]), np.array([1.0, 1.1, 1.0])
    wage = city_wage(base=base, agglomeration=agglo, tightness=np.array([0.0, 0.0, 0.2]), flexibility=0.5,
                     max_tightness=0.5)
    np.testing.assert_allclose(wage, [2.0, 2.2, 2.0 * np.exp(0.1)])
    rigid = city_wage(base=base, agglomeration=agglo, tightness=np.array([0.3, -0.3, 9.0]), flexibility=0.0,
                      max_tightness=0.5)
    np.testing.assert_allclose(rigid, base * agglo)  # λ = 0: the rigid wage of Harris & Todaro
    clipped = city_wage(base=base, agglomeration=agglo, tightness=np.array([9.0, -9.0, 0.5]), flexibility=1.0,
                        max_tightness=0.5)
    np.testing.assert_allclose(clipped, [2.0 * np.exp(0.5), 2.2 * np.exp(-0.5), 2.0 * np.exp(0.5)])
    wider = city_wage(base=base, agglomeration=agglo, tightness=np.array([9.0, -9.0, 0.5]), flexibility=1.0,
                      max_tightness=0.8)
    np.testing.assert_allclose(wider, [2.0 * np.exp(0.8), 2.2 * np.exp(-0.8), 2.0 * np.exp(0.5)])


def test_farm_income_rises_as_farm_labour_leaves():
    m = TinyModel(scenario())
    p = m.params
    farm = FarmSector(m, division=0, income_2010=1.0)
    farm.rural_persons_2010 = 1000.0
    farm.produce(rural_persons=500.0)
    productivity = 1.0 + p.rural_productivity_growth
    assert farm.productivity == pytest.approx(productivity)
    assert farm.income == pytest.approx(productivity * 0.5 ** (p.farm_labour_elasticity - 1.0))
    assert farm.income > productivity


# ------------------------------------------------------------------------------------------------------
# Transport network
# ------------------------------------------------------------------------------------------------------


def _hours(world: World, a: str, b: str) -> float:
    nodes = list(world.places.node_names)
    return float(world.travel_hours[nodes.index(a), nodes.index(b)])


def _network(world: World, *, year: int, open_years: dict, czt_metro: bool, factor: float = 0.7) -> bool:
    return world.update_network(year=year, open_years=open_years, czt_metro=czt_metro, outside_road_hours=4.5,
                                outside_rail_hours=1.5, station_access_hours=0.5, czt_metro_factor=factor)


def test_update_network_rebuilds_only_when_something_changed():
    w = World.build()
    assert _network(w, year=2010, open_years={}, czt_metro=False)
    first = w.travel_hours.copy()
    assert not _network(w, year=2011, open_years={}, czt_metro=False)
    assert _network(w, year=2012, open_years={"jingguang": 2009}, czt_metro=False)
    assert (w.travel_hours <= first + 1e-12).all()  # opening a line never lengthens a trip
    assert (w.travel_hours < first - 1e-9).any()
    np.testing.assert_allclose(w.travel_hours, w.travel_hours.T)  # travel times are symmetric


def test_update_network_links_outside_through_chenzhou_by_road_or_rail():
    w = World.build()
    _network(w, year=2010, open_years={}, czt_metro=False)
    assert _hours(w, "Chenzhou", "outside") == pytest.approx(4.5)
    _network(w, year=2010, open_years={"jingguang": 2009}, czt_metro=False)
    assert _hours(w, "Chenzhou", "outside") == pytest.approx(1.5 + 0.5)
    # every other division reaches outside through Chenzhou
    assert _hours(w, "Changsha", "outside") == pytest.approx(_hours(w, "Changsha", "Chenzhou") + 2.0)


def test_czt_metro_factor_shortens_rail_among_czt_cities_only():
    lines = {"czt_intercity": 2016, "jingguang": 2009, "hukun": 2014}
    w = World.build()
    _network(w, year=2020, open_years=lines, czt_metro=False)
    plain = w.travel_hours.copy()
    _network(w, year=2020, open_years=lines, czt_metro=True, factor=0.5)
    assert _hours(w, "Changsha", "Zhuzhou") < plain[list(w.places.node_names).index("Changsha"),
                                                    list(w.places.node_names).index("Zhuzhou")]
    nodes = list(w.places.node_names)
    assert w.travel_hours[nodes.index("Hengyang"), nodes.index("Chenzhou")] == plain[nodes.index("Hengyang"),
                                                                                   nodes.index("Chenzhou")]
    # without metro operation the factor does nothing
    _network(w, year=2020, open_years=lines, czt_metro=False, factor=0.5)
    np.testing.assert_array_equal(w.travel_hours, plain)


# ------------------------------------------------------------------------------------------------------
# Issue 19: school places, land quota with a lag and a cap, the cities' response to transfers
# ------------------------------------------------------------------------------------------------------


def test_school_places_start_at_demand_then_close_a_share_of_the_shortfall_a_year():
    m = TinyModel(scenario(), params=ModelParameters().replace(school_build_rate=0.25))
    m.province.apply_policies(2021)
    g = m.city_governments[3]
    g.set_school_demand(np.array([100.0, 40.0]))
    np.testing.assert_array_equal(g.school_places, [100.0, 40.0])  # the 2010 state: as promised
    g.set_school_demand(np.array([180.0, 40.0]))
    g.build_schools()
    np.testing.assert_allclose(g.school_places, [120.0, 40.0])  # a quarter of the 80 missing
    g.set_school_demand(np.array([50.0, 10.0]))
    g.build_schools()
    np.testing.assert_allclose(g.school_places, [120.0, 40.0])  # places once built stay


def test_transfers_build_the_missing_school_places_before_rental_units():
    params = ModelParameters().replace(school_build_rate=0.0, school_place_cost=10.0, public_rental_unit_cost=25.0)
    m = TinyModel(scenario(block({"transfer_per_settler": 5.0})), params=params)
    m.province.apply_policies(2021)
    g = m.city_governments[1]
    g.set_school_demand(np.array([10.0, 10.0]))
    g.set_school_demand(np.array([14.0, 12.0]))  # 6 places missing: 60 (10k yuan)
    g.receive_settlers(20.0)  # 100 of transfers
    np.testing.assert_allclose(g.school_places, [14.0, 12.0])
    assert g.public_rental_stock == pytest.approx(40.0 / 25.0)
    g.receive_settlers(2.0)  # nothing missing: all 10 to rental units
    assert g.public_rental_stock == pytest.approx(50.0 / 25.0)
    m.price_level = 2.0  # incomes doubled since 2010: the same transfer buys half as much
    g.receive_settlers(2.0)
    assert g.public_rental_stock == pytest.approx(55.0 / 25.0)


def test_land_quota_is_capped_by_the_province_and_becomes_housing_after_the_lag():
    m = TinyModel(scenario(block({"land_quota_per_settler": 100.0})),
                  params=ModelParameters().replace(land_supply_lag=2.0))
    m.province.apply_policies(2021)
    g = m.city_governments[0]
    # the budget stage of year t grants land; the housing markets of t + 1, t + 2 read land_ready_m2
    g.receive_settlers(10.0)  # 1,000 m² granted in year t
    assert g.land_ready_m2() == 0.0  # year t + 1: not yet housing
    g.receive_settlers(0.0)  # budget stage of t + 1
    assert g.land_ready_m2() == pytest.approx(1000.0)  # year t + 2: granted two years before
    g.receive_settlers(30.0, land_scale=0.5)  # the province grants half of what the settlers would bring
    assert g.land_quota_new_m2 == pytest.approx(1500.0) and g.land_quota_m2 == pytest.approx(2500.0)


def test_cities_process_settlement_faster_the_more_a_settler_brings():
    params = ModelParameters().replace(government_response=0.5, citizenisation_cost_total=10.0)
    m = TinyModel(scenario(block({"transfer_per_settler": 3.5, "government_cost_share": 0.7}),
                           block({"transfer_per_settler": 0.0}, cities=(4,))), params=params)
    m.province.apply_policies(2021)
    for g in m.city_governments:
        g.respond()
    assert m.city_governments[0].settle_speed_factor == pytest.approx(1.0 + 0.5 * 3.5 / 7.0)
    assert m.city_governments[4].settle_speed_factor == 1.0  # no transfer, no response
    # a transfer worth the whole cost, or a government that bears none, gives the largest response, 1 + ρ
    free = TinyModel(scenario(block({"transfer_per_settler": 3.5, "government_cost_share": 0.0})), params=params)
    free.province.apply_policies(2021)
    free.city_governments[0].respond()
    assert free.city_governments[0].settle_speed_factor == pytest.approx(1.5)
    free.price_level = 3.5  # the same nominal transfer is worth less in 2010 yuan
    free.city_governments[0].levers["government_cost_share"] = 0.7
    free.city_governments[0].terms["government_cost_share"] = 0.7
    free.city_governments[0].respond()
    assert free.city_governments[0].settle_speed_factor == pytest.approx(1.0 + 0.5 * 1.0 / 7.0)
    still = TinyModel(scenario(block({"transfer_per_settler": 3.5})), params=params.replace(government_response=0.0))
    still.province.apply_policies(2021)
    still.city_governments[0].respond()
    assert still.city_governments[0].settle_speed_factor == 1.0


def test_a_permits_housing_share_counts_only_where_rental_units_exist():
    from agents.governments import general_service_share
    health, housing, training = np.array([0.5]), np.array([1.0]), np.array([0.5])
    # no units: the housing share adds nothing; plain mean when every renter could be housed or unknown
    assert general_service_share(health, housing, training, np.array([0.0]))[0] == pytest.approx(0.5)
    assert general_service_share(health, np.array([0.0]), training, np.array([0.0]))[0] == pytest.approx(0.5)
    assert general_service_share(health, housing, training, np.array([1.0]))[0] == pytest.approx(2 / 3)
    assert general_service_share(health, housing, training)[0] == pytest.approx(2 / 3)
    half = general_service_share(health, housing, training, np.array([0.5]))[0]
    assert 0.5 < half < 2 / 3
    # hukou holders (all shares 1) keep 1 whatever the coverage
    assert general_service_share(*(np.ones(1),) * 3, np.array([0.3]))[0] == pytest.approx(1.0)
