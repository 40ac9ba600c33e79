"""The Hunan model as an EMA Workbench model, generated from the parameter and lever declarations.

EMA Workbench users can drive the model with their own samplers, evaluators, PRIM, CART, feature scoring or
robust optimisation::

    from ema_workbench import MultiprocessingEvaluator, perform_experiments
    from experiments.ema import build_model

    model = build_model(uncertainties=["taste_scale", "moving_cost_fixed"],
                        levers=["permit_schooling_share", "public_rental_units_per_year"], scale=1000)
    with MultiprocessingEvaluator(model, n_processes=2) as evaluator:
        experiments, outcomes = perform_experiments(
            model, scenarios=20, policies=4, evaluator=evaluator,
            uncertainty_sampling_kwargs={"rng": 1}, lever_sampling_kwargs={"rng": 2})

Uncertainties are :class:`sim.parameters.ModelParameters` fields (declared ranges), levers are
:data:`sim.parameters.LEVERS` (a city lever is set to the same value in every division, from ``policy_from``),
outcomes are indicators of Hunan or of any region of the indicator table (a division), either in one year
(``ScalarOutcome``: ``(indicator, year)`` → ``urbanization_rate_2025``, ``(indicator, year, region)`` →
``urbanization_rate_Changsha_2025``) or as a time series over every simulated year (``TimeSeriesOutcome``:
``(indicator, None)`` → ``urbanization_rate_series``, ``(indicator, None, region)`` →
``urbanization_rate_Changsha_series``; years from 2010 to ``end_year``, :func:`series_years`). Coded levers
(e.g. ``settlement_housing_condition``) are categorical parameters whose categories are their labels ("owned
home"), so PRIM boxes and CART trees name them. The run's settings (scenario, seed, scale, end year, policy
start) are EMA constants, so the model function is a plain top-level function that pickles to worker
processes. With ``replications > 1`` it is a ``ReplicatorModel`` whose replications carry seeds derived from
``master_seed`` (:func:`experiments.seeds.run_seed`); each outcome is the mean over the replications, or, with
``per_replication=True``, every replication's value (an ``ArrayOutcome`` ``<name>_replications`` of shape
``(replications,)`` for a single year, a time series of shape ``(replications, years)``).

A hand-written EMA model needs no adapter either: ``run_simulation`` accepts EMA's numpy scalars and applies
levers from 2021 (docs/guide-analysts.md, section 6).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.errors import InputError
from sim.parameters import LEVERS, parameter_names, parameter_specs
from sim.years import PLAN_END_YEAR, POLICY_START_YEAR, START_YEAR

if TYPE_CHECKING:
    from ema_workbench import Model, ReplicatorModel

#: Default outcomes: (indicator, year) for Hunan.
DEFAULT_OUTCOMES: tuple[tuple[str, int], ...] = (
    ("urbanization_rate", 2025), ("urbanization_rate", 2035), ("hukou_gap", 2035), ("czt_urban_share", 2025),
    ("urban_unemployment_rate", 2025), ("urban_rural_income_ratio", 2025), ("settled_migrants", 2025),
)
#: Names of the EMA constants that control a run rather than describe Hunan or its policy.
CONTROLS = ("scenario", "seed", "scale", "end_year", "policy_from", "outcome_spec")


def outcome_name(indicator: str, year: int | None, region: str = "Hunan") -> str:
    """EMA outcome name (a Python identifier, as EMA Workbench 3 requires): ``urbanization_rate_2025``,
    ``urbanization_rate_Changsha_2025``, or for a time series (``year=None``) ``urbanization_rate_series``."""
    where = "" if region == "Hunan" else "_" + re.sub(r"\W+", "_", region).strip("_")
    return f"{indicator}{where}_{'series' if year is None else year}"


def series_years(end_year: int = PLAN_END_YEAR) -> list[int]:
    """The years of a time-series outcome, in order: one value per year from 2010 to ``end_year``."""
    return list(range(START_YEAR, end_year + 1))


def _lever_value(name: str, value: Any) -> bool | int | float:
    # EMA hands numpy scalars, and a coded lever's category label; levers take Python bool/int/float
    lever = LEVERS[name]
    if isinstance(value, str) and lever.choices and value in lever.choices:
        return lever.choices.index(value)
    if lever.kind == "bool":
        return bool(value)
    if lever.kind == "int":
        return int(round(float(value)))
    return float(value)


def _outcome_items(outcomes: Sequence[tuple[Any, ...]]) -> list[tuple[str, int | None, str]]:
    items = []
    for item in outcomes:
        if not isinstance(item, tuple | list) or len(item) not in (2, 3):
            raise InputError(field="outcomes", value=item, source="build_model",
                             allowed="(indicator, year), (indicator, year, region), or year None for a time series")
        ind, year, region = (*item, "Hunan")[:3]
        items.append((str(ind), None if year is None else int(year), str(region)))
    return items


def _spec_text(items: Sequence[tuple[str, int | None, str]]) -> str:
    return ";".join(f"{i}:{'*' if y is None else y}:{r}" for i, y, r in items)


def _parse_spec(spec: str) -> list[tuple[str, int | None, str]]:
    out = []
    for part in spec.split(";"):
        ind, year, *rest = part.split(":")
        out.append((ind, None if year == "*" else int(year), rest[0] if rest else "Hunan"))
    return out


def _mean(values: Sequence[float]) -> float:
    return float(sum(values) / len(values))


def _series_mean(values: Sequence[np.ndarray]) -> np.ndarray:
    return np.mean(np.asarray(values, dtype=float), axis=0)


def hunan_model(**kwargs: Any) -> dict[str, Any]:
    """Run the model for one EMA experiment and return its outcomes (floats, and arrays for time series).

    Keyword arguments are parameter values, lever values and the controls in :data:`CONTROLS` (EMA constants).
    """
    from sim.parameters_default import default_parameters
    from sim.run import run_simulation
    from sim.scenario import Scenario

    scenario = str(kwargs.pop("scenario", "baseline"))
    seed = int(kwargs.pop("seed", 1))
    scale = float(kwargs.pop("scale", 1000))
    end_year = int(kwargs.pop("end_year", PLAN_END_YEAR))
    policy_from = int(kwargs.pop("policy_from", POLICY_START_YEAR))
    spec = kwargs.pop("outcome_spec", None) or _spec_text(_outcome_items(DEFAULT_OUTCOMES))
    params = {k: float(v) for k, v in kwargs.items() if k in set(parameter_names())}
    levers = {k: _lever_value(k, v) for k, v in kwargs.items() if k in LEVERS}
    unknown = sorted(set(kwargs) - set(params) - set(levers))
    if unknown:
        raise InputError(field=unknown[0], value=kwargs[unknown[0]], allowed="a parameter, a lever or one of "
                         + ", ".join(CONTROLS), source="EMA experiment")
    scen = Scenario.load(scenario)
    if levers:
        scen = scen.with_levers(levers, from_year=policy_from, source="EMA experiment")
    result = run_simulation(scenario=scen, params=default_parameters().replace(**params), seed=seed, scale=scale,
                            end_year=end_year)
    table = result.indicators.set_index(["indicator", "region", "year"])["value"]
    years = series_years(end_year)
    out: dict[str, Any] = {}
    for indicator, year, region in _parse_spec(spec):
        if year is None:
            out[outcome_name(indicator, None, region)] = np.array(
                [float(table.get((indicator, region, y), np.nan)) for y in years])
        else:
            out[outcome_name(indicator, year, region)] = float(table.get((indicator, region, year), np.nan))
    return out


def build_model(*, name: str = "hunan", scenario: str = "baseline",
                uncertainties: Sequence[str] | Mapping[str, tuple[float, float]] | None = None,
                levers: Sequence[str] | Mapping[str, Sequence[Any]] | None = None,
                outcomes: Sequence[tuple[Any, ...]] = DEFAULT_OUTCOMES, scale: float = 1000,
                end_year: int = PLAN_END_YEAR, policy_from: int = POLICY_START_YEAR, seed: int = 1,
                replications: int = 1, master_seed: int = 1, per_replication: bool = False) -> Model | ReplicatorModel:
    """An EMA Workbench model of Hunan built from the declarations in :mod:`sim.parameters`.

    Args:
        name: the model's name (a Python identifier).
        scenario: the policy scenario the levers are applied on.
        uncertainties: parameter names (declared ranges), or ``{name: (low, high)}`` within them; default all.
        levers: lever names (declared ranges; booleans as BooleanParameter, coded levers as categories named by
            their labels), or ``{name: [values]}`` for categorical levers; default none.
        outcomes: ``(indicator, year)`` for Hunan, ``(indicator, year, region)`` for a region of the indicator
            table; ``year=None`` for a time series over every simulated year.
        scale: households per agent.
        end_year: last simulated year (at least the latest outcome year).
        policy_from: first year the levers apply.
        seed: the seed of every experiment when ``replications == 1``.
        replications: stochastic replications per experiment (a ``ReplicatorModel`` if more than 1).
        master_seed: seeds of the replications are derived from it.
        per_replication: with ``replications > 1``, keep every replication's value instead of their mean.

    Raises:
        InputError: an unknown parameter, lever or indicator, or a range outside the declared one.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*ipyparallel.*")  # only its IpyparallelEvaluator needs it
        from ema_workbench import (
            BooleanParameter,
            CategoricalParameter,
            Constant,
            ArrayOutcome,
            IntegerParameter,
            Model,
            RealParameter,
            ReplicatorModel,
            ScalarOutcome,
            TimeSeriesOutcome,
        )
        from ema_workbench.em_framework.parameters import Category

    from experiments.seeds import run_seed
    from sim.indicators import INDICATORS

    specs = parameter_specs()
    unc_items = (uncertainties.items() if isinstance(uncertainties, Mapping)
                 else ((u, None) for u in (parameter_names() if uncertainties is None else uncertainties)))
    unc_params = []
    for pname, rng in unc_items:
        if pname not in specs:
            raise InputError(field="uncertainties", value=pname, allowed="parameters: " + ", ".join(specs),
                             source="build_model")
        lo, hi = specs[pname]["low"], specs[pname]["high"]
        if rng is not None:
            if not lo <= rng[0] < rng[1] <= hi:
                raise InputError(field=pname, value=list(rng), allowed=f"a range within {lo} to {hi}",
                                 source="build_model")
            lo, hi = rng
        unc_params.append(RealParameter(pname, float(lo), float(hi)))
    lever_items = (levers.items() if isinstance(levers, Mapping) else ((lv, None) for lv in (levers or ())))
    lever_params = []
    for lname, values in lever_items:
        if lname not in LEVERS:
            raise InputError(field="levers", value=lname, allowed="levers: " + ", ".join(LEVERS), source="build_model")
        lever = LEVERS[lname]
        if values is not None:
            checked = [_lever_value(lname, lever.validate(v, source="build_model")) for v in values]
            lever_params.append(CategoricalParameter(lname, checked))
        elif lever.kind == "bool":
            lever_params.append(BooleanParameter(lname))
        elif lever.choices:  # by label, so that experiments, PRIM boxes and CART trees read as words
            lever_params.append(CategoricalParameter(lname, [Category(c, c) for c in lever.choices]))
        elif lever.kind == "int":
            if lname.startswith("open_year_"):
                raise InputError(field="levers", value=lname, allowed="a rail opening year with explicit values, "
                                 "e.g. {'open_year_shaoyong': [2027, 9999]}", source="build_model")
            lever_params.append(IntegerParameter(lname, int(lever.low), int(lever.high)))
        else:
            lever_params.append(RealParameter(lname, float(lever.low), float(lever.high)))
    items = _outcome_items(outcomes)
    for ind, year, _region in items:
        if ind not in INDICATORS:
            raise InputError(field="outcomes", value=ind, allowed="indicators: " + ", ".join(INDICATORS),
                             source="build_model")
        if year is not None and not START_YEAR <= year <= end_year:
            raise InputError(field="outcomes", value=f"{ind} {year}", allowed=f"a year from {START_YEAR} to {end_year}",
                             source="build_model")
    constants = [Constant("scenario", scenario), Constant("scale", float(scale)), Constant("end_year", int(end_year)),
                 Constant("policy_from", int(policy_from)),
                 Constant("outcome_spec", _spec_text(items))]
    if replications > 1:
        model = ReplicatorModel(name, function=hunan_model)
        model.replications = [{"seed": run_seed(master_seed, r)} for r in range(replications)]
    else:
        model = Model(name, function=hunan_model)
        constants.append(Constant("seed", int(seed)))
    model.uncertainties = unc_params
    model.levers = lever_params
    model.constants = constants
    # a ReplicatorModel hands each outcome the list of its replications' values: their mean, or all of them
    mean = replications > 1 and not per_replication
    out = []
    for ind, year, region in items:
        name = outcome_name(ind, year, region)
        if year is None:
            out.append(TimeSeriesOutcome(name, function=_series_mean) if mean else TimeSeriesOutcome(name))
        elif replications > 1 and per_replication:
            # EMA registers each outcome name with one class per process: the kept replications of a single-year
            # outcome get their own name, reading the model function's value of the plain name
            out.append(ArrayOutcome(f"{name}_replications", variable_name=name))
        else:
            out.append(ScalarOutcome(name, function=_mean) if mean else ScalarOutcome(name))
    model.outcomes = out
    return model
