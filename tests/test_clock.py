"""The department clock and the display formats."""

from datetime import UTC, date, datetime
from decimal import Decimal

from flask import render_template_string

from portal import clock


def test_now_is_in_shanghai_by_default(app):
    assert str(clock.now().tzinfo) == "Asia/Shanghai"


def test_frozen_clock_and_date_boundary(freeze):
    freeze("2026-11-22 23:59")
    assert clock.today() == date(2026, 11, 22)
    assert clock.now().astimezone(UTC).date() == date(2026, 11, 22)
    freeze(datetime(2026, 11, 22, 16, 30, tzinfo=UTC))  # 00:30 the next morning in Shanghai
    assert clock.today() == date(2026, 11, 23)


def test_time_zone_is_configurable():
    c = clock.Clock("Europe/Berlin")
    c.freeze(datetime(2026, 11, 22, 12, 0, tzinfo=UTC))
    assert c.now().hour == 13


def test_a_clock_run_from_a_moment_goes_on_from_there():
    c = clock.Clock()
    c.run_from(datetime(2026, 12, 7, 16, 5))  # department time
    first = c.now()
    assert (first.date(), first.hour, first.minute) == (date(2026, 12, 7), 16, 5)
    assert c.now() >= first  # it runs
    c.freeze(datetime(2026, 12, 7, 9, 0))
    assert c.now().hour == 9
    c.unfreeze()
    assert c.now().hour == 16  # back to the run


def test_display_formats(app):
    with app.test_request_context():
        moment = datetime(2026, 11, 22, 8, 30, tzinfo=UTC)
        out = render_template_string(
            "{{ m | date }}|{{ m | time }}|{{ m | datetime }}|{{ money | money }}",
            m=moment, money=Decimal("1234"))
    assert out == "2026-11-22|16:30|2026-11-22 16:30|¥1,234.00"
