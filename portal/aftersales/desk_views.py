"""The after-sales desk around the cases: the canned replies (now published articles of the
knowledge base with a reply text; the old page redirects there), the
refund and dispute queue with its reminders, return visits and their satisfaction, the
weekly report with its workbook and print view, and the Today cards of the SLA clock.

Each page is one template whose blocks are htmx fragments; rows are swapped in place. The
lists are paged ("show more" fetches a few rows at a time) and carry no per-row form that
is seldom used: a return visit's form is fetched when opened.
The SLA partial (``aftersales/desk/_sla.html``) and the canned-reply buttons
(``aftersales/desk/_replies.html``) are included by the case pages through the template
globals ``sla_status`` / ``sla_overdue`` / ``canned_replies`` registered here.
"""

from datetime import datetime

import sqlalchemy as sa
from flask import Response, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import lazyload

from portal import actions, clock
from portal.aftersales import bp, sla
from portal.aftersales import queue as queue_svc
from portal.aftersales import replies as replies_svc
from portal.aftersales import report as report_svc
from portal.aftersales import visits as visits_svc
from portal.aftersales.cases import CATEGORIES, OPEN_STATES, PLATFORM_STATUSES, STATES, TYPES
from portal.aftersales.desk_forms import VisitForm
from portal.aftersales.models import AfterSalesCase, ReturnVisit
from portal.audit.services import namer
from portal.auth.decorators import require
from portal.extensions import db
from portal.forms import Form
from portal.i18n import N_
from portal.web import is_fragment_request, redirect_htmx_aware, render, trigger

QUEUE = "aftersales/desk/queue.html"
VISITS = "aftersales/desk/visits.html"
VISIT = "aftersales/desk/visit.html"
REPORT = "aftersales/desk/report.html"
REPORT_PRINT = "aftersales/desk/report_print.html"
VISITS_CHANGED = "aftersales-visits-changed"  # HX-Trigger: the done-today list follows
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CARD_ROWS = 5
QUEUE_PAGE = 50  # rows of the queue page (oldest first; "show more" for the rest)
QUEUE_FETCHED = 4  # rows of an htmx answer (each "show more"; a row carries its form)
VISITS_PAGE = 50  # due visits on the page (oldest first; "show more" for the rest)
VISITS_FETCHED = 6  # due visits in an htmx answer (each "show more")
DONE_SHOWN = 10  # visits recorded today shown at once (the latest first; "show more")


def vocab() -> dict:
    """The words the desk templates show."""
    return {"types": TYPES, "states": STATES, "categories": CATEGORIES,
            "platform_statuses": PLATFORM_STATUSES, "outcomes": visits_svc.OUTCOMES}


# --- canned replies: published articles of the knowledge base with a reply text -----------


@bp.route("/replies")
@require("aftersales.replies")
def replies():
    """The canned replies are kept in the knowledge base now (one place for answers): a
    published article with a short reply text is offered on every case."""
    return redirect_htmx_aware(url_for("knowledge.index"))


# --- the refund and dispute queue (aftersales.oversee) ----------------------------------------


def _queue_context() -> dict:
    return {"today": clock.today(), **vocab()}


def _queue_page(block: str = "queue_table"):
    """The queue's first page (QUEUE_PAGE rows; an htmx answer QUEUE_FETCHED), or the page
    after the cursor ``after`` ("show more")."""
    fragment = is_fragment_request()
    size = QUEUE_FETCHED if fragment else QUEUE_PAGE
    rows = queue_svc.rows(limit=size + 1, after=request.args.get("after"))
    more = queue_svc.cursor(rows[size - 1]) if len(rows) > size else None
    rows = rows[:size]
    total = None
    if block == "queue_table":
        total = queue_svc.count() if more or request.args.get("after") else len(rows)
    return render(QUEUE, block=block, rows=rows, total=total, more=more, more_rows=fragment,
                  **_queue_context())


@bp.route("/queue")
@require("aftersales.oversee")
def queue():
    """退款中 / 维权中: the open cases in a platform refund or dispute, oldest first, with
    their age and assignee; remind one or all."""
    return _queue_page()


@bp.route("/queue/rows")
@require("aftersales.oversee")
def queue_rows():
    """The next rows of the queue (its "show more" row)."""
    return _queue_page("queue_rows")


