"""Estimate the division effects: how attractive each division's cities and countryside are, beyond the model.

Why: the behavioural parameters are common to all of Hunan, so they cannot make Shaoyang urbanize faster than
Xiangtan or keep Loudi's villagers at home; what does (local industry, county-town growth, climate, the
census' boundary of urban areas) is not in the model. Quantitative spatial models handle this the standard
way: a place-specific amenity is chosen so that the model reproduces the observed distribution of people
(Redding & Rossi-Hansberg 2017, Annual Review of Economics 9:21, "model inversion"; for China, Tombe & Zhu
2019, American Economic Review 109(5):1843). Here:

* the 14 urban and 14 rural effects are found by a damped fixed point so that the simulated 2020 share of each
  division in Hunan's urban population and in Hunan's rural population equals the 2020 census;
* each set is kept at weighted-mean zero (weights: the census shares), so the effects move people between
  divisions but leave Hunan's total urbanization, its registered/resident gap and its incomes to the
  behavioural parameters that ABC estimates (``calibration/smc.py``);
* it is a two-step calibration: effects at the declared (pre-calibration) parameters, then ABC with the effects
  fixed. The shipped file is the one the ABC ran with, so the posterior can be reproduced from the committed
  files; refitting at the posterior median (``--at default``) would call for a new ABC run.

Consequence for validation: the 2020 division population shares and urbanization rates are fitted by
construction (28 effects for 26 independent shares), so they are a check that the fixed point converged, not
evidence that the model explains them. The provincial path 2010-2019, the registered/resident gap, the
registered-elsewhere shares and the income ratio remain tests of the behavioural model; the out-of-sample test
is the post-2020 data, held out.

Run ``python -m calibration.division_effects`` (or ``hunan-sim calibrate --division-effects``) to refit and
write ``calibration/division_effects.json``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from sim.files import temporary_file
from sim.data import (
    DIVISION_EFFECT_PARTS,
    DIVISION_EFFECTS_PATH,
    MAX_DIVISION_EFFECT,
    division_names,
    load_divisions,
)
from sim.parameters import ModelParameters
from sim.years import LAST_OBSERVED_YEAR

#: Census year the effects reproduce (the last observed year, sim/years.py).
FIT_YEAR = LAST_OBSERVED_YEAR


@dataclass
class EffectsFit:
    """Result of :func:`fit_division_effects`.

    Attributes:
        effects: shape ``(14, 2)``, 10k yuan per person per year, columns as ``sim.data.DIVISION_EFFECT_PARTS``.
        iterations: model runs used.
        max_share_error: largest error left in a division's share of Hunan's urban or rural population (pp).
        max_rate_error: largest error left in a division's urbanization rate (pp).
        max_elsewhere_error: largest error left in a division's residents registered in another county (pp).
        history: per iteration, the largest errors.
    """

    effects: np.ndarray
    iterations: int
    max_share_error: float
    max_rate_error: float
    max_elsewhere_error: float
    history: list[dict[str, float]]


@dataclass(frozen=True)
class CensusPattern:
    """What the effects reproduce, per division (2020 census): urban and rural shares, rates, in-migrants."""

    urban_share: np.ndarray
    rural_share: np.ndarray
    rate: np.ndarray
    elsewhere_pct: np.ndarray


def observed_pattern() -> CensusPattern:
    """The 2020 census values the effects are fitted to (calibration/targets.py holds the same numbers)."""
    from calibration.targets import load_targets

    divs = load_divisions()
    urban = divs.urban_population_2020.to_numpy(float)
    pop = divs.population_2020.to_numpy(float)
    rural = pop - urban
    elsewhere = {t.region: t.observed for t in load_targets() if t.indicator == "registered_elsewhere_in_hunan_pct"}
    return CensusPattern(urban / urban.sum(), rural / rural.sum(), 100 * urban / pop,
                         np.array([elsewhere[n] for n in division_names()]))


def observed_shares() -> tuple[np.ndarray, np.ndarray]:
    """Each division's share of Hunan's urban and of its rural resident population in the 2020 census."""
    obs = observed_pattern()
    return obs.urban_share, obs.rural_share


def _populations_2020(params: ModelParameters, effects: np.ndarray, *, scale: float, seed: int,
                      scenario: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Resident, urban resident and registered-elsewhere population of each division in 2020, from one run on the
    division network (the division effects are fitted there; the county network's place effects,
    calibration/place_effects.py, are fitted on top of them)."""
    from sim.model import HunanModel

    model = HunanModel(scenario=scenario, params=params, rng=seed, scale=scale, end_year=FIT_YEAR,
                       division_effects=effects, network="division")
    while model.year < FIT_YEAR:
        model.step()
    df = model.indicators()
    year = df[(df.year == FIT_YEAR)].set_index(["indicator", "region"])["value"]
    names = division_names()
    return tuple(np.array([year[(indicator, n)] for n in names], dtype=float)
                 for indicator in ("population", "urban_population", "registered_elsewhere_in_hunan"))


