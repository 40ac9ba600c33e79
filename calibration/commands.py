"""``hunan-sim calibrate``: the command-line entry to the calibration (registered by ``sim/cli.py``).

Examples::

    hunan-sim calibrate                                  # the shipped settings, into results/calibration
    hunan-sim calibrate --install                        # ... and copy the posterior into calibration/
    hunan-sim calibrate --particles 40 --generations 3 --scale 2000 --out results/cal-quick --no-report
    hunan-sim calibrate --out results/calibration --resume          # continue after an interruption
    hunan-sim calibrate --scheduler tcp://10.0.0.5:8786             # on a running Dask cluster

Every option error raises :class:`sim.errors.InputError` (one line naming the option, the value and what is
allowed; exit status 2).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from calibration.posterior import POSTERIOR_PATH
from sim.errors import InputError

#: Defaults of the shipped calibration (``hunan-sim calibrate`` with no options reproduces it).
DEFAULTS: dict[str, Any] = {"particles": 150, "generations": 6, "scale": 500.0, "seed": 1,
                            "out": "results/calibration", "min_epsilon": 0.0, "search_box": 0.3}
REPORT_DIR = Path(__file__).resolve().parent / "report"


def _int_option(name: str, text: str, low: int, high: int | None = None) -> int:
    try:
        value = int(text)
    except (TypeError, ValueError):
        value = None
    if value is None or value < low or (high is not None and value > high):
        allowed = f"a whole number from {low} to {high}" if high is not None else f"a whole number >= {low}"
        raise InputError(field=name, value=text, allowed=allowed, source="command line")
    return value


def _float_option(name: str, text: str, low: float, what: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        value = float("nan")
    if not value >= low or value == float("inf"):
        raise InputError(field=name, value=text, allowed=f"{what}, a number >= {low:g}", source="command line")
    return value


def _positive_float(name: str, text: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        value = float("nan")
    if not 0 < value < float("inf"):
        raise InputError(field=name, value=text, allowed="a number > 0", source="command line")
    return value


class _Progress:
    """A progress bar per generation (accepted particles out of the population size), on stderr."""

    def __init__(self, generations: int, enabled: bool) -> None:
        self.generations = generations
        self.enabled = enabled
        self.bar = None
        self.done = 0

    def update(self, accepted: int, wanted: int, evaluated: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(total=wanted, desc=f"generation {self.done + 1}/{self.generations}", unit="particle",
                            file=sys.stderr, leave=False, dynamic_ncols=True)
        self.bar.n = accepted
        self.bar.set_postfix_str(f"{evaluated} simulated", refresh=False)
        self.bar.refresh()

    def generation_done(self, record: dict[str, Any]) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        self.done = record["t"] + 1
        print(f"generation {record['t'] + 1}/{self.generations}: epsilon {record['epsilon']:.3f}, median distance "
              f"{record['median_distance']:.3f}, accepted {record['accepted']}/{record['evaluations']} "
              f"({100 * record['acceptance_rate']:.0f} %), "
              f"effective sample size {record.get('ess', float('nan')):.0f}, "
              f"{record['seconds']:.0f} s", flush=True)


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from calibration.smc import CalibrationSettings, run_calibration

    from calibration.screening import screened_parameters

    if args.parameters == "all":
        estimated: tuple[str, ...] = ()
    elif args.parameters == "screened":
        estimated = tuple(screened_parameters() or ())
    else:
        estimated = tuple(p.strip() for p in args.parameters.split(",") if p.strip())
    settings = CalibrationSettings(
        particles=_int_option("--particles", args.particles, 2),
        generations=_int_option("--generations", args.generations, 1),
        scale=_float_option("--scale", args.scale, 1, "households per agent"),
        seed=_int_option("--seed", args.seed, 0),
        include_assumptions=args.include_assumptions,
        min_epsilon=_float_option("--min-epsilon", args.min_epsilon, 0, "a distance"),
        kernel_scaling=_positive_float("--kernel-scaling", args.kernel_scaling),
        n_samples=min(1000, max(200, 2 * _int_option("--particles", args.particles, 2))),
        parameters=estimated,
        search_box=_float_option("--search-box", args.search_box, 0, "a fraction of each declared range"),
    )
    workers = _int_option("--workers", args.workers, 1) if args.workers is not None else None
    # by default everything goes into --out: the tracked calibration/posterior.json changes only with --install
    posterior = None if args.posterior == "none" else Path(args.posterior or Path(args.out) / "posterior.json")
    if args.install and posterior is None:
        raise InputError(field="--install", value="with --posterior none", source="command line",
                         allowed="--install with a posterior to install (drop --posterior none)")
    report_dir = Path(args.report_dir) if args.report_dir else (REPORT_DIR if args.install
                                                                else Path(args.out) / "report")
    progress = _Progress(settings.generations, enabled=not args.quiet)
    run_log = Path(args.out) / "run.json"
    if args.resume and run_log.exists():  # number the bars from the generations already done
        try:
            progress.done = len(json.loads(run_log.read_text(encoding="utf-8")).get("generations", []))
        except (OSError, ValueError, AttributeError):
            pass  # run_calibration reports an unreadable run log
    where = f"scheduler {args.scheduler}" if args.scheduler else f"{workers or 'all'} local workers"
    print(f"calibrating {settings.particles} particles x {settings.generations} generations at scale "
          f"{settings.scale:g}, seed {settings.seed}, on {where}; history in {args.out}", flush=True)
    result = run_calibration(settings, out_dir=args.out, resume=args.resume, workers=workers,
                             scheduler=args.scheduler, posterior_path=posterior, progress=progress.update,
                             on_generation=progress.generation_done)
    runtime = result.posterior["provenance"]["runtime"]
    print(f"done: {len(result.generations)} generations, {runtime['simulations_used']} simulations used "
          f"({runtime['simulations_submitted']} run), {runtime['seconds']:.0f} s sampling", flush=True)
    installed = result.posterior_path
    if result.posterior_path is not None:
        print(f"wrote {result.posterior_path}")
        if args.install:
            installed = install_posterior(result.posterior_path, POSTERIOR_PATH)
            print(f"installed {installed} (the model's default parameters from now on)")
    if not args.no_report and installed is not None:
        from calibration.report import main as report_main

        path = report_main(out_dir=report_dir, posterior_path=installed, workers=workers, scheduler=args.scheduler)
        print(f"wrote {path}")
    return 0


def install_posterior(source: Path | str, target: Path = POSTERIOR_PATH) -> Path:
    """Copy a posterior written by ``calibrate`` to ``target`` (default ``calibration/posterior.json``, the
    model's default parameters), after checking it reads as a posterior; written whole (a temporary file
    renamed into place, mode from the umask).

    Raises:
        InputError: ``source`` is not a readable posterior.
    """
    from calibration.posterior import load_posterior
    from sim.files import write_text_atomic

    load_posterior(source)  # refuses a missing or malformed file naming it
    write_text_atomic(Path(target), Path(source).read_text(encoding="utf-8"))
    return Path(target)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``calibrate`` subcommand to ``hunan-sim``'s parser."""
    p = subparsers.add_parser(
        "calibrate", help="estimate the calibrated parameters by ABC-SMC (pyabc on Dask) and write the posterior",
        description="ABC-SMC calibration against Hunan's 2010-2020 data (calibration/targets.py). Resumable: the "
                    "pyabc history is kept in --out; --resume continues it. The same options and seed give the "
                    "same posterior on any number of workers.")
    p.add_argument("--particles", default=str(DEFAULTS["particles"]),
                   help=f"accepted particles per generation (default {DEFAULTS['particles']})")
    p.add_argument("--generations", default=str(DEFAULTS["generations"]),
                   help=f"generations in total, counting those already run when resuming "
                        f"(default {DEFAULTS['generations']})")
    p.add_argument("--scale", default=str(DEFAULTS["scale"]),
                   help=f"households per agent in each simulation (default {DEFAULTS['scale']:g})")
    p.add_argument("--workers", default=None, help="local Dask worker processes (default: one per core)")
    p.add_argument("--scheduler", default=None, metavar="ADDR",
                   help="address of a running Dask scheduler (e.g. tcp://host:8786) instead of a local cluster")
    p.add_argument("--seed", default=str(DEFAULTS["seed"]), help=f"calibration seed (default {DEFAULTS['seed']})")
    p.add_argument("--out", default=DEFAULTS["out"],
                   help=f"results folder for the pyabc history and run log (default {DEFAULTS['out']})")
    p.add_argument("--resume", action="store_true", help="continue the calibration in --out")
    p.add_argument("--parameters", default="screened",
                   help="parameters to estimate: 'screened' (default; those kept by the Morris screening in "
                        "calibration/screening.json, or all calibrated ones without it), 'all', or a comma list")
    p.add_argument("--search-box", default=str(DEFAULTS["search_box"]),
                   help="searched part of each declared range, centred on the declared default (default "
                        f"{DEFAULTS['search_box']:g}; 1 = the whole range)")
    p.add_argument("--include-assumptions", action="store_true",
                   help="also estimate the parameters declared as assumptions")
    p.add_argument("--min-epsilon", default=str(DEFAULTS["min_epsilon"]),
                   help="stop early once the acceptance threshold is at or below this distance (default 0)")
    p.add_argument("--kernel-scaling", default="1",
                   help="width of the perturbation boxes relative to the population's spread (default 1; smaller "
                        "accepts more proposals but explores less)")
    p.add_argument("--posterior", default=None,
                   help="where to write the posterior ('none' to skip; default OUT/posterior.json)")
    p.add_argument("--install", action="store_true",
                   help="copy the posterior into calibration/posterior.json, where the model reads its default "
                        "parameters (and write the report to calibration/report); without it the tracked files "
                        "are never changed")
    p.add_argument("--report-dir", default=None,
                   help="folder of the calibration report (default OUT/report, or calibration/report with --install)")
    p.add_argument("--no-report", action="store_true", help="do not write the report after calibrating")
    p.add_argument("--quiet", action="store_true", help="no progress bar (one line per generation is printed)")
    p.set_defaults(func=_cmd_calibrate)
