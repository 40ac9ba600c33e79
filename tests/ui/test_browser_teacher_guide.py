"""The teacher's guide (``docs/guide-teachers.md``) walked through in a real Chromium, activity by activity, with
nothing but the page: every step a teacher is told to take is a click or an entry here.

What students should observe is checked in direction (the guide's exact numbers are checked against the model
by ``tests/docs/test_teacher_claims.py``). Slow: about two to four minutes on this 2-core machine.
"""

from __future__ import annotations

import re

import pytest

from sim.indicators import INDICATORS
from sim.parameters import LEVERS

pytest.importorskip("playwright.sync_api")
from ui_pages import open_page, open_settings, step, wait_year  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def choose(page, css: str, option: str) -> None:
    """Pick ``option`` in the Vuetify select inside the element with class ``css``."""
    page.locator(f".{css}").first.click()
    page.locator(".menuable__content__active").get_by_role("option", name=option, exact=True).click()
    page.locator(".menuable__content__active").wait_for(state="detached")


def open_group(page, group: str) -> None:
    """Open a lever group (if closed)."""
    if page.locator(f".lever-group-{group} .v-expansion-panel--active").count() == 0:
        page.locator(f".lever-group-{group} .v-expansion-panel-header").click()
    page.locator(f".lever-group-{group} .v-expansion-panel--active").wait_for()


def exact(page, lever: str, value: str, shown: str | None = None) -> None:
    """Type a lever's exact value, press Enter and wait until its label shows it (as ``shown``)."""
    # wait until the field shows the label's value: a city just chosen re-renders the lever, and a value
    # typed before that update arrives would be overwritten by it
    page.wait_for_function(
        """name => { const label = document.querySelector('.lever-' + name + ' .lever-value');
                     const input = document.querySelector('.lever-exact-' + name + ' input');
                     return label && input && label.innerText.split(': ')[1].split(' ')[0].replace(/,/g, '')
                                                === input.value.replace(/,/g, ''); }""", arg=lever)
    field = page.locator(f".lever-exact-{lever} input")
    field.fill(value)
    field.press("Enter")
    page.locator(f".lever-{lever} .lever-value", has_text=re.compile(rf": {re.escape(shown or value)}\b")).wait_for()


def play_to_end(page) -> None:
    """Play until 2035."""
    page.get_by_role("button", name="Play", exact=True).click()
    page.locator(".sim-year", has_text="Year 2035").wait_for(timeout=240_000)
    page.get_by_role("button", name="Play", exact=True).wait_for()


def reset(page) -> None:
    page.get_by_role("button", name="Reset", exact=True).click()
    wait_year(page, 2010)


def readout(page, name: str) -> float:
    """A headline number from the sidebar's readouts."""
    row = page.locator("table.readouts tr", has_text=name).first.inner_text()
    return float(re.search(r"(-?[\d,]+\.\d+)", row).group(1).replace(",", ""))


def panel_number(page, row_label: str, index: int = 0) -> float:
    """A number of the open division panel's row (``index``: which number of the row)."""
    row = page.locator(".division-panel tr", has_text=row_label).first.inner_text()
    numbers = re.findall(r"\d[\d,]*(?:\.\d+)?", row.split("\t")[-1])
    return float(numbers[index].replace(",", ""))


def open_changsha(page) -> None:
    page.locator('[data-division-label="Changsha"]').click()
    page.locator(".division-panel", has_text="Changsha · 2035").wait_for()


def restore_and_all_cities(page) -> None:
    if page.locator(".restore-levers").count():
        page.locator(".restore-levers").click()
        page.locator(".lever-status", has_text=re.compile(r"^0 lever value")).wait_for()
    choose(page, "apply-to", "All cities")
    page.locator(".city-shown-Changsha").first.wait_for(state="detached")


