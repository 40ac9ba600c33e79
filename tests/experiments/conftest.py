"""Shared fixtures: the hukou × housing grid at a small scale, swept once on 2 local Dask workers."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from experiments.runner import run_experiment
from experiments.spec import EXPERIMENT_DIR, load_experiment

#: The shipped grid, made small: 1 household record per 20,000 households (about 900 records).
GRID_FILE = EXPERIMENT_DIR / "hukou-housing.toml"
GRID_OVERRIDES = ("scale=20000",)


def read_runs(folder: Path) -> dict[int, pd.DataFrame]:
    """Every run file's table by run index (data only; metadata holds times that legitimately differ)."""
    out = {}
    for path in sorted((folder / "runs").glob("r*.parquet")):
        df = pq.read_table(path).to_pandas()
        (index,) = df["run_index"].unique()
        assert index not in out, f"run {index} present twice"
        out[int(index)] = df.sort_values(["year", "region", "indicator"]).reset_index(drop=True)
    return out


@pytest.fixture(scope="session")
def grid_experiment():
    """The shipped hukou × housing experiment at the small test scale."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return load_experiment(GRID_FILE, overrides=GRID_OVERRIDES)


@pytest.fixture(scope="session")
def grid_results(tmp_path_factory, grid_experiment):
    """The grid swept without interruption on 2 local workers: (folder, summary)."""
    out = tmp_path_factory.mktemp("grid") / "results"
    summary = run_experiment(grid_experiment, out, workers=2, progress=False)
    return out, summary
