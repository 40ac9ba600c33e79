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
import reacton.ipyvuetify as rv
import solara
import solara.lab

from agents.households import Employment
from sim.data import division_names, load_plan_city_targets
from sim.errors import InputError
from sim.indicators import INDICATORS
from sim.parameters import LEVERS, NEVER
from sim.scenario import Scenario, available_scenarios
from ui import geo
from ui.charts import COLOURS, Band, ChartData, Series, Target, chart_spec, fan
from ui.compare import Cancelled, Comparison, run_comparison
from ui.figures import MAIN_CHARTS, fan_chart, main_chart
from ui.i18n import (
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
    SCALE_CHOICES,
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
from ui.results import catalogue, provenance_summary, runs_of, scan_folder
from ui.session import (
    EMPLOYMENT_NAMES,
    SECTOR_NAMES,
    TENURE_NAMES,
    SimSession,
    hukou_place_of,
    live_sessions,
    place_of,
)
from ui.teaching import ABOUT, MECHANISMS, mechanism_text

HERE = Path(__file__).resolve().parent
#: The page's log (session closes); ``app.py`` sends it to the server's standard error.
logger = logging.getLogger("hunan.ui")
#: Seconds between simulated years while playing, by speed key (0: as fast as the model and page allow).
SPEEDS: dict[str, float] = {"speed_slow": 1.0, "speed_medium": 1 / 3, "speed_max": 0.0}
#: While playing at full speed the page is refreshed at most this often (seconds), so the browser keeps up.
MIN_REFRESH_SECONDS = 0.25
#: Indicators offered for colouring the map: those given per division.
MAP_INDICATORS: tuple[str, ...] = tuple(k for k, v in INDICATORS.items() if v.regions in ("both", "division"))
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
        self.version.set(self.version.value + 1)
        self.lever_year.set(self.session.effective_from())  # fires only when the year changed


def make_state() -> AppState:
    """A fresh state with its own model: called once per browser session, inside the page component."""
    session = SimSession()
    return AppState(session=session, lang=solara.reactive("en"), version=solara.reactive(0),
                    lever_version=solara.reactive(0), lever_year=solara.reactive(session.effective_from()),
                    error=solara.reactive(""), selected=solara.reactive(None),
                    lever_city=solara.reactive(None), tab=solara.reactive(0), comparison=solara.reactive(None),
                    last_update_ms=solara.reactive(0.0))


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
            height: int, event_division_click: Callable[[str], None] | None = None) -> None:
    """The map template (``ui/map.vue``); ``event_division_click`` receives a division's English name."""


@solara.component_vue(str(HERE / "table.vue"))
def TableView(header: list, rows: list, name: str) -> None:
    """A table template (``ui/table.vue``): ``rows`` is a list of lists of strings."""


@solara.component_vue(str(HERE / "chart.vue"))
def ChartView(spec: dict, name: str) -> None:
    """A chart template (``ui/chart.vue``) drawing a spec from :func:`ui.charts.chart_spec`."""


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
            if not task.is_current():
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
        levers_from = parse_year(from_text.value)
        session.reset(scenario=scenario, seed=seed, scale=scale, levers_from=levers_from)
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
                      on_value=state.guard(lambda label: speed.set(
                          list(SPEEDS)[parse_choice(label, speed_labels, field="speed")])))
        if running:
            solara.ProgressLinear(task.progress if task.progress is not None else True, classes=["run-progress"])
        if state.last_update_ms.value:
            solara.Text(f"{tr('measured', lang, ms=round(state.last_update_ms.value))}",
                        style={"font-size": "11px", "color": "#777"})
        with solara.Details(summary=tr("scenario", lang) + " · " + tr("seed", lang), expand=False):
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
    value, differs = state.session.lever_value_for(name, city if lever.scope == "city" else None)
    target_city = city if lever.scope == "city" else None
    label = lever_label(lever, lang)

    def set_value(v: Any) -> None:
        state.session.set_lever(name, v, target_city)
        state.lever_version.set(state.lever_version.value + 1)

    on_value = state.guard(set_value)
    set_back = use_set_back(lambda: slider)

    def slide(raw: Any) -> None:
        in_force = state.session.lever_value_for(name, target_city)[0]  # read now: this closure may be stale
        if type(raw) in (int, float) and raw == in_force:
            return  # the value in force already (also the echo of setting the slider back)
        on_value(raw)
        if state.error.value:  # refused: show the value in force again
            set_back(int(in_force) if lever.kind == "int" else in_force)

    unit = lever_unit(lever, lang)
    with solara.Column(gap="0px", classes=["lever", f"lever-{name}"]):
        if lever.kind == "bool":
            solara.Switch(label=label, value=bool(value), on_value=on_value)
        elif lever.choices:
            labels = [f"{i}: {c}" for i, c in enumerate(lever_choices(lever, lang))]
            solara.Select(label, values=labels, value=labels[int(value)],
                          on_value=state.guard(lambda text: set_value(parse_choice(text, labels, field=name))))
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
            solara.InputText(tr("exact_value", lang), value=shown.replace(",", ""), on_value=on_value,
                             continuous_update=False, classes=["lever-exact", f"lever-exact-{name}"])
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
                      dense=True)
        n = session.n_changed()
        solara.Text(tr("changed_levers", lang, n=n) + " · " + tr("lever_pending", lang, year=session.effective_from()),
                    style={"font-size": "12px"}, classes=["lever-status"])
        if n:
            solara.Button(tr("reset_levers", lang), on_click=restore, text=True, icon_name="mdi-undo")
        for group, lever_names in lever_names_by_group().items():
            # keyed: the "Restore preset levers" button appearing above must not remount (and close) the groups
            LeverGroup(state, group, lever_names, city, lang, expand=group == "hukou").key(f"lever-group-{group}")


