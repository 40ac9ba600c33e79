"""Behavioural numbers are declared parameters, not module constants (issue 14, item 5).

A number that shapes behaviour but sits in a module constant is invisible to calibration screening, sweeps and
sensitivity analysis. This test scans the modules where behaviour lives for upper-case module-level constants
holding a float (or a container of floats) and fails on any not in :data:`ALLOWED`, the technical constants
(memory blocks, storage growth) that carry no behaviour. It also checks that each number that was moved is
declared in ``ModelParameters`` with its former value, so that the declared defaults cannot drift silently.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from sim.parameters import ModelParameters, parameter_specs

ROOT = Path(__file__).resolve().parent.parent

#: Modules holding behaviour: every agent module, the model's stages, the markets and the world's network.
SCANNED = tuple(sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "agents").glob("*.py"))) + (
    "sim/model.py", "sim/markets.py", "sim/world.py")

#: Module constants that hold numbers but no behaviour, with the reason.
ALLOWED = {
    "GROWTH": "storage growth factor of the household table (memory, not behaviour)",
}

#: The constants issue 14 moved into ``ModelParameters``: parameter name -> the value the constant had. The
#: regression digests prove the defaults kept these values; this table makes the link explicit.
MOVED = {
    "floor_space_per_person": 34.69,            # sim/model.py FLOOR_SPACE_PER_PERSON
    "rural_general_access": 0.5,                # sim/model.py RURAL_GENERAL_ACCESS
    "rural_school_access": 1.0,                 # sim/model.py RURAL_SCHOOL_ACCESS
    "outside_general_access": 0.2,              # sim/model.py OUTSIDE_GENERAL_ACCESS
    "outside_school_access": 0.3,               # sim/model.py OUTSIDE_SCHOOL_ACCESS
    "migrant_insurance_share": 0.5,             # sim/model.py MIGRANT_INSURANCE_SHARE
    "renovation_amenity": 0.5,                  # sim/model.py RENOVATION_AMENITY
    "settle_open_years": 3.0,                   # sim/model.py, openness of settlement
    "settle_open_rented_home": 0.8,
    "settle_open_owned_home": 0.5,
    "settle_open_job": 0.8,
    "review_unemployed_factor": 2.0,            # agents/households.py REVIEW_UNEMPLOYED
    "review_young_factor": 1.5,                 # agents/households.py REVIEW_YOUNG
    "review_old_factor": 0.4,                   # agents/households.py REVIEW_OLD
    "workers_per_firm": 20.0,                   # agents/firms.py WORKERS_PER_FIRM
    "industry_transfer_rate": 0.03,             # agents/firms.py TRANSFER_RATE
    "public_rental_unit_cost": 25.0,            # agents/governments.py PUBLIC_RENTAL_UNIT_COST
    "czt_metro_factor": 0.7,                    # sim/world.py CZT_METRO_FACTOR
    "shared_ownership_down_share": 0.5,         # sim/markets.py, half the down payment
    "rent_floor": 0.5,                          # sim/markets.py, rents fall at most by half
    "max_wage_tightness": 0.5,                  # agents/firms.py, tightness clipped to +-0.5
    "new_household_education_up": 0.5,          # sim/model.py, education of young adults' new households
}


def _holds_float(node: ast.expr) -> bool:
    """Whether an expression is a float literal or a container (tuple, list, dict, set) holding one."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, float)
    if isinstance(node, ast.UnaryOp):
        return _holds_float(node.operand)
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return any(_holds_float(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return any(v is not None and _holds_float(v) for v in node.values)
    return False


def float_constants(source: str) -> list[str]:
    """Names of the upper-case module-level constants of ``source`` whose value holds a float literal."""
    found = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            pairs = (zip(target.elts, value.elts, strict=False)
                     if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) else [(target, value)])
            for t, v in pairs:
                if isinstance(t, ast.Name) and t.id.isupper() and _holds_float(v):
                    found.append(t.id)
    return found


@pytest.mark.parametrize("rel", SCANNED)
def test_no_behavioural_number_is_left_in_a_module_constant(rel):
    names = float_constants((ROOT / rel).read_text(encoding="utf-8"))
    stray = [n for n in names if n not in ALLOWED]
    assert stray == [], (f"{rel} holds behavioural numbers in module constants {stray}: declare them in "
                         "sim/parameters.py ModelParameters (or add a technical constant to ALLOWED with the reason)")


def test_the_scan_covers_every_agent_module():
    assert {"agents/households.py", "agents/firms.py", "agents/governments.py"} <= set(SCANNED)


def test_the_scan_finds_a_float_constant():
    """The scan has power: the constants this issue removed would be reported."""
    source = ("MIGRANT_INSURANCE_SHARE = 0.5\nRURAL_GENERAL_ACCESS, RURAL_SCHOOL_ACCESS = 0.5, 1.0\n"
              "REGION_INCOME_2015 = {'a': 1.0}\nMAX_SCALE = 100_000\n")
    assert float_constants(source) == ["MIGRANT_INSURANCE_SHARE", "RURAL_GENERAL_ACCESS", "RURAL_SCHOOL_ACCESS",
                                       "REGION_INCOME_2015"]


def test_moved_constants_are_declared_parameters_with_their_former_values():
    specs = parameter_specs()
    defaults = ModelParameters()
    for name, value in MOVED.items():
        assert name in specs, f"{name} is not a declared parameter"
        assert getattr(defaults, name) == value, f"{name}: default {getattr(defaults, name)}, constant was {value}"
        spec = specs[name]
        assert spec["low"] <= value <= spec["high"]
        assert spec["unit"] and spec["label"] and spec["source"]
        assert spec["kind"] in ("sourced", "assumption", "calibrated")


def test_moved_parameters_are_outside_the_shipped_posterior_and_keep_their_defaults():
    """The shipped posterior does not estimate the new parameters, so the defaults keep the former values."""
    from sim.parameters_default import default_parameters

    params = default_parameters()
    for name, value in MOVED.items():
        assert getattr(params, name) == value
