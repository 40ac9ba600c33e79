"""The researcher's trials (experiments/trials.py): arms, pairing, intervals and argument checks.

The model runs are tiny (3 seeds at 1:5,000 to 2025 for the 2 x 2, 2 seeds for the Changsha trial): about 10 s.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from experiments import trials
from experiments.analysis import T95, t95, t_interval, unpaired_t_interval
from sim.data import division_names
from sim.errors import InputError
from sim.scenario import Scenario


@pytest.fixture(scope="module")
def housing_land():
    return trials.run_housing_land(3, 5000, end_year=2025)


@pytest.fixture(scope="module")
def changsha():
    return trials.run_changsha_insurance(2, 5000, shares=(0.25, 0.75))


# ---- intervals -----------------------------------------------------------------------------------------------

def test_t_intervals_by_hand():
    mean, half = t_interval([1.0, 2.0, 3.0])
    assert mean == 2.0 and half == pytest.approx(4.303 / math.sqrt(3))
    # independent samples: Welch standard error, df = n_a + n_b - 2
    diff, half = unpaired_t_interval([1.0, 2.0, 3.0], [0.0, 0.0, 3.0])
    assert diff == pytest.approx(1.0)
    assert half == pytest.approx(2.776 * math.sqrt(1.0 / 3 + 3.0 / 3))
    assert t95(1) == T95[0] == 12.706 and t95(100) == T95[-1]
    with pytest.raises(InputError, match="values"):
        t_interval([1.0])


def test_county_towns_shares_the_t_table():
    from experiments import county_towns

    assert not hasattr(county_towns, "_T95")
    assert county_towns.t_interval is t_interval


# ---- arms ----------------------------------------------------------------------------------------------------

def test_the_four_arms_differ_in_the_levers_from_2021_only():
    plan = Scenario.load("plan-2021")
    arms = trials.housing_land_arms(plan)
    assert set(arms) == {(False, False), (True, False), (False, True), (True, True)}
    plan_units = plan.policy(2021).values["public_rental_units_per_year"]
    assert plan_units.min() > 0
    for (housing, land), scen in arms.items():
        p = scen.policy(2021).values
        assert np.all(p["permit_housing_share"] == (1.0 if housing else 0.0))
        assert p["keep_land_rights"] == float(land)
        expected = trials.HOUSING_MULTIPLE * plan_units if housing else plan_units
        np.testing.assert_allclose(p["public_rental_units_per_year"], expected)
        # the extra units are kept to 2035; without them the plan's own schedule (2021-2025) holds
        later = scen.policy(2030).values["public_rental_units_per_year"]
        plan_later = plan.policy(2030).values["public_rental_units_per_year"]
        np.testing.assert_allclose(later, trials.HOUSING_MULTIPLE * plan_units if housing else plan_later)
        # 2010-2020 is history: every lever as in the plan
        for name, value in scen.policy(2020).values.items():
            np.testing.assert_array_equal(value, plan.policy(2020).values[name], err_msg=name)


def test_the_changsha_arm_opens_the_central_city_from_2022():
    arms = trials.changsha_arms()
    changsha = division_names().index("Changsha")
    plan, open_ = arms["plan"], arms["changsha-open"]
    for lever in trials.CHANGSHA_OPEN:
        assert open_.policy(2022).values[lever][changsha] == 0
        assert open_.policy(2021).values[lever][changsha] == plan.policy(2021).values[lever][changsha]
        # the county towns keep the plan's rules
        assert open_.policy(2022).town_values[lever][changsha] == plan.policy(2022).town_values[lever][changsha]
    assert plan.policy(2022).values["settlement_min_years"][changsha] > 0  # else the trial compares nothing


# ---- runs ----------------------------------------------------------------------------------------------------

def test_housing_effects_are_paired_differences(housing_land):
    res = housing_land
    key = "hukou_urbanization_rate@Hunan@2025"
    contrasts = res.contrasts()
    unpaired = res.unpaired_housing()
    for land, name in ((False, "housing, land given up"), (True, "housing, land kept")):
        diffs = res.values[(True, land)][key] - res.values[(False, land)][key]
        effect = contrasts[name][key]
        np.testing.assert_array_equal(effect.diffs, diffs)
        assert (effect.mean, effect.half) == t_interval(diffs)
        # the same runs treated as independent samples: the same mean, the two-sample interval. Whether pairing
        # narrows the interval depends on how much of the arms' variance they share; at 3 seeds and 1:5,000 it
        # is not guaranteed (it did at 2dc14d6, not after issue 19's changes), so this example checks the
        # computation; docs/experiment-trials.md shows the narrowing at 6 seeds and 1:100 (ratios 0.18-0.22)
        assert unpaired[name][key] == pytest.approx(
            unpaired_t_interval(res.values[(True, land)][key], res.values[(False, land)][key]))
        assert unpaired[name][key][0] == pytest.approx(effect.mean)
    inter = contrasts["interaction"][key].diffs
    v = res.values
    np.testing.assert_allclose(inter, v[(True, True)][key] - v[(True, False)][key] - v[(False, True)][key]
                               + v[(False, False)][key])
    # the arms really differ: the housing arm has the extra public rental stock, the same in every seed
    units = contrasts["housing, land kept"]["public_rental_units@Hunan@2025"]
    assert units.mean > 0 and units.half == 0
    assert [o.key for o in res.outputs] == ["settled_migrants@Hunan@2021-2025", key,
                                            "urbanization_rate@Hunan@2025", "outside_hunan_population@Hunan@2025",
                                            "public_rental_units@Hunan@2025"]
    text = trials.housing_land_markdown(res)
    for heading in (*contrasts, "unpaired", "width ratio", "housing-on/land-kept"):
        assert heading in text


def test_changsha_effect_by_insurance_share(changsha):
    res = changsha
    assert res.shares == (0.25, 0.75)
    effects = res.effects()
    key = "hukou_urbanization_rate@Hunan@2025"
    for share in res.shares:
        arms = res.values[share]
        np.testing.assert_array_equal(effects[share][key].diffs, arms["changsha-open"][key] - arms["plan"][key])
    # the parameter reaches the model: the plan's own level differs between the shares
    assert not np.array_equal(res.values[0.25]["plan"][key], res.values[0.75]["plan"][key])
    text = trials.changsha_markdown(res)
    assert "| 0.25 |" in text and "| 0.75 |" in text


# ---- arguments -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("kwargs", "field"), [
    ({"seeds": 1}, "seeds"), ({"seeds": 31}, "seeds"), ({"seeds": 2.5}, "seeds"), ({"seeds": True}, "seeds"),
    ({"scale": 0}, "scale"), ({"scale": math.nan}, "scale"), ({"scale": "100"}, "scale"),
    ({"end_year": 2024}, "end_year"), ({"end_year": 2036}, "end_year"),
])
def test_bad_arguments_name_the_field(kwargs, field):
    with pytest.raises(InputError, match=f"field '{field}'"):
        trials.run_housing_land(**{"seeds": 2, "scale": 5000, **kwargs})


def test_a_bad_insurance_share_is_refused_before_any_run():
    with pytest.raises(InputError, match="migrant_insurance_share"):
        trials.run_changsha_insurance(2, 5000, shares=(0.5, 1.5))
    with pytest.raises(InputError, match="field 'shares'"):
        trials.run_changsha_insurance(2, 5000, shares=())


@pytest.mark.parametrize(("argv", "message"), [
    (["housing-land", "--seeds", "1"], "option --seeds: value 1 must be from 2 to 30"),
    (["housing-land", "--scale", "0"], "option --scale"),
    (["housing-land", "--scale", "x"], "option --scale"),
    (["atlas"], "invalid choice"),
])
def test_the_command_line_refuses_bad_options(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        trials.main(argv)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("out", ["x.txt", "missing/x.md"])
def test_the_command_line_refuses_a_bad_out_file_before_running(out, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(trials, "run_housing_land", lambda *a, **k: pytest.fail("ran before checking --out"))
    assert trials.main(["housing-land", "--out", str(tmp_path / out)]) == 2
    assert "field '--out'" in capsys.readouterr().err


def test_the_command_line_writes_the_tables(housing_land, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(trials, "run_housing_land", lambda seeds, scale, **k: housing_land)
    out = tmp_path / "trials.md"
    assert trials.main(["housing-land", "--seeds", "3", "--scale", "5000", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("## housing-land") and text in capsys.readouterr().out
