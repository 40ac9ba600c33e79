"""Solara components of the page. ``app.py`` assembles them; each browser session gets its own state.

Rendering only what changed: components subscribe to the reactive values they read. The run controls, map
and charts read ``state.version`` (bumped after each simulated year), the lever panel reads
``state.lever_version`` (bumped when a lever or the run is reset) and the year in which changes start, and the
other tabs render only while they are shown. The map and charts are SVG templates fed with small JSON specs
(``ui/map.vue``, ``ui/chart.vue``), so a new year sends numbers, not images.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import markdown
import numpy as np
import reacton.ipyvuetify as rv
import solara
import solara.lab

from agents.households import Employment
from sim.data import division_names, load_plan_city_targets
from sim.errors import InputError
from sim.indicators import INDICATORS
from sim.places import Places
from sim.parameters import LEVERS, NEVER
from sim.scenario import Scenario, available_scenarios
from ui import geo
from ui.charts import COLOURS, Band, ChartData, Series, Target, chart_spec, fan
from ui.compare import (
    TABLE_YEARS,
    TARGETS_AT_MOST,
    Cancelled,
    Comparison,
    difference_runs,
    run_comparison,
    share_meeting,
    summary,
    values_at,
)
from ui.figures import MAIN_CHARTS, fan_chart, main_chart, plan_targets
from ui.i18n import (
    STRINGS,
    Lang,
    division_label,
    group_label,
    indicator_label,
    lever_choices,
    lever_help,
    lever_label,
    lever_names_by_group,
    lever_unit,
    refusal_text,
    tr,
)
from ui.inputs import (
    COMPARE_END_YEARS,
    COMPARE_REPLICATIONS,
    END_YEAR,
    LEVER_YEAR_RANGE,
    SCALE_CHOICES,
    START_YEAR,
    default_results_root,
    parse_choice,
    parse_household_id,
    parse_int_clamped,
    parse_scale,
    parse_scenario,
    parse_seed,
    parse_year,
    resolve_results_dir,
)
from ui.results import flow_totals, provenance_summary, regions_by_indicator, runs_of, scan_folder
from ui.session import (
    EMPLOYMENT_NAMES,
    FOLLOW_EVENTS,
    FOLLOW_HORIZON,
    SECTOR_NAMES,
    TENURE_NAMES,
    SimSession,
    hukou_place_of,
    live_sessions,
    place_of,
)
from ui.teaching import ABOUT, HOW_TO, MECHANISMS, mechanism_text

HERE = Path(__file__).resolve().parent
#: The page's log (session closes); ``app.py`` sends it to the server's standard error.
logger = logging.getLogger("hunan.ui")
#: Seconds between simulated years while playing, by speed key (0: as fast as the model and page allow).
SPEEDS: dict[str, float] = {"speed_slow": 1.0, "speed_medium": 1 / 3, "speed_max": 0.0}
#: While playing at full speed the page is refreshed at most this often (seconds), so the browser keeps up.
MIN_REFRESH_SECONDS = 0.25
#: Indicators offered for colouring the map: those given per division.
MAP_INDICATORS: tuple[str, ...] = tuple(k for k, v in INDICATORS.items() if v.regions in ("both", "division"))
#: Indicators the county view of the map can show (given for every county).
COUNTY_MAP_INDICATORS: tuple[str, ...] = tuple(k for k, v in INDICATORS.items() if v.by_county)
TAB_KEYS = ("tab_main", "tab_compare", "tab_results", "tab_household", "tab_about")


@dataclass(eq=False)
class AppState:
    """Everything one browser session shares between its components (created inside the page).

    Attributes:
        session: the session's simulation.
        lang: ``en`` or ``zh``.
        version: bumped whenever the model changed (a step or a reset).
        lever_version: bumped whenever lever values may have changed.
        lever_year: the year lever changes made now start from (changes with the model's year after the
            "levers from" year; the lever panel reads it instead of ``version`` so that it is not redrawn
            every simulated year).
        error: the message of the last refused input ("" when none).
        selected: the division whose panel is open (English name, or None).
        lever_city: the division city levers are set for (None: all cities).
        tab: index of the tab shown.
        comparison: the last comparison run.
        last_update_ms: wall time of the last step (model and page update), for the status line.
        settings_open: whether the Scenario/Seed panel is open (kept here so that it stays as the user left it).
        open_groups: the lever groups the user has open.
        shown_year: the year the map, charts and readouts show (None: the latest simulated year).
        lever_errors: the refusal message of each lever whose last entry was refused, shown next to it.
    """

    session: SimSession
    lang: solara.Reactive[str]
    version: solara.Reactive[int]
    lever_version: solara.Reactive[int]
    lever_year: solara.Reactive[int]
    error: solara.Reactive[str]
    selected: solara.Reactive[str | None]
    lever_city: solara.Reactive[str | None]
    tab: solara.Reactive[int]
    comparison: solara.Reactive[Comparison | None]
    last_update_ms: solara.Reactive[float]
    settings_open: solara.Reactive[bool]
    open_groups: solara.Reactive[frozenset]
    shown_year: solara.Reactive[int | None]
    lever_errors: solara.Reactive[dict]

    def lever_error(self, name: str) -> Callable[[str], None]:
        """A setter of the refusal message shown next to lever ``name`` ("" clears it)."""

        def set_message(message: str) -> None:
            errors = dict(self.lever_errors.value)
            if message:
                errors[name] = message
            else:
                errors.pop(name, None)
            self.lever_errors.set(errors)

        return set_message

    def guard(self, fn: Callable[..., Any]) -> Callable[..., None]:
        """Wrap a callback so that a refused input shows its message instead of breaking the page."""

        def run(*args: Any) -> None:
            try:
                fn(*args)
            except InputError as exc:
                self.error.set(refusal_text(exc, self.lang.value))
            else:
                self.error.set("")

        return run

    def bump(self) -> None:
        """Tell the components that read the model that it changed."""
        if self.session.released:
            return  # the browser session closed (e.g. a reload during Play): nothing to draw any more
        self.version.set(self.version.value + 1)
        self.lever_year.set(self.session.effective_from())  # fires only when the year changed


def make_state() -> AppState:
    """A fresh state with its own model: called once per browser session, inside the page component."""
    session = SimSession()
    return AppState(session=session, lang=solara.reactive("en"), version=solara.reactive(0),
                    lever_version=solara.reactive(0), lever_year=solara.reactive(session.effective_from()),
                    error=solara.reactive(""), selected=solara.reactive(None),
                    lever_city=solara.reactive(None), tab=solara.reactive(0), comparison=solara.reactive(None),
                    last_update_ms=solara.reactive(0.0), settings_open=solara.reactive(False),
                    open_groups=solara.reactive(frozenset({"hukou"})), shown_year=solara.reactive(None),
                    lever_errors=solara.reactive({}))


def release_state(state: AppState) -> Callable[[], None]:
    """The cleanup for the page's mount effect: when the session closes, drop its model.

    Returns:
        a function that releases the session's model (see :meth:`ui.session.SimSession.release`) and logs
        how many sessions still hold one.
    """

    def release() -> None:
        state.session.release()
        state.comparison.set(None)
        logger.info("session closed: model released; %d session(s) hold a model", live_sessions())

    return release


# ------------------------------------------------------------------------------------------------------
# SVG templates
# ------------------------------------------------------------------------------------------------------


@solara.component_vue(str(HERE / "map.vue"))
def MapView(shapes: list, colours: dict, tooltips: dict, labels: dict, rails: list, arrows: list, legend: list,
            outside: dict, outside_label: str, legend_title: str, caption: str, selected: str | None, width: int,
            height: int, flow_legend: list, flow_title: str, flow_unit: str, counties: list | None = None,
            county_colours: dict | None = None, county_tooltips: dict | None = None,
            event_division_click: Callable[[str], None] | None = None) -> None:
    """The map template (``ui/map.vue``); ``event_division_click`` receives a division's English name."""


