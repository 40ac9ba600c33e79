"""Governments: a Mesa agent per city (division) and one for the province.

A :class:`CityGovernment` applies its city's levers for the year (settlement rules and permit services are
read by the household decisions from the policy), builds public rental, affordable rental and
shared-ownership housing, receives land quota and fiscal transfers for each settled migrant (人地钱挂钩)
and spends transfers on more public rental units. The :class:`ProvincialGovernment` sets the year's
policy from the scenario, opens rail lines (rebuilding the transport network) and runs Changsha-Zhuzhou-
Xiangtan integration (mutual recognition of residence years, metro-style intercity rail).
"""

from __future__ import annotations

import mesa


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

    def build_housing(self) -> None:
        """Add the year's public rental, affordable rental, shared-ownership and renovated units."""
        policy, d = self.model.policy, self.division
        self.public_rental_stock += policy.city("public_rental_units_per_year")[d]
        self.affordable_rental_stock += policy.city("affordable_rental_units_per_year")[d]
        self.shared_ownership_offer = policy.city("shared_ownership_units_per_year")[d]
        self.renovated_units += policy.city("renovation_units_per_year")[d]

    def receive_settlers(self, persons: float) -> None:
        """Book land quota and transfers for ``persons`` newly settled, and build units with the transfers."""
        policy, d = self.model.policy, self.division
        self.settled_persons += persons
        self.land_quota_new_m2 = persons * policy.city("land_quota_per_settler")[d]
        self.land_quota_m2 += self.land_quota_new_m2
        transfer = persons * policy.city("transfer_per_settler")[d]
        self.transfers_received += transfer
        self.public_rental_stock += transfer / self.model.params.public_rental_unit_cost


class ProvincialGovernment(mesa.Agent):
    """Hunan's provincial government: sets the year's policy and the transport network."""

    def apply_policies(self, year: int) -> None:
        """Read the scenario's levers for ``year`` and update the rail network if lines opened."""
        model = self.model
        model.policy = model.policy_scenario.policy(year)
        p = model.params
        open_years = {name.removeprefix("open_year_"): value for name, value in model.policy.values.items()
                      if name.startswith("open_year_")}
        model.world.update_network(year=year, open_years=open_years,
                                   czt_metro=model.policy["czt_metro_operation"] >= 0.5,
                                   outside_road_hours=p.outside_road_hours, outside_rail_hours=p.outside_rail_hours,
                                   station_access_hours=p.station_access_hours, czt_metro_factor=p.czt_metro_factor)