class QueueRowAnswer:
    """A reminder answers the case's row (when it was reminded); 422 the row with the
    reason (nobody assigned); 409 a row saying the case left the queue meanwhile. Without
    JavaScript a refusal shows the queue with the message."""

    def __init__(self, case_id: int) -> None:
        self.case_id = case_id

    def done(self, row: queue_svc.Row, message: str):
        return render(QUEUE, block="queue_row", row=row, row_message=message, row_failed=False,
                      **_queue_context())

    def refused(self, form, message):
        message = message or " ".join(map(str, form.form_errors))
        if not is_fragment_request():
            flash(message, "error")
            return _queue_page()
        return render(QUEUE, block="queue_row", row=queue_svc.row(self.case_id),
                      row_message=message, row_failed=True, **_queue_context())

    def conflict(self, form, message: str):
        if db.session.scalar(sa.select(AfterSalesCase.id)
                             .where(AfterSalesCase.id == self.case_id)) is None:
            abort(404)
        if not is_fragment_request():
            flash(_(message), "error")
            return _queue_page()
        return render(QUEUE, block="queue_gone", case_id=self.case_id, row_message=_(message))

    def location(self, result) -> str:
        return url_for("aftersales.queue")


@bp.route("/queue/<int:case_id>/remind", methods=["POST"])
@require("aftersales.oversee")
def queue_remind(case_id: int):
    """Remind the case's assignee (a notification with the case's link); the row shows it."""
    return actions.run(lambda: queue_svc.remind(current_user, case_id), form=Form(),
                       answer=QueueRowAnswer(case_id),
                       done=lambda row: _("%(name)s was reminded.",
                                          name=row.case.assignee.display_name))


class QueuePageAnswer:
    """Every row changed: the queue page is loaded again, with the count."""

    def done(self, result, message: str):
        flash(message, "success")
        return redirect_htmx_aware(self.location(result))

    def refused(self, form, message):
        return _queue_page()

    conflict = refused

    def location(self, result) -> str:
        return url_for("aftersales.queue")


def _reminded(result: tuple[int, int]) -> str:
    reminded, unassigned = result
    message = _("%(count)d reminders sent.", count=reminded)
    if unassigned:
        message += " " + _("%(count)d cases have nobody assigned.", count=unassigned)
    return message


@bp.route("/queue/remind-all", methods=["POST"])
@require("aftersales.oversee")
def queue_remind_all():
    """Remind the assignee of every case in the queue; the queue page is shown again with
    the count (every row changed: a reload, not a table as large as the queue)."""
    return actions.run(lambda: queue_svc.remind_all(current_user), form=Form(),
                       answer=QueuePageAnswer(), done=_reminded)


# --- return visits (aftersales.view; recording: aftersales.work) -----------------------------


def _visit_or_404(visit_id: int) -> ReturnVisit:
    visit = visits_svc.get(visit_id)
    if visit is None:
        abort(404)
    return visit


def _visits_page(block: str | None = None):
    """The visits page, or one of its parts for htmx: the due list (the oldest VISITS_PAGE,
    an htmx answer VISITS_FETCHED, then "show more") and the visits recorded today (the
    latest DONE_SHOWN, then "show more")."""
    fragment = is_fragment_request()
    whole = block is None or not fragment
    context = {"today": clock.today(), "more_rows": fragment, **vocab()}
    if whole or block in ("due_visits", "due_rows"):
        size = VISITS_FETCHED if fragment else VISITS_PAGE
        after = request.args.get("after")
        due = visits_svc.due(limit=size + 1, after=after)
        more = visits_svc.cursor(due[size - 1]) if len(due) > size else None
        context.update(due=due[:size], due_more=more,
                       due_total=visits_svc.due_count() if more or after else len(due))
    if whole or block in ("done_visits", "done_rows"):
        done = visits_svc.done_page(before=request.args.get("before"), per_page=DONE_SHOWN)
        context.update(done=done, done_total=visits_svc.done_count()
                       if done.older or done.newer else len(done.items))
    return render(VISITS, block=block, **context)


@bp.route("/visits")
@require("aftersales.view")
def visits():
    """R-C2: the return visits due today or earlier, and those done today."""
    return _visits_page(block="due_visits")


@bp.route("/visits/due")
@require("aftersales.view")
def visits_due():
    """The next rows of the due visits (their "show more" row)."""
    return _visits_page(block="due_rows")


@bp.route("/visits/done")
@require("aftersales.view")
def visits_done():
    """The return visits recorded today (follows each recording)."""
    return _visits_page(block="done_visits")


@bp.route("/visits/done/rows")
@require("aftersales.view")
def visits_done_rows():
    """The earlier visits recorded today (the done list's "show more" row)."""
    return _visits_page(block="done_rows")


@bp.route("/visits/<int:visit_id>")
@require("aftersales.work")
def visit_form(visit_id: int):
    """A due visit with the form recording it: fetched into its row when the agent starts
    recording (the list does not carry a form per row); a page of its own without
    JavaScript."""
    visit = _visit_or_404(visit_id)
    return render(VISIT, block="visit_row", visit=visit, form=VisitForm(formdata=None),
                  today=clock.today(), **vocab())


