"""The page's components rendered without a browser (``solara.render(..., handle_error=False)``)."""

from __future__ import annotations

from collections.abc import Iterator

import ipyvuetify as v
import pytest
import solara
from ipywidgets import Widget

from sim.parameters import LEVERS
from ui.components import AppState, ErrorBanner, LeverPanel, RunControls, TabBody, make_state
from ui.session import SimSession


@solara.component
def Harness(state: AppState) -> None:
    """The page without the app bar and sidebar portals, which need Solara's AppLayout to show."""
    with solara.Column():
        ErrorBanner(state)
        RunControls(state)
        LeverPanel(state)
        TabBody(state)


@pytest.fixture
def page() -> Iterator[tuple]:
    state = make_state()
    # a coarse model keeps these tests fast; the page's default scale is tested through the browser
    state.session = SimSession(scale=2000)
    box, rc = solara.render(Harness(state), handle_error=False)
    yield state, rc
    rc.close()


def _texts(widget) -> str:
    """All text under a widget."""
    out = []

    def walk(w) -> None:
        if isinstance(w, str):
            out.append(w)
            return
        for attr in ("children", "v_slots"):
            for child in getattr(w, attr, None) or []:
                walk(child if attr == "children" else child.get("children"))
        for attr in ("label", "v_model", "value", "title"):
            val = getattr(w, attr, None)
            if isinstance(val, str):
                out.append(val)
        for attr in ("rows", "header"):  # the table template's data
            val = getattr(w, attr, None)
            if isinstance(val, list):
                out.append(str(val))

    walk(widget)
    return " ".join(out)


def _all_widgets(rc) -> list[Widget]:
    """Every widget under the root (reacton's finder stops descending at a match)."""
    queue, seen, out = list(rc.find(Widget).widgets), set(), []
    while queue:
        item = queue.pop(0)
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, Widget):
            out.append(item)
            queue.extend(getattr(item, name) for name in item.keys)
        elif isinstance(item, (list, tuple)):
            queue.extend(item)
        elif isinstance(item, dict):
            queue.extend(item.values())
    return out


def _with_class(rc, name: str) -> list[Widget]:
    return [w for w in _all_widgets(rc) if name in (getattr(w, "class_", None) or "").split()]


def _named(rc, name: str) -> list[Widget]:
    """Template widgets (tables, charts) by their ``name`` prop."""
    return [w for w in _all_widgets(rc) if getattr(w, "name", None) == name]


def _button(rc, label: str) -> v.Btn:
    hits = [w for w in _all_widgets(rc) if isinstance(w, v.Btn) and label in _texts(w)]
    assert hits, f"no button {label!r}"
    return hits[0]


def test_step_button_advances_the_year(page) -> None:
    state, rc = page
    assert state.session.year == 2010

    def points() -> int:
        chart = _named(rc, "urbanization")[0]
        return sum(len(line["points"].split()) for line in chart.spec["lines"])

    assert points() == 1
    _button(rc, "Step").click()
    assert state.session.year == 2011
    rc.find(v.Html, children=["Year 2011"]).assert_not_empty()
    assert points() == 2  # the chart follows the model


def test_every_lever_gets_a_control_generated_from_its_declaration(page) -> None:
    _, rc = page
    groups = _with_class(rc, "lever-group")
    assert len(groups) == len({lever.group for lever in LEVERS.values()})
    closed = [g for g in groups if g.v_model is None]
    assert closed  # only the first group is open on a new page: its controls are built when opened
    for group in groups:
        group.v_model = 0  # open it, as a click on its header does
    containers = _with_class(rc, "lever")
    names = {c for w in containers for c in w.class_.split() if c.startswith("lever-")}
    assert names == {f"lever-{n}" for n in LEVERS}


