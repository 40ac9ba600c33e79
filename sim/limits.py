"""Bounds on every input a user can hand the simulator, declared in one place.

Scenario and experiment files (TOML), ``--set`` overrides and the calibrated posterior (JSON) are checked against
these limits when they are read, before any work is done (so also by ``hunan-sim sweep --dry-run``). A refusal is
an :class:`sim.errors.InputError` naming the file, the field, the value (shortened for display) and the limit.

The limits are generous: each is far above what the shipped files use (numbers in the comments). They exist so
that a typo (``replications = 1e9``) or a hostile file (``posterior_file = "/dev/zero"``, a 5000-digit number,
TOML nested 10,000 deep) is refused with one clear line instead of exhausting memory or the stack. If a real
study needs more, raise the limit here; README.md and RELIABILITY.md list them.
"""

from __future__ import annotations

import argparse
import os
import re
import stat
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.errors import InputError, shown
from sim.years import HORIZON_YEAR as LAST_YEAR  # noqa: F401 - re-exported, see "calendar and scale" below
from sim.years import NEVER_YEAR  # noqa: F401 - re-exported
from sim.years import START_YEAR as FIRST_YEAR  # noqa: F401 - re-exported

# ---- calendar and scale (the model's own limits) ------------------------------------------------------------
# FIRST_YEAR, LAST_YEAR and NEVER_YEAR are the calendar's START_YEAR, HORIZON_YEAR and NEVER_YEAR (sim/years.py),
# re-exported under the names the limit checks use.
#: Coarsest scale, households per agent (equal to ``sim.model.MAX_SCALE``; a test keeps them equal).
MAX_SCALE = 100_000

# ---- files ---------------------------------------------------------------------------------------------------
#: Largest scenario or experiment file read (bytes). The shipped ones are 1-5 KB.
MAX_TOML_BYTES = 1 << 20
#: Largest posterior file read (bytes). The shipped calibration/posterior.json is 180 KB (150 particles).
MAX_POSTERIOR_BYTES = 64 << 20
#: Deepest nesting of tables and arrays in a TOML document (the shipped files nest at most 4 deep:
#: ``levers.<factor>.options.<name>`` holding an inline table).
MAX_DEPTH = 10
#: Most keys and array items in one TOML document, counted over every level (the shipped files have < 100).
MAX_ITEMS = 10_000
#: Longest string value (characters; the longest shipped description is about 600).
MAX_STRING_CHARS = 10_000
#: Longest key, name or file name (characters).
MAX_NAME_CHARS = 100
#: Largest whole number anywhere in a TOML document, in magnitude (a signed 64-bit integer; a seed is the largest
#: number a user writes).
MAX_INT = 2**63 - 1
#: Most parts of one dotted key (``a.b.c`` has 3). Deeper keys are refused by MAX_DEPTH after parsing; this
#: bound is checked on the text first because tomllib's time and memory grow with the square of a key's parts
#: (100,000 parts took gigabytes).
MAX_DOTTED_PARTS = 100
#: Longest ``--set KEY=VALUE`` text (characters).
MAX_OVERRIDE_CHARS = 10_000
#: Longest chain of scenarios extending one another (the shipped chain is 2: plan-2021 extends baseline).
MAX_EXTENDS_DEPTH = 16

# ---- experiment sizes ------------------------------------------------------------------------------------------
#: Most replications of each design point (the shipped experiments use 1-8).
MAX_REPLICATIONS = 1_000
#: Largest ``n`` of a sampled lever or uncertainty design (the shipped ones use 10-128).
MAX_SAMPLE_N = 100_000
#: Most points of a lever design or of an uncertainty design (a full factorial's product of levels; a Sobol
#: sensitivity design's N (2D + 2) rows). The shipped maximum is 128 x 36 = 4,608.
MAX_DESIGN_POINTS = 100_000
#: Most runs in one experiment (scenarios x lever points x uncertainty points x replications). The shipped maximum
#: is 4,608; planning 100,000 runs (``sweep --dry-run``) took 10 s and 350 MB of memory here.
MAX_RUNS = 100_000

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_BOM = "\ufeff"
_KEY_END = re.compile(r"[^=,{}\[\]\n]*[=\]]")  # the text up to the next "=" or "]": a key, if anything


