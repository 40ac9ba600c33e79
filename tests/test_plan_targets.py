"""The one indicator-to-plan-target map (sim/plan_targets.py) agrees with the plan table and the indicators."""

from sim.data import load_plan_indicators
from sim.indicators import INDICATORS
from sim.plan_targets import PLAN_ID, PLAN_TARGETS


def test_every_plan_target_is_a_model_indicator_and_a_plan_row():
    plan = load_plan_indicators().set_index("id")
    for t in PLAN_TARGETS:
        assert t.indicator in INDICATORS
        assert t.plan_id in plan.index
        assert t.transform in ("level", "sum_5y_10k")
    assert len(PLAN_ID) == len({t.plan_id for t in PLAN_TARGETS}) == len(PLAN_TARGETS)


def test_directions_agree_with_the_plan_s_own_comparison_signs():
    plan = load_plan_indicators().set_index("id")
    for t in PLAN_TARGETS:
        cell = str(plan.loc[t.plan_id, "target_2025"])
        if cell.startswith(("<", ">")):
            assert cell[0] == t.direction[0], (t, cell)
