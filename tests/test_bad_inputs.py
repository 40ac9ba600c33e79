"""Bad input stops with one clear message naming the file, the field, the value and what is allowed."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from sim.data import load_counties_2010, load_divisions
from sim.errors import DataError, InputError
from sim.model import HunanModel
from sim.parameters import ModelParameters
from sim.scenario import Scenario


def _write(tmp_path, text, name="s.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_unknown_division_is_named(tmp_path):
    path = _write(tmp_path, '[[policy]]\ncities = ["Gotham"]\n[policy.levers]\nsettlement_min_years = 1\n')
    with pytest.raises(InputError) as err:
        Scenario.load(path)
    msg = str(err.value)
    assert "Gotham" in msg and "city" in msg and "Changsha" in msg and str(path) in msg


def test_out_of_range_lever_is_named(tmp_path):
    path = _write(tmp_path, '[[policy]]\n[policy.levers]\npermit_schooling_share = 1.5\n')
    with pytest.raises(InputError) as err:
        Scenario.load(path)
    msg = str(err.value)
    assert "permit_schooling_share" in msg and "1.5" in msg and "0 to 1" in msg


def test_mistyped_lever_lists_the_known_ones(tmp_path):
    path = _write(tmp_path, '[[policy]]\n[policy.levers]\nsettlement_min_yeras = 1\n')
    with pytest.raises(InputError) as err:
        Scenario.load(path)
    assert "settlement_min_yeras" in str(err.value) and "settlement_min_years" in str(err.value)


def test_wrong_type_lever(tmp_path):
    path = _write(tmp_path, '[[policy]]\n[policy.levers]\nkeep_land_rights = "yes"\n')
    with pytest.raises(InputError) as err:
        Scenario.load(path)
    assert "keep_land_rights" in str(err.value) and "true or false" in str(err.value)


def test_malformed_toml_names_the_file(tmp_path):
    path = _write(tmp_path, '[[policy]\nfrom = 2021\n')
    with pytest.raises(InputError) as err:
        Scenario.load(path)
    assert str(path) in str(err.value) and "TOML" in str(err.value)


def test_unknown_top_level_key(tmp_path):
    path = _write(tmp_path, 'nmae = "x"\n')
    with pytest.raises(InputError) as err:
        Scenario.load(path)
    assert "nmae" in str(err.value)


def test_province_lever_with_cities_is_refused(tmp_path):
    path = _write(tmp_path, '[[policy]]\ncities = ["Changsha"]\n[policy.levers]\nkeep_land_rights = true\n')
    with pytest.raises(InputError, match="province-wide"):
        Scenario.load(path)


def test_until_before_from(tmp_path):
    path = _write(tmp_path, '[[policy]]\nfrom = 2025\nuntil = 2021\n[policy.levers]\nsettlement_min_years = 1\n')
    with pytest.raises(InputError, match="until"):
        Scenario.load(path)


def test_out_of_range_parameter():
    with pytest.raises(InputError) as err:
        ModelParameters().replace(review_rate=2.0)
    assert "review_rate" in str(err.value) and "2.0" in str(err.value)


def test_string_seed_is_refused():
    with pytest.raises(InputError, match="seed"):
        HunanModel(scale=50000, rng="42")


def test_scale_guard_refuses_what_will_not_fit():
    with pytest.raises(InputError) as err:
        HunanModel(scale=1, memory_limit=1e9)
    assert "scale" in str(err.value) and "GiB" in str(err.value)


@pytest.fixture
def data_copy(tmp_path):
    from sim.data import DATA_DIR

    dst = tmp_path / "data"
    shutil.copytree(DATA_DIR, dst)
    return dst


def test_data_table_with_missing_column_is_named(data_copy):
    path = data_copy / "census" / "hunan_county_census_2010.csv"
    df = pd.read_csv(path).drop(columns=["城镇人口"])
    df.to_csv(path, index=False)
    with pytest.raises(DataError) as err:
        load_counties_2010(data_copy)
    assert "城镇人口" in str(err.value) and str(path) in str(err.value)


def test_data_table_with_out_of_range_value_is_named(data_copy):
    path = data_copy / "divisions_coordinates_hsr_stations.csv"
    df = pd.read_csv(path)
    df.loc[0, "lat"] = 95.0
    df.to_csv(path, index=False)
    with pytest.raises(DataError) as err:
        load_divisions(data_copy)
    assert "lat" in str(err.value) and "95" in str(err.value)
