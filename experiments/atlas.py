"""``hunan-sim atlas``: every lever at its low and its high setting against ``plan-2021``, paired.

The atlas answers "what does each lever of the plan do in the model?" for every lever in
:data:`sim.parameters.LEVERS`. It is an ordinary experiment (:mod:`experiments.spec`) generated from the lever
declarations: one factor, ``lever_setting``, whose levels are the bundles ``<lever>:low`` and ``<lever>:high``,
each setting one lever in every division from 2021 on top of ``plan-2021`` and leaving every other lever as the
plan has it. It runs through the same resumable Dask sweep and results folder as ``hunan-sim sweep``
(:func:`experiments.runner.run_experiment`), with common random numbers, so the two runs of a pair (same posterior
draw, same replicate) share their seed, and a lever's paired effect is the high run minus the low run
(:func:`experiments.analysis.paired_effects`).

The settings compared:

* number levers: the declared ``low`` and ``high`` (the whole allowed range, so the atlas shows the most a lever
  can do; the plan's own values lie in between);
* true/false levers: false (low) and true (high);
* rail opening years (``open_year_*``): never (9999, low) and open from 2021 (high), so that "high minus low" is
  the effect of having the line, as for every other lever "more of the policy". For a line already open in 2020
  the low setting closes it from 2021.

**Paired noise.** A lever *moves* an indicator beyond its paired noise when the 90 % interval (5 %-95 %
quantiles) of its per-pair differences excludes zero and there are at least :data:`MIN_PAIRS` pairs. With
common random numbers a lever with no mechanism gives exactly zero in every pair, while a lever that only
reshuffles the random streams (an agent decides differently once, and every later draw differs) gives
differences of both signs around zero: an interval that excludes zero therefore means the lever pushes the
indicator the same way in (almost) every draw and replicate, which chance alone does with probability about
``2 (n + 1) / 2^n`` for ``n`` pairs (under 1 % for 12 pairs). The spread of the pairs is the noise the effect is
compared with, so no separate noise run is needed; the unpaired interval is given beside it to show what pairing
gains. Only outcome indicators (:data:`FLAG_INDICATORS`) count for the flag: the stock of public rental units or
the land quota used restate a lever's input, not an outcome.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments import analysis
from experiments.report import PRINTED_EFFECTS, _cell, _md_table
from experiments.spec import Experiment, experiment_from_dict
from experiments.store import DESIGN_FILE, ResultStore, connect
from sim.errors import InputError
from sim.indicators import INDICATORS
from sim.limits import MAX_REPLICATIONS, MAX_SAMPLE_N, MAX_SCALE
from sim.parameters import LEVERS, NEVER, Lever
from sim.years import PLAN_END_YEAR, PLAN_MIDTERM_YEAR, POLICY_START_YEAR

#: The experiment's name (the default results folder is ``results/atlas``).
ATLAS_NAME = "atlas"
#: The scenario every lever is set on top of.
ATLAS_SCENARIO = "plan-2021"
#: The design factor whose levels are ``<lever>:low`` and ``<lever>:high``.
FACTOR = "lever_setting"
#: The years of the effects (the plan's mid-term and horizon).
ATLAS_YEARS = (PLAN_MIDTERM_YEAR, PLAN_END_YEAR)
#: Defaults of the command: a laptop runs the 34 levers × 2 settings × 4 draws × 2 replications (544 runs at
#: about 2 s each) in about 10 minutes on 2 workers.
DEFAULT_SCALE = 1000
DEFAULT_DRAWS = 4
DEFAULT_REPLICATIONS = 2
DEFAULT_SEED = 20210819
#: Fewest pairs for the "beyond paired noise" flag: with fewer, an interval that excludes zero is too likely by
#: chance (probability about 2 (n + 1) / 2^n, 18 % for 5 pairs, 3.5 % for 8).
MIN_PAIRS = 8
#: Outcome indicators that count for the flag (the report's main indicators, plus settlement, departures, the
#: public-school share of migrant children, an outcome of school places since issue 19 item 2, and the
#: settlers giving up their land rights).
FLAG_INDICATORS: tuple[str, ...] = (*PRINTED_EFFECTS, "settled_migrants", "outside_hunan_population",
                                    "migrant_children_public_school_share", "land_rights_exits")
#: Indicators shown but not counted for the flag: each restates a lever's input.
CONTEXT_INDICATORS: tuple[str, ...] = ("permit_holders", "public_rental_units", "land_quota_used")
#: Every indicator the atlas keeps (Hunan, in :data:`ATLAS_YEARS`).
ATLAS_INDICATORS: tuple[str, ...] = FLAG_INDICATORS + CONTEXT_INDICATORS
#: Indicators drawn in the chart.
CHART_INDICATORS = ("urbanization_rate", "hukou_urbanization_rate", "czt_urban_share", "urban_rural_income_ratio")
#: Columns of the atlas table (one row per lever, indicator and year).
ATLAS_COLUMNS = ["lever", "group", "low_value", "high_value", "indicator", "unit", "year", "counts_for_flag",
                 "n_pairs", "median", "low", "high", "unpaired_low", "unpaired_high", "max_abs_difference",
                 "beyond_noise"]


@dataclass(frozen=True)
class ExpectedSign:
    """The sign a lever's effect should have, and who says so.

    Attributes:
        indicator: the indicator (``None`` when the model has no indicator for the outcome yet).
        sign: +1 or -1 for "high minus low".
        outcome: the outcome in words.
        source: where the expectation comes from (only texts already in the project).
    """

    indicator: str | None
    sign: int
    outcome: str
    source: str


_MODEL_MD = "the model brief (../shared/brief/MODEL.md, \"Mechanism checks that must hold as tests\")"
_TIGHTER = ExpectedSign("hukou_urbanization_rate", -1, "hukou urbanization", _MODEL_MD + ": tighter settlement rules "
                        "lower flows to that city; issue 19, Done-when: tighter settlement rules lower hukou "
                        "urbanization")
_RENTAL = ("issue 19, Done-when: public rental supply for permit holders raises settlement or stay where units exist "
           "(plan-2021 builds units)")
#: Signs the literature cited in the project (or issue 19's Done-when) gives. "high" is the tighter rule for the
#: settlement conditions.
EXPECTED_SIGNS: dict[str, tuple[ExpectedSign, ...]] = {
    "settlement_min_years": (_TIGHTER,),
    "settlement_min_insurance_years": (_TIGHTER,),
    "settlement_housing_condition": (_TIGHTER,),
    "settlement_requires_job": (_TIGHTER,),
    "keep_land_rights": (ExpectedSign("hukou_urbanization_rate", +1, "hukou urbanization (settlement)",
                                      _MODEL_MD + ": a policy that lets settlers keep land rights raises settlement; "
                                      "holding a homestead lowers the propensity to transfer hukou by about 12 % "
                                      "(Gu et al. 2020, Habitat International, doi 10.1016/j.habitatint.2020.102267, "
                                      "as cited in the brief)"),),
    # "settlement or stay": both are checked, stay as the urbanization rate and settlement as hukou urbanization
    "permit_housing_share": (ExpectedSign("urbanization_rate", +1, "stay (urbanization)", _RENTAL),
                             ExpectedSign("hukou_urbanization_rate", +1, "settlement (hukou urbanization)", _RENTAL)),
    "public_rental_units_per_year": (ExpectedSign("urbanization_rate", +1, "stay (urbanization)", _RENTAL),
                                     ExpectedSign("hukou_urbanization_rate", +1, "settlement (hukou urbanization)",
                                                  _RENTAL)),
    "transfer_per_settler": (
        ExpectedSign("hukou_urbanization_rate", +1, "settlement (hukou urbanization)",
                     "the plan, seed line 318: transfers tied to settlement (人钱挂钩) 提高城市政府吸纳农业转移人口落户积极性"),
        ExpectedSign("migrant_children_public_school_share", +1, "public-school share of migrant children",
                     "the plan, seed line 318: 推动城市政府强化农业转移人口…教育用地保障; transfers fund school places")),
    "czt_metro_operation": (ExpectedSign(None, +1, "commuting among Changsha, Zhuzhou and Xiangtan",
                                         "issue 19, Done-when: CZT metro operation raises CZT commuting"),),
}


# --------------------------------------------------------------------------------------------------------
# settings and the experiment
# --------------------------------------------------------------------------------------------------------

def lever_settings(lever: Lever) -> tuple[Any, Any]:
    """A lever's (low, high) setting in the atlas, in the lever's own type (see the module docstring)."""
    if lever.name.startswith("open_year_"):
        return NEVER, POLICY_START_YEAR
    if lever.kind == "bool":
        return False, True
    if lever.kind == "int":
        return int(lever.low), int(lever.high)
    return float(lever.low), float(lever.high)


def value_text(value: Any) -> str:
    """A lever setting as the table shows it: ``False``/``True``, whole numbers without a decimal point."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def option_name(lever: str, side: str) -> str:
    """The level of :data:`FACTOR` that sets ``lever`` to its ``side`` (``low`` or ``high``) setting."""
    return f"{lever}:{side}"


