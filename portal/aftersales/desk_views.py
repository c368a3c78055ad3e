"""The after-sales desk around the cases: canned replies (kept by the supervisor), the
refund and dispute queue with its reminders, return visits and their satisfaction, the
weekly report with its workbook and print view, and the Today cards of the SLA clock.

Each page is one template whose blocks are htmx fragments; rows are swapped in place.
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
from flask_wtf import FlaskForm
from sqlalchemy.orm import lazyload

from portal import clock
from portal.aftersales import bp, sla
from portal.aftersales import queue as queue_svc
from portal.aftersales import replies as replies_svc
from portal.aftersales import report as report_svc
from portal.aftersales import visits as visits_svc
from portal.aftersales.cases import CATEGORIES, PLATFORM_STATUSES, STATES, TYPES
from portal.aftersales.desk_forms import (
    ReplyActiveForm,
    ReplyEditForm,
    ReplyForm,
    ReplyMoveForm,
    VisitForm,
)
from portal.aftersales.models import AfterSalesCase, CannedReply, ReturnVisit
from portal.audit.services import namer
from portal.auth.decorators import require
from portal.extensions import db
from portal.forms import show_refusal
from portal.i18n import N_
from portal.rules import RuleError
from portal.web import Conflict, is_fragment_request, redirect_htmx_aware, render, trigger

REPLIES = "aftersales/desk/replies.html"
QUEUE = "aftersales/desk/queue.html"
VISITS = "aftersales/desk/visits.html"
REPORT = "aftersales/desk/report.html"
REPORT_PRINT = "aftersales/desk/report_print.html"
VISITS_CHANGED = "aftersales-visits-changed"  # HX-Trigger: the done-today list follows
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CARD_ROWS = 5


def vocab() -> dict:
    """The words the desk templates show."""
    return {"types": TYPES, "states": STATES, "categories": CATEGORIES,
            "platform_statuses": PLATFORM_STATUSES, "outcomes": visits_svc.OUTCOMES}


def _rule_message(error: RuleError) -> str:
    return _(error.message, **error.params)



def _csrf_only() -> None:
    """A POST with nothing but its CSRF token (a reminder): refuse a bad token."""
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)


# --- canned replies (aftersales.replies) -----------------------------------------------------



def _prefix(reply_id: int) -> str:
    return f"reply-{reply_id}"


def _replies_page(*, status: int = 200, form=None, edited: int | None = None, edit_form=None,
                  message: str | None = None):
    """The replies page, or its panel (the add form and the list) for htmx."""
    items = replies_svc.all_replies()
    edit_forms = {
        r.id: edit_form if edited == r.id and edit_form is not None
        else ReplyEditForm(formdata=None, obj=r, prefix=_prefix(r.id))
        for r in items}
    return render(REPLIES, block="replies_panel", status=status, items=items,
                  form=form or ReplyForm(formdata=None), edit_forms=edit_forms, edited=edited,
                  message=message, failed=status >= 400,
                  active_count=sum(1 for r in items if r.active))


def _replies_done(message: str):
    if not is_fragment_request():
        flash(message, "success")
        return redirect_htmx_aware(url_for("aftersales.replies"))
    return _replies_page(message=message)


@bp.route("/replies")
@require("aftersales.replies")
def replies():
    """The canned replies agents insert into notes: add, edit, reorder, deactivate."""
    return _replies_page()


@bp.route("/replies", methods=["POST"])
@require("aftersales.replies")
def reply_add():
    """A new canned reply, last in the order."""
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            reply = replies_svc.add(current_user, form.title.data, form.text.data)
        except RuleError as error:
            db.session.rollback()
            show_refusal(form, error, _rule_message(error))
        else:
            return _replies_done(_("Reply “%(title)s” added.", title=reply.title))
    elif "csrf_token" in form.errors:
        abort(400)
    return _replies_page(status=422, form=form)


def _reply_action(reply: CannedReply, form, action, done: str, edit: bool = False):
    """Run ``action`` for a valid form: the panel after the change, 422 with the messages
    (nothing changed), 409 with the current list when someone else was first."""
    if not form.validate_on_submit():
        if "csrf_token" in form.errors or "version" in form.errors or not edit:
            abort(400)
        return _replies_page(status=422, edited=reply.id, edit_form=form)
    try:
        action()
    except Conflict:
        db.session.rollback()
        db.session.refresh(reply)
        return _replies_page(status=409, message=_(
            "Someone else changed this reply first. This is the current list."))
    except RuleError as error:
        db.session.rollback()
        db.session.refresh(reply)
        if edit:
            show_refusal(form, error, _rule_message(error))
            return _replies_page(status=422, edited=reply.id, edit_form=form)
        return _replies_page(status=422, message=_rule_message(error))
    return _replies_done(done)


@bp.route("/replies/<int:reply_id>", methods=["POST"])
@require("aftersales.replies")
def reply_edit(reply_id: int):
    """Change a reply's title or text (version-checked)."""
    reply = db.get_or_404(CannedReply, reply_id)
    form = ReplyEditForm(prefix=_prefix(reply.id))
    return _reply_action(reply, form, lambda: replies_svc.update(
        current_user, reply, form.version.data, form.title.data, form.text.data),
        _("Reply “%(title)s” saved.", title=form.title.data or reply.title), edit=True)


