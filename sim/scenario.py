"""Scenarios: the plan's levers set by city and by year, read from TOML files in ``scenarios/``.

A scenario file is a list of policy blocks, applied in order (later blocks override earlier ones)::

    name = "plan-2021"
    extends = "baseline"            # optional: start from another scenario's blocks
    description = "..."

    [[policy]]
    from = 2021                     # first year the block applies (default: the first simulated year)
    until = 2035                    # last year (default: forever)
    cities = ["Changsha"]           # city levers only; default: every division
    places = "county_towns"         # city levers only: "all" (default), "central_cities" or "county_towns"
    source = "Plan, 第一節 (一), seed line 291"
    [policy.levers]
    settlement_min_years = 1

A city lever applies to a division's central city and its county towns alike unless the block names a kind of
place: ``places = "county_towns"`` with ``cities = ["Shaoyang"]`` means "all county towns of Shaoyang", without
``cities`` "every county town" (the county network, issue 17; on the division network the central-city value
is the division's).

Levers not set by any block keep the default declared in :data:`sim.parameters.LEVERS`. Everything is
validated on load; errors name the file, the field, the value and what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.data import division_index
from sim.errors import InputError
from sim.limits import MAX_EXTENDS_DEPTH, MAX_NAME_CHARS, check_document, read_toml
from sim.parameters import LEVERS
from sim.world import N_DIVISIONS
from sim.years import HORIZON_YEAR as LAST_YEAR
from sim.years import NEVER_YEAR, START_YEAR

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
_TOP_KEYS = {"name", "title", "title_zh", "description", "extends", "policy"}
_BLOCK_KEYS = {"from", "until", "cities", "places", "source", "levers", "by_city", "note"}
#: The kinds of place a block's city levers may be scoped to.
PLACE_SCOPES = ("all", "central_cities", "county_towns")


@dataclass(frozen=True)
class PolicyBlock:
    """Lever values applied to some cities over some years."""

    from_year: int
    until_year: int
    cities: tuple[int, ...] | None
    levers: dict[str, float]
    source: str = ""
    places: str = "all"

    def applies(self, year: int) -> bool:
        """Whether the block is in force in ``year``."""
        return self.from_year <= year <= self.until_year


@dataclass(frozen=True)
class Policy:
    """The levers in force in one year: city levers as arrays of 14 (the central cities' values; the county
    towns' are in ``town_values``), province levers as floats."""

    year: int
    values: dict[str, Any]
    town_values: dict[str, np.ndarray] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def city(self, name: str) -> np.ndarray:
        """A city lever's values by division id (its central city; the division's on the division network)."""
        return self.values[name]

    def county_town(self, name: str) -> np.ndarray:
        """A city lever's values for the county towns of each division (by division id)."""
        return self.town_values.get(name, self.values[name])

    def at(self, name: str) -> np.ndarray:
        """A city lever by rule row (``sim.places.Places.rule_row``): the 14 central cities, then the county towns
        of each division."""
        return np.concatenate([self.city(name), self.county_town(name)])


@dataclass(frozen=True)
class Scenario:
    """A named set of policy blocks."""

    name: str
    blocks: tuple[PolicyBlock, ...] = ()
    description: str = ""
    title_zh: str = ""
    origin: str = "(built in code)"
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    # ---- construction ----------------------------------------------------------------------------------
    @classmethod
    def load(cls, name_or_path: str | Path) -> Scenario:
        """Load ``scenarios/<name>.toml`` or a TOML file path."""
        path = Path(name_or_path)
        if path.suffix != ".toml":
            if str(name_or_path) not in available_scenarios():
                raise InputError(field="scenario", value=str(name_or_path), source="scenario",
                                 allowed=f"one of {', '.join(available_scenarios())} or a path to a .toml file")
            path = SCENARIO_DIR / f"{name_or_path}.toml"
        if not path.is_file():
            known = ", ".join(available_scenarios())
            raise InputError(field="scenario", value=str(name_or_path),
                             allowed=f"one of {known} or a path to a .toml file", source="scenario")
        data = read_toml(path)  # bounded: size, nesting, key count, string length, integer size
        return cls.from_dict(data, source=str(path), _seen=(path.resolve(),))

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "scenario", _seen: tuple = ()) -> Scenario:
        """Build and validate a scenario from parsed TOML."""
        if not isinstance(data, dict):
            raise InputError(field="(document)", value=type(data).__name__, allowed="a table", source=source)
        check_document(data, source=source)  # before anything recursive (a repr, a copy) touches it
        unknown = sorted(set(data) - _TOP_KEYS)
        if unknown:
            raise InputError(field=unknown[0], value=data[unknown[0]],
                             allowed="top-level keys " + ", ".join(sorted(_TOP_KEYS)), source=source)
        name = data.get("name", Path(source).stem)
        if not isinstance(name, str) or not name or len(name) > MAX_NAME_CHARS or not name.isprintable():
            raise InputError(field="name", value=name, source=source,
                             allowed=f"a non-empty string of at most {MAX_NAME_CHARS} printable characters")
        blocks: list[PolicyBlock] = []
        parent = data.get("extends")
        if parent is not None:
            if not isinstance(parent, str) or parent not in available_scenarios():
                raise InputError(field="extends", value=parent,
                                 allowed="the name of a scenario in scenarios/: " + ", ".join(available_scenarios()),
                                 source=source)
            ppath = (SCENARIO_DIR / f"{parent}.toml").resolve()
            if ppath in _seen:
                raise InputError(field="extends", value=parent, allowed="a scenario that does not extend itself",
                                 source=source)
            if not ppath.exists():
                raise InputError(field="extends", value=parent,
                                 allowed="one of " + ", ".join(available_scenarios()), source=source)
            if len(_seen) >= MAX_EXTENDS_DEPTH:
                raise InputError(field="extends", value=parent, source=source,
                                 allowed=f"a chain of at most {MAX_EXTENDS_DEPTH} scenarios extending one another "
                                         "(limit in sim/limits.py)")
            # a malformed parent is refused naming the parent's file (read_toml's source)
            blocks.extend(cls.from_dict(read_toml(ppath), source=str(ppath), _seen=_seen + (ppath,)).blocks)
        raw_blocks = data.get("policy", [])
        if not isinstance(raw_blocks, list):
            raise InputError(field="policy", value=raw_blocks, allowed="an array of tables [[policy]]", source=source)
        for i, raw in enumerate(raw_blocks):
            blocks.extend(_parse_blocks(raw, where=f"{source} [[policy]] #{i + 1}"))
        description = data.get("description", "")
        return cls(name=name, blocks=tuple(blocks), description=str(description),
                   title_zh=str(data.get("title_zh", "")), origin=source)

    def with_levers(self, levers: dict[str, Any], *, from_year: int = 0, until_year: int = NEVER_YEAR,
                    cities: list[str] | None = None, name: str | None = None, source: str = "overrides",
                    places: str = "all") -> Scenario:
        """A copy with one more block on top (used by the UI, sweeps and the Python API).

        ``levers`` maps a lever to a value, or for city levers to a ``{city: value}`` table; ``places`` scopes
        city levers to a kind of place (:data:`PLACE_SCOPES`).
        """
        extra: list[PolicyBlock] = []
        plain: dict[str, Any] = {}
        for lever, value in levers.items():
            if isinstance(value, dict):
                for city, v in value.items():
                    extra.extend(_parse_blocks({"from": from_year, "until": until_year, "cities": [city],
                                                "levers": {lever: v}, "source": source, "places": places},
                                               where=source))
            else:
                plain[lever] = value
        blocks = list(self.blocks)
        if plain:
            raw: dict[str, Any] = {"from": from_year, "until": until_year, "levers": plain, "source": source,
                                   "places": places}
            if cities is not None:
                raw["cities"] = cities
            blocks.extend(_parse_blocks(raw, where=source))
        blocks.extend(extra)
        return Scenario(name=name or self.name, blocks=tuple(blocks), description=self.description,
                        title_zh=self.title_zh, origin=self.origin)

    # ---- use -------------------------------------------------------------------------------------------
    def policy(self, year: int) -> Policy:
        """The lever values in force in ``year``."""
        if year in self._cache:
            return self._cache[year]
        values: dict[str, Any] = {}
        towns: dict[str, np.ndarray] = {}
        for name, lever in LEVERS.items():
            values[name] = np.full(N_DIVISIONS, float(lever.default)) if lever.scope == "city" else float(lever.default)
            if lever.scope == "city":
                towns[name] = values[name].copy()
        for block in self.blocks:
            if not block.applies(year):
                continue
            for name, value in block.levers.items():
                if LEVERS[name].scope == "city":
                    idx = list(block.cities) if block.cities is not None else slice(None)
                    if block.places != "county_towns":
                        values[name][idx] = value
                    if block.places != "central_cities":
                        towns[name][idx] = value
                else:
                    values[name] = value
        policy = Policy(year=year, values=values, town_values=towns)
        self._cache[year] = policy
        return policy

    def to_dict(self) -> dict[str, Any]:
        """A plain description of the scenario (for provenance)."""
        from sim.data import division_names

        names = division_names()
        return {"name": self.name, "origin": self.origin, "policy": [
            {"from": b.from_year, "until": b.until_year,
             "cities": None if b.cities is None else [names[c] for c in b.cities], "places": b.places,
             "levers": b.levers, "source": b.source} for b in self.blocks]}


