"""My shifts (/roster/me): my month, today's line-up, my overtime; the top-bar current shift;
the supervisor's monthly overtime report (R-S3)."""

import calendar
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from babel.dates import get_day_names
from flask import abort, g, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import actions, clock
from portal.audit.services import namer
from portal.auth.decorators import refuse, require
from portal.auth.models import User
from portal.auth.permissions import ROSTER_ROLES
from portal.extensions import db, htmx
from portal.i18n import N_
from portal.live.counters import cheap_poll
from portal.shifts import bp
from portal.shifts import overtime as ot
from portal.shifts.models import OvertimeRecord, RosterEntry, RosterMonth, ShiftType
from portal.shifts.my_forms import OvertimeEditForm, OvertimeForm, StaffOvertimeForm
from portal.shifts.slots import minute_of_day, published_entry, shift_types
from portal.web import is_fragment_request, render, trigger

TEMPLATE = "shifts/my/index.html"


# --- helpers -------------------------------------------------------------------------------


def parse_month(value: str | None) -> tuple[int, int]:
    """``2026-11`` -> (2026, 11); the current month when absent; 400 when malformed."""
    if not value:
        today = clock.today()
        return today.year, today.month
    try:
        year, month = (int(part) for part in value.split("-"))
        date(year, month, 1)
    except ValueError:
        abort(400)
    if not 2000 <= year <= 2100:
        abort(400)
    return year, month


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def neighbour_months(year: int, month: int) -> tuple[str, str]:
    """(previous, next) as ``YYYY-MM``."""
    previous = (year - 1, 12) if month == 1 else (year, month - 1)
    following = (year + 1, 1) if month == 12 else (year, month + 1)
    return month_key(*previous), month_key(*following)


def duration_text(minutes: int | None) -> str:
    """``100`` -> ``1 h 40 min`` in the reader's language."""
    minutes = int(minutes or 0)
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _("%(minutes)d min", minutes=rest)
    return _("%(hours)d h %(minutes)02d min", hours=hours, minutes=rest)


def weekday_names() -> list[str]:
    """Monday..Sunday, abbreviated, in the reader's language."""
    names = get_day_names("abbreviated", locale=get_locale())
    return [names[i] for i in range(7)]


@dataclass
class TopbarShift:
    """What the top bar says about the signed-in user's shift today."""

    shift: ShiftType
    day: date
    on_now: bool
    minutes_left: int


