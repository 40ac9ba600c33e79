"""Parsing and validation of what a user types (no browser)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import InputError
from sim.parameters import LEVERS
from ui.inputs import (
    MAX_SEED,
    SCALE_CHOICES,
    lever_value,
    parse_scale,
    parse_seed,
    parse_year,
    resolve_results_dir,
)


@pytest.mark.parametrize("text, expected", [("42", 42), (" 7 ", 7), ("0", 0), (str(MAX_SEED), MAX_SEED)])
def test_seed_accepts_whole_numbers(text: str, expected: int) -> None:
    assert parse_seed(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "-1", "4.5", "1e3", "1_000", "４２", str(MAX_SEED + 1), None])
def test_seed_refuses_other_text_and_names_the_field(text: str | None) -> None:
    with pytest.raises(InputError) as info:
        parse_seed(text)
    message = str(info.value)
    assert "seed" in message and "whole number" in message


@given(st.integers(min_value=0, max_value=MAX_SEED))
def test_seed_round_trips_every_allowed_value(seed: int) -> None:
    assert parse_seed(str(seed)) == seed


@given(st.text())
@settings(max_examples=200)
def test_seed_never_returns_anything_but_an_allowed_int(text: str) -> None:
    try:
        seed = parse_seed(text)
    except InputError:
        return
    assert isinstance(seed, int) and 0 <= seed <= MAX_SEED


def test_scale_accepts_the_offered_choices_only() -> None:
    for choice in SCALE_CHOICES:
        assert parse_scale(str(choice)) == choice
    for bad in ("0", "7", "abc", "-500"):
        with pytest.raises(InputError, match="scale"):
            parse_scale(bad)


def test_year_range_is_checked() -> None:
    assert parse_year("2021") == 2021
    with pytest.raises(InputError, match="levers_from"):
        parse_year("2009")
    with pytest.raises(InputError):
        parse_year("twenty")


def test_lever_values_are_converted_by_kind_and_checked_by_the_declaration() -> None:
    assert lever_value("keep_land_rights", "true") is True
    assert lever_value("keep_land_rights", 0) is False
    assert lever_value("settlement_min_years", "3") == 3.0
    assert lever_value("government_cost_share", "0.25") == 0.25
    with pytest.raises(InputError, match="settlement_min_years"):
        lever_value("settlement_min_years", "2.5")
    lever = LEVERS["government_cost_share"]
    with pytest.raises(InputError, match="government_cost_share"):
        lever_value("government_cost_share", lever.high + 1)
    with pytest.raises(InputError, match="no_such_lever"):
        lever_value("no_such_lever", 1)


def test_results_folder_inside_root_is_accepted(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "exp" / "a").mkdir(parents=True)
    assert resolve_results_dir("", root) == root.resolve()
    assert resolve_results_dir("exp/a", root) == (root / "exp" / "a").resolve()
    assert resolve_results_dir(str(root / "exp"), root) == (root / "exp").resolve()


@pytest.mark.parametrize("text", ["..", "../outside", "exp/../../outside", "/etc", "missing"])
def test_results_folder_outside_root_or_missing_is_refused(tmp_path: Path, text: str) -> None:
    root = tmp_path / "root"
    (root / "exp").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    with pytest.raises(InputError) as info:
        resolve_results_dir(text, root)
    assert "results folder" in str(info.value)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links here")
def test_results_folder_symlink_leaving_root_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "secret").mkdir()
    (root / "link").symlink_to(tmp_path / "secret", target_is_directory=True)
    with pytest.raises(InputError):
        resolve_results_dir("link", root)


@given(st.lists(st.sampled_from(["..", ".", "exp", "a", "/", "//", "x y", "\\", "~"]), max_size=6))
@settings(max_examples=150, deadline=None)
def test_results_folder_is_inside_root_or_refused(tmp_path_factory: pytest.TempPathFactory, parts: list[str]) -> None:
    base = tmp_path_factory.getbasetemp() / "fuzz"
    root = base / "root"
    (root / "exp" / "a").mkdir(parents=True, exist_ok=True)
    (base / "exp").mkdir(exist_ok=True)
    text = "/".join(parts)
    try:
        folder = resolve_results_dir(text, root)
    except InputError:
        return
    assert folder.is_relative_to(root.resolve())

