"""Replications of the current levers against the baseline preset: fans, paired differences, targets.

Replication ``i`` of both arms uses the same seed and the same draw of the calibrated posterior (common random
numbers and common parameters), so the difference between the arms shows the levers' effect, with an interval
that carries both the model's randomness and the calibration's uncertainty, rather than two independent draws.
Seeds are spawned from one recorded master seed (``numpy.random.SeedSequence(master).spawn(n)``, STYLE.md
principle 5) by :func:`sim.seeds.derive_seed`; the draws are :func:`experiments.spec.posterior_draws` with the
same master seed (an experiment with that master seed draws the same parameters). The runs go through the
project's one ensemble runner (:func:`sim.ensemble.run_ensemble`), in this process: a comparison is a few runs
of a few seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pathlib import Path

import numpy as np
import pandas as pd

from experiments.spec import posterior_draws
from sim.ensemble import Cancelled, EnsembleRun, run_ensemble
from sim.errors import InputError
from sim.parameters_default import POSTERIOR_PATH
from sim.scenario import Scenario
from sim.seeds import spawned_seeds
from ui.figures import MAIN_CHARTS
from ui.inputs import COMPARE_END_YEARS, COMPARE_REPLICATIONS, shown

#: Indicators of the six provincial fan charts (every line of each chart, e.g. resident and hukou rates).
COMPARED_INDICATORS: tuple[str, ...] = tuple(dict.fromkeys(line[0] for c in MAIN_CHARTS for line in c.lines))
#: Plan targets where meeting them means staying at or below the value (the others: at or above).
TARGETS_AT_MOST = frozenset({"urban_unemployment_rate", "urban_rural_income_ratio"})
#: Years of the difference table (the plan's target years).
TABLE_YEARS = (2025, 2035)

Series = tuple[list[int], list[float]]


__all__ = ["Cancelled", "Comparison", "run_comparison"]


@dataclass
class Comparison:
    """Every indicator row of each replication, per arm (``current``, ``baseline``).

    Attributes:
        seeds: the replication seeds (the same for both arms: replication ``i`` of each arm is a pair).
        master_seed: the seed they were spawned from.
        scale: households per agent.
        end_year: last simulated year.
        runs: ``runs[arm][(indicator, region)]`` is a list of ``(years, values)``, one per replication, in the
            order of ``seeds``.
        scenario_name: the current levers' scenario name.
        draws: the posterior draw (``{parameter: value}``) of each replication, the same in both arms (``{}``:
            the default parameters, when there is no posterior file).
    """

    seeds: list[int]
    master_seed: int
    scale: int
    end_year: int
    runs: dict[str, dict[tuple[str, str], list[Series]]] = field(default_factory=dict)
    scenario_name: str = ""
    draws: list[dict[str, float]] = field(default_factory=list)

    def series(self, arm: str, indicator: str, region: str = "Hunan") -> list[Series]:
        """The replications of one arm for one indicator and region (empty if not recorded)."""
        return self.runs.get(arm, {}).get((indicator, region), [])

    def pairs(self) -> list[tuple[str, str]]:
        """The (indicator, region) pairs recorded in both arms."""
        return sorted(set(self.runs.get("current", {})) & set(self.runs.get("baseline", {})))


def values_at(runs: list[Series], year: int) -> np.ndarray:
    """Each replication's value in ``year`` (NaN where a replication has none)."""
    out = []
    for xs, ys in runs:
        by_year = dict(zip(xs, ys, strict=False))
        out.append(by_year.get(year, float("nan")))
    return np.asarray(out, dtype=float)


def difference_runs(result: Comparison, indicator: str, region: str = "Hunan") -> list[Series]:
    """Current minus baseline for each replication (same seed in both arms), year by year.

    The pairs share their seed, so most of the noise of one replication is shared by both arms and the
    difference shows the levers' effect with a narrower interval than two independent fans would.
    """
    out = []
    for (xc, yc), (xb, yb) in zip(result.series("current", indicator, region),
                                  result.series("baseline", indicator, region), strict=False):
        base = dict(zip(xb, yb, strict=False))
        years = [y for y in xc if y in base]
        cur = dict(zip(xc, yc, strict=False))
        out.append((years, [cur[y] - base[y] for y in years]))
    return out


