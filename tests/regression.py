"""Fixed-seed regression digests: the model's outputs, bit for bit, for a few small runs.

Performance work must not change what the model computes. :data:`CASES` are runs from 2010 to 2035 at small
scales; for each, :func:`run_case` returns SHA-256 digests of the indicator table, the flow table and the final
household table, and ``tests/regression_digests.json`` stores the digests of the code as it was when they were
last recorded. ``tests/test_regression.py`` compares the two.

When the model is changed on purpose (its behaviour, its data, or the default parameters, e.g. a new
``calibration/posterior.json``), record the new digests and commit the JSON file with the change::

    .venv/bin/python -m tests.regression --update

``python -m tests.regression`` without ``--update`` only compares and prints what differs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

DIGESTS_PATH = Path(__file__).resolve().parent / "regression_digests.json"
UPDATE_COMMAND = ".venv/bin/python -m tests.regression --update"

#: (scenario, households per record, seed, end year). Both scenarios, so that the plan's levers (settlement
#: rules, land rights, public rental, rail openings) are exercised as well as the baseline's.
CASES: list[tuple[str, int, int, int]] = [
    ("baseline", 500, 1, 2035),
    ("baseline", 500, 2, 2035),
    ("baseline", 2000, 3, 2035),
    ("plan-2021", 1000, 4, 2035),
]


def case_key(case: tuple[str, int, int, int]) -> str:
    scenario, scale, seed, end_year = case
    return f"{scenario}-scale{scale}-seed{seed}-to{end_year}"


def frame_digest(df: pd.DataFrame) -> str:
    """SHA-256 over a table's column names, dtypes and exact values (floats by their bytes, not their text)."""
    digest = hashlib.sha256()
    digest.update(str(len(df)).encode())
    for name in df.columns:
        col = df[name]
        digest.update(f"\x1e{name}\x1f{col.dtype}\x1f".encode())
        if col.dtype == object or isinstance(col.dtype, pd.StringDtype):
            digest.update("\x1f".join(map(str, col.tolist())).encode())
        else:
            digest.update(np.ascontiguousarray(col.to_numpy()).tobytes())
    return digest.hexdigest()


def columns_digest(cols: dict[str, np.ndarray]) -> str:
    """SHA-256 over a dict of numpy columns in name order (the household table)."""
    digest = hashlib.sha256()
    for name in sorted(cols):
        arr = np.ascontiguousarray(cols[name])
        digest.update(f"\x1e{name}\x1f{arr.dtype}\x1f{len(arr)}\x1f".encode())
        digest.update(arr.tobytes())
    return digest.hexdigest()


def run_case(case: tuple[str, int, int, int]) -> dict[str, str]:
    """Run one case with the default parameters and return its digests."""
    from sim.model import HunanModel

    scenario, scale, seed, end_year = case
    model = HunanModel(scenario=scenario, scale=scale, rng=seed, end_year=end_year)
    while model.year < end_year:
        model.step()
    return {"indicators": frame_digest(model.indicators()), "flows": frame_digest(model.flows()),
            "households": columns_digest(model.households.cols)}


def load_digests(path: Path = DIGESTS_PATH) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.regression", description=__doc__.split("\n\n")[0])
    ap.add_argument("--update", action="store_true", help=f"record the current code's digests in {DIGESTS_PATH.name}")
    args = ap.parse_args(argv)
    current = {case_key(case): run_case(case) for case in CASES}
    if args.update:
        data = {"regenerate": UPDATE_COMMAND,
                "cases": {k: {"scenario": c[0], "scale": c[1], "seed": c[2], "end_year": c[3], **current[k]}
                          for k, c in zip(current, CASES, strict=True)}}
        DIGESTS_PATH.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {DIGESTS_PATH}")
        return 0
    stored = load_digests()["cases"]
    differ = 0
    for key, digests in current.items():
        for table, value in digests.items():
            same = stored.get(key, {}).get(table) == value
            differ += not same
            print(f"{key:36s} {table:10s} {'same' if same else 'DIFFERS'}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
