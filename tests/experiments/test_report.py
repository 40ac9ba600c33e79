"""The report: target probabilities with intervals, fan charts, lever effects, PRIM and sensitivity indices."""

from __future__ import annotations

import importlib.machinery
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments import analysis
from experiments.report import write_report
from sim.cli import main

REPO = Path(__file__).resolve().parents[2]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def grid_report(grid_results, tmp_path_factory):
    folder, _ = grid_results
    out = tmp_path_factory.mktemp("report")
    return write_report(folder, out_dir=out)


@pytest.mark.slow
def test_report_gives_probabilities_of_63_by_2025_and_72_by_2035_with_intervals(grid_report):
    probs = pd.read_csv(grid_report.parent / "probabilities.csv")
    for target in ("urbanization_rate >= 63 (2025)", "urbanization_rate >= 72 (2035)"):
        rows = probs[probs["target"] == target]
        assert len(rows) == 16  # one per policy of the 4 × 4 grid
        assert (rows["n_runs"] == 2).all()
        assert ((rows["p_low"] <= rows["p"]) & (rows["p"] <= rows["p_high"])).all()
        assert ((rows["p_high"] - rows["p_low"]) > 0.3).all()  # two runs per policy cannot say much
        assert rows["p"].isin([0.0, 0.5, 1.0]).all()
    text = grid_report.read_text()
    assert "urbanization_rate >= 63 (2025)" in text and "urbanization_rate >= 72 (2035)" in text
    assert "[" in text.split("urbanization_rate >= 72 (2035)")[-1]  # intervals are printed


@pytest.mark.slow
def test_report_draws_fan_charts_and_the_division_heatmap(grid_report):
    text = grid_report.read_text()
    for name in ("fan_urbanization_rate.png", "division_targets_2025.png", "lever_effects.png"):
        path = grid_report.parent / name
        assert path.read_bytes()[:8] == PNG_MAGIC
        assert f"]({name})" in text
    div = pd.read_csv(grid_report.parent / "division_probabilities.csv")
    assert set(div["division"]) == set(analysis.load_plan_city_targets()["division_en"])


@pytest.mark.slow
def test_report_estimates_lever_effects_and_runs_prim(grid_report):
    effects = pd.read_csv(grid_report.parent / "lever_effects.csv")
    assert {"changsha_settlement", "public_rental_units_per_year"} <= set(effects["factor"])
    assert (effects["ci_low"] <= effects["effect"]).all() and (effects["effect"] <= effects["ci_high"]).all()
    assert "## Scenario discovery" in grid_report.read_text()


def test_plan_targets_are_read_from_the_plan_table():
    targets = {t.short: t for t in analysis.plan_targets()}
    assert targets["urbanization_rate >= 63 (2025)"].value == 63
    assert targets["urbanization_rate >= 72 (2035)"].year == 2035
    assert targets["urban_unemployment_rate < 5.5 (2025)"].op == "<"
    assert targets["urban_rural_income_ratio <= 2.4 (2025)"].op == "<="  # 'about 2.4', down from 2.51
    assert targets["czt_urban_share >= 35 (2025)"].met(np.array([35.0, 34.9, np.nan])).tolist() == [True, False, False]
    cities = analysis.city_targets()
    assert len(cities) == 14 and {t.value for t in cities if t.region == "Changsha"} == {85.0}


def test_wilson_interval_matches_known_values():
    lo, hi = analysis.wilson_interval(5, 10)
    assert lo == pytest.approx(0.2366, abs=1e-4) and hi == pytest.approx(0.7634, abs=1e-4)
    lo, hi = analysis.wilson_interval(0, 2)
    assert lo == 0 and hi == pytest.approx(0.6576, abs=1e-4)
    lo, hi = analysis.wilson_interval(np.array([3]), np.array([0]))
    assert np.isnan(lo[0]) and np.isnan(hi[0])


def test_lever_effects_recover_known_effects():
    rng = np.random.default_rng(0)
    n = 400
    df = pd.DataFrame({"units": rng.choice([0.0, 600.0, 3000.0], n), "rule": rng.choice(["strict", "open"], n),
                       "share": rng.uniform(0, 1, n)})
    df["y"] = 2.0 * (df["units"] == 3000) - 1.5 * (df["rule"] == "strict") + 4.0 * df["share"] + \
        rng.normal(0, 0.5, n)
    eff = analysis.lever_effects(df, ["units", "rule", "share"], ["y"]).set_index("term")
    checks = {"units: 0 → 3000": 2.0, "units: 0 → 600": 0.0, "share": 4.0 * (df.share.max() - df.share.min())}
    for term, true in checks.items():
        row = eff.loc[[t for t in eff.index if t.startswith(term)][0]]
        assert row.ci_low <= true <= row.ci_high
    rule = eff.loc[[t for t in eff.index if t.startswith("rule")][0]]
    assert rule.ci_high < 0 or rule.ci_low > 0  # a real effect is told apart from noise


