"""The duty roster's pages: the published month for everyone, the supervisor's planning grid
(cells edited in place by htmx), generate, publish, minimums, cleaning duty, .xlsx and print.

Every change runs through ``portal.actions.run``; what it answers is one of three: a cell's
row (``CellAnswer``), a day's cleaning duty (``CleaningAnswer``), or the planning page with
the panel the form came from (``MonthAnswer``).
"""

import re
from datetime import date

from flask import Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import actions
from portal.audit.services import namer
from portal.auth.decorators import require
from portal.auth.models import User
from portal.auth.permissions import ROSTER_ROLES
from portal.errors import error_response
from portal.extensions import db
from portal.i18n import N_
from portal.shifts import bp, roster
from portal.shifts.models import ShiftType
from portal.shifts.roster import RosterError
from portal.shifts.roster_forms import (
    CellForm,
    CleaningDayForm,
    CleaningGenerateForm,
    GenerateForm,
    PublishForm,
    minimums_form,
)
from portal.web import is_fragment_request, redirect_htmx_aware, render, trigger

COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def _first_error(form) -> str:
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return _("Some of what was entered is not valid; nothing was saved.")


@bp.errorhandler(RosterError)
def _refuse(error: RosterError):
    """A page or a check before an action that the roster refuses (a month not on the
    roster: 404; a day not in the month: 422), in the reader's language."""
    return error_response(error.status, actions.refusal_text(error))


def _today_month() -> tuple[int, int]:
    from portal import clock

    today = clock.today()
    return today.year, today.month


def _month_nav(year: int, month: int) -> dict:
    return {"prev": roster.shift_month(year, month, -1), "next": roster.shift_month(year, month, 1)}


def _day(year: int, month: int, day: int) -> date:
    roster.check_month(year, month)
    try:
        return date(year, month, day)
    except ValueError:
        raise RosterError(N_("Day %(day)d is not in %(month)s."), day=day,
                          month=roster.month_label(year, month)) from None


# --- read-only ------------------------------------------------------------------------------


@bp.route("/", defaults={"year": None, "month": None}, endpoint="roster")
@bp.route("/<int:year>/<int:month>", endpoint="roster")
@require("roster.view")
def roster_month(year: int | None, month: int | None):
    """The month's duty roster and cleaning duty, read-only (drafts only for planners)."""
    if year is None:
        year, month = _today_month()
    planner = current_user.can("roster.plan")
    grid = roster.load_grid(year, month, only_published=not planner)
    return render("shifts/roster/month.html", block="roster_grid", g=grid, planner=planner,
                  **_month_nav(year, month))


@bp.route("/<int:year>/<int:month>/print")
@require("roster.view")
def roster_print(year: int, month: int):
    """The month on one landscape page, for the notice board."""
    grid, refused = _readable_grid(year, month)
    if refused:
        return refused
    return render("shifts/roster/print.html", g=grid)


