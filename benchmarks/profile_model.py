"""Profile the whole model at one scale: where a simulated year spends its time.

Usage (from the repository root)::

    python -m benchmarks.profile_model --scale 10 --years 3 [--out benchmarks/profiles]

Writes ``scale_<s>_cprofile.txt`` (cProfile on CPU time, so that other processes on a shared machine do not
inflate it; functions sorted by own time and by cumulative time) and, when ``line_profiler`` is installed
(``pip install line_profiler``; a profiling tool only, not a dependency of the model), ``scale_<s>_lines.txt``
with the time of every line of the model's stages and of the household, market and indicator functions they
call. Construction is profiled apart from the years. Findings and suggested changes are in
``benchmarks/PROFILE.md``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "benchmarks" / "profiles"


def line_profiled_functions() -> list[Any]:
    """The model functions whose lines are timed: every stage and what it calls on the household table."""
    from agents import households
    from sim import indicators, markets, population
    from sim.model import HunanModel

    model_methods = [
        "step", "demography", "_split_households", "labour_market", "_set_incomes", "migration", "choice_context",
        "_update_service_access", "_apply_moves", "permits_and_settlement", "housing_market", "record_indicators",
    ]
    funcs = [getattr(HunanModel, name) for name in model_methods if hasattr(HunanModel, name)]
    for module, names in (
        (households, ["group_index", "utility_table", "choice_cdf", "review_probability", "choose_destinations",
                      "permit_benefit", "apply_for_permits", "settlement_eligible", "decide_settlement"]),
        (households.Households, ["keep", "append", "hukou_loc", "away", "persons_by_loc", "n_adults"]),
        (markets, ["urban_division", "sector_employment", "match_jobs", "rank_within_groups",
                   "allocate_public_rental", "buy_homes"]),
        (indicators, ["compute_indicators"]),
        (population, ["synthesise_population"]),
    ):
        funcs += [getattr(module, name) for name in names if hasattr(module, name)]
    return funcs


def cprofile_text(profile: cProfile.Profile, title: str, top: int) -> str:
    """The ``top`` functions by own time and by cumulative time."""
    out = io.StringIO()
    out.write(f"# {title}\n\n")
    for key in ("tottime", "cumulative"):
        out.write(f"## sorted by {key}\n")
        pstats.Stats(profile, stream=out).strip_dirs().sort_stats(key).print_stats(top)
    return out.getvalue()


def profile_model(*, scale: float, years: int, seed: int, out_dir: Path, lines: bool, top: int = 40) -> list[Path]:
    """Profile construction and ``years`` steps at ``scale``; write the reports to ``out_dir``."""
    from sim.model import HunanModel

    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"scale_{scale:g}"
    written = []
    # cProfile on CPU time: the machine may be shared, and waiting for a core is not the model's cost.
    build = cProfile.Profile(time.process_time)
    start = time.perf_counter()
    build.enable()
    model = HunanModel(scale=scale, rng=seed)
    build.disable()
    build_s = time.perf_counter() - start
    steps = cProfile.Profile(time.process_time)
    start = time.perf_counter()
    steps.enable()
    for _ in range(years):
        model.step()
    steps.disable()
    steps_s = time.perf_counter() - start
    header = (f"scale 1:{scale:g}, {len(model.households):,} records at the end, seed {seed}; construction "
              f"{build_s:.2f} s wall, {years} years {steps_s:.2f} s wall ({steps_s / years:.2f} s per year)")
    path = out_dir / f"{stem}_cprofile.txt"
    path.write_text(cprofile_text(steps, f"{years} steps; {header}", top)
                    + cprofile_text(build, f"construction; {header}", top // 2))
    written.append(path)

    if lines:
        try:
            from line_profiler import LineProfiler
        except ImportError:
            print("line_profiler is not installed: line timings skipped", file=sys.stderr)
            return written
        from sim import population

        construction = LineProfiler(HunanModel.__init__, population.synthesise_population)
        construction.enable_by_count()
        model = HunanModel(scale=scale, rng=seed)
        construction.disable_by_count()
        profiler = LineProfiler(*line_profiled_functions())
        profiler.enable_by_count()
        for _ in range(years):
            model.step()
        profiler.disable_by_count()
        buffer = io.StringIO()
        buffer.write(f"# line timings (wall time, ms) of {years} steps; {header}\n\n")
        profiler.print_stats(stream=buffer, output_unit=1e-3, stripzeros=True)
        buffer.write("\n\n# line timings (wall time, ms) of construction\n\n")
        construction.print_stats(stream=buffer, output_unit=1e-3, stripzeros=True)
        path = out_dir / f"{stem}_lines.txt"
        path.write_text(buffer.getvalue())
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_model", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=10, help="households per record (default 10)")
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--no-lines", action="store_true", help="skip the line timings")
    args = parser.parse_args(argv)
    for path in profile_model(scale=args.scale, years=args.years, seed=args.seed, out_dir=args.out,
                              lines=not args.no_lines):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
