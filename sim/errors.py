"""Errors raised at the model's boundaries.

Every error that a user can provoke (a scenario file, a lever value, a data table, a command-line option)
is an :class:`InputError` whose message names the file, the field, the value and what is allowed, so that
the command line can print one clear line instead of a traceback.
"""

from __future__ import annotations

from typing import Any


class InputError(ValueError):
    """A user-supplied input is invalid.

    Args:
        field: the offending field (a lever, a column, an option).
        value: the value that was given.
        allowed: what would have been accepted.
        source: the file (or "command line", "parameters") the value came from.
    """

    def __init__(self, *, field: str, value: Any, allowed: str, source: str = "input") -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        self.source = source
        super().__init__(f"{source}: field '{field}' has value {value!r}; allowed: {allowed}")


class DataError(InputError):
    """A data table in ``calibration/data`` is missing, malformed or out of range."""
