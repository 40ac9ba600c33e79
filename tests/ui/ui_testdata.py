"""Small result files for the UI tests (a module of its own: ``conftest`` is not importable by name)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def write_results(folder: Path, n_runs: int = 2) -> list[Path]:
    """Write ``n_runs`` small tidy indicator files (and one foreign file) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for run in range(n_runs):
        rows = [(year, region, "urbanization_rate", 45.0 + (year - 2010) * (1.0 + 0.1 * run))
                for year in range(2010, 2021) for region in ("Hunan", "Changsha")]
        path = folder / f"run_{run:03d}.parquet"
        pd.DataFrame(rows, columns=["year", "region", "indicator", "value"]).to_parquet(path)
        paths.append(path)
    pd.DataFrame({"a": [1, 2]}).to_parquet(folder / "not_indicators.parquet")
    return paths
