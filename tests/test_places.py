"""The places table (sim/places.py): the division-level network, its lookups, and a finer network's shape."""

from __future__ import annotations

import numpy as np
import pytest

import agents.households as households_module
from agents.households import choice_cdf, choose_destinations, group_index, type_utilities, utility_table
from sim.data import load_divisions
from sim.model import HunanModel
from sim.places import N_DIVISIONS, OUTSIDE_DIV, PlaceKind, Places, default_places


@pytest.fixture(scope="module")
def places() -> Places:
    return default_places()


@pytest.fixture(scope="module")
def model() -> HunanModel:
    m = HunanModel(scale=2000, rng=5, end_year=2012)
    m.step()
    return m


@pytest.fixture(scope="module")
def division_model() -> HunanModel:
    """The division network, whose full utility table is small enough to compare against (at county resolution,
    225 places, the full table of every type would take about 5 GB)."""
    m = HunanModel(scale=2000, rng=5, end_year=2012, network="division")
    m.step()
    return m


def county_like(n_towns: int = 3) -> Places:
    """A finer network of the county kind: per division a central city, ``n_towns`` county towns and a rural
    place, then outside."""
    names = tuple(load_divisions().division_en)
    division, kind, county = [], [], []
    for d in range(N_DIVISIONS):
        division += [d] * (n_towns + 2)
        kind += [PlaceKind.CENTRAL_CITY] + [PlaceKind.COUNTY_TOWN] * n_towns + [PlaceKind.RURAL]
        county += [-1] + [10 * d + t for t in range(n_towns)] + [-1]
    division.append(OUTSIDE_DIV)
    kind.append(PlaceKind.OUTSIDE)
    county.append(-1)
    kind_arr = np.array(kind, dtype=np.int8)
    return Places(division=np.array(division, dtype=np.int8), county=np.array(county, dtype=np.int16),
                  kind=kind_arr, is_urban=kind_arr != PlaceKind.RURAL, node=np.array(division, dtype=np.int64),
                  node_names=names + ("outside",), division_names=names)


def test_division_level_table_has_a_rural_and_an_urban_place_per_division_and_outside(places) -> None:
    assert places.n == 2 * N_DIVISIONS + 1
    assert places.outside == places.n - 1 and places.kind[places.outside] == PlaceKind.OUTSIDE
    assert list(places.division_names) == load_divisions().division_en.tolist()
    for d in range(N_DIVISIONS):
        mine = np.flatnonzero(places.division == d)
        assert sorted(places.kind[mine].tolist()) == [PlaceKind.RURAL, PlaceKind.URBAN]
    np.testing.assert_array_equal(places.division[places.urban_places()], np.arange(N_DIVISIONS))
    np.testing.assert_array_equal(places.division[places.rural_places()], np.arange(N_DIVISIONS))
    assert places.is_urban[places.outside] and not places.in_hunan_city[places.outside]
    assert places.in_hunan_city.sum() == N_DIVISIONS and places.is_village.sum() == N_DIVISIONS
    assert places.county.tolist() == [-1] * places.n  # no place is one county's at division level
    assert places.loc_dtype == np.int8
    with pytest.raises(ValueError, match="read-only"):
        places.in_hunan_city[0] = True  # the table is shared by every model: nobody may change it


def test_lookups_agree_with_the_kinds(places) -> None:
    city = places.urban_places()
    np.testing.assert_array_equal(places.city_division[city], places.division[city])
    assert (places.city_division[~places.in_hunan_city] == -1).all()
    assert places.lookup_division[places.outside] == N_DIVISIONS - 1  # a valid row of per-division arrays
    assert places.label(int(city[0])) == (places.division_names[0], "urban")
    assert places.label(int(places.rural_places()[3])) == (places.division_names[3], "rural")
    assert places.label(places.outside) == ("outside", "outside")


def test_hukou_place_is_the_divisions_urban_or_rural_place_and_other_provinces_are_outside(places) -> None:
    div = np.array([0, 0, 5, 13, OUTSIDE_DIV, OUTSIDE_DIV], dtype=np.int8)
    urban = np.array([True, False, True, False, True, False])
    got = places.hukou_place(div, urban)
    assert got.tolist() == [places.urban_places()[0], places.rural_places()[0], places.urban_places()[5],
                            places.rural_places()[13], places.outside, places.outside]


def test_by_division_keeps_a_single_places_value_bit_for_bit_and_sums_several(places) -> None:
    rng = np.random.default_rng(1)
    per_place = rng.random(places.n) * 1e6
    np.testing.assert_array_equal(places.urban_by_division(per_place), per_place[places.urban_places()])
    np.testing.assert_array_equal(places.by_division(per_place),
                                  per_place[places.rural_places()] + per_place[places.urban_places()])
    two_d = rng.random((places.n, 3))
    np.testing.assert_array_equal(places.rural_by_division(two_d), two_d[places.rural_places()])
    fine = county_like(3)
    ones = np.ones(fine.n)
    np.testing.assert_array_equal(fine.urban_by_division(ones), np.full(N_DIVISIONS, 4.0))
    np.testing.assert_array_equal(fine.by_division(ones), np.full(N_DIVISIONS, 5.0))  # outside is not counted


def test_spread_fills_urban_rural_and_outside_places(places) -> None:
    urban = np.arange(N_DIVISIONS, dtype=float)
    out = places.spread(urban=urban, rural=-1.0, outside=99.0)
    np.testing.assert_array_equal(out[places.urban_places()], urban)
    assert (out[places.rural_places()] == -1.0).all() and out[places.outside] == 99.0
    table = places.spread(urban=np.stack([urban, urban + 0.5], axis=1), outside=[7.0, 8.0], tail=(2,))
    assert table.shape == (places.n, 2) and table[places.outside].tolist() == [7.0, 8.0]
    fine = county_like(2)
    spread = fine.spread(urban=urban)
    np.testing.assert_array_equal(spread[fine.in_hunan_city], urban[fine.division[fine.in_hunan_city]])


