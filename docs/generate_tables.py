"""Regenerate the tables of ``docs/ODD.md`` from the code, so that the documentation cannot drift from it.

Run from the repository root, after changing a parameter, a lever, an indicator, the household table or a
constant marked as an assumption, or after a new calibration (``calibration/posterior.json``)::

    .venv/bin/python -m docs.generate_tables           # rewrite the generated sections of docs/ODD.md
    .venv/bin/python -m docs.generate_tables --check   # exit 1 (and name the sections) if any is out of date

Each generated section sits between two HTML comments, ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``;
everything outside the markers is hand-written and left alone. ``tests/docs/test_odd_drift.py`` fails when a
section differs from what this script would write, and also parses the tables on its own to check the names,
defaults and ranges against the declarations.

Sections:

* ``parameter-table``: every behavioural parameter of :class:`sim.parameters.ModelParameters`, with the
  posterior median and 90 % interval read from ``calibration/posterior.json`` when it exists;
* ``assumption-parameters``: the parameters declared ``kind="assumption"``;
* ``lever-table``: every lever of :data:`sim.parameters.LEVERS`, with its value in the shipped scenarios;
* ``indicator-table``: every output of :data:`sim.indicators.INDICATORS`, with the plan's targets;
* ``household-schema``: every column of :data:`agents.households.SCHEMA` with its type and unit;
* ``assumption-constants``: module-level constants whose comment calls them an assumption.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import io
import json
import math
import re
import sys
import tokenize
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as ``python docs/generate_tables.py`` as well as ``python -m docs...``
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from agents.households import SCHEMA  # noqa: E402
from sim.indicators import INDICATORS  # noqa: E402
from sim.parameters import LEVERS, NEVER, parameter_specs  # noqa: E402
from sim.parameters_default import FITTED_PARAMETERS  # noqa: E402

ODD_PATH = ROOT / "docs" / "ODD.md"
POSTERIOR_PATH = ROOT / "calibration" / "posterior.json"

#: Symbols used for the parameters in the ODD's equations. A parameter missing here is shown with "—" and the
#: generator prints a reminder: give it a symbol once it appears in an equation.
PARAMETER_SYMBOLS: dict[str, str] = {
    "mortality_level": "λ_m",
    "leave_behind": "p_lb",
    "mortality_improvement": "ι_m",
    "fertility_projection_factor": "φ₂₀₂₀₊",
    "household_split_rate": "s_split",
    "urban_income_2010": "Y_u",
    "income_ratio_2010": "Q₂₀₁₀",
    "urban_income_dispersion": "κ_I",
    "urban_wage_growth": "g_w",
    "rural_productivity_growth": "g_F",
    "farm_labour_elasticity": "β",
    "agglomeration_elasticity": "γ",
    "labour_demand_growth": "g_D",
    "wage_flexibility": "λ",
    "labour_demand_elasticity": "ε_D",
    "job_separation_rate": "δ",
    "unemployed_income_share": "b",
    "college_wage_premium": "π_c",
    "outside_wage_premium": "m_out",
    "outside_unemployment_rate": "u_out",
    "initial_unemployment_rate": "u₂₀₁₀",
    "review_rate": "r",
    "taste_scale": "σ",
    "moving_cost_fixed": "c₀",
    "moving_cost_per_hour": "c₁",
    "home_attachment": "α_home",
    "network_weight": "ν",
    "service_value": "v_s",
    "schooling_value": "v_k",
    "settle_prospect_weight": "ω",
    "urban_amenity": "a_urban",
    "outside_amenity": "a_out",
    "land_rent_share": "ℓ",
    "permit_apply_rate": "p_permit",
    "settle_intercept": "θ₀",
    "settle_service_weight": "θ_s",
    "homestead_settle_penalty": "κ_h",
    "collective_income": "y_col",
    "land_rights_years": "T_land",
    "school_build_rate": "β_school",
    "school_place_cost": "c_school",
    "citizenisation_cost_total": "C_cit",
    "government_response": "ρ_gov",
    "land_supply_lag": "L_land",
    "construction_land_cap_km2": "A_cap",
    "outside_settle_rate": "p_out",
    "rent_to_income_2010": "ρ₂₀₁₀",
    "housing_price_elasticity": "η",
    "land_supply_effect": "κ_L",
    "price_to_rent_years": "PR",
    "down_payment_share": "dp",
    "saving_rate": "s",
    "buy_rate": "p_buy",
    "public_rent_discount": "φ",
    "industry_transfer_rate": "r_x",
    "workers_per_firm": "W_f",
    "review_unemployed_factor": "m_unemp",
    "review_young_factor": "m_young",
    "review_old_factor": "m_old",
    "renovation_amenity": "a_ren",
    "rural_general_access": "GA_rural",
    "rural_school_access": "SA_rural",
    "outside_general_access": "GA_out",
    "outside_school_access": "SA_out",
    "settle_open_years": "Y_open",
    "settle_open_rented_home": "o_rent",
    "settle_open_owned_home": "o_own",
    "settle_open_job": "o_job",
    "migrant_insurance_share": "q_ins",
    "shared_ownership_down_share": "dp_shared",
    "rent_floor": "ρ_min",
    "public_rental_unit_cost": "C_unit",
    "floor_space_per_person": "FS",
    "czt_metro_factor": "f_metro",
    "max_wage_tightness": "T_max",
    "new_household_education_up": "p_edu",
    "dormitory_share": "q_dorm",
    "outside_road_hours": "h_road,out",
    "outside_rail_hours": "h_rail,out",
    "station_access_hours": "h_access",
    "capital_amenity": "a_capital",
    "rural_entry_cost": "c_v",
    "other_province_inflow": "m_op",
    "settle_speed": "p_speed",
    "citizenisation_cost": "c_cit",
}

#: Symbols used for the levers in the ODD's equations (rail opening years share one symbol).
LEVER_SYMBOLS: dict[str, str] = {
    "settlement_min_years": "Y_min",
    "settlement_min_insurance_years": "I_min",
    "settlement_housing_condition": "H",
    "settlement_requires_job": "J",
    "czt_mutual_recognition": "MR",
    "keep_land_rights": "K",
    "land_exit_compensation": "C_exit",
    "permit_min_years": "Y_permit",
    "permit_schooling_share": "e_school",
    "permit_health_share": "e_health",
    "permit_housing_share": "e_housing",
    "permit_training_share": "e_training",
    "migrant_school_access": "e₀",
    "public_rental_units_per_year": "B_pub",
    "affordable_rental_units_per_year": "B_aff",
    "shared_ownership_units_per_year": "B_shared",
    "renovation_units_per_year": "B_renov",
    "land_quota_per_settler": "L_settler",
    "transfer_per_settler": "T_settler",
    "government_cost_share": "G_cost",
    "czt_metro_operation": "Metro",
    "industry_transfer_incentive": "x",
}

#: Units of the household columns (SCHEMA's comments give meaning; units are stated here once).
SCHEMA_UNITS: dict[str, str] = {
    "hid": "id",
    "loc": "place id, 0 to places − 1 (225 on the county network)",
    "county": "row of the 2010 county table",
    "hukou_div": "division id 0-14",
    "hukou_county": "row of the 2010 county table",
    "hukou_urban": "true/false",
    "permit": "true/false",
    "years_here": "years",
    "head_age": "years",
    "education": "code (Education)",
    "employment": "code (Employment)",
    "sector": "code (Sector)",
    "income": "10k yuan per person per year (nominal)",
    "savings": "10k yuan per household (nominal)",
    "tenure": "code (Tenure)",
    "land_contract": "true/false",
    "homestead": "true/false",
    "n_members": "persons",
    "n_children": "persons aged 0-14",
    "n_elderly": "persons aged 65+",
    "children_with_parents": "true/false",
    "insurance_years": "years",
    "settled_year": "calendar year (0 = never)",
    "moved_year": "calendar year (0 = never)",
    "job_loser": "flag",
    "origin_div": "division id 0-14",
    "settle_taste": "standard logistic draw (log-odds)",
    "land_attachment": "uniform draw 0-1",
}

#: Modules scanned for module-level constants whose comment calls them an assumption.
ASSUMPTION_MODULES = ("sim/model.py", "sim/world.py", "sim/population.py", "sim/markets.py",
                      "agents/households.py", "agents/firms.py", "agents/governments.py")


# ----------------------------------------------------------------------------------------------------------
# Formatting
# ----------------------------------------------------------------------------------------------------------


def fmt_number(x: Any) -> str:
    """A number written so that parsing it back gives exactly the same float (integers without a point)."""
    x = float(x)
    if math.isfinite(x) and x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


def fmt_sig(x: float, digits: int = 4) -> str:
    """A posterior summary number to ``digits`` significant digits."""
    return f"{float(x):.{digits}g}"


def cell(text: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def table(header: list[str], rows: list[list[Any]]) -> str:
    """A Markdown pipe table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------------------
