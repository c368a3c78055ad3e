"""Demo showroom: a morning in progress — the checklist half done, parties in the showroom,
earlier visits today, a month of history, open repairs. For demonstration only."""


def seed(users: dict) -> dict:
    """The checklist items first (the menu's drinks draw on the fridge counts), then visits."""
    from portal.reception.demo_checklist import seed_checklist
    from portal.reception.demo_visitors import seed_visitors

    counts = dict(seed_checklist(users) or {})
    counts.update(seed_visitors(users) or {})
    return counts
