"""Fixtures for the UI tests: a served app on a free localhost port, Chromium sessions and a results root.

They live in ``ui_fixtures.py`` (importable by name, so ``tests/reliability`` reuses them).
"""

from ui_fixtures import (  # noqa: F401  (fixtures)
    artifacts,
    new_browser,
    playwright_instance,
    results_root,
    ui_home,
    ui_server,
)
