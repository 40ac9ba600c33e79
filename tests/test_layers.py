"""Layers run one way: no module imports from a layer above its own, and nothing loads project code by name.

The layers, lowest first (a module may import its own layer and those below):

0. ``data``: declarations and readers with no model in them (errors, calendar, seeds, plan targets, input limits,
   data files, parameter declarations);
1. ``world``: places and the transport network;
2. ``agents``: households, firms, governments;
3. ``model``: the initial population, markets, indicators, scenarios, the model and a single run;
4. ``ensemble``: the one ensemble runner and cluster factory;
5. ``apps``: experiments, calibration, the UI, the benchmarks;
6. ``cli``: the command line, which registers the apps' subcommands.

Every import counts, also those inside functions (a lazy import is still a dependency); imports under
``if TYPE_CHECKING:`` are annotations only and are skipped.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS: dict[str, int] = {"data": 0, "world": 1, "agents": 2, "model": 3, "ensemble": 4, "apps": 5, "cli": 6}
#: Module (or package prefix) → layer; the longest matching prefix wins.
LAYER_OF: dict[str, str] = {
    "sim.errors": "data", "sim.years": "data", "sim.seeds": "data", "sim.plan_targets": "data",
    "sim.limits": "data", "sim.data": "data", "sim.parameters": "data", "sim.parameters_default": "data",
    "sim.world": "world", "sim.places": "world",
    "agents": "agents",
    "sim.population": "model", "sim.markets": "model", "sim.indicators": "model", "sim.scenario": "model",
    "sim.model": "model", "sim.run": "model", "sim": "model",
    "sim.ensemble": "ensemble",
    "experiments": "apps", "calibration": "apps", "ui": "apps", "benchmarks": "apps", "app": "apps",
    "sim.cli": "cli",
}
PACKAGES = ("sim", "agents", "experiments", "calibration", "ui", "benchmarks")


def layer(module: str) -> str | None:
    """The layer of a project module, or ``None`` for a third-party one."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in LAYER_OF:
            return LAYER_OF[".".join(parts[:n])]
    return None


def modules() -> dict[str, Path]:
    """Every project module by dotted name."""
    out = {"app": ROOT / "app.py"}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            out[name] = path
    return out


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for child in node.body for n in ast.walk(child))
    return skip


def imports(module: str, path: Path) -> list[tuple[int, str]]:
    """``(line, imported module)`` for every import of a file (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_nodes(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            out.append((node.lineno, base))
            # ``from sim import markets`` imports the module sim.markets
            out += [(node.lineno, f"{base}.{alias.name}") for alias in node.names if f"{base}.{alias.name}" in MODULES]
    return out


MODULES = modules()


def test_every_module_has_a_layer():
    assert [m for m in MODULES if layer(m) is None] == []


def test_no_module_imports_from_a_layer_above_its_own():
    upward = []
    for module, path in MODULES.items():
        own = LAYERS[layer(module)]  # type: ignore[index]
        for line, imported in imports(module, path):
            target = layer(imported)
            if target is not None and LAYERS[target] > own:
                upward.append(f"{path.relative_to(ROOT)}:{line} ({layer(module)}) imports {imported} ({target})")
    assert upward == []


def test_no_project_code_is_loaded_by_name():
    # importlib.import_module("experiments.commands") hides a dependency from every tool, this test included
    found = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and ast.unparse(node.func).endswith(("import_module", "find_spec",
                                                                              "__import__")):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []


def test_the_layer_walk_sees_an_upward_import(tmp_path):
    # the walk must be able to fail: a data-layer module importing the model is reported
    path = tmp_path / "limits.py"
    path.write_text("def f():\n    from sim.model import HunanModel\n", encoding="utf-8")
    assert (2, "sim.model") in imports("sim.limits", path)
    assert LAYERS[layer("sim.model")] > LAYERS[layer("sim.limits")]


#: Imported in a fresh interpreter by the test below (every module with code that runs at import; ``app`` also
#: builds the page's component tree definitions).
_IMPORT_AUDIT = r"""
import importlib, json, sys
root = sys.argv[1]
opened = []
def hook(event, args):
    if event == "open" and isinstance(args[0], str) and args[0].startswith(root):
        path = args[0]
        if not path.endswith((".py", ".pyc")) and not any(p in path for p in (".egg-info", "/.venv/", "/__pycache__/")):
            opened.append(path)
sys.addaudithook(hook)
for name in sys.argv[2:]:
    importlib.import_module(name)
print(json.dumps(opened))
"""


def test_importing_the_project_reads_no_file():
    """No file reads at import time (issue 14, item 4): data are read when first needed, so importing a module
    (a tool's ``--help``, a Dask worker unpickling a task, a test collecting) never touches the data folder and
    never fails on a missing or malformed file. Python's audit hook sees every ``open`` of the interpreter."""
    import json
    import subprocess
    import sys

    names = [n for n in modules() if not n.startswith("benchmarks") and n != "app"] + ["app"]
    out = subprocess.run([sys.executable, "-c", _IMPORT_AUDIT, str(ROOT), *names], cwd=ROOT, capture_output=True,
                         text=True, timeout=300, env={"MPLBACKEND": "Agg", "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
                                                      "PATH": "/usr/bin:/bin", "HOME": str(Path.home())})
    assert out.returncode == 0, out.stderr[-2000:]
    opened = json.loads(out.stdout.strip().splitlines()[-1])
    assert opened == [], opened
