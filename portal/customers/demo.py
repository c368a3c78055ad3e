"""Demo data of the customers area (called by ``portal.demo.seed`` after the orders,
after-sales and showroom demos, whose records made the customers). Each part of the area
seeds its own in a module of its own."""

from portal.customers import demo_record


def seed(users: dict) -> dict:
    counts = {}
    counts.update(demo_record.seed(users) or {})
    return counts
