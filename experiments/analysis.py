"""Statistics of a sweep: target attainment with intervals, lever effects, scenario discovery, sensitivity.

Everything here works on plain tables (``outcomes``: one row per run, one column per design variable and per
outcome) so that it can be tested without running the model; :mod:`experiments.report` loads the tables from a
results folder and writes the report.

Intervals are 95 %. A probability of meeting a target is the share of a policy's runs that meet it, over the
uncertainty draws and replications of that policy; its Wilson interval is the Monte-Carlo uncertainty of that
share (it says nothing about model error).
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from sim.data import load_plan_city_targets, load_plan_indicators
from sim.errors import InputError
from sim.plan_targets import PLAN_TARGETS

Z95 = 1.959963984540054  # standard normal 97.5 % quantile
Op = Literal[">=", ">", "<=", "<"]

#: The plan indicators the model outputs: plan id → (indicator, how the model's yearly values are compared).
#: From :data:`sim.plan_targets.PLAN_TARGETS`; indicator 2 (new urban jobs) is a 5-year sum in 10k persons.
PLAN_INDICATOR_MAP: dict[int, tuple[str, str]] = {t.plan_id: (t.indicator, t.transform) for t in PLAN_TARGETS}
#: Outcomes whose lever effects are estimated (indicator, year), where present in the results.
EFFECT_OUTCOMES: tuple[tuple[str, int], ...] = (
    ("urbanization_rate", 2025), ("urbanization_rate", 2035), ("hukou_urbanization_rate", 2035),
    ("hukou_gap", 2035), ("czt_urban_share", 2025), ("urban_unemployment_rate", 2025),
    ("urban_rural_income_ratio", 2025), ("left_behind_children", 2035), ("outside_hunan_population", 2035),
)


@dataclass(frozen=True)
class Target:
    """A plan target as a test on one run's outcome.

    Attributes:
        key: column name of the outcome it tests, e.g. ``urbanization_rate@Hunan@2025``.
        label: English description with the plan's source.
        indicator: the model indicator.
        region: ``Hunan`` or a division.
        year: the target year (the last year of a 5-year sum).
        op: comparison with ``value``.
        value: the target.
        transform: ``level`` (the year's value) or ``sum_5y_10k`` (sum of the five years ending in ``year``, in
            10,000 persons).
    """

    key: str
    label: str
    indicator: str
    region: str
    year: int
    op: Op
    value: float
    transform: str = "level"

    def met(self, values: pd.Series | np.ndarray) -> np.ndarray:
        """Whether each value meets the target (NaN never does)."""
        v = np.asarray(values, dtype=float)
        with np.errstate(invalid="ignore"):
            out = {">=": v >= self.value, ">": v > self.value, "<=": v <= self.value, "<": v < self.value}[self.op]
        return out & np.isfinite(v)

    @property
    def short(self) -> str:
        """e.g. ``urbanization_rate >= 63 (2025)``."""
        region = "" if self.region == "Hunan" else f" {self.region}"
        return f"{self.indicator}{region} {self.op} {self.value:g} ({self.year})"


def outcome_key(indicator: str, region: str, year: int, transform: str = "level") -> str:
    """Column name of an outcome in the outcomes table."""
    return f"{indicator}@{region}@{year}" + ("" if transform == "level" else f"@{transform}")


def _parse_target(text: str, value_2020: float) -> tuple[Op, float, str] | None:
    """Read a plan target cell ('63', '<5.5', '>325', 'about 2.4'); ``None`` if not numeric."""
    text = str(text).strip()
    m = re.fullmatch(r"(>=|<=|>|<|about)?\s*([0-9]+(?:\.[0-9]+)?)", text)
    if not m:
        return None
    op, value = m.group(1), float(m.group(2))
    if op in (">=", "<=", ">", "<"):
        return op, value, ""  # type: ignore[return-value]
    # a bare or "about" value is a level to move to from 2020's: reaching it in the plan's direction counts
    direction: Op = "<=" if math.isfinite(value_2020) and value_2020 > value else ">="
    shown = re.sub(r"\.0$", "", text)
    note = f"'{shown}' read as {direction} {value:g} (the plan moves from {value_2020:g} toward it)"
    return direction, value, note


def plan_targets() -> list[Target]:
    """The plan's province targets the model can be tested against (2025 and 2035), from
    ``calibration/data/plan/plan_indicators.csv``."""
    plan = load_plan_indicators().set_index("id")
    out: list[Target] = []
    for pid, (indicator, transform) in PLAN_INDICATOR_MAP.items():
        if pid not in plan.index:
            continue
        row = plan.loc[pid]
        v2020 = pd.to_numeric(row["value_2020"], errors="coerce")
        for year, col in ((2025, "target_2025"), (2035, "target_2035")):
            if pd.isna(row[col]):
                continue
            parsed = _parse_target(row[col], float(v2020) if pd.notna(v2020) else float("nan"))
            if parsed is None:
                continue
            op, value, note = parsed
            label = f"{row['indicator_en']} {op} {value:g} {row['unit']} in {year} (plan indicator {pid})"
            if transform == "sum_5y_10k":
                label = (f"new urban jobs {year - 4}-{year} {op} {value:g} 10k persons "
                         f"(plan indicator {pid}, 5-year sum)")
            if note:
                label += f"; {note}"
            out.append(Target(key=outcome_key(indicator, "Hunan", year, transform), label=label, indicator=indicator,
                              region="Hunan", year=year, op=op, value=value, transform=transform))
    return out


def city_targets() -> list[Target]:
    """Each division's 2025 urbanization target (the plan's column 8, ``plan_city_targets_2025.csv``)."""
    df = load_plan_city_targets()
    return [Target(key=outcome_key("urbanization_rate", r.division_en, 2025),
                   label=f"{r.division_en}: urbanization rate >= {r.urbanization_target_2025_pct:g} % in 2025 "
                         "(plan column 8)",
                   indicator="urbanization_rate", region=r.division_en, year=2025, op=">=",
                   value=float(r.urbanization_target_2025_pct))
            for r in df.itertuples()]


# --------------------------------------------------------------------------------------------------------
# t intervals of a mean over seeds (paired experiments run in-process: experiments.county_towns, .trials)
# --------------------------------------------------------------------------------------------------------

#: Two-sided 95 % t quantiles by degrees of freedom (1-30); beyond 30 the 30 value is used (slightly wide).
T95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
       2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


def t95(df: int) -> float:
    """The two-sided 95 % t quantile for ``df`` degrees of freedom (at least 1; capped at 30)."""
    if df < 1:
        raise InputError(field="degrees of freedom", value=df, allowed="at least 1 (two or more values)",
                         source="t95")
    return T95[min(df, len(T95)) - 1]


def t_interval(values: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """Mean and half-width of the 95 % t interval of the mean of ``values`` (at least 2).

    Given per-seed differences of two arms run on the same seeds, this is the *paired* interval of the effect.
    """
    v = np.asarray(values, dtype=float)
    if v.size < 2:
        raise InputError(field="values", value=v.size, allowed="at least 2 values", source="t_interval")
    return float(v.mean()), float(t95(v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))


def unpaired_t_interval(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """Mean of ``a`` minus mean of ``b`` and the half-width of its 95 % interval, treating the two samples as
    independent (Welch's standard error; degrees of freedom n_a + n_b - 2, which for equal sizes is the pooled
    two-sample t interval). Set beside :func:`t_interval` of the per-seed differences, it shows what pairing buys.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.size < 2 or b.size < 2:
        raise InputError(field="values", value=min(a.size, b.size), allowed="at least 2 values in each sample",
                         source="unpaired_t_interval")
    se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    return float(a.mean() - b.mean()), float(t95(a.size + b.size - 2) * se)


