"""Parsing and validating what a user types into the page.

Browser inputs arrive as strings (a seed typed into a text box is ``"42"``, and ``HunanModel(rng="42")`` is
refused), so every input is converted here and refused with an :class:`sim.errors.InputError` whose message
names the field, the value and what is allowed; the page shows that message instead of a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sim.errors import InputError
from sim.parameters import LEVERS

MAX_SEED = 2**32 - 1
#: Households per agent offered in the UI. 500 is the default: one simulated year then takes about 0.035 s
#: of model time on this project's 2-core machine (0.13 s at 100), which leaves most of a 0.5 s budget for
#: sending the map and charts, keeps two sessions and a comparison run responsive, and still gives the
#: smallest division (Zhangjiajie, 1.5 M people) about a thousand household records.
SCALE_CHOICES: tuple[int, ...] = (100, 250, 500, 1000, 2000)
DEFAULT_SCALE = 500
START_YEAR = 2010
END_YEAR = 2035
#: Years a user may ask lever changes to start from (the model's own range of simulated years).
LEVER_YEAR_RANGE = (2011, 2100)
#: Largest Parquet file the results browser reads (bytes): a bigger one would stall the session.
MAX_RESULT_FILE_BYTES = 200 * 2**20
#: Most files the results browser lists in one folder.
MAX_RESULT_FILES = 500
#: Environment variable naming the results root; default ``<repo>/results`` (git-ignored).
RESULTS_ROOT_ENV = "HUNAN_RESULTS_ROOT"


def parse_seed(text: Any) -> int:
    """A seed from a text box: a whole number from 0 to 2**32 - 1.

    Raises:
        InputError: if the text is not such a number.
    """
    raw = str(text).strip() if text is not None else ""
    allowed = f"a whole number from 0 to {MAX_SEED}"
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
    try:
        scale = int(str(value).strip())
    except ValueError:
        scale = -1
    if scale not in SCALE_CHOICES:
        raise InputError(field="scale", value=value, allowed="one of " + ", ".join(map(str, SCALE_CHOICES)),
                         source="page")
    return scale


def parse_year(value: Any, *, field: str = "levers_from", low: int = LEVER_YEAR_RANGE[0],
               high: int = LEVER_YEAR_RANGE[1]) -> int:
    """A year typed into the page, within ``low``-``high``.

    Raises:
        InputError: if it is not a whole number in range.
    """
    raw = str(value).strip()
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise InputError(field=field, value=raw, allowed=f"a year from {low} to {high}", source="page")
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
    if name not in LEVERS:
        raise InputError(field=name, value=value, allowed="a lever: " + ", ".join(LEVERS), source="page")
    lever = LEVERS[name]
    if isinstance(value, str):
        raw = value.strip()
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
    if lever.kind == "bool" and not isinstance(value, bool) and value in (0, 1):
        value = bool(value)
    checked = lever.validate(value, source="page")
    return bool(checked) if lever.kind == "bool" else checked


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
    raw = "" if text is None else str(text).strip()
    root = root.resolve()
    allowed = f"an existing folder inside the results root {root}"
    if "\x00" in raw:
        raise InputError(field="results folder", value=raw, allowed=allowed, source="page")
    candidate = Path(raw) if raw else Path(".")
    target = (candidate if candidate.is_absolute() else root / candidate).resolve()
    if not target.is_relative_to(root):
        raise InputError(field="results folder", value=raw, allowed=allowed, source="page")
    if not target.is_dir():
        raise InputError(field="results folder", value=raw, allowed=allowed, source="page")
    return target
