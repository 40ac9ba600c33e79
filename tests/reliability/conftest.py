"""Fixtures of the reliability tests; the helpers live in ``rel_helpers.py`` (importable by name)."""

from rel_helpers import tiny_experiment  # noqa: F401  (a fixture)
