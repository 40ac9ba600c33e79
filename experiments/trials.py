"""A researcher's two trials on ``plan-2021`` (issue 19), paired by seed (common random numbers).

Both run on the plan's scenario; the levers change from 2021 (2010-2020 is the calibrated history and is the same
in every arm), and every arm of a comparison runs on the same seeds 1..N, so each effect is the mean of per-seed
differences with a 95 % t interval over the seeds (:func:`experiments.analysis.t_interval`).

``housing-land``: a 2 x 2 full factorial from 2021.

* (a) public rental housing for residence-permit holders. *Off*: ``permit_housing_share`` 0 (permit holders are
  not eligible) with the plan's public rental construction (8,000 units a year in 2021-2025 split by city).
  *On*: ``permit_housing_share`` 1 **and** :data:`HOUSING_MULTIPLE` (5) times the plan's
  ``public_rental_units_per_year`` in each city, every year 2021-2035. Why 5x and to 2035: eligibility means
  something only where units exist, and the plan's 40,000 units are about 0.5 % of the 7.5 million permit holders
  the model has in 2025, so "on" must bring units with it; 5x the plan is the grid's 3,000-per-division level in
  ``experiments/hukou-housing.toml`` (600 ≈ the plan), large but within what Hunan built in 2010-2015; and the
  units are kept up to 2035 because the outcomes run to 2035 (the plan's own block ends in 2025).
* (b) ``keep_land_rights`` false (settlers give up contract land and homestead) or true (they keep them).

For each output: the effect of housing at each land-rights level, of land rights at each housing level, and the
interaction (on/on - on/off - off/on + off/off), each a paired mean with its 95 % t interval, and the housing
effect's unpaired interval (the same runs treated as independent samples) to show what pairing buys.

``changsha-insurance``: Changsha's central city drops every settlement condition from 2022 (years, insurance,
housing, job; its county towns keep the plan's rules) against ``plan-2021``, for each value of
``migrant_insurance_share`` in :data:`INSURANCE_SHARES` (the share of migrants' employed years with social
insurance, an assumption; it applies from 2010, so the history differs between shares but never between the two
arms of a pair). The effect on Hunan's hukou urbanization rate in 2025 and on the persons who settle in Changsha
(and in Hunan) in 2022-2025; the model has no hukou urbanization rate by division.

Run ``python -m experiments.trials housing-land|changsha-insurance [--seeds 6] [--scale 1000] [--out FILE.md]``.
The results are provisional while the model's public-rental and land-rights mechanisms change (issue 19); the
command is the thing to rerun.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.analysis import t_interval, unpaired_t_interval
from sim.data import division_names
from sim.errors import InputError
from sim.limits import MAX_SCALE, whole_number
from sim.parameters import LEVERS, ModelParameters
from sim.run import git_commit, run_simulation
from sim.scenario import Scenario
from sim.years import PLAN_END_YEAR, PLAN_MIDTERM_YEAR, POLICY_START_YEAR

SCENARIO = "plan-2021"
#: Public rental units per year in the "on" arm, as a multiple of the plan's in each city.
HOUSING_MULTIPLE = 5.0
#: First year of the Changsha opening (the researcher's trial).
CHANGSHA_FROM = 2022
#: Values of ``migrant_insurance_share`` tried (the declared default is 0.5).
INSURANCE_SHARES = (0.25, 0.5, 0.75)
DEFAULT_SEEDS = 6
DEFAULT_SCALE = 1000.0
MIN_SEEDS, MAX_SEEDS = 2, 30
EXPERIMENTS = ("housing-land", "changsha-insurance")
SOURCE = "experiments.trials"

CHANGSHA_OPEN = {"settlement_min_years": 0, "settlement_min_insurance_years": 0, "settlement_housing_condition": 0,
                 "settlement_requires_job": False}


@dataclass(frozen=True)
class Output:
    """One number taken from a run: an indicator's value in ``last`` (``how="level"``) or its sum over
    ``first``..``last`` (``how="sum"``), in one region."""

    indicator: str
    region: str
    how: str
    last: int
    first: int = 0
    label: str = ""

    @property
    def key(self) -> str:
        span = f"{self.first}-{self.last}" if self.how == "sum" else str(self.last)
        return f"{self.indicator}@{self.region}@{span}"

    def value(self, df: pd.DataFrame) -> float:
        rows = df[(df.indicator == self.indicator) & (df.region == self.region)].set_index("year").value
        if self.how == "sum":
            return float(rows.loc[self.first:self.last].sum())
        return float(rows[self.last])


def housing_land_outputs(end_year: int = PLAN_END_YEAR) -> tuple[Output, ...]:
    """The outputs of ``housing-land`` for runs ending in ``end_year`` (2035 values dropped before 2035)."""
    years = [y for y in (PLAN_MIDTERM_YEAR, PLAN_END_YEAR) if y <= end_year]
    out = [Output("settled_migrants", "Hunan", "sum", end_year, POLICY_START_YEAR,
                  f"settled migrants (persons transferring hukou to a Hunan city), sum {POLICY_START_YEAR}-{end_year}")]
    out += [Output("hukou_urbanization_rate", "Hunan", "level", y, label=f"hukou urbanization rate {y} (%)")
            for y in years]
    out += [Output("urbanization_rate", "Hunan", "level", y, label=f"urbanization rate {y} (%)") for y in years]
    out += [Output("outside_hunan_population", "Hunan", "level", y,
                   label=f"Hunan-registered persons living outside Hunan {y} (stay: lower = more stay in Hunan)")
            for y in years]
    out += [Output("public_rental_units", "Hunan", "level", end_year,
                   label=f"public rental stock {end_year} (units; restates the lever: a check of the arms)")]
    return tuple(out)


CHANGSHA_OUTPUTS = (
    Output("hukou_urbanization_rate", "Hunan", "level", PLAN_MIDTERM_YEAR,
           label=f"Hunan hukou urbanization rate {PLAN_MIDTERM_YEAR} (%)"),
    Output("settled_migrants", "Changsha", "sum", PLAN_MIDTERM_YEAR, CHANGSHA_FROM,
           label=f"persons settling in Changsha {CHANGSHA_FROM}-{PLAN_MIDTERM_YEAR}"),
    Output("settled_migrants", "Hunan", "sum", PLAN_MIDTERM_YEAR, CHANGSHA_FROM,
           label=f"persons settling in Hunan's cities {CHANGSHA_FROM}-{PLAN_MIDTERM_YEAR}"),
)


# ---- checks ------------------------------------------------------------------------------------------------

def check_seeds(seeds: Any) -> int:
    if isinstance(seeds, bool) or not isinstance(seeds, int | np.integer) or not MIN_SEEDS <= seeds <= MAX_SEEDS:
        raise InputError(field="seeds", value=seeds, allowed=f"a whole number from {MIN_SEEDS} to {MAX_SEEDS}",
                         source=SOURCE)
    return int(seeds)


def check_scale(scale: Any) -> float:
    ok = not isinstance(scale, bool) and isinstance(scale, int | float | np.integer | np.floating)
    if not ok or not math.isfinite(scale) or not 1 <= scale <= MAX_SCALE:
        raise InputError(field="scale", value=scale, allowed=f"a number from 1 to {MAX_SCALE:,} (households per "
                         "agent)", source=SOURCE)
    return float(scale)


def check_end_year(end_year: Any) -> int:
    if isinstance(end_year, bool) or not isinstance(end_year, int) or not \
            PLAN_MIDTERM_YEAR <= end_year <= PLAN_END_YEAR:
        raise InputError(field="end_year", value=end_year, allowed=f"a year from {PLAN_MIDTERM_YEAR} to "
                         f"{PLAN_END_YEAR}", source=SOURCE)
    return end_year


def check_out(path: Any) -> Path:
    """The Markdown file to write: a ``.md`` path whose folder exists and which is not itself a folder."""
    p = Path(path)
    if p.suffix.lower() != ".md":
        raise InputError(field="--out", value=str(path), allowed="a Markdown file name ending in .md",
                         source="command line")
    if p.is_dir() or not p.parent.is_dir():
        raise InputError(field="--out", value=str(path), allowed="a file in an existing folder",
                         source="command line")
    return p


def _needs_levers(names: Sequence[str]) -> None:
    missing = [n for n in names if n not in LEVERS]
    if missing:  # the model changes under issue 19: say so rather than fail deep inside a scenario block
        raise InputError(field="lever", value=missing[0], allowed="a lever of sim/parameters.py: LEVERS (the trial "
                         "needs it; update experiments/trials.py to the model's levers)", source=SOURCE)


# ---- arms --------------------------------------------------------------------------------------------------

#: The 2 x 2 arms as (public rental for permit holders on?, keep land rights?).
ARMS = ((False, False), (True, False), (False, True), (True, True))


def arm_name(housing: bool, land: bool) -> str:
    return f"housing-{'on' if housing else 'off'}/land-{'kept' if land else 'given-up'}"


def housing_land_arms(scenario: Scenario | str = SCENARIO) -> dict[tuple[bool, bool], Scenario]:
    """The four scenarios of ``housing-land`` by (housing on, land rights kept)."""
    _needs_levers(("permit_housing_share", "public_rental_units_per_year", "keep_land_rights"))
    base = scenario if isinstance(scenario, Scenario) else Scenario.load(scenario)
    plan_units = base.policy(POLICY_START_YEAR).values["public_rental_units_per_year"]
    more = {name: HOUSING_MULTIPLE * float(u) for name, u in zip(division_names(), plan_units, strict=True)}
    arms = {}
    for housing, land in ARMS:
        scen = base.with_levers({"permit_housing_share": 1.0 if housing else 0.0, "keep_land_rights": land},
                                from_year=POLICY_START_YEAR, source=SOURCE, name=arm_name(housing, land))
        if housing:
            scen = scen.with_levers({"public_rental_units_per_year": more}, from_year=POLICY_START_YEAR,
                                    source=f"{SOURCE}: {HOUSING_MULTIPLE:g}x the plan's units")
        arms[(housing, land)] = scen
    return arms


def changsha_arms(scenario: Scenario | str = SCENARIO) -> dict[str, Scenario]:
    """``plan-2021`` and the Changsha zero-threshold scenario."""
    _needs_levers(tuple(CHANGSHA_OPEN))
    base = scenario if isinstance(scenario, Scenario) else Scenario.load(scenario)
    open_ = base.with_levers(CHANGSHA_OPEN, from_year=CHANGSHA_FROM, cities=["Changsha"], places="central_cities",
                             source=SOURCE, name="changsha-open")
    return {"plan": base, "changsha-open": open_}


# ---- runs --------------------------------------------------------------------------------------------------

@dataclass
class Effect:
    """A paired effect: per-seed differences, their mean and 95 % t half-width."""

    diffs: np.ndarray
    mean: float
    half: float

    @classmethod
    def of(cls, diffs: Sequence[float] | np.ndarray) -> Effect:
        d = np.asarray(diffs, dtype=float)
        mean, half = t_interval(d)
        return cls(d, mean, half)


@dataclass
class HousingLandResult:
    """``values[arm][output key]``: one value per seed (seeds 1..N, the same in every arm)."""

    seeds: int
    scale: float
    end_year: int
    outputs: tuple[Output, ...]
    values: dict[tuple[bool, bool], dict[str, np.ndarray]]
    seconds: float = 0.0
    commit: str = ""

    def contrasts(self) -> dict[str, dict[str, Effect]]:
        """Paired effects by contrast name and output key."""
        v = self.values
        out: dict[str, dict[str, Effect]] = {}
        defs: dict[str, Callable[[str], np.ndarray]] = {
            "housing, land given up": lambda k: v[(True, False)][k] - v[(False, False)][k],
            "housing, land kept": lambda k: v[(True, True)][k] - v[(False, True)][k],
            "land rights, housing off": lambda k: v[(False, True)][k] - v[(False, False)][k],
            "land rights, housing on": lambda k: v[(True, True)][k] - v[(True, False)][k],
            "interaction": lambda k: (v[(True, True)][k] - v[(True, False)][k] - v[(False, True)][k]
                                      + v[(False, False)][k]),
        }
        for name, diff in defs.items():
            out[name] = {o.key: Effect.of(diff(o.key)) for o in self.outputs}
        return out

    def unpaired_housing(self) -> dict[str, dict[str, tuple[float, float]]]:
        """The housing effect at each land level from the same runs treated as independent samples."""
        v = self.values
        return {f"housing, land {'kept' if land else 'given up'}":
                {o.key: unpaired_t_interval(v[(True, land)][o.key], v[(False, land)][o.key]) for o in self.outputs}
                for land in (False, True)}


@dataclass
class ChangshaResult:
    """``values[share][arm][output key]``: one value per seed."""

    seeds: int
    scale: float
    shares: tuple[float, ...]
    values: dict[float, dict[str, dict[str, np.ndarray]]] = field(default_factory=dict)
    seconds: float = 0.0
    commit: str = ""

    def effects(self) -> dict[float, dict[str, Effect]]:
        return {s: {o.key: Effect.of(arms["changsha-open"][o.key] - arms["plan"][o.key]) for o in CHANGSHA_OUTPUTS}
                for s, arms in self.values.items()}


def _progress(msg: str, quiet: bool) -> None:
    if not quiet:
        print(msg, file=sys.stderr, flush=True)


def run_housing_land(seeds: int = DEFAULT_SEEDS, scale: float = DEFAULT_SCALE, *, end_year: int = PLAN_END_YEAR,
                     params: ModelParameters | None = None, quiet: bool = True) -> HousingLandResult:
    """Run the four arms on seeds 1..``seeds`` (one process, one run at a time)."""
    seeds, scale, end_year = check_seeds(seeds), check_scale(scale), check_end_year(end_year)
    arms = housing_land_arms()
    outputs = housing_land_outputs(end_year)
    rows: dict[tuple[bool, bool], list[dict[str, float]]] = {a: [] for a in arms}
    start = time.perf_counter()
    for seed in range(1, seeds + 1):
        for arm, scen in arms.items():
            df = run_simulation(scenario=scen, params=params, seed=seed, scale=scale, end_year=end_year).indicators
            rows[arm].append({o.key: o.value(df) for o in outputs})
        _progress(f"housing-land: seed {seed}/{seeds} done ({time.perf_counter() - start:.0f} s)", quiet)
    values = {a: {o.key: np.array([r[o.key] for r in rs]) for o in outputs} for a, rs in rows.items()}
    return HousingLandResult(seeds, scale, end_year, outputs, values, time.perf_counter() - start, git_commit())


def run_changsha_insurance(seeds: int = DEFAULT_SEEDS, scale: float = DEFAULT_SCALE, *,
                           shares: Sequence[float] = INSURANCE_SHARES, params: ModelParameters | None = None,
                           quiet: bool = True) -> ChangshaResult:
    """Run plan-2021 and the Changsha opening to 2025 on seeds 1..``seeds`` for each insurance share."""
    seeds, scale = check_seeds(seeds), check_scale(scale)
    if not shares:
        raise InputError(field="shares", value=shares, allowed="one or more shares from 0 to 1", source=SOURCE)
    if params is None:
        from sim.parameters_default import default_parameters

        params = default_parameters()
    by_share = {float(s): params.replace(migrant_insurance_share=s) for s in shares}  # validated by name here
    arms = changsha_arms()
    result = ChangshaResult(seeds, scale, tuple(by_share))
    start = time.perf_counter()
    for share, p in by_share.items():
        rows: dict[str, list[dict[str, float]]] = {a: [] for a in arms}
        for seed in range(1, seeds + 1):
            for name, scen in arms.items():
                df = run_simulation(scenario=scen, params=p, seed=seed, scale=scale,
                                    end_year=PLAN_MIDTERM_YEAR).indicators
                rows[name].append({o.key: o.value(df) for o in CHANGSHA_OUTPUTS})
        result.values[share] = {a: {o.key: np.array([r[o.key] for r in rs]) for o in CHANGSHA_OUTPUTS}
                                for a, rs in rows.items()}
        _progress(f"changsha-insurance: share {share:g} done ({time.perf_counter() - start:.0f} s)", quiet)
    result.seconds = time.perf_counter() - start
    result.commit = git_commit()
    return result


# ---- tables ------------------------------------------------------------------------------------------------

def _cell(mean: float, half: float, o: Output) -> str:
    if o.indicator.endswith("_rate"):
        return f"{mean:+.3f} ± {half:.3f} pp"
    return f"{mean:+,.0f} ± {half:,.0f}"


def _level(values: np.ndarray, o: Output) -> str:
    mean, half = t_interval(values)
    return f"{mean:.3f} ± {half:.3f}" if o.indicator.endswith("_rate") else f"{mean:,.0f} ± {half:,.0f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def housing_land_markdown(res: HousingLandResult) -> str:
    """The report of ``housing-land`` as Markdown."""
    head = (f"## housing-land: public rental for permit holders x keeping land rights\n\n"
            f"`{SCENARIO}`, levers from {POLICY_START_YEAR}, {res.seeds} paired seeds (1-{res.seeds}) at 1:"
            f"{res.scale:g}, {POLICY_START_YEAR}-{res.end_year}; commit `{res.commit}`; {4 * res.seeds} runs in "
            f"{res.seconds:.0f} s. Housing *on*: `permit_housing_share` 1 and {HOUSING_MULTIPLE:g}x the plan's "
            f"public rental units per city every year from {POLICY_START_YEAR}; *off*: `permit_housing_share` 0 "
            f"with the plan's units. Land: `keep_land_rights` false (given up) or true (kept).\n")
    arms = [(a, arm_name(*a)) for a in ARMS]
    levels = _table(["output", *[n for _, n in arms]],
                    [[o.label, *[_level(res.values[a][o.key], o) for a, _ in arms]] for o in res.outputs])
    contrasts = res.contrasts()
    effects = _table(["output", *contrasts],
                     [[o.label, *[_cell(c[o.key].mean, c[o.key].half, o) for c in contrasts.values()]]
                      for o in res.outputs])
    unpaired = res.unpaired_housing()
    rows = []
    for o in res.outputs:
        row = [o.label]
        for name, un in unpaired.items():
            e = contrasts[name][o.key]
            row += [_cell(e.mean, e.half, o), _cell(*un[o.key], o),
                    f"{e.half / un[o.key][1]:.2f}" if un[o.key][1] > 0 else "–"]
        rows.append(row)
    pair = _table(["output", "housing, land given up: paired", "unpaired", "width ratio",
                   "housing, land kept: paired", "unpaired", "width ratio"], rows)
    return (f"{head}\nArm means (mean ± 95 % t interval over seeds):\n\n{levels}\n\n"
            f"Paired effects (on minus off, same seed; mean ± 95 % t interval of the per-seed differences; "
            f"interaction = on/on − on/off − off/on + off/off):\n\n{effects}\n\n"
            f"What pairing buys: the housing effect's paired interval beside the interval from the same runs "
            f"treated as independent samples (two-sample t, df = {2 * res.seeds - 2}); width ratio = paired / "
            f"unpaired half-width:\n\n{pair}\n")


def changsha_markdown(res: ChangshaResult) -> str:
    """The report of ``changsha-insurance`` as Markdown."""
    head = (f"## changsha-insurance: Changsha's central city without settlement conditions from {CHANGSHA_FROM}\n\n"
            f"`changsha-open` (settlement_min_years 0, settlement_min_insurance_years 0, settlement_housing_condition "
            f"0, settlement_requires_job false in Changsha's central city from {CHANGSHA_FROM}) minus `{SCENARIO}`, "
            f"{res.seeds} paired seeds at 1:{res.scale:g}, 2010-{PLAN_MIDTERM_YEAR}, for each "
            f"`migrant_insurance_share`; commit `{res.commit}`; {2 * res.seeds * len(res.shares)} runs in "
            f"{res.seconds:.0f} s. Effect: mean ± 95 % t interval of the per-seed differences.\n")
    effects = res.effects()
    rows = []
    for share, eff in effects.items():
        base = res.values[share]["plan"]
        rows.append([f"{share:g}", *[_cell(eff[o.key].mean, eff[o.key].half, o) for o in CHANGSHA_OUTPUTS],
                     _level(base[CHANGSHA_OUTPUTS[0].key], CHANGSHA_OUTPUTS[0]),
                     _level(base[CHANGSHA_OUTPUTS[1].key], CHANGSHA_OUTPUTS[1])])
    table = _table(["migrant_insurance_share", *[f"effect: {o.label}" for o in CHANGSHA_OUTPUTS],
                    f"plan-2021 level: {CHANGSHA_OUTPUTS[0].label}", f"plan-2021 level: {CHANGSHA_OUTPUTS[1].label}"],
                   rows)
    return f"{head}\n{table}\n"


# ---- command line ------------------------------------------------------------------------------------------

def _scale_arg(text: str) -> float:
    try:
        value = float(text) if len(text) <= 40 else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not 1 <= value <= MAX_SCALE:
        raise argparse.ArgumentTypeError(f"option --scale: value {text[:40]!r} is not a number from 1 to "
                                         f"{MAX_SCALE:,} (households per agent)")
    return value


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m experiments.trials", description=__doc__.split("\n")[0])
    ap.add_argument("experiment", choices=EXPERIMENTS, help="which trial to run")
    ap.add_argument("--seeds", type=whole_number("--seeds", MIN_SEEDS, MAX_SEEDS), default=DEFAULT_SEEDS,
                    help=f"paired seeds ({MIN_SEEDS}-{MAX_SEEDS}; default {DEFAULT_SEEDS})")
    ap.add_argument("--scale", type=_scale_arg, default=DEFAULT_SCALE,
                    help=f"households per agent (1-{MAX_SCALE:,}; default {DEFAULT_SCALE:g}; larger is faster)")
    ap.add_argument("--out", default=None, metavar="FILE.md", help="also write the Markdown tables to this file")
    return ap


def main(argv: list[str] | None = None) -> int:
    """Run one trial, print its Markdown tables and optionally write them to ``--out``."""
    args = parser().parse_args(argv)
    try:
        out = check_out(args.out) if args.out is not None else None
        if args.experiment == "housing-land":
            text = housing_land_markdown(run_housing_land(args.seeds, args.scale, quiet=False))
        else:
            text = changsha_markdown(run_changsha_insurance(args.seeds, args.scale, quiet=False))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(text)
    if out is not None:
        out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
