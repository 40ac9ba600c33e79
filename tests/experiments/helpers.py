"""Model functions for runner tests: the real model, failing or crashing on chosen seeds.

They are module-level so that Dask pickles them by reference to the worker processes; nothing here replaces
Dask or the model, they only decide which runs go wrong.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sim.run import RunResult, run_simulation

#: A small experiment: 2 lever values × 2 replications = 4 runs of 3 years at a coarse scale.
TINY_TOML = """
name = "tiny"
scenarios = ["baseline"]
end_year = 2013
scale = 50000
replications = 2
master_seed = 7
policy_from = 2011

[levers.public_rental_units_per_year]
values = [0, 3000]
"""


def failing_model(*, fail_seeds_file: str, **kwargs: Any) -> RunResult:
    """The model, except that it raises for seeds listed in ``fail_seeds_file`` (while that file exists)."""
    path = Path(fail_seeds_file)
    if path.exists() and str(kwargs["seed"]) in path.read_text().split():
        raise RuntimeError(f"injected failure for seed {kwargs['seed']}")
    return run_simulation(**kwargs)


def crashing_model(*, crash_seed: int, **kwargs: Any) -> RunResult:
    """The model, except that the worker process dies (as in a segfault or the OOM killer) on ``crash_seed``."""
    if kwargs["seed"] == crash_seed:
        os._exit(13)
    return run_simulation(**kwargs)
