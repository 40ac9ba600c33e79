"""constraints.txt, the lock file of reproducible installs (issue 13): scripts/setup.sh installs exactly it.

Refresh it with ``bash scripts/lock.sh`` (a scratch venv resolves pyproject.toml's ranges afresh and is frozen).
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from rel_helpers import REPO

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)$")


def _pins() -> dict[str, str]:
    pins = {}
    for line in (REPO / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        m = PIN.match(line.strip())
        assert m, f"constraints.txt: {line!r} is not an exact pin name==version"
        pins[canonicalize_name(m.group(1))] = m.group(2)
    return pins


def test_every_dependency_is_pinned_exactly_and_the_project_is_not():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]]
    pins = _pins()
    assert canonicalize_name(project["name"]) not in pins  # the editable project is installed from the tree
    missing = [r.name for r in declared if canonicalize_name(r.name) not in pins]
    assert missing == []
    outside = [f"{r.name}=={pins[canonicalize_name(r.name)]}" for r in declared
               if not r.specifier.contains(pins[canonicalize_name(r.name)], prereleases=True)]
    assert outside == [], "pins outside pyproject.toml's ranges: run bash scripts/lock.sh"


def test_setup_installs_with_the_constraints_and_reinstalls_when_they_change():
    setup = (REPO / "scripts" / "setup.sh").read_text(encoding="utf-8")
    assert re.search(r"pip install .*-c constraints\.txt", setup)
    stamp = next(line for line in setup.splitlines() if line.startswith("stamp="))
    assert "pyproject.toml" in stamp and "constraints.txt" in stamp


def test_this_environment_is_the_locked_one():
    wrong = {name: (version, metadata.version(name)) for name, version in _pins().items()
             if metadata.version(name) != version}
    assert wrong == {}, "installed versions differ from constraints.txt: run bash scripts/setup.sh"
