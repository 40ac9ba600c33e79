"""The synthesised 2010 population reproduces the 6th census by division, within sampling error."""

from __future__ import annotations

import numpy as np

from sim.data import load_counties_2010, load_divisions, load_province_totals_2010


def _division_value(model, indicator):
    df = model.indicators()
    return df[(df.year == 2010) & (df.indicator == indicator)].set_index("region").value


def test_population_by_division_matches_2010_census(baseline_2010):
    # compare with the county table summed to 2010 divisions (the model is built from it)
    counties = load_counties_2010()
    names = load_divisions().division_en.tolist()
    census = counties.groupby("division").population.sum().rename(index=dict(enumerate(names)))
    sim = _division_value(baseline_2010, "population")
    # 100 households per agent: ~20k records per division; relative sampling error well under 2 %
    rel = (sim[census.index] - census) / census
    assert np.abs(rel).max() < 0.03, rel.round(4).to_dict()


def test_urbanization_rate_by_division_matches_2010_census(baseline_2010):
    counties = load_counties_2010()
    names = load_divisions().division_en.tolist()
    g = counties.groupby("division")
    census = (100 * g.urban_population.sum() / g.population.sum()).rename(index=dict(enumerate(names)))
    sim = _division_value(baseline_2010, "urbanization_rate")
    assert np.abs(sim[census.index] - census).max() < 1.5


def test_province_totals_match_2010_census(baseline_2010):
    totals = load_province_totals_2010()
    hunan = _division_value(baseline_2010, "population")["Hunan"]
    assert abs(hunan - totals["population"]) / totals["population"] < 0.01
    urb = _division_value(baseline_2010, "urbanization_rate")["Hunan"]
    assert abs(urb - 43.31) < 0.5
    gap = _division_value(baseline_2010, "registered_minus_resident")["Hunan"]
    assert abs(gap - 5.08e6) / 5.08e6 < 0.05  # registered 70.78 M minus resident 65.70 M
    other_prov = _division_value(baseline_2010, "registered_other_province")["Hunan"]
    assert abs(other_prov - totals["in_migrants_other_province"]) / totals["in_migrants_other_province"] < 0.1


def test_every_household_record_is_well_formed(baseline_2010):
    c = baseline_2010.households.cols
    assert (c["n_members"] >= 1).all()
    assert (c["n_children"] >= 0).all() and (c["n_children"] < c["n_members"]).all()
    assert ((c["loc"] >= 0) & (c["loc"] <= baseline_2010.places.outside)).all()
    assert len(np.unique(c["hid"])) == len(c["hid"])
