"""The visitor register summed up for a month (R-R7): visits per day, by purpose, by source,
by consultant, the average stay and the drinks served; a bar chart drawn server-side as
inline SVG (presentation attributes only: the CSP forbids style attributes) and an .xlsx.
"""

import calendar
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from markupsafe import Markup

from portal import charts, clock
from portal.auth.models import User
from portal.exports import append, workbook_bytes
from portal.extensions import db
from portal.i18n import localized
from portal.reception.models import MenuItem, Serving, Visit
from portal.reception.visitors import PURPOSES, SOURCES


@dataclass
class MonthSummary:
    year: int
    month: int
    days: list[date]
    per_day: dict = field(default_factory=dict)  # date -> parties
    people_per_day: dict = field(default_factory=dict)
    by_purpose: Counter = field(default_factory=Counter)
    by_source: Counter = field(default_factory=Counter)
    by_consultant: list = field(default_factory=list)  # [(name, parties)]
    average_stay: int | None = None  # minutes, of parties marked as left
    served: list = field(default_factory=list)  # [(item name, kind, quantity)]

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def parties(self) -> int:
        return sum(self.per_day.values())

    @property
    def people(self) -> int:
        return sum(self.people_per_day.values())


def parse_month(text: str | None) -> tuple[int, int] | None:
    """``2026-11`` → (2026, 11); None when it is not a month."""
    try:
        year, month = (int(part) for part in (text or "").split("-"))
    except ValueError:
        return None
    return (year, month) if 2000 <= year <= 2100 and 1 <= month <= 12 else None


def month_days(year: int, month: int) -> list[date]:
    return [date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1)]


def month_summary(year: int, month: int) -> MonthSummary:
    """R-R7: the month's register summed up (six grouped queries, whatever the size)."""
    days = month_days(year, month)
    first, last = days[0], days[-1]
    in_month = sa.and_(Visit.day >= first, Visit.day <= last)
    result = MonthSummary(year, month, days)
    for day, parties, people in db.session.execute(
            sa.select(Visit.day, sa.func.count(), sa.func.sum(Visit.party_size))
            .where(in_month).group_by(Visit.day)):
        result.per_day[day] = parties
        result.people_per_day[day] = int(people or 0)
    for column, counter in ((Visit.purpose, result.by_purpose), (Visit.source, result.by_source)):
        for code, parties in db.session.execute(
                sa.select(column, sa.func.count()).where(in_month).group_by(column)):
            counter[code] = parties
    rows = db.session.execute(
        sa.select(User.display_name, Visit.consultant_name, sa.func.count())
        .select_from(Visit).outerjoin(User, User.id == Visit.consultant_id)
        .where(in_month).group_by(User.display_name, Visit.consultant_name))
    consultants: Counter = Counter()
    for staff_name, free_name, parties in rows:
        consultants[staff_name or free_name or _("No consultant")] += parties
    result.by_consultant = consultants.most_common()
    stays = [(left - arrived).total_seconds() / 60 for arrived, left in db.session.execute(
        sa.select(Visit.arrived_at, Visit.left_at).where(in_month, Visit.left_at.is_not(None)))]
    result.average_stay = round(sum(stays) / len(stays)) if stays else None
    # summed per item first, then joined to the items: a JSON column (their names per
    # language) cannot be grouped on PostgreSQL
    served = (sa.select(Serving.menu_item_id, sa.func.sum(Serving.quantity).label("quantity"))
              .where(Serving.day >= first, Serving.day <= last)
              .group_by(Serving.menu_item_id).subquery())
    result.served = [(localized(names, name), kind, int(quantity))
                     for name, names, kind, quantity in db.session.execute(
                         sa.select(MenuItem.name, MenuItem.names, MenuItem.kind, served.c.quantity)
                         .join(served, served.c.menu_item_id == MenuItem.id)
                         .order_by(served.c.quantity.desc(), MenuItem.id))]
    return result


