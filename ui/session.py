"""One browser session's simulation: the model, the levers the user pulled, and what the page reads.

A :class:`SimSession` is created inside the page component (one per browser session). A model created at
module level would be shared by every visitor (STACK.md: three visits saw the same clock advance).

Lever changes made in the page are kept as a log of :class:`LeverChange` records on top of the preset
scenario. A change made while the model runs applies from the next simulated year (or from the chosen
"levers from" year, whichever is later), so years already simulated are never rewritten; Reset collapses
the log to the values now shown and reruns from 2010.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from agents.households import Employment, Tenure
from sim.data import division_index, division_names
from sim.errors import InputError
from sim.model import HunanModel
from sim.parameters import LEVERS
from sim.scenario import PolicyBlock, Scenario
from sim.places import N_DIVISIONS, OUTSIDE_DIV, Places
from sim.years import NEVER_YEAR, POLICY_START_YEAR
from ui.inputs import (
    DEFAULT_SCALE,
    END_YEAR,
    START_YEAR,
    lever_value,
    parse_scale,
    parse_scenario,
    parse_seed,
    parse_year,
)

FOREVER = NEVER_YEAR  # a lever change's open-ended last year (the calendar's 'never')
#: Every SimSession not yet garbage-collected (weak references: this set keeps none of them alive). Lets the
#: server report how many models it holds (``live_sessions``) and the load test see that closed ones go.
_LIVE: weakref.WeakSet[SimSession] = weakref.WeakSet()
#: Year from which the page's lever changes apply by default: the plan period starts in 2021.
DEFAULT_LEVERS_FROM = POLICY_START_YEAR
#: Years "follow a household that ..." looks ahead.
FOLLOW_HORIZON = 5
#: What the page can ask to happen to a followed household in the coming years.
FOLLOW_EVENTS = ("move", "settle", "permit", "any")
#: Columns of the household table recorded each year for the "follow a household" timeline.
FOLLOW_COLUMNS = ("hid", "loc", "hukou_div", "hukou_urban", "permit", "employment", "sector", "tenure", "income",
                  "n_members", "n_children", "children_with_parents", "head_age", "settled_year", "moved_year",
                  "years_here")


@dataclass(frozen=True)
class LeverChange:
    """One lever value set in the page.

    Attributes:
        lever: lever name (a key of :data:`sim.parameters.LEVERS`).
        city: English division name for a city lever set for one city; ``None`` for all cities or a
            province lever.
        value: the value, as validated by the lever's declaration.
        from_year: first year it applies.
        until_year: last year it applies (9999 = open-ended; set when the preset is restored mid-run).
    """

    lever: str
    city: str | None
    value: float | bool
    from_year: int
    until_year: int = FOREVER

    def block(self) -> PolicyBlock:
        """The change as a scenario policy block."""
        cities = None if self.city is None else (division_index(self.city, source="page"),)
        value = LEVERS[self.lever].validate(self.value, source="page")
        return PolicyBlock(from_year=self.from_year, until_year=self.until_year, cities=cities,
                           levers={self.lever: value}, source="page")


def active_changes(changes: list[LeverChange]) -> list[LeverChange]:
    """The open-ended changes that still decide a value: later ones supersede earlier ones.

    A change for all cities supersedes every earlier change of that lever; a change for one city supersedes
    earlier changes of that lever for that city.
    """
    out: list[LeverChange] = []
    for change in changes:
        if change.until_year != FOREVER:
            continue
        out = [c for c in out if not (c.lever == change.lever and (change.city is None or c.city == change.city))]
        out.append(change)
    return out


class SimSession:
    """The simulation behind one browser session.

    Args:
        scenario: name of the preset scenario (a file in ``scenarios/``).
        seed: the model's seed.
        scale: households per agent record.
        levers_from: first year lever changes apply.

    Attributes:
        model: the running :class:`sim.model.HunanModel`.
        changes: the log of lever changes made in the page.
        last_step_seconds: model time of the last simulated year.
        lock: held while the model is stepped or rebuilt (the Play task runs in a thread).
    """

    def __init__(self, *, scenario: str = "baseline", seed: int = 1, scale: int = DEFAULT_SCALE,
                 levers_from: int = DEFAULT_LEVERS_FROM) -> None:
        self.lock = threading.RLock()
        self.preset_name = scenario
        self.seed = seed
        self.scale = scale
        self.levers_from = levers_from
        self.changes: list[LeverChange] = []
        self.last_step_seconds = 0.0
        self.followed_hid: int | None = None
        self.timeline: list[dict[str, Any]] = []
        self.follow_started = START_YEAR
        self._follow_draws = 0
        self.released = False
        self._last_year = START_YEAR
        self.reset(scenario=scenario, seed=seed, scale=scale, levers_from=levers_from)
        _LIVE.add(self)

    # ---- run control -----------------------------------------------------------------------------------
    def reset(self, *, scenario: str | None = None, seed: int | None = None, scale: int | None = None,
              levers_from: int | None = None) -> None:
        """Rebuild the model in 2010 with the given settings and the levers now set.

        Every value is checked here, on the server, whatever the page already checked: the scenario must be
        the name of a shipped preset (it is never used as a path, so a client naming a file on the server
        gets a refusal and the file is not opened), and seed, scale and year must be in their ranges.

        Raises:
            InputError: if a setting is refused (its message names the field, the value and what is allowed)
                or the model refuses it.
        """
        name = parse_scenario(self.preset_name if scenario is None else scenario)
        new_seed = self.seed if seed is None else parse_seed(seed)
        new_scale = self.scale if scale is None else parse_scale(scale)
        new_from = self.levers_from if levers_from is None else parse_year(levers_from)
        with self.lock:
            preset = Scenario.load(name)
            changes = [replace(c, from_year=new_from) for c in active_changes(self.changes)]
            scen = self._scenario(preset, changes)
            model = HunanModel(scenario=scen, scale=new_scale, rng=new_seed)
            # only commit the new settings once the model accepted them
            self.preset = preset
            self.preset_name = name
            self.seed = new_seed
            self.scale = new_scale
            self.levers_from = new_from
            self.changes = changes
            self.model = model
            self._series: dict[tuple[str, str], tuple[list[int], list[float]]] = {}
            self._rows_read = 0
            self._read_new_rows()
            self._follow_draws = 0
            self.follow(hid=None)

    def release(self) -> None:
        """Drop the model and everything read from it: called when the browser session closes.

        Solara closes a session's kernel when its tab closes, but anything that still refers to this object
        (a Play or comparison thread that has not yet noticed the close, a reference cycle awaiting the
        garbage collector) would keep the whole model alive with it; dropping the model here frees it at once.
        Idempotent. After it, the session must not be stepped.
        """
        with self.lock:
            self.released = True
            self.model = None  # type: ignore[assignment]
            self._series = {}
            self.timeline = []
            self.changes = []

    def step(self, n: int = 1) -> None:
        """Advance ``n`` years."""
        for _ in range(n):
            with self.lock:
                if self.released:
                    return  # a Play thread still running after its session closed
                t0 = time.perf_counter()
                self.model.step()
                self.last_step_seconds = time.perf_counter() - t0
                self._read_new_rows()
                self._record_followed()

    @property
    def year(self) -> int:
        """The simulated year (after :meth:`release`, the last year the model had reached)."""
        model = self.model
        if model is None:  # released while a Play thread or a render still runs (a reload during Play)
            return self._last_year
        self._last_year = int(model.year)
        return self._last_year

    # ---- levers ----------------------------------------------------------------------------------------
    def _scenario(self, preset: Scenario, changes: list[LeverChange]) -> Scenario:
        return Scenario(name=preset.name if not changes else f"{preset.name}+page", description=preset.description,
                        title_zh=preset.title_zh, origin=preset.origin,
                        blocks=preset.blocks + tuple(c.block() for c in changes))

    def scenario(self) -> Scenario:
        """The scenario the running model follows (preset plus page changes)."""
        return self.model.policy_scenario

    def scenario_for_rerun(self) -> Scenario:
        """The scenario a Reset would run: the preset plus the page's levers from the "levers from" year."""
        changes = [replace(c, from_year=self.levers_from) for c in active_changes(self.changes)]
        return self._scenario(self.preset, changes)

    def effective_from(self) -> int:
        """First year a lever change made now would apply."""
        return max(self.levers_from, self.year + 1)

    def set_lever(self, name: str, value: Any, city: str | None = None) -> None:
        """Set a lever from the page; it applies from :meth:`effective_from`.

        Raises:
            InputError: for an unknown lever, a value out of range, a city for a province lever or an
                unknown city.
        """
        checked = lever_value(name, value)
        lever = LEVERS[name]
        if city is not None and lever.scope == "province":
            raise InputError(field=name, value=city, allowed="no city for a province-wide lever", source="page")
        if city is not None:
            division_index(city, source="page")
        with self.lock:
            change = LeverChange(lever=name, city=city, value=checked, from_year=self.effective_from())
            change.block()  # validates before the log is touched
            self.changes.append(change)
            self._apply_changes()

    def restore_preset(self) -> None:
        """Drop the page's lever changes: from next year the preset applies again."""
        with self.lock:
            next_year = self.year + 1
            kept = []
            for c in self.changes:
                if c.from_year >= next_year:
                    continue  # never applied: forget it
                kept.append(replace(c, until_year=min(c.until_year, self.year)))
            self.changes = kept
            self._apply_changes()

    def _apply_changes(self) -> None:
        # The model reads its scenario at the start of every step (ProvincialGovernment.apply_policies), so a
        # new scenario object takes effect from the next simulated year. Core request: a public
        # HunanModel.set_scenario() would make this hand-over explicit.
        self.model.set_scenario(self._scenario(self.preset, self.changes))

    def n_changed(self) -> int:
        """Number of lever values (per lever and city) the page has changed and that are still in force."""
        return len(active_changes(self.changes))

    def lever_values(self, name: str, year: int | None = None) -> Any:
        """A lever's values in ``year`` (default: the year changes made now start): a float, or 14 floats."""
        policy = self.scenario().policy(self.effective_from() if year is None else year)
        value = policy[name]
        return np.array(value, copy=True) if LEVERS[name].scope == "city" else float(value)

    def lever_value_for(self, name: str, city: str | None = None) -> tuple[float, bool]:
        """The value shown for a lever and whether cities differ (for "all cities" of a city lever)."""
        values = self.lever_values(name)
        if LEVERS[name].scope == "province":
            return float(values), False
        if city is not None:
            return float(values[division_index(city, source="page")]), False
        uniques, counts = np.unique(values, return_counts=True)
        return float(uniques[np.argmax(counts)]), len(uniques) > 1

    # ---- outputs ---------------------------------------------------------------------------------------
    def _read_new_rows(self) -> None:
        rows = self.model.indicator_rows
        for year, region, indicator, value in rows[self._rows_read:]:
            years, values = self._series.setdefault((indicator, region), ([], []))
            years.append(int(year))
            values.append(float(value))
        self._rows_read = len(rows)

    def series(self, indicator: str, region: str = "Hunan") -> tuple[list[int], list[float]]:
        """Years and values of one indicator for one region (empty lists if it is not recorded)."""
        years, values = self._series.get((indicator, region), ([], []))
        return list(years), list(values)

    def latest(self, indicator: str, region: str = "Hunan") -> float:
        """This year's value of one indicator (NaN if not recorded)."""
        years, values = self._series.get((indicator, region), ([], []))
        return values[-1] if years and years[-1] == self.year else float("nan")

    def value_in(self, indicator: str, region: str = "Hunan", year: int | None = None) -> float:
        """The value of one indicator for one region in ``year`` (default: this year; NaN if not recorded)."""
        if year is None:
            return self.latest(indicator, region)
        years, values = self._series.get((indicator, region), ([], []))
        i = year - years[0] if years else -1
        if 0 <= i < len(years) and years[i] == year:  # one row per year from the first
            return values[i]
        return dict(zip(years, values, strict=False)).get(year, float("nan"))

    def division_values(self, indicator: str, year: int | None = None) -> dict[str, float]:
        """An indicator's value for each division in ``year`` (default: this year)."""
        return {name: self.value_in(indicator, name, year) for name in division_names()}

    def county_values(self, indicator: str, year: int | None = None) -> dict[str, float]:
        """An indicator's value for each county (``region`` label, e.g. ``430181 Liuyang``) in ``year``."""
        from sim.data import load_counties_2020

        return {name: self.value_in(indicator, name, year) for name in load_counties_2020().region}

    def indicator_table(self) -> pd.DataFrame:
        """Every indicator row simulated so far: ``year, region, indicator, value`` (the tidy schema)."""
        return pd.DataFrame(self.model.indicator_rows[:self._rows_read],
                            columns=["year", "region", "indicator", "value"])

    def flow_table(self) -> pd.DataFrame:
        """Every move simulated so far between locations: year, origin and destination (division and urban,
        rural or outside), households (agent records) and persons."""
        rows = []
        for y, o, d, households, persons in self.model.flow_rows:
            (od, ok), (dd, dk) = place_of(int(o), self.model.places), place_of(int(d), self.model.places)
            rows.append((int(y), od, ok, dd, dk, float(households), float(persons)))
        return pd.DataFrame(rows, columns=["year", "origin", "origin_part", "destination", "destination_part",
                                           "households", "persons"])

    def flows_between_divisions(self, year: int | None = None) -> pd.DataFrame:
        """Moves between divisions (and the outside node) in ``year``: ``origin, destination, persons``.

        Moves within a division (between its rural and urban parts) are left out: they are urbanization
        but not a line on the map.
        """
        year = self.year if year is None else year
        places = self.model.places
        agg: dict[tuple[str, str], float] = {}
        # rows are appended year by year: read back from the end until an earlier year
        for y, o, d, _households, persons in reversed(self.model.flow_rows):
            if y < year:
                break
            if y != year or places.division[o] == places.division[d]:
                continue
            key = (places.division_label(o), places.division_label(d))
            agg[key] = agg.get(key, 0.0) + persons
        out = pd.DataFrame([(o, d, p) for (o, d), p in agg.items()],
                           columns=["origin", "destination", "persons"])
        return out.sort_values("persons", ascending=False, ignore_index=True)

    def settled_since_start(self, division: str) -> float:
        """Persons who settled (transferred hukou) in a division since 2010."""
        return float(self.model.city_governments[division_index(division, source="page")].settled_persons)

    # ---- follow a household ----------------------------------------------------------------------------
    def follow(self, hid: int | None = None, *, prefer_migrant: bool = False) -> int | None:
        """Start following household ``hid`` (or a sampled one) from this year; returns its id.

        The sample is drawn from a generator seeded from the session's seed and a draw counter, not from
        the model's generator: following a household must not change the simulation.

        Raises:
            InputError: if ``hid`` is not a household in the model now.
        """
        with self.lock:
            cols = self.model.households.cols
            if hid is None:
                rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(1, self._follow_draws)))
                self._follow_draws += 1
                pool = np.arange(len(cols["hid"]))
                if prefer_migrant:
                    # a household that has already moved away from its hukou place, or (in 2010, before
                    # anyone moved in the model) a young rural-hukou household still in its village, the
                    # likeliest to move
                    at_home = cols["loc"] == self.model.households.hukou_loc()
                    in_hunan_hukou = cols["hukou_div"] != OUTSIDE_DIV
                    migrants = in_hunan_hukou & ~at_home & (cols["moved_year"] > 0)
                    likely = in_hunan_hukou & ~cols["hukou_urban"] & at_home & (cols["head_age"] < 35)
                    for candidates in (migrants, likely):
                        if candidates.any():
                            pool = np.flatnonzero(candidates)
                            break
                if len(pool) == 0:
                    self.followed_hid, self.timeline = None, []
                    return None
                hid = int(cols["hid"][pool[rng.integers(len(pool))]])
            elif (isinstance(hid, bool) or not isinstance(hid, (int, np.integer)) or not 0 <= hid < 2**63
                  or not np.any(cols["hid"] == hid)):
                raise InputError(field="household id", value=hid, allowed="the id of a household in the model now",
                                 source="page")
            self.followed_hid = int(hid)
            self.follow_started = self.year
            self.timeline = []
            self._record_followed()
            return self.followed_hid

    def households_ahead(self, event: str, horizon: int = FOLLOW_HORIZON) -> np.ndarray:
        """Ids of households in the model now to whom ``event`` happens within ``horizon`` years.

        A second model with the same scenario (preset and page levers, with their years), scale and seed is run
        from 2010 to ``horizon`` years past the current year; it repeats the running model's history exactly
        (seeded), so what happens to a household there is what will happen here unless levers change again.
        The running model is not touched.

        Args:
            event: ``move`` (lives somewhere else in a later year), ``settle`` (transfers hukou), ``permit``
                (obtains a residence permit) or ``any``.
            horizon: years to look ahead.

        Raises:
            InputError: for an unknown event.
        """
        if event not in FOLLOW_EVENTS:
            raise InputError(field="follow_event", value=event, allowed=", ".join(FOLLOW_EVENTS), source="page")
        with self.lock:
            cols = self.model.households.cols
            now = {k: np.array(cols[k], copy=True) for k in ("hid", "loc", "hukou_div", "hukou_urban", "permit")}
            scenario, scale, seed, year = self.scenario(), self.scale, self.seed, self.year
        if event == "any":
            return now["hid"]
        end = min(year + horizon, END_YEAR)
        if end <= year:
            return np.array([], dtype=now["hid"].dtype)
        ahead = HunanModel(scenario=scenario, scale=scale, rng=seed)
        while ahead.year < year:
            ahead.step()
        order = np.argsort(now["hid"])
        hids = now["hid"][order]
        happened = np.zeros(len(hids), dtype=bool)
        while ahead.year < end:
            ahead.step()
            c = ahead.households.cols
            pos = np.searchsorted(hids, c["hid"])
            pos = np.minimum(pos, len(hids) - 1)
            present = hids[pos] == c["hid"]
            idx = pos[present]
            if event == "move":
                changed = c["loc"][present] != now["loc"][order][idx]
            elif event == "settle":
                changed = ((c["hukou_div"][present] != now["hukou_div"][order][idx])
                           | (c["hukou_urban"][present] != now["hukou_urban"][order][idx]))
            else:
                changed = c["permit"][present] & ~now["permit"][order][idx].astype(bool)
            happened[idx[changed]] = True
        return hids[happened]

    def follow_ahead(self, event: str) -> int | None:
        """Follow a household (sampled, seeded as :meth:`follow`) to whom ``event`` happens in the coming years.

        Returns:
            its id, or None when no household qualifies (e.g. at the last year of the run).
        """
        candidates = self.households_ahead(event)
        with self.lock:
            if len(candidates) == 0:
                return None
            rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(2, self._follow_draws)))
            self._follow_draws += 1
            return self.follow(int(candidates[rng.integers(len(candidates))]))

    def _record_followed(self) -> None:
        if self.followed_hid is None:
            return
        if self.timeline and self.timeline[-1].get("gone"):
            return
        cols = self.model.households.cols
        hit = np.flatnonzero(cols["hid"] == self.followed_hid)
        if len(hit) == 0:
            self.timeline.append({"year": self.year, "gone": True})
            return
        i = int(hit[0])
        record = {k: cols[k][i].item() for k in FOLLOW_COLUMNS}
        record["year"] = self.year
        record["gone"] = False
        self.timeline.append(record)


