"""Security basics: no code execution from user files, TOML through ``tomllib``, servers on 127.0.0.1.

The code checks are made on the syntax tree (not on the text), so comments and docstrings that mention
``pickle`` or ``eval`` do not count, and an aliased import (``import pickle as p``) still does.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from rel_helpers import REPO

#: Folders and files whose code handles user input (scenario and experiment files, data tables, the page).
CHECKED = ["sim", "agents", "experiments", "calibration", "ui", "app.py"]
#: Modules that execute code or build objects from the bytes they read.
UNSAFE_MODULES = {"pickle", "cPickle", "dill", "cloudpickle", "marshal", "shelve", "joblib"}
UNSAFE_BUILTINS = {"eval", "exec", "compile", "__import__"}
#: ``module.function`` calls that deserialize executable objects.
UNSAFE_CALLS = {("yaml", "load"), ("yaml", "unsafe_load"), ("yaml", "full_load"), ("pd", "read_pickle"),
                ("pandas", "read_pickle"), ("torch", "load"), ("os", "system"), ("os", "popen")}
#: Reviewed uses that never touch a file: (file, what) -> why it is safe.
ALLOWED = {
    ("calibration/sampler.py", "imports cloudpickle"):
        "pickles the in-memory pyabc simulate function for the client's own Dask workers, as Dask itself "
        "does for every task; nothing read from disk or the page is unpickled. This is why the scheduler must "
        "listen on 127.0.0.1 only (Dask's protocol is unauthenticated pickle).",
}
OTHER_TOML = {"toml", "tomli", "tomlkit", "pytoml", "rtoml", "qtoml"}


def python_files() -> list[Path]:
    files: list[Path] = []
    for name in CHECKED:
        path = REPO / name
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return files


def _imports(tree: ast.AST) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module.split(".")[0])
    return out


def unsafe_uses(path: Path) -> list[str]:
    """``file:line what`` for every unsafe import or call in one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    rel = path.relative_to(REPO)
    found = [f"{rel}: imports {m}" for m in sorted(_imports(tree) & UNSAFE_MODULES)]
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Name) and f.id in UNSAFE_BUILTINS:
            found.append(f"{rel}:{node.lineno} calls {f.id}()")
        elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and (f.value.id, f.attr) in UNSAFE_CALLS:
            found.append(f"{rel}:{node.lineno} calls {f.value.id}.{f.attr}()")
        elif isinstance(f, ast.Attribute) and f.attr == "load" and isinstance(f.value, ast.Name) \
                and f.value.id in {"np", "numpy"}:
            if any(k.arg == "allow_pickle" and not (isinstance(k.value, ast.Constant) and k.value.value is False)
                   for k in node.keywords):
                found.append(f"{rel}:{node.lineno} calls np.load(allow_pickle=...)")
        for k in node.keywords:  # subprocess(..., shell=True) with text from a file would run it
            if k.arg == "shell" and isinstance(k.value, ast.Constant) and k.value.value is True:
                found.append(f"{rel}:{node.lineno} runs a shell")
    return found


def test_the_checker_finds_what_it_looks_for(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import pickle as p\nimport yaml\nx = eval('1')\ny = yaml.load(open('f'))\n"
                   "import numpy as np\nz = np.load('a.npy', allow_pickle=True)\n", encoding="utf-8")
    # unsafe_uses reports paths relative to the repository; check the detections on a copy inside it
    probe = REPO / "tests" / "reliability" / "_probe_unsafe.py"
    probe.write_text(bad.read_text(encoding="utf-8"), encoding="utf-8")
    try:
        found = " | ".join(unsafe_uses(probe))
    finally:
        probe.unlink()
    for what in ("imports pickle", "calls eval()", "calls yaml.load()", "allow_pickle"):
        assert what in found


def test_no_pickle_eval_exec_or_yaml_load_in_code_that_reads_user_files():
    files = python_files()
    assert len(files) > 30  # the folders exist and were scanned
    found = [u for f in files for u in unsafe_uses(f)]
    unexpected = [u for u in found if tuple(u.split(": ", 1)) not in ALLOWED]
    assert unexpected == []


def test_toml_is_parsed_with_the_standard_library_tomllib_only():
    users = []
    for f in python_files():
        imports = _imports(ast.parse(f.read_text(encoding="utf-8")))
        assert not imports & OTHER_TOML, f"{f} imports {imports & OTHER_TOML}"
        if "tomllib" in imports:
            users.append(f.relative_to(REPO).as_posix())
    # one bounded reader (size, nesting, numbers: sim/limits.py) that scenario and experiment files go through
    assert "sim/limits.py" in users
    for reader in ("sim/scenario.py", "experiments/spec.py"):
        assert "read_toml" in (REPO / reader).read_text(encoding="utf-8"), reader


def test_ui_script_binds_127_0_0_1_unless_host_is_set():
    text = (REPO / "scripts" / "ui.sh").read_text(encoding="utf-8")
    runs = [line for line in text.splitlines() if "-m ui.server" in line and not line.lstrip().startswith("#")]
    assert runs, "scripts/ui.sh no longer starts the UI server (python -m ui.server)"
    for line in runs:
        assert '--host "${HOST:-127.0.0.1}"' in line


def test_no_server_in_the_code_binds_every_interface():
    pattern = re.compile(r"""(host\s*=\s*["']0\.0\.0\.0["'])|(--host["',\s]+0\.0\.0\.0)""")
    hits = [f"{f.relative_to(REPO)}" for f in python_files() + [REPO / "scripts" / "ui.sh"]
            if pattern.search(f.read_text(encoding="utf-8"))]
    assert hits == []


def _listening_hosts(cluster) -> dict[str, str]:
    """Host of every listener of a LocalCluster: scheduler, workers, and the scheduler's HTTP server."""
    hosts = {"scheduler": cluster.scheduler_address.split("://")[1].rsplit(":", 1)[0]}
    for i, addr in enumerate(cluster.scheduler_info["workers"]):
        hosts[f"worker {i}"] = addr.split("://")[1].rsplit(":", 1)[0]
    http = cluster.scheduler.http_server
    for i, sock in enumerate(http._sockets.values()):  # tornado keeps no public list of its sockets
        hosts[f"http {i}"] = sock.getsockname()[0]
    return hosts


HTTP_ALL_INTERFACES = ("the scheduler's HTTP server (health checks, /metrics, dashboard routes) listens on 0.0.0.0: "
                       "LocalCluster(dashboard_address=':0') binds every interface; pass "
                       "dashboard_address='127.0.0.1:0' and host='127.0.0.1'")


def test_sweep_local_cluster_listens_on_localhost_only():
    from sim.ensemble import local_cluster

    cluster = local_cluster(1)
    try:
        hosts = _listening_hosts(cluster)
    finally:
        cluster.close()
    assert hosts["scheduler"] == "127.0.0.1" and hosts["worker 0"] == "127.0.0.1"
    assert set(hosts.values()) == {"127.0.0.1"}, hosts


def test_calibration_local_cluster_listens_on_localhost_only():
    from sim.ensemble import dask_client

    with dask_client(workers=1) as client:
        cluster = client.cluster
        hosts = _listening_hosts(cluster)
    assert hosts["scheduler"] == "127.0.0.1" and hosts["worker 0"] == "127.0.0.1"
    assert set(hosts.values()) == {"127.0.0.1"}, hosts
