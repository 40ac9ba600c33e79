"""Households: a vectorised population, one record per household (or per ``households_per_agent`` households).

Households are not Mesa agents: at 18.6 million real households a Python object each would be hundreds of
times slower (STACK.md). They are a table of numpy arrays, one array per attribute, and each behaviour is a
function over the whole table:

* :func:`choose_destinations`: where to live next year (random utility over 29 places, incl. return moves);
* :func:`apply_for_permits`: residence-permit uptake by households living away from their hukou place;
* :func:`decide_settlement`: hukou transfer by eligible migrants, a separate decision from staying.

Demography and housing choices that need only a few lines live in :mod:`sim.model` and :mod:`sim.markets`.

Money is in 10,000 yuan per person per year (income, rents) or per household (savings).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numpy as np

from sim.world import N_DIVISIONS, N_LOCATIONS, OUTSIDE_DIV, OUTSIDE_LOC

FloatArray = np.ndarray  # 1-D float array, one value per household unless named otherwise
IntArray = np.ndarray
BoolArray = np.ndarray


class Tenure(IntEnum):
    """How a household is housed."""

    OWN = 0
    MARKET_RENT = 1
    PUBLIC_RENTAL = 2
    DORMITORY = 3
    RURAL_SELF_BUILT = 4


class Education(IntEnum):
    """Education of the household head (census categories grouped)."""

    PRIMARY_OR_LESS = 0
    JUNIOR_SECONDARY = 1
    SENIOR_SECONDARY = 2
    COLLEGE = 3


class Employment(IntEnum):
    """Labour-market state of the household's workers."""

    EMPLOYED = 0
    UNEMPLOYED = 1
    FARMING = 2


class Sector(IntEnum):
    """Sector of the household's job (or last job)."""

    AGRICULTURE = 0
    MANUFACTURING = 1
    SERVICES = 2


#: Column name -> dtype of the household table. Small dtypes keep 20 M households under 1 GB.
SCHEMA: dict[str, Any] = {
    "hid": np.uint32,              # stable household id (for following a household)
    "loc": np.int8,                # current location: 2*division + urban, 28 = outside Hunan
    "county": np.int16,            # current county (row of the 2010 county table), -1 outside
    "hukou_div": np.int8,          # division of hukou registration, 14 = another province
    "hukou_county": np.int16,      # county of hukou registration, -1 = another province
    "hukou_urban": np.bool_,       # non-agricultural (urban) hukou
    "origin_div": np.int8,         # division the household comes from (hukou in 2010 or at formation); kept
                                   # after settling, since hometown networks outlive a hukou transfer
    "permit": np.bool_,            # holds a residence permit of the current city
    "years_here": np.int16,        # years in the current division (or CZT, under mutual recognition)
    "head_age": np.int16,
    "education": np.int8,          # Education
    "employment": np.int8,         # Employment
    "sector": np.int8,             # Sector
    "income": np.float32,          # per-capita disposable income, 10k yuan / person / year
    "savings": np.float32,         # household savings, 10k yuan
    "tenure": np.int8,             # Tenure
    "land_contract": np.bool_,     # holds rural contract land (承包地)
    "homestead": np.bool_,         # holds a rural homestead (宅基地)
    "n_members": np.int16,         # persons in the household, children included
    "n_children": np.int16,        # children aged 0-14
    "children_with_parents": np.bool_,  # False = children left behind at the hukou place
    "insurance_years": np.int16,   # years of urban social insurance contributions
    "settle_taste": np.float32,    # persistent taste for transferring hukou (standard logistic draw)
    "land_attachment": np.float32, # persistent uniform draw: below the homestead penalty, a homestead holder
                                   # will not give up the homestead to settle
    "settled_year": np.int16,      # year of the last hukou transfer (0 = never)
    "moved_year": np.int16,        # year of the last move (0 = never)
}


