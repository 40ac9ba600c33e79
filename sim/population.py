"""Synthesis of the initial (2010) household population from the 6th census county tables.

Each county contributes ``households / households_per_agent`` household records (rounded stochastically so
that expected totals are exact at any scale). Marginals used, per county: resident and urban population,
households, children 0-14, non-agricultural hukou share, people registered in another county of Hunan or in
another province, education, industry, housing tenure. People registered in Hunan but living outside it
(registered minus resident plus residents from other provinces: 5.80 M in 2010) form households at the
``outside`` node with hukou counties in proportion to each county's net out-migration.

Assumptions (flagged in docs/ODD.md): in-migrants live in the urban part of their county; in-migrants from
other counties hold agricultural hukou; households holding agricultural hukou hold contract land and a
homestead; household size is 1 + Poisson(mean - 1); the head's age follows Hunan's adult age structure.
"""

from __future__ import annotations

import numpy as np

from agents.households import (
    MEMBER_COLUMNS,
    MAX_INITIAL_MEMBERS,
    SCHEMA,
    Education,
    Employment,
    Households,
    Sector,
    Tenure,
    empty_columns,
    member_code,
    refresh_members,
)
from sim.data import AGE_BANDS, county_age_table, load_counties_2010_on_2020, load_province_totals_2010
from sim.errors import InputError
from sim.places import OUTSIDE_DIV, Places, default_places

#: Bytes per household record, and a margin for temporaries during a step (measured, benchmarks/).
BYTES_PER_HOUSEHOLD = (sum(np.dtype(t).itemsize for t in SCHEMA.values())
                       + sum(np.dtype(t).itemsize * k for t, k in MEMBER_COLUMNS.values()))
STEP_MEMORY_FACTOR = 6.0

#: Census age bands (:data:`sim.data.AGE_BANDS`) of children (0-14), of household heads (20 and over) and of
#: the heads of households living outside Hunan (20-49: people who left to work; assumption, docs/ODD.md).
_CHILD_BANDS = slice(0, 4)
_HEAD_BANDS = slice(5, len(AGE_BANDS))
_OUTSIDE_HEAD_BANDS = slice(5, 11)
_OUTSIDE_ADULT_BANDS = slice(4, 13)  # 15-59


def _band_cdf(weights: np.ndarray) -> np.ndarray:
    """Cumulative shares over the last axis (rows of zeros become uniform)."""
    w = np.where(weights.sum(axis=-1, keepdims=True) > 0, weights, 1.0)
    cdf = np.cumsum(w, axis=-1)
    return cdf / cdf[..., -1:]


def _draw_codes(cdf: np.ndarray, group: np.ndarray, first_band: int, rng: np.random.Generator) -> np.ndarray:
    """Member codes (:func:`agents.households.member_code`) of persons drawn from per-group band-by-sex
    distributions: ``cdf`` has shape (groups, bands x 2) over bands ``first_band``...; single years uniform
    within a band, 85+ as 85 + a geometric number of years (mean 3; assumption), at most 110."""
    u = rng.random(len(group))
    cell = np.empty(len(group), dtype=np.int64)
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.arange(cdf.shape[0] + 1))
    for g in range(cdf.shape[0]):  # one searchsorted per group: no persons x cells temporary
        rows = order[bounds[g]:bounds[g + 1]]
        cell[rows] = np.searchsorted(cdf[g], u[rows], side="right")
    cell = np.minimum(cell, cdf.shape[1] - 1)
    band, female = np.divmod(cell, 2)
    band += first_band
    lo = np.array([b[0] for b in AGE_BANDS])[band]
    hi = np.array([b[1] for b in AGE_BANDS])[band]
    width = np.where(lo == 85, 1, hi - lo + 1)
    age = lo + (rng.random(len(group)) * width).astype(np.int64)
    age = np.where(lo == 85, np.minimum(85 + rng.geometric(0.25, len(group)) - 1, 110), age)
    return member_code(age, female)


