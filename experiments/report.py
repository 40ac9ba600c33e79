"""``hunan-sim report DIR``: a Markdown report of a sweep's results folder.

The report answers the brief's question, "if Hunan pulls these levers, how likely is it to meet these targets,
where, and for whom?": for each policy (a scenario and a setting of the varied levers) the probability of
meeting each plan target in 2025 and 2035 and each division's 2025 urbanization target, with Wilson intervals;
the effect of each lever with confidence intervals; each policy's paired effect on every indicator (runs matched
by posterior draw and replicate, with common random numbers their seed too); fan charts against the targets;
scenario discovery with PRIM; and, for sensitivity designs, Sobol or Morris indices. Tables are also written as CSV next to the report.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from experiments import analysis, plots
from experiments.seeds import ANALYSIS_BLOCK, design_seed
from experiments.spec import Discovery, _parse_report, _parse_uncertainties
from experiments.store import DESIGN_FILE, ResultStore, check_folder, connect
from sim.data import observed_urbanization_rate
from sim.errors import InputError
from sim.indicators import INDICATORS
from sim.parameters import parameter_names
from sim.plan_targets import DEFINITION_DIFFERENCES, definition_warning
from sim.years import PLAN_END_YEAR, POLICY_START_YEAR, START_YEAR

#: Indicators drawn as fan charts (Hunan), with their plan targets where there are some.
FAN_INDICATORS = ("urbanization_rate", "czt_urban_share", "urban_unemployment_rate", "urban_rural_income_ratio",
                  "hukou_gap")
#: "For whom": Hunan indicators summarised per policy in the last year (settlements summed from policy_from).
WHO_INDICATORS = ("settled_migrants", "permit_holders", "migrant_children_public_school_share", "left_behind_children",
                  "hukou_gap", "outside_hunan_population")
_RUN_COLUMNS = {"run_index", "run_id", "scenario", "lever_point", "uncertainty_point", "replicate", "seed", "digest"}


@dataclass
class SweepResults:
    """A results folder loaded for analysis.

    Attributes:
        root: the folder.
        meta: its ``experiment.json``.
        design: the planned runs (one row each).
        factors: the varied lever factors (design columns).
        uncertainties: the varied parameters (design columns).
        outcomes: one row per finished run: design columns and outcome columns (``indicator@region@year``).
        hunan: Hunan's indicator rows of the finished runs (for fan charts).
        failed: the failure records.
    """

    root: Path
    meta: dict[str, Any]
    design: pd.DataFrame
    factors: list[str]
    uncertainties: list[str]
    outcomes: pd.DataFrame
    hunan: pd.DataFrame
    failed: pd.DataFrame
    provenance: list[dict[str, Any]] = field(default_factory=list)

    @property
    def sampled_levers(self) -> bool:
        """Whether levers were sampled (LHS/Sobol: each setting unique) rather than a factorial grid."""
        return self.meta["definition"].get("levers", {}).get("design", "full_factorial") != "full_factorial"

    @property
    def policy_columns(self) -> list[str]:
        """Columns that define a policy for probabilities and fan charts."""
        return ["scenario"] if self.sampled_levers else ["scenario", *self.factors]


def _policy_labels(df: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    def label(row: pd.Series) -> str:
        parts = [str(row["scenario"])] + [f"{c}={analysis._fmt(row[c])}" for c in columns if c != "scenario"]
        return " · ".join(parts)
    return df.apply(label, axis=1) if len(df) else pd.Series([], dtype=str)


def load_results(root: Path | str) -> SweepResults:
    """Load a results folder's design and outcomes (DuckDB over the run files, read-only).

    Raises:
        InputError: the folder is not a complete sweep folder, or a file in it cannot be read.
    """
    import duckdb

    root = Path(root)
    store = ResultStore(root)
    meta = store.read_experiment()  # refuses a folder whose definition is incomplete, with what to do
    try:
        design = pd.read_parquet(root / DESIGN_FILE)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(field=DESIGN_FILE, value=str(exc)[:160], source=str(root),
                         allowed="a readable design (rerun the same hunan-sim sweep command to rewrite it)") from None
    params = set(parameter_names())
    extra = [c for c in design.columns if c not in _RUN_COLUMNS]
    uncertainties = [c for c in extra if c in params]
    factors = [c for c in extra if c not in params]
    target_inds = sorted({t.indicator for t in analysis.plan_targets()} | set(FAN_INDICATORS) | set(WHO_INDICATORS)
                         | {o for o, _ in analysis.EFFECT_OUTCOMES} | {_discovery(meta).indicator})
    con = connect(root)
    try:  # a run file torn inside (its footer intact) fails here; the next sweep quarantines and redoes it
        placeholders = ", ".join("?" for _ in target_inds)
        hunan = con.execute(f"SELECT run_index, year, indicator, value FROM runs WHERE region = 'Hunan' AND "
                            f"indicator IN ({placeholders})", target_inds).df()
        disc = _discovery(meta)
        div = con.execute("SELECT run_index, region, year, indicator, value FROM runs WHERE region <> 'Hunan' "
                          "AND ((indicator = 'urbanization_rate' AND year = 2025) OR (indicator = ? AND region = ? "
                          "AND year = ?))", [disc.indicator, disc.region, disc.year]).df()
        failed = con.execute("SELECT * FROM failures ORDER BY run_index").df()
    except duckdb.Error as exc:
        raise InputError(field="runs", value=f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}",
                         allowed="readable run files (rerun the same hunan-sim sweep command: it moves damaged files "
                                 "to corrupt/ and redoes their runs)", source=str(root)) from None
    finally:
        con.close()
    from sim.run import read_provenance

    prov = []
    for path in sorted((root / "runs").glob("r*.parquet")):  # the first readable one (a torn one was warned of)
        try:
            prov.append(read_provenance(path))
            break
        except (InputError, json.JSONDecodeError):
            continue
    wide = _outcome_table(hunan, div)
    done = design[design["run_index"].isin(wide.index)]
    outcomes = done.set_index("run_index").join(wide, how="inner").reset_index()
    return SweepResults(root=root, meta=meta, design=design, factors=factors, uncertainties=uncertainties,
                        outcomes=outcomes, hunan=hunan, failed=failed, provenance=prov)


def _outcome_table(hunan: pd.DataFrame, divisions: pd.DataFrame) -> pd.DataFrame:
    """One row per run, one column per ``indicator@region@year`` (plus 5-year sums the targets need)."""
    both = pd.concat([hunan.assign(region="Hunan"), divisions], ignore_index=True)
    if both.empty:
        return pd.DataFrame(index=pd.Index([], name="run_index"))
    both["key"] = both["indicator"] + "@" + both["region"] + "@" + both["year"].astype(str)
    wide = both.pivot_table(index="run_index", columns="key", values="value", aggfunc="first")
    for t in analysis.plan_targets():
        if t.transform == "sum_5y_10k":
            cols = [analysis.outcome_key(t.indicator, t.region, y) for y in range(t.year - 4, t.year + 1)]
            if all(c in wide for c in cols):
                wide[t.key] = wide[cols].sum(axis=1, min_count=len(cols)) / 1e4
    return wide


def _discovery(meta: dict[str, Any]) -> Discovery:
    d = meta.get("definition", {})
    return _parse_report(d.get("report", {}), meta.get("source", "experiment.json"), d.get("end_year", PLAN_END_YEAR))


def _uncertainty_spec(meta: dict[str, Any]):
    d = meta.get("definition", {}).get("uncertainties", {})
    if meta.get("uncertainty_note") and "fallback" in d:
        d = d["fallback"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _parse_uncertainties(d, meta.get("source", "experiment.json"), base_dir=Path.cwd())


# --------------------------------------------------------------------------------------------------------
# Markdown helpers
# --------------------------------------------------------------------------------------------------------

def _md_table(df: pd.DataFrame, *, max_rows: int = 60) -> str:
    if df.empty:
        return "_(none)_\n"
    shown = df.head(max_rows)
    cols = [str(c) for c in shown.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in shown.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    if len(df) > max_rows:
        lines.append(f"\n_{len(df) - max_rows} more rows in the CSV file._")
    return "\n".join(lines) + "\n"


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, (float, np.floating)):
        if not math.isfinite(v):
            return ""
        return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v).replace("|", "\\|")


def _p_cell(p: float, lo: float, hi: float) -> str:
    return "" if not math.isfinite(p) else f"{p:.2f} [{lo:.2f}, {hi:.2f}]"


# --------------------------------------------------------------------------------------------------------
# the report
# --------------------------------------------------------------------------------------------------------

def write_report(root: Path | str, out_dir: Path | str | None = None) -> Path:
    """Analyse a results folder and write ``report.md``, its figures and CSV tables.

    Args:
        root: the results folder of a sweep.
        out_dir: where to write (default ``root/report``).

    Returns:
        The path of ``report.md``.

    Raises:
        InputError: ``root`` is not a results folder, or holds no finished run.
    """
    out = Path(out_dir) if out_dir else Path(root) / "report"
    if out_dir is not None:  # checked before the (longer) analysis
        check_folder(out, field="--out")
    res = load_results(root)
    if res.outcomes.empty:
        raise InputError(field="DIR", value=str(res.root), allowed="a results folder with at least one finished run",
                         source="command line")
    check_folder(out, field="--out")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(field="--out", value=str(out), allowed=f"a folder that can be created ({exc.strerror})",
                         source="command line") from None
    meta = res.meta
    defn = meta.get("definition", {})
    policy_cols = res.policy_columns
    outcomes = res.outcomes.copy()
    outcomes["policy"] = _policy_labels(outcomes, policy_cols)
    md: list[str] = [f"# Sweep report: {meta['name']}\n"]
    if defn.get("description"):
        md.append(defn["description"].strip() + "\n")

    # ---- runs and provenance ----------------------------------------------------------------------------
    n_plan, n_done, n_failed = len(res.design), len(outcomes), len(res.failed)
    prov = res.provenance[0]["model"] if res.provenance else {}
    md.append("## Runs\n")
    info = [("experiment file", meta.get("source")), ("overrides", ", ".join(meta.get("overrides", [])) or "none"),
            ("planned runs", n_plan), ("finished", n_done), ("failed", n_failed),
            ("missing", n_plan - n_done - n_failed),
            ("scenarios", ", ".join(defn.get("scenarios", ["baseline"]))),
            ("varied levers", ", ".join(res.factors) or "none"),
            ("lever design", defn.get("levers", {}).get("design", "full_factorial") if res.factors else "-"),
            ("uncertainty design", _uncertainty_spec(meta).design + (f" ({meta['uncertainty_note']})"
                                                                       if meta.get("uncertainty_note") else "")),
            ("varied parameters", ", ".join(res.uncertainties) or "none (posterior median or declared defaults)"),
            ("replications", defn.get("replications", 1)), ("scale (households per agent)", defn.get("scale", 100)),
            ("years", f"{START_YEAR}-{defn.get('end_year', PLAN_END_YEAR)}"), ("master seed", meta.get("master_seed")),
            ("experiment digest", meta.get("digest")), ("code version", prov.get("git_commit", "?")),
            ("input data version", prov.get("data_version", "?")),
            ("packages", ", ".join(f"{k} {v}" for k, v in prov.get("packages", {}).items()))]
    md.append(_md_table(pd.DataFrame(info, columns=["", "value"])))
    runs = _runs_table(res)
    runs.to_csv(out / "runs.csv", index=False)
    md.append("\nEvery planned run (`runs.csv`): its scenario, lever point, uncertainty point (in a posterior design, "
              "the index of the posterior draw), replicate, seed and status.\n\n"
              + _md_table(runs, max_rows=20))
    if n_done < n_plan:
        md.append(f"\n**{n_plan - n_done} of {n_plan} runs have no result**; the figures below use the "
                  f"{n_done} finished runs. Finish them with `hunan-sim sweep {meta.get('source')}` (add "
                  "`--retry-failed` to rerun failures).\n")

    # ---- probabilities of the province targets ------------------------------------------------------------
    targets = [t for t in analysis.plan_targets() if t.key in outcomes]
    md.append("\n## Probability of meeting the plan's targets\n")
    md.append("Share of each policy's runs that meet the target, with a 95 % Wilson interval (the Monte-Carlo "
              "uncertainty of that share over the policy's uncertainty draws and replications; it does not "
              "include model error). "
              + ("Levers were sampled, each setting once, so probabilities are per scenario over all sampled "
                 "settings; see lever effects and scenario discovery for the levers' influence. "
                 if res.sampled_levers else "") + "\n")
    md.append("Targets (`calibration/data/plan/plan_indicators.csv`):\n")
    md.append("".join(f"- `{t.short}`: {t.label}\n" for t in targets))
    warned = list(dict.fromkeys(t.indicator for t in targets if t.indicator in DEFINITION_DIFFERENCES))
    if warned:
        md.append("\n" + "".join(f"- {definition_warning(i)}\n" for i in warned))
    probs = analysis.attainment(outcomes, targets, ["policy", *policy_cols])
    probs.to_csv(out / "probabilities.csv", index=False)
    if not probs.empty:
        probs["cell"] = [_p_cell(p, lo, hi) for p, lo, hi in zip(probs.p, probs.p_low, probs.p_high, strict=True)]
        wide = probs.pivot_table(index="policy", columns="target", values="cell", aggfunc="first", sort=False)
        wide = wide[[t.short for t in targets if t.short in wide.columns]]
        n_runs = probs.groupby("policy", sort=False)["n_runs"].max()
        wide.insert(0, "runs", n_runs.reindex(wide.index))
        md.append("\n" + _md_table(wide.reset_index()))
    medians = probs.pivot_table(index="policy", columns="target", values="median", aggfunc="first", sort=False) \
        if not probs.empty else pd.DataFrame()
    if not medians.empty:
        md.append("\nMedian outcome over each policy's runs:\n\n" + _md_table(medians.reset_index()))

    # ---- division targets ----------------------------------------------------------------------------------
    ctargets = [t for t in analysis.city_targets() if t.key in outcomes]
    if ctargets:
        md.append("\n## Division urbanization targets for 2025 (plan column 8)\n")
        dprob = analysis.attainment(outcomes, ctargets, ["policy", *policy_cols])
        dprob["division"] = [next(c.region for c in ctargets if c.short == t) for t in dprob.target]
        dprob.to_csv(out / "division_probabilities.csv", index=False)
        heat = dprob.pivot_table(index="policy", columns="division", values="p", aggfunc="first", sort=False)
        heat = heat[[c.region for c in ctargets if c.region in heat.columns]]
        path = plots.probability_heatmap(heat, out / "division_targets_2025.png",
                                         title="P(division meets its 2025 urbanization target)")
        md.append(f"![division targets]({path.name})\n")
        tgt = pd.DataFrame([{"division": c.region, "target 2025 (%)": c.value} for c in ctargets])
        med = dprob.pivot_table(index="division", columns="policy", values="median", aggfunc="first", sort=False)
        cells = dprob.assign(cell=[_p_cell(p, lo, hi) for p, lo, hi in zip(dprob.p, dprob.p_low, dprob.p_high,
                                                                           strict=True)])
        if heat.shape[0] <= 6:
            tab = cells.pivot_table(index="division", columns="policy", values="cell", aggfunc="first", sort=False)
            tab = tgt.set_index("division").join(tab)
            md.append("\nProbability [95 % interval] per division:\n\n" + _md_table(tab.reset_index()))
        med = pd.concat([tgt.set_index("division").T.rename(index={"target 2025 (%)": "plan target"}), med.T])
        md.append("\nMedian simulated 2025 urbanization rate (%) per division (first row: the plan's target):\n\n"
                  + _md_table(med.rename_axis("policy").reset_index()))

    # ---- fan charts -------------------------------------------------------------------------------------------
    md.append("\n## Fan charts\n")
    md.append("Median and the 50 % and 90 % bands of each policy's runs; red triangles are the plan's targets "
              "(pointing to the side that meets them), black dots the observed history where the data has it.\n")
    labels = outcomes[["run_index", "policy"]]
    hunan = res.hunan.merge(labels, on="run_index")
    observed = {"urbanization_rate": observed_urbanization_rate()}
    for ind in FAN_INDICATORS:
        s = hunan[hunan["indicator"] == ind]
        if s.empty:
            continue
        tg = [t for t in targets if t.indicator == ind and t.transform == "level"]
        unit = INDICATORS[ind].unit if ind in INDICATORS else ""
        paths = plots.fan_charts(s[["policy", "run_index", "year", "value"]], indicator_label=f"{ind} ({unit})",
                                 targets=tg, path_stem=out / f"fan_{ind}", observed=observed.get(ind))
        md.append("".join(f"![{ind}]({p.name})\n" for p in paths))

    # ---- for whom ----------------------------------------------------------------------------------------
    who = _who_table(res, outcomes)
    if not who.empty:
        end = int(defn.get("end_year", PLAN_END_YEAR))
        start = int(defn.get("policy_from", min(POLICY_START_YEAR, end)))
        md.append("\n## For whom\n")
        md.append(f"Median [5 %, 95 %] over each policy's runs, Hunan, {end} (settled migrants: persons who "
                  f"transferred hukou to a Hunan city, summed over {start}-{end}).\n\n")
        who.to_csv(out / "for_whom.csv", index=False)
        md.append(_md_table(who))

    # ---- lever effects --------------------------------------------------------------------------------------
    effect_factors = list(res.factors) + (["scenario"] if outcomes["scenario"].nunique() > 1 else [])
    effect_cols = [analysis.outcome_key(i, "Hunan", y) for i, y in analysis.EFFECT_OUTCOMES]
    levers_def = defn.get("levers", {})
    continuous = [f for f in res.factors if isinstance(levers_def.get(f), dict) and "range" in levers_def[f]]
    effects = analysis.lever_effects(outcomes, effect_factors, effect_cols, continuous=continuous) \
        if effect_factors else pd.DataFrame()
    md.append("\n## Lever effects\n")
    if effects.empty:
        md.append("No lever or scenario varies in this experiment (or too few runs to estimate effects).\n")
    else:
        effects.to_csv(out / "lever_effects.csv", index=False)
        md.append("Main effects from a linear model of each outcome on all varied levers (and the scenario) at "
                  "once, with 95 % confidence intervals (HC3 robust standard errors). For a lever with a few "
                  "levels, each row is the change from its first level; for a sampled continuous lever, the "
                  "change from its lowest to its highest value. An interval that excludes 0 is an effect the "
                  "runs can distinguish from noise.\n\n")
        show = effects.assign(effect=[f"{e:.3g} [{lo:.3g}, {hi:.3g}]" for e, lo, hi in
                                      zip(effects.effect, effects.ci_low, effects.ci_high, strict=True)])
        tab = show.pivot_table(index="term", columns="outcome", values="effect", aggfunc="first", sort=False)
        md.append(_md_table(tab.reset_index()))
        key = [c for c in effect_cols[:2] if c in set(effects.outcome)]
        if key:
            path = plots.effects_chart(effects[effects.outcome.isin(key)], out / "lever_effects.png",
                                       title="Lever effects on the urbanization rate (percentage points)")
            md.append(f"\n![lever effects]({path.name})\n")

    # ---- paired effects -----------------------------------------------------------------------------------
    md.append(_paired_section(res, outcomes, out))

    # ---- scenario discovery -------------------------------------------------------------------------------------
    disc = _discovery(meta)
    dkey = analysis.outcome_key(disc.indicator, disc.region, disc.year)
    md.append(f"\n## Scenario discovery: which lever combinations reach {disc.describe()}\n")
    if dkey not in outcomes or not res.factors:
        md.append("Not applicable: " + ("no lever varies in this experiment.\n" if not res.factors else
                                        f"the outcome {dkey} is not in the results.\n"))
    else:
        v = outcomes[dkey].to_numpy(float)
        y = np.isfinite(v)
        if disc.min is not None:
            y &= v >= disc.min
        if disc.max is not None:
            y &= v <= disc.max
        x_cols = res.factors + (["scenario"] if outcomes["scenario"].nunique() > 1 else [])
        found = analysis.discover(outcomes[x_cols], y)
        md.append(f"PRIM (EMA Workbench) over {found.n_runs} runs, {found.n_of_interest} of which reach it "
                  f"({found.n_of_interest / max(found.n_runs, 1):.0%}).\n\n")
        if found.limits is None or found.message:
            md.append(f"No box: {found.message}.\n")
        else:
            md.append(f"The box below holds {found.coverage:.0%} of the runs that reach it (coverage), "
                      f"{found.density:.0%} of the runs inside it reach it (density), and it covers "
                      f"{found.mass:.0%} of all runs (mass).\n\n")
            md.append(_md_table(found.limits))
            found.limits.to_csv(out / "prim_box.csv", index=False)

    # ---- sensitivity ---------------------------------------------------------------------------------------
    uspec = _uncertainty_spec(meta)
    if uspec.design in ("sobol_sensitivity", "morris"):
        md.append(_sensitivity_section(res, uspec, out))

    # ---- failures ----------------------------------------------------------------------------------------------
    if n_failed:
        md.append("\n## Failed runs\n")
        md.append(_md_table(res.failed[["run_index", "error_type", "message", "attempts"]]))
    md.append("\n## Files\n")
    md.append("Tables as CSV beside this report: " + ", ".join(sorted(p.name for p in out.glob("*.csv"))) + ". "
              "Query the raw results with DuckDB: "
              f"`experiments.store.query('{res.root}', \"SELECT ... FROM runs\")`.\n")
    path = out / "report.md"
    path.write_text("\n".join(md), encoding="utf-8")
    return path


def _runs_table(res: SweepResults) -> pd.DataFrame:
    """One row per planned run: identity, pairing keys (uncertainty point = posterior draw), seed and status."""
    cols = [c for c in ("run_index", "scenario", "lever_point", "uncertainty_point", "replicate", "seed")
            if c in res.design]
    runs = res.design[cols + [f for f in res.factors if f in res.design]].copy()
    done = set(res.outcomes["run_index"])
    failed = set(res.failed["run_index"]) if "run_index" in res.failed else set()
    runs["status"] = ["finished" if i in done else "failed" if i in failed else "missing" for i in runs["run_index"]]
    return runs.rename(columns={"uncertainty_point": "uncertainty_point (posterior draw)"}) \
        if _uncertainty_spec(res.meta).design == "posterior" else runs


def _paired_years(defn: dict[str, Any]) -> list[int]:
    """The years paired effects are given for: the plan's 2025 and 2035 where simulated, else the last year."""
    end = int(defn.get("end_year", PLAN_END_YEAR))
    years = [y for y in (2025, PLAN_END_YEAR) if START_YEAR <= y <= end]
    return sorted(set(years)) or [end]


