"""The household table's storage: dropping and adding households keeps every other value and the order."""

from __future__ import annotations

import numpy as np
import pytest

from agents import households as hh
from agents.households import Households, empty_columns, row_view
from sim.places import default_places

PLACES = default_places()


def _random_table(n: int, seed: int) -> Households:
    rng = np.random.default_rng(seed)
    cols = empty_columns(n, PLACES)
    for col in cols.values():
        if col.dtype == bool:
            col[...] = rng.random(col.shape) < 0.5
        elif np.issubdtype(col.dtype, np.floating):
            col[...] = rng.random(col.shape)
        else:
            col[...] = rng.integers(0, 100, col.shape)
    cols["hid"][:] = np.arange(n)
    return Households(cols=cols, places=PLACES)


@pytest.mark.parametrize("block", [7, 64, 1 << 20])  # several blocks with a partial last one, and one block
def test_keep_drops_exactly_the_masked_rows_in_order_across_blocks(monkeypatch, block: int) -> None:
    monkeypatch.setattr(hh, "_KEEP_BLOCK", block)
    h = _random_table(500, seed=1)
    rng = np.random.default_rng(2)
    expected = {k: v.copy() for k, v in h.cols.items()}
    for _ in range(3):  # the first call moves the table to storage with spare rows, the later ones compact in place
        mask = rng.random(len(h)) < 0.8
        mask[:3] = False  # the very first rows go too: everything after them moves
        h.keep(mask)
        expected = {k: v[mask] for k, v in expected.items()}
        assert len(h) == int(mask.sum())
        for k, v in expected.items():
            np.testing.assert_array_equal(h.cols[k], v, err_msg=k)
    # households added afterwards land after the kept ones, and nothing kept changes
    new = {k: v[:5].copy() for k, v in _random_table(5, seed=3).cols.items()}
    h.append(new)
    for k, v in expected.items():
        np.testing.assert_array_equal(h.cols[k][:len(v)], v, err_msg=k)
        np.testing.assert_array_equal(h.cols[k][len(v):], new[k], err_msg=k)


def test_row_view_selects_whole_member_rows() -> None:
    members = np.arange(60, dtype=np.uint8).reshape(5, 12)
    view = row_view(members)
    assert view.shape == (5,)
    picked = view[np.array([True, False, True, False, False])]
    np.testing.assert_array_equal(picked.view(np.uint8).reshape(-1, 12), members[[0, 2]])
    with pytest.raises(ValueError, match="C-contiguous"):
        row_view(members[:, ::2])