def month_totals(year: int, month: int) -> tuple[int, int]:
    """(parties, people) of a month in one query: what the Today card shows."""
    days = month_days(year, month)
    parties, people = db.session.execute(
        sa.select(sa.func.count(), sa.func.sum(Visit.party_size))
        .where(Visit.day >= days[0], Visit.day <= days[-1])).one()
    return parties, int(people or 0)


def summary_month_for(today: date | None = None) -> tuple[int, int] | None:
    """At month end (its last three days, and the first three of the next) the month whose
    summary is ready for the supervisor (R-R7); None at other times."""
    today = today or clock.today()
    last_day = calendar.monthrange(today.year, today.month)[1]
    if today.day > last_day - 3:
        return today.year, today.month
    if today.day <= 3:
        previous = today.replace(day=1) - timedelta(days=1)
        return previous.year, previous.month
    return None


# --- the chart ----------------------------------------------------------------------------------


def bar_chart_svg(summary: MonthSummary, width: int = 760, height: int = 240) -> Markup:
    """Visits per day as an inline SVG bar chart, with a <title> and a <desc>."""
    left, right, top, bottom = 34, 8, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(summary.per_day.values(), default=0)
    scale_max = charts.scale_max(peak)
    slot = plot_w / len(summary.days)
    bar_w = max(slot * 0.7, 2)
    title = _("Visits per day, %(month)s", month=summary.label)
    busiest = max(summary.per_day.items(), key=lambda kv: kv[1], default=None)
    desc = _("%(parties)d parties in %(days)d days; busiest day %(day)s with %(count)d.",
             parties=summary.parties, days=len(summary.days),
             day=busiest[0].isoformat() if busiest else "—",
             count=busiest[1] if busiest else 0)
    parts = charts.svg_open("visits-chart", f"visits-chart-{summary.label}", width, height,
                            title, desc)
    parts += charts.value_axis(left, width - right, top, plot_h, scale_max)
    for index, day in enumerate(summary.days):
        count = summary.per_day.get(day, 0)
        x = left + slot * index + (slot - bar_w) / 2
        h = plot_h * count / scale_max
        weekend = day.weekday() >= 5
        parts.append(
            f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
            f'fill="{"#7aa6c2" if weekend else "#2f6f9f"}">'
            f'<title>{day.isoformat()}: {count}</title></rect>')
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{height - bottom + 14}" font-size="9" '
                     f'fill="#5f6b76" text-anchor="middle">{day.day}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()


# --- the workbook ---------------------------------------------------------------------------------


def export_xlsx(summary: MonthSummary) -> bytes:
    """The month summary as a workbook: the days on one sheet, the breakdowns on another.
    Every cell goes through ``portal.exports.append``: a consultant's free name or a menu
    item's name is text, never a formula, and cannot make the export fail (issue 16)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = summary.label
    bold = Font(bold=True)
    row = append(sheet, [_("Showroom visitors %(month)s", month=summary.label)])
    sheet.cell(row, 1).font = Font(bold=True, size=13)
    sheet.cell(append(sheet, [_("Date"), _("Parties"), _("People")]), 1).font = bold
    for day in summary.days:
        append(sheet, [day.isoformat(), summary.per_day.get(day, 0),
                       summary.people_per_day.get(day, 0)])
    sheet.cell(append(sheet, [_("Total"), summary.parties, summary.people]), 1).font = bold
    sheet.column_dimensions["A"].width = 14

    details = book.create_sheet(_("Breakdown"))

    def block(heading: str, rows) -> None:
        details.cell(append(details, [heading]), 1).font = bold
        for values in rows:
            append(details, list(values))
        append(details, [])

    block(_("Purpose"), [(_(PURPOSES[c]), summary.by_purpose.get(c, 0)) for c in PURPOSES])
    block(_("How they came"), [(_(SOURCES[c]), summary.by_source.get(c, 0)) for c in SOURCES])
    block(_("Consultant"), summary.by_consultant)
    block(_("Average stay (minutes)"),
          [(summary.average_stay if summary.average_stay is not None else "",)])
    block(_("Served"), [(name, quantity) for name, _kind, quantity in summary.served])
    details.column_dimensions["A"].width = 24
    return workbook_bytes(book)
