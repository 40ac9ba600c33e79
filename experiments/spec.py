"""Experiment files: what to vary, what is uncertain, how to sample it, and the plan of runs they expand to.

An experiment file (TOML, read with the standard library's :mod:`tomllib` only) keeps the *levers* (what Hunan
chooses, declared in :data:`sim.parameters.LEVERS`) apart from the *uncertainties* (how Hunan is, the
behavioural parameters of :class:`sim.parameters.ModelParameters`), as EMA Workbench does::

    name = "hukou-housing"
    scenarios = ["baseline"]        # policy scenarios in scenarios/ (or paths to .toml files)
    end_year = 2035
    scale = 100                     # households per agent
    replications = 2                # stochastic replications of every (scenario, levers, uncertainties) point
    master_seed = 20210801          # every run's seed is derived from it and the run's index
    policy_from = 2021              # first year the varied levers apply (history 2010-2020 is left alone)

    [levers]
    design = "full_factorial"       # full_factorial | latin_hypercube | sobol (then n = ...)

    [levers.public_rental_units_per_year]      # a factor named after the lever it sets
    values = [0, 600, 3000, 10000]

    [levers.changsha_settlement]                # a factor setting a bundle of levers
    cities = ["Changsha"]
    [levers.changsha_settlement.options]
    strict = { settlement_min_years = 3, settlement_housing_condition = 2 }
    open = { settlement_min_years = 0, settlement_housing_condition = 0 }

    [uncertainties]
    design = "posterior"            # defaults | posterior | latin_hypercube | sobol | sobol_sensitivity | morris
    n = 50
    [uncertainties.fallback]        # used while calibration/posterior.json does not exist
    design = "latin_hypercube"
    n = 50
    parameters = "calibrated"

    [outputs]
    indicators = "all"              # or a list of names in sim.indicators.INDICATORS
    regions = "all"                 # or a list among "Hunan", the 14 divisions, "outside"
    flows = false                   # also keep the origin-destination flow table

Runs are the product scenarios × lever points × uncertainty points × replications, enumerated in that order
(replicate fastest); a run's index in this order is its identity. Everything is validated on load and every
error names the file, the field, the value and what is allowed (:class:`sim.errors.InputError`).
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from experiments.seeds import (
    LEVER_BLOCK,
    POSTERIOR_BLOCK,
    UNCERTAINTY_BLOCK,
    crn_seed,
    design_rng,
    design_seed,
    run_seed,
)
from sim.data import division_names
from sim.errors import InputError
from sim.indicators import INDICATORS
from sim.limits import (
    MAX_DESIGN_POINTS,
    MAX_OVERRIDE_CHARS,
    MAX_POSTERIOR_BYTES,
    MAX_REPLICATIONS,
    MAX_RUNS,
    MAX_SAMPLE_N,
    MAX_SCALE,
    check_count,
    check_document,
    check_safe_name,
    parse_toml,
    read_limited,
    read_toml,
)
from sim.parameters import LEVERS, ModelParameters, parameter_names, parameter_specs
from sim.parameters_default import FITTED_PARAMETERS, POSTERIOR_PATH, default_parameters
from sim.scenario import Scenario
from sim.years import HORIZON_YEAR as LAST_YEAR
from sim.years import PLAN_END_YEAR, PLAN_MIDTERM_YEAR, POLICY_START_YEAR, START_YEAR

EXPERIMENT_DIR = Path(__file__).resolve().parent
LEVER_DESIGNS = ("full_factorial", "latin_hypercube", "sobol")
UNCERTAINTY_DESIGNS = ("defaults", "posterior", "latin_hypercube", "sobol", "sobol_sensitivity", "morris")
PARAMETER_GROUPS = ("all", "calibrated", "sourced", "assumption")
_TOP_KEYS = {"name", "description", "scenarios", "end_year", "scale", "replications", "master_seed",
             "policy_from", "common_random_numbers", "levers", "uncertainties", "outputs", "report"}
_FACTOR_KEYS = {"lever", "values", "range", "options", "cities", "from", "note"}
_UNCERTAINTY_KEYS = {"design", "n", "parameters", "ranges", "posterior_file", "num_levels", "second_order",
                     "fallback", "note"}
_OUTPUT_KEYS = {"indicators", "regions", "years", "flows"}
_REPORT_KEYS = {"discovery"}
_DISCOVERY_KEYS = {"indicator", "region", "year", "min", "max"}

FactorValue = float | int | bool | str


# --------------------------------------------------------------------------------------------------------
# small validators: each raises InputError naming the file and the dotted field
# --------------------------------------------------------------------------------------------------------

def _int(value: Any, where: str, name: str, *, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        allowed = f"a whole number from {low} to {_count(high)}" if high is not None else f"a whole number >= {low}"
        raise InputError(field=name, value=value, allowed=allowed, source=where)
    return value


def _count(n: int) -> str:
    """A limit for a message: 100,000 with separators, a year (2100) without."""
    return f"{n:,}" if n >= 10_000 else str(n)


def _choice(value: Any, where: str, name: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise InputError(field=name, value=value, allowed="one of " + ", ".join(choices), source=where)
    return value


def _table(value: Any, where: str, name: str, keys: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputError(field=name, value=value, allowed="a table", source=where)
    unknown = sorted(set(value) - keys)
    if unknown:
        raise InputError(field=f"{name}.{unknown[0]}" if name else unknown[0], value=value[unknown[0]],
                         allowed="keys " + ", ".join(sorted(keys)), source=where)
    return value


def _is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


# --------------------------------------------------------------------------------------------------------
# levers: factors
# --------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Factor:
    """One varied dimension of policy: a lever given values or a range, or a named bundle of lever settings.

    Attributes:
        name: the factor's name (a column of the result tables).
        kind: ``values`` (a list of values of one lever), ``range`` (a continuous or whole-number range of one
            lever, for sampled designs) or ``options`` (named bundles ``{lever: value}``).
        lever: the lever set by a ``values`` or ``range`` factor.
        levels: the values, or the option names, in file order.
        low: lower end of a ``range``.
        high: upper end of a ``range``.
        options: the bundles of an ``options`` factor.
        cities: division names the levers apply to (city levers only); ``None`` means every division.
        from_year: first year the setting applies.
    """

    name: str
    kind: Literal["values", "range", "options"]
    lever: str | None
    levels: tuple[FactorValue, ...] = ()
    low: float = 0.0
    high: float = 0.0
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    cities: tuple[str, ...] | None = None
    from_year: int = POLICY_START_YEAR

    @property
    def levers(self) -> tuple[str, ...]:
        """The levers this factor sets."""
        if self.kind == "options":
            return tuple(dict.fromkeys(lv for bundle in self.options.values() for lv in bundle))
        return (self.lever,)  # type: ignore[return-value]

    def from_unit(self, u: float) -> FactorValue:
        """Map a point of [0, 1) (from a Latin hypercube or Sobol sample) to a value of this factor."""
        if self.kind != "range":
            return self.levels[min(int(u * len(self.levels)), len(self.levels) - 1)]
        lever = LEVERS[self.lever]  # type: ignore[index]
        if lever.kind == "bool":
            return bool(u >= 0.5)
        if lever.kind == "int":
            # equal probability for each whole number in [low, high]
            return int(min(math.floor(self.low + u * (self.high - self.low + 1)), self.high))
        return float(self.low + u * (self.high - self.low))

    def lever_values(self, value: FactorValue) -> dict[str, Any]:
        """The lever settings that ``value`` of this factor stands for."""
        if self.kind == "options":
            return dict(self.options[str(value)])
        return {self.lever: value}  # type: ignore[dict-item]


def _lever_value(lever_name: str, value: Any, where: str, name: str) -> FactorValue:
    """Validate one lever value and return it in the lever's own type (bool, int or float)."""
    lever = LEVERS[lever_name]
    try:
        lever.validate(value, source=where)
    except InputError as exc:
        raise InputError(field=name, value=value, allowed=exc.allowed, source=where) from None
    if lever.kind == "bool":
        return bool(value)
    if lever.kind == "int":
        return int(value)
    return float(value)


