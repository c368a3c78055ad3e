"""The complaints' monthly analysis for the general manager (R-C3): counts by category and by
severity beside the three months before, by SKU/product, platform, channel and owner; the
median time to answer; repeat complainants; the satisfaction share; the ten most recent
texts of each category. Computed from the complaints with six grouped queries whatever their
number (every one bounded by ``received_at``, which ``ix_complaints_received`` serves), never
stored: only the supervisor's comment and the moment it was sent (``ComplaintMonth``) are.

Choices, said on the page too:
- a month is the department's calendar month (``PORTAL_TIMEZONE``) of ``received_at``;
- the time to answer is in plain (calendar) hours from receipt to the answer, of the month's
  complaints answered so far;
- a repeat complainant is a customer who complained in the month and has two or more
  complaints in the 90 days ending with the month's last day;
- the satisfaction share is of the month's complaints whose customer was asked;
- once sent, the comment is frozen; the supervisor may reopen it (audited), and sending it
  again tells the manager again.
"""

import calendar
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import median

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy.orm import joinedload

from portal import audit, charts, clock
from portal.actions import Conflict
from portal.auth.models import User
from portal.complaints.models import (
    CHANNELS,
    SATISFACTION,
    SEVERITIES,
    Complaint,
    ComplaintCategory,
    ComplaintMonth,
)
from portal.customers.models import Customer
from portal.exports import append, workbook_bytes
from portal.extensions import db
from portal.i18n import N_, localized
from portal.notifications.services import notify_role
from portal.orders.models import Order, OrderLine
from portal.orders.orders import PLATFORMS
from portal.rules import RuleError

MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")
FIRST_YEAR, LAST_YEAR = 2000, 2100
PREVIOUS = 3  # months shown beside the month
REPEAT_DAYS = 90  # the window of a repeat complainant
TEXTS = 10  # the most recent texts shown per category
TEXT_CUT = 120  # characters of a text shown (one line)
SKUS = 15  # the products with most complaints
NO_ORDER = N_("No order")
NO_OWNER = N_("No owner")
COMMENT_MAX = 4000


# --- months -------------------------------------------------------------------------------


def parse_month(text: str | None) -> tuple[int, int] | None:
    """``2026-11`` → (2026, 11); None when it is not a month between 2000 and 2100."""
    found = MONTH.match(text or "")
    if not found:
        return None
    year, month = int(found.group(1)), int(found.group(2))
    return (year, month) if FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12 else None


def shift(year: int, month: int, by: int) -> tuple[int, int]:
    """The month ``by`` months after (before, when negative) year-month."""
    index = year * 12 + month - 1 + by
    return index // 12, index % 12 + 1