@bp.route("/replies/<int:reply_id>/move", methods=["POST"])
@require("aftersales.replies")
def reply_move(reply_id: int):
    """Move a reply one place up or down in the order agents see."""
    reply = db.get_or_404(CannedReply, reply_id)
    form = ReplyMoveForm()
    return _reply_action(reply, form, lambda: replies_svc.move(
        current_user, reply, form.version.data, form.direction.data),
        _("Reply “%(title)s” moved.", title=reply.title))


@bp.route("/replies/<int:reply_id>/active", methods=["POST"])
@require("aftersales.replies")
def reply_active(reply_id: int):
    """Deactivate a reply (kept, no longer offered), or bring it back."""
    reply = db.get_or_404(CannedReply, reply_id)
    form = ReplyActiveForm()
    active = form.active.data == "1"
    done = (_("Reply “%(title)s” is offered again.", title=reply.title) if active
            else _("Reply “%(title)s” deactivated.", title=reply.title))
    return _reply_action(reply, form, lambda: replies_svc.set_active(
        current_user, reply, form.version.data, active), done)


# --- the refund and dispute queue (aftersales.oversee) ----------------------------------------


def _queue_context() -> dict:
    return {"today": clock.today(), **vocab()}


def _queue_page(*, status: int = 200, message: str | None = None, block="queue_table"):
    rows = queue_svc.rows()
    total = queue_svc.count() if len(rows) >= queue_svc.SHOWN_MAX else len(rows)
    return render(QUEUE, block=block, status=status, rows=rows, total=total,
                  message=message, failed=status >= 400, **_queue_context())


@bp.route("/queue")
@require("aftersales.oversee")
def queue():
    """退款中 / 维权中: the open cases in a platform refund or dispute, oldest first, with
    their age and assignee; remind one or all."""
    return _queue_page()


@bp.route("/queue/<int:case_id>/remind", methods=["POST"])
@require("aftersales.oversee")
def queue_remind(case_id: int):
    """Remind the case's assignee (a notification with the case's link); the row shows it."""
    _csrf_only()
    if db.session.get(AfterSalesCase, case_id) is None:
        abort(404)
    try:
        row = queue_svc.remind(current_user, case_id)
    except RuleError as error:
        db.session.rollback()
        row = queue_svc.row(case_id)
        if row is None or not is_fragment_request():
            if is_fragment_request():  # it left the queue: the row goes, the table says so
                return _queue_page(status=409, message=_rule_message(error))
            flash(_rule_message(error), "error")
            return redirect_htmx_aware(url_for("aftersales.queue"))
        return render(QUEUE, block="queue_row", status=422, row=row,
                      row_message=_rule_message(error), row_failed=True, **_queue_context())
    message = _("%(name)s was reminded.", name=row.case.assignee.display_name)
    if not is_fragment_request():
        flash(message, "success")
        return redirect_htmx_aware(url_for("aftersales.queue"))
    return render(QUEUE, block="queue_row", row=row, row_message=message, row_failed=False,
                  **_queue_context())


@bp.route("/queue/remind-all", methods=["POST"])
@require("aftersales.oversee")
def queue_remind_all():
    """Remind the assignee of every case in the queue."""
    _csrf_only()
    reminded, unassigned = queue_svc.remind_all(current_user)
    message = _("%(count)d reminders sent.", count=reminded)
    if unassigned:
        message += " " + _("%(count)d cases have nobody assigned.", count=unassigned)
    if not is_fragment_request():
        flash(message, "success")
        return redirect_htmx_aware(url_for("aftersales.queue"))
    return _queue_page(message=message)


# --- return visits (aftersales.view; recording: aftersales.work) -----------------------------


def _visit_or_404(visit_id: int) -> ReturnVisit:
    visit = visits_svc.get(visit_id)
    if visit is None:
        abort(404)
    return visit


def _visits_page(block: str | None = None):
    whole = block is None or not is_fragment_request()
    context = {"today": clock.today(), **vocab()}
    if whole or block == "due_visits":
        due = visits_svc.due()
        context["due"] = due
        context["due_total"] = visits_svc.due_count() if len(due) >= visits_svc.SHOWN_MAX \
            else len(due)
    if whole or block == "done_visits":
        context["done"] = visits_svc.done_on()
    return render(VISITS, block=block, **context)


@bp.route("/visits")
@require("aftersales.view")
def visits():
    """R-C2: the return visits due today or earlier, and those done today."""
    return _visits_page(block="due_visits")


