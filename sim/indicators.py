"""The model's outputs, defined in one place.

:data:`INDICATORS` names every indicator with its unit and meaning (the documentation and the UI read it);
:func:`compute_indicators` returns one year's rows of the tidy output table ``year, region, indicator,
value``. ``region`` is ``Hunan``, a division's English name, a county written as its 6-digit 2020 code and
English name (``430181 Liuyang``; county network only, indicators with ``by_county``) or ``outside``. Person
counts are real persons (agent counts × households per agent).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from agents.households import settlement_willing
from sim.concurrency import parallel_for, soon
from sim.places import N_DIVISIONS, OUTSIDE_DIV

if TYPE_CHECKING:
    from sim.model import HunanModel


class Indicator(NamedTuple):
    """An output indicator: unit, English description, Chinese label, and the regions it is given for."""

    unit: str
    description: str
    label_zh: str
    regions: str  # "province", "division", "both"
    by_county: bool = False  # also given for every county (county network)


INDICATORS: dict[str, Indicator] = {
    "population": Indicator("persons", "Resident population", "常住人口", "both", True),
    "urban_population": Indicator("persons", "Urban resident population", "城镇常住人口", "both", True),
    "urbanization_rate": Indicator("percent", "Resident urbanization rate (plan indicator 1)", "常住人口城镇化率", "both",
                                   True),
    "registered_population": Indicator("persons", "Hukou population registered in Hunan", "户籍人口", "province"),
    "registered_minus_resident": Indicator("persons", "Registered minus resident population", "户籍与常住人口之差",
                                           "province"),
    "hukou_urbanization_rate": Indicator("percent", "Non-agricultural hukou share of the registered population",
                                         "户籍人口城镇化率", "province"),
    "hukou_gap": Indicator("percentage points", "Resident minus hukou urbanization rate", "两率差距", "province"),
    "czt_urban_share": Indicator("percent", "Changsha-Zhuzhou-Xiangtan share of Hunan's urban population "
                                 "(plan indicator 5)", "长株潭城镇人口占全省比重", "province"),
    "urban_unemployment_rate": Indicator("percent", "Urban unemployment rate (plan indicator 3)", "城镇失业率", "both"),
    "urban_income": Indicator("yuan per person", "Urban per-capita disposable income", "城镇居民人均可支配收入", "both"),
    "rural_income": Indicator("yuan per person", "Rural per-capita disposable income", "农村居民人均可支配收入", "both"),
    "urban_rural_income_ratio": Indicator("ratio", "Urban/rural income ratio (plan indicator 4)", "城乡居民收入比",
                                          "both"),
    "urban_hires": Indicator("workers per year", "Hires in Hunan's cities, all (incl. re-employment; workers are "
                             "a household's members aged 15+)", "城镇招聘人数", "both"),
    "new_urban_jobs": Indicator("persons per year", "New urban jobs as the bulletins count them (城镇新增就业: "
                                "persons of working age newly employed in a city, not re-employed after losing a "
                                "job there, less the deaths and retirements of urban workers; plan indicator 2 is "
                                "its 5-year sum)",
                                "城镇新增就业", "both"),
    "central_urban_population": Indicator("persons", "Urban population of the central districts (plan column 8)",
                                          "中心城区人口", "both"),
    "share_of_hunan_population": Indicator("percent", "Division's (or county's) share of Hunan's resident "
                                           "population", "占全省常住人口比重", "division", True),
    "settled_migrants": Indicator("persons per year", "Persons who transferred hukou to a Hunan city this year",
                                  "当年落户人数", "both"),
    "settled_outside_hunan": Indicator("persons per year", "Hunan-registered persons outside Hunan who transferred "
                                       "their hukou to another province this year", "省外落户人数", "province"),
    "settle_willing_share_long_stayers": Indicator(
        "percent", "Migrants in Hunan's cities who have lived there 5 years or more willing to transfer hukou there "
        "(CMDS 2016: 48.7 % of the migrants intending to stay 5 years or more; years lived stand for the "
        "intention)", "居住5年以上流动人口落户意愿", "province"),
    "land_rights_exits": Indicator("persons per year", "Persons in settling households who gave up their contract "
                                   "land and homestead this year (required before the 2016 rules; afterwards the "
                                   "paid voluntary exit, 自愿有偿退出)", "进城落户农民退出“三权”人数", "province"),
    "settle_willing_share": Indicator("percent", "Migrants in Hunan's cities willing to transfer hukou there "
                                      "(CMDS 2016: about 30 %)", "愿意落户的流动人口比例", "province"),
    "permit_holders": Indicator("persons", "Persons in households holding a residence permit", "居住证持有人口",
                                "both"),
    "migrant_children_public_school_share": Indicator("percent", "Migrant children living with their parents "
                                                      "who attend public schools", "随迁子女公办学校就读比例", "province"),
    "left_behind_children": Indicator("persons", "Children whose parents live away from the hukou place without "
                                      "them", "留守儿童", "both"),
    "left_behind_elderly": Indicator("persons", "Residents aged 65+ of a Hunan village living in a household with "
                                     "no member aged 15-64 (a proxy of 留守老人 / rural empty-nest elderly)",
                                     "农村留守（空巢）老人", "both"),
    "public_rental_units": Indicator("units", "Public rental housing stock (built from 2010)", "公租房存量", "both"),
    "land_quota_used": Indicator("m²", "Construction land granted for settled migrants, cumulative",
                                 "人地挂钩新增建设用地", "both"),
    "outside_hunan_population": Indicator("persons", "Hunan-registered persons living outside Hunan",
                                          "省外常住的湖南户籍人口", "province"),
    "registered_elsewhere_in_hunan": Indicator("persons", "Residents whose hukou is in another county of Hunan",
                                               "户口在省内其他县的人口", "both", True),
    "registered_other_province": Indicator("persons", "Residents whose hukou is in another province",
                                           "户口在外省的人口", "both", True),
    "urban_wage": Indicator("yuan per person", "Urban wage level (per-capita income of the employed)", "城镇工资水平",
                            "division"),
    "rent": Indicator("yuan per person per year", "Market rent in the city", "市场租金", "division"),
    "county_town_population": Indicator("persons", "Urban residents of the county's county-town place (all its "
                                        "towns; the census' 城镇人口 of a non-central county)", "县城城镇人口", "province",
                                        True),
    "cities_over_1m": Indicator("cities", "Central cities and county towns with over 1 million urban residents "
                                "(plan indicators 12-13 count cities by 城区人口, a narrower measure)",
                                "城镇人口超100万的城市数", "province"),
    "county_towns_500k_1m": Indicator("counties", "County towns with 0.5-1 million urban residents (plan indicator 14 "
                                      "counts 县城 by 城区人口, a narrower measure: 5 by 2025)", "城镇人口50-100万的县城数",
                                      "province"),
    "county_towns_200k_500k": Indicator("counties", "County towns with 0.2-0.5 million urban residents (plan indicator "
                                        "15, by 城区人口: 31 by 2025)", "城镇人口20-50万的县城数", "province"),
    "moves_to_own_county_town": Indicator("persons per year", "Villagers moving into their own county's county town "
                                          "(local urbanization, 就地就近城镇化)", "迁入本县县城人数", "both"),
    "moves_to_other_county_towns": Indicator("persons per year", "Villagers moving into another county's county town",
                                             "迁入外县县城人数", "both"),
    "moves_to_central_cities": Indicator("persons per year", "Villagers moving into a central city (中心城区)",
                                         "迁入中心城区人数", "both"),
    "moves_out_of_hunan": Indicator("persons per year", "Villagers moving out of Hunan", "迁出省外的农村人口",
                                    "both"),
    "local_urbanization_share": Indicator("percent", "Moves into one's own county town among villagers' moves to "
                                          "towns, cities and outside Hunan", "就地城镇化占比", "both"),
    "births": Indicator("persons", "Births in Hunan this year", "出生人口", "province"),
    "deaths": Indicator("persons", "Deaths in Hunan this year", "死亡人口", "province"),
    "share_age_0_14": Indicator("percent", "Residents aged 0-14 (census definition: age at the census moment)",
                                "0-14岁人口比重", "both"),
    "share_age_15_64": Indicator("percent", "Residents aged 15-64", "15-64岁人口比重", "both"),
    "share_age_65_plus": Indicator("percent", "Residents aged 65 and over", "65岁及以上人口比重", "both"),
    "old_age_dependency_ratio": Indicator("percent", "Residents aged 65+ per 100 residents aged 15-64",
                                          "老年抚养比", "both"),
    "arrivals_from_outside": Indicator("persons", "Persons moving into Hunan this year", "迁入湖南人口", "province"),
    "departures_to_outside": Indicator("persons", "Persons moving out of Hunan this year", "迁出湖南人口", "province"),
}


# Bits of the per-record key of compute_indicators (the location and the employment state come on top).
_REGISTERED, _HUKOU_URBAN, _AWAY, _PERMIT, _ELSEWHERE, _CENTRAL = 1, 2, 4, 8, 16, 32
_N_FLAGS = 64


def compute_indicators(model: HunanModel) -> list[tuple[int, str, str, float]]:
    """One year's indicator rows for the province, each division and the outside node.

    Every person count is read off one table of persons (and one of workers) by location, status flags and
    employment, built by a single ``bincount`` over a small integer key per record; counts are whole numbers,
    so the sums are exact in any order. Income sums and the school-access sum keep the order of the records
    (floating-point sums depend on it).
    """
    h, c, s = model.households, model.households.cols, model.scale
    year = model.year
    names = model.world.names
    loc8 = c["loc"]
    n_members = c["n_members"]
    hukou_div = c["hukou_div"]
    places = model.places
    nd = N_DIVISIONS + 1
    L = places.n

    # per-record key: ((loc * 64 + flags) * 3 + employment)
    registered = hukou_div != OUTSIDE_DIV
    hukou_loc = places.hukou_place(hukou_div, c["hukou_urban"], c["hukou_county"])
    away = loc8 != hukou_loc
    county = c["county"]
    central = (county >= 0) & model.county_is_district[np.maximum(county, 0)]
    flags = registered.view(np.uint8).astype(np.int16)
    flags |= c["hukou_urban"].view(np.uint8) * np.uint8(_HUKOU_URBAN)
    flags |= away.view(np.uint8) * np.uint8(_AWAY)
    flags |= c["permit"].view(np.uint8) * np.uint8(_PERMIT)
    flags |= (c["hukou_county"] != county).view(np.uint8) * np.uint8(_ELSEWHERE)
    flags |= central.view(np.uint8) * np.uint8(_CENTRAL)
    parallel = parallel_for(len(h))
    urban = places.in_hunan_city[loc8]
    # counts that need only the table and the flags, on the second thread while this one goes on
    young_old_by_place = soon(parallel, _young_old_by_place, model)
    county_table = soon(parallel, _county_table, model, flags, urban) if places.by_county else None
    key = loc8.astype(np.int64)
    key *= _N_FLAGS
    key += flags
    key *= 3
    key += c["employment"]
    cells = L * _N_FLAGS * 3
    members_by_key = np.bincount(key, weights=n_members, minlength=cells).reshape(L, _N_FLAGS, 3)
    workers = np.maximum(n_members - c["n_children"], 1)
    workers_by_key = np.bincount(key, weights=workers, minlength=cells).reshape(L, _N_FLAGS, 3)
    del key, workers
    flag_ids = np.arange(_N_FLAGS)

    def persons(required: int, absent: int = 0) -> np.ndarray:
        """Persons (agent units) by location where the flags in ``required`` are set and those in ``absent`` not."""
        sel = ((flag_ids & required) == required) & ((flag_ids & absent) == 0)
        return members_by_key[:, sel, :].sum(axis=(1, 2))

    def by_div(per_loc: np.ndarray) -> np.ndarray:
        """Hunan's divisions from a per-place array (all its places), scaled to persons."""
        return places.by_division(per_loc) * s

    all_loc = persons(0)
    pop = by_div(all_loc)
    upop = places.urban_by_division(all_loc) * s
    cpop = places.urban_by_division(persons(_CENTRAL)) * s
    reg_loc = persons(_REGISTERED)
    reg_pop = reg_loc.sum() * s
    nonag = persons(_REGISTERED | _HUKOU_URBAN).sum() * s
    elsewhere_loc = persons(_REGISTERED | _ELSEWHERE)
    other_prov_loc = persons(0, _REGISTERED)
    permit_loc = persons(_PERMIT)
    kids = c["n_children"]
    # children apart from their migrant parents: in the village households the parents left (or, for 2010, the
    # migrant households the census-based start marks so)
    left_behind = np.flatnonzero((kids > 0) & ~c["children_with_parents"])
    # hukou division 14 (another province) is its own bin, as before; counted over those households only (whole
    # numbers: exact in any order)
    left_behind_by_hukou = np.bincount(hukou_div[left_behind], weights=kids[left_behind],
                                       minlength=nd)[:N_DIVISIONS] * s

    urban_workers = places.urban_by_division(workers_by_key.sum(axis=1))  # (14, employment)
    lab_d = urban_workers[:, 0] + urban_workers[:, 1]  # employed + unemployed (farming is not labour force)
    unemp_d = urban_workers[:, 1]

    members = n_members.astype(float)
    income_total = c["income"].astype(float) * members
    inc_loc = np.bincount(loc8, weights=income_total, minlength=L)
    rural_pop = places.rural_by_division(all_loc) * s
    ui = places.urban_by_division(inc_loc) * s / np.maximum(upop, 1)
    ri = places.rural_by_division(inc_loc) * s / np.maximum(rural_pop, 1)
    rural = places.is_village[loc8]
    ui_p = income_total[urban].sum() / max(all_loc[places.in_hunan_city].sum(), 1)
    ri_p = income_total[rural].sum() / max(all_loc[places.is_village].sum(), 1)
    del income_total, members

    # migrant children living with parents in Hunan's cities, and their expected public-school access
    # (away from the hukou place, a household's status is its permit)
    city_migrants = np.flatnonzero(urban & away)
    cm_kids = kids[city_migrants]
    mig_kids = city_migrants[(cm_kids > 0) & c["children_with_parents"][city_migrants]]
    mk = kids[mig_kids].astype(float)
    access = model.access_school[c["loc"][mig_kids].astype(np.int64), c["permit"][mig_kids].astype(np.int64)]
    school_share = 100 * (access * mk).sum() / max(mk.sum(), 1e-9)

    willing = settlement_willing(h, model.city_rules, model.params, model.access_general, model.access_school,
                                 city_migrants, land_income=model.land_income(), price_index=model.price_index())
    cm_members = n_members[city_migrants]
    willing_share = 100 * float(cm_members[willing].sum(dtype=np.int64)) / max(float(cm_members.sum(dtype=np.int64)), 1)
    long = c["years_here"][city_migrants] >= 5
    willing_long_share = 100 * float(cm_members[willing & long].sum(dtype=np.int64)) / max(
        float(cm_members[long].sum(dtype=np.int64)), 1)

    govs = model.city_governments
    pr_units = np.array([g.public_rental_stock for g in govs])
    land = np.array([g.land_quota_m2 for g in govs])
    settled = model.settled_this_year * s
    hires = model.hires_this_year * s
    new_jobs = model.new_urban_jobs * s

    rows: list[tuple[int, str, str, float]] = []
    total_pop, total_upop = pop.sum(), upop.sum()
    prov = {
        "population": total_pop,
        "urban_population": total_upop,
        "urbanization_rate": 100 * total_upop / max(total_pop, 1),
        "registered_population": reg_pop,
        "registered_minus_resident": reg_pop - total_pop,
        "hukou_urbanization_rate": 100 * nonag / max(reg_pop, 1),
        "czt_urban_share": 100 * upop[model.world.is_czt].sum() / max(total_upop, 1),
        "urban_unemployment_rate": 100 * unemp_d.sum() / max(lab_d.sum(), 1),
        "urban_income": ui_p * 1e4,
        "rural_income": ri_p * 1e4,
        "urban_rural_income_ratio": ui_p / max(ri_p, 1e-9),
        "urban_hires": hires.sum(),
        "new_urban_jobs": new_jobs.sum(),
        "central_urban_population": cpop.sum(),
        "settled_migrants": settled.sum(),
        "settled_outside_hunan": model.settled_outside_this_year * s,
        "land_rights_exits": model.land_exits_this_year * s,
        "settle_willing_share": willing_share,
        "settle_willing_share_long_stayers": willing_long_share,
        "permit_holders": permit_loc[places.in_hunan].sum() * s,
        "migrant_children_public_school_share": school_share,
        "left_behind_children": left_behind_by_hukou.sum(),
        "public_rental_units": pr_units.sum(),
        "land_quota_used": land.sum(),
        "outside_hunan_population": reg_loc[places.outside] * s,
        "registered_elsewhere_in_hunan": elsewhere_loc[places.in_hunan].sum() * s,
        "registered_other_province": other_prov_loc[places.in_hunan].sum() * s,
        "births": model.demography_counts["births"] * s,
        "deaths": model.demography_counts["deaths"] * s,
        "arrivals_from_outside": model.demography_counts["arrivals"] * s,
        "departures_to_outside": model.demography_counts["departures"] * s,
    }
    prov["hukou_gap"] = prov["urbanization_rate"] - prov["hukou_urbanization_rate"]
    prov.update(_city_size(model, all_loc * s))
    village_moves = {k: v * s for k, v in model.village_moves.items()}
    for k, v in village_moves.items():
        prov[k] = float(v.sum())
    all_moves = sum(village_moves.values())
    prov["local_urbanization_share"] = 100 * village_moves["moves_to_own_county_town"].sum() / max(all_moves.sum(), 1)
    rows.extend((year, "Hunan", k, float(v)) for k, v in prov.items())
    per_div = {
        "population": pop,
        "urban_population": upop,
        "urbanization_rate": 100 * upop / np.maximum(pop, 1),
        "share_of_hunan_population": 100 * pop / max(total_pop, 1),
        "central_urban_population": cpop,
        "urban_unemployment_rate": 100 * unemp_d / np.maximum(lab_d, 1),
        "urban_income": ui * 1e4,
        "rural_income": ri * 1e4,
        "urban_rural_income_ratio": ui / np.maximum(ri, 1e-9),
        "urban_hires": hires,
        "new_urban_jobs": new_jobs,
        "settled_migrants": settled,
        "permit_holders": by_div(permit_loc),
        "left_behind_children": left_behind_by_hukou,
        "public_rental_units": pr_units,
        "land_quota_used": land,
        "registered_elsewhere_in_hunan": by_div(elsewhere_loc),
        "registered_other_province": by_div(other_prov_loc),
        "urban_wage": model.urban_wage * 1e4,
        "rent": model.rent * 1e4,
        **village_moves,
        "local_urbanization_share": 100 * village_moves["moves_to_own_county_town"] / np.maximum(all_moves, 1),
    }
    ages = _age_shares(model, all_loc, *young_old_by_place())
    elderly_alone = places.is_village[c["loc"]] & (c["n_members"] == c["n_children"] + c["n_elderly"])
    left_behind_elderly = np.bincount(places.lookup_division[c["loc"][elderly_alone]],
                                      weights=c["n_elderly"][elderly_alone], minlength=N_DIVISIONS)[:N_DIVISIONS] * s
    rows.append((year, "Hunan", "left_behind_elderly", float(left_behind_elderly.sum())))
    per_div["left_behind_elderly"] = left_behind_elderly
    for k, arr in ages.items():
        rows.append((year, "Hunan", k, float(arr[-1])))
        per_div[k] = arr[:N_DIVISIONS]
    for k, arr in per_div.items():
        rows.extend((year, name, k, float(v)) for name, v in zip(names[:N_DIVISIONS], np.asarray(arr).tolist(), strict=True))
    rows.append((year, "outside", "population", float(all_loc[places.outside] * s)))
    if places.by_county:
        rows.extend(_county_rows(model, county_table(), total_pop, all_loc))
    return rows


