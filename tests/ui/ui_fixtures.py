"""Fixtures and helpers for the browser tests, in a module of their own so that other test folders
(``tests/reliability/test_ui_load.py``) can import them: ``conftest`` is not importable by name.

The server is started with ``python -m ui.server`` as ``scripts/ui.sh`` runs it; each browser
session from :func:`new_browser` is a fresh Chromium profile (``--user-data-dir`` in a temporary folder) with
the flags from STACK.md.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# ``ui`` and ``app`` are top-level modules of the repository, not part of the installed package; make them
# importable however pytest is started (core request: ``pythonpath = ["."]`` in pyproject's pytest options).
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from ui_testdata import write_results  # noqa: E402  (needs the path above)

ARTIFACTS = REPO / "artifacts" / "ui"
CHROMIUM = Path(os.environ.get("HUNAN_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1500, "height": 1000}
#: Seconds the server may take to answer its first request (imports and the first model take a few).
SERVER_START_TIMEOUT = 90


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve_app(home: Path, results_root: Path,
              extra_env: dict[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """Serve the app with ``python -m ui.server`` on a free 127.0.0.1 port; yields its URL and process, then
    stops it. The server's output goes to ``home / "server.log"``.

    Args:
        home: an empty folder for Solara's, IPython's and Matplotlib's settings and the server log.
        results_root: the folder the results browser may read.
        extra_env: more environment variables for the server.
    """
    if shutil.which("solara", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("solara is not installed in this environment")
    port = _free_port()
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", "SOLARA_HOME": str(home / "solara"),
           "IPYTHONDIR": str(home / "ipython"), "MPLCONFIGDIR": str(home / "mpl"), "MPLBACKEND": "Agg",
           "HUNAN_RESULTS_ROOT": str(results_root), **(extra_env or {})}
    log = (home / "server.log").open("w")
    # as scripts/ui.sh starts it: Solara's app behind ui.server's Host/Origin/CDN guard
    cmd = [sys.executable, "-m", "ui.server", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"solara exited with {proc.returncode}; see {log.name}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"solara did not answer within {SERVER_START_TIMEOUT} s; see {log.name}")
            time.sleep(0.3)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()


@pytest.fixture(scope="session")
def results_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results root with one experiment folder ``exp1`` of two runs."""
    root = tmp_path_factory.mktemp("results_root")
    write_results(root / "exp1")
    return root


@pytest.fixture(scope="session")
def ui_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The served app's settings folder; its ``server.log`` holds everything the server printed."""
    return tmp_path_factory.mktemp("solara_home")


@pytest.fixture(scope="session")
def ui_server(ui_home: Path, results_root: Path) -> Iterator[str]:
    """The app served by ``python -m ui.server`` on a free 127.0.0.1 port; yields its URL, stops it afterwards."""
    with serve_app(ui_home, results_root) as (url, _proc):
        yield url
    # issue 16: the log of the whole browser-test session holds no traceback and no fetch from outside
    log = (ui_home / "server.log").read_text(errors="replace")
    assert "Traceback" not in log, log[log.index("Traceback"):][:3000]
    assert not re.search(r"https?://(?!127\.0\.0\.1|localhost|\[::1\])[^\s]*\.(js|css|woff2?)", log), log[-3000:]


_ACTIVE_PLAYWRIGHT: list[object] = []


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[object]:
    """The Playwright driver (sync API), one per test process.

    Test folders that import this fixture each register their own copy; only one sync Playwright may run
    at a time, so a copy requested while another is active reuses it.
    """
    if not CHROMIUM.exists():
        message = f"no Chromium at {CHROMIUM} (bash scripts/setup.sh --browser installs it)"
        if os.environ.get("CI"):
            # in CI the browser tests must run: a setup that silently failed to install Chromium skipped all of
            # them once (scripts/setup.sh lost its --browser argument)
            pytest.fail(message)
        pytest.skip(message)
    if _ACTIVE_PLAYWRIGHT:
        yield _ACTIVE_PLAYWRIGHT[0]
        return
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        _ACTIVE_PLAYWRIGHT.append(p)
        try:
            yield p
        finally:
            _ACTIVE_PLAYWRIGHT.clear()


@pytest.fixture
def new_browser(playwright_instance: object, tmp_path: Path) -> Iterator[Callable[[], object]]:
    """A factory of fresh Chromium sessions (each its own profile); all are closed after the test."""
    contexts = []

    def make(viewport: dict[str, int] | None = None) -> object:
        profile = tmp_path / f"profile{len(contexts)}"
        context = playwright_instance.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True,
            viewport=viewport or VIEWPORT, accept_downloads=True)
        context.set_default_timeout(30_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Folder for screenshots (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
