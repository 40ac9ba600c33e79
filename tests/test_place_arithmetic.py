"""Place ids are data, not arithmetic: only sim/places.py may know how they are laid out (issue 14).

The scan parses every Python file of the model, the agents, calibration, experiments, the UI and app.py, and
fails on ``x % 2``, ``x // 2``, slices with a step of 2 and any use of ``OUTSIDE_LOC`` outside the places
module. A few ``% 2`` / ``// 2`` that are not about places are listed in :data:`ALLOWED` with the reason; a new
one must be added there (with its reason) or, if it is about places, go through ``Places``.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("sim", "agents", "calibration", "experiments", "ui", "app.py")
PLACES_MODULE = "sim/places.py"
#: (file, expression) pairs that halve something other than a place id.
ALLOWED = {
    ("sim/population.py", "c['years_here'] // 2"): "migrants contributed to insurance in half their years",
    ("experiments/spec.py", "num_levels % 2"): "odd number of lever levels in a design",
}


def place_arithmetic(source: str) -> list[tuple[int, str]]:
    """(line, expression) of every ``% 2``, ``// 2``, step-2 slice and ``OUTSIDE_LOC`` in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.FloorDiv)
                and isinstance(node.right, ast.Constant) and node.right.value == 2):
            found.append((node.lineno, ast.unparse(node)))
        elif (isinstance(node, ast.Slice) and isinstance(node.step, ast.Constant) and node.step.value == 2):
            found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.Name) and node.id == "OUTSIDE_LOC":
            found.append((node.lineno, "OUTSIDE_LOC"))
        elif isinstance(node, ast.alias) and node.name == "OUTSIDE_LOC":
            found.append((getattr(node, "lineno", 0), "import OUTSIDE_LOC"))
        elif isinstance(node, ast.Attribute) and node.attr == "OUTSIDE_LOC":
            found.append((node.lineno, ast.unparse(node)))
    return found


def scanned_files() -> list[Path]:
    files = []
    for entry in SCANNED:
        path = ROOT / entry
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return [f for f in files if ".venv" not in f.parts]


def test_the_scan_finds_each_kind_of_place_arithmetic() -> None:
    snippet = ("from sim.places import OUTSIDE_LOC\n"
               "a = loc % 2 == 1\nb = dest // 2\nc = persons[1:28:2]\nd = x == OUTSIDE_LOC\ne = w.OUTSIDE_LOC\n"
               "ok = loc % 3 + loc // 4 + persons[::3].sum()\n")
    found = [expr for _, expr in place_arithmetic(snippet)]
    assert found.count("OUTSIDE_LOC") == 1 and "import OUTSIDE_LOC" in found
    assert {"loc % 2", "dest // 2", "1:28:2", "w.OUTSIDE_LOC"} <= set(found)
    assert len(found) == 6


def test_no_place_arithmetic_outside_the_places_module() -> None:
    files = scanned_files()
    assert any(f.relative_to(ROOT).as_posix() == "sim/model.py" for f in files)  # the scan sees the model
    offences = []
    for path in files:
        rel = path.relative_to(ROOT).as_posix()
        if rel == PLACES_MODULE:
            continue
        for line, expr in place_arithmetic(path.read_text(encoding="utf-8")):
            if (rel, expr) not in ALLOWED:
                offences.append(f"{rel}:{line}: {expr}")
    assert not offences, ("place arithmetic outside sim/places.py (ask the Places table instead, or add a "
                          "non-place use to ALLOWED with its reason):\n" + "\n".join(offences))


def test_allowed_exceptions_still_exist() -> None:
    # an exception whose code is gone must be removed, so the list cannot hide a new use
    for rel, expr in ALLOWED:
        found = {e for _, e in place_arithmetic((ROOT / rel).read_text(encoding="utf-8"))}
        assert expr in found, f"{rel}: {expr} no longer occurs; remove it from ALLOWED"
