"""The calibration report on a tiny hand-made posterior: every section, figure and table is written."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from calibration.report import done_when, main
from calibration.simulator import calibrated_parameters, prior_bounds
from calibration.targets import load_targets
from sim.errors import InputError

pytestmark = pytest.mark.slow


def _tiny_posterior(path):
    """Five draws spread over the middle of each prior range, with a median (no provenance: a minimal file)."""
    names = calibrated_parameters()
    bounds = prior_bounds(names)
    rng = np.random.default_rng(5)
    samples = [{n: float(lo + (hi - lo) * rng.uniform(0.4, 0.6)) for n, (lo, hi) in bounds.items()}
               for _ in range(5)]
    median = {n: float(np.median([s[n] for s in samples])) for n in names}
    path.write_text(json.dumps({"median": median, "samples": samples}))
    return path


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    base = tmp_path_factory.mktemp("report")
    posterior = _tiny_posterior(base / "posterior.json")
    # Morris on four parameters only: the design's size grows with the parameters screened
    screened = ["review_rate", "taste_scale", "urban_wage_growth", "outside_wage_premium"]
    path = main(base / "out", posterior_path=posterior, draws=3, scale=5000, seed=4, workers=2, trajectories=2,
                sobol_n=2, sobol_top=2, sa_scale=5000, sa_parameters=screened, reference_runs=2)
    return path


def test_report_has_every_section_and_figure(report):
    text = report.read_text()
    for heading in ("## Done-when criteria", "## 1. Fit to the targets", "## 2. Parameters", "## 4. Sensitivity",
                    "## 5. Projections", "## 6. What limits the fit", "## 8. Runtime"):
        assert heading in text
    for fig in ("fig_provincial_path.png", "fig_divisions_2020.png", "fig_parameters.png", "fig_sensitivity.png",
                "fig_projections.png"):
        assert f"]({fig})" in text
        assert (report.parent / fig).stat().st_size > 5000
    assert "declared defaults" in text and "posterior median" in text


def test_fit_table_lists_every_target_with_observed_value_and_source(report):
    fit = pd.read_csv(report.parent / "fit_targets.csv")
    targets = load_targets()
    assert list(fit.key) == [t.key for t in targets]
    assert np.allclose(fit.observed, [t.observed for t in targets], rtol=1e-5)
    assert fit.source.notna().all()
    assert (fit.q05 <= fit["median"] + 1e-9).all() and (fit["median"] <= fit.q95 + 1e-9).all()
    assert fit.year.max() <= 2020


def test_sensitivity_and_projection_tables(report):
    morris = pd.read_csv(report.parent / "sensitivity_morris.csv")
    sobol = pd.read_csv(report.parent / "sensitivity_sobol.csv")
    assert set(morris.year) == {2025, 2035}
    assert set(morris.parameter) == {"review_rate", "taste_scale", "urban_wage_growth", "outside_wage_premium"}
    assert (morris.mu_star >= 0).all() and morris.mu_star_norm.max() == pytest.approx(1.0)
    assert sobol.parameter.nunique() == 2
    proj = pd.read_csv(report.parent / "projections.csv")
    assert {"baseline"} <= set(proj.scenario)
    assert ((proj.p_meet.dropna() >= 0) & (proj.p_meet.dropna() <= 1)).all()


def test_done_when_flags_a_perfect_and_a_bad_fit():
    targets = load_targets()
    perfect = pd.DataFrame([{"key": t.key, "group": t.group, "indicator": t.indicator, "region": t.region,
                             "year": t.year, "observed": t.observed, "median": t.observed, "error": 0.0}
                            for t in targets])
    assert done_when(perfect).met.dropna().all()
    bad = perfect.assign(error=np.where(perfect.group == "income", 0.3, 0.0))
    bad["median"] = bad.observed + bad.error
    met = done_when(bad).set_index("criterion").met
    assert not met["income ratio 2020 within 0.1"]
    assert met["2020 division urbanization RMSE <= 2 pp"]


def test_missing_posterior_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="posterior"):
        main(tmp_path / "out", posterior_path=tmp_path / "none.json")
