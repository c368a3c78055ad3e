"""Payday and the submission deadline of a month's score sheets (R-P2).

Payday is the ``SCORING_PAYDAY``-th of the month after the sheet's month (clamped to that
month's length: 31 in February is its last day); the sheets are due the day before.
Pure functions: the configured day and "today" are passed in.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta


def next_month(year: int, month: int) -> tuple[int, int]:
    """The (year, month) after ``month``."""
    return (year + 1, 1) if month == 12 else (year, month + 1)


def previous_month(year: int, month: int) -> tuple[int, int]:
    """The (year, month) before ``month``."""
    return (year - 1, 12) if month == 1 else (year, month - 1)


def payday(year: int, month: int, payday_day: int = 10) -> date:
    """The day the sheets of ``year-month`` are paid on: in the following month."""
    y, m = next_month(year, month)
    last = calendar.monthrange(y, m)[1]
    return date(y, m, max(1, min(int(payday_day), last)))


def due_date(year: int, month: int, payday_day: int = 10) -> date:
    """The last day to submit the sheets of ``year-month``: the day before payday (R-P2)."""
    return payday(year, month, payday_day) - timedelta(days=1)


def days_left(year: int, month: int, today: date, payday_day: int = 10) -> int:
    """Days from ``today`` until the due date: 0 on the due date, negative once overdue."""
    return (due_date(year, month, payday_day) - today).days


def is_overdue(year: int, month: int, today: date, payday_day: int = 10) -> bool:
    """True once the due date of ``year-month`` has passed."""
    return days_left(year, month, today, payday_day) < 0


@dataclass(frozen=True)
class MonthDeadline:
    """The month whose sheets are being worked on, with its dates."""

    year: int
    month: int
    payday: date
    due: date
    days_left: int

    @property
    def overdue(self) -> bool:
        return self.days_left < 0


def pending_month(today: date, payday_day: int = 10) -> MonthDeadline:
    """The month the supervisor must submit next: last month until its payday has come,
    then the current month (whose due date is in the next month)."""
    y, m = previous_month(today.year, today.month)
    if today >= payday(y, m, payday_day):
        y, m = today.year, today.month
    due = due_date(y, m, payday_day)
    return MonthDeadline(y, m, payday(y, m, payday_day), due, (due - today).days)