@bp.route("/<int:year>/<int:month>/roster.xlsx")
@require("roster.view")
def roster_xlsx(year: int, month: int):
    """The month as an Excel workbook: shifts, totals and cleaning duty."""
    grid, refused = _readable_grid(year, month)
    if refused:
        return refused
    response = Response(roster.export_xlsx(grid), mimetype=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    response.headers["Content-Disposition"] = (
        f'attachment; filename="roster-{roster.month_label(year, month)}.xlsx"')
    return response


def _readable_grid(year: int, month: int):
    """The month if the user may read it (drafts only for planners), else an error page."""
    planner = current_user.can("roster.plan")
    grid = roster.load_grid(year, month, only_published=not planner)
    if grid.record is None or not (grid.is_published or planner):
        return None, error_response(404, _("The roster for %(month)s is not published yet.",
                                           month=grid.label))
    return grid, None


@bp.route("/shift-types.css")
@require("roster.view")
def shift_type_css():
    """Shift colours are data: one class per shift type (no inline styles under the CSP)."""
    lines = []
    for shift_type in db.session.scalars(db.select(ShiftType).order_by(ShiftType.id)):
        colour = shift_type.colour if COLOUR.match(shift_type.colour or "") else "#dbe8f6"
        # .s<id>: a day cell of the month grid (MonthGrid.day_cells keeps those short)
        lines.append(f".shift-{shift_type.id}, .roster-grid .s{shift_type.id} "
                     f"{{ background: {colour}; }}")
        # the same colour as a variable, for chips and the top bar (myshifts.css, portal.css)
        lines.append(f".shift-order-{shift_type.sort_order} {{ --shift-bg: {colour}; }}")
    response = Response("\n".join(lines) + "\n", mimetype="text/css")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


# --- planning -------------------------------------------------------------------------------


@bp.route("/plan")
@require("roster.plan")
def plan_current():
    """The planning grid of the current month."""
    year, month = _today_month()
    return redirect(url_for("shifts.plan", year=year, month=month), 302)


PANEL_FORMS = {"generate": "generate_form", "minimums": "minimums", "cleaning": "cleaning_form",
               "publish": "publish_form"}


def _plan_page(grid, status: int = 200, block: str = "roster_grid", **extra):
    """The planning page. The Generate and Minimum staffing forms are drawn only when their
    panel is open (a GET of the panel, or the form sent back with its errors); closed, the
    panel fetches them when opened. A page with a panel open is that form's page: the month
    without its cells (``roster.load_frame``) and a link back to the grid — unless
    ``with_grid`` (a conflict: the month as it is now, the form as it was sent)."""
    roles = list(ROSTER_ROLES)
    if extra.get("generate_open"):
        staff = [u for u in grid.people if u.active and u.role in ROSTER_ROLES]
        extra["staff"] = staff
        extra.setdefault("generate_form", GenerateForm(
            formdata=None, staff=[u.id for u in staff], version=grid.version))
    if extra.get("minimums_open"):
        extra.setdefault("minimums", minimums_form(roles, grid.shift_types, grid.minimums))
    cleaning_form = extra.pop("cleaning_form", None) or CleaningGenerateForm(
        formdata=None, per_day=max([len(v) for v in grid.cleaning.values()] or [1]),
        version=grid.version)
    extra.setdefault("publish_form", PublishForm(formdata=None, version=grid.version))
    return render("shifts/roster/plan.html", block=block, status=status, g=grid,
                  planner=True, min_roles=roles, cleaning_form=cleaning_form,
                  **_month_nav(grid.year, grid.month), **extra)


@bp.route("/plan/<int:year>/<int:month>")
@require("roster.plan")
def plan(year: int, month: int):
    """The supervisor's month grid: staff by role x days, totals and checks."""
    return _plan_page(roster.load_grid(year, month))


CHANGED = "roster-changed"  # a cell changed: the grid fetches its totals and checks again


def _cell_update(year: int, month: int, user: User, day: date, status: int = 200,
                 message: str | None = None, changed: bool = True):
    """The person's row with the cell focused (a row is what a cell changes: its sums, its
    "more than six days" marks). The day totals and the checks need the whole month: the
    ``roster-changed`` event has the grid fetch them (``plan_summary``)."""
    grid = roster.load_row(year, month, user)
    response = render("shifts/roster/_cell_update.html", g=grid, user=user, day=day,
                      message=message, status=status)
    if changed:
        trigger(response, CHANGED)
    if message:
        trigger(response, **{"portal-toast": {"level": "error", "message": message}})
    return response


@bp.route("/plan/<int:year>/<int:month>/summary")
@require("roster.plan")
def plan_summary(year: int, month: int):
    """The grid's day totals and its checks, out of band (after a cell changed); a page
    asking for it gets the grid."""
    if not is_fragment_request():
        return redirect(url_for("shifts.plan", year=year, month=month), 303)
    return render("shifts/roster/_summary.html", g=roster.load_grid(year, month))


class _GridAnswer:
    """What a cell of the grid answers when the rules refuse: a toast (htmx; the cell stays
    as it was) or the error page, with the message."""

    def refused(self, form, message):
        return error_response(422, message or _first_error(form))


class CellAnswer(_GridAnswer):
    """A cell's save answers the person's row, the cell focused (totals and checks follow
    ``roster-changed``); without JavaScript, the person's month. A refusal is a toast."""

    def __init__(self, year: int, month: int, user: User, day: date) -> None:
        self.year, self.month, self.user, self.day = year, month, user, day

    def done(self, entry, message: str):
        return _cell_update(self.year, self.month, self.user, self.day)

    def conflict(self, form, message: str):
        text = _("Someone else changed this cell first. This is its current state; check it "
                 "and try again.")
        if is_fragment_request():
            return _cell_update(self.year, self.month, self.user, self.day, 409, text)
        flash(text, "error")
        return _cell_editor(self.year, self.month, self.user, self.day)

    def location(self, entry) -> str:
        return url_for("shifts.plan_person", year=self.year, month=self.month,
                       user_id=self.user.id)


@bp.route("/plan/<int:year>/<int:month>/cell/<int:user_id>/<int:day>", methods=["GET", "POST"])
@require("roster.plan")
def plan_cell(year: int, month: int, user_id: int, day: int):
    """One cell: GET the editor (or, with ?view=1, the person's row again); POST a new value."""
    the_day = _day(year, month, day)
    user = db.get_or_404(User, user_id)
    if request.method == "GET":
        if request.args.get("view") and is_fragment_request():
            return _cell_update(year, month, user, the_day, changed=False)
        return _cell_editor(year, month, user, the_day)
    form = CellForm()
    return actions.run(
        lambda: roster.set_cell(current_user, year, month, user, the_day,
                                roster.parse_choice(form.shift.data), form.version.data),
        form=form, answer=CellAnswer(year, month, user, the_day),
        done=lambda entry: _("Saved: %(name)s on %(day)s.", name=user.display_name,
                             day=the_day.isoformat()))


def _cell_editor(year, month, user, day, status: int = 200):
    grid = roster.load_row(year, month, user)
    entry = grid.cells.get((user.id, day))
    return render("shifts/roster/cell.html", block="cell_editor", status=status, g=grid,
                  user=user, day=day, entry=entry, inline=is_fragment_request())


@bp.route("/plan/<int:year>/<int:month>/person/<int:user_id>")
@require("roster.plan")
def plan_person(year: int, month: int, user_id: int):
    """One person's month, day by day, each day leading to its editor (the grid without
    JavaScript: there a cell opens its editor in place by script)."""
    roster.check_month(year, month)
    user = db.get_or_404(User, user_id)
    return render("shifts/roster/person.html", g=roster.load_row(year, month, user), user=user)


class _CurrentMonth:
    """The month's version as it is now (0 before its first change): what a form sent back
    after a conflict carries for a deliberate second try."""

    def __init__(self, year: int, month: int) -> None:
        self.year, self.month = year, month

    @property
    def version(self) -> int:
        found = roster.get_month(self.year, self.month)
        return found.version if found else 0


class MonthAnswer:
    """An action on the whole month (generate, publish, minimums, cleaning duty) answers the
    planning page: done, the month (no JavaScript: 303 with a message); refused, the form's
    panel open with its messages (publish: the message alone); conflict, the month as it is
    now with the panel open and the form as it was sent."""

    def __init__(self, year: int, month: int, panel: str | None, conflict_text) -> None:
        self.year, self.month, self.panel = year, month, panel
        self.conflict_text = conflict_text
        self.shortfalls = None

    def refusal_text(self, error) -> str:
        plan = getattr(error, "plan", None)  # roster.ShortStaffed: where a minimum fails
        self.shortfalls = plan.shortfalls if plan else None
        return actions.refusal_text(error)

    def _panel(self, form) -> dict:
        if self.panel is None:
            return {}
        return {PANEL_FORMS[self.panel]: form, f"{self.panel}_open": True}

    def done(self, result, message: str):
        flash(message, "success")
        return redirect_htmx_aware(self.location(result))

    def refused(self, form, message):
        if self.panel is None:
            return error_response(422, message or _first_error(form))
        if self.panel == "publish":  # the month stays a draft: its grid and checks say why
            return _plan_page(roster.load_grid(self.year, self.month), 422,
                              publish_error=message or " ".join(map(str, form.form_errors)),
                              **self._panel(form))
        return _plan_page(roster.load_frame(self.year, self.month), 422,
                          generate_shortfalls=self.shortfalls, **self._panel(form))

    def conflict(self, form, message: str):
        flash(str(self.conflict_text), "error")
        return _plan_page(roster.load_grid(self.year, self.month), 409, with_grid=True,
                          **self._panel(form))

    def location(self, result) -> str:
        long_runs = getattr(getattr(result, "plan", None), "long_runs", None)
        if long_runs:  # after the success message (Generate kept cells set by hand)
            flash(_("Cells fixed by hand make %(count)d runs of more than six working days; "
                    "they are marked on the grid.", count=len(long_runs)), "error")
        return url_for("shifts.plan", year=self.year, month=self.month)


def _month_action(year: int, month: int, work, form, panel: str | None, done, conflict_text):
    return actions.run(work, form=form, answer=MonthAnswer(year, month, panel, conflict_text),
                       done=done, subject=_CurrentMonth(year, month))


@bp.route("/plan/<int:year>/<int:month>/generate", methods=["GET", "POST"])
@require("roster.plan")
def plan_generate(year: int, month: int):
    """GET: the Generate form (the panel's body, or the page with the panel open). POST: fill
    the month with the rotation; nothing is saved when a minimum falls short."""
    roster.check_month(year, month)
    if request.method == "GET":
        return _plan_page(roster.load_frame(year, month), block="generate_body",
                          generate_open=True)
    form = GenerateForm()
    return _month_action(
        year, month,
        lambda: roster.generate(current_user, year, month, form.staff.data, form.version.data),
        form, "generate",
        lambda result: _("The month was generated for %(count)d people.",
                         count=len(form.staff.data)),
        _l("Someone else changed this month first. Check it and generate again."))


@bp.route("/plan/<int:year>/<int:month>/publish", methods=["POST"])
@require("roster.plan")
def plan_publish(year: int, month: int):
    """Publish the month: every rostered person is notified. Refused while anyone works more
    than six days in a row; below the minimum staffing only "anyway", with a reason."""
    roster.check_month(year, month)
    form = PublishForm()
    return _month_action(
        year, month,
        lambda: roster.publish(current_user, year, month, form.version.data,
                               anyway=form.anyway.data, reason=form.reason.data),
        form, "publish", lambda count: _("Published; %(count)d people were notified.", count=count),
        _l("Someone else changed this month first. Check it and publish again."))


@bp.route("/plan/<int:year>/<int:month>/minimums", methods=["GET", "POST"])
@require("roster.plan")
def plan_minimums(year: int, month: int):
    """GET: the Minimum staffing form (the panel's body, or the page with the panel open).
    POST: change the minimum staffing per role and shift."""
    grid = roster.load_frame(year, month)
    if request.method == "GET":
        return _plan_page(grid, block="minimums_body", minimums_open=True)
    roles = list(ROSTER_ROLES)
    form = minimums_form(roles, grid.shift_types, grid.minimums)
    return _month_action(
        year, month,
        lambda: roster.set_minimums(current_user, {
            (role, t.id): form[f"min_{role}_{t.id}"].data
            for role in roles for t in grid.shift_types}),
        form, "minimums", _l("Minimum staffing saved."),
        _l("Someone else changed this month first. Check it and try again."))


@bp.route("/plan/<int:year>/<int:month>/cleaning", methods=["POST"])
@require("roster.plan")
def plan_cleaning(year: int, month: int):
    """Generate the month's cleaning duty (值日表) from the day shifts."""
    roster.check_month(year, month)
    form = CleaningGenerateForm()
    return _month_action(
        year, month,
        lambda: roster.generate_cleaning(current_user, year, month, form.per_day.data,
                                         form.version.data),
        form, "cleaning",
        lambda count: _("Cleaning duty made: %(count)d duties.", count=count),
        _l("Someone else changed this month first. Check it and try again."))


class CleaningAnswer(_GridAnswer):
    """A day's cleaning duty answers its cell (htmx) or the planning page; a conflict, the
    day as it is now with the message."""

    def __init__(self, year: int, month: int, day: date) -> None:
        self.year, self.month, self.day = year, month, day

    def _cell(self, message: str | None = None):
        response = render("shifts/roster/_cleaning_update.html",
                          g=roster.load_grid(self.year, self.month), day=self.day,
                          message=message)
        if message:
            trigger(response, **{"portal-toast": {"level": "error", "message": message}})
        return response

    def done(self, users, message: str):
        return self._cell()

    def conflict(self, form, message: str):
        text = _("Someone else changed this day's cleaning duty first. This is its current "
                 "state; check it and try again.")
        if is_fragment_request():
            return self._cell(text)
        flash(text, "error")  # the day's editor as it is now
        return render("shifts/roster/cleaning.html", block="cleaning_editor",
                      g=roster.load_grid(self.year, self.month), day=self.day)

    def location(self, users) -> str:
        return url_for("shifts.plan", year=self.year, month=self.month)


@bp.route("/plan/<int:year>/<int:month>/cleaning/<int:day>", methods=["GET", "POST"])
@require("roster.plan")
def plan_cleaning_day(year: int, month: int, day: int):
    """One day's cleaning duty: GET the editor (?view=1: the cell); POST the people."""
    the_day = _day(year, month, day)
    if request.method == "GET":
        grid = roster.load_grid(year, month)
        if request.args.get("view") and is_fragment_request():
            return render("shifts/roster/_cleaning_update.html", g=grid, day=the_day)
        return render("shifts/roster/cleaning.html", block="cleaning_editor", g=grid,
                      day=the_day)
    form = CleaningDayForm()
    form.person.coerce = lambda v: int(v) if v else 0
    return actions.run(
        lambda: roster.set_cleaning_day(current_user, year, month, the_day, form.person.data,
                                        form.token.data),
        form=form, answer=CleaningAnswer(year, month, the_day),
        done=_l("Cleaning duty saved."))


def _month_namer():
    from portal.shifts.models import RosterMonth

    return namer(RosterMonth, RosterMonth.year, RosterMonth.month,
                 fmt=lambda rid, y, m: roster.month_label(y, m))


def register(app) -> None:
    """Navigation entry, the supervisor's Today card, audit words."""
    from portal.ui import Card, NavItem, register_audit, register_card, register_nav

    register_nav(app, NavItem("shifts.roster", _l("Duty roster"), "roster.view", order=25,
                              active_prefix=("shifts.roster", "shifts.plan")))
    register_card(app, Card("roster", _l("Roster: drafts and staffing shortfalls this week"),
                            "roster.plan", "shifts/roster/_card.html", roster.card_context,
                            order=150, stylesheet="css/roster.css"))
    register_audit(
        app,
        actions={
            "roster.cell_set": N_("Roster cell set"),
            "roster.generated": N_("Roster month generated"),
            "roster.published": N_("Roster month published"),
            "roster.published_short": N_("Roster month published below minimum staffing"),
            "roster.minimums_set": N_("Minimum staffing changed"),
            "roster.cleaning_generated": N_("Cleaning duty generated"),
            "roster.cleaning_set": N_("Cleaning duty changed"),
        },
        fields={"shift": N_("Shift"), "cleaning": N_("Cleaning duty"), "status": N_("Status")},
        values={"shift": {roster.REST: N_("Rest")},
                "status": {"draft": N_("Draft"), "published": N_("Published")}},
        target=("roster_months", N_("Roster month"), _month_namer()),
    )
