"""Screening before calibration: Morris over the target groups, the selection file, and the settings it feeds."""

from __future__ import annotations

import json

import pytest

from calibration.screening import ALWAYS_ESTIMATED, screen, screened_parameters, select, write_screening
from calibration.simulator import calibrated_parameters
from calibration.smc import CalibrationSettings
from sim.ensemble import dask_client
from calibration.targets import GROUPS
from sim.errors import InputError

NAMES = ["review_rate", "urban_amenity", "buy_rate"]


@pytest.fixture(scope="module")
def table():
    with dask_client(workers=1) as client:
        return screen(client, names=NAMES, trajectories=2, scale=20000, seed=3)


@pytest.mark.slow
def test_screening_gives_each_group_an_effect_per_parameter(table):
    assert set(table.group) == set(GROUPS) and set(table.parameter) == set(NAMES)
    assert (table.mu_star >= 0).all() and table.mu_star_norm.max() == pytest.approx(1.0)
    # moving people to the cities matters for the provincial path; the home purchase rate hardly does
    path = table[table.group == "provincial_path"].set_index("parameter").mu_star
    assert path["urban_amenity"] > path["buy_rate"]


@pytest.mark.slow
def test_selection_round_trips_through_the_file(table, tmp_path):
    kept = select(table, threshold=0.4)
    assert kept and set(kept) <= set(NAMES)
    path = write_screening(table, kept, trajectories=2, scale=20000, seed=3, path=tmp_path / "s.json")
    assert screened_parameters(path) == kept
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert set(doc["fixed"]) == set(NAMES) - set(kept)


@pytest.mark.slow
def test_parameters_the_levers_act_through_are_estimated_whatever_their_effect(table):
    renamed = table.assign(parameter=table.parameter.replace({"buy_rate": "service_value"}))
    # a threshold above every normalised effect keeps only the parameters the levers act through
    assert select(renamed, threshold=1.01) == ["service_value"]
    assert select(renamed, threshold=1.01, always=()) == []


def test_screening_file_naming_an_unknown_parameter_is_refused(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"estimated": ["review_rate", "warp_speed"]}), encoding="utf-8")
    with pytest.raises(InputError, match="warp_speed"):
        screened_parameters(path)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="estimated"):
        screened_parameters(path)


def test_settings_estimate_the_listed_parameters_in_declaration_order():
    s = CalibrationSettings(parameters=("urban_amenity", "review_rate"))
    assert s.parameter_names() == ["review_rate", "urban_amenity"]
    assert CalibrationSettings().parameter_names() == calibrated_parameters()
    with pytest.raises(InputError, match="parameters"):
        CalibrationSettings(parameters=("warp_speed",))


def test_shipped_screening_keeps_a_subset_of_the_calibrated_parameters():
    kept = screened_parameters()
    assert kept is not None and 0 < len(kept) < len(calibrated_parameters())
    assert set(ALWAYS_ESTIMATED) <= set(kept)


def test_search_box_lies_in_the_declared_range_around_the_default():
    from calibration.simulator import prior_bounds, search_bounds
    from sim.parameters import parameter_specs

    names = calibrated_parameters()
    specs = parameter_specs()
    declared = prior_bounds(names)
    assert search_bounds(names, 1.0) == declared
    for n, (lo, hi) in search_bounds(names, 0.3).items():
        dlo, dhi = declared[n]
        assert dlo <= lo < hi <= dhi
        assert hi - lo == pytest.approx(0.3 * (dhi - dlo))
        assert lo <= specs[n]["default"] <= hi
    with pytest.raises(InputError, match="search_box"):
        search_bounds(names, 1.5)
