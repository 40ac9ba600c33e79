"""Fit the income and population levels to Hunan's observed series (issue 18).

Six parameters set levels the model must reproduce almost on their own, so they are fitted directly to their
own observations, like the vital rates (:mod:`calibration.demography`), instead of being left to the ABC
calibration, which saw only the 2020 urban/rural income ratio and the registered-minus-resident gap with 10 %
tolerance and let both drift (urban income 2020 came out 31 % high, the registered population 5 % high):

* incomes, from the disposable-income surveys (国家统计局湖南调查总队; new integrated basis from 2013,
  ``calibration/data/income_2010_2020.csv``): ``urban_wage_growth`` (nominal growth of urban wages, outside
  Hunan too) and ``urban_income_2010`` (2010 level) to the slope and level of log urban income over the
  surveyed years; ``rural_productivity_growth`` and ``income_ratio_2010`` (which sets the farm income level)
  the same for rural income. Each round moves each growth rate by the difference of slopes of lines fitted to
  the log of simulated and observed income (2013-2020 without 2016, not found) and each level by the
  difference of levels at the first surveyed year;
* the registered (hukou) population at the 2020 census (73.00 M; ``province_timeseries.csv``), from
  ``outside_settle_rate`` (hukou transfers out of Hunan by migrants outside). The reported births and deaths
  (fitted separately) imply about 3.7 M natural increase over 2011-2020, while the registered population grew
  by about 2.1 M: the rest left Hunan's registers. A chord Newton step (the derivative by a finite difference
  once, in the first round) moves it. The resident population is fitted with the place effects
  (:mod:`calibration.place_effects`, Hunan's level against outside), so the two fits are run in turn.

* the surveyed urban unemployment rate (城镇调查失业率; ``labour_2010_2020.csv``: 4.9 % in 2018 and 5.8 % in
  2020, the only annual values up to 2020), from ``labour_demand_growth``: the model's level is moved so that
  its largest error over those years is smallest (the mid-range of the errors). Why not 2018 alone: the 2020
  rate carries the pandemic shock, which the model does not have, so a model without it can only sit between
  the two; fitting 2018 alone would leave 2020 about 1 point low. A chord Newton step moves it, as the hukou transfers the registered population.

The model's incomes respond to the labour market and to who lives where, and population to incomes, so a few
rounds are needed; they converge quickly. Only observations up to ``--fit-until`` (default 2020) are used, so a
backcast can fit to 2015 and leave the rest unseen (the population levels need the 2020 census and are then
left as they are).

The fitted values are the declared defaults in :mod:`sim.parameters` (the command prints them to copy there),
and :data:`sim.parameters_default.FITTED_PARAMETERS` keeps them out of the ABC calibration and the posterior
draws.

Usage::

    python -m calibration.levels                  # print the fit (scale 100, seeds 1 2, 5 rounds)
"""

from __future__ import annotations

import json
import math
import sys

import numpy as np
import pandas as pd

from calibration.demography import fit_argument_parser, observed_series, refuse_fit_arguments
from sim.parameters import parameter_specs
from sim.parameters_default import FITTED_PARAMETERS, default_parameters
from sim.years import LAST_OBSERVED_YEAR, START_YEAR

#: The observed series each income indicator of the model is fitted to (file ``income_2010_2020.csv``).
SERIES = {"urban_income": "urban_disposable_income", "rural_income": "rural_disposable_income"}
#: Growth-rate and level parameters of each series.
GROWTH = {"urban_income": "urban_wage_growth", "rural_income": "rural_productivity_growth"}
#: Population levels fitted (model indicator -> ``province_timeseries.csv`` indicator, 10k persons), and the
#: parameters that set them, in the same order.
POPULATION = {"registered_population": "hukou_population"}
#: Parameters moved by the chord Newton step, in the order of their targets: the registered population 2020
#: and the mean surveyed unemployment rate.
NEWTON_PARAMETERS = ("outside_settle_rate", "labour_demand_growth")
#: Finite-difference steps of those parameters for the Jacobian.
STEPS = {"outside_settle_rate": 0.005, "labour_demand_growth": -0.012}
#: Unit of each Newton target in the residual (persons -> millions, percent as is).
UNITS = (1e6, 1.0)


