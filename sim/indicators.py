"""The model's outputs, defined in one place.

:data:`INDICATORS` names every indicator with its unit and meaning (the documentation and the UI read it);
:func:`compute_indicators` returns one year's rows of the tidy output table ``year, region, indicator,
value``. ``region`` is ``Hunan``, a division's English name or ``outside``. Person counts are real persons
(agent counts × households per agent).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from agents.households import settlement_willing
from sim.world import N_DIVISIONS, OUTSIDE_DIV, OUTSIDE_LOC

if TYPE_CHECKING:
    from sim.model import HunanModel


class Indicator(NamedTuple):
    """An output indicator: unit, English description, Chinese label, and the regions it is given for."""

    unit: str
    description: str
    label_zh: str
    regions: str  # "province", "division", "both"


INDICATORS: dict[str, Indicator] = {
    "population": Indicator("persons", "Resident population", "常住人口", "both"),
    "urban_population": Indicator("persons", "Urban resident population", "城镇常住人口", "both"),
    "urbanization_rate": Indicator("percent", "Resident urbanization rate (plan indicator 1)", "常住人口城镇化率", "both"),
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
    "new_urban_jobs": Indicator("persons per year", "New urban jobs (hires; plan indicator 2 is its 5-year sum)",
                                "城镇新增就业", "both"),
    "central_urban_population": Indicator("persons", "Urban population of the central districts (plan column 8)",
                                          "中心城区人口", "both"),
    "share_of_hunan_population": Indicator("percent", "Division's share of Hunan's resident population",
                                           "占全省常住人口比重", "division"),
    "settled_migrants": Indicator("persons per year", "Persons who transferred hukou to a Hunan city this year",
                                  "当年落户人数", "both"),
    "settled_outside_hunan": Indicator("persons per year", "Hunan-registered persons outside Hunan who transferred "
                                       "their hukou to another province this year", "省外落户人数", "province"),
    "settle_willing_share": Indicator("percent", "Migrants in Hunan's cities willing to transfer hukou there "
                                      "(CMDS 2016: about 30 %)", "愿意落户的流动人口比例", "province"),
    "permit_holders": Indicator("persons", "Persons in households holding a residence permit", "居住证持有人口",
                                "both"),
    "migrant_children_public_school_share": Indicator("percent", "Migrant children living with their parents "
                                                      "who attend public schools", "随迁子女公办学校就读比例", "province"),
    "left_behind_children": Indicator("persons", "Children whose parents live away from the hukou place without "
                                      "them", "留守儿童", "both"),
    "public_rental_units": Indicator("units", "Public rental housing stock (built from 2010)", "公租房存量", "both"),
    "land_quota_used": Indicator("m²", "Construction land granted for settled migrants, cumulative",
                                 "人地挂钩新增建设用地", "both"),
    "outside_hunan_population": Indicator("persons", "Hunan-registered persons living outside Hunan",
                                          "省外常住的湖南户籍人口", "province"),
    "registered_elsewhere_in_hunan": Indicator("persons", "Residents whose hukou is in another county of Hunan",
                                               "户口在省内其他县的人口", "both"),
    "registered_other_province": Indicator("persons", "Residents whose hukou is in another province",
                                           "户口在外省的人口", "both"),
    "urban_wage": Indicator("yuan per person", "Urban wage level (per-capita income of the employed)", "城镇工资水平",
                            "division"),
    "rent": Indicator("yuan per person per year", "Market rent in the city", "市场租金", "division"),
    "births": Indicator("persons", "Births in Hunan this year", "出生人口", "province"),
    "deaths": Indicator("persons", "Deaths in Hunan this year", "死亡人口", "province"),
    "arrivals_from_outside": Indicator("persons", "Persons moving into Hunan this year", "迁入湖南人口", "province"),
    "departures_to_outside": Indicator("persons", "Persons moving out of Hunan this year", "迁出湖南人口", "province"),
}


def compute_indicators(model: HunanModel) -> list[tuple[int, str, str, float]]:
    """One year's indicator rows for the province, each division and the outside node."""
    h, c, s = model.households, model.households.cols, model.scale
    year = model.year
    names = model.world.names
    loc = c["loc"].astype(np.int64)
    members = c["n_members"].astype(float)
    in_hunan = loc != OUTSIDE_LOC
    div = np.where(in_hunan, loc // 2, N_DIVISIONS)
    urban = in_hunan & (loc % 2 == 1)
    nd = N_DIVISIONS + 1

    def by_div(mask: np.ndarray, weights: np.ndarray = members) -> np.ndarray:
        return np.bincount(div[mask], weights=weights[mask], minlength=nd)[:N_DIVISIONS] * s

    pop = by_div(in_hunan)
    upop = by_div(urban)
    counties = model.county_is_district
    central = urban & (c["county"] >= 0) & counties[np.maximum(c["county"], 0)]
    cpop = by_div(central)
    registered = (c["hukou_div"] != OUTSIDE_DIV)
    reg_pop = members[registered].sum() * s
    nonag = members[registered & c["hukou_urban"]].sum() * s
    away = h.away()
    hukou_loc = h.hukou_loc()
    elsewhere_hn = in_hunan & registered & (c["hukou_county"] != c["county"])
    other_prov = in_hunan & ~registered
    permit = in_hunan & c["permit"]
    kids = c["n_children"].astype(float)
    left_behind = away & (c["n_children"] > 0) & ~c["children_with_parents"]
    lb_div = np.where(registered, c["hukou_div"], N_DIVISIONS).astype(np.int64)
    left_behind_by_hukou = np.bincount(lb_div[left_behind], weights=kids[left_behind], minlength=nd)[:N_DIVISIONS] * s

    workers = np.maximum(c["n_members"] - c["n_children"], 1).astype(float)
    labour = urban & (c["employment"] != 2)
    unemployed = labour & (c["employment"] == 1)
    lab_d = np.bincount(div[labour], weights=workers[labour], minlength=nd)[:N_DIVISIONS]
    unemp_d = np.bincount(div[unemployed], weights=workers[unemployed], minlength=nd)[:N_DIVISIONS]

    income_total = c["income"].astype(float) * members
    rural = in_hunan & ~urban
    ui = by_div(urban, income_total) / np.maximum(upop, 1)
    ri = by_div(rural, income_total) / np.maximum(by_div(rural), 1)
    ui_p = income_total[urban].sum() / max(members[urban].sum(), 1)
    ri_p = income_total[rural].sum() / max(members[rural].sum(), 1)

    # migrant children living with parents in Hunan's cities, and their expected public-school access
    mig_kids = urban & away & c["children_with_parents"] & (c["n_children"] > 0)
    status = np.where(loc == hukou_loc, 2, c["permit"].astype(np.int64))
    access = model.access_school[loc, status]
    school_share = 100 * (access[mig_kids] * kids[mig_kids]).sum() / max(kids[mig_kids].sum(), 1e-9)

    city_migrants = np.flatnonzero(urban & away)
    willing = settlement_willing(h, model.policy, model.params, model.access_general, model.access_school,
                                 city_migrants)
    willing_share = 100 * members[city_migrants[willing]].sum() / max(members[city_migrants].sum(), 1)

    govs = model.city_governments
    pr_units = np.array([g.public_rental_stock for g in govs])
    land = np.array([g.land_quota_m2 for g in govs])
    settled = model.settled_this_year * s
    hires = model.hires_this_year * s

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
        "new_urban_jobs": hires.sum(),
        "central_urban_population": cpop.sum(),
        "settled_migrants": settled.sum(),
        "settled_outside_hunan": model.settled_outside_this_year * s,
        "settle_willing_share": willing_share,
        "permit_holders": members[permit].sum() * s,
        "migrant_children_public_school_share": school_share,
        "left_behind_children": left_behind_by_hukou.sum(),
        "public_rental_units": pr_units.sum(),
        "land_quota_used": land.sum(),
        "outside_hunan_population": members[(loc == OUTSIDE_LOC) & registered].sum() * s,
        "registered_elsewhere_in_hunan": members[elsewhere_hn].sum() * s,
        "registered_other_province": members[other_prov].sum() * s,
        "births": model.demography_counts["births"] * s,
        "deaths": model.demography_counts["deaths"] * s,
        "arrivals_from_outside": model.demography_counts["arrivals"] * s,
        "departures_to_outside": model.demography_counts["departures"] * s,
    }
    prov["hukou_gap"] = prov["urbanization_rate"] - prov["hukou_urbanization_rate"]
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
        "new_urban_jobs": hires,
        "settled_migrants": settled,
        "permit_holders": by_div(permit),
        "left_behind_children": left_behind_by_hukou,
        "public_rental_units": pr_units,
        "land_quota_used": land,
        "registered_elsewhere_in_hunan": by_div(elsewhere_hn),
        "registered_other_province": by_div(other_prov),
        "urban_wage": model.urban_wage * 1e4,
        "rent": model.rent * 1e4,
    }
    for k, arr in per_div.items():
        rows.extend((year, names[d], k, float(arr[d])) for d in range(N_DIVISIONS))
    rows.append((year, "outside", "population", float(members[loc == OUTSIDE_LOC].sum() * s)))
    return rows
