"""Parsing and validating what a user types into the page.

Browser inputs arrive as strings (a seed typed into a text box is ``"42"``, and ``HunanModel(rng="42")`` is
refused), so every input is converted here and refused with an :class:`sim.errors.InputError` whose message
names the field, the value and what is allowed; the page shows that message instead of a traceback.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from sim.errors import InputError
from sim.parameters import LEVERS
from sim.scenario import available_scenarios
from sim.years import HORIZON_YEAR, PLAN_END_YEAR, START_YEAR

MAX_SEED = 2**32 - 1
#: Households per agent offered in the UI. 500 is the default: one simulated year then takes about 0.035 s
#: of model time on this project's 2-core machine (0.13 s at 100), which leaves most of a 0.5 s budget for
#: sending the map and charts, keeps two sessions and a comparison run responsive, and still gives the
#: smallest division (Zhangjiajie, 1.5 M people) about a thousand household records.
SCALE_CHOICES: tuple[int, ...] = (100, 250, 500, 1000, 2000)
DEFAULT_SCALE = 500
#: The page simulates the model's years to the plan's horizon (the calendar: sim/years.py).
END_YEAR = PLAN_END_YEAR
#: Years a user may ask lever changes to start from (the model's own range of simulated years).
LEVER_YEAR_RANGE = (START_YEAR + 1, HORIZON_YEAR)
#: Largest Parquet file the results browser reads (bytes): a bigger one would stall the session.
MAX_RESULT_FILE_BYTES = 200 * 2**20
#: Most files the results browser lists in one folder.
MAX_RESULT_FILES = 500
#: Environment variable naming the results root; default ``<repo>/results`` (git-ignored).
RESULTS_ROOT_ENV = "HUNAN_RESULTS_ROOT"
#: Longest text accepted from any page field (characters). Longer text is refused before it is parsed: a
#: 5,000-digit "seed" would otherwise reach ``int()`` (ValueError past 4,300 digits) and a megabyte "folder"
#: would reach the file system. 256 is far above any seed, year, lever value, scenario name or results path.
MAX_TEXT_CHARS = 256
#: Characters of a refused value repeated in the page's message (the value is the client's own text, never
#: file content; it is cut so that a huge value is not sent back whole).
SHOWN_CHARS = 80
#: Replications per arm the comparison view offers (its slider's range; the server clamps to it).
COMPARE_REPLICATIONS = (1, 10)
#: Last simulated years the comparison view offers (its slider's range; the server clamps to it).
COMPARE_END_YEARS = (2015, END_YEAR)


def shown(value: Any) -> str:
    """A client value as a refusal message repeats it: ``str`` of it, cut to :data:`SHOWN_CHARS`."""
    try:
        text = str(value)
    except (ValueError, OverflowError):  # int.__str__ refuses ints of more than 4,300 digits
        text = f"<{type(value).__name__} too large to show>"
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + f"… ({len(text)} characters)"


def _field_text(value: Any, *, field: str, allowed: str) -> str:
    """The stripped text of a page value, refused if longer than :data:`MAX_TEXT_CHARS`."""
    raw = shown(value) if isinstance(value, int) and not isinstance(value, bool) else value
    raw = "" if raw is None else str(raw).strip()
    if len(raw) > MAX_TEXT_CHARS:
        raise InputError(field=field, value=shown(raw), allowed=f"{allowed} (at most {MAX_TEXT_CHARS} characters)",
                         source="page")
    return raw


def parse_scenario(value: Any) -> str:
    """A scenario preset chosen in the page: the name of one of the shipped ``scenarios/*.toml`` files.

    The value is compared with the list of names, never used as a path: a client that sends a file path
    through the select (or any other text) is refused without the server opening anything.

    Raises:
        InputError: for any value that is not a shipped scenario's name.
    """
    names = available_scenarios()
    allowed = "one of the shipped scenarios: " + ", ".join(names)
    if not isinstance(value, str) or value not in names:
        raise InputError(field="scenario", value=shown(value), allowed=allowed, source="page")
    return value


def parse_int_clamped(value: Any, *, field: str, low: int, high: int) -> int:
    """A whole number from a slider or field, clamped to ``low``-``high``.

    Sliders send numbers, but a client can send anything through the widget's channel: a whole number
    outside the range is clamped to it (what the slider itself would allow), anything that is not a whole
    number is refused.

    Raises:
        InputError: if the value is not a whole number.
    """
    allowed = f"a whole number from {low} to {high}"
    if isinstance(value, bool):
        raise InputError(field=field, value=shown(value), allowed=allowed, source="page")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raw = _field_text(value, field=field, allowed=allowed)
        sign, digits = ("-", raw[1:]) if raw.startswith("-") else ("", raw)
        if not digits.isascii() or not digits.isdigit():
            raise InputError(field=field, value=shown(raw), allowed=allowed, source="page")
        value = int(sign + digits)
    return min(max(value, low), high)


def parse_seed(text: Any) -> int:
    """A seed from a text box: a whole number from 0 to 2**32 - 1.

    Raises:
        InputError: if the text is not such a number.
    """
    allowed = f"a whole number from 0 to {MAX_SEED}"
    raw = _field_text(text, field="seed", allowed=allowed)
    # int() would also accept "1_000" and full-width digits; only plain ASCII digits are a seed here.
    if not raw.isascii() or not raw.isdigit():
        raise InputError(field="seed", value=raw, allowed=allowed, source="page")
    seed = int(raw)
    if seed > MAX_SEED:
        raise InputError(field="seed", value=raw, allowed=allowed, source="page")
    return seed


def parse_scale(value: Any) -> int:
    """Households per agent: one of :data:`SCALE_CHOICES`.

    Raises:
        InputError: for any other value.
    """
    allowed = "one of " + ", ".join(map(str, SCALE_CHOICES))
    raw = _field_text(value, field="scale", allowed=allowed)
    if raw not in {str(s) for s in SCALE_CHOICES}:
        raise InputError(field="scale", value=shown(raw), allowed=allowed, source="page")
    return int(raw)


def parse_year(value: Any, *, field: str = "levers_from", low: int = LEVER_YEAR_RANGE[0],
               high: int = LEVER_YEAR_RANGE[1]) -> int:
    """A year typed into the page, within ``low``-``high``.

    Raises:
        InputError: if it is not a whole number in range.
    """
    allowed = f"a year from {low} to {high}"
    raw = _field_text(value, field=field, allowed=allowed)
    # at most 4 digits before int(): a year is never longer, and a long digit string never reaches int()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 4 or not low <= int(raw) <= high:
        raise InputError(field=field, value=shown(raw), allowed=allowed, source="page")
    return int(raw)


def lever_value(name: str, value: Any) -> float | bool:
    """A lever value from a widget, validated by the lever's own declaration.

    Text from a field is converted to the lever's kind first (``"3"`` for an int lever), so that the
    declaration's check, not the widget, decides what is allowed.

    Returns:
        the value as the lever's scenario files spell it (``bool`` for bool levers, else ``float``).

    Raises:
        InputError: for an unknown lever or a value outside the lever's range.
    """
    if not isinstance(name, str) or name not in LEVERS:
        raise InputError(field=shown(name), value=shown(value), allowed="a lever: " + ", ".join(LEVERS),
                         source="page")
    lever = LEVERS[name]
    if isinstance(value, str):
        raw = _field_text(value, field=name, allowed=f"a value of {name}")
        if lever.kind == "bool":
            value = {"true": True, "false": False, "1": True, "0": False}.get(raw.lower(), raw)
        else:
            try:
                number = float(raw)
            except ValueError:
                number = None
            if number is not None and lever.kind == "int" and number.is_integer():
                value = int(number)
            elif number is not None:
                value = number
            else:
                value = raw
    if lever.kind == "bool" and not isinstance(value, bool) and isinstance(value, (int, float)) and value in (0, 1):
        value = bool(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
        # a client can send a 400-digit JSON integer; float() of it overflows inside validate
        raise InputError(field=name, value=shown(value), allowed=f"{lever.low:g} to {lever.high:g} {lever.unit}",
                         source="page")
    if isinstance(value, float) and not math.isfinite(value):
        # nan and inf: the lever's own check would call int() on them (ValueError/OverflowError)
        raise InputError(field=name, value=shown(value), allowed=_lever_range(lever), source="page")
    if not isinstance(value, (bool, int, float)):
        value = shown(value)  # a list or dict from the client is refused by validate, and shown cut
    checked = lever.validate(value, source="page")
    return bool(checked) if lever.kind == "bool" else checked


def _lever_range(lever: Any) -> str:
    kind = "a whole number" if lever.kind == "int" else "a number"
    return f"{kind} from {lever.low:g} to {lever.high:g} {lever.unit}".rstrip()


def default_results_root() -> Path:
    """The folder the results browser may read: ``$HUNAN_RESULTS_ROOT`` or ``<repo>/results``."""
    env = os.environ.get(RESULTS_ROOT_ENV)
    if env:
        return Path(env).resolve()
    return (Path(__file__).resolve().parent.parent / "results").resolve()


def resolve_results_dir(text: Any, root: Path) -> Path:
    """The folder named by ``text``, which must lie inside ``root``.

    ``text`` is relative to the root (``""`` or ``"."`` is the root itself); an absolute path is accepted
    only if it is inside the root. ``..``, symbolic links and absolute paths that lead outside the root are
    refused, so a page visitor cannot make the server read arbitrary folders.

    Raises:
        InputError: if the folder is outside the root or does not exist.
    """
    root = root.resolve()
    allowed = f"an existing folder inside the results root {root}"
    raw = _field_text(text, field="results folder", allowed=allowed)
    if "\x00" in raw:
        raise InputError(field="results folder", value=raw, allowed=allowed, source="page")
    candidate = Path(raw) if raw else Path(".")
    target = (candidate if candidate.is_absolute() else root / candidate).resolve()
    if not target.is_relative_to(root):
        raise InputError(field="results folder", value=raw, allowed=allowed, source="page")
    if not target.is_dir():
        raise InputError(field="results folder", value=raw, allowed=allowed, source="page")
    return target


def parse_choice(value: Any, choices: list[str] | tuple[str, ...], *, field: str) -> int:
    """The index of a select's value among the labels it offers.

    A select's value comes back from the client; one that the select did not offer is refused instead of
    raising ``ValueError`` or ``KeyError`` inside a callback.

    Raises:
        InputError: if the value is not one of ``choices``.
    """
    if isinstance(value, str) and value in choices:
        return list(choices).index(value)
    listed = ", ".join(choices[:20]) + (", …" if len(choices) > 20 else "")
    raise InputError(field=field, value=shown(value), allowed=f"one of {listed}", source="page")


def parse_household_id(value: Any) -> int:
    """A household id typed into the page: a whole number below 2**63 (the table's integer range).

    Raises:
        InputError: for anything else.
    """
    allowed = "a whole number (the id of a household in the model now)"
    raw = _field_text(value, field="household id", allowed=allowed)
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise InputError(field="household id", value=shown(raw), allowed=allowed, source="page")
    return int(raw)
