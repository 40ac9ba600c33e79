"""Command line: ``hunan-sim sweep``, ``hunan-sim report`` and ``hunan-sim atlas`` (registered by :mod:`sim.cli`).

::

    hunan-sim sweep experiments/hukou-housing.toml [--workers N] [--scheduler ADDR] [--out DIR] [--retry-failed]
    hunan-sim sweep experiments/hukou-housing.toml --slurm-script      # print the SLURM job script and stop
    hunan-sim report results/hukou-housing
    hunan-sim report calibration                                        # the calibration report
    hunan-sim atlas [--levers a,b] [--scale 1000] [--draws 4] [--replications 2] [--workers N] [--out DIR]

Input errors are raised as :class:`sim.errors.InputError`; ``sim.cli`` prints them as one line and exits 2.
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from pathlib import Path
from typing import Any

from sim.errors import InputError
from sim.limits import whole_number


def _one_line_warnings() -> None:
    # Warnings (a corrupt file redone, the posterior fallback) are meant for the user: one line each, no source.
    def show(message: Any, category: type, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
        print(f"warning: {message}", file=sys.stderr)
    warnings.showwarning = show  # type: ignore[assignment]


def _slurm_options(args: argparse.Namespace) -> dict[str, Any]:
    opts: dict[str, Any] = {"walltime": args.slurm_walltime, "memory": args.slurm_memory,
                            "cores": args.slurm_cores}
    if args.slurm_queue:
        opts["queue"] = args.slurm_queue
    if args.slurm_account:
        opts["account"] = args.slurm_account
    if args.slurm_python:
        opts["python"] = args.slurm_python
    if args.slurm_prologue:
        opts["job_script_prologue"] = args.slurm_prologue
    if args.slurm_dashboard:
        opts["dashboard_address"] = args.slurm_dashboard
    return opts


def _cmd_sweep(args: argparse.Namespace) -> int:
    from experiments.runner import run_experiment
    from experiments.spec import load_experiment
    from experiments.store import check_folder
    from sim.ensemble import check_scheduler_address, slurm_job_script

    _one_line_warnings()
    if args.slurm_script:
        print(slurm_job_script(**_slurm_options(args)))
        return 0
    if sum(bool(x) for x in (args.scheduler, args.slurm, args.workers)) > 1:
        raise InputError(field="--workers/--scheduler/--slurm", value="more than one",
                         allowed="at most one of them", source="command line")
    if args.out is not None:
        check_folder(args.out, field="--out")  # "" or a non-UTF-8 name: refused before anything is done
    if args.scheduler:
        check_scheduler_address(args.scheduler)  # before anything is loaded or written
    experiment = load_experiment(args.file, overrides=args.set or ())
    out = Path(args.out) if args.out is not None else Path("results") / experiment.name
    if args.dry_run:
        plan = experiment.plan()
        print(f"{experiment.name}: {len(plan)} runs ({len(experiment.scenarios)} scenario(s) × "
              f"{len(experiment.lever_points())} lever point(s) × {len(experiment.uncertainty_points())} "
              f"uncertainty point(s) × {experiment.replications} replication(s)) at scale {experiment.scale:g} to "
              f"{experiment.end_year}; digest {experiment.digest(plan)}; results would go to {out}")
        return 0
    summary = run_experiment(experiment, out, workers=args.workers, scheduler=args.scheduler,
                             slurm_jobs=args.slurm, slurm_options=_slurm_options(args),
                             slurm_min_jobs=min(args.slurm_min_jobs, args.slurm or 0),
                             retry_failed=args.retry_failed, progress=not args.no_progress)
    print(summary.describe())
    if summary.n_failed or summary.n_failed_skipped:
        print(f"failed runs are recorded in {out / 'failed'}; rerun them with --retry-failed", file=sys.stderr)
        return 1
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    _one_line_warnings()
    if args.dir == "calibration" and not Path(args.dir, "experiment.json").exists():
        from calibration.report import main as calibration_report

        kwargs = {"out_dir": args.out} if args.out else {}
        result = calibration_report(**kwargs)
        if result is not None:
            print(f"wrote {result}")
        return 0
    from experiments.report import paired_summary, write_report
    from experiments.store import check_folder

    check_folder(args.dir)
    if args.out is not None:
        check_folder(args.out, field="--out")
    path = write_report(Path(args.dir), out_dir=Path(args.out) if args.out is not None else None)
    print(f"wrote {path}")
    summary = paired_summary(path)
    if summary:
        print(summary)
    return 0


def _number(name: str) -> Any:
    """An argparse type: a finite number (its range is checked where it is used, naming ``name``)."""
    def parse(text: str) -> float:
        try:
            value = float(text) if len(text) <= 40 else math.nan
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"option {name}: value {text[:40]!r} is not a number")
        return value
    return parse


def _cmd_atlas(args: argparse.Namespace) -> int:
    from experiments.atlas import AtlasSettings, atlas_experiment, describe, lever_summary, write_atlas
    from experiments.runner import run_experiment
    from experiments.store import check_folder
    from sim.ensemble import check_scheduler_address

    _one_line_warnings()
    if args.workers and args.scheduler:
        raise InputError(field="--workers/--scheduler", value="both", allowed="at most one of them",
                         source="command line")
    settings = AtlasSettings.checked(levers=args.levers, scale=args.scale, draws=args.draws,
                                     replications=args.replications, master_seed=args.seed)
    if args.out is not None:
        check_folder(args.out, field="--out")  # "" or a non-UTF-8 name: refused before anything is done
    if args.scheduler:
        check_scheduler_address(args.scheduler)
    experiment = atlas_experiment(settings)
    out = Path(args.out) if args.out is not None else Path("results") / experiment.name
    if args.dry_run:
        print(f"atlas: {experiment.n_runs} runs ({len(settings.levers)} lever(s) × 2 settings × {settings.draws} "
              f"posterior draw(s) × {settings.replications} replication(s)) at scale {settings.scale:g} to "
              f"{experiment.end_year}; results would go to {out}")
        return 0
    summary = run_experiment(experiment, out, workers=args.workers, scheduler=args.scheduler,
                             retry_failed=args.retry_failed, progress=not args.no_progress)
    print(summary.describe())
    paths = write_atlas(out)
    print(f"wrote {paths['markdown']}, {paths['table'].name}, {paths['chart'].name}")
    import pandas as pd

    print(describe(lever_summary(pd.read_csv(paths["table"]))))
    if summary.n_failed or summary.n_failed_skipped:
        print(f"failed runs are recorded in {out / 'failed'}; rerun them with --retry-failed", file=sys.stderr)
        return 1
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``sweep``, ``report`` and ``atlas`` subcommands to ``hunan-sim``."""
    sweep = subparsers.add_parser("sweep", help="run a policy experiment (a TOML file in experiments/) on Dask",
                                  description="Run every unfinished run of an experiment; a restart resumes.")
    sweep.add_argument("file", help="experiment file, e.g. experiments/hukou-housing.toml (or its name)")
    where = sweep.add_argument_group("where to run (default: a local cluster with one worker per CPU)")
    where.add_argument("--workers", type=whole_number("--workers", 1), default=None,
                       help="local worker processes (one thread each)")
    where.add_argument("--scheduler", default=None, help="address of a running Dask scheduler, e.g. tcp://host:8786")
    where.add_argument("--slurm", type=whole_number("--slurm", 1), default=None, metavar="JOBS",
                       help="run on an adaptive SLURM cluster of at most this many worker jobs (dask-jobqueue); "
                            "workers retire before --slurm-walltime and new jobs replace them")
    where.add_argument("--slurm-min-jobs", type=whole_number("--slurm-min-jobs", 0), default=0, metavar="JOBS",
                       help="worker jobs kept even while no run waits (default 0)")
    where.add_argument("--slurm-script", action="store_true", help="print the SLURM job script and stop")
    where.add_argument("--slurm-queue", default=None, help="SLURM partition")
    where.add_argument("--slurm-account", default=None, help="SLURM account")
    where.add_argument("--slurm-walltime", default="02:00:00", help="time limit per worker job (default 02:00:00)")
    where.add_argument("--slurm-memory", default="2GiB", help="memory per worker job (default 2GiB)")
    where.add_argument("--slurm-cores", type=whole_number("--slurm-cores", 1), default=1,
                       help="worker processes per job (default 1)")
    where.add_argument("--slurm-python", default=None, help="the cluster's Python (default: this interpreter)")
    where.add_argument("--slurm-dashboard", default=None, metavar="ADDR",
                       help="where the scheduler's dashboard listens (default 127.0.0.1 on a free port; e.g. :8787 "
                            "exposes it to the network, without authentication)")
    where.add_argument("--slurm-prologue", action="append", default=None, metavar="LINE",
                       help="shell line run before each worker, e.g. 'source ~/hunan/.venv/bin/activate'")
    sweep.add_argument("--out", default=None, help="results folder (default results/<experiment name>)")
    sweep.add_argument("--retry-failed", action="store_true", help="run earlier failed runs again")
    sweep.add_argument("--set", action="append", default=None, metavar="KEY=VALUE",
                       help="override a setting of the file (TOML value; dotted keys), e.g. --set scale=1000 "
                            "--set 'scenarios=[\"baseline\"]'; recorded with the results")
    sweep.add_argument("--dry-run", action="store_true", help="validate the file, print the number of runs, stop")
    sweep.add_argument("--no-progress", action="store_true", help="no progress bar")
    sweep.set_defaults(func=_cmd_sweep)

    report = subparsers.add_parser("report", help="analyse a sweep's results folder (or 'calibration')",
                                   description="Write a Markdown report with target probabilities, lever "
                                               "effects, fan charts and scenario discovery.")
    report.add_argument("dir", help="a results folder written by 'hunan-sim sweep', or 'calibration'")
    report.add_argument("--out", default=None, help="report folder (default DIR/report)")
    report.set_defaults(func=_cmd_report)

    from experiments.atlas import DEFAULT_DRAWS, DEFAULT_REPLICATIONS, DEFAULT_SCALE, DEFAULT_SEED

    atlas = subparsers.add_parser("atlas", help="every lever low vs high against plan-2021, paired (a lever atlas)",
                                  description="Run every lever at its low and high setting from 2021 on top of "
                                              "plan-2021 with common random numbers over posterior draws (a "
                                              "resumable sweep), and write the paired effects (table, chart).")
    atlas.add_argument("--levers", default=None, metavar="A,B",
                       help="comma-separated lever names (default: every lever in sim.parameters.LEVERS)")
    atlas.add_argument("--scale", type=_number("--scale"), default=DEFAULT_SCALE,
                       help=f"households per agent (default {DEFAULT_SCALE})")
    atlas.add_argument("--draws", type=whole_number("--draws", 1), default=DEFAULT_DRAWS,
                       help=f"posterior draws (default {DEFAULT_DRAWS})")
    atlas.add_argument("--replications", type=whole_number("--replications", 1), default=DEFAULT_REPLICATIONS,
                       help=f"replications per draw (default {DEFAULT_REPLICATIONS})")
    atlas.add_argument("--seed", type=whole_number("--seed"), default=DEFAULT_SEED,
                       help=f"master seed (default {DEFAULT_SEED})")
    atlas.add_argument("--workers", type=whole_number("--workers", 1), default=None,
                       help="local worker processes (one thread each; default one per CPU)")
    atlas.add_argument("--scheduler", default=None, help="address of a running Dask scheduler, e.g. tcp://host:8786")
    atlas.add_argument("--out", default=None, help="results folder (default results/atlas); the atlas goes to "
                       "OUT/atlas/ (atlas.md, atlas.csv, atlas.png)")
    atlas.add_argument("--retry-failed", action="store_true", help="run earlier failed runs again")
    atlas.add_argument("--dry-run", action="store_true", help="validate, print the number of runs, stop")
    atlas.add_argument("--no-progress", action="store_true", help="no progress bar")
    atlas.set_defaults(func=_cmd_atlas)
