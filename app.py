"""The web UI of the Hunan urbanization simulator (Solara).

Run it with ``bash scripts/ui.sh`` (``solara run app.py --host 127.0.0.1 --port 8765 --no-open --production``
with the Solara, IPython and Matplotlib folders kept inside the project) and open http://127.0.0.1:8765.

Every browser session gets its own model: the state, and the :class:`ui.session.SimSession` in it, is created
inside the page component. A model created at module level would be shared by all visitors (STACK.md).
The components live in :mod:`ui.components`; this file only assembles the page.
"""

from __future__ import annotations

import solara

from ui.components import HunanApp, make_state


@solara.component
def Page() -> None:
    """The page: one :class:`ui.components.AppState` (and model) per browser session."""
    state = solara.use_memo(make_state, [])
    HunanApp(state)
