"""Governments: a Mesa agent per city (division) and one for the province.

A :class:`CityGovernment` applies its city's levers for the year: it holds its own row of every city lever,
publishes its residence-permit and settlement (落户) rules, which households ask through :class:`CityRules`
(one table of all cities' rules, arrays by division), builds public rental, affordable rental and
shared-ownership housing, keeps public-school places for children without local hukou, receives land quota
(which becomes housing supply with a lag, within the province's cap) and fiscal transfers for each settled
migrant (人地钱挂钩), spends transfers on the school places it lacks and then on public rental units, and
processes settlement faster the more a settler brings it. The :class:`ProvincialGovernment` reads the year's levers from
the scenario, hands each city government its levers, opens rail lines (rebuilding the transport network) and
runs Changsha-Zhuzhou-Xiangtan integration (mutual recognition of residence years, metro-style intercity rail).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import mesa
import numpy as np

from sim.parameters import LEVERS

@functools.cache
def city_levers() -> tuple[str, ...]:
    """Every lever a city sets for itself (scope ``city``, one value per division), in declaration order; a city
    government holds its own row of each. A function, not a constant: the lever table is built on first use, not
    at import (:data:`sim.parameters.LEVERS`)."""
    return tuple(name for name, lever in LEVERS.items() if lever.scope == "city")

#: The city levers through which a city's rules reach households: who may take up a residence permit and what
#: it gives, and the conditions of settlement.
RULE_LEVERS = ("permit_min_years", "permit_schooling_share", "permit_health_share", "permit_housing_share",
               "permit_training_share", "migrant_school_access", "settlement_min_years",
               "settlement_min_insurance_years", "settlement_housing_condition", "settlement_requires_job",
               "public_service_investment")
#: Province-wide terms of settlement that every city government applies with its own rules.
SETTLEMENT_TERMS = ("keep_land_rights", "land_exit_compensation", "government_cost_share")


def general_service_share(health: np.ndarray, housing: np.ndarray, training: np.ndarray,
                          housing_coverage: np.ndarray | None = None) -> np.ndarray:
    """Share of hukou holders' general services given by shares of health care, housing eligibility and
    training: their mean, housing weighted by the coverage of the city's rental units (0-1), since eligibility
    for units that do not exist gives nothing, to hukou holders (whose share stays 1) as to anyone.
    Coverage None or 1 gives the plain mean of the three."""
    if housing_coverage is None:
        return (health + housing + training) / 3.0
    return (health + training + housing_coverage * housing) / (2.0 + housing_coverage)


@dataclass(frozen=True)
class CityRules:
    """The permit and settlement rules the city governments publish for one year.

    Households ask their city through this table: ``rules.at(name)[row]`` is the rule where a household lives,
    ``row`` being its place's rule row (``sim.places.Places.rule_row``: a division's central city, or its county
    towns, whose rules the city government sets apart); ``rules.city(name)[division]`` is the central city's
    (the division's on the division network). The same interface as a scenario's :class:`sim.scenario.Policy`,
    restricted to the rules; ``rules[term]`` is a province-wide term of settlement the cities apply.

    Attributes:
        year: the year the rules are in force.
        values: each rule of :data:`RULE_LEVERS` by rule row (the central cities by division id, then the
            county towns of each division).
        terms: each term of :data:`SETTLEMENT_TERMS`.
    """

    year: int
    values: dict[str, np.ndarray]
    terms: dict[str, float]
    n_cities: int = 0  # the first rule rows are the central cities' (0: all rows are)

    @classmethod
    def publish(cls, governments: Sequence[CityGovernment], year: int) -> CityRules:
        """Collect the rules of ``governments`` (ordered by division id) into one table."""
        values = {name: np.array([g.levers[name] for g in governments] + [g.town_levers[name] for g in governments])
                  for name in RULE_LEVERS}
        return cls(year=year, values=values, terms=dict(governments[0].terms), n_cities=len(governments))

    def city(self, name: str) -> np.ndarray:
        """A rule's values by division id (the central cities)."""
        v = self.values[name]
        return v[:self.n_cities] if self.n_cities else v

    def at(self, name: str) -> np.ndarray:
        """A rule's values by rule row (central cities, then county towns, by division)."""
        return self.values[name]

    def __getitem__(self, name: str) -> float:
        return self.terms[name]

    def permit_general_share(self, housing_coverage: np.ndarray | None = None) -> np.ndarray:
        """Share of hukou holders' general services (health, housing, training) a permit gives, by rule row.

        ``housing_coverage``: by rule row, the share of renters that the city's public and affordable rental
        units could house (0-1); housing eligibility is worth that much, so a permit's housing share counts only
        where units exist (:func:`general_service_share`). None counts it in full.
        """
        return general_service_share(self.values["permit_health_share"], self.values["permit_housing_share"],
                                     self.values["permit_training_share"], housing_coverage)

    def settlement_openness(self, params: Any) -> np.ndarray:
        """Openness of settlement to a newcomer by rule row (0-1; docs/ODD.md): each condition discounts it.

        ``params``: the model parameters (``settle_open_years``, ``settle_open_rented_home``,
        ``settle_open_owned_home``, ``settle_open_job``).
        """
        p, v = params, self.values
        housing_factor = np.array([1.0, p.settle_open_rented_home, p.settle_open_owned_home])[
            v["settlement_housing_condition"].astype(int)]
        years = p.settle_open_years
        return (1 / (1 + v["settlement_min_years"] / years) / (1 + v["settlement_min_insurance_years"] / years)
                * housing_factor * np.where(v["settlement_requires_job"] >= 0.5, p.settle_open_job, 1.0))


class CityGovernment(mesa.Agent):
    """The government of one prefecture-level division.

    Attributes:
        division: division id.
        public_rental_stock: public rental units (real units).
        affordable_rental_stock: affordable rental units (real units).
        shared_ownership_offer: shared-ownership homes on offer this year (real units).
        renovated_units: renovated old-community and shantytown units, cumulative.
        settled_persons: persons who settled (transferred hukou) here, cumulative.
        land_quota_m2: construction land granted for settled migrants, cumulative (m²).
        land_quota_new_m2: construction land granted this year (m²), within the province's cap.
        land_pipeline_m2: construction land granted each year, oldest first (m²): land granted in year t
            lowers rents in year t + ``land_supply_lag`` (at least the next year: the budget stage that grants
            it comes after the year's housing market).
        transfers_received: fiscal transfers for settled migrants, cumulative (10k yuan).
        school_places: public-school places for children without local hukou, by the city's rule rows (its
            central city, then its county towns on the county network), real places.
        school_demand: the places the city's rules promise those children this year, by rule row.
        settle_speed_factor: how fast the city processes settlement relative to the calibrated speed: its
            response to what a settler brings it (:meth:`respond`).
    """

    def __init__(self, model: mesa.Model, *, division: int) -> None:
        super().__init__(model)
        self.division = division
        self.public_rental_stock = 0.0
        self.affordable_rental_stock = 0.0
        self.shared_ownership_offer = 0.0
        self.renovated_units = 0.0
        self.settled_persons = 0.0
        self.land_quota_m2 = 0.0
        self.land_quota_new_m2 = 0.0
        self.land_pipeline_m2: list[float] = []
        self.transfers_received = 0.0
        self.school_places = np.zeros(0)
        self.school_demand = np.zeros(0)
        self.settle_speed_factor = 1.0
        self.levers: dict[str, Any] = {}
        self.town_levers: dict[str, Any] = {}
        self.terms: dict[str, float] = {}

    def adopt(self, policy: Any) -> None:
        """Take this year's levers: the city's own row of every city lever and the province's settlement terms.

        ``policy``: the year's levers for all cities (:class:`sim.scenario.Policy`), from the province.
        """
        d = self.division
        self.levers = {name: policy.city(name)[d] for name in city_levers()}
        # the rules it sets for its county towns (县城), apart from its central city's
        self.town_levers = {name: policy.county_town(name)[d] for name in city_levers()}
        self.terms = {name: policy[name] for name in SETTLEMENT_TERMS}

    def build_housing(self) -> None:
        """Add the year's public rental, affordable rental, shared-ownership and renovated units."""
        levers = self.levers
        self.public_rental_stock += levers["public_rental_units_per_year"]
        self.affordable_rental_stock += levers["affordable_rental_units_per_year"]
        self.shared_ownership_offer = levers["shared_ownership_units_per_year"]
        self.renovated_units += levers["renovation_units_per_year"]

    def receive_settlers(self, persons: float, land_scale: float = 1.0) -> None:
        """Book land quota and transfers for ``persons`` newly settled; the transfers build the school places
        the city lacks first (at ``school_place_cost``), then public rental units.

        ``land_scale``: the share of the requested quota the province grants this year (below 1 when the
        cities' requests exceed the province's cap on new construction land).
        """
        levers, p = self.levers, self.model.params
        self.settled_persons += persons
        self.land_quota_new_m2 = persons * levers["land_quota_per_settler"] * land_scale
        self.land_quota_m2 += self.land_quota_new_m2
        self.land_pipeline_m2.append(self.land_quota_new_m2)
        transfer = persons * levers["transfer_per_settler"]
        self.transfers_received += transfer
        # the costs are in 2010 yuan: the transfer (yuan of the year) buys what it is worth in 2010 yuan
        real = transfer / self.model.price_index()
        gap = np.maximum(self.school_demand - self.school_places, 0.0) if len(self.school_places) else np.zeros(0)
        to_schools = min(real, float(gap.sum()) * p.school_place_cost)
        if to_schools > 0:
            self.school_places = self.school_places + gap / gap.sum() * (to_schools / p.school_place_cost)
        self.public_rental_stock += (real - to_schools) / p.public_rental_unit_cost

    def land_ready_m2(self) -> float:
        """Construction land granted ``land_supply_lag`` years before this year, which becomes housing supply
        in this year's housing market (which runs before the budget stage that books this year's grant, so
        the last entry of the pipeline is last year's grant; a lag below 1 counts as 1)."""
        lag = max(1, int(self.model.params.land_supply_lag))
        return self.land_pipeline_m2[-lag] if len(self.land_pipeline_m2) >= lag else 0.0

    def set_school_demand(self, demand: np.ndarray) -> None:
        """Take this year's demand for school places (by rule row: the places the city's rules promise the
        children without local hukou living with their parents). The first time, the city is taken to have
        them (the 2010 state)."""
        self.school_demand = np.asarray(demand, dtype=float)
        if len(self.school_places) != len(self.school_demand):
            self.school_places = self.school_demand.copy()

    def build_schools(self) -> None:
        """Close ``school_build_rate`` of any shortfall of school places (a fixed build rate standing for the
        city's ordinary spending; no budget is kept). Places once built stay."""
        gap = np.maximum(self.school_demand - self.school_places, 0.0)
        self.school_places = self.school_places + self.model.params.school_build_rate * gap

    def respond(self) -> None:
        """Set how fast the city processes settlement (人地钱挂钩 as an incentive to city governments).

        The incentive is the transfer a settler brings (in 2010 yuan) relative to the public cost of a settler
        the governments bear (``government_cost_share`` × ``citizenisation_cost_total``), at most 1 (a
        transfer that covers the whole cost); the city speeds up by ``government_response`` × incentive.
        Without transfers nothing changes, so the history is untouched.
        """
        p = self.model.params
        transfer = self.levers["transfer_per_settler"] / self.model.price_index()
        cost = self.terms["government_cost_share"] * p.citizenisation_cost_total
        incentive = min(1.0, transfer / cost) if cost > 0 else float(transfer > 0)
        self.settle_speed_factor = 1.0 + p.government_response * incentive


class ProvincialGovernment(mesa.Agent):
    """Hunan's provincial government: sets the year's levers and the transport network.

    Attributes:
        levers: the levers in force this year (:class:`sim.scenario.Policy`), read from the scenario; city
            governments apply their own rows of them, the model's market stages read the rest.
    """

    def __init__(self, model: mesa.Model) -> None:
        super().__init__(model)
        self.levers: Any = None

    def apply_policies(self, year: int) -> None:
        """Read the scenario's levers for ``year``, hand each city government its levers and update the rail
        network if lines opened."""
        model = self.model
        self.levers = model.policy_scenario.policy(year)
        for government in model.city_governments:
            government.adopt(self.levers)
        p = model.params
        open_years = {name.removeprefix("open_year_"): value for name, value in self.levers.values.items()
                      if name.startswith("open_year_")}
        model.world.update_network(year=year, open_years=open_years,
                                   czt_metro=self.levers["czt_metro_operation"] >= 0.5,
                                   outside_road_hours=p.outside_road_hours, outside_rail_hours=p.outside_rail_hours,
                                   station_access_hours=p.station_access_hours, czt_metro_factor=p.czt_metro_factor)
