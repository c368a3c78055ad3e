"""Fixtures of the customer tests: the order desk's orders and stock, committed as a request
would (see tests/orders/conftest.py)."""

from tests.orders.conftest import HX, make_order, setup_committed, stock  # noqa: F401