@solara.component_vue(str(HERE / "table.vue"))
def TableView(header: list, rows: list, name: str) -> None:
    """A table template (``ui/table.vue``): ``rows`` is a list of lists of strings."""


@solara.component_vue(str(HERE / "chart.vue"))
def ChartView(spec: dict, name: str) -> None:
    """A chart template (``ui/chart.vue``) drawing a spec from :func:`ui.charts.chart_spec`."""


def scenario_title(name: str, lang: Lang) -> str:
    """A running scenario's name as the page shows it: ``plan-2021`` or ``plan-2021 + page levers``."""
    base, _, extra = name.partition("+")
    return base + (" + " + tr("page_levers", lang) if extra else "")


# ------------------------------------------------------------------------------------------------------
# Run controls
# ------------------------------------------------------------------------------------------------------


def use_set_back(element: Callable[[], Any]) -> Callable[[Any], None]:
    """A hook: a function that sets a rendered widget's ``v_model`` back to the value the server kept.

    When the server refuses or clamps a value, its own state does not change, so the widget is not redrawn
    and would keep showing what the client sent. ``element`` returns the widget's element (it may be created
    after the hook is called, and may not be shown, e.g. inside a closed panel).
    """
    widget = solara.use_ref(None)

    def capture() -> None:
        try:
            widget.current = solara.get_widget(element())
        except (KeyError, NameError):  # not rendered (a closed panel) or not created yet
            widget.current = None

    solara.use_effect(capture)  # after every render: the element is rendered only while its panel is open

    def set_back(value: Any) -> None:
        if widget.current is not None and widget.current.v_model != value:
            widget.current.v_model = value

    return set_back


@solara.component
def RunControls(state: AppState) -> None:
    """Reset, Step, Play/Pause with speed and progress, seed, scale, preset and "levers from" year."""
    lang: Lang = state.lang.value
    state.version.value  # subscribe: the year and buttons follow the model  # noqa: B018
    state.lever_version.value  # and the scenario name follows the levers  # noqa: B018
    session = state.session
    speed = solara.use_reactive("speed_medium")
    seed_text = solara.use_reactive(str(session.seed))
    scale_text = solara.use_reactive(str(session.scale))
    preset = solara.use_reactive(session.preset_name)
    from_text = solara.use_reactive(str(session.levers_from))

    def play() -> None:
        start, end = session.year, END_YEAR
        last_refresh = 0.0
        while session.year < end:
            if not task.is_current() or session.released:
                return
            delay = SPEEDS.get(speed.value, 0.0)  # read every year: the speed may change while playing
            t0 = time.perf_counter()
            session.step()
            task.progress = 100.0 * (session.year - start) / max(end - start, 1)
            now = time.perf_counter()
            if delay > 0 or now - last_refresh >= MIN_REFRESH_SECONDS or session.year >= end:
                state.bump()
                state.last_update_ms.set(1000 * (time.perf_counter() - t0))
                last_refresh = time.perf_counter()
            # sleep in short slices so that Pause answers within a tenth of a second
            while delay > 0 and time.perf_counter() - t0 < delay:
                if not task.is_current():
                    return
                time.sleep(min(0.1, delay))
        state.bump()

    task = solara.lab.use_task(play, dependencies=None)
    running = bool(task.pending)

    def step() -> None:
        t0 = time.perf_counter()
        session.step()
        state.bump()
        state.last_update_ms.set(1000 * (time.perf_counter() - t0))

    def reset() -> None:
        scenario = parse_scenario(preset.value)
        seed = parse_seed(seed_text.value)
        scale = parse_scale(scale_text.value)
        # a change from a year after the run's last year would never apply: refused with a message
        levers_from = parse_year(from_text.value, low=LEVER_YEAR_RANGE[0], high=END_YEAR)
        session.reset(scenario=scenario, seed=seed, scale=scale, levers_from=levers_from)
        state.shown_year.set(None)
        state.bump()
        state.lever_version.set(state.lever_version.value + 1)

    def choose_scenario(value: Any) -> None:
        if value == preset.value:
            return  # the preset already chosen (also the echo of setting the select back below)
        try:
            preset.set(parse_scenario(value))
        except InputError as exc:
            state.error.set(refusal_text(exc, state.lang.value))
            set_back(preset.value)  # the select shows the preset kept, not the refused value
        else:
            state.error.set("")

    set_back = use_set_back(lambda: scenario_select)

    def pause() -> None:
        if task.pending:
            task.cancel()
        state.bump()

    with solara.Column(gap="6px", classes=["run-controls"]):
        solara.Text(tr("year_now", lang, year=session.year), style={"font-size": "22px", "font-weight": "500"},
                    classes=["sim-year"])
        solara.Text(tr("running_scenario", lang, name=scenario_title(session.scenario().name, lang)),
                    style={"font-size": "13px"}, classes=["scenario-name"])
        with solara.Row(gap="4px", style={"flex-wrap": "wrap"}):
            solara.Button(tr("reset", lang), on_click=state.guard(reset), disabled=running, icon_name="mdi-restore")
            solara.Button(tr("step", lang), on_click=state.guard(step), disabled=running or session.year >= END_YEAR,
                          icon_name="mdi-skip-next")
            if running:
                solara.Button(tr("pause", lang), on_click=pause, color="warning", icon_name="mdi-pause")
            else:
                solara.Button(tr("play", lang), on_click=lambda: task(), disabled=session.year >= END_YEAR,
                              color="primary", icon_name="mdi-play")
        speed_labels = [tr(k, lang) for k in SPEEDS]
        solara.Select(tr("speed", lang), values=speed_labels, value=tr(speed.value, lang), dense=True,
                      classes=["speed-select"],
                      on_value=state.guard(lambda label: speed.set(
                          list(SPEEDS)[parse_choice(label, speed_labels, field="speed")])))
        if running:
            solara.ProgressLinear(task.progress if task.progress is not None else True, classes=["run-progress"])
        if state.last_update_ms.value:
            solara.Text(f"{tr('measured', lang, ms=round(state.last_update_ms.value))}",
                        style={"font-size": "11px", "color": "#777"})
        # keyed and with its open state kept in the session's state: the progress bar and timing line above
        # appear and disappear, which shifted it among its siblings and remounted it closed on Step and Play
        with rv.ExpansionPanels(v_model=0 if state.settings_open.value else None,
                                on_v_model=lambda v: state.settings_open.set(v == 0),
                                class_="settings-panel").key("scenario-details"), rv.ExpansionPanel():
            rv.ExpansionPanelHeader(children=[tr("scenario", lang) + " · " + tr("seed", lang)])
            with rv.ExpansionPanelContent():
                # the select's value comes back from the client: only a shipped scenario's name is kept (a
                # file path or any other text is refused here and again in SimSession.reset, never opened)
                scenario_select = solara.Select(tr("scenario", lang), values=available_scenarios(),
                                                value=preset.value, on_value=choose_scenario,
                                                classes=["scenario-select"])
                solara.InputText(tr("seed", lang), value=seed_text.value, on_value=seed_text.set,
                                 continuous_update=True, classes=["seed-input"])
                solara.Select(tr("scale", lang), values=[str(s) for s in SCALE_CHOICES], value=scale_text.value,
                              on_value=state.guard(lambda v: scale_text.set(str(parse_scale(v)))))
                solara.InputText(tr("levers_from", lang), value=from_text.value, on_value=from_text.set,
                                 continuous_update=True)
                solara.Text("→ " + tr("reset", lang), style={"font-size": "11px", "color": "#777"})


# ------------------------------------------------------------------------------------------------------
# Levers
# ------------------------------------------------------------------------------------------------------


def _rail_year_choices(current: float) -> list[str]:
    years = {str(y) for y in range(2005, 2041)} | {str(int(current))}
    return sorted(years - {str(NEVER)}, key=int) + [str(NEVER)]