def _parse_factor(name: str, raw: Any, where: str, policy_from: int, end_year: int) -> Factor:
    fld = f"levers.{name}"
    raw = _table(raw, where, fld, _FACTOR_KEYS)
    kinds = [k for k in ("values", "range", "options") if k in raw]
    if len(kinds) != 1:
        raise InputError(field=fld, value=sorted(raw), allowed="exactly one of 'values', 'range' or 'options'",
                         source=where)
    kind = kinds[0]
    # a factor starting after end_year would silently never be applied
    from_year = _int(raw.get("from", policy_from), where, f"{fld}.from", low=START_YEAR, high=end_year)
    cities = raw.get("cities")
    if cities is not None:
        known = division_names()
        if not isinstance(cities, list) or not cities:
            raise InputError(field=f"{fld}.cities", value=cities, allowed="a non-empty list of division names",
                             source=where)
        for c in cities:
            if c not in known:
                raise InputError(field=f"{fld}.cities", value=c, allowed="division names: " + ", ".join(known),
                                 source=where)
        cities = tuple(cities)
    lever_name = None
    levels: tuple[FactorValue, ...] = ()
    low = high = 0.0
    options: dict[str, dict[str, Any]] = {}
    if kind in ("values", "range"):
        lever_name = raw.get("lever", name)
        if lever_name not in LEVERS:
            raise InputError(field=f"{fld}.lever" if "lever" in raw else fld, value=lever_name,
                             allowed="a lever: " + ", ".join(LEVERS), source=where)
        lever_names = [lever_name]
    else:
        if "lever" in raw:
            raise InputError(field=f"{fld}.lever", value=raw["lever"],
                             allowed="no 'lever' in a factor with 'options' (each option names its levers)",
                             source=where)
        lever_names = []
    if kind == "values":
        values = raw["values"]
        if not isinstance(values, list) or not values:
            raise InputError(field=f"{fld}.values", value=values, allowed="a non-empty list", source=where)
        levels = tuple(_lever_value(lever_name, v, where, f"{fld}.values[{i}]") for i, v in enumerate(values))
        if len(set(levels)) != len(levels):
            raise InputError(field=f"{fld}.values", value=values, allowed="distinct values", source=where)
    elif kind == "range":
        rng = raw["range"]
        lever = LEVERS[lever_name]
        if not (isinstance(rng, list) and len(rng) == 2):
            raise InputError(field=f"{fld}.range", value=rng, allowed="[low, high]", source=where)
        if lever.kind == "bool":
            raise InputError(field=f"{fld}.range", value=rng, allowed="'values = [false, true]' for a true/false "
                             "lever", source=where)
        lo = _lever_value(lever_name, rng[0], where, f"{fld}.range[0]")
        hi = _lever_value(lever_name, rng[1], where, f"{fld}.range[1]")
        if not lo < hi:
            raise InputError(field=f"{fld}.range", value=rng, allowed="[low, high] with low < high", source=where)
        low, high = float(lo), float(hi)
    else:
        raw_opts = raw["options"]
        if not isinstance(raw_opts, dict) or not raw_opts:
            raise InputError(field=f"{fld}.options", value=raw_opts,
                             allowed="a table of named bundles, e.g. open = { settlement_min_years = 0 }",
                             source=where)
        for opt, bundle in raw_opts.items():
            ofld = f"{fld}.options.{opt}"
            if not isinstance(bundle, dict) or not bundle:
                raise InputError(field=ofld, value=bundle, allowed="a non-empty table of lever = value",
                                 source=where)
            checked = {}
            for lv, v in bundle.items():
                if lv not in LEVERS:
                    raise InputError(field=f"{ofld}.{lv}", value=v, allowed="a lever: " + ", ".join(LEVERS),
                                     source=where)
                checked[lv] = _lever_value(lv, v, where, f"{ofld}.{lv}")
                lever_names.append(lv)
            options[opt] = checked
        levels = tuple(options)
    if cities is not None:
        province = sorted({lv for lv in lever_names if LEVERS[lv].scope == "province"})
        if province:
            raise InputError(field=f"{fld}.cities", value=list(cities),
                             allowed=f"no 'cities' for a province-wide lever ({province[0]})", source=where)
    return Factor(name=name, kind=kind, lever=lever_name, levels=levels, low=low, high=high, options=options,
                  cities=cities, from_year=from_year)