def _visit_row(visit: ReturnVisit, *, status: int = 200, form=None, message: str | None = None,
               following: ReturnVisit | None = None):
    """The visit's row in place (htmx; its own page without JavaScript): ``form`` as typed
    (a refusal, 422, with its messages; a conflict, 409, when the visit is still due)."""
    return render(VISIT, block="visit_row", status=status, visit=visit, form=form,
                  row_message=message, row_failed=status >= 400, following=following,
                  today=clock.today(), **vocab())


class VisitAnswer:
    """Recording a visit answers its row: the result (the done list follows), the form as
    typed with its messages, or — someone recorded it first — the visit as it is now."""

    def __init__(self, visit: ReturnVisit) -> None:
        self.visit = visit

    def done(self, following: ReturnVisit | None, message: str):
        return trigger(_visit_row(self.visit, message=message, following=following),
                       VISITS_CHANGED)

    def refused(self, form, message):
        return _visit_row(self.visit, status=422, form=form)

    def conflict(self, form, message: str):
        return _visit_row(self.visit, status=409, form=form, message=_(
            "Someone else recorded this visit first. This is its current state."))

    def location(self, result) -> str:
        return url_for("aftersales.visits")


def _recorded(following: ReturnVisit | None) -> str:
    if following is None:
        return _("Recorded.")
    return _("Recorded; the customer will be called again on %(day)s.",
             day=following.due_on.isoformat())


@bp.route("/visits/<int:visit_id>", methods=["POST"])
@require("aftersales.work")
def visit_record(visit_id: int):
    """R-C2: record how the return visit went (in place, version-checked)."""
    visit = _visit_or_404(visit_id)
    form = VisitForm()
    return actions.run(lambda: visits_svc.record(
        current_user, visit, form.version.data, form.outcome.data, form.satisfaction.data,
        form.comment.data or "", again=form.again.data), form=form,
        answer=VisitAnswer(visit), done=_recorded, subject=visit)


# --- the weekly report (aftersales.oversee) --------------------------------------------------


def _week() -> tuple[int, int]:
    text = request.args.get("week")
    if not text:  # the last complete week; this one is a click away
        return report_svc.last_complete_week()
    week = report_svc.parse_week(text)
    if week is None:
        abort(404)
    return week


def _report_context() -> dict:
    year, week = _week()
    data = report_svc.weekly(year, week)
    previous, following = report_svc.neighbours(year, week)
    current = report_svc.current_week()
    if (year, week) >= current:  # the weeks to come have nothing to count yet
        following = None
    return {"report": data, "previous": previous, "following": following,
            "current": "{}-W{:02d}".format(*current), "in_progress": (year, week) == current,
            "no_category": report_svc.NO_CATEGORY, "sections": _sections(data), **vocab()}


def _sections(data) -> list[tuple[str, dict]]:
    """What other areas add to the weekly report (the customers' follow-up calls): their
    templates with their figures of the week (portal.ui.register_report_section)."""
    from portal.ui import report_sections

    begin, end = report_svc.week_bounds(data.monday)
    return [(section.template, section.context(begin, end))
            for section in report_sections("aftersales.weekly")]


@bp.route("/report")
@require("aftersales.oversee")
def report():
    """R-C2, R-C3: the week's cases by type and category, SLA met, return visits and their
    average satisfaction (?week=2026-W47)."""
    return render(REPORT, block="weekly_report", **_report_context())


@bp.route("/report/print")
@require("aftersales.oversee")
def report_print():
    """The weekly report laid out for printing (A4)."""
    return render(REPORT_PRINT, **_report_context())


@bp.route("/report.xlsx")
@require("aftersales.oversee")
def report_xlsx():
    """The weekly report as an .xlsx workbook."""
    year, week = _week()
    data = report_svc.weekly(year, week)
    response = Response(report_svc.export_xlsx(data, TYPES, CATEGORIES, visits_svc.OUTCOMES),
                        mimetype=XLSX)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="aftersales-week-{data.label}.xlsx"')
    return response


# --- Today cards, template globals, navigation, audit ----------------------------------------


def _my_sla_card(user) -> dict:
    """An agent's open cases about to breach or breached: how many, and the five most
    urgent (one query: the count comes as a window over the same rows)."""
    now = clock.now()
    urgent = sa.and_(AfterSalesCase.assignee_id == user.id,
                     AfterSalesCase.state.in_(OPEN_STATES),
                     sa.or_(sla.breach_filter(AfterSalesCase, "breached", now),
                            sla.breach_filter(AfterSalesCase, "soon", now)))
    rows = db.session.execute(
        sa.select(AfterSalesCase, sa.func.count().over())
        .options(lazyload(AfterSalesCase.order), lazyload(AfterSalesCase.assignee))
        .where(urgent).order_by(_nearest_due(), AfterSalesCase.id).limit(CARD_ROWS)).all()
    return {"cases": [case for case, _total in rows], "total": rows[0][1] if rows else 0,
            "now": now, "types": TYPES}