def live_sessions() -> int:
    """Number of :class:`SimSession` objects that still hold a model (not released, not collected)."""
    return sum(1 for s in list(_LIVE) if not s.released)


def place_of(loc: int, places: Places) -> tuple[str, str]:
    """(division English name or ``outside``, ``urban``/``rural``/``outside``) of a place id in the model's table
    (``session.model.places``: a place id means nothing without the table it indexes)."""
    return places.label(int(loc))


def hukou_place_of(record: dict[str, Any]) -> str:
    """English division name of a followed household's hukou, or ``other province``."""
    d = int(record["hukou_div"])
    return "other province" if d >= N_DIVISIONS else division_names()[d]


EMPLOYMENT_NAMES = {Employment.EMPLOYED: ("employed", "就业"), Employment.UNEMPLOYED: ("unemployed", "失业"),
                    Employment.FARMING: ("farming", "务农")}
SECTOR_NAMES = {0: ("agriculture", "农业"), 1: ("manufacturing", "制造业"), 2: ("services", "服务业")}
TENURE_NAMES = {Tenure.OWN: ("owns a home", "自有住房"), Tenure.MARKET_RENT: ("rents on the market", "市场租房"),
                Tenure.PUBLIC_RENTAL: ("public rental housing", "公共租赁住房"),
                Tenure.DORMITORY: ("employer dormitory", "单位宿舍"),
                Tenure.RURAL_SELF_BUILT: ("own rural house", "农村自建房")}