def _young_old_by_place(model: HunanModel) -> tuple[np.ndarray, np.ndarray]:
    """Children (0-14) and elderly (65+) by place, agent units.

    From the derived counts per household (agents.households.refresh_members): one bincount of households by
    (place, children, elderly), no weights, instead of a weighted bincount per count. The sums are whole numbers,
    so they are exact in any order.
    """
    places, c = model.places, model.households.cols
    bins = c["members"].shape[1] + 1  # a count is at most the number of slots
    key = c["loc"].astype(np.intp)
    key *= bins
    key += c["n_children"]
    key *= bins
    key += c["n_elderly"]
    households = np.bincount(key, minlength=places.n * bins * bins).reshape(places.n, bins, bins)
    count = np.arange(bins)
    return households.sum(axis=2) @ count, households.sum(axis=1) @ count


def _age_shares(model: HunanModel, persons_by_place: np.ndarray, young_by_place: np.ndarray,
                old_by_place: np.ndarray) -> dict[str, np.ndarray]:
    """Age shares of the residents (percent) and the old-age dependency ratio, by division and (last) Hunan, from
    the persons, children and elderly by place (:func:`_young_old_by_place`)."""
    places = model.places
    div = np.where(places.in_hunan, places.lookup_division, N_DIVISIONS)  # by place

    def by_division(per_place: np.ndarray) -> np.ndarray:
        return np.bincount(div, weights=per_place, minlength=N_DIVISIONS + 1)[:N_DIVISIONS]

    young, old = by_division(young_by_place), by_division(old_by_place)
    working = by_division(persons_by_place) - young - old
    young, working, old = (np.append(x, x.sum()) for x in (young, working, old))  # divisions, then Hunan
    total = np.maximum(young + working + old, 1)
    return {"share_age_0_14": 100 * young / total, "share_age_15_64": 100 * working / total,
            "share_age_65_plus": 100 * old / total,
            "old_age_dependency_ratio": 100 * old / np.maximum(working, 1)}