# --------------------------------------------------------------------------------------------------------
# uncertainties
# --------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class UncertaintySpec:
    """How the behavioural parameters vary across runs.

    Attributes:
        design: ``defaults`` (one point: the posterior median if it exists, else the declared defaults),
            ``posterior`` (draws from ``calibration/posterior.json``), ``latin_hypercube`` or ``sobol`` (points
            in the parameters' ranges), ``sobol_sensitivity`` or ``morris`` (SALib designs for sensitivity
            indices).
        n: number of points (draws for ``posterior``; base samples N for ``sobol_sensitivity``; trajectories
            for ``morris``).
        parameters: the varied parameters.
        ranges: each varied parameter's (low, high).
        posterior_file: the posterior file (``posterior`` design).
        num_levels: grid levels of a Morris design.
        second_order: whether a Sobol sensitivity design also estimates second-order indices.
        note: why this design is used (e.g. the posterior does not exist yet and the fallback was taken).
    """

    design: str = "defaults"
    n: int = 1
    parameters: tuple[str, ...] = ()
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    posterior_file: str | None = None
    num_levels: int = 4
    second_order: bool = False
    note: str = ""
    n_samples: int = 0

    @property
    def n_points(self) -> int:
        """Number of uncertainty points, computed without building the design (SALib's row counts)."""
        d = len(self.parameters)
        if self.design == "defaults":
            return 1
        if self.design == "posterior":
            return self.n or self.n_samples
        if self.design == "sobol_sensitivity":
            return self.n * (2 * d + 2 if self.second_order else d + 2)
        if self.design == "morris":
            return self.n * (d + 1)
        return self.n

    def salib_problem(self) -> dict[str, Any]:
        """The SALib problem dictionary of the varied parameters."""
        return {"num_vars": len(self.parameters), "names": list(self.parameters),
                "bounds": [list(self.ranges[p]) for p in self.parameters]}


def _select_parameters(raw: Any, where: str, fld: str) -> list[str]:
    names = parameter_names()
    if isinstance(raw, str):
        if raw not in PARAMETER_GROUPS:
            raise InputError(field=fld, value=raw, allowed="one of " + ", ".join(PARAMETER_GROUPS)
                             + " or a list of parameter names", source=where)
        specs = parameter_specs()
        return [p for p in names if raw == "all" or specs[p]["kind"] == raw]
    if not isinstance(raw, list) or not raw:
        raise InputError(field=fld, value=raw, allowed="'all', 'calibrated', 'sourced', 'assumption' or a "
                         "non-empty list of parameter names", source=where)
    for p in raw:
        if p not in names:
            raise InputError(field=fld, value=p, allowed="parameters: " + ", ".join(names), source=where)
    if len(set(raw)) != len(raw):
        raise InputError(field=fld, value=raw, allowed="distinct parameter names", source=where)
    return list(raw)


