"""The web UI of the Hunan urbanization simulator (Solara).

Run it with ``bash scripts/ui.sh`` (``python -m ui.server --host 127.0.0.1 --port 8765``, with the Solara,
IPython and Matplotlib folders kept inside the project) and open http://127.0.0.1:8765. ``ui.server`` serves
this file with Solara's Starlette app behind a guard that refuses foreign Host and Origin headers and keeps
the CDN proxy to the installed files; ``solara run app.py`` works for development but has no such guard.

Every browser session gets its own model: the state, and the :class:`ui.session.SimSession` in it, is created
inside the page component. A model created at module level would be shared by all visitors (STACK.md).
The components live in :mod:`ui.components`; this file only assembles the page.
"""

from __future__ import annotations

import logging
import os
import sys

import solara

from ui.components import HunanApp, logger, make_state, release_state

# One line per closed session in the server's output (Solara's own logging leaves other loggers at WARNING),
# so whoever runs the server can see that closed sessions give their model back.
if not logger.handlers:
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
    logger.addHandler(_handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False

if os.environ.get("HUNAN_UI_GUARDED") != "1":  # ui.server.GUARDED_ENV (not imported: it pulls in uvicorn)
    logger.warning("served without ui.server's guard: foreign Host/Origin headers are not refused and the CDN "
                   "proxy may fetch from the internet; start the UI with scripts/ui.sh or python -m ui.server")


@solara.component
def Page() -> None:
    """The page: one :class:`ui.components.AppState` (and model) per browser session."""
    state = solara.use_memo(make_state, [])
    # Solara unmounts the page when the session's kernel closes (the tab closed, or the kernel was culled);
    # the effect's cleanup then drops the model, so a closed session's memory goes back without waiting
    # for every other reference to the state to disappear.
    solara.use_effect(lambda: release_state(state), [])
    HunanApp(state)