@solara.component
def LeverControl(state: AppState, name: str, city: str | None, lang: Lang) -> None:
    """One lever's control, generated from its declaration in :data:`sim.parameters.LEVERS`."""
    lever = LEVERS[name]
    # One source of truth: every control reads the value in force from the session and subscribes to the
    # versions that change it. Reacton skips re-rendering a component whose arguments are unchanged, so
    # without these reads a preset Reset or an exact entry left the switch, label and slider showing the
    # old value until the group was closed and reopened (issue 16).
    state.lever_version.value  # noqa: B018
    state.lever_year.value  # noqa: B018
    value, differs = state.session.lever_value_for(name, city if lever.scope == "city" else None)
    target_city = city if lever.scope == "city" else None
    label = lever_label(lever, lang)
    field_error = state.lever_error(name)  # a refused entry, shown next to this lever (not in the banner)

    def set_value(v: Any) -> None:
        state.session.set_lever(name, v, target_city)
        state.lever_version.set(state.lever_version.value + 1)

    def on_value(v: Any) -> None:
        try:
            set_value(v)
        except InputError as exc:
            field_error(refusal_text(exc, state.lang.value))
            # the widget showed what the client sent: render again with the value in force
            state.lever_version.set(state.lever_version.value + 1)
        else:
            field_error("")

    set_back = use_set_back(lambda: slider)

    def slide(raw: Any) -> None:
        in_force = state.session.lever_value_for(name, target_city)[0]  # read now: this closure may be stale
        if type(raw) in (int, float) and raw == in_force:
            return  # the value in force already (also the echo of setting the slider back)
        on_value(raw)
        if state.lever_errors.value.get(name):  # refused: show the value in force again
            set_back(int(in_force) if lever.kind == "int" else in_force)

    unit = lever_unit(lever, lang)
    # the class names the city the control shows (tests wait for it after the city select changes)
    with solara.Column(gap="0px", classes=["lever", f"lever-{name}", f"city-shown-{target_city or 'all'}"]):
        if lever.kind == "bool":
            solara.Switch(label=label, value=bool(value), on_value=on_value)
        elif lever.choices:
            labels = [f"{i}: {c}" for i, c in enumerate(lever_choices(lever, lang))]
            def choose(text: Any) -> None:
                try:
                    index = parse_choice(text, labels, field=name)
                except InputError as exc:
                    field_error(refusal_text(exc, state.lang.value))
                    return
                on_value(index)

            solara.Select(label, values=labels, value=labels[int(value)], on_value=choose)
        elif name.startswith("open_year_"):
            # the text goes through ui.inputs.lever_value (via set_value), which converts and range-checks it
            solara.Select(label, values=_rail_year_choices(value), value=str(int(value)), on_value=on_value)
        else:
            # the label and value go above the slider: Vuetify squeezes long labels beside it
            shown = f"{int(value)}" if lever.kind == "int" else f"{value:,.6g}"
            solara.Text(f"{label}: {shown} {unit}", style={"font-size": "14px"}, classes=["lever-value"])
            # ipyvuetify's slider, not solara.SliderInt/SliderFloat: those call int()/float() on the client's raw
            # value before any check (ValueError for a crafted "many"); here ui.inputs.lever_value sees it
            shown_value = int(value) if lever.kind == "int" else float(value)
            step = 1 if lever.kind == "int" else (lever.high - lever.low) / 100.0
            slider = rv.Slider(v_model=shown_value, on_v_model=slide, min=lever.low, max=lever.high, step=step,
                               thumb_label=True, hide_details=True, class_=f"lever-slider lever-slider-{name}")
            # The slider moves in hundredths of the range (1,000 units, 2 m²), so values such as 570 units or
            # 34.69 m² can only be typed. The text goes through ui.inputs.lever_value (the lever's own
            # validate); a refused value shows its InputError in the page's banner. Applied on Enter or blur,
            # not per keystroke, so that "5" on the way to "570" is not set as a lever change.
            # keyed by the lever version: after any change (or a refusal) the field shows the value in force
            solara.InputText(tr("exact_value", lang), value=shown.replace(",", ""), on_value=on_value,
                             continuous_update=False, classes=["lever-exact", f"lever-exact-{name}"],
                             ).key(f"exact-{name}-{state.lever_version.value}")
        message = state.lever_errors.value.get(name, "")
        if message:
            solara.Error(f"{tr('refused', lang)}: {message}", dense=True,
                         classes=["input-refused", "lever-refused", f"lever-refused-{name}"])
        note = lever_help(lever, lang)
        if differs:
            note += " · " + tr("cities_differ", lang)
        solara.Text(note, style={"font-size": "11px", "color": "#666", "line-height": "1.2"})


@solara.component
def LeverPanel(state: AppState) -> None:
    """Every lever, grouped as in the plan, for all cities or one city."""
    lang: Lang = state.lang.value
    state.lever_version.value  # subscribe  # noqa: B018
    state.lever_year.value  # the values shown are those of the year changes made now start  # noqa: B018
    session = state.session
    city = state.lever_city.value
    names = division_names()
    city_labels = [tr("all_cities", lang)] + [division_label(n, lang) for n in names]
    current = city_labels[0] if city is None else division_label(city, lang)

    def choose_city(label: str) -> None:
        index = parse_choice(label, city_labels, field="apply_to")
        state.lever_city.set(None if index == 0 else names[index - 1])

    def restore() -> None:
        session.restore_preset()
        state.lever_version.set(state.lever_version.value + 1)

    with solara.Column(gap="4px", classes=["lever-panel"]):
        solara.Text(tr("levers", lang), style={"font-size": "18px", "font-weight": "500"})
        solara.Select(tr("apply_to", lang), values=city_labels, value=current, on_value=state.guard(choose_city),
                      dense=True, classes=["apply-to"])
        n = session.n_changed()
        solara.Text(tr("changed_levers", lang, n=n) + " · " + tr("lever_pending", lang, year=session.effective_from()),
                    style={"font-size": "12px"}, classes=["lever-status"])
        if n:
            solara.Button(tr("reset_levers", lang), on_click=restore, text=True, icon_name="mdi-undo",
                          classes=["restore-levers"])
        for group, lever_names in lever_names_by_group().items():
            # keyed: the "Restore preset levers" button appearing above must not remount (and close) the groups
            LeverGroup(state, group, lever_names, city, lang).key(f"lever-group-{group}")


@solara.component
def LeverGroup(state: AppState, group: str, names: list[str], city: str | None, lang: Lang) -> None:
    """A collapsible group of levers whose controls exist only while it is open (a faster first page)."""
    # the open groups live in the session's state: the group stays as the user left it whatever re-renders
    opened = state.open_groups.value
    is_open = group in opened

    def set_open(now_open: bool) -> None:
        current = state.open_groups.value
        state.open_groups.set(current | {group} if now_open else current - {group})

    with rv.ExpansionPanels(v_model=0 if is_open else None, on_v_model=lambda v: set_open(v == 0),
                            class_=f"lever-group lever-group-{group}"):
        with rv.ExpansionPanel():
            rv.ExpansionPanelHeader(children=[group_label(group, lang)])
            with rv.ExpansionPanelContent():
                if is_open:
                    for name in names:
                        LeverControl(state, name, city, lang)


# ------------------------------------------------------------------------------------------------------
# Map and division panel
# ------------------------------------------------------------------------------------------------------


def _fmt(value: float, fmt: str = "{:,.0f}") -> str:
    return fmt.format(value) if value is not None and math.isfinite(value) else "-"