@bp.route("/visits/done")
@require("aftersales.view")
def visits_done():
    """The return visits recorded today (follows each recording)."""
    return _visits_page(block="done_visits")


def _visit_row(visit: ReturnVisit, *, status: int = 200, form=None, message: str | None = None,
               following: ReturnVisit | None = None):
    if not is_fragment_request():
        if message:
            flash(message, "error" if status >= 400 else "success")
        return redirect_htmx_aware(url_for("aftersales.visits"))
    response = render(VISITS, block="visit_row", status=status, visit=visit, form=form,
                      row_message=message, row_failed=status >= 400, following=following,
                      today=clock.today(), **vocab())
    return trigger(response, VISITS_CHANGED) if status == 200 else response


@bp.route("/visits/<int:visit_id>", methods=["POST"])
@require("aftersales.work")
def visit_record(visit_id: int):
    """R-C2: record how the return visit went (in place, version-checked)."""
    visit = _visit_or_404(visit_id)
    form = VisitForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors or "version" in form.errors:
            abort(400)
        return _visit_row(visit, status=422, form=form)
    try:
        following = visits_svc.record(
            current_user, visit, form.version.data, form.outcome.data,
            form.satisfaction.data, form.comment.data or "", again=form.again.data)
    except Conflict:
        db.session.rollback()
        db.session.refresh(visit)
        return _visit_row(visit, status=409, message=_(
            "Someone else recorded this visit first. This is its current state."))
    except RuleError as error:
        db.session.rollback()
        show_refusal(form, error, _rule_message(error))
        return _visit_row(visit, status=422, form=form)
    message = (_("Recorded; the customer will be called again on %(day)s.",
                 day=following.due_on.isoformat()) if following else _("Recorded."))
    return _visit_row(visit, message=message, following=following)


# --- the weekly report (aftersales.oversee) --------------------------------------------------


def _week() -> tuple[int, int]:
    text = request.args.get("week")
    if not text:
        return report_svc.current_week()
    week = report_svc.parse_week(text)
    if week is None:
        abort(404)
    return week


def _report_context() -> dict:
    year, week = _week()
    data = report_svc.weekly(year, week)
    previous, following = report_svc.neighbours(year, week)
    return {"report": data, "previous": previous, "following": following,
            "current": "{}-W{:02d}".format(*report_svc.current_week()),
            "no_category": report_svc.NO_CATEGORY, **vocab()}


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
    urgent = sa.and_(AfterSalesCase.assignee_id == user.id, AfterSalesCase.state != "closed",
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
    open_case = AfterSalesCase.state != "closed"

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


_reply_names = namer(CannedReply, CannedReply.title)
_visit_names = namer(ReturnVisit, ReturnVisit.case_id, ReturnVisit.due_on,
                     fmt=lambda ident, case_id, due_on: f"#{case_id} {due_on.isoformat()}")


def register(app) -> None:
    """Navigation entries, Today cards, template globals and audit labels of the desk."""
    from portal.audit.services import ACTION_LABELS, FIELD_LABELS, VALUE_LABELS, register_target
    from portal.ui import Card, NavItem, register_card, register_nav

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
                            order=25, stylesheet=sheet))
    register_card(app, Card("aftersales-visits", _l("Return visits due"), "aftersales.work",
                            "aftersales/desk/_card_visits.html", _visits_card, order=26,
                            stylesheet=sheet))
    register_card(app, Card("aftersales-desk", _l("After-sales desk"), "aftersales.oversee",
                            "aftersales/desk/_card_oversee.html", _oversee_card, order=27,
                            stylesheet=sheet))
    ACTION_LABELS.update({
        "aftersales.reply_added": N_("Canned reply added"),
        "aftersales.reply_changed": N_("Canned reply changed"),
        "aftersales.reply_moved": N_("Canned reply moved"),
        "aftersales.reply_deactivated": N_("Canned reply deactivated"),
        "aftersales.reply_activated": N_("Canned reply offered again"),
        "aftersales.reminded": N_("Assignee reminded of a refund or dispute"),
        "aftersales.reminded_all": N_("Every refund and dispute assignee reminded"),
        "aftersales.visit_recorded": N_("Return visit recorded"),
        "aftersales.visit_rescheduled": N_("Return visit rescheduled"),
    })
    for name, label in {
        "title": N_("Title"), "text": N_("Text"), "sort_order": N_("Position"),
        "outcome": N_("Outcome"), "satisfaction": N_("Satisfaction"),
        "comment": N_("Comment"), "due_on": N_("Due on"), "active": N_("Active"),
    }.items():
        FIELD_LABELS.setdefault(name, label)
    VALUE_LABELS.setdefault("outcome", {}).update(visits_svc.OUTCOMES)
    register_target("aftersales_replies", N_("Canned reply"), _reply_names)
    register_target("aftersales_visits", N_("Return visit"), _visit_names)