# Posterior
# ----------------------------------------------------------------------------------------------------------


def load_posterior(path: Path = POSTERIOR_PATH) -> dict[str, Any] | None:
    """The calibration's posterior (``median`` and ``samples``), or None when it does not exist yet."""
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if "median" not in data or "samples" not in data:
        raise ValueError(f"{path}: a posterior needs 'median' and 'samples' (calibration/posterior.py)")
    return data


def posterior_summary(posterior: dict[str, Any] | None) -> dict[str, tuple[float, float, float]]:
    """Per estimated parameter: (median, 5 % quantile, 95 % quantile) of the equal-weight samples."""
    if posterior is None:
        return {}
    out = {}
    for name, median in posterior["median"].items():
        values = np.array([float(s[name]) for s in posterior["samples"] if name in s])
        if len(values) == 0:
            continue
        lo, hi = np.quantile(values, [0.05, 0.95])
        out[name] = (float(median), float(lo), float(hi))
    return out


def calibration_cell(name: str, kind: str, summary: dict[str, tuple[float, float, float]],
                     posterior_exists: bool) -> str:
    """The posterior column of the parameter table."""
    if name in FITTED_PARAMETERS:
        # fitted to its own series (calibration/levels.py); a posterior from before that fit is ignored for it
        return "fitted to its series (`python -m calibration.levels`); not estimated by ABC"
    if name in summary:
        med, lo, hi = summary[name]
        return f"{fmt_sig(med)} [{fmt_sig(lo)}, {fmt_sig(hi)}]"
    if kind == "calibrated":
        # fixed by the Morris screening before ABC (calibration/screening.py): the targets hardly inform it
        return "fixed at the declared default (screened out)" if posterior_exists else "not yet calibrated"
    return "—"