# --------------------------------------------------------------------------------------------------------
# probabilities
# --------------------------------------------------------------------------------------------------------

def wilson_interval(k: int | np.ndarray, n: int | np.ndarray, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion k/n (Wilson 1927); (nan, nan) where n = 0.

    Unlike the normal approximation it stays inside [0, 1] and is informative at k = 0 or k = n, which is
    common here (every run of a policy meets, or misses, a target).
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def attainment(outcomes: pd.DataFrame, targets: Sequence[Target], by: Sequence[str]) -> pd.DataFrame:
    """Probability of meeting each target per group, with Wilson intervals.

    Args:
        outcomes: one row per run with the targets' outcome columns (missing columns are skipped).
        targets: the targets.
        by: the columns defining a policy (e.g. ``scenario`` and the lever factors).

    Returns:
        One row per group and target: ``by`` columns, ``target``, ``label``, ``n_runs``, ``n_met``, ``p``,
        ``p_low``, ``p_high``, ``median`` (the outcome's median over the group's runs).
    """
    rows = []
    groups = outcomes.groupby(list(by), sort=False, dropna=False) if by else [((), outcomes)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        for t in targets:
            if t.key not in g:
                continue
            vals = g[t.key]
            n = int(vals.notna().sum())
            k = int(t.met(vals).sum())
            lo, hi = wilson_interval(k, n)
            rows.append({**dict(zip(by, key, strict=True)), "target": t.short, "label": t.label, "n_runs": n,
                         "n_met": k, "p": k / n if n else float("nan"), "p_low": float(lo), "p_high": float(hi),
                         "median": float(vals.median()) if n else float("nan")})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------------
# lever effects
# --------------------------------------------------------------------------------------------------------

def _design_matrix(df: pd.DataFrame, factors: Sequence[str], max_levels: int,
                   continuous: Sequence[str] = ()) -> tuple[np.ndarray, list[dict]]:
    """Main-effects design matrix: an intercept, dummies for categorical or few-level factors (against the
    first level), and a linear term scaled to the factor's range for continuous factors."""
    cols = [np.ones(len(df))]
    terms: list[dict] = []
    for f in factors:
        s = df[f]
        if s.nunique(dropna=True) < 2:
            continue
        numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
        if numeric and (f in continuous or s.nunique() > max_levels):
            lo, hi = float(s.min()), float(s.max())
            cols.append((s.to_numpy(float) - lo) / (hi - lo))
            terms.append({"factor": f, "term": f"{f}: {lo:.3g} → {hi:.3g}", "kind": "range"})
            continue
        levels = list(dict.fromkeys(s.tolist())) if not numeric else sorted(s.unique().tolist())
        if pd.api.types.is_bool_dtype(s):
            levels = sorted(levels)
        base = levels[0]
        for lv in levels[1:]:
            cols.append((s == lv).to_numpy(float))
            terms.append({"factor": f, "term": f"{f}: {_fmt(base)} → {_fmt(lv)}", "kind": "level"})
    return np.column_stack(cols), terms


def _fmt(v: object) -> str:
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v)).lower()
    if isinstance(v, (float, np.floating)):
        return f"{float(v):g}"
    return str(v)


