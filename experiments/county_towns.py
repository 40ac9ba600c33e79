"""Issue 17's lever experiment: a county-town investment scenario and a Changsha-opening scenario against the
baseline, with paired seeds (common random numbers), on the county network.

* ``county-towns``: every county town from 2021: public-service investment 0.5 (县城补短板) and 3,000
  industrial-park jobs a year per division's county towns;
* ``changsha-open``: Changsha's central city drops every settlement condition from 2021.

For each indicator the paired difference (scenario minus baseline, same seed) is reported as a mean with a
95 % t interval over the seeds. Run ``python -m experiments.county_towns [--seeds 8] [--scale 100]``.
"""

from __future__ import annotations

import argparse

import numpy as np

from experiments.analysis import t_interval
from sim.run import run_simulation
from sim.scenario import Scenario

#: The outputs compared, as (indicator, region, how): ``2035`` the 2035 value, ``mean`` the 2021-2035 mean.
OUTPUTS = (("local_urbanization_share", "Hunan", "mean"), ("moves_to_own_county_town", "Hunan", "mean"),
           ("county_towns_200k_500k", "Hunan", "2035"), ("county_towns_500k_1m", "Hunan", "2035"),
           ("cities_over_1m", "Hunan", "2035"), ("central_urban_population", "Changsha", "2035"),
           ("urbanization_rate", "Hunan", "2035"))


def scenarios() -> dict[str, Scenario]:
    """The baseline and the two lever scenarios."""
    base = Scenario.load("baseline")
    towns = base.with_levers({"public_service_investment": 0.5, "industrial_park_jobs_per_year": 3000.0},
                             from_year=2021, places="county_towns", name="county-towns")
    open_changsha = base.with_levers({"settlement_min_years": 0, "settlement_min_insurance_years": 0,
                                      "settlement_housing_condition": 0, "settlement_requires_job": False},
                                     from_year=2021, cities=["Changsha"], places="central_cities",
                                     name="changsha-open")
    return {"baseline": base, "county-towns": towns, "changsha-open": open_changsha}


def _outputs(df) -> dict[str, float]:
    out = {}
    for indicator, region, how in OUTPUTS:
        rows = df[(df.indicator == indicator) & (df.region == region)].set_index("year").value
        out[f"{indicator}@{region}@{how}"] = float(rows[2035] if how == "2035" else rows.loc[2021:2035].mean())
    return out


def run(seeds: int, scale: float) -> dict[str, dict[str, tuple[float, float]]]:
    """Paired differences of each scenario from the baseline: ``{scenario: {output: (mean, half-width 95 %)}}``."""
    arms = scenarios()
    values = {name: [] for name in arms}
    for seed in range(1, seeds + 1):
        for name, scen in arms.items():
            values[name].append(_outputs(run_simulation(scenario=scen, seed=seed, scale=scale).indicators))
    result = {}
    for name in arms:
        if name == "baseline":
            continue
        result[name] = {}
        for key in values[name][0]:
            diff = np.array([v[key] - b[key] for v, b in zip(values[name], values["baseline"], strict=True)])
            result[name][key] = t_interval(diff)
    return result


def main(argv: list[str] | None = None) -> int:
    """Print the paired differences."""
    ap = argparse.ArgumentParser(prog="python -m experiments.county_towns", description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=8, help="paired seeds (at least 2; default 8)")
    ap.add_argument("--scale", type=float, default=100.0, help="households per agent (default 100)")
    args = ap.parse_args(argv)
    if not 2 <= args.seeds <= 30:
        ap.error("--seeds: a whole number from 2 to 30")
    result = run(args.seeds, args.scale)
    print(f"paired differences from the baseline, {args.seeds} seeds at 1:{args.scale:g} (mean ± 95 % t interval)")
    for name, rows in result.items():
        print(name)
        for key, (mean, half) in rows.items():
            print(f"  {key:48s} {mean:+14,.2f} ± {half:,.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