def _city_size(model: HunanModel, persons: np.ndarray) -> dict[str, float]:
    """The city-size counts from the persons (real) by place: central cities and county towns by urban residents."""
    places = model.places
    city = persons[places.in_hunan_city]
    towns = persons[places.is_county_town]
    return {"cities_over_1m": float(np.count_nonzero(city > 1e6)),
            "county_towns_500k_1m": float(np.count_nonzero((towns >= 5e5) & (towns < 1e6))),
            "county_towns_200k_500k": float(np.count_nonzero((towns >= 2e5) & (towns < 5e5)))}


def _county_table(model: HunanModel, flags: np.ndarray, in_city: np.ndarray) -> np.ndarray:
    """Persons (real) by county row (``sim.data.load_counties_2020``), urban residence (``in_city``: the household
    lives in a Hunan city) and registration flags, shape (counties, 2, flags): one bincount."""
    from sim.data import load_counties_2020

    c = model.households.cols
    n_c = len(load_counties_2020())
    # county + 1: households outside Hunan (county -1) fall in a first row that is dropped, so no household is
    # selected out (four gathers fewer); the sums are whole numbers, exact in any order
    key = c["county"].astype(np.int64)
    key += 1
    key *= 2
    key += in_city
    key *= _N_FLAGS
    key += flags
    table = np.bincount(key, weights=c["n_members"], minlength=(n_c + 1) * 2 * _N_FLAGS)
    return table.reshape(n_c + 1, 2, _N_FLAGS)[1:] * model.scale