def lever_effects(outcomes: pd.DataFrame, factors: Sequence[str], outcome_columns: Sequence[str], *,
                  max_levels: int = 8, continuous: Sequence[str] = ()) -> pd.DataFrame:
    """Main effects of each factor on each outcome, with 95 % confidence intervals.

    A linear model of the outcome on all factors at once (ordinary least squares with heteroskedasticity-robust
    HC3 standard errors, MacKinnon & White 1985). Factors with few levels get one effect per level (the change
    from the first level, which in a balanced factorial equals the difference of marginal means); continuous
    factors (those in ``continuous``, or numeric with more than ``max_levels`` values) get the change from their
    lowest to their highest sampled value.

    Returns:
        Columns ``outcome``, ``factor``, ``term``, ``effect``, ``ci_low``, ``ci_high``, ``n_runs``.
    """
    from scipy import stats

    rows = []
    for col in outcome_columns:
        if col not in outcomes:
            continue
        df = outcomes[outcomes[col].notna()]
        X, terms = _design_matrix(df, factors, max_levels, continuous)
        y = df[col].to_numpy(float)
        n, p = X.shape
        if not terms or n <= p:
            continue
        xtx_inv = np.linalg.pinv(X.T @ X)
        beta = xtx_inv @ X.T @ y
        resid = y - X @ beta
        h = np.einsum("ij,jk,ik->i", X, xtx_inv, X)
        w = resid**2 / np.maximum(1 - h, 1e-12) ** 2
        cov = xtx_inv @ (X.T * w) @ X @ xtx_inv
        tq = stats.t.ppf(0.975, n - p)
        for j, term in enumerate(terms, start=1):
            se = math.sqrt(max(cov[j, j], 0.0))
            rows.append({"outcome": col, **{k: term[k] for k in ("factor", "term")}, "effect": float(beta[j]),
                         "ci_low": float(beta[j] - tq * se), "ci_high": float(beta[j] + tq * se), "n_runs": n})
    return pd.DataFrame(rows, columns=["outcome", "factor", "term", "effect", "ci_low", "ci_high", "n_runs"])