def _parse_blocks(raw: Any, *, where: str) -> list[PolicyBlock]:
    """Parse one ``[[policy]]`` table; its ``by_city`` tables become one block per city."""
    if not isinstance(raw, dict):
        raise InputError(field="[[policy]]", value=raw, allowed="a table", source=where)
    unknown = sorted(set(raw) - _BLOCK_KEYS)
    if unknown:
        raise InputError(field=unknown[0], value=raw[unknown[0]], allowed="keys " + ", ".join(sorted(_BLOCK_KEYS)),
                         source=where)
    by_city = raw.get("by_city", {})
    if not isinstance(by_city, dict):
        raise InputError(field="by_city", value=by_city, allowed="tables of lever -> {city = value}", source=where)
    plain = {k: v for k, v in raw.items() if k != "by_city"}
    blocks = [_parse_block(plain, where=where)] if "levers" in raw or not by_city else []
    for lever, table in by_city.items():
        if not isinstance(table, dict):
            raise InputError(field=f"by_city.{lever}", value=table, allowed="a table of city = value", source=where)
        for city, value in table.items():
            blocks.append(_parse_block({**plain, "cities": [city], "levers": {lever: value}},
                                       where=f"{where} by_city.{lever}"))
    return blocks


def _parse_block(raw: dict[str, Any], *, where: str) -> PolicyBlock:
    from_year = raw.get("from", 0)
    until_year = raw.get("until", NEVER_YEAR)
    # a block starting after the model's last year would silently never apply
    for key, value, high in (("from", from_year, LAST_YEAR), ("until", until_year, NEVER_YEAR)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
            raise InputError(field=key, value=value, source=where,
                             allowed=f"a year such as 2021, at most {high}" + (" (the model's last year)"
                                                                             if key == "from" else " (never ends)"))
    if until_year < from_year:
        raise InputError(field="until", value=until_year, allowed=f"a year not before 'from' ({from_year})",
                         source=where)
    cities_raw = raw.get("cities")
    cities: tuple[int, ...] | None = None
    if cities_raw is not None:
        if not isinstance(cities_raw, list) or not cities_raw:
            raise InputError(field="cities", value=cities_raw, allowed="a non-empty list of division names",
                             source=where)
        cities = tuple(division_index(str(c), source=where) if isinstance(c, str) else
                       _bad_city(c, where) for c in cities_raw)
    levers_raw = raw.get("levers", {})
    if not isinstance(levers_raw, dict):
        raise InputError(field="levers", value=levers_raw, allowed="a table of lever = value", source=where)
    levers: dict[str, float] = {}
    for name, value in levers_raw.items():
        if name not in LEVERS:
            raise InputError(field=name, value=value, allowed="a lever: " + ", ".join(LEVERS), source=where)
        lever = LEVERS[name]
        if cities is not None and lever.scope == "province":
            raise InputError(field=name, value=value, allowed="no 'cities' for a province-wide lever", source=where)
        levers[name] = lever.validate(value, source=where)
    source = raw.get("source", "")
    if not isinstance(source, str):
        raise InputError(field="source", value=source, allowed="a string", source=where)
    places = raw.get("places", "all")
    if places not in PLACE_SCOPES:
        raise InputError(field="places", value=places, allowed="one of " + ", ".join(PLACE_SCOPES), source=where)
    if places != "all":
        province = [name for name in levers if LEVERS[name].scope == "province"]
        if province:
            raise InputError(field=province[0], value=levers[province[0]], source=where,
                             allowed="no 'places' for a province-wide lever (only city levers apply to a kind of place)")
    return PolicyBlock(from_year=from_year, until_year=until_year, cities=cities, levers=levers, source=source,
                       places=places)


def _bad_city(value: Any, where: str) -> int:
    raise InputError(field="cities", value=value, allowed="division names as strings", source=where)


def check_policy_start(year: Any, *, source: str = "run") -> int:
    """The first year extra levers apply, as a Python int (numpy integers accepted).

    Raises:
        InputError: naming ``policy_start``, the value and the years allowed.
    """
    if isinstance(year, np.generic) and not isinstance(year, np.str_ | np.bytes_):
        year = year.item()
    if isinstance(year, bool) or not isinstance(year, int) or not START_YEAR <= year <= LAST_YEAR:
        raise InputError(field="policy_start", value=year, source=source,
                         allowed=f"a year from {START_YEAR} to {LAST_YEAR} (default: the year after the "
                                 "calibration period)")
    return year


def available_scenarios() -> list[str]:
    """Names of the scenario files shipped in ``scenarios/``."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))
