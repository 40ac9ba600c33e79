"""The Hunan city-cluster model: households, firms and governments on a network of Hunan's cities.

One step is one year (the census, the provincial series and the plan's targets are all annual, and
migrants' decisions follow the yearly Spring Festival cycle). The model starts from the 2010 census
(state at the end of 2010) and runs to 2035, the plan's horizon.

``HunanModel.step`` reads like the model's flowchart; each stage is a method below and the behaviour it
calls lives with the agents (``agents/``) and markets (``sim/markets.py``).
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np
import pandas as pd

from agents.firms import FarmSector, SectorFirms, city_wage
from agents.governments import CityGovernment, CityRules, ProvincialGovernment
from agents.households import (
    EMPTY,
    WORKING_AGE_FROM,
    ChoiceContext,
    Education,
    Employment,
    Households,
    Sector,
    Tenure,
    apply_for_permits,
    choose_destinations,
    refresh_members,
    city_migrants,
    voluntary_land_exit,
    working_age_members,
    settlers,
)
from sim import markets
from sim.concurrency import parallel_for, soon
from sim.memory import keep_freed_memory
from sim.demography import VitalRates, step_members, young_adult_slot
from sim.data import (DIVISION_EFFECT_PARTS, division_fertility_2010, load_counties_2010_on_2020, load_division_effects,
                      load_divisions,
                      load_place_effects, load_region_income_2015, PlaceEffects)
from sim.errors import InputError
from sim.indicators import compute_indicators
from sim.parameters import ModelParameters
from sim.population import estimate_memory_bytes, synthesise_population
from sim.scenario import Policy, Scenario, check_policy_start
from sim.places import N_DIVISIONS, OUTSIDE_DIV
from sim.world import NETWORKS, World
from sim.years import PLAN_END_YEAR, POLICY_START_YEAR
from sim.years import START_YEAR  # re-exported: callers read sim.model.START_YEAR

#: The capital, whose urban place gets ``capital_amenity``.
CAPITAL = "Changsha"
#: Coarsest scale allowed: about 190 household records for Hunan's 18.6 M households.
MAX_SCALE = 100_000
#: Memory the scale guard allows by default (bytes): 20 GiB of this 24 GiB machine.
DEFAULT_MEMORY_LIMIT = 20 * 2**30


#: By tenure: market or public renters (the households public rental housing relieves).
_RENTS = np.array([t in (Tenure.MARKET_RENT, Tenure.PUBLIC_RENTAL) for t in range(len(Tenure))])

#: Province indicators collected by the model's Mesa DataCollector.
HEADLINE = ("urbanization_rate", "hukou_urbanization_rate", "czt_urban_share", "urban_unemployment_rate",
            "urban_rural_income_ratio", "population", "outside_hunan_population", "settled_migrants",
            "permit_holders")


#: Indicators collected for every region (each division, and any finer region the indicator table gives) by
#: the DataCollector as ``{region: value}`` dicts, under ``<indicator>_by_region``.
BY_REGION = ("urbanization_rate", "population", "urban_population", "urban_unemployment_rate",
             "urban_rural_income_ratio", "settled_migrants", "permit_holders")


def _reporter(name: str):
    def report(model: HunanModel) -> float:
        return model.latest[name]
    report.__name__ = name
    return report


def _region_reporter(name: str):
    # a dict reporter: Mesa stores the dict in one cell; regions are whatever the indicator table holds this year
    def report(model: HunanModel) -> dict[str, float]:
        return dict(model.latest_by_region.get(name, {}))
    report.__name__ = f"{name}_by_region"
    return report


def by_region_table(model_vars: pd.DataFrame, names: tuple[str, ...] = BY_REGION) -> pd.DataFrame:
    """The DataCollector's ``<indicator>_by_region`` columns as a tidy table ``year, region, indicator, value``.

    Args:
        model_vars: ``model.datacollector.get_model_vars_dataframe()`` (or a Mesa ``batch_run`` result as a
            DataFrame; its other columns, e.g. ``RunId``, ``rng`` or swept levers, are kept).
        names: the indicators to unpack (default :data:`BY_REGION`).
    """
    keep = [c for c in model_vars.columns if not c.endswith("_by_region") and c not in HEADLINE and c != "year"]
    frames = []
    for name in names:
        col = f"{name}_by_region"
        if col not in model_vars.columns:
            continue
        wide = pd.DataFrame(model_vars[col].tolist(), index=model_vars.index)
        part = pd.concat([model_vars[["year", *keep]], wide], axis=1).melt(
            id_vars=["year", *keep], var_name="region", value_name="value")
        part.insert(part.columns.get_loc("region") + 1, "indicator", name)
        frames.append(part)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["year", *keep, "region", "indicator", "value"])


class HunanModel(mesa.Model):
    """Urbanization of Hunan's 14 divisions under the 14th five-year plan's levers.

    Args:
        scenario: a :class:`~sim.scenario.Scenario`, or the name of a file in ``scenarios/``.
        params: behavioural parameters (default: the calibrated posterior median when it exists).
        scale: households per agent record (``households_per_agent``; 1 = one record per real household).
        rng: seed (an ``int``) or generator; everything random in the model draws from ``self.rng``.
        end_year: the year after which ``running`` turns False (for Mesa's batch_run and SolaraViz).
        memory_limit: bytes the run may use; a scale that would need more is refused before building.
        division_effects: calibrated effects of each division (default ``calibration/division_effects.json``).
        levers: lever values on top of the scenario, in force from ``policy_start`` (``{lever: value}`` or
            ``{lever: {city: value}}``), so that Mesa's ``batch_run`` can sweep them directly.
        policy_start: first year ``levers`` apply (default the year after the calibration period, 2021:
            the calibrated history 2010-2020 is the same whatever the levers).
        **parameters: behavioural parameters by name (:class:`~sim.parameters.ModelParameters` fields), on top
            of ``params``; e.g. ``HunanModel(taste_scale=1.2)``.
        network: the network of places, ``county`` (central cities, county towns and villages; issue 17) or
            ``division`` (an urban and a rural place per division, the model before issue 17).
        place_effects: calibrated effects of the county network's places (default: the shipped file's).

    Attributes:
        year: the simulated year (2010 after construction).
        households: the household table (:class:`agents.households.Households`).
        world: places and the transport network (:class:`sim.world.World`).
        policy_scenario: the scenario (named apart from Mesa's own ``Model.scenario``).
        policy: the levers in force this year (read-only: the provincial government's ``levers``).
        city_rules: this year's permit and settlement rules, published by the city governments
            (:class:`agents.governments.CityRules`); households ask their city through it.
        indicator_rows: the tidy output rows collected so far.
        flow_rows: origin-destination moves per year.
    """

    def __init__(self, *, scenario: Scenario | str = "baseline", params: ModelParameters | None = None,
                 scale: float = 100, rng: int | np.random.Generator | None = None, end_year: int = PLAN_END_YEAR,
                 memory_limit: float = DEFAULT_MEMORY_LIMIT, division_effects: np.ndarray | None = None,
                 network: str = "county", place_effects: PlaceEffects | None = None,
                 levers: dict[str, Any] | None = None, policy_start: int = POLICY_START_YEAR,
                 **parameters: float) -> None:
        if isinstance(rng, str | float) or isinstance(rng, bool):
            raise InputError(field="seed", value=rng, allowed="a whole number", source="model")
        if rng is not None and not isinstance(rng, np.random.Generator):
            rng = int(rng)  # Mesa refuses numpy integers (STACK.md)
        super().__init__(rng=rng)
        keep_freed_memory()  # the year's large temporaries reuse freed memory (sim/memory.py: 30 % faster at 1:1)
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 1 <= scale <= MAX_SCALE:
            raise InputError(field="scale", value=scale, source="model",
                             allowed=f"households per agent, a number from 1 to {MAX_SCALE:,} (coarser scales leave "
                                     "too few household records)")
        need = estimate_memory_bytes(scale)
        if need > memory_limit:
            raise InputError(field="scale", value=scale, source="model",
                             allowed=f"a scale whose estimated memory ({need / 2**30:.1f} GiB) fits the limit "
                                     f"({memory_limit / 2**30:.1f} GiB); try a larger households-per-agent")
        if params is None:
            from sim.parameters_default import default_parameters

            params = default_parameters()
        if parameters:
            params = params.replace(**parameters)
        self.params = params
        self.division_effects = self._check_division_effects(division_effects)
        self.scale = float(scale)
        self.policy_scenario = scenario if isinstance(scenario, Scenario) else Scenario.load(scenario)
        self.policy_start = check_policy_start(policy_start, source="model")
        if levers:
            self.policy_scenario = self.policy_scenario.with_levers(levers, from_year=self.policy_start,
                                                                    source="levers")
        self.year = START_YEAR
        if network not in NETWORKS:
            raise InputError(field="network", value=network, source="model", allowed=" or ".join(NETWORKS))
        self.world = World.build(network)
        self.places = self.world.places
        self.place_effects = self._check_place_effects(place_effects)
        counties = load_counties_2010_on_2020()
        self.county_is_district = counties.is_district.to_numpy()
        self.county_division = counties.division.to_numpy()
        factor = self.place_effects.county_factor
        self._county_weights = self._county_cdf(self.places.county_urban_place,
                                                counties.urban_population.to_numpy() * factor[:, 1])
        self._rural_county_weights = self._county_cdf(
            self.places.county_rural_place,
            ((counties.population - counties.urban_population).clip(lower=0).to_numpy() + 1.0) * factor[:, 0])

        self.vital_rates = VitalRates.from_parameters(params)
        # birth rates by hukou division relative to Hunan's (2010 census); another province: Hunan's
        self.division_fertility = np.append(division_fertility_2010(), 1.0)
        self.province = ProvincialGovernment(self)
        self.city_governments = [CityGovernment(self, division=d) for d in range(N_DIVISIONS)]
        self.province.apply_policies(self.year)

        self._init_incomes()
        self.households = synthesise_population(
            households_per_agent=self.scale, rng=self.rng, initial_unemployment_rate=params.initial_unemployment_rate,
            saving_rate=params.saving_rate, dormitory_share=params.dormitory_share,
            urban_income=self.urban_wage, rural_income=self.farm_income, places=self.places)
        self._next_hid = len(self.households)
        emp = markets.sector_employment(self.households)
        self.firms = [[SectorFirms(self, division=d, sector=k, employment_2010=emp[d, k]) for k in range(2)]
                      for d in range(N_DIVISIONS)]
        persons = self.households.persons_by_loc()
        self.place_persons_2010 = persons.copy()
        self._place_persons_prev = persons.copy()
        # Aggregation of alternatives (Ben-Akiva & Lerman 1985, Discrete Choice Analysis, ch. 9.3): a place
        # standing for part of a division's towns enters the logit with taste_scale x ln(its share of the
        # division's 2010 urban population), so that splitting a division's urban area into a central city and
        # county towns does not by itself make towns more attractive (more alternatives); zero in the division
        # network, where each urban place is its division's whole urban area.
        share = persons / np.maximum(self.places.spread(urban=self.urban_persons_2010_by_place(persons)), 1e-12)
        self.place_size_term = np.where(self.places.in_hunan_city,
                                        params.taste_scale * np.log(np.maximum(share, 1e-6)), 0.0)
        self.urban_persons_2010 = self.places.urban_by_division(persons)
        self.rural_persons_2010 = self.places.rural_by_division(persons)
        for farm in self.farms:
            farm.rural_persons_2010 = float(self.rural_persons_2010[farm.division])
        self._urban_persons_prev = self.urban_persons_2010.copy()
        self.unemployment = np.full(N_DIVISIONS, params.initial_unemployment_rate)
        self.settled_this_year = np.zeros(N_DIVISIONS)
        self.settled_outside_this_year = 0.0
        self.land_exits_this_year = 0.0
        self.park_jobs = np.zeros(2 * N_DIVISIONS)  # industrial-park jobs by rule row, cumulative (real jobs)
        self.village_moves = {k: np.zeros(N_DIVISIONS) for k in ("moves_to_own_county_town",
                              "moves_to_other_county_towns", "moves_to_central_cities", "moves_out_of_hunan")}
        self.hires_this_year = np.zeros(N_DIVISIONS)
        self.urban_attrition = np.zeros(N_DIVISIONS)
        self.new_urban_jobs = np.zeros(N_DIVISIONS)
        self.demography_counts = {"births": 0.0, "deaths": 0.0, "births_outside": 0.0, "deaths_outside": 0.0,
                                  "arrivals": 0.0, "departures": 0.0, "other_province_arrivals": 0.0}
        self._update_service_access()
        self._set_incomes()
        self.end_year = int(end_year)
        self.indicator_rows: list[tuple[int, str, str, float]] = []
        self.flow_rows: list[tuple[int, int, int, float, float]] = []
        self.latest: dict[str, float] = {}
        self.latest_by_region: dict[str, dict[str, float]] = {}
        # Mesa's DataCollector: the headline indicators for Hunan, and {region: value} dicts for BY_REGION (the
        # full table is ``indicators()``; ``by_region_table`` makes the dicts tidy).
        self.datacollector = mesa.DataCollector(model_reporters={
            "year": "year", **{name: _reporter(name) for name in HEADLINE},
            **{f"{name}_by_region": _region_reporter(name) for name in BY_REGION}})
        self.record_indicators()

    @property
    def policy(self) -> Policy:
        """The levers in force this year, as the provincial government read them from the scenario."""
        return self.province.levers

    @property
    def city_rules(self) -> CityRules:
        """This year's permit and settlement rules, as the city governments publish them."""
        return CityRules.publish(self.city_governments, self.year)

    def set_scenario(self, scenario: Scenario | str) -> None:
        """Switch to another scenario from the next simulated year on (past years are not rewritten)."""
        self.policy_scenario = scenario if isinstance(scenario, Scenario) else Scenario.load(scenario)

    # ------------------------------------------------------------------------------------------------
    # The step
    # ------------------------------------------------------------------------------------------------
    def step(self) -> None:
        """Advance one year."""
        self.year += 1
        self.province.apply_policies(self.year)
        self.demography()
        self.labour_market()
        self.migration()
        self.permits_and_settlement()
        self.housing_market()
        self.government_budgets()
        self.record_indicators()

    # ------------------------------------------------------------------------------------------------
    # Initial incomes
    # ------------------------------------------------------------------------------------------------
    def _init_incomes(self) -> None:
        p = self.params
        divs = load_divisions()
        region_key = divs.region.str.split(" ").str[0]
        index = region_key.map(load_region_income_2015()).to_numpy()
        weights = divs.population_2010.to_numpy()
        index = index / np.average(index, weights=weights)
        # Urban incomes differ less across regions than all-resident incomes (which mix in urbanization):
        # the urban spread is the regional index to a calibrated power.
        self.urban_base = p.urban_income_2010 * index ** p.urban_income_dispersion
        farm_2010 = p.urban_income_2010 / p.income_ratio_2010 * index
        self.farms = [FarmSector(self, division=d, income_2010=farm_2010[d]) for d in range(N_DIVISIONS)]
        self.farm_income = farm_2010.copy()
        self.urban_wage = self.urban_base.copy()
        self.outside_wage = p.outside_wage_premium * np.average(self.urban_base, weights=weights)
        self.rent = p.rent_to_income_2010 * self.urban_wage
        self.rent_outside = p.rent_to_income_2010 * self.outside_wage
        # by place: the wage and rent of each urban place (a county town's and its central city's differ as
        # they grow differently); zero at villages and outside
        self.place_wage = self.places.spread(urban=self.urban_wage)
        self.place_rent = self.places.spread(urban=self.rent)

    @staticmethod
    def _check_division_effects(effects: np.ndarray | None) -> np.ndarray:
        """The division effects to use: the calibrated file's by default, else a checked ``(14, 2)`` array."""
        if effects is None:
            return load_division_effects()
        arr = np.asarray(effects, dtype=float)
        if arr.shape != (N_DIVISIONS, len(DIVISION_EFFECT_PARTS)) or not np.all(np.isfinite(arr)):
            raise InputError(field="division_effects", value=f"array of shape {arr.shape}", source="model",
                             allowed=f"finite numbers of shape ({N_DIVISIONS}, {len(DIVISION_EFFECT_PARTS)}): "
                                     + ", ".join(DIVISION_EFFECT_PARTS) + " per division")
        return arr

    def _check_place_effects(self, effects: PlaceEffects | None) -> PlaceEffects:
        """The place effects to use: the calibrated file's by default (county network; none for the division
        network), else checked ones (one finite amenity per place, a positive factor per county and part)."""
        n = self.places.n
        if effects is None:
            if self.places.by_county:
                return load_place_effects(self.places)
            return PlaceEffects(np.zeros(n), np.ones((self.places.n_counties, 2)))
        amenity = np.asarray(effects.amenity, dtype=float)
        factor = np.asarray(effects.county_factor, dtype=float)
        if amenity.shape != (n,) or not np.all(np.isfinite(amenity)):
            raise InputError(field="place_effects", value=f"amenity of shape {amenity.shape}", source="model",
                             allowed=f"finite numbers, one per place ({n})")
        if factor.shape != (self.places.n_counties, 2) or not np.all(factor > 0):
            raise InputError(field="place_effects", value=f"county_factor of shape {factor.shape}", source="model",
                             allowed=f"positive numbers, shape ({self.places.n_counties}, 2)")
        return PlaceEffects(amenity, factor)

    def urban_persons_2010_by_place(self, persons: np.ndarray) -> np.ndarray:
        """Persons in each division's urban places together (from a per-place array), by division."""
        return self.places.urban_by_division(persons)

    @staticmethod
    def _county_cdf(place_of_county: np.ndarray, weights: np.ndarray) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Per place: the counties it covers and the cumulative share of ``weights`` (2010 census counts)."""
        out = {}
        for place in np.unique(place_of_county):
            rows = np.flatnonzero(place_of_county == place)
            w = weights[rows].astype(float)
            out[int(place)] = (rows, np.cumsum(w) / w.sum())
        return out

    # ------------------------------------------------------------------------------------------------
    # Stage 1: demography
    # ------------------------------------------------------------------------------------------------
    def demography(self) -> None:
        """Deaths, births and ageing of every member (:mod:`sim.demography`), then new households (young
        adults leaving their parents)."""
        p, h, rng = self.params, self.households, self.rng
        c = h.cols
        # attrition (自然减员) of urban employment: working-age members of employed city households who die or
        # reach retirement age this year (counted for the new-urban-jobs statistic; no behaviour depends on it)
        employed_city = np.flatnonzero(self.places.in_hunan_city[c["loc"]] & (c["employment"] == Employment.EMPLOYED))
        working_before = working_age_members(c["members"].take(employed_city, axis=0))
        outcome = step_members(h, self.vital_rates.for_year(self.year), rng,
                               fertility=self.division_fertility, fertility_group=c["hukou_div"])
        still_working = working_age_members(c["members"].take(employed_city, axis=0), first_age=WORKING_AGE_FROM + 1)
        self.urban_attrition = np.bincount(self.places.city_division[c["loc"][employed_city]],
                                           weights=working_before - still_working, minlength=N_DIVISIONS)
        in_hunan = self.places.in_hunan[c["loc"]]
        # whole numbers: summed where in Hunan and the rest by difference, exact and without selecting households
        births, deaths = (int(np.sum(x, where=in_hunan)) for x in (outcome.births, outcome.deaths))
        self.demography_counts = {"births": float(births), "deaths": float(deaths),
                                  "births_outside": float(int(outcome.births.sum()) - births),
                                  "deaths_outside": float(int(outcome.deaths.sum()) - deaths),
                                  "births_lost": float(outcome.births_lost),
                                  "arrivals": 0.0, "departures": 0.0, "other_province_arrivals": 0.0}
        refresh_members(h)
        alive = c["n_members"] > 0
        if not alive.all():
            h.keep(alive)
        # new households: a young adult (18-34) leaves a household with at least three adults
        cand = np.flatnonzero((h.n_adults() >= 3) & (rng.random(len(h)) < p.household_split_rate))
        young = young_adult_slot(h.cols["members"][cand])  # h.cols: keep() replaced the columns
        if (young >= 0).any():
            self._split_households(cand[young >= 0], young[young >= 0])

    def _copy_households(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Copies of the given households' columns with new ids (the caller resets what differs)."""
        new = {name: col[rows].copy() for name, col in self.households.cols.items()}
        new["hid"] = np.arange(self._next_hid, self._next_hid + len(rows), dtype=np.uint32)
        self._next_hid += len(rows)
        return new

    def _split_households(self, parents: np.ndarray, slots: np.ndarray) -> None:
        """The member in ``slots`` of each parent household leaves it and forms a household of one where it
        lives, with the parents' hukou and place."""
        h, rng = self.households, self.rng
        c = h.cols
        k = len(parents)
        new = self._copy_households(parents)
        new["members"][:] = EMPTY
        new["members"][:, 0] = c["members"][parents, slots]
        c["members"][parents, slots] = EMPTY
        new["education"][:] = np.minimum(new["education"] + (rng.random(k) < self.params.new_household_education_up), 3)
        town = self.places.in_hunan_city[new["loc"]]
        new["employment"][:] = np.where(town, Employment.UNEMPLOYED, Employment.FARMING)
        new["tenure"][:] = np.where(town, Tenure.MARKET_RENT, Tenure.RURAL_SELF_BUILT)
        new["savings"][:] = 0
        new["insurance_years"][:] = 0
        new["job_loser"][:] = False
        new["children_with_parents"][:] = True
        new["settle_taste"][:] = rng.logistic(size=k)
        new["land_attachment"][:] = rng.random(k)
        refresh_members(h, parents)
        n = len(h)
        h.append(new)
        refresh_members(h, np.arange(n, n + k))

    # ------------------------------------------------------------------------------------------------
    # Stage 2: firms and labour markets
    # ------------------------------------------------------------------------------------------------
    def labour_market(self) -> None:
        """Firms update demand and wages; job seekers are matched to vacancies; farm incomes follow labour."""
        p, h = self.params, self.households
        persons_soon = soon(parallel_for(len(h)), h.persons_by_loc)  # on the second thread for large tables
        div = markets.urban_division(h)
        labour_force = markets.city_workers(h).sum(axis=(1, 2))
        persons = persons_soon()
        upop = self.places.urban_by_division(persons)
        rpop = self.places.rural_by_division(persons)
        agglo_growth = (np.maximum(upop, 1) / np.maximum(self._urban_persons_prev, 1)) ** p.agglomeration_elasticity
        incentive = self.policy.city("industry_transfer_incentive")
        for d in range(N_DIVISIONS):
            for firm in self.firms[d]:
                firm.produce(agglomeration_growth=float(agglo_growth[d]), transfer_incentive=float(incentive[d]))
        trend = np.array([[f.labour_demand for f in row] for row in self.firms])

        tightness = (trend.sum(axis=1) - labour_force) / np.maximum(labour_force, 1)
        self.urban_base = self.urban_base * (1 + p.urban_wage_growth)
        agglo = (np.maximum(upop, 1) / np.maximum(self.urban_persons_2010, 1)) ** p.agglomeration_elasticity
        self.urban_wage = city_wage(base=self.urban_base, agglomeration=agglo, tightness=tightness,
                                    flexibility=p.wage_flexibility, max_tightness=p.max_wage_tightness)
        # Each urban place's wage: its division's, with the place's own agglomeration in place of the
        # division's (a growing central city gains what a shrinking county town loses).
        place_agglo = (np.maximum(persons, 1) / np.maximum(self.place_persons_2010, 1)) ** p.agglomeration_elasticity
        self.place_wage = self.places.spread(urban=self.urban_wage / agglo) * np.where(
            self.places.in_hunan_city, place_agglo, 0.0)
        # Firms hire more where slack has pushed wages below trend (wage elasticity of labour demand).
        wage_gap = self.urban_wage / (self.urban_base * agglo)
        demand = trend * (wage_gap ** -p.labour_demand_elasticity)[:, None]
        # industrial-park jobs (cumulative, by rule row) add to the division's manufacturing demand
        self.park_jobs = self.park_jobs + self.policy.at("industrial_park_jobs_per_year")
        if self.park_jobs.any():
            demand[:, 0] += self.places.rows_by_division(self.park_jobs) / self.scale
        self.outside_wage *= 1 + p.urban_wage_growth
        for farm in self.farms:
            farm.produce(rural_persons=float(rpop[farm.division]))
        self.farm_income = np.array([farm.income for farm in self.farms])

        # hiring priority by division and permit: job training for permit holders
        priority = 1.0 + np.arange(2, dtype=bool)[None, :] * self.city_rules.city("permit_training_share")[:, None]
        entrants = np.zeros(N_DIVISIONS)
        self.hires_this_year = markets.match_jobs(
            h, labour_demand=demand, separation_rate=p.job_separation_rate,
            outside_unemployment=p.outside_unemployment_rate, hire_priority_by_permit=priority, rng=self.rng,
            div=div, entrants=entrants)
        # new urban jobs as the bulletins count them (城镇新增就业): persons newly employed in the cities (first
        # hires, not re-employment of those who lost a job there) less the natural attrition of urban employment
        self.new_urban_jobs = entrants - self.urban_attrition
        workers = markets.city_workers(h)
        emp = markets.sector_employment(h, workers)
        for d in range(N_DIVISIONS):
            for k, firm in enumerate(self.firms[d]):
                firm.vacancies = max(firm.labour_demand - emp[d, k], 0.0)
        unemployed = workers[:, Employment.UNEMPLOYED].sum(axis=1)
        labour_force = workers.sum(axis=(1, 2))
        self.unemployment = unemployed / np.maximum(labour_force, 1)
        self._set_incomes()

    def _set_incomes(self) -> None:
        """Per-capita income of every household from its place, job and land."""
        p, c = self.params, self.households.cols
        # The income is a function of (location, employment, college, absent land holder, hukou division):
        # fill that table of places x 3 x 2 x 2 x 14 cells by the formula, then look every household up in it.
        places = self.places
        employment = np.arange(3).reshape(1, -1, 1, 1, 1)
        college = np.arange(2, dtype=bool).reshape(1, 1, -1, 1, 1)
        absent_land = np.arange(2, dtype=bool).reshape(1, 1, 1, -1, 1)
        hdiv = np.arange(N_DIVISIONS).reshape(1, 1, 1, 1, -1)
        div = places.lookup_division.reshape(-1, 1, 1, 1, 1)
        skill = 1.0 + p.college_wage_premium * college
        is_outside = ~places.in_hunan.reshape(-1, 1, 1, 1, 1)
        wage = np.where(is_outside, self.outside_wage, self.place_wage.reshape(-1, 1, 1, 1, 1)) * skill
        town_income = np.where(employment == Employment.EMPLOYED, wage, p.unemployed_income_share * wage)
        income = np.where(employment == Employment.FARMING, self.farm_income[div], town_income)
        table = (income + absent_land * p.land_rent_share * self.farm_income[hdiv]).ravel()

        emp = c["employment"]
        absent = c["land_contract"] & (emp != Employment.FARMING) & (c["hukou_div"] != OUTSIDE_DIV)
        key = c["loc"].astype(np.int32)
        key *= 3
        key += emp
        key *= 2
        key += c["education"] == Education.COLLEGE
        key *= 2
        key += absent
        key *= N_DIVISIONS
        key += np.minimum(c["hukou_div"], N_DIVISIONS - 1)
        c["income"][:] = table[key]

    # ------------------------------------------------------------------------------------------------
    # Stage 3: migration
    # ------------------------------------------------------------------------------------------------
    def choice_context(self) -> ChoiceContext:
        """What households know about every place this year (see :class:`agents.households.ChoiceContext`)."""
        p, rules, h = self.params, self.city_rules, self.households
        c = h.cols
        places = self.places
        L = places.n
        skill = np.array([1.0, 1.0 + p.college_wage_premium])
        b = p.unemployed_income_share
        job = 1 - self.unemployment
        u_out = p.outside_unemployment_rate
        exp_inc = places.spread(urban=(job + (1 - job) * b)[:, None] * skill[None, :],
                                rural=self.farm_income[:, None],
                                outside=self.outside_wage * (1 - u_out + u_out * b) * skill, tail=(2,))
        if self.park_jobs.any():
            # park jobs raise the job chance at the places that host them (spread by 2010 urban residents)
            jobs = self._place_park_jobs() / self.scale
            workers = np.bincount(c["loc"], weights=np.maximum(c["n_members"] - c["n_children"], 1), minlength=L)
            job_place = places.spread(urban=job) + jobs / np.maximum(workers, 1.0)
            exp_inc[:] = np.where(places.in_hunan_city[:, None],
                                  (np.minimum(job_place, 1.0) + (1 - np.minimum(job_place, 1.0)) * b)[:, None]
                                  * skill[None, :], exp_inc)
        exp_inc[places.in_hunan_city] *= self.place_wage[places.in_hunan_city, None]
        rent = self.place_rent.copy()
        rent[places.outside] = self.rent_outside

        div = markets.urban_division(h)
        renters = self._urban_renters(div)
        public = np.array([g.public_rental_stock for g in self.city_governments])
        affordable = np.array([g.affordable_rental_stock for g in self.city_governments])
        disc = 1 - p.public_rent_discount
        relief = places.spread(urban=np.stack([
            disc * np.minimum(1, (public * rules.city("permit_housing_share") + affordable) / np.maximum(renters, 1)),
            disc * np.minimum(1, (public + affordable) / np.maximum(renters, 1))], axis=1), tail=(2,))

        hours = self.world.location_hours()
        # Migrant networks: share of the people from each division (by origin, so settlers still count)
        # living at each place outside that division; the term is indexed by the household's hukou division.
        # One bincount of persons by (origin division, location); the cells of the origin's own division are
        # not migrants. Person counts are whole numbers, so the sums are exact in any order.
        key = c["origin_div"].astype(np.int64)
        key *= L
        key += c["loc"]
        stock = np.bincount(key, weights=c["n_members"], minlength=(N_DIVISIONS + 1) * L).reshape(N_DIVISIONS + 1, L)
        base = stock.sum(axis=1)
        stock[places.division[None, :] == np.arange(N_DIVISIONS + 1)[:, None]] = 0.0
        network = p.network_weight * np.log1p(100 * stock / np.maximum(base, 1)[:, None])

        urban_households = np.bincount(div[div >= 0], minlength=N_DIVISIONS) * self.scale
        renovated = np.array([g.renovated_units for g in self.city_governments])
        urban_amenity = p.urban_amenity + p.renovation_amenity * np.minimum(
            1, renovated / np.maximum(urban_households, 1))
        urban_amenity[self.world.names.index(CAPITAL)] += p.capital_amenity
        # Calibrated place effects: the census 2020 distribution of people (calibration/division_effects.py)
        urban_amenity += self.division_effects[:, 0]
        amenity = places.spread(urban=urban_amenity, rural=0.0 + self.division_effects[:, 1],
                                outside=p.outside_amenity)
        amenity += self.place_effects.amenity + self.place_size_term

        farm = np.append(self.farm_income, 0.0)
        # Utilities are in 2010 yuan: incomes and rents are deflated by the nominal wage index, so that
        # moving costs, service values and amenities keep their weight as incomes grow.
        deflator = self.price_index()
        exp_inc, rent, farm = exp_inc / deflator, rent / deflator, farm / deflator
        return ChoiceContext(expected_income=exp_inc, rent=rent, rent_relief=relief,
                             access_general=self.access_general, access_school=self.access_school,
                             settle_prospect=self.settle_prospect, amenity=amenity, hours=hours, network=network,
                             land_income=self.land_income(), farm_income=farm, places=places)

    def _place_park_jobs(self) -> np.ndarray:
        """Cumulative industrial-park jobs (real) at each place: each rule row's spread over its places by their
        2010 urban residents."""
        places = self.places
        out = np.zeros(places.n)
        city = places.in_hunan_city
        row = places.rule_row[city]
        weight = self.place_persons_2010[city]
        total = np.bincount(row, weights=weight, minlength=2 * N_DIVISIONS)
        out[city] = self.park_jobs[row] * weight / np.maximum(total[row], 1e-12)
        return out

    def settle_speed_by_row(self) -> np.ndarray:
        """Share of eligible, willing migrants who settle this year, by rule row: ``settle_speed`` times each
        city government's response (:meth:`agents.governments.CityGovernment.respond`), at most 1."""
        factor = np.array([g.settle_speed_factor for g in self.city_governments])
        return np.minimum(1.0, self.params.settle_speed * np.resize(factor, self._n_rule_rows()))

    def land_income(self) -> np.ndarray:
        """Yearly rent of contract land per person by hukou division (outside Hunan last, 0), in 2010 yuan: the
        share ``land_rent_share`` of the division's farm income (``ChoiceContext.land_income``)."""
        return self.params.land_rent_share * np.append(self.farm_income, 0.0) / self.price_index()

    def price_index(self) -> float:
        """Nominal income level relative to 2010 (urban wage growth compounded), the deflator of utilities."""
        return (1.0 + self.params.urban_wage_growth) ** (self.year - START_YEAR)

    def _update_service_access(self) -> None:
        """Service access by place and status, and the openness of settlement, from this year's levers."""
        p, rules, places = self.params, self.city_rules, self.places
        # the rules of each urban place: its central city's or its division's county towns' (rule rows)
        city = places.in_hunan_city
        row = places.rule_row[city]
        self.housing_coverage = self._housing_coverage()
        permit_general = rules.permit_general_share(self.housing_coverage)[row]
        base_school = rules.at("migrant_school_access")[row]
        ones, zeros = np.ones(len(row)), np.zeros(len(row))
        gen = places.spread(rural=p.rural_general_access,
                            outside=[p.outside_general_access, p.outside_general_access, 1.0], tail=(3,))
        gen[city] = np.stack([zeros, permit_general, ones], axis=1)
        school = places.spread(rural=p.rural_school_access,
                               outside=[p.outside_school_access, p.outside_school_access, 1.0], tail=(3,))
        school[city] = np.stack([base_school, np.maximum(rules.at("permit_schooling_share")[row], base_school), ones],
                                axis=1)
        # School places: the rules promise access; the places the city governments have built deliver it.
        demand = self._school_demand(school)
        places_now = self._by_rule_row("school_places", demand)
        self.school_fill = np.where(demand > 0, np.minimum(1.0, places_now / np.maximum(demand, 1e-9)), 1.0)
        school[city, :2] *= self.school_fill[row][:, None]
        invest = rules.at("public_service_investment")
        if invest.any():
            # schools and hospitals built (beyond the places above) close that share of the gap for residents
            # without local hukou at the place (statuses 0 and 1) and for the villagers of the counties it serves
            gap_closed = invest[row][:, None]
            gen[city, :2] += gap_closed * (1 - gen[city, :2])
            school[city, :2] += gap_closed * (1 - school[city, :2])
            village = places.is_village
            county = places.county[village]
            served = np.where(county >= 0, places.rule_row[places.county_urban_place[np.maximum(county, 0)]],
                              places.division[village])
            gen[village, :2] += invest[served][:, None] * (1 - gen[village, :2])
        self.access_general, self.access_school = gen, school
        self.settle_prospect = np.zeros(places.n)
        self.settle_prospect[city] = rules.settlement_openness(p)[row]

    def _school_demand(self, school: np.ndarray) -> np.ndarray:
        """Public-school places the rules promise children without local hukou living with their parents in
        Hunan's cities, by rule row (real places): each child counts its access by status (``school``, by place
        and status 0 no permit / 1 permit). Hands each city government its rows."""
        h, places = self.households, self.places
        c = h.cols
        rows = city_migrants(h)
        rows = rows[(c["n_children"][rows] > 0) & c["children_with_parents"][rows]]
        loc = c["loc"][rows].astype(np.int64)
        weight = c["n_children"][rows] * school[loc, c["permit"][rows].astype(np.int64)]
        n_rows = self._n_rule_rows()
        demand = np.bincount(places.rule_row[loc], weights=weight, minlength=n_rows) * self.scale
        per_gov = n_rows // N_DIVISIONS
        for g in self.city_governments:
            g.set_school_demand(demand[g.division::N_DIVISIONS][:per_gov])
        return demand

    def _by_rule_row(self, attr: str, like: np.ndarray) -> np.ndarray:
        """A city-government array attribute (one value per rule row of the city) laid out by rule row: the
        central cities by division, then the county towns by division."""
        out = np.zeros_like(like, dtype=float)
        for g in self.city_governments:
            values = getattr(g, attr)
            out[g.division::N_DIVISIONS][:len(values)] = values
        return out

    def _housing_coverage(self) -> np.ndarray:
        """By rule row: the share of a division's urban renter households that its public and affordable
        rental units could house (0-1; the division's value for its central city and its county towns)."""
        renters = self._urban_renters(markets.urban_division(self.households))
        units = np.array([g.public_rental_stock + g.affordable_rental_stock for g in self.city_governments])
        coverage = np.minimum(1.0, units / np.maximum(renters, 1))
        return np.resize(coverage, self._n_rule_rows())

    def _urban_renters(self, div: np.ndarray) -> np.ndarray:
        """Renter households (market and public rental, real) in each division's cities; ``div`` is
        :func:`sim.markets.urban_division` of the households (the housing coverage and the expected public-housing
        relief both divide the units by these; each counts them at its own moment of the year)."""
        tenure = self.households.cols["tenure"]
        return np.bincount(div[(div >= 0) & _RENTS[tenure]], minlength=N_DIVISIONS) * self.scale

    def _n_rule_rows(self) -> int:
        """Rows of the published rules (``Places.rule_row``): the central cities, then the county towns."""
        return len(self.city_rules.at("settlement_min_years"))

    def migration(self) -> None:
        """Households reconsider where to live (random utility over all places, return moves included)."""
        p, h, rng = self.params, self.households, self.rng
        self._update_service_access()
        ctx = self.choice_context()
        who, dest = choose_destinations(h, None, p.review_rate, rng, context=ctx, params=p)
        c = h.cols
        moving = dest != c["loc"][who]
        movers, dest = who[moving], dest[moving].astype(np.int64)
        origin = c["loc"][movers].astype(np.int64)
        # children come along where they can go to school; returning home brings them back
        bring = rng.random(len(movers)) < self.access_school[dest, 1]
        self._leave_behind(movers, origin, dest, bring)
        c = h.cols  # the table may have grown (households left behind)
        persons = c["n_members"][movers].astype(float)
        n_places, outside = self.places.n, self.places.outside
        if len(movers):
            od = origin * n_places + dest
            n_hh = np.bincount(od, minlength=n_places**2)
            n_p = np.bincount(od, weights=persons, minlength=n_places**2)
            for k in np.flatnonzero(n_hh):
                o, d = divmod(int(k), n_places)
                self.flow_rows.append((self.year, o, d, float(n_hh[k] * self.scale), float(n_p[k] * self.scale)))
        self.demography_counts["arrivals"] = float(persons[(origin == outside)].sum())
        self.demography_counts["departures"] = float(persons[(dest == outside)].sum())
        self.village_moves = self._village_moves(origin, dest, persons)
        self._apply_moves(movers, origin, dest, bring)
        self._arrivals_from_other_provinces()

    def _leave_behind(self, movers: np.ndarray, origin: np.ndarray, dest: np.ndarray, bring: np.ndarray) -> None:
        """Members who stay in the village when a household leaves it for a town, a city or outside Hunan
        (with probability ``leave_behind``; 0 by default, see its declaration).

        The elderly (60 and over) stay, and children stay unless they come along (``bring``: school access at
        the destination); a mother stays with children left behind when no grandparent does. They form a
        household of their own in the village (farming, same hukou, land and traits), whose children are
        left-behind children (``children_with_parents`` False); the working-age members move. A household
        with nobody to leave behind, or whose working-age members would all stay, moves whole. Moves home and
        moves from towns move whole. (Assumptions, docs/ODD.md; the signature the census shows is villages
        older and with more children than the towns their young adults move to.)
        """
        if self.params.leave_behind <= 0:
            return  # no draw: the random stream is that of a model without leaving behind
        h = self.households
        c = h.cols
        home = h.hukou_loc(movers) == dest
        cand = np.flatnonzero(self.places.is_village[origin] & ~home
                              & (self.rng.random(len(movers)) < self.params.leave_behind))
        if len(cand) == 0:
            return
        rows = movers[cand]
        codes = c["members"][rows]
        used = codes != EMPTY
        age = (codes >> 1).astype(np.int16)
        female = (codes & 1).astype(bool)
        working = used & (age >= 15) & (age < 60)
        kids_stay = used & (age < 15) & ~bring[cand][:, None]
        stay = (used & (age >= 60)) | kids_stay
        # a mother stays with children left behind when no grandparent does: the youngest woman aged 20-49
        needs = kids_stay.any(axis=1) & ~(used & (age >= 60)).any(axis=1)
        woman = used & female & (age >= 20) & (age < 50)
        slot = np.where(woman, age, 999).argmin(axis=1)
        mother = needs & woman.any(axis=1)
        stay[np.flatnonzero(mother), slot[mother]] = True
        split = stay.any(axis=1) & (working & ~stay).any(axis=1)
        if not split.any():
            return
        rows, stay = rows[split], stay[split]
        new = self._copy_households(rows)
        new["members"][:] = np.where(stay, codes[split], EMPTY)
        c["members"][rows] = np.where(stay, EMPTY, codes[split])
        new["employment"][:] = Employment.FARMING
        new["sector"][:] = Sector.AGRICULTURE
        new["permit"][:] = False
        new["job_loser"][:] = False
        new["savings"][:] = 0
        new["children_with_parents"][:] = False
        new["tenure"][:] = np.where(new["homestead"], Tenure.RURAL_SELF_BUILT, new["tenure"])
        refresh_members(h, rows)
        n = len(h)
        h.append(new)
        refresh_members(h, np.arange(n, n + len(rows)))

    def _village_moves(self, origin: np.ndarray, dest: np.ndarray, persons: np.ndarray) -> dict[str, np.ndarray]:
        """Villagers' moves this year (agent units) by the division of the village and the kind of destination:
        their own county's county town (local urbanization), another county town, a central city (or a
        division's urban place on the division network), outside Hunan."""
        places = self.places
        from_village = places.is_village[origin]
        o, d, w = origin[from_village], dest[from_village], persons[from_village]
        own_town = places.county_urban_place[np.maximum(places.county[o], 0)]
        own = (places.county[o] >= 0) & (d == own_town) & places.is_county_town[d]
        kinds = {"moves_to_own_county_town": own,
                 "moves_to_other_county_towns": places.is_county_town[d] & ~own,
                 "moves_to_central_cities": places.is_central[d] & places.in_hunan[d],
                 "moves_out_of_hunan": d == places.outside}
        div = places.division[o].astype(np.int64)
        return {k: np.bincount(div[m], weights=w[m], minlength=N_DIVISIONS) for k, m in kinds.items()}

    def _arrivals_from_other_provinces(self) -> None:
        """Households registered in another province arrive in Hunan's cities.

        The model's choice set is built around Hunan's own hukou holders; people from other provinces enter as
        a flow, ``other_province_inflow`` times the number of urban households a year (calibrated to the 2020
        census). Each arrival copies a random household from another province already living in a Hunan city,
        and arrives at its place (chain migration: newcomers follow earlier arrivals), with no job, permit,
        savings or insurance record yet. Once here they decide every year like everyone else, so leaving
        follows the same utilities.
        """
        p, h, rng = self.params, self.households, self.rng
        if p.other_province_inflow <= 0:
            return  # no draws at all, so the random stream is that of a model without this flow
        c = h.cols
        in_city = self.places.in_hunan_city[c["loc"]]
        templates = np.flatnonzero(in_city & (c["hukou_div"] == OUTSIDE_DIV))
        k = int(rng.poisson(p.other_province_inflow * np.count_nonzero(in_city)))
        if k == 0 or len(templates) == 0:
            return
        new = self._copy_households(templates[rng.integers(0, len(templates), k)])
        new["permit"][:] = False
        new["years_here"][:] = 0
        new["moved_year"][:] = self.year
        new["settled_year"][:] = 0
        new["employment"][:] = Employment.UNEMPLOYED
        new["job_loser"][:] = False
        new["tenure"][:] = Tenure.MARKET_RENT
        new["savings"][:] = 0
        new["insurance_years"][:] = 0
        new["settle_taste"][:] = rng.logistic(size=k)
        new["land_attachment"][:] = rng.random(k)
        h.append(new)
        persons = new["n_members"].astype(float)
        self.demography_counts["arrivals"] += float(persons.sum())
        self.demography_counts["other_province_arrivals"] = float(persons.sum())
        dest = new["loc"].astype(np.int64)
        n_hh = np.bincount(dest, minlength=self.places.n)
        n_p = np.bincount(dest, weights=persons, minlength=self.places.n)
        for d in np.flatnonzero(n_hh):
            self.flow_rows.append((self.year, self.places.outside, int(d), float(n_hh[d] * self.scale),
                                   float(n_p[d] * self.scale)))

    def _apply_moves(self, movers: np.ndarray, origin: np.ndarray, dest: np.ndarray, bring: np.ndarray) -> None:
        p, c, rng = self.params, self.households.cols, self.rng
        k = len(movers)
        if k == 0:
            return
        places = self.places
        urban_dest = places.in_hunan_city[dest]
        rural_dest = places.is_village[dest]
        # county within the destination place (a central city's or a division's districts and counties), by
        # its 2010 urban population (urban) or, for villages, the hukou county if it lies there
        county = np.full(k, -1, dtype=np.int64)
        u = rng.random(k)
        for d in np.unique(dest[urban_dest]):
            m = urban_dest & (dest == d)
            rows, cdf = self._county_weights[int(d)]
            county[m] = rows[np.minimum(np.searchsorted(cdf, u[m]), len(rows) - 1)]
        hukou_county = c["hukou_county"][movers].astype(np.int64)
        home_village = (rural_dest & (hukou_county >= 0)
                        & (places.county_rural_place[np.maximum(hukou_county, 0)] == dest))
        county[home_village] = hukou_county[home_village]
        for d in np.unique(dest[rural_dest & ~home_village]):
            m = rural_dest & ~home_village & (dest == d)
            rows, cdf = self._rural_county_weights[int(d)]
            county[m] = rows[np.minimum(np.searchsorted(cdf, u[m]), len(rows) - 1)]
        # sell an owned home: the equity goes to savings
        owners = c["tenure"][movers] == Tenure.OWN
        odiv = places.lookup_division[origin]
        from_city = places.in_hunan_city[origin]
        equity = self.place_rent[origin] * p.price_to_rent_years * c["n_members"][movers] * p.down_payment_share
        c["savings"][movers] += np.where(owners & from_city, equity, 0).astype(np.float32)
        czt = self.world.is_czt
        both_czt = ((self.policy["czt_mutual_recognition"] >= 0.5) & urban_dest & from_city
                    & czt[odiv] & czt[places.lookup_division[dest]])
        c["years_here"][movers] = np.where(both_czt, c["years_here"][movers], 0)
        c["loc"][movers] = dest
        c["county"][movers] = county
        c["permit"][movers] = False
        c["moved_year"][movers] = self.year
        c["job_loser"][movers] = False  # a mover's next job is a first hire in the new city's labour market
        town = ~rural_dest
        c["employment"][movers] = np.where(town, Employment.UNEMPLOYED, Employment.FARMING)
        c["sector"][movers] = np.where(town, np.where(c["sector"][movers] == Sector.AGRICULTURE, Sector.SERVICES,
                                                      c["sector"][movers]), Sector.AGRICULTURE)
        dorm = town & (c["sector"][movers] == Sector.MANUFACTURING) & (rng.random(k) < p.dormitory_share)
        homestead = c["homestead"][movers]
        c["tenure"][movers] = np.where(rural_dest, np.where(homestead, Tenure.RURAL_SELF_BUILT, Tenure.MARKET_RENT),
                                       np.where(dorm, Tenure.DORMITORY, Tenure.MARKET_RENT))
        # children come along where they can go to school (``bring``); returning home brings them back
        at_home = dest == self.households.hukou_loc(movers)
        c["children_with_parents"][movers] = at_home | bring

    # ------------------------------------------------------------------------------------------------
    # Stage 4: residence permits and settlement (separate decisions from staying)
    # ------------------------------------------------------------------------------------------------
    def permits_and_settlement(self) -> None:
        """Migrants take up residence permits; eligible ones decide whether to transfer their hukou."""
        p, rules, h, rng = self.params, self.city_rules, self.households, self.rng
        c = h.cols
        # Only migrants in Hunan's cities can take up a permit or settle: find them once. Every decision still
        # draws one uniform per household, so the random stream does not depend on how the rows are found.
        loc8 = c["loc"]
        migrants = city_migrants(h)
        apply_for_permits(h, rules, p.permit_apply_rate, rng, migrants=migrants,
                          housing_coverage=self.housing_coverage)
        land_income, deflator = self.land_income(), self.price_index()
        settle = settlers(h, rules, p, self.access_general, self.access_school, rng, migrants=migrants,
                          land_income=land_income, price_index=deflator, speed=self.settle_speed_by_row())
        div = self.places.division[loc8[settle]]
        persons = c["n_members"][settle].astype(float)
        self.settled_this_year = np.bincount(div, weights=persons, minlength=N_DIVISIONS + 1)[:N_DIVISIONS]
        had_land = c["land_contract"][settle] | c["homestead"][settle]
        if rules["keep_land_rights"] < 0.5:
            exits = settle[had_land]  # settling means giving the rights up (before the 2016 rules)
        else:  # settlers keep them by law; some take the paid voluntary exit
            exits = settle[voluntary_land_exit(h, rules, p, land_income, deflator, settle)]
        self.land_exits_this_year = float(c["n_members"][exits].astype(float).sum())
        c["hukou_div"][settle] = div
        c["hukou_county"][settle] = c["county"][settle]
        c["hukou_urban"][settle] = True
        c["permit"][settle] = False
        c["settled_year"][settle] = self.year
        c["land_contract"][exits] = False
        c["homestead"][exits] = False
        c["savings"][exits] += np.float32(rules["land_exit_compensation"])
        # Hunan migrants outside the province who transfer their hukou there leave Hunan's registers.
        u = rng.random(len(h))
        outside = np.flatnonzero(loc8 == self.places.outside)
        out = outside[(c["hukou_div"][outside] != OUTSIDE_DIV) & (u[outside] < p.outside_settle_rate)]
        self.settled_outside_this_year = float(c["n_members"][out].astype(float).sum())
        c["hukou_div"][out] = OUTSIDE_DIV
        c["hukou_county"][out] = -1
        c["land_contract"][out] = False
        c["homestead"][out] = False
        # Contributions and residence years accumulate: locals in cities always, migrants (those who have not
        # just settled) in half their employed years.
        u = rng.random(len(h))
        employed = c["employment"] == Employment.EMPLOYED
        contributes = employed & self.places.in_hunan_city[loc8]
        still_migrant = np.ones(len(migrants), dtype=bool)
        still_migrant[np.searchsorted(migrants, settle)] = False
        m = migrants[still_migrant]
        contributes[m] &= u[m] < p.migrant_insurance_share
        c["insurance_years"][contributes] += 1
        years = c["years_here"]
        np.add(years, 1, out=years)
        np.minimum(years, 60, out=years)

    # ------------------------------------------------------------------------------------------------
    # Stage 5: housing market
    # ------------------------------------------------------------------------------------------------
    def housing_market(self) -> None:
        """Rents respond to inflow; public rental units are allocated; renters who can afford it buy."""
        p, h, rng = self.params, self.households, self.rng
        c = h.cols
        places = self.places
        persons_soon = soon(parallel_for(len(h)), h.persons_by_loc)  # on the second thread for large tables
        # households by place and tenure (read only, like the persons by place: the two counts overlap)
        div = markets.urban_division(h)
        n_tenure = len(Tenure)
        loc_tenure = c["loc"].astype(places.key_dtype(n_tenure))
        loc_tenure *= n_tenure
        loc_tenure += c["tenure"]
        occupied = places.urban_by_division(np.bincount(loc_tenure, minlength=places.n * n_tenure).reshape(
            places.n, n_tenure)[:, Tenure.PUBLIC_RENTAL])
        persons = persons_soon()
        upop = places.urban_by_division(persons)
        new_land = np.array([g.land_ready_m2() for g in self.city_governments])  # granted land_supply_lag years ago
        land_relief = p.land_supply_effect * new_land / np.maximum(upop * self.scale * p.floor_space_per_person, 1)
        # rents by urban place: each place's inflow; the division's land relief spread over its places
        city = places.in_hunan_city
        self.place_rent = np.where(city, markets.update_rents(
            self.place_rent, urban_now=persons, urban_before=self._place_persons_prev,
            income_growth=p.urban_wage_growth, elasticity=p.housing_price_elasticity,
            land_relief=places.spread(urban=land_relief), floor=p.rent_floor), 0.0)
        # a division's rent (an output and the public-housing price) is its urban places' person-weighted mean
        self.rent = places.urban_by_division(self.place_rent * persons) / np.maximum(upop, 1e-12)
        no_people = upop <= 0
        if no_people.any():
            self.rent[no_people] = places.urban_by_division(self.place_rent)[no_people]
        self.rent_outside *= 1 + p.urban_wage_growth
        self._urban_persons_prev = upop
        self._place_persons_prev = persons

        public = np.array([g.public_rental_stock for g in self.city_governments])
        affordable = np.array([g.affordable_rental_stock for g in self.city_governments])
        vacancies = np.maximum((public + affordable) / self.scale - occupied, 0)
        affordable_share = affordable / np.maximum(public + affordable, 1)
        permit_housing = self.city_rules.city("permit_housing_share")

        def eligibility(rows: np.ndarray) -> np.ndarray:
            """1 for local hukou, else the affordable share or the permit's housing share (rows in cities)."""
            d = div[rows]
            local = c["loc"][rows] == h.hukou_loc(rows)
            return np.where(local, 1.0, np.maximum(affordable_share[d], c["permit"][rows] * permit_housing[d]))

        markets.allocate_public_rental(h, vacancies=vacancies, eligibility_of=eligibility, rng=rng, div=div)
        offers = np.array([g.shared_ownership_offer for g in self.city_governments]) / self.scale
        price = self.place_rent * p.price_to_rent_years
        markets.buy_homes(h, price_per_person=price, price_by_place=True, down_payment_share=p.down_payment_share, buy_rate=p.buy_rate,
                          shared_ownership_slots=offers, rng=rng, div=div,
                          shared_down_share=p.shared_ownership_down_share)
        # saving and paying rent: the rent paid is a function of (location, tenure)
        rent_here = self.place_rent.copy()
        rent_here[places.outside] = self.rent_outside
        paid_table = np.zeros((places.n, n_tenure))
        paid_table[:, Tenure.MARKET_RENT] = rent_here
        paid_table[:, Tenure.PUBLIC_RENTAL] = rent_here * p.public_rent_discount
        loc_tenure = c["loc"].astype(places.key_dtype(n_tenure))
        loc_tenure *= n_tenure
        loc_tenure += c["tenure"]
        paid = paid_table.ravel()[loc_tenure]
        net = p.saving_rate * c["income"] - paid
        net *= c["n_members"]
        net += c["savings"]
        np.maximum(net, 0, out=net)
        c["savings"][:] = net

    # ------------------------------------------------------------------------------------------------
    # Stage 6: governments
    # ------------------------------------------------------------------------------------------------
    def government_budgets(self) -> None:
        """Cities build school places, book land quota (within the province's cap) and transfers for settlers,
        set their response to the incentives for next year and build the year's housing."""
        p = self.params
        settled = self.settled_this_year * self.scale
        requested = float(sum(settled[g.division] * g.levers["land_quota_per_settler"] for g in self.city_governments))
        cap = p.construction_land_cap_km2 * 1e6
        land_scale = min(1.0, cap / requested) if requested > 0 else 1.0
        for g in self.city_governments:
            g.build_schools()
            g.receive_settlers(float(settled[g.division]), land_scale)
            g.respond()
            g.build_housing()

    # ------------------------------------------------------------------------------------------------
    # Stage 7: indicators
    # ------------------------------------------------------------------------------------------------
    def record_indicators(self) -> None:
        """Append this year's indicator rows and collect the headline indicators."""
        rows = compute_indicators(self)
        self.indicator_rows.extend(rows)
        self.latest = {ind: value for _, region, ind, value in rows if region == "Hunan"}
        wanted = set(BY_REGION)
        by_region: dict[str, dict[str, float]] = {name: {} for name in BY_REGION}
        for _, region, ind, value in rows:
            if ind in wanted and region not in ("Hunan", "outside"):
                by_region[ind][region] = value
        self.latest_by_region = by_region
        self.datacollector.collect(self)
        self.running = self.year < self.end_year

    # ------------------------------------------------------------------------------------------------
    # Outputs
    # ------------------------------------------------------------------------------------------------
    def indicators(self) -> pd.DataFrame:
        """All indicator rows so far as a tidy table ``year, region, indicator, value``."""
        return pd.DataFrame(self.indicator_rows, columns=["year", "region", "indicator", "value"])

    def age_pyramid(self) -> pd.DataFrame:
        """Residents by region (Hunan, each division), census age band and sex now: ``region, age_band, sex,
        persons`` (real persons; bands as the censuses', :data:`sim.data.AGE_BANDS`). Computed on demand (a scan
        of every member), not every year."""
        from agents.households import persons_by_age
        from sim.data import AGE_BANDS

        places, c = self.places, self.households.cols
        div = np.where(places.in_hunan, places.lookup_division, N_DIVISIONS)[c["loc"]]
        table = persons_by_age(self.households, group_of=div, groups=N_DIVISIONS + 1)[:N_DIVISIONS] * self.scale
        regions = list(self.world.names[:N_DIVISIONS]) + ["Hunan"]
        table = np.concatenate([table, table.sum(axis=0, keepdims=True)])
        rows = []
        for g, region in enumerate(regions):
            for lo, hi in AGE_BANDS:
                label = f"{lo}+" if lo == 85 else (str(lo) if lo == hi else f"{lo}-{hi}")
                for sex, name in enumerate(("male", "female")):
                    rows.append((region, label, name, float(table[g, lo:hi + 1, sex].sum())))
        return pd.DataFrame(rows, columns=["region", "age_band", "sex", "persons"])

    def flows(self) -> pd.DataFrame:
        """Moves per year between places: ``year, origin, origin_urban, destination, destination_urban,
        households, persons, origin_place, destination_place``.

        ``origin`` and ``destination`` are divisions (or ``outside``), as readers of division flows expect;
        ``origin_place`` and ``destination_place`` name the places (:meth:`sim.places.Places.name`, e.g.
        ``430181 Liuyang county town``), so the table is at place level.
        """
        places = self.places
        df = pd.DataFrame(self.flow_rows, columns=["year", "o", "d", "households", "persons"])
        o, d = df.o.to_numpy(dtype=np.int64), df.d.to_numpy(dtype=np.int64)
        names = np.array(places.names(), dtype=object)
        divisions = np.array([places.division_label(k) for k in range(places.n)], dtype=object)
        out = pd.DataFrame({
            "year": df.year.astype("int64"),
            "origin": divisions[o].astype(str),
            "origin_urban": places.is_urban[o],
            "destination": divisions[d].astype(str),
            "destination_urban": places.is_urban[d],
            "households": df.households, "persons": df.persons,
            "origin_place": names[o].astype(str), "destination_place": names[d].astype(str)})
        return out

    def indicator(self, name: str, region: str = "Hunan") -> float:
        """The latest value of one indicator."""
        for year, reg, ind, value in reversed(self.indicator_rows):
            if ind == name and reg == region:
                return value
        raise KeyError(f"{name} for {region}")

    def total_persons(self) -> float:
        """Persons in all places (agent units), for accounting checks."""
        return float(self.households.cols["n_members"].sum())
