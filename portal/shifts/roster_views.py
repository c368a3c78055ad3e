"""The duty roster's pages: the published month for everyone, the supervisor's planning grid
(cells edited in place by htmx), generate, publish, minimums, cleaning duty, .xlsx and print.
"""

import re
from datetime import date

from flask import Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.audit.services import namer
from portal.auth.decorators import require
from portal.auth.models import User
from portal.auth.permissions import ROSTER_ROLES
from portal.errors import error_response
from portal.extensions import db
from portal.shifts import bp, roster
from portal.shifts.models import ShiftType
from portal.shifts.roster import RosterError
from portal.shifts.roster_forms import (
    CellForm,
    CleaningDayForm,
    CleaningGenerateForm,
    GenerateForm,
    MonthActionForm,
    minimums_form,
)
from portal.web import Conflict, is_fragment_request, render, trigger

COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def _first_error(form) -> str:
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return _("Some of what was entered is not valid; nothing was saved.")


def _refuse(error: RosterError):
    db.session.rollback()
    return error_response(error.status, str(error))


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
        raise RosterError(_("Day %(day)d is not in %(month)s.", day=day,
                            month=roster.month_label(year, month))) from None


# --- read-only ------------------------------------------------------------------------------


@bp.route("/", defaults={"year": None, "month": None}, endpoint="roster")
@bp.route("/<int:year>/<int:month>", endpoint="roster")
@require("roster.view")
def roster_month(year: int | None, month: int | None):
    """The month's duty roster and cleaning duty, read-only (drafts only for planners)."""
    if year is None:
        year, month = _today_month()
    planner = current_user.can("roster.plan")
    try:
        grid = roster.load_grid(year, month, only_published=not planner)
    except RosterError as error:
        return _refuse(error)
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
    try:
        grid = roster.load_grid(year, month, only_published=not planner)
    except RosterError as error:
        return None, _refuse(error)
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


def _plan_page(grid, status: int = 200, block: str = "roster_grid", **extra):
    """The planning page. The Generate and Minimum staffing forms are drawn only when their
    panel is open (a GET of the panel, or the form sent back with its errors); closed, the
    panel fetches them when opened. A page with a panel open is that form's page: the month
    without its cells (``roster.load_frame``) and a link back to the grid."""
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
    return render("shifts/roster/plan.html", block=block, status=status, g=grid,
                  planner=True, publish_form=MonthActionForm(formdata=None, version=grid.version),
                  min_roles=roles, cleaning_form=cleaning_form,
                  **_month_nav(grid.year, grid.month), **extra)


@bp.route("/plan/<int:year>/<int:month>")
@require("roster.plan")
def plan(year: int, month: int):
    """The supervisor's month grid: staff by role x days, totals and checks."""
    try:
        grid = roster.load_grid(year, month)
    except RosterError as error:
        return _refuse(error)
    return _plan_page(grid)


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
    try:
        grid = roster.load_grid(year, month)
    except RosterError as error:
        return _refuse(error)
    return render("shifts/roster/_summary.html", g=grid)


@bp.route("/plan/<int:year>/<int:month>/cell/<int:user_id>/<int:day>", methods=["GET", "POST"])
@require("roster.plan")
def plan_cell(year: int, month: int, user_id: int, day: int):
    """One cell: GET the editor (or, with ?view=1, the person's row again); POST a new value."""
    try:
        the_day = _day(year, month, day)
    except RosterError as error:
        return _refuse(error)
    user = db.get_or_404(User, user_id)
    if request.method == "GET":
        if request.args.get("view") and is_fragment_request():
            return _cell_update(year, month, user, the_day, changed=False)
        return _cell_editor(year, month, user, the_day)
    form = CellForm()
    if not form.validate_on_submit():
        return error_response(422, _first_error(form))
    try:
        choice = roster.parse_choice(form.shift.data)
        roster.set_cell(current_user, year, month, user, the_day, choice, form.version.data)
    except Conflict:
        db.session.rollback()
        message = _("Someone else changed this cell first. This is its current state; "
                    "check it and try again.")
        if is_fragment_request():
            return _cell_update(year, month, user, the_day, 409, message)
        flash(message, "error")
        return _cell_editor(year, month, user, the_day, 409)
    except RosterError as error:
        return _refuse(error)
    if is_fragment_request():
        return _cell_update(year, month, user, the_day)
    flash(_("Saved: %(name)s on %(day)s.", name=user.display_name, day=the_day.isoformat()),
          "success")
    return redirect(url_for("shifts.plan_person", year=year, month=month, user_id=user.id), 303)


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
    try:
        roster.check_month(year, month)
    except RosterError as error:
        return _refuse(error)
    user = db.get_or_404(User, user_id)
    return render("shifts/roster/person.html", g=roster.load_row(year, month, user), user=user)


