"""Damaged data tables: every loader in sim.data must raise one DataError naming the file, or return a sound table.

A grid of damages (whole-file: missing, a directory, empty, header only, truncated, GBK, UTF-16, random bytes;
per required column: dropped, garbage, blank) runs on a copy of calibration/data for every loader; a
hypothesis fuzz then writes arbitrary text into arbitrary cells. Known bugs are strict xfails with the fix
in the reason (see RELIABILITY.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from data_mutations import TABLES, WHOLE_FILE, check_outcome, clear_caches, fresh_copy, mutate

R_OSERROR = ("sim/data.py _read_csv catches ParserError/UnicodeDecodeError/EmptyDataError but not OSError "
             "(IsADirectoryError, PermissionError): add OSError to the except tuple")
R_GEOJSON = ("sim/data.py load_geojson has no checks: a missing, truncated or non-UTF-8 file raises "
             "FileNotFoundError/JSONDecodeError/UnicodeDecodeError; wrap open+json.load and raise DataError(field='file')")
R_EMPTY = ("sim/data.py _read_csv accepts a header-only file (0 rows) silently: raise DataError(field='rows', "
           "value=0, allowed='at least one data row') when df.empty")
R_ADCODE = "sim/data.py load_divisions never checks 'adcode': add _check_range(coords, 'adcode', 430000, 439999, path)"
R_CENSUS_VALUE = ("sim/data.py load_divisions: a non-numeric census 'value' fails in values.astype(float) with "
                  "ValueError; use pd.to_numeric(..., errors='coerce') and raise DataError for NaN")
R_CODE = ("sim/data.py load_counties_2010: a garbage or blank 区划代码 fails in 'df.code % 100' (TypeError) or "
          "astype(int) (ValueError); coerce with pd.to_numeric and raise DataError naming the row")
R_TRUNC = ("sim/data.py load_counties_2010 accepts a truncated census table (half the counties lost, no error): "
           "check that the county populations sum to the province row (430000) within 1 %")
R_PROVINCE = ("sim/data.py load_province_totals_2010: float(r['合计']) raises ValueError on garbage and gives NaN on "
              "a blank; check each total with _check_range")
R_TRAVEL = ("sim/data.py load_travel_times: garbage or blank rail minutes become NaN travel times silently; "
            "_check_range(df, 'rail_minutes', 1, 1440, path) after computing it")
R_SERIES = "sim/data.py load_province_series never checks 'value': add a numeric check (pd.to_numeric, DataError)"
R_PLAN = ("sim/data.py load_plan_indicators checks no values: 'id' and the non-blank value_2020/target_* must be "
          "numbers (pd.to_numeric, DataError)")

KNOWN: dict[tuple[str, str], str] = {}  # every damage found by this grid is fixed (see RELIABILITY.md)


def _cases():
    for name, table in TABLES.items():
        labels = list(WHOLE_FILE) + [f"{k}:{c}" for k in ("drop", "garbage", "blank") for c in table.required]
        for label in labels:
            marks = [pytest.mark.xfail(strict=True, reason=KNOWN[(name, label)])] if (name, label) in KNOWN else []
            yield pytest.param(name, label, marks=marks, id=f"{name}-{label}")


@pytest.fixture(scope="module")
def pristine():
    clear_caches()
    return {name: t.loader(fresh_copy.__globals__["data"].DATA_DIR) for name, t in TABLES.items()}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("data_fuzz")


@pytest.mark.parametrize("name,label", list(_cases()))
def test_damaged_table_gives_one_clear_error_or_a_sound_table(name, label, pristine, workdir):
    table = TABLES[name]
    data_dir = fresh_copy(workdir / "data")
    kind, _, column = label.partition(":")
    if kind in ("drop", "garbage", "blank"):
        mutate(data_dir / table.file, "drop" if kind == "drop" else "cell", column=column,
               value="garbage" if kind == "garbage" else "")
    else:
        mutate(data_dir / table.file, kind)
    frame = pristine[name]
    optional = column if kind == "blank" and hasattr(frame, "columns") and column in frame.columns \
        and frame[column].isna().any() else None  # blanks already in the shipped file are legitimate
    problem = check_outcome(name, data_dir, frame, optional=optional)
    assert problem is None, problem


#: (table, column) pairs whose damage is already a known bug above: the fuzz looks for new ones.
_KNOWN_COLUMNS = {(t, m.split(":", 1)[1]) for (t, m) in KNOWN if ":" in m}
_CELL_TABLES = [n for n in TABLES if n != "geojson"]


@pytest.mark.slow
@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(name=st.sampled_from(_CELL_TABLES), col_index=st.integers(0, 30), row=st.integers(1, 200),
       value=st.one_of(st.text(max_size=12), st.sampled_from(["-1", "1e309", "nan", "inf", "0", "１２", "NULL",
                                                              "99999999999999999999", "\x00", "\"", "a,b"])))
def test_fuzz_any_cell_of_any_table(name, col_index, row, value, pristine, workdir):
    table = TABLES[name]
    header = pristine_header(table)
    column = header[col_index % len(header)]
    assume((name, column) not in _KNOWN_COLUMNS)
    data_dir = fresh_copy(workdir / "fuzz")
    mutate(data_dir / table.file, "cell", column=column, row=row, value=value)
    frame = pristine[name]
    optional = column if hasattr(frame, "columns") and column in frame.columns and frame[column].isna().any() \
        and not value.strip() else None
    problem = check_outcome(name, data_dir, frame, optional=optional)
    assert problem is None, f"{table.file} column {column!r} row {row} = {value!r}: {problem}"


def pristine_header(table) -> list[str]:
    from data_mutations import _rows, data

    return _rows(data.DATA_DIR / table.file)[0]
