"""Run ``hunan-sim`` in this process with a crash injected at one write step (for the crash-point tests).

Usage::

    python crash_at.py SPEC [SPEC ...] -- ARGS...

Each ``SPEC`` names a function by ``module:attribute`` (``module:Class.method`` for a method) and either

* ``@N:before`` or ``@N:after``: the N-th call (1-based) ends the process with ``os._exit(CRASH_STATUS)``
  before the call starts or just after it returns, with no cleanup (no ``finally``, no ``atexit``), as a
  ``kill -9`` or a power cut would; or
* ``=false``: the function returns ``False`` (e.g. to take the fallback of a file-system feature).

The wrappers live only in this process: a sweep's Dask workers import the real code, and the writes under test
all happen in the client (this process).
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from typing import Any

CRASH_STATUS = 77


def _resolve(target: str) -> tuple[Any, str]:
    module_name, _, attr_path = target.partition(":")
    owner: Any = importlib.import_module(module_name)
    *parents, name = attr_path.split(".")
    for part in parents:
        owner = getattr(owner, part)
    return owner, name


def install(spec: str) -> None:
    """Apply one ``SPEC`` (see the module docstring)."""
    if "=" in spec:
        target, _, value = spec.partition("=")
        assert value == "false", spec
        owner, name = _resolve(target)
        setattr(owner, name, lambda *a, **k: False)
        return
    target, _, rest = spec.partition("@")
    nth_text, _, when = rest.partition(":")
    nth = int(nth_text)
    assert when in ("before", "after"), spec
    owner, name = _resolve(target)
    real = getattr(owner, name)
    calls = {"n": 0}

    @functools.wraps(real)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == nth and when == "before":
            os._exit(CRASH_STATUS)
        out = real(*args, **kwargs)
        if calls["n"] == nth and when == "after":
            os._exit(CRASH_STATUS)
        return out

    setattr(owner, name, wrapper)


def main(argv: list[str]) -> int:
    """Install the specs before ``--`` and run ``hunan-sim`` with the arguments after it."""
    split = argv.index("--")
    for spec in argv[:split]:
        install(spec)
    import sim.cli

    return sim.cli.main(argv[split + 1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