# --------------------------------------------------------------------------------------------------------
# scenario discovery
# --------------------------------------------------------------------------------------------------------

@dataclass
class DiscoveryResult:
    """A PRIM box: the lever ranges where runs reach the outcome of interest.

    Attributes:
        n_runs: runs analysed.
        n_of_interest: runs that reach the outcome.
        coverage: share of the runs of interest inside the box.
        density: share of the runs inside the box that are of interest.
        mass: share of all runs inside the box.
        limits: restricted dimensions: ``factor``, ``low``, ``high`` (numeric) or ``levels`` (categorical).
        message: why no box was found, if none was.
    """

    n_runs: int
    n_of_interest: int
    coverage: float = float("nan")
    density: float = float("nan")
    mass: float = float("nan")
    limits: pd.DataFrame | None = None
    message: str = ""


def discover(x: pd.DataFrame, y: np.ndarray, *, min_density: float = 0.8, mass_min: float = 0.05) -> DiscoveryResult:
    """Find the box of lever values where the outcome of interest holds, with EMA Workbench's PRIM
    (Friedman & Fisher 1999; Bryant & Lempert 2010).

    From PRIM's peeling trajectory the box with the highest coverage among those with density at least
    ``min_density`` is chosen (the densest box if none reaches it).

    Args:
        x: one row per run, one column per lever factor (strings and booleans are treated as categories).
        y: whether each run reaches the outcome.
        min_density: density the chosen box must reach.
        mass_min: smallest share of runs PRIM keeps in a box.
    """
    with warnings.catch_warnings():
        # EMA Workbench warns on import that ipyparallel is missing; PRIM does not use it
        warnings.filterwarnings("ignore", message=".*ipyparallel.*")
        from ema_workbench.analysis import prim

    y = np.asarray(y, dtype=bool)
    result = DiscoveryResult(n_runs=len(y), n_of_interest=int(y.sum()))
    x = x.loc[:, [c for c in x.columns if x[c].nunique(dropna=False) > 1]].copy()
    if x.empty:
        result.message = "no lever varies across these runs, so there is nothing to discover"
        return result
    if y.all() or not y.any():
        result.message = ("every run reaches it" if y.all() else "no run reaches it") + \
            ": no lever combination is needed to separate them"
        return result
    for c in x.columns:
        if not pd.api.types.is_numeric_dtype(x[c]) or pd.api.types.is_bool_dtype(x[c]):
            x[c] = x[c].astype(str).astype("category")
        else:
            x[c] = x[c].astype(float)
    x = x.reset_index(drop=True)
    with warnings.catch_warnings():
        # EMA Workbench 3.0 calls DataFrame.drop(inplace=True), deprecated in pandas 3.1; harmless here
        warnings.filterwarnings("ignore", message=".*inplace keyword.*")
        p = prim.Prim(x, y.astype(int), mass_min=mass_min)
        box = p.find_box()
    if box is None:
        result.message = "PRIM found no box"
        return result
    traj = box.peeling_trajectory
    ok = traj[traj["density"] >= min_density]
    i = int(ok["coverage"].idxmax()) if len(ok) else int(traj["density"].idxmax())
    lims, init = box.box_lims[i], box.box_lims[0]
    rows = []
    for c in x.columns:
        if isinstance(x[c].dtype, pd.CategoricalDtype):
            kept = set(lims[c].iloc[0])
            if kept != set(init[c].iloc[0]):
                rows.append({"factor": c, "low": None, "high": None, "levels": ", ".join(sorted(map(str, kept)))})
        elif lims[c].iloc[0] > init[c].iloc[0] or lims[c].iloc[1] < init[c].iloc[1]:
            rows.append({"factor": c, "low": float(lims[c].iloc[0]), "high": float(lims[c].iloc[1]), "levels": None})
    result.coverage = float(traj.loc[i, "coverage"])
    result.density = float(traj.loc[i, "density"])
    result.mass = float(traj.loc[i, "mass"])
    result.limits = pd.DataFrame(rows, columns=["factor", "low", "high", "levels"])
    if not rows:
        result.message = "the box is the whole design space"
    return result


