"""Every value the page gets back from the client is checked on the server (issue 13, UI part).

A client is not bound by the widgets: it can send any value through a widget's channel (a file path as the
scenario, 100000 replications, year 2300, a label no select offered). These tests set the widgets' values
directly, as such a client's messages do, and call the session's methods the way the page does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import ipyvuetify as v
import pytest
import solara
from test_components import Harness, _all_widgets, _button

from sim.errors import InputError
from sim.scenario import SCENARIO_DIR, Scenario, available_scenarios
from ui.compare import run_comparison
from ui.components import AppState, CompareTab, HunanApp, make_state
from ui.i18n import refusal_text
from ui.inputs import (
    COMPARE_END_YEARS,
    COMPARE_REPLICATIONS,
    MAX_TEXT_CHARS,
    parse_choice,
    parse_household_id,
    parse_int_clamped,
    parse_scale,
    parse_scenario,
    parse_seed,
    parse_year,
    resolve_results_dir,
)
from ui.session import SimSession

SECRET = "SECRET-issue13-token"


@pytest.fixture
def secret_toml(tmp_path: Path) -> Path:
    """A TOML file elsewhere on the server holding a secret (what a visitor would try to read)."""
    path = tmp_path / "evil.toml"
    path.write_text(f'[registry]\ntoken = "{SECRET}"\n')
    return path


@pytest.fixture
def page() -> Iterator[tuple[AppState, object]]:
    state = make_state()
    state.session = SimSession(scale=2000)
    _box, rc = solara.render(Harness(state), handle_error=False)
    yield state, rc
    rc.close()


def _scenario_select(rc) -> v.Select:
    hits = [w for w in _all_widgets(rc) if isinstance(w, v.Select) and "scenario-select" in (w.class_ or "")]
    assert len(hits) == 1
    return hits[0]


# ---- the scenario ----------------------------------------------------------------------------------------


def test_session_reset_refuses_a_file_path_without_opening_it(secret_toml: Path) -> None:
    session = SimSession(scale=2000)
    model = session.model
    for value in (str(secret_toml), str(secret_toml.with_suffix("")), "../../" + secret_toml.name,
                  str(SCENARIO_DIR / "baseline.toml"), "baseline.toml", "", " baseline", "x" * 10_000):
        with pytest.raises(InputError) as info:
            session.reset(scenario=value)
        message = str(info.value)
        assert info.value.field == "scenario"
        assert SECRET not in message and "registry" not in message
        assert "baseline, plan-2021" in message  # what is allowed
        assert len(message) < 400  # a long value is cut, not sent back whole
        assert session.model is model and session.preset_name == "baseline"  # nothing changed


def test_a_valid_scenario_file_elsewhere_on_disk_is_not_run(tmp_path: Path) -> None:
    stolen = tmp_path / "stolen.toml"
    stolen.write_text((SCENARIO_DIR / "plan-2021.toml").read_text().replace('name = "plan-2021"', 'name = "stolen"'))
    Scenario.load(stolen)  # a valid scenario: only the page refuses it
    session = SimSession(scale=2000)
    with pytest.raises(InputError):
        session.reset(scenario=str(stolen))
    with pytest.raises(InputError):
        SimSession(scenario=str(stolen), scale=2000)
    assert session.preset_name == "baseline"


def test_every_shipped_scenario_is_accepted() -> None:
    session = SimSession(scale=2000)
    for name in available_scenarios():
        session.reset(scenario=name)
        assert session.preset_name == name


def test_scenario_select_refuses_a_path_and_keeps_the_preset(page, secret_toml: Path) -> None:
    state, rc = page
    select = _scenario_select(rc)
    select.v_model = "plan-2021"  # a shipped name goes through
    assert state.error.value == ""
    select.v_model = str(secret_toml)  # what a client's input event with a path sends
    assert "scenario" in state.error.value and str(secret_toml) in state.error.value
    assert SECRET not in state.error.value
    _button(rc, "Reset").click()  # Reset runs the last accepted preset, never the path
    assert state.session.preset_name == "plan-2021"
    assert state.error.value == ""


def test_scenario_refusal_is_translated(page, secret_toml: Path) -> None:
    state, rc = page
    state.lang.set("zh")
    _scenario_select(rc).v_model = str(secret_toml)
    assert "预设情景之一" in state.error.value and "情景预设" in state.error.value
    assert SECRET not in state.error.value
    state.lang.set("en")
    with pytest.raises(InputError) as info:
        parse_scenario(str(secret_toml))
    assert "one of the shipped scenarios: baseline, plan-2021" in refusal_text(info.value, "en")


# ---- the comparison view ---------------------------------------------------------------------------------


@pytest.fixture
def compare() -> Iterator[tuple[AppState, object]]:
    state = make_state()
    state.session = SimSession(scale=2000)
    _box, rc = solara.render(CompareTab(state), handle_error=False)
    yield state, rc
    rc.close()


def _sliders(rc) -> tuple[v.Slider, v.Slider]:
    sliders = [w for w in _all_widgets(rc) if isinstance(w, v.Slider)]
    reps = [s for s in sliders if s.label == "Replications"]
    end = [s for s in sliders if s.label == "Until year"]
    assert len(reps) == 1 and len(end) == 1
    return reps[0], end[0]


def test_compare_sliders_clamp_what_the_client_sends(compare) -> None:
    state, rc = compare
    reps, end = _sliders(rc)
    assert (reps.min, reps.max) == COMPARE_REPLICATIONS and (end.min, end.max) == COMPARE_END_YEARS
    for sent, kept in ((100000, 10), (0, 1), (-5, 1), (4, 4), ("7", 7), (2.0, 2)):
        reps.v_model = sent
        assert _sliders(rc)[0].v_model == kept, sent
    for sent, kept in ((2300, 2035), (1900, 2015), (2020, 2020), (10**400, 2035), (10**400, 2035)):
        end.v_model = sent
        assert _sliders(rc)[1].v_model == kept, sent
    reps.v_model = "many"  # not a number: refused with a message, the value kept
    assert "compare_reps" in state.error.value and "whole number from 1 to 10" in state.error.value
    assert _sliders(rc)[0].v_model == 2


def test_run_comparison_refuses_counts_and_years_outside_the_view(tmp_path: Path) -> None:
    baseline = Scenario.load("baseline")
    for reps, end in ((100000, 2020), (0, 2020), (2, 2300), (2, 2014), (True, 2020), (2, 10**400)):
        with pytest.raises(InputError) as info:  # refused before any model is built
            run_comparison(current=baseline, baseline=baseline, master_seed=1, n_replications=reps, scale=2000,
                           end_year=end)
        assert len(str(info.value)) < 300


# ---- every other value from the client ------------------------------------------------------------------


def test_selects_refuse_labels_they_did_not_offer(page) -> None:
    state, rc = page
    selects = {w.label: w for w in _all_widgets(rc) if isinstance(w, v.Select)}
    for label in ("Speed", "Households per agent", "City levers apply to", "Colour divisions by"):
        select = selects[label]
        select.v_model = "/etc/passwd"
        assert "/etc/passwd" in state.error.value, label
        state.error.set("")
    _button(rc, "Reset").click()  # the refused scale was not kept
    assert state.session.scale == 2000 and state.error.value == ""


def test_a_map_click_naming_no_division_is_refused(page) -> None:
    state, rc = page
    (map_view,) = [w for w in _all_widgets(rc) if hasattr(w, "vue_division_click")]
    map_view.vue_division_click("Changsha")  # what the template's click sends, as the client's message does
    assert state.selected.value == "Changsha" and state.error.value == ""
    for sent in ("../../etc/passwd", {"a": 1}, ["Changsha"], "changsha"):
        map_view.vue_division_click(sent)
        assert "division" in state.error.value, sent
        assert state.selected.value == "Changsha"


def test_a_tab_index_from_the_client_is_clamped() -> None:
    state = make_state()
    _box, rc = solara.render(HunanApp(state), handle_error=False)
    try:
        tabs = [w for w in _all_widgets(rc) if isinstance(w, v.Tabs)]
        assert len(tabs) == 1
        for sent, kept in ((99, 4), (-3, 0), (2, 2)):
            tabs[0].v_model = sent
            assert state.tab.value == kept
    finally:
        rc.close()


@pytest.mark.parametrize(("parse", "value"), [
    (parse_seed, "9" * 5000), (parse_seed, "-1"), (parse_seed, 2**32), (parse_seed, None),
    (parse_year, "2" * 5000), (parse_year, "2300"), (parse_year, 2010), (parse_year, "２０２１"),
    (parse_scale, "5" * 5000), (parse_scale, 10**400), (parse_scale, "0500"),
    (parse_household_id, "1" * 5000), (parse_household_id, "1" * 19), (parse_household_id, "-1"),
])
def test_numbers_from_page_fields_are_refused_with_one_message(parse, value) -> None:
    with pytest.raises(InputError) as info:
        parse(value)
    assert len(str(info.value)) < 400


def test_long_text_and_odd_values_are_refused_before_parsing(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        resolve_results_dir("a/" * MAX_TEXT_CHARS, tmp_path)
    assert "at most 256 characters" in str(info.value)
    with pytest.raises(InputError):
        parse_choice(["a"], ["a", "b"], field="speed")
    assert parse_choice("b", ["a", "b"], field="speed") == 1
    with pytest.raises(InputError):
        parse_int_clamped(True, field="compare_reps", low=1, high=10)
    assert parse_int_clamped("-7", field="x", low=-5, high=5) == -5


def test_a_huge_lever_value_or_household_id_gives_a_message(page) -> None:
    state, _rc = page
    with pytest.raises(InputError):
        state.session.set_lever("land_quota_per_settler", 10**400)
    with pytest.raises(InputError):
        state.session.set_lever("land_quota_per_settler", "9" * 5000)
    with pytest.raises(InputError):
        state.session.follow(10**30)
    assert state.session.n_changed() == 0


def test_lever_sliders_check_what_the_client_sends(page) -> None:
    state, rc = page
    sliders = {c: w for w in _all_widgets(rc) if isinstance(w, v.Slider)
               for c in (w.class_ or "").split() if c.startswith("lever-slider-")}
    slider = sliders["lever-slider-settlement_min_years"]  # an int lever, 0-10 years
    slider.v_model = 4
    assert set(state.session.lever_values("settlement_min_years")) == {4.0} and state.error.value == ""
    for sent in ("many", 11, -1, 2.5, 10**400, [3]):
        slider.v_model = sent
        assert "settlement_min_years" in state.error.value, sent
        assert set(state.session.lever_values("settlement_min_years")) == {4.0}
        assert slider.v_model == 4  # set back to the value in force