@solara.component
def LeverGroup(state: AppState, group: str, names: list[str], city: str | None, lang: Lang, expand: bool) -> None:
    """A collapsible group of levers whose controls exist only while it is open (a faster first page)."""
    is_open, set_open = solara.use_state(expand)
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
    shapes = solara.use_memo(lambda: list(geo.division_shapes()), [])
    # the lock keeps a Play thread from stepping the model while this session's page reads it
    with session.lock:
        year = session.year
        values = session.division_values(indicator.value)
        open_years = {k.removeprefix("open_year_"): float(v) for k, v in session.model.policy.values.items()
                      if k.startswith("open_year_")}
        flows = None
        if show_flows.value and year > 2010:
            flows = list(session.flows_between_divisions().itertuples(index=False, name=None))
    fmt = "{:,.1f}" if INDICATORS[indicator.value].unit in ("percent", "ratio") else "{:,.0f}"
    state_json = geo.map_state(values, lang=lang, open_years=open_years, year=year, flows=flows,
                               value_format=fmt)
    labels = [indicator_label(k, lang) for k in MAP_INDICATORS]

    with solara.Column(gap="4px", classes=["map-panel"]):
        with solara.Row(gap="12px", style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.Select(tr("map_colour", lang), values=labels,
                          value=indicator_label(indicator.value, lang),
                          on_value=state.guard(lambda lbl: indicator.set(
                              MAP_INDICATORS[parse_choice(lbl, labels, field="map_colour")])), dense=True,
                          style={"max-width": "340px"})
            solara.Checkbox(label=tr("map_flows", lang), value=show_flows.value,
                            on_value=lambda v: show_flows.set(v is True))
        MapView(shapes=shapes, colours=state_json["colours"], tooltips=state_json["tooltips"],
                labels=state_json["labels"], rails=state_json["rails"], arrows=state_json["arrows"],
                legend=state_json["legend"], outside=state_json["outside"], outside_label=tr("map_outside", lang),
                legend_title=f"{indicator_label(indicator.value, lang)} ({session.year})",
                caption=tr("map_hint", lang), selected=state.selected.value, width=geo.WIDTH, height=geo.HEIGHT,
                event_division_click=state.guard(lambda name: state.selected.set(
                    division_names()[parse_choice(name, division_names(), field="division")])))
        caption = tr("map_hint", lang)
        if flows:
            caption += " " + tr("flows_caption", lang, n=len(state_json["arrows"]), year=session.year)
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
        year = session.year
        urb = session.latest("urbanization_rate", name)
        rows = [
            (tr("panel_population", lang), _fmt(session.latest("population", name)) + " " + tr("persons", lang)),
            (tr("panel_urbanization", lang),
             f"{_fmt(urb, '{:.1f}')} % · {tr('panel_target', lang)} {_fmt(target, '{:.0f}')} %"
             + (f" ({urb - target:+.1f})" if math.isfinite(urb) and math.isfinite(target) else "")),
            (tr("panel_central_target", lang), _fmt(session.latest("central_urban_population", name)) + " / "
             + _fmt(central)),
            (tr("panel_wage", lang), _fmt(session.latest("urban_wage", name)) + " " + tr("yuan_year", lang)),
            (tr("panel_rent", lang), _fmt(session.latest("rent", name)) + " " + tr("yuan_year", lang)),
            (tr("panel_unemployment", lang), _fmt(session.latest("urban_unemployment_rate", name), "{:.1f}") + " %"),
            (tr("panel_settled", lang), _fmt(session.latest("settled_migrants", name)) + " / "
             + _fmt(session.settled_since_start(name))),
            (tr("panel_permits", lang), _fmt(session.latest("permit_holders", name))),
            (tr("panel_left_behind", lang), _fmt(session.latest("left_behind_children", name))),
        ]
        xs, ys = session.series("urbanization_rate", name)
    chart = ChartData(title=tr("panel_trend", lang), series=[Series(tr("series_simulated", lang), xs, ys)],
                      targets=[], y_format="{:,.0f}", target_legend=tr("series_target", lang))
    if math.isfinite(target):
        chart.targets.append(Target(2025, target, f"{target:g} (2025)"))
    with solara.Card(title=f"{division_label(name, lang)} · {year}", classes=["division-panel"]):
        TableView(header=[], rows=[list(r) for r in rows], name="division-figures")
        ChartView(spec=chart_spec(chart, width=380, height=190), name=f"division-{name}")
        solara.Button(tr("panel_close", lang), on_click=lambda: state.selected.set(None), text=True)


@solara.component
def ChartsPanel(state: AppState) -> None:
    """The six provincial charts with plan targets and observations."""
    lang: Lang = state.lang.value
    state.version.value  # subscribe  # noqa: B018
    session = state.session
    with session.lock:
        specs = [(chart.key, chart_spec(main_chart(chart, session.series, lang))) for chart in MAIN_CHARTS]
    with solara.ColumnsResponsive(default=12, medium=6, large=4, classes=["charts"]):
        for key, spec in specs:
            ChartView(spec=spec, name=key)


@solara.component
def MainTab(state: AppState) -> None:
    """Map, division panel and charts."""
    with solara.Columns([3, 2], classes=["main-tab"]):
        MapPanel(state)
        DivisionPanel(state)
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

    slider = rv.Slider(v_model=value, on_v_model=receive, label=label, min=limits[0], max=limits[1], step=1,
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
        solara.Text(f"seeds {result.seeds} (master {result.master_seed}), scale {result.scale}",
                    style={"font-size": "11px", "color": "#777"})
        with solara.ColumnsResponsive(default=12, medium=6, large=4):
            for chart in MAIN_CHARTS:
                indicator = chart.lines[0][0]
                data = fan_chart(chart, result.runs["current"][indicator], result.runs["baseline"][indicator], lang,
                                 x_range=(2010, max(result.end_year, 2015)))
                ChartView(spec=chart_spec(data), name=f"fan-{chart.key}")


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
        indicators, regions = catalogue(found.files) if found.files else ([], [])
        opened.set((folder, found, indicators, regions))

    with solara.Column(gap="8px", classes=["results-tab"]):
        solara.Text(f"{tr('results_root', lang)}: {root}", style={"font-size": "12px"})
        with solara.Row(gap="8px", style={"align-items": "center"}):
            solara.InputText(tr("results_folder", lang), value=folder_text.value, on_value=folder_text.set,
                             continuous_update=True, classes=["results-folder"])
            solara.Button(tr("results_open", lang), on_click=state.guard(open_folder), icon_name="mdi-folder-open")
        if opened.value is None:
            return
        folder, found, indicators, regions = opened.value
        solara.Text(tr("results_files", lang, n=len(found.files)))
        if found.skipped:
            solara.Text(tr("results_skipped", lang, names=", ".join(f"{n} ({why})" for n, why in found.skipped[:10])),
                        style={"font-size": "12px", "color": "#a15c00"})
        if not found.files:
            solara.Warning(tr("results_none", lang))
            return
        ind = indicator.value if indicator.value in indicators else indicators[0]
        reg = region.value if region.value in regions else regions[0]
        with solara.Row(gap="8px"):
            ind_labels = {indicator_label(k, lang): k for k in indicators}
            reg_labels = {division_label(k, lang): k for k in regions}
            ind_list, reg_list = list(ind_labels), list(reg_labels)
            solara.Select(tr("results_indicator", lang), values=ind_list, value=indicator_label(ind, lang),
                          on_value=state.guard(lambda label: indicator.set(
                              ind_labels[ind_list[parse_choice(label, ind_list, field="results_indicator")]])))
            solara.Select(tr("results_region", lang), values=reg_list, value=division_label(reg, lang),
                          on_value=state.guard(lambda label: region.set(
                              reg_labels[reg_list[parse_choice(label, reg_list, field="results_region")]])))
        runs = runs_of(found.files, folder, ind, reg)
        years = sorted({y for run in runs.values() for y in run.years})
        if not years:
            solara.Warning(tr("results_none", lang))
            return
        series = [Series(name, run.years, run.values, colour=COLOURS["runs"], width=1.0, legend=False)
                  for name, run in runs.items()]
        bands = []
        scenarios = sorted({run.scenario for run in runs.values()})
        palette = (COLOURS["sim"], COLOURS["second"], COLOURS["target"], COLOURS["baseline"])
        for i, scenario in enumerate(scenarios):  # one fan per scenario of a sweep ("" = not recorded)
            members = [r for r in runs.values() if r.scenario == scenario]
            aligned = [[dict(zip(r.years, r.values, strict=False)).get(y, float("nan")) for y in years]
                       for r in members]
            med, lo, hi = fan(aligned)
            colour = palette[i % len(palette)]
            label = f"{scenario or tr('series_simulated', lang)} (median, n={len(members)})"
            series.append(Series(label, years, med, colour=colour))
            bands.append(Band("", years, lo, hi, colour=colour))
        data = ChartData(title=f"{indicator_label(ind, lang)} · {division_label(reg, lang)}", series=series,
                         bands=bands, x_range=(min(years), max(max(years), min(years) + 1)))
        ChartView(spec=chart_spec(data, width=640, height=300), name="results")
        solara.Text(tr("results_runs", lang), style={"font-size": "12px", "color": "#666"})
        made = provenance_summary(found.files[0])
        if made:
            solara.Text(f"{found.files[0].name}: {made}", style={"font-size": "11px", "color": "#777"},
                        classes=["results-provenance"])


# ------------------------------------------------------------------------------------------------------
# Follow a household
# ------------------------------------------------------------------------------------------------------


def _place_text(loc: int, lang: Lang) -> str:
    division, kind = place_of(loc)
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


def household_events(prev: dict[str, Any] | None, rec: dict[str, Any], lang: Lang) -> list[str]:
    """What changed for a followed household between two yearly records, in words."""
    if prev is None:
        return [tr("ev_start", lang)]
    events = []
    if rec["loc"] != prev["loc"]:
        events.append(tr("ev_moved", lang, a=_place_text(prev["loc"], lang), b=_place_text(rec["loc"], lang)))
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


def household_rows(timeline: list[dict[str, Any]], lang: Lang) -> list[list[str]]:
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
        rows.append([str(rec["year"]), _place_text(rec["loc"], lang), _hukou_text(rec, lang), work,
                     _names(TENURE_NAMES, rec["tenure"], lang), kids, f"{rec['income'] * 1e4:,.0f}",
                     "; ".join(household_events(prev, rec, lang))])
        prev = rec
    return rows


@solara.component
def HouseholdTab(state: AppState) -> None:
    """The followed household's year-by-year timeline."""
    lang: Lang = state.lang.value
    state.version.value  # subscribe  # noqa: B018
    session = state.session
    hid_text = solara.use_reactive("")

    def another(prefer_migrant: bool) -> None:
        session.follow(None, prefer_migrant=prefer_migrant)
        state.bump()

    def follow_id() -> None:
        session.follow(parse_household_id(hid_text.value))
        state.bump()

    with solara.Column(gap="8px", classes=["household-tab"]):
        solara.Text(tr("hh_intro", lang))
        with solara.Row(gap="8px", style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.Button(tr("hh_another", lang), on_click=state.guard(lambda: another(False)), icon_name="mdi-dice-5")
            solara.Button(tr("hh_migrant", lang), on_click=state.guard(lambda: another(True)),
                          icon_name="mdi-bag-suitcase")
            solara.InputText(tr("hh_id", lang), value=hid_text.value, on_value=hid_text.set, continuous_update=True)
            solara.Button("OK", on_click=state.guard(follow_id))
        if session.followed_hid is None:
            return
        solara.Text(f"{tr('hh_id', lang)} {session.followed_hid} · {tr('hh_since', lang, year=session.follow_started)}",
                    classes=["followed-household"])
        header = [tr(k, lang) for k in ("hh_col_year", "hh_col_where", "hh_col_hukou", "hh_col_work",
                                        "hh_col_housing", "hh_col_children", "hh_col_income", "hh_col_events")]
        with session.lock:
            rows = household_rows(session.timeline, lang)
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
        ErrorBanner(state)
        RunControls(state)
        LeverPanel(state)
    ErrorBanner(state)
    # ipyvuetify's tabs directly: solara.lab.Tabs indexes its list with the client's value before any callback
    # of ours sees it (IndexError for 99); here the index is clamped to the tabs there are.
    with rv.Tabs(v_model=state.tab.value, show_arrows=True,
                 on_v_model=state.guard(lambda v: state.tab.set(
                     parse_int_clamped(v, field="tab", low=0, high=len(TAB_KEYS) - 1)))):
        rv.TabsSlider()
        for key in TAB_KEYS:
            rv.Tab(children=[tr(key, lang)])
    TabBody(state)