def check_count(value: int, *, field: str, limit: int, source: str, what: str = "") -> int:
    """Refuse a count over ``limit`` (``what`` says what is counted, for the message)."""
    if value > limit:
        raise InputError(field=field, value=value, source=source,
                         allowed=f"at most {limit:,}{' ' + what if what else ''} (limit in sim/limits.py)")
    return value


def check_safe_name(value: Any, *, field: str, source: str) -> str:
    """A name that is used as a folder name: letters, digits, ``.``, ``_`` and ``-``, not starting with a dot
    or dash (so never ``.``, ``..``, a path, a glob pattern such as ``g[1]`` or a hidden folder)."""
    if not isinstance(value, str) or len(value) > MAX_NAME_CHARS or not _SAFE_NAME.fullmatch(value):
        raise InputError(field=field, value=value, source=source,
                         allowed=f"a plain folder name of 1 to {MAX_NAME_CHARS} characters: letters, digits, '.', "
                                 "'_' and '-', starting with a letter or digit")
    return value


def read_limited(path: str | Path, *, limit: int, source: str | None = None, what: str = "file") -> bytes:
    """Read a regular file of at most ``limit`` bytes.

    Checked before reading: a device (``/dev/zero``), a FIFO or a folder is refused, and so is a file over the
    limit; the read itself stops at ``limit + 1`` bytes in case the file grows meanwhile.

    Raises:
        InputError: naming the file, with its size or kind and the limit.
    """
    path = Path(path)
    source = source or str(path)
    try:
        st = os.stat(path)
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        raise InputError(field="(file)", value=str(path), allowed=f"a readable {what} ({_reason(exc)})",
                         source=source) from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(field="(file)", value=str(path), allowed=f"a regular {what} (this is not a regular file)",
                         source=source)
    if st.st_size > limit:
        raise InputError(field="(file size)", value=f"{st.st_size:,} bytes", source=source,
                         allowed=f"a {what} of at most {limit:,} bytes (limit in sim/limits.py)")
    try:
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise InputError(field="(file)", value=str(path), allowed=f"a readable {what} ({_reason(exc)})",
                         source=source) from None
    if len(data) > limit:
        raise InputError(field="(file size)", value=f"more than {limit:,} bytes", source=source,
                         allowed=f"a {what} of at most {limit:,} bytes (limit in sim/limits.py)")
    return data


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def read_toml(path: str | Path, *, source: str | None = None) -> dict[str, Any]:
    """Read a TOML file within the limits: a regular UTF-8 file (a leading byte-order mark is accepted, as
    Windows Notepad writes one) of at most :data:`MAX_TOML_BYTES`, then :func:`parse_toml`."""
    source = source or str(path)
    raw = read_limited(path, limit=MAX_TOML_BYTES, source=source, what="TOML file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(field="encoding", value=f"byte {raw[exc.start]:#04x} at offset {exc.start}",
                         allowed="a UTF-8 TOML document", source=source) from None
    return parse_toml(text, source=source)


def parse_toml(text: str, *, source: str, field_prefix: str = "") -> dict[str, Any]:
    """Parse TOML text with the standard library and check the document with :func:`check_document`.

    A leading byte-order mark is dropped. Numbers longer than Python converts (4300 digits) and nesting deeper
    than the parser's recursion allows are refused naming the line and key, like any other limit.
    """
    if text.startswith(_BOM):
        text = text[1:]
    _check_dotted_keys(text, source=source, field_prefix=field_prefix)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(field="TOML syntax", value=str(exc), allowed="a valid TOML document", source=source) \
            from None
    except RecursionError:
        raise InputError(field=field_prefix + "(nesting)", value="deeper than the parser can follow",
                         allowed=f"tables and arrays nested at most {MAX_DEPTH} deep", source=source) from None
    except ValueError:  # int() refuses more than sys.get_int_max_str_digits() digits
        field, value = _longest_number(text)
        raise InputError(field=field_prefix + field, value=value, source=source,
                         allowed=f"a whole number of at most {MAX_INT:,} in magnitude") from None
    check_document(data, source=source, field_prefix=field_prefix)
    return data


def _check_dotted_keys(text: str, *, source: str, field_prefix: str) -> None:
    """Refuse a dotted key of more than :data:`MAX_DOTTED_PARTS` parts before tomllib spends quadratic time on it.

    A key ends at ``=`` (or ``]`` for a table header) and cannot span lines, so only lines with that many dots
    are looked at (a string value holding so many dots directly before ``=`` or ``]`` would be refused too).
    """
    if text.count(".") < MAX_DOTTED_PARTS:
        return
    for line_no, line in enumerate(text.splitlines(), 1):
        if line.count(".") < MAX_DOTTED_PARTS:
            continue
        for match in _KEY_END.finditer(line):
            if match.group().count(".") >= MAX_DOTTED_PARTS:
                raise InputError(field=f"{field_prefix}(key on line {line_no})", value=match.group()[:-1].strip(),
                                 allowed=f"a dotted key of at most {MAX_DOTTED_PARTS} parts (and tables nested at "
                                         f"most {MAX_DEPTH} deep)", source=source)


def _longest_number(text: str) -> tuple[str, str]:
    """The key and a shortened display of the longest run of digits in ``text`` (for the message)."""
    best = max(re.finditer(r"[0-9][0-9_]*", text), key=lambda m: len(m.group()), default=None)
    if best is None:
        return "(number)", "a number"
    line_start = text.rfind("\n", 0, best.start()) + 1
    line_no = text.count("\n", 0, best.start()) + 1
    key = text[line_start:best.start()].split("=", 1)[0].strip(" \t[{,") or "(number)"
    digits = best.group()
    return f"{key[:MAX_NAME_CHARS]} (line {line_no})", f"{digits[:20]}… ({len(digits):,} digits)"


def check_document(data: Any, *, source: str, field_prefix: str = "") -> None:
    """Check a parsed document's size before anything recursive touches it.

    Walks the document without recursion and refuses: nesting deeper than :data:`MAX_DEPTH`, more than
    :data:`MAX_ITEMS` keys and array items in all, keys longer than :data:`MAX_NAME_CHARS`, strings longer than
    :data:`MAX_STRING_CHARS`, and whole numbers larger than :data:`MAX_INT` in magnitude.

    Raises:
        InputError: naming the dotted path of the first offending field, its value and the limit.
    """
    n_items = 0
    stack: list[tuple[str, Any, int]] = [("", data, 0)]
    while stack:
        path, value, depth = stack.pop()
        name = field_prefix + (path or "(document)")
        if isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                raise InputError(field=name, value="a table or array nested deeper", source=source,
                                 allowed=f"tables and arrays nested at most {MAX_DEPTH} deep (limit in sim/limits.py)")
            n_items += len(value)
            if n_items > MAX_ITEMS:
                raise InputError(field=name, value=f"more than {MAX_ITEMS:,} keys and items", source=source,
                                 allowed=f"at most {MAX_ITEMS:,} keys and array items in all (limit in sim/limits.py)")
            if isinstance(value, dict):
                for key, child in value.items():
                    if not isinstance(key, str) or len(key) > MAX_NAME_CHARS:
                        raise InputError(field=f"{name}: key", value=key, source=source,
                                         allowed=f"a key of at most {MAX_NAME_CHARS} characters")
                    stack.append((f"{path}.{key}" if path else key, child, depth + 1))
            else:
                stack.extend((f"{path}[{i}]", child, depth + 1) for i, child in enumerate(value))
        elif isinstance(value, str) and len(value) > MAX_STRING_CHARS:
            raise InputError(field=name, value=value, source=source,
                             allowed=f"a string of at most {MAX_STRING_CHARS:,} characters (limit in sim/limits.py)")
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
            raise InputError(field=name, value=value, source=source,
                             allowed=f"a whole number of at most {MAX_INT:,} in magnitude (limit in sim/limits.py)")


def whole_number(name: str, minimum: int = 0, maximum: int = MAX_INT) -> Callable[[str], int]:
    """An argparse type: a whole number from ``minimum`` to ``maximum``, refused with a message naming the option,
    the value (shortened) and the limits."""
    def parse(text: str) -> int:
        if len(text) > 40:  # int() of more than 4300 digits raises; anything this long is over every limit anyway
            raise argparse.ArgumentTypeError(f"option {name}: value {shown(text)} ({len(text):,} characters) is not "
                                             f"a whole number from {minimum} to {maximum}")
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"option {name}: value {shown(text)} is not a whole number") from None
        if not minimum <= value <= maximum:
            if maximum == MAX_INT:
                raise argparse.ArgumentTypeError(f"option {name}: value {value} must be >= {minimum}")
            raise argparse.ArgumentTypeError(f"option {name}: value {value} must be from {minimum} to {maximum}")
        return value
    return parse