def _fill_members(c: dict[str, np.ndarray], all_county: np.ndarray, is_out: np.ndarray, ages: np.ndarray,
                  rng: np.random.Generator) -> None:
    """Ages and sexes of every member (column ``members``) from the 2010 census pyramid of the household's
    county: the head from the ages 20 and over, the other adults from the county's persons aged 15 and over
    less the expected heads (so that heads and other adults together follow the county's pyramid), children
    from ages 0-14. Households outside Hunan draw heads aged 20-49 and other adults aged 15-59 of their hukou
    county (people who left to work; assumption)."""
    n_c = ages.shape[0]
    flat = ages.reshape(n_c, -1, 2)  # (counties, bands, sexes)
    n_hh = np.bincount(all_county[~is_out], minlength=n_c).astype(float)
    heads = flat[:, _HEAD_BANDS].reshape(n_c, -1)
    head_share = heads / np.maximum(heads.sum(axis=1, keepdims=True), 1)
    adults = flat[:, 4:].reshape(n_c, -1).copy()
    adults[:, 2:] -= head_share * n_hh[:, None]  # the heads' expected persons by band (bands 20+ of 15+)
    adults = np.maximum(adults, 0)
    kids = flat[:, _CHILD_BANDS].reshape(n_c, -1)
    out_heads = flat[:, _OUTSIDE_HEAD_BANDS].reshape(n_c, -1)
    out_adults = flat[:, _OUTSIDE_ADULT_BANDS].reshape(n_c, -1)

    cdfs = [_band_cdf(x) for x in (heads, out_heads, adults, out_adults, kids)]
    # households a million at a time: the per-person temporaries stay near 0.5 GB at full scale (one chunk,
    # and so the same draws, below a million households)
    for start in range(0, len(all_county), _SYNTH_CHUNK):
        part = slice(start, start + _SYNTH_CHUNK)
        _fill_members_chunk(c["members"][part], c["n_members"][part], c["n_children"][part], all_county[part],
                            is_out[part], cdfs, rng)


#: Households whose members are drawn at once by :func:`_fill_members`.
_SYNTH_CHUNK = 1_000_000


def _fill_members_chunk(members: np.ndarray, n_members: np.ndarray, n_children: np.ndarray,
                        all_county: np.ndarray, is_out: np.ndarray, cdfs: list[np.ndarray],
                        rng: np.random.Generator) -> None:
    """:func:`_fill_members` for some households (``members`` is a view written in place)."""
    heads, out_heads, adults, out_adults, kids = cdfs
    n = len(all_county)
    n_kids = n_children.astype(np.int64)
    n_other = n_members.astype(np.int64) - 1 - n_kids
    # the head (slot 0)
    code = np.empty(n, dtype=np.int64)
    inside = np.flatnonzero(~is_out)
    outside = np.flatnonzero(is_out)
    code[inside] = _draw_codes(heads, all_county[inside], _HEAD_BANDS.start, rng)
    code[outside] = _draw_codes(out_heads, all_county[outside], _OUTSIDE_HEAD_BANDS.start, rng)
    members[:, 0] = code
    # other adults (slots 1 ...), then children
    for count, cdf_in, cdf_out, first_in, first_out, offset in (
            (n_other, adults, out_adults, 4, _OUTSIDE_ADULT_BANDS.start, np.ones(n, dtype=np.int64)),
            (n_kids, kids, kids, 0, 0, 1 + n_other)):
        hh = np.repeat(np.arange(n), count)
        slot = offset[hh] + (np.arange(len(hh)) - np.repeat(np.cumsum(count) - count, count))
        out_p = is_out[hh]
        codes = np.empty(len(hh), dtype=np.int64)
        codes[~out_p] = _draw_codes(cdf_in, all_county[hh[~out_p]], first_in, rng)
        codes[out_p] = _draw_codes(cdf_out, all_county[hh[out_p]], first_out, rng)
        members[hh, slot] = codes


def estimate_memory_bytes(households_per_agent: float) -> float:
    """Estimated peak memory of a run at this scale (the scale guard refuses what will not fit)."""
    totals = load_province_totals_2010()
    # + households outside Hunan; x 1.4 because household formation grows the table by about 36 % by 2035
    n = 1.4 * (totals["households"] + 2.0e6) / households_per_agent
    # the fixed part covers the interpreter and its libraries (about 155 MiB measured, RELIABILITY.md)
    return n * BYTES_PER_HOUSEHOLD * STEP_MEMORY_FACTOR + 250e6