def label(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def start_of(year: int, month: int) -> datetime:
    """The month's first moment on the department's clock."""
    return datetime(year, month, 1, tzinfo=clock.get_clock().tz)


def due_month(today: date | None = None) -> tuple[int, int]:
    """The month whose analysis is due: this one in its last three days, else the last one."""
    today = today or clock.today()
    if today.day > calendar.monthrange(today.year, today.month)[1] - 3:
        return today.year, today.month
    return shift(today.year, today.month, -1)


def default_month(today: date | None = None) -> tuple[int, int]:
    """The month the page opens on: the one due (see ``due_month``)."""
    return due_month(today)


# --- the figures ----------------------------------------------------------------------------


@dataclass
class CategoryRow:
    id: int
    name: str
    counts: list  # per month of ``Analysis.months``, the month last
    active: bool = True


@dataclass
class Text:
    id: int
    received_at: datetime
    severity: str
    text: str


@dataclass
class Repeater:
    customer_id: int
    name: str
    in_month: int
    in_window: int


@dataclass
class Analysis:
    year: int
    month: int
    months: list  # [(year, month)], oldest first, the month last
    categories: list = field(default_factory=list)  # [CategoryRow]
    by_severity: dict = field(default_factory=dict)  # code -> [count per month]
    totals: list = field(default_factory=list)  # count per month
    by_channel: Counter = field(default_factory=Counter)
    by_owner: list = field(default_factory=list)  # [(name, count)]
    by_platform: list = field(default_factory=list)  # [(code or None, count)]
    by_sku: list = field(default_factory=list)  # [(sku, product, complaints)]
    satisfaction: Counter = field(default_factory=Counter)
    answered: int = 0
    median_hours: float | None = None
    repeaters: list = field(default_factory=list)  # [Repeater]
    texts: dict = field(default_factory=dict)  # category id -> [Text]
    record: ComplaintMonth | None = None

    @property
    def label(self) -> str:
        return label(self.year, self.month)

    @property
    def labels(self) -> list[str]:
        return [label(*m) for m in self.months]

    @property
    def total(self) -> int:
        return self.totals[-1] if self.totals else 0

    @property
    def asked(self) -> int:
        return sum(self.satisfaction.values())

    def share(self, code: str) -> int | None:
        """The percentage of asked customers who answered ``code`` (None: nobody asked)."""
        return round(100 * self.satisfaction.get(code, 0) / self.asked) if self.asked else None

    @property
    def sent(self) -> bool:
        return self.record is not None and self.record.sent_at is not None

    @property
    def version(self) -> int:
        """The comment's version as the form carries it (0: nothing written yet)."""
        return self.record.version if self.record is not None else 0


def month_record(year: int, month: int) -> ComplaintMonth | None:
    """The month's comment and sending, with who sent it (one query)."""
    return db.session.get(ComplaintMonth, date(year, month, 1),
                          options=[joinedload(ComplaintMonth.sent_by)])


def analyse(year: int, month: int) -> Analysis:
    """R-C3: the month's analysis in six queries (see the module's docstring)."""
    months = [shift(year, month, -back) for back in range(PREVIOUS, -1, -1)]
    starts = [start_of(*m) for m in months]
    begin, end = starts[-1], start_of(*shift(year, month, 1))
    result = Analysis(year, month, months)
    in_month = sa.and_(Complaint.received_at >= begin, Complaint.received_at < end)

    # 1. by category and severity, per month; every category of the list, counted or not
    bucket = sa.case(*[(Complaint.received_at >= starts[i], i)
                       for i in range(len(starts) - 1, 0, -1)], else_=0)
    counted = (sa.select(Complaint.category_id, Complaint.severity, bucket.label("bucket"),
                         sa.func.count().label("n"))
               .where(Complaint.received_at >= starts[0], Complaint.received_at < end)
               .group_by(Complaint.category_id, Complaint.severity, bucket).subquery())
    rows = db.session.execute(
        sa.select(ComplaintCategory.id, ComplaintCategory.name, ComplaintCategory.names,
                  ComplaintCategory.active, counted.c.severity, counted.c.bucket, counted.c.n)
        .outerjoin(counted, counted.c.category_id == ComplaintCategory.id)
        .order_by(ComplaintCategory.position, ComplaintCategory.id)).all()
    width = len(months)
    categories: dict[int, CategoryRow] = {}
    result.by_severity = {code: [0] * width for code in SEVERITIES}
    result.totals = [0] * width
    for ident, name, names, active, severity, index, count in rows:
        if ident not in categories:
            categories[ident] = CategoryRow(ident, localized(names, name), [0] * width, active)
        if count:
            categories[ident].counts[index] += count
            result.by_severity.setdefault(severity, [0] * width)[index] += count
            result.totals[index] += count
    # a retired category shows only where it was counted
    result.categories = [row for row in categories.values() if row.active or any(row.counts)]

    # 2. by channel, owner, platform and satisfaction (one grouping of the month)
    facets = db.session.execute(
        sa.select(Complaint.channel, Complaint.owner_id, User.display_name, Order.platform,
                  Complaint.satisfaction, Complaint.answered_at.is_not(None),
                  sa.func.count())
        .select_from(Complaint)
        .outerjoin(User, User.id == Complaint.owner_id)
        .outerjoin(Order, Order.id == Complaint.order_id)
        .where(in_month)
        .group_by(Complaint.channel, Complaint.owner_id, User.display_name, Order.platform,
                  Complaint.satisfaction, Complaint.answered_at.is_not(None))).all()
    owners: Counter = Counter()
    platforms: Counter = Counter()
    for channel, owner_id, owner, platform, satisfaction, _answered, count in facets:
        result.by_channel[channel] += count
        owners[(owner or "") if owner_id else None] += count
        platforms[platform] += count
        if satisfaction:
            result.satisfaction[satisfaction] += count
    result.by_owner = sorted(owners.items(), key=lambda kv: (-kv[1], kv[0] is None, kv[0] or ""))
    result.by_platform = sorted(platforms.items(),
                                key=lambda kv: (kv[0] is None, -kv[1], kv[0] or ""))

    # 3. by SKU: complaints about an order holding it (an order of two SKUs counts for each)
    result.by_sku = [tuple(row) for row in db.session.execute(
        sa.select(OrderLine.sku, sa.func.max(OrderLine.item_name),
                  sa.func.count(sa.distinct(Complaint.id)).label("n"))
        .select_from(Complaint).join(OrderLine, OrderLine.order_id == Complaint.order_id)
        .where(in_month).group_by(OrderLine.sku)
        .order_by(sa.text("n DESC"), OrderLine.sku).limit(SKUS))]

    # 4. the month's complaints answered (for the median) and each category's latest texts
    rank = sa.func.row_number().over(
        partition_by=Complaint.category_id,
        order_by=(Complaint.received_at.desc(), Complaint.id.desc())).label("rank")
    ranked = (sa.select(Complaint.id, Complaint.category_id, Complaint.severity,
                        Complaint.received_at, Complaint.answered_at,
                        sa.func.substr(Complaint.said, 1, TEXT_CUT + 1).label("said"), rank)
              .where(in_month).subquery())
    hours = []
    for ident, category_id, severity, received, answered, said, position in db.session.execute(
            sa.select(ranked).where(sa.or_(ranked.c.rank <= TEXTS,
                                           ranked.c.answered_at.is_not(None)))):
        if answered is not None:
            hours.append(max((answered - received).total_seconds(), 0) / 3600)
        if position <= TEXTS:
            result.texts.setdefault(category_id, []).append(
                Text(ident, received, severity, one_line(said)))
    for texts in result.texts.values():
        texts.sort(key=lambda t: (t.received_at, t.id), reverse=True)
    result.answered = len(hours)
    result.median_hours = round(median(hours), 1) if hours else None

    # 5. repeat complainants: complained this month, two or more in the 90 days to its end
    window = sa.and_(Complaint.received_at >= end - timedelta(days=REPEAT_DAYS),
                     Complaint.received_at < end)
    this_month = sa.func.sum(sa.case((in_month, 1), else_=0))
    result.repeaters = [Repeater(*row) for row in db.session.execute(
        sa.select(Complaint.customer_id, Customer.name, this_month, sa.func.count())
        .join(Customer, Customer.id == Complaint.customer_id)
        .where(window)
        .group_by(Complaint.customer_id, Customer.name)
        .having(sa.and_(sa.func.count() >= 2, this_month >= 1))
        .order_by(sa.func.count().desc(), Customer.name).limit(50))]

    # 6. the supervisor's comment
    result.record = month_record(year, month)
    return result


def one_line(text: str | None) -> str:
    """A complaint's text on one line, cut to ``TEXT_CUT`` characters."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= TEXT_CUT else flat[:TEXT_CUT - 1] + "…"


def owner_name(name: str | None) -> str:
    return _(NO_OWNER) if name is None else name


def platform_name(code: str | None) -> str:
    if code is None:
        return _(NO_ORDER)
    return _(PLATFORMS[code]) if code in PLATFORMS else code


# --- the comment and sending ----------------------------------------------------------------


def _record_for(year: int, month: int, version: int) -> ComplaintMonth:
    """The month's record at ``version`` (0: not written yet, made now); a stale version is
    a conflict. A month not begun has nothing to comment on."""
    if (year, month) > (clock.today().year, clock.today().month):
        raise RuleError(N_("This month has not begun: there is nothing to analyse yet."))
    record = month_record(year, month)
    if record is None:
        if version != 0:
            raise Conflict(None)
        record = ComplaintMonth(month=date(year, month, 1), comment="")
        db.session.add(record)
        return record
    if version != record.version:
        raise Conflict(record)
    return record


def save_comment(user: User, year: int, month: int, version: int, comment: str) -> ComplaintMonth:
    """The supervisor's comment on the month's analysis; frozen once sent (reopen first)."""
    record = _record_for(year, month, version)
    if record.sent_at is not None:
        raise RuleError(N_("The analysis was sent to the manager: reopen it to change the "
                           "comment."), field="comment")
    before = record.comment or ""
    record.comment = comment or ""
    if before != record.comment:
        audit.record("complaints.analysis_commented", None, actor=user,
                     changes={"comment": [before, record.comment]},
                     details={"month": label(year, month)})
    return record


def send(user: User, year: int, month: int, version: int, comment: str | None = None
         ) -> ComplaintMonth:
    """Send the month's analysis to the manager (R-C3): the comment as typed is saved, the
    date kept, every manager told with a link to it; audited."""
    record = _record_for(year, month, version)
    if record.sent_at is not None:
        raise RuleError(N_("The analysis was already sent to the manager."))
    if comment is not None:
        record.comment = comment
    record.sent_at = clock.now()
    record.sent_by = user
    text = label(year, month)
    audit.record("complaints.analysis_sent", None, actor=user,
                 changes={"sent_at": [None, record.sent_at.isoformat()]},
                 details={"month": text, "comment": record.comment})
    notify_role("manager", N_("The complaint analysis of %(month)s was sent to you by "
                              "%(name)s."),
                link=url_for("complaints.analysis", month=text), month=text,
                name=user.display_name)
    return record


def reopen(user: User, year: int, month: int, version: int) -> ComplaintMonth:
    """Take a sent analysis back to change its comment (audited); it is sent again after."""
    record = _record_for(year, month, version)
    if record.sent_at is None:
        raise RuleError(N_("The analysis has not been sent."))
    audit.record("complaints.analysis_reopened", None, actor=user,
                 changes={"sent_at": [record.sent_at.isoformat(), None]},
                 details={"month": label(year, month)})
    record.sent_at = None
    record.sent_by = None
    return record


# --- the Today card and the reminder ----------------------------------------------------------


def card_context(user) -> dict:
    """The supervisor's card at month end: the month due and whether it went out (one
    query)."""
    year, month = due_month()
    record = month_record(year, month)
    today = clock.today()
    at_month_end = (year, month) == (today.year, today.month)
    return {"month": label(year, month), "record": record,
            "due": record is None or record.sent_at is None, "at_month_end": at_month_end}


def unsent_reminders(since: datetime, now: datetime):
    """At 09:00 on the third last day of each month, when its analysis is not sent yet, to
    the supervisor; at 09:00 on the first of the next month, again when still not sent."""
    from portal.ui import Due

    tz = clock.get_clock().tz
    day = clock.local(since).date()
    while day <= clock.local(now).date():
        when = datetime.combine(day, datetime.min.time(), tz).replace(hour=9)
        last = calendar.monthrange(day.year, day.month)[1]
        if since < when <= now and day.day in (last - 2, 1):
            year, month = (day.year, day.month) if day.day != 1 else \
                shift(day.year, day.month, -1)
            record = month_record(year, month)
            if record is None or record.sent_at is None:
                text = label(year, month)
                yield Due(f"{text}:{'end' if day.day != 1 else 'late'}", N_(
                    "The complaint analysis of %(month)s is not sent to the manager yet."),
                    roles=("supervisor",), link=url_for("complaints.analysis", month=text),
                    params={"month": text})
        day += timedelta(days=1)


# --- the chart ----------------------------------------------------------------------------------

SHADES = ("#c9d9e6", "#9dbcd4", "#6f9dc0", "#2f6f9f")  # oldest → the month


def chart_svg(analysis: Analysis, width: int = 760, height: int = 260) -> Markup:
    """Complaints by category, the month beside the three before, as an inline SVG bar chart
    (presentation attributes only: the CSP forbids style attributes), with <title>/<desc>."""
    rows = analysis.categories
    left, right, top, bottom = 34, 8, 30, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((c for row in rows for c in row.counts), default=0)
    scale_max = charts.scale_max(peak)
    slot = plot_w / max(len(rows), 1)
    bar_w = max(slot * 0.8 / len(analysis.months), 2)
    title = _("Complaints by category, %(month)s and the three months before",
              month=analysis.label)
    desc = "; ".join(f"{row.name}: " + ", ".join(
        f"{m} {c}" for m, c in zip(analysis.labels, row.counts, strict=True)) for row in rows)
    parts = charts.svg_open("complaints-chart", f"complaints-chart-{analysis.label}", width,
                            height, title, desc or _("No complaints."))
    # the legend: one swatch per month
    for index, text in enumerate(analysis.labels):
        x = left + index * 110
        parts.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{SHADES[index]}"/>')
        parts.append(f'<text x="{x + 16}" y="16" font-size="11" fill="#33404b">'
                     f'{escape(text)}</text>')
    parts += charts.value_axis(left, width - right, top, plot_h, scale_max)
    for index, row in enumerate(rows):
        x0 = left + slot * index + slot * 0.1
        for m, count in enumerate(row.counts):
            h = plot_h * count / scale_max
            x = x0 + m * bar_w
            parts.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 1:.1f}" '
                f'height="{h:.1f}" fill="{SHADES[m]}">'
                f'<title>{escape(row.name)} {analysis.labels[m]}: {count}</title></rect>')
        parts.append(f'<text x="{left + slot * index + slot / 2:.1f}" '
                     f'y="{height - bottom + 16}" font-size="11" fill="#33404b" '
                     f'text-anchor="middle">{escape(row.name)}</text>')
        parts.append(f'<text x="{left + slot * index + slot / 2:.1f}" '
                     f'y="{height - bottom + 32}" font-size="10" fill="#5f6b76" '
                     f'text-anchor="middle">{row.counts[-1]}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()


# --- the workbook -------------------------------------------------------------------------------


def export_xlsx(analysis: Analysis) -> bytes:
    """The month's analysis as a workbook: the counts on one sheet, the texts on another.
    Every cell goes through ``portal.exports.append``: a complaint's text or a name is text,
    never a formula."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = analysis.label
    bold = Font(bold=True)

    def heading(text: str) -> None:
        sheet.cell(append(sheet, [text]), 1).font = bold

    row = append(sheet, [_("Complaint analysis %(month)s", month=analysis.label)])
    sheet.cell(row, 1).font = Font(bold=True, size=13)
    append(sheet, [_("%(count)d complaints", count=analysis.total)])
    append(sheet, [])
    heading(_("By category"))
    append(sheet, [_("Category"), *analysis.labels])
    for category in analysis.categories:
        append(sheet, [category.name, *category.counts])
    append(sheet, [_("Total"), *analysis.totals])
    append(sheet, [])
    heading(_("By severity"))
    append(sheet, [_("Severity"), *analysis.labels])
    for code, label_text in SEVERITIES.items():
        append(sheet, [_(label_text), *analysis.by_severity.get(code, [])])
    append(sheet, [])
    heading(_("By channel"))
    for code, label_text in CHANNELS.items():
        append(sheet, [_(label_text), analysis.by_channel.get(code, 0)])
    append(sheet, [])
    heading(_("By platform"))
    for code, count in analysis.by_platform:
        append(sheet, [platform_name(code), count])
    append(sheet, [])
    heading(_("By owner"))
    for name, count in analysis.by_owner:
        append(sheet, [owner_name(name), count])
    append(sheet, [])
    heading(_("By product (SKU)"))
    append(sheet, [_("SKU"), _("Product"), _("Complaints")])
    for sku, product, count in analysis.by_sku:
        append(sheet, [sku, product, count])
    append(sheet, [])
    heading(_("Time to answer"))
    append(sheet, [_("Answered"), analysis.answered])
    append(sheet, [_("Median hours (calendar hours, receipt to answer)"),
                   analysis.median_hours if analysis.median_hours is not None else ""])
    append(sheet, [])
    heading(_("Satisfaction"))
    for code, label_text in SATISFACTION.items():
        share = analysis.share(code)
        append(sheet, [_(label_text), analysis.satisfaction.get(code, 0),
                       f"{share}%" if share is not None else ""])
    append(sheet, [])
    heading(_("Repeat complainants"))
    append(sheet, [_("Customer"), _("This month"), _("In %(days)d days", days=REPEAT_DAYS)])
    for repeater in analysis.repeaters:
        append(sheet, [repeater.name, repeater.in_month, repeater.in_window])
    append(sheet, [])
    heading(_("Supervisor's comment"))
    append(sheet, [analysis.record.comment if analysis.record else ""])
    sheet.column_dimensions["A"].width = 40

    texts = book.create_sheet(_("Complaint texts"))
    row = append(texts, [_("Category"), _("Received"), _("Severity"),
                         _("What the customer said")])
    texts.cell(row, 1).font = bold
    for category in analysis.categories:
        for text in analysis.texts.get(category.id, []):
            append(texts, [category.name, clock.local(text.received_at).strftime("%Y-%m-%d %H:%M"),
                           _(SEVERITIES.get(text.severity, text.severity)), text.text])
    texts.column_dimensions["A"].width = 16
    texts.column_dimensions["B"].width = 18
    texts.column_dimensions["D"].width = 80
    return workbook_bytes(book)
