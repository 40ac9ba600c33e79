"""The benchmark's measuring code: stage timers see every stage without changing the run; the report adds up.

No speed is asserted here (speeds are measured by ``python -m benchmarks.run`` only).
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd
import pytest

from benchmarks.run import (
    DECISION_STAGES,
    STAGES,
    StageTimer,
    main,
    measure_reference,
    measure_scale,
    parse_scales,
    render_markdown,
    summarise,
)
from sim.model import HunanModel

SCALE = 5000  # about 4,000 records: a model year takes milliseconds


def test_timers_do_not_change_the_run() -> None:
    plain, timed = HunanModel(scale=SCALE, rng=4), HunanModel(scale=SCALE, rng=4)  # county network
    timer = StageTimer()
    wrapped = timer.attach(timed)
    assert set(STAGES) <= set(wrapped)
    for _ in range(2):
        plain.step()
        timed.step()
    pd.testing.assert_frame_equal(plain.indicators(), timed.indicators())
    for name, column in plain.households.cols.items():
        np.testing.assert_array_equal(column, timed.households.cols[name], err_msg=name)
    # every stage ran once a year and saw the whole table
    assert all(timer.records[s] >= 2 * len(plain.households) * 0.9 for s in STAGES)
    assert all(timer.seconds[s] > 0 for s in STAGES)


def test_measure_scale_accounts_for_the_step() -> None:
    r = measure_scale(scale=SCALE, years=2, seed=3)
    assert r["end_year"] == 2012 and len(r["year_s"]) == 2 and len(r["year_cpu_s"]) == 2
    assert set(STAGES) <= set(r["stage_s"])
    # the stages run inside the step: their times add up to no more than the step's
    assert sum(r["stage_s"].values()) <= sum(r["year_s"])
    # records are counted as each stage starts: demography, the first, sees the table as the year begins
    assert r["stage_records"]["demography"] == sum(r["year_records"])
    # migration adds the year's arrivals from other provinces, which permits_and_settlement then sees
    assert r["stage_records"]["migration"] <= r["stage_records"]["permits_and_settlement"]
    assert r["rss_peak"] >= r["rss_built"] >= r["rss_start"] > 0
    assert r["n_records_start"] > 1000


def test_measure_reference_times_both_implementations() -> None:
    r = measure_reference(scale=20000, steps=1, seed=2, warmup_year=2011)
    assert r["n_agents"] > 500 and len(r["step_s"]) == 1
    assert r["vector_decision_s"] > 0 and set(DECISION_STAGES) <= set(r["vector_stage_s"])
    assert r["bytes_per_agent"] > 0


def fake_run(scale: int, *, years: int = 25, year_s: float = 1.0) -> dict:
    n = 1000
    stage_s = {s: year_s * years / (len(STAGES) + 1) for s in STAGES}
    return {
        "kind": "model", "scale": scale, "seed": 1, "years": years, "end_year": 2010 + years,
        "n_records_start": n, "n_records_end": n, "import_s": 1.0, "construction_s": 2.0, "construction_cpu_s": 1.0,
        "year_s": [year_s] * years, "year_cpu_s": [year_s / 2] * years, "year_records": [n] * years,
        "stage_s": stage_s, "stage_cpu_s": {s: t / 2 for s, t in stage_s.items()},
        "stage_records": {s: n * years for s in STAGES}, "stages_wrapped": list(STAGES), "outputs_s": 0.5,
        "rss_start": 2**27, "rss_imported": 2**28, "rss_built": 2**29, "rss_peak": 2**30,
    }


FAKE_REFERENCE = {"kind": "reference", "scale": 200, "seed": 1, "year": 2017, "n_agents": 1000, "steps": 2,
                  "build_s": 0.1, "step_s": [1.0, 1.0], "step_cpu_s": [0.5, 0.5], "bytes_per_agent": 1024.0,
                  "vector_decision_s": 0.01, "vector_decision_cpu_s": 0.005, "vector_stage_s": {}}
MACHINE = {"cpu": "Test CPU", "cores": 2, "mem_gib": 24.0, "os": "Linux", "python": "3.12", "numpy": "2",
           "mesa": "3.5.1", "commit": "abc", "date": "today", "load_avg": (0.5, 0.5, 0.5)}


def test_summary_arithmetic() -> None:
    s = summarise([fake_run(100), fake_run(1, years=3, year_s=10.0)], FAKE_REFERENCE)
    assert s["reference_rate"] == pytest.approx(1000.0)  # 2 steps of 1,000 agents in 2 s
    full, hundred = s["rows"][1], s["rows"][0]
    # decision stages: 2 of 8 equal shares of 10 s per year -> 1,000 records in 2.5 s
    assert full["decision_rate"] == pytest.approx(400.0)
    assert full["decision_ratio"] == pytest.approx(0.4)
    assert full["whole_run_measured"] is False
    assert full["whole_run_s"] == pytest.approx(2.0 + 0.5 + 25 * 10.0)  # estimated from 3 years
    assert hundred["whole_run_measured"] is True
    assert hundred["whole_run_s"] == pytest.approx(2.0 + 0.5 + 25 * 1.0)
    assert hundred["whole_run_cpu_s"] == pytest.approx(1.0 + 0.5 + 25 * 0.5)
    assert full["peak_gib"] == pytest.approx(1.0)


def test_report_names_the_machine_and_every_scale_and_target() -> None:
    runs = [fake_run(1000, year_s=0.1), fake_run(500, year_s=0.2), fake_run(100), fake_run(1, year_s=10.0)]
    text = render_markdown(machine=MACHINE, model_runs=runs, reference=FAKE_REFERENCE, command="python -m x")
    assert "Test CPU, 2 cores, 24.0 GiB" in text
    for label in ("| 1:1000 |", "| 1:500 |", "| 1:100 |", "| 1:1 |"):
        assert text.count(label) >= 2, label  # per-scale table and reference table
    assert "UI scale 1:500: one year ≤ 0.5 s" in text and "UI scale 1:1000" in text
    assert "| 1:100, 2010-2035, ≤ 3 s" in text  # issue 17's target
    # 1:1 ran 25 years of 10 s: 254.5 s = 4.2 min, within issues 17/18's 6 min; 1 GiB peak, within 8 GiB
    assert "| 1:1, 2010-2035, ≤ 6 min and ≤ 8 GiB | 4.2 min" in text
    for stage in STAGES:
        assert f"| {stage} |" in text


def test_scales_are_parsed_and_checked() -> None:
    assert parse_scales("1000,100,10,1") == [1000, 100, 10, 1]
    assert parse_scales("2.5") == [2.5]
    with pytest.raises(argparse.ArgumentTypeError):
        parse_scales("1000,0.5")


def test_report_can_be_rerendered_from_saved_results(tmp_path) -> None:
    saved = tmp_path / "results.json"
    saved.write_text(json.dumps({"command": "python -m benchmarks.run --scales 100", "machine": MACHINE,
                                 "reference": FAKE_REFERENCE, "model_runs": [fake_run(100)]}))
    out = tmp_path / "results.md"
    assert main(["--from-json", str(saved), "--out", str(out)]) == 0
    text = out.read_text()
    assert "`python -m benchmarks.run --scales 100`" in text and "| 1:100 |" in text


def test_report_compares_with_a_previous_commit_side_by_side(tmp_path) -> None:
    before = {"command": "python -m benchmarks.run --scales 100,1", "machine": {**MACHINE, "commit": "aaa111"},
              "reference": FAKE_REFERENCE, "model_runs": [fake_run(100, year_s=1.0), fake_run(1, year_s=10.0)]}
    now = {"command": "python -m benchmarks.run --scales 100,1", "machine": {**MACHINE, "commit": "bbb222"},
           "reference": FAKE_REFERENCE, "model_runs": [fake_run(100, year_s=0.8), fake_run(1, year_s=10.0)]}
    (tmp_path / "before.json").write_text(json.dumps(before))
    (tmp_path / "now.json").write_text(json.dumps(now))
    out = tmp_path / "results.md"
    assert main(["--from-json", str(tmp_path / "now.json"), "--previous", str(tmp_path / "before.json"),
                 "--out", str(out)]) == 0
    text = out.read_text()
    section = text[text.index("## Side by side with the previous commit"):]
    assert "commit aaa111" in section and "commit bbb222" in section
    rows = {line.split(" | ")[0]: line for line in section.splitlines() if line.startswith("| 1:")}
    # CPU time is half the wall time in fake_run: 1:100 (1 + 0.5 + 25 * 0.4) / (1 + 0.5 + 25 * 0.5) - 1 = -17.9 %;
    # 1:1 the same at both commits
    assert "| 27.50 s (14.00 s) | 22.50 s (11.50 s) | -17.9% |" in rows["| 1:100"], rows
    assert "+0.0%" in rows["| 1:1"], rows
    assert "decision stages at 1:1" in section
    assert main(["--from-json", str(tmp_path / "now.json"), "--out", str(out)]) == 0
    assert "Side by side" not in out.read_text()  # only when asked