def observed(fit_until: int = LAST_OBSERVED_YEAR) -> pd.DataFrame:
    """Observed urban and rural disposable income (yuan per person) by year up to ``fit_until``."""
    df = pd.DataFrame({name: observed_series("income_2010_2020.csv", ind) for name, ind in SERIES.items()})
    return df[(df.index <= fit_until)].dropna()


def observed_population(fit_until: int = LAST_OBSERVED_YEAR) -> pd.Series | None:
    """The registered population at the 2020 census (persons), or None when ``fit_until`` < 2020."""
    if fit_until < LAST_OBSERVED_YEAR:
        return None
    return pd.Series({name: float(observed_series("province_timeseries.csv", ind)[LAST_OBSERVED_YEAR]) * 1e4
                      for name, ind in POPULATION.items()})


def observed_unemployment(fit_until: int = LAST_OBSERVED_YEAR) -> pd.Series:
    """The surveyed urban unemployment rate (percent) by year up to ``fit_until`` (annual values only)."""
    series = observed_series("labour_2010_2020.csv", "surveyed_urban_unemployment_rate")
    return series[series.index <= fit_until]


def simulate(values: dict[str, float], *, scale: float, seeds: list[int], end_year: int) -> pd.DataFrame:
    """Mean simulated incomes (yuan) and populations (persons) by year over ``seeds`` with these values."""
    from sim.model import HunanModel

    params = default_parameters().replace(**values)
    rows = []
    for seed in seeds:
        model = HunanModel(scale=scale, rng=seed, end_year=end_year, params=params)
        while model.year < end_year:
            model.step()
        ind = model.indicators()
        wanted = [*SERIES, *POPULATION, "population", "urban_unemployment_rate"]
        hunan = ind[(ind.region == "Hunan") & ind.indicator.isin(wanted)]
        rows.append(hunan.pivot(index="year", columns="indicator", values="value"))
    return pd.concat(rows).groupby(level=0).mean()


def line(series: pd.Series, first: int) -> tuple[float, float]:
    """Level at ``first`` and slope per year of a least-squares line through ``log(series)``."""
    years = series.index.to_numpy(dtype=float) - first
    slope, level = np.polyfit(years, np.log(series.to_numpy(dtype=float)), 1)
    return float(level), float(slope)