def _paired_outcomes(res: SweepResults, years: Sequence[int]) -> pd.DataFrame:
    """Every indicator of every finished run in ``years``, Hunan and the divisions (not counties), one column per
    ``indicator@region@year``, joined to the runs' design columns."""
    con = connect(res.root)
    try:
        placeholders = ", ".join("?" for _ in years)
        long = con.execute(f"SELECT run_index, region, year, indicator, value FROM runs WHERE year IN ({placeholders}) "
                           "AND NOT regexp_matches(region, '^[0-9]')", list(years)).df()
    finally:
        con.close()
    if long.empty:
        return pd.DataFrame()
    long["key"] = long["indicator"] + "@" + long["region"] + "@" + long["year"].astype(str)
    wide = long.pivot_table(index="run_index", columns="key", values="value", aggfunc="first")
    return wide


def _paired_section(res: SweepResults, outcomes: pd.DataFrame, out: Path) -> str:
    """The "Paired effects" section: every indicator's effect against the first policy, paired by draw and seed."""
    md = ["\n## Paired effects\n"]
    policies = list(dict.fromkeys(outcomes["policy"]))
    if len(policies) < 2:
        md.append("Not applicable: the experiment has one policy, so there is nothing to compare.\n")
        return "".join(md)
    defn = res.meta.get("definition", {})
    years = _paired_years(defn)
    wide = _paired_outcomes(res, years)
    if wide.empty:
        md.append(f"Not applicable: the results hold no indicator for {', '.join(map(str, years))}.\n")
        return "".join(md)
    keys = ["uncertainty_point", "replicate"] + (["lever_point"] if res.sampled_levers else [])
    table = outcomes[["run_index", "policy", "seed", *keys]].set_index("run_index").join(wide, how="inner")
    result = analysis.paired_effects(table.reset_index(), list(wide.columns), arm="policy", baseline=policies[0],
                                     pair_on=keys)
    eff = result.effects
    eff.to_csv(out / "paired_effects.csv", index=False)
    crn = bool(defn.get("common_random_numbers", False))
    lo, mid, hi = analysis.PAIRED_QUANTILES
    md.append(f"Each policy against **{result.baseline}**, on every indicator (Hunan here; every division in "
              f"`paired_effects.csv`). Runs are paired by {', '.join(keys)} (the uncertainty point is the posterior "
              "draw in a posterior design)"
              + (", and the two runs of a pair share their seed (common random numbers)" if crn else
                 "; the sweep did not use common random numbers (`common_random_numbers = false`), so the two runs "
                 "of a pair have different seeds and their difference keeps the Monte-Carlo noise")
              + f". **paired**: median [{lo:.0%}, {hi:.0%}] of the per-pair differences (policy minus baseline), "
              f"a {hi - lo:.0%} interval of the effect over posterior draws and replications. **unpaired**: the same "
              "quantiles of the difference between independent runs of the two policies (every baseline run against "
              "every run of the policy), what the comparison would show without pairing.\n")
    if not result.unmatched.empty:
        result.unmatched.to_csv(out / "paired_unmatched.csv", index=False)
        md.append(f"\n**{len(result.unmatched)} runs have no partner** and are left out of the paired effects "
                  "(`paired_unmatched.csv`):\n\n" + _md_table(result.unmatched, max_rows=10))
    hunan = eff[eff["region"] == "Hunan"]
    shown_arms = [p for p in policies[1:] if p in set(hunan["arm"])]
    for arm in shown_arms[:6]:
        e = hunan[hunan["arm"] == arm]
        n_pairs = int(e["n_pairs"].max()) if len(e) else 0
        rows = []
        for ind, g in e.groupby("indicator", sort=False):
            row: dict[str, Any] = {"indicator": ind, "unit": INDICATORS[ind].unit if ind in INDICATORS else ""}
            for r in g.sort_values("year").itertuples():
                row[f"{r.year} paired"] = f"{_cell(r.median)} [{_cell(r.low)}, {_cell(r.high)}]"
                row[f"{r.year} unpaired"] = f"[{_cell(r.unpaired_low)}, {_cell(r.unpaired_high)}]"
            rows.append(row)
        md.append(f"\n### {arm} minus {result.baseline} ({n_pairs} pairs)\n\n")
        md.append(_md_table(pd.DataFrame(rows), max_rows=len(rows) + 1))
    if len(shown_arms) > 6:
        md.append(f"\n_{len(shown_arms) - 6} more policies in `paired_effects.csv`._\n")
    warned = [i for i in DEFINITION_DIFFERENCES if i in set(hunan["indicator"])]
    if warned:
        md.append("\n" + "".join(f"- {definition_warning(i)}\n" for i in warned))
    return "".join(md)