# ----------------------------------------------------------------------------------------------------------
# Sections
# ----------------------------------------------------------------------------------------------------------


def parameter_table(posterior_path: Path = POSTERIOR_PATH) -> str:
    """Every behavioural parameter with symbol, default, range, unit, kind, source and posterior."""
    posterior = load_posterior(posterior_path)
    summary = posterior_summary(posterior)
    rows = []
    for name, spec in parameter_specs().items():
        kind = spec["kind"]
        kind_cell = "**ASSUMPTION**" if kind == "assumption" else kind
        rows.append([PARAMETER_SYMBOLS.get(name, "—"), f"`{name}`", fmt_number(spec["default"]),
                     f"{fmt_number(spec['low'])} – {fmt_number(spec['high'])}", spec["unit"], spec["label"],
                     kind_cell, spec["source"], calibration_cell(name, kind, summary, posterior is not None)])
    if posterior is None:
        note = ("`calibration/posterior.json` does not exist yet: the model runs with the declared defaults, "
                "and the calibrated parameters are marked *not yet calibrated*.")
    else:
        created = posterior.get("provenance", {}).get("created", "unknown date")
        note = (f"Posterior: `calibration/posterior.json` ({posterior.get('format', 'no format tag')}, created "
                f"{created}, {len(posterior['samples'])} equal-weight samples). The model's defaults are the "
                "posterior medians of the estimated parameters; the others keep the declared default.")
    header = ["symbol", "name in code", "declared default", "range (prior)", "unit", "meaning", "kind", "source",
              "posterior median [90 % interval]"]
    return table(header, rows) + "\n\n" + note


def assumption_parameter_table() -> str:
    """The parameters declared as assumptions (neither sourced nor calibrated)."""
    rows = [[PARAMETER_SYMBOLS.get(name, "—"), f"`{name}`", fmt_number(spec["default"]),
             f"{fmt_number(spec['low'])} – {fmt_number(spec['high'])}", spec["unit"], spec["source"]]
            for name, spec in parameter_specs().items() if spec["kind"] == "assumption"]
    return table(["symbol", "name in code", "value", "range", "unit", "basis"], rows)


def _scenario_value(name: str, scenario: str, year: int) -> str:
    """A lever's value in a shipped scenario and year: one number, or the range over cities."""
    from sim.data import division_names
    from sim.scenario import Scenario

    try:
        policy = Scenario.load(scenario).policy(year)
    except Exception:  # a scenario that fails to load is reported in the table, not hidden
        return "(scenario not loadable)"
    value = policy[name]
    lever = LEVERS[name]
    if lever.scope == "province":
        return _lever_value_text(lever, float(value))
    values = np.asarray(value, dtype=float)
    if np.all(values == values[0]):
        return _lever_value_text(lever, float(values[0]))
    names = division_names()
    uniq = sorted(set(values.tolist()))
    if len(uniq) == 2:
        # one or a few cities differ: name them
        common = max(uniq, key=lambda v: int((values == v).sum()))
        other = [v for v in uniq if v != common][0]
        cities = ", ".join(names[i] for i in np.flatnonzero(values == other))
        return f"{_lever_value_text(lever, common)}; {cities}: {_lever_value_text(lever, other)}"
    return f"by city, {fmt_number(values.min())} – {fmt_number(values.max())}"