@dataclass(frozen=True)
class AtlasSettings:
    """What an atlas run covers.

    Attributes:
        levers: the levers, in declaration order (default: every lever).
        scale: households per agent.
        draws: posterior draws (uncertainty points).
        replications: stochastic replications per draw.
        master_seed: the seed every run's seed is derived from.
    """

    levers: tuple[str, ...]
    scale: float = DEFAULT_SCALE
    draws: int = DEFAULT_DRAWS
    replications: int = DEFAULT_REPLICATIONS
    master_seed: int = DEFAULT_SEED

    @classmethod
    def checked(cls, *, levers: str | Sequence[str] | None = None, scale: Any = DEFAULT_SCALE,
                draws: Any = DEFAULT_DRAWS, replications: Any = DEFAULT_REPLICATIONS,
                master_seed: Any = DEFAULT_SEED, source: str = "command line") -> AtlasSettings:
        """Validated settings; each refusal names the option, the value and what is allowed.

        Args:
            levers: lever names, or one comma-separated string (``None`` or ``"all"``: every lever).
            scale: households per agent, 1 to :data:`sim.limits.MAX_SCALE`.
            draws: posterior draws, 1 to :data:`sim.limits.MAX_SAMPLE_N`.
            replications: replications per draw, 1 to :data:`sim.limits.MAX_REPLICATIONS`.
            master_seed: a whole number >= 0.
            source: where the values came from (for messages).

        Raises:
            InputError: a value is out of range or names no lever.
        """
        if levers is None or levers == "all":
            names = list(LEVERS)
        else:
            raw = levers.split(",") if isinstance(levers, str) else list(levers)
            names = [str(n).strip() for n in raw]
            for n in names:
                if n not in LEVERS:
                    raise InputError(field="--levers", value=n, source=source,
                                     allowed="'all' or comma-separated lever names: " + ", ".join(LEVERS))
            if not names or len(set(names)) != len(names):
                raise InputError(field="--levers", value=levers, allowed="distinct lever names", source=source)
            names = [n for n in LEVERS if n in set(names)]  # declaration order, whatever the order given
        if isinstance(scale, bool) or not isinstance(scale, int | float) or not 1 <= scale <= MAX_SCALE:
            raise InputError(field="--scale", value=scale, source=source,
                             allowed=f"a number from 1 to {MAX_SCALE:,} (households per agent)")
        for name, value, high in (("--draws", draws, MAX_SAMPLE_N), ("--replications", replications,
                                                                        MAX_REPLICATIONS)):
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
                raise InputError(field=name, value=value, allowed=f"a whole number from 1 to {high:,}", source=source)
        if isinstance(master_seed, bool) or not isinstance(master_seed, int) or master_seed < 0:
            raise InputError(field="--seed", value=master_seed, allowed="a whole number >= 0", source=source)
        return cls(levers=tuple(names), scale=float(scale), draws=draws, replications=replications,
                   master_seed=master_seed)

    @property
    def n_pairs(self) -> int:
        """Pairs per lever (draws × replications)."""
        return self.draws * self.replications

    @property
    def n_runs(self) -> int:
        """Runs of the atlas (2 settings per lever)."""
        return 2 * len(self.levers) * self.n_pairs


