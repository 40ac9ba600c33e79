"""The model's parameters, declared once.

Two kinds of inputs are kept apart, as in EMA Workbench:

* :class:`ModelParameters`: behavioural and structural parameters that describe how Hunan *is* (uncertain,
  estimated by calibration). Each field carries its default, plausible range, unit, label and source in its
  metadata; "calibrated" means the value is estimated in ``calibration/`` and "assumption" means it is neither
  sourced nor calibrated and is flagged in ``docs/ODD.md``.
* :data:`LEVERS`: the plan's policy levers (what Hunan *chooses*). Each lever may differ by city and by year; a
  scenario file (``scenarios/*.toml``) sets them, see :mod:`sim.scenario`.

The UI, the command line, scenario files, sweeps and calibration are all generated from these declarations,
so that they cannot drift apart. Money is in 10,000 yuan (万元) per person per year unless a unit says
otherwise.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from sim.errors import InputError
from sim.years import LAST_OBSERVED_YEAR, NEVER_YEAR


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python bool, int or float it holds (EMA Workbench and pandas hand levers and
    parameters over as ``np.int64``, ``np.float64`` or ``np.bool_``); anything else unchanged."""
    return value.item() if isinstance(value, np.generic) and not isinstance(value, np.str_ | np.bytes_) else value

# --------------------------------------------------------------------------------------------------------
# Behavioural parameters
# --------------------------------------------------------------------------------------------------------


def param(
    default: float,
    low: float,
    high: float,
    *,
    unit: str,
    label: str,
    source: str,
    kind: Literal["sourced", "calibrated", "assumption"],
) -> Any:
    """Declare one behavioural parameter (a dataclass field with its metadata).

    Args:
        default: the value used when nothing else is given (the calibrated posterior median replaces it when
            ``calibration/posterior.json`` exists, see :func:`sim.parameters.default_parameters`).
        low: lower end of the plausible range (the calibration prior and the sweep range).
        high: upper end of the plausible range.
        unit: unit of the value.
        label: short English description, used by the UI and the documentation.
        source: citation, or the reason it is calibrated or assumed.
        kind: ``sourced`` (read in the cited source), ``calibrated`` (estimated from Hunan 2010-2020) or
            ``assumption`` (flagged in the documentation).
    """
    return field(
        default=default,
        metadata={"low": low, "high": high, "unit": unit, "label": label, "source": source, "kind": kind},
    )