def _parse_uncertainties(raw: Any, where: str, fld: str = "uncertainties", *,
                         base_dir: Path, allow_fallback: bool = True) -> UncertaintySpec:
    raw = _table(raw, where, fld, _UNCERTAINTY_KEYS)
    design = _choice(raw.get("design", "defaults"), where, f"{fld}.design", UNCERTAINTY_DESIGNS)
    specs = parameter_specs()
    if design == "defaults":
        extra = sorted(set(raw) - {"design", "note"})
        if extra:
            raise InputError(field=f"{fld}.{extra[0]}", value=raw[extra[0]],
                             allowed="nothing else with design = \"defaults\"", source=where)
        return UncertaintySpec()
    if design == "posterior":
        pf = raw.get("posterior_file", str(POSTERIOR_PATH))
        if not isinstance(pf, str) or not pf or "\0" in pf or len(pf) > 4096:
            raise InputError(field=f"{fld}.posterior_file", value=pf, allowed="the path of a posterior JSON file",
                             source=where)
        path = Path(pf)
        if not path.is_absolute():
            path = base_dir / path
        if path.exists() or path.is_symlink():
            n = _int(raw.get("n", 0), where, f"{fld}.n", low=0, high=MAX_SAMPLE_N)  # 0: every sample, in file order
            # read now (bounded: a regular file under MAX_POSTERIOR_BYTES) so that a bad file or a design too large
            # is refused at load, before any work
            try:
                samples, _ = read_posterior(path)
            except InputError as exc:
                raise InputError(field=f"{fld}.posterior_file: {exc.field}", value=exc.value, allowed=exc.allowed,
                                 source=f"{where} ({path})") from None
            return UncertaintySpec(design="posterior", n=n, posterior_file=str(path), n_samples=len(samples))
        if "fallback" not in raw or not allow_fallback:
            raise InputError(field=f"{fld}.design", value="posterior",
                             allowed=f"a design other than 'posterior' while {path} does not exist, or a "
                             f"[{fld}.fallback] table to use until it does", source=where)
        fb = _parse_uncertainties(raw["fallback"], where, f"{fld}.fallback", base_dir=base_dir,
                                  allow_fallback=False)
        note = f"{path} does not exist yet; using the fallback design '{fb.design}'"
        warnings.warn(f"{where}: {note}", UserWarning, stacklevel=4)
        return UncertaintySpec(**{**fb.__dict__, "note": note})
    # sampled designs over ranges
    params = _select_parameters(raw.get("parameters", "calibrated"), where, f"{fld}.parameters")
    ranges_raw = raw.get("ranges", {})
    if not isinstance(ranges_raw, dict):
        raise InputError(field=f"{fld}.ranges", value=ranges_raw, allowed="a table of name = [low, high]",
                         source=where)
    ranges: dict[str, tuple[float, float]] = {}
    for p in params:
        ranges[p] = (float(specs[p]["low"]), float(specs[p]["high"]))
    for p, r in ranges_raw.items():
        rfld = f"{fld}.ranges.{p}"
        if p not in params:
            raise InputError(field=rfld, value=r, allowed="a range only for a parameter listed in "
                             f"{fld}.parameters", source=where)
        lo, hi = specs[p]["low"], specs[p]["high"]
        if not (isinstance(r, list) and len(r) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                            for v in r) and lo <= r[0] < r[1] <= hi):
            raise InputError(field=rfld, value=r, allowed=f"[low, high] within the declared range {lo} to {hi} "
                             f"{specs[p]['unit']}", source=where)
        ranges[p] = (float(r[0]), float(r[1]))
    n = _int(raw.get("n"), where, f"{fld}.n", low=1, high=MAX_SAMPLE_N) if "n" in raw else None
    if n is None:
        raise InputError(field=f"{fld}.n", value=None, allowed=f"a number of points for design '{design}'",
                         source=where)
    if design in ("sobol", "sobol_sensitivity") and not _is_power_of_two(n):
        raise InputError(field=f"{fld}.n", value=n, allowed="a power of two (Sobol sequences lose their balance "
                         "otherwise)", source=where)
    num_levels = _int(raw.get("num_levels", 4), where, f"{fld}.num_levels", low=2, high=20)
    if num_levels % 2:
        raise InputError(field=f"{fld}.num_levels", value=num_levels, allowed="an even number (Morris)",
                         source=where)
    second = raw.get("second_order", False)
    if not isinstance(second, bool):
        raise InputError(field=f"{fld}.second_order", value=second, allowed="true or false", source=where)
    return UncertaintySpec(design=design, n=n, parameters=tuple(params), ranges=ranges, num_levels=num_levels,
                           second_order=second)


def read_posterior(path: str | Path) -> tuple[list[dict[str, float]], np.ndarray | None]:
    """The samples (and optional weights) of a posterior file ``{"median": {...}, "samples": [{...}, ...]}``.

    Keys starting with ``_`` in a sample are bookkeeping and ignored; any other key must be a parameter.
    """
    path = Path(path)
    raw = read_limited(path, limit=MAX_POSTERIOR_BYTES, what="JSON posterior")  # never /dev/zero or a FIFO
    try:
        data = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise InputError(field="(file)", value="JSON nested too deep", allowed="a JSON posterior "
                         "{\"median\": {...}, \"samples\": [{...}, ...]}", source=str(path)) from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, a number of more than 4300 digits
        raise InputError(field="(file)", value=str(exc), allowed="a readable JSON posterior", source=str(path)) \
            from None
    samples = data.get("samples") if isinstance(data, dict) else None
    if not isinstance(samples, list) or not samples:
        raise InputError(field="samples", value=type(samples).__name__, allowed="a non-empty list of "
                         "{parameter: value} tables", source=str(path))
    known = set(parameter_names())
    out = []
    for i, s in enumerate(samples):
        if not isinstance(s, dict):
            raise InputError(field=f"samples[{i}]", value=s, allowed="a table of parameter values", source=str(path))
        point = {}
        for k, v in s.items():
            if k.startswith("_"):
                continue
            if k not in known:
                raise InputError(field=f"samples[{i}].{k}", value=v, allowed="a parameter of ModelParameters",
                                 source=str(path))
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not -1e300 < v < 1e300:
                raise InputError(field=f"samples[{i}].{k}", value=v, allowed="a finite number", source=str(path))
            point[k] = float(v)
        out.append(point)
    weights = data.get("weights")
    if weights is not None:
        try:
            w = np.asarray(weights, dtype=float)
        except (TypeError, ValueError, OverflowError):
            w = np.full(0, np.nan)
        if w.shape != (len(out),) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise InputError(field="weights", value=f"{len(weights) if isinstance(weights, list) else weights}",
                             allowed=f"{len(out)} non-negative numbers (one per sample)", source=str(path))
        return out, w / w.sum()
    return out, None


def posterior_draws(path: str | Path, n: int, master_seed: int) -> list[dict[str, float]]:
    """``n`` draws from a posterior file's samples, the same for the same master seed.

    Draw ``i`` is the same wherever it is used (an experiment's uncertainty point ``i``, the UI comparison's
    replication ``i``): a generator of its own design block (:data:`experiments.seeds.POSTERIOR_BLOCK`) picks the
    samples, by their weights when the file has them, without replacement when the file's samples are equally
    weighted and there are enough of them.

    Args:
        path: the posterior file (``{"median": {...}, "samples": [{...}, ...]}``, optional ``"weights"``).
        n: draws wanted; ``0`` means every sample in file order (when the samples are equally weighted) or as
            many weighted draws as there are samples.
        master_seed: the recorded seed the draws follow from.

    The draws leave out :data:`sim.parameters_default.FITTED_PARAMETERS`.
    """
    samples, weights = read_posterior(path)
    # Parameters fitted to their own series keep their fitted defaults (sim.parameters_default); a posterior
    # installed before that fit still holds them.
    samples = [{k: v for k, v in s.items() if k not in FITTED_PARAMETERS} for s in samples]
    if n == 0 and weights is None:
        return samples
    rng = design_rng(master_seed, POSTERIOR_BLOCK)
    n = n or len(samples)
    idx = rng.choice(len(samples), size=n, replace=weights is not None or n > len(samples), p=weights)
    return [samples[int(i)] for i in idx]


