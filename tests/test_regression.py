"""Fixed seeds give the recorded outputs bit for bit (tests/regression.py; digests in regression_digests.json).

A failure after a change meant to be output-preserving (a performance change) is a bug. After a change to the
model's behaviour, data or default parameters that is meant, record the new digests:
``.venv/bin/python -m tests.regression --update``.
"""

from __future__ import annotations

import pytest

from tests.regression import CASES, UPDATE_COMMAND, case_key, load_digests, run_case


@pytest.fixture(scope="module")
def stored() -> dict:
    return load_digests()["cases"]


@pytest.mark.parametrize("case", CASES, ids=case_key)
def test_outputs_match_recorded_digests(case, stored) -> None:
    key = case_key(case)
    assert key in stored, f"no digests recorded for {key}; run {UPDATE_COMMAND}"
    got = run_case(case)
    differ = [table for table, value in got.items() if stored[key][table] != value]
    assert not differ, (f"{key}: {', '.join(differ)} differ from the recorded digests. If the model was changed "
                        f"on purpose, run {UPDATE_COMMAND} and commit tests/regression_digests.json")