def _lever_value_text(lever: Any, value: float) -> str:
    if lever.kind == "bool":
        return "true" if value >= 0.5 else "false"
    if lever.name.startswith("open_year_") and value >= NEVER:
        return f"{NEVER} (never)"
    return fmt_number(value)


def lever_table() -> str:
    """Every lever with symbol, group, scope, default, range, unit, labels and its value in the scenarios."""
    rows = []
    for name, lever in LEVERS.items():
        symbol = LEVER_SYMBOLS.get(name, "T_line" if name.startswith("open_year_") else "—")
        kind = lever.kind + (f" ({', '.join(f'{i} = {c}' for i, c in enumerate(lever.choices))})"
                             if lever.choices else "")
        if lever.kind == "bool":
            default, value_range = _lever_value_text(lever, float(lever.default)), "false / true"
        else:
            default, value_range = fmt_number(lever.default), f"{fmt_number(lever.low)} – {fmt_number(lever.high)}"
        rows.append([symbol, f"`{name}`", lever.group, lever.scope, kind, default, value_range, lever.unit or "—",
                     lever.label_en,
                     lever.label_zh, lever.help_en, _scenario_value(name, "baseline", 2020),
                     _scenario_value(name, "plan-2021", 2025)])
    header = ["symbol", "name in code", "group", "scope", "type", "default", "range", "unit", "label", "中文",
              "what it does in the model", "baseline, 2020", "plan-2021, 2025"]
    return table(header, rows)


def _plan_targets() -> dict[str, tuple[int, str, str, str]]:
    """indicator -> (plan id, 2020 value, 2025 target, 2035 target) for the plan indicators the model outputs."""
    from sim.cli import SUMMARY
    from sim.data import load_plan_indicators

    plan = load_plan_indicators().set_index("id")
    out = {}
    for indicator, plan_id in SUMMARY:
        if plan_id is None or plan_id not in plan.index:
            continue
        row = plan.loc[plan_id]

        def text(v: Any) -> str:
            return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)

        out[indicator] = (int(plan_id), text(row["value_2020"]), text(row["target_2025"]), text(row["target_2035"]))
    return out


def indicator_table() -> str:
    """Every output indicator with unit, regions and the plan's 2020 value and targets where it sets one."""
    targets = _plan_targets()
    rows = []
    for name, ind in INDICATORS.items():
        if name in targets:
            pid, v2020, t2025, t2035 = targets[name]
            plan = f"indicator {pid}: 2020 {v2020}; 2025 {t2025}; 2035 {t2035}"
        else:
            plan = "—"
        rows.append([f"`{name}`", ind.unit, ind.regions, ind.description, ind.label_zh, plan])
    return table(["name in code", "unit", "regions", "meaning", "中文", "plan (plan_indicators.csv)"], rows)


def _schema_comments() -> dict[str, str]:
    """The inline comment of each SCHEMA entry in agents/households.py."""
    text = (ROOT / "agents" / "households.py").read_text(encoding="utf-8")
    block = text[text.index("SCHEMA: dict"):]
    block = block[:block.index("\n}\n")]
    out = {}
    for line in block.splitlines():
        m = re.match(r'\s*"(\w+)":\s*[\w.]+,\s*(?:#\s*(.*))?$', line)
        if m:
            out[m.group(1)] = (m.group(2) or "").strip()
    return out


def household_schema_table() -> str:
    """Every household column with its numpy type, unit and meaning."""
    comments = _schema_comments()
    rows = [[f"`{name}`", np.dtype(dtype).name, SCHEMA_UNITS.get(name, "—"), comments.get(name, "")]
            for name, dtype in SCHEMA.items()]
    return table(["column", "dtype", "unit", "meaning (comment in agents/households.py)"], rows)


def _comments_by_line(source: str) -> dict[int, str]:
    out = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            out[tok.start[0]] = tok.string.lstrip("#:").strip()
    return out