#: Indicators whose paired effects ``hunan-sim report`` also prints (the report has every indicator).
PRINTED_EFFECTS = ("urbanization_rate", "hukou_urbanization_rate", "hukou_gap", "czt_urban_share",
                   "urban_unemployment_rate", "urban_rural_income_ratio", "new_urban_jobs")


def paired_summary(report: Path | str, *, max_arms: int = 6) -> str:
    """A few lines for the terminal: the Hunan paired effects of :data:`PRINTED_EFFECTS` from a written report's
    ``paired_effects.csv`` ('' if it has none)."""
    path = Path(report).parent / "paired_effects.csv"
    if not path.is_file():
        return ""
    eff = pd.read_csv(path)
    eff = eff[(eff["region"] == "Hunan") & eff["indicator"].isin(PRINTED_EFFECTS)]
    if eff.empty:
        return ""
    lines = []
    for arm in list(dict.fromkeys(eff["arm"]))[:max_arms]:
        e = eff[eff["arm"] == arm]
        lines.append(f"paired effects, {arm} minus {e['baseline'].iloc[0]} (Hunan; median [5 %, 95 %] over "
                     f"{int(e['n_pairs'].max())} pairs; unpaired interval after 'vs'; every indicator in the report):")
        for r in e.itertuples():
            warn = "  (definition differs from the plan's statistic)" if r.indicator in DEFINITION_DIFFERENCES else ""
            lines.append(f"  {r.indicator} {r.year}: {_cell(r.median)} [{_cell(r.low)}, {_cell(r.high)}] vs "
                         f"[{_cell(r.unpaired_low)}, {_cell(r.unpaired_high)}]{warn}")
    return "\n".join(lines)


