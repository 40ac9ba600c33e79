"""Memory of the destination choice on today's 29 places and on a 250-place network (issue 14, item 2).

Usage (from the repository root)::

    python -m benchmarks.choice_memory [--scale 10] [--places 250] [--seed 1]

Builds the model at ``--scale`` (2010 state), then measures with ``tracemalloc`` (numpy reports its buffers
to it) the peak memory allocated while households draw their destinations:

* at today's 29 places (utilities of the occupied household types only, block by block);
* at ``--places`` places: a synthetic county-like network where each division has a central city, county
  towns and a rural place (the division's urban households are spread over its towns at random), every
  place taking the choice context of its division's urban or rural part. The numbers are the machinery's
  memory, which depends on the places and the household types, not on the context values.

The full table's size at that many places is computed (not allocated): types x places x 8 bytes.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
import tracemalloc

import numpy as np

import agents.households as hh
from agents.households import (
    ChoiceContext,
    Households,
    choose_destinations,
    group_dims,
    group_index,
    review_probability,
)
from sim.model import HunanModel
from sim.places import N_DIVISIONS, OUTSIDE_DIV, PlaceKind, Places

MIB = 2**20


def finer_places(coarse: Places, n_places: int) -> Places:
    """A county-like network of ``n_places`` places: per division a central city, county towns, a rural place."""
    towns = np.full(N_DIVISIONS, (n_places - 1) // N_DIVISIONS - 2)
    towns[: (n_places - 1) % N_DIVISIONS] += 1
    division, kind = [], []
    for d in range(N_DIVISIONS):
        division += [d] * (int(towns[d]) + 2)
        kind += [PlaceKind.CENTRAL_CITY] + [PlaceKind.COUNTY_TOWN] * int(towns[d]) + [PlaceKind.RURAL]
    division.append(OUTSIDE_DIV)
    kind.append(PlaceKind.OUTSIDE)
    kind_arr = np.array(kind, dtype=np.int8)
    div = np.array(division, dtype=np.int8)
    return Places(division=div, county=np.full(len(div), -1, dtype=np.int16), kind=kind_arr,
                  is_urban=kind_arr != PlaceKind.RURAL, node=div.astype(np.int64), node_names=coarse.node_names,
                  division_names=coarse.division_names)


def finer_context(ctx: ChoiceContext, fine: Places) -> ChoiceContext:
    """The division-level context spread over ``fine``: each place gets its division's urban or rural values."""
    coarse = ctx.places
    src = np.where(fine.in_hunan, coarse.place_of(fine.lookup_division, fine.is_urban), coarse.outside)
    src = src.astype(np.int64)
    return dataclasses.replace(
        ctx, places=fine, expected_income=ctx.expected_income[src], rent=ctx.rent[src],
        rent_relief=ctx.rent_relief[src], access_general=ctx.access_general[src],
        access_school=ctx.access_school[src], settle_prospect=ctx.settle_prospect[src], amenity=ctx.amenity[src],
        hours=ctx.hours[np.ix_(src, src)], network=ctx.network[:, src])


def finer_households(h: Households, fine: Places, rng: np.random.Generator) -> Households:
    """The same households on ``fine``: urban ones in a random town of their division, others in place."""
    coarse = h.places
    loc = h.cols["loc"]
    div = coarse.lookup_division[loc]
    new = np.where(coarse.is_village[loc], fine.place_of(div, np.zeros(len(loc), dtype=bool)), fine.outside)
    city = coarse.in_hunan_city[loc]
    first = np.array([np.flatnonzero(fine.in_hunan_city & (fine.division == d))[0] for d in range(N_DIVISIONS)])
    count = np.bincount(fine.division[fine.in_hunan_city], minlength=N_DIVISIONS)
    new[city] = first[div[city]] + (rng.random(int(city.sum())) * count[div[city]]).astype(np.int64)
    cols = dict(h.cols)
    cols["loc"] = new.astype(fine.loc_dtype)
    return Households(cols=cols, places=fine)


def peak_mib(fn) -> tuple[float, float, object]:
    """(peak MiB allocated, seconds, result) of ``fn()``."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    t = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1] / MIB
    tracemalloc.stop()
    return peak, seconds, result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=10)
    ap.add_argument("--places", type=int, default=250)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    model = HunanModel(scale=args.scale, rng=args.seed)
    p, h = model.params, model.households
    model._update_service_access()
    ctx = model.choice_context()
    reviewing = int((np.random.default_rng(0).random(len(h)) < review_probability(h, p.review_rate)).sum())
    print(f"scale 1:{args.scale:g}: {len(h):,} household records, about {reviewing:,} review their place a year")

    new = peak_mib(lambda: choose_destinations(h, None, p.review_rate, np.random.default_rng(7), context=ctx, params=p))
    occupied = len(np.unique(group_index(h)))
    full = np.prod(group_dims(model.places)) * model.places.n * 8 / MIB
    print(f"29 places: {occupied:,} occupied types; full table {full:.1f} MiB; peak of the choice {new[0]:.1f} MiB "
          f"({new[1]:.2f} s); destination checksum {int(new[2][1].astype(np.int64).sum())}")

    fine = finer_places(model.places, args.places)
    hf = finer_households(h, fine, np.random.default_rng(args.seed))
    cf = finer_context(ctx, fine)
    occupied = len(np.unique(group_index(hf)))
    full = np.prod(group_dims(fine)) * fine.n * 8 / MIB
    peak, seconds, (who, dest) = peak_mib(
        lambda: choose_destinations(hf, None, p.review_rate, np.random.default_rng(7), context=cf, params=p))
    block = hh.type_block(fine)
    print(f"{fine.n} places ({fine.loc_dtype} loc): {occupied:,} occupied types of {np.prod(group_dims(fine)):,}; "
          f"full table would be {full:.0f} MiB; peak of the choice now {peak:.1f} MiB ({seconds:.2f} s; "
          f"{block} types a block, cumulative rows of one block {block * fine.n * 8 / MIB:.1f} MiB); "
          f"{len(who):,} households reviewed")
    cdf_all = occupied * fine.n * 8 / MIB
    print(f"   (keeping the cumulative rows of all occupied types instead would take {cdf_all:.0f} MiB, "
          f"and computing them at once about 4x that in temporaries)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
