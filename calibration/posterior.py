"""The calibrated posterior as a small JSON file (``calibration/posterior.json``) and helpers to read it.

Format (read by :func:`sim.parameters_default.default_parameters`, which uses ``median`` only)::

    {
      "format": "hunan-sim posterior 1",
      "median":  {parameter: weighted posterior median},        # estimated parameters only
      "samples": [{parameter: value}, ...],                      # equal-weight draws (weighted resampling)
      "summary": {parameter: {prior_low, prior_high, mean, sd, q05, q50, q95}},
      "fixed":   {parameter: value},                             # not estimated: declared defaults then
      "fit":     {target key: {observed, tolerance, q05, q50, q95}},  # accepted particles' simulations
      "provenance": {created, git_commit, data_version, packages, settings, targets, runtime, generations}
    }

Only estimated parameters are in ``median``: the others keep their declarations, so a later correction of a
sourced value is not overridden by a stale calibration.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.files import temporary_file
from sim.errors import InputError
from sim.limits import MAX_POSTERIOR_BYTES, read_limited

POSTERIOR_PATH = Path(__file__).resolve().parent / "posterior.json"
FORMAT = "hunan-sim posterior 1"


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float | Sequence[float]) -> np.ndarray:
    """Quantiles of a weighted sample (inverse of the midpoint-interpolated weighted CDF)."""
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(np.atleast_1d(q), cdf, v)


def resample_equal_weights(particles: pd.DataFrame, weights: np.ndarray, *, n: int, seed: int) -> pd.DataFrame:
    """``n`` equal-weight draws from weighted particles (systematic resampling, seeded).

    Systematic resampling keeps each particle's count within one of ``n * weight``, so the draws represent
    the weights with less noise than independent multinomial draws.
    """
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 20101101]))
    positions = (rng.random() + np.arange(n)) / n
    idx = np.minimum(np.searchsorted(np.cumsum(w), positions), len(w) - 1)
    return particles.iloc[idx].reset_index(drop=True)


def _round(x: float, digits: int = 6) -> float:
    """Round to significant digits (keeps the file small and diffs readable)."""
    if x == 0 or not math.isfinite(x):
        return float(x)
    return float(f"{x:.{digits}g}")


def summarise(particles: pd.DataFrame, weights: np.ndarray, bounds: Mapping[str, tuple[float, float]]
              ) -> dict[str, dict[str, float]]:
    """Weighted mean, sd and 5/50/95 % quantiles of each parameter, with its prior range."""
    w = np.asarray(weights, dtype=float) / np.sum(weights)
    out = {}
    for name in particles.columns:
        x = particles[name].to_numpy(dtype=float)
        mean = float(np.sum(w * x))
        q05, q50, q95 = weighted_quantile(x, w, [0.05, 0.5, 0.95])
        lo, hi = bounds[name]
        out[name] = {"prior_low": lo, "prior_high": hi, "mean": _round(mean),
                     "sd": _round(float(np.sqrt(np.sum(w * (x - mean) ** 2)))),
                     "q05": _round(q05), "q50": _round(q50), "q95": _round(q95)}
    return out


def fit_summary(sum_stats: Sequence[Mapping[str, float]], weights: np.ndarray, targets: Sequence[Any]
                ) -> dict[str, dict[str, float]]:
    """Weighted 5/50/95 % of each target's simulated value over the accepted particles."""
    w = np.asarray(weights, dtype=float)
    out = {}
    for t in targets:
        x = np.array([float(s.get(t.key, math.nan)) for s in sum_stats])
        ok = np.isfinite(x)
        q = weighted_quantile(x[ok], w[ok], [0.05, 0.5, 0.95]) if ok.any() else [math.nan] * 3
        out[t.key] = {"observed": _round(t.observed), "tolerance": _round(t.tolerance),
                      "q05": _round(float(q[0])), "q50": _round(float(q[1])), "q95": _round(float(q[2]))}
    return out


def git_commit() -> str:
    """The code's commit (``sim.run.git_commit``)."""
    from sim.run import git_commit as commit

    return commit()


def write_posterior(data: Mapping[str, Any], path: Path | str = POSTERIOR_PATH) -> Path:
    """Write the posterior atomically, one sample per line (small, and readable in a diff)."""
    path = Path(path)
    lines = ["{"]
    keys = list(data)
    for i, key in enumerate(keys):
        end = "," if i < len(keys) - 1 else ""
        value = data[key]
        if key == "samples":
            rows = [json.dumps(s, separators=(", ", ": ")) for s in value]
            lines.append('  "samples": [\n    ' + ",\n    ".join(rows) + f"\n  ]{end}")
        else:
            text = json.dumps(value, indent=2, default=str, ensure_ascii=False).replace("\n", "\n  ")
            lines.append(f"  {json.dumps(key)}: {text}{end}")
    lines.append("}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = temporary_file(path)  # mode from the umask (sim/files.py)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_posterior(path: Path | str = POSTERIOR_PATH) -> dict[str, Any]:
    """Read and check a posterior file (``median`` and ``samples`` over the same parameters).

    Raises:
        InputError: if the file is missing or malformed.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(field="posterior", value=str(path), allowed="an existing posterior JSON (run "
                         "`hunan-sim calibrate` first)", source=str(path))
    raw = read_limited(path, limit=MAX_POSTERIOR_BYTES, what="JSON posterior")  # a regular file, bounded
    try:
        data = json.loads(raw.decode("utf-8"))
        median, samples = data["median"], data["samples"]
    except RecursionError:
        raise InputError(field="posterior", value="JSON nested too deep", allowed="JSON with 'median' and "
                         "'samples'", source=str(path)) from None
    except (ValueError, KeyError, TypeError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise InputError(field="posterior", value=str(exc), allowed="JSON with 'median' and 'samples'",
                         source=str(path)) from None
    if not isinstance(median, dict) or not isinstance(samples, list):
        raise InputError(field="posterior", value=f"median {type(median).__name__}, samples "
                         f"{type(samples).__name__}", allowed="'median' a table and 'samples' a list of tables",
                         source=str(path))
    if not samples or any(not isinstance(s, dict) or set(s) != set(median) for s in samples):
        raise InputError(field="samples", value=f"{len(samples)} samples", allowed="a non-empty list of draws over "
                         "the parameters of 'median'", source=str(path))
    return data


def samples_frame(data: Mapping[str, Any]) -> pd.DataFrame:
    """The equal-weight posterior draws as a table (one column per parameter)."""
    return pd.DataFrame(data["samples"])