def test_prim_finds_the_box_of_a_known_rule():
    rng = np.random.default_rng(1)
    x = pd.DataFrame({"a": rng.uniform(0, 1, 300), "b": rng.choice(["s", "o", "r"], 300), "c": rng.uniform(0, 1, 300)})
    y = ((x.a > 0.6) & (x.b != "s")).to_numpy()
    found = analysis.discover(x, y)
    lim = found.limits.set_index("factor")
    assert found.density >= 0.8 and found.coverage > 0.5
    assert 0.4 < lim.loc["a", "low"] <= 0.62  # the highest-coverage box with density >= 0.8
    assert lim.loc["b", "levels"] == "o, r"
    assert "c" not in lim.index
    strict = analysis.discover(x, y, min_density=1.0)
    assert strict.density == 1.0 and strict.limits.set_index("factor").loc["a", "low"] >= 0.6


def test_prim_explains_when_there_is_nothing_to_discover():
    x = pd.DataFrame({"a": [1.0, 2.0, 3.0]})
    assert "every run" in analysis.discover(x, np.array([True, True, True])).message
    assert "no lever varies" in analysis.discover(pd.DataFrame({"a": [1.0] * 3}), np.array([True, False, True])).message


def test_sensitivity_indices_rank_a_known_function():
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    problem = {"num_vars": 3, "names": ["big", "small", "none"], "bounds": [[0, 1]] * 3}
    f = lambda X: 10 * X[:, 0] + X[:, 1]  # noqa: E731
    X = morris_sample.sample(problem, 20, num_levels=4, seed=1)
    m = analysis.sensitivity_indices("morris", problem, X, f(X), seed=2).set_index("parameter")
    assert m.loc["big", "mu_star"] > m.loc["small", "mu_star"] > m.loc["none", "mu_star"]
    X = sobol_sample.sample(problem, 256, calc_second_order=False, seed=1)
    s = analysis.sensitivity_indices("sobol_sensitivity", problem, X, f(X), seed=2).set_index("parameter")
    assert s.loc["big", "ST"] > 0.9 and s.loc["none", "ST"] < 0.05


def test_report_calibration_dispatches_to_the_calibration_report(monkeypatch, capsys, tmp_path):
    """``report calibration`` hands over to calibration.report.main (written by the calibration engineer); its
    own tests run it, here a stand-in records the call so the dispatch is tested without hours of runs."""
    calls = []
    fake = types.ModuleType("calibration.report")
    fake.__spec__ = importlib.machinery.ModuleSpec("calibration.report", None)
    fake.main = lambda **kw: calls.append(kw) or tmp_path / "report.md"
    monkeypatch.setitem(sys.modules, "calibration.report", fake)
    assert main(["report", "calibration", "--out", str(tmp_path)]) == 0
    assert calls == [{"out_dir": str(tmp_path)}] and "report.md" in capsys.readouterr().out


@pytest.mark.slow
def test_report_of_a_non_results_folder_is_a_clear_error(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "sim.cli", "report", str(tmp_path)], cwd=REPO, capture_output=True,
                          text=True)
    assert proc.returncode == 2 and "experiment.json" in proc.stderr


def _sweep_in_process(defn: dict, root: Path) -> Path:
    """Execute and store every run of an experiment in this process (the Dask runner is tested elsewhere)."""
    from experiments.runner import execute_run
    from experiments.spec import experiment_from_dict
    from experiments.store import ResultStore

    exp = experiment_from_dict(defn, source="inline.toml")
    plan = exp.plan()
    store = ResultStore(root)
    with store.locked():
        store.prepare(exp, plan, exp.digest(plan))
        for p in plan:
            o = execute_run(p)
            store.write_run(p, experiment=exp.name, digest=exp.digest(plan), indicators=o.indicators, flows=None,
                            provenance=o.provenance, elapsed=o.elapsed, worker=o.worker)
    return root


@pytest.mark.slow
def test_report_of_a_morris_design_gives_indices_per_outcome(tmp_path):
    defn = {"name": "morris-test", "master_seed": 5, "end_year": 2025, "scale": 50000,
            "uncertainties": {"design": "morris", "n": 2, "parameters": ["home_attachment", "taste_scale"]},
            "outputs": {"regions": ["Hunan"]}}
    root = _sweep_in_process(defn, tmp_path / "morris")
    report = write_report(root)
    idx = pd.read_csv(report.parent / "sensitivity.csv")
    assert set(idx["parameter"]) == {"home_attachment", "taste_scale"}
    assert set(idx["outcome"]) == {"urbanization_rate@Hunan@2025", "czt_urban_share@Hunan@2025"}
    assert (idx["mu_star"] >= 0).all() and idx["mu_star"].notna().all()
    assert "## Global sensitivity (Morris screening)" in report.read_text()