def test_hours_between_places_are_their_nodes_hours(places) -> None:
    nodes = len(places.node_names)
    node_hours = np.arange(nodes * nodes, dtype=float).reshape(nodes, nodes)
    hours = places.hours(node_hours)
    assert hours.shape == (places.n, places.n)
    u3, r3 = places.urban_places()[3], places.rural_places()[3]
    assert hours[u3, places.outside] == hours[r3, places.outside] == node_hours[3, nodes - 1]


def test_a_finer_network_gets_a_wider_loc_type_and_places_hukou_in_the_central_city() -> None:
    fine = county_like(20)  # 14 x 22 + 1 = 309 places
    assert fine.n == 309 and fine.loc_dtype == np.int16
    assert fine.kind[fine.hukou_place(np.array([4]), np.array([True]))[0]] == PlaceKind.CENTRAL_CITY
    assert fine.kind[fine.hukou_place(np.array([4]), np.array([False]))[0]] == PlaceKind.RURAL
    assert fine.hukou_place(np.array([4]), np.array([True])).dtype == np.int16
    # per-household keys (place x a few cells) widen before they could overflow
    assert fine.key_dtype(9) == np.int16 and county_like(300).key_dtype(9) == np.int32


def test_bad_tables_are_refused(places) -> None:
    kind = places.kind.copy()
    kind[0] = PlaceKind.OUTSIDE
    with pytest.raises(ValueError, match="exactly one place must be of kind OUTSIDE"):
        Places(division=places.division, county=places.county, kind=kind, is_urban=places.is_urban,
               node=places.node, node_names=places.node_names, division_names=places.division_names)
    is_urban = places.is_urban.copy()
    is_urban[0] = ~is_urban[0]
    with pytest.raises(ValueError, match="is_urban"):
        Places(division=places.division, county=places.county, kind=places.kind, is_urban=is_urban,
               node=places.node, node_names=places.node_names, division_names=places.division_names)


def test_model_households_indicators_and_markets_read_the_worlds_table(model) -> None:
    assert model.places is model.world.places
    assert model.households.places is model.places
    assert model.households.cols["loc"].dtype == model.places.loc_dtype
    pop = model.indicators().query("year == 2011 and indicator == 'population'").set_index("region").value
    persons = model.households.persons_by_loc() * model.scale
    assert pop["outside"] == persons[model.places.outside]
    assert pop[model.places.division_names[2]] == model.places.by_division(persons)[2]


def test_utilities_of_occupied_types_are_the_full_tables_rows_bit_for_bit(division_model, monkeypatch) -> None:
    model = division_model
    ctx, p = model.choice_context(), model.params
    types = np.unique(group_index(model.households))
    full = utility_table(ctx, p).reshape(-1, model.places.n)
    rows = type_utilities(ctx, p, types)
    np.testing.assert_array_equal(rows, full[types])
    # computing the rows in small blocks changes nothing either
    monkeypatch.setattr(households_module, "TYPE_CELLS", 7 * model.places.n)
    np.testing.assert_array_equal(type_utilities(ctx, p, types), rows)
    np.testing.assert_array_equal(choice_cdf(rows, p.taste_scale), choice_cdf(full, p.taste_scale)[types])


def test_county_utilities_do_not_depend_on_the_type_blocks(model, monkeypatch) -> None:
    ctx, p = model.choice_context(), model.params
    assert model.places.n > 200 and model.places.by_county
    types = np.unique(group_index(model.households))
    rows = type_utilities(ctx, p, types)
    monkeypatch.setattr(households_module, "TYPE_CELLS", 7 * model.places.n)
    np.testing.assert_array_equal(type_utilities(ctx, p, types), rows)
    got = choose_destinations(model.households, None, 0.5, np.random.default_rng(3), context=ctx, params=p)
    monkeypatch.setattr(households_module, "TYPE_CELLS", 2**17)
    again = choose_destinations(model.households, None, 0.5, np.random.default_rng(3), chunk=777, context=ctx, params=p)
    np.testing.assert_array_equal(got[0], again[0])
    np.testing.assert_array_equal(got[1], again[1])
    assert len(np.unique(got[1])) > 50  # households choose among the county network's places


def test_destination_draws_are_the_same_whichever_blocks_and_chunks(division_model, monkeypatch) -> None:
    model = division_model
    ctx, p, h = model.choice_context(), model.params, model.households
    cdf = choice_cdf(utility_table(ctx, p), p.taste_scale)
    who, dest = choose_destinations(h, cdf, 0.5, np.random.default_rng(3))
    assert dest.dtype == model.places.loc_dtype and len(np.unique(dest)) > 10
    got = choose_destinations(h, None, 0.5, np.random.default_rng(3), context=ctx, params=p)
    np.testing.assert_array_equal(got[0], who)
    np.testing.assert_array_equal(got[1], dest)
    # many small type blocks (households visited block by block) and small household chunks
    monkeypatch.setattr(households_module, "TYPE_CELLS", 50 * model.places.n)
    got = choose_destinations(h, None, 0.5, np.random.default_rng(3), chunk=777, context=ctx, params=p)
    np.testing.assert_array_equal(got[0], who)
    np.testing.assert_array_equal(got[1], dest)
