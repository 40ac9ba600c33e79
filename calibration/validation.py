"""Forecast validation: the yardsticks a backcast is judged against (issue 20, prepared ahead of it).

A backcast fits the model on 2010-``fit_until`` only and forecasts the following years up to the last observed
year (2020). The model's forecast is worth citing only if it beats forecasters that need no model at all, so this
module provides them, and the scores that compare any forecaster with the observed path:

* ``linear_trend``: the least-squares line through the fitted years, extended;
* ``mean_increment``: the last fitted value plus the mean yearly change over the fitted years (a random walk with
  drift, the usual naive benchmark for a trending series; Hyndman & Athanasopoulos, *Forecasting: principles and
  practice*, 3rd ed., section 5.2, "Drift method");
* ``persistence``: the last fitted value carried forward (for spatial quantities, e.g. a county's share, the
  natural null; for a trending series a weak one, reported for completeness).

Scores: mean absolute error and largest absolute error over the forecast years, and the coverage of predictive
intervals (the share of years whose observed value lies inside the interval), which a well-calibrated 90 %
interval keeps near 0.9.

Only observations up to :data:`sim.years.LAST_OBSERVED_YEAR` are ever read or scored: later years are reserved
for an out-of-sample test the project does not hold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.years import LAST_OBSERVED_YEAR, START_YEAR

#: The naive forecasters, in the order reports list them.
NAIVE_FORECASTERS = ("linear_trend", "mean_increment", "persistence")


def naive_forecasts(path: pd.Series, fit_until: int, years: Sequence[int]) -> pd.DataFrame:
    """Forecasts of a yearly series by each naive forecaster, from the values up to ``fit_until``.

    Args:
        path: observed values indexed by year (at least two years up to ``fit_until``).
        fit_until: last year the forecasters may see.
        years: years to forecast (each after ``fit_until`` and not after the last observed year).

    Returns:
        One row per forecast year, one column per forecaster of :data:`NAIVE_FORECASTERS`.

    Raises:
        InputError: too few fitted years, or a forecast year outside ``fit_until + 1`` to the last observed year.
    """
    fitted = path[(path.index >= START_YEAR) & (path.index <= fit_until)].dropna().sort_index()
    if len(fitted) < 2:
        raise InputError(field="fit_until", value=fit_until, allowed=f"a year with at least two observed years "
                         f"from {START_YEAR} up to it", source="validation")
    for year in years:
        if not fit_until < year <= LAST_OBSERVED_YEAR:
            raise InputError(field="years", value=year, allowed=f"years from {fit_until + 1} to "
                             f"{LAST_OBSERVED_YEAR} (later observations are held out)", source="validation")
    x = fitted.index.to_numpy(dtype=float)
    y = fitted.to_numpy(dtype=float)
    slope, intercept = np.polyfit(x, y, 1)
    last_year, last = int(fitted.index[-1]), float(y[-1])
    drift = (last - float(y[0])) / (last_year - int(fitted.index[0]))
    target = np.asarray(years, dtype=float)
    return pd.DataFrame({"linear_trend": intercept + slope * target,
                         "mean_increment": last + drift * (target - last_year),
                         "persistence": np.full(len(target), last)}, index=pd.Index(list(years), name="year"))


def forecast_scores(observed: pd.Series, forecasts: Mapping[str, pd.Series]) -> pd.DataFrame:
    """Mean and largest absolute error of each forecaster over the years it forecasts and that were observed.

    Args:
        observed: observed values indexed by year.
        forecasts: forecaster name -> forecast values indexed by year.

    Returns:
        One row per forecaster: ``mae``, ``max_abs_error``, ``years`` (how many years were scored).
    """
    rows = {}
    for name, forecast in forecasts.items():
        common = forecast.index.intersection(observed.index)
        common = common[common <= LAST_OBSERVED_YEAR]
        err = (forecast.loc[common] - observed.loc[common]).abs()
        rows[name] = {"mae": float(err.mean()) if len(err) else float("nan"),
                      "max_abs_error": float(err.max()) if len(err) else float("nan"), "years": int(len(err))}
    return pd.DataFrame.from_dict(rows, orient="index")


def interval_coverage(observed: pd.Series, lower: pd.Series, upper: pd.Series) -> float:
    """Share of the years with an observation and an interval in which the observation lies inside it."""
    years = observed.index.intersection(lower.index).intersection(upper.index)
    years = years[years <= LAST_OBSERVED_YEAR]
    if len(years) == 0:
        return float("nan")
    inside = (observed.loc[years] >= lower.loc[years]) & (observed.loc[years] <= upper.loc[years])
    return float(inside.mean())