@bp.route("/plan/<int:year>/<int:month>/generate", methods=["GET", "POST"])
@require("roster.plan")
def plan_generate(year: int, month: int):
    """GET: the Generate form (the panel's body, or the page with the panel open). POST: fill
    the month with the rotation; nothing is saved when a minimum falls short."""
    try:
        roster.check_month(year, month)
        if request.method == "GET":
            return _plan_page(roster.load_frame(year, month), block="generate_body",
                              generate_open=True)
    except RosterError as error:
        return _refuse(error)
    form = GenerateForm()
    if not form.validate_on_submit():
        return error_response(422, _first_error(form))
    try:
        result = roster.generate(current_user, year, month, form.staff.data, form.version.data)
    except Conflict:
        db.session.rollback()
        flash(_("Someone else changed this month first. Check it and generate again."),
              "error")
        return _plan_page(roster.load_grid(year, month), 409)
    except RosterError as error:
        db.session.rollback()
        form.staff.errors = [str(error)]
        return _plan_page(roster.load_frame(year, month), 422, generate_form=form,
                          generate_open=True)
    if not result.saved:
        return _plan_page(roster.load_frame(year, month), 422, generate_form=form,
                          generate_open=True, generate_shortfalls=result.plan.shortfalls)
    flash(_("The month was generated for %(count)d people.", count=len(form.staff.data)),
          "success")
    if result.plan.long_runs:
        flash(_("Cells fixed by hand make %(count)d runs of more than six working days; they "
                "are marked on the grid.", count=len(result.plan.long_runs)), "error")
    return redirect(url_for("shifts.plan", year=year, month=month), 303)


@bp.route("/plan/<int:year>/<int:month>/publish", methods=["POST"])
@require("roster.plan")
def plan_publish(year: int, month: int):
    """Publish the month: every rostered person is notified."""
    form = MonthActionForm()
    if not form.validate_on_submit():
        return error_response(422, _first_error(form))
    try:
        count = roster.publish(current_user, year, month, form.version.data)
    except Conflict:
        db.session.rollback()
        flash(_("Someone else changed this month first. Check it and publish again."), "error")
        return _plan_page(roster.load_grid(year, month), 409)
    except RosterError as error:
        return _refuse(error)
    flash(_("Published; %(count)d people were notified.", count=count), "success")
    return redirect(url_for("shifts.plan", year=year, month=month), 303)


@bp.route("/plan/<int:year>/<int:month>/minimums", methods=["GET", "POST"])
@require("roster.plan")
def plan_minimums(year: int, month: int):
    """GET: the Minimum staffing form (the panel's body, or the page with the panel open).
    POST: change the minimum staffing per role and shift."""
    try:
        if request.method == "GET":
            return _plan_page(roster.load_frame(year, month), block="minimums_body",
                              minimums_open=True)
        grid = roster.load_frame(year, month)
    except RosterError as error:
        return _refuse(error)
    roles = list(ROSTER_ROLES)
    form = minimums_form(roles, grid.shift_types, grid.minimums)
    if not form.validate_on_submit():
        return _plan_page(grid, 422, minimums=form, minimums_open=True)
    values = {(role, t.id): form[f"min_{role}_{t.id}"].data
              for role in roles for t in grid.shift_types}
    try:
        roster.set_minimums(current_user, values)
    except RosterError as error:
        return _refuse(error)
    flash(_("Minimum staffing saved."), "success")
    return redirect(url_for("shifts.plan", year=year, month=month), 303)


