"""The one derivation of run and replication seeds from a recorded master seed.

Every seed a run receives (an experiment's runs, a calibration's posterior projections and simulations, the
UI's compare replications) comes from :func:`derive_seed`: the master seed and the run's identity, never the
worker that ran it, the order or the number of workers, so an ensemble gives the same tables bit for bit
wherever it runs.

The identity is a ``numpy.random.SeedSequence`` spawn key (``(i,)`` is child ``i`` of
``SeedSequence(master).spawn(n)``; keys of different lengths give independent streams because
``SeedSequence`` mixes the key's length into its state). The callers grew up with different ways of turning
that sequence into an integer; each keeps its own through the ``form`` parameter so that every recorded output
(regression digests, sweep stores, the calibration's posterior files, the lessons' numbers) stays bit for bit
the same:

* ``"high63"`` (experiments): the top 63 bits of one ``uint64`` word;
* ``"low63"`` (calibration projections): the low 63 bits of one ``uint64`` word;
* ``"uint32"`` (UI compare view): one ``uint32`` word;
* ``"values_sha256"`` (calibration simulations): the identity is the parameter draw itself (a mapping of
  name to value), hashed with the master seed by SHA-256 and kept to 63 bits. pyabc draws particles in worker
  processes in an order set by scheduling, so only the parameter values identify a simulation reproducibly.

Every form returns a plain non-negative Python ``int`` (Mesa refuses numpy integers as seeds, STACK.md).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np

SeedForm = Literal["high63", "low63", "uint32", "values_sha256"]
#: The forms :func:`derive_seed` accepts.
SEED_FORMS: tuple[str, ...] = ("high63", "low63", "uint32", "values_sha256")


def derive_seed(master_seed: int, identity: Sequence[int] | Mapping[str, float], *,
                form: SeedForm = "high63") -> int:
    """The seed of one run, from the master seed and the run's identity.

    Args:
        master_seed: the recorded master seed (an experiment's ``master_seed``, the calibration seed, the UI's
            compare seed).
        identity: the run's ``SeedSequence`` spawn key (a tuple of non-negative ints, e.g. ``(run_index,)``);
            for ``form="values_sha256"``, the run's parameter values ``{name: value}``.
        form: how the seed is drawn from the identity (see the module docstring); each caller keeps the form
            its recorded outputs were made with.

    Returns:
        A non-negative Python ``int`` (below 2**63, or below 2**32 for ``"uint32"``).

    Raises:
        ValueError: if ``form`` is not one of :data:`SEED_FORMS`.
    """
    if form == "values_sha256":
        values = dict(identity)  # type: ignore[arg-type]
        payload = json.dumps([int(master_seed), sorted((k, repr(float(v))) for k, v in values.items())])
        return int.from_bytes(hashlib.sha256(payload.encode()).digest()[:8], "little") % (2**63)
    sequence = np.random.SeedSequence(master_seed, spawn_key=tuple(int(k) for k in identity))  # type: ignore[union-attr]
    if form == "high63":
        # 63 bits fit an int64 column; collisions among 10^6 runs have probability about 1e-7
        return int(sequence.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
    if form == "low63":
        return int(sequence.generate_state(1, dtype=np.uint64)[0] % (2**63))
    if form == "uint32":
        return int(sequence.generate_state(1)[0])
    raise ValueError(f"form {form!r} is not one of {', '.join(SEED_FORMS)}")


def spawned_seeds(master_seed: int, n: int, *, form: SeedForm) -> list[int]:
    """Seeds of runs ``0 .. n-1``: ``derive_seed(master_seed, (i,), form=form)``, the children of
    ``SeedSequence(master_seed).spawn(n)``."""
    return [derive_seed(master_seed, (i,), form=form) for i in range(n)]
