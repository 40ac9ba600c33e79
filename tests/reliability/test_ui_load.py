"""The page under load (issue 7 part 4): five browser sessions at once on one server.

One Chromium with five contexts (five visitors) loads the page, sets different seeds and clicks Step
interleaved (every session's click is sent before any result is awaited, so the server works on all of them
at once). The test checks that the sessions stay independent and that a closed session's memory goes back,
and prints the step latency and the server's resident memory (never asserted as times: the machine is shared).

The server is started for this module only, so that sessions of other tests do not blur the memory numbers.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

UI_TESTS = Path(__file__).resolve().parents[1] / "ui"
if str(UI_TESTS) not in sys.path:
    sys.path.insert(0, str(UI_TESTS))

pytest.importorskip("playwright.sync_api")
from ui_fixtures import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, playwright_instance, serve_app  # noqa: E402,F401
from ui_pages import open_page, wait_year, year_text  # noqa: E402
from ui_testdata import write_results  # noqa: E402

pytestmark = pytest.mark.browser

#: Seed and number of Step clicks of each of the five sessions: different seeds, and different click counts
#: so that a session sharing another's model would show a year it was not stepped to.
SESSIONS: tuple[tuple[int, int], ...] = ((11, 3), (12, 3), (13, 3), (14, 2), (15, 1))
#: The session whose values a fresh single session must reproduce (index into SESSIONS).
REFERENCE = 1
#: Seconds to wait after the sessions closed before reading the server's memory (Solara collects closed
#: kernels in a deferred garbage collection).
SETTLE_SECONDS = 2.5

# Installs a MutationObserver that records, in the browser's own clock, how long the page takes from now until
# it shows the given year: the latency of each of the five interleaved steps without the test's polling order.
_ARM_LATENCY = """y => {
  window.__stepMs = null;
  const t0 = performance.now();
  const done = () => {
    const el = document.querySelector('.sim-year');
    if (el && el.innerText.includes('Year ' + y)) { window.__stepMs = performance.now() - t0; return true; }
    return false;
  };
  const obs = new MutationObserver(() => { if (done()) obs.disconnect(); });
  obs.observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def server_rss_mib(pid: int) -> float:
    """Resident memory of the server process and its children, in MiB (psutil, else /proc)."""
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil is in the environment today
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise
    proc = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) / 2**20


def settled_rss_mib(pid: int, seconds: float = SETTLE_SECONDS) -> float:
    """The server's memory after ``seconds`` of quiet (the lowest of a few readings: it settles down)."""
    readings = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.5)
        readings.append(server_rss_mib(pid))
    return min(readings)


def displayed_values(page) -> tuple[str, ...]:
    """What the page shows of the model: the map's per-division tooltips and the urbanization chart's points."""
    tips = page.locator("path.division title").all_text_contents()
    lines = page.locator('[data-chart="urbanization"] polyline.series-line')
    points = [lines.nth(i).get_attribute("points") for i in range(lines.count())]
    return tuple(tips) + tuple(points)


def set_seed(page, seed: int) -> None:
    """Type a seed and Reset (the model is rebuilt in 2010 with it)."""
    page.get_by_text("Scenario preset · Seed (whole number)").click()
    page.get_by_label("Seed (whole number)").fill(str(seed))
    page.get_by_role("button", name="Reset", exact=True).click()
    page.locator(".input-refused").wait_for(state="detached")
    wait_year(page, 2010)


def wait_shown(page, year: int, n_years: int) -> None:
    """Wait until the year, the urbanization chart (one point per year) and the map legend show ``year``."""
    wait_year(page, year)
    page.wait_for_function(
        "n => Array.from(document.querySelectorAll('[data-chart=\"urbanization\"] polyline.series-line'))"
        ".reduce((s, l) => s + l.getAttribute('points').trim().split(/\\s+/).length, 0) >= n", arg=n_years)
    page.locator(".legend", has_text=f"({year})").wait_for()


def open_sessions(browser, url: str, n: int) -> tuple[list, list, float]:
    """Open ``n`` sessions (contexts) at once; return their contexts, pages and the seconds until all are usable."""
    t0 = time.perf_counter()
    contexts = [browser.new_context(viewport=VIEWPORT) for _ in range(n)]
    pages = []
    for ctx in contexts:
        ctx.set_default_timeout(90_000)  # five first renders on two shared cores
        pages.append(ctx.new_page())
    for page in pages:
        page.goto(url)  # every load is under way before any is awaited
    for page in pages:
        page.locator('path[data-division="Changsha"]').wait_for()
        page.get_by_role("button", name="Step", exact=True).wait_for()
    return contexts, pages, time.perf_counter() - t0


