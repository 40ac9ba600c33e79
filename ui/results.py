"""Browsing stored experiment results: a folder of Parquet files with the tidy indicator schema.

Only folders inside the results root are read (:func:`ui.inputs.resolve_results_dir`); files whose real
path leaves the root (symbolic links), files that are too large and files without the columns ``year,
region, indicator, value`` are skipped and named on the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sim.errors import InputError
from sim.run import read_provenance
from ui.inputs import MAX_RESULT_FILE_BYTES, MAX_RESULT_FILES

TIDY_COLUMNS = ("year", "region", "indicator", "value")
#: Columns of a ``flows.parquet`` written by ``hunan-sim run`` (moves between locations per year).
FLOW_COLUMNS = ("year", "origin", "destination", "persons")


@dataclass
class ResultFolder:
    """The readable indicator files of a folder and the files skipped, with the reason.

    Attributes:
        folder: the folder (inside the root).
        files: Parquet files with the tidy indicator schema.
        flows: Parquet files of moves (``flows.parquet`` of ``hunan-sim run``), read as flows.
        skipped: ``(relative name, reason)`` of the others.
    """

    folder: Path
    files: list[Path] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    flows: list[Path] = field(default_factory=list)


def scan_folder(folder: Path, root: Path) -> ResultFolder:
    """Find the tidy indicator Parquet files under ``folder`` (recursively, at most ``MAX_RESULT_FILES``)."""
    root = root.resolve()
    out = ResultFolder(folder=folder)
    # Hidden folders hold an interrupted write's temporary copy or the earlier pair an interrupted
    # `run --overwrite` left behind (sim.run.StagedOutput): never results to show beside the real ones.
    visible = (p for p in folder.rglob("*.parquet") if not any(part.startswith(".") for part in
                                                                p.relative_to(folder).parts[:-1]))
    for path in sorted(visible)[:MAX_RESULT_FILES]:
        rel = path.relative_to(folder).as_posix()
        real = path.resolve()
        if not real.is_relative_to(root):
            out.skipped.append((rel, "outside the results root"))
            continue
        if not real.is_file():
            continue
        if real.stat().st_size > MAX_RESULT_FILE_BYTES:
            out.skipped.append((rel, "too large"))
            continue
        try:
            names = set(pq.read_schema(real).names)
        except (OSError, pa.ArrowInvalid):
            out.skipped.append((rel, "not a readable Parquet file"))
            continue
        if set(FLOW_COLUMNS) <= names:
            out.flows.append(real)
            continue
        if not set(TIDY_COLUMNS) <= names:
            out.skipped.append((rel, "no year, region, indicator, value columns"))
            continue
        out.files.append(real)
    return out


def read_tidy(path: Path, *, indicator: str | None = None, region: str | None = None) -> pd.DataFrame:
    """The tidy rows of one file, optionally of one indicator and region.

    Raises:
        InputError: if the file cannot be read as a tidy indicator table.
    """
    filters = []
    if indicator is not None:
        filters.append(("indicator", "==", indicator))
    if region is not None:
        filters.append(("region", "==", region))
    try:
        df = pd.read_parquet(path, columns=list(TIDY_COLUMNS), filters=filters or None)
    except (OSError, pa.ArrowInvalid, KeyError, ValueError) as exc:
        raise InputError(field="file", value=path.name, allowed=f"a tidy indicator Parquet file ({exc})",
                         source="results") from None
    df["year"] = pd.to_numeric(df["year"], errors="coerce")
    df["value"] = pd.to_numeric(df["value"], errors="coerce")
    return df.dropna(subset=["year"])


#: Files read to list the indicators and regions on offer (runs of one experiment share them).
CATALOGUE_FILES = 5


def catalogue(files: list[Path]) -> tuple[list[str], list[str]]:
    """Indicators and regions present in the first files (sorted; ``Hunan``, then divisions, then counties)."""
    by_indicator = regions_by_indicator(files)
    regions = {r for rs in by_indicator.values() for r in rs}
    return sorted(by_indicator), sorted(regions, key=_region_order)


def _region_order(region: str) -> tuple[int, str]:
    """``Hunan`` first, then the divisions (and ``outside``) by name, then the counties (``430181 Liuyang``) by
    code, so that a region list opens on the province and the divisions."""
    return (0 if region == "Hunan" else 2 if region[:1].isdigit() else 1, region)


def regions_by_indicator(files: list[Path]) -> dict[str, list[str]]:
    """The regions each indicator is given for in the first files (``Hunan``, then divisions, then counties).

    Some indicators exist for the province only (e.g. ``hukou_gap``, resident minus hukou urbanization rate):
    the page offers only the regions that have rows, instead of saying that no file has the columns.
    """
    pairs: set[tuple[str, str]] = set()
    for path in files[:CATALOGUE_FILES]:
        table = pq.read_table(path, columns=["indicator", "region"])
        keys = pc.binary_join_element_wise(pc.cast(table["indicator"], pa.string()),
                                           pc.cast(table["region"], pa.string()), "\x1f")
        for key in pc.unique(keys).to_pylist():
            indicator, region = key.split("\x1f", 1)
            pairs.add((indicator, region))
    out: dict[str, list[str]] = {}
    for indicator, region in sorted(pairs, key=lambda p: (p[0], _region_order(p[1]))):
        out.setdefault(indicator, []).append(region)
    return out


def run_group(path: Path) -> str:
    """The group a stored run belongs to: ``experiment · scenario`` from its provenance, ``scenario`` for a
    ``hunan-sim run`` file, or "" when the file records neither.

    ``hunan-sim run`` writes the scenario only in the file's metadata, so reading the metadata is what keeps
    runs of different scenarios in different bands.
    """
    try:
        meta = read_provenance(path)
    except InputError:
        return ""
    experiment = meta.get("experiment")
    if isinstance(experiment, dict):
        run = meta.get("run", {}) if isinstance(meta.get("run"), dict) else {}
        return " · ".join(str(x) for x in (experiment.get("name", ""), run.get("scenario", "")) if x)
    scenario = meta.get("scenario")
    name = scenario.get("name", "") if isinstance(scenario, dict) else scenario
    return str(name or "")


@dataclass
class Run:
    """One run's series of one indicator and region, and the scenario it belongs to ("" if not recorded)."""

    years: list[int]
    values: list[float]
    scenario: str = ""