# --------------------------------------------------------------------------------------------------------
# global sensitivity
# --------------------------------------------------------------------------------------------------------

def sensitivity_indices(design: Literal["sobol_sensitivity", "morris"], problem: dict, X: np.ndarray,
                        Y: np.ndarray, *, seed: int, second_order: bool = False, num_levels: int = 4) -> pd.DataFrame:
    """Sobol (first-order and total) or Morris (μ*, σ) indices of one outcome with SALib.

    Args:
        design: the uncertainty design the runs followed.
        problem: the SALib problem (names and bounds).
        X: the design matrix, in the order SALib generated it.
        Y: the outcome of each row of ``X``.
        seed: seed of SALib's bootstrap (must be non-zero: SALib falls back to global randomness on 0).
        second_order: whether the Sobol design included second-order rows.
        num_levels: levels of the Morris grid.
    """
    if not seed:
        raise InputError(field="seed", value=seed, allowed="a non-zero seed", source="sensitivity_indices")
    Y = np.asarray(Y, dtype=float)
    if not np.all(np.isfinite(Y)):
        raise InputError(field="outcome", value="non-finite values", allowed="a finite outcome for every run",
                         source="sensitivity_indices")
    if design == "sobol_sensitivity":
        from SALib.analyze import sobol

        res = sobol.analyze(problem, Y, calc_second_order=second_order, seed=seed)
        return pd.DataFrame({"parameter": problem["names"], "S1": res["S1"], "S1_conf": res["S1_conf"],
                             "ST": res["ST"], "ST_conf": res["ST_conf"]})
    from SALib.analyze import morris

    res = morris.analyze(problem, X, Y, num_levels=num_levels, seed=seed)
    return pd.DataFrame({"parameter": problem["names"], "mu_star": res["mu_star"],
                         "mu_star_conf": res["mu_star_conf"], "sigma": res["sigma"], "mu": res["mu"]})


# --------------------------------------------------------------------------------------------------------
# paired effects
# --------------------------------------------------------------------------------------------------------