def step_interleaved(pages: list, clicks: list[int]) -> list[float]:
    """Click Step ``clicks[i]`` times on page ``i``, round by round, every click of a round sent before any
    result is awaited (the server steps them concurrently); return each step's latency in ms (click to year
    shown, measured in the browser)."""
    latencies: list[float] = []
    for k in range(max(clicks)):
        stepping = [p for p, c in zip(pages, clicks, strict=True) if c > k]
        for page in stepping:
            page.evaluate(_ARM_LATENCY, 2011 + k)
            page.get_by_role("button", name="Step", exact=True).click()
        for page in stepping:
            page.wait_for_function("() => window.__stepMs !== null")
            latencies.append(page.evaluate("() => window.__stepMs"))
    for page, c in zip(pages, clicks, strict=True):
        wait_shown(page, 2010 + c, c + 1)
    return latencies


def close_sessions(pages: list, contexts: list) -> None:
    """Close the pages as a user closes tabs (the page's "pagehide" beacon tells Solara to close the kernel)."""
    for page in pages:
        page.close(run_before_unload=True)
    for ctx in contexts:
        ctx.close()


def released_lines(log: Path, expected: int, timeout: float = 30.0) -> list[str]:
    """The server's "model released" log lines, once there are ``expected`` of them (or after ``timeout`` s)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = [line for line in log.read_text(errors="replace").splitlines() if "model released" in line]
        if len(lines) >= expected or time.monotonic() > deadline:
            return lines
        time.sleep(0.5)


@pytest.fixture(scope="module")
def load_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, Path]]:
    """The app on its own server for this module; yields its URL, process id and log file."""
    root = tmp_path_factory.mktemp("load_results")
    write_results(root / "exp1")
    home = tmp_path_factory.mktemp("load_home")
    with serve_app(home, root) as (url, proc):
        yield url, proc.pid, home / "server.log"


def test_five_concurrent_sessions_stay_independent_and_release_memory(load_server, playwright_instance) -> None:
    url, pid, log = load_server
    seeds = [s for s, _c in SESSIONS]
    clicks = [c for _s, c in SESSIONS]
    browser = playwright_instance.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
    try:
        # 1. a single session first: the reference values, and it warms the server (first-visit imports and
        # caches would otherwise count as growth of the five sessions)
        contexts, pages, _ = open_sessions(browser, url, 1)
        set_seed(pages[0], seeds[REFERENCE])
        for k in range(clicks[REFERENCE]):
            pages[0].get_by_role("button", name="Step", exact=True).click()
            wait_shown(pages[0], 2011 + k, k + 2)
        reference = displayed_values(pages[0])
        close_sessions(pages, contexts)
        rss_before = settled_rss_mib(pid)

        # 2. five sessions at once, each with its own seed and number of clicks
        contexts, pages, load_seconds = open_sessions(browser, url, len(SESSIONS))
        for page, seed in zip(pages, seeds, strict=True):
            set_seed(page, seed)
        latencies = step_interleaved(pages, clicks)
        rss_open = server_rss_mib(pid)

        # independent: each shows the year of its own clicks, and its own seed's values
        assert [year_text(p) for p in pages] == [f"Year {2010 + c}" for c in clicks]
        values = [displayed_values(p) for p in pages]
        same_year = [i for i, c in enumerate(clicks) if c == clicks[REFERENCE]]
        for a in same_year:
            for b in same_year:
                if a < b:
                    assert values[a] != values[b], f"sessions with seeds {seeds[a]} and {seeds[b]} show the same"
        assert values[REFERENCE] == reference  # what a fresh single session with that seed showed

        # 3. close the five; then five new sessions doing the same work must reuse the memory freed
        close_sessions(pages, contexts)
        rss_after = settled_rss_mib(pid)
        contexts, pages, _ = open_sessions(browser, url, len(SESSIONS))
        step_interleaved(pages, clicks)
        rss_open_again = server_rss_mib(pid)
        close_sessions(pages, contexts)
    finally:
        browser.close()

    lat = sorted(latencies)
    print(f"\n[measure] 5 concurrent sessions: load until usable {load_seconds:.1f} s; step latency (click to year "
          f"shown) median {lat[len(lat) // 2]:.0f} ms, max {lat[-1]:.0f} ms over {len(lat)} steps: "
          + ", ".join(f"{x:.0f}" for x in latencies))
    print(f"[measure] server RSS MiB: before {rss_before:.0f}, 5 sessions open {rss_open:.0f}, after closing "
          f"{rss_after:.0f}; 5 new sessions open {rss_open_again:.0f}")
    # closed sessions release their models: the reference and the first five (closed, then waited for) must
    # be logged (their kernels may close after the next five opened); the second five close as the browser
    # shuts down, and
    # Solara may take longer than the test waits to close those kernels, so they are reported, not required
    lines = released_lines(log, 1 + 2 * len(SESSIONS), timeout=90.0)
    print(f"[measure] released models logged: {len(lines)} of {1 + 2 * len(SESSIONS)}")
    assert len(lines) >= 1 + len(SESSIONS)
    assert rss_open > rss_before  # five models are in memory while their sessions are open
    # The allocator keeps freed pages, so RSS does not fall after closing (measured: not at all); but the next
    # five sessions partly reuse them (measured: 25 MiB more after a first growth of 56 MiB), where a leak would
    # add the whole growth again. Only "less than the first growth" held with a margin.
    assert rss_open_again - rss_open < rss_open - rss_before