# --------------------------------------------------------------------------------------------------------
# outputs and report settings
# --------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OutputSpec:
    """Which rows of the indicator table each run keeps (``None`` keeps everything)."""

    indicators: tuple[str, ...] | None = None
    regions: tuple[str, ...] | None = None
    years: tuple[int, ...] | None = None
    flows: bool = False


def _parse_outputs(raw: Any, where: str, end_year: int) -> OutputSpec:
    raw = _table(raw, where, "outputs", _OUTPUT_KEYS)
    regions_known = ["Hunan", *division_names(), "outside"]

    def names(key: str, known: Sequence[str]) -> tuple[str, ...] | None:
        value = raw.get(key, "all")
        if value == "all":
            return None
        if not isinstance(value, list) or not value:
            raise InputError(field=f"outputs.{key}", value=value, allowed="\"all\" or a non-empty list", source=where)
        for v in value:
            if v not in known:
                raise InputError(field=f"outputs.{key}", value=v, allowed="one of " + ", ".join(known), source=where)
        return tuple(value)

    indicators = names("indicators", list(INDICATORS))
    regions = names("regions", regions_known)
    years = raw.get("years", "all")
    if years != "all":
        if not isinstance(years, list) or not years:
            raise InputError(field="outputs.years", value=years, allowed="\"all\" or a list of years", source=where)
        for y in years:
            _int(y, where, "outputs.years", low=START_YEAR, high=end_year)
        years = tuple(years)
    else:
        years = None
    flows = raw.get("flows", False)
    if not isinstance(flows, bool):
        raise InputError(field="outputs.flows", value=flows, allowed="true or false", source=where)
    return OutputSpec(indicators=indicators, regions=regions, years=years, flows=flows)


@dataclass(frozen=True)
class Discovery:
    """The outcome of interest for scenario discovery (PRIM): ``indicator`` in ``region`` and ``year`` above
    ``min`` and/or below ``max``. Default: Hunan's urbanization rate reaches the plan's 63 % by 2025."""

    indicator: str = "urbanization_rate"
    region: str = "Hunan"
    year: int = PLAN_MIDTERM_YEAR
    min: float | None = 63.0
    max: float | None = None

    def describe(self) -> str:
        """A short English description."""
        parts = []
        if self.min is not None:
            parts.append(f">= {self.min:g}")
        if self.max is not None:
            parts.append(f"<= {self.max:g}")
        return f"{self.indicator} ({self.region}) in {self.year} " + " and ".join(parts)


def _parse_report(raw: Any, where: str, end_year: int) -> Discovery:
    raw = _table(raw, where, "report", _REPORT_KEYS)
    if "discovery" not in raw:
        return Discovery()
    d = _table(raw["discovery"], where, "report.discovery", _DISCOVERY_KEYS)
    ind = _choice(d.get("indicator", "urbanization_rate"), where, "report.discovery.indicator", list(INDICATORS))
    region = _choice(d.get("region", "Hunan"), where, "report.discovery.region",
                     ["Hunan", *division_names(), "outside"])
    year = _int(d.get("year", PLAN_MIDTERM_YEAR), where, "report.discovery.year", low=START_YEAR + 1, high=end_year)
    bounds = {}
    for key in ("min", "max"):
        v = d.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
            raise InputError(field=f"report.discovery.{key}", value=v, allowed="a number", source=where)
        bounds[key] = None if v is None else float(v)
    if bounds["min"] is None and bounds["max"] is None:
        raise InputError(field="report.discovery", value=d, allowed="at least one of 'min' or 'max'", source=where)
    return Discovery(indicator=ind, region=region, year=year, **bounds)