@dataclass(frozen=True, kw_only=True)
class ModelParameters:
    """Behavioural and structural parameters of the Hunan model (see ``docs/ODD.md`` for the equations).

    Symbols follow ``docs/ODD.md``: σ is the taste-shock scale of the destination logit, c₀ and c₁ the fixed
    and per-hour moving costs, γ the agglomeration elasticity, β the labour elasticity of farm output, η the
    elasticity of housing cost to population inflow.
    """

    # --- demography -------------------------------------------------------------------------------------
    mortality_level: float = param(
        0.844, 0.6, 1.6, unit="ratio", label="Hunan's death rates relative to China's UN WPP schedule",
        source="calibrated: Hunan's reported deaths 2010-2019 (calibration/data/demography_2010_2020.csv) "
               "with China's WPP 2019 age-sex schedules (calibration/data/age_schedules.csv); "
               "python -m calibration.demography", kind="calibrated")
    mortality_improvement: float = param(
        0.015, 0.0, 0.04, unit="log change per year", label="Yearly decline of age-specific death rates after 2018",
        source="assumption: about the pace of China's WPP schedules 2008-2018 (calibration/data/age_schedules.csv)",
        kind="assumption")
    fertility_projection_factor: float = param(
        1.0, 0.5, 1.5, unit="ratio", label="Total fertility after 2020 relative to the 2020 level fitted to births",
        source="assumption: the 2020 fertility level holds (no observation after 2020 is used)",
        kind="assumption")
    household_split_rate: float = param(
        0.03, 0.0, 0.06, unit="per household of 3+ per year", label="Household formation (split) rate",
        source="calibrated: family households grew from 18.6 M (2010) to 22.9 M (2020) (census, STACK.md)",
        kind="calibrated")
    leave_behind: float = param(
        0.0, 0.0, 1.0, unit="probability", label="Households leaving a village that leave their elderly and "
        "children behind", source="assumption: off by default until the migration parameters are re-estimated "
        "with it ([validation]); at 0.5 every 2020 division's 65+ share comes within 2 pp of the census (1.7 pp; "
        "2.3 pp off), but the elderly who stay keep Lukou's villages so full that the county fit cannot reach "
        "its urbanization rate (its villages' effect at the -10 bound, rate 13 pp off; issue 18)",
        kind="assumption")
    new_household_education_up: float = param(
        0.5, 0.0, 1.0, unit="probability", label="Young adults forming a household one education level above "
        "their parents' household", source="assumption: educational upgrading across generations",
        kind="assumption")

    # --- incomes and labour markets -----------------------------------------------------------------------
    urban_income_2010: float = param(
        1.775, 1.4, 2.4, unit="10k yuan per person per year", label="Urban disposable income in 2010",
        source="calibrated: fitted with the urban wage growth to the urban disposable income surveys 2013-2020 "
               "(calibration/data/income_2010_2020.csv; `python -m calibration.levels`, issue 18)",
        kind="calibrated")
    income_ratio_2010: float = param(
        2.3282, 2.0, 3.4, unit="ratio", label="Urban/rural income ratio in 2010",
        source="calibrated: fitted with the farm productivity growth to the rural disposable income surveys "
               "2013-2020 (`python -m calibration.levels`, issue 18). It is the ratio of the model's base urban "
               "wage to farm income per person, below the surveyed 2010 ratio (2.84, old basis) because the "
               "model's urban residents include migrants and the unemployed", kind="calibrated")
    urban_income_dispersion: float = param(
        0.8134, 0.0, 1.0, unit="exponent", label="Spread of urban incomes across regions",
        source="calibrated: urban incomes follow the 2015 regional income index (divisions_economy.csv) to this "
               "power; all-resident incomes (exponent 1) also reflect urbanization", kind="calibrated")
    urban_wage_growth: float = param(
        0.0726, 0.03, 0.11, unit="per year", label="Growth of urban wages (nominal)",
        source="calibrated: fitted to the slope of log urban disposable income 2013-2020 (observed 8.2 %/yr; the "
               "labour market adds the rest; `python -m calibration.levels`, issue 18)", kind="calibrated")
    rural_productivity_growth: float = param(
        0.0733, 0.02, 0.12, unit="per year", label="Growth of farm productivity (nominal)",
        source="calibrated: fitted to the slope of log rural disposable income 2013-2020 (observed 9.0 %/yr; "
               "fewer farmers on the same land add the rest; `python -m calibration.levels`, issue 18)",
        kind="calibrated")
    farm_labour_elasticity: float = param(
        0.5, 0.2, 0.8, unit="elasticity", label="Labour elasticity of farm output (β)",
        source="assumption: diminishing returns to farm labour on fixed land; range covers Chinese farm "
               "production-function estimates", kind="assumption")
    agglomeration_elasticity: float = param(
        0.0362, 0.0, 0.08, unit="elasticity", label="Agglomeration elasticity of urban productivity (γ)",
        source="Combes & Gobillon 2015, Handbook of Regional and Urban Economics 5, ch. 5: elasticities of "
               "productivity to city size mostly 0.02-0.05", kind="sourced")
    labour_demand_growth: float = param(
        0.0405, 0.0, 0.06, unit="per year", label="Growth of urban labour demand",
        source="calibrated: fitted so that the model's largest error against the surveyed urban unemployment "
               "rates of 2018 (4.9 %) and 2020 (5.8 %) is smallest (labour_2010_2020.csv; the 2020 value carries "
               "the pandemic, which the model does not have; `python -m calibration.levels`, issue 18)",
        kind="calibrated")
    wage_flexibility: float = param(
        0.547, 0.0, 1.0, unit="share of excess demand passed to wages", label="Wage flexibility (λ)",
        source="calibrated; 0 is the rigid urban wage of Harris & Todaro 1970", kind="calibrated")
    max_wage_tightness: float = param(
        0.5, 0.1, 1.0, unit="share of excess demand", label="Largest labour-market tightness passed to wages",
        source="assumption: bounds the yearly wage response to a tight or slack market (exp(±λ · this))",
        kind="assumption")
    labour_demand_elasticity: float = param(
        1.5, 0.5, 3.0, unit="elasticity", label="Wage elasticity of urban labour demand",
        source="assumption: 1/(1-α) with a labour share α between 0.33 and 0.67", kind="assumption")
    job_separation_rate: float = param(
        0.06, 0.02, 0.15, unit="per year", label="Job separation rate", source="assumption",
        kind="assumption")
    unemployed_income_share: float = param(
        0.3, 0.0, 0.6, unit="share of the local wage", label="Income while unemployed",
        source="assumption: benefits, informal work and family support", kind="assumption")
    college_wage_premium: float = param(
        0.5, 0.2, 0.9, unit="proportional premium", label="College wage premium",
        source="assumption", kind="assumption")
    outside_wage_premium: float = param(
        1.6755, 0.9, 1.7, unit="ratio to Hunan's mean urban wage", label="Wage outside Hunan (Pearl River Delta)",
        source="calibrated: registered minus resident population 5.08 M (2010) and 6.56 M (2020)",
        kind="calibrated")
    outside_unemployment_rate: float = param(
        0.05, 0.02, 0.10, unit="share", label="Unemployment outside Hunan", source="assumption",
        kind="assumption")
    initial_unemployment_rate: float = param(
        0.057, 0.03, 0.08, unit="share", label="Urban unemployment in 2010",
        source="calibrated: the model's own level after its first labour market (5.6-5.7 %), so that the 2010 "
               "state is in equilibrium with the labour-market flows and 2011 shows no start-up jump (issue 18; "
               "no 2010 surveyed rate exists; the plan's 2020 surveyed rate is 5.8 %)",
        kind="calibrated")
    industry_transfer_rate: float = param(
        0.03, 0.0, 0.1, unit="share of 2010 manufacturing demand per year at full incentive",
        label="Industry transfer into cities that offer incentives",
        source="assumption: manufacturing demand drawn from outside Hunan by the industry-transfer lever",
        kind="assumption")
    workers_per_firm: float = param(
        20.0, 5.0, 50.0, unit="workers per establishment", label="Workers per establishment (firm counts)",
        source="assumption: only turns labour demand into reported establishment counts", kind="assumption")

    # --- migration choice (random utility, money-metric in 10k yuan per person per year) -----------------
    review_rate: float = param(
        0.044, 0.03, 0.5, unit="share per year", label="Households reconsidering where to live",
        source="calibrated", kind="calibrated")
    taste_scale: float = param(
        0.7425, 0.05, 2.0, unit="10k yuan", label="Scale of idiosyncratic tastes (σ)", source="calibrated",
        kind="calibrated")
    moving_cost_fixed: float = param(
        0.649, 0.0, 5.0, unit="10k yuan per year (annualised)", label="Fixed moving cost (c₀)",
        source="calibrated", kind="calibrated")
    moving_cost_per_hour: float = param(
        0.1004, 0.0, 0.6, unit="10k yuan per hour of travel", label="Moving cost per hour of travel (c₁)",
        source="calibrated; inter-provincial flows fall with distance (Gu et al. 2022, Acta Geographica "
               "Sinica 77(12):3041)", kind="calibrated")
    home_attachment: float = param(
        2.9097, 0.0, 3.0, unit="10k yuan", label="Attachment to the hukou place", source="calibrated",
        kind="calibrated")
    network_weight: float = param(
        0.0554, 0.0, 0.6, unit="10k yuan per log share", label="Pull of migrant networks (chain migration)",
        source="calibrated", kind="calibrated")
    service_value: float = param(
        0.9, 0.0, 1.5, unit="10k yuan per person per year", label="Value of full urban public services",
        source="calibrated; pre-calibration value from how much the 2016 reform bends the 2010-2020 path "
               "(docs/ODD.md, calibration procedure)", kind="calibrated")
    schooling_value: float = param(
        0.6, 0.0, 2.0, unit="10k yuan per person per year", label="Value of schooling for households with children",
        source="calibrated", kind="calibrated")
    settle_prospect_weight: float = param(
        0.8, 0.0, 1.0, unit="share", label="Weight newcomers give to the chance of settling later",
        source="calibrated; pre-calibration value from how much the 2016 reform bends the 2010-2020 path "
               "(docs/ODD.md, calibration procedure)", kind="calibrated")
    urban_amenity: float = param(
        1.7797, -2.0, 2.0, unit="10k yuan", label="Amenity of Hunan's cities vs countryside",
        source="calibrated", kind="calibrated")
    capital_amenity: float = param(
        0.7228, 0.0, 3.0, unit="10k yuan", label="Extra amenity of Changsha, the provincial capital",
        source="calibrated: Changsha's share of Hunan's population rose from 10.72 % to 15.12 % (census 2010, 2020)",
        kind="calibrated")
    outside_amenity: float = param(
        2.0, -2.0, 2.0, unit="10k yuan", label="Amenity of living outside Hunan", source="calibrated",
        kind="calibrated")
    other_province_inflow: float = param(
        0.006, 0.0, 0.02, unit="arriving households per urban household in Hunan per year",
        label="Arrivals from other provinces",
        source="calibrated: residents registered in another province, per division, census 2020 (the 2010 stock "
               "of 0.74 M would otherwise only shrink)", kind="calibrated")
    rural_entry_cost: float = param(
        5.0, 0.0, 10.0, unit="10k yuan", label="Cost of settling in a village other than one's hukou village",
        source="assumption: farming needs land rights, so moves into other villages are rare (the census gives no "
               "rural in-migration by origin); 0 removes this friction", kind="assumption")
    land_rent_share: float = param(
        0.15, 0.0, 0.4, unit="share of farm income", label="Farm income kept by absent land holders (transfers)",
        source="assumption", kind="assumption")
    review_unemployed_factor: float = param(
        2.0, 1.0, 4.0, unit="multiplier of the review rate", label="Unemployed households reconsidering more often",
        source="assumption: age and employment profile of migration in CMDS reports (docs/ODD.md)",
        kind="assumption")
    review_young_factor: float = param(
        1.5, 1.0, 3.0, unit="multiplier of the review rate", label="Households with a head under 35 reconsidering "
        "more often", source="assumption: age profile of migration in CMDS reports (docs/ODD.md)",
        kind="assumption")
    review_old_factor: float = param(
        0.4, 0.1, 1.0, unit="multiplier of the review rate", label="Households with a head 55 or over "
        "reconsidering less often", source="assumption: age profile of migration in CMDS reports (docs/ODD.md)",
        kind="assumption")
    renovation_amenity: float = param(
        0.5, 0.0, 1.5, unit="10k yuan", label="Amenity of renovating every urban household's home",
        source="assumption: old-community and shantytown renovation (plan lever) raises a city's amenity in "
               "proportion to the share of its households renovated", kind="assumption")

    # --- public services (share of urban hukou holders' services) -----------------------------------------
    rural_general_access: float = param(
        0.5, 0.0, 1.0, unit="share of urban hukou holders' services", label="General services in the countryside",
        source="assumption (docs/ODD.md): villagers at home get half the health, housing and training services",
        kind="assumption")
    rural_school_access: float = param(
        1.0, 0.0, 1.0, unit="share of urban hukou holders' schooling", label="Schooling in the countryside",
        source="assumption (docs/ODD.md): village schools count as full schooling access", kind="assumption")
    outside_general_access: float = param(
        0.2, 0.0, 1.0, unit="share of hukou holders' services", label="General services for migrants outside Hunan",
        source="assumption (docs/ODD.md)", kind="assumption")
    outside_school_access: float = param(
        0.3, 0.0, 1.0, unit="share of hukou holders' schooling", label="Schooling for migrants outside Hunan",
        source="assumption (docs/ODD.md)", kind="assumption")

    # --- residence permits and settlement ---------------------------------------------------------------
    permit_apply_rate: float = param(
        0.4, 0.05, 0.9, unit="share per year of eligible non-holders", label="Residence-permit uptake",
        source="calibrated", kind="calibrated")
    settle_intercept: float = param(
        -0.0798, -6.0, 2.0, unit="log-odds", label="Willingness to transfer hukou (intercept of the latent index)",
        source="calibrated; CMDS 2016: about 30 % of migrants willing to transfer hukou", kind="calibrated")
    settle_speed: float = param(
        0.3559, 0.05, 1.0, unit="share per year", label="Eligible, willing migrants who settle each year",
        source="calibrated", kind="calibrated")
    citizenisation_cost: float = param(
        0.5, 0.0, 2.0, unit="10k yuan per person-year", label="Public cost of citizenisation borne by the migrant "
        "when governments bear none", source="assumption (the plan asks for the cost to be shared, without numbers)",
        kind="assumption")
    settle_service_weight: float = param(
        2.0, 0.0, 6.0, unit="log-odds per 10k yuan of service gain", label="Weight of service gain in settling",
        source="calibrated", kind="calibrated")
    homestead_settle_penalty: float = param(
        0.12, 0.0, 0.4, unit="relative reduction", label="Homestead holders unwilling to give it up to settle",
        source="Gu et al. 2020, Habitat International, doi 10.1016/j.habitatint.2020.102267 (about 12 %)",
        kind="sourced")
    collective_income: float = param(
        0.0166, 0.0, 0.2, unit="10k 2010 yuan per person per year",
        label="Collective income of a rural member (集体收益分配)",
        source="Hunan rural residents' net property income per person, 2014: 166 yuan (湖南省统计局, "
               "calibration/data/citizenisation_costs.csv), an upper bound: it includes rents and interest besides "
               "collective distributions; taken as 2010 yuan without deflating", kind="sourced")
    land_rights_years: float = param(
        30.0, 10.0, 60.0, unit="years", label="Years over which a paid exit of land rights is spread",
        source="assumption: the contract term of arable land, 30 years (Rural Land Contracting Law, art. 21); "
               "the compensation is spread over it undiscounted to compare it with the rights' yearly income",
        kind="assumption")
    outside_settle_rate: float = param(
        0.0462, 0.0, 0.08, unit="share per year", label="Hukou transfers out of Hunan by migrants outside",
        source="calibrated: fitted to the registered (hukou) population at the 2020 census, 73.00 M "
               "(`python -m calibration.levels`, issue 18). The reported births and deaths imply about 3.7 M "
               "natural increase over 2011-2020 against 2.1 M growth of the registered population, so about "
               "3 M Hunan-registered persons transfer their hukou out of Hunan (or the reported births are high; "
               "the [validation] recalibration states the reconciliation)", kind="calibrated")
    settle_open_years: float = param(
        3.0, 1.0, 10.0, unit="years", label="Residence or insurance years that halve a city's openness",
        source="assumption (docs/ODD.md): openness of settlement to a newcomer is 1 / (1 + years required / this) "
               "for each of the residence and insurance conditions", kind="assumption")
    settle_open_rented_home: float = param(
        0.8, 0.0, 1.0, unit="factor", label="Openness of settlement when a stable (rented) home is required",
        source="assumption (docs/ODD.md)", kind="assumption")
    settle_open_owned_home: float = param(
        0.5, 0.0, 1.0, unit="factor", label="Openness of settlement when an owned home is required",
        source="assumption (docs/ODD.md)", kind="assumption")
    settle_open_job: float = param(
        0.8, 0.0, 1.0, unit="factor", label="Openness of settlement when a job is required",
        source="assumption (docs/ODD.md)", kind="assumption")
    migrant_insurance_share: float = param(
        0.5, 0.0, 1.0, unit="share of employed years", label="Migrants' employed years with social insurance",
        source="assumption: migrants in cities contribute in this share of their employed years; locals always",
        kind="assumption")

    # --- housing -------------------------------------------------------------------------------------------
    rent_to_income_2010: float = param(
        0.15, 0.05, 0.35, unit="share of urban income", label="Market rent relative to urban income in 2010",
        source="assumption", kind="assumption")
    housing_price_elasticity: float = param(
        0.31, 0.05, 0.5, unit="% price per % population inflow", label="Housing cost response to inflow (η)",
        source="Sustainability 10(9):3169: about 0.31 nationally, weaker in central China", kind="sourced")
    land_supply_effect: float = param(
        0.5, 0.0, 1.0, unit="elasticity", label="Housing cost relief from linked land quota",
        source="assumption", kind="assumption")
    price_to_rent_years: float = param(
        25.0, 15.0, 45.0, unit="years of rent", label="House price in years of rent", source="assumption",
        kind="assumption")
    down_payment_share: float = param(
        0.3, 0.2, 0.5, unit="share of price", label="Down payment", source="assumption", kind="assumption")
    saving_rate: float = param(
        0.25, 0.1, 0.45, unit="share of income", label="Household saving rate", source="assumption",
        kind="assumption")
    buy_rate: float = param(
        0.15, 0.02, 0.4, unit="share per year of renters who can afford", label="Home purchase rate",
        source="calibrated", kind="calibrated")
    public_rent_discount: float = param(
        0.5, 0.2, 0.9, unit="share of market rent", label="Public rental rent relative to market",
        source="assumption", kind="assumption")
    dormitory_share: float = param(
        0.3, 0.0, 0.7, unit="share of migrant manufacturing workers", label="Employer dormitories",
        source="assumption", kind="assumption")
    shared_ownership_down_share: float = param(
        0.5, 0.1, 1.0, unit="share of the full down payment", label="Down payment of a shared-ownership home",
        source="assumption: the buyer pays part of the down payment, the government holds the rest", kind="assumption")
    rent_floor: float = param(
        0.5, 0.1, 1.0, unit="ratio to last year's rent (before income growth)", label="Largest fall of rents in a year",
        source="assumption: rents fall at most by half in a year however many people leave", kind="assumption")
    public_rental_unit_cost: float = param(
        25.0, 10.0, 60.0, unit="10k yuan per unit", label="Cost of one public rental unit (2010 yuan)",
        source="assumption: turns fiscal transfers for settlers into public rental units", kind="assumption")
    floor_space_per_person: float = param(
        34.69, 25.0, 45.0, unit="m² per person", label="Floor space per person (land quota into housing supply)",
        source="6th census 2010, Hunan province row: 34.69 m² per person", kind="sourced")

    # --- city governments (budgets, school places, land quota) ---------------------------------------------
    school_build_rate: float = param(
        0.3, 0.0, 1.0, unit="share per year", label="Share of a city's school-place shortfall it closes a year",
        source="assumption: cities expand public-school places for migrant children with a lag; check: 79.67 % "
               "of migrant children in compulsory education attended public schools in 2017 (China, "
               "calibration/data/citizenisation_costs.csv)", kind="assumption")
    school_place_cost: float = param(
        3.61, 1.0, 10.0, unit="10k 2010 yuan per place", label="Cost of a public-school place funded by transfers",
        source="assumption: a pupil's nine years of compulsory schooling at the 2010 public spending per primary "
               "pupil, 4,012.51 yuan (national 教育经费执行情况统计公告, calibration/data/citizenisation_costs.csv); "
               "a place bought once stays", kind="assumption")
    citizenisation_cost_total: float = param(
        16.43, 5.0, 30.0, unit="10k 2010 yuan per person", label="Public cost of settling one migrant",
        source="邓吉祥 2017 (安徽农业科学): 16.43万元 per person for 环长株潭, 2010 prices "
               "(calibration/data/citizenisation_costs.csv)", kind="sourced")
    government_response: float = param(
        0.5, 0.0, 2.0, unit="speed-up per unit of incentive", label="City governments' response to 人钱挂钩",
        source="assumption: a city processes settlement faster by this times the transfer per settler relative "
               "to the governments' share of its cost (no transfers, no change)", kind="assumption")
    land_supply_lag: float = param(
        2.0, 1.0, 5.0, unit="years (whole years; a fraction is dropped)", label="Years from land quota to housing "
        "supply", source="assumption: land granted in year t lowers rents in year t + this many years",
        kind="assumption")
    construction_land_cap_km2: float = param(
        120.8, 0.0, 1000.0, unit="km² per year", label="Province's cap on new construction land",
        source="plan indicator 8: 新增建设用地面积 < 604 km² over 2021-2025 (seed line 94), 120.8 a year; the "
               "quota for settlers cannot exceed all new construction land", kind="sourced")

    # --- geography ------------------------------------------------------------------------------------------
    outside_road_hours: float = param(
        4.5, 3.0, 8.0, unit="hours", label="Road time from Chenzhou to the Pearl River Delta",
        source="assumption (no travel time to Guangdong in the data)", kind="assumption")
    outside_rail_hours: float = param(
        1.5, 1.0, 3.0, unit="hours", label="Rail time from Chenzhou to the Pearl River Delta (京广 HSR)",
        source="assumption (no travel time to Guangdong in the data)", kind="assumption")
    station_access_hours: float = param(
        0.5, 0.0, 1.5, unit="hours", label="Access time added to each rail trip", source="assumption",
        kind="assumption")
    czt_metro_factor: float = param(
        0.7, 0.4, 1.0, unit="factor on rail hours", label="Rail times among Changsha, Zhuzhou and Xiangtan when "
        "the intercity line runs like a metro", source="assumption (docs/ODD.md): frequent trains and more "
        "stations cut both the ride and the wait", kind="assumption")

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.generic):
                value = _plain(value)
                object.__setattr__(self, f.name, value)  # frozen: store the plain Python number
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise InputError(field=f.name, value=value, allowed="a finite number", source="parameters")
            low, high = f.metadata["low"], f.metadata["high"]
            if not low <= value <= high:
                raise InputError(field=f.name, value=value, allowed=f"{low} to {high} {f.metadata['unit']}",
                                 source="parameters")

    def replace(self, **changes: float) -> ModelParameters:
        """Return a copy with some values changed (validated); unknown names are refused."""
        unknown = sorted(set(changes) - set(parameter_names()))
        if unknown:
            raise InputError(field=unknown[0], value=changes[unknown[0]],
                             allowed="one of " + ", ".join(parameter_names()), source="parameters")
        return dataclasses.replace(self, **{k: _as_float(k, v) for k, v in changes.items()})

    def as_dict(self) -> dict[str, float]:
        """The parameter values by name."""
        return dataclasses.asdict(self)


