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

import pandas as pd

from sim.data import load_plan_indicators
from sim.errors import InputError, shown
from sim.limits import FIRST_YEAR, LAST_YEAR, MAX_SCALE, whole_number
from sim.plan_targets import PLAN_ID
from sim.years import LAST_OBSERVED_YEAR, PLAN_END_YEAR, PLAN_YEARS, START_YEAR

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


def _cmd_run(args: argparse.Namespace) -> int:
    from sim.run import StagedOutput, run_simulation
    from sim.scenario import Scenario

    Scenario.load(args.scenario)  # refuse a bad scenario file before anything is written or computed
    # --out is checked, and its temporary folder made, before spending time on the simulation; a failing
    # scenario or a full disk removes the temporary folder again (StagedOutput), so nothing half-done remains
    staged = StagedOutput(args.out, overwrite=args.overwrite) if args.out is not None else None
    with staged if staged is not None else contextlib.nullcontext():
        result = run_simulation(scenario=args.scenario, seed=args.seed, scale=args.scale, end_year=args.end)
        if staged is not None:
            paths = staged.write(result)
    table = summary_table(result.indicators)
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:,.2f}".format):
        print(f"Scenario {args.scenario}, seed {args.seed}, {args.scale:g} households per agent "
              f"(new_urban_jobs per year; the plan's target is a 5-year sum in 10k persons)")
        print(table.astype(object).where(table.notna(), "").to_string())
    if staged is not None:
        print("wrote " + ", ".join(str(p) for p in paths))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(prog="hunan-sim", description="Simulate urbanization in Hunan, 2010-2035.")
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
    except MemoryError:
        print("error: out of memory; use a larger --scale (households per agent) or, for a sweep, fewer runs",
              file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
