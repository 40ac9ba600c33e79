"""Errors raised at the model's boundaries.

Every error that a user can provoke (a scenario file, a lever value, a data table, a command-line option)
is an :class:`InputError` whose message names the file, the field, the value and what is allowed, so that
the command line can print one clear line instead of a traceback.
"""

from __future__ import annotations

import math
import reprlib
from typing import Any

#: Longest field name shown in a message (a dotted path into a hostile document can be long).
_MAX_FIELD_CHARS = 200


class _Shown(reprlib.Repr):
    """``repr`` shortened for one-line messages: long strings, long lists, deep nesting and huge numbers are cut."""

    def __init__(self) -> None:
        super().__init__(maxlevel=3, maxtuple=6, maxlist=6, maxarray=6, maxdict=6, maxset=6, maxfrozenset=6,
                         maxdeque=6, maxstring=100, maxlong=40, maxother=100)

    def repr_int(self, x: int, level: int) -> str:
        # repr() of an int over 4300 digits raises ValueError: show its size instead
        if x.bit_length() > 128:
            digits = int(x.bit_length() * math.log10(2)) + 1
            return f"<a whole number of about {digits:,} digits>"
        return super().repr_int(x, level)


_SHOWN = _Shown()


def shown(value: Any) -> str:
    """A short, safe display of a user-supplied value for an error message (never raises)."""
    try:
        return _SHOWN.repr(value)
    except Exception:  # noqa: BLE001 - a hostile object's __repr__ must not replace the message
        return f"<{type(value).__name__}>"


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
        field = str(field)
        shown_field = field if len(field) <= _MAX_FIELD_CHARS else field[:_MAX_FIELD_CHARS] + "…"
        message = f"{source}: field '{shown_field}' has value {shown(value)}; allowed: {allowed}"
        # one line, whatever the file held: control characters in keys or names are shown escaped
        if not message.isprintable():
            message = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
        super().__init__(message)


class DataError(InputError):
    """A data table in ``calibration/data`` is missing, malformed or out of range."""
