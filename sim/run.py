"""The model as a function: parameters in, tables out; and writing results with provenance.

>>> from sim.run import run_simulation
>>> result = run_simulation(scenario="baseline", end_year=2020, seed=1, scale=1000)
>>> result.indicators.query("region == 'Hunan' and indicator == 'urbanization_rate'")  # doctest: +SKIP

:func:`write_results` writes ``indicators.parquet`` and ``flows.parquet`` atomically (temporary file, then
rename) with the provenance (parameters, scenario, seed, scale, code version, package versions, input data
hash) in the Parquet metadata under the key ``hunan_sim``.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.data import DATA_DIR, DIVISION_EFFECT_PARTS, DIVISION_EFFECTS_PATH, MODEL_INPUTS
from sim.errors import InputError
from sim.model import START_YEAR, HunanModel
from sim.parameters import ModelParameters
from sim.scenario import Scenario

PROVENANCE_KEY = b"hunan_sim"
LAST_YEAR = 2100


@dataclass
class RunResult:
    """Outputs of one run: the indicator table, the flow table and their provenance."""

    indicators: pd.DataFrame
    flows: pd.DataFrame
    provenance: dict[str, Any] = field(default_factory=dict)


def run_simulation(*, scenario: Scenario | str = "baseline", params: ModelParameters | None = None,
                   seed: int = 1, scale: float = 100, end_year: int = 2035,
                   levers: dict[str, Any] | None = None,
                   division_effects: np.ndarray | None = None) -> RunResult:
    """Run the model from 2010 to ``end_year`` and return its tables.

    Args:
        scenario: a scenario or the name of a file in ``scenarios/``.
        params: behavioural parameters (default: calibrated medians, else declared defaults).
        seed: the random seed (reproducible bit for bit).
        scale: households per agent record.
        end_year: last simulated year (2011-2100).
        levers: extra lever values on top of the scenario, from 2010 (``{lever: value}`` or
            ``{lever: {city: value}}``).
        division_effects: calibrated effects of each division, shape ``(14, 3)``
            (default: ``calibration/division_effects.json``, see :func:`sim.data.load_division_effects`).
    """
    if isinstance(end_year, bool) or not isinstance(end_year, int) or not START_YEAR < end_year <= LAST_YEAR:
        raise InputError(field="end", value=end_year, allowed=f"a year from {START_YEAR + 1} to {LAST_YEAR}",
                         source="run")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(field="seed", value=seed, allowed="a whole number >= 0", source="run")
    scen = scenario if isinstance(scenario, Scenario) else Scenario.load(scenario)
    if levers:
        scen = scen.with_levers(levers)
    model = HunanModel(scenario=scen, params=params, scale=scale, rng=seed, division_effects=division_effects)
    while model.year < end_year:
        model.step()
    return RunResult(indicators=model.indicators(), flows=model.flows(),
                     provenance=provenance(model=model, seed=seed, end_year=end_year))


def git_commit() -> str:
    """The code's git commit (``-dirty`` if tracked files differ), or ``unknown`` outside a git checkout.

    The one place the project asks git; run files, sweeps, the posterior and the division effects record it.
    """
    root = Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5)
        commit = out.stdout.strip() or "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return commit + ("-dirty" if dirty and commit != "unknown" else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def data_version() -> str:
    """SHA-256 over the model's input data files and the calibrated division effects (so results name their inputs).

    Only the files in :data:`sim.data.MODEL_INPUTS` count: adding documentation or data that no code reads yet
    leaves the version of existing results (and of the shipped posterior) unchanged.
    """
    digest = hashlib.sha256()
    for name in sorted(MODEL_INPUTS):
        path = DATA_DIR / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    if DIVISION_EFFECTS_PATH.exists():
        digest.update(DIVISION_EFFECTS_PATH.read_bytes())
    return digest.hexdigest()[:16]


def package_versions() -> dict[str, str]:
    """Versions of the packages that shape results."""
    out = {"python": platform.python_version()}
    for pkg in ("mesa", "numpy", "pandas", "networkx", "pyarrow"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def provenance(*, model: HunanModel, seed: int, end_year: int) -> dict[str, Any]:
    """Everything needed to reproduce a run."""
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "scenario": model.policy_scenario.to_dict(),
        "parameters": model.params.as_dict(),
        "division_effects": {part: model.division_effects[:, k].tolist()
                             for k, part in enumerate(DIVISION_EFFECT_PARTS)},
        "seed": seed,
        "scale": model.scale,
        "start_year": START_YEAR,
        "end_year": end_year,
        "git_commit": git_commit(),
        "packages": package_versions(),
        "data_version": data_version(),
    }


def write_table_atomic(df: pd.DataFrame, path: Path, meta: dict[str, Any]) -> None:
    """Write a Parquet file with ``meta`` as JSON in its metadata, via a temporary file and a rename."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    existing = table.schema.metadata or {}
    table = table.replace_schema_metadata({**existing, PROVENANCE_KEY: json.dumps(meta, default=str).encode()})
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        pq.write_table(table, tmp)
        with open(tmp, "rb") as fh:  # on disk before the rename, so a power cut cannot leave an empty file
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_results(result: RunResult, out_dir: Path | str) -> list[Path]:
    """Write ``indicators.parquet`` and ``flows.parquet`` into ``out_dir``."""
    out = Path(out_dir)
    paths = [out / "indicators.parquet", out / "flows.parquet"]
    write_table_atomic(result.indicators, paths[0], result.provenance)
    write_table_atomic(result.flows, paths[1], result.provenance)
    return paths


def read_provenance(path: Path | str) -> dict[str, Any]:
    """The provenance stored in a results Parquet file; a corrupt or foreign file raises InputError."""
    try:
        meta = pq.read_schema(path).metadata or {}
    except (OSError, pa.ArrowInvalid) as exc:
        raise InputError(field="file", value=str(path), allowed=f"a readable Parquet file ({exc})",
                         source=str(path)) from None
    if PROVENANCE_KEY not in meta:
        raise InputError(field="metadata", value="no hunan_sim provenance", allowed="a file written by hunan-sim",
                         source=str(path))
    return json.loads(meta[PROVENANCE_KEY])
