"""The model as pyabc sees it: priors, a picklable simulator returning summary statistics, and the distance.

* :func:`calibrated_parameters` picks the parameters to estimate from the declarations in
  :mod:`sim.parameters` (kind ``calibrated``, optionally ``assumption``), so a parameter the lead adds or
  re-classifies is picked up without editing this package.
* :func:`build_prior` gives each a uniform prior on its declared plausible range ``[low, high]``: the
  declarations are the only statement of prior knowledge the project has, and a uniform prior keeps the
  posterior-versus-prior comparison in the report easy to read.
* :class:`HunanSimulator` runs 2010-2020 and returns the simulated value of every target
  (:func:`calibration.targets.simulated_values`). Its random seed is a hash of the parameter values and the
  calibration seed, so a particle's simulation is reproducible wherever and whenever it runs.
* :class:`PatternDistance` is :func:`calibration.targets.pattern_distance` with the targets bound.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pyabc

from calibration.targets import Target, load_targets, pattern_distance, simulated_values
from sim.ensemble import clip_to_bounds
from sim.errors import InputError
from sim.parameters import ModelParameters, parameter_specs
from sim.parameters_default import FITTED_PARAMETERS
from sim.seeds import derive_seed
from sim.years import LAST_OBSERVED_YEAR, START_YEAR

#: First and last simulated years of the calibration (the census years; sim/years.py).
CALIBRATION_START, CALIBRATION_END = START_YEAR, LAST_OBSERVED_YEAR


def calibrated_parameters(*, include_assumptions: bool = False) -> list[str]:
    """Names of the parameters to estimate, in declaration order.

    Args:
        include_assumptions: also estimate the ``assumption`` parameters (most are weakly identified by the
            2010-2020 targets; screening in the report shows which ones matter).
    """
    kinds = {"calibrated", "assumption"} if include_assumptions else {"calibrated"}
    # The income levels and growth rates are fitted to their own series (calibration/levels.py), not by ABC.
    return [name for name, spec in parameter_specs().items()
            if spec["kind"] in kinds and name not in FITTED_PARAMETERS]


def prior_bounds(names: Sequence[str]) -> dict[str, tuple[float, float]]:
    """The declared plausible range ``(low, high)`` of each parameter (the support of its uniform prior)."""
    specs = parameter_specs()
    return {n: (float(specs[n]["low"]), float(specs[n]["high"])) for n in names}


def search_bounds(names: Sequence[str], box: float = 1.0) -> dict[str, tuple[float, float]]:
    """The part of each declared range the calibration searches: a box of width ``box`` x the range.

    The box is centred on the declared default (the pre-calibration value) and shifted inside the range where
    the default lies near an edge; ``box = 1`` is the whole declared range. Why a box: with a uniform prior, an
    ABC-SMC whose prior is truncated to the box is the same as drawing the first generation from a uniform
    proposal on the box with importance weights prior / proposal (all equal), and it needs far fewer
    simulations to reach the posterior; it is exact when the posterior has no mass outside the box, which the
    report checks (parameters whose posterior reaches a box edge are flagged).
    """
    if not 0 < box <= 1:
        raise InputError(field="search_box", value=box, allowed="a number in (0, 1]", source="calibration settings")
    specs = parameter_specs()
    out = {}
    for n, (lo, hi) in prior_bounds(names).items():
        width = box * (hi - lo)
        start = min(max(float(specs[n]["default"]) - width / 2, lo), hi - width)
        out[n] = (start, start + width) if box < 1 else (lo, hi)
    return out


def build_prior(names: Sequence[str], box: float = 1.0) -> pyabc.Distribution:
    """Independent uniform priors on the searched part of the declared ranges (:func:`search_bounds`)."""
    return pyabc.Distribution(**{n: pyabc.RV("uniform", lo, hi - lo)
                                 for n, (lo, hi) in search_bounds(names, box).items()})


def model_seed(values: Mapping[str, float], base_seed: int) -> int:
    """A model seed derived from the parameter values and the calibration seed.

    A hash rather than a counter: pyabc draws particles in worker processes in an order set by scheduling,
    so only the parameters themselves identify a simulation reproducibly. Returned as a Python ``int``
    (Mesa refuses numpy integers, STACK.md). :func:`sim.seeds.derive_seed` in its ``"values_sha256"`` form.
    """
    return derive_seed(base_seed, values, form="values_sha256")


@dataclass(frozen=True)
class HunanSimulator:
    """Run the model 2010-2020 for one parameter draw and return the simulated target values.

    Attributes:
        scale: households per agent record.
        seed: the calibration seed (mixed into every model seed).
        targets: the targets whose simulated values are returned.
        scenario: the policy scenario of the history (``baseline`` holds the 2010-2020 reforms).
        fixed: values for parameters that are not estimated (default: their declared defaults, never the
            posterior file, which would make a calibration depend on the previous one).
    """

    scale: float
    seed: int
    targets: tuple[Target, ...] = field(default_factory=load_targets)
    scenario: str = "baseline"
    fixed: Mapping[str, float] = field(default_factory=dict)

    def parameters(self, values: Mapping[str, float]) -> ModelParameters:
        """The full parameter set for a draw: declared defaults, then ``fixed``, then the draw."""
        return ModelParameters().replace(**clip_to_bounds({**dict(self.fixed), **values}))

    def __call__(self, values: Mapping[str, float]) -> dict[str, float]:
        """Simulate and return ``{target key: simulated value}`` (NaN everywhere if the run is refused)."""
        from sim.run import run_simulation  # imported here so that unpickling on a worker stays light

        draw = {k: float(values[k]) for k in values}
        try:
            params = self.parameters(draw)
            result = run_simulation(scenario=self.scenario, params=params, seed=model_seed(draw, self.seed),
                                    scale=self.scale, end_year=CALIBRATION_END)
        except (InputError, FloatingPointError):
            # a draw the model refuses is a failed fit, not a crash of the whole calibration
            return {t.key: math.nan for t in self.targets}
        return simulated_values(result.indicators, self.targets)


@dataclass(frozen=True)
class PatternDistance:
    """pyabc distance ``d(x, x_0)``: the weighted RMS of standardized errors over the target groups."""

    targets: tuple[Target, ...] = field(default_factory=load_targets)

    def __call__(self, x: Mapping[str, float], x_0: Mapping[str, float]) -> float:
        """Distance between simulated ``x`` and observed ``x_0`` (``inf`` if any value is missing)."""
        return pattern_distance(dict(x), self.targets, observed={k: float(v) for k, v in x_0.items()})
