"""Births, deaths and ageing of the members of every household, from age-specific rates.

Every person is a member slot of a household (:data:`agents.households.MEMBER_SLOTS`, code = 2 x age + sex).
Each year, in this order (docs/ODD.md, submodel "demography"):

1. deaths: each member dies with the probability of her or his age and sex (:class:`VitalRates`);
2. births: each woman aged 15-49 (alive at the start of the year) bears a child with the probability of her age;
   the child takes a free slot of the household, girl or boy by the sex ratio at birth;
3. ageing: survivors are one year older; nobody outlives :data:`agents.households.MAX_AGE`.

The rates are schedules by single year of age whose shapes come from data (``calibration/data/age_schedules.csv``)
and whose levels follow the year (:meth:`VitalRates.for_year`): fertility levels fitted to Hunan's reported
births 2010-2020 and mortality fitted to its reported deaths (:mod:`calibration.demography`).

Work is done on the occupied slots only (about a third of them), a million households at a time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agents.households import EMPTY, MAX_AGE, Households
from sim.data import AgeSchedules, load_age_schedules
from sim.errors import InputError

#: Fertility levels fitted to Hunan's reported births (written by ``python -m calibration.demography``).
LEVELS_PATH = Path(__file__).resolve().parent.parent / "calibration" / "vital_levels.json"

#: Households handled at once (bounds the temporaries to about 100 MB at any scale).
CHUNK = 1_000_000


@dataclass(frozen=True)
class YearRates:
    """One year's rates, indexed by member code (256 entries; the free-slot code has 0).

    Attributes:
        death: probability of dying this year by code.
        birth: probability of giving birth this year by code (non-zero for women 15-49 only).
        female_at_birth: probability that a newborn is a girl.
    """

    death: np.ndarray
    birth: np.ndarray
    female_at_birth: float


@dataclass(frozen=True)
class Outcome:
    """What happened to the households' members this year.

    Attributes:
        deaths: deaths by household row (of the table before anybody was removed).
        births: births by household row.
        births_lost: births that found no free slot (households already at :data:`MEMBER_SLOTS` members;
            not added, and counted here so that the accounting stays exact).
    """

    deaths: np.ndarray
    births: np.ndarray
    births_lost: int


@dataclass(frozen=True)
class VitalRates:
    """Age-specific fertility and mortality of every year: data shapes times fitted levels.

    * Mortality: probability ``1 - exp(-m)`` of the rate ``m = λ · m_WPP(year, age, sex)``: China's UN WPP
      schedule of the year (interpolated between period mid-points 2008, 2013, 2018; :class:`sim.data.AgeSchedules`),
      Hunan's level relative to China λ (``mortality_level``, fitted to Hunan's reported deaths 2010-2019), and
      after 2018 a yearly decline ι (``mortality_improvement``, an assumption).
    * Fertility: a woman aged a bears a child with probability ``TFR(year) · shape(year, a)``: the UN WPP shape
      of the nearest period (interpolated between period mid-points), the total fertility rate fitted to Hunan's
      reported births year by year 2010-2020 (``tfr`` of :data:`LEVELS_PATH`; the years between fitted years
      interpolated), and after the last fitted year that TFR times ``fertility_projection_factor``.
    * Sex ratio at birth: Hunan's census values 2010 and 2020 (0-year-olds), interpolated, held after 2020.
    """

    schedules: AgeSchedules
    tfr_years: np.ndarray
    tfr: np.ndarray
    mortality_level: float
    mortality_improvement: float
    fertility_projection_factor: float

    @classmethod
    def from_parameters(cls, p: Any, levels_path: Path = LEVELS_PATH) -> VitalRates:
        """The rates of parameters ``p`` (:class:`sim.parameters.ModelParameters`) and the fitted TFR file."""
        try:
            data = json.loads(levels_path.read_text(encoding="utf-8"))
            tfr = {int(y): float(v) for y, v in data["tfr"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InputError(field="tfr", value=f"{type(exc).__name__}: {exc}", source=str(levels_path),
                             allowed="a JSON file with a table 'tfr' of year = total fertility rate "
                                     "(python -m calibration.demography writes it)") from None
        years = np.array(sorted(tfr), dtype=int)
        values = np.array([tfr[y] for y in years])
        if len(years) == 0 or not np.all(np.isfinite(values)) or (values <= 0).any() or (values > 10).any():
            raise InputError(field="tfr", value=values.tolist(), source=str(levels_path),
                             allowed="at least one year, each a total fertility rate between 0 and 10")
        return cls(schedules=load_age_schedules(), tfr_years=years, tfr=values,
                   mortality_level=float(p.mortality_level), mortality_improvement=float(p.mortality_improvement),
                   fertility_projection_factor=float(p.fertility_projection_factor))

    def total_fertility(self, year: int) -> float:
        """The total fertility rate in force in ``year``."""
        if year > self.tfr_years[-1]:
            return float(self.tfr[-1]) * self.fertility_projection_factor
        return float(np.interp(year, self.tfr_years, self.tfr))

    def for_year(self, year: int) -> YearRates:
        """This year's rates by member code (:class:`YearRates`)."""
        sch = self.schedules
        last = sch.mortality_years[-1]
        ym = np.clip(year, sch.mortality_years[0], last)
        i = int(np.clip(np.searchsorted(sch.mortality_years, ym) - 1, 0, len(sch.mortality_years) - 2))
        y0, y1 = sch.mortality_years[i], sch.mortality_years[i + 1]
        w = (ym - y0) / (y1 - y0)
        m_year = np.exp((1 - w) * np.log(sch.mortality[i]) + w * np.log(sch.mortality[i + 1]))
        m = self.mortality_level * m_year * np.exp(-self.mortality_improvement * max(year - last, 0))
        death = code_table(1.0 - np.exp(-m))
        death[2 * MAX_AGE:2 * (MAX_AGE + 1)] = 1.0
        y = np.clip(year, sch.asfr_years[0], sch.asfr_years[-1])
        shape = np.array([np.interp(y, sch.asfr_years, sch.asfr_shape[:, a]) for a in range(MAX_AGE + 1)])
        by_age_sex = np.zeros((MAX_AGE + 1, 2))
        by_age_sex[:, 1] = np.minimum(self.total_fertility(year) * shape / shape.sum(), 0.9)
        srb = float(np.interp(year, sch.srb_years, sch.srb))
        return YearRates(death=death, birth=code_table(by_age_sex), female_at_birth=100.0 / (100.0 + srb))


