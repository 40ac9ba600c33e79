"""ABC-SMC calibration of the Hunan model with pyabc on Dask: resumable, repeatable from a seed.

Every generation is run as "load the history, run one generation" (``abc.load(db, run_id)`` then
``abc.run(max_nr_populations=1)``), also the very first one after ``abc.new``. An interrupted calibration
therefore resumes along exactly the code path an uninterrupted one takes, and with the seeded sampler
(:mod:`calibration.sampler`) it gives the same posterior bit for bit. The results folder holds:

* ``abc.db``: pyabc's SQLite history (every generation's particles, weights, distances and simulations);
* ``run.json``: the settings (checked on ``--resume``), pyabc's run id and one record per finished generation
  (epsilon, acceptance, evaluations, wall time).

Settings that change the posterior (particles, scale, seed, the estimated parameters, the targets, the
epsilon schedule) must match on resume; the number of generations, workers and scheduler may change.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyabc

from calibration.posterior import (
    FORMAT,
    POSTERIOR_PATH,
    fit_summary,
    git_commit,
    resample_equal_weights,
    summarise,
    weighted_quantile,
    write_posterior,
)
from calibration.sampler import ProgressCallback, SeededDaskSampler
from calibration.simulator import (
    CALIBRATION_END,
    CALIBRATION_START,
    HunanSimulator,
    PatternDistance,
    build_prior,
    calibrated_parameters,
    search_bounds,
)
from calibration.targets import LAST_OBSERVED_YEAR, load_targets, observed_statistics, targets_hash
from calibration.transition import BoxTransition
from sim.files import temporary_file
from sim.ensemble import dask_client
from sim.errors import InputError
from sim.parameters import ModelParameters

DB_NAME = "abc.db"
RUN_FILE = "run.json"
DEFAULT_OUT = Path("results") / "calibration"

#: ``on_generation(record)`` is called after each finished generation with its ``run.json`` record.
GenerationCallback = Callable[[dict[str, Any]], None]


@dataclass(frozen=True, kw_only=True)
class CalibrationSettings:
    """What determines a calibration's result (all recorded in ``run.json`` and the posterior's provenance).

    Attributes:
        particles: accepted particles per generation (pyabc's population size).
        generations: generations to run in total (a resumed run continues up to this number).
        scale: households per agent record in every simulation (smaller is slower and less noisy).
        seed: the calibration seed (pyabc's proposals and every model seed derive from it).
        include_assumptions: also estimate the ``assumption`` parameters.
        epsilon_quantile: each generation's threshold is this weighted quantile of the previous generation's
            distances (pyabc's ``QuantileEpsilon``; 0.5 is its default median schedule).
        min_epsilon: stop early once a generation's threshold is at or below this distance.
        n_samples: equal-weight posterior draws written to the posterior file (between 200 and 1000).
        batch_size: simulations per Dask task.
        kernel_scaling: multiplies the perturbation boxes' half-widths (:class:`calibration.transition.BoxTransition`,
            whose default gives the kernel the population's variance).
        parameters: the parameters to estimate (empty: every ``calibrated`` one, plus the ``assumption`` ones
            with ``include_assumptions``); the others stay at their declared values. ``hunan-sim calibrate``
            passes the Morris screening's selection (:mod:`calibration.screening`).
        search_box: the searched part of each declared range, as a fraction of it, centred on the declared
            default (:func:`calibration.simulator.search_bounds`; 1 = the whole range).
    """

    particles: int = 200
    generations: int = 8
    scale: float = 300.0
    seed: int = 1
    include_assumptions: bool = False
    epsilon_quantile: float = 0.5
    min_epsilon: float = 0.0
    n_samples: int = 400
    batch_size: int = 1
    kernel_scaling: float = 1.0
    parameters: tuple[str, ...] = ()
    search_box: float = 1.0

    def __post_init__(self) -> None:
        checks = [
            ("particles", self.particles, isinstance(self.particles, int) and self.particles >= 2,
             "a whole number >= 2"),
            ("generations", self.generations, isinstance(self.generations, int) and self.generations >= 1,
             "a whole number >= 1"),
            ("scale", self.scale, isinstance(self.scale, int | float) and self.scale >= 1,
             "households per agent, a number >= 1"),
            ("seed", self.seed, isinstance(self.seed, int) and self.seed >= 0, "a whole number >= 0"),
            ("epsilon_quantile", self.epsilon_quantile, 0 < self.epsilon_quantile < 1, "a number in (0, 1)"),
            ("min_epsilon", self.min_epsilon, self.min_epsilon >= 0, "a number >= 0"),
            ("n_samples", self.n_samples, isinstance(self.n_samples, int) and 200 <= self.n_samples <= 1000,
             "a whole number from 200 to 1000"),
            ("batch_size", self.batch_size, isinstance(self.batch_size, int) and self.batch_size >= 1,
             "a whole number >= 1"),
            ("kernel_scaling", self.kernel_scaling, self.kernel_scaling > 0, "a number > 0"),
            ("search_box", self.search_box, 0 < self.search_box <= 1, "a number in (0, 1]"),
        ]
        for name, value, ok, allowed in checks:
            if isinstance(value, bool) or not ok:
                raise InputError(field=name, value=value, allowed=allowed, source="calibration settings")
        known = calibrated_parameters(include_assumptions=True)
        unknown = [p for p in self.parameters if p not in known]
        if unknown:
            raise InputError(field="parameters", value=unknown[0], source="calibration settings",
                             allowed="names of calibrated or assumption parameters: " + ", ".join(known))

    def parameter_names(self) -> list[str]:
        """The estimated parameters, in declaration order."""
        if not self.parameters:
            return calibrated_parameters(include_assumptions=self.include_assumptions)
        return [p for p in calibrated_parameters(include_assumptions=True) if p in self.parameters]

    def fingerprint(self) -> dict[str, Any]:
        """The settings a resumed run must share with the original (everything that shapes the posterior)."""
        return {"particles": self.particles, "scale": float(self.scale), "seed": self.seed,
                "include_assumptions": self.include_assumptions, "epsilon_quantile": self.epsilon_quantile,
                "kernel_scaling": self.kernel_scaling, "search_box": self.search_box,
                "parameters": self.parameter_names(),
                "targets_hash": targets_hash()}


@dataclass
class CalibrationResult:
    """What a calibration produced.

    Attributes:
        posterior: the posterior dictionary (as written to the posterior file).
        posterior_path: where it was written (``None`` if not written).
        out_dir: the results folder (history and run log).
        generations: the run log, one record per finished generation.
    """

    posterior: dict[str, Any]
    posterior_path: Path | None
    out_dir: Path
    generations: list[dict[str, Any]] = field(default_factory=list)


def _write_json_atomic(path: Path, data: Any) -> None:
    fd, tmp = temporary_file(path)  # mode from the umask (sim/files.py)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, default=str)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _db_url(out_dir: Path) -> str:
    return "sqlite:///" + str((out_dir / DB_NAME).resolve())


def _prepare_out_dir(out_dir: Path, settings: CalibrationSettings, resume: bool) -> dict[str, Any]:
    """Check the results folder against ``resume`` and return the run record (new or loaded)."""
    run_file, db = out_dir / RUN_FILE, out_dir / DB_NAME
    if not resume:
        if db.exists() or run_file.exists():
            raise InputError(field="--out", value=str(out_dir), allowed="a folder without a calibration in it "
                             "(or add --resume to continue that calibration)", source="command line")
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(field="--out", value=str(out_dir), source="command line",
                             allowed=f"a folder that can be created ({exc.strerror or exc})") from None
        return {"settings": asdict(settings), "fingerprint": settings.fingerprint(), "run_id": None,
                "generations": [], "sessions": []}
    if not run_file.exists():
        raise InputError(field="--resume", value=str(out_dir), allowed=f"a folder holding {RUN_FILE} and {DB_NAME} "
                         "from an earlier calibration", source="command line")
    try:
        run = json.loads(run_file.read_text(encoding="utf-8"))
        old, new = run["fingerprint"], settings.fingerprint()
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(field="--resume", value=str(run_file), allowed=f"a readable run log written by "
                         f"`hunan-sim calibrate` ({exc})", source="command line") from None
    for key in new:
        if old.get(key) != new[key]:
            raise InputError(field=key, value=new[key], allowed=f"{old.get(key)!r}, as in the calibration being "
                             f"resumed ({run_file})", source="command line")
    if run.get("run_id") is not None and not db.exists():
        raise InputError(field="--resume", value=str(db), allowed="the pyabc history of the run", source=str(run_file))
    run["settings"] = asdict(settings)
    return run


def _build_abc(settings: CalibrationSettings, sampler: SeededDaskSampler) -> pyabc.ABCSMC:
    names = settings.parameter_names()
    targets = load_targets()
    simulator = HunanSimulator(scale=float(settings.scale), seed=settings.seed, targets=targets)
    return pyabc.ABCSMC(
        models=simulator,
        parameter_priors=build_prior(names, settings.search_box),
        distance_function=PatternDistance(targets),
        population_size=settings.particles,
        eps=pyabc.QuantileEpsilon(alpha=settings.epsilon_quantile),
        transitions=BoxTransition(bounds=search_bounds(names, settings.search_box), scaling=settings.kernel_scaling),
        sampler=sampler,
    )


def run_calibration(settings: CalibrationSettings, *, out_dir: Path | str = DEFAULT_OUT, resume: bool = False,
                    workers: int | None = None, scheduler: str | None = None,
                    posterior_path: Path | str | None = POSTERIOR_PATH, progress: ProgressCallback | None = None,
                    on_generation: GenerationCallback | None = None) -> CalibrationResult:
    """Calibrate the model by ABC-SMC on a Dask cluster and write the posterior.

    Args:
        settings: the calibration settings.
        out_dir: results folder for the pyabc history and the run log.
        resume: continue the calibration in ``out_dir`` (same settings except generations and workers).
        workers: local Dask workers (default one per core); ignored with ``scheduler``.
        scheduler: address of a running Dask scheduler (default: start a local cluster).
        posterior_path: where to write the posterior (``None``: do not write it).
        progress: called during each generation with accepted / wanted / evaluated particles.
        on_generation: called after each generation with its record.

    Raises:
        InputError: for a results folder that does not fit ``resume``, or settings that differ from the
            calibration being resumed.
    """
    out_dir = Path(out_dir)
    if scheduler:  # refuse a malformed address before anything is written
        from distributed.comm.addressing import parse_address, parse_host_port

        try:
            parse_host_port(parse_address(scheduler)[1])
        except (ValueError, TypeError) as exc:
            raise InputError(field="--scheduler", value=scheduler, source="command line",
                             allowed=f"a scheduler address such as tcp://host:8786 ({exc})") from None
    run = _prepare_out_dir(out_dir, settings, resume)
    run_file = out_dir / RUN_FILE
    session = {"started": datetime.now(UTC).isoformat(timespec="seconds"), "resume": resume,
               "workers": workers, "scheduler": scheduler, "git_commit": git_commit()}
    run["sessions"].append(session)
    _write_json_atomic(run_file, run)
    logging.getLogger("ABC").setLevel(logging.WARNING)  # progress is reported per generation instead

    _sync_log_with_history(run, out_dir)
    with dask_client(workers=workers, scheduler=scheduler) as client:
        session["cores"] = int(sum(client.ncores().values()))
        while len(run["generations"]) < settings.generations:
            if run["generations"] and run["generations"][-1]["epsilon"] <= settings.min_epsilon:
                break
            sampler = SeededDaskSampler(dask_client=client, seed=settings.seed, batch_size=settings.batch_size,
                                        progress=progress)
            abc = _build_abc(settings, sampler)
            if run["run_id"] is None:
                history = abc.new(_db_url(out_dir), observed_statistics())
                run["run_id"] = int(history.id)
                _write_json_atomic(run_file, run)
            else:
                abc.load(_db_url(out_dir), run["run_id"])
            started = time.perf_counter()
            history = abc.run(max_nr_populations=1)
            seconds = time.perf_counter() - started
            t = int(history.max_t)
            pops = history.get_all_populations().set_index("t")
            weights, distances = _population_distances(history, t)
            record = {"t": t, "epsilon": float(pops.loc[t, "epsilon"]), "accepted": settings.particles,
                      "evaluations": int(pops.loc[t, "samples"]), "submitted": int(sampler.submitted_),
                      "acceptance_rate": settings.particles / max(int(pops.loc[t, "samples"]), 1),
                      "median_distance": float(np.median(distances)),
                      "ess": float(1.0 / np.sum((weights / weights.sum()) ** 2)), "seconds": round(seconds, 2),
                      "finished": datetime.now(UTC).isoformat(timespec="seconds")}
            if t == 0:  # the prior sample pyabc draws to set the first threshold is part of the cost
                record["calibration_sample"] = settings.particles
            run["generations"] = [g for g in run["generations"] if g["t"] < t] + [record]
            _write_json_atomic(run_file, run)
            if on_generation is not None:
                on_generation(record)
        session["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
        _write_json_atomic(run_file, run)

    history = pyabc.History(_db_url(out_dir), _id=run["run_id"])
    posterior = build_posterior(history, settings, run)
    path = write_posterior(posterior, posterior_path) if posterior_path is not None else None
    return CalibrationResult(posterior=posterior, posterior_path=path, out_dir=out_dir,
                             generations=run["generations"])


def _sync_log_with_history(run: dict[str, Any], out_dir: Path) -> None:
    """Add log records for generations the history holds but the log missed (killed between the two writes)."""
    if run["run_id"] is None:
        return
    history = pyabc.History(_db_url(out_dir), _id=run["run_id"], create=False)
    if history.n_populations == 0:
        return
    pops = history.get_all_populations().set_index("t")
    logged = {g["t"] for g in run["generations"]}
    for t in range(int(history.max_t) + 1):
        if t not in logged:
            weights, distances = _population_distances(history, t)
            n = int(pops.loc[t, "samples"])
            run["generations"].append({"t": t, "epsilon": float(pops.loc[t, "epsilon"]), "accepted": len(distances),
                                       "evaluations": n, "submitted": n, "acceptance_rate": len(distances) / max(n, 1),
                                       "median_distance": float(np.median(distances)),
                                       "ess": float(1.0 / np.sum((weights / weights.sum()) ** 2)), "seconds": 0.0,
                                       "finished": "unknown (recovered from the history)"})
    run["generations"].sort(key=lambda g: g["t"])


def _population_distances(history: pyabc.History, t: int) -> tuple[np.ndarray, np.ndarray]:
    df = history.get_weighted_distances(t=t)
    return df["w"].to_numpy(dtype=float), df["distance"].to_numpy(dtype=float)


def build_posterior(history: pyabc.History, settings: CalibrationSettings, run: dict[str, Any]) -> dict[str, Any]:
    """The posterior dictionary from the last generation of a pyabc history (see :mod:`calibration.posterior`)."""
    from sim.run import data_version, package_versions

    t = int(history.max_t)
    particles, weights = history.get_distribution(m=0, t=t)
    names = settings.parameter_names()
    particles = particles[names]
    weights = np.asarray(weights, dtype=float)
    bounds = search_bounds(names, settings.search_box)
    ss_weights, sum_stats = history.get_weighted_sum_stats(t=t)
    targets = load_targets()
    draws = resample_equal_weights(particles, weights, n=settings.n_samples, seed=settings.seed)
    median = {n: float(f"{weighted_quantile(particles[n].to_numpy(), weights, 0.5)[0]:.6g}") for n in names}
    # the median must be a valid parameter set: clip rounding past a bound back into the declared range
    median = {n: min(max(v, bounds[n][0]), bounds[n][1]) for n, v in median.items()}
    ModelParameters().replace(**median)
    defaults = ModelParameters().as_dict()
    gens = run["generations"]
    total_seconds = sum(g["seconds"] for g in gens)
    evaluations = sum(g["evaluations"] + g.get("calibration_sample", 0) for g in gens)
    submitted = sum(g["submitted"] + g.get("calibration_sample", 0) for g in gens)
    return {
        "format": FORMAT,
        "median": median,
        "samples": [{n: float(f"{row[n]:.6g}") for n in names} for row in draws.to_dict("records")],
        "summary": summarise(particles, weights, bounds),
        "fixed": {n: v for n, v in defaults.items() if n not in names},
        "fit": fit_summary(sum_stats, np.asarray(ss_weights, dtype=float), targets),
        "provenance": {
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "git_commit": git_commit(),
            "data_version": data_version(),
            "packages": {**package_versions(), "pyabc": pyabc.__version__},
            "method": "ABC-SMC (pyabc), uniform priors on the searched box of the declared ranges (search_box), weighted RMS of standardized target "
                      "errors averaged within pattern groups, quantile epsilon schedule, uniform box perturbation "
                      "kernel with the population's variance, Dask sampler seeded per job",
            "settings": {**asdict(settings), "generations_run": len(gens)},
            "calibration_period": [CALIBRATION_START, CALIBRATION_END],
            "last_observation_year": LAST_OBSERVED_YEAR,
            "scenario": "baseline",
            "targets": {"count": len(targets), "hash": targets_hash(),
                        "groups": sorted({tg.group for tg in targets}), "source": "calibration/targets.py"},
            "runtime": {"seconds": round(total_seconds, 1), "simulations_used": evaluations,
                        "simulations_submitted": submitted,
                        "sessions": [{k: s.get(k) for k in ("started", "finished", "resume", "workers", "scheduler",
                                                             "cores", "git_commit")} for s in run["sessions"]]},
            "generations": gens,
            "history": {"db": DB_NAME, "run_id": run["run_id"]},
        },
    }
