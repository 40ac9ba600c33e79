"""Command line: ``hunan-sim run`` (and the ``calibrate``, ``sweep`` and ``report`` commands registered by
``calibration/commands.py`` and ``experiments/commands.py``).

Every input error is printed as one line naming the file or option, the value and what is allowed, and the
command exits with status 2; nothing already written is removed.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from typing import Any

import pandas as pd

from sim.data import load_plan_indicators
from sim.errors import InputError, shown
from sim.limits import FIRST_YEAR, LAST_YEAR, MAX_SCALE, whole_number
from sim.plan_targets import PLAN_ID
from sim.years import LAST_OBSERVED_YEAR, PLAN_END_YEAR, PLAN_YEARS, POLICY_START_YEAR, START_YEAR

#: Indicators printed by ``run``, with the plan's indicator number where it sets a target.
SUMMARY = [(name, PLAN_ID.get(name)) for name in (
    "urbanization_rate", "czt_urban_share", "urban_unemployment_rate", "urban_rural_income_ratio", "new_urban_jobs",
    "hukou_urbanization_rate", "population", "registered_minus_resident", "outside_hunan_population",
    "settled_migrants", "permit_holders", "migrant_children_public_school_share", "left_behind_children",
    "public_rental_units", "central_urban_population",
)]
SUMMARY_YEARS = (START_YEAR, LAST_OBSERVED_YEAR, *PLAN_YEARS)


def _scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"option --scale: value {shown(text)} is not a number") from None
    if not 1 <= value <= MAX_SCALE:
        raise argparse.ArgumentTypeError(f"option --scale: value {value:g} must be from 1 to {MAX_SCALE:,} "
                                         "(households per agent)")
    return value


def summary_table(indicators: pd.DataFrame, years: Sequence[int] = SUMMARY_YEARS) -> pd.DataFrame:
    """Hunan's headline indicators in the given years, beside the plan's 2020 value and targets."""
    plan = load_plan_indicators().set_index("id")
    hunan = indicators[indicators.region == "Hunan"].pivot(index="indicator", columns="year", values="value")
    rows = []
    for name, plan_id in SUMMARY:
        if name not in hunan.index:
            continue
        row = {"indicator": name}
        for y in years:
            row[str(y)] = hunan.loc[name].get(y, float("nan"))
        if plan_id is not None:
            row["plan 2020"] = plan.loc[plan_id, "value_2020"]
            row["target 2025"] = plan.loc[plan_id, "target_2025"]
            row["target 2035"] = plan.loc[plan_id, "target_2035"]
        rows.append(row)
    return pd.DataFrame(rows).set_index("indicator")


def _run_overrides(items: Sequence[str]) -> tuple[dict[str, Any], dict[str, float]]:
    """``--set`` items of ``run`` as (levers, parameters): ``lever=value``, ``lever.City=value`` or ``parameter=value``."""
    from experiments.spec import parse_override
    from sim.parameters import LEVERS, parameter_names

    levers: dict[str, Any] = {}
    params: dict[str, float] = {}
    names = set(parameter_names())
    for item in items:
        for key, value in parse_override(item).items():
            if key in LEVERS:
                if isinstance(value, dict) and isinstance(levers.get(key), dict):
                    levers[key].update(value)
                else:
                    levers[key] = value
            elif key in names and not isinstance(value, dict):
                params[key] = value
            else:
                raise InputError(field="--set", value=item, source="command line",
                                 allowed="LEVER=VALUE, LEVER.City=VALUE or PARAMETER=VALUE with a lever of "
                                         "sim/parameters.py LEVERS or a ModelParameters field")
    return levers, params


def _cmd_run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from sim.run import StagedOutput, run_simulation
    from sim.scenario import Scenario

    Scenario.load(args.scenario)  # refuse a bad scenario file before anything is written or computed
    levers, params = _run_overrides(args.set or ())
    if levers:  # a bad lever value is refused before anything is written or computed
        Scenario(name="check").with_levers(levers, from_year=args.policy_start, source="--set")
    if params:
        from sim.parameters_default import default_parameters

        default_parameters().replace(**params)
    # --out is checked, and its temporary folder made, before spending time on the simulation; a failing
    # scenario, a full disk or Ctrl-C removes the temporary folder again (StagedOutput), so nothing half-done remains
    staged = StagedOutput(args.out, overwrite=args.overwrite) if args.out is not None else None
    with staged if staged is not None else contextlib.nullcontext(), \
            tqdm(total=args.end - START_YEAR, unit="year", desc=f"{args.scenario} {START_YEAR}", file=sys.stderr,
                 disable=True if args.quiet else None, leave=False, dynamic_ncols=True) as bar:
        # disable=None: shown on a terminal only, so logs and pipes get the summary without bar redraws
        def progress(year: int) -> None:
            bar.set_description_str(f"{args.scenario} {year}", refresh=False)
            bar.update(1)

        result = run_simulation(scenario=args.scenario, seed=args.seed, scale=args.scale, end_year=args.end,
                                levers=levers or None, policy_start=args.policy_start, progress=progress, **params)
        if staged is not None:
            paths = staged.write(result)
    table = summary_table(result.indicators)
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:,.2f}".format):
        print(f"Scenario {args.scenario}, seed {args.seed}, {args.scale:g} households per agent "
              f"(new_urban_jobs per year; the plan's target is a 5-year sum in 10k persons)")
        if levers or params:
            print("with --set " + ", ".join(f"{k}={v}" for k, v in {**levers, **params}.items())
                  + (f" (levers from {args.policy_start})" if levers else ""))
        print(table.astype(object).where(table.notna(), "").to_string())
    if staged is not None:
        print("wrote " + ", ".join(str(p) for p in paths))
    return 0


def version_text() -> str:
    """``hunan-sim VERSION (commit COMMIT)``: the installed package's version and the code's git commit."""
    from importlib import metadata

    from sim.run import git_commit

    try:
        version = metadata.version("hunan-sim")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return f"hunan-sim {version} (commit {git_commit()})"


class _Version(argparse.Action):
    # like argparse's "version" action, but the git commit is asked only when --version is given
    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest=dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: Any, values: Any, option_string: Any = None) -> None:
        print(version_text())
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(prog="hunan-sim", description="Simulate urbanization in Hunan, 2010-2035.")
    parser.add_argument("--version", action=_Version, help="print the version and the code's git commit, and stop")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run one simulation and print the plan's indicators")
    run.add_argument("--scenario", default="baseline", help="a name in scenarios/ or a path to a .toml file")
    run.add_argument("--end", type=whole_number("--end", FIRST_YEAR + 1, LAST_YEAR), default=PLAN_END_YEAR,
                     help=f"last simulated year, {FIRST_YEAR + 1}-{LAST_YEAR} (default {PLAN_END_YEAR})")
    run.add_argument("--seed", type=whole_number("--seed"), default=1, help="random seed (default 1)")
    run.add_argument("--scale", type=_scale, default=100.0, help="households per agent (default 100; 1 = full)")
    run.add_argument("--out", default=None, help="new folder for indicators.parquet and flows.parquet (written "
                     "whole: a temporary folder renamed into place)")
    run.add_argument("--overwrite", action="store_true", help="replace the results of an earlier run in --out")
    run.add_argument("--set", action="append", default=None, metavar="KEY=VALUE",
                     help="a lever on top of the scenario (e.g. permit_schooling_share=1, settlement_min_years."
                          "Changsha=0), from --policy-start; or a behavioural parameter (e.g. taste_scale=1.2)")
    run.add_argument("--policy-start", type=whole_number("--policy-start", FIRST_YEAR, LAST_YEAR),
                     default=POLICY_START_YEAR, help=f"first year the --set levers apply (default {POLICY_START_YEAR}, "
                     f"after the calibration period {FIRST_YEAR}-{LAST_OBSERVED_YEAR})")
    run.add_argument("--quiet", action="store_true", help="no progress bar (it is shown on a terminal only)")
    run.set_defaults(func=_cmd_run)
    # the command line is the top layer: it imports the apps' subcommands, never the reverse (tests/test_layers.py)
    from calibration import commands as calibration_commands
    from experiments import commands as experiments_commands

    for commands in (calibration_commands, experiments_commands):
        commands.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``hunan-sim``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # one line, no traceback: a run's --out is left as it was (StagedOutput), a sweep's finished runs and a
        # calibration's finished generations are kept and the same command continues them
        print("interrupted: finished results are kept (a sweep, or calibrate --resume, continues where it "
              "stopped); a run's --out folder is left as it was", file=sys.stderr)
        return 130
    except MemoryError:
        print("error: out of memory; use a larger --scale (households per agent) or, for a sweep, fewer runs",
              file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
