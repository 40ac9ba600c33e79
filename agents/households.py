"""Households: a vectorised population, one record per household (or per ``households_per_agent`` households).

Households are not Mesa agents: at 18.6 million real households a Python object each would be hundreds of
times slower (STACK.md). They are a table of numpy arrays, one array per attribute, and each behaviour is a
function over the whole table:

* :func:`choose_destinations`: where to live next year (random utility over all places, incl. return moves);
* :func:`apply_for_permits`: residence-permit uptake by households living away from their hukou place;
* :func:`decide_settlement`: hukou transfer by eligible migrants, a separate decision from staying.

Demography and housing choices that need only a few lines live in :mod:`sim.model` and :mod:`sim.markets`.

Money is in 10,000 yuan per person per year (income, rents) or per household (savings).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import numpy as np

from agents.governments import general_service_share
from sim.parameters import ModelParameters
from sim.places import N_LOCATIONS, Places, default_places

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
    "loc": np.int8,                # current place, a row of sim.places.Places (int16 beyond 127 places)
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
    "n_elderly": np.int16,         # members aged 65 and over
    "children_with_parents": np.bool_,  # False = children left behind at the hukou place
    "insurance_years": np.int16,   # years of urban social insurance contributions
    "settle_taste": np.float32,    # persistent taste for transferring hukou (standard logistic draw)
    "land_attachment": np.float32, # persistent uniform draw: below the homestead penalty, a homestead holder
                                   # will not give up the homestead to settle
    "settled_year": np.int16,      # year of the last hukou transfer (0 = never)
    "moved_year": np.int16,        # year of the last move (0 = never)
    "job_loser": np.bool_,         # unemployed after losing a job in this city (a hire is re-employment, not a
                                   # new urban job; cleared by a hire or a move)
}


#: Person slots per household: column ``members`` holds one code per member (:func:`member_code`: age and sex),
#: :data:`EMPTY` where the slot is free. The 2010 synthesis fills at most :data:`MAX_INITIAL_MEMBERS` (household
#: size 1 + Poisson(mean - 1), mean 3.3: about 0.15 % of draws are capped), leaving room for births; a birth
#: into a household with no free slot does not happen (counted, ``births_lost``; docs/ODD.md, assumption).
#: ``n_members``, ``n_children`` and ``head_age`` are derived from it (:func:`refresh_members`).
MEMBER_SLOTS = 12
#: Largest household of the 2010 synthesis.
MAX_INITIAL_MEMBERS = 10
#: Code of a free member slot.
EMPTY = 255
#: Oldest age a member reaches (death is certain at it).
MAX_AGE = 110
#: Columns with one value per member slot: name -> (dtype, slots). Not in :data:`SCHEMA`, whose columns are
#: one value per household (the per-agent Mesa reference and the ODD table read SCHEMA).
MEMBER_COLUMNS: dict[str, tuple[Any, int]] = {"members": (np.uint8, MEMBER_SLOTS)}


#: Working age as China's labour statistics count it: from 16 to the statutory retirement age, 60 for men and
#: 55 for women (国发〔1978〕104号: men 60, women workers 50, women cadres 55; 55 is taken for all women, an
#: assumption between the two). Used for the attrition (自然减员) of the new-urban-jobs statistic.
WORKING_AGE_FROM = 16
RETIREMENT_AGE = (60, 55)


def member_code(age: Any, female: Any) -> Any:
    """The ``members`` code of a person: 2 x age + 1 if female (age 0-110, so codes 0-221; 255 is a free slot)."""
    return np.asarray(age, dtype=np.int64) * 2 + np.asarray(female, dtype=np.int64)


#: Growth factor of the household table's storage when new households do not fit in its spare rows.
GROWTH = 1.25
#: Rows compacted at a time by :meth:`Households.keep`.
_KEEP_BLOCK = 1 << 20


@dataclass
class Households:
    """The household table: one numpy array per column of :data:`SCHEMA`, all of equal length.

    ``cols`` holds views of the first ``len`` rows of larger arrays (``_store``), so that households formed
    each year are written into spare rows instead of copying every column (:meth:`append`). ``places`` is
    the table the ``loc`` column indexes (the world's; by default the division-level network).
    """

    cols: dict[str, np.ndarray]
    places: Places = field(default_factory=default_places)

    def __post_init__(self) -> None:
        lengths = {len(v) for v in self.cols.values()}
        if len(lengths) > 1:
            raise ValueError(f"household columns differ in length: {lengths}")
        missing = (set(SCHEMA) | set(MEMBER_COLUMNS)) - set(self.cols)
        if missing:
            raise ValueError(f"household table lacks columns {sorted(missing)}")
        self.__dict__["_store"] = None  # allocated on the first keep or append

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

    def _capacity(self) -> int:
        store = self.__dict__.get("_store")
        return 0 if store is None else len(store["hid"])

    def keep(self, mask: BoolArray) -> None:
        """Drop the households where ``mask`` is False (the others keep their order)."""
        store = self.__dict__.get("_store")
        if store is None or any(v.base is not store[k] for k, v in self.cols.items()):
            # first call (or columns replaced from outside): new storage with spare rows
            cap = int(len(self) * GROWTH) + 1
            store = {k: np.empty((cap,) + v.shape[1:], dtype=v.dtype) for k, v in self.cols.items()}
            self.__dict__["_store"] = store
        # Compacted a block of rows at a time: each block's kept rows are copied out before they are written
        # back at or before the block's start, so compacting in place never overwrites a row not yet read, and
        # the copies stay small (20 % faster at 21 M rows than whole-column copies).
        views = [(row_view(v), row_view(store[k])) for k, v in self.cols.items()]
        m = 0
        for start in range(0, len(mask), _KEEP_BLOCK):
            part = mask[start:start + _KEEP_BLOCK]
            kept = int(np.count_nonzero(part))
            for src, dst in views:
                dst[m:m + kept] = src[start:start + _KEEP_BLOCK][part]
            m += kept
        self.cols = {k: v[:m] for k, v in store.items()}

    def append(self, other: dict[str, np.ndarray]) -> None:
        """Add households given as a dict of columns (after the current ones)."""
        n = len(self)
        k_new = len(np.asarray(other["hid"]))
        end = n + k_new
        store = self.__dict__.get("_store")
        if store is None or end > len(store["hid"]) or any(v.base is not store[k] for k, v in self.cols.items()):
            cap = int(end * GROWTH) + 1
            store = {}
            for k, v in self.cols.items():
                new = np.empty((cap,) + v.shape[1:], dtype=v.dtype)
                new[:n] = v
                store[k] = new
            self.__dict__["_store"] = store
        for k, v in store.items():
            v[n:end] = np.asarray(other[k], dtype=v.dtype)
        self.cols = {k: v[:end] for k, v in store.items()}

    def hukou_loc(self, idx: IntArray | slice = slice(None)) -> IntArray:
        """Place of each household's hukou (:meth:`sim.places.Places.hukou_place`; another province = outside).

        ``idx`` restricts it to some households (the result then has their length)."""
        return self.places.hukou_place(self.cols["hukou_div"][idx], self.cols["hukou_urban"][idx],
                                       self.cols["hukou_county"][idx])

    def away(self) -> BoolArray:
        """True where a household lives away from its hukou place (a migrant, incl. rural hukou in town)."""
        return self.cols["loc"] != self.hukou_loc()

    def n_adults(self) -> IntArray:
        """Persons aged 15 and over."""
        return self.cols["n_members"] - self.cols["n_children"]

    def persons_by_loc(self) -> np.ndarray:
        """Persons (agent units) at each place."""
        return np.bincount(self.cols["loc"], weights=self.cols["n_members"], minlength=self.places.n)

    def to_frame(self) -> Any:
        """The table as a pandas DataFrame (for inspection and the UI's "follow a household"); a member-slot
        column becomes one column per slot (``members_0`` ...)."""
        import pandas as pd

        flat = {}
        for k, v in self.cols.items():
            if v.ndim == 1:
                flat[k] = v
            else:
                flat.update({f"{k}_{j}": v[:, j] for j in range(v.shape[1])})
        return pd.DataFrame(flat)


def row_view(column: np.ndarray) -> np.ndarray:
    """A 1-D view of a C-contiguous column with one opaque element per household (a member-slot row's 12 bytes).

    Why: numpy selects rows of a 2-D array by a boolean mask element by element (1.0 s for 21 M rows of 12 slots
    here), but whole opaque records at once (0.04 s); the bytes selected are the same.
    """
    if column.ndim == 1:
        return column
    if not column.flags.c_contiguous:
        raise ValueError("row_view needs a C-contiguous column")
    return column.view(np.dtype((np.void, column.itemsize * int(np.prod(column.shape[1:]))))).reshape(len(column))


def empty_columns(n: int, places: Places | None = None) -> dict[str, np.ndarray]:
    """Zero-filled columns for ``n`` households (member slots free); ``loc`` gets the type of ``places`` (default: :data:`SCHEMA`'s)."""
    cols = {k: np.zeros(n, dtype=t) for k, t in SCHEMA.items()}
    cols.update({k: np.full((n, slots), EMPTY, dtype=t) for k, (t, slots) in MEMBER_COLUMNS.items()})
    if places is not None:
        cols["loc"] = np.zeros(n, dtype=places.loc_dtype)
    return cols


#: Rows of the member table handled at once by :func:`refresh_members` (bounds its temporaries to ~100 MB).
_MEMBER_CHUNK = 1_000_000


def refresh_members(h: Households, rows: IntArray | None = None) -> None:
    """Derive ``n_members``, ``n_children`` (aged 0-14), ``n_elderly`` (65+) and ``head_age`` from the member
    slots.

    The head is the oldest member of working age (15-64) or, in a household without one, the oldest member:
    the generation that earns and decides to move (a 40-year-old, not the grandparent living with them). A
    household of children only has its oldest child as head. ``rows`` limits it to some households.
    """
    c = h.cols
    whole = rows is None
    n = len(h) if whole else len(rows)
    slots = c["members"].shape[1]
    for start in range(0, n, _MEMBER_CHUNK):
        # a slice when refreshing the whole table (no index array, no copy of the slots)
        r = slice(start, start + _MEMBER_CHUNK) if whole else np.asarray(rows)[start:start + _MEMBER_CHUNK]
        # Codes slot-major (twelve passes of vector operations over the households are faster than reductions
        # along rows of twelve), compared as uint8 in place: code = 2·age + female, a free slot is 255, so
        # age < 15 is code < 30, age >= 65 is code >= 130 (or free), and the oldest member has the largest code
        # below 255. 3.6 times faster than looking up ages in a table (a uint8 index is numpy's slow path).
        codes = np.ascontiguousarray((c["members"][r] if whole else c["members"].take(r, axis=0)).T)
        m = codes.shape[1]
        free, young, old_or_free = (np.zeros(m, dtype=np.uint8) for _ in range(3))
        top = np.zeros(m, dtype=np.uint8)  # largest member code + 1 (0: no member; a free slot's 255 + 1 wraps)
        work = np.zeros(m, dtype=np.uint8)  # largest code of a member aged 15-64 (codes 30-129), less 29; 0: none
        tmp, flag = np.empty(m, dtype=np.uint8), np.empty(m, dtype=bool)
        flag8 = flag.view(np.uint8)
        for code in codes:
            np.equal(code, EMPTY, out=flag)
            free += flag8
            np.less(code, 2 * CHILD_AGE_END, out=flag)
            young += flag8
            np.greater_equal(code, 2 * ELDERLY_AGE, out=flag)
            old_or_free += flag8
            np.add(code, np.uint8(1), out=tmp)
            np.maximum(top, tmp, out=top)
            np.subtract(code, np.uint8(2 * CHILD_AGE_END - 1), out=tmp)  # 30-129 -> 1-100, the rest above 100
            np.less_equal(tmp, 2 * (ELDERLY_AGE - CHILD_AGE_END), out=flag)
            np.multiply(tmp, flag8, out=tmp)
            np.maximum(work, tmp, out=work)
        free16 = free.astype(np.int16)
        c["n_members"][r] = slots - free16
        c["n_children"][r] = young
        c["n_elderly"][r] = old_or_free - free16
        c["head_age"][r] = np.where(work > 0, (work.astype(np.int16) + (2 * CHILD_AGE_END - 1)) >> 1,
                                    np.where(top > 0, (top.astype(np.int16) - 1) >> 1, 0))


#: Ages bounding the census's age bands: children are 0-14, the elderly 65 and over.
CHILD_AGE_END, ELDERLY_AGE = 15, 65


def _working_age_table(first_age: int = WORKING_AGE_FROM) -> np.ndarray:
    """1 for member codes of working age (``first_age`` to below the retirement age of the sex), else 0."""
    codes = np.arange(256)
    age, female = codes >> 1, codes & 1
    ok = (codes != EMPTY) & (age >= first_age) & (age < np.where(female == 1, RETIREMENT_AGE[1], RETIREMENT_AGE[0]))
    return ok.astype(np.int16)


def working_age_members(members: np.ndarray, first_age: int = WORKING_AGE_FROM) -> IntArray:
    """Members of working age (:data:`WORKING_AGE_FROM` to the retirement age) per row of member slots; with
    ``first_age`` a later first age (e.g. 17, to leave out those who just turned 16)."""
    table = _working_age_table(first_age).astype(np.uint8)
    out = np.zeros(len(members), dtype=np.int64)
    for start in range(0, len(members), _MEMBER_CHUNK):
        # slot-major codes, then one table lookup per slot on contiguous codes (1.8 times faster than lookups
        # by the strided slot columns)
        codes = np.ascontiguousarray(members[start:start + _MEMBER_CHUNK].T)
        count = np.zeros(codes.shape[1], dtype=np.uint8)
        for code in codes:
            count += np.take(table, code)
        out[start:start + _MEMBER_CHUNK] = count
    return out


def persons_by_age(h: Households, where: BoolArray | None = None, group_of: IntArray | None = None,
                   groups: int = 1) -> np.ndarray:
    """Persons by single year of age (0-110) and sex (0 male, 1 female), shape (groups, 111, 2).

    ``where`` selects households; ``group_of`` gives each household a group (e.g. a division) in
    ``range(groups)``; without it everyone is in group 0.
    """
    c = h.cols
    rows = np.flatnonzero(where) if where is not None else np.arange(len(h))
    out = np.zeros(groups * 256, dtype=np.int64)
    for start in range(0, len(rows), _MEMBER_CHUNK):
        r = rows[start:start + _MEMBER_CHUNK]
        codes = c["members"][r].astype(np.int64)
        g = np.zeros(len(r), dtype=np.int64) if group_of is None else np.asarray(group_of)[r].astype(np.int64)
        key = (g[:, None] * 256 + codes).ravel()
        out += np.bincount(key, minlength=groups * 256)
    table = out.reshape(groups, 256)[:, :2 * (MAX_AGE + 1)]
    return table.reshape(groups, MAX_AGE + 1, 2)


# ------------------------------------------------------------------------------------------------------
# Migration choice
# ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChoiceContext:
    """Everything about places that enters the destination choice, for one year.

    All arrays are indexed by place (``places.n`` rows, 29 in the division-level network) unless noted.
    Money in 10k yuan per person per year.

    Attributes:
        expected_income: (places, 2) expected income by place and college (0/1): wage × job probability
            (Harris-Todaro) for urban places and outside, farm income for rural places.
        rent: market rent per person by place (0 for rural places).
        rent_relief: expected share of the rent saved through public or affordable rental housing, for
            households without and with local hukou, (places, 2).
        access_general: (places, 3) share of hukou holders' public services obtained, by status at that place
            (0 = no permit, 1 = permit holder, 2 = hukou holder) for general services (health, housing,
            training).
        access_school: (places, 3) the same for schooling of children.
        settle_prospect: (places,) chance-weighted openness of settlement for newcomers (0-1).
        amenity: (places,) amenity of each place.
        hours: (places, places) travel hours between places.
        network: (divisions + 1, places) log migrant-network size by hukou division and place.
        land_income: (divisions + 1,) farm income kept by absent land holders, by hukou division.
        farm_income: (divisions + 1,) farm income at home by hukou division (the last, another province: 0).
        places: the places these arrays are indexed by.
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
    land_income: np.ndarray
    farm_income: np.ndarray
    places: Places = field(default_factory=default_places)


#: Dimensions of the household types of the division-level network (:func:`group_dims` for any network).
GROUP_DIMS = (N_LOCATIONS, N_LOCATIONS, 2, 2, 2, 2, 2, 2)
#: The type of a household: its place, the place of its hukou (:meth:`Households.hukou_loc`; its division is
#: the division of the hukou), whether the hukou is urban, and five flags.
GROUP_NAMES = ("loc", "hukou_place", "hukou_urban", "permit", "children", "owner", "college", "land")
#: Type-place cells whose utilities are computed at once: 1 MB per float array, about 13 MB of temporaries
#: (benchmarks/choice_memory.py). At 29 places a block holds 4519 types, more than the 1,000-1,500 occupied
#: at any scale, so the model does one block; at 250 places 524 types.
TYPE_CELLS = 2**17
#: Cells (reviewing households x places) compared at once when drawing destinations (bounds memory: the
#: rows and the comparison take about 9 bytes per cell, 0.3 GB; at 29 places the 1 M-household chunk fits).
DRAW_CELLS = 2**25


def group_dims(places: Places) -> tuple[int, ...]:
    """Dimensions of the household types for a network of places (:data:`GROUP_NAMES` order)."""
    return (places.n, places.n, 2, 2, 2, 2, 2, 2)


def group_index(h: Households, idx: IntArray | slice = slice(None)) -> IntArray:
    """Type index of each household (row-major over :func:`group_dims`)."""
    c = h.cols
    parts = (
        c["loc"][idx].astype(np.int64),
        h.hukou_loc(idx),
        c["hukou_urban"][idx],
        c["permit"][idx],
        c["n_children"][idx] > 0,
        c["tenure"][idx] == Tenure.OWN,
        c["education"][idx] == Education.COLLEGE,
        c["land_contract"][idx] | c["homestead"][idx],
    )
    return np.ravel_multi_index(tuple(np.asarray(p, dtype=np.int64) for p in parts), group_dims(h.places))


def type_block(places: Places) -> int:
    """Household types whose utilities are computed at once: :data:`TYPE_CELLS` cells."""
    return max(1, TYPE_CELLS // places.n)


def type_utilities(ctx: ChoiceContext, p: Any, types: IntArray) -> np.ndarray:
    """Deterministic utility (10k yuan) of every destination for the given household types, shape (types, places).

    ``types``: type indices (:func:`group_index`). Only these rows are computed, so the cost grows with the
    occupied types times the places, never with the full table of all types (issue 14: at 250 places the full
    table would take about 0.5 GB). Terms (docs/ODD.md, submodel "migration choice"): expected income, minus
    rent not covered by public housing, plus the value of public services given the household's status at
    the destination, plus amenity, home attachment and migrant networks, minus the moving cost c₀ + c₁ · hours
    for any move, minus an entry cost for villages other than the hukou village (farming needs land rights
    there). Each cell is computed by the same operations in the same order whichever rows are asked for, so
    a row is bit for bit the same as in the full table.
    """
    places = ctx.places
    types = np.asarray(types, dtype=np.int64)
    out = np.empty((len(types), places.n))
    step = type_block(places)
    for start in range(0, len(types), step):
        block = types[start:start + step]
        parts = [np.asarray(a)[:, None] for a in np.unravel_index(block, group_dims(places))]
        out[start:start + len(block)] = _utility_rows(ctx, p, *parts)
    return out


def _utility_rows(ctx: ChoiceContext, p: Any, o: IntArray, home_loc: IntArray, hu: IntArray, permit: IntArray,
                  kids: IntArray, owner: IntArray, college: IntArray, land: IntArray) -> np.ndarray:
    """Utilities of all destinations (columns) for household types given as column vectors of their parts."""
    places = ctx.places
    j = np.arange(places.n)[None, :]
    hd = places.division[home_loc].astype(np.int64)  # hukou division (another province: n_divisions)
    j_is_home = j == home_loc
    j_rural = places.is_village[j]
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
    return np.broadcast_to(v, (len(o), places.n))


def utility_table(ctx: ChoiceContext, p: Any) -> np.ndarray:
    """:func:`type_utilities` of every household type, shape ``group_dims(places) + (places,)``.

    The full table (6.5 MB at 29 places, about 0.5 GB at 250): for tests and inspection. The model computes
    the rows of the occupied types only (:func:`choose_destinations` with ``context``).
    """
    dims = group_dims(ctx.places)
    return type_utilities(ctx, p, np.arange(int(np.prod(dims)))).reshape(dims + (ctx.places.n,))


def choice_cdf(utility: np.ndarray, taste_scale: float) -> np.ndarray:
    """Cumulative logit choice probabilities over destinations, shape (n_types, places), last column 1."""
    u = utility.reshape(-1, utility.shape[-1]) / taste_scale
    u = u - u.max(axis=1, keepdims=True)
    w = np.exp(u)
    cdf = np.cumsum(w, axis=1)
    cdf /= cdf[:, -1:]
    return cdf


def review_probability(h: Households, review_rate: float, params: Any = None) -> FloatArray:
    """Probability that each household reconsiders its location this year.

    Read from a six-entry table by (unemployed, age class: under 35, 35-54, 55 and over): ``review_rate``
    times the multipliers ``review_unemployed_factor``, ``review_young_factor`` and ``review_old_factor`` of
    ``params`` (the declared defaults of :class:`sim.parameters.ModelParameters` when None).
    """
    if params is None:
        params = ModelParameters()
    c = h.cols
    table = np.minimum(1.0, review_rate * (np.array([1.0, params.review_unemployed_factor])[:, None]
                                           * np.array([params.review_young_factor, 1.0,
                                                       params.review_old_factor])[None, :])).ravel()
    age = c["head_age"]
    key = (c["employment"] == Employment.UNEMPLOYED).view(np.uint8) * np.uint8(3)
    key += (age >= 35).view(np.uint8)
    key += (age >= 55).view(np.uint8)
    return table[key]


def choose_destinations(h: Households, cdf: np.ndarray | None, review_rate: float, rng: np.random.Generator,
                        chunk: int = 1_000_000, *, utility: np.ndarray | None = None,
                        taste_scale: float | None = None, context: ChoiceContext | None = None,
                        params: Any = None) -> tuple[IntArray, IntArray]:
    """Draw next year's place for the households that review it.

    One uniform draw per reviewing household against its type's cumulative choice row (the fastest
    correct sampler measured in STACK.md). The choice rows come from one of: ``cdf`` (:func:`choice_cdf` of
    every type); ``utility`` (:func:`utility_table`) and ``taste_scale``; or ``context`` and ``params`` (the
    model's way). All three give the same rows and the same draws.

    With ``context``, utilities are computed only for the types of the reviewing households, :func:`type_block`
    types at a time, and each block's households draw from that block's rows before the next block is
    computed: memory grows with the places, not with the number of occupied types (benchmarks/PROFILE.md,
    "destination choice at 250 places"). Households are compared at most ``chunk`` at a time and
    :data:`DRAW_CELLS` household-place cells at a time. The uniforms are drawn for all reviewing households
    at once, in their order: the same stream as drawing them chunk by chunk.

    Returns:
        (index of reviewing households, their chosen places); the chosen place may equal the current.
    """
    block = type_block(h.places)
    reviewing = np.flatnonzero(rng.random(len(h)) < review_probability(h, review_rate, params))
    types = group_index(h, reviewing)
    dest = np.empty(len(reviewing), dtype=h.places.loc_dtype)
    if cdf is not None:
        _draw(cdf, types, rng.random(len(reviewing)), dest, None, chunk)
        return reviewing, dest
    occupied, types = np.unique(types, return_inverse=True)
    u = rng.random(len(reviewing))
    if context is None:
        cdf = choice_cdf(utility[np.unravel_index(occupied, group_dims(h.places))], taste_scale)
        _draw(cdf, types, u, dest, None, chunk)
        return reviewing, dest
    if len(occupied) <= block:
        _draw(choice_cdf(type_utilities(context, params, occupied), params.taste_scale), types, u, dest, None, chunk)
        return reviewing, dest
    # several blocks of types: visit the households block by block (a stable sort keeps their order within one)
    order = np.argsort(types, kind="stable")
    starts = np.arange(0, len(occupied), block)
    bounds = np.searchsorted(types[order], np.append(starts, len(occupied)))
    for b, lo in enumerate(starts):
        rows = choice_cdf(type_utilities(context, params, occupied[lo:lo + block]), params.taste_scale)
        where = order[bounds[b]:bounds[b + 1]]
        _draw(rows, types[where] - lo, u[where], dest, where, chunk)
    return reviewing, dest


def _draw(cdf: np.ndarray, rows: IntArray, u: FloatArray, dest: IntArray, where: IntArray | None,
          chunk: int) -> None:
    """Write into ``dest`` (at ``where``, or in order) the place each uniform ``u`` picks from its ``cdf`` row:
    the number of cumulative probabilities below it."""
    step = max(1, min(chunk, DRAW_CELLS // cdf.shape[1]))
    for start in range(0, len(rows), step):
        picked = (cdf[rows[start:start + step]] < u[start:start + step, None]).sum(axis=1)
        if where is None:
            dest[start:start + step] = picked
        else:
            dest[where[start:start + step]] = picked


# ------------------------------------------------------------------------------------------------------
# Residence permits and settlement
# ------------------------------------------------------------------------------------------------------


def permit_benefit_table(rules: Any, housing_coverage: np.ndarray | None = None) -> FloatArray:
    """Share of hukou holders' services that a permit adds, by rule row (``Places.rule_row``: the 14 central
    cities, then the county towns of each division) and children (0/1), shape (28, 2).

    ``rules`` here and below: the permit and settlement rules the city governments publish
    (:class:`agents.governments.CityRules`; a scenario's :class:`sim.scenario.Policy` has the same interface):
    households ask their city's rule by division. ``housing_coverage`` (by rule row): the share of renters the
    city's rental units could house; the permit's housing share counts only that much
    (:func:`agents.governments.general_service_share`).
    """
    general = general_service_share(rules.at("permit_health_share"), rules.at("permit_housing_share"),
                                    rules.at("permit_training_share"), housing_coverage)
    school_gain = np.maximum(rules.at("permit_schooling_share") - rules.at("migrant_school_access"), 0)
    return np.stack([general, 0.5 * general + 0.5 * school_gain], axis=1)


def permit_benefit(c: dict[str, np.ndarray], div: IntArray, rules: Any,
                   housing_coverage: np.ndarray | None = None) -> FloatArray:
    """Share of hukou holders' services that a permit adds, for each household at its rule row ``div``."""
    return permit_benefit_table(rules, housing_coverage)[div, (c["n_children"] > 0).view(np.uint8)]


def city_migrants(h: Households) -> IntArray:
    """Rows of the households living in a Hunan city away from their hukou place (the only ones who can take
    up a permit or settle), in table order."""
    c = h.cols
    loc = c["loc"]
    return np.flatnonzero(h.places.in_hunan_city[loc] & (loc != h.hukou_loc()))


def apply_for_permits(h: Households, rules: Any, apply_rate: float, rng: np.random.Generator,
                      migrants: IntArray | None = None, housing_coverage: np.ndarray | None = None) -> BoolArray:
    """Migrants in Hunan's cities who have lived there long enough may take up a residence permit.

    Uptake rises with what the permit gives (a permit that gives nothing is not worth the paperwork).
    ``migrants``: the rows of :func:`city_migrants`, if already known; ``housing_coverage``: as in
    :func:`permit_benefit_table`. Returns the mask of new permit holders
    (already applied to the table).
    """
    c = h.cols
    u = rng.random(len(h))  # one uniform per household, as always; only the candidates' are read
    cand = city_migrants(h) if migrants is None else migrants
    cand = cand[~c["permit"][cand]]
    div = h.places.rule_row[c["loc"][cand]]  # the rules of the place (central city or county towns)
    cand_ok = c["years_here"][cand] >= rules.at("permit_min_years")[div]
    cand, div = cand[cand_ok], div[cand_ok]
    p = apply_rate * permit_benefit_table(rules, housing_coverage)[div, (c["n_children"][cand] > 0).view(np.uint8)]
    taken = cand[u[cand] < p]
    c["permit"][taken] = True
    new = np.zeros(len(h), dtype=bool)
    new[taken] = True
    return new


def settlement_eligible_rows(h: Households, rules: Any, migrants: IntArray | None = None) -> IntArray:
    """Rows of the households that meet their city's settlement (落户) conditions this year, in table order.

    ``migrants``: the rows of :func:`city_migrants`, if already known (only city migrants can be eligible).
    """
    c = h.cols
    idx = city_migrants(h) if migrants is None else migrants
    div = h.places.rule_row[c["loc"][idx]]  # the rules of the place (central city or county towns)
    cond = rules.at("settlement_housing_condition")[div]
    tenure = c["tenure"][idx]
    housing_ok = np.where(cond >= 2, tenure == Tenure.OWN,
                          np.where(cond >= 1, tenure != Tenure.DORMITORY, True))
    job_ok = (rules.at("settlement_requires_job")[div] < 0.5) | (c["employment"][idx] == Employment.EMPLOYED)
    ok = ((c["years_here"][idx] >= rules.at("settlement_min_years")[div])
          & (c["insurance_years"][idx] >= rules.at("settlement_min_insurance_years")[div])
          & housing_ok & job_ok)
    return idx[ok]


def settlement_eligible(h: Households, rules: Any) -> BoolArray:
    """Households that meet their city's settlement (落户) conditions this year."""
    out = np.zeros(len(h), dtype=bool)
    out[settlement_eligible_rows(h, rules)] = True
    return out


def settlement_gain(h: Households, rules: Any, p: Any, access_general: np.ndarray,
                    access_school: np.ndarray, idx: IntArray | slice = slice(None), *,
                    land_income: np.ndarray | None = None, price_index: float = 1.0) -> FloatArray:
    """Net value (10k 2010 yuan per person-year) of transferring hukou to the place where a household lives.

    The service gain over what it already gets (permit or not; schooling counts for households with
    children) less the migrant's share of the public cost of citizenisation, and, for households holding
    rural land rights, what settling does to them (:func:`land_rights_term`; needs ``land_income``, the
    yearly income of contract land by hukou division in 2010 yuan, ``ChoiceContext.land_income``; without it
    the term is left out). ``idx`` restricts the computation to some households (the result then has their
    length).
    """
    c = h.cols
    key = c["loc"][idx].astype(np.int64) * 4
    key += c["permit"][idx].view(np.uint8) * np.uint8(2)
    key += (c["n_children"][idx] > 0).view(np.uint8)
    gain = _settlement_gain_table(rules, p, access_general, access_school).ravel()[key]
    if land_income is not None:
        gain += land_rights_term(h, rules, p, land_income, price_index, idx)
    return gain


def land_rights_income(h: Households, p: Any, land_income: np.ndarray,
                       idx: IntArray | slice = slice(None)) -> FloatArray:
    """Yearly income per person (10k 2010 yuan) of a household's rural rights: the rent of its contract land
    (``land_income`` by division, read at the household's division of origin, where its land is: a settler's
    hukou division is its city's) and its share of the collective's income (``collective_income``, the rural
    residents' net property income), for households that hold contract land or a homestead."""
    c = h.cols
    has_land = c["land_contract"][idx] | c["homestead"][idx]
    hd = np.minimum(c["origin_div"][idx].astype(np.int64), len(land_income) - 1)
    return np.where(has_land, land_income[hd] + p.collective_income, 0.0)


def exit_compensation_per_year(h: Households, rules: Any, p: Any, price_index: float,
                               idx: IntArray | slice = slice(None)) -> FloatArray:
    """The paid-exit compensation (lever ``land_exit_compensation``, 10k yuan per household) per person-year
    of the contract term (``land_rights_years``), in 2010 yuan."""
    n = np.maximum(h.cols["n_members"][idx], 1).astype(float)
    return rules["land_exit_compensation"] / price_index / (n * p.land_rights_years)


def land_rights_term(h: Households, rules: Any, p: Any, land_income: np.ndarray, price_index: float,
                     idx: IntArray | slice = slice(None)) -> FloatArray:
    """What settling does to a household's rural rights, per person-year (10k 2010 yuan).

    Where settlers must give up their rights (``keep_land_rights`` off: before the 2016 rules), the income of
    the rights is lost and the compensation gained. Where they keep them, as the law has it from 2016, nothing
    is lost, and paid voluntary exit is an option worth what the compensation exceeds the rights' income, as
    the household values it (× (1 + its attachment draw), the rule of :func:`voluntary_land_exit`), by.
    """
    rights = land_rights_income(h, p, land_income, idx)
    comp = np.where(rights > 0, exit_compensation_per_year(h, rules, p, price_index, idx), 0.0)
    if rules["keep_land_rights"] < 0.5:
        return comp - rights
    return np.maximum(comp - rights * (1.0 + h.cols["land_attachment"][idx].astype(np.float64)), 0.0)


def _settlement_gain_table(rules: Any, p: Any, access_general: np.ndarray, access_school: np.ndarray) -> FloatArray:
    """:func:`settlement_gain` by place, permit (0/1) and children (0/1), shape (places, 2, 2)."""
    loc = np.arange(access_general.shape[0])[:, None, None]
    status = np.arange(2)[None, :, None]
    kids = np.arange(2, dtype=bool)[None, None, :]
    gain = (p.service_value * (access_general[loc, 2] - access_general[loc, status])
            + p.schooling_value * kids * (access_school[loc, 2] - access_school[loc, status]))
    return gain - p.citizenisation_cost * (1.0 - rules["government_cost_share"])


def settlement_willing(h: Households, rules: Any, p: Any, access_general: np.ndarray,
                       access_school: np.ndarray, idx: IntArray | slice = slice(None), *,
                       land_income: np.ndarray | None = None, price_index: float = 1.0) -> BoolArray:
    """Households that would transfer hukou where they live if they were eligible.

    Willingness is a persistent trait: a latent index (intercept + weight × net gain + the household's own
    logistic taste) above zero; CMDS 2016 found about 30 % of migrants willing. The net gain
    (:func:`settlement_gain`) counts the income of land rights lost where settling means giving them up.
    Settling in a Hunan city while the province makes settlers give up land rights also loses a homestead;
    Gu et al. 2020 find that holding one lowers the propensity to transfer hukou by about 12 %: that share of
    homestead holders (by their persistent ``land_attachment`` draw) is unwilling.
    """
    c = h.cols
    gain = settlement_gain(h, rules, p, access_general, access_school, idx, land_income=land_income,
                           price_index=price_index)
    willing = p.settle_intercept + p.settle_service_weight * gain + c["settle_taste"][idx] > 0
    if rules["keep_land_rights"] < 0.5:
        willing &= ~(c["homestead"][idx] & (c["land_attachment"][idx] < p.homestead_settle_penalty))
    return willing


def voluntary_land_exit(h: Households, rules: Any, p: Any, land_income: np.ndarray, price_index: float,
                        idx: IntArray) -> BoolArray:
    """Which of the settlers ``idx`` (keeping their rights by law) give them up for the paid-exit compensation.

    A settler exits when the compensation per person-year exceeds the rights' income by the household's own
    attachment: compensation ≥ income × (1 + ``land_attachment``), the persistent uniform draw also used for
    the homestead penalty. No compensation, no exit; the share exiting rises with the compensation.
    """
    rights = land_rights_income(h, p, land_income, idx)
    comp = exit_compensation_per_year(h, rules, p, price_index, idx)
    return (rights > 0) & (comp > 0) & (comp >= rights * (1.0 + h.cols["land_attachment"][idx].astype(np.float64)))


def decide_settlement(h: Households, rules: Any, p: Any, access_general: np.ndarray, access_school: np.ndarray,
                      rng: np.random.Generator, *, land_income: np.ndarray | None = None,
                      price_index: float = 1.0) -> BoolArray:
    """Eligible, willing migrants transfer their hukou to the city where they live.

    A separate decision from staying: eligibility comes from the city's rules (:func:`settlement_eligible`),
    willingness from :func:`settlement_willing`; the paperwork and timing make an eligible, willing household
    act in a given year with probability ``settle_speed``. Returns the mask of settlers.
    """
    settle = np.zeros(len(h), dtype=bool)
    settle[settlers(h, rules, p, access_general, access_school, rng, land_income=land_income,
                    price_index=price_index)] = True
    return settle


def settlers(h: Households, rules: Any, p: Any, access_general: np.ndarray, access_school: np.ndarray,
             rng: np.random.Generator, migrants: IntArray | None = None, *, land_income: np.ndarray | None = None,
             price_index: float = 1.0, speed: np.ndarray | None = None) -> IntArray:
    """Rows of the households that transfer their hukou this year (:func:`decide_settlement`), in table order.

    One uniform is drawn per household, as always; eligibility and willingness are evaluated only where they
    can matter. ``migrants``: the rows of :func:`city_migrants`, if already known. ``speed``: the share of
    eligible, willing households that act this year by rule row (the city governments' processing speed);
    None: ``settle_speed`` everywhere.
    """
    u = rng.random(len(h))
    eligible = settlement_eligible_rows(h, rules, migrants)
    if speed is None:
        idx = eligible[u[eligible] < p.settle_speed]
    else:
        idx = eligible[u[eligible] < speed[h.places.rule_row[h.cols["loc"][eligible]]]]
    return idx[settlement_willing(h, rules, p, access_general, access_school, idx, land_income=land_income,
                                  price_index=price_index)]
