"""Links to a customer's page, one copy for every views module and template."""

from flask import url_for


def customer_url(customer_id: int) -> str:
    """The customer's story page (``customers.record``)."""
    return url_for("customers.record", customer_id=customer_id)


def register(app) -> None:
    """The helper as a template global."""
    app.jinja_env.globals.update(customer_url=customer_url)
