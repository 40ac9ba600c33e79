"""The results folder of a sweep: one Parquet file per run, failures, restarts and read-only queries.

Layout of ``DIR``::

    experiment.json        the experiment's definition, digest, master seed, code and data versions
    design.parquet         one row per planned run: index, scenario, lever and uncertainty values, seed
    runs/r000017.parquet   run 17's indicator rows (written last: its presence means the run is finished)
    flows/r000017.parquet  run 17's origin-destination flows (only with outputs.flows = true)
    failed/r000017.json    run 17's error, if it failed
    corrupt/...            result files found unreadable on restart, kept for inspection
    .lock                  held by the sweep writing to the folder

Every file is written to a temporary file and renamed (:func:`sim.run.write_table_atomic`), so a sweep killed at
any moment leaves either a complete file or none. ``design.parquet`` is written before ``experiment.json``, whose
presence marks the definition complete: a folder stopped before it is refused by ``report`` (with what to do) and
completed by the same sweep command, which also rewrites a missing or damaged design. Each run file carries the
run's levers, uncertainties, seed and the model's provenance in its Parquet metadata (key ``hunan_sim``, read
with :func:`sim.run.read_provenance`).

Only one process writes to a folder; any number may read it with :func:`query` (DuckDB over the Parquet files;
DuckDB itself allows one writer per database file, which is why results are not kept in a DuckDB file).
"""

from __future__ import annotations

import contextlib
import json
import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from experiments.spec import Experiment, PlannedRun, RunSpec
from sim.files import temporary_file
from sim.indicators import indicator_dictionary, with_units
from sim.errors import InputError
from sim.run import PROVENANCE_KEY, data_version, git_commit, package_versions, write_dictionary, write_table_atomic

if TYPE_CHECKING:
    import duckdb

try:  # POSIX only; elsewhere the folder is not locked
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

EXPERIMENT_FILE = "experiment.json"
DESIGN_FILE = "design.parquet"
#: The indicator dictionary (name, unit, definition, plan indicator) written beside the runs.
DICTIONARY_FILE = "indicators.csv"
FORMAT_VERSION = 1


class CorruptResultWarning(UserWarning):
    """A result file could not be read (or does not belong to its run) and the run will be redone."""


class CodeVersionWarning(UserWarning):
    """The folder's earlier runs were made with a different code or data version than this sweep."""


@dataclass
class ScanResult:
    """State of a results folder against an experiment's plan.

    Attributes:
        done: indices of runs with a valid result file.
        failed: index → the failure record of runs that failed (and have no result).
        corrupt: (file, reason) of result files found invalid and moved to ``corrupt/``.
    """

    done: set[int] = field(default_factory=set)
    failed: dict[int, dict[str, Any]] = field(default_factory=dict)
    corrupt: list[tuple[str, str]] = field(default_factory=list)


def code_version() -> str:
    """The git commit of the code (``sim.run.git_commit``), for ``experiment.json``, written before any run."""
    return git_commit()


def _atomic_text(path: Path, text: str) -> None:
    fd, tmp = temporary_file(path)  # mode from the umask (sim/files.py)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())  # on disk before the rename (a power cut must not leave an empty file)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run_table(spec: RunSpec, indicators: pd.DataFrame) -> pd.DataFrame:
    """A run's result table: its identity, levers and uncertainties as columns, then the indicator rows.

    The constant columns cost almost nothing in Parquet and make every file, and any query over the folder,
    self-describing.
    """
    n = len(indicators)
    cols: dict[str, Any] = {
        "run_index": pd.Series([spec.run_index] * n, dtype="int64"),
        "scenario": pd.Series([spec.scenario] * n, dtype="string"),
        "lever_point": pd.Series([spec.lever_point] * n, dtype="int64"),
        # the index of the uncertainty point: in a posterior design, the posterior draw (pairs runs across policies)
        "uncertainty_point": pd.Series([spec.uncertainty_point] * n, dtype="int64"),
        "replicate": pd.Series([spec.replicate] * n, dtype="int64"),
        "seed": pd.Series([spec.seed] * n, dtype="int64"),
    }
    for name, value in {**spec.levers, **spec.uncertainties}.items():
        dtype = "string" if isinstance(value, str) else "bool" if isinstance(value, bool) else \
            "int64" if isinstance(value, int) else "float64"
        cols[name] = pd.Series([value] * n, dtype=dtype)
    out = pd.DataFrame(cols)
    ind = indicators.reset_index(drop=True)
    out["year"] = ind["year"].astype("int64")
    out["region"] = ind["region"].astype("string")
    out["indicator"] = ind["indicator"].astype("string")
    out["value"] = ind["value"].astype("float64")
    return with_units(out)  # a unit column after indicator: each file says what its values measure


