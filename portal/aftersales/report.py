"""The weekly after-sales report (R-C2, R-C3) for the supervisor and the manager: cases
opened and closed in an ISO week by type and by complaint category, how many resolutions
kept their SLA, and the return visits done with their average satisfaction. Four grouped
queries whatever the number of cases; an .xlsx export and a print view show the same."""

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from portal import clock
from portal.aftersales.models import AfterSalesCase, ReturnVisit
from portal.exports import append, workbook_bytes
from portal.extensions import db
from portal.i18n import N_

WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
NO_CATEGORY = N_("No category")


@dataclass
class WeeklyReport:
    """One ISO week of the desk. Counters are keyed by type code or category code (None:
    no category)."""

    year: int
    week: int
    monday: date
    opened_by_type: Counter = field(default_factory=Counter)
    opened_by_category: Counter = field(default_factory=Counter)
    closed_by_type: Counter = field(default_factory=Counter)
    closed_by_category: Counter = field(default_factory=Counter)
    resolved: int = 0
    sla_met: int = 0
    sla_missed: int = 0
    visits_done: int = 0
    visits_by_outcome: Counter = field(default_factory=Counter)
    satisfaction: Counter = field(default_factory=Counter)  # {1..5: how many}

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def opened(self) -> int:
        return sum(self.opened_by_type.values())

    @property
    def closed(self) -> int:
        return sum(self.closed_by_type.values())

    @property
    def reached(self) -> int:
        return self.visits_by_outcome.get("reached", 0)

    @property
    def sla_met_percent(self) -> int | None:
        judged = self.sla_met + self.sla_missed
        return round(100 * self.sla_met / judged) if judged else None

    @property
    def average_satisfaction(self) -> float | None:
        rated = sum(self.satisfaction.values())
        if not rated:
            return None
        return round(sum(score * n for score, n in self.satisfaction.items()) / rated, 1)


def parse_week(text: str | None) -> tuple[int, int] | None:
    """``"2026-W47"`` -> (2026, 47); None for anything else (or a week that does not exist)."""
    match = WEEK.match((text or "").strip())
    if not match:
        return None
    year, week = int(match.group(1)), int(match.group(2))
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError:
        return None
    return year, week


def current_week(today: date | None = None) -> tuple[int, int]:
    """The ISO week of ``today`` (department time)."""
    year, week, _weekday = (today or clock.today()).isocalendar()
    return year, week


def last_complete_week(today: date | None = None) -> tuple[int, int]:
    """The ISO week before ``today``'s: the last one whose every day is over, which the
    report opens on (the week that just began would be all zeros)."""
    year, week, _weekday = ((today or clock.today()) - timedelta(days=7)).isocalendar()
    return year, week


def neighbours(year: int, week: int) -> tuple[str, str]:
    """The previous and the next week's labels."""
    monday = date.fromisocalendar(year, week, 1)
    before = (monday - timedelta(days=7)).isocalendar()
    after = (monday + timedelta(days=7)).isocalendar()
    return f"{before[0]}-W{before[1]:02d}", f"{after[0]}-W{after[1]:02d}"


def week_bounds(monday: date) -> tuple[datetime, datetime]:
    """The week's first moment and the next week's (department time)."""
    begin = datetime.combine(monday, time(), clock.get_clock().tz)
    return begin, begin + timedelta(days=7)


def weekly(year: int, week: int) -> WeeklyReport:
    """The week's report in four grouped queries."""
    monday = date.fromisocalendar(year, week, 1)
    begin, end = week_bounds(monday)
    report = WeeklyReport(year, week, monday)

    def between(column):
        return sa.and_(column >= begin, column < end)

    case = AfterSalesCase
    for column, by_type, by_category in (
            (case.created_at, report.opened_by_type, report.opened_by_category),
            (case.closed_at, report.closed_by_type, report.closed_by_category)):
        for type_, category, n in db.session.execute(
                sa.select(case.type, case.category, sa.func.count())
                .where(between(column)).group_by(case.type, case.category)):
            by_type[type_] += n
            by_category[category] += n
    for met, n in db.session.execute(
            sa.select(case.sla_met, sa.func.count()).where(between(case.resolved_at))
            .group_by(case.sla_met)):
        report.resolved += n
        if met is True:
            report.sla_met += n
        elif met is False:
            report.sla_missed += n
    for outcome, score, n in db.session.execute(
            sa.select(ReturnVisit.outcome, ReturnVisit.satisfaction, sa.func.count())
            .where(between(ReturnVisit.done_at))
            .group_by(ReturnVisit.outcome, ReturnVisit.satisfaction)):
        report.visits_done += n
        report.visits_by_outcome[outcome] += n
        if outcome == "reached" and score is not None:
            report.satisfaction[score] += n
    return report


def export_xlsx(report: WeeklyReport, types: dict, categories: dict, outcomes: dict) -> bytes:
    """The report as a workbook (labels translated for the reader)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = report.label
    bold = Font(bold=True)
    # every cell through portal.exports: a label that is data (a category's name) is text,
    # never a formula, and a character XML cannot carry never fails the download
    append(sheet, [_("After-sales weekly report %(week)s", week=report.label)])
    sheet["A1"].font = Font(bold=True, size=13)
    append(sheet, [_("%(first)s to %(last)s", first=report.monday.isoformat(),
                     last=report.sunday.isoformat())])
    append(sheet, [])

    def block(heading: str, columns, rows) -> None:
        for cell in sheet[append(sheet, [heading, *columns])]:
            cell.font = bold
        for row in rows:
            append(sheet, row)
        append(sheet, [])

    opened, closed = _("Opened"), _("Closed")
    block(_("Cases"), [opened, closed], [(_("Total"), report.opened, report.closed)])
    block(_("By type"), [opened, closed],
          [(_(label), report.opened_by_type.get(code, 0), report.closed_by_type.get(code, 0))
           for code, label in types.items()])
    block(_("By complaint category"), [opened, closed],
          [(_(label), report.opened_by_category.get(code, 0),
            report.closed_by_category.get(code, 0))
           for code, label in [*categories.items(), (None, NO_CATEGORY)]])
    block(_("SLA"), [_("Cases")], [
        (_("Resolved this week"), report.resolved),
        (_("SLA met"), report.sla_met),
        (_("SLA missed"), report.sla_missed),
        (_("SLA met (percent)"), report.sla_met_percent if report.sla_met_percent is not None
         else ""),
    ])
    block(_("Return visits"), [_("Visits")], [
        (_("Done this week"), report.visits_done),
        *[(_(label), report.visits_by_outcome.get(code, 0)) for code, label in outcomes.items()],
        (_("Average satisfaction (1–5)"), report.average_satisfaction
         if report.average_satisfaction is not None else ""),
        *[(_("Satisfaction %(score)d", score=score), report.satisfaction.get(score, 0))
          for score in range(5, 0, -1)],
    ])
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 12
    sheet.column_dimensions["C"].width = 12
    return workbook_bytes(book)
