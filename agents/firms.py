"""Firms: one Mesa agent per division and sector (agriculture, manufacturing, services).

A :class:`FarmSector` agent stands for a division's family farms: output per farm worker rises with farm
productivity and with the labour that leaves (diminishing returns to labour on fixed land, elasticity β),
so rural income rises as people move to town.

A :class:`SectorFirms` agent holds the sector's productivity, labour demand, wage and number of
establishments. Each year it produces (productivity grows and rises with city size, agglomeration
elasticity γ), sets its labour demand and posts the gap to current employment as vacancies, and sets the
wage: productivity-indexed, moving with labour-market tightness by the wage flexibility λ (λ = 0 is the
rigid urban wage of Harris & Todaro 1970). Manufacturing demand grows in cities that offer incentives for
industry transfer, drawn from outside Hunan. Establishment counts follow demand: entry when it grows,
exit when it falls.
"""

from __future__ import annotations

import mesa
import numpy as np


class SectorFirms(mesa.Agent):
    """The firms of one urban sector (manufacturing or services) in one division.

    Attributes:
        division: division id.
        sector: 0 = manufacturing, 1 = services (column of the model's demand arrays).
        labour_demand: households (agent units) the sector wants to employ.
        labour_demand_2010: the 2010 level (employment in the synthesised population).
        vacancies: unfilled demand after last year's matching.
        n_firms: establishments (real units).
        relocated_in: establishments that arrived from outside Hunan, cumulative.
    """

    def __init__(self, model: mesa.Model, *, division: int, sector: int, employment_2010: float) -> None:
        super().__init__(model)
        self.division = division
        self.sector = sector
        self.labour_demand = float(employment_2010) / (1.0 - model.params.initial_unemployment_rate) * (
            1.0 - model.params.initial_unemployment_rate)
        self.labour_demand_2010 = self.labour_demand
        self.vacancies = 0.0
        self.n_firms = self.labour_demand * model.scale / model.params.workers_per_firm
        self.relocated_in = 0.0
        self.entries = 0.0
        self.exits = 0.0

    def produce(self, *, agglomeration_growth: float, transfer_incentive: float) -> None:
        """Update labour demand for the year: trend growth, agglomeration and industry transfer."""
        p = self.model.params
        growth = (1.0 + p.labour_demand_growth) * agglomeration_growth
        relocation = p.industry_transfer_rate * transfer_incentive if self.sector == 0 else 0.0
        before = self.labour_demand
        self.labour_demand = before * growth + self.labour_demand_2010 * relocation
        firms_before = self.n_firms
        self.n_firms = self.labour_demand * self.model.scale / p.workers_per_firm
        moved = self.labour_demand_2010 * relocation * self.model.scale / p.workers_per_firm
        self.relocated_in += moved
        change = self.n_firms - firms_before - moved
        self.entries = max(change, 0.0)
        self.exits = max(-change, 0.0)


def city_wage(*, base: np.ndarray, agglomeration: np.ndarray, tightness: np.ndarray, flexibility: float,
              max_tightness: float) -> np.ndarray:
    """Urban wage by division: productivity-indexed base × agglomeration × exp(λ · tightness).

    Tightness is clipped to ± ``max_tightness`` (the parameter ``max_wage_tightness``).
    """
    return base * agglomeration * np.exp(flexibility * np.clip(tightness, -max_tightness, max_tightness))


class FarmSector(mesa.Agent):
    """The farms of one division (agriculture).

    Attributes:
        division: division id.
        productivity: farm income per person at the 2010 rural population (10k yuan, nominal).
        rural_persons_2010: rural residents in 2010 (agent units).
        income: this year's per-capita farm income (10k yuan).
    """

    def __init__(self, model: mesa.Model, *, division: int, income_2010: float) -> None:
        super().__init__(model)
        self.division = division
        self.productivity = float(income_2010)
        self.income = float(income_2010)
        self.rural_persons_2010 = 0.0

    def produce(self, *, rural_persons: float) -> None:
        """Productivity grows; income per person follows the farm labour force: A · (L / L₂₀₁₀)^(β − 1)."""
        p = self.model.params
        self.productivity *= 1.0 + p.rural_productivity_growth
        ratio = max(rural_persons, 1.0) / max(self.rural_persons_2010, 1.0)
        self.income = self.productivity * ratio ** (p.farm_labour_elasticity - 1.0)
