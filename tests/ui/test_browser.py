"""The page in a real Chromium against ``python -m ui.server`` (see ``ui_fixtures.py`` for the server).

Timings are printed (``-s`` shows them) and never asserted: this 2-core machine is shared. Screenshots go
to ``artifacts/ui/``; ``HUNAN_UPDATE_SCREENSHOT=1`` also refreshes ``docs/screenshot.png`` for the README.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest

from sim.parameters import LEVERS

pytest.importorskip("playwright.sync_api")
from ui_pages import chart_points, map_colours, open_page, step, wait_year, year_text  # noqa: E402

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO / "docs" / "screenshot.png"


def test_load_change_lever_run_five_years_and_see_charts_and_map_change(ui_server, new_browser, artifacts) -> None:
    context = new_browser()
    t0 = time.perf_counter()
    page = open_page(context, ui_server)
    load_seconds = time.perf_counter() - t0
    print(f"\n[measure] time to usable page: {load_seconds:.2f} s")
    page.screenshot(path=str(artifacts / "01_loaded.png"))
    assert year_text(page) == "Year 2010"
    assert chart_points(page, "urbanization") == 1
    colours_2010 = map_colours(page)
    assert len(colours_2010) == 14
    assert page.locator("[data-rail='hukun']").count() == 0  # the Shanghai-Kunming HSR opens in 2014

    # change a lever: CZT mutual recognition of residence years
    label = LEVERS["czt_mutual_recognition"].label_en
    page.get_by_role("switch", name=label).click(force=True)  # Vuetify overlays the input with its ripple
    page.locator(".lever-status", has_text="1 lever value(s) changed").wait_for()

    times = [step(page, year) for year in range(2011, 2016)]
    print("[measure] one simulated year until charts and map show it: "
          + ", ".join(f"{t:.2f}" for t in times) + f" s (median {sorted(times)[2]:.2f} s)")
    assert chart_points(page, "urbanization") == 6  # 2010-2015
    assert chart_points(page, "hukou") == 12  # two series
    assert map_colours(page) != colours_2010
    assert page.locator("[data-rail='hukun']").count() == 1
    assert page.locator("[data-flow]").count() > 0  # this year's flows are drawn
    page.screenshot(path=str(artifacts / "02_year_2015.png"))


def test_division_panel_language_switch_and_screenshot(ui_server, new_browser, artifacts) -> None:
    context = new_browser()
    page = open_page(context, ui_server)
    for year in (2011, 2012, 2013):
        step(page, year)
    page.locator('[data-division-label="Changsha"]').click()
    panel = page.locator(".division-panel")
    panel.wait_for()
    assert "Changsha · 2013" in panel.inner_text()
    assert "85 %" in panel.inner_text()  # its 2025 plan target
    assert "Residence-permit holders" in panel.inner_text()
    page.screenshot(path=str(artifacts / "03_division_panel.png"))
    # the README's screenshot is refreshed on request only, so that test runs do not dirty the work tree
    if not SCREENSHOT.exists() or os.environ.get("HUNAN_UPDATE_SCREENSHOT") == "1":
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(artifacts / "03_division_panel.png", SCREENSHOT)

    page.get_by_role("button", name="中文").click()
    page.get_by_text("湖南新型城镇化模拟器").first.wait_for()
    assert page.locator('[data-division-label="Changsha"]').text_content() == "长沙"
    assert "长沙市 · 2013" in page.locator(".division-panel").inner_text()
    page.get_by_text(LEVERS["keep_land_rights"].label_zh).first.wait_for()
    page.screenshot(path=str(artifacts / "04_chinese.png"))
    page.get_by_role("button", name="English").click()
    page.get_by_text("Hunan urbanization simulator").first.wait_for()


def test_two_sessions_are_independent(ui_server, new_browser) -> None:
    first = open_page(new_browser(), ui_server)
    second = open_page(new_browser(), ui_server)
    step(first, 2011)
    step(first, 2012)
    assert year_text(second) == "Year 2010"
    step(second, 2011)
    assert year_text(first) == "Year 2012"
    first.reload()
    first.locator('path[data-division="Changsha"]').wait_for()
    wait_year(first, 2010)  # a new visit is a new session with its own model


def test_refused_seed_is_explained_on_the_page(ui_server, new_browser) -> None:
    page = open_page(new_browser(), ui_server)
    page.get_by_text("Scenario preset · Seed (whole number)").click()
    seed = page.get_by_label("Seed (whole number)")
    seed.fill("twelve")
    page.get_by_role("button", name="Reset", exact=True).click()
    alert = page.locator(".input-refused").first
    alert.wait_for()
    assert re.search(r"seed.*'twelve'.*whole number", alert.inner_text())
    seed.fill("12")
    page.get_by_role("button", name="Reset", exact=True).click()
    page.locator(".input-refused").first.wait_for(state="detached")
    assert year_text(page) == "Year 2010"


def test_play_runs_with_progress_and_pause_stops_it(ui_server, new_browser) -> None:
    page = open_page(new_browser(), ui_server)
    page.get_by_role("button", name="Play", exact=True).click()
    page.get_by_role("button", name="Pause", exact=True).wait_for()
    page.locator(".run-progress").first.wait_for()
    page.locator(".sim-year", has_text=re.compile(r"Year 201[2-9]|Year 20[23]\d")).first.wait_for()
    page.get_by_role("button", name="Pause", exact=True).click()
    page.get_by_role("button", name="Play", exact=True).wait_for()
    stopped = year_text(page)
    assert stopped != "Year 2010"
    page.wait_for_timeout(1500)  # after Pause the clock stays where it stopped
    assert year_text(page) == stopped


def test_compare_follow_household_and_stored_results(ui_server, new_browser, artifacts) -> None:
    page = open_page(new_browser(), ui_server)
    page.get_by_role("tab", name="Compare with baseline").click()
    # one replication per arm keeps the test short: focus the replications slider and move it to its minimum
    page.locator(".compare-tab .v-slider").first.click()
    page.keyboard.press("Home")
    page.get_by_role("button", name="Run comparison").click()
    page.locator(".compare-progress").first.wait_for()
    page.get_by_role("button", name="Cancel", exact=True).click()
    page.get_by_text("Comparison cancelled.").wait_for()
    page.get_by_role("button", name="Run comparison").click()
    page.locator('[data-chart="fan-urbanization"]').wait_for(timeout=180_000)
    assert page.locator('[data-chart="fan-urbanization"] polygon').count() == 2  # baseline and current fans
    assert re.search(r"seeds \[\d+\] ", page.get_by_text("seeds [").first.inner_text())  # one replication
    page.screenshot(path=str(artifacts / "05_compare.png"))

    page.get_by_role("tab", name="Follow a household").click()
    page.locator(".followed-household").wait_for()
    rows = page.locator("table.household-timeline tbody tr")
    assert rows.count() == 1
    page.get_by_role("button", name="Step", exact=True).click()
    page.locator("table.household-timeline tbody tr").nth(1).wait_for()
    assert rows.nth(1).locator("td").first.inner_text() == "2011"

    page.get_by_role("tab", name="Stored results").click()
    folder = page.get_by_label("Folder inside the results root")
    folder.fill("../")
    page.get_by_role("button", name="Open folder").click()
    page.locator(".input-refused").first.wait_for()
    assert "results folder" in page.locator(".input-refused").first.inner_text()
    folder.fill("exp1")
    page.get_by_role("button", name="Open folder").click()
    page.get_by_text("2 indicator file(s) found").wait_for()
    page.get_by_text("not_indicators.parquet").wait_for()
    assert page.locator('[data-chart="results"] polyline.series-line').count() == 3  # two runs and the median
    page.screenshot(path=str(artifacts / "06_results.png"))


def test_a_lever_value_between_slider_steps_can_be_typed(ui_server, new_browser) -> None:
    page = open_page(new_browser(), ui_server)
    page.get_by_text("Years of residence required to settle").first.wait_for()
    field = page.locator(".lever-exact-settlement_min_years input")
    field.fill("2.5")
    field.press("Enter")
    assert "whole number" in page.locator(".input-refused").first.inner_text()
    field.fill("7")
    field.press("Enter")
    page.locator(".lever-status", has_text="1 lever value(s) changed").wait_for()
    page.locator(".input-refused").first.wait_for(state="detached")


def test_county_map_colours_counties_under_division_outlines_and_the_division_view_returns(
        ui_server, new_browser, artifacts) -> None:
    context = new_browser()
    page = open_page(context, ui_server)
    step(page, 2011)
    page.locator(".map-view").get_by_role("button", name="counties").click()
    page.locator("path[data-county='430181 Liuyang']").wait_for()
    counties = page.locator("path.county")
    assert counties.count() == 122  # every county-level unit with a polygon
    assert page.locator("[data-division-outline]").count() == 14  # division outlines drawn on top
    fills = {counties.nth(i).get_attribute("fill") for i in range(counties.count())}
    assert len(fills) >= 4  # coloured by the county indicator, not one flat colour
    assert page.locator("path.division").count() == 0
    page.screenshot(path=str(artifacts / "05_county_map.png"))
    # back to the division view
    page.locator(".map-view").get_by_role("button", name="divisions").click()
    page.locator('path[data-division="Changsha"]').wait_for()
    assert len(map_colours(page)) == 14 and page.locator("path.county").count() == 0
