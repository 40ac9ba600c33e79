"""The one seed derivation (sim/seeds.py): each form reproduces the seeds its callers recorded outputs with."""

import hashlib
import json

import numpy as np
import pytest

from sim.seeds import SEED_FORMS, derive_seed, spawned_seeds


def test_spawned_seeds_are_the_children_of_seedsequence_spawn():
    children = np.random.SeedSequence(42).spawn(20)
    assert spawned_seeds(42, 20, form="uint32") == [int(c.generate_state(1)[0]) for c in children]
    assert spawned_seeds(42, 20, form="low63") == [int(c.generate_state(1, dtype=np.uint64)[0] % (2**63))
                                                   for c in children]
    assert spawned_seeds(42, 20, form="high63") == [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
                                                    for c in children]


def test_every_form_gives_plain_non_negative_ints_that_depend_on_master_and_identity():
    for form in ("high63", "low63", "uint32"):
        seeds = [derive_seed(7, (i,), form=form) for i in range(200)]
        assert all(type(s) is int and 0 <= s < 2**63 for s in seeds)
        assert len(set(seeds)) == 200
        assert derive_seed(8, (3,), form=form) != seeds[3]
    assert all(s < 2**32 for s in spawned_seeds(7, 50, form="uint32"))


def test_values_form_is_the_recorded_sha256_of_the_parameter_draw():
    values = {"taste_scale": 0.5, "review_rate": 0.2}
    payload = json.dumps([3, sorted((k, repr(float(v))) for k, v in values.items())])
    expected = int.from_bytes(hashlib.sha256(payload.encode()).digest()[:8], "little") % (2**63)
    assert derive_seed(3, values, form="values_sha256") == expected
    assert derive_seed(3, dict(reversed(values.items())), form="values_sha256") == expected


def test_unknown_form_is_refused_with_the_allowed_ones():
    with pytest.raises(ValueError, match="uint32"):
        derive_seed(1, (0,), form="md5")  # type: ignore[arg-type]
    assert "values_sha256" in SEED_FORMS
