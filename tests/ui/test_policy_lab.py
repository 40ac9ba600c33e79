"""Issue 16 without a browser: the paired comparison, grouping of stored results, looking ahead for a household
to follow, the year the page shows, and refusal messages for non-finite lever values."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim.errors import InputError
from sim.run import PROVENANCE_KEY
from ui.charts import ChartData, Series, chart_spec
from ui.compare import Comparison, difference_runs, share_meeting, summary, values_at
from ui.geo import flow_legend, map_state
from ui.i18n import refusal_text
from ui.inputs import lever_value
from ui.results import flow_totals, regions_by_indicator, run_group, runs_of, scan_folder
from ui.session import SimSession


def _comparison() -> Comparison:
    years = [2024, 2025, 2026]
    runs = {"baseline": {("urbanization_rate", "Hunan"): [(years, [60.0, 62.0, 63.0]), (years, [61.0, 63.5, 64.0])]},
            "current": {("urbanization_rate", "Hunan"): [(years, [60.5, 63.0, 64.5]), (years, [61.0, 64.5, 65.0])]}}
    return Comparison(seeds=[1, 2], master_seed=1, scale=500, end_year=2026, runs=runs)


def test_paired_difference_is_taken_per_seed() -> None:
    result = _comparison()
    diffs = difference_runs(result, "urbanization_rate")
    assert [d[1] for d in diffs] == [[0.5, 1.0, 1.5], [0.0, 1.0, 1.0]]
    assert values_at(diffs, 2025).tolist() == [1.0, 1.0]
    med, lo, hi = summary(values_at(result.series("current", "urbanization_rate"), 2025))
    assert (med, lo, hi) == pytest.approx((63.75, 63.15, 64.35))
    assert difference_runs(result, "no_such_indicator") == []


def test_each_pair_shares_its_seed_and_its_posterior_draw_the_draws_an_experiment_makes() -> None:
    from experiments.spec import posterior_draws
    from sim.ensemble import EnsembleRun, run_one
    from sim.parameters_default import POSTERIOR_PATH
    from sim.scenario import Scenario
    from ui.compare import run_comparison

    baseline = Scenario.load("baseline")
    result = run_comparison(current=baseline, baseline=baseline, master_seed=5, n_replications=2, scale=20000,
                            end_year=2015)
    draws = posterior_draws(POSTERIOR_PATH, 2, 5)
    assert result.draws == draws and draws[0] != draws[1] and len(draws[0]) > 5  # full draws, not medians
    # both arms ran the same scenario with the same seed and draw: identical pairs, a difference of exactly 0
    assert result.series("current", "urbanization_rate") == result.series("baseline", "urbanization_rate")
    assert values_at(difference_runs(result, "urbanization_rate"), 2015).tolist() == [0.0, 0.0]
    # pair 1 is the run of seed 1 with draw 1, as the one runner gives it
    alone = run_one(EnsembleRun(params=draws[1], seed=result.seeds[1], scale=20000, end_year=2015, keep_years=None))
    rows = alone[(alone.indicator == "urbanization_rate") & (alone.region == "Hunan")]
    assert result.series("baseline", "urbanization_rate")[1] == (rows.year.tolist(), rows.value.tolist())


def test_share_meeting_a_target_reads_its_direction() -> None:
    values = np.array([62.0, 63.0, 64.0, float("nan")])
    assert share_meeting(values, 63.0, at_most=False) == pytest.approx(2 / 3)
    assert share_meeting(values, 63.0, at_most=True) == pytest.approx(2 / 3)
    assert share_meeting(values, 70.0, at_most=False) == 0.0
    assert math.isnan(share_meeting(np.array([float("nan")]), 1.0, at_most=False))


def _tidy(path: Path, scenario: str | None, slope: float) -> None:
    df = pd.DataFrame([(y, r, "urbanization_rate", 45 + slope * (y - 2010)) for y in range(2010, 2014)
                       for r in ("Hunan", "Changsha")] + [(y, "Hunan", "hukou_gap", 15.0) for y in range(2010, 2014)],
                      columns=["year", "region", "indicator", "value"])
    table = pa.Table.from_pandas(df, preserve_index=False)
    if scenario is not None:
        meta = {PROVENANCE_KEY: json.dumps({"scenario": {"name": scenario}, "seed": 1}).encode()}
        table = table.replace_schema_metadata(meta)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


def test_stored_runs_are_grouped_by_the_scenario_in_their_metadata_and_flows_are_read(tmp_path: Path) -> None:
    _tidy(tmp_path / "a" / "indicators.parquet", "baseline", 1.0)
    _tidy(tmp_path / "b" / "indicators.parquet", "plan-2021", 1.2)
    _tidy(tmp_path / "c" / "indicators.parquet", None, 1.1)
    pd.DataFrame({"year": [2011, 2011], "origin": [0, 1], "origin_urban": [0, 0], "destination": [1, 1],
                  "destination_urban": [1, 1], "households": [1.0, 2.0], "persons": [500.0, 900.0]}).to_parquet(
        tmp_path / "a" / "flows.parquet")
    found = scan_folder(tmp_path, tmp_path)
    assert len(found.files) == 3 and len(found.flows) == 1 and found.skipped == []
    assert [run_group(p) for p in found.files] == ["baseline", "plan-2021", ""]
    runs = runs_of(found.files, tmp_path, "urbanization_rate", "Changsha")
    assert {name: run.scenario for name, run in runs.items()} == {
        "a/indicators.parquet": "baseline", "b/indicators.parquet": "plan-2021", "c/indicators.parquet": ""}
    by_indicator = regions_by_indicator(found.files)
    assert by_indicator["hukou_gap"] == ["Hunan"] and by_indicator["urbanization_rate"] == ["Hunan", "Changsha"]
    flows = flow_totals(found.flows, tmp_path)
    assert flows["a/flows.parquet"].years == [2011] and flows["a/flows.parquet"].values == [500.0]  # 1 -> 1 stays


def test_a_followed_household_moves_in_the_coming_years_and_the_run_is_unchanged() -> None:
    session = SimSession(scale=2000)
    control = SimSession(scale=2000)
    hid = session.follow_ahead("move")
    assert hid is not None
    session.step(5)
    control.step(5)
    places = {rec["loc"] for rec in session.timeline}
    assert len(places) > 1, session.timeline  # it moved within the five years
    assert session.model.indicator_rows == control.model.indicator_rows  # looking ahead changed nothing
    with pytest.raises(InputError):
        session.households_ahead("elope")


def test_the_year_shown_reads_earlier_years() -> None:
    session = SimSession(scale=2000)
    session.step(3)
    first = session.series("urbanization_rate")[1][0]
    assert session.value_in("urbanization_rate", "Hunan", 2010) == first
    assert session.value_in("urbanization_rate", "Hunan", None) == session.latest("urbanization_rate")
    assert math.isnan(session.value_in("urbanization_rate", "Hunan", 2030))
    assert set(session.division_values("population", 2011)) == set(session.division_values("population"))
    table = session.indicator_table()
    assert list(table.columns) == ["year", "region", "indicator", "value"] and set(table.year) == {2010, 2011,
                                                                                                 2012, 2013}
    assert set(session.flow_table().year) == {2011, 2012, 2013}


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "NaN"])
def test_non_finite_lever_values_are_refused_with_a_message_in_both_languages(text: str) -> None:
    with pytest.raises(InputError) as info:
        lever_value("settlement_min_years", text)
    assert "Years of residence required to settle (settlement_min_years)" in refusal_text(info.value, "en")
    zh = refusal_text(info.value, "zh")
    assert "落户所需连续居住年限" in zh and "0 至 10 之间的整数" in zh
    with pytest.raises(InputError):
        lever_value("land_quota_per_settler", float(text))


def test_flow_legend_hover_values_and_year_marker() -> None:
    state = map_state({"Changsha": 70.0, "Hengyang": 50.0}, lang="en", open_years={}, year=2015,
                      flows=[("Hengyang", "Changsha", 40_000.0), ("Changsha", "outside", 10_000.0)])
    assert state["arrows"][0]["title"] == "Hengyang → Changsha: 40,000"
    assert state["arrows"][1]["title"].endswith("Outside Hunan: 10,000")
    assert [f["label"] for f in state["flow_legend"]] == ["40,000", "10,000", "1,600"]
    assert flow_legend([]) == []
    spec = chart_spec(ChartData(title="t", series=[Series("s", [2010, 2011], [1.0, 2.0])], marker=2011))
    assert spec["marker"]["label"] == "2011"
    assert chart_spec(ChartData(title="t"))["marker"] is None
