"""Many model runs on Dask: posterior projections and sensitivity designs share this runner.

A :class:`RunSpec` is one run (parameters, seed, scale, scenario, last year); :func:`run_ensemble` maps the
specs over a Dask client and returns, per run, a small table of the indicator rows asked for (the full table
of a 2010-2035 run is about 12,000 rows; keeping only what the report needs keeps memory and transfer small).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
from dask.distributed import Client, as_completed

from sim.parameters import ModelParameters, parameter_specs
from sim.seeds import spawned_seeds
from sim.years import LAST_OBSERVED_YEAR, PLAN_END_YEAR, PLAN_YEARS, START_YEAR

#: Provincial indicators kept for every year (the plan's outputs and the calibration's provincial targets).
PROVINCE_INDICATORS = (
    "urbanization_rate", "czt_urban_share", "urban_rural_income_ratio", "urban_unemployment_rate",
    "hukou_urbanization_rate", "hukou_gap", "registered_minus_resident", "population", "outside_hunan_population",
    "registered_elsewhere_in_hunan", "migrant_children_public_school_share", "settled_migrants", "permit_holders",
)


@dataclass(frozen=True)
class RunSpec:
    """One model run.

    Attributes:
        params: parameter values on top of the declared defaults.
        seed: model seed (a Python int; Mesa refuses numpy integers).
        scale: households per agent record.
        scenario: scenario name.
        end_year: last simulated year.
        tag: free label carried to the output (e.g. the draw number).
        keep_years: years for which every region's rows are kept (all years are kept for ``Hunan``'s
            :data:`PROVINCE_INDICATORS`).
    """

    params: Mapping[str, float]
    seed: int
    scale: float
    scenario: str = "baseline"
    end_year: int = PLAN_END_YEAR
    tag: int = 0
    keep_years: tuple[int, ...] = (START_YEAR, 2017, LAST_OBSERVED_YEAR, *PLAN_YEARS)


def clip_to_bounds(values: Mapping[str, float]) -> dict[str, float]:
    """Values clipped to each parameter's declared range.

    Design generators work in floating point: SALib's Morris grid can land a rounding error past a bound
    (0.020000000000000004 for a bound of 0.02), which the parameter declaration rightly refuses.
    """
    specs = parameter_specs()
    return {k: min(max(float(v), float(specs[k]["low"])), float(specs[k]["high"])) for k, v in values.items()}


def run_one(spec: RunSpec) -> pd.DataFrame:
    """Run one spec and return the kept indicator rows with a ``tag`` column."""
    from sim.run import run_simulation

    params = ModelParameters().replace(**clip_to_bounds(spec.params))
    result = run_simulation(scenario=spec.scenario, params=params, seed=int(spec.seed), scale=spec.scale,
                            end_year=spec.end_year)
    df = result.indicators
    keep = ((df.region == "Hunan") & df.indicator.isin(PROVINCE_INDICATORS)) | df.year.isin(spec.keep_years)
    out = df[keep].reset_index(drop=True)
    out["tag"] = spec.tag
    return out


def run_ensemble(client: Client, specs: Sequence[RunSpec],
                 progress: Callable[[int, int], None] | None = None) -> list[pd.DataFrame]:
    """Run every spec on the client; results in the order of ``specs``."""
    futures = client.map(run_one, list(specs), pure=False)
    index = {f.key: i for i, f in enumerate(futures)}
    out: list[pd.DataFrame | None] = [None] * len(specs)
    for done, future in enumerate(as_completed(futures), start=1):
        out[index[future.key]] = future.result()
        if progress is not None:
            progress(done, len(specs))
    return out  # type: ignore[return-value]


def spawn_seeds(seed: int, n: int) -> list[int]:
    """``n`` independent model seeds from one recorded master seed (Python ints).

    :func:`sim.seeds.derive_seed` in its ``"low63"`` form, the one the recorded projections were made with.
    """
    return spawned_seeds(seed, n, form="low63")