@bp.route("/plan/<int:year>/<int:month>/cleaning", methods=["POST"])
@require("roster.plan")
def plan_cleaning(year: int, month: int):
    """Generate the month's cleaning duty (值日表) from the day shifts."""
    try:
        roster.check_month(year, month)
    except RosterError as error:
        return _refuse(error)
    form = CleaningGenerateForm()
    if not form.validate_on_submit():
        return _plan_page(roster.load_frame(year, month), 422, cleaning_form=form,
                          cleaning_open=True)
    try:
        count = roster.generate_cleaning(current_user, year, month, form.per_day.data,
                                         form.version.data)
    except Conflict:
        db.session.rollback()
        flash(_("Someone else changed this month first. Check it and try again."), "error")
        return _plan_page(roster.load_grid(year, month), 409)
    except RosterError as error:
        return _refuse(error)
    flash(_("Cleaning duty made: %(count)d duties.", count=count), "success")
    return redirect(url_for("shifts.plan", year=year, month=month), 303)


@bp.route("/plan/<int:year>/<int:month>/cleaning/<int:day>", methods=["GET", "POST"])
@require("roster.plan")
def plan_cleaning_day(year: int, month: int, day: int):
    """One day's cleaning duty: GET the editor (?view=1: the cell); POST the people."""
    try:
        the_day = _day(year, month, day)
    except RosterError as error:
        return _refuse(error)
    if request.method == "GET":
        grid = roster.load_grid(year, month)
        if request.args.get("view") and is_fragment_request():
            return render("shifts/roster/_cleaning_update.html", g=grid, day=the_day)
        return render("shifts/roster/cleaning.html", block="cleaning_editor", g=grid,
                      day=the_day)
    form = CleaningDayForm()
    form.person.coerce = lambda v: int(v) if v else 0
    if not form.validate_on_submit():
        return error_response(422, _first_error(form))
    status, message = 200, None
    try:
        roster.set_cleaning_day(current_user, year, month, the_day, form.person.data,
                                form.token.data)
    except Conflict:
        db.session.rollback()
        status, message = 409, _("Someone else changed this day's cleaning duty first. This "
                                 "is its current state; check it and try again.")
    except RosterError as error:
        return _refuse(error)
    if not is_fragment_request():
        flash(message or _("Cleaning duty saved."), "error" if message else "success")
        return redirect(url_for("shifts.plan", year=year, month=month), 303)
    grid = roster.load_grid(year, month)
    response = render("shifts/roster/_cleaning_update.html", g=grid, day=the_day,
                      message=message, status=status)
    if message:
        trigger(response, **{"portal-toast": {"level": "error", "message": message}})
    return response


def register(app) -> None:
    """Navigation entry, the supervisor's Today card, audit labels."""
    from portal.audit.services import ACTION_LABELS, FIELD_LABELS, VALUE_LABELS, register_target
    from portal.i18n import N_
    from portal.shifts.models import RosterMonth
    from portal.ui import Card, NavItem, register_card, register_nav

    register_nav(app, NavItem("shifts.roster", _l("Duty roster"), "roster.view", order=25,
                              active_prefix=("shifts.roster", "shifts.plan")))
    register_card(app, Card("roster", _l("Roster: drafts and staffing shortfalls this week"),
                            "roster.plan", "shifts/roster/_card.html", roster.card_context,
                            order=150, stylesheet="css/roster.css"))
    ACTION_LABELS.update({
        "roster.cell_set": N_("Roster cell set"),
        "roster.generated": N_("Roster month generated"),
        "roster.published": N_("Roster month published"),
        "roster.minimums_set": N_("Minimum staffing changed"),
        "roster.cleaning_generated": N_("Cleaning duty generated"),
        "roster.cleaning_set": N_("Cleaning duty changed"),
    })
    FIELD_LABELS.update({"shift": N_("Shift"), "cleaning": N_("Cleaning duty"),
                         "status": N_("Status")})
    VALUE_LABELS.setdefault("shift", {})[roster.REST] = N_("Rest")
    VALUE_LABELS.setdefault("status", {}).update({"draft": N_("Draft"),
                                                  "published": N_("Published")})

    register_target("roster_months", N_("Roster month"), namer(
        RosterMonth, RosterMonth.year, RosterMonth.month,
        fmt=lambda rid, y, m: roster.month_label(y, m)))