def test_changing_a_lever_widget_changes_the_session_levers(page) -> None:
    state, rc = page
    label = LEVERS["czt_mutual_recognition"].label_en
    switch = rc.find(v.Switch, label=label).widget
    switch.v_model = True
    assert state.session.n_changed() == 1
    assert state.session.lever_values("czt_mutual_recognition") == 1.0
    status = _with_class(rc, "lever-status")
    assert status and "1 lever" in _texts(status[0])


def test_refused_seed_is_explained_and_the_model_kept(page) -> None:
    state, rc = page
    model = state.session.model
    rc.find(v.TextField, label="Seed (whole number)").widget.v_model = "abc"
    _button(rc, "Reset").click()
    assert "seed" in state.error.value and "whole number" in state.error.value
    alerts = rc.find(v.Alert).widgets
    assert any("whole number" in _texts(a) for a in alerts)
    assert state.session.model is model


def test_language_switch_changes_labels(page) -> None:
    state, rc = page
    state.lang.set("zh")
    _button(rc, "单步")  # the Step button now reads 单步
    rc.find(v.Html, children=["2010年"]).assert_not_empty()
    label = LEVERS["keep_land_rights"].label_zh
    rc.find(v.Switch, label=label).assert_single()


def test_clicking_a_division_opens_its_panel(page) -> None:
    state, rc = page
    state.selected.set("Changsha")
    tables = _named(rc, "division-figures")
    assert tables and "85 %" in _texts(tables[0])  # Changsha's 2025 urbanization target is 85 %


def test_each_tab_renders(page) -> None:
    state, rc = page
    for index in range(5):
        state.tab.set(index)
    state.tab.set(3)
    _button(rc, "Step").click()
    tables = _named(rc, "household-timeline")
    assert tables and [row[0] for row in tables[0].rows] == ["2010", "2011"]


def _exact_field(rc, name: str) -> v.TextField:
    """The number field next to a lever's slider."""
    hits = _with_class(rc, f"lever-exact-{name}")
    assert hits, f"no number field for {name}"
    return hits[0]


def _type(field: v.TextField, text: str) -> None:
    """Type into a field and press Enter (the field applies on Enter or blur, not per keystroke)."""
    field.v_model = text
    field.fire_event("keyup.enter", {})


def test_float_levers_take_values_between_slider_steps_and_refuse_invalid_ones(page) -> None:
    state, rc = page
    for group in _with_class(rc, "lever-group"):
        group.v_model = 0  # open every group, as clicks on their headers do
    # 570 units and 34.69 m² lie between the slider's steps of 1,000 units and 2 m²
    _type(_exact_field(rc, "public_rental_units_per_year"), "570")
    assert set(state.session.lever_values("public_rental_units_per_year")) == {570.0}
    _type(_exact_field(rc, "land_quota_per_settler"), " 34.69 ")
    assert set(state.session.lever_values("land_quota_per_settler")) == {34.69}
    assert "34.69" in _texts(_with_class(rc, "lever-land_quota_per_settler")[0])  # shown, not rounded
    assert state.error.value == ""
    changed = state.session.n_changed()

    for text, allowed in (("-1", "0 to 200"), ("abc", "0 to 200"), ("1e400", "0 to 200"), ("nan", "0 to 200")):
        _type(_exact_field(rc, "land_quota_per_settler"), text)
        # the message goes next to the lever (issue 16), not into the page's banner
        message = state.lever_errors.value.get("land_quota_per_settler", "")
        assert "land_quota_per_settler" in message and allowed in message, text
        assert _with_class(rc, "input-refused")  # the message is on the page
    assert state.session.n_changed() == changed  # refused values change nothing
    assert set(state.session.lever_values("land_quota_per_settler")) == {34.69}

    # an int lever takes a whole number and refuses a fraction
    _type(_exact_field(rc, "settlement_min_years"), "7")
    assert set(state.session.lever_values("settlement_min_years")) == {7.0}
    _type(_exact_field(rc, "settlement_min_years"), "2.5")
    assert "whole number" in state.lever_errors.value.get("settlement_min_years", "")
