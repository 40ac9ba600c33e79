"""The model as a function: parameters in, tables out; and writing results with provenance.

>>> from sim.run import run_simulation
>>> result = run_simulation(scenario="baseline", end_year=2020, seed=1, scale=1000)
>>> result.indicators.query("region == 'Hunan' and indicator == 'urbanization_rate'")  # doctest: +SKIP

:func:`write_results` writes ``indicators.parquet`` (with a ``unit`` column) and ``flows.parquet`` with the
provenance (parameters, scenario, seed, scale, code version, package versions, input data hash) in the Parquet
metadata under the key ``hunan_sim``, and beside them ``indicators.csv`` (each indicator's unit, definition and
plan indicator number) and ``provenance.json`` (the same provenance as a plain JSON file). All are written into
a temporary folder beside the results folder, which is then renamed into place (:class:`StagedOutput`):
whatever moment a crash or a full disk strikes, the results folder holds either no files, the earlier set or
the new set, never the new indicators beside the old flows. Files get the mode the umask gives (sim/files.py).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import hashlib
import json
import os
import platform
import secrets
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.files import replaced_on_success, write_text_atomic
from sim.indicators import indicator_dictionary, with_units
from sim.data import DATA_DIR, DIVISION_EFFECT_PARTS, DIVISION_EFFECTS_PATH, MODEL_INPUTS, PLACE_EFFECTS_PATH
from sim.errors import InputError
from sim.model import HunanModel
from sim.parameters import ModelParameters
from sim.scenario import Scenario, check_policy_start
from sim.years import HORIZON_YEAR as LAST_YEAR
from sim.years import PLAN_END_YEAR, POLICY_START_YEAR, START_YEAR

PROVENANCE_KEY = b"hunan_sim"
#: Parquet metadata key of a tidy indicator file's ``{indicator: unit}`` map (JSON).
UNITS_KEY = b"hunan_sim_units"


@dataclass
class RunResult:
    """Outputs of one run: the indicator table, the flow table and their provenance."""

    indicators: pd.DataFrame
    flows: pd.DataFrame
    provenance: dict[str, Any] = field(default_factory=dict)


def _whole(value: Any) -> Any:
    # numpy integers (EMA's IntegerParameter, pandas columns) are the Python ints they hold; bools stay bools
    return value.item() if isinstance(value, np.integer | np.bool_) else value


def run_simulation(*, scenario: Scenario | str = "baseline", params: ModelParameters | None = None,
                   seed: int = 1, scale: float = 100, end_year: int = PLAN_END_YEAR,
                   levers: dict[str, Any] | None = None, policy_start: int = POLICY_START_YEAR,
                   division_effects: np.ndarray | None = None, progress: Callable[[int], None] | None = None,
                   **parameters: float) -> RunResult:
    """Run the model from 2010 to ``end_year`` and return its tables.

    Every number may be a Python or a numpy scalar (``np.int64``, ``np.float64``, ``np.bool_``), as EMA
    Workbench and pandas hand them over.

    Args:
        scenario: a scenario or the name of a file in ``scenarios/``.
        params: behavioural parameters (default: calibrated medians, else declared defaults).
        seed: the random seed (reproducible bit for bit).
        scale: households per agent record.
        end_year: last simulated year (2011-2100).
        levers: extra lever values on top of the scenario, in force from ``policy_start`` (``{lever: value}``
            or ``{lever: {city: value}}``).
        policy_start: first year ``levers`` apply; default the year after the calibration period
            (:data:`sim.years.POLICY_START_YEAR`), so the calibrated history 2010-2020 is not rewritten. Pass
            2010 to apply them from the start.
        division_effects: calibrated effects of each division, shape ``(14, 3)``
            (default: ``calibration/division_effects.json``, see :func:`sim.data.load_division_effects`).
        progress: called with each simulated year once it is done (e.g. to update a progress bar).
        **parameters: behavioural parameters by name, on top of ``params`` (e.g. ``taste_scale=1.2``).
    """
    end_year, seed, scale = _whole(end_year), _whole(seed), _whole(scale)
    if isinstance(scale, np.floating):
        scale = float(scale)
    if isinstance(end_year, bool) or not isinstance(end_year, int) or not START_YEAR < end_year <= LAST_YEAR:
        raise InputError(field="end", value=end_year, allowed=f"a year from {START_YEAR + 1} to {LAST_YEAR}",
                         source="run")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(field="seed", value=seed, allowed="a whole number >= 0", source="run")
    policy_start = check_policy_start(policy_start)
    scen = scenario if isinstance(scenario, Scenario) else Scenario.load(scenario)
    if levers:
        scen = scen.with_levers(levers, from_year=policy_start, source="levers")
    if parameters:
        if params is None:
            from sim.parameters_default import default_parameters

            params = default_parameters()
        params = params.replace(**parameters)
    model = HunanModel(scenario=scen, params=params, scale=scale, rng=seed, division_effects=division_effects)
    while model.year < end_year:
        model.step()
        if progress is not None:
            progress(model.year)
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
    """SHA-256 over the model's input data files and the calibrated division and place effects (so results name
    their inputs).

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
    if PLACE_EFFECTS_PATH.exists():
        digest.update(PLACE_EFFECTS_PATH.read_bytes())
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
    """Write a Parquet file with ``meta`` as JSON in its metadata, via a temporary file and a rename.

    A tidy indicator table (with ``indicator`` and ``unit`` columns) also gets ``hunan_sim_units``, a JSON map
    from each indicator in it to its unit, in its metadata. The file's mode follows the umask (sim/files.py).
    """
    table = pa.Table.from_pandas(df, preserve_index=False)
    extra = {PROVENANCE_KEY: json.dumps(meta, default=str).encode()}
    if {"indicator", "unit"} <= set(df.columns):
        units = dict(zip(df["indicator"].astype(str), df["unit"].astype(str), strict=True))
        extra[UNITS_KEY] = json.dumps(dict(sorted(units.items())), ensure_ascii=False).encode()
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **extra})
    path.parent.mkdir(parents=True, exist_ok=True)
    with replaced_on_success(path) as tmp:
        pq.write_table(table, tmp)