def _who_table(res: SweepResults, outcomes: pd.DataFrame) -> pd.DataFrame:
    """Distribution of the "for whom" indicators per policy (median and 90 % range)."""
    defn = res.meta.get("definition", {})
    end = int(defn.get("end_year", PLAN_END_YEAR))
    start = int(defn.get("policy_from", min(POLICY_START_YEAR, end)))
    h = res.hunan[res.hunan["indicator"].isin(WHO_INDICATORS)]
    if h.empty:
        return pd.DataFrame()
    settled = h[(h["indicator"] == "settled_migrants") & h["year"].between(start, end)]
    settled = settled.groupby("run_index")["value"].sum().rename(f"settled_migrants {start}-{end}")
    last = h[(h["year"] == end) & (h["indicator"] != "settled_migrants")]
    last = last.pivot_table(index="run_index", columns="indicator", values="value", aggfunc="first")
    last.columns = [f"{c} {end}" for c in last.columns]
    wide = pd.concat([settled, last], axis=1).join(outcomes.set_index("run_index")["policy"], how="inner")
    rows = []
    for policy, g in wide.groupby("policy", sort=False):
        row = {"policy": policy}
        for c in wide.columns.drop("policy"):
            q = g[c].quantile([0.5, 0.05, 0.95])
            row[c] = f"{_cell(q[0.5])} [{_cell(q[0.05])}, {_cell(q[0.95])}]"
        rows.append(row)
    return pd.DataFrame(rows)


