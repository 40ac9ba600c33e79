"""Replications of the current levers against the baseline preset, for the fan charts.

Both arms use the same replication seeds (common random numbers), so the difference between the fans shows
the levers' effect rather than two independent draws of noise. Seeds are spawned from one recorded master
seed (``numpy.random.SeedSequence(master).spawn(n)``, STYLE.md principle 5) by :func:`sim.seeds.derive_seed`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sim.errors import InputError
from sim.model import HunanModel
from sim.scenario import Scenario
from sim.seeds import spawned_seeds
from sim.years import START_YEAR
from ui.figures import MAIN_CHARTS
from ui.inputs import COMPARE_END_YEARS, COMPARE_REPLICATIONS, shown

#: Indicators kept from each replication (the province rows the fan charts draw).
COMPARED_INDICATORS: tuple[str, ...] = tuple(dict.fromkeys(c.lines[0][0] for c in MAIN_CHARTS))


class Cancelled(Exception):
    """Raised inside a comparison when the user cancelled it."""


@dataclass
class Comparison:
    """Province series of each replication, per arm (``current``, ``baseline``) and indicator.

    Attributes:
        seeds: the replication seeds (the same for both arms).
        master_seed: the seed they were spawned from.
        scale: households per agent.
        end_year: last simulated year.
        runs: ``runs[arm][indicator]`` is a list of ``(years, values)``, one per replication.
    """

    seeds: list[int]
    master_seed: int
    scale: int
    end_year: int
    runs: dict[str, dict[str, list[tuple[list[int], list[float]]]]] = field(default_factory=dict)


def replication_seeds(master: int, n: int) -> list[int]:
    """``n`` seeds spawned from ``master`` (plain ints: Mesa refuses numpy integers)."""
    return spawned_seeds(master, n, form="uint32")


def province_series(model: HunanModel, indicators: tuple[str, ...]) -> dict[str, tuple[list[int], list[float]]]:
    """The province rows of some indicators from a finished model."""
    out: dict[str, tuple[list[int], list[float]]] = {k: ([], []) for k in indicators}
    for year, region, indicator, value in model.indicator_rows:
        if region == "Hunan" and indicator in out:
            out[indicator][0].append(int(year))
            out[indicator][1].append(float(value))
    return out


def run_comparison(*, current: Scenario, baseline: Scenario, master_seed: int, n_replications: int, scale: int,
                   end_year: int, on_progress: Callable[[float], None] | None = None,
                   cancelled: Callable[[], bool] | None = None) -> Comparison:
    """Run ``n_replications`` of each arm from 2010 to ``end_year``.

    Args:
        current: the scenario with the page's levers.
        baseline: the baseline preset.
        master_seed: seed the replication seeds are spawned from.
        n_replications: replications per arm.
        scale: households per agent.
        end_year: last simulated year.
        on_progress: called with the share of simulated years done (0-1) after each year.
        cancelled: polled every simulated year; when it returns True the comparison stops.

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
    result = Comparison(seeds=seeds, master_seed=master_seed, scale=scale, end_year=end_year,
                        runs={"current": {k: [] for k in COMPARED_INDICATORS},
                              "baseline": {k: [] for k in COMPARED_INDICATORS}})
    total = 2 * len(seeds) * max(end_year - START_YEAR, 1)
    done = 0
    for seed in seeds:
        for arm, scenario in (("baseline", baseline), ("current", current)):
            model = HunanModel(scenario=scenario, scale=scale, rng=seed)
            while model.year < end_year:
                if cancelled is not None and cancelled():
                    raise Cancelled()
                model.step()
                done += 1
                if on_progress is not None:
                    on_progress(done / total)
            for indicator, xy in province_series(model, COMPARED_INDICATORS).items():
                result.runs[arm][indicator].append(xy)
    return result
