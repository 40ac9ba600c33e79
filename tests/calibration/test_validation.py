"""The backcast's yardsticks (calibration/validation.py): naive forecasters, error scores, interval coverage."""

from __future__ import annotations

import pandas as pd
import pytest

from calibration.validation import NAIVE_FORECASTERS, forecast_scores, interval_coverage, naive_forecasts
from sim.data import observed_urbanization_rate
from sim.errors import InputError


def test_naive_forecasters_extend_a_line_exactly_and_differ_on_a_curve() -> None:
    line = pd.Series([10.0 + 1.5 * (y - 2010) for y in range(2010, 2016)], index=range(2010, 2016))
    f = naive_forecasts(line, 2015, [2016, 2020])
    assert f.loc[2020, "linear_trend"] == pytest.approx(25.0)
    assert f.loc[2020, "mean_increment"] == pytest.approx(25.0)
    assert f.loc[2016, "persistence"] == f.loc[2020, "persistence"] == pytest.approx(17.5)
    curve = pd.Series([0.0, 0.0, 0.0, 0.0, 0.0, 5.0], index=range(2010, 2016))
    g = naive_forecasts(curve, 2015, [2016])
    # drift: 5 + 5/5 = 6; trend: the least-squares line through the six points (slope 5/7 at x = 2016)
    assert g.loc[2016, "mean_increment"] == pytest.approx(6.0)
    assert g.loc[2016, "linear_trend"] == pytest.approx(5 / 6 + (5 / 7) * 3.5)


def test_held_out_years_and_too_short_fits_are_refused() -> None:
    path = observed_urbanization_rate()
    with pytest.raises(InputError, match="later observations are held out"):
        naive_forecasts(path, 2015, [2021])
    with pytest.raises(InputError, match="fit_until"):
        naive_forecasts(path, 2010, [2016])


def test_scores_and_coverage_on_the_observed_backcast_years() -> None:
    """The bar the model's backcast must clear: the naive forecasters' errors on 2016-2020 from 2010-2015."""
    path = observed_urbanization_rate()
    years = list(range(2016, 2021))
    f = naive_forecasts(path, 2015, years)
    scores = forecast_scores(path, {name: f[name] for name in NAIVE_FORECASTERS})
    assert list(scores.index) == list(NAIVE_FORECASTERS) and (scores.years == 5).all()
    # Hunan sped up after 2015 (1.6 pp a year to 2015, 1.9 in 2016): both trend forecasters miss low, by
    # well under persistence's error (which ignores the trend)
    assert (f.loc[2016, ["linear_trend", "mean_increment"]] < path.loc[2016]).all()
    assert scores.loc["persistence", "mae"] > 3 * scores.loc["linear_trend", "mae"]
    assert 0 < scores.loc["linear_trend", "mae"] < 2
    exact = interval_coverage(path.loc[years], path.loc[years] - 0.1, path.loc[years] + 0.1)
    shifted = interval_coverage(path.loc[years], f.loc[years, "persistence"] - 0.1, f.loc[years, "persistence"] + 0.1)
    assert exact == 1.0 and shifted == 0.0
