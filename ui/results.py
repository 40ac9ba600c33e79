"""Browsing stored experiment results: a folder of Parquet files with the tidy indicator schema.

Only folders inside the results root are read (:func:`ui.inputs.resolve_results_dir`); files whose real
path leaves the root (symbolic links), files that are too large and files without the columns ``year,
region, indicator, value`` are skipped and named on the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sim.errors import InputError
from ui.inputs import MAX_RESULT_FILE_BYTES, MAX_RESULT_FILES

TIDY_COLUMNS = ("year", "region", "indicator", "value")


@dataclass
class ResultFolder:
    """The readable indicator files of a folder and the files skipped, with the reason.

    Attributes:
        folder: the folder (inside the root).
        files: Parquet files with the tidy indicator schema.
        skipped: ``(relative name, reason)`` of the others.
    """

    folder: Path
    files: list[Path] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def scan_folder(folder: Path, root: Path) -> ResultFolder:
    """Find the tidy indicator Parquet files under ``folder`` (recursively, at most ``MAX_RESULT_FILES``)."""
    root = root.resolve()
    out = ResultFolder(folder=folder)
    for path in sorted(folder.rglob("*.parquet"))[:MAX_RESULT_FILES]:
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


def catalogue(files: list[Path]) -> tuple[list[str], list[str]]:
    """Indicators and regions present in the files (sorted; ``Hunan`` first among regions)."""
    indicators: set[str] = set()
    regions: set[str] = set()
    for path in files:
        table = pq.read_table(path, columns=["indicator", "region"])
        indicators.update(str(v) for v in pc.unique(table["indicator"]).to_pylist())
        regions.update(str(v) for v in pc.unique(table["region"]).to_pylist())
    ordered_regions = (["Hunan"] if "Hunan" in regions else []) + sorted(regions - {"Hunan"})
    return sorted(indicators), ordered_regions


def runs_of(files: list[Path], folder: Path, indicator: str, region: str) -> dict[str, tuple[list[int], list[float]]]:
    """One indicator and region from each file, by the file's name relative to ``folder``."""
    out = {}
    for path in files:
        df = read_tidy(path, indicator=indicator, region=region).sort_values("year")
        if len(df):
            try:
                name = path.relative_to(folder.resolve()).as_posix()
            except ValueError:
                name = path.name
            out[name] = (df["year"].astype(int).tolist(), df["value"].astype(float).tolist())
    return out
