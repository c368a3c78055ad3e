"""Payday and the due date of a month's sheets (R-P2): pure functions, across month and year
boundaries, and the Today cards that show them."""

from datetime import date

import pytest

from portal.scoring import deadline
from tests.conftest import today
from tests.scoring import fixtures_workflow

# the shared fixtures of these tests
make_sheet = fixtures_workflow.make_sheet
people = fixtures_workflow.people


@pytest.mark.parametrize(("year", "month", "day", "payday", "due"), [
    (2026, 11, 10, date(2026, 12, 10), date(2026, 12, 9)),
    (2026, 12, 10, date(2027, 1, 10), date(2027, 1, 9)),      # across the year
    (2027, 1, 31, date(2027, 2, 28), date(2027, 2, 27)),      # clamped to February
    (2028, 1, 31, date(2028, 2, 29), date(2028, 2, 28)),      # leap year
    (2026, 10, 1, date(2026, 11, 1), date(2026, 10, 31)),     # due in the sheet's own month
    (2026, 12, 1, date(2027, 1, 1), date(2026, 12, 31)),      # due on New Year's Eve
    (2026, 3, 31, date(2026, 4, 30), date(2026, 4, 29)),
])
def test_payday_and_due_date(year, month, day, payday, due):
    assert deadline.payday(year, month, day) == payday
    assert deadline.due_date(year, month, day) == due


def test_days_left_and_overdue():
    assert deadline.days_left(2026, 11, date(2026, 12, 9)) == 0
    assert not deadline.is_overdue(2026, 11, date(2026, 12, 9))
    assert deadline.days_left(2026, 11, date(2026, 12, 10)) == -1
    assert deadline.is_overdue(2026, 11, date(2026, 12, 10))
    assert deadline.days_left(2026, 12, date(2026, 12, 31)) == 9


@pytest.mark.parametrize(("today", "month", "days_left"), [
    (date(2026, 11, 22), (2026, 11), 17),   # last month's payday has passed: this month
    (date(2026, 12, 5), (2026, 11), 4),     # before payday: last month is still due
    (date(2026, 12, 9), (2026, 11), 0),     # the due date itself
    (date(2026, 12, 10), (2026, 12), 30),   # payday: the new month is next
    (date(2027, 1, 3), (2026, 12), 6),      # across the year
])
def test_pending_month(today, month, days_left):
    pending = deadline.pending_month(today, 10)
    assert (pending.year, pending.month) == month
    assert pending.days_left == days_left
    assert not pending.overdue


def test_supervisor_card_days_left_and_drafts(client, sign_in, people, make_sheet, freeze):
    freeze("2026-12-05 09:00")
    make_sheet(status="draft")
    make_sheet(user=people["other"], status="submitted")
    sign_in(client, people["supervisor"])
    html = today(client).get_data(as_text=True)
    assert "Score sheets due" in html
    assert "4 days left." in html
    assert people["staff"].display_name in html
    card = html.split("Score sheets due")[1].split("</section>")[0]
    assert people["other"].display_name not in card


def test_overdue_shown_to_supervisor_and_manager(client, sign_in, people, make_sheet, freeze):
    freeze("2026-12-11 09:00")  # November's sheets were due on 2026-12-09
    make_sheet(status="returned")
    make_sheet(user=people["other"], status="submitted")
    for who in ("supervisor", "manager"):
        sign_in(client, people[who])
        html = today(client).get_data(as_text=True)
        card = html.split('id="card-scoring-', 1)[1]
        assert "Overdue" in card, who
        assert f"{people['staff'].display_name} 2026-11" in html, who
    html = today(client).get_data(as_text=True)  # the manager: the submitted one waits
    assert "1 waiting for your approval" in html


def test_payday_is_configurable(app, client, sign_in, people, make_sheet, freeze, monkeypatch):
    monkeypatch.setitem(app.config, "SCORING_PAYDAY", 15)
    freeze("2026-12-12 09:00")
    make_sheet(status="draft")
    sign_in(client, people["supervisor"])
    assert "2 days left." in today(client).get_data(as_text=True)