def atlas_definition(settings: AtlasSettings) -> dict[str, Any]:
    """The atlas as an experiment definition (the dictionary form of an experiment file, :mod:`experiments.spec`).

    Recorded in the results folder's ``experiment.json`` like any sweep's; a rerun with the same settings
    resumes, other settings are refused by the folder's digest check.
    """
    options: dict[str, dict[str, Any]] = {}
    for name in settings.levers:
        low, high = lever_settings(LEVERS[name])
        options[option_name(name, "low")] = {name: low}
        options[option_name(name, "high")] = {name: high}
    return {
        "name": ATLAS_NAME,
        "description": f"Lever atlas: every lever at its low and high setting from {POLICY_START_YEAR} on top of "
                       f"{ATLAS_SCENARIO}, paired by posterior draw and replicate (common random numbers).",
        "scenarios": [ATLAS_SCENARIO],
        "end_year": max(ATLAS_YEARS),
        "scale": settings.scale,
        "replications": settings.replications,
        "master_seed": settings.master_seed,
        "policy_from": POLICY_START_YEAR,
        "common_random_numbers": True,
        "levers": {"design": "full_factorial", FACTOR: {"options": options}},
        # the posterior draws; while calibration/posterior.json is missing, Latin-hypercube points over the
        # calibrated parameters' ranges instead (with a warning), as in plan-vs-baseline.toml
        "uncertainties": {"design": "posterior", "n": settings.draws,
                          "fallback": {"design": "latin_hypercube", "n": settings.draws, "parameters": "calibrated"}},
        "outputs": {"indicators": list(ATLAS_INDICATORS), "regions": ["Hunan"], "years": list(ATLAS_YEARS)},
    }