def design_table(plan: Sequence[PlannedRun]) -> pd.DataFrame:
    """One row per planned run: identity, scenario, lever values, uncertainty values, seed and digest."""
    rows = []
    for p in plan:
        s = p.spec
        rows.append({"run_index": s.run_index, "run_id": s.run_id, "scenario": s.scenario,
                     "lever_point": s.lever_point, "uncertainty_point": s.uncertainty_point,
                     "replicate": s.replicate, "seed": s.seed, "digest": s.digest, **s.levers, **s.uncertainties})
    return pd.DataFrame(rows)


class ResultStore:
    """The results folder of one experiment.

    Args:
        root: the folder.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.runs_dir = self.root / "runs"
        self.flows_dir = self.root / "flows"
        self.failed_dir = self.root / "failed"
        self.corrupt_dir = self.root / "corrupt"
        self._lock_fh: Any = None

    # ---- paths -------------------------------------------------------------------------------------------
    def run_path(self, spec: RunSpec) -> Path:
        """The indicator file of a run."""
        return self.runs_dir / f"{spec.run_id}.parquet"

    def flows_path(self, spec: RunSpec) -> Path:
        """The flow file of a run."""
        return self.flows_dir / f"{spec.run_id}.parquet"

    def failure_path(self, spec: RunSpec) -> Path:
        """The failure record of a run."""
        return self.failed_dir / f"{spec.run_id}.json"

    # ---- opening -----------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def locked(self) -> Iterator[ResultStore]:
        """Hold the folder's lock (released on exit, and by the OS if the process is killed)."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fh = (self.root / ".lock").open("a+")
        except OSError as exc:
            raise InputError(field="--out", value=str(self.root), source="command line",
                             allowed=f"a folder that can be created and written ({exc.strerror or exc})") from None
        if fcntl is not None:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.close()
                raise InputError(field="--out", value=str(self.root), allowed="a folder that no other running "
                                 "sweep is writing to", source="command line") from None
        self._lock_fh = fh
        try:
            yield self
        finally:
            self._lock_fh = None
            fh.close()

    def prepare(self, experiment: Experiment, plan: Sequence[PlannedRun], digest: str) -> dict[str, Any]:
        """Create the folder for ``experiment``, or check that it holds results of the same experiment.

        Returns:
            The folder's ``experiment.json`` content.

        Raises:
            InputError: the folder holds results of a different experiment (or a different version of it), or
                cannot be written (a full disk: the same command completes the folder later).
        """
        try:
            return self._prepare(experiment, plan, digest)
        except OSError as exc:
            raise InputError(field="--out", value=str(self.root), source="command line",
                             allowed=f"a folder that can be written, with free space ({exc.strerror or exc}); "
                                     "rerun the same command to continue") from None

    def _prepare(self, experiment: Experiment, plan: Sequence[PlannedRun], digest: str) -> dict[str, Any]:
        for d in (self.runs_dir, self.failed_dir):
            d.mkdir(parents=True, exist_ok=True)
        if experiment.outputs.flows:
            self.flows_dir.mkdir(exist_ok=True)
        self.remove_temporaries()
        path = self.root / EXPERIMENT_FILE
        current = {"format": FORMAT_VERSION, "name": experiment.name, "digest": digest, "n_runs": len(plan),
                   "master_seed": experiment.master_seed, "source": experiment.source,
                   "overrides": list(experiment.overrides), "uncertainty_note": experiment.uncertainty.note,
                   "definition": experiment.definition, "git_commit": code_version(),
                   "data_version": data_version(), "packages": package_versions(),
                   "created": datetime.now(UTC).isoformat(timespec="seconds")}
        if path.exists():
            try:
                old = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
                raise InputError(field=EXPERIMENT_FILE, value=str(exc)[:120], allowed="a readable experiment.json",
                                 source=str(self.root)) from None
            if not isinstance(old, dict):
                raise InputError(field=EXPERIMENT_FILE, value=type(old).__name__, source=str(self.root),
                                 allowed="the JSON object written by hunan-sim sweep")
            if old.get("digest") != digest:
                raise InputError(field="--out", value=str(self.root),
                                 allowed=f"a new folder, or one holding this same experiment (it holds "
                                 f"'{old.get('name')}' with digest {old.get('digest')}, this one is "
                                 f"'{experiment.name}' with digest {digest}: the definition, a scenario, the "
                                 f"posterior or an override changed)", source="command line")
            changed = [k for k in ("git_commit", "data_version") if old.get(k) != current[k]]
            if changed:
                then = ", ".join(f"{k} {old.get(k)}" for k in changed)
                now = ", ".join(f"{k} {current[k]}" for k in changed)
                warnings.warn(f"{self.root}: earlier runs were made with {then}; this sweep uses {now} (each run "
                              "file records its own)", CodeVersionWarning, stacklevel=2)
            if self._design_digest() != digest:  # a folder torn before this order was used: repair it
                self._write_design(experiment, plan, digest)
            if not (self.root / DICTIONARY_FILE).exists():  # a folder from before the dictionary existed
                write_dictionary(self.root / DICTIONARY_FILE)
            return old
        # experiment.json is written last: it marks the definition complete. A sweep stopped before it leaves a
        # folder that report refuses with a message and that the same command completes.
        self._write_design(experiment, plan, digest)
        write_dictionary(self.root / DICTIONARY_FILE)
        _atomic_text(path, json.dumps(current, indent=2, default=str))
        return current

    def _write_design(self, experiment: Experiment, plan: Sequence[PlannedRun], digest: str) -> None:
        write_table_atomic(design_table(plan), self.root / DESIGN_FILE, {"experiment": experiment.name,
                                                                        "digest": digest})

    def _design_digest(self) -> str | None:
        """The experiment digest recorded in ``design.parquet`` (``None`` if missing or unreadable)."""
        try:
            meta = pq.read_schema(self.root / DESIGN_FILE).metadata or {}
            return json.loads(meta[PROVENANCE_KEY]).get("digest")
        except (OSError, pa.ArrowException, KeyError, json.JSONDecodeError, AttributeError):
            return None

    def remove_temporaries(self) -> None:
        """Remove the hidden ``.*.tmp`` files of unfinished writes (call with the lock held).

        Left by a sweep killed while writing, or interrupted between creating a temporary file and the guard
        that removes it on error; no other writer can exist while we hold the lock."""
        for d in (self.root, self.runs_dir, self.flows_dir, self.failed_dir):
            if d.is_dir():
                for tmp in d.glob(".*.tmp"):
                    tmp.unlink(missing_ok=True)

    # ---- state -------------------------------------------------------------------------------------------
    def check_file(self, path: Path, spec: RunSpec) -> str | None:
        """Why a result file is not a valid result of ``spec`` (``None`` if it is)."""
        try:
            table = pq.read_table(path)  # reading everything also catches damage inside the file
        except (OSError, pa.ArrowException) as exc:
            return f"unreadable ({type(exc).__name__}: {str(exc)[:120]})"
        meta = table.schema.metadata or {}
        if PROVENANCE_KEY not in meta:
            return "no hunan_sim provenance in its metadata"
        try:
            run = json.loads(meta[PROVENANCE_KEY])["run"]
        except (json.JSONDecodeError, KeyError, TypeError):
            return "malformed provenance"
        if run.get("run_index") != spec.run_index or run.get("digest") != spec.digest:
            return f"belongs to run {run.get('run_index')} with digest {run.get('digest')}, not {spec.digest}"
        if table.num_rows == 0:
            return "no rows"
        return None

    def scan(self, plan: Sequence[PlannedRun], *, check: bool = True) -> ScanResult:
        """Which planned runs are done, failed or corrupt; corrupt files are moved to ``corrupt/`` with a
        :class:`CorruptResultWarning` so that their runs are redone."""
        result = ScanResult()
        for p in plan:
            spec = p.spec
            paths = [self.run_path(spec)] + ([self.flows_path(spec)] if p.outputs.flows else [])
            if paths[0].exists():
                reasons = [(q, self.check_file(q, spec) if q.exists() else "missing") for q in paths] if check \
                    else [(q, None) for q in paths]
                bad = [(q, r) for q, r in reasons if r]
                if not bad:
                    result.done.add(spec.run_index)
                    self.failure_path(spec).unlink(missing_ok=True)  # a retry that succeeded before a kill
                    continue
                for q, reason in bad:
                    if q.exists():
                        self._quarantine(q)
                    result.corrupt.append((str(q), reason))
                    warnings.warn(f"{q}: {reason}; run {spec.run_id} will be run again", CorruptResultWarning,
                                  stacklevel=2)
                for q in paths:  # a run is redone whole
                    if q.exists():
                        self._quarantine(q)
            fpath = self.failure_path(spec)
            if fpath.exists():
                try:
                    result.failed[spec.run_index] = json.loads(fpath.read_text(encoding="utf-8"))
                except (OSError, json.JSONDecodeError):
                    fpath.unlink(missing_ok=True)  # an unreadable failure record: just run it again
        return result

    def _quarantine(self, path: Path) -> None:
        self.corrupt_dir.mkdir(exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        os.replace(path, self.corrupt_dir / f"{path.parent.name}-{path.name}.{stamp}")

    # ---- writing -----------------------------------------------------------------------------------------
    def write_run(self, planned: PlannedRun, *, experiment: str, digest: str, indicators: pd.DataFrame,
                  flows: pd.DataFrame | None, provenance: dict[str, Any], elapsed: float, worker: str) -> Path:
        """Write a finished run (flows first, indicators last: the indicator file marks the run as done)."""
        spec = planned.spec
        meta = {"experiment": {"name": experiment, "digest": digest}, "run": spec.to_dict(),
                "model": provenance, "elapsed_seconds": round(elapsed, 3), "worker": worker}
        if flows is not None:
            write_table_atomic(flows, self.flows_path(spec), meta)
        path = self.run_path(spec)
        write_table_atomic(run_table(spec, indicators), path, meta)
        self.failure_path(spec).unlink(missing_ok=True)
        return path

    def write_failure(self, spec: RunSpec, *, error_type: str, message: str, traceback: str, worker: str) -> Path:
        """Record a failed run (its error, spec and time) as JSON."""
        path = self.failure_path(spec)
        previous = 0
        if path.exists():
            with contextlib.suppress(OSError, json.JSONDecodeError):
                previous = int(json.loads(path.read_text(encoding="utf-8")).get("attempts", 0))
        record = {"run": spec.to_dict(), "error_type": error_type, "message": message, "traceback": traceback,
                  "worker": worker, "attempts": previous + 1, "time": datetime.now(UTC).isoformat(timespec="seconds")}
        _atomic_text(path, json.dumps(record, indent=2, default=str))
        return path

    def read_experiment(self) -> dict[str, Any]:
        """The folder's ``experiment.json``, checked to be a complete definition (with ``design.parquet``).

        Raises:
            InputError: the folder is not a sweep's results folder, or its definition is incomplete or damaged
                (the message says to rerun the same ``hunan-sim sweep`` command, which repairs it).
        """
        check_folder(self.root)
        path = self.root / EXPERIMENT_FILE
        rerun = "; rerun the same hunan-sim sweep command to complete it"
        if not path.is_file():
            why = "design.parquet but no experiment.json: the sweep stopped before its definition was complete" \
                if (self.root / DESIGN_FILE).exists() else "no experiment.json"
            raise InputError(field="DIR", value=str(self.root), allowed=f"a folder written by hunan-sim sweep "
                             f"(this one has {why}{rerun if 'stopped' in why else ''})", source="command line")
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise InputError(field=EXPERIMENT_FILE, value=f"{type(exc).__name__}: {str(exc)[:120]}",
                             allowed="the JSON written by hunan-sim sweep", source=str(path)) from None
        if not isinstance(meta, dict) or not isinstance(meta.get("digest"), str) \
                or not isinstance(meta.get("name"), str) or not isinstance(meta.get("definition"), dict):
            raise InputError(field=EXPERIMENT_FILE, value="missing name, digest or definition",
                             allowed="the JSON written by hunan-sim sweep", source=str(path))
        if self._design_digest() != meta["digest"]:
            raise InputError(field=DESIGN_FILE, value="missing, unreadable or of another experiment",
                             allowed=f"the design of experiment digest {meta['digest']}{rerun}",
                             source=str(self.root))
        return meta


def check_folder(root: Path | str, *, field: str = "DIR") -> None:
    """Refuse a folder path that is a file or whose name is not valid UTF-8 (DuckDB, Parquet and JSON name
    files in UTF-8).

    Raises:
        InputError: naming the option, the path and what is allowed.
    """
    text = os.fspath(root)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(field=field, value=text, allowed="a path whose name is valid UTF-8",
                         source="command line") from None
    if not text.strip():
        raise InputError(field=field, value=text, allowed="a folder name (not empty)", source="command line")
    if Path(text).exists() and not Path(text).is_dir():
        raise InputError(field=field, value=text, allowed="a folder (this is a file)", source="command line")


# --------------------------------------------------------------------------------------------------------
# queries
# --------------------------------------------------------------------------------------------------------

def _sql_path(path: Path | str) -> str:
    return str(path).replace("'", "''")


def glob_escape(path: Path | str) -> str:
    """``path`` as a DuckDB glob matching only itself: ``*``, ``?`` and ``[`` become one-character classes.

    DuckDB expands these in every part of a path given to ``read_parquet``, so a folder named ``g[1]`` would
    otherwise read ``g1/``.
    """
    return "".join(f"[{c}]" if c in "*?[" else c for c in str(path))


def readable_run_files(folder: Path) -> list[Path]:
    """The ``r*.parquet`` files of ``folder`` whose Parquet footer reads; a torn file gets a
    :class:`CorruptResultWarning` (the next sweep with the same command moves it to ``corrupt/`` and redoes it)."""
    good = []
    for path in sorted(folder.glob("r*.parquet")):
        try:
            pq.read_metadata(path)
        except (OSError, pa.ArrowException) as exc:
            warnings.warn(f"{path}: unreadable ({str(exc)[:80]}), left out; rerun the same hunan-sim sweep command "
                          "to redo its run", CorruptResultWarning, stacklevel=3)
            continue
        good.append(path)
    return good


def _parquet_view(con: duckdb.DuckDBPyConnection, name: str, folder: Path, options: str = "",
                  keep: Callable[[Path], bool] | None = None) -> bool:
    """Create view ``name`` over the ``r*.parquet`` files of ``folder`` (those passing ``keep``); ``False`` if
    there is none.

    Paths are escaped for DuckDB's glob (:func:`glob_escape`). Creating the view reads every footer; if one is
    torn, the view is made over the readable files only, each named in a list.
    """
    import duckdb

    every = sorted(folder.glob("r*.parquet"))
    files = [f for f in every if keep is None or keep(f)]
    if not files:
        return False
    if len(files) == len(every):  # one glob: fast for many thousands of files
        source = f"'{_sql_path(glob_escape(folder))}/r*.parquet'"
    else:
        source = "[" + ", ".join(f"'{_sql_path(glob_escape(f))}'" for f in files) + "]"
    try:
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet({source}{options})")
        return True
    except duckdb.Error:
        readable = set(readable_run_files(folder))
    files = [f for f in files if f in readable]
    if not files:
        return False
    listed = ", ".join(f"'{_sql_path(glob_escape(f))}'" for f in files)
    con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet([{listed}]{options})")
    return True


def connect(root: Path | str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with read-only views over a results folder.

    Views: ``runs`` (every finished run's rows, with a ``unit`` column), ``design`` (the planned runs),
    ``flows`` (if kept), ``failures`` (one row per failed run), ``units`` (the folder's ``indicators.csv``:
    each indicator's unit, definition and plan indicator number) and ``provenance`` (``run_id`` and each run
    file's provenance as a JSON value: ``json_extract_string(provenance, '$.model.git_commit')``). Nothing is written to the folder. Run files whose footer is torn are
    left out with a :class:`CorruptResultWarning`.

    Raises:
        InputError: ``root`` is not a sweep's results folder.
    """
    import duckdb

    root = Path(root)
    check_folder(root)
    if not (root / EXPERIMENT_FILE).exists():
        raise InputError(field="DIR", value=str(root), allowed="a folder written by hunan-sim sweep",
                         source="command line")
    con = duckdb.connect(":memory:")
    if not _parquet_view(con, "runs", root / "runs", ", union_by_name = true"):
        con.execute("CREATE VIEW runs AS SELECT * FROM (SELECT NULL::BIGINT AS run_index, NULL::VARCHAR AS scenario, "
                    "NULL::BIGINT AS year, NULL::VARCHAR AS region, NULL::VARCHAR AS indicator, "
                    "NULL::DOUBLE AS value) WHERE false")
    if (root / DESIGN_FILE).exists():
        con.execute(f"CREATE VIEW design AS SELECT * FROM read_parquet('{_sql_path(glob_escape(root / DESIGN_FILE))}')")
    # only the flows of finished runs: a sweep stopped between a run's two files leaves its flows alone
    _parquet_view(con, "flows", root / "flows", ", union_by_name = true, filename = true",
                  keep=lambda f: (root / "runs" / f.name).exists())
    # each indicator's unit and definition; and each run's provenance as a JSON value (json_extract reads it)
    dictionary = indicator_dictionary() if not (root / DICTIONARY_FILE).is_file() else None
    if dictionary is None:
        con.execute(f"CREATE VIEW units AS SELECT * FROM read_csv('{_sql_path(glob_escape(root / DICTIONARY_FILE))}', "
                    "header = true, all_varchar = true)")
    else:
        con.register("units_df", dictionary)
        con.execute("CREATE VIEW units AS SELECT * FROM units_df")
    if any((root / "runs").glob("r*.parquet")):
        con.execute("CREATE VIEW provenance AS SELECT regexp_extract(file_name, 'r[0-9]+', 0) AS run_id, "
                    "decode(value)::JSON AS provenance FROM parquet_kv_metadata("
                    f"'{_sql_path(glob_escape(root / 'runs'))}/r*.parquet') WHERE decode(key) = 'hunan_sim'")
    else:
        con.execute("CREATE VIEW provenance AS SELECT NULL::VARCHAR AS run_id, NULL::JSON AS provenance WHERE false")
    failed = sorted((root / "failed").glob("r*.json"))
    rows = []
    for f in failed:
        with contextlib.suppress(OSError, json.JSONDecodeError):
            rec = json.loads(f.read_text(encoding="utf-8"))
            rows.append({"run_index": rec["run"]["run_index"], "error_type": rec.get("error_type"),
                         "message": rec.get("message"), "attempts": rec.get("attempts")})
    failures = pd.DataFrame(rows, columns=["run_index", "error_type", "message", "attempts"])
    con.register("failures_df", failures)
    con.execute("CREATE VIEW failures AS SELECT * FROM failures_df")
    return con


def query(root: Path | str, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
    """Run SQL over a results folder (the views of :func:`connect`) and return a table.

    >>> query("results/hukou-housing",
    ...       "SELECT scenario, public_rental_units_per_year, avg(value) AS urbanization_2025 FROM runs "
    ...       "WHERE indicator = 'urbanization_rate' AND region = 'Hunan' AND year = 2025 "
    ...       "GROUP BY ALL")  # doctest: +SKIP
    """
    con = connect(root)
    try:
        return con.execute(sql, params or []).df()
    finally:
        con.close()
