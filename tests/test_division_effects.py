"""Calibrated division effects and arrivals from other provinces: loading, bad files, direction, fitting."""

from __future__ import annotations

import json

import numpy as np
import pytest

from calibration.division_effects import fit_division_effects, observed_shares, simulated_populations
from sim.data import DIVISION_EFFECTS_PATH, division_names, load_division_effects
from sim.errors import DataError, InputError
from sim.model import HunanModel
from sim.parameters import ModelParameters
from sim.run import run_simulation

SCALE = 2000


def _write(tmp_path, effects):
    path = tmp_path / "effects.json"
    path.write_text(json.dumps({"effects": effects}), encoding="utf-8")
    return path


def _zero_table():
    return {n: {"urban": 0.0, "rural": 0.0} for n in division_names()}


def test_missing_file_means_no_effects(tmp_path):
    assert not load_division_effects(tmp_path / "absent.json").any()


@pytest.mark.parametrize("mutate, field, value", [
    (lambda t: t.pop("Loudi"), "effects", "13 divisions"),
    (lambda t: t.update({"Atlantis": {"urban": 0, "rural": 0}}), "effects", "Atlantis"),
    (lambda t: t["Changsha"].update({"urban": 99.0}), "effects.Changsha.urban", "99.0"),
    (lambda t: t["Xiangxi"].update({"rural": "high"}), "effects.Xiangxi.rural", "high"),
])
def test_bad_effects_file_names_field_and_value(tmp_path, mutate, field, value):
    table = _zero_table()
    mutate(table)
    with pytest.raises(DataError) as err:
        load_division_effects(_write(tmp_path, table))
    message = str(err.value)
    assert field in message and value in message


def test_corrupt_effects_file_is_a_data_error(tmp_path):
    path = tmp_path / "effects.json"
    path.write_text('{"effects": {"Changsha": ', encoding="utf-8")
    with pytest.raises(DataError, match="effects"):
        load_division_effects(path)


def test_wrong_shape_given_to_the_model_is_refused():
    with pytest.raises(InputError, match="division_effects"):
        HunanModel(scale=SCALE, rng=1, division_effects=np.zeros((13, 2)))


def test_shipped_effects_are_centred_and_carry_provenance():
    doc = json.loads(DIVISION_EFFECTS_PATH.read_text(encoding="utf-8"))
    effects = load_division_effects()
    u_obs, r_obs = observed_shares()
    # weighted-mean zero: the effects move people between divisions, not into or out of cities overall
    assert abs(float(effects[:, 0] @ u_obs)) < 1e-4 and abs(float(effects[:, 1] @ r_obs)) < 1e-4
    prov = doc["provenance"]
    for key in ("created", "git_commit", "targets", "parameters", "scale", "seed", "max_share_error_pp"):
        assert key in prov


def test_a_more_attractive_countryside_keeps_more_people_there():
    params = ModelParameters()
    names = division_names()
    d = names.index("Loudi")
    zero = np.zeros((len(names), 2))
    plus = zero.copy()
    plus[d, 1] = 1.0
    _, rural0 = simulated_populations(params, zero, scale=SCALE, seed=3)
    _, rural1 = simulated_populations(params, plus, scale=SCALE, seed=3)
    assert rural1[d] > rural0[d] * 1.02


def test_fixed_point_reduces_the_share_errors():
    fit = fit_division_effects(ModelParameters(), scale=2000, seed=1, max_iterations=4, tolerance=0.0,
                               progress=False)
    first = fit.history[0]["max_share_error_pp"]
    assert fit.max_share_error < 0.6 * first
    assert fit.effects.shape == (14, 2) and np.isfinite(fit.effects).all()


def test_arrivals_from_other_provinces_raise_their_share_of_residents():
    def other_province(inflow):
        params = ModelParameters().replace(other_province_inflow=inflow)
        df = run_simulation(params=params, seed=2, scale=SCALE, end_year=2020).indicators
        row = df[(df.indicator == "registered_other_province") & (df.region == "Hunan") & (df.year == 2020)]
        return float(row.value.iloc[0])

    assert other_province(0.008) > 1.5 * other_province(0.0)
