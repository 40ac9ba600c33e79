"""Figures of a sweep report (PNG).

Figures are built on :class:`matplotlib.figure.Figure` with the Agg canvas directly, never through pyplot, so
that writing a report neither needs a display nor changes the backend of a user's interactive session.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from experiments.analysis import Target

#: Quantile bands of a fan chart: (low, high, opacity).
BANDS = ((0.05, 0.95, 0.18), (0.25, 0.75, 0.35))


def _save(fig: Figure, path: Path) -> Path:
    FigureCanvasAgg(fig)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    return path


def fan_charts(series: pd.DataFrame, *, indicator_label: str, targets: Sequence[Target], path_stem: Path,
               observed: pd.Series | None = None, max_panels: int = 16) -> list[Path]:
    """Fan charts of one indicator: per policy, the median and the 50 % and 90 % bands over its runs, with the
    plan's targets and the observed history.

    Args:
        series: columns ``policy``, ``run_index``, ``year``, ``value``.
        indicator_label: y-axis label.
        targets: targets of this indicator (drawn as markers with the side that meets them).
        path_stem: output path without suffix; figures with more than ``max_panels`` policies are split into
            ``<stem>-1.png``, ``<stem>-2.png`` ...
        observed: observed values by year (drawn as black dots).
        max_panels: policies per figure.

    Returns:
        The written files.
    """
    policies = list(dict.fromkeys(series["policy"]))
    chunks = [policies[i:i + max_panels] for i in range(0, len(policies), max_panels)] or [[]]
    paths = []
    ylo, yhi = series["value"].quantile(0.01), series["value"].quantile(0.99)
    for values in ([t.value for t in targets], [] if observed is None else list(observed.values)):
        if values:
            ylo, yhi = min(ylo, min(values)), max(yhi, max(values))
    pad = 0.05 * (yhi - ylo or 1.0)
    for ci, chunk in enumerate(chunks):
        n = max(len(chunk), 1)
        ncols = min(n, 4)
        nrows = int(np.ceil(n / ncols))
        fig = Figure(figsize=(3.6 * ncols, 2.8 * nrows + 0.4), layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True)
        for ax in axes.flat[len(chunk):]:
            ax.set_visible(False)
        for ax, policy in zip(axes.flat, chunk, strict=False):
            g = series[series["policy"] == policy]
            q = g.groupby("year")["value"].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
            years = q.index.to_numpy()
            for lo, hi, alpha in BANDS:
                ax.fill_between(years, q[lo], q[hi], color="tab:blue", alpha=alpha, linewidth=0,
                                label=f"{int(lo * 100)}-{int(hi * 100)} % of runs")
            ax.plot(years, q[0.5], color="tab:blue", linewidth=1.5, label="median")
            if observed is not None and len(observed):
                ax.plot(observed.index, observed.values, "o", color="black", markersize=2.5, label="observed")
            for t in targets:
                marker = "^" if t.op in (">=", ">") else "v"
                ax.plot([t.year], [t.value], marker, color="tab:red", markersize=7,
                        label=f"plan target ({t.op} {t.value:g})")
                ax.axhline(t.value, color="tab:red", linewidth=0.6, linestyle=":", alpha=0.7)
            title = str(policy).replace(" · ", "\n")  # one line per lever: long labels would overlap
            ax.set_title(f"{title}\n({g['run_index'].nunique()} runs)", fontsize=7)
            ax.set_ylim(ylo - pad, yhi + pad)
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=7)
        for ax in axes[:, 0]:
            ax.set_ylabel(indicator_label, fontsize=8)
        handles, labels = axes.flat[0].get_legend_handles_labels()
        unique = dict(zip(labels, handles, strict=False))
        fig.legend(unique.values(), unique.keys(), loc="outside lower center", ncols=min(len(unique), 5), fontsize=7)
        suffix = "" if len(chunks) == 1 else f"-{ci + 1}"
        paths.append(_save(fig, path_stem.with_name(path_stem.name + suffix + ".png")))
    return paths


def probability_heatmap(table: pd.DataFrame, path: Path, *, title: str) -> Path:
    """A heatmap of probabilities (rows: policies, columns: divisions), each cell annotated."""
    nrows, ncols = table.shape
    fig = Figure(figsize=(1.0 + 0.62 * ncols, 1.4 + 0.32 * nrows), layout="constrained")
    ax = fig.subplots()
    im = ax.imshow(table.to_numpy(float), vmin=0, vmax=1, cmap="RdYlGn", aspect="auto")
    ax.set_xticks(range(ncols), table.columns, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(nrows), table.index, fontsize=7)
    for i in range(nrows):
        for j in range(ncols):
            v = table.iat[i, j]
            if np.isfinite(v):
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=6)
    fig.colorbar(im, ax=ax, label="probability of meeting the target", shrink=0.8)
    ax.set_title(title, fontsize=9)
    return _save(fig, path)


def effects_chart(effects: pd.DataFrame, path: Path, *, title: str) -> Path:
    """Lever effects with 95 % intervals, one panel per outcome."""
    outcomes = list(dict.fromkeys(effects["outcome"]))
    n = len(outcomes)
    terms = list(dict.fromkeys(effects["term"]))
    fig = Figure(figsize=(4.2 * n, 0.9 + 0.3 * len(terms)), layout="constrained")
    axes = fig.subplots(1, n, squeeze=False, sharey=True)[0]
    for ax, outcome in zip(axes, outcomes, strict=True):
        e = effects[effects["outcome"] == outcome].set_index("term").reindex(terms)
        y = np.arange(len(terms))
        ax.errorbar(e["effect"], y, xerr=[e["effect"] - e["ci_low"], e["ci_high"] - e["effect"]], fmt="o",
                    color="tab:blue", markersize=4, capsize=2)
        ax.axvline(0, color="grey", linewidth=0.8)
        ax.set_title(outcome, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(np.arange(len(terms)), terms, fontsize=7)
    axes[0].invert_yaxis()
    fig.suptitle(title, fontsize=9)
    return _save(fig, path)


def sensitivity_chart(indices: pd.DataFrame, path: Path, *, value: str, conf: str, title: str) -> Path:
    """Horizontal bars of a sensitivity index with its confidence half-width, largest first."""
    d = indices.sort_values(value, ascending=True)
    fig = Figure(figsize=(5.5, 0.8 + 0.22 * len(d)), layout="constrained")
    ax = fig.subplots()
    ax.barh(d["parameter"], d[value], xerr=d[conf], color="tab:blue", alpha=0.8, capsize=2)
    ax.set_xlabel(value)
    ax.tick_params(labelsize=7)
    ax.set_title(title, fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, path)