def simulated_pattern(params: ModelParameters, effects: np.ndarray, *, scale: float, seed: int,
                      scenario: str = "baseline") -> CensusPattern:
    """The same pattern from one run 2010-2020."""
    pop, urban, elsewhere = _populations_2020(params, effects, scale=scale, seed=seed, scenario=scenario)
    rural = pop - urban
    return CensusPattern(urban / urban.sum(), rural / rural.sum(), 100 * urban / pop, 100 * elsewhere / pop)


def simulated_populations(params: ModelParameters, effects: np.ndarray, *, scale: float, seed: int,
                          scenario: str = "baseline") -> tuple[np.ndarray, np.ndarray]:
    """Urban and rural resident population of each division in 2020 from one run."""
    pop, urban, _ = _populations_2020(params, effects, scale=scale, seed=seed, scenario=scenario)
    return urban, pop - urban


def _centre(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    return values - float(np.dot(values, weights))


def fit_division_effects(params: ModelParameters, *, scale: float = 100, seed: int = 1, max_iterations: int = 40,
                         tolerance: float = 0.1, damping: float = 0.7, start: np.ndarray | None = None,
                         progress: bool = True) -> EffectsFit:
    """Find the effects that reproduce each division's 2020 share of Hunan's urban and of its rural residents.

    A damped diagonal fixed point: each effect moves by its log share error times ``taste_scale / 0.35``
    (the logit response of a stock of which about 35 % reviews its place in ten years), damped, and each
    column is then centred. The residents registered in another county are reported, not fitted: they stay
    a test of the model (an attempt to fit them with a third, local effect did not converge).

    Args:
        params: the behavioural parameters to fit at.
        scale: households per agent of the runs.
        seed: model seed (the same every iteration: common random numbers make the map smooth).
        max_iterations: most runs.
        tolerance: stop when every urban and rural share is within this many percentage points.
        damping: fraction of the step taken.
        start: initial effects (default zeros).
        progress: print one line per iteration.
    """
    obs = observed_pattern()
    weights = (obs.urban_share, obs.rural_share)
    effects = np.array(start, dtype=float) if start is not None else np.zeros((len(obs.rate), 2))
    gain = damping * params.taste_scale / 0.35
    best: tuple[float, EffectsFit] | None = None
    history: list[dict[str, float]] = []
    for it in range(1, max_iterations + 1):
        sim = simulated_pattern(params, effects, scale=scale, seed=seed)
        err = np.stack([np.log(obs.urban_share) - np.log(sim.urban_share),
                        np.log(obs.rural_share) - np.log(sim.rural_share)], axis=1)
        max_share = float(100 * max(np.abs(sim.urban_share - obs.urban_share).max(),
                                    np.abs(sim.rural_share - obs.rural_share).max()))
        max_rate = float(np.abs(sim.rate - obs.rate).max())
        max_elsewhere = float(np.abs(sim.elsewhere_pct - obs.elsewhere_pct).max())
        history.append({"iteration": it, "max_share_error_pp": max_share, "max_rate_error_pp": max_rate,
                        "max_elsewhere_error_pp": max_elsewhere})
        if progress:
            print(f"division effects, iteration {it}: largest share error {max_share:.3f} pp, urbanization rate "
                  f"{max_rate:.2f} pp, registered elsewhere {max_elsewhere:.2f} pp", flush=True)
        if best is None or max_share < best[0]:
            best = (max_share, EffectsFit(effects.copy(), it, max_share, max_rate, max_elsewhere, history))
        if max_share <= tolerance:
            break
        effects = effects + np.clip(gain * err, -1.0, 1.0)
        effects = np.stack([_centre(effects[:, k], weights[k]) for k in range(2)], axis=1)
        effects = np.clip(effects, -MAX_DIVISION_EFFECT, MAX_DIVISION_EFFECT)
    assert best is not None  # max_iterations >= 1
    fit = best[1]  # the best evaluated effects, not the last update (which was never run)
    fit.iterations, fit.history = len(history), history
    return fit


def write_effects(fit: EffectsFit, params: ModelParameters, *, scale: float, seed: int,
                  path: Path = DIVISION_EFFECTS_PATH, fitted_at: str = "declared defaults") -> Path:
    """Write the effects with their provenance (atomically: a crash never leaves half a file)."""
    from sim.run import git_commit, package_versions

    names = division_names()
    doc: dict[str, Any] = {
        "description": "Calibrated amenity effects (10k yuan per person per year) of each division's cities "
                       "(urban) and countryside (rural); see calibration/division_effects.py",
        "effects": {n: {part: round(float(fit.effects[d, k]), 6) for k, part in enumerate(DIVISION_EFFECT_PARTS)}
                    for d, n in enumerate(names)},
        "provenance": {
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "git_commit": git_commit(),
            "packages": package_versions(),
            "targets": f"census {FIT_YEAR}: each division's share of Hunan's urban and rural resident population "
                       "(calibration/data/divisions_census_2010_2020.csv)",
            "fitted_at": fitted_at,
            "parameters": params.as_dict(),
            "scale": scale,
            "seed": seed,
            "iterations": fit.iterations,
            "max_share_error_pp": round(fit.max_share_error, 4),
            "max_rate_error_pp": round(fit.max_rate_error, 4),
            "max_elsewhere_error_pp": round(fit.max_elsewhere_error, 4),
            "history": fit.history,
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = temporary_file(path)  # mode from the umask (sim/files.py)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=1, ensure_ascii=False)
        fh.write("\n")
    os.replace(tmp, path)
    return path


def main(argv: list[str] | None = None) -> int:
    """``python -m calibration.division_effects [--scale S] [--seed N] [--at default|declared] [--out PATH]``."""
    import argparse

    from sim.data import load_division_effects
    from sim.parameters_default import default_parameters

    ap = argparse.ArgumentParser(prog="python -m calibration.division_effects", description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=float, default=100.0, help="households per agent (default 100)")
    ap.add_argument("--seed", type=int, default=1, help="model seed (default 1)")
    ap.add_argument("--at", choices=("default", "declared"), default="default",
                    help="fit at the model's default parameters (posterior median if shipped) or the declared ones")
    ap.add_argument("--iterations", type=int, default=40, help="most model runs (default 40)")
    ap.add_argument("--from-zero", action="store_true", help="start from zero effects, not the shipped ones")
    ap.add_argument("--out", type=Path, default=DIVISION_EFFECTS_PATH, help="file to write")
    args = ap.parse_args(argv)
    params = default_parameters() if args.at == "default" else ModelParameters()
    start = None if args.from_zero else load_division_effects()
    fit = fit_division_effects(params, scale=args.scale, seed=args.seed, max_iterations=args.iterations, start=start)
    at = "posterior median (calibration/posterior.json)" if args.at == "default" else "declared defaults"
    path = write_effects(fit, params, scale=args.scale, seed=args.seed, path=args.out, fitted_at=at)
    print(f"wrote {path}: largest share error {fit.max_share_error:.3f} pp, urbanization-rate error "
          f"{fit.max_rate_error:.2f} pp, registered-elsewhere error {fit.max_elsewhere_error:.2f} pp "
          f"(best of {fit.iterations} runs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
