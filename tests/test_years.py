"""The calendar is declared once (sim/years.py); the copies outside it agree with it."""

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


def test_the_model_s_own_copies_agree_until_they_import_the_calendar():
    # sim/model.py and sim/parameters.py are being reworked on another branch (issue 14, items 1 and 5);
    # until they import sim.years, their copies must say the same.
    assert sim.model.START_YEAR == years.START_YEAR
    assert sim.parameters.NEVER == years.NEVER_YEAR
