"""Page helpers for the browser tests (Playwright sync API), importable by name from other test folders."""

from __future__ import annotations

import time

from playwright.sync_api import BrowserContext, Page


def open_page(context: BrowserContext, url: str) -> Page:
    """Open the app and wait until it is usable (the map is drawn and Step can be clicked)."""
    page = context.new_page()
    page.goto(url)
    page.locator('path[data-division="Changsha"]').wait_for()
    page.get_by_role("button", name="Step", exact=True).wait_for()
    return page


def year_text(page: Page) -> str:
    """The year shown, e.g. ``Year 2010``."""
    return page.locator(".sim-year").first.inner_text()


def wait_year(page: Page, year: int) -> None:
    """Wait until the page shows ``year``."""
    page.locator(".sim-year", has_text=f"Year {year}").first.wait_for()


def chart_points(page: Page, name: str) -> int:
    """Points drawn on a chart's simulated lines."""
    lines = page.locator(f'[data-chart="{name}"] polyline.series-line')
    return sum(len(lines.nth(i).get_attribute("points").split()) for i in range(lines.count()))


def map_colours(page: Page) -> dict[str, str]:
    """Fill colour of each division on the map."""
    paths = page.locator("path.division")
    return {paths.nth(i).get_attribute("data-division"): paths.nth(i).get_attribute("fill")
            for i in range(paths.count())}


def step(page: Page, to_year: int) -> float:
    """Click Step and wait until the year, charts and map show ``to_year``; return the seconds taken."""
    before = chart_points(page, "urbanization")
    t0 = time.perf_counter()
    page.get_by_role("button", name="Step", exact=True).click()
    wait_year(page, to_year)
    page.wait_for_function(
        "n => Array.from(document.querySelectorAll('[data-chart=\"urbanization\"] polyline.series-line'))"
        ".reduce((s, l) => s + l.getAttribute('points').trim().split(/\\s+/).length, 0) > n", arg=before)
    page.locator(".legend", has_text=f"({to_year})").wait_for()
    return time.perf_counter() - t0


def open_settings(page: Page) -> None:
    """Open the "Scenario preset · Seed" panel (if it is closed) and wait for its seed field."""
    seed = page.get_by_label("Seed (whole number)")
    if not seed.is_visible():
        page.locator(".settings-panel .v-expansion-panel-header").click()
    seed.wait_for()
