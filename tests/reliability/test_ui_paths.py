"""Inputs from the page cannot reach paths outside the results folder (the results browser)."""

from __future__ import annotations

import os

import pytest

from rel_helpers import REPO  # noqa: F401  (puts the repository on sys.path for ui/)
from sim.errors import InputError
from ui.inputs import resolve_results_dir
from ui.results import scan_folder


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "results"
    (root / "exp1" / "runs").mkdir(parents=True)
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "data.parquet").write_bytes(b"PAR1")
    os.symlink(outside, root / "link-out")
    os.symlink(outside / "data.parquet", root / "exp1" / "runs" / "leak.parquet")
    return root


@pytest.mark.parametrize("text", ["..", "../secret", "exp1/../../secret", "/etc", "/", "link-out",
                                  "exp1/../link-out", "./../results/../secret", "exp1\x00", "~", "%2e%2e/secret"])
def test_page_cannot_name_a_folder_outside_the_results_root(root, text):
    with pytest.raises(InputError) as info:
        resolve_results_dir(text, root)
    assert info.value.field == "results folder"


def test_absolute_path_inside_the_root_is_accepted(root):
    assert resolve_results_dir(str(root / "exp1"), root) == (root / "exp1").resolve()


def test_symlinked_file_leaving_the_root_is_skipped_and_named(root):
    found = scan_folder(resolve_results_dir("exp1", root), root)
    assert found.files == []
    assert ("runs/leak.parquet", "outside the results root") in found.skipped