def _county_rows(model: HunanModel, table: np.ndarray, total_pop: float,
                 persons_by_place: np.ndarray) -> list[tuple[int, str, str, float]]:
    """The ``by_county`` indicators of every county (rows of ``sim.data.load_counties_2020``) from the table of
    :func:`_county_table` and the persons by place (agent units)."""
    from sim.data import load_counties_2020

    s, places = model.scale, model.places
    counties = load_counties_2020()
    flag_ids = np.arange(_N_FLAGS)
    pop = table.sum(axis=(1, 2))
    urban = table[:, 1, :].sum(axis=1)
    elsewhere = table[:, :, ((flag_ids & _REGISTERED) > 0) & ((flag_ids & _ELSEWHERE) > 0)].sum(axis=(1, 2))
    other_prov = table[:, :, (flag_ids & _REGISTERED) == 0].sum(axis=(1, 2))
    per_county = {
        "population": pop,
        "urban_population": urban,
        "urbanization_rate": 100 * urban / np.maximum(pop, 1),
        "share_of_hunan_population": 100 * pop / max(total_pop, 1),
        "registered_elsewhere_in_hunan": elsewhere,
        "registered_other_province": other_prov,
        # a central district's is 0: its towns are the central city's
        "county_town_population": np.where(places.is_county_town[places.county_urban_place],
                                           persons_by_place[places.county_urban_place] * s, 0.0),
    }
    year = model.year
    regions = counties.region.tolist()
    rows: list[tuple[int, str, str, float]] = []
    for k, arr in per_county.items():
        rows.extend((year, name, k, float(v)) for name, v in zip(regions, arr.tolist(), strict=True))
    return rows


