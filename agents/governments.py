"""Governments: a Mesa agent per city (division) and one for the province.

A :class:`CityGovernment` applies its city's levers for the year: it holds its own row of every city lever,
publishes its residence-permit and settlement (落户) rules, which households ask through :class:`CityRules`
(one table of all cities' rules, arrays by division), builds public rental, affordable rental and
shared-ownership housing, receives land quota and fiscal transfers for each settled migrant (人地钱挂钩) and
spends transfers on more public rental units. The :class:`ProvincialGovernment` reads the year's levers from
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

    def permit_general_share(self) -> np.ndarray:
        """Share of hukou holders' general services (health, housing, training) a permit gives, by rule row."""
        return (self.values["permit_health_share"] + self.values["permit_housing_share"]
                + self.values["permit_training_share"]) / 3.0

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
        transfers_received: fiscal transfers for settled migrants, cumulative (10k yuan).
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
        self.transfers_received = 0.0
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

    def receive_settlers(self, persons: float) -> None:
        """Book land quota and transfers for ``persons`` newly settled, and build units with the transfers."""
        levers = self.levers
        self.settled_persons += persons
        self.land_quota_new_m2 = persons * levers["land_quota_per_settler"]
        self.land_quota_m2 += self.land_quota_new_m2
        transfer = persons * levers["transfer_per_settler"]
        self.transfers_received += transfer
        self.public_rental_stock += transfer / self.model.params.public_rental_unit_cost


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
