"""The model's calendar, declared once: start, last observed year, policy start, plan years, horizon, "never".

Everything that names one of these years (the command line, scenarios, experiment and calibration files, the UI's
compare view and charts, the input limits in :mod:`sim.limits`) imports it from here, so that moving the start
year or adding a plan year is one edit. (Named ``years`` rather than ``calendar``: a ``sim/calendar.py`` would
shadow the standard library's module whenever a script inside ``sim/`` runs directly.)
"""

from __future__ import annotations

#: First simulated year: the 6th census (1 November 2010) builds the initial population.
START_YEAR = 2010
#: Last observed year: the 7th census; the calibration runs START_YEAR-LAST_OBSERVED_YEAR and no observation after
#: it enters the model, its data or its tests.
LAST_OBSERVED_YEAR = 2020
#: First year of the 14th five-year plan period: policy levers of experiments apply from here by default.
POLICY_START_YEAR = 2021
#: The plan's target years: its 14th five-year plan horizon and its 2035 outlook.
PLAN_MIDTERM_YEAR, PLAN_END_YEAR = 2025, 2035
#: Both target years, in order.
PLAN_YEARS: tuple[int, int] = (PLAN_MIDTERM_YEAR, PLAN_END_YEAR)
#: Last year the model may simulate.
HORIZON_YEAR = 2100
#: "Never": a scenario block's open-ended ``until`` and the opening year of a rail line that is not built.
NEVER_YEAR = 9999