@dataclass
class Households:
    """The household table: one numpy array per column of :data:`SCHEMA`, all of equal length."""

    cols: dict[str, np.ndarray]

    def __post_init__(self) -> None:
        lengths = {len(v) for v in self.cols.values()}
        if len(lengths) > 1:
            raise ValueError(f"household columns differ in length: {lengths}")
        missing = set(SCHEMA) - set(self.cols)
        if missing:
            raise ValueError(f"household table lacks columns {sorted(missing)}")

    def __getattr__(self, name: str) -> np.ndarray:
        try:
            return self.__dict__["cols"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __len__(self) -> int:
        return len(self.cols["hid"])

    def set(self, name: str, values: Any, where: np.ndarray | slice = slice(None)) -> None:
        """Assign values to a column (optionally where a mask or index holds)."""
        self.cols[name][where] = values

    def keep(self, mask: BoolArray) -> None:
        """Drop the households where ``mask`` is False."""
        self.cols = {k: v[mask] for k, v in self.cols.items()}

    def append(self, other: dict[str, np.ndarray]) -> None:
        """Add households given as a dict of columns."""
        self.cols = {k: np.concatenate([v, np.asarray(other[k], dtype=SCHEMA[k])]) for k, v in self.cols.items()}

    def hukou_loc(self) -> IntArray:
        """Location of each household's hukou place (urban or rural part of its division; 28 = outside)."""
        hl = 2 * self.cols["hukou_div"].astype(np.int16) + self.cols["hukou_urban"]
        return np.where(self.cols["hukou_div"] == OUTSIDE_DIV, OUTSIDE_LOC, hl)

    def away(self) -> BoolArray:
        """True where a household lives away from its hukou place (a migrant, incl. rural hukou in town)."""
        return self.cols["loc"] != self.hukou_loc()

    def n_adults(self) -> IntArray:
        """Persons aged 15 and over."""
        return self.cols["n_members"] - self.cols["n_children"]

    def persons_by_loc(self) -> np.ndarray:
        """Persons (agent units) at each of the 29 locations."""
        return np.bincount(self.cols["loc"], weights=self.cols["n_members"], minlength=N_LOCATIONS)

    def to_frame(self) -> Any:
        """The table as a pandas DataFrame (for inspection and the UI's "follow a household")."""
        import pandas as pd

        return pd.DataFrame(self.cols)


def empty_columns(n: int) -> dict[str, np.ndarray]:
    """Zero-filled columns for ``n`` households."""
    return {k: np.zeros(n, dtype=t) for k, t in SCHEMA.items()}


# ------------------------------------------------------------------------------------------------------
# Migration choice
# ------------------------------------------------------------------------------------------------------

#: Review probability multipliers (assumption, docs/ODD.md): the unemployed and the young reconsider
#: where to live more often, older households less (age profile of migration in CMDS reports).
REVIEW_UNEMPLOYED = 2.0
REVIEW_YOUNG = 1.5   # head under 35
REVIEW_OLD = 0.4     # head 55 and over


@dataclass(frozen=True)
class ChoiceContext:
    """Everything about places that enters the destination choice, for one year.

    All arrays are indexed by location (29) unless noted. Money in 10k yuan per person per year.

    Attributes:
        expected_income: (29, 2) expected income by location and college (0/1): wage × job probability
            (Harris-Todaro) for urban places and outside, farm income for rural places.
        rent: market rent per person by location (0 for rural places).
        rent_relief: expected share of the rent saved through public or affordable rental housing, for
            households without and with local hukou, (29, 2).
        access_general: (29, 3) share of hukou holders' public services obtained, by status at that place
            (0 = no permit, 1 = permit holder, 2 = hukou holder) for general services (health, housing,
            training).
        access_school: (29, 3) the same for schooling of children.
        settle_prospect: (29,) chance-weighted openness of settlement for newcomers (0-1).
        amenity: (29,) amenity of each place.
        hours: (29, 29) travel hours between locations.
        network: (15, 29) log migrant-network size by hukou division and location.
    """

    expected_income: np.ndarray
    rent: np.ndarray
    rent_relief: np.ndarray
    access_general: np.ndarray
    access_school: np.ndarray
    settle_prospect: np.ndarray
    amenity: np.ndarray
    hours: np.ndarray
    network: np.ndarray
    land_income: np.ndarray  # (15,) farm income kept by absent land holders, by hukou division
    farm_income: np.ndarray  # (15,) farm income at home by hukou division (15th: 0)


#: Dimensions of the household types for which choice probabilities are tabulated.
GROUP_DIMS = (N_LOCATIONS, N_DIVISIONS + 1, 2, 2, 2, 2, 2, 2)
GROUP_NAMES = ("loc", "hukou_div", "hukou_urban", "permit", "children", "owner", "college", "land")


def group_index(h: Households, idx: IntArray | slice = slice(None)) -> IntArray:
    """Type index of each household (row-major over :data:`GROUP_DIMS`)."""
    c = h.cols
    parts = (
        c["loc"][idx].astype(np.int64),
        c["hukou_div"][idx],
        c["hukou_urban"][idx],
        c["permit"][idx],
        c["n_children"][idx] > 0,
        c["tenure"][idx] == Tenure.OWN,
        c["education"][idx] == Education.COLLEGE,
        c["land_contract"][idx] | c["homestead"][idx],
    )
    return np.ravel_multi_index(tuple(np.asarray(p, dtype=np.int64) for p in parts), GROUP_DIMS)


def utility_table(ctx: ChoiceContext, p: Any) -> np.ndarray:
    """Deterministic utility (10k yuan) of each destination for each household type.

    Returns an array of shape ``GROUP_DIMS + (29,)``. Terms (docs/ODD.md, submodel "migration choice"):
    expected income, minus rent not covered by public housing, plus the value of public services given the
    household's status at the destination, plus amenity, home attachment and migrant networks, minus the
    moving cost c₀ + c₁ · hours for any move, minus an entry cost for villages other than the hukou village
    (farming needs land rights there).
    """
    L, D = N_LOCATIONS, N_DIVISIONS + 1
    # Broadcast axes: origin, hukou_div, hukou_urban, permit, children, owner, college, land, destination
    o = np.arange(L).reshape(L, 1, 1, 1, 1, 1, 1, 1, 1)
    hd = np.arange(D).reshape(1, D, 1, 1, 1, 1, 1, 1, 1)
    hu = np.arange(2).reshape(1, 1, 2, 1, 1, 1, 1, 1, 1)
    permit = np.arange(2).reshape(1, 1, 1, 2, 1, 1, 1, 1, 1)
    kids = np.arange(2).reshape(1, 1, 1, 1, 2, 1, 1, 1, 1)
    owner = np.arange(2).reshape(1, 1, 1, 1, 1, 2, 1, 1, 1)
    college = np.arange(2).reshape(1, 1, 1, 1, 1, 1, 2, 1, 1)
    land = np.arange(2).reshape(1, 1, 1, 1, 1, 1, 1, 2, 1)
    j = np.arange(L).reshape(1, 1, 1, 1, 1, 1, 1, 1, L)

    home_loc = np.where(hd == OUTSIDE_DIV, OUTSIDE_LOC, 2 * hd + hu)
    j_is_home = j == home_loc
    j_rural = (j % 2 == 0) & (j != OUTSIDE_LOC)
    stay = j == o

    # Income: at the home village the farm income, elsewhere the expected wage plus absent-owner land income.
    income = ctx.expected_income[j, college]
    home_farm = j_rural & j_is_home
    income = np.where(home_farm, ctx.farm_income[hd], income + land * ctx.land_income[hd])

    # Housing: owners pay nothing where they own (their current place); villagers with a homestead pay
    # nothing at home; everyone else pays market rent less expected public-housing relief.
    has_hukou_j = (j_is_home & (hu == 1)) | (j_is_home & j_rural)
    relief = ctx.rent_relief[j, has_hukou_j.astype(np.int64)]
    rent = ctx.rent[j] * (1.0 - relief)
    rent = np.where((stay & (owner == 1)) | home_farm, 0.0, rent)

    # Services: status at the destination is hukou holder (2), permit holder if staying with a permit (1),
    # otherwise newcomer (0), whose access grows with the prospect of a permit and of settling.
    status = np.where(has_hukou_j, 2, np.where(stay & (permit == 1), 1, 0))
    gen = ctx.access_general[j, status]
    school = ctx.access_school[j, status]
    newcomer = status == 0
    prospect = ctx.settle_prospect[j] * p.settle_prospect_weight
    # A newcomer expects to obtain a permit (easy to get) and, with the settlement prospect, full access.
    gen = np.where(newcomer, ctx.access_general[j, 1] + (1 - ctx.access_general[j, 1]) * prospect, gen)
    school = np.where(newcomer, ctx.access_school[j, 1] + (1 - ctx.access_school[j, 1]) * prospect, school)
    services = p.service_value * gen + p.schooling_value * kids * school

    move_cost = np.where(stay, 0.0, p.moving_cost_fixed + p.moving_cost_per_hour * ctx.hours[o, j])
    v = (income - rent + services + ctx.amenity[j] + p.home_attachment * j_is_home
         + ctx.network[hd, j] - move_cost)
    # Rural places other than the hukou village cost an entry cost (farming needs land rights there).
    v = np.where(j_rural & ~j_is_home & ~stay, v - p.rural_entry_cost, v)
    return np.broadcast_to(v, GROUP_DIMS + (L,))


def choice_cdf(utility: np.ndarray, taste_scale: float) -> np.ndarray:
    """Cumulative logit choice probabilities over destinations, shape (n_types, 29), last column 1."""
    u = utility.reshape(-1, utility.shape[-1]) / taste_scale
    u = u - u.max(axis=1, keepdims=True)
    w = np.exp(u)
    cdf = np.cumsum(w, axis=1)
    cdf /= cdf[:, -1:]
    return cdf


def review_probability(h: Households, review_rate: float) -> FloatArray:
    """Probability that each household reconsiders its location this year."""
    c = h.cols
    mult = np.where(c["employment"] == Employment.UNEMPLOYED, REVIEW_UNEMPLOYED, 1.0)
    mult = mult * np.where(c["head_age"] < 35, REVIEW_YOUNG, np.where(c["head_age"] >= 55, REVIEW_OLD, 1.0))
    return np.minimum(1.0, review_rate * mult)


def choose_destinations(h: Households, cdf: np.ndarray, review_rate: float, rng: np.random.Generator,
                        chunk: int = 1_000_000) -> tuple[IntArray, IntArray]:
    """Draw next year's location for the households that review it.

    One uniform draw per reviewing household against its type's cumulative choice row (the fastest
    correct sampler measured in STACK.md). Works in chunks to bound memory at full scale.

    Returns:
        (index of reviewing households, their chosen locations); the chosen location may equal the current.
    """
    reviewing = np.flatnonzero(rng.random(len(h)) < review_probability(h, review_rate))
    dest = np.empty(len(reviewing), dtype=np.int8)
    for start in range(0, len(reviewing), chunk):
        idx = reviewing[start:start + chunk]
        rows = cdf[group_index(h, idx)]
        u = rng.random(len(idx))
        dest[start:start + chunk] = (rows < u[:, None]).sum(axis=1)
    return reviewing, dest


# ------------------------------------------------------------------------------------------------------
# Residence permits and settlement
# ------------------------------------------------------------------------------------------------------


def permit_benefit(c: dict[str, np.ndarray], div: IntArray, policy: Any) -> FloatArray:
    """Share of hukou holders' services that a permit adds, for each household at its division."""
    general = (policy.city("permit_health_share")[div] + policy.city("permit_housing_share")[div]
               + policy.city("permit_training_share")[div]) / 3.0
    school_gain = np.maximum(policy.city("permit_schooling_share")[div] - policy.city("migrant_school_access")[div], 0)
    has_kids = c["n_children"] > 0
    return np.where(has_kids, 0.5 * general + 0.5 * school_gain, general)


def apply_for_permits(h: Households, policy: Any, apply_rate: float, rng: np.random.Generator) -> BoolArray:
    """Migrants in Hunan's cities who have lived there long enough may take up a residence permit.

    Uptake rises with what the permit gives (a permit that gives nothing is not worth the paperwork).
    Returns the mask of new permit holders (already applied to the table).
    """
    c = h.cols
    loc = c["loc"]
    in_city = (loc % 2 == 1) & (loc != OUTSIDE_LOC)
    div = np.minimum(loc // 2, N_DIVISIONS - 1)
    eligible = in_city & h.away() & ~c["permit"] & (c["years_here"] >= policy.city("permit_min_years")[div])
    p = apply_rate * permit_benefit(c, div, policy)
    new = eligible & (rng.random(len(h)) < p)
    c["permit"][new] = True
    return new


def settlement_eligible(h: Households, policy: Any) -> BoolArray:
    """Households that meet their city's settlement (落户) conditions this year."""
    c = h.cols
    loc = c["loc"]
    in_city = (loc % 2 == 1) & (loc != OUTSIDE_LOC)
    div = np.minimum(loc // 2, N_DIVISIONS - 1)
    cond = policy.city("settlement_housing_condition")[div]
    tenure = c["tenure"]
    housing_ok = np.where(cond >= 2, tenure == Tenure.OWN,
                          np.where(cond >= 1, tenure != Tenure.DORMITORY, True))
    job_ok = (policy.city("settlement_requires_job")[div] < 0.5) | (c["employment"] == Employment.EMPLOYED)
    return (in_city & h.away()
            & (c["years_here"] >= policy.city("settlement_min_years")[div])
            & (c["insurance_years"] >= policy.city("settlement_min_insurance_years")[div])
            & housing_ok & job_ok)


def settlement_gain(h: Households, policy: Any, p: Any, access_general: np.ndarray,
                    access_school: np.ndarray, idx: IntArray | slice = slice(None)) -> FloatArray:
    """Net value (10k 2010 yuan per person-year) of transferring hukou to the place where a household lives.

    The service gain over what it already gets (permit or not; schooling counts for households with
    children) less the migrant's share of the public cost of citizenisation. ``idx`` restricts the
    computation to some households (the result then has their length).
    """
    c = h.cols
    loc = c["loc"][idx].astype(np.int64)
    status = c["permit"][idx].astype(np.int64)
    kids = c["n_children"][idx] > 0
    gain = (p.service_value * (access_general[loc, 2] - access_general[loc, status])
            + p.schooling_value * kids * (access_school[loc, 2] - access_school[loc, status]))
    return gain - p.citizenisation_cost * (1.0 - policy["government_cost_share"])


def settlement_willing(h: Households, policy: Any, p: Any, access_general: np.ndarray,
                       access_school: np.ndarray, idx: IntArray | slice = slice(None)) -> BoolArray:
    """Households that would transfer hukou where they live if they were eligible.

    Willingness is a persistent trait: a latent index (intercept + weight × net gain + the household's own
    logistic taste) above zero; CMDS 2016 found about 30 % of migrants willing. Settling in a Hunan city
    while the province makes settlers give up land rights loses a homestead; Gu et al. 2020 find that holding
    one lowers the propensity to transfer hukou by about 12 %: that share of homestead holders (by their
    persistent ``land_attachment`` draw) is unwilling.
    """
    c = h.cols
    gain = settlement_gain(h, policy, p, access_general, access_school, idx)
    willing = p.settle_intercept + p.settle_service_weight * gain + c["settle_taste"][idx] > 0
    if policy["keep_land_rights"] < 0.5:
        willing &= ~(c["homestead"][idx] & (c["land_attachment"][idx] < p.homestead_settle_penalty))
    return willing


def decide_settlement(h: Households, policy: Any, p: Any, access_general: np.ndarray, access_school: np.ndarray,
                      rng: np.random.Generator) -> BoolArray:
    """Eligible, willing migrants transfer their hukou to the city where they live.

    A separate decision from staying: eligibility comes from the city's rules (:func:`settlement_eligible`),
    willingness from :func:`settlement_willing`; the paperwork and timing make an eligible, willing household
    act in a given year with probability ``settle_speed``. Returns the mask of settlers.
    """
    acting = settlement_eligible(h, policy) & (rng.random(len(h)) < p.settle_speed)
    idx = np.flatnonzero(acting)  # willingness is evaluated only where it can matter
    settle = np.zeros(len(h), dtype=bool)
    settle[idx] = settlement_willing(h, policy, p, access_general, access_school, idx)
    return settle