def _nearest_due():
    """The earlier of a case's open due moments (for ordering the most urgent first)."""
    case = AfterSalesCase
    response_first = sa.and_(case.first_response_at.is_(None),
                             case.first_response_due_at.is_not(None),
                             sa.or_(case.resolve_due_at.is_(None),
                                    case.first_response_due_at < case.resolve_due_at))
    return sa.case((response_first, case.first_response_due_at), else_=case.resolve_due_at)


def _visits_card(user) -> dict:
    """The return visits due today or earlier: how many, and the five oldest (one query)."""
    visits, total = visits_svc.due_with_count(limit=CARD_ROWS)
    return {"visits": visits, "total": total, "today": clock.today()}


def _oversee_card(user) -> dict:
    """The whole desk for the supervisor: breached and soon counts, the refund/dispute
    queue (one query)."""
    now = clock.now()
    open_case = AfterSalesCase.state.in_(OPEN_STATES)

    def counted(condition):
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    breached, soon, queued = db.session.execute(
        sa.select(counted(sla.breach_filter(AfterSalesCase, "breached", now)),
                  counted(sla.breach_filter(AfterSalesCase, "soon", now)),
                  counted(queue_svc.in_queue()))
        .select_from(AfterSalesCase).where(open_case)).one()
    return {"breached": int(breached), "soon": int(soon), "queued": int(queued)}


def sla_overdue(status: sla.Status, now: datetime | None = None) -> int:
    """Wall-clock minutes since a breached due moment (for "breached 35 min ago")."""
    if status.due is None:
        return 0
    return max(int(((now or clock.now()) - status.due).total_seconds() // 60), 0)


_visit_names = namer(ReturnVisit, ReturnVisit.case_id, ReturnVisit.due_on,
                     fmt=lambda ident, case_id, due_on: f"#{case_id} {due_on.isoformat()}")


def register(app) -> None:
    """Navigation entries, Today cards, template globals and audit labels of the desk."""
    from portal.ui import Card, NavItem, register_audit, register_card, register_nav

    app.jinja_env.globals.update(sla_status=sla.status, sla_overdue=sla_overdue,
                                 canned_replies=replies_svc.active)
    register_nav(app, NavItem("aftersales.visits", _l("Return visits"), "aftersales.view",
                              order=19, active_prefix=("aftersales.visits",)))
    register_nav(app, NavItem("aftersales.queue", _l("Refunds and disputes"),
                              "aftersales.oversee", order=19,
                              active_prefix=("aftersales.queue", "aftersales.report",
                                             "aftersales.repl")))
    sheet = "css/aftersales-desk.css"
    register_card(app, Card("aftersales-my-sla", _l("My cases about to breach"),
                            "aftersales.work", "aftersales/desk/_card_sla.html", _my_sla_card,
                            order=25, stylesheet=sheet, events=("aftersales-changed",)))
    register_card(app, Card("aftersales-visits", _l("Return visits due"), "aftersales.work",
                            "aftersales/desk/_card_visits.html", _visits_card, order=26,
                            stylesheet=sheet, events=(VISITS_CHANGED,)))
    register_card(app, Card("aftersales-desk", _l("After-sales desk"), "aftersales.oversee",
                            "aftersales/desk/_card_oversee.html", _oversee_card, order=27,
                            stylesheet=sheet, events=("aftersales-changed",)))
    register_audit(app, actions={
        "aftersales.reply_added": N_("Canned reply added"),
        "aftersales.reply_changed": N_("Canned reply changed"),
        "aftersales.reply_moved": N_("Canned reply moved"),
        "aftersales.reply_deactivated": N_("Canned reply deactivated"),
        "aftersales.reply_activated": N_("Canned reply offered again"),
        "aftersales.reminded": N_("Assignee reminded of a refund or dispute"),
        "aftersales.reminded_all": N_("Every refund and dispute assignee reminded"),
        "aftersales.visit_recorded": N_("Return visit recorded"),
        "aftersales.visit_rescheduled": N_("Return visit rescheduled"),
    }, fields={
        "title": N_("Title"), "text": N_("Text"), "sort_order": N_("Position"),
        "outcome": N_("Outcome"), "satisfaction": N_("Satisfaction"),
        "comment": N_("Comment"), "due_on": N_("Due on"), "active": N_("Active"),
    }, values={"outcome": visits_svc.OUTCOMES},
        target=("aftersales_replies", N_("Canned reply"), None))
    register_audit(app, target=("aftersales_visits", N_("Return visit"), _visit_names))