#: Quantiles of a paired effect: 5 %, median, 95 % (a 90 % interval).
PAIRED_QUANTILES = (0.05, 0.5, 0.95)
#: Columns of :func:`paired_effects`'s effect table.
PAIRED_COLUMNS = ["arm", "baseline", "outcome", "indicator", "region", "year", "n_pairs", "common_seeds",
                  "median", "low", "high", "unpaired_median", "unpaired_low", "unpaired_high"]


@dataclass
class PairedEffects:
    """The result of :func:`paired_effects`.

    Attributes:
        effects: one row per compared arm and outcome (columns :data:`PAIRED_COLUMNS`): the median and the
            5 %-95 % quantiles of the per-pair differences (arm minus baseline), and the same quantiles of the
            differences of independent runs (``unpaired_*``) for comparison; ``common_seeds`` says whether every
            pair's two runs had the same seed (common random numbers).
        unmatched: the runs left out, one row each: ``run_index``, ``arm``, the pairing keys and ``reason``.
        baseline: the baseline arm.
        pair_on: the pairing keys.
    """

    effects: pd.DataFrame
    unmatched: pd.DataFrame
    baseline: str
    pair_on: tuple[str, ...]


def _split_key(col: str) -> tuple[str, str, int | None]:
    parts = col.split("@")
    if len(parts) >= 3 and parts[2].isdigit():
        return parts[0], parts[1], int(parts[2])
    return col, "", None


