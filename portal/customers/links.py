"""Links between the customers' pages, one copy for every views module and template."""

from flask import url_for
from werkzeug.routing import BuildError


def customers_url(endpoint: str, **values) -> str | None:
    """A link to a customers page; None when that page is not in this build."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def customer_url(customer_id: int) -> str:
    """The customer's story page (``customers.record``; its path while that page is not in
    this build)."""
    return customers_url("customers.record", customer_id=customer_id) \
        or f"{url_for('customers.index')}{customer_id}"


def register(app) -> None:
    """Both helpers as template globals."""
    app.jinja_env.globals.update(customer_url=customer_url, customers_url=customers_url)
