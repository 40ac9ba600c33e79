"""``run_simulation``: levers from ``policy_start`` (not rewriting the calibrated history) and numpy scalars
accepted wherever a Python number is (EMA Workbench and pandas hand them over)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.errors import InputError
from sim.run import run_simulation
from sim.years import LAST_OBSERVED_YEAR, POLICY_START_YEAR, START_YEAR

SMALL = {"scale": 20000, "seed": 5, "end_year": POLICY_START_YEAR + 2}
LEVERS = {"permit_schooling_share": 1.0, "settlement_min_years": 0}


def _hunan(result, indicator="urbanization_rate"):
    df = result.indicators
    return df[(df.region == "Hunan") & (df.indicator == indicator)].set_index("year").value


def test_levers_apply_from_the_year_after_the_calibration_period_by_default():
    assert POLICY_START_YEAR == LAST_OBSERVED_YEAR + 1
    base = run_simulation(**SMALL)
    lever = run_simulation(levers=LEVERS, **SMALL)
    history = list(range(START_YEAR, LAST_OBSERVED_YEAR + 1))
    keys = ["year", "region", "indicator"]
    b, v = (r.indicators.set_index(keys).value for r in (base, lever))
    assert b[b.index.get_level_values("year").isin(history)].equals(v[v.index.get_level_values("year").isin(history)])
    after = b.index.get_level_values("year") >= POLICY_START_YEAR
    assert not b[after].equals(v[after])
    block = lever.provenance["scenario"]["policy"][-1]
    assert block["from"] == POLICY_START_YEAR and block["levers"] == {k: float(x) for k, x in LEVERS.items()}


def test_policy_start_2010_applies_levers_from_the_start():
    base = run_simulation(**SMALL)
    early = run_simulation(levers=LEVERS, policy_start=START_YEAR, **SMALL)
    assert not _hunan(base).loc[:LAST_OBSERVED_YEAR].equals(_hunan(early).loc[:LAST_OBSERVED_YEAR])


def test_numpy_scalars_are_accepted_as_the_numbers_they_hold():
    plain = run_simulation(levers={"settlement_min_years": 1, "keep_land_rights": True}, taste_scale=1.1, **SMALL)
    numpy = run_simulation(scale=np.float64(20000), seed=np.int64(5), end_year=np.int64(POLICY_START_YEAR + 2),
                           policy_start=np.int32(POLICY_START_YEAR),
                           levers={"settlement_min_years": np.int64(1), "keep_land_rights": np.bool_(True)},
                           taste_scale=np.float32(1.1).item())
    assert plain.indicators.equals(numpy.indicators)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"policy_start": 2009}, "policy_start"), ({"policy_start": 2021.5}, "policy_start"),
    ({"policy_start": True}, "policy_start"), ({"seed": np.float64(1.5)}, "seed"),
    ({"levers": {"settlement_min_years": np.int64(11)}}, "settlement_min_years"),
    ({"no_such_parameter": 1.0}, "no_such_parameter"),
])
def test_bad_values_are_refused_naming_the_field(kwargs, field):
    with pytest.raises(InputError) as err:
        run_simulation(**{**SMALL, **kwargs})
    assert err.value.field == field