# --------------------------------------------------------------------------------------------------------
# runs
# --------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RunSpec:
    """One run of an experiment: its identity, inputs and seed (plain values; stored with its results).

    Attributes:
        run_index: position in the plan (0-based); the run's identity.
        scenario: the policy scenario's name.
        lever_point: index of the lever point in the lever design.
        uncertainty_point: index of the point in the uncertainty design.
        replicate: replication number (0-based).
        levers: each factor's value.
        uncertainties: each varied parameter's value.
        seed: the run's seed.
        digest: a hash of everything that determines the run's results (inputs, scale, end year, outputs).
    """

    run_index: int
    scenario: str
    lever_point: int
    uncertainty_point: int
    replicate: int
    levers: dict[str, FactorValue]
    uncertainties: dict[str, float]
    seed: int
    digest: str = ""

    @property
    def run_id(self) -> str:
        """File-name stem of the run, e.g. ``r000017``."""
        return f"r{self.run_index:06d}"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able description."""
        return {"run_index": self.run_index, "run_id": self.run_id, "scenario": self.scenario,
                "lever_point": self.lever_point, "uncertainty_point": self.uncertainty_point,
                "replicate": self.replicate, "levers": self.levers, "uncertainties": self.uncertainties,
                "seed": self.seed, "digest": self.digest}


@dataclass(frozen=True)
class PlannedRun:
    """A run ready to execute: its spec and the built inputs of :func:`sim.run.run_simulation`."""

    spec: RunSpec
    scenario: Scenario
    params: ModelParameters
    scale: float
    end_year: int
    outputs: OutputSpec


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def _sha(obj: Any) -> str:
    return hashlib.sha256(_canonical(obj).encode()).hexdigest()


# --------------------------------------------------------------------------------------------------------
# the experiment
# --------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Experiment:
    """A parsed, validated experiment file.

    Attributes:
        name: the experiment's name (default: the file's stem).
        description: free text.
        source: the file it was read from.
        scenarios: names (or paths) of the policy scenarios.
        end_year: last simulated year.
        scale: households per agent.
        replications: stochastic replications per design point.
        master_seed: the seed every run's seed is derived from.
        policy_from: default first year of the varied levers.
        common_random_numbers: whether all policies share the seeds of each (uncertainty point, replicate).
        lever_design: ``full_factorial``, ``latin_hypercube`` or ``sobol``.
        n_lever_points: number of points of a sampled lever design.
        factors: the varied levers.
        uncertainty: the uncertainty design.
        outputs: rows kept from each run.
        discovery: the outcome of interest for scenario discovery.
        definition: the parsed file with overrides applied (stored with the results).
        overrides: ``key=value`` overrides given on the command line.
    """

    name: str
    source: str
    scenarios: tuple[str, ...]
    end_year: int
    scale: float
    replications: int
    master_seed: int
    policy_from: int
    common_random_numbers: bool
    lever_design: str
    n_lever_points: int | None
    factors: tuple[Factor, ...]
    uncertainty: UncertaintySpec
    outputs: OutputSpec
    discovery: Discovery
    definition: dict[str, Any]
    description: str = ""
    overrides: tuple[str, ...] = ()

    # ---- design ----------------------------------------------------------------------------------------
    def lever_points(self) -> list[dict[str, FactorValue]]:
        """The lever design: one ``{factor: value}`` per point (one empty point when nothing is varied)."""
        if not self.factors:
            return [{}]
        if self.lever_design == "full_factorial":
            combos = itertools.product(*(f.levels for f in self.factors))
            return [dict(zip((f.name for f in self.factors), c, strict=True)) for c in combos]
        rng = design_rng(self.master_seed, LEVER_BLOCK)
        from scipy.stats import qmc

        d = len(self.factors)
        if self.lever_design == "latin_hypercube":
            unit = qmc.LatinHypercube(d=d, rng=rng).random(self.n_lever_points)
        else:
            unit = qmc.Sobol(d=d, scramble=True, rng=rng).random(self.n_lever_points)
        return [{f.name: f.from_unit(float(u[j])) for j, f in enumerate(self.factors)} for u in unit]

    def uncertainty_matrix(self) -> np.ndarray | None:
        """The sampled uncertainty design as an array (points × parameters), or ``None`` for ``defaults`` and
        ``posterior`` designs. SALib's analyses need exactly this matrix."""
        u = self.uncertainty
        if u.design in ("defaults", "posterior"):
            return None
        d = len(u.parameters)
        if u.design in ("latin_hypercube", "sobol"):
            from scipy.stats import qmc

            rng = design_rng(self.master_seed, UNCERTAINTY_BLOCK)
            sampler = qmc.LatinHypercube(d=d, rng=rng) if u.design == "latin_hypercube" else \
                qmc.Sobol(d=d, scramble=True, rng=rng)
            lows = np.array([u.ranges[p][0] for p in u.parameters])
            highs = np.array([u.ranges[p][1] for p in u.parameters])
            return qmc.scale(sampler.random(u.n), lows, highs)
        seed = design_seed(self.master_seed, UNCERTAINTY_BLOCK)
        with warnings.catch_warnings():
            # SALib passes seed= to scipy's Sobol engine, which scipy has deprecated; the stream is still seeded.
            warnings.simplefilter("ignore", DeprecationWarning)
            if u.design == "sobol_sensitivity":
                from SALib.sample import sobol as sobol_sample

                return sobol_sample.sample(u.salib_problem(), u.n, calc_second_order=u.second_order, seed=seed)
            from SALib.sample import morris as morris_sample

            return morris_sample.sample(u.salib_problem(), u.n, num_levels=u.num_levels, seed=seed)

    def uncertainty_points(self) -> list[dict[str, float]]:
        """The uncertainty design: one ``{parameter: value}`` per point (``{}`` = the default parameters)."""
        u = self.uncertainty
        if u.design == "defaults":
            return [{}]
        if u.design == "posterior":
            return posterior_draws(u.posterior_file, u.n, self.master_seed)
        matrix = self.uncertainty_matrix()
        lows = np.array([u.ranges[p][0] for p in u.parameters])
        highs = np.array([u.ranges[p][1] for p in u.parameters])
        # SALib's Morris grid computes the top level as low + 1.0000000000000002 * (high - low): clip the last ulp
        matrix = np.clip(matrix, lows, highs)
        return [{p: float(row[j]) for j, p in enumerate(u.parameters)} for row in matrix]

    def base_parameters(self) -> ModelParameters:
        """The parameters every uncertainty point starts from (the posterior median when it exists)."""
        if self.uncertainty.design == "posterior":
            return default_parameters(Path(self.uncertainty.posterior_file))
        return default_parameters()

    @property
    def n_runs(self) -> int:
        """Number of runs in the plan."""
        return (len(self.scenarios) * len(self.lever_points()) * len(self.uncertainty_points())
                * self.replications)

    def plan(self) -> list[PlannedRun]:
        """Every run with its inputs built and validated, in index order.

        Raises:
            InputError: a scenario, lever value or parameter value is invalid (named with this file).
        """
        lever_points = self.lever_points()
        unc_points = self.uncertainty_points()
        base_params = self.base_parameters()
        params: list[ModelParameters] = []
        for i, point in enumerate(unc_points):
            try:
                params.append(base_params.replace(**point))
            except InputError as exc:
                raise InputError(field=f"uncertainties (point {i}): {exc.field}", value=exc.value,
                                 allowed=exc.allowed, source=self.source) from None
        runs: list[PlannedRun] = []
        index = 0
        for scen_name in self.scenarios:
            base = self._load_scenario(scen_name)
            for li, lpoint in enumerate(lever_points):
                scenario = self._apply_levers(base, lpoint)
                scen_hash = _sha({k: v for k, v in scenario.to_dict().items() if k != "origin"})
                for ui, upoint in enumerate(unc_points):
                    par_hash = _sha(params[ui].as_dict())
                    for rep in range(self.replications):
                        seed = (crn_seed(self.master_seed, ui, rep) if self.common_random_numbers
                                else run_seed(self.master_seed, index))
                        digest = _sha({"scenario": scen_hash, "parameters": par_hash, "seed": seed,
                                       "scale": self.scale, "end_year": self.end_year,
                                       "outputs": self.outputs.__dict__, "levers": lpoint})[:16]
                        spec = RunSpec(run_index=index, scenario=scen_name, lever_point=li, uncertainty_point=ui,
                                       replicate=rep, levers=dict(lpoint), uncertainties=dict(upoint), seed=seed,
                                       digest=digest)
                        runs.append(PlannedRun(spec=spec, scenario=scenario, params=params[ui], scale=self.scale,
                                               end_year=self.end_year, outputs=self.outputs))
                        index += 1
        return runs

    def _load_scenario(self, name: str) -> Scenario:
        try:
            return Scenario.load(name)
        except InputError as exc:
            raise InputError(field="scenarios", value=name, allowed=exc.allowed, source=self.source) from None

    def _apply_levers(self, base: Scenario, point: Mapping[str, FactorValue]) -> Scenario:
        scenario = base
        for f in self.factors:
            settings = f.lever_values(point[f.name])
            try:
                scenario = scenario.with_levers(settings, from_year=f.from_year,
                                                cities=list(f.cities) if f.cities else None,
                                                source=f"{self.source} [levers.{f.name}]")
            except InputError as exc:
                raise InputError(field=f"levers.{f.name}", value=point[f.name], allowed=exc.allowed,
                                 source=self.source) from None
        return scenario

    def digest(self, plan: Sequence[PlannedRun] | None = None) -> str:
        """A hash of the whole plan (every run's digest, in order): equal digests mean equal experiments.

        Args:
            plan: this experiment's plan, if already built (building it again costs time, not correctness).
        """
        return _sha([r.spec.digest for r in (plan if plan is not None else self.plan())])[:16]


