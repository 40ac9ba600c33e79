"""The places households live in, as a table: the only module that knows how place ids are laid out.

A household's location ``loc`` is a row of the :class:`Places` table. Each place has a division (the
prefecture-level unit whose city government sets its rules and whose statistics it counts in), a county where
one applies, a kind (rural villages, a division's urban area, a central city, a county town, or outside Hunan),
whether it is urban, and the node of the transport network it sits on. Everything else in the code asks the
table (``places.in_hunan_city[loc]``, ``places.by_division(...)``, ``places.hukou_place(...)``) instead of
doing arithmetic on ids, so that a finer network (the county network of issue 17: a central city and county
towns per division) changes this table and not the modules that read it.

Today's network, built by :meth:`Places.from_divisions` from ``calibration/data/divisions_*.csv``: for each
of the 14 divisions, in division order, its rural part and then its urban part, and last one place for
everywhere outside Hunan. Those are the ids the model has always used (``2 * division + urban``, 28 outside),
so outputs (flow tables, digests) are unchanged; nothing outside this module may rely on that layout.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np
import pandas as pd

from sim.data import OUTSIDE, load_divisions

#: Hunan's prefecture-level divisions (``sim.data.load_divisions`` checks the data file has this many).
N_DIVISIONS = 14
#: Division code of "another province" (hukou registered outside Hunan) and of the outside place.
OUTSIDE_DIV = N_DIVISIONS
#: Places of the division-level network: a rural and an urban place per division, plus outside. Code that
#: runs the model reads ``places.n``; this constant is for tests and benchmarks pinned to today's network.
N_LOCATIONS = 2 * N_DIVISIONS + 1
#: Id of the outside place in the division-level network (tests and the per-agent reference in benchmarks/;
#: the model reads ``places.outside``).
OUTSIDE_LOC = 2 * N_DIVISIONS


class PlaceKind(IntEnum):
    """What a place is. The division-level network uses RURAL, URBAN and OUTSIDE; the county network splits
    URBAN into a CENTRAL_CITY and COUNTY_TOWNs."""

    RURAL = 0          # villages (the rural part of a division or county)
    URBAN = 1          # all towns and cities of a division together
    CENTRAL_CITY = 2   # a division's central districts (中心城区)
    COUNTY_TOWN = 3    # a county's seat town (县城)
    OUTSIDE = 4        # everywhere outside Hunan


@dataclass(frozen=True, eq=False)
class Places:
    """The table of places, one row per place id (``loc``).

    Attributes:
        division: division id of each place (``OUTSIDE_DIV`` for outside), int8.
        county: county row (of ``sim.data.load_counties_2010``) where a place is one county's, else -1.
        kind: :class:`PlaceKind` of each place.
        is_urban: True for urban places; outside counts as urban (people there live in cities).
        node: index of each place's transport node in ``node_names`` (``World.travel_hours`` rows).
        node_names: transport node names: the divisions' English names, then ``outside``.
        division_names: English names of the divisions in id order.
        outside: id of the outside place.
        in_hunan: True for every place but outside.
        in_hunan_city: True for Hunan's urban places (the cities whose governments set hukou and permit rules).
        is_village: True for rural places.
        city_division: division of each Hunan urban place, -1 elsewhere (int8, indexed by a household's loc).
        lookup_division: division of each place (int8), outside pointed at the last division so that per-division
            arrays can be indexed for every place (callers mask outside).
    """

    division: np.ndarray
    county: np.ndarray
    kind: np.ndarray
    is_urban: np.ndarray
    node: np.ndarray
    node_names: tuple[str, ...]
    division_names: tuple[str, ...]
    outside: int = field(init=False)
    in_hunan: np.ndarray = field(init=False, repr=False)
    in_hunan_city: np.ndarray = field(init=False, repr=False)
    is_village: np.ndarray = field(init=False, repr=False)
    city_division: np.ndarray = field(init=False, repr=False)
    lookup_division: np.ndarray = field(init=False, repr=False)
    _hukou_table: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # The table is shared (by the world, the households, every model of default_places): read-only copies.
        for name in ("division", "county", "kind", "is_urban", "node"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        n = len(self.division)
        for name in ("county", "kind", "is_urban", "node"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"places: column {name} has {len(getattr(self, name))} rows, division has {n}")
        if np.count_nonzero(self.kind == PlaceKind.OUTSIDE) != 1:
            raise ValueError("places: exactly one place must be of kind OUTSIDE")
        d = self.n_divisions
        hunan = self.kind != PlaceKind.OUTSIDE
        if not np.all((self.division[hunan] >= 0) & (self.division[hunan] < d)) or self.division[~hunan][0] != d:
            raise ValueError(f"places: divisions must be 0..{d - 1} in Hunan and {d} outside")
        rural = self.kind == PlaceKind.RURAL
        if np.any(self.is_urban[rural]) or not np.all(self.is_urban[~rural]):
            raise ValueError("places: is_urban must be False exactly for RURAL places")
        # Derived lookup tables (by place id), built once: per-household lookups index them with ``loc``.
        derived = {
            "outside": int(np.flatnonzero(~hunan)[0]),
            "in_hunan": hunan,
            "in_hunan_city": self.is_urban & hunan,
            "is_village": rural,
            "city_division": np.where(self.is_urban & hunan, self.division, -1).astype(np.int8),
            # per-division arrays have no row for outside: point it at the last division (callers mask it)
            "lookup_division": np.minimum(self.division, d - 1).astype(np.int8),
            "_hukou_table": self._build_hukou_table(),
        }
        for k, v in derived.items():
            object.__setattr__(self, k, _frozen(v) if isinstance(v, np.ndarray) else v)

    # ------------------------------------------------------------------------------------------------
    # Construction
    # ------------------------------------------------------------------------------------------------
    @classmethod
    def from_divisions(cls, divisions: pd.DataFrame) -> Places:
        """The division-level network: per division (in id order) a rural and an urban place, then outside.

        Args:
            divisions: the division table of :func:`sim.data.load_divisions` (row = division id).
        """
        d = len(divisions)
        division = np.append(np.repeat(np.arange(d), 2), d).astype(np.int8)
        kind = np.append(np.tile([PlaceKind.RURAL, PlaceKind.URBAN], d), PlaceKind.OUTSIDE).astype(np.int8)
        names = tuple(divisions.division_en.tolist())
        return cls(division=division, county=np.full(len(division), -1, dtype=np.int16), kind=kind,
                   is_urban=kind != PlaceKind.RURAL, node=division.astype(np.int64),
                   node_names=names + (OUTSIDE,), division_names=names)

    def _build_hukou_table(self) -> np.ndarray:
        """Place of a hukou by ``2 * hukou_div + hukou_urban`` (either half of OUTSIDE_DIV is outside).

        A division's urban hukou is placed in its first URBAN or CENTRAL_CITY place, its rural hukou in its first
        RURAL place (the county network will place hukou by county instead).
        """
        d = self.n_divisions
        table = np.full(2 * (d + 1), -1, dtype=np.int64)
        for place in range(self.n):
            if self.kind[place] in (PlaceKind.RURAL, PlaceKind.URBAN, PlaceKind.CENTRAL_CITY):
                k = 2 * int(self.division[place]) + int(self.is_urban[place])
                if table[k] < 0:
                    table[k] = place
        table[2 * d:] = int(np.flatnonzero(self.kind == PlaceKind.OUTSIDE)[0])
        if np.any(table < 0):
            raise ValueError("places: every division needs a RURAL and an URBAN or CENTRAL_CITY place for its hukou")
        return table.astype(self.loc_dtype)

    # ------------------------------------------------------------------------------------------------
    # Sizes and ids
    # ------------------------------------------------------------------------------------------------
    @property
    def n(self) -> int:
        """Number of places."""
        return len(self.division)

    @property
    def n_divisions(self) -> int:
        """Number of Hunan divisions."""
        return len(self.division_names)

    @property
    def loc_dtype(self) -> np.dtype:
        """Smallest signed integer type holding every place id (int8 up to 127 places, int16 up to 32767):
        the household table's ``loc`` column has this type, so a county network gets int16 by itself."""
        return np.dtype(np.int8) if self.n <= np.iinfo(np.int8).max else np.dtype(np.int16)

    def key_dtype(self, cells_per_place: int) -> np.dtype:
        """Smallest integer type (int16 or int32) for a per-household key ``loc * cells_per_place + cell``."""
        fits = self.n * cells_per_place <= np.iinfo(np.int16).max
        return np.dtype(np.int16) if fits else np.dtype(np.int32)

    def urban_places(self) -> np.ndarray:
        """Ids of the urban places in Hunan, ordered by division."""
        return np.flatnonzero(self.in_hunan_city)

    def rural_places(self) -> np.ndarray:
        """Ids of the rural places, ordered by division."""
        return np.flatnonzero(self.is_village)

    # ------------------------------------------------------------------------------------------------
    # Household lookups
    # ------------------------------------------------------------------------------------------------
    def hukou_place(self, hukou_div: np.ndarray, hukou_urban: np.ndarray) -> np.ndarray:
        """Place of each hukou: the urban or rural place of its division; another province is outside.

        The county network will place a hukou by its county; today it is the division's urban or rural part.
        """
        return self._hukou_table[2 * np.asarray(hukou_div).astype(np.int16) + hukou_urban]

    def place_of(self, division: np.ndarray, urban: np.ndarray) -> np.ndarray:
        """The urban (``urban`` True) or rural place of each Hunan division id."""
        return self.hukou_place(division, urban)

    # ------------------------------------------------------------------------------------------------
    # Per-place arrays
    # ------------------------------------------------------------------------------------------------
    def by_division(self, per_place: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
        """Sum a per-place array (first axis = place) over each division's places, shape ``(n_divisions, ...)``.

        ``where``: a boolean mask of places to include (default: all of Hunan's). Places are added in id
        order to a zero, so with one place per division the value is that place's, bit for bit.
        """
        per_place = np.asarray(per_place)
        mask = self.in_hunan if where is None else (np.asarray(where) & self.in_hunan)
        out = np.zeros((self.n_divisions,) + per_place.shape[1:], dtype=np.result_type(per_place, np.float64))
        np.add.at(out, self.division[mask].astype(np.int64), per_place[mask])
        return out

    def urban_by_division(self, per_place: np.ndarray) -> np.ndarray:
        """:meth:`by_division` over the urban places (a division's towns and cities)."""
        return self.by_division(per_place, self.in_hunan_city)

    def rural_by_division(self, per_place: np.ndarray) -> np.ndarray:
        """:meth:`by_division` over the rural places."""
        return self.by_division(per_place, self.is_village)

    def spread(self, *, urban: np.ndarray | float = 0.0, rural: np.ndarray | float = 0.0,
               outside: np.ndarray | float = 0.0, tail: tuple[int, ...] = ()) -> np.ndarray:
        """A per-place float array from per-division values for urban and rural places and one for outside.

        Args:
            urban: value for each division's urban places, shape ``(n_divisions,) + tail`` or broadcastable.
            rural: the same for rural places.
            outside: value of the outside place, shape ``tail`` or broadcastable.
            tail: trailing shape of each place's value.
        """
        out = np.zeros((self.n,) + tail)
        for mask, values in ((self.in_hunan_city, urban), (self.is_village, rural)):
            ids = np.flatnonzero(mask)
            values = np.asarray(values, dtype=float)
            per_division = values.ndim == 1 + len(tail) and len(values) == self.n_divisions
            out[ids] = values[self.division[ids]] if per_division else values
        out[self.outside] = outside
        return out

    def hours(self, node_hours: np.ndarray) -> np.ndarray:
        """(n, n) travel hours between places from the hours between their transport nodes."""
        return node_hours[np.ix_(self.node, self.node)]

    # ------------------------------------------------------------------------------------------------
    # Labels
    # ------------------------------------------------------------------------------------------------
    def division_label(self, place: int) -> str:
        """English name of a place's division, or ``outside``."""
        return OUTSIDE if place == self.outside else self.division_names[self.division[place]]

    def label(self, place: int) -> tuple[str, str]:
        """(division English name or ``outside``, ``urban``/``rural``/``outside``) of a place id."""
        if place == self.outside:
            return OUTSIDE, OUTSIDE
        return self.division_names[self.division[place]], "urban" if self.is_urban[place] else "rural"


def _frozen(values: np.ndarray) -> np.ndarray:
    """A read-only copy of an array."""
    out = np.array(values)
    out.flags.writeable = False
    return out


@functools.cache
def default_places() -> Places:
    """The division-level :class:`Places` table from the data files (built on first use, then shared)."""
    return Places.from_divisions(load_divisions())
