"""The calibration report: fit to every target, the posterior against the prior, sensitivity, projections.

``main(out_dir)`` reads the posterior (``calibration/posterior.json``), runs the model for a sample of posterior
draws (each with its own seed, so the bands hold both parameter and stochastic uncertainty) from 2010 to 2035
under ``baseline`` and ``plan-2021``, runs a Morris screening and Sobol decomposition, and writes
``report.md`` with PNG figures and CSV tables into ``out_dir``.

Run it with ``python -m calibration.report [--out DIR] [--draws N] ...``, through ``hunan-sim report
calibration``, or after ``hunan-sim calibrate`` (which calls it unless ``--no-report``).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from calibration.posterior import POSTERIOR_PATH, git_commit, load_posterior, samples_frame
from calibration.sensitivity import SA_OUTPUTS, SA_YEARS, SensitivityResult, run_sensitivity
from calibration.simulator import CALIBRATION_END, prior_bounds
from calibration.targets import GROUPS, UNUSED_EVIDENCE, Target, load_targets, pattern_distance, simulated_values
from sim.data import load_plan_city_targets, load_plan_indicators
from sim.ensemble import EnsembleRun, dask_client, run_ensemble, spawn_seeds
from sim.errors import InputError
from sim.parameters import parameter_specs
from sim.plan_targets import PLAN_TARGETS

REPORT_DIR = Path(__file__).resolve().parent / "report"
SCENARIOS = ("baseline", "plan-2021")
#: Posterior standard deviation relative to the prior's (uniform: range / sqrt(12)) below which a parameter counts
#: as identified, and below which as weakly identified. The standard deviation, not the 90 % interval, so that a
#: posterior piled against one end of its range with a thin tail still counts as informed.
IDENTIFIED, WEAKLY_IDENTIFIED = 0.5, 0.8

#: The plan's provincial targets checked in the projections: (indicator, plan id, direction).
PLAN_CHECKS = tuple((t.indicator, t.plan_id, t.direction) for t in PLAN_TARGETS if t.transform == "level")
PROJECTED = ("urbanization_rate", "czt_urban_share", "urban_rural_income_ratio", "urban_unemployment_rate",
             "hukou_urbanization_rate", "registered_minus_resident")
LABELS = {
    "urbanization_rate": "Urbanization rate (%)", "czt_urban_share": "CZT share of urban population (%)",
    "urban_rural_income_ratio": "Urban/rural income ratio", "urban_unemployment_rate": "Urban unemployment (%)",
    "hukou_urbanization_rate": "Hukou urbanization rate (%)",
    "registered_minus_resident": "Registered minus resident (million)",
}


@dataclass
class Ensemble:
    """Posterior-predictive runs: tidy rows with ``tag`` = draw number, by scenario."""

    runs: dict[str, pd.DataFrame]
    skipped: dict[str, str]
    n_draws: int
    scale: float
    references: dict[str, pd.DataFrame] = field(default_factory=dict)


def _plan_number(text: Any) -> float:
    """The number in a plan cell such as ``63``, ``<5.5`` or ``about 2.4`` (NaN when there is none)."""
    s = str(text).replace("about", "").replace("<", "").replace(">", "").replace("=", "").strip()
    try:
        return float(s)
    except ValueError:
        return math.nan


def _fmt(x: float, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    if abs(x) >= 1e5:
        return f"{x / 1e6:,.2f} M"
    return f"{x:,.{digits}f}"


def _band(df: pd.DataFrame) -> list[str]:
    """The 5-95 % band of each row as text."""
    return [f"{_fmt(a)}–{_fmt(b)}" for a, b in zip(df.q05, df.q95, strict=True)]


def _table(df: pd.DataFrame) -> str:
    """A Markdown table (no dependency on ``tabulate``)."""
    cols = list(df.columns)
    header = "| " + " | ".join(str(c).replace("|", "\\|") for c in cols) + " |"
    lines = [header, "|" + "|".join("---" for _ in cols) + "|"]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------------------
# Simulation
# ------------------------------------------------------------------------------------------------------------
def _scenario_available(name: str) -> str | None:
    """``None`` if the scenario loads, else the reason it is skipped."""
    from sim.scenario import Scenario

    try:
        Scenario.load(name)
    except (InputError, FileNotFoundError, OSError) as exc:
        return f"scenario '{name}' could not be loaded ({exc})"
    return None


def posterior_ensemble(client: Any, posterior: dict[str, Any], *, n_draws: int, scale: float, seed: int,
                       end_year: int = 2035, scenarios: Sequence[str] = SCENARIOS, n_reference: int = 0) -> Ensemble:
    """Run ``n_draws`` posterior draws (own seeds) for each available scenario to ``end_year``.

    ``n_reference`` more runs of the baseline, 2010-2020, with the first seeds, use (a) the posterior median,
    which is what the model runs with by default once the posterior file exists, and (b) the parameters declared
    in ``sim/parameters.py`` without the posterior, so the report can say whether the calibration improves on
    the hand-set values and whether the median (a vector of marginal medians) fits as well as the draws do.
    """
    samples = samples_frame(posterior)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    picks = rng.choice(len(samples), size=n_draws, replace=n_draws > len(samples))
    all_seeds = spawn_seeds(seed, max(n_draws, n_reference))
    seeds = all_seeds[:n_draws]
    runs, skipped = {}, {}
    specs_all: list[EnsembleRun] = []
    available = []
    for name in scenarios:
        reason = _scenario_available(name)
        if reason:
            skipped[name] = reason
            continue
        available.append(name)
        # the same draws and seeds in every scenario: differences between scenarios are the policies'
        specs_all += [EnsembleRun(params=samples.iloc[int(i)].to_dict(), seed=s, scale=scale, scenario=name,
                              end_year=end_year, tag=k) for k, (i, s) in enumerate(zip(picks, seeds, strict=True))]
    reference_params = {"posterior median": dict(posterior["median"]), "declared defaults": {}}
    for params in reference_params.values():
        specs_all += [EnsembleRun(params=params, seed=s, scale=scale, scenario="baseline", end_year=CALIBRATION_END,
                              tag=k) for k, s in enumerate(all_seeds[:n_reference])]
    frames = run_ensemble(client, specs_all)
    for j, name in enumerate(available):
        block = frames[j * n_draws:(j + 1) * n_draws]
        runs[name] = pd.concat(block, ignore_index=True)
    refs = {}
    start = len(available) * n_draws
    for j, name in enumerate(reference_params):
        block = frames[start + j * n_reference:start + (j + 1) * n_reference]
        if block:
            refs[name] = pd.concat(block, ignore_index=True)
    return Ensemble(runs=runs, skipped=skipped, n_draws=n_draws, scale=scale, references=refs)


def fit_table(runs: pd.DataFrame, targets: Sequence[Target]) -> pd.DataFrame:
    """Per target: observed, posterior-predictive median and 5-95 %, error, error in tolerances."""
    sims = [simulated_values(df, tuple(targets)) for _, df in runs.groupby("tag")]
    rows = []
    for t in targets:
        x = np.array([s[t.key] for s in sims], dtype=float)
        x = x[np.isfinite(x)]
        q05, q50, q95 = np.quantile(x, [0.05, 0.5, 0.95]) if len(x) else (math.nan,) * 3
        rows.append({"key": t.key, "group": t.group, "indicator": t.indicator, "region": t.region, "year": t.year,
                     "unit": t.unit, "observed": t.observed, "median": q50, "q05": q05, "q95": q95,
                     "error": q50 - t.observed, "tolerance": t.tolerance, "z": (q50 - t.observed) / t.tolerance,
                     "in_band": bool(q05 <= t.observed <= q95), "strength": t.strength, "source": t.source})
    return pd.DataFrame(rows)


def done_when(fit: pd.DataFrame, references: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """The project's done-when criteria, measured on the posterior-predictive medians.

    ``references`` (name: fit table of other runs) add a column each with the same measures.
    """
    if references:
        out = done_when(fit)
        for k, (name, ref) in enumerate(references.items()):
            out.insert(2 + k, name, done_when(ref).measured.to_numpy())
        return out
    def grp(g: str) -> pd.DataFrame:
        return fit[fit.group == g]

    path = grp("provincial_path")
    durb = grp("division_urbanization")
    dshare = grp("division_population")
    cs = fit[(fit.indicator == "share_of_hunan_population") & (fit.region == "Changsha")]
    gap = fit[fit.key == "registered_minus_resident|Hunan|2020"]
    inc = fit[fit.key == "urban_rural_income_ratio|Hunan|2020"]
    rmse = float(np.sqrt(np.mean(durb.error ** 2)))
    rows = [
        ("provincial urbanization within 0.5 pp every year 2010-2020", f"max |error| {path.error.abs().max():.2f} pp "
         f"({(path.error.abs() > 0.5).sum()} of {len(path)} years off)", bool((path.error.abs() <= 0.5).all())),
        ("2020 division urbanization RMSE <= 2 pp", f"RMSE {rmse:.2f} pp", rmse <= 2),
        ("no division urbanization off by > 4 pp", f"max |error| {durb.error.abs().max():.2f} pp "
         f"({durb.loc[durb.error.abs().idxmax(), 'region']})", bool((durb.error.abs() <= 4).all())),
        ("each division's population share within 0.5 pp", f"max |error| {dshare.error.abs().max():.2f} pp "
         f"({dshare.loc[dshare.error.abs().idxmax(), 'region']})", bool((dshare.error.abs() <= 0.5).all())),
        ("Changsha's share within 0.5 pp (2010 and 2020)",
         ", ".join(f"{int(r.year)}: {r.error:+.2f} pp" for r in cs.drop_duplicates("year").itertuples()),
         bool((cs.error.abs() <= 0.5).all())),
        ("registered minus resident 2020 within 10 %", f"{100 * gap.error.iloc[0] / gap.observed.iloc[0]:+.1f} %",
         bool(abs(gap.error.iloc[0]) <= 0.1 * gap.observed.iloc[0])),
        ("income ratio 2020 within 0.1", f"{inc.error.iloc[0]:+.2f}", bool(abs(inc.error.iloc[0]) <= 0.1)),
        ("(overall) pattern distance of the medians, in tolerances",
         f"{pattern_distance(dict(zip(fit.key, fit['median'], strict=True))):.2f}", None),
    ]
    return pd.DataFrame(rows, columns=["criterion", "measured", "met"])


def parameter_table(posterior: dict[str, Any]) -> pd.DataFrame:
    """Each estimated parameter: prior range, posterior median and 90 % interval, and whether it is identified."""
    specs = parameter_specs()
    rows = []
    for name, s in posterior["summary"].items():
        lo, hi = s["prior_low"], s["prior_high"]
        width = (s["q95"] - s["q05"]) / (0.9 * (hi - lo)) if hi > lo else math.nan
        ratio = s["sd"] / ((hi - lo) / math.sqrt(12)) if hi > lo else math.nan
        edge = min(s["q50"] - lo, hi - s["q50"]) / (hi - lo) < 0.1
        verdict = ("identified" if ratio < IDENTIFIED else "weakly identified" if ratio < WEAKLY_IDENTIFIED
                   else "not identified")
        declared = (specs[name]["low"], specs[name]["high"]) if name in specs else (lo, hi)
        prior = f"U({lo:.4g}, {hi:.4g})" + ("" if (lo, hi) == declared else f" in [{declared[0]:g}, {declared[1]:g}]")
        rows.append({"parameter": name, "label": specs.get(name, {}).get("label", ""), "prior": prior,
                     "median": s["q50"], "q05": s["q05"], "q95": s["q95"], "width_ratio": width, "sd_ratio": ratio,
                     "verdict": verdict, "at_prior_edge": bool(edge)})
    return pd.DataFrame(rows)


def projection_table(ens: Ensemble) -> pd.DataFrame:
    """Plan indicators in 2025 and 2035 by scenario: median, 5-95 %, plan target, probability of meeting it."""
    plan = load_plan_indicators().set_index("id")
    rows = []
    for scen, df in ens.runs.items():
        hn = df[df.region == "Hunan"]
        for indicator, pid, direction in PLAN_CHECKS:
            for year, col in ((2025, "target_2025"), (2035, "target_2035")):
                x = hn[(hn.indicator == indicator) & (hn.year == year)].value.to_numpy()
                target = _plan_number(plan.loc[pid, col])
                if not len(x):
                    continue
                p = (np.mean(x >= target) if direction == ">=" else np.mean(x <= target)) if math.isfinite(
                    target) else math.nan
                rows.append({"scenario": scen, "indicator": indicator, "year": year,
                             "median": float(np.median(x)), "q05": float(np.quantile(x, 0.05)),
                             "q95": float(np.quantile(x, 0.95)), "plan_target": str(plan.loc[pid, col]),
                             "p_meet": p})
    return pd.DataFrame(rows)


def division_projection_table(ens: Ensemble) -> pd.DataFrame:
    """Each division's 2025 urbanization rate by scenario against the plan's city target."""
    targets = load_plan_city_targets().set_index("division_en")
    rows = []
    for scen, df in ens.runs.items():
        d = df[(df.indicator == "urbanization_rate") & (df.year == 2025) & (df.region != "Hunan")]
        for region, g in d.groupby("region"):
            if region not in targets.index:
                continue
            target = float(targets.loc[region, "urbanization_target_2025_pct"])
            rows.append({"scenario": scen, "division": region, "median": float(g.value.median()),
                         "q05": float(g.value.quantile(0.05)), "q95": float(g.value.quantile(0.95)),
                         "plan_target": target, "p_meet": float(np.mean(g.value >= target))})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------------------------
# Figures
# ------------------------------------------------------------------------------------------------------------
def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def fig_provincial_path(fit: pd.DataFrame, runs: pd.DataFrame, path: Path) -> None:
    """Annual urbanization 2010-2020: data against the posterior-predictive median and 90 % band."""
    plt = _plt()
    hn = runs[(runs.region == "Hunan") & (runs.indicator == "urbanization_rate") & (runs.year <= 2020)]
    q = hn.groupby("year").value.quantile([0.05, 0.5, 0.95]).unstack()
    obs = fit[fit.group == "provincial_path"]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.fill_between(q.index, q[0.05], q[0.95], alpha=0.3, label="posterior 90 % band")
    ax.plot(q.index, q[0.5], label="posterior median")
    ax.errorbar(obs.year, obs.observed, yerr=obs.tolerance, fmt="o", color="k", capsize=3,
                label="observed (± tolerance)")
    ax.set_xlabel("year")
    ax.set_ylabel("resident urbanization rate (%)")
    ax.set_title("Hunan's urbanization 2010-2020: data and calibrated model")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def fig_divisions(fit: pd.DataFrame, path: Path) -> None:
    """2020 division patterns: observed against simulated median with 90 % bars, one panel per group."""
    plt = _plt()
    groups = ["division_urbanization", "division_population", "registered_elsewhere", "registered_other_province"]
    titles = ["urbanization rate 2020 (%)", "share of Hunan's population 2020 (%)",
              "registered in another Hunan county (% of residents)", "registered in another province (% of residents)"]
    fig, axes = plt.subplots(2, 2, figsize=(11, 9))
    for ax, g, title in zip(axes.ravel(), groups, titles, strict=True):
        d = fit[fit.group == g]
        lo, hi = min(d.observed.min(), d.q05.min()), max(d.observed.max(), d.q95.max())
        ax.plot([lo, hi], [lo, hi], color="grey", lw=1)
        ax.errorbar(d.observed, d["median"], yerr=[d["median"] - d.q05, d.q95 - d["median"]], fmt="o", capsize=2)
        for r in d.itertuples():
            ax.annotate(r.region, (r.observed, r.median), fontsize=7, xytext=(3, 3), textcoords="offset points")
        ax.set_xlabel("observed")
        ax.set_ylabel("simulated (posterior median, 90 %)")
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def fig_parameters(posterior: dict[str, Any], table: pd.DataFrame, path: Path) -> None:
    """Posterior histogram of each parameter over its uniform prior."""
    plt = _plt()
    samples = samples_frame(posterior)
    names = list(posterior["summary"])
    ncol = 4
    nrow = math.ceil(len(names) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(12, 2.2 * nrow), squeeze=False)
    verdicts = table.set_index("parameter").verdict
    for ax, name in zip(axes.ravel()[:len(names)], names, strict=True):
        s = posterior["summary"][name]
        lo, hi = s["prior_low"], s["prior_high"]
        ax.hist(samples[name], bins=20, range=(lo, hi), density=True, alpha=0.7, label="posterior")
        ax.hlines(1 / (hi - lo), lo, hi, colors="k", linestyles="--", label="prior")
        ax.axvline(s["q50"], color="C3", lw=1)
        ax.set_title(f"{name}\n({verdicts[name]})", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[len(names):]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def fig_epsilon(generations: list[dict[str, Any]], path: Path) -> None:
    """The acceptance threshold and acceptance rate per ABC-SMC generation."""
    plt = _plt()
    t = [g["t"] + 1 for g in generations]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(t, [g["epsilon"] for g in generations], "o-", label="epsilon (threshold)")
    ax.plot(t, [g["median_distance"] for g in generations], "s--", label="median accepted distance")
    ax.set_xlabel("generation")
    ax.set_ylabel("distance (tolerances, RMS)")
    ax2 = ax.twinx()
    ax2.bar(t, [100 * g["acceptance_rate"] for g in generations], alpha=0.2, color="grey")
    ax2.set_ylabel("acceptance (%)")
    ax.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def fig_sensitivity(sa: SensitivityResult, path: Path) -> None:
    """Morris mu* (normalised) of the top parameters and Sobol S1/ST, per output, 2035."""
    plt = _plt()
    year = max(SA_YEARS)
    fig, axes = plt.subplots(2, len(SA_OUTPUTS), figsize=(3.2 * len(SA_OUTPUTS), 7), squeeze=False)
    for j, out in enumerate(SA_OUTPUTS):
        m = sa.morris[(sa.morris.output == out) & (sa.morris.year == year)].nlargest(8, "mu_star")
        axes[0, j].barh(m.parameter[::-1], m.mu_star_norm[::-1])
        axes[0, j].set_title(f"Morris μ* (norm.)\n{out} {year}", fontsize=8)
        axes[0, j].tick_params(labelsize=7)
        s = sa.sobol[(sa.sobol.output == out) & (sa.sobol.year == year)]
        y = np.arange(len(s))
        axes[1, j].barh(y - 0.2, s.S1, height=0.4, label="S1")
        axes[1, j].barh(y + 0.2, s.ST, height=0.4, label="ST")
        axes[1, j].set_yticks(y, s.parameter, fontsize=7)
        axes[1, j].set_title(f"Sobol\n{out} {year}", fontsize=8)
        axes[1, j].set_xlim(-0.1, 1.1)
    axes[1, 0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def fig_projections(ens: Ensemble, path: Path) -> None:
    """2010-2035 paths with 90 % bands by scenario, plan targets marked, observed 2010-2020 urbanization."""
    plt = _plt()
    from sim.data import observed_urbanization_rate

    plan = load_plan_indicators().set_index("id")
    ids = {ind: pid for ind, pid, _ in PLAN_CHECKS}
    fig, axes = plt.subplots(2, 3, figsize=(13, 7))
    for ax, ind in zip(axes.ravel(), PROJECTED, strict=True):
        div = 1e6 if ind == "registered_minus_resident" else 1.0
        for k, (scen, df) in enumerate(ens.runs.items()):
            d = df[(df.region == "Hunan") & (df.indicator == ind)]
            q = d.groupby("year").value.quantile([0.05, 0.5, 0.95]).unstack() / div
            ax.fill_between(q.index, q[0.05], q[0.95], alpha=0.2, color=f"C{k}")
            ax.plot(q.index, q[0.5], color=f"C{k}", label=scen)
        if ind == "urbanization_rate":
            obs = observed_urbanization_rate()
            ax.plot(obs.index, obs.values, "ko", ms=3, label="observed")
        if ind in ids:
            for year, col in ((2025, "target_2025"), (2035, "target_2035")):
                v = _plan_number(plan.loc[ids[ind], col])
                if math.isfinite(v):
                    ax.plot([year], [v], "r*", ms=10, label=f"plan target {year}")
        ax.axvline(2020.5, color="grey", lw=0.8, ls=":")
        ax.set_title(LABELS[ind], fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# ------------------------------------------------------------------------------------------------------------
# Markdown
# ------------------------------------------------------------------------------------------------------------
def _blockers(fit: pd.DataFrame, params: pd.DataFrame) -> list[str]:
    """Plain statements of what limits the fit, derived from the numbers (for the model's lead)."""
    out = []
    g = fit.assign(abs_z=fit.z.abs()).groupby("group").abs_z.mean().sort_values(ascending=False)
    for group, mz in g.items():
        if mz > 1:
            worst = fit[fit.group == group].assign(abs_z=lambda d: d.z.abs()).nlargest(3, "abs_z")
            examples = "; ".join(f"{r.region} {r.year}: {_fmt(r.median)} vs {_fmt(r.observed)}"
                                 for r in worst.itertuples())
            out.append(f"**{group}** is off by {mz:.1f} tolerances on average (worst: {examples}).")
    edge = params[params.at_prior_edge]
    if len(edge):
        out.append("Posterior medians within 10 % of a prior bound (the data push past the declared range, or the "
                   "mechanism cannot reach the target inside it): "
                   + ", ".join(f"`{r.parameter}` = {r.median:g} in {r.prior}" for r in edge.itertuples()) + ".")
    return out


def _screening_and_effects_section() -> list[str]:
    """What was fixed before ABC (Morris screening) and the division place effects, from their files."""
    from calibration.screening import SCREENING_PATH, largest_effect, treatment
    from sim.data import DIVISION_EFFECT_PARTS, DIVISION_EFFECTS_PATH

    L: list[str] = []
    if SCREENING_PATH.exists():
        doc = json.loads(SCREENING_PATH.read_text(encoding="utf-8"))
        best = largest_effect(pd.DataFrame(doc["morris"]))
        prov = doc["provenance"]
        L.append("### Screening before calibration (`calibration/screening.json`)\n")
        L.append(f"Morris elementary effects ({prov['runs']} runs, {prov['trajectories']} trajectories, "
                 f"{prov['scale']:g} households per agent) of each target group's error over the declared ranges. "
                 f"Parameters whose normalised μ* stays below {doc['threshold']} for every primary group are fixed "
                 "at their declared default (the pre-calibration value) rather than estimated: the 2010-2020 "
                 "targets hardly inform them (factor fixing, Saltelli et al. 2008). The parameters through which the hukou "
                 "and permit levers act are estimated whatever their effect (`ALWAYS_ESTIMATED` in "
                 "calibration/screening.py): the answers are policy effects and must carry their uncertainty.\n")
        rows = [{"parameter": p, "largest normalised μ* (primary groups)": f"{v:.2f}",
                 "treatment": (treatment(p, doc["estimated"], doc.get("always_estimated", ()))
                               if p in doc["estimated"] else f"fixed at {doc['fixed'][p]:.4g}")}
                for p, v in best.items()]
        L.append(_table(pd.DataFrame(rows)) + "\n")
    if DIVISION_EFFECTS_PATH.exists():
        doc = json.loads(DIVISION_EFFECTS_PATH.read_text(encoding="utf-8"))
        prov = doc["provenance"]
        L.append("### Division place effects (`calibration/division_effects.json`)\n")
        L.append(f"Fitted at the {prov.get('fitted_at', '?')} ({prov.get('scale', '?')} households per agent, "
                 f"seed {prov.get('seed', '?')}, {prov.get('iterations', '?')} runs) so that each division's "
                 "2020 share of Hunan's urban and rural population matches the census; largest share error left "
                 f"{prov.get('max_share_error_pp', float('nan')):.3f} pp. The division shares and urbanization "
                 "rates above are therefore fitted by construction; see docs/ODD.md 3.4.4.\n")
        L.append(_table(pd.DataFrame([{"division": n, **{part: f"{v[part]:+.3f}" for part in DIVISION_EFFECT_PARTS}}
                                      for n, v in doc["effects"].items()])) + "\n")
    return L


def write_markdown(path: Path, *, posterior: dict[str, Any], fit: pd.DataFrame, checks: pd.DataFrame,
                   params: pd.DataFrame, ens: Ensemble, proj: pd.DataFrame, dproj: pd.DataFrame,
                   sa: SensitivityResult | None, figures: dict[str, str], report_seconds: float,
                   options: dict[str, Any]) -> None:
    """Write ``report.md``."""
    prov = posterior.get("provenance", {})
    settings = prov.get("settings", {})
    runtime = prov.get("runtime", {})
    gens = prov.get("generations", [])
    L: list[str] = []
    L.append("# Calibration report: Hunan urbanization model, 2010-2020\n")
    L.append(f"Generated {datetime.now(UTC).isoformat(timespec='seconds')} from "
             f"`{Path(options['posterior_path']).name}` "
             f"(calibrated {prov.get('created', '?')}, code {prov.get('git_commit', '?')}, data "
             f"{prov.get('data_version', '?')}); report code {git_commit()}. No observation after "
             f"{prov.get('last_observation_year', 2020)} is used.\n")
    box = settings.get("search_box", 1.0)
    L.append("**Method.** ABC-SMC (pyabc) on a Dask cluster: uniform priors on each estimated parameter's "
             + ("declared range" if box >= 1 else
                f"search box, {box:g} of its declared range centred on the pre-calibration value (the prior "
                "truncated to the box: exact if the posterior has no mass outside it; *at prior edge* below flags "
                "a parameter whose median lies near a box edge, where the box may have cut the posterior)")
             + "; the distance is the root-mean-square of (simulated − observed) / tolerance, "
             "averaged within each pattern group and then across groups (weak groups weigh ¼); the threshold "
             "of each generation is the median distance of the previous one. "
             f"Settings: {settings.get('particles', '?')} particles, {settings.get('generations_run', '?')} "
             f"generations, {settings.get('scale', '?')} households per agent, seed {settings.get('seed', '?')}, "
             f"{len(posterior['median'])} parameters estimated. "
             f"Bands below come from {ens.n_draws} posterior draws, each run with its own seed at "
             f"{ens.scale:g} households per agent: they hold parameter and simulation noise.\n")
    L.append("## Done-when criteria\n")
    L.append("Measured on the posterior-predictive medians" + (
        f"; the other columns give the same measures over {options['reference_runs']} runs each at the *posterior "
        "median* (what the model uses by default once `calibration/posterior.json` exists) and at the parameters "
        "*declared* in `sim/parameters.py` without the posterior" if "declared defaults" in checks else "") + ".\n")
    shown = checks.assign(met=checks.met.map({True: "yes", False: "**no**", None: ""}))
    L.append(_table(shown.rename(columns={"measured": "posterior draws", "met": "met (draws)"})) + "\n")

    L.append("## 1. Fit to the targets\n")
    L.append(f"![provincial path]({figures['path']})\n")
    yearly = fit[fit.group == "provincial_path"]
    L.append(_table(pd.DataFrame({"year": yearly.year, "observed": yearly.observed.map(_fmt),
                                  "simulated median": yearly["median"].map(_fmt),
                                  "90 % band": _band(yearly),
                                  "error (pp)": yearly.error.map(lambda v: f"{v:+.2f}")})) + "\n")
    L.append(f"![divisions 2020]({figures['divisions']})\n")
    L.append("Divisions in 2020 (observed / simulated median, error):\n")
    rows = []
    for region in fit[fit.group == "division_urbanization"].region:
        row = {"division": region}
        for g, label in (("division_urbanization", "urbanization %"), ("division_population", "share of Hunan %"),
                         ("registered_elsewhere", "other Hunan county %"),
                         ("registered_other_province", "other province %")):
            r = fit[(fit.group == g) & (fit.region == region)].iloc[0]
            row[label] = f"{r['observed']:.2f} / {r['median']:.2f} ({r['error']:+.2f})"
        rows.append(row)
    L.append(_table(pd.DataFrame(rows)) + "\n")
    other = fit[~fit.group.isin(["provincial_path", "division_urbanization", "division_population",
                                 "registered_elsewhere", "registered_other_province"])]
    L.append("Other targets:\n")
    L.append(_table(pd.DataFrame({
        "target": other.key, "group": other.group, "observed": other.observed.map(_fmt),
        "simulated median": other["median"].map(_fmt),
        "90 % band": _band(other),
        "error / tolerance": other.z.map(lambda v: f"{v:+.2f}"), "strength": other.strength})) + "\n")
    L.append("Every target with its source is in `fit_targets.csv` (columns `observed`, `median`, `q05`, `q95`, "
             "`error`, `tolerance`, `source`).\n")

    L.append("## 2. Parameters: posterior against prior\n")
    L.append(f"![parameters]({figures['parameters']})\n")
    L.append(f"A parameter is *identified* when its posterior standard deviation is below {IDENTIFIED:.0%} of the "
             f"prior's, *weakly identified* below {WEAKLY_IDENTIFIED:.0%} (*90 % / prior*: the width of the 90 % "
             "interval over 90 % of the prior range).\n")
    L.append(_table(pd.DataFrame({
        "parameter": params.parameter, "prior": params.prior, "median": params["median"].map(lambda v: f"{v:.4g}"),
        "90 % interval": [f"{a:.4g}–{b:.4g}" for a, b in zip(params.q05, params.q95, strict=True)],
        "sd / prior": params.sd_ratio.map(lambda v: f"{v:.2f}"),
        "90 % / prior": params.width_ratio.map(lambda v: f"{v:.2f}"), "verdict": params.verdict,
        "at prior edge": params.at_prior_edge.map({True: "yes", False: ""})})) + "\n")
    n_id = (params.verdict == "identified").sum()
    n_weak = (params.verdict == "weakly identified").sum()
    L.append(f"{n_id} of {len(params)} parameters are identified, {n_weak} weakly; the rest are not constrained "
             "by these targets (their posterior is close to the prior).\n")
    L.extend(_screening_and_effects_section())
    if gens:
        L.append("## 3. ABC-SMC generations\n")
        L.append(f"![epsilon]({figures['epsilon']})\n")
        L.append(_table(pd.DataFrame({
            "generation": [g["t"] + 1 for g in gens], "epsilon": [f"{g['epsilon']:.3f}" for g in gens],
            "median distance": [f"{g['median_distance']:.3f}" for g in gens],
            "simulations": [g["evaluations"] for g in gens],
            "acceptance": [f"{100 * g['acceptance_rate']:.0f} %" for g in gens],
            "effective sample size": [f"{g.get('ess', float('nan')):.0f}" for g in gens],
            "seconds": [f"{g['seconds']:.0f}" for g in gens]})) + "\n")

    L.append("## 4. Sensitivity of the 2025 and 2035 outputs\n")
    if sa is None:
        L.append("Skipped (`--no-sensitivity`).\n")
    else:
        L.append(f"Morris screening: {sa.n_runs[0]} runs over {sa.morris.parameter.nunique()} uncertain parameters "
                 f"(calibrated and assumption, declared ranges), {options['trajectories']} trajectories, "
                 f"{options['sa_scale']:g} households per agent, common random numbers. Sobol: {sa.n_runs[1]} "
                 f"runs (N = {options['sobol_n']}, first-order and total) over the {len(sa.sobol_parameters)} "
                 "top-ranked parameters, on the posterior 90 % range (calibrated) or the declared range "
                 "(assumptions), the rest at the posterior median.\n")
        L.append(f"![sensitivity]({figures['sensitivity']})\n")
        top = (sa.morris.sort_values("mu_star_norm", ascending=False).groupby(["output", "year"]).head(3)
               .sort_values(["output", "year"]))
        L.append("Top three Morris parameters per output (μ* normalised to the largest; σ shows interaction or "
                 "non-linearity):\n")
        L.append(_table(pd.DataFrame({"output": top.output, "year": top.year, "parameter": top.parameter,
                                      "kind": top.kind, "μ*": top.mu_star.map(lambda v: f"{v:.3g}"),
                                      "μ* norm.": top.mu_star_norm.map(lambda v: f"{v:.2f}"),
                                      "σ": top.sigma.map(lambda v: f"{v:.3g}")})) + "\n")
        s = sa.sobol
        L.append("Sobol indices (S1 first order, ST total; ± 95 % bootstrap half-width):\n")
        L.append(_table(pd.DataFrame({"output": s.output, "year": s.year, "parameter": s.parameter,
                                      "S1": [f"{a:.2f} ± {b:.2f}" for a, b in zip(s.S1, s.S1_conf, strict=True)],
                                      "ST": [f"{a:.2f} ± {b:.2f}" for a, b in zip(s.ST, s.ST_conf, strict=True)],
                                      })) + "\n")
        L.append("Full tables: `sensitivity_morris.csv`, `sensitivity_sobol.csv`.\n")

    L.append("## 5. Projections 2021-2035 from the posterior\n")
    for name, reason in ens.skipped.items():
        L.append(f"*Scenario `{name}` skipped: {reason}.*\n")
    L.append(f"![projections]({figures['projections']})\n")
    if len(proj):
        L.append("Plan indicators (median and 90 % band; probability of meeting the plan's target over the posterior "
                 "draws):\n")
        L.append(_table(pd.DataFrame({
            "scenario": proj.scenario, "indicator": proj.indicator, "year": proj.year,
            "median": proj["median"].map(_fmt), "90 % band": _band(proj),
            "plan target": proj.plan_target,
            "P(meet)": proj.p_meet.map(lambda v: "–" if not math.isfinite(v) else f"{v:.0%}")})) + "\n")
    if len(dproj):
        L.append("Division urbanization in 2025 against the plan's city targets (`plan_city_targets_2025.csv`):\n")
        piv = dproj.assign(cell=[f"{m:.1f} ({a:.1f}–{b:.1f}); P = {p:.0%}" for m, a, b, p in
                                 zip(dproj["median"], dproj.q05, dproj.q95, dproj.p_meet, strict=True)])
        wide = piv.pivot(index="division", columns="scenario", values="cell").reset_index()
        wide.insert(1, "plan target", wide.division.map(dproj.drop_duplicates("division").set_index(
            "division").plan_target).map(lambda v: f"{v:g}"))
        L.append(_table(wide) + "\n")

    L.append("## 6. What limits the fit\n")
    blockers = _blockers(fit, params)
    L.append("\n".join(f"- {b}" for b in blockers) + "\n" if blockers else "All groups are within one tolerance on "
             "average.\n")
    L.append("## 7. Evidence not used as targets\n")
    L.append("\n".join(f"- {k}: {v}." for k, v in UNUSED_EVIDENCE.items()) + "\n")
    L.append("Target groups and weights: " + ", ".join(f"`{g}` {w:g} ({s})" for g, (w, s) in GROUPS.items()) + ".\n")

    L.append("## 8. Runtime and how to reproduce\n")
    if runtime:
        cores = max([s.get("cores") or 0 for s in runtime.get("sessions", [])] or [0])
        per_sim = runtime["seconds"] * max(cores, 1) / max(runtime.get("simulations_submitted", 1), 1)
        L.append(f"Calibration: {runtime['seconds']:.0f} s of sampling over {len(runtime.get('sessions', []))} "
                 f"session(s) on {cores} core(s); {runtime.get('simulations_used')} simulations used by pyabc, "
                 f"{runtime.get('simulations_submitted')} run in all (about {per_sim:.2f} core-seconds per "
                 f"2010-2020 simulation at {settings.get('scale', '?')} households per agent).\n")
    L.append(f"This report: {report_seconds:.0f} s ({ens.n_draws} draws x {len(ens.runs)} scenario(s) to 2035"
             + (f", {sum(sa.n_runs)} sensitivity runs" if sa is not None else "") + ").\n")
    L.append("```\nhunan-sim calibrate --particles {p} --generations {g} --scale {s:g} --seed {k} --search-box {b:g}\n"
             "python -m calibration.report --draws {d} --seed {rs}\n```\n".format(
                 p=settings.get("particles", 150), g=settings.get("generations_run", settings.get("generations", 6)),
                 s=settings.get("scale", 500), k=settings.get("seed", 1), b=settings.get("search_box", 1.0),
                 d=ens.n_draws, rs=options["seed"]))
    path.write_text("\n".join(L), encoding="utf-8")


# ------------------------------------------------------------------------------------------------------------
# Entry points
# ------------------------------------------------------------------------------------------------------------
def main(out_dir: str | Path = REPORT_DIR, *, posterior_path: str | Path = POSTERIOR_PATH, draws: int = 40,
         scale: float | None = None, seed: int = 2035, workers: int | None = None, scheduler: str | None = None,
         sensitivity: bool = True, trajectories: int = 6, sobol_n: int = 32, sobol_top: int = 6,
         sa_scale: float = 1000.0, sa_parameters: Sequence[str] | None = None,
         scenarios: Sequence[str] = SCENARIOS, reference_runs: int = 10) -> Path:
    """Write the calibration report into ``out_dir`` and return the path of ``report.md``.

    Args:
        out_dir: folder for ``report.md``, the figures and the CSV tables.
        posterior_path: the posterior file.
        draws: posterior draws run per scenario.
        scale: households per agent of the posterior runs (default: the calibration's).
        seed: seed of the draw selection, the run seeds and the sensitivity designs.
        workers: local Dask workers (default: one per core).
        scheduler: address of a running Dask scheduler instead of a local cluster.
        sensitivity: run the Morris and Sobol analyses.
        trajectories: Morris trajectories.
        sobol_n: Sobol base sample (a power of two).
        sobol_top: parameters decomposed by Sobol.
        sa_scale: households per agent of the sensitivity runs.
        sa_parameters: parameters screened by Morris (default: every calibrated and assumption parameter).
        scenarios: scenarios projected (missing ones are skipped with a note).
        reference_runs: runs at the posterior median and at the declared defaults, for comparison (0 to skip).
    """
    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    posterior = load_posterior(posterior_path)
    if draws < 2:
        raise InputError(field="draws", value=draws, allowed="a whole number >= 2", source="report")
    if sobol_n < 2 or sobol_n & (sobol_n - 1):
        raise InputError(field="sobol_n", value=sobol_n, allowed="a power of two >= 2", source="report")
    run_scale = float(scale or posterior.get("provenance", {}).get("settings", {}).get("scale", 500.0))
    targets = load_targets()
    # parameters the model no longer declares are dropped, as sim.parameters_default does
    known = set(parameter_specs())
    posterior = {**posterior, "samples": [{k: v for k, v in s.items() if k in known} for s in posterior["samples"]],
                 "summary": {k: v for k, v in posterior.get("summary", {}).items() if k in known}}
    if not posterior["summary"]:
        frame = samples_frame(posterior)
        bounds = prior_bounds(list(frame.columns))
        posterior["summary"] = {n: {"prior_low": bounds[n][0], "prior_high": bounds[n][1],
                                    "sd": float(frame[n].std(ddof=0)),
                                    "q05": float(frame[n].quantile(0.05)), "q50": float(frame[n].median()),
                                    "q95": float(frame[n].quantile(0.95))} for n in frame.columns}
    with dask_client(workers=workers, scheduler=scheduler) as client:
        ens = posterior_ensemble(client, posterior, n_draws=draws, scale=run_scale, seed=seed, scenarios=scenarios,
                                 n_reference=reference_runs)
        sa = None
        if sensitivity:
            sa = run_sensitivity(client, posterior_summary=posterior["summary"],
                                 posterior_median={k: v for k, v in posterior["median"].items() if k in known},
                                 trajectories=trajectories, sobol_n=sobol_n, sobol_top=sobol_top, scale=sa_scale,
                                 seed=seed, parameters=sa_parameters)
    if "baseline" not in ens.runs:
        raise InputError(field="scenarios", value=list(scenarios), allowed="a list including 'baseline'",
                         source="report")
    fit = fit_table(ens.runs["baseline"], targets)
    checks = done_when(fit, {name: fit_table(df, targets) for name, df in ens.references.items()})
    params = parameter_table(posterior)
    proj = projection_table(ens)
    dproj = division_projection_table(ens)
    figures = {"path": "fig_provincial_path.png", "divisions": "fig_divisions_2020.png",
               "parameters": "fig_parameters.png", "epsilon": "fig_generations.png",
               "sensitivity": "fig_sensitivity.png", "projections": "fig_projections.png"}
    fig_provincial_path(fit, ens.runs["baseline"], out / figures["path"])
    fig_divisions(fit, out / figures["divisions"])
    fig_parameters(posterior, params, out / figures["parameters"])
    gens = posterior.get("provenance", {}).get("generations", [])
    if gens:
        fig_epsilon(gens, out / figures["epsilon"])
    if sa is not None:
        fig_sensitivity(sa, out / figures["sensitivity"])
        sa.morris.to_csv(out / "sensitivity_morris.csv", index=False, float_format="%.6g")
        sa.sobol.to_csv(out / "sensitivity_sobol.csv", index=False, float_format="%.6g")
    fig_projections(ens, out / figures["projections"])
    fit.to_csv(out / "fit_targets.csv", index=False, float_format="%.6g")
    params.to_csv(out / "parameters.csv", index=False, float_format="%.6g")
    pd.concat([proj.assign(division="Hunan"), dproj.rename(columns={"division": "region"}).assign(
        indicator="urbanization_rate", year=2025)], ignore_index=True).to_csv(
        out / "projections.csv", index=False, float_format="%.6g")
    report = out / "report.md"
    write_markdown(report, posterior=posterior, fit=fit, checks=checks, params=params, ens=ens, proj=proj,
                   dproj=dproj, sa=sa, figures=figures, report_seconds=time.perf_counter() - started,
                   options={"posterior_path": str(posterior_path), "trajectories": trajectories, "sobol_n": sobol_n,
                            "sa_scale": sa_scale, "seed": seed, "reference_runs": reference_runs})
    return report


def _cli(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m calibration.report", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(REPORT_DIR), help="report folder (default calibration/report)")
    parser.add_argument("--posterior", default=str(POSTERIOR_PATH), help="posterior file")
    parser.add_argument("--draws", type=int, default=40, help="posterior draws per scenario (default 40)")
    parser.add_argument("--scale", type=float, default=None, help="households per agent (default: calibration's)")
    parser.add_argument("--seed", type=int, default=2035, help="seed of the report's runs (default 2035)")
    parser.add_argument("--workers", type=int, default=None, help="local Dask workers (default: one per core)")
    parser.add_argument("--scheduler", default=None, help="address of a running Dask scheduler")
    parser.add_argument("--trajectories", type=int, default=6, help="Morris trajectories (default 6)")
    parser.add_argument("--sobol-n", type=int, default=32, help="Sobol base sample, a power of two (default 32)")
    parser.add_argument("--sa-scale", type=float, default=1000.0, help="households per agent in sensitivity runs")
    parser.add_argument("--no-sensitivity", action="store_true", help="skip Morris and Sobol")
    args = parser.parse_args(argv)
    try:
        path = main(args.out, posterior_path=args.posterior, draws=args.draws, scale=args.scale, seed=args.seed,
                    workers=args.workers, scheduler=args.scheduler, sensitivity=not args.no_sensitivity,
                    trajectories=args.trajectories, sobol_n=args.sobol_n, sa_scale=args.sa_scale)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(_cli())