@solara.component
def MapPanel(state: AppState) -> None:
    """The map coloured by a chosen indicator, with rail lines, this year's flows and clickable divisions."""
    lang: Lang = state.lang.value
    state.version.value  # subscribe  # noqa: B018
    session = state.session
    indicator = solara.use_reactive("urbanization_rate")
    show_flows = solara.use_reactive(True)
    view = solara.use_reactive("division")  # or "county": counties coloured, divisions outlined on top
    shapes = solara.use_memo(lambda: list(geo.division_shapes()), [])
    county_view = view.value == "county" and session.model.places.by_county
    all_counties = solara.use_memo(lambda: list(geo.county_shapes()), [])  # hooks run on every render
    counties = all_counties if county_view else []
    choices = COUNTY_MAP_INDICATORS if county_view else MAP_INDICATORS
    # the lock keeps a Play thread from stepping the model while this session's page reads it
    with session.lock:
        year = shown_year(state)
        shown = indicator.value if indicator.value in choices else choices[0]
        values = session.division_values(shown, year)
        county_values = session.county_values(shown, year) if county_view else None
        open_years = {k.removeprefix("open_year_"): float(v) for k, v in session.model.policy.values.items()
                      if k.startswith("open_year_")}
        flows = None
        if show_flows.value and year > 2010:
            flows = list(session.flows_between_divisions(year).itertuples(index=False, name=None))
    fmt = "{:,.1f}" if INDICATORS[shown].unit in ("percent", "ratio") else "{:,.0f}"
    state_json = geo.map_state(values, lang=lang, open_years=open_years, year=year, flows=flows,
                               value_format=fmt, county_values=county_values)
    labels = [indicator_label(k, lang) for k in choices]
    view_labels = [tr("map_view_division", lang), tr("map_view_county", lang)]

    with solara.Column(gap="4px", classes=["map-panel"]):
        with solara.Row(gap="8px", style={"align-items": "center"}):
            solara.Select(tr("map_colour", lang), values=labels,
                          value=indicator_label(shown, lang),
                          on_value=state.guard(lambda lbl: indicator.set(
                              choices[parse_choice(lbl, labels, field="map_colour")])), dense=True,
                          style={"max-width": "300px"}, classes=["map-indicator"])
            solara.Checkbox(label=tr("map_flows", lang), value=show_flows.value,
                            on_value=lambda v: show_flows.set(v is True))
        MapView(shapes=shapes, colours=state_json["colours"], tooltips=state_json["tooltips"],
                labels=state_json["labels"], rails=state_json["rails"], arrows=state_json["arrows"],
                legend=state_json["legend"], outside=state_json["outside"], outside_label=tr("map_outside", lang),
                legend_title=f"{indicator_label(shown, lang)}, {unit_label(shown, lang)} ({year})",
                flow_legend=state_json["flow_legend"], flow_title=tr("flow_legend", lang, year=year),
                flow_unit=tr("persons", lang), counties=counties, county_colours=state_json["county_colours"],
                county_tooltips=state_json["county_tooltips"],
                caption=tr("map_hint", lang), selected=state.selected.value, width=geo.WIDTH, height=geo.HEIGHT,
                event_division_click=state.guard(lambda name: state.selected.set(
                    division_names()[parse_choice(name, division_names(), field="division")])))
        if session.model.places.by_county:
            # below the map, so that the map keeps its place on a 1280x720 screen
            with solara.Row(gap="6px", style={"align-items": "center"}):
                solara.Text(tr("map_view", lang), style={"font-size": "13px"})
                solara.ToggleButtonsSingle(
                    value=view_labels[1] if county_view else view_labels[0], values=view_labels,
                    on_value=state.guard(lambda lbl: view.set(
                        ("division", "county")[parse_choice(lbl, view_labels, field="map_view")])),
                    dense=True, classes=["map-view"])
        caption = tr("map_hint", lang)
        if flows:
            caption += " " + tr("flows_caption", lang, n=len(state_json["arrows"]), year=year)
        if state_json["rails"]:
            names = [r["name_zh"] if lang == "zh" else r["name_en"] for r in state_json["rails"]]
            caption += " " + tr("map_rail", lang) + ": " + ", ".join(names) + "."
            new = [r["name_zh"] if lang == "zh" else r["name_en"] for r in state_json["rails"] if r["new"]]
            if new:
                caption += " " + tr("map_new_rail", lang) + ": " + ", ".join(new) + "."
        solara.Text(caption, style={"font-size": "12px", "color": "#555"})


@solara.component
def DivisionPanel(state: AppState) -> None:
    """The selected division's figures against its 2025 plan target."""
    name = state.selected.value
    if name is None:
        return
    lang: Lang = state.lang.value
    state.version.value  # subscribe  # noqa: B018
    session = state.session
    targets = load_plan_city_targets().set_index("division_en")
    target = float(targets.loc[name, "urbanization_target_2025_pct"]) if name in targets.index else float("nan")
    central = (float(targets.loc[name, "central_urban_population_2025_10k"]) * 1e4 if name in targets.index
               else float("nan"))
    with session.lock:
        year = shown_year(state)
        latest = year == session.year

        def at(indicator: str) -> float:
            return session.value_in(indicator, name, year)

        urb = at("urbanization_rate")
        rows = [
            (tr("panel_population", lang), _fmt(at("population")) + " " + tr("persons", lang)),
            (tr("panel_urbanization", lang),
             f"{_fmt(urb, '{:.1f}')} % · {tr('panel_target', lang)} {_fmt(target, '{:.0f}')} %"
             + (f" ({urb - target:+.1f})" if math.isfinite(urb) and math.isfinite(target) else "")),
            (tr("panel_central_target", lang), _fmt(at("central_urban_population")) + " / "
             + _fmt(central)),
            (tr("panel_wage", lang), _fmt(at("urban_wage")) + " " + tr("yuan_year", lang)),
            (tr("panel_rent", lang), _fmt(at("rent")) + " " + tr("yuan_year", lang)),
            (tr("panel_unemployment", lang), _fmt(at("urban_unemployment_rate"), "{:.1f}") + " %"),
            (tr("panel_settled", lang), _fmt(at("settled_migrants")) + " / "
             + (_fmt(session.settled_since_start(name)) if latest else "-")),
            (tr("panel_permits", lang), _fmt(at("permit_holders"))),
            (tr("panel_left_behind", lang), _fmt(at("left_behind_children"))),
        ]
        xs, ys = session.series("urbanization_rate", name)
    chart = ChartData(title=tr("panel_trend", lang), series=[Series(tr("series_simulated", lang), xs, ys)],
                      targets=[], y_format="{:,.0f}", target_legend=tr("series_target", lang), marker=year)
    if math.isfinite(target):
        chart.targets.append(Target(2025, target, f"{target:g} (2025)"))
    with solara.Card(title=f"{division_label(name, lang)} · {year}", classes=["division-panel"]):
        TableView(header=[], rows=[list(r) for r in rows], name="division-figures")
        ChartView(spec=chart_spec(chart), name=f"division-{name}")
        solara.Button(tr("panel_close", lang), on_click=lambda: state.selected.set(None), text=True)


@solara.component
def ChartsPanel(state: AppState) -> None:
    """The six provincial charts with plan targets and observations."""
    lang: Lang = state.lang.value
    state.version.value  # subscribe  # noqa: B018
    session = state.session
    with session.lock:
        year = shown_year(state)
        specs = []
        for chart in MAIN_CHARTS:
            data = main_chart(chart, session.series, lang)
            data.marker = year if year != session.year else None  # a line at the year the scrubber shows
            specs.append((chart.key, chart_spec(data)))
    # a grid of as many 370-px columns as fit: one beside the map at 1280x720, two at 1920x1080
    with solara.Div(classes=["charts"], style={"display": "grid", "gap": "8px",
                                               "grid-template-columns": "repeat(auto-fill, minmax(370px, 1fr))"}):
        for key, spec in specs:
            ChartView(spec=spec, name=key)


def shown_year(state: AppState) -> int:
    """The year the map, charts and readouts show: the scrubber's year, or the latest simulated year."""
    year = state.shown_year.value
    latest = state.session.year
    return latest if year is None or not START_YEAR <= year <= latest else year


