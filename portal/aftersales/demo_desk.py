"""Demo data of the after-sales desk around the cases: the default canned replies (the
department's rules in a customer's words). Called by portal.aftersales.demo after its
cases; for demonstration only."""

from portal.aftersales import replies


def seed(users) -> dict:
    """The default canned replies (nothing when some exist already)."""
    return {"aftersales_replies": replies.seed_defaults()}