def _stochastic_round(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    base = np.floor(x)
    return (base + (rng.random(len(x)) < (x - base))).astype(np.int64)


def synthesise_population(*, households_per_agent: float, rng: np.random.Generator,
                          initial_unemployment_rate: float, saving_rate: float, dormitory_share: float,
                          urban_income: np.ndarray, rural_income: np.ndarray,
                          places: Places | None = None) -> Households:
    """Build the 2010 household table.

    Args:
        households_per_agent: real households represented by one record (1 = full resolution).
        rng: the model's random generator.
        initial_unemployment_rate: share of urban workers unemployed in 2010.
        saving_rate: share of income saved (initial savings are a few years of saving).
        dormitory_share: share of migrant manufacturing workers housed in employer dormitories.
        urban_income: per-capita urban income by division (10k yuan).
        rural_income: per-capita rural income by division (10k yuan).
        places: the places households live in (default: the division-level network of the data files).
    """
    if not (isinstance(households_per_agent, (int, float)) and households_per_agent >= 1):
        raise InputError(field="scale", value=households_per_agent, allowed="a number of households per agent >= 1",
                         source="model")
    places = default_places() if places is None else places
    # the 2010 census on 2020 county units (the units of the places and of the 2020 census)
    counties = load_counties_2010_on_2020()
    n_c = len(counties)
    mean_size = (counties.population / counties.households).to_numpy()
    n_hh = _stochastic_round(counties.households.to_numpy() / households_per_agent, rng)
    county = np.repeat(np.arange(n_c), n_hh)

    # Outside Hunan: Hunan-registered people living elsewhere, by county of hukou.
    totals = load_province_totals_2010()
    outside_persons = totals["registered_population"] - totals["population"] + totals["in_migrants_other_province"]
    out_c = (counties.registered_population - counties.population + counties.in_migrants_other_county
             + counties.in_migrants_other_province).clip(lower=0).to_numpy()
    out_share = out_c / out_c.sum()
    n_out = _stochastic_round(outside_persons * out_share / mean_size / households_per_agent, rng)
    out_county = np.repeat(np.arange(n_c), n_out)

    n = len(county) + len(out_county)
    c = empty_columns(n, places)
    all_county = np.concatenate([county, out_county])
    is_out = np.zeros(n, dtype=bool)
    is_out[len(county):] = True
    div_of = counties.division.to_numpy()
    hdiv = div_of[all_county]

    c["hid"][:] = np.arange(n, dtype=np.uint32)
    size = 1 + rng.poisson(np.maximum(mean_size[all_county] - 1.0, 0.1))
    c["n_members"][:] = np.minimum(size, MAX_INITIAL_MEMBERS)
    child_share = counties.age_0_14_pct.to_numpy()[all_county] / 100.0
    q = np.clip(child_share * mean_size[all_county] / np.maximum(mean_size[all_county] - 1, 0.5), 0, 0.9)
    c["n_children"][:] = rng.binomial(c["n_members"] - 1, q)

    # Urban or rural residence, from the county urban share.
    urban_share = (counties.urban_population / counties.population).to_numpy()
    urban = rng.random(n) < urban_share[all_county]

    # In-migrants (hukou elsewhere) living in the county: drawn among its urban households first.
    inmig_share_county = (counties.in_migrants_other_county / counties.population).to_numpy()
    inmig_share_prov = (counties.in_migrants_other_province / counties.population).to_numpy()
    urban_frac = np.maximum(urban_share, 1e-6)
    p_mig_urban = np.clip((inmig_share_county + inmig_share_prov) / urban_frac, 0, 1)[all_county]
    migrant = ~is_out & urban & (rng.random(n) < p_mig_urban)
    from_other_prov = migrant & (rng.random(n) < (inmig_share_prov / np.maximum(
        inmig_share_county + inmig_share_prov, 1e-9))[all_county])
    from_other_county = migrant & ~from_other_prov

    hukou_county = all_county.copy()
    # origins of inter-county migrants in proportion to each county's net out-migration (excluding itself)
    k = int(from_other_county.sum())
    origin = rng.choice(n_c, size=k, p=out_share)
    same = origin == all_county[from_other_county]
    while same.any():  # redraw the few who drew their own county
        origin[same] = rng.choice(n_c, size=int(same.sum()), p=out_share)
        same = origin == all_county[from_other_county]
    hukou_county[from_other_county] = origin
    hukou_county[from_other_prov] = -1
    c["hukou_county"][:] = hukou_county
    c["hukou_div"][:] = np.where(hukou_county >= 0, div_of[np.maximum(hukou_county, 0)], OUTSIDE_DIV)
    c["origin_div"][:] = c["hukou_div"]

    # Non-agricultural hukou among local urban residents, matching the county's non-agricultural share.
    nonag = counties.nonagricultural_hukou_pct.to_numpy() / 100.0
    local_urban_share = np.maximum(urban_share - inmig_share_county - inmig_share_prov, 1e-6)
    p_nonag = np.clip(nonag / local_urban_share, 0, 1)[all_county]
    c["hukou_urban"][:] = ~is_out & urban & ~migrant & (rng.random(n) < p_nonag)

    c["loc"][:] = np.where(is_out, places.outside, places.county_place(all_county, urban))
    c["county"][:] = np.where(is_out, -1, all_county)

    # Members' ages and sexes (the head's age follows from them), education, sector and employment.
    _fill_members(c, all_county, is_out, county_age_table(counties), rng)
    refresh_members(Households(cols=c, places=places))
    edu_cols = [("edu_none", "edu_primary"), ("edu_junior",), ("edu_senior",), ("edu_college", "edu_university")]
    edu_w = np.stack([sum(counties[f"{e}_{s}"] for e in group for s in "mf") for group in edu_cols], axis=1).astype(float)
    edu_cdf = np.cumsum(edu_w / edu_w.sum(axis=1, keepdims=True), axis=1)
    # the number of cumulative shares below one uniform, column by column (no n x 4 temporary)
    u = rng.random(n)
    edu = c["education"]
    for k in range(edu_cdf.shape[1]):
        edu += np.ascontiguousarray(edu_cdf[:, k])[all_county] < u
    manuf_share = (counties.secondary_pct / (counties.secondary_pct + counties.tertiary_pct)).to_numpy()
    in_town = urban | is_out
    c["sector"][:] = np.where(in_town, np.where(rng.random(n) < manuf_share[all_county], Sector.MANUFACTURING,
                                                Sector.SERVICES), Sector.AGRICULTURE)
    unemployed = in_town & (rng.random(n) < initial_unemployment_rate)
    # the unemployed locals of 2010 lost a job in their city; unemployed migrants came to seek a first job there
    # (assumption; it decides whether their hire in 2011 counts as a new urban job)
    c["job_loser"][:] = unemployed & ~is_out & ~migrant
    c["employment"][:] = np.where(in_town, np.where(unemployed, Employment.UNEMPLOYED, Employment.EMPLOYED),
                                  Employment.FARMING)

    # Tenure: rural residents live in self-built homes; local urban residents by the county's tenure mix;
    # migrants rent or live in dormitories.
    ten = counties[["tenure_rented", "tenure_self_built", "tenure_purchased", "tenure_other"]].to_numpy()
    p_rent = ten[:, 0] / np.maximum(ten.sum(axis=1), 1)
    away = migrant | is_out
    dorm = away & (c["sector"] == Sector.MANUFACTURING) & (rng.random(n) < dormitory_share)
    renting = away | (rng.random(n) < p_rent[all_county])
    tenure = np.where(~urban & ~is_out, Tenure.RURAL_SELF_BUILT,
                      np.where(dorm, Tenure.DORMITORY, np.where(renting, Tenure.MARKET_RENT, Tenure.OWN)))
    c["tenure"][:] = tenure

    agricultural = ~c["hukou_urban"] & (c["hukou_div"] != OUTSIDE_DIV)
    c["land_contract"][:] = agricultural
    c["homestead"][:] = agricultural

    # Years in place: locals since adulthood (capped), migrants a few years (assumption: geometric, mean 3).
    local_years = np.minimum(c["head_age"] - 18, 30)
    c["years_here"][:] = np.where(away, rng.geometric(0.25, n) - 1, local_years)
    c["insurance_years"][:] = np.where(in_town & ~away & (c["employment"] == Employment.EMPLOYED),
                                       np.minimum(c["years_here"], 15), np.where(away, c["years_here"] // 2, 0))
    c["children_with_parents"][:] = ~away | (rng.random(n) < 0.3)
    c["settle_taste"][:] = rng.logistic(size=n)
    c["land_attachment"][:] = rng.random(n)

    div_here = places.lookup_division[c["loc"]]
    income = np.where(places.in_hunan_city[c["loc"]], urban_income[div_here], rural_income[div_here])
    income = np.where(is_out, urban_income.mean(), income)
    c["income"][:] = income
    c["savings"][:] = income * c["n_members"] * saving_rate * rng.exponential(3.0, n)
    return Households(cols=c, places=places)
