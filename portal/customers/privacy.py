"""Who sees a customer's contacts in full (R-C8, issue 17 item 8).

Phones and addresses are shown in full to the customer's owner and to holders of
``customers.contacts`` (after-sales, the supervisor, the manager); masked for everyone else
(``138****1234``). Showing them in full to someone other than the owner is audited by the
view that does it.
"""

from portal.customers.models import Customer


def sees_contacts(user, customer: Customer | None) -> bool:
    """True when ``user`` may read ``customer``'s phones and addresses in full."""
    if customer is None or user is None or not getattr(user, "is_authenticated", False):
        return False
    return customer.owner_id == user.id or user.can("customers.contacts")


def mask_phone(phone: str | None) -> str:
    """``13812341234`` → ``138****1234``; a landline keeps its area code and last four."""
    phone = phone or ""
    if "-" in phone:  # 0571-88886666(-123)
        area, _, rest = phone.partition("-")
        number = rest.split("-")[0]
        return f"{area}-{'*' * max(len(number) - 4, 0)}{number[-4:]}"
    if len(phone) <= 4:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:] if len(phone) > 7 else \
        "*" * (len(phone) - 4) + phone[-4:]


def mask_address(address: str | None) -> str:
    """Keep the province/city part a person needs to tell two addresses apart (the first six
    characters); hide the street and number."""
    address = address or ""
    return address[:6] + ("…" if len(address) > 6 else "")