def atlas_experiment(settings: AtlasSettings) -> Experiment:
    """The validated atlas experiment (run it with :func:`experiments.runner.run_experiment`)."""
    return experiment_from_dict(atlas_definition(settings), source="hunan-sim atlas")


# --------------------------------------------------------------------------------------------------------
# the table
# --------------------------------------------------------------------------------------------------------

def _run_values(root: Path) -> pd.DataFrame:
    """One row per finished run: design columns and one column per ``indicator@Hunan@year``."""
    con = connect(root)
    try:
        long = con.execute("SELECT run_index, indicator, year, value FROM runs WHERE region = 'Hunan'").df()
    finally:
        con.close()
    design = pd.read_parquet(root / DESIGN_FILE)
    if long.empty:
        return design.iloc[0:0]
    long["key"] = long["indicator"] + "@Hunan@" + long["year"].astype(str)
    wide = long.pivot_table(index="run_index", columns="key", values="value", aggfunc="first")
    return design.set_index("run_index").join(wide, how="inner").reset_index()


def atlas_table(root: Path | str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each lever's paired effect (high minus low) on every atlas indicator in 2025 and 2035.

    Args:
        root: an atlas results folder (written by :func:`experiments.runner.run_experiment` on
            :func:`atlas_experiment`).

    Returns:
        ``(table, unmatched)``: the table (columns :data:`ATLAS_COLUMNS`, levers in declaration order) and the
        runs left without a partner (a run missing or failed), from :func:`experiments.analysis.paired_effects`.

    Raises:
        InputError: the folder is not a finished atlas folder.
    """
    root = Path(root)
    meta = ResultStore(root).read_experiment()
    if meta.get("definition", {}).get("name") != ATLAS_NAME or FACTOR not in meta["definition"].get("levers", {}):
        raise InputError(field="--out", value=str(root), source="command line",
                         allowed="a results folder written by hunan-sim atlas")
    values = _run_values(root)
    setting = values[FACTOR].astype(str).str.rsplit(":", n=1, expand=True) if len(values) else None
    rows: list[pd.DataFrame] = []
    unmatched: list[pd.DataFrame] = []
    options = meta["definition"]["levers"][FACTOR]["options"]
    lever_names = list(dict.fromkeys(opt.rsplit(":", 1)[0] for opt in options))
    for name in lever_names:
        if setting is None:
            break
        lever = LEVERS[name]
        runs = values[setting[0] == name].assign(side=setting[1][setting[0] == name])
        cols = [analysis.outcome_key(i, "Hunan", y) for i in ATLAS_INDICATORS for y in ATLAS_YEARS]
        result = analysis.paired_effects(runs, cols, arm="side", baseline="low")
        unmatched.append(result.unmatched.assign(lever=name))
        eff = result.effects
        if eff.empty:
            continue
        # the largest |difference| of any pair: exactly 0 means the lever touched nothing the run draws from
        pairs = runs.pivot_table(index=["uncertainty_point", "replicate"], columns="side", values=cols,
                                 aggfunc="first")
        max_abs = {c: float(np.nanmax(np.abs(pairs[(c, "high")] - pairs[(c, "low")]))) if
                   {(c, "high"), (c, "low")} <= set(pairs.columns) else math.nan for c in cols}
        low, high = options[option_name(name, "low")][name], options[option_name(name, "high")][name]
        eff = eff.assign(lever=name, group=lever.group, low_value=value_text(low), high_value=value_text(high),
                         unit=[INDICATORS[i].unit for i in eff["indicator"]],
                         counts_for_flag=eff["indicator"].isin(FLAG_INDICATORS),
                         max_abs_difference=[max_abs[c] for c in eff["outcome"]])
        rows.append(eff)
    table = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=ATLAS_COLUMNS)
    table["beyond_noise"] = (table["n_pairs"] >= MIN_PAIRS) & ((table["low"] > 0) | (table["high"] < 0))
    table = table[ATLAS_COLUMNS].astype({"low_value": str, "high_value": str})
    table["year"] = table["year"].astype(int)
    lost = pd.concat(unmatched, ignore_index=True) if unmatched else pd.DataFrame()
    return table.reset_index(drop=True), lost


def lever_summary(table: pd.DataFrame) -> pd.DataFrame:
    """One row per lever: whether it moves an outcome beyond its paired noise, and which.

    ``status`` is ``moves`` (at least one outcome indicator's 90 % paired interval excludes 0 with at least
    :data:`MIN_PAIRS` pairs), ``inert`` (every pair's difference is exactly 0 on every atlas indicator: the lever
    reaches no mechanism), ``within noise`` (it changes runs, but no outcome beyond the paired noise) or
    ``too few pairs`` (fewer than :data:`MIN_PAIRS`: no verdict).
    """
    out = []
    for name, g in table.groupby("lever", sort=False):
        flag = g[g["counts_for_flag"].astype(bool)]
        moved = flag[flag["beyond_noise"].astype(bool)]
        n_pairs = int(g["n_pairs"].min()) if len(g) else 0
        if len(moved):
            status = "moves"
        elif (g["max_abs_difference"] == 0).all():
            status = "inert"
        elif n_pairs < MIN_PAIRS:
            status = "too few pairs"
        else:
            status = "within noise"
        out.append({"lever": name, "group": g["group"].iloc[0], "low_value": g["low_value"].iloc[0],
                    "high_value": g["high_value"].iloc[0], "n_pairs": n_pairs, "moves": bool(len(moved)),
                    "status": status,
                    "moved": ", ".join(f"{r.indicator} {r.year}" for r in moved.itertuples())})
    return pd.DataFrame(out, columns=["lever", "group", "low_value", "high_value", "n_pairs", "moves", "status",
                                      "moved"])


def sign_checks(table: pd.DataFrame) -> pd.DataFrame:
    """The model's sign against :data:`EXPECTED_SIGNS`, per lever, expectation and year.

    ``verdict`` is ``matches`` or ``opposite`` when the 90 % paired interval excludes zero, ``not
    distinguishable from 0`` otherwise, ``too few pairs`` with fewer than :data:`MIN_PAIRS` pairs, and ``no
    indicator yet`` when the model has no indicator for the outcome.
    """
    rows = []
    for name, expectations in EXPECTED_SIGNS.items():
        g = table[table["lever"] == name]
        if g.empty:
            continue
        for exp in expectations:
            for year in ATLAS_YEARS:
                base = {"lever": name, "outcome": exp.outcome, "indicator": exp.indicator or "", "year": year,
                        "expected": "+" if exp.sign > 0 else "-", "source": exp.source}
                r = g[(g["indicator"] == exp.indicator) & (g["year"] == year)]
                if exp.indicator is None or r.empty:
                    rows.append({**base, "median": math.nan, "low": math.nan, "high": math.nan,
                                 "verdict": "no indicator yet"})
                    continue
                r = r.iloc[0]
                if int(r["n_pairs"]) < MIN_PAIRS:
                    verdict = "too few pairs"
                elif bool(r["beyond_noise"]):
                    verdict = "matches" if np.sign(r["median"]) == exp.sign else "opposite"
                else:
                    verdict = "not distinguishable from 0"
                rows.append({**base, "median": r["median"], "low": r["low"], "high": r["high"], "verdict": verdict})
    return pd.DataFrame(rows, columns=["lever", "outcome", "indicator", "year", "expected", "median", "low", "high",
                                       "verdict", "source"])


# --------------------------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------------------------

def atlas_chart(table: pd.DataFrame, path: Path, indicators: Sequence[str] = CHART_INDICATORS) -> Path:
    """A forest plot: per lever (rows) and indicator and year (panels), the median paired effect and its 90 %
    interval; filled markers are beyond the paired noise, hollow ones are not."""
    from matplotlib.figure import Figure

    from experiments.plots import _save

    levers = list(dict.fromkeys(table["lever"]))
    panels = [(i, y) for y in ATLAS_YEARS for i in indicators]
    fig = Figure(figsize=(3.0 * len(indicators), 2.0 + 0.28 * len(levers) * 2))
    axes = fig.subplots(len(ATLAS_YEARS), len(indicators), squeeze=False, sharey=True)
    ypos = np.arange(len(levers))[::-1]
    for k, (ind, year) in enumerate(panels):
        ax = axes[k // len(indicators)][k % len(indicators)]
        e = table[(table["indicator"] == ind) & (table["year"] == year)].set_index("lever").reindex(levers)
        ax.axvline(0, color="0.6", lw=0.8)
        beyond = e["beyond_noise"].fillna(False).astype(bool).to_numpy()
        med, lo, hi = (e[c].to_numpy(float) for c in ("median", "low", "high"))
        ax.hlines(ypos, lo, hi, color="tab:blue", lw=1.2)
        ax.plot(med[beyond], ypos[beyond], "o", color="tab:blue", ms=4)
        ax.plot(med[~beyond], ypos[~beyond], "o", mfc="white", mec="tab:blue", ms=4)
        ax.set_title(f"{ind}\n{year} ({INDICATORS[ind].unit})", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_yticks(ypos)
        ax.set_yticklabels(levers, fontsize=7)
    fig.suptitle(f"Paired effect of each lever, high minus low, on {ATLAS_SCENARIO} (median and 90 % interval; "
                 "filled: beyond paired noise)", fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.985))  # room for the title above the first row's panel titles
    return _save(fig, path)


def _effect_cell(r: Any) -> str:
    if not math.isfinite(r["median"]):
        return ""
    mark = "**" if bool(r["beyond_noise"]) else ""
    return f"{mark}{_cell(r['median'])}{mark} [{_cell(r['low'])}, {_cell(r['high'])}]"


def markdown_table(table: pd.DataFrame, indicators: Sequence[str] = CHART_INDICATORS) -> pd.DataFrame:
    """A compact view of the table for Markdown: one row per lever, one column per indicator and year
    (``median [5 %, 95 %]``, bold when beyond the paired noise)."""
    rows = []
    summary = lever_summary(table).set_index("lever")
    for name, g in table.groupby("lever", sort=False):
        row: dict[str, Any] = {"lever": name, "low → high": f"{g['low_value'].iloc[0]} → {g['high_value'].iloc[0]}",
                               "status": summary.loc[name, "status"]}
        for ind in indicators:
            for year in ATLAS_YEARS:
                r = g[(g["indicator"] == ind) & (g["year"] == year)]
                row[f"{ind} {year}"] = _effect_cell(r.iloc[0]) if len(r) else ""
        rows.append(row)
    return pd.DataFrame(rows)


def write_atlas(root: Path | str, out_dir: Path | str | None = None) -> dict[str, Path]:
    """Write the atlas table (``atlas.csv``), per-lever summary (``atlas_levers.csv``), the sign checks
    (``atlas_signs.csv``), the settings (``atlas.json``), a Markdown page (``atlas.md``) and the chart
    (``atlas.png``) from an atlas results folder.

    Args:
        root: the atlas results folder.
        out_dir: where to write (default ``root/atlas``).

    Returns:
        The paths written, by kind.
    """
    root = Path(root)
    out = Path(out_dir) if out_dir is not None else root / "atlas"
    out.mkdir(parents=True, exist_ok=True)
    table, unmatched = atlas_table(root)
    meta = ResultStore(root).read_experiment()
    defn = meta["definition"]
    info = {"scenario": ATLAS_SCENARIO, "policy_from": defn.get("policy_from"), "scale": defn["scale"],
            "draws": defn["uncertainties"]["n"], "replications": defn["replications"],
            "master_seed": defn["master_seed"], "min_pairs": MIN_PAIRS, "years": list(ATLAS_YEARS),
            "uncertainty": "posterior" if not meta.get("uncertainty_note") else meta["uncertainty_note"],
            "levers": list(dict.fromkeys(table["lever"])), "digest": meta.get("digest"),
            "code_version": meta.get("git_commit"), "data_version": meta.get("data_version"),
            "unmatched_runs": int(len(unmatched))}
    summary = lever_summary(table)
    signs = sign_checks(table)
    paths = {"table": out / "atlas.csv", "levers": out / "atlas_levers.csv", "signs": out / "atlas_signs.csv",
             "settings": out / "atlas.json", "markdown": out / "atlas.md", "chart": out / "atlas.png"}
    # fixed float format: the CSV is identical bit for bit for identical runs, and diffs stay readable
    table.to_csv(paths["table"], index=False, float_format="%.6g")
    summary.to_csv(paths["levers"], index=False)
    signs.to_csv(paths["signs"], index=False, float_format="%.6g")
    paths["settings"].write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    atlas_chart(table, paths["chart"])
    md = [f"# Lever atlas\n\nEach lever at its low and its high setting from {info['policy_from']} on top of "
          f"`{ATLAS_SCENARIO}`, {info['draws']} posterior draws × {info['replications']} replications at scale "
          f"{info['scale']:g} (common random numbers). Cells: median [5 %, 95 %] of the per-pair differences, high "
          f"minus low; **bold**: the 90 % interval excludes 0 with at least {MIN_PAIRS} pairs (beyond the paired "
          "noise). Every indicator in `atlas.csv`.\n\n", _md_table(markdown_table(table), max_rows=len(LEVERS) + 1)]
    if len(signs):
        md += ["\n## Signs\n\n", _md_table(signs.drop(columns="source"), max_rows=len(signs) + 1)]
    if len(unmatched):
        md.append(f"\n**{len(unmatched)} runs have no partner** (missing or failed) and are left out.\n")
    paths["markdown"].write_text("".join(md), encoding="utf-8")
    return paths


def load_table(path: Path | str) -> pd.DataFrame:
    """Read an ``atlas.csv`` written by :func:`write_atlas` (``beyond_noise`` and ``counts_for_flag`` as bools)."""
    df = pd.read_csv(path, dtype={"low_value": str, "high_value": str})
    for c in ("beyond_noise", "counts_for_flag"):
        df[c] = df[c].astype(str).str.lower().eq("true")
    return df


def describe(summary: pd.DataFrame) -> str:
    """A few lines for the terminal: how many levers move an outcome, and which do not."""
    counts: Mapping[str, int] = summary["status"].value_counts().to_dict()
    lines = [f"{len(summary)} levers: " + ", ".join(f"{n} {s}" for s, n in counts.items())]
    for r in summary[~summary["moves"]].itertuples():
        lines.append(f"  {r.lever}: {r.status}")
    return "\n".join(lines)