def write_dictionary(path: Path) -> None:
    """Write the indicator dictionary (:func:`sim.indicators.indicator_dictionary`) as CSV to ``path``."""
    write_text_atomic(path, indicator_dictionary().to_csv(index=False, lineterminator="\n"))


#: The files of a ``hunan-sim run`` results folder: the tables (the first two, the ones a results folder must
#: have), the indicator dictionary (name, unit, definition, plan indicator) and the provenance as plain JSON.
RESULT_FILES = ("indicators.parquet", "flows.parquet", "indicators.csv", "provenance.json")
#: The files every results folder has (folders written before the dictionary and the JSON provenance existed
#: hold these two only).
TABLE_FILES = RESULT_FILES[:2]


def _fsync_dir(path: Path) -> None:
    # a rename is durable only once its folder's entry is on disk (a power cut, not a kill, would lose it)
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


_RENAME_EXCHANGE = 2  # linux/fs.h


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); ``False`` where unsupported."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):  # not Linux, or a C library without renameat2
        return False
    at_fdcwd = -100
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):  # a file system without it: fall back
        return False
    raise OSError(err, os.strerror(err), str(b))


def _new_hidden_folder(parent: Path, name: str, suffix: str) -> Path:
    # os.mkdir keeps the user's umask (tempfile.mkdtemp would make the results folder private, 0700)
    while True:
        path = parent / f".{name}.{secrets.token_hex(4)}{suffix}"
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue


def _rename_into_place(stage: Path, out: Path) -> None:
    os.replace(stage, out)  # onto nothing or onto an empty folder: one step


def _replace_folder(stage: Path, out: Path) -> Path:
    """Put ``stage`` at ``out`` in place of the folder there; return where the earlier folder now is.

    One atomic exchange where the file system supports it; else two renames, the earlier folder moved aside
    (into a hidden sibling) before the new one is moved in, so it is never deleted before the new one is in place.
    """
    if _exchange(stage, out):
        return stage
    aside = _new_hidden_folder(out.parent, out.name, ".old")
    os.rename(out, aside / out.name)
    os.rename(stage, out)
    return aside


def _is_results_folder(path: Path) -> bool:
    names = {p.name for p in path.iterdir()}
    return bool(names) and names <= set(RESULT_FILES)


