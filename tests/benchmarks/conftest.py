"""Make the repository's ``benchmarks`` folder importable in these tests.

``benchmarks/`` is not one of the packages the project installs (pyproject lists sim, agents, calibration and
experiments), so under a bare ``pytest`` it is only importable when the repository root is on ``sys.path``
(``python -m pytest`` from the root puts it there; the ``pytest`` script does not).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
