"""Demo data of the customers area: each part's ``seed(users)`` in turn."""

import importlib

PARTS = ("class_demo",)


def seed(users: dict) -> dict:
    """Every part's demo data; returns what was made."""
    counts: dict = {}
    for part in PARTS:
        counts.update(importlib.import_module(f"portal.customers.{part}").seed(users) or {})
    return counts
