"""The household decisions written the plain Mesa way: the reference the vectorised model is measured against.

Issue 6 asks how much faster the vectorised household table (:mod:`agents.households`) is than the obvious
agent-based implementation. This module is that implementation: one :class:`HouseholdAgent` (a
:class:`mesa.Agent`) per household record, activated in random order with
``model.agents.shuffle_do("step")``, each agent

1. deciding whether to reconsider where it lives (:meth:`HouseholdAgent.review_probability`);
2. if it does, computing its own utility for each of the 29 locations from the year's
   :class:`~agents.households.ChoiceContext` and the model parameters (:meth:`HouseholdAgent.utilities`),
   turning them into logit probabilities and drawing one destination (:meth:`HouseholdAgent.choose_destination`),
   then moving there (:meth:`HouseholdAgent.move_to`, the per-agent version of ``HunanModel._apply_moves``);
3. applying for a residence permit (:meth:`HouseholdAgent.apply_for_permit`);
4. deciding whether to transfer its hukou (:meth:`HouseholdAgent.decide_settlement`: eligible by the city's
   rules, willing by its persistent taste and the net gain, acting this year at the settling speed), and
   booking its insurance contributions and years of residence.

So one reference step does the work of the vectorised stages ``migration`` and ``permits_and_settlement`` of
:meth:`sim.model.HunanModel.step`. The vectorised model runs each decision for all households before the
next; here each agent runs all of them in turn. The two give the same distribution of outcomes because no
decision reads another household's state within the year: places are summarised once per year in the
``ChoiceContext`` and the policy, which both implementations take as given.

Written for clarity, not speed, with one exception: the model converts the context, levers and access tables
to plain Python lists once per step, because indexing numpy arrays one element at a time and doing arithmetic
on numpy scalars is several times slower than on floats; a reference slowed down by that would flatter the
vectorised code.

>>> from sim.model import HunanModel
>>> model = HunanModel(scale=1000, rng=1, network="division")
>>> ref = ReferenceModel.from_model(model, rng=2)
>>> ref.step()  # one year of household decisions, one agent at a time
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from agents.governments import general_service_share
from agents.households import (
    MEMBER_COLUMNS,
    SCHEMA,
    ChoiceContext,
    Education,
    Employment,
    Households,
    Sector,
    Tenure,
)
from sim.data import load_counties_2010_on_2020
from sim.parameters import ModelParameters
from sim.scenario import Policy
from sim.places import N_DIVISIONS, N_LOCATIONS, OUTSIDE_DIV, OUTSIDE_LOC

if TYPE_CHECKING:
    from sim.model import HunanModel

#: City levers the household decisions read, converted to lists once per step.
CITY_LEVERS = (
    "permit_min_years", "permit_health_share", "permit_housing_share", "permit_training_share",
    "permit_schooling_share", "migrant_school_access", "settlement_housing_condition", "settlement_requires_job",
    "settlement_min_years", "settlement_min_insurance_years",
)
#: Province levers the household decisions read.
PROVINCE_LEVERS = ("keep_land_rights", "government_cost_share", "land_exit_compensation", "czt_mutual_recognition")
#: Cap on years of residence (as in ``HunanModel.permits_and_settlement``).
MAX_YEARS_HERE = 60


@dataclass(frozen=True)
class PlainContext:
    """A :class:`~agents.households.ChoiceContext` as nested Python lists (same fields, same indexing)."""

    expected_income: list[list[float]]
    rent: list[float]
    rent_relief: list[list[float]]
    access_general: list[list[float]]
    access_school: list[list[float]]
    settle_prospect: list[float]
    amenity: list[float]
    hours: list[list[float]]
    network: list[list[float]]
    land_income: list[float]
    farm_income: list[float]

    @classmethod
    def from_context(cls, ctx: ChoiceContext) -> PlainContext:
        """Convert every array of ``ctx`` with ``tolist``."""
        return cls(**{name: np.asarray(getattr(ctx, name)).tolist() for name in cls.__dataclass_fields__})


def county_weights(weights: np.ndarray) -> list[tuple[list[int], list[float]]]:
    """Per division: its counties and the cumulative share of ``weights`` (a 2010 census count by county).

    The tables ``HunanModel`` uses to place a household moving to a division in a county: by urban population
    for its city, by rural population (plus one) for a village other than the home village.
    """
    division = load_counties_2010_on_2020().division.to_numpy()
    out = []
    for d in range(N_DIVISIONS):
        rows = np.flatnonzero(division == d)
        w = weights[rows].astype(float)
        out.append((rows.tolist(), (np.cumsum(w) / w.sum()).tolist()))
    return out


class HouseholdAgent(mesa.Agent):
    """One household record deciding where to live, whether to take a residence permit and whether to settle.

    Its attributes are the columns of :data:`agents.households.SCHEMA` as plain Python values (``loc``,
    ``hukou_div``, ``permit``, ``tenure`` ...), with the same meaning and codes.
    """

    def __init__(self, model: ReferenceModel, *, row: dict[str, Any]) -> None:
        super().__init__(model)
        # One attribute per column of the household table, so that a column added to SCHEMA comes along (the
        # member slots, ages and sexes, as a list).
        for name in (*SCHEMA, *MEMBER_COLUMNS):
            setattr(self, name, row[name])

    # --------------------------------------------------------------------------------------------------
    # The agent's year
    # --------------------------------------------------------------------------------------------------
    def step(self) -> None:
        """Reconsider where to live, then the residence permit and the hukou, then book the year."""
        rng = self.model.rng
        if rng.random() < self.review_probability():
            destination = self.choose_destination()
            if destination != self.loc:
                self.move_to(destination)
        self.apply_for_permit()
        self.decide_settlement()
        self.book_year()

    # --------------------------------------------------------------------------------------------------
    # Migration
    # --------------------------------------------------------------------------------------------------
    def hukou_loc(self) -> int:
        """Location of the hukou place (urban or rural part of its division; 28 = another province)."""
        if self.hukou_div == OUTSIDE_DIV:
            return OUTSIDE_LOC
        return 2 * self.hukou_div + int(self.hukou_urban)

    def is_away(self) -> bool:
        """True when living away from the hukou place."""
        return self.loc != self.hukou_loc()

    def review_probability(self) -> float:
        """Probability of reconsidering where to live this year (more often unemployed or young)."""
        p = self.model.params
        multiplier = p.review_unemployed_factor if self.employment == Employment.UNEMPLOYED else 1.0
        if self.head_age < 35:
            multiplier *= p.review_young_factor
        elif self.head_age >= 55:
            multiplier *= p.review_old_factor
        return min(1.0, self.model.params.review_rate * multiplier)

    def utilities(self) -> list[float]:
        """Deterministic utility (10k yuan) of each of the 29 locations for this household.

        The terms of docs/ODD.md's migration choice, one destination at a time: expected income, minus rent not
        covered by public housing, plus the value of public services given the household's status there, plus
        amenity, home attachment and migrant networks, minus the moving cost, minus an entry cost for a village
        other than the hukou village (farming needs land rights there).
        """
        m = self.model
        ctx, p = m.context, m.params
        origin, hd = self.loc, self.hukou_div
        home = self.hukou_loc()
        college = 1 if self.education == Education.COLLEGE else 0
        has_land = self.land_contract or self.homestead
        has_kids = self.n_children > 0
        owner = self.tenure == Tenure.OWN
        values = []
        for j in range(N_LOCATIONS):
            is_home = j == home
            rural = j % 2 == 0 and j != OUTSIDE_LOC
            stay = j == origin
            home_farm = rural and is_home
            if home_farm:
                income = ctx.farm_income[hd]
            else:
                income = ctx.expected_income[j][college] + (ctx.land_income[hd] if has_land else 0.0)
            has_hukou = is_home and (self.hukou_urban or rural)
            if (stay and owner) or home_farm:
                rent = 0.0
            else:
                rent = ctx.rent[j] * (1.0 - ctx.rent_relief[j][1 if has_hukou else 0])
            if has_hukou:
                general, school = ctx.access_general[j][2], ctx.access_school[j][2]
            elif stay and self.permit:
                general, school = ctx.access_general[j][1], ctx.access_school[j][1]
            else:
                # A newcomer expects a permit and, with the prospect of settling, full access later.
                prospect = ctx.settle_prospect[j] * p.settle_prospect_weight
                general = ctx.access_general[j][1] + (1 - ctx.access_general[j][1]) * prospect
                school = ctx.access_school[j][1] + (1 - ctx.access_school[j][1]) * prospect
            services = p.service_value * general + (p.schooling_value * school if has_kids else 0.0)
            move_cost = 0.0 if stay else p.moving_cost_fixed + p.moving_cost_per_hour * ctx.hours[origin][j]
            attachment = p.home_attachment if is_home else 0.0
            value = income - rent + services + ctx.amenity[j] + attachment + ctx.network[hd][j] - move_cost
            if rural and not is_home and not stay:
                value -= p.rural_entry_cost
            values.append(value)
        return values

    def choice_probabilities(self) -> list[float]:
        """Logit probabilities of the 29 locations, with taste scale σ."""
        values = self.utilities()
        best = max(values)
        sigma = self.model.params.taste_scale
        weights = [math.exp((v - best) / sigma) for v in values]
        total = sum(weights)
        return [w / total for w in weights]

    def choose_destination(self) -> int:
        """Draw next year's location from the logit probabilities (may be the current one)."""
        probabilities = self.choice_probabilities()
        u = self.model.rng.random()
        cumulative = 0.0
        for j, prob in enumerate(probabilities):
            cumulative += prob
            if u < cumulative:
                return j
        # Rounding can leave the cumulative sum a hair below 1: the last open place takes the remainder.
        return max(j for j, prob in enumerate(probabilities) if prob > 0)

    def move_to(self, destination: int) -> None:
        """Move: find a county, sell an owned home, lose the permit, and find work and housing there."""
        m = self.model
        p, rng = m.params, m.rng
        origin = self.loc
        urban_dest = destination % 2 == 1 and destination != OUTSIDE_LOC
        rural_dest = destination % 2 == 0 and destination != OUTSIDE_LOC
        u = rng.random()
        if urban_dest:
            # a county of the destination division, in proportion to its 2010 urban population
            counties, cumulative = m.county_weights[destination // 2]
            self.county = counties[min(bisect.bisect_left(cumulative, u), len(counties) - 1)]
        elif rural_dest and self.hukou_county >= 0 and m.county_division[self.hukou_county] == destination // 2:
            self.county = self.hukou_county  # back to the home village
        elif rural_dest:
            counties, cumulative = m.rural_county_weights[destination // 2]
            self.county = counties[min(bisect.bisect_left(cumulative, u), len(counties) - 1)]
        else:
            self.county = -1
        urban_origin = origin % 2 == 1 and origin != OUTSIDE_LOC
        if self.tenure == Tenure.OWN and urban_origin:
            # the equity of the home sold goes to savings
            origin_div = min(origin // 2, N_DIVISIONS - 1)
            self.savings += (m.rent[origin_div] * p.price_to_rent_years * self.n_members * p.down_payment_share)
        keeps_years = (m.levers["czt_mutual_recognition"] >= 0.5 and urban_dest and urban_origin
                       and m.is_czt[min(origin // 2, N_DIVISIONS - 1)]
                       and m.is_czt[min(destination // 2, N_DIVISIONS - 1)])
        if not keeps_years:
            self.years_here = 0
        m.flows[(origin, destination)] += 1
        self.loc = destination
        self.permit = False
        self.moved_year = m.year
        if rural_dest:
            self.employment = Employment.FARMING
            self.sector = Sector.AGRICULTURE
            self.tenure = Tenure.RURAL_SELF_BUILT if self.homestead else Tenure.MARKET_RENT
        else:
            self.employment = Employment.UNEMPLOYED
            if self.sector == Sector.AGRICULTURE:
                self.sector = Sector.SERVICES
            dormitory = self.sector == Sector.MANUFACTURING and rng.random() < p.dormitory_share
            self.tenure = Tenure.DORMITORY if dormitory else Tenure.MARKET_RENT
        # Children come along where they can go to school; returning home brings them back.
        at_home = destination == self.hukou_loc()
        bring = rng.random() < m.access_school[destination][1]
        self.children_with_parents = at_home or bring

    # --------------------------------------------------------------------------------------------------
    # Residence permit and settlement
    # --------------------------------------------------------------------------------------------------
    def in_hunan_city(self) -> bool:
        """True when living in the urban part of a Hunan division."""
        return self.loc % 2 == 1 and self.loc != OUTSIDE_LOC

    def division(self) -> int:
        """Division of the current location (13 at most: ``outside`` is clamped, as in the vectorised code)."""
        return min(self.loc // 2, N_DIVISIONS - 1)

    def permit_benefit(self) -> float:
        """Share of hukou holders' services that a permit of this city adds for this household."""
        m = self.model
        lv, d = m.levers, self.division()
        coverage = None if m.housing_coverage is None else m.housing_coverage[d]
        general = general_service_share(lv["permit_health_share"][d], lv["permit_housing_share"][d],
                                        lv["permit_training_share"][d], coverage)
        if self.n_children > 0:
            school_gain = max(lv["permit_schooling_share"][d] - lv["migrant_school_access"][d], 0.0)
            return 0.5 * general + 0.5 * school_gain
        return general

    def permit_eligible(self) -> bool:
        """A migrant in a Hunan city without a permit who has lived there long enough."""
        return (self.in_hunan_city() and self.is_away() and not self.permit
                and self.years_here >= self.model.levers["permit_min_years"][self.division()])

    def permit_probability(self) -> float:
        """Probability of taking up a residence permit this year (0 when not eligible)."""
        if not self.permit_eligible():
            return 0.0
        return self.model.params.permit_apply_rate * self.permit_benefit()

    def apply_for_permit(self) -> None:
        """Take up a permit with :meth:`permit_probability`."""
        prob = self.permit_probability()
        if prob > 0 and self.model.rng.random() < prob:
            self.permit = True

    def settlement_eligible(self) -> bool:
        """Whether this household meets its city's settlement (落户) conditions this year."""
        if not (self.in_hunan_city() and self.is_away()):
            return False
        lv, d = self.model.levers, self.division()
        condition = lv["settlement_housing_condition"][d]
        if condition >= 2:
            housing_ok = self.tenure == Tenure.OWN
        elif condition >= 1:
            housing_ok = self.tenure != Tenure.DORMITORY
        else:
            housing_ok = True
        job_ok = lv["settlement_requires_job"][d] < 0.5 or self.employment == Employment.EMPLOYED
        return (self.years_here >= lv["settlement_min_years"][d]
                and self.insurance_years >= lv["settlement_min_insurance_years"][d]
                and housing_ok and job_ok)

    def settlement_gain(self) -> float:
        """Net value (10k 2010 yuan per person-year) of transferring the hukou to where the household lives.

        The service gain over its current status (schooling counts with children), less the migrant's share of
        the public cost of citizenisation.
        """
        m = self.model
        p, loc = m.params, self.loc
        status = 1 if self.permit else 0
        gain = p.service_value * (m.access_general[loc][2] - m.access_general[loc][status])
        if self.n_children > 0:
            gain += p.schooling_value * (m.access_school[loc][2] - m.access_school[loc][status])
        return gain - p.citizenisation_cost * (1.0 - m.levers["government_cost_share"]) + self.land_rights_term()

    def land_rights_income(self) -> float:
        """Yearly income per person of the household's rural rights: contract-land rent and collective income."""
        if not (self.land_contract or self.homestead):
            return 0.0
        hd = min(self.origin_div, len(self.model.context.land_income) - 1)  # where the land is
        return self.model.context.land_income[hd] + self.model.params.collective_income

    def exit_compensation_per_year(self) -> float:
        """The paid-exit compensation per person-year of the contract term, in 2010 yuan."""
        m = self.model
        return (m.levers["land_exit_compensation"] / m.price_index
                / (max(self.n_members, 1) * m.params.land_rights_years))

    def land_rights_term(self) -> float:
        """What settling does to the household's rural rights, per person-year: lost with their income (and
        compensated) when settlers must give them up; otherwise paid exit is an option."""
        rights = self.land_rights_income()
        comp = self.exit_compensation_per_year() if rights > 0 else 0.0
        if self.model.levers["keep_land_rights"] < 0.5:
            return comp - rights
        return max(comp - rights * (1.0 + self.land_attachment), 0.0)

    def exits_land(self) -> bool:
        """Whether a settler gives up its rights: always when the rules require it, otherwise when the paid
        exit's compensation per person-year is at least the rights' income × (1 + its attachment draw)."""
        if not (self.land_contract or self.homestead):
            return False
        if self.model.levers["keep_land_rights"] < 0.5:
            return True
        comp = self.exit_compensation_per_year()
        return comp > 0 and comp >= self.land_rights_income() * (1.0 + self.land_attachment)

    def settlement_willing(self) -> bool:
        """Whether the household would transfer its hukou here if eligible.

        A latent index (intercept + weight × net gain + its own persistent taste) above zero; when settling
        means giving up land, a homestead holder whose persistent attachment draw is below the penalty is not.
        """
        p = self.model.params
        willing = p.settle_intercept + p.settle_service_weight * self.settlement_gain() + self.settle_taste > 0
        if self.model.levers["keep_land_rights"] < 0.5 and self.homestead:
            willing = willing and not self.land_attachment < p.homestead_settle_penalty
        return willing

    def settlement_probability(self) -> float:
        """Probability of transferring the hukou this year: the settling speed if eligible and willing, else 0."""
        if not (self.settlement_eligible() and self.settlement_willing()):
            return 0.0
        m = self.model
        return m.params.settle_speed if m.settle_speed is None else m.settle_speed[self.division()]

    def decide_settlement(self) -> None:
        """Transfer the hukou to this city with :meth:`settlement_probability`."""
        prob = self.settlement_probability()
        if not (prob > 0 and self.model.rng.random() < prob):
            return
        m = self.model
        division = self.loc // 2
        m.settled[division] += self.n_members
        exits = self.exits_land()  # read before the hukou moves: the rights' income is by hukou division
        self.hukou_div = division
        self.hukou_county = self.county
        self.hukou_urban = True
        self.permit = False
        self.settled_year = m.year
        if exits:
            self.land_contract = False
            self.homestead = False
            self.savings += m.levers["land_exit_compensation"]

    def book_year(self) -> None:
        """Hukou transfers out of Hunan by migrants outside; insurance contributions; years of residence."""
        m = self.model
        rng = m.rng
        if self.loc == OUTSIDE_LOC and self.hukou_div != OUTSIDE_DIV and rng.random() < m.params.outside_settle_rate:
            m.settled_outside += self.n_members
            self.hukou_div = OUTSIDE_DIV
            self.hukou_county = -1
            self.land_contract = False
            self.homestead = False
        if self.in_hunan_city() and self.employment == Employment.EMPLOYED:
            if not self.is_away() or rng.random() < m.params.migrant_insurance_share:
                self.insurance_years += 1
        self.years_here = min(self.years_here + 1, MAX_YEARS_HERE)


class ReferenceModel(mesa.Model):
    """A Mesa model whose households are :class:`HouseholdAgent` objects, for one year's context.

    Args:
        households: the initial household table (one agent per record).
        context: what households know about places this year (``HunanModel.choice_context()``).
        params: behavioural parameters.
        policy: the levers in force this year.
        access_general: (29, 3) access to general services by place and status (``HunanModel.access_general``).
        access_school: (29, 3) access to schooling (``HunanModel.access_school``).
        rent: (14,) market rent by division (``HunanModel.rent``), for the equity of homes sold on moving.
        is_czt: (14,) True for Changsha, Zhuzhou and Xiangtan.
        year: the year before the first step (a step advances it, as ``HunanModel.step`` does).
        price_index: the nominal income level relative to 2010 (``HunanModel.price_index()``), which deflates
            the paid-exit compensation.
        housing_coverage: by division, the share of renters the rental units could house
            (``HunanModel.housing_coverage``); the permit's housing share counts that much. None: in full.
        settle_speed: by division, the share of eligible, willing households that settle this year
            (``HunanModel.settle_speed_by_row()``: the cities' processing speed). None: ``settle_speed``.
        rng: seed of the model's generators (Mesa's ``rng``: agents draw from ``model.rng``; ``shuffle_do``
            shuffles with ``model.random``, seeded from the same integer).

    Attributes:
        flows: moves of the last step by (origin, destination), in records.
        settled: persons (agent units) who settled in each division in the last step.
        settled_outside: persons (agent units) who transferred their hukou out of Hunan in the last step.
    """

    def __init__(self, *, households: Households, context: ChoiceContext, params: ModelParameters, policy: Policy,
                 access_general: np.ndarray, access_school: np.ndarray, rent: np.ndarray, is_czt: np.ndarray,
                 year: int, rng: int, price_index: float = 1.0, housing_coverage: np.ndarray | None = None,
                 settle_speed: np.ndarray | None = None) -> None:
        super().__init__(rng=int(rng))  # Mesa refuses numpy integers (STACK.md)
        self.params = params
        self.year = year
        self.price_index = price_index
        self.housing_coverage = None if housing_coverage is None else np.asarray(housing_coverage).tolist()
        self.settle_speed = None if settle_speed is None else np.asarray(settle_speed).tolist()
        self.context = PlainContext.from_context(context)
        self.levers: dict[str, Any] = {name: np.asarray(policy.city(name)).tolist() for name in CITY_LEVERS}
        self.levers.update({name: float(policy[name]) for name in PROVINCE_LEVERS})
        self.access_general = np.asarray(access_general).tolist()
        self.access_school = np.asarray(access_school).tolist()
        self.rent = np.asarray(rent).tolist()
        self.is_czt = np.asarray(is_czt).tolist()
        counties = load_counties_2010_on_2020()
        self.county_division = counties.division.to_numpy().tolist()
        self.county_weights = county_weights(counties.urban_population.to_numpy())
        self.rural_county_weights = county_weights(
            (counties.population - counties.urban_population).clip(lower=0).to_numpy() + 1.0)
        self.flows: Counter[tuple[int, int]] = Counter()
        self.settled = [0.0] * N_DIVISIONS
        self.settled_outside = 0.0
        columns = {name: households.cols[name].tolist() for name in (*SCHEMA, *MEMBER_COLUMNS)}
        for i in range(len(households)):
            HouseholdAgent(self, row={name: values[i] for name, values in columns.items()})

    @classmethod
    def from_model(cls, model: HunanModel, *, rng: int) -> ReferenceModel:
        """A reference model with a copy of ``model``'s households and this year's context and levers."""
        return cls(households=model.households, context=model.choice_context(), params=model.params,
                   policy=model.policy, access_general=model.access_general, access_school=model.access_school,
                   rent=model.rent, is_czt=model.world.is_czt, year=model.year, rng=rng,
                   price_index=model.price_index(), housing_coverage=model.housing_coverage,
                   settle_speed=model.settle_speed_by_row())

    def step(self) -> None:
        """One year of household decisions, each agent in turn, in random order."""
        self.year += 1
        self.flows.clear()
        self.settled = [0.0] * N_DIVISIONS
        self.settled_outside = 0.0
        self.agents.shuffle_do("step")

    def household_agents(self) -> list[HouseholdAgent]:
        """The agents in creation order (the row order of the table they were built from)."""
        return sorted(self.agents, key=lambda a: a.unique_id)

    def to_households(self) -> Households:
        """The agents' state as a household table (rows in creation order, :data:`SCHEMA` dtypes)."""
        agents = self.household_agents()
        dtypes = {**SCHEMA, **{name: dtype for name, (dtype, _slots) in MEMBER_COLUMNS.items()}}
        return Households(cols={name: np.array([getattr(a, name) for a in agents], dtype=dtype)
                                for name, dtype in dtypes.items()})