def _independent_difference_quantiles(a: np.ndarray, b: np.ndarray, qs: Sequence[float]) -> np.ndarray:
    """Quantiles of ``b_j - a_i`` over every (i, j): the difference of two independent runs, one of each arm.

    ``a`` and ``b`` are (runs × outcomes); returns (len(qs) × outcomes). Outcomes are taken in chunks so that
    the (runs_a × runs_b × chunk) array stays small.
    """
    n_a, n_b, k = a.shape[0], b.shape[0], a.shape[1]
    out = np.full((len(qs), k), np.nan)
    step = max(1, 4_000_000 // max(n_a * n_b, 1))
    for s in range(0, k, step):
        d = (b[None, :, s:s + step] - a[:, None, s:s + step]).reshape(n_a * n_b, -1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an outcome missing in every run: all-NaN slice
            out[:, s:s + step] = np.nanquantile(d, qs, axis=0)
    return out


def paired_effects(outcomes: pd.DataFrame, columns: Sequence[str], *, arm: str = "policy",
                   baseline: str | None = None, pair_on: Sequence[str] = ("uncertainty_point", "replicate"),
                   quantiles: Sequence[float] = PAIRED_QUANTILES) -> PairedEffects:
    """Paired effects of each arm against a baseline arm on every outcome column.

    Runs of two arms are paired when they share the pairing keys: by default the uncertainty point (in a
    ``posterior`` design, the posterior draw's index) and the replicate. With ``common_random_numbers = true``
    the two runs of a pair also share their seed (:func:`experiments.seeds.crn_seed`), so the pair's difference
    has neither the parameter uncertainty nor most of the Monte-Carlo noise of a single run in it.

    The paired interval is the 5 %-95 % quantiles of the per-pair differences (arm minus baseline), and the
    median their median: the spread of the effect over posterior draws and replications.

    The unpaired interval, given for comparison, is the same quantiles of the differences of *independent* runs:
    every baseline run against every arm run (all ``n_a × n_b`` differences, i.e. the exact distribution of
    the difference of one run drawn at random from each arm). It is chosen, rather than an interval of the
    difference of the two arms' means, because it answers the same question as the paired interval (how much
    one arm's run differs from the other's) with only the pairing removed: the ratio of the two widths is what
    pairing by draw and seed gains. An interval of a difference of means would shrink with the number of runs
    and could not be set beside the per-pair quantiles.

    Args:
        outcomes: one row per run, with ``run_index``, ``arm``, the ``pair_on`` columns, optionally ``seed``,
            and the outcome columns (``indicator@region@year``).
        columns: the outcome columns (missing ones are skipped).
        arm: the column naming a run's arm (a scenario or policy).
        baseline: the baseline arm (default: the arm of the first row).
        pair_on: the columns that pair runs across arms.
        quantiles: low, middle and high quantiles.

    Returns:
        A :class:`PairedEffects`; runs without a partner in the baseline (or a baseline run without a partner in
        an arm), and runs whose keys are not unique within their arm, are listed in ``unmatched``, never silently
        dropped.
    """
    pair_on = tuple(pair_on)
    missing = [c for c in (arm, *pair_on) if c not in outcomes]
    if missing:
        raise InputError(field="outcomes", value=f"no column {missing[0]!r}", source="paired_effects",
                         allowed=f"a table with the arm column and the pairing keys {list(pair_on)}")
    cols = [c for c in columns if c in outcomes]
    unmatched_cols = ["run_index", "arm", *pair_on, "reason"]
    if outcomes.empty or not cols:
        return PairedEffects(pd.DataFrame(columns=PAIRED_COLUMNS), pd.DataFrame(columns=unmatched_cols),
                             baseline or "", pair_on)
    baseline = str(outcomes[arm].iloc[0]) if baseline is None else baseline
    arms = list(dict.fromkeys(outcomes[arm].astype(str)))
    if baseline not in arms:
        raise InputError(field="baseline", value=baseline, allowed=f"one of the arms {arms}",
                         source="paired_effects")
    df = outcomes.assign(_arm=outcomes[arm].astype(str))
    unmatched: list[dict] = []

    def note(rows: pd.DataFrame, reason: str) -> None:
        for r in rows.to_dict("records"):
            unmatched.append({"run_index": r.get("run_index"), "arm": r["_arm"], **{k: r[k] for k in pair_on},
                              "reason": reason})

    dup = df.duplicated(["_arm", *pair_on], keep=False)
    note(df[dup], f"more than one run of its arm with the same {', '.join(pair_on)}")
    df = df[~dup]
    base = df[df["_arm"] == baseline].set_index(list(pair_on))
    lo_q, mid_q, hi_q = quantiles
    rows = []
    partnered_base: set = set()
    for a in arms:
        if a == baseline:
            continue
        other = df[df["_arm"] == a].set_index(list(pair_on))
        common = base.index.intersection(other.index)
        note(other.loc[other.index.difference(base.index)].reset_index(), f"no run of the baseline ({baseline}) "
             f"with the same {', '.join(pair_on)}")
        partnered_base.update(common.tolist())
        if not len(common):
            continue
        a_vals = base.loc[common, cols].to_numpy(float)
        b_vals = other.loc[common, cols].to_numpy(float)
        same_seed = bool("seed" in df and (base.loc[common, "seed"].to_numpy() == other.loc[common, "seed"].to_numpy()
                                           ).all())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            paired = np.nanquantile(b_vals - a_vals, [lo_q, mid_q, hi_q], axis=0)
        indep = _independent_difference_quantiles(a_vals, b_vals, [lo_q, mid_q, hi_q])
        n_pairs = np.isfinite(b_vals - a_vals).sum(axis=0)
        for j, c in enumerate(cols):
            ind, region, year = _split_key(c)
            rows.append({"arm": a, "baseline": baseline, "outcome": c, "indicator": ind, "region": region,
                         "year": year, "n_pairs": int(n_pairs[j]), "common_seeds": same_seed,
                         "median": paired[1, j], "low": paired[0, j], "high": paired[2, j],
                         "unpaired_median": indep[1, j], "unpaired_low": indep[0, j], "unpaired_high": indep[2, j]})
    lonely = base[~base.index.isin(list(partnered_base))]
    if len(arms) > 1:
        note(lonely.reset_index(), "no run of any other arm with the same " + ", ".join(pair_on))
    return PairedEffects(pd.DataFrame(rows, columns=PAIRED_COLUMNS), pd.DataFrame(unmatched, columns=unmatched_cols),
                         baseline, pair_on)
