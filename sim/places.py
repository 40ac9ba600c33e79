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

from sim.data import OUTSIDE, load_counties_2020, load_divisions

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
        county_urban_place: the urban place of each county (row of ``sim.data.load_counties_2020``): its county
            town, or its division's central city (or urban place) for a central district.
        county_rural_place: the rural place of each county.
        by_county: True for the county network, where a household's hukou place is its hukou county's place.
        is_central: True for a division's central city (and the division-level network's urban places).
        is_county_town: True for county towns.
        rule_row: row of the city rules that govern each place (:class:`agents.governments.CityRules`): the
            division id for its central city (or urban place), ``n_divisions + division`` for its county towns,
            -1 elsewhere.
    """

    division: np.ndarray
    county: np.ndarray
    kind: np.ndarray
    is_urban: np.ndarray
    node: np.ndarray
    node_names: tuple[str, ...]
    division_names: tuple[str, ...]
    county_regions: tuple[str, ...] = ()
    county_urban_place: np.ndarray | None = None
    county_rural_place: np.ndarray | None = None
    by_county: bool = False
    outside: int = field(init=False)
    in_hunan: np.ndarray = field(init=False, repr=False)
    in_hunan_city: np.ndarray = field(init=False, repr=False)
    is_village: np.ndarray = field(init=False, repr=False)
    city_division: np.ndarray = field(init=False, repr=False)
    lookup_division: np.ndarray = field(init=False, repr=False)
    is_central: np.ndarray = field(init=False, repr=False)
    is_county_town: np.ndarray = field(init=False, repr=False)
    rule_row: np.ndarray = field(init=False, repr=False)
    _hukou_table: np.ndarray = field(init=False, repr=False)
    _county_table: np.ndarray = field(init=False, repr=False)
    _county_flat: np.ndarray = field(init=False, repr=False)

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
            "is_central": np.isin(self.kind, (PlaceKind.URBAN, PlaceKind.CENTRAL_CITY)),
            "is_county_town": self.kind == PlaceKind.COUNTY_TOWN,
            "rule_row": np.where(self.kind == PlaceKind.COUNTY_TOWN, d + self.division,
                                 np.where(self.is_urban & hunan, self.division, -1)).astype(np.int16),
        }
        if self.county_urban_place is not None:
            table = np.stack([np.append(self.county_rural_place, derived["outside"]),
                              np.append(self.county_urban_place, derived["outside"])], axis=1)
            derived["_county_table"] = table.astype(self.loc_dtype)
        else:
            derived["_county_table"] = np.zeros((0, 2), dtype=np.int64)
        # the same, flat, outside first: entry 2·(county + 1) + urban (county_place)
        derived["_county_flat"] = np.concatenate([derived["_county_table"][-1:],
                                                  derived["_county_table"][:-1]]).reshape(-1)
        for k, v in derived.items():
            object.__setattr__(self, k, _frozen(v) if isinstance(v, np.ndarray) else v)

    # ------------------------------------------------------------------------------------------------
    # Construction
    # ------------------------------------------------------------------------------------------------
    @classmethod
    def from_divisions(cls, divisions: pd.DataFrame, counties: pd.DataFrame | None = None) -> Places:
        """The division-level network: per division (in id order) a rural and an urban place, then outside.

        Args:
            divisions: the division table of :func:`sim.data.load_divisions` (row = division id).
            counties: the county table (:func:`sim.data.load_counties_2020`): each county's places are its
                division's (default: that table).
        """
        d = len(divisions)
        division = np.append(np.repeat(np.arange(d), 2), d).astype(np.int8)
        kind = np.append(np.tile([PlaceKind.RURAL, PlaceKind.URBAN], d), PlaceKind.OUTSIDE).astype(np.int8)
        names = tuple(divisions.division_en.tolist())
        cdiv = (load_counties_2020() if counties is None else counties).division.to_numpy()
        return cls(division=division, county=np.full(len(division), -1, dtype=np.int16), kind=kind,
                   is_urban=kind != PlaceKind.RURAL, node=division.astype(np.int64),
                   node_names=names + (OUTSIDE,), division_names=names,
                   county_urban_place=2 * cdiv + 1, county_rural_place=2 * cdiv)

    @classmethod
    def from_counties(cls, divisions: pd.DataFrame, counties: pd.DataFrame) -> Places:
        """The county network (issue 17): per division, in id order, its central city (中心城区: the central
        districts together) and the villages of each central district, then for each of its other counties (in
        table order) the county's villages and its county town (县城); last, outside Hunan.

        Transport nodes: each division's central city (named as the division), each county town (named by its
        ``region`` label, e.g. ``430181 Liuyang``), then ``outside``; villages share their town's node.

        Args:
            divisions: the division table of :func:`sim.data.load_divisions`.
            counties: the county table of :func:`sim.data.load_counties_2020`.
        """
        n_div = len(divisions)
        names = tuple(divisions.division_en.tolist())
        cdiv = counties.division.to_numpy()
        central = counties.central.to_numpy(bool)
        division, county, kind, node = [], [], [], []
        node_names: list[str] = list(names)
        urban_place = np.full(len(counties), -1, dtype=np.int64)
        rural_place = np.full(len(counties), -1, dtype=np.int64)
        for dv in range(n_div):
            city = len(division)
            division.append(dv)
            county.append(-1)
            kind.append(PlaceKind.CENTRAL_CITY)
            node.append(dv)
            rows = np.flatnonzero(cdiv == dv)
            urban_place[rows[central[rows]]] = city
            for r in rows[central[rows]]:
                # each central district's villages are a place of their own, on the central city's node
                rural_place[r] = len(division)
                division.append(dv)
                county.append(int(r))
                kind.append(PlaceKind.RURAL)
                node.append(dv)
            for r in rows[~central[rows]]:
                base = len(division)
                node_names.append(str(counties.region.iloc[r]))
                division += [dv, dv]
                county += [int(r), int(r)]
                kind += [PlaceKind.RURAL, PlaceKind.COUNTY_TOWN]
                node += [len(node_names) - 1] * 2
                rural_place[r], urban_place[r] = base, base + 1
        node_names.append(OUTSIDE)
        division.append(n_div)
        county.append(-1)
        kind.append(PlaceKind.OUTSIDE)
        node.append(len(node_names) - 1)
        kind_arr = np.array(kind, dtype=np.int8)
        return cls(division=np.array(division, dtype=np.int8), county=np.array(county, dtype=np.int16),
                   kind=kind_arr, is_urban=kind_arr != PlaceKind.RURAL, node=np.array(node, dtype=np.int64),
                   node_names=tuple(node_names), division_names=names, county_regions=tuple(counties.region),
                   county_urban_place=urban_place,
                   county_rural_place=rural_place, by_county=True)

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
    def hukou_place(self, hukou_div: np.ndarray, hukou_urban: np.ndarray,
                    hukou_county: np.ndarray | None = None) -> np.ndarray:
        """Place of each hukou: the urban or rural place of its division (division network) or of its county
        (county network, where ``hukou_county`` is required); another province is outside."""
        if self.by_county:
            if hukou_county is None:
                raise ValueError("places: the county network places a hukou by its county (hukou_county)")
            return self.county_place(hukou_county, hukou_urban)
        return self._hukou_table[2 * np.asarray(hukou_div).astype(np.int16) + hukou_urban]

    def county_place(self, county: np.ndarray, urban: np.ndarray) -> np.ndarray:
        """The urban (``urban`` True) or rural place of each county row (-1: outside Hunan)."""
        # One lookup in the flat table at 2·(county + 1) + urban, in int16 arithmetic (county rows < 2^14): five
        # times faster over every household than int64 rows and a 2-D lookup. Any negative county is outside.
        row = np.maximum(np.asarray(county), -1).astype(np.int16, copy=False) + np.int16(1)
        return self._county_flat[(row << 1) | np.asarray(urban, dtype=bool).view(np.uint8)]

    def place_of(self, division: np.ndarray, urban: np.ndarray) -> np.ndarray:
        """The urban (``urban`` True) or rural place of each Hunan division id (the central city and the
        central villages in the county network)."""
        return self._hukou_table[2 * np.asarray(division).astype(np.int16) + urban]

    @property
    def n_counties(self) -> int:
        """Number of county rows the county tables cover."""
        return len(self._county_table) - 1

    def rows_by_division(self, per_row: np.ndarray) -> np.ndarray:
        """Sum a per-rule-row array (:attr:`rule_row`: central cities, then county towns) by division."""
        per_row = np.asarray(per_row, dtype=float)
        d = self.n_divisions
        return per_row[:d] + per_row[d:]

    def by_place_kind(self, per_place: np.ndarray, kind: PlaceKind) -> np.ndarray:
        """:meth:`by_division` over the places of one kind (e.g. the central cities)."""
        return self.by_division(per_place, self.kind == kind)

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

    def name(self, place: int) -> str:
        """A unique English name of a place: ``Changsha central city``, ``430181 Liuyang county town``,
        ``430181 Liuyang villages``, ``Changsha urban``/``rural`` (division network) or ``outside``."""
        if place == self.outside:
            return OUTSIDE
        kind = PlaceKind(int(self.kind[place]))
        if kind in (PlaceKind.URBAN, PlaceKind.RURAL) and not self.by_county:
            return f"{self.division_names[self.division[place]]} {kind.name.lower()}"
        if kind == PlaceKind.CENTRAL_CITY:
            return f"{self.division_names[self.division[place]]} central city"
        if kind == PlaceKind.COUNTY_TOWN:
            return f"{self.node_names[self.node[place]]} county town"
        return f"{self.county_regions[self.county[place]]} villages"

    def names(self) -> list[str]:
        """:meth:`name` of every place in id order."""
        return [self.name(k) for k in range(self.n)]

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


@functools.cache
def county_places() -> Places:
    """The county network's :class:`Places` table from the data files (built on first use, then shared)."""
    return Places.from_counties(load_divisions(), load_counties_2020())