def _deep_merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in extra.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def parse_override(text: str) -> dict[str, Any]:
    """Parse a command-line override ``key=value`` (TOML syntax; dotted keys reach into tables).

    A bare word value is read as a string, so ``--set scenarios='["baseline"]'`` and ``--set name=test`` both
    work. The value is held to the limits of a file (:mod:`sim.limits`). Raises InputError for anything else.
    """
    if not isinstance(text, str) or len(text) > MAX_OVERRIDE_CHARS:
        raise InputError(field="--set", value=text, source="command line",
                         allowed=f"key=value of at most {MAX_OVERRIDE_CHARS:,} characters")
    if "=" not in text:
        raise InputError(field="--set", value=text, allowed="key=value, e.g. scale=1000 or uncertainties.n=8",
                         source="command line")
    key, value = (s.strip() for s in text.split("=", 1))
    for candidate in (f"{key} = {value}", f"{key} = {json.dumps(value)}"):
        try:
            return parse_toml(candidate, source="command line", field_prefix="--set ")
        except InputError as exc:
            if exc.field != "TOML syntax":  # parsed, but over a limit: say so instead of trying it as a string
                raise
    raise InputError(field="--set", value=text, allowed="key=value in TOML syntax", source="command line")


def load_experiment(path: str | Path, overrides: Sequence[str] = ()) -> Experiment:
    """Read, validate and build an experiment file.

    Args:
        path: a ``.toml`` file, or the name of one in ``experiments/`` (without ``.toml``).
        overrides: ``key=value`` settings applied on top of the file (TOML values; dotted keys).

    Raises:
        InputError: the file is missing or invalid; the message names the file, field, value and what is allowed.
    """
    p = Path(path)
    if p.suffix != ".toml" and not p.exists():
        p = EXPERIMENT_DIR / f"{path}.toml"
    if not p.is_file():
        known = ", ".join(sorted(q.stem for q in EXPERIMENT_DIR.glob("*.toml")))
        raise InputError(field="experiment", value=str(path), allowed=f"a .toml file, or one of {known}",
                         source="command line")
    data = read_toml(p)  # bounded: size, nesting, key count, string length, integer size; a BOM is accepted
    for text in overrides:
        data = _deep_merge(data, parse_override(text))
    return experiment_from_dict(data, source=str(p), base_dir=p.parent, overrides=tuple(overrides))


def _check_size(scenarios: Sequence[str], lever_design: str, n_points: int | None, factors: Sequence[Factor],
                uncertainty: UncertaintySpec, replications: int, where: str) -> None:
    """Refuse a design or a plan over the limits of :mod:`sim.limits`, counting without building anything."""
    if lever_design == "full_factorial":
        n_lever = 1
        for f in factors:  # the product of the levels, stopped as soon as it passes the limit
            n_lever *= len(f.levels)
            if n_lever > MAX_DESIGN_POINTS:
                sizes = " x ".join(str(len(g.levels)) for g in factors)
                raise InputError(field="levers", value=f"a full factorial of {sizes} levels", source=where,
                                 allowed=f"at most {MAX_DESIGN_POINTS:,} lever points (limit in sim/limits.py)")
    else:
        n_lever = n_points or 1
    n_unc = check_count(uncertainty.n_points, field="uncertainties", limit=MAX_DESIGN_POINTS, source=where,
                        what=f"uncertainty points (design '{uncertainty.design}')")
    n_runs = len(scenarios) * n_lever * n_unc * replications
    if n_runs > MAX_RUNS:
        raise InputError(field="replications", value=replications, source=where,
                         allowed=f"a plan of at most {MAX_RUNS:,} runs; this one has {len(scenarios)} scenario(s) x "
                                 f"{n_lever:,} lever point(s) x {n_unc:,} uncertainty point(s) x {replications} "
                                 f"replication(s) = {n_runs:,} (limit in sim/limits.py)")


