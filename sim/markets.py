"""Markets: the labour market (matching job seekers to firms' vacancies) and the housing market.

Both work on the vectorised household table; per-division quantities are arrays indexed by division id.
"""

from __future__ import annotations

import numpy as np

from agents.households import Employment, Households, Sector, Tenure
from sim.world import N_DIVISIONS, OUTSIDE_LOC

URBAN_SECTORS = (Sector.MANUFACTURING, Sector.SERVICES)


def rank_within_groups(groups: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Rank (0 = highest key) of each element within its group; ties broken by position."""
    order = np.lexsort((-keys, groups))
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.arange(len(order)) - group_start
    return ranks


def weight_before_within_groups(groups: np.ndarray, keys: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """For each element, the total weight of the elements ahead of it (higher key) in its group."""
    order = np.lexsort((-keys, groups))
    w = weights[order].astype(float)
    cum = np.cumsum(w) - w
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    group_start_cum = np.repeat(cum[starts], np.diff(np.r_[starts, len(order)]))
    before = np.empty(len(order))
    before[order] = cum - group_start_cum
    return before


def labour_units(h: Households) -> np.ndarray:
    """Workers per household: its members aged 15 and over (the household moves and works as a unit)."""
    return np.maximum(h.n_adults(), 1).astype(float)


#: Division of each location's city (-1 for villages and the outside node): a lookup is several times
#: faster than the arithmetic over every household (benchmarks/PROFILE.md).
_URBAN_DIVISION = np.array([d // 2 if (d % 2 == 1 and d != OUTSIDE_LOC) else -1 for d in range(OUTSIDE_LOC + 1)],
                           dtype=np.int64)


def urban_division(h: Households) -> np.ndarray:
    """Division of households living in a Hunan city, -1 for everyone else."""
    return _URBAN_DIVISION[h.cols["loc"]]


def sector_employment(h: Households) -> np.ndarray:
    """Employed workers (agent units) by division and urban sector, shape (14, 2)."""
    div = urban_division(h)
    c = h.cols
    w = labour_units(h)
    out = np.zeros((N_DIVISIONS, 2))
    for k, s in enumerate(URBAN_SECTORS):
        m = (div >= 0) & (c["employment"] == Employment.EMPLOYED) & (c["sector"] == s)
        out[:, k] = np.bincount(div[m], weights=w[m], minlength=N_DIVISIONS)
    return out


def match_jobs(h: Households, *, labour_demand: np.ndarray, separation_rate: float, outside_unemployment: float,
               hire_priority: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One year of the urban labour markets, in workers (a household's adults work or seek work together).

    Employed workers separate at ``separation_rate``; where employment exceeds the firms' labour demand the
    excess is laid off; vacancies are filled by the division's job seekers in random order weighted by
    ``hire_priority`` (job training for permit holders). Outside Hunan, employment is redrawn each year.

    Args:
        labour_demand: (14, 2) firms' labour demand in workers by division and sector (manufacturing,
            services).
        hire_priority: per-household weight (>= 1) in the hiring queue.

    Returns:
        (14,) workers hired by division (agent units).
    """
    c = h.cols
    div = urban_division(h)
    n = len(h)
    w = labour_units(h)
    employed = c["employment"] == Employment.EMPLOYED
    in_city = div >= 0
    # separations
    sep = in_city & employed & (rng.random(n) < separation_rate)
    c["employment"][sep] = Employment.UNEMPLOYED
    # layoffs where employment exceeds demand
    emp = sector_employment(h)
    excess = np.maximum(emp - labour_demand, 0)
    if excess.sum() > 0:
        for k, s in enumerate(URBAN_SECTORS):
            m = np.flatnonzero(in_city & (c["employment"] == Employment.EMPLOYED) & (c["sector"] == s))
            before = weight_before_within_groups(div[m], rng.random(len(m)), w[m])
            fire = before < excess[div[m], k]
            c["employment"][m[fire]] = Employment.UNEMPLOYED
        emp = sector_employment(h)
    vacancies = np.maximum(labour_demand - emp, 0)
    # hiring: a household is hired while vacancies remain when its turn comes
    seekers = np.flatnonzero(in_city & (c["employment"] == Employment.UNEMPLOYED))
    sdiv = div[seekers]
    key = rng.random(len(seekers)) ** (1.0 / hire_priority[seekers])
    before = weight_before_within_groups(sdiv, key, w[seekers])
    total_vac = vacancies.sum(axis=1)
    hired = before < total_vac[sdiv]
    sector = np.where(before < vacancies[sdiv, 0], Sector.MANUFACTURING, Sector.SERVICES)
    idx = seekers[hired]
    c["employment"][idx] = Employment.EMPLOYED
    c["sector"][idx] = sector[hired]
    hires = np.bincount(sdiv[hired], weights=w[idx], minlength=N_DIVISIONS)
    # outside Hunan
    out = c["loc"] == OUTSIDE_LOC
    c["employment"][out] = np.where(rng.random(int(out.sum())) < outside_unemployment, Employment.UNEMPLOYED,
                                    Employment.EMPLOYED)
    return hires


def update_rents(rent: np.ndarray, *, urban_now: np.ndarray, urban_before: np.ndarray, income_growth: float,
                 elasticity: float, land_relief: np.ndarray) -> np.ndarray:
    """Next year's market rent by division.

    Rents follow incomes and respond to population inflow with elasticity η (Sustainability 10(9):3169),
    less the relief from construction land linked to settled migrants (人地挂钩).
    """
    inflow = (urban_now - urban_before) / np.maximum(urban_before, 1.0)
    return rent * (1.0 + income_growth) * np.maximum(1.0 + elasticity * inflow - land_relief, 0.5)


def allocate_public_rental(h: Households, *, vacancies: np.ndarray, eligibility: np.ndarray,
                           rng: np.random.Generator) -> np.ndarray:
    """Allocate vacant public rental units to eligible market renters with below-median income.

    Args:
        vacancies: (14,) vacant units per division in agent units (may be fractional; rounded stochastically).
        eligibility: per-household probability of being eligible (1 for local hukou, the permit's housing
            share for permit holders, 0 otherwise).

    Returns:
        (14,) units allocated.
    """
    c = h.cols
    div = urban_division(h)
    renters = (div >= 0) & (c["tenure"] == Tenure.MARKET_RENT)
    if not renters.any():
        return np.zeros(N_DIVISIONS)
    median = np.zeros(N_DIVISIONS)
    for d in range(N_DIVISIONS):
        inc = c["income"][renters & (div == d)]
        median[d] = np.median(inc) if len(inc) else 0.0
    low_income = renters & (c["income"] <= median[np.maximum(div, 0)])
    cand = np.flatnonzero(low_income & (rng.random(len(h)) < eligibility))
    slots = np.floor(vacancies) + (rng.random(N_DIVISIONS) < (vacancies - np.floor(vacancies)))
    ranks = rank_within_groups(div[cand], rng.random(len(cand)))
    got = cand[ranks < slots[div[cand]]]
    c["tenure"][got] = Tenure.PUBLIC_RENTAL
    return np.bincount(div[got], minlength=N_DIVISIONS).astype(float)


def buy_homes(h: Households, *, price_per_person: np.ndarray, down_payment_share: float, buy_rate: float,
              shared_ownership_slots: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Urban renters who can afford the down payment buy with probability ``buy_rate``.

    Renters who cannot afford it may buy a shared-ownership home (half the down payment) while such units
    are on offer. Owners do not respond to prices: they stay put (the evidence in MODEL.md).

    Returns:
        (14,) homes bought.
    """
    c = h.cols
    div = urban_division(h)
    renting = (div >= 0) & np.isin(c["tenure"], (Tenure.MARKET_RENT, Tenure.PUBLIC_RENTAL, Tenure.DORMITORY))
    d = np.maximum(div, 0)
    down = price_per_person[d] * c["n_members"] * down_payment_share
    can = renting & (c["savings"] >= down)
    buy = can & (rng.random(len(h)) < buy_rate)
    # shared ownership for those who can afford half the down payment
    half = renting & ~can & (c["savings"] >= 0.5 * down) & (rng.random(len(h)) < buy_rate)
    cand = np.flatnonzero(half)
    ranks = rank_within_groups(div[cand], rng.random(len(cand)))
    shared = cand[ranks < np.floor(shared_ownership_slots)[div[cand]]]
    c["savings"][buy] -= down[buy]
    c["savings"][shared] -= 0.5 * down[shared]
    c["tenure"][buy] = Tenure.OWN
    c["tenure"][shared] = Tenure.OWN
    return np.bincount(div[buy], minlength=N_DIVISIONS) + np.bincount(div[shared], minlength=N_DIVISIONS)