def fit(*, scale: float = 100, seeds: list[int] | None = None, rounds: int = 5,
        fit_until: int = LAST_OBSERVED_YEAR) -> dict:
    """Fitted values of the fitted parameters, and the last round's simulated series beside the observed."""
    seeds = seeds or [1, 2]
    obs = observed(fit_until)
    pop_obs = observed_population(fit_until)
    first = int(obs.index.min())
    end = LAST_OBSERVED_YEAR if pop_obs is not None else int(obs.index.max())
    p = default_parameters()
    values = {name: float(getattr(p, name)) for name in FITTED_PARAMETERS}
    if pop_obs is None:  # the backcast keeps the declared population and labour levels
        values = {k: v for k, v in values.items() if k not in NEWTON_PARAMETERS}
    specs = parameter_specs()
    unemployment = observed_unemployment(fit_until)
    years_u = [int(y) for y in unemployment.index]

    def newton_values(sim: pd.DataFrame) -> np.ndarray:
        """The simulated values of the Newton targets, in their units."""
        return np.array([sim.loc[end, "registered_population"] / UNITS[0],
                         sim.loc[years_u, "urban_unemployment_rate"].mean() / UNITS[1]])

    def residuals(sim: pd.DataFrame) -> np.ndarray:
        """Observed minus simulated, in the units of the targets; for unemployment the shift of the model's
        level that makes its largest error over the surveyed years smallest (the mid-range of the errors)."""
        errors = unemployment.to_numpy() - sim.loc[years_u, "urban_unemployment_rate"].to_numpy()
        return np.array([(pop_obs["registered_population"] - sim.loc[end, "registered_population"]) / UNITS[0],
                         (errors.max() + errors.min()) / 2 / UNITS[1]])

    jacobian = None
    for _ in range(rounds):
        sim = simulate(values, scale=scale, seeds=seeds, end_year=end)
        moves = {}
        for name in SERIES:
            level_o, slope_o = line(obs[name], first)
            level_m, slope_m = line(sim.loc[obs.index, name], first)
            moves[name] = (level_o - level_m, slope_o - slope_m)
        if pop_obs is not None and len(unemployment):
            residual = residuals(sim)
            if jacobian is None:
                # each parameter moves its own target (the cross effects are small and, by finite differences
                # at this scale, mostly noise, which made a full 2x2 step diverge)
                jacobian = np.array([
                    (newton_values(simulate({**values, q: values[q] + STEPS[q]}, scale=scale, seeds=seeds,
                                            end_year=end)) - newton_values(sim))[k] / STEPS[q]
                    for k, q in enumerate(NEWTON_PARAMETERS)])
            step = residual / jacobian
            for q, d in zip(NEWTON_PARAMETERS, step, strict=True):
                values[q] = float(np.clip(values[q] + d, specs[q]["low"], specs[q]["high"]))
        # Growth: change the yearly log growth by the difference of slopes.
        for name, growth in GROWTH.items():
            values[growth] = (1 + values[growth]) * math.exp(moves[name][1]) - 1
        # Levels at the first surveyed year: the new growth already moves them by (first - 2010) x slope change.
        years = first - START_YEAR
        d_urban = moves["urban_income"][0] - years * moves["urban_income"][1]
        d_rural = moves["rural_income"][0] - years * moves["rural_income"][1]
        values["urban_income_2010"] *= math.exp(d_urban)
        # Farm income in 2010 is urban_income_2010 / income_ratio_2010: the ratio takes what the urban level
        # change does not already give the rural level.
        values["income_ratio_2010"] *= math.exp(d_urban - d_rural)
    sim = simulate(values, scale=scale, seeds=seeds, end_year=end)
    table = pd.DataFrame({"urban_observed": obs.urban_income, "urban_model": sim.urban_income,
                          "rural_observed": obs.rural_income, "rural_model": sim.rural_income,
                          "population_model": sim.population, "registered_model": sim.registered_population,
                          "unemployment_model": sim.urban_unemployment_rate * 1e4,
                          "unemployment_observed": unemployment * 1e4})  # percent (the table prints / 1e4)
    if pop_obs is not None:
        table.loc[LAST_OBSERVED_YEAR, "registered_observed"] = pop_obs["registered_population"]
    return {"parameters": {k: round(v, 4 if abs(v) > 0.01 else 6) for k, v in values.items()},
            "fit": {"scale": scale, "seeds": seeds, "rounds": rounds, "fit_until": fit_until,
                    "command": "python -m calibration.levels"},
            "table": table}


def main(argv: list[str] | None = None) -> int:
    """Command-line entry (module docstring)."""
    args = fit_argument_parser("python -m calibration.levels", __doc__.split("\n")[0], rounds=5).parse_args(argv)
    if refuse_fit_arguments(args, first_fit_until=2015, fit_until_why=" (two surveyed income years at least)"):
        return 2
    result = fit(scale=args.scale, seeds=args.seeds, rounds=args.rounds, fit_until=args.fit_until)
    table = result.pop("table")
    print((table / 1e4).round(2).to_string())  # 10k yuan, 10k persons
    print(json.dumps(result, indent=1))
    print("copy the parameters into their defaults in sim/parameters.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