def test_every_activity_of_the_teachers_guide_runs_in_the_page(ui_server, new_browser, artifacts) -> None:
    page = open_page(new_browser(viewport={"width": 1280, "height": 720}), ui_server)
    # before class: the settings as they open
    open_settings(page)
    assert page.get_by_label("Seed (whole number)").input_value() == "1"
    assert page.get_by_label("Lever changes apply from year").input_value() == "2021"
    assert page.locator(".scenario-name").inner_text() == "Scenario: baseline"
    choose(page, "speed-select", "as fast as possible")

    # Activity 1: ten Steps, the simulated against the observed urbanization rate
    for year in range(2011, 2021):
        step(page, year)
    rate_2020 = readout(page, "Urbanization rate")
    assert 55 < rate_2020 < 62, rate_2020  # the guide: 58.9 % against an observed 58.76 %
    assert page.locator('[data-chart="urbanization"] circle').count() >= 11  # observations 2010-2020
    page.screenshot(path=str(artifacts / "20_guide_activity1.png"))

    # Follow a household: one that moves in the coming years, then Play
    page.get_by_role("tab", name="Follow a household").click()
    page.get_by_role("button", name="Follow a household").click()
    page.locator(".followed-household", has_text="Followed since 2020").wait_for()
    play_to_end(page)
    events = page.locator("table.household-timeline tbody").inner_text()
    assert "moved from" in events  # main at ffb33fd: a household that farmed in its village for 25 years
    page.get_by_role("tab", name="Map and charts").click()

    # Activity 2: baseline to 2035, then strict settlement rules in Changsha
    reset(page)
    play_to_end(page)
    open_changsha(page)
    settled_baseline = panel_number(page, "Settled migrants", 1)
    permits_baseline = panel_number(page, "Residence-permit holders")
    choose(page, "apply-to", "Changsha")
    open_group(page, "hukou")
    page.locator(".lever-settlement_min_years.city-shown-Changsha").wait_for()  # the controls show Changsha
    exact(page, "settlement_min_years", "5")
    exact(page, "settlement_min_insurance_years", "5")
    choose(page, "lever-settlement_housing_condition", "2: owned home")
    page.get_by_role("switch", name=LEVERS["settlement_requires_job"].label_en).click(force=True)
    page.locator(".lever-status", has_text="4 lever value(s) changed").wait_for()
    reset(page)
    play_to_end(page)
    open_changsha(page)
    settled_strict = panel_number(page, "Settled migrants", 1)
    permits_strict = panel_number(page, "Residence-permit holders")
    assert settled_strict < settled_baseline and permits_strict > permits_baseline, (
        settled_baseline, settled_strict, permits_baseline, permits_strict)
    restore_and_all_cities(page)

    # Activity 3: public rental housing, then land linked to settlers; Changsha's market rent
    open_group(page, "housing")
    exact(page, "public_rental_units_per_year", "1000", shown="1,000")
    reset(page)
    play_to_end(page)
    choose(page, "map-indicator", INDICATORS["public_rental_units"].description)
    page.locator(".hunan-map .legend", has_text="Public rental housing stock").wait_for()
    open_changsha(page)
    rent_public = panel_number(page, "Market rent")
    restore_and_all_cities(page)
    open_group(page, "land_fiscal")
    exact(page, "land_quota_per_settler", "34")
    reset(page)
    play_to_end(page)
    open_changsha(page)
    rent_land = panel_number(page, "Market rent")
    assert rent_land < rent_public, (rent_public, rent_land)  # the guide: 14 % lower

    # Activity 4: a lever that does nothing: metro-style CZT rail gives exactly the baseline's numbers
    restore_and_all_cities(page)
    reset(page)
    play_to_end(page)
    baseline_2035 = page.locator("table.readouts").inner_text()
    open_group(page, "transport")
    page.get_by_role("switch", name=LEVERS["czt_metro_operation"].label_en).click(force=True)
    page.locator(".lever-status", has_text="1 lever value(s) changed").wait_for()
    reset(page)
    play_to_end(page)
    assert page.locator("table.readouts").inner_text() == baseline_2035

    # Activity 5: plan-2021 against the baseline, three replications to 2035
    restore_and_all_cities(page)
    open_settings(page)
    choose(page, "scenario-select", "plan-2021")
    reset(page)
    page.locator(".scenario-name", has_text="Scenario: plan-2021").wait_for()
    page.get_by_role("tab", name="Compare with baseline").click()
    assert page.locator(".compare-reps-value").inner_text() == "Replications: 3"
    assert page.locator(".compare-end-value").inner_text() == "Until year: 2035"
    page.get_by_role("button", name="Run comparison").click()
    page.locator("table.compare-table").wait_for(timeout=300_000)
    rows = page.locator("table.compare-table tbody tr")
    assert [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())] == ["2025", "2035"]
    difference_2035 = rows.nth(1).locator("td").nth(3).inner_text()
    assert difference_2035.startswith("+"), difference_2035  # the plan adds to the urbanization rate
    targets = page.locator("table.compare-target-table tbody tr")
    assert targets.count() == 5  # four 2025 targets and the 2035 urbanization target
    assert re.search(r"\d/3 \(\d+%\)", targets.first.inner_text())
    page.screenshot(path=str(artifacts / "21_guide_activity5.png"), full_page=True)