def _sensitivity_section(res: SweepResults, uspec: Any, out: Path) -> str:
    kind = "Sobol indices" if uspec.design == "sobol_sensitivity" else "Morris screening"
    md = [f"\n## Global sensitivity ({kind})\n"]
    outcomes = res.outcomes
    design = res.design
    n_points = design["uncertainty_point"].nunique()
    X = design.groupby("uncertainty_point")[list(uspec.parameters)].first().sort_index().to_numpy(float)
    problem = uspec.salib_problem()
    seed = design_seed(int(res.meta.get("master_seed", 1)), ANALYSIS_BLOCK) or 1
    groups = outcomes.groupby(["scenario", "lever_point"], sort=False)
    rows = []
    for (scen, lp), g in groups:
        for ind, year in (("urbanization_rate", 2025), ("urbanization_rate", 2035), ("hukou_gap", 2035),
                          ("czt_urban_share", 2025)):
            col = analysis.outcome_key(ind, "Hunan", year)
            if col not in g:
                continue
            y = g.groupby("uncertainty_point")[col].mean().reindex(range(n_points))
            if y.isna().any():
                md.append(f"\n{scen} / lever point {lp}: {int(y.isna().sum())} of {n_points} design points have no "
                          f"finished run; indices need them all.\n")
                break
            idx = analysis.sensitivity_indices(uspec.design, problem, X, y.to_numpy(), seed=seed,
                                               second_order=uspec.second_order, num_levels=uspec.num_levels)
            idx.insert(0, "outcome", col)
            idx.insert(0, "scenario", scen)
            rows.append(idx)
    if not rows:
        return "".join(md)
    table = pd.concat(rows, ignore_index=True)
    table.to_csv(out / "sensitivity.csv", index=False)
    value, conf = ("ST", "ST_conf") if uspec.design == "sobol_sensitivity" else ("mu_star", "mu_star_conf")
    md.append("First-order (S1) and total (ST) Sobol indices with 95 % bootstrap half-widths (SALib)\n"
              if uspec.design == "sobol_sensitivity" else
              "Morris μ* (mean absolute elementary effect, in the outcome's units), its 95 % bootstrap half-width "
              "and σ (spread of the effects: interactions or non-linearity) (SALib)\n")
    for (scen, col), t in table.groupby(["scenario", "outcome"], sort=False):
        t = t.sort_values(value, ascending=False).drop(columns=["scenario", "outcome"])
        md.append(f"\n### {scen}: {col}\n\n" + _md_table(t, max_rows=15))
        path = plots.sensitivity_chart(t.head(20), out / f"sensitivity_{scen}_{col.replace('@', '_')}.png",
                                       value=value, conf=conf, title=f"{col} ({scen})")
        md.append(f"\n![{col}]({path.name})\n")
    return "".join(md)