def runs_of(files: list[Path], folder: Path, indicator: str, region: str) -> dict[str, Run]:
    """One indicator and region from each file, by the file's name relative to ``folder``.

    DuckDB reads the files in one query with the filter pushed into the Parquet scan, which keeps a folder of
    hundreds of runs interactive (reading them one by one with pandas takes seconds). Runs of an
    ``experiments/`` sweep carry a ``scenario`` column, which is returned so that the page can draw one fan
    per scenario.
    """
    if not files:
        return {}
    has_scenario = all("scenario" in pq.read_schema(p).names for p in files[:CATALOGUE_FILES])
    scenario = "CAST(scenario AS VARCHAR)" if has_scenario else "''"
    con = duckdb.connect()
    try:
        rows = con.execute(
            f"SELECT filename, CAST(year AS BIGINT), CAST(value AS DOUBLE), {scenario} "
            "FROM read_parquet(?, filename = true, union_by_name = true) "
            "WHERE indicator = ? AND region = ? ORDER BY filename, year",
            [[str(p) for p in files], indicator, region]).fetchall()
    except duckdb.Error as exc:
        raise InputError(field="files", value=str(folder), allowed=f"tidy indicator Parquet files ({exc})",
                         source="results") from None
    finally:
        con.close()
    base = folder.resolve()
    out: dict[str, Run] = {}
    groups: dict[str, str] = {}
    for filename, year, value, scen in rows:
        path = Path(filename)
        name = path.relative_to(base).as_posix() if path.is_relative_to(base) else path.name
        if not scen:  # no scenario column: the file's provenance names it (read once per file)
            if filename not in groups:
                groups[filename] = run_group(path)
            scen = groups[filename]
        run = out.setdefault(name, Run([], [], scen or ""))
        run.years.append(int(year))
        run.values.append(float(value) if value is not None else float("nan"))
    return out


def provenance_summary(path: Path) -> str:
    """A one-line description of how a result file was made (its ``hunan_sim`` metadata), or ""."""
    try:
        meta = read_provenance(path)
    except InputError:
        return ""
    parts = []
    experiment = meta.get("experiment")
    if isinstance(experiment, dict):  # a run of an ``experiments/`` sweep: the model's provenance is nested
        parts.append(f"experiment {experiment.get('name', '?')}")
        run = meta.get("run", {}) if isinstance(meta.get("run"), dict) else {}
        if "run_index" in run:
            parts.append(f"run {run['run_index']}")
        if "scenario" in run:
            parts.append(f"scenario {run['scenario']}")
        meta = meta.get("model", {}) if isinstance(meta.get("model"), dict) else {}
    else:
        scenario = meta.get("scenario", "?")
        parts.append(f"scenario {scenario.get('name', '?') if isinstance(scenario, dict) else scenario}")
    for key, label in (("seed", "seed"), ("scale", "scale"), ("git_commit", "code"), ("data_version", "data"),
                       ("created", "created")):
        if key in meta:
            parts.append(f"{label} {str(meta[key])[:25]}")
    return ", ".join(parts)


def flow_totals(files: list[Path], folder: Path) -> dict[str, Run]:
    """Persons moving between divisions per year (moves within a division left out), by flow file.

    Raises:
        InputError: if the files cannot be read as flow tables.
    """
    if not files:
        return {}
    con = duckdb.connect()
    try:
        rows = con.execute(
            "SELECT filename, CAST(year AS BIGINT), SUM(CAST(persons AS DOUBLE)) "
            "FROM read_parquet(?, filename = true, union_by_name = true) "
            "WHERE origin <> destination GROUP BY filename, year ORDER BY filename, year",
            [[str(p) for p in files]]).fetchall()
    except duckdb.Error as exc:
        raise InputError(field="files", value=str(folder), allowed=f"flow Parquet files ({exc})",
                         source="results") from None
    finally:
        con.close()
    base = folder.resolve()
    out: dict[str, Run] = {}
    for filename, year, persons in rows:
        path = Path(filename)
        name = path.relative_to(base).as_posix() if path.is_relative_to(base) else path.name
        run = out.setdefault(name, Run([], [], run_group(path)))
        run.years.append(int(year))
        run.values.append(float(persons))
    return out
