"""Fit the levels of fertility and mortality to Hunan's reported births and deaths (issue 18).

The shapes of the age schedules are data (``calibration/data/age_schedules.csv``); their levels are fitted here
by running the model and scaling:

* the total fertility rate of each year with a reported birth count (TFR(t) <- TFR(t) x reported / simulated
  births of year t; years without a count are interpolated by :class:`sim.demography.VitalRates`);
* the mortality level λ (one number for all years: λ <- λ x reported / simulated deaths summed over the years
  with a count). The years after 2018 decline by the assumed ``mortality_improvement``.

A few rounds converge (each round is a few runs). Only observations up to ``--fit-until`` (default 2020) are
used, so a backcast can fit to 2015 and leave the rest unseen.

Usage::

    python -m calibration.demography                     # print the fit (scale 100, seeds 1 2, 4 rounds)
    python -m calibration.demography --write             # ... and write calibration/vital_levels.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from sim.data import DATA_DIR
from sim.demography import LEVELS_PATH
from sim.years import LAST_OBSERVED_YEAR, START_YEAR


def reported(indicator: str, fit_until: int = LAST_OBSERVED_YEAR) -> pd.Series:
    """Hunan's reported yearly counts (persons) of ``births`` or ``deaths`` up to ``fit_until``, by year."""
    series = observed_series("demography_2010_2020.csv", indicator) * 1e4
    return series[series.index <= fit_until]


def observed_series(file: str, indicator: str) -> pd.Series:
    """The sourced values of ``indicator`` in a year-by-indicator file of ``calibration/data``, by year."""
    df = pd.read_csv(DATA_DIR / file)
    rows = df[(df.indicator == indicator) & df.value.notna()]
    return pd.Series(rows.value.to_numpy(dtype=float), index=rows.year.astype(int).to_numpy())


def simulate(tfr: dict[int, float], mortality_level: float, *, scale: float, seeds: list[int],
             end_year: int) -> pd.DataFrame:
    """Mean births and deaths in Hunan by year over ``seeds`` with these levels (a temporary levels file)."""
    import tempfile

    from sim.demography import VitalRates
    from sim.model import HunanModel

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "levels.json"
        path.write_text(json.dumps({"tfr": {str(y): v for y, v in tfr.items()}}), encoding="utf-8")
        for seed in seeds:
            model = HunanModel(scale=scale, rng=seed, end_year=end_year, mortality_level=mortality_level)
            model.vital_rates = VitalRates.from_parameters(model.params, levels_path=path)
            while model.year < end_year:
                model.step()
                rows.append((seed, model.year, model.indicator("births"), model.indicator("deaths"),
                             model.indicator("population")))
    df = pd.DataFrame(rows, columns=["seed", "year", "births", "deaths", "population"])
    return df.groupby("year")[["births", "deaths", "population"]].mean()


def fit(*, scale: float = 100, seeds: list[int] | None = None, rounds: int = 4,
        fit_until: int = LAST_OBSERVED_YEAR) -> dict:
    """Fitted yearly TFR and mortality level, and the last round's simulated series beside the reported ones."""
    seeds = seeds or [1, 2]
    births, deaths = reported("births", fit_until), reported("deaths", fit_until)
    tfr = {y: 1.6 for y in births.index if y > START_YEAR}
    level = 1.0
    for _ in range(rounds):
        sim = simulate(tfr, level, scale=scale, seeds=seeds, end_year=max(births.index.max(), deaths.index.max()))
        for y in tfr:
            tfr[y] *= births[y] / sim.births[y]
        common = [y for y in deaths.index if y in sim.index]
        level *= deaths[common].sum() / sim.deaths[common].sum()
    sim = simulate(tfr, level, scale=scale, seeds=seeds, end_year=max(births.index.max(), deaths.index.max()))
    table = pd.DataFrame({"births_reported": births, "births_model": sim.births, "deaths_reported": deaths,
                          "deaths_model": sim.deaths, "population_model": sim.population})
    return {"tfr": {str(y): round(v, 4) for y, v in sorted(tfr.items())}, "mortality_level": round(level, 4),
            "fit": {"scale": scale, "seeds": seeds, "rounds": rounds, "fit_until": fit_until,
                    "command": "python -m calibration.demography --write"},
            "table": table}


def fit_argument_parser(prog: str, description: str, rounds: int) -> argparse.ArgumentParser:
    """The options every level fit takes (this module's and ``calibration.levels``): ``--scale``, ``--seeds``,
    ``--rounds`` (default ``rounds``) and ``--fit-until``."""
    ap = argparse.ArgumentParser(prog=prog, description=description)
    ap.add_argument("--scale", type=float, default=100)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rounds", type=int, default=rounds)
    ap.add_argument("--fit-until", type=int, default=LAST_OBSERVED_YEAR)
    return ap


def refuse_fit_arguments(args: argparse.Namespace, first_fit_until: int, fit_until_why: str = "") -> bool:
    """Print one line naming the first option of :func:`fit_argument_parser` out of bounds, its value and what is
    allowed (``--fit-until`` from ``first_fit_until``, ``fit_until_why`` saying why); True if one was refused."""
    checks = (("--rounds", args.rounds, 1 <= args.rounds <= 20, "a whole number from 1 to 20"),
              ("--scale", args.scale, 1 <= args.scale <= 10_000, "households per agent, from 1 to 10000"),
              ("--fit-until", args.fit_until, first_fit_until <= args.fit_until <= LAST_OBSERVED_YEAR,
               f"a year from {first_fit_until} to {LAST_OBSERVED_YEAR}{fit_until_why}"),
              ("--seeds", args.seeds, 1 <= len(args.seeds) <= 20 and min(args.seeds) >= 0,
               "1 to 20 seeds, each a whole number >= 0"))
    for name, value, ok, allowed in checks:
        if not ok:
            print(f"{name}: {value} is not allowed; allowed: {allowed}", file=sys.stderr)
            return True
    return False


def main(argv: list[str] | None = None) -> int:
    """Command-line entry (module docstring)."""
    ap = fit_argument_parser("python -m calibration.demography", __doc__.split("\n")[0], rounds=4)
    ap.add_argument("--write", action="store_true", help=f"write {LEVELS_PATH.name}")
    args = ap.parse_args(argv)
    if refuse_fit_arguments(args, first_fit_until=START_YEAR + 1):
        return 2
    result = fit(scale=args.scale, seeds=args.seeds, rounds=args.rounds, fit_until=args.fit_until)
    table = result.pop("table")
    print(table.round(0).to_string())
    print(json.dumps({k: v for k, v in result.items()}, indent=1))
    if args.write:
        LEVELS_PATH.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        print(f"written {LEVELS_PATH}; set mortality_level's default to {result['mortality_level']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
