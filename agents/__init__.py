"""Agents of the Hunan model: households (a vectorised table), firms and governments (Mesa agents)."""