@solara.component
def YearScrubber(state: AppState) -> None:
    """A slider over the simulated years: the map, charts, readouts and division panel show the year chosen.

    At the latest year it follows the run (a Step or Play moves it on); an earlier year stays put while the
    model runs on. What the client sends is clamped to the simulated years.
    """
    lang: Lang = state.lang.value
    state.version.value  # subscribe  # noqa: B018
    latest = state.session.year
    year = shown_year(state)
    set_back = use_set_back(lambda: slider)

    def receive(raw: Any) -> None:
        try:
            kept = parse_int_clamped(raw, field="shown_year", low=START_YEAR, high=state.session.year)
        except InputError as exc:
            state.error.set(refusal_text(exc, state.lang.value))
            set_back(shown_year(state))
            return
        state.shown_year.set(None if kept >= state.session.year else kept)
        if type(raw) is not int or raw != kept:
            set_back(kept)

    with solara.Row(gap="10px", style={"align-items": "center", "flex-wrap": "wrap"}, classes=["year-scrubber"]):
        solara.Text(tr("shown_year", lang, year=year) + ("" if year == latest else " · " + tr("latest_year", lang,
                    year=latest)), style={"font-size": "15px", "font-weight": "500"}, classes=["shown-year"])
        with solara.Div(style={"flex": "1", "min-width": "200px"}):
            slider = rv.Slider(v_model=year, on_v_model=receive, min=START_YEAR, max=max(latest, START_YEAR + 1),
                               step=1, thumb_label=True, hide_details=True, disabled=latest == START_YEAR,
                               class_="year-slider")
        if year != latest:
            solara.Button(tr("to_latest", lang), on_click=lambda: state.shown_year.set(None), text=True,
                          classes=["to-latest"])


#: The headline indicators always shown in the sidebar (indicator, scale, format, unit key).
READOUTS: tuple[tuple[str, float, str, str], ...] = (
    ("urbanization_rate", 1.0, "{:.2f}", "unit_percent"),
    ("hukou_urbanization_rate", 1.0, "{:.2f}", "unit_percent"),
    ("czt_urban_share", 1.0, "{:.2f}", "unit_percent"),
    ("urban_rural_income_ratio", 1.0, "{:.3f}", "unit_ratio"),
    ("urban_unemployment_rate", 1.0, "{:.2f}", "unit_percent"),
    ("outside_hunan_population", 1e-6, "{:.2f}", "unit_million"),
)


@solara.component
def Readouts(state: AppState) -> None:
    """The headline indicators for the year shown, always visible (students copy them from here)."""
    lang: Lang = state.lang.value
    state.version.value  # subscribe  # noqa: B018
    session = state.session
    with session.lock:
        year = shown_year(state)
        rows = [[f"{tr('readout_' + k, lang)}", _fmt(session.value_in(k, "Hunan", year) * scale, fmt) + " "
                 + tr(unit, lang)] for k, scale, fmt, unit in READOUTS]
    with solara.Column(gap="0px", classes=["readouts"]):
        solara.Text(tr("readouts_title", lang, year=year), style={"font-size": "13px", "font-weight": "500"})
        TableView(header=[], rows=rows, name="readouts")


@solara.component
def Downloads(state: AppState) -> None:
    """CSV files of the run's tables: every indicator row and every move so far."""
    lang: Lang = state.lang.value
    state.version.value  # subscribe: the file name carries the year  # noqa: B018
    session = state.session
    stem = f"hunan_{session.preset_name}_seed{session.seed}_{START_YEAR}-{session.year}"

    def indicators_csv() -> bytes:
        with session.lock:
            return session.indicator_table().to_csv(index=False).encode("utf-8")

    def flows_csv() -> bytes:
        with session.lock:
            return session.flow_table().to_csv(index=False).encode("utf-8")

    with solara.Row(gap="6px", style={"flex-wrap": "wrap"}, classes=["downloads"]):
        solara.FileDownload(indicators_csv, filename=f"{stem}_indicators.csv", label=tr("download_indicators", lang))
        solara.FileDownload(flows_csv, filename=f"{stem}_flows.csv", label=tr("download_flows", lang))


@solara.component
def MainTab(state: AppState) -> None:
    """Year scrubber; map and division panel beside the charts (two columns, so that the map and two charts
    fit a 1280x720 projector without scrolling)."""
    YearScrubber(state)
    with solara.Div(classes=["main-tab"], style={"display": "grid", "gap": "12px", "align-items": "start",
                                                 "grid-template-columns": "minmax(300px, 460px) minmax(370px, 1fr)"}):
        with solara.Column(gap="4px"):
            MapPanel(state)
            DivisionPanel(state)
            Downloads(state)
        ChartsPanel(state)


# ------------------------------------------------------------------------------------------------------
# Compare with baseline
# ------------------------------------------------------------------------------------------------------


@solara.component
def ClampedSlider(state: AppState, label: str, field: str, value: int, limits: tuple[int, int],
                  on_value: Callable[[int], None], css_class: str) -> None:
    """A whole-number slider that keeps what the client sends within ``limits``.

    A client can send any value through the slider's channel. A whole number outside the range is clamped
    to it, anything else is refused with a message (:func:`ui.inputs.parse_int_clamped`), and in both cases
    the slider is set back to the value kept, so the page shows what the server will use. (``solara.SliderInt``
    calls ``int()`` on the raw value itself: a crafted ``"many"`` raised ``ValueError`` inside Solara.)
    """
    set_back = use_set_back(lambda: slider)

    def receive(raw: Any) -> None:
        if type(raw) is int and raw == value:
            return  # the value shown already (also the echo of setting the slider back below)
        try:
            kept = parse_int_clamped(raw, field=field, low=limits[0], high=limits[1])
        except InputError as exc:
            state.error.set(refusal_text(exc, state.lang.value))
            kept = value
        else:
            state.error.set("")
            on_value(kept)
        if type(raw) is not int or raw != kept:
            set_back(kept)

    with solara.Column(gap="0px", style={"min-width": "220px"}):
        # the value is written out: the slider's own label showed no number (issue 16)
        solara.Text(f"{label}: {value}", style={"font-size": "14px"}, classes=[f"{css_class}-value"])
        slider = rv.Slider(v_model=value, on_v_model=receive, min=limits[0], max=limits[1], step=1,
                           thumb_label=True, hide_details=True, class_=css_class)


@solara.component
def CompareTab(state: AppState) -> None:
    """Replications of the current levers and the baseline preset as fan charts; progress and Cancel."""
    lang: Lang = state.lang.value
    session = state.session
    reps = solara.use_reactive(3)
    end = solara.use_reactive(END_YEAR)
    message = solara.use_reactive("")

    # The sliders' values come back from the client, which can send any number (100000 runs, year 2300):
    # ClampedSlider clamps each when it arrives, and compute() clamps again when the comparison starts.
    def clamp_reps(value: Any) -> int:
        return parse_int_clamped(value, field="compare_reps", low=COMPARE_REPLICATIONS[0],
                                 high=COMPARE_REPLICATIONS[1])

    def clamp_end(value: Any) -> int:
        return parse_int_clamped(value, field="compare_end", low=COMPARE_END_YEARS[0], high=COMPARE_END_YEARS[1])

    def compute() -> None:
        baseline = Scenario.load("baseline")
        current = session.scenario_for_rerun()
        n_replications, end_year = clamp_reps(reps.value), clamp_end(end.value)

        def progress(fraction: float) -> None:
            task.progress = 100.0 * fraction

        try:
            result = run_comparison(current=current, baseline=baseline, master_seed=session.seed,
                                    n_replications=n_replications, scale=session.scale, end_year=end_year,
                                    on_progress=progress, cancelled=lambda: not task.is_current())
        except Cancelled:
            return
        state.comparison.set(result)
        message.set("")

    task = solara.lab.use_task(compute, dependencies=None)

    def cancel() -> None:
        if task.pending:
            task.cancel()
        message.set(tr("compare_cancelled", lang))

    with solara.Column(gap="8px", classes=["compare-tab"]):
        solara.Text(tr("compare_intro", lang))
        with solara.Row(gap="16px", style={"align-items": "center", "flex-wrap": "wrap"}):
            ClampedSlider(state, tr("compare_reps", lang), "compare_reps", reps.value, COMPARE_REPLICATIONS,
                          reps.set, "compare-reps")
            ClampedSlider(state, tr("compare_end", lang), "compare_end", end.value, COMPARE_END_YEARS, end.set,
                          "compare-end")
            if task.pending:
                solara.Button(tr("cancel", lang), on_click=cancel, color="warning", icon_name="mdi-stop")
            else:
                solara.Button(tr("compare_run", lang), on_click=lambda: task(), color="primary",
                              icon_name="mdi-chart-bell-curve")
        if task.pending:
            solara.ProgressLinear(task.progress if task.progress is not None else True, classes=["compare-bar"])
            solara.Text(f"{task.progress or 0:.0f} %", classes=["compare-progress"])
        if message.value:
            solara.Info(message.value)
        if session.scenario_for_rerun().blocks == Scenario.load("baseline").blocks:
            solara.Text(tr("compare_same", lang), style={"font-size": "12px", "color": "#666"})
        result = state.comparison.value
        if result is None:
            solara.Text(tr("compare_none", lang))
            return
        draws = "posterior draws" if any(result.draws) else "default parameters"
        solara.Text(f"{tr('compare_pair', lang, name=scenario_title(result.scenario_name, lang))} · seeds "
                    f"{result.seeds} (master {result.master_seed}), {draws}, scale {result.scale}",
                    style={"font-size": "12px", "color": "#555"})
        CompareQuestion(state, result)
        CompareTargets(state, result)
        solara.Text(tr("compare_fans", lang), style={"font-size": "16px", "font-weight": "500"})
        with solara.ColumnsResponsive(default=12, medium=6, large=4):
            for chart in MAIN_CHARTS:
                current = {line[0]: result.series("current", line[0]) for line in chart.lines}
                baseline = {line[0]: result.series("baseline", line[0]) for line in chart.lines}
                data = fan_chart(chart, current, baseline, lang, x_range=(2010, max(result.end_year, 2015)))
                ChartView(spec=chart_spec(data), name=f"fan-{chart.key}")


