"""Demo data of the customer archive: each part's ``demo_*`` module adds its own."""

import importlib

PARTS = ("demo_record", "class_demo", "demo_calls")  # the classes before the plans


def seed(users) -> dict:
    """Run every part's demo (after the orders, visits and cases made the customers)."""
    counts: dict = {}
    for name in PARTS:
        counts.update(importlib.import_module(f"portal.customers.{name}").seed(users) or {})
    return counts
