"""Global sensitivity of the plan's 2025 and 2035 outputs: Morris screening, then Sobol indices (SALib).

Two steps, as ``MODEL.md`` asks ("screen parameters (Morris), then decompose variance (Sobol)"):

1. **Morris** elementary effects over every uncertain parameter (``calibrated`` and ``assumption``; the
   ``sourced`` ones stay at their values) across its declared range: which parameters move the outputs at all.
2. **Sobol** first-order and total indices for the few parameters Morris ranks highest, over what remains
   uncertain *after* calibration: the posterior's 5-95 % range for calibrated parameters, the declared range for
   assumptions; all other parameters at the posterior median (or their declaration).

All runs of a design use the same model seed (common random numbers), so differences between design points are
differences of parameters, not of random draws. Sizes are small by default (the indices carry bootstrap
confidence intervals that say how small).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from dask.distributed import Client
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from sim.ensemble import EnsembleRun, run_ensemble
from sim.parameters import parameter_specs

#: Outputs screened and decomposed: the plan's headline indicators (Hunan) in 2025 and 2035.
SA_OUTPUTS = ("urbanization_rate", "czt_urban_share", "urban_rural_income_ratio", "urban_unemployment_rate",
              "hukou_urbanization_rate")
SA_YEARS = (2025, 2035)
MORRIS_LEVELS = 4


@dataclass
class SensitivityResult:
    """Morris and Sobol tables.

    Attributes:
        morris: one row per (output, year, parameter): ``mu_star``, ``mu_star_conf``, ``sigma``, and
            ``mu_star_norm`` (mu_star over the largest mu_star of that output, for ranking across outputs).
        sobol: one row per (output, year, parameter): ``S1``, ``S1_conf``, ``ST``, ``ST_conf``.
        sobol_parameters: the parameters decomposed by Sobol, with their ranges.
        n_runs: model runs used (Morris, Sobol).
    """

    morris: pd.DataFrame
    sobol: pd.DataFrame
    sobol_parameters: dict[str, tuple[float, float]]
    n_runs: tuple[int, int]


def uncertain_parameters() -> list[str]:
    """Parameters screened by Morris: every parameter not read from a source."""
    return [n for n, s in parameter_specs().items() if s["kind"] in ("calibrated", "assumption")]


def _outputs(frames: Sequence[pd.DataFrame]) -> dict[tuple[str, int], np.ndarray]:
    out = {}
    for name in SA_OUTPUTS:
        for year in SA_YEARS:
            values = []
            for df in frames:
                row = df[(df.region == "Hunan") & (df.indicator == name) & (df.year == year)]
                values.append(float(row.value.iloc[0]) if len(row) else np.nan)
            out[(name, year)] = np.asarray(values)
    return out


def _specs(X: np.ndarray, names: Sequence[str], base: Mapping[str, float], *, seed: int, scale: float,
           scenario: str) -> list[EnsembleRun]:
    return [EnsembleRun(params={**base, **{n: float(v) for n, v in zip(names, row, strict=True)}}, seed=int(seed),
                    scale=scale, scenario=scenario, end_year=max(SA_YEARS), tag=i, keep_years=SA_YEARS)
            for i, row in enumerate(X)]


def run_sensitivity(client: Client, *, posterior_summary: Mapping[str, Mapping[str, float]],
                    posterior_median: Mapping[str, float], trajectories: int = 6, sobol_n: int = 32,
                    sobol_top: int = 6, scale: float = 1000.0, seed: int = 7, scenario: str = "baseline",
                    parameters: Sequence[str] | None = None,
                    progress: Callable[[str, int, int], None] | None = None) -> SensitivityResult:
    """Morris screening over all uncertain parameters, then Sobol indices of the top-ranked ones.

    Args:
        client: Dask client.
        posterior_summary: per calibrated parameter, its posterior ``q05`` and ``q95`` (the Sobol range).
        posterior_median: base values of the calibrated parameters.
        trajectories: Morris trajectories (runs = trajectories x (parameters + 1)).
        sobol_n: Sobol base sample size, a power of two (runs = n x (top + 2)).
        sobol_top: parameters kept for Sobol.
        scale: households per agent in every run.
        seed: seed of the designs and the common model seed.
        scenario: scenario of the runs.
        parameters: the parameters screened (default: :func:`uncertain_parameters`).
        progress: called with (stage, runs done, runs total).
    """
    specs = parameter_specs()
    names = list(parameters) if parameters is not None else uncertain_parameters()
    problem = {"num_vars": len(names), "names": names,
               "bounds": [[float(specs[n]["low"]), float(specs[n]["high"])] for n in names]}
    X = morris_sample.sample(problem, trajectories, num_levels=MORRIS_LEVELS, seed=int(seed))
    frames = run_ensemble(client, _specs(X, names, {}, seed=seed, scale=scale, scenario=scenario),
                          progress=None if progress is None else lambda d, t: progress("Morris", d, t))
    rows = []
    for (name, year), y in _outputs(frames).items():
        ok = np.isfinite(y)
        if not ok.all():  # a failed run would poison the elementary effects: impute the output's median
            y = np.where(ok, y, np.nanmedian(y))
        res = morris_analyze.analyze(problem, X, y, num_levels=MORRIS_LEVELS, seed=int(seed))
        top = max(float(np.nanmax(res["mu_star"])), 1e-12)
        for i, p in enumerate(names):
            rows.append({"output": name, "year": year, "parameter": p, "kind": specs[p]["kind"],
                         "mu_star": float(res["mu_star"][i]), "mu_star_conf": float(res["mu_star_conf"][i]),
                         "sigma": float(res["sigma"][i]), "mu_star_norm": float(res["mu_star"][i]) / top})
    morris = pd.DataFrame(rows)

    ranking = morris.groupby("parameter").mu_star_norm.max().sort_values(ascending=False)
    chosen = list(ranking.index[:sobol_top])
    ranges = {}
    for p in chosen:
        if p in posterior_summary and posterior_summary[p]["q95"] > posterior_summary[p]["q05"]:
            ranges[p] = (float(posterior_summary[p]["q05"]), float(posterior_summary[p]["q95"]))
        else:
            ranges[p] = (float(specs[p]["low"]), float(specs[p]["high"]))
    sproblem = {"num_vars": len(chosen), "names": chosen, "bounds": [list(ranges[p]) for p in chosen]}
    S = sobol_sample.sample(sproblem, sobol_n, calc_second_order=False, seed=int(seed))
    base = {k: float(v) for k, v in posterior_median.items() if k not in chosen}
    frames = run_ensemble(client, _specs(S, chosen, base, seed=seed, scale=scale, scenario=scenario),
                          progress=None if progress is None else lambda d, t: progress("Sobol", d, t))
    rows = []
    for (name, year), y in _outputs(frames).items():
        if not np.isfinite(y).all():
            y = np.where(np.isfinite(y), y, np.nanmedian(y))
        if np.ptp(y) == 0:  # an output the chosen parameters do not move has no variance to decompose
            res = {k: np.zeros(len(chosen)) for k in ("S1", "S1_conf", "ST", "ST_conf")}
        else:
            res = sobol_analyze.analyze(sproblem, y, calc_second_order=False, seed=int(seed))
        for i, p in enumerate(chosen):
            rows.append({"output": name, "year": year, "parameter": p, "S1": float(res["S1"][i]),
                         "S1_conf": float(res["S1_conf"][i]), "ST": float(res["ST"][i]),
                         "ST_conf": float(res["ST_conf"][i])})
    return SensitivityResult(morris=morris, sobol=pd.DataFrame(rows), sobol_parameters=ranges,
                             n_runs=(len(X), len(S)))
