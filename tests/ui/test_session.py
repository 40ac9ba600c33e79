"""The per-session simulation behind the page (no browser)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.errors import InputError
from sim.scenario import Scenario
from ui.session import LeverChange, SimSession, active_changes

SCALE = 2000  # the coarsest scale the page offers: these tests check bookkeeping, not the model


@pytest.fixture
def session() -> SimSession:
    return SimSession(seed=3, scale=SCALE)


def test_step_advances_the_year_and_extends_every_series(session: SimSession) -> None:
    assert session.year == 2010
    years, values = session.series("urbanization_rate")
    assert years == [2010] and len(values) == 1
    session.step(2)
    assert session.year == 2012
    years, _ = session.series("urbanization_rate", "Changsha")
    assert years == [2010, 2011, 2012]
    assert np.isfinite(session.latest("population", "Changsha"))


def test_sessions_do_not_share_a_model() -> None:
    a, b = SimSession(seed=1, scale=SCALE), SimSession(seed=1, scale=SCALE)
    a.step(2)
    assert a.model is not b.model
    assert (a.year, b.year) == (2012, 2010)


def test_lever_set_mid_run_applies_from_next_year_and_never_rewrites_the_past(session: SimSession) -> None:
    session.levers_from = 2011
    session.step(2)  # now 2012
    before = session.scenario().policy(2012)["keep_land_rights"]
    session.set_lever("keep_land_rights", True)
    assert session.scenario().policy(2012)["keep_land_rights"] == before
    assert session.scenario().policy(2013)["keep_land_rights"] == 1.0
    assert session.n_changed() == 1


def test_city_lever_for_one_city_leaves_the_others(session: SimSession) -> None:
    session.set_lever("settlement_min_years", 5, "Changsha")
    value, differs = session.lever_value_for("settlement_min_years", "Changsha")
    assert value == 5.0 and not differs
    values = session.lever_values("settlement_min_years")
    assert values[0] == 5.0 and (values[1:] != 5.0).all()
    _, differs_all = session.lever_value_for("settlement_min_years")
    assert differs_all


def test_setting_all_cities_supersedes_earlier_single_city_changes() -> None:
    changes = [LeverChange("settlement_min_years", "Changsha", 5.0, 2021),
               LeverChange("settlement_min_years", None, 2.0, 2021),
               LeverChange("keep_land_rights", None, True, 2021)]
    active = active_changes(changes)
    assert [(c.lever, c.city) for c in active] == [("settlement_min_years", None), ("keep_land_rights", None)]


def test_refused_lever_value_leaves_the_scenario_unchanged(session: SimSession) -> None:
    scenario = session.scenario()
    with pytest.raises(InputError, match="government_cost_share"):
        session.set_lever("government_cost_share", 5.0)
    with pytest.raises(InputError):
        session.set_lever("keep_land_rights", True, "Changsha")  # a province lever has no city
    assert session.scenario() is scenario and session.n_changed() == 0


def test_restore_preset_ends_changes_after_this_year(session: SimSession) -> None:
    session.levers_from = 2011
    session.set_lever("keep_land_rights", True)
    session.step(3)  # 2013: the change applied in 2011-2013
    session.restore_preset()
    assert session.scenario().policy(2012)["keep_land_rights"] == 1.0
    assert session.scenario().policy(2014)["keep_land_rights"] == 0.0
    assert session.n_changed() == 0


def test_reset_reruns_from_2010_with_the_levers_now_set(session: SimSession) -> None:
    session.step(2)
    session.set_lever("settlement_min_years", 4, "Changsha")
    session.reset(levers_from=2015)
    assert session.year == 2010
    assert session.scenario().policy(2014).city("settlement_min_years")[0] != 4.0
    assert session.scenario().policy(2015).city("settlement_min_years")[0] == 4.0
    assert session.scenario_for_rerun().blocks == session.scenario().blocks


def test_refused_reset_keeps_the_running_model(session: SimSession) -> None:
    session.step(1)
    model = session.model
    with pytest.raises(InputError):
        session.reset(scenario="no-such-scenario")
    assert session.model is model and session.year == 2011


def test_same_seed_and_levers_give_the_same_run_and_following_does_not_change_it() -> None:
    a, b = SimSession(seed=11, scale=SCALE), SimSession(seed=11, scale=SCALE)
    for _ in range(3):
        a.step()
        b.follow(None, prefer_migrant=True)  # sampling a household must not touch the model's generator
        b.step()
    assert a.series("urbanization_rate") == b.series("urbanization_rate")
    assert a.series("permit_holders", "Changsha") == b.series("permit_holders", "Changsha")


def test_followed_household_is_tracked_by_id_every_year(session: SimSession) -> None:
    hid = session.follow(None)
    assert hid is not None
    session.step(3)
    years = [r["year"] for r in session.timeline]
    assert years == [2010, 2011, 2012, 2013]
    assert all(r.get("gone") or r["hid"] == hid for r in session.timeline)


def test_follow_a_migrant_picks_a_household_away_from_its_hukou_place(session: SimSession) -> None:
    session.step(3)
    hid = session.follow(None, prefer_migrant=True)
    record = session.timeline[-1]
    assert record["hid"] == hid and record["moved_year"] > 0
    hukou_loc = 2 * record["hukou_div"] + int(record["hukou_urban"])
    assert record["loc"] != hukou_loc


def test_following_an_unknown_household_is_refused(session: SimSession) -> None:
    with pytest.raises(InputError, match="household id"):
        session.follow(10**9)


def test_flows_between_divisions_exclude_moves_within_a_division(session: SimSession) -> None:
    session.step()
    flows = session.flows_between_divisions()
    assert len(flows) > 0
    assert (flows.origin != flows.destination).all()
    assert (flows.persons > 0).all()
    assert flows.persons.is_monotonic_decreasing


def test_page_changes_name_the_scenario(session: SimSession) -> None:
    assert session.scenario().name == "baseline"
    session.set_lever("keep_land_rights", True)
    assert session.scenario().name == "baseline+page"
    assert isinstance(session.scenario_for_rerun(), Scenario)
