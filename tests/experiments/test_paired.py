"""Paired effects: runs of two policies matched by uncertainty point (posterior draw) and replicate, with common
random numbers, give a narrower interval of a policy's effect than independent runs do."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments import analysis
from experiments.report import write_report
from sim.indicators import INDICATORS
from sim.plan_targets import DEFINITION_DIFFERENCES, definition_warning
from tests.experiments.test_report import _sweep_in_process

#: Two scenarios × 3 Latin-hypercube points × 2 replications = 12 runs to 2025 at 1 record per 2,000 households,
#: with common random numbers.
TWO_SCENARIOS = {"name": "paired-test", "scenarios": ["baseline", "plan-2021"], "master_seed": 11,
                 "end_year": 2025, "scale": 2000, "replications": 2, "common_random_numbers": True,
                 "uncertainties": {"design": "latin_hypercube", "n": 3,
                                   "parameters": ["home_attachment", "taste_scale"]},
                 "outputs": {"regions": ["Hunan", "Changsha"]}}


@pytest.fixture(scope="module")
def paired_sweep(tmp_path_factory):
    root = _sweep_in_process(TWO_SCENARIOS, tmp_path_factory.mktemp("paired") / "results")
    return root, write_report(root)


def _table(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows)


def test_pairs_are_matched_by_draw_and_replicate_and_lonely_runs_are_reported():
    rng = np.random.default_rng(3)
    rows = []
    for arm in ("a", "b"):
        for draw in range(6):
            for rep in range(2):
                level = 5.0 * draw + rng.normal(0, 0.01)  # the draw moves the level; the arm adds 0.5
                rows.append({"run_index": len(rows), "policy": arm, "uncertainty_point": draw, "replicate": rep,
                             "seed": 100 * draw + rep, "x@Hunan@2025": level + (0.5 if arm == "b" else 0.0)})
    rows.append({"run_index": 99, "policy": "b", "uncertainty_point": 7, "replicate": 0, "seed": 1,
                 "x@Hunan@2025": 0.0})
    res = analysis.paired_effects(_table(rows), ["x@Hunan@2025"])
    (e,) = res.effects.itertuples()
    assert res.baseline == "a" and e.arm == "b" and e.n_pairs == 12 and e.common_seeds
    assert e.low < 0.5 < e.high and e.high - e.low < 0.1
    assert e.unpaired_high - e.unpaired_low > 20  # independent runs differ by the draws' spread
    assert res.unmatched["run_index"].tolist() == [99]
    assert "no run of the baseline" in res.unmatched["reason"].iloc[0]


def test_duplicate_keys_are_reported_not_paired():
    rows = [{"run_index": i, "policy": p, "uncertainty_point": 0, "replicate": 0, "seed": 1, "y@Hunan@2025": v}
            for i, (p, v) in enumerate([("a", 1.0), ("b", 2.0), ("b", 3.0)])]
    res = analysis.paired_effects(_table(rows), ["y@Hunan@2025"])
    assert res.effects.empty
    assert sorted(res.unmatched["run_index"]) == [0, 1, 2]  # the two b runs are ambiguous, so a has no partner


def test_definition_differences_name_model_indicators_and_plan_rows():
    plan = analysis.load_plan_indicators().set_index("id")
    assert "urban_unemployment_rate" in DEFINITION_DIFFERENCES
    for name, d in DEFINITION_DIFFERENCES.items():
        assert name in INDICATORS
        assert all(i in plan.index for i in d.plan_ids)
        assert "docs/ODD.md" in d.documented
    assert definition_warning("urbanization_rate") == ""
    assert "surveyed" in definition_warning("urban_unemployment_rate")


@pytest.mark.slow
def test_paired_interval_is_narrower_than_unpaired_on_a_seeded_two_scenario_sweep(paired_sweep):
    root, report = paired_sweep
    eff = pd.read_csv(report.parent / "paired_effects.csv")
    row = eff[(eff["outcome"] == "urbanization_rate@Hunan@2025")].iloc[0]
    assert row["baseline"] == "baseline" and row["arm"] == "plan-2021"
    assert row["n_pairs"] == 6 and bool(row["common_seeds"])
    paired, unpaired = row["high"] - row["low"], row["unpaired_high"] - row["unpaired_low"]
    assert 0 <= paired < unpaired
    assert row["low"] <= row["median"] <= row["high"]
    assert set(eff["region"]) == {"Hunan", "Changsha"} and set(eff["year"]) == {2025}


@pytest.mark.slow
def test_report_has_a_paired_effects_row_per_indicator_and_the_draw_index(paired_sweep):
    root, report = paired_sweep
    text = report.read_text()
    assert "## Paired effects" in text
    section = text.split("## Paired effects")[1].split("\n## ")[0]
    assert "### plan-2021 minus baseline (6 pairs)" in section
    runs = pd.read_parquet(next((root / "runs").glob("r*.parquet")))
    hunan = set(runs.loc[runs["region"] == "Hunan", "indicator"])
    assert len(hunan) > 20
    for ind in hunan:
        assert f"\n| {ind} |" in section, ind
    assert definition_warning("urban_unemployment_rate") in section
    assert {"uncertainty_point", "replicate", "seed"} <= set(runs.columns)  # the runs table has the draw index
    table = pd.read_csv(report.parent / "runs.csv")
    assert len(table) == 12 and (table["status"] == "finished").all()
    pairs = table.groupby(["uncertainty_point", "replicate"])["seed"].nunique()
    assert (pairs == 1).all()  # common random numbers: both scenarios share each (draw, replicate)'s seed


@pytest.mark.slow
def test_report_command_prints_the_paired_effects(paired_sweep, tmp_path, capsys):
    from sim.cli import main

    root, _ = paired_sweep
    assert main(["report", str(root), "--out", str(tmp_path / "r")]) == 0
    printed = capsys.readouterr().out
    assert "paired effects, plan-2021 minus baseline" in printed
    line = next(x for x in printed.splitlines() if x.strip().startswith("urbanization_rate 2025:"))
    assert line.count("[") == 2 and " vs " in line  # the paired and the unpaired interval
    assert "definition differs" in next(x for x in printed.splitlines() if "urban_unemployment_rate" in x)