def assumption_constants() -> list[tuple[str, str, Any, str]]:
    """(module path, constant, value, comment) of module-level constants whose comment says "assumption".

    A comment counts for an assignment if it is on the same line, or in the block of comment lines directly
    above it; a block also covers the assignments on the lines right after the first (no blank line between).
    """
    found = []
    for rel in ASSUMPTION_MODULES:
        path = ROOT / rel
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        comments = _comments_by_line(source)
        module = importlib.import_module(rel.removesuffix(".py").replace("/", "."))
        block_text = ""
        prev_end = -10
        for node in ast.parse(source).body:
            if not isinstance(node, ast.Assign | ast.AnnAssign):
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = []
            for t in targets:
                if isinstance(t, ast.Name):
                    names.append(t.id)
                elif isinstance(t, ast.Tuple):
                    names += [e.id for e in t.elts if isinstance(e, ast.Name)]
            names = [n for n in names if n.isupper()]
            if not names:
                continue
            # comment block directly above
            above = []
            i = node.lineno - 1
            while i >= 1 and lines[i - 1].lstrip().startswith("#"):
                above.insert(0, comments.get(i, ""))
                i -= 1
            if above:
                block_text = " ".join(above)
            elif node.lineno != prev_end + 1:
                block_text = ""
            prev_end = node.end_lineno or node.lineno
            inline = " ".join(comments[n] for n in range(node.lineno, prev_end + 1) if n in comments
                              and not lines[n - 1].lstrip().startswith("#"))
            text = " ".join(t for t in (block_text, inline) if t)
            if "assumption" not in text.lower():
                continue
            for n in names:
                found.append((rel, n, getattr(module, n), text))
    return found


def _value_text(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return fmt_number(value)
    return str(value)


def assumption_constants_table() -> str:
    """The constants found by :func:`assumption_constants`, as a table."""
    rows = [[f"`{rel}`", f"`{name}`", _value_text(value), comment]
            for rel, name, value, comment in assumption_constants()]
    return table(["module", "constant", "value", "comment in the code"], rows)


GENERATORS: dict[str, Callable[[], str]] = {
    "parameter-table": parameter_table,
    "assumption-parameters": assumption_parameter_table,
    "lever-table": lever_table,
    "indicator-table": indicator_table,
    "household-schema": household_schema_table,
    "assumption-constants": assumption_constants_table,
}


# ----------------------------------------------------------------------------------------------------------
# Rewriting ODD.md
# ----------------------------------------------------------------------------------------------------------


def markers(name: str) -> tuple[str, str]:
    """The start and end comments of a generated section."""
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def section_text(document: str, name: str) -> str:
    """The text between a section's markers (without the markers).

    Raises:
        ValueError: if the markers are missing, repeated or out of order.
    """
    start, end = markers(name)
    if document.count(start) != 1 or document.count(end) != 1:
        raise ValueError(f"docs/ODD.md needs exactly one {start} and one {end}")
    i, j = document.index(start) + len(start), document.index(end)
    if j < i:
        raise ValueError(f"docs/ODD.md: {end} comes before {start}")
    return document[i:j]


def render(name: str) -> str:
    """A section's generated content, as it sits between its markers."""
    return "\n" + GENERATORS[name]().rstrip() + "\n"


def rewrite(document: str, sections: dict[str, str] | None = None) -> str:
    """The document with every generated section replaced by its freshly generated content."""
    sections = sections or {name: render(name) for name in GENERATORS}
    for name, content in sections.items():
        start, end = markers(name)
        old = section_text(document, name)
        document = document.replace(start + old + end, start + content + end)
    return document


def stale_sections(document: str) -> list[str]:
    """Names of the generated sections whose content differs from what the code gives now."""
    return [name for name in GENERATORS if section_text(document, name) != render(name)]


def missing_symbols() -> list[str]:
    """Parameters without a symbol in :data:`PARAMETER_SYMBOLS` (a reminder, not an error)."""
    return [n for n in parameter_specs() if n not in PARAMETER_SYMBOLS]


def main(argv: list[str] | None = None) -> int:
    """Rewrite the generated sections of docs/ODD.md (or, with ``--check``, only report stale ones)."""
    parser = argparse.ArgumentParser(prog="python -m docs.generate_tables", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if a section is out of date")
    parser.add_argument("--path", default=str(ODD_PATH), help="the ODD document (default docs/ODD.md)")
    args = parser.parse_args(argv)
    path = Path(args.path)
    document = path.read_text(encoding="utf-8")
    stale = stale_sections(document)
    for name in missing_symbols():
        print(f"note: parameter {name} has no symbol in docs/generate_tables.py PARAMETER_SYMBOLS", file=sys.stderr)
    if args.check:
        if stale:
            print("out of date: " + ", ".join(stale) + " (run: .venv/bin/python -m docs.generate_tables)",
                  file=sys.stderr)
            return 1
        print("docs/ODD.md tables are up to date")
        return 0
    if stale:
        path.write_text(rewrite(document), encoding="utf-8")
        print("rewrote " + ", ".join(stale) + f" in {path}")
    else:
        print(f"{path}: tables already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