def code_table(by_age_sex: np.ndarray) -> np.ndarray:
    """A (111, 2) table by age and sex as a 256-entry table by member code (free slot and unused codes: 0)."""
    out = np.zeros(256)
    out[:2 * (MAX_AGE + 1)] = np.asarray(by_age_sex, dtype=float).reshape(-1)
    return out


def step_members(h: Households, rates: YearRates, rng: np.random.Generator,
                 fertility: np.ndarray | None = None, fertility_group: np.ndarray | None = None) -> Outcome:
    """Deaths, births and ageing of every member (module docstring); the derived columns are not refreshed.

    Draws, chunk by chunk: one uniform per occupied slot (death), one per woman of childbearing age (birth),
    one per newborn (sex). The stream depends only on the table, the rates and the seed.

    Args:
        fertility: multiplier of the birth rates by group (the hukou divisions' relative fertility,
            :func:`sim.data.division_fertility_2010`), or by household when ``fertility_group`` is None; None is 1
            for all.
        fertility_group: each household's row of ``fertility`` (its hukou division). Looked up for the women of
            childbearing age only, instead of a multiplier per household built every year (168 MB at 1:1).
    """
    members = h.cols["members"]
    n = len(h)
    deaths = np.zeros(n, dtype=np.int16)
    births = np.zeros(n, dtype=np.int16)
    lost = 0
    death_p = rates.death.astype(np.float64)
    birth_p = rates.birth.astype(np.float64)
    oldest = 2 * MAX_AGE
    can_bear_code = birth_p > 0
    slots = members.shape[1]
    for start in range(0, n, CHUNK):
        block = members[start:start + CHUNK]  # a view: written in place
        if not block.flags.c_contiguous:  # the table's columns are; a copy here would lose the writes
            raise ValueError("the member slots must be a C-contiguous array")
        flat_block = block.reshape(-1)  # a view too
        occupied = np.flatnonzero(flat_block != EMPTY)  # row-major: the order of the draws
        # codes as native integers: numpy looks up tables by an intp index twice as fast as by a uint8 one
        codes = flat_block[occupied].astype(np.intp)
        # births by women alive at the start of the year (a mother who dies in the year may still give birth)
        can_bear = np.flatnonzero(can_bear_code[codes])
        p_birth = birth_p[codes[can_bear]]
        if fertility is not None:
            mothers = start + occupied[can_bear] // slots
            p_birth = p_birth * fertility[mothers if fertility_group is None else fertility_group[mothers]]
        born = can_bear[rng.random(len(can_bear)) < p_birth]
        die = (rng.random(len(codes)) < death_p[codes]) | (codes >= oldest)
        # everyone one year older, then the dead removed (in place: no gather and scatter of the survivors). A
        # free slot (255) wraps to 1 when 2 is added; no member's code is 1 after ageing (newborns are placed
        # afterwards), so every 1 is a free slot: set back to 255. Seven times faster than a masked add.
        block += np.uint8(2)
        np.bitwise_or(block, (block == 1).view(np.uint8) * np.uint8(EMPTY), out=block)
        dead = occupied[die]
        flat_block[dead] = EMPTY
        deaths[start:start + len(block)] += np.bincount(dead // slots, minlength=len(block)).astype(np.int16)
        if len(born):
            girl = rng.random(len(born)) < rates.female_at_birth
            placed = _place_newborns(block, occupied[born] // slots, girl)
            lost += len(born) - len(placed)
            births[start:start + len(block)] += np.bincount(placed, minlength=len(block)).astype(np.int16)
    return Outcome(deaths=deaths.astype(np.int64), births=births.astype(np.int64), births_lost=lost)


def _place_newborns(block: np.ndarray, mothers: np.ndarray, girl: np.ndarray) -> np.ndarray:
    """Write newborns (code 0 or 1) into the first free slot of their mothers' households; returns the rows
    (one entry per newborn placed). Two births in one household take two slots (one round each); a newborn
    whose household has no free slot is not added."""
    order = np.argsort(mothers, kind="stable")
    mothers, girl = mothers[order], girl[order]
    placed = []
    while len(mothers):
        first = np.ones(len(mothers), dtype=bool)
        first[1:] = mothers[1:] != mothers[:-1]  # one newborn per household per round
        rows = mothers[first]
        free = block[rows] == EMPTY
        has = free.any(axis=1)
        slot = free.argmax(axis=1)
        block[rows[has], slot[has]] = girl[first][has].astype(np.uint8)
        placed.append(rows[has])
        full = rows[~has]
        mothers, girl = mothers[~first], girl[~first]
        if len(full):  # a full household stays full this year: its other newborns are not added either
            keep = ~np.isin(mothers, full)
            mothers, girl = mothers[keep], girl[keep]
    return np.concatenate(placed) if placed else np.zeros(0, dtype=np.int64)


def young_adult_slot(members: np.ndarray) -> np.ndarray:
    """Per household (rows of ``members``): the slot of its youngest member aged 18-34, or -1 if none."""
    age = (members >> 1).astype(np.int16)
    young = (members != EMPTY) & (age >= 18) & (age <= 34)
    masked = np.where(young, age, 999)
    slot = masked.argmin(axis=1)
    return np.where(young.any(axis=1), slot, -1)
