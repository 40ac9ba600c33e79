"""The data version of a result names exactly the data files the model and its calibration read.

`sim.run.data_version` hashes the files listed in `sim.data.MODEL_INPUTS`. The list is checked against what the
code really opens: a subprocess (fresh caches) installs an audit hook, builds and runs a small model, writes its
tables, loads the calibration targets and the plan's targets, and reports every file it opened under
`calibration/data/`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sim.data import DATA_DIR, MODEL_INPUTS
from sim.run import data_version

ROOT = Path(__file__).resolve().parent.parent

_PROBE = r"""
import json, sys
from pathlib import Path
data_dir = Path(sys.argv[1]).resolve()
opened = set()

def hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes, Path)):
        p = Path(args[0].decode() if isinstance(args[0], bytes) else args[0])
        try:
            opened.add(p.resolve().relative_to(data_dir).as_posix())
        except ValueError:
            pass

sys.addaudithook(hook)
from sim.run import run_simulation
from calibration.targets import load_targets
from sim.data import load_plan_city_targets
run_simulation(scenario="baseline", seed=1, scale=5000, end_year=2012)
load_targets()
load_plan_city_targets()
print(json.dumps(sorted(opened)))
"""


@pytest.mark.slow
def test_model_inputs_are_exactly_the_files_the_model_and_calibration_open() -> None:
    out = subprocess.run([sys.executable, "-c", _PROBE, str(DATA_DIR)], cwd=ROOT, capture_output=True, text=True,
                         timeout=300, check=True)
    opened = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert opened <= set(MODEL_INPUTS), f"files read but not in MODEL_INPUTS: {sorted(opened - set(MODEL_INPUTS))}"
    # every listed file must really be read, so the list carries no stale entry
    unread = set(MODEL_INPUTS) - opened
    assert not unread, f"MODEL_INPUTS lists files nothing reads: {sorted(unread)}"


def test_a_file_outside_the_model_inputs_does_not_change_the_data_version(tmp_path, monkeypatch) -> None:
    import sim.run

    for name in MODEL_INPUTS:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes((DATA_DIR / name).read_bytes())
    monkeypatch.setattr(sim.run, "DATA_DIR", tmp_path)
    before = sim.run.data_version()
    assert before == data_version()
    (tmp_path / "notes.md").write_text("new documentation")
    (tmp_path / "counties").mkdir(exist_ok=True)
    (tmp_path / "counties" / "new.csv").write_text("a,b\n1,2\n")
    assert sim.run.data_version() == before
    # ...while a change to a model input does change it.
    first = tmp_path / MODEL_INPUTS[0]
    first.write_bytes(first.read_bytes() + b"\n")
    assert sim.run.data_version() != before