def value_format(indicator: str) -> str:
    """How values of an indicator are written in tables (by its unit)."""
    unit = INDICATORS[indicator].unit if indicator in INDICATORS else ""
    if unit in ("percent", "percentage points"):
        return "{:,.2f}"
    if unit == "ratio":
        return "{:,.3f}"
    return "{:,.0f}"


def unit_label(indicator: str, lang: Lang) -> str:
    """The unit of an indicator for a legend or header (``%``, ``points``, ``persons`` ...)."""
    unit = INDICATORS[indicator].unit if indicator in INDICATORS else ""
    return tr(f"unit_{unit.replace(' ', '_')}", lang) if f"unit_{unit.replace(' ', '_')}" in STRINGS else unit


def _median_range(values: Any, fmt: str) -> str:
    med, lo, hi = summary(values)
    if not math.isfinite(med):
        return "-"
    if lo == hi:
        return fmt.format(med)
    return f"{fmt.format(med)} [{fmt.format(lo)} – {fmt.format(hi)}]"


@solara.component
def CompareQuestion(state: AppState, result: Comparison) -> None:
    """One chosen indicator and region: both fans, the paired difference with its interval, and a table of
    baseline, current levers and difference at 2025 and 2035."""
    lang: Lang = state.lang.value
    indicator = solara.use_reactive("urbanization_rate")
    region = solara.use_reactive("Hunan")
    pairs = result.pairs()
    indicators = [k for k in dict.fromkeys(i for i, _ in pairs) if k in INDICATORS]
    ind = indicator.value if indicator.value in indicators else indicators[0]
    regions = [r for i, r in pairs if i == ind and r != "outside"]
    regions = (["Hunan"] if "Hunan" in regions else []) + [r for r in division_names() if r in regions]
    reg = region.value if region.value in regions else regions[0]
    ind_labels = [indicator_label(k, lang) for k in indicators]
    reg_labels = [division_label(r, lang) for r in regions]
    fmt = value_format(ind)
    axis_fmt = {"{:,.2f}": "{:,.1f}", "{:,.3f}": "{:,.2f}"}.get(fmt, fmt)  # ticks need fewer decimals
    unit = unit_label(ind, lang)
    x_range = (2010, max(result.end_year, 2015))
    years = list(range(x_range[0], x_range[1] + 1))

    def aligned(runs: list) -> list[list[float]]:
        return [[dict(zip(xs, ys, strict=False)).get(y, float("nan")) for y in years] for xs, ys in runs]

    fans = ChartData(title=f"{indicator_label(ind, lang)} · {division_label(reg, lang)} ({unit})", x_range=x_range,
                     y_format=axis_fmt)
    for arm, key, colour in (("baseline", "series_baseline", COLOURS["baseline"]),
                             ("current", "series_current", COLOURS["current"])):
        med, lo, hi = fan(aligned(result.series(arm, ind, reg)))
        if med:
            fans.series.append(Series(tr(key, lang), years, med, colour=colour))
            fans.bands.append(Band(tr("band_range", lang), years, lo, hi, colour=colour))
    diffs = difference_runs(result, ind, reg)
    med, lo, hi = fan(aligned(diffs))
    diff_chart = ChartData(title=f"{tr('compare_difference', lang)} ({unit})", x_range=x_range, y_format=axis_fmt)
    if med:
        diff_chart.series.append(Series(tr("series_difference_median", lang), years, med, colour=COLOURS["target"]))
        diff_chart.bands.append(Band(tr("band_range", lang), years, lo, hi, colour=COLOURS["target"]))
        diff_chart.series.append(Series("0", list(x_range), [0.0, 0.0], colour="#555", width=1.0, dash=True,
                                        legend=False))
    rows = []
    for year in TABLE_YEARS:
        if year > result.end_year:
            continue
        rows.append([str(year), _median_range(values_at(result.series("baseline", ind, reg), year), fmt),
                     _median_range(values_at(result.series("current", ind, reg), year), fmt),
                     _median_range(values_at(diffs, year), "{:+,.3f}" if fmt != "{:,.0f}" else "{:+,.0f}")])
    header = [tr("hh_col_year", lang), tr("series_baseline", lang), tr("series_current", lang),
              tr("compare_difference", lang)]
    with solara.Column(gap="6px", classes=["compare-question"]):
        with solara.Row(gap="8px", style={"flex-wrap": "wrap"}):
            solara.Select(tr("results_indicator", lang), values=ind_labels, value=indicator_label(ind, lang),
                          on_value=state.guard(lambda lbl: indicator.set(
                              indicators[parse_choice(lbl, ind_labels, field="results_indicator")])),
                          classes=["compare-indicator"], style={"min-width": "340px"})
            solara.Select(tr("results_region", lang), values=reg_labels, value=division_label(reg, lang),
                          on_value=state.guard(lambda lbl: region.set(
                              regions[parse_choice(lbl, reg_labels, field="results_region")])),
                          classes=["compare-region"])
        with solara.Div(style={"display": "grid", "gap": "12px",
                               "grid-template-columns": "repeat(auto-fill, minmax(370px, 1fr))"}):
            ChartView(spec=chart_spec(fans), name="compare-fans")
            ChartView(spec=chart_spec(diff_chart), name="compare-difference")
        solara.Text(tr("compare_table_note", lang, n=len(result.seeds)), style={"font-size": "12px", "color": "#555"})
        TableView(header=header, rows=rows, name="compare-table")


@solara.component
def CompareTargets(state: AppState, result: Comparison) -> None:
    """The share of replications that meet each plan target, under the baseline and the current levers."""
    lang: Lang = state.lang.value
    rows = []
    for indicator, targets in plan_targets().items():
        for year, target in targets:
            if year > result.end_year:
                continue
            at_most = indicator in TARGETS_AT_MOST
            cells = [indicator_label(indicator, lang), str(year), ("≤ " if at_most else "≥ ") + f"{target:g}"]
            for arm in ("baseline", "current"):
                values = values_at(result.series(arm, indicator), year)
                share = share_meeting(values, target, at_most)
                n = int(np.isfinite(values).sum())
                cells.append("-" if not math.isfinite(share) else f"{round(share * n)}/{n} ({share:.0%})")
            rows.append(cells)
    header = [tr("results_indicator", lang), tr("hh_col_year", lang), tr("series_target", lang),
              tr("series_baseline", lang), tr("series_current", lang)]
    with solara.Column(gap="4px", classes=["compare-targets"]):
        solara.Text(tr("compare_targets", lang), style={"font-size": "16px", "font-weight": "500"})
        TableView(header=header, rows=rows, name="compare-target-table")
        solara.Text(tr("compare_targets_note", lang), style={"font-size": "12px", "color": "#555"})


