"""Issue 16, part 1 in a real Chromium: every lever control shows the value in force, panels stay as the user
left them, and a bad entry gets a translated message next to its field (regression tests of the bugs found on
main at ffb33fd)."""

from __future__ import annotations

import re

import pytest

from sim.parameters import LEVERS

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import expect  # noqa: E402
from ui_pages import open_page, open_settings, step, wait_year, year_text  # noqa: E402

pytestmark = pytest.mark.browser


def switch_checked(page, name: str) -> bool:
    """Whether the switch of a bool lever shows ON."""
    return page.get_by_role("switch", name=LEVERS[name].label_en).is_checked()


def test_preset_switch_and_reset_update_every_lever_control(ui_server, new_browser) -> None:
    page = open_page(new_browser(), ui_server)
    assert page.locator(".scenario-name").inner_text() == "Scenario: baseline"
    assert not switch_checked(page, "czt_mutual_recognition")
    assert switch_checked(page, "keep_land_rights")  # the law from 2016, in the baseline too
    open_settings(page)
    page.locator(".scenario-select").click()
    page.get_by_role("option", name="plan-2021").click()
    page.get_by_role("button", name="Reset", exact=True).click()
    page.locator(".scenario-name", has_text="Scenario: plan-2021").wait_for()
    # main at ffb33fd: both stayed OFF until the group was closed and reopened
    page.wait_for_function("() => document.querySelectorAll('.lever-czt_mutual_recognition input[aria-checked=true]')"
                           ".length === 1")
    assert switch_checked(page, "czt_mutual_recognition")
    assert switch_checked(page, "keep_land_rights")
    # the settings panel stays open after Reset, and the hukou group too
    assert page.get_by_label("Seed (whole number)").is_visible()
    assert page.locator(".lever-group-hukou .v-expansion-panel--active").count() == 1
    # and back to baseline: OFF again without reopening anything
    page.locator(".scenario-select").click()
    page.get_by_role("option", name="baseline").click()
    page.get_by_role("button", name="Reset", exact=True).click()
    page.locator(".scenario-name", has_text="Scenario: baseline").wait_for()
    page.wait_for_function("() => document.querySelectorAll('.lever-czt_mutual_recognition input[aria-checked=true]')"
                           ".length === 0")
    assert not switch_checked(page, "czt_mutual_recognition")


def test_exact_entry_and_slider_update_label_and_slider(ui_server, new_browser) -> None:
    page = open_page(new_browser(), ui_server)
    label = page.locator(".lever-settlement_min_years .lever-value")
    slider = page.locator(".lever-slider-settlement_min_years [role=slider]")
    assert label.inner_text().endswith(": 0 years")
    field = page.locator(".lever-exact-settlement_min_years input")
    field.fill("7")
    field.press("Enter")
    page.locator(".lever-status", has_text="1 lever value(s) changed").wait_for()
    label.filter(has_text=": 7 years").wait_for()  # main at ffb33fd: the label stayed at "0 years"
    assert slider.get_attribute("aria-valuenow") == "7"
    assert page.locator(".scenario-name").inner_text() == "Scenario: baseline + page levers"
    # moving the slider updates its label too
    slider.focus()
    page.keyboard.press("ArrowRight")
    label.filter(has_text=": 8 years").wait_for()
    expect(page.locator(".lever-exact-settlement_min_years input")).to_have_value("8")
    # the hukou group is still open after the changes
    assert page.locator(".lever-group-hukou .v-expansion-panel--active").count() == 1


@pytest.mark.parametrize("entry", ["nan", "inf", "11"])
def test_bad_exact_entry_gets_a_message_next_to_the_field(ui_server, new_browser, entry: str) -> None:
    page = open_page(new_browser(), ui_server)
    field = page.locator(".lever-exact-settlement_min_years input")
    field.fill(entry)
    field.press("Enter")
    message = page.locator(".lever-refused-settlement_min_years")
    message.wait_for()
    text = message.inner_text()
    assert f"'{entry}'" in text and "Years of residence required to settle" in text and "0 to 10" in text
    assert page.locator(".input-refused").count() == 1  # once, not also in a banner
    assert page.locator(".lever-settlement_min_years .lever-value").inner_text().endswith(": 0 years")
    expect(page.locator(".lever-exact-settlement_min_years input")).to_have_value("0")  # the value in force
    assert page.locator(".lever-status").inner_text().startswith("0 lever value(s)")
    # in Chinese the message is Chinese
    page.get_by_role("button", name="中文").click()
    field = page.locator(".lever-exact-settlement_min_years input")
    field.fill(entry)
    field.press("Enter")
    page.locator(".lever-refused-settlement_min_years", has_text="落户所需连续居住年限").wait_for()
    assert "0 至 10" in page.locator(".lever-refused-settlement_min_years").inner_text()


def test_groups_and_settings_panel_stay_open_on_lever_change_step_and_play(ui_server, new_browser) -> None:
    page = open_page(new_browser(), ui_server)
    page.locator(".lever-group-housing .v-expansion-panel-header").click()
    page.locator(".lever-public_rental_units_per_year").wait_for()
    field = page.locator(".lever-exact-public_rental_units_per_year input")
    field.fill("1000")
    field.press("Enter")
    page.locator(".lever-public_rental_units_per_year .lever-value", has_text="1,000").wait_for()
    assert page.locator(".lever-group-housing .v-expansion-panel--active").count() == 1
    open_settings(page)
    step(page, 2011)
    assert page.get_by_label("Seed (whole number)").is_visible()  # main at ffb33fd: closed on the first Step
    page.get_by_role("button", name="Play", exact=True).click()
    page.get_by_role("button", name="Pause", exact=True).wait_for()
    page.locator(".sim-year", has_text=re.compile(r"Year 201[3-9]|Year 20[23]\d")).first.wait_for()
    assert page.get_by_label("Seed (whole number)").is_visible()  # main: closed when Play started
    page.get_by_role("button", name="Pause", exact=True).click()
    page.get_by_role("button", name="Play", exact=True).wait_for()
    assert page.locator(".lever-group-housing .v-expansion-panel--active").count() == 1
    assert page.locator(".lever-group-hukou .v-expansion-panel--active").count() == 1


def test_levers_from_a_year_after_the_run_is_refused_and_reload_during_play(ui_server, ui_home,
                                                                             new_browser) -> None:
    page = open_page(new_browser(), ui_server)
    open_settings(page)
    year_field = page.get_by_label("Lever changes apply from year")
    year_field.fill("2050")
    page.get_by_role("button", name="Reset", exact=True).click()
    alert = page.locator(".input-refused").first
    alert.wait_for()
    assert "'2050'" in alert.inner_text() and "2011 to 2035" in alert.inner_text()
    year_field.fill("2021")
    page.get_by_role("button", name="Reset", exact=True).click()
    alert.wait_for(state="detached")
    # reload while playing: main at ffb33fd logged AttributeError: 'NoneType' object has no attribute 'year'
    page.get_by_role("button", name="Play", exact=True).click()
    page.locator(".sim-year", has_text=re.compile(r"Year 201[2-9]")).first.wait_for()
    page.reload()
    page.locator('path[data-division="Changsha"]').wait_for()
    wait_year(page, 2010)
    page.wait_for_timeout(1500)  # the old session's Play thread notices the close
    assert year_text(page) == "Year 2010"
    log = (ui_home / "server.log").read_text()
    assert "AttributeError" not in log and "Traceback" not in log
