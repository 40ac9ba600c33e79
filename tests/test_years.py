"""The calendar is declared once (sim/years.py); the copies outside it agree with it."""

from pathlib import Path

import sim.limits
import sim.model
import sim.parameters
import sim.run
from sim import years


def test_calendar_order_and_the_copies_that_re_export_it():
    assert years.START_YEAR < years.LAST_OBSERVED_YEAR < years.POLICY_START_YEAR <= years.PLAN_MIDTERM_YEAR
    assert years.PLAN_YEARS == (years.PLAN_MIDTERM_YEAR, years.PLAN_END_YEAR)
    assert years.PLAN_END_YEAR < years.HORIZON_YEAR < years.NEVER_YEAR
    assert (sim.limits.FIRST_YEAR, sim.limits.LAST_YEAR, sim.limits.NEVER_YEAR) == (
        years.START_YEAR, years.HORIZON_YEAR, years.NEVER_YEAR)
    assert sim.run.LAST_YEAR == years.HORIZON_YEAR


def test_the_model_and_parameters_take_their_years_from_the_calendar():
    assert sim.model.START_YEAR == years.START_YEAR
    assert sim.parameters.NEVER == years.NEVER_YEAR
    # imported, not a second declaration
    assert "START_YEAR = " not in Path(sim.model.__file__).read_text(encoding="utf-8")
    assert "NEVER = 9999" not in Path(sim.parameters.__file__).read_text(encoding="utf-8")