# ------------------------------------------------------------------------------------------------------
# Stored results
# ------------------------------------------------------------------------------------------------------


@solara.component
def ResultsTab(state: AppState) -> None:
    """Browse a folder of tidy indicator Parquet files inside the results root."""
    lang: Lang = state.lang.value
    root = solara.use_memo(default_results_root, [])
    folder_text = solara.use_reactive("")
    opened = solara.use_reactive(None)  # (folder, ResultFolder, indicators, regions)
    indicator = solara.use_reactive("urbanization_rate")
    region = solara.use_reactive("Hunan")

    def open_folder() -> None:
        folder = resolve_results_dir(folder_text.value, root)
        found = scan_folder(folder, root)
        by_indicator = regions_by_indicator(found.files) if found.files else {}
        opened.set((folder, found, sorted(by_indicator), by_indicator))

    with solara.Column(gap="8px", classes=["results-tab"]):
        solara.Text(f"{tr('results_root', lang)}: {root}", style={"font-size": "12px"})
        with solara.Row(gap="8px", style={"align-items": "center"}):
            solara.InputText(tr("results_folder", lang), value=folder_text.value, on_value=folder_text.set,
                             continuous_update=True, classes=["results-folder"])
            solara.Button(tr("results_open", lang), on_click=state.guard(open_folder), icon_name="mdi-folder-open")
        if opened.value is None:
            return
        folder, found, indicators, by_indicator = opened.value
        solara.Text(tr("results_files", lang, n=len(found.files)))
        if found.flows:
            solara.Text(tr("results_flow_files", lang, n=len(found.flows)), classes=["results-flow-files"])
        if found.skipped:
            solara.Text(tr("results_skipped", lang, names=", ".join(f"{n} ({why})" for n, why in found.skipped[:10])),
                        style={"font-size": "12px", "color": "#a15c00"})
        if not found.files:
            solara.Warning(tr("results_none", lang))
            return
        ind = indicator.value if indicator.value in indicators else indicators[0]
        regions = by_indicator[ind]  # only the regions this indicator is given for (hukou_gap: Hunan only)
        reg = region.value if region.value in regions else regions[0]
        with solara.Row(gap="8px"):
            ind_labels = {indicator_label(k, lang): k for k in indicators}
            reg_labels = {division_label(k, lang): k for k in regions}
            ind_list, reg_list = list(ind_labels), list(reg_labels)
            solara.Select(tr("results_indicator", lang), values=ind_list, value=indicator_label(ind, lang),
                          on_value=state.guard(lambda label: indicator.set(
                              ind_labels[ind_list[parse_choice(label, ind_list, field="results_indicator")]])),
                          classes=["results-indicator"], style={"min-width": "340px"})
            solara.Select(tr("results_region", lang), values=reg_list, value=division_label(reg, lang),
                          on_value=state.guard(lambda label: region.set(
                              reg_labels[reg_list[parse_choice(label, reg_list, field="results_region")]])),
                          classes=["results-region"])
        runs = runs_of(found.files, folder, ind, reg)
        years = sorted({y for run in runs.values() for y in run.years})
        if not years:
            solara.Warning(tr("results_none", lang))
            return
        title = f"{indicator_label(ind, lang)} · {division_label(reg, lang)} ({unit_label(ind, lang)})"
        ChartView(spec=chart_spec(grouped_fans(runs, title, lang), width=640, height=300), name="results")
        solara.Text(tr("results_runs", lang), style={"font-size": "12px", "color": "#666"})
        if found.flows:
            flows = flow_totals(found.flows, folder)
            if flows:
                ChartView(spec=chart_spec(grouped_fans(flows, tr("results_flows_title", lang), lang, "{:,.0f}"),
                                          width=640, height=300), name="results-flows")
        made = provenance_summary(found.files[0])
        if made:
            solara.Text(f"{found.files[0].name}: {made}", style={"font-size": "11px", "color": "#777"},
                        classes=["results-provenance"])


def grouped_fans(runs: dict[str, Any], title: str, lang: Lang, y_format: str = "{:,.1f}") -> ChartData:
    """Each run as a thin grey line, and per group (scenario, or experiment · scenario) its median and
    10-90 % band in a colour of its own: runs of different scenarios are never merged into one band."""
    years = sorted({y for run in runs.values() for y in run.years})
    series = [Series(name, run.years, run.values, colour=COLOURS["runs"], width=1.0, legend=False)
              for name, run in runs.items()]
    bands = []
    palette = (COLOURS["sim"], COLOURS["second"], COLOURS["target"], "#009e73", "#cc79a7", "#56b4e9")
    for i, group in enumerate(sorted({run.scenario for run in runs.values()})):
        members = [r for r in runs.values() if r.scenario == group]
        aligned = [[dict(zip(r.years, r.values, strict=False)).get(y, float("nan")) for y in years] for r in members]
        med, lo, hi = fan(aligned)
        colour = palette[i % len(palette)]
        label = f"{group or tr('results_no_group', lang)} ({tr('median', lang)}, n={len(members)})"
        series.append(Series(label, years, med, colour=colour))
        if len(members) > 1:
            bands.append(Band("", years, lo, hi, colour=colour))
    x_range = (min(years), max(max(years), min(years) + 1)) if years else (2010, 2035)
    return ChartData(title=title, series=series, bands=bands, x_range=x_range, y_format=y_format)


# ------------------------------------------------------------------------------------------------------
# Follow a household
# ------------------------------------------------------------------------------------------------------


def _place_text(loc: int, lang: Lang, places: Places) -> str:
    division, kind = place_of(loc, places)
    if kind == "outside":
        return tr("map_outside", lang)
    return f"{division_label(division, lang)} ({tr(kind, lang)})"


def _hukou_text(rec: dict[str, Any], lang: Lang) -> str:
    place = hukou_place_of(rec)
    where = tr("other_province", lang) if place == "other province" else division_label(place, lang)
    kind = tr("nonagri_hukou", lang) if rec["hukou_urban"] else tr("agri_hukou", lang)
    text = f"{where}, {kind}"
    if rec["permit"]:
        text += "; " + tr("permit_yes", lang)
    return text


def _names(table: dict, code: int, lang: Lang) -> str:
    pair = table.get(code, (str(code), str(code)))
    return pair[1] if lang == "zh" else pair[0]


def household_events(prev: dict[str, Any] | None, rec: dict[str, Any], lang: Lang,
                     places: Places) -> list[str]:
    """What changed for a followed household between two yearly records, in words."""
    if prev is None:
        return [tr("ev_start", lang)]
    events = []
    if rec["loc"] != prev["loc"]:
        events.append(tr("ev_moved", lang, a=_place_text(prev["loc"], lang, places),
                         b=_place_text(rec["loc"], lang, places)))
    if rec["hukou_div"] != prev["hukou_div"] or rec["hukou_urban"] != prev["hukou_urban"]:
        place = hukou_place_of(rec)
        events.append(tr("ev_settled", lang, a=division_label(place, lang) if place != "other province"
                         else tr("other_province", lang)))
    if rec["permit"] and not prev["permit"]:
        events.append(tr("ev_permit", lang))
    if rec["employment"] != prev["employment"]:
        events.append(tr("ev_job", lang, a=_names(EMPLOYMENT_NAMES, rec["employment"], lang)))
    if rec["tenure"] != prev["tenure"]:
        events.append(tr("ev_housing", lang, a=_names(TENURE_NAMES, rec["tenure"], lang)))
    if rec["n_children"] > prev["n_children"]:
        events.append(tr("ev_born", lang))
    both_with_children = rec["n_children"] > 0 and prev["n_children"] > 0
    if both_with_children and rec["children_with_parents"] != prev["children_with_parents"]:
        events.append(tr("ev_joined", lang) if rec["children_with_parents"] else tr("ev_left_behind", lang))
    return events


