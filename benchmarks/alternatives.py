"""Candidate replacements for the model's hot spots, checked against the current code and timed beside it.

``benchmarks/PROFILE.md`` suggests changes to the model core; this module holds a working version of each
suggestion so that its gain is measured rather than guessed and its equivalence is tested
(``tests/benchmarks/test_alternatives.py``). Nothing here is imported by the model: the lead decides what to
adopt. Each function takes the same arguments as the one it would replace.

Usage (from the repository root)::

    python -m benchmarks.alternatives [--scale 10] [--reps 3]

prints, for each pair, the CPU time of the current function and of the alternative on the same model state.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from agents.households import (
    Employment,
    Households,
    Tenure,
    permit_benefit,
)
from sim.parameters import ModelParameters
from sim.places import N_DIVISIONS, N_LOCATIONS, OUTSIDE_DIV, OUTSIDE_LOC

IntArray = np.ndarray
FloatArray = np.ndarray
BoolArray = np.ndarray

#: Division of each location's urban part, -1 for rural places and outside (what ``urban_division`` computes).
URBAN_DIVISION_OF_LOC = np.array(
    [loc // 2 if loc % 2 == 1 and loc != OUTSIDE_LOC else -1 for loc in range(N_LOCATIONS)], dtype=np.int8)
#: True for the urban part of a Hunan division (outside excluded).
IN_HUNAN_CITY = URBAN_DIVISION_OF_LOC >= 0
#: Division of each location, clamped to 13 for outside (the ``np.minimum(loc // 2, 13)`` of the core).
DIVISION_OF_LOC = np.minimum(np.arange(N_LOCATIONS) // 2, N_DIVISIONS - 1).astype(np.int8)


# ----------------------------------------------------------------------------------------------------------
# sim/markets.py: urban_division (called 8 times a year)
# ----------------------------------------------------------------------------------------------------------
def urban_division(h: Households) -> IntArray:
    """``markets.urban_division`` by one lookup on the int8 ``loc`` column (same values, int8 instead of int64)."""
    return URBAN_DIVISION_OF_LOC[h.cols["loc"]]


# ----------------------------------------------------------------------------------------------------------
# sim/model.py: demography's binomial draws
# ----------------------------------------------------------------------------------------------------------
def small_binomial(rng: np.random.Generator, n: IntArray, p: float) -> IntArray:
    """Binomial(n, p) draws for small non-negative integer ``n``, by inversion with one uniform per record.

    ``Generator.binomial`` costs tens of nanoseconds per element; here each record costs one uniform and one
    comparison with its ``P(X = 0)``, and only the few records above it (about ``n p``) look further. Same
    distribution, different random stream.
    """
    n = np.asarray(n)
    n_max = int(n.max(initial=0))
    k = np.arange(n_max + 1)
    pmf = np.array([[math.comb(m, j) * p**j * (1 - p) ** (m - j) if j <= m else 0.0 for j in k] for m in k])
    cdf = np.cumsum(pmf, axis=1)
    cdf[np.arange(n_max + 1), k] = 1.0  # P(X <= n) = 1 exactly, so the search below always stops
    u = rng.random(len(n))
    out = np.zeros(len(n), dtype=np.int16)
    idx = np.flatnonzero(u > cdf[n, 0])
    j = 0
    while len(idx):
        out[idx] += 1
        j += 1
        idx = idx[u[idx] > cdf[n[idx], j]]
    return out


# ----------------------------------------------------------------------------------------------------------
# sim/indicators.py: sums by division over a mask
# ----------------------------------------------------------------------------------------------------------
def sum_by_division(div: IntArray, mask: BoolArray, weights: FloatArray, n_bins: int) -> FloatArray:
    """``np.bincount(div[mask], weights=weights[mask])`` without compacting two arrays through the mask."""
    return np.bincount(div, weights=np.where(mask, weights, 0.0), minlength=n_bins)


# ----------------------------------------------------------------------------------------------------------
# agents/households.py: permits and settlement on candidates only
# ----------------------------------------------------------------------------------------------------------
def city_migrants(h: Households) -> IntArray:
    """Rows of households living in a Hunan city away from their hukou place (the only ones who may apply)."""
    c = h.cols
    loc = c["loc"]
    hukou_loc = np.where(c["hukou_div"] == OUTSIDE_DIV, OUTSIDE_LOC,
                         2 * c["hukou_div"].astype(np.int16) + c["hukou_urban"])
    return np.flatnonzero(IN_HUNAN_CITY[loc] & (loc != hukou_loc))


def settlement_candidates(h: Households, policy: Any, idx: IntArray | None = None) -> IntArray:
    """``settlement_eligible`` as row numbers, evaluating the conditions only for city migrants."""
    c = h.cols
    idx = city_migrants(h) if idx is None else idx
    div = DIVISION_OF_LOC[c["loc"][idx]]
    cond = policy.city("settlement_housing_condition")[div]
    tenure = c["tenure"][idx]
    housing_ok = np.where(cond >= 2, tenure == Tenure.OWN, np.where(cond >= 1, tenure != Tenure.DORMITORY, True))
    job_ok = (policy.city("settlement_requires_job")[div] < 0.5) | (c["employment"][idx] == Employment.EMPLOYED)
    ok = ((c["years_here"][idx] >= policy.city("settlement_min_years")[div])
          & (c["insurance_years"][idx] >= policy.city("settlement_min_insurance_years")[div]) & housing_ok & job_ok)
    return idx[ok]


def settlement_willing(h: Households, idx: IntArray, policy: Any, p: Any, access_general: np.ndarray,
                       access_school: np.ndarray) -> BoolArray:
    """``settlement_willing`` for the rows ``idx`` only (the same latent index and land rule, on fewer rows)."""
    c = h.cols
    loc = c["loc"][idx].astype(np.int64)
    status = c["permit"][idx].astype(np.int64)
    kids = c["n_children"][idx] > 0
    gain = (p.service_value * (access_general[loc, 2] - access_general[loc, status])
            + p.schooling_value * kids * (access_school[loc, 2] - access_school[loc, status]))
    gain = gain - p.citizenisation_cost * (1.0 - policy["government_cost_share"])
    willing = p.settle_intercept + p.settle_service_weight * gain + c["settle_taste"][idx] > 0
    if policy["keep_land_rights"] < 0.5:
        willing &= ~(c["homestead"][idx] & (c["land_attachment"][idx] < p.homestead_settle_penalty))
    return willing


def decide_settlement(h: Households, policy: Any, p: Any, access_general: np.ndarray, access_school: np.ndarray,
                      rng: np.random.Generator) -> BoolArray:
    """``decide_settlement`` evaluating and drawing only for the eligible (same rule, other random stream)."""
    idx = settlement_candidates(h, policy)
    idx = idx[settlement_willing(h, idx, policy, p, access_general, access_school)]
    settle = np.zeros(len(h), dtype=bool)
    settle[idx[rng.random(len(idx)) < p.settle_speed]] = True
    return settle


def apply_for_permits(h: Households, policy: Any, apply_rate: float, rng: np.random.Generator) -> BoolArray:
    """``apply_for_permits`` computing and drawing only for city migrants without a permit."""
    c = h.cols
    idx = city_migrants(h)
    div = DIVISION_OF_LOC[c["loc"][idx]]
    ok = ~c["permit"][idx] & (c["years_here"][idx] >= policy.city("permit_min_years")[div])
    idx, div = idx[ok], div[ok]
    sub = {"n_children": c["n_children"][idx]}
    prob = apply_rate * permit_benefit(sub, div, policy)
    new = np.zeros(len(h), dtype=bool)
    new[idx[rng.random(len(idx)) < prob]] = True
    c["permit"][new] = True
    return new


# ----------------------------------------------------------------------------------------------------------
# agents/households.py: who reviews their location
# ----------------------------------------------------------------------------------------------------------
def review_probability(h: Households, review_rate: float) -> FloatArray:
    """``review_probability`` from a six-entry table indexed by (unemployed, age class)."""
    c = h.cols
    age = c["head_age"]
    key = 3 * (c["employment"] == Employment.UNEMPLOYED) + (age >= 35) + (age >= 55)
    p = ModelParameters()
    table = np.array([u * a for u in (1.0, p.review_unemployed_factor)
                      for a in (p.review_young_factor, 1.0, p.review_old_factor)])
    return np.minimum(1.0, review_rate * table)[key]


# ----------------------------------------------------------------------------------------------------------
# sim/model.py: incomes
# ----------------------------------------------------------------------------------------------------------
def household_incomes(model: Any) -> FloatArray:
    """``HunanModel._set_incomes`` as one lookup in a table over (location, employment, college, land, hukou).

    Income depends on nothing else, so the 5,220 possible values are computed with the core's own formula
    and each household gathers its own: the same float64 values, rounded to float32 on assignment as now.
    """
    p, c = model.params, model.households.cols
    loc = np.arange(N_LOCATIONS).reshape(-1, 1, 1, 1, 1)
    emp = np.arange(3).reshape(1, -1, 1, 1, 1)
    college = np.arange(2).reshape(1, 1, -1, 1, 1)
    land = np.arange(2).reshape(1, 1, 1, -1, 1)
    hdiv = np.arange(N_DIVISIONS + 1).reshape(1, 1, 1, 1, -1)
    div = np.minimum(loc // 2, N_DIVISIONS - 1)
    skill = 1.0 + p.college_wage_premium * (college == 1)
    wage = np.where(loc == OUTSIDE_LOC, model.outside_wage, model.urban_wage[div]) * skill
    town = np.where(emp == Employment.EMPLOYED, wage, p.unemployed_income_share * wage)
    income = np.where(emp == Employment.FARMING, model.farm_income[div], town)
    absent_land = (land == 1) & (emp != Employment.FARMING) & (hdiv != OUTSIDE_DIV)
    income = income + absent_land * p.land_rent_share * model.farm_income[np.minimum(hdiv, N_DIVISIONS - 1)]
    table = np.broadcast_to(income, (N_LOCATIONS, 3, 2, 2, N_DIVISIONS + 1)).ravel()
    key = (((c["loc"].astype(np.int32) * 3 + c["employment"]) * 2 + (c["education"] == 3)) * 2
           + c["land_contract"]) * (N_DIVISIONS + 1) + c["hukou_div"]
    return table[key]


# ----------------------------------------------------------------------------------------------------------
# sim/markets.py: medians of renters' incomes by division
# ----------------------------------------------------------------------------------------------------------
def renter_income_medians(h: Households, div: IntArray) -> FloatArray:
    """The per-division medians ``allocate_public_rental`` computes, selecting renters once instead of 14 times."""
    c = h.cols
    idx = np.flatnonzero((div >= 0) & (c["tenure"] == Tenure.MARKET_RENT))
    sub_div, sub_income = div[idx], c["income"][idx]
    median = np.zeros(N_DIVISIONS)
    for d in range(N_DIVISIONS):
        inc = sub_income[sub_div == d]
        median[d] = np.median(inc) if len(inc) else 0.0
    return median


def current_renter_income_medians(h: Households, div: IntArray) -> FloatArray:
    """The loop as ``markets.allocate_public_rental`` has it (for timing and comparison)."""
    c = h.cols
    renters = (div >= 0) & (c["tenure"] == Tenure.MARKET_RENT)
    median = np.zeros(N_DIVISIONS)
    for d in range(N_DIVISIONS):
        inc = c["income"][renters & (div == d)]
        median[d] = np.median(inc) if len(inc) else 0.0
    return median


# ----------------------------------------------------------------------------------------------------------
# agents/households.py: dropping and adding households in one copy
# ----------------------------------------------------------------------------------------------------------
def keep_and_append(h: Households, alive: BoolArray, new: dict[str, np.ndarray]) -> None:
    """``h.keep(alive)`` then ``h.append(new)`` with one copy of each column instead of two."""
    idx = np.flatnonzero(alive)
    out = {}
    for name, col in h.cols.items():
        merged = np.empty((len(idx) + len(new[name]),) + col.shape[1:], dtype=col.dtype)
        np.take(col, idx, axis=0, out=merged[:len(idx)])
        merged[len(idx):] = new[name]
        out[name] = merged
    h.cols = out


# ----------------------------------------------------------------------------------------------------------
# Timing
# ----------------------------------------------------------------------------------------------------------
def cpu_time(func: Callable[[], Any], reps: int, setup: Callable[[], Any] | None = None) -> float:
    """Fastest CPU time of ``reps`` calls (``setup`` runs before each, untimed)."""
    best = math.inf
    for _ in range(reps):
        if setup:
            setup()
        start = time.process_time()
        func()
        best = min(best, time.process_time() - start)
    return best


def copy_table(h: Households) -> Households:
    """An independent copy of a household table."""
    return Households(cols={k: v.copy() for k, v in h.cols.items()})


def compare(scale: float, reps: int, seed: int = 1) -> list[tuple[str, float, float]]:
    """Time each current function and its alternative on a model at ``scale`` run to 2017."""
    from agents import households as core_h
    from sim import markets
    from sim.model import HunanModel

    model = HunanModel(scale=scale, rng=seed, network="division")
    while model.year < 2017:
        model.step()
    h, pol, p = model.households, model.policy, model.params
    rng = np.random.default_rng(seed)
    c = h.cols
    div = markets.urban_division(h)
    in_city = div >= 0
    members = c["n_members"].astype(float)
    work = {}

    def fresh() -> None:
        work["h"] = copy_table(h)

    rows = [
        ("markets.urban_division", cpu_time(lambda: markets.urban_division(h), reps),
         cpu_time(lambda: urban_division(h), reps)),
        ("demography: rng.binomial(n_members, birth rate)", cpu_time(lambda: rng.binomial(c["n_members"], 0.012), reps),
         cpu_time(lambda: small_binomial(rng, c["n_members"], 0.012), reps)),
        ("demography: rng.binomial(n_children, 1/15)", cpu_time(lambda: rng.binomial(c["n_children"], 1 / 15), reps),
         cpu_time(lambda: small_binomial(rng, c["n_children"], 1 / 15), reps)),
        ("indicators: by_div (one call)",
         cpu_time(lambda: np.bincount(div[in_city], weights=members[in_city], minlength=N_DIVISIONS), reps),
         cpu_time(lambda: sum_by_division(np.maximum(div, 0), in_city, members, N_DIVISIONS), reps)),
        ("households.decide_settlement",
         cpu_time(lambda: core_h.decide_settlement(h, pol, p, model.access_general, model.access_school, rng), reps),
         cpu_time(lambda: decide_settlement(h, pol, p, model.access_general, model.access_school, rng), reps)),
        ("households.apply_for_permits",
         cpu_time(lambda: core_h.apply_for_permits(work["h"], pol, p.permit_apply_rate, rng), reps, fresh),
         cpu_time(lambda: apply_for_permits(work["h"], pol, p.permit_apply_rate, rng), reps, fresh)),
        ("households.review_probability", cpu_time(lambda: core_h.review_probability(h, p.review_rate), reps),
         cpu_time(lambda: review_probability(h, p.review_rate), reps)),
        ("model._set_incomes", cpu_time(model._set_incomes, reps), cpu_time(lambda: household_incomes(model), reps)),
        ("allocate_public_rental: medians", cpu_time(lambda: current_renter_income_medians(h, div), reps),
         cpu_time(lambda: renter_income_medians(h, div), reps)),
    ]
    alive = rng.random(len(h)) > 0.003
    new = {k: v[:len(h) // 100].copy() for k, v in c.items()}

    def current_keep_append() -> None:
        work["h"].keep(alive)
        work["h"].append(new)

    rows.append(("Households.keep + append", cpu_time(current_keep_append, reps, fresh),
                 cpu_time(lambda: keep_and_append(work["h"], alive, new), reps, fresh)))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: print a Markdown table of CPU times."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.alternatives", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=10)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args(argv)
    rows = compare(args.scale, args.reps)
    print(f"CPU ms per call at 1:{args.scale:g} (state of 2017), fastest of {args.reps}\n")
    print("| function | current | alternative | speed-up |\n|---|---|---|---|")
    for name, now, alt in rows:
        print(f"| {name} | {1e3 * now:.1f} | {1e3 * alt:.1f} | {now / max(alt, 1e-9):.1f}× |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