def summary(values: np.ndarray, low_q: float = 0.1, high_q: float = 0.9) -> tuple[float, float, float]:
    """Median and the ``low_q``-``high_q`` quantiles of finite values (NaN if none)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return float("nan"), float("nan"), float("nan")
    return (float(np.median(finite)), float(np.quantile(finite, low_q)), float(np.quantile(finite, high_q)))


def share_meeting(values: np.ndarray, target: float, at_most: bool) -> float:
    """Share of replications whose value meets a target (NaN if none has a value)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return float("nan")
    met = finite <= target if at_most else finite >= target
    return float(np.mean(met))


def replication_seeds(master: int, n: int) -> list[int]:
    """``n`` seeds spawned from ``master`` (plain ints: Mesa refuses numpy integers)."""
    return spawned_seeds(master, n, form="uint32")


def all_series(table: pd.DataFrame) -> dict[tuple[str, str], Series]:
    """Every indicator row of one run's table (``year, region, indicator, value``), by (indicator, region)."""
    out: dict[tuple[str, str], Series] = {}
    for (indicator, region), rows in table.sort_values("year", kind="stable").groupby(["indicator", "region"],
                                                                                      sort=False):
        out[(str(indicator), str(region))] = ([int(y) for y in rows["year"]], [float(v) for v in rows["value"]])
    return out


def replication_draws(master: int, n: int, path: Path = POSTERIOR_PATH) -> list[dict[str, float]]:
    """The posterior draw of each of ``n`` replications (``{}`` each when there is no posterior file)."""
    if not path.exists():
        return [{} for _ in range(n)]
    return posterior_draws(path, n, master)


def run_comparison(*, current: Scenario, baseline: Scenario, master_seed: int, n_replications: int, scale: int,
                   end_year: int, on_progress: Callable[[float], None] | None = None,
                   cancelled: Callable[[], bool] | None = None) -> Comparison:
    """Run ``n_replications`` of each arm from 2010 to ``end_year``, pair ``i`` with seed ``i`` and posterior draw ``i``.

    Args:
        current: the scenario with the page's levers.
        baseline: the baseline preset.
        master_seed: seed the replication seeds are spawned from.
        n_replications: replications per arm.
        scale: households per agent.
        end_year: last simulated year.
        on_progress: called with the share of runs done (0-1) after each run.
        cancelled: polled before each run; when it returns True the comparison stops.

    Raises:
        Cancelled: if ``cancelled()`` became true.
        InputError: if ``n_replications`` or ``end_year`` is outside what the comparison view offers
            (:data:`ui.inputs.COMPARE_REPLICATIONS`, :data:`ui.inputs.COMPARE_END_YEARS`).
    """
    # the page clamps its sliders; this refuses anything that got past it, before any model is built
    for name, value, (low, high) in (("compare_reps", n_replications, COMPARE_REPLICATIONS),
                                     ("compare_end", end_year, COMPARE_END_YEARS)):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InputError(field=name, value=shown(value), allowed=f"a whole number from {low} to {high}",
                             source="page")
    seeds = replication_seeds(master_seed, n_replications)
    draws = replication_draws(master_seed, n_replications)
    result = Comparison(seeds=seeds, master_seed=master_seed, scale=scale, end_year=end_year,
                        runs={"current": {}, "baseline": {}}, scenario_name=current.name, draws=draws)
    arms = (("baseline", baseline), ("current", current))
    specs = [EnsembleRun(params=draw, seed=seed, scale=scale, scenario=scenario, end_year=end_year, tag=i,
                         keep_years=None)
             for i, (seed, draw) in enumerate(zip(seeds, draws, strict=True)) for _, scenario in arms]

    def progress(done: int, total: int) -> None:
        if on_progress is not None:
            on_progress(done / total)

    tables = run_ensemble(None, specs, progress=progress, cancelled=cancelled)
    for k, table in enumerate(tables):
        arm = arms[k % len(arms)][0]
        for key, xy in all_series(table).items():
            result.runs[arm].setdefault(key, []).append(xy)
    return result