def _as_float(name: str, value: Any) -> float:
    """A parameter value as a float, refused (not crashed on) when it is not a number or is too large for one."""
    value = _plain(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(field=name, value=value, allowed="a finite number", source="parameters")
    try:
        return float(value)
    except OverflowError:  # an int beyond float's range (a 400-digit number)
        spec = next(f.metadata for f in dataclasses.fields(ModelParameters) if f.name == name)
        raise InputError(field=name, value=value, allowed=f"{spec['low']} to {spec['high']} {spec['unit']}",
                         source="parameters") from None


def parameter_names() -> list[str]:
    """Names of all behavioural parameters, in declaration order."""
    return [f.name for f in dataclasses.fields(ModelParameters)]


def parameter_specs() -> dict[str, dict[str, Any]]:
    """Each parameter's metadata (default, low, high, unit, label, source, kind) by name."""
    return {f.name: {"default": f.default, **f.metadata} for f in dataclasses.fields(ModelParameters)}


# --------------------------------------------------------------------------------------------------------
# Policy levers
# --------------------------------------------------------------------------------------------------------

LeverGroup = Literal["hukou", "permit", "housing", "land_fiscal", "transport", "industry"]
LEVER_GROUPS: tuple[LeverGroup, ...] = ("hukou", "permit", "housing", "land_fiscal", "transport", "industry")


@dataclass(frozen=True, kw_only=True)
class Lever:
    """A policy lever of the plan.

    Attributes:
        name: name in code, scenario files, the UI and output columns.
        group: the plan's group of measures it belongs to.
        scope: ``city`` (one value per division, may differ by city) or ``province`` (one value).
        kind: ``float``, ``int`` or ``bool``.
        default: the value in 2010 when no scenario says otherwise.
        low: lowest allowed value.
        high: highest allowed value.
        unit: unit.
        label_en: English label.
        label_zh: Chinese label.
        help_en: what it does in the model.
        choices: for coded levers, the meaning of each integer value.
    """

    name: str
    group: LeverGroup
    scope: Literal["city", "province"]
    kind: Literal["float", "int", "bool"]
    default: float
    low: float
    high: float
    unit: str
    label_en: str
    label_zh: str
    help_en: str
    choices: tuple[str, ...] = ()

    def validate(self, value: Any, *, source: str = "scenario") -> float:
        """Check a value for this lever and return it as a float (bools as 0/1).

        numpy scalars are accepted as the Python numbers they hold (EMA Workbench passes ``np.int64``).
        """
        value = _plain(value)
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise InputError(field=self.name, value=value, allowed="true or false", source=source)
            return float(value)
        allowed = f"{self.low:g} to {self.high:g} {self.unit}".rstrip()
        if self.choices:
            allowed += " (" + ", ".join(f"{i} = {c}" for i, c in enumerate(self.choices)) + ")"
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(field=self.name, value=value, allowed=f"a number from {allowed}", source=source)
        # the range first, compared exactly: a 400-digit int is refused here instead of overflowing float();
        # NaN fails every comparison and infinities fail the range
        if not self.low <= value <= self.high:
            raise InputError(field=self.name, value=value, allowed=allowed, source=source)
        if self.kind == "int" and float(value) != int(value):
            raise InputError(field=self.name, value=value, allowed=f"a whole number from {self.low:g} to "
                             f"{self.high:g}", source=source)
        return float(value)


HOUSING_CONDITIONS = ("none", "any stable home incl. rented", "owned home")

_LEVER_LIST: list[Lever] = [
    # --- hukou settlement (户籍) ---------------------------------------------------------------------------
    Lever(name="settlement_min_years", group="hukou", scope="city", kind="int", default=0, low=0, high=10,
          unit="years", label_en="Years of residence required to settle", label_zh="落户所需连续居住年限",
          help_en="A migrant may transfer hukou to the city only after living there this many years."),
    Lever(name="settlement_min_insurance_years", group="hukou", scope="city", kind="int", default=0, low=0,
          high=10, unit="years", label_en="Years of social insurance required to settle",
          label_zh="落户所需城镇社保缴纳年限",
          help_en="Years of urban social insurance contributions required to settle."),
    Lever(name="settlement_housing_condition", group="hukou", scope="city", kind="int", default=0, low=0,
          high=2, unit="code", label_en="Housing required to settle", label_zh="落户住所条件",
          help_en="0: none; 1: any legal stable home, rented included; 2: an owned home.",
          choices=HOUSING_CONDITIONS),
    Lever(name="settlement_requires_job", group="hukou", scope="city", kind="bool", default=False, low=0,
          high=1, unit="", label_en="Stable job required to settle", label_zh="落户需合法稳定就业",
          help_en="Only employed migrants may settle."),
    Lever(name="czt_mutual_recognition", group="hukou", scope="province", kind="bool", default=False, low=0,
          high=1, unit="", label_en="Changsha-Zhuzhou-Xiangtan mutual recognition of residence years",
          label_zh="长株潭户籍准入年限同城化累计互认",
          help_en="Years lived in any of the three cities count toward settling in the others."),
    Lever(name="keep_land_rights", group="hukou", scope="province", kind="bool", default=False, low=0, high=1,
          unit="", label_en="Settlers in Hunan's cities keep rural land rights", label_zh="进城落户保留农村“三权”",
          help_en="If false, settling in a Hunan city means giving up contract land, homestead and collective "
                  "income rights. The law keeps them from 2016 (国发〔2016〕44号; Rural Land Contracting Law art. 27), "
                  "in the baseline too."),
    Lever(name="land_exit_compensation", group="hukou", scope="province", kind="float", default=0.0, low=0.0,
          high=30.0, unit="10k yuan per household", label_en="Paid voluntary exit of land rights",
          label_zh="“三权”自愿有偿退出补偿",
          help_en="Compensation paid to settlers who give up land rights. Where they keep them, settlers whose "
                  "compensation per person-year exceeds their rights' income (by their attachment) exit "
                  "voluntarily (自愿有偿退出)."),
    # --- residence permit (居住证) -------------------------------------------------------------------------
    Lever(name="permit_min_years", group="permit", scope="city", kind="int", default=1, low=0, high=5,
          unit="years", label_en="Years of residence before a permit", label_zh="申领居住证居住年限",
          help_en="Years a migrant must have lived in the city to obtain a residence permit."),
    Lever(name="permit_schooling_share", group="permit", scope="city", kind="float", default=0.0, low=0.0,
          high=1.0, unit="share of hukou holders' access", label_en="Permit: schooling for migrant children",
          label_zh="居住证：随迁子女义务教育",
          help_en="Access of permit holders' children to public schools, as a share of hukou holders'."),
    Lever(name="permit_health_share", group="permit", scope="city", kind="float", default=0.0, low=0.0,
          high=1.0, unit="share of hukou holders' access", label_en="Permit: health care",
          label_zh="居住证：基本医疗卫生", help_en="Health services for permit holders as a share of hukou holders'."),
    Lever(name="permit_housing_share", group="permit", scope="city", kind="float", default=0.0, low=0.0,
          high=1.0, unit="share of hukou holders' eligibility", label_en="Permit: public housing eligibility",
          label_zh="居住证：住房保障", help_en="Eligibility of permit holders for public rental housing; "
          "it counts only as far as the city's rental units could house its renters."),
    Lever(name="permit_training_share", group="permit", scope="city", kind="float", default=0.0, low=0.0,
          high=1.0, unit="share of hukou holders' access", label_en="Permit: job training",
          label_zh="居住证：职业技能培训", help_en="Job training for permit holders; raises their chance of a job."),
    Lever(name="public_service_investment", group="permit", scope="city", kind="float", default=0.0, low=0.0,
          high=1.0, unit="share of the service gap closed", label_en="Public-service investment (schools, hospitals)",
          label_zh="公共服务补短板（学校、医院）",
          help_en="Share of the gap in public services closed by building schools and hospitals: residents "
                  "without local hukou get that share of what they lack at the place, and the villagers of its "
                  "counties that share of what they lack at home (县城补短板 when scoped to county towns)."),
    Lever(name="migrant_school_access", group="permit", scope="city", kind="float", default=0.5, low=0.0,
          high=1.0, unit="share", label_en="Public-school access of migrant children without a permit",
          label_zh="无居住证随迁子女公办学校就读",
          help_en="Share of hukou holders' school access that migrant children get without a permit."),
    # --- housing (住房) ------------------------------------------------------------------------------------
    Lever(name="public_rental_units_per_year", group="housing", scope="city", kind="float", default=0.0,
          low=0.0, high=100000.0, unit="units per year", label_en="Public rental units started per year",
          label_zh="每年新开工公共租赁住房（套）",
          help_en="New public rental (公租房) units per year; allocated to eligible low-income households."),
    Lever(name="affordable_rental_units_per_year", group="housing", scope="city", kind="float", default=0.0,
          low=0.0, high=100000.0, unit="units per year", label_en="Affordable rental units per year",
          label_zh="每年新增保障性租赁住房（套）",
          help_en="Affordable rental housing (保障性租赁住房) for new citizens, open to permit holders."),
    Lever(name="shared_ownership_units_per_year", group="housing", scope="city", kind="float", default=0.0,
          low=0.0, high=50000.0, unit="units per year", label_en="Shared-ownership homes per year",
          label_zh="每年共有产权住房（套）",
          help_en="Homes sold at half the down payment to renters who could not otherwise buy."),
    Lever(name="renovation_units_per_year", group="housing", scope="city", kind="float", default=0.0, low=0.0,
          high=100000.0, unit="units per year", label_en="Old-community and shantytown renovation",
          label_zh="每年老旧小区和棚户区改造（套）",
          help_en="Renovated units raise the city's amenity for all residents."),
    # --- land and fiscal (人地钱挂钩) -------------------------------------------------------------------------
    Lever(name="land_quota_per_settler", group="land_fiscal", scope="city", kind="float", default=0.0,
          low=0.0, high=200.0, unit="m² of construction land per settled person",
          label_en="Land quota per settled migrant", label_zh="人地挂钩：每落户一人新增建设用地",
          help_en="Construction land granted per settled migrant, within the province's cap on new "
                  "construction land; it expands housing supply (lowers rents) after land_supply_lag years."),
    Lever(name="transfer_per_settler", group="land_fiscal", scope="city", kind="float", default=0.0, low=0.0,
          high=10.0, unit="10k yuan per settled person", label_en="Fiscal transfer per settled migrant",
          label_zh="人钱挂钩：每落户一人财政转移支付",
          help_en="Transfer per settled migrant to the city: it builds the public-school places the city lacks, "
                  "then public rental units, and the city processes settlement faster (government_response)."),
    Lever(name="government_cost_share", group="land_fiscal", scope="province", kind="float", default=0.7,
          low=0.0, high=1.0, unit="share", label_en="Government share of citizenisation cost",
          label_zh="市民化成本政府分担比例",
          help_en="Share of the public cost of a settled migrant borne by governments (the rest by firms and "
                  "migrants); a higher share lowers the migrant's cost of settling and so raises willingness."),
    # --- transport (交通) ------------------------------------------------------------------------------------
    Lever(name="czt_metro_operation", group="transport", scope="province", kind="bool", default=False, low=0,
          high=1, unit="", label_en="Changsha-Zhuzhou-Xiangtan intercity rail run like a metro",
          label_zh="长株潭城际铁路公交化运营",
          help_en="Cuts rail door-to-door times (ride and station access) among the three cities by 30 % "
                  "(assumption); it changes moving costs only where rail then beats the road."),
    # rail line opening years are added below from calibration/data/rail_lines.csv
    # --- industry (产业转移) ---------------------------------------------------------------------------------
    Lever(name="industry_transfer_incentive", group="industry", scope="city", kind="float", default=0.0,
          low=0.0, high=1.0, unit="index 0-1", label_en="Incentive for relocating manufacturing",
          label_zh="承接产业转移激励",
          help_en="Draws manufacturing jobs from outside Hunan (chiefly the Pearl River Delta) to the city."),
    Lever(name="industrial_park_jobs_per_year", group="industry", scope="city", kind="float", default=0.0, low=0.0,
          high=100000.0, unit="jobs per year", label_en="Industrial-park jobs added per year",
          label_zh="产业园区每年新增就业岗位",
          help_en="Manufacturing jobs that industrial parks add each year (cumulative) in the city's places, "
                  "spread over them by their 2010 urban residents; they raise the job chance there (县城产业园区 "
                  "when scoped to county towns)."),
]

NEVER = NEVER_YEAR  # opening year meaning "not built in this scenario" (the calendar's "never", sim/years.py)


def _rail_levers() -> list[Lever]:
    from sim.data import load_rail_lines  # local import: data loading needs the lever list only lazily

    levers = []
    for row in load_rail_lines().itertuples():
        default = row.opened_year if row.opened_year <= LAST_OBSERVED_YEAR else NEVER
        levers.append(Lever(
            name=f"open_year_{row.line_id}", group="transport", scope="province", kind="int",
            default=default, low=1990, high=NEVER, unit="year (9999 = never)",
            label_en=f"Opening year: {row.line_en}", label_zh=f"开通年份：{row.line_zh}",
            help_en=f"Year the line opens ({row.divisions_served.replace(';', ', ')}); 9999 means never."))
    return levers


class _LeverTable(Mapping[str, Lever]):
    """The levers by name, in declaration order, built on first use.

    The rail levers come from a data file; building the table when it is first read rather than when this module
    is imported keeps imports free of file reads (issue 14: a tool that only imports the package, or a worker
    unpickling a parameter set, never touches the data folder).
    """

    @functools.cached_property
    def _table(self) -> dict[str, Lever]:
        return {lever.name: lever for lever in _LEVER_LIST + _rail_levers()}

    def __getitem__(self, name: str) -> Lever:
        return self._table[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)


#: The plan's levers by name (declaration order; a read-only mapping, filled on first use).
LEVERS: Mapping[str, Lever] = _LeverTable()


def lever_names(group: LeverGroup | None = None) -> list[str]:
    """Names of the levers, optionally of one group, in declaration order."""
    return [n for n, lv in LEVERS.items() if group is None or lv.group == group]
