"""The lever atlas (``hunan-sim atlas``, experiments/atlas.py) and the lever documentation generated from it.

The small atlas runs the real model through the real Dask sweep: two levers (one with a mechanism, one without),
1 posterior draw, 2 replications, at a coarse scale. The committed atlas (docs/atlas/) is checked for coverage
of every lever and for a documented reason wherever a lever does not move an outcome beyond its paired noise.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

from docs import generate_levers
from experiments.atlas import (
    ATLAS_COLUMNS,
    ATLAS_INDICATORS,
    ATLAS_YEARS,
    FACTOR,
    FLAG_INDICATORS,
    MIN_PAIRS,
    AtlasSettings,
    atlas_definition,
    atlas_experiment,
    lever_summary,
    load_table,
    option_name,
    write_atlas,
)
from experiments.runner import run_experiment
from sim.cli import main as cli_main
from sim.errors import InputError
from sim.parameters import LEVERS, NEVER

#: Two levers: keep_land_rights has a mechanism (settlers keep land); czt_metro_operation has none in the
#: model's outcomes yet (nobody commutes), so its pairs are exactly equal.
SMALL = dict(levers="keep_land_rights,czt_metro_operation", scale=20000, draws=1, replications=2, master_seed=11)


def _small_atlas(out: Path, workers: int) -> tuple[dict[str, Path], object]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        experiment = atlas_experiment(AtlasSettings.checked(**SMALL))
    summary = run_experiment(experiment, out, workers=workers, progress=False)
    return write_atlas(out), summary


@pytest.fixture(scope="module")
def small_atlas(tmp_path_factory):
    """The small atlas written twice into fresh folders, on 1 and on 2 workers."""
    base = tmp_path_factory.mktemp("atlas")
    first = _small_atlas(base / "one", workers=1)
    second = _small_atlas(base / "two", workers=2)
    return base, first, second


# --------------------------------------------------------------------------------------------------------
# the generated experiment (fast)
# --------------------------------------------------------------------------------------------------------

def test_definition_has_a_low_and_a_high_setting_of_every_lever():
    defn = atlas_definition(AtlasSettings.checked())
    options = defn["levers"][FACTOR]["options"]
    assert len(options) == 2 * len(LEVERS)
    for name, lever in LEVERS.items():
        low, high = options[option_name(name, "low")], options[option_name(name, "high")]
        assert list(low) == [name] and list(high) == [name], "each setting changes exactly one lever"
        if name.startswith("open_year_"):
            assert (low[name], high[name]) == (NEVER, 2021)
        elif lever.kind == "bool":
            assert (low[name], high[name]) == (False, True)
        else:
            assert (low[name], high[name]) == (lever.low, lever.high)
    assert defn["scenarios"] == ["plan-2021"] and defn["common_random_numbers"] is True
    assert defn["policy_from"] == 2021
    assert defn["uncertainties"]["design"] == "posterior"


def test_atlas_pairs_share_their_seed():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        plan = atlas_experiment(AtlasSettings.checked(levers="keep_land_rights", draws=2, replications=2)).plan()
    assert len(plan) == 2 * 2 * 2
    seeds = {}
    for run in plan:
        seeds.setdefault((run.spec.uncertainty_point, run.spec.replicate), set()).add(run.spec.seed)
    assert len(seeds) == 4 and all(len(s) == 1 for s in seeds.values()), "low and high runs of a pair share a seed"
    assert len({next(iter(s)) for s in seeds.values()}) == 4, "different pairs have different seeds"


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"levers": "no_such_lever"}, "--levers"),
    ({"levers": "keep_land_rights,keep_land_rights"}, "--levers"),
    ({"scale": 0}, "--scale"),
    ({"scale": 1e9}, "--scale"),
    ({"draws": 0}, "--draws"),
    ({"replications": 10**6}, "--replications"),
    ({"master_seed": -1}, "--seed"),
])
def test_bad_settings_name_the_option(kwargs, field):
    with pytest.raises(InputError) as exc:
        AtlasSettings.checked(**kwargs)
    assert exc.value.field == field


def test_command_refuses_bad_input_with_one_line(capsys, tmp_path):
    assert cli_main(["atlas", "--levers", "nope", "--dry-run"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "'--levers'" in err and "nope" in err and len(err.splitlines()) == 1
    a_file = tmp_path / "f"
    a_file.write_text("x")
    assert cli_main(["atlas", "--out", str(a_file), "--dry-run"]) == 2
    assert "'--out'" in capsys.readouterr().err
    assert cli_main(["atlas", "--levers", "keep_land_rights", "--draws", "3", "--dry-run"]) == 0
    assert "12 runs" in capsys.readouterr().out


def test_summary_status_follows_the_pairs():
    """lever_summary on a hand-made table: the status comes from the intervals, pairs and exact zeros."""
    base = dict(group="g", low_value="0", high_value="1", unit="percent", year=2025, counts_for_flag=True,
                unpaired_low=-1.0, unpaired_high=1.0)
    rows = [
        dict(base, lever="a", indicator="urbanization_rate", n_pairs=10, median=0.2, low=0.1, high=0.3,
             max_abs_difference=0.4, beyond_noise=True),
        dict(base, lever="b", indicator="urbanization_rate", n_pairs=10, median=0.0, low=0.0, high=0.0,
             max_abs_difference=0.0, beyond_noise=False),
        dict(base, lever="c", indicator="urbanization_rate", n_pairs=10, median=0.01, low=-0.1, high=0.2,
             max_abs_difference=0.2, beyond_noise=False),
        dict(base, lever="d", indicator="urbanization_rate", n_pairs=2, median=0.2, low=0.1, high=0.3,
             max_abs_difference=0.3, beyond_noise=False),
        # beyond noise on an indicator that does not count: not a move
        dict(base, lever="e", indicator="public_rental_units", counts_for_flag=False, n_pairs=10, median=5.0,
             low=4.0, high=6.0, max_abs_difference=6.0, beyond_noise=True),
    ]
    s = lever_summary(pd.DataFrame(rows, columns=ATLAS_COLUMNS)).set_index("lever")
    assert s["status"].to_dict() == {"a": "moves", "b": "inert", "c": "within noise", "d": "too few pairs",
                                     "e": "within noise"}
    assert s.loc["a", "moved"] == "urbanization_rate 2025"


# --------------------------------------------------------------------------------------------------------
# a small atlas on the real sweep (slow)
# --------------------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_small_atlas_table_has_every_row_and_column(small_atlas):
    _, (paths, summary), _ = small_atlas
    assert summary.n_completed == 8 and summary.n_failed == 0
    table = load_table(paths["table"])
    assert list(table.columns) == ATLAS_COLUMNS
    levers = ["keep_land_rights", "czt_metro_operation"]
    assert list(dict.fromkeys(table["lever"])) == levers
    expected = {(lv, i, y) for lv in levers for i in ATLAS_INDICATORS for y in ATLAS_YEARS}
    assert set(zip(table["lever"], table["indicator"], table["year"], strict=True)) == expected
    assert len(table) == len(expected)
    assert (table["n_pairs"] == 2).all()
    for kind in ("markdown", "chart", "levers", "signs", "settings"):
        assert paths[kind].is_file() and paths[kind].stat().st_size > 0
    assert "keep_land_rights" in paths["markdown"].read_text(encoding="utf-8")


@pytest.mark.slow
def test_small_atlas_effects_are_paired(small_atlas):
    _, (paths, _), _ = small_atlas
    table = load_table(paths["table"])
    metro = table[table["lever"] == "czt_metro_operation"]
    # no mechanism reaches an outcome: with common random numbers every pair is exactly equal
    assert (metro["max_abs_difference"] == 0).all()
    land = table[(table["lever"] == "keep_land_rights") & (table["indicator"] == "hukou_urbanization_rate")]
    assert (land["max_abs_difference"] > 0).all()
    assert (land["median"] > 0).all(), "keeping land rights raises hukou urbanization in this model"
    summary = lever_summary(table).set_index("lever")
    assert summary.loc["czt_metro_operation", "status"] == "inert"
    # 2 pairs are fewer than MIN_PAIRS: no verdict on the flag, whatever the intervals
    assert summary.loc["keep_land_rights", "status"] == "too few pairs" and 2 < MIN_PAIRS


@pytest.mark.slow
def test_small_atlas_is_reproducible_bit_for_bit(small_atlas):
    _, (first, _), (second, _) = small_atlas
    for kind in ("table", "levers", "signs"):
        assert first[kind].read_bytes() == second[kind].read_bytes(), f"{kind} differs between 1 and 2 workers"


@pytest.mark.slow
def test_small_atlas_resumes(small_atlas):
    base, (paths, _), _ = small_atlas
    before = paths["table"].read_bytes()
    again, summary = _small_atlas(base / "one", workers=1)
    assert summary.n_done_before == 8 and summary.n_completed == 0
    assert again["table"].read_bytes() == before


# --------------------------------------------------------------------------------------------------------
# the committed atlas and docs/levers.md (fast)
# --------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def committed():
    return load_table(generate_levers.ATLAS_DIR / "atlas.csv")


def test_committed_atlas_has_every_lever(committed):
    assert set(committed["lever"]) == set(LEVERS)
    for name in LEVERS:
        rows = committed[committed["lever"] == name]
        assert {(i, y) for i, y in zip(rows["indicator"], rows["year"], strict=True)} >= \
            {(i, y) for i in FLAG_INDICATORS for y in ATLAS_YEARS}, name
    assert (committed["n_pairs"] >= MIN_PAIRS).all(), "the committed atlas has enough pairs for the flag"


def test_every_lever_moves_or_has_a_documented_reason(committed):
    notes = generate_levers.load_notes()
    levers_md = generate_levers.LEVERS_MD.read_text(encoding="utf-8")
    summary = lever_summary(committed)
    undocumented = []
    for r in summary.itertuples():
        if r.moves:
            continue
        reason = notes.get(r.lever, {}).get("reason", "")
        section = levers_md.split(f"\n### {r.lever}\n", 1)[-1].split("\n### ", 1)[0]
        if len(reason) < 20 or f"**Why it does not move an outcome:** {reason}" not in section:
            undocumented.append(r.lever)
    assert undocumented == [], f"levers inert without a documented reason in docs/levers.md: {undocumented}"


def test_levers_doc_is_generated_from_the_committed_atlas():
    assert generate_levers.LEVERS_MD.read_text(encoding="utf-8") == generate_levers.render(), \
        "docs/levers.md is out of date: run .venv/bin/python -m docs.generate_levers"
