"""The money filter: ¥1,234.00, and a minus sign before the yen sign (-¥500.00, not ¥-500.00)."""

from decimal import Decimal

import pytest


@pytest.mark.parametrize(("value", "shown"), [
    (Decimal("1234"), "¥1,234.00"), (Decimal("-57500"), "-¥57,500.00"),
    (Decimal("-0.5"), "-¥0.50"), (0, "¥0.00"), (None, "")])
def test_money(app, value, shown):
    assert app.jinja_env.filters["money"](value) == shown
