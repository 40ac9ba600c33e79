"""Ways to damage a data table, and what a loader must do with the damage (shared by the grid and the fuzz)."""

from __future__ import annotations

import csv
import io
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import sim.data as data
from sim.errors import DataError


@dataclass(frozen=True)
class Table:
    """A loader and the file it reads (relative to the data folder)."""

    loader: Callable[[Path], Any]
    file: str
    required: tuple[str, ...]


TABLES = {
    "divisions": Table(data.load_divisions, "divisions_coordinates_hsr_stations.csv",
                       ("division_zh", "division_en", "adcode", "region", "lat", "lon")),
    "division_census": Table(data.load_divisions, "divisions_census_2010_2020.csv",
                             ("division_en", "indicator", "date_or_year", "value")),
    "counties_2010": Table(data.load_counties_2010, "census/hunan_county_census_2010.csv",
                           ("区划代码", "合计", "户数", "城镇人口", "户籍人口")),
    "province_2010": Table(data.load_province_totals_2010, "census/hunan_county_census_2010.csv",
                           ("区划代码", "合计", "户数")),
    "rail_lines": Table(data.load_rail_lines, "rail_lines.csv", ("opened_year", "divisions_served")),
    "travel_times": Table(data.load_travel_times, "travel_times_city_pairs.csv",
                          ("from_en", "to_en", "road_hours_est", "rail_minutes_est_heuristic",
                           "hsr_fastest_minutes", "hsr_time_year", "hsr_time_confidence")),
    "province_series": Table(data.load_province_series, "province_timeseries.csv", ("year", "indicator", "value")),
    "plan_indicators": Table(data.load_plan_indicators, "plan/plan_indicators.csv",
                             ("id", "value_2020", "target_2025", "target_2035")),
    "plan_city_targets": Table(data.load_plan_city_targets, "plan/plan_city_targets_2025.csv",
                               ("division_en", "urbanization_target_2025_pct")),
    "geojson": Table(data.load_geojson, "geo/hunan_divisions.geojson", ()),
}

WHOLE_FILE = ("missing", "directory", "empty", "header_only", "truncated", "gbk", "utf16", "binary")


def clear_caches() -> None:
    for name in dir(data):
        fn = getattr(data, name)
        if hasattr(fn, "cache_clear"):
            fn.cache_clear()


def fresh_copy(dest: Path) -> Path:
    """A pristine copy of calibration/data at ``dest``."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(data.DATA_DIR, dest)
    return dest


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def _write_rows(path: Path, rows: list[list[str]]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def mutate(path: Path, how: str, *, column: str | None = None, row: int = 1, value: str = "garbage",
           fraction: float = 0.5, seed: int = 0) -> None:
    """Damage one file in place."""
    if how == "missing":
        path.unlink()
    elif how == "directory":
        path.unlink()
        path.mkdir()
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "header_only":
        path.write_bytes(path.read_bytes().split(b"\n", 1)[0] + b"\n")
    elif how == "truncated":
        raw = path.read_bytes()
        path.write_bytes(raw[: max(1, int(len(raw) * fraction))])
    elif how == "gbk":
        path.write_bytes(path.read_text(encoding="utf-8").encode("gbk", errors="replace"))
    elif how == "utf16":
        path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    elif how == "binary":
        path.write_bytes(random.Random(seed).randbytes(2048))
    elif how == "drop":
        rows = _rows(path)
        i = rows[0].index(column)
        _write_rows(path, [r[:i] + r[i + 1:] for r in rows])
    elif how == "cell":
        rows = _rows(path)
        i = rows[0].index(column)
        row = 1 + (row - 1) % (len(rows) - 1)
        rows[row][i] = value
        _write_rows(path, rows)
    else:  # pragma: no cover
        raise ValueError(how)


def numeric_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])]


def check_outcome(name: str, data_dir: Path, pristine: Any, *, optional: str | None = None) -> str | None:
    """Load the damaged table; ``None`` if the loader gave a clear DataError or a sound table, else the problem.

    ``optional``: a column whose blanks are legitimate (the shipped file has blanks in it).
    """
    table = TABLES[name]
    clear_caches()
    try:
        out = table.loader(data_dir)
    except DataError as exc:
        if str(data_dir) not in str(exc):
            return f"DataError does not name the file: {exc}"
        return None
    except Exception as exc:  # noqa: BLE001 - the point of the test
        return f"{type(exc).__name__} from inside a library: {str(exc)[:160]}"
    finally:
        clear_caches()
    return sound(name, out, pristine, optional=optional)


def sound(name: str, out: Any, pristine: Any, *, optional: str | None = None) -> str | None:
    """Whether an accepted table is as sound as the pristine one (no garbage let in silently)."""
    if isinstance(pristine, dict):
        if name == "geojson":
            ok = isinstance(out, dict) and len(out.get("features", [])) == len(pristine["features"])
            return None if ok else "geojson accepted with missing features"
        bad = {k: v for k, v in out.items() if not (isinstance(v, float) and np.isfinite(v) and v >= 0)}
        return f"accepted non-numeric totals {bad}" if bad else None
    if not isinstance(out, pd.DataFrame):
        return f"returned {type(out).__name__}"
    if len(out) == 0:
        return "accepted an empty table"
    for col in numeric_columns(pristine):
        if col == optional:
            continue
        if col not in out.columns:
            return f"column {col} vanished"
        values = pd.to_numeric(out[col], errors="coerce")
        new_nan = values.isna() & ~pristine[col].reindex(out.index).isna() if len(out) == len(pristine) \
            else values.isna() & (len(out) > 0)
        if not pd.api.types.is_numeric_dtype(out[col]) or new_nan.any():
            return f"garbage accepted in numeric column {col!r}: {out[col][new_nan | values.isna()].head(2).tolist()}"
    if name in ("divisions", "division_census", "plan_city_targets") and len(out) != len(pristine):
        return f"accepted {len(out)} rows instead of {len(pristine)}"
    if name == "counties_2010":
        total = out.population.sum()
        expected = pristine.population.sum()
        if abs(total - expected) > 0.01 * expected:
            return f"county populations sum to {total:,.0f} instead of about {expected:,.0f} (rows lost)"
    return None