#: Columns of the indicator dictionary written beside every result (``indicators.csv``).
DICTIONARY_COLUMNS = ("indicator", "unit", "definition", "label_zh", "regions", "plan_indicator")


def indicator_dictionary() -> pd.DataFrame:
    """Every indicator's unit and definition, one row each: the ``indicators.csv`` written beside each result.

    Columns: ``indicator``, ``unit``, ``definition``, ``label_zh``, ``regions`` (``province``, ``division`` or
    ``both``) and ``plan_indicator`` (the plan's indicator number where it sets a target, else empty).
    """
    from sim.plan_targets import PLAN_ID

    rows = [(name, ind.unit, ind.description, ind.label_zh, ind.regions, PLAN_ID.get(name, ""))
            for name, ind in INDICATORS.items()]
    return pd.DataFrame(rows, columns=list(DICTIONARY_COLUMNS)).astype(
        {"plan_indicator": "string"})


def with_units(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of a tidy indicator table with a ``unit`` column after ``indicator`` (from :data:`INDICATORS`;
    empty for a name it does not declare), so a file read on its own says what each ``value`` measures."""
    out = table.copy()
    units = {name: ind.unit for name, ind in INDICATORS.items()}
    out.insert(out.columns.get_loc("indicator") + 1, "unit",
               out["indicator"].map(units).fillna("").astype("string"))
    return out