class StagedOutput:
    """A results folder written whole: files go into a temporary sibling folder that :meth:`commit` renames
    into place, so a crash or a full disk at any step leaves the folder absent, as it was, or complete.

    Everything that can be checked is checked by the constructor, before any simulation: ``out`` must not be
    empty, its name must be valid UTF-8 (Parquet and JSON store paths as UTF-8), it must be a new folder, an
    empty one, or (with ``overwrite``) the results folder of an earlier run; its parent must be writable.

    Args:
        out: the results folder.
        overwrite: replace an earlier run's results folder (the earlier pair stays whole until the new pair is).

    Raises:
        InputError: ``out`` is not allowed or cannot be written; nothing has been created then.
    """

    def __init__(self, out: Path | str, *, overwrite: bool = False) -> None:
        text = os.fspath(out)
        if not text.strip():
            raise InputError(field="--out", value=text, allowed="a folder name (not empty)", source="command line")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise InputError(field="--out", value=text, allowed="a path whose name is valid UTF-8 (the results "
                             "record their own path as UTF-8)", source="command line") from None
        path = Path(text)
        self.out = Path(os.path.realpath(path)) if path.is_symlink() else path
        self.overwrite = overwrite
        if self.out.exists() or self.out.is_symlink():
            self._check_existing()
        parent = self.out.parent
        self._created: list[Path] = []  # parents this run creates, removed again if it fails
        for p in [parent, *parent.parents]:
            if p.exists() or p.is_symlink():
                break
            self._created.append(p)
        try:
            parent.mkdir(parents=True, exist_ok=True)
            self.stage = _new_hidden_folder(parent, self.out.name, ".tmp")
        except OSError as exc:
            self._remove_created()
            raise InputError(field="--out", value=str(self.out), source="command line",
                             allowed=f"a folder that can be created ({exc.strerror or exc})") from None

    def _check_existing(self) -> None:
        out = self.out
        if not out.is_dir():
            raise InputError(field="--out", value=str(out), allowed="a folder (this is a file)", source="command line")
        try:
            is_results = _is_results_folder(out)
            empty = not any(out.iterdir())
        except OSError as exc:
            raise InputError(field="--out", value=str(out), allowed=f"a folder that can be read ({exc.strerror})",
                             source="command line") from None
        if not empty and not is_results:
            raise InputError(field="--out", value=str(out), source="command line",
                             allowed="a new or empty folder, or the results folder of an earlier run (this folder "
                                     "holds other files; it is never replaced)")
        if is_results and not self.overwrite:
            raise InputError(field="--out", value=str(out), source="command line",
                             allowed="a new or empty folder (this one holds an earlier run's results; add "
                                     "--overwrite to replace them)")
        if not os.access(out, os.W_OK) or not os.access(out.parent, os.W_OK):
            raise InputError(field="--out", value=str(out), allowed="a folder you can write to (this one is "
                             "read-only)", source="command line")

    def _remove_created(self) -> None:
        for p in self._created:  # innermost first; only folders still empty
            with contextlib.suppress(OSError):
                p.rmdir()

    def discard(self) -> None:
        """Remove the temporary folder (and any parent folder this run created)."""
        shutil.rmtree(self.stage, ignore_errors=True)
        self._remove_created()

    def commit(self) -> Path:
        """Rename the finished temporary folder into place (replacing an earlier results folder in one step
        where the file system allows, else with two renames, the old folder kept until the new is in place).

        Raises:
            InputError: the folder could not be put in place (nothing of the earlier results is lost).
        """
        for name in RESULT_FILES:  # finished files only
            if not (self.stage / name).is_file():
                raise RuntimeError(f"{self.stage}: {name} was not written")
        _fsync_dir(self.stage)
        try:
            if self.out.is_dir() and any(self.out.iterdir()):
                if not self.overwrite or not _is_results_folder(self.out):  # appeared while simulating
                    self._check_existing()
                old = _replace_folder(self.stage, self.out)
                _fsync_dir(self.out.parent)
                shutil.rmtree(old, ignore_errors=True)
            else:
                _rename_into_place(self.stage, self.out)
                _fsync_dir(self.out.parent)
        except OSError as exc:
            raise InputError(field="--out", value=str(self.out), source="command line",
                             allowed=f"a folder that can be written ({exc.strerror or exc})") from None
        return self.out

    def write(self, result: RunResult) -> list[Path]:
        """Write the results folder's files (:data:`RESULT_FILES`) into the temporary folder.

        ``indicators.parquet`` gets a ``unit`` column (:func:`sim.indicators.with_units`); ``indicators.csv``
        is the indicator dictionary; ``provenance.json`` is the provenance also stored in both Parquet files'
        metadata, as a plain JSON file (``json_extract`` in DuckDB reads it; docs/guide-analysts.md).

        Returns:
            The paths the files will have once the folder is committed.

        Raises:
            InputError: a full disk or another write error (the results folder is untouched).
        """
        try:
            write_table_atomic(with_units(result.indicators), self.stage / RESULT_FILES[0], result.provenance)
            write_table_atomic(result.flows, self.stage / RESULT_FILES[1], result.provenance)
            write_dictionary(self.stage / RESULT_FILES[2])
            write_text_atomic(self.stage / RESULT_FILES[3], json.dumps(result.provenance, indent=1, default=str,
                                                                       ensure_ascii=False) + "\n")
        except OSError as exc:  # e.g. a full disk: the stage is discarded on exit, the results folder is as it was
            raise InputError(field="--out", value=str(self.out), source="command line",
                             allowed=f"a folder with free space ({exc.strerror or exc}); nothing was changed") from None
        return [self.out / name for name in RESULT_FILES]

    def __enter__(self) -> StagedOutput:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            try:
                self.commit()
            except BaseException:
                self.discard()
                raise
        else:
            self.discard()


def write_results(result: RunResult, out_dir: Path | str, *, overwrite: bool = False) -> list[Path]:
    """Write a run's results folder ``out_dir`` (:data:`RESULT_FILES`; see :class:`StagedOutput`).

    Args:
        result: the run's tables.
        out_dir: the results folder (new or empty, or an earlier run's with ``overwrite``).
        overwrite: replace an earlier run's results folder.

    Returns:
        The paths of the files.
    """
    with StagedOutput(out_dir, overwrite=overwrite) as staged:
        return staged.write(result)


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
