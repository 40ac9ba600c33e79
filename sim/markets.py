"""Markets: the labour market (matching job seekers to firms' vacancies) and the housing market.

Both work on the vectorised household table; per-division quantities are arrays indexed by division id.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from agents.households import Employment, Households, Sector, Tenure, working_age_members
from sim.places import N_DIVISIONS

URBAN_SECTORS = (Sector.MANUFACTURING, Sector.SERVICES)
#: By tenure: renting in some form (market, public rental, dormitory), the households that may buy.
_RENTING = np.array([t in (Tenure.MARKET_RENT, Tenure.PUBLIC_RENTAL, Tenure.DORMITORY) for t in range(len(Tenure))])


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
    if not len(keys):  # no one to queue (e.g. no job seeker in any city): indexing the first group would fail
        return np.zeros(0)
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


def urban_division(h: Households) -> np.ndarray:
    """Division of households living in a Hunan city, -1 for everyone else (int8: one byte per household).

    A lookup in the places table (``Places.city_division``) is several times faster than arithmetic over every
    household (benchmarks/PROFILE.md).
    """
    return h.places.city_division[h.cols["loc"]]


def city_workers(h: Households) -> np.ndarray:
    """Workers (agent units, :func:`labour_units`) in each Hunan city by employment and sector, shape (14, 3, 3).

    One ``bincount`` over a key of location, employment and sector; worker counts are whole numbers, so the
    sums are exact whatever the order.
    """
    c = h.cols
    key = c["loc"].astype(h.places.key_dtype(9))
    key *= 9
    key += c["employment"] * np.int8(3)
    key += c["sector"]
    units = np.maximum(c["n_members"] - c["n_children"], 1)
    n = h.places.n
    return h.places.urban_by_division(np.bincount(key, weights=units, minlength=9 * n).reshape(n, 3, 3))


def sector_employment(h: Households, workers: np.ndarray | None = None) -> np.ndarray:
    """Employed workers (agent units) by division and urban sector, shape (14, 2).

    ``workers``: the table of :func:`city_workers`, if already computed for the current state.
    """
    if workers is None:
        workers = city_workers(h)
    return workers[:, Employment.EMPLOYED, [s.value for s in URBAN_SECTORS]].copy()


def match_jobs(h: Households, *, labour_demand: np.ndarray, separation_rate: float, outside_unemployment: float,
               hire_priority: np.ndarray | None = None, rng: np.random.Generator,
               hire_priority_by_permit: np.ndarray | None = None, div: np.ndarray | None = None,
               entrants: np.ndarray | None = None) -> np.ndarray:
    """One year of the urban labour markets, in workers (a household's adults work or seek work together).

    Employed workers separate at ``separation_rate``; where employment exceeds the firms' labour demand the
    excess is laid off; vacancies are filled by the division's job seekers in random order weighted by
    ``hire_priority`` (job training for permit holders). Outside Hunan, employment is redrawn each year.

    Args:
        labour_demand: (14, 2) firms' labour demand in workers by division and sector (manufacturing,
            services).
        hire_priority: per-household weight (>= 1) in the hiring queue; or
        hire_priority_by_permit: the same weight by division and permit (0/1), shape (14, 2).
        div: :func:`urban_division` of the households, if already computed.
        entrants: if given, a (14,) array to which are added, by division, the persons of working age
            (:func:`agents.households.working_age_members`) of the hired households that did not lose a job in
            the city (``job_loser``): first hires in the city's labour market, not re-employment.

    Returns:
        (14,) workers hired by division (agent units).
    """
    c = h.cols
    div = urban_division(h) if div is None else div
    n = len(h)
    employed = c["employment"] == Employment.EMPLOYED
    in_city = div >= 0
    # separations
    sep = in_city & employed & (rng.random(n) < separation_rate)
    c["employment"][sep] = Employment.UNEMPLOYED
    c["job_loser"][sep] = True
    w = labour_units(h)
    # layoffs where employment exceeds demand
    emp = sector_employment(h)
    excess = np.maximum(emp - labour_demand, 0)
    if excess.sum() > 0:
        for k, s in enumerate(URBAN_SECTORS):
            m = np.flatnonzero(in_city & (c["employment"] == Employment.EMPLOYED) & (c["sector"] == s))
            before = weight_before_within_groups(div[m], rng.random(len(m)), w[m])
            fire = before < excess[div[m], k]
            c["employment"][m[fire]] = Employment.UNEMPLOYED
            c["job_loser"][m[fire]] = True
        emp = sector_employment(h)
    vacancies = np.maximum(labour_demand - emp, 0)
    # hiring: a household is hired while vacancies remain when its turn comes
    seekers = np.flatnonzero(in_city & (c["employment"] == Employment.UNEMPLOYED))
    sdiv = div[seekers]
    if hire_priority is None:
        hire_priority_seekers = hire_priority_by_permit[sdiv, c["permit"][seekers].view(np.uint8)]
    else:
        hire_priority_seekers = hire_priority[seekers]
    key = rng.random(len(seekers)) ** (1.0 / hire_priority_seekers)
    before = weight_before_within_groups(sdiv, key, w[seekers])
    total_vac = vacancies.sum(axis=1)
    hired = before < total_vac[sdiv]
    sector = np.where(before < vacancies[sdiv, 0], Sector.MANUFACTURING, Sector.SERVICES)
    idx = seekers[hired]
    if entrants is not None:
        new = ~c["job_loser"][idx]
        entrants += np.bincount(sdiv[hired][new], weights=working_age_members(c["members"][idx[new]]),
                                minlength=N_DIVISIONS)
    c["job_loser"][idx] = False
    c["employment"][idx] = Employment.EMPLOYED
    c["sector"][idx] = sector[hired]
    hires = np.bincount(sdiv[hired], weights=w[idx], minlength=N_DIVISIONS)
    # outside Hunan
    out = c["loc"] == h.places.outside
    c["employment"][out] = np.where(rng.random(int(out.sum())) < outside_unemployment, Employment.UNEMPLOYED,
                                    Employment.EMPLOYED)
    return hires


def update_rents(rent: np.ndarray, *, urban_now: np.ndarray, urban_before: np.ndarray, income_growth: float,
                 elasticity: float, land_relief: np.ndarray, floor: float) -> np.ndarray:
    """Next year's market rent by division.

    Rents follow incomes and respond to population inflow with elasticity η (Sustainability 10(9):3169),
    less the relief from construction land linked to settled migrants (人地挂钩); the factor on top of income
    growth is at least ``floor`` (``rent_floor``).
    """
    inflow = (urban_now - urban_before) / np.maximum(urban_before, 1.0)
    return rent * (1.0 + income_growth) * np.maximum(1.0 + elasticity * inflow - land_relief, floor)


def allocate_public_rental(h: Households, *, vacancies: np.ndarray, eligibility: np.ndarray | None = None,
                           rng: np.random.Generator,
                           eligibility_of: Callable[[np.ndarray], np.ndarray] | None = None,
                           div: np.ndarray | None = None) -> np.ndarray:
    """Allocate vacant public rental units to eligible market renters with below-median income, by queue: the
    longest resident first.

    Args:
        vacancies: (14,) vacant units per division in agent units (may be fractional; rounded stochastically).
        eligibility: per-household probability of being eligible (1 for local hukou, the permit's housing
            share for permit holders, 0 otherwise); or
        eligibility_of: a function giving that probability for the rows it is passed (only the candidates').
        div: :func:`urban_division` of the households, if already computed.

    Returns:
        (14,) units allocated.
    """
    c = h.cols
    div = urban_division(h) if div is None else div
    renters = np.flatnonzero((div >= 0) & (c["tenure"] == Tenure.MARKET_RENT))
    if not len(renters):
        return np.zeros(N_DIVISIONS)
    u = rng.random(len(h))
    rdiv = div[renters]
    income = c["income"][renters]
    median = np.zeros(N_DIVISIONS)
    for d in range(N_DIVISIONS):
        inc = income[rdiv == d]
        median[d] = np.median(inc) if len(inc) else 0.0
    low_income = renters[income <= median[rdiv]]
    prob = eligibility[low_income] if eligibility_of is None else eligibility_of(low_income)
    # the queue: the longest resident first (the plan makes years of residence and insurance the main
    # condition, seed line 304), ties in random order; the tie-breaks are drawn for every low-income renter,
    # so that who is eligible does not shift the random stream
    tie = rng.random(len(low_income))
    eligible = u[low_income] < prob
    cand = low_income[eligible]
    slots = np.floor(vacancies) + (rng.random(N_DIVISIONS) < (vacancies - np.floor(vacancies)))
    ranks = rank_within_groups(div[cand], c["years_here"][cand] + tie[eligible])
    got = cand[ranks < slots[div[cand]]]
    c["tenure"][got] = Tenure.PUBLIC_RENTAL
    return np.bincount(div[got], minlength=N_DIVISIONS).astype(float)


def buy_homes(h: Households, *, price_per_person: np.ndarray, down_payment_share: float, buy_rate: float,
              shared_ownership_slots: np.ndarray, rng: np.random.Generator, div: np.ndarray | None = None,
              shared_down_share: float, price_by_place: bool = False) -> np.ndarray:
    """Urban renters who can afford the down payment buy with probability ``buy_rate``.

    Renters who cannot afford it may buy a shared-ownership home (``shared_down_share`` of the down payment,
    the parameter ``shared_ownership_down_share``) while such units are on offer. Owners do not respond to
    prices: they stay put (the evidence in MODEL.md).

    ``price_per_person``: by division, or by place (a row of ``h.places``) when ``price_by_place``.

    Returns:
        (14,) homes bought.
    """
    c = h.cols
    div = urban_division(h) if div is None else div
    u_buy = rng.random(len(h))
    u_half = rng.random(len(h))
    renting = np.flatnonzero((div >= 0) & _RENTING[c["tenure"]])
    rdiv = div[renting]
    where = c["loc"][renting] if price_by_place else rdiv
    down = price_per_person[where] * c["n_members"][renting] * down_payment_share
    savings = c["savings"][renting]
    can = savings >= down
    buy = can & (u_buy[renting] < buy_rate)
    # shared ownership for those who can afford half the down payment
    half = ~can & (savings >= shared_down_share * down) & (u_half[renting] < buy_rate)
    cand = renting[half]
    cand_down = down[half]
    # the queue: the longest resident first (the plan makes years of residence and insurance the main
    # condition, seed line 304), ties in random order
    ranks = rank_within_groups(div[cand], c["years_here"][cand] + rng.random(len(cand)))
    got = ranks < np.floor(shared_ownership_slots)[div[cand]]
    shared = cand[got]
    bought = renting[buy]
    c["savings"][bought] -= down[buy]
    c["savings"][shared] -= shared_down_share * cand_down[got]
    c["tenure"][bought] = Tenure.OWN
    c["tenure"][shared] = Tenure.OWN
    return np.bincount(rdiv[buy], minlength=N_DIVISIONS) + np.bincount(div[shared], minlength=N_DIVISIONS)