def topbar_shift() -> TopbarShift | None:
    """The user's shift now (or still to come today), from the published roster. Called by
    base.html only when a whole page is drawn; one query, and none for unrostered roles."""
    if "topbar_shift" in g:
        return g.topbar_shift
    result = None
    if current_user.is_authenticated and current_user.role in ROSTER_ROLES:
        now = clock.now()
        entry = published_entry(current_user, now.date())
        shift = entry.shift_type if entry else None
        minute = minute_of_day(now)
        if shift is not None and minute < shift.end_minute:
            left = int((shift.ends_at(entry.day) - now).total_seconds() // 60)
            result = TopbarShift(shift, entry.day, shift.covers(minute), left)
    g.topbar_shift = result
    return result


# --- my month ------------------------------------------------------------------------------


def month_context(user: User, year: int, month: int) -> dict:
    """The calendar of ``user``'s published month. Two queries."""
    roster = db.session.scalar(sa.select(RosterMonth).where(RosterMonth.year == year,
                                                            RosterMonth.month == month))
    published = roster is not None and roster.is_published
    entries: dict[date, RosterEntry] = {}
    if published:
        entries = {e.day: e for e in db.session.scalars(
            sa.select(RosterEntry).where(RosterEntry.month_id == roster.id,
                                         RosterEntry.user_id == user.id))}
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    worked = [e for e in entries.values() if e.shift_type_id is not None]
    per_shift: dict[ShiftType, int] = OrderedDict()  # each shift's hours are said here once
    for entry in sorted(worked, key=lambda e: (e.shift_type.sort_order, e.shift_type.id)):
        per_shift[entry.shift_type] = per_shift.get(entry.shift_type, 0) + 1
    previous, following = neighbour_months(year, month)
    return {
        "year": year, "month": month, "month_key": month_key(year, month),
        "previous_month": previous, "next_month": following,
        "published": published, "entries": entries, "weeks": weeks,
        "weekdays": weekday_names(), "today": clock.today(),
        "worked_days": len(worked),
        "rest_days": sum(1 for e in entries.values() if e.shift_type_id is None),
        "per_shift": per_shift,
        "may_swap": current_user.can("shifts.swap"),
        "swappable": current_user.can("shifts.swap") and any(
            day >= clock.today() for day, e in entries.items() if e.shift_type_id is not None),
    }


@dataclass
class LineupShift:
    """One shift of today's line-up: people grouped by role."""

    shift: ShiftType
    is_now: bool
    roles: dict[str, list[User]]

    @property
    def count(self) -> int:
        return sum(len(people) for people in self.roles.values())


def lineup_context() -> dict:
    """Who is on which shift today (published roster), by shift and role; the shift under
    way marked. Two queries, whatever the staff size."""
    now = clock.now()
    today = now.date()
    types = shift_types()
    minute = minute_of_day(now)
    groups = {t.id: LineupShift(t, t.covers(minute), OrderedDict()) for t in types}
    resting = 0
    rows = db.session.scalars(
        sa.select(RosterEntry).join(RosterMonth, RosterMonth.id == RosterEntry.month_id)
        .join(User, User.id == RosterEntry.user_id)
        .where(RosterEntry.day == today, RosterMonth.status == "published",
               User.active.is_(True))
        .order_by(User.display_name)
    )
    order = {role: n for n, role in enumerate(ROSTER_ROLES)}
    for entry in rows:
        if entry.shift_type_id is None:
            resting += 1
            continue
        group = groups.get(entry.shift_type_id)
        if group is None:
            continue
        group.roles.setdefault(entry.user.role, []).append(entry.user)
    for group in groups.values():
        group.roles = OrderedDict(sorted(group.roles.items(),
                                         key=lambda item: order.get(item[0], 99)))
    return {"lineup": list(groups.values()), "lineup_day": today, "lineup_now": now,
            "resting": resting}


def overtime_context(user: User, year: int, month: int, form: OvertimeForm | None = None,
                     editing: int | None = None, edit_form=None, message=None) -> dict:
    """My overtime records of the month and the form for a recent shift."""
    may = user.can("shifts.overtime")
    recent = ot.recent_shifts(user) if may else []
    if form is None:
        form = OvertimeForm(formdata=None)
    form.day.choices = [(e.day.isoformat(), f"{e.day.isoformat()} {e.shift_type.label} "
                         f"{e.shift_type.hours_text}") for e in recent]
    if form.day.data is None and recent:
        night = next((e for e in recent if e.shift_type.end_minute == 24 * 60), recent[0])
        form.day.data = night.day
    return {"may_record_overtime": may, "recent_shifts": recent, "overtime_form": form,
            "records": ot.records_of(user, year, month) if may else [],
            "editing": editing, "edit_form": edit_form, "overtime_message": message,
            "year": year, "month": month, "month_key": month_key(year, month)}


BLOCKS = {"my-month": "my_month", "lineup": "lineup", "my-overtime": "my_overtime"}


@bp.route("/me")
@require("roster.view")
@cheap_poll("roster_entries", "roster_months", "overtime_records", "swap_requests", period=60)
def my_shifts():
    """My month of the published roster, today's line-up and my overtime. An htmx request
    gets the one part it asks for (``?part=lineup``, as the line-up polls, or the id it
    targets), my month when it says none."""
    year, month = parse_month(request.args.get("month"))
    part = request.args.get("part") or htmx.target or ""
    block = BLOCKS.get(part, "my_month") if is_fragment_request() else None
    context: dict = {}
    if block in (None, "my_month"):
        context.update(month_context(current_user, year, month))
    if block in (None, "lineup"):
        context.update(lineup_context())
    if block in (None, "my_overtime"):
        context.update(overtime_context(current_user, year, month))
    return render(TEMPLATE, block=block or "my_month", **context)


def _overtime_block(year: int, month: int, status: int = 200, **kwargs):
    """The my-overtime block (htmx), or the whole My shifts page."""
    context = overtime_context(current_user, year, month, **kwargs)
    if not is_fragment_request():
        context.update(month_context(current_user, year, month))
        context.update(lineup_context())
    return render(TEMPLATE, block="my_overtime", status=status, **context)


class RecordAnswer:
    """Recording overtime answers the my-overtime block: the new record in the month's list
    with a message, or the form as typed with its messages."""

    def done(self, record: OvertimeRecord, message: str):
        response = _overtime_block(record.day.year, record.day.month, message=message)
        return trigger(response, "overtime-changed")

    def refused(self, form, message):
        day = form.day.data or clock.today()
        return _overtime_block(day.year, day.month, form=form)

    conflict = refused  # only a second record of the same shift, refused as a rule

    def location(self, record: OvertimeRecord) -> str:
        return url_for("shifts.my_shifts", month=month_key(record.day.year, record.day.month))


@bp.route("/overtime/new", methods=["POST"])
@require("shifts.overtime")
def record_overtime():
    """Record the actual end of one of my recent shifts (R-S3)."""
    form = OvertimeForm()
    return actions.run(
        lambda: ot.record_overtime(current_user, form.day.data, form.end_time.data,
                                   form.note.data),
        form=form, answer=RecordAnswer(),
        done=lambda record: _("Overtime recorded: %(duration)s after the %(shift)s of "
                              "%(day)s.", duration=duration_text(record.minutes),
                              shift=record.shift_type.label, day=record.day.isoformat()))


def _own_record(record_id: int) -> OvertimeRecord:
    record = db.get_or_404(OvertimeRecord, record_id)
    if record.user_id != current_user.id:
        refuse("shifts.overtime")
    return record


@bp.route("/overtime/<int:record_id>/edit")
@require("shifts.overtime")
def edit_overtime(record_id: int):
    """My overtime record as a form, in place."""
    record = _own_record(record_id)
    form = OvertimeEditForm(formdata=None, version=record.version,
                            end_time=clock.local(record.actual_end_at).time(), note=record.note)
    return _row(record, editing=record.id, edit_form=form)


def _row(record: OvertimeRecord, status: int = 200, **kwargs):
    if is_fragment_request():
        return render(TEMPLATE, block="overtime_row", status=status, record=record,
                      editing=kwargs.get("editing"), edit_form=kwargs.get("edit_form"),
                      row_message=kwargs.get("message"))
    return _overtime_block(record.day.year, record.day.month, status=status, **kwargs)


class OvertimeRowAnswer:
    """A correction answers the record's row in place: saved, the row; refused, the form
    with its messages; someone (the user in another window) first, the record as it is now
    with the correction as typed, to send again or cancel."""

    def __init__(self, record: OvertimeRecord) -> None:
        self.record = record

    def done(self, result, message: str):
        return trigger(_row(self.record), "overtime-changed")

    def refused(self, form, message):
        return _row(self.record, 422, editing=self.record.id, edit_form=form)

    def conflict(self, form, message: str):
        return _row(self.record, 409, editing=self.record.id, edit_form=form, message=_(
            "You changed this record in another window first. This is its current state."))

    def location(self, result) -> str:
        return url_for("shifts.my_shifts", month=month_key(self.record.day.year,
                                                           self.record.day.month))


@bp.route("/overtime/<int:record_id>", methods=["POST"])
@require("shifts.overtime")
def update_overtime(record_id: int):
    """Save my corrected overtime record (version-checked; only its author: 403)."""
    record = db.get_or_404(OvertimeRecord, record_id)
    form = OvertimeEditForm()
    return actions.run(
        lambda: ot.update_overtime(current_user, record, form.version.data,
                                   form.end_time.data, form.note.data),
        form=form, answer=OvertimeRowAnswer(record), subject=record,
        done=_l("Overtime record saved."))


# --- the supervisor's report ---------------------------------------------------------------


@bp.route("/overtime")
@require("shifts.overtime_report")
def overtime_report():
    """Overtime per person in a month, with totals (R-S3)."""
    return _report_page(*parse_month(request.args.get("month")))


def _report_page(year: int, month: int, status: int = 200, staff_form=None, **extra):
    """The monthly report; the supervisor's form for an agent's overtime under it."""
    people = ot.monthly_report(year, month)
    previous, following = neighbour_months(year, month)
    if current_user.can(ot.MANAGE):
        staff_form = staff_form or StaffOvertimeForm(formdata=None)
        staff_form.person.choices = [("", "—")] + [
            (str(u.id), f"{u.display_name} ({u.role_label})") for u in db.session.scalars(
                sa.select(User).where(User.active.is_(True), User.role.in_(ROSTER_ROLES))
                .order_by(User.display_name))]
    return render("shifts/overtime/index.html", block="overtime_report", status=status,
                  people=people, total_minutes=sum(p.minutes for p in people),
                  total_records=sum(len(p.records) for p in people),
                  month_key=month_key(year, month), previous_month=previous,
                  next_month=following, staff_form=staff_form, **extra)


class StaffRecordAnswer:
    """The supervisor's record of an agent's overtime answers the report of its month."""

    def __init__(self, form) -> None:
        self.form = form

    def _month(self, record=None) -> tuple[int, int]:
        day = record.day if record is not None else (self.form.day.data or clock.today())
        return day.year, day.month

    def done(self, record, message: str):
        return _report_page(*self._month(record), report_message=message)

    def refused(self, form, message):
        return _report_page(*self._month(), staff_form=form)

    conflict = refused  # only a second record of the same shift, refused as a rule

    def location(self, record) -> str:
        return url_for("shifts.overtime_report", month=month_key(*self._month(record)))


@bp.route("/overtime/staff", methods=["POST"])
@require(ot.MANAGE)
def record_staff_overtime():
    """The supervisor records the actual end of an agent's shift (R-S3), on the record."""
    form = StaffOvertimeForm()

    def work():
        person = db.session.get(User, form.person.data) if form.person.data else None
        if person is None or not person.active:
            raise ot.OvertimeError(N_("Choose a staff member."), "person")
        return ot.record_overtime(current_user, form.day.data, form.end_time.data,
                                  form.note.data, person=person)

    return actions.run(work, form=form, answer=StaffRecordAnswer(form), done=lambda record: _(
        "Overtime of %(name)s recorded: %(duration)s after the %(shift)s of %(day)s.",
        name=record.user.display_name, duration=duration_text(record.minutes),
        shift=record.shift_type.label, day=record.day.isoformat()))


class CorrectAnswer:
    """The supervisor's correction of an agent's record: its page (the form as typed with its
    messages; after a conflict the record as it is now beside the typing), then the report."""

    def __init__(self, record: OvertimeRecord) -> None:
        self.record = record

    def _page(self, form, status: int, message: str | None = None):
        return render("shifts/overtime/correct.html", record=self.record, form=form,
                      message=message, status=status)

    def done(self, result, message: str):
        return _report_page(self.record.day.year, self.record.day.month,
                            report_message=message)

    def refused(self, form, message):
        return self._page(form, 422)

    def conflict(self, form, message: str):
        return self._page(form, 409, _("Someone else changed this record first. This is its "
                                       "current state; check it and try again."))

    def location(self, result) -> str:
        return url_for("shifts.overtime_report",
                       month=month_key(self.record.day.year, self.record.day.month))


@bp.route("/overtime/<int:record_id>/correct", methods=["GET", "POST"])
@require(ot.MANAGE)
def correct_overtime(record_id: int):
    """GET: an agent's overtime record as a form; POST: the supervisor's correction."""
    record = db.get_or_404(OvertimeRecord, record_id)
    answer = CorrectAnswer(record)
    if request.method == "GET":
        return answer._page(OvertimeEditForm(
            formdata=None, version=record.version,
            end_time=clock.local(record.actual_end_at).time(), note=record.note), 200)
    form = OvertimeEditForm()
    return actions.run(
        lambda: ot.update_overtime(current_user, record, form.version.data,
                                   form.end_time.data, form.note.data),
        form=form, answer=answer, subject=record, done=_l("Overtime record saved."))


# --- cards and registration ----------------------------------------------------------------


def week_card(user: User) -> dict:
    """My shifts of the coming seven days (published), days off the published roster in one
    line however many (a week not yet published is one line, not seven); for the roster's
    planner, one summary line of the department today. One query (two for the planner)."""
    today = clock.today()
    days = [today + timedelta(days=n) for n in range(7)]
    entries = {e.day: e for e in db.session.scalars(
        sa.select(RosterEntry).join(RosterMonth, RosterMonth.id == RosterEntry.month_id)
        .where(RosterEntry.user_id == user.id, RosterEntry.day >= days[0],
               RosterEntry.day <= days[-1], RosterMonth.status == "published"))}
    lines: list[tuple[date, date, RosterEntry | None]] = []  # (first, last, entry)
    for day in days:
        entry = entries.get(day)
        if entry is None and lines and lines[-1][2] is None and lines[-1][1] + \
                timedelta(days=1) == day:
            lines[-1] = (lines[-1][0], day, None)
        else:
            lines.append((day, day, entry))
    return {"days": days, "entries": entries, "lines": lines, "weekdays": weekday_names(),
            "today": today,
            "department": _department_today(today) if user.can("roster.plan") else None}


def _department_today(today: date) -> dict:
    """{"working", "resting", "unplanned"}: active rostered staff today on the published
    roster, in one query (the supervisor's one summary line)."""
    working, resting, staff = db.session.execute(
        sa.select(
            sa.func.count(RosterEntry.id).filter(RosterEntry.shift_type_id.is_not(None)),
            sa.func.count(RosterEntry.id).filter(RosterEntry.id.is_not(None),
                                                 RosterEntry.shift_type_id.is_(None)),
            sa.func.count(User.id))
        .select_from(User)
        .outerjoin(RosterEntry, sa.and_(RosterEntry.user_id == User.id, RosterEntry.day == today,
                                        RosterEntry.month_id.in_(
                                            sa.select(RosterMonth.id).where(
                                                RosterMonth.status == "published"))))
        .where(User.active.is_(True), User.role.in_(ROSTER_ROLES))).one()
    return {"working": working, "resting": resting,
            "unplanned": staff - working - resting}


def overtime_card(user: User) -> dict:
    """This month's overtime in the department."""
    today = clock.today()
    return {**ot.month_totals(today.year, today.month),
            "month_key": month_key(today.year, today.month)}


def _target_name(table_model):
    return namer(table_model, User.display_name, table_model.day,
                 joins=[(User, User.id == table_model.user_id)],
                 fmt=lambda rid, name, day: f"{name} {day.isoformat()}")


def register(app) -> None:
    """Navigation entries, Today cards, the top-bar shift, audit words."""
    from portal.ui import Card, NavItem, register_audit, register_card, register_nav

    register_nav(app, NavItem("shifts.my_shifts", _l("My shifts"), "roster.view", order=20,
                              active_prefix="shifts.my_shifts"))
    register_nav(app, NavItem("shifts.overtime_report", _l("Overtime"),
                              "shifts.overtime_report", order=45,
                              active_prefix="shifts.overtime_report"))
    register_card(app, Card("my-week", _l("My shifts this week"), "shifts.own",
                            "shifts/my/_week_card.html", week_card, order=15,
                            stylesheet="css/myshifts.css"))
    register_card(app, Card("overtime-month", _l("Overtime this month"),
                            "shifts.overtime_report", "shifts/overtime/_card.html",
                            overtime_card, order=60, stylesheet="css/myshifts.css"))
    app.jinja_env.globals["current_shift"] = topbar_shift
    app.add_template_filter(duration_text, "duration")
    register_audit(
        app,
        actions={"shifts.overtime_recorded": N_("Overtime recorded"),
                 "shifts.overtime_changed": N_("Overtime record changed")},
        fields={"actual_end_at": N_("Actual end"), "minutes": N_("Minutes"),
                "note": N_("Note"), "day": N_("Day")},
        target=("overtime_records", N_("Overtime record"), _target_name(OvertimeRecord)),
    )
