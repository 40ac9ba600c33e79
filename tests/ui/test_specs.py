"""Map, chart, translation and teaching data behind the page (pure functions, no browser)."""

from __future__ import annotations

import math
import re
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.data import division_names, load_rail_lines
from sim.parameters import LEVERS
from ui import geo
from ui.charts import Band, ChartData, Series, Target, chart_spec, fan, nice_ticks
from ui.figures import MAIN_CHARTS, parse_target, plan_targets
from ui.i18n import LANGS, STRINGS, division_label, lever_help, lever_label, tr
from ui.teaching import MECHANISMS

_PATH_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def test_every_division_has_an_outline_inside_the_map() -> None:
    shapes = geo.division_shapes()
    assert [s["id"] for s in shapes] == division_names()
    for s in shapes:
        numbers = [float(v) for v in _PATH_NUMBER.findall(s["d"])]
        assert len(numbers) > 20
        xs, ys = numbers[0::2], numbers[1::2]
        assert 0 <= min(xs) and max(xs) <= geo.WIDTH and 0 <= min(ys) and max(ys) <= geo.HEIGHT
        # the seat city lies within its division's bounding box
        assert min(xs) <= s["x"] <= max(xs) and min(ys) <= s["y"] <= max(ys)


def test_rail_lines_appear_in_their_opening_year() -> None:
    lines = load_rail_lines()
    opened = {r.line_id: float(r.opened_year) for r in lines.itertuples()}
    in_2013 = {r["id"]: r for r in geo.rail_lines(opened, 2013)}
    in_2014 = {r["id"]: r for r in geo.rail_lines(opened, 2014)}
    assert "jingguang" in in_2013 and "hukun" not in in_2013
    assert in_2014["hukun"]["new"] and not in_2014["jingguang"]["new"]
    never = {**opened, "hukun": 9999.0}
    assert "hukun" not in {r["id"] for r in geo.rail_lines(never, 2035)}


def test_flow_arrows_keep_the_largest_and_widen_with_persons() -> None:
    flows = [("Changsha", "outside", 100.0), ("Hengyang", "Changsha", 400.0), ("Loudi", "Xiangtan", 25.0)]
    arrows = geo.flow_arrows(flows, top=2)
    assert [a["id"] for a in arrows] == ["Hengyang->Changsha", "Changsha->outside"]
    assert arrows[0]["w"] > arrows[1]["w"]


def test_colours_run_from_low_to_high_and_mark_missing_values() -> None:
    assert geo.colour_for(0.0, 0.0, 10.0) == geo.PALETTE[0]
    assert geo.colour_for(10.0, 0.0, 10.0) == geo.PALETTE[-1]
    assert geo.colour_for(float("nan"), 0.0, 10.0) == geo.NO_DATA
    state = geo.map_state({"Changsha": 70.0, "Loudi": 40.0}, lang="zh", open_years={}, year=2010, flows=None)
    assert state["colours"]["Changsha"] == geo.PALETTE[-1] and state["labels"]["Changsha"] == "长沙"


@given(st.floats(-1e9, 1e9), st.floats(0, 1e9))
def test_ticks_cover_the_range(low: float, width: float) -> None:
    ticks = nice_ticks(low, low + width)
    assert ticks[0] <= low + 1e-6 * max(1.0, abs(low)) and ticks[-1] >= low + width - 1e-6 * max(1.0, abs(low + width))
    assert ticks == sorted(ticks) and len(ticks) <= 12


def test_chart_points_and_targets_lie_inside_the_plot() -> None:
    chart = ChartData(title="t", series=[Series("a", [2010, 2011, 2012], [43.0, float("nan"), 50.0])],
                      bands=[Band("b", [2010, 2012], [40.0, 45.0], [46.0, 52.0])],
                      targets=[Target(2025, 63.0, "63 (2025)"), Target(2035, 72.0, "72 (2035)")])
    spec = chart_spec(chart)
    box = spec["box"]
    assert len(spec["lines"]) == 2  # NaN breaks the line
    for line in spec["lines"]:
        for pt in line["points"].split():
            x, y = map(float, pt.split(","))
            assert box["left"] <= x <= box["right"] and box["top"] <= y <= box["bottom"]
    assert all(box["top"] <= t["y"] <= box["bottom"] for t in spec["targets"])
    assert spec["targets"][1]["y"] < spec["targets"][0]["y"]  # 72 above 63


def test_fan_orders_lower_median_upper() -> None:
    med, lo, hi = fan([[1.0, 2.0], [2.0, 4.0], [3.0, float("nan")]])
    assert lo[0] <= med[0] <= hi[0] and med[0] == 2.0 and med[1] == 3.0


def test_plan_targets_are_read_from_the_plan_table() -> None:
    assert parse_target("<5.5") == 5.5 and parse_target("about 2.4") == 2.4 and math.isnan(parse_target(""))
    targets = plan_targets()
    assert targets["urbanization_rate"] == [(2025, 63.0), (2035, 72.0)]
    assert targets["czt_urban_share"] == [(2025, 35.0)]
    assert {c.lines[0][0] for c in MAIN_CHARTS} >= set(targets)


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_ui_string_exists_in_both_languages_with_the_same_placeholders() -> None:
    for key, texts in STRINGS.items():
        assert set(texts) == set(LANGS), key
        assert _fields(texts["en"]) == _fields(texts["zh"]), key
        if key != "english_only":
            assert texts["en"] and texts["zh"], key


def test_levers_have_labels_and_help_in_both_languages() -> None:
    for lever in LEVERS.values():
        for lang in LANGS:
            assert lever_label(lever, lang) and lever_help(lever, lang)
    assert lever_label(LEVERS["keep_land_rights"], "zh") == LEVERS["keep_land_rights"].label_zh
    assert tr("changed_levers", "en", n=2).startswith("2")


def test_division_names_switch_language() -> None:
    assert division_label("Changsha", "zh") == "长沙市"
    assert division_label("Changsha", "en") == "Changsha"
    assert division_label("outside", "zh") == "省外"


@pytest.mark.parametrize("mechanism", MECHANISMS, ids=lambda m: m.key)
def test_teaching_pages_name_real_levers_and_code_and_speak_both_languages(mechanism) -> None:
    from agents.governments import ProvincialGovernment
    from sim.model import HunanModel

    assert set(mechanism.levers) <= set(LEVERS)
    owner, method = mechanism.stage.split(".")
    assert callable(getattr({"HunanModel": HunanModel, "ProvincialGovernment": ProvincialGovernment}[owner], method))
    for lang in LANGS:
        assert mechanism.title[lang] and mechanism.how[lang] and mechanism.try_[lang]