def household_rows(timeline: list[dict[str, Any]], lang: Lang, places: Places) -> list[list[str]]:
    """The followed household's timeline as table rows (year, place, hukou, work, housing, children, income,
    events)."""
    rows: list[list[str]] = []
    prev = None
    for rec in timeline:
        if rec.get("gone"):
            rows.append([str(rec["year"]), tr("hh_gone", lang, year=rec["year"])] + [""] * 6)
            break
        if rec["n_children"] == 0:
            kids = tr("no_children", lang)
        elif rec["children_with_parents"]:
            kids = tr("children_with", lang, n=rec["n_children"])
        else:
            kids = tr("children_left", lang, n=rec["n_children"])
        work = _names(EMPLOYMENT_NAMES, rec["employment"], lang)
        if rec["employment"] != Employment.FARMING:
            work += " · " + _names(SECTOR_NAMES, rec["sector"], lang)
        rows.append([str(rec["year"]), _place_text(rec["loc"], lang, places), _hukou_text(rec, lang), work,
                     _names(TENURE_NAMES, rec["tenure"], lang), kids, f"{rec['income'] * 1e4:,.0f}",
                     "; ".join(household_events(prev, rec, lang, places))])
        prev = rec
    return rows


@solara.component
def HouseholdTab(state: AppState) -> None:
    """The followed household's year-by-year timeline."""
    lang: Lang = state.lang.value
    state.version.value  # subscribe  # noqa: B018
    session = state.session
    hid_text = solara.use_reactive("")
    event = solara.use_reactive("move")
    note = solara.use_reactive("")
    event_labels = [tr(f"hh_event_{e}", lang) for e in FOLLOW_EVENTS]

    def follow_event() -> None:
        # a household to whom the chosen thing happens in the coming years (main at ffb33fd: "follow a
        # migrant" in 2010 picked one that farmed in its village for all 25 years)
        hid = session.follow_ahead(event.value)
        note.set("" if hid is not None else tr("hh_none", state.lang.value, years=FOLLOW_HORIZON))
        state.bump()

    def follow_id() -> None:
        session.follow(parse_household_id(hid_text.value))
        state.bump()

    with solara.Column(gap="8px", classes=["household-tab"]):
        solara.Text(tr("hh_intro", lang))
        with solara.Row(gap="8px", style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.Select(tr("hh_event", lang, years=FOLLOW_HORIZON), values=event_labels,
                          value=event_labels[FOLLOW_EVENTS.index(event.value)],
                          on_value=state.guard(lambda lbl: event.set(
                              FOLLOW_EVENTS[parse_choice(lbl, event_labels, field="hh_event")])),
                          classes=["hh-event"], style={"min-width": "300px"})
            solara.Button(tr("hh_follow", lang), on_click=state.guard(follow_event), icon_name="mdi-account-search",
                          color="primary")
            solara.InputText(tr("hh_id", lang), value=hid_text.value, on_value=hid_text.set, continuous_update=True)
            solara.Button("OK", on_click=state.guard(follow_id))
        if note.value:
            solara.Info(note.value, classes=["hh-none"])
        if session.followed_hid is None:
            return
        solara.Text(f"{tr('hh_id', lang)} {session.followed_hid} · {tr('hh_since', lang, year=session.follow_started)}",
                    classes=["followed-household"])
        header = [tr(k, lang) for k in ("hh_col_year", "hh_col_where", "hh_col_hukou", "hh_col_work",
                                        "hh_col_housing", "hh_col_children", "hh_col_income", "hh_col_events")]
        with session.lock:
            rows = household_rows(session.timeline, lang, session.model.places)
        TableView(header=header, rows=rows, name="household-timeline")


# ------------------------------------------------------------------------------------------------------
# About
# ------------------------------------------------------------------------------------------------------


def StaticMarkdown(text: str) -> None:
    """Markdown written in this code base, rendered to HTML on the server.

    ``solara.Markdown`` loads KaTeX (for math) and Mermaid in the browser from the ``/_solara/cdn/`` proxy,
    and the installed solara-assets has no KaTeX: the server would fetch it from a public CDN on every
    visit (or 404 now that the proxy only serves local files). The About texts hold no math or diagrams,
    so they are converted here with the ``markdown`` package that Solara itself uses, and nothing is
    fetched. Only text from this code base may be passed: the HTML is not sanitised.
    """
    solara.HTML(tag="div", unsafe_innerHTML=markdown.markdown(text),
                classes=["solara-markdown", "rendered_html", "jp-RenderedHTMLCommon", "static-markdown"])


@solara.component
def AboutTab(state: AppState) -> None:
    """What the simulator is, how each mechanism works and what to try."""
    lang: Lang = state.lang.value
    with solara.Column(gap="10px", classes=["about-tab"]):
        StaticMarkdown(ABOUT[lang])
        with solara.Div(classes=["how-to-use"]):
            StaticMarkdown(HOW_TO[lang])
        solara.Text(tr("about_mechanisms", lang), style={"font-size": "18px", "font-weight": "500"})
        for mechanism in MECHANISMS:
            title, how, tries = mechanism_text(mechanism, lang)
            with solara.Card(title=title, subtitle=f"code: {mechanism.stage}"):
                StaticMarkdown(f"**{tr('how_it_works', lang)}.** {how}")
                StaticMarkdown(f"**{tr('things_to_try', lang)}:**\n\n" + "\n".join(f"- {t}" for t in tries))
                if mechanism.levers:
                    labels = ", ".join(lever_label(LEVERS[n], lang) for n in mechanism.levers)
                    solara.Text(f"{tr('levers', lang)}: {labels}", style={"font-size": "12px", "color": "#555"})


# ------------------------------------------------------------------------------------------------------
# The page
# ------------------------------------------------------------------------------------------------------


@solara.component
def TabBody(state: AppState) -> None:
    """Only the tab shown is rendered (the others cost nothing while hidden)."""
    key = TAB_KEYS[state.tab.value]
    if key == "tab_main":
        MainTab(state)
    elif key == "tab_compare":
        CompareTab(state)
    elif key == "tab_results":
        ResultsTab(state)
    elif key == "tab_household":
        HouseholdTab(state)
    else:
        AboutTab(state)


@solara.component
def ErrorBanner(state: AppState) -> None:
    """The last refused input, explained."""
    message = state.error.value
    if message:
        lang: Lang = state.lang.value
        solara.Error(f"{tr('refused', lang)}: {message}", classes=["input-refused"])


@solara.component
def HunanApp(state: AppState) -> None:
    """The whole page for one browser session."""
    lang: Lang = state.lang.value
    solara.Title(tr("title", lang))
    with solara.AppBar():
        solara.AppBarTitle(tr("title", lang))
        solara.Button(tr("language", lang), on_click=lambda: state.lang.set("zh" if lang == "en" else "en"),
                      text=True, color="white", classes=["language-switch"])
    with solara.Sidebar():
        RunControls(state)
        Readouts(state)
        LeverPanel(state)
    ErrorBanner(state)
    # ipyvuetify's tabs directly: solara.lab.Tabs indexes its list with the client's value before any callback
    # of ours sees it (IndexError for 99); here the index is clamped to the tabs there are.
    with rv.Tabs(v_model=state.tab.value, show_arrows=True,
                 on_v_model=state.guard(lambda v: state.tab.set(
                     parse_int_clamped(v, field="tab", low=0, high=len(TAB_KEYS) - 1)))):
        rv.TabsSlider()
        for key in TAB_KEYS:
            # compact, not upper-cased: all five tabs fit beside the sidebar at 1280x720 (no scroll arrows)
            rv.Tab(children=[tr(key, lang)], style_="text-transform: none; min-width: 0; padding: 0 12px; "
                                                    "font-size: 15px; letter-spacing: normal")
    TabBody(state)
