"""The default parameters: the calibrated posterior median when ``calibration/posterior.json`` exists.

Kept apart from :mod:`sim.parameters` so that the declarations do not depend on calibration output.
"""

from __future__ import annotations

import json
from pathlib import Path

from sim.errors import InputError
from sim.parameters import ModelParameters, parameter_names

POSTERIOR_PATH = Path(__file__).resolve().parent.parent / "calibration" / "posterior.json"


def default_parameters(path: Path = POSTERIOR_PATH) -> ModelParameters:
    """Declared defaults, overridden by the posterior medians in ``path`` when that file exists."""
    if not path.exists():
        return ModelParameters()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        medians = data["median"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise InputError(field="median", value=str(exc), allowed="a posterior JSON with a 'median' table",
                         source=str(path)) from None
    known = set(parameter_names())
    return ModelParameters().replace(**{k: v for k, v in medians.items() if k in known})