def experiment_from_dict(data: Mapping[str, Any], *, source: str = "experiment", base_dir: Path | None = None,
                         overrides: tuple[str, ...] = ()) -> Experiment:
    """Validate a parsed experiment definition (see the module docstring for the format)."""
    where = source
    if not isinstance(data, Mapping):
        raise InputError(field="(document)", value=type(data).__name__, allowed="a table", source=where)
    check_document(dict(data), source=where)  # before the deep copy (recursive) and every other check
    data = _table(copy.deepcopy(dict(data)), where, "", _TOP_KEYS)
    # the name is the default results folder: never ".", "..", a path or a glob pattern
    name = check_safe_name(data.get("name", Path(source).stem), field="name", source=where)
    description = data.get("description", "")
    if not isinstance(description, str):
        raise InputError(field="description", value=description, allowed="a string", source=where)
    scenarios = data.get("scenarios", ["baseline"])
    if not isinstance(scenarios, list) or not scenarios or not all(isinstance(s, str) and s and len(s) <= 4096
                                                                   for s in scenarios):
        raise InputError(field="scenarios", value=scenarios, allowed="a non-empty list of scenario names",
                         source=where)
    if len(set(scenarios)) != len(scenarios):
        raise InputError(field="scenarios", value=scenarios, allowed="distinct scenario names", source=where)
    end_year = _int(data.get("end_year", PLAN_END_YEAR), where, "end_year", low=START_YEAR + 1, high=LAST_YEAR)
    scale = data.get("scale", 100)
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 1 <= scale <= MAX_SCALE:
        raise InputError(field="scale", value=scale, source=where,
                         allowed=f"a number from 1 to {MAX_SCALE:,} (households per agent)")
    replications = _int(data.get("replications", 1), where, "replications", low=1, high=MAX_REPLICATIONS)
    if "master_seed" not in data:
        raise InputError(field="master_seed", value=None, allowed="a whole number >= 0 (recorded with every "
                         "result; every run's seed is derived from it)", source=where)
    master_seed = _int(data["master_seed"], where, "master_seed", low=0)
    # the plan's first year; a history-only experiment ending earlier starts its levers in its last year
    policy_from = _int(data.get("policy_from", min(POLICY_START_YEAR, end_year)), where, "policy_from", low=START_YEAR,
                       high=end_year)
    crn = data.get("common_random_numbers", False)
    if not isinstance(crn, bool):
        raise InputError(field="common_random_numbers", value=crn, allowed="true or false", source=where)

    levers_raw = data.get("levers", {})
    if not isinstance(levers_raw, dict):
        raise InputError(field="levers", value=levers_raw, allowed="a table", source=where)
    lever_design = _choice(levers_raw.get("design", "full_factorial"), where, "levers.design", LEVER_DESIGNS)
    factors = []
    for key, value in levers_raw.items():
        if key in ("design", "n"):
            continue
        factors.append(_parse_factor(key, value, where, policy_from, end_year))
    n_points = None
    if lever_design == "full_factorial":
        if "n" in levers_raw:
            raise InputError(field="levers.n", value=levers_raw["n"], allowed="no 'n' with a full factorial design",
                             source=where)
        for f in factors:
            if f.kind == "range":
                raise InputError(field=f"levers.{f.name}.range", value=[f.low, f.high],
                                 allowed="'values' (a full factorial design needs discrete levels)", source=where)
    else:
        n_points = _int(levers_raw.get("n"), where, "levers.n", low=1, high=MAX_SAMPLE_N) if "n" in levers_raw \
            else None
        if n_points is None:
            raise InputError(field="levers.n", value=None, allowed=f"a number of points for design '{lever_design}'",
                             source=where)
        if lever_design == "sobol" and not _is_power_of_two(n_points):
            raise InputError(field="levers.n", value=n_points, allowed="a power of two", source=where)
    levers_used: dict[tuple[str, tuple[str, ...] | None], str] = {}
    for f in factors:
        for lv in f.levers:
            key = (lv, f.cities)
            if key in levers_used:
                raise InputError(field=f"levers.{f.name}", value=lv, allowed=f"a lever not already set by factor "
                                 f"'{levers_used[key]}' for the same cities", source=where)
            levers_used[key] = f.name
    clash = sorted({f.name for f in factors} & set(parameter_names()))
    if clash:
        raise InputError(field=f"levers.{clash[0]}", value=clash[0], allowed="a factor name that is not also a "
                         "behavioural parameter (both become result columns)", source=where)

    uncertainty = _parse_uncertainties(data.get("uncertainties", {}), where, base_dir=base_dir or Path.cwd())
    clash = sorted({f.name for f in factors} & set(uncertainty.parameters))
    if clash:
        raise InputError(field=f"levers.{clash[0]}", value=clash[0], allowed="a name not also an uncertainty",
                         source=where)
    _check_size(scenarios, lever_design, n_points, factors, uncertainty, replications, where)
    outputs = _parse_outputs(data.get("outputs", {}), where, end_year)
    discovery = _parse_report(data.get("report", {}), where, end_year)
    exp = Experiment(name=name, source=source, scenarios=tuple(scenarios), end_year=end_year, scale=float(scale),
                     replications=replications, master_seed=master_seed, policy_from=policy_from,
                     common_random_numbers=crn, lever_design=lever_design, n_lever_points=n_points,
                     factors=tuple(factors), uncertainty=uncertainty, outputs=outputs, discovery=discovery,
                     definition=data, description=description, overrides=overrides)
    for s in exp.scenarios:
        exp._load_scenario(s)
    return exp
