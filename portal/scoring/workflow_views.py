"""The score sheets' workflow pages: submit, approve, return, reopen (one sheet or the whole
month), the staff member's own sheets with acknowledge and appeal, and the supervisor's
appeals list (R-P2, R-P3).

Every action runs through ``portal.actions.run``; the answers say what each place shows. The
workflow buttons of a sheet are one fragment (``_sheet_actions.html``) that answers every step
on it in place: 200, 422 (refused, nothing changed), 409 (someone acted first): then the
buttons with the state as it is now and what was typed kept, and out of band every other part
of the sheet the page shows (summary or body, the record), since nothing else follows a step
that did not happen. A change sends ``score-sheet-changed`` so the sheet's record and the
overview follow; an appeal step sends ``appeals-changed`` for the nav badge.
"""

from datetime import date
from urllib.parse import urlsplit

from flask import abort, flash, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import actions, clock
from portal.audit.services import namer
from portal.auth.decorators import require
from portal.auth.models import User
from portal.extensions import db
from portal.i18n import N_
from portal.live.counters import cheap_poll
from portal.scoring import appeals, bp, deadline, workflow
from portal.scoring.entries import sheet_revisions
from portal.scoring.models import Appeal, ScoreEntry, ScoreSheet
from portal.scoring.sheets import find_sheet, month_or_404, month_sheets, ranks
from portal.scoring.workflow_forms import (
    AcknowledgeForm,
    AnswerForm,
    AppealForm,
    MonthActionForm,
    ReopenForm,
    ReturnForm,
    SheetActionForm,
)
from portal.web import is_fragment_request, render, trigger

ACTIONS = "scoring/workflow/_sheet_actions.html"
APPEAL = "scoring/workflow/_entry_appeal.html"
SHEET_PAGE = "scoring/workflow/sheet.html"
MONTH_PAGE = "scoring/workflow/month.html"
APPEALS_PAGE = "scoring/workflow/appeals.html"
MY_PAGE = "scoring/my/sheet.html"
STEP_CONFLICT = "scoring/workflow/_step_conflict.html"
SHEET_EVENT = "score-sheet-changed"
APPEALS_EVENT = "appeals-changed"


def _fragment(template: str, status: int = 200, **context):
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def _safe_next(value: str | None, default: str) -> str:
    """A local path to go back to (never another site)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def _said(form, message: str | None = None) -> str:
    """A refusal as one text: the rule's message, or the form's messages."""
    if message:
        return message
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def payday_day() -> int:
    from flask import current_app

    return int(current_app.config.get("SCORING_PAYDAY", 10))


def _entries(sheet: ScoreSheet) -> list[ScoreEntry]:
    import sqlalchemy as sa

    return list(db.session.scalars(sa.select(ScoreEntry).where(ScoreEntry.sheet_id == sheet.id)
                                   .order_by(ScoreEntry.day, ScoreEntry.id)))


# --- one sheet ----------------------------------------------------------------------------


def _sheet_context(sheet: ScoreSheet) -> dict:
    return {"sheet": sheet, "entries": _entries(sheet), "appeals_by_entry": appeals.by_entry(sheet),
            "due": deadline.due_date(sheet.year, sheet.month, payday_day())}


@bp.route("/sheets/<int:sheet_id>/workflow")
@require("scoring.overview")
def sheet_workflow(sheet_id: int):
    """A sheet with its state, its workflow buttons, its entries' appeals and its record."""
    sheet = db.get_or_404(ScoreSheet, sheet_id)
    return render(SHEET_PAGE, block="sheet_summary", **_sheet_context(sheet))


@bp.route("/sheets/<int:sheet_id>/history")
@require("scoring.overview")
def sheet_history(sheet_id: int):
    """The sheet's record (events and entry revisions): a fragment that refreshes itself."""
    sheet = db.get_or_404(ScoreSheet, sheet_id)
    return _fragment("scoring/workflow/_sheet_history.html", sheet=sheet)


def _page_shown(sheet: ScoreSheet) -> str | None:
    """Which page of the sheet the step was sent from (htmx names it): "workflow", "sheet"
    (the supervisor's sheet page), or None."""
    path = urlsplit(request.headers.get("HX-Current-URL", "")).path
    if path == url_for("scoring.sheet_workflow", sheet_id=sheet.id):
        return "workflow"
    if path == url_for("scoring.sheet", year=sheet.year, month=sheet.month,
                       user_id=sheet.user_id):
        return "sheet"
    return None


class StepAnswer:
    """A workflow step answers with the sheet's buttons in place; without JavaScript, the
    workflow page (refused) or the page it came from (done)."""

    def __init__(self, sheet: ScoreSheet, back: str) -> None:
        self.sheet, self.back = sheet, back

    def done(self, result, message: str):
        return trigger(_fragment(ACTIONS, sheet=self.sheet, action_message=message,
                                 action_ok=True, next=self.back), SHEET_EVENT)

    def refused(self, form, message):
        return self._answer(ACTIONS, form, _said(form, message))

    def conflict(self, form, message: str):
        """The buttons for the state the sheet is in now, with the text typed in the form
        it now offers (a return comment becomes the reason to reopen an approved sheet),
        and out of band the parts of the sheet the page shows: state, totals, entries,
        the record, every version field."""
        text = _("Someone else changed this sheet first. This is its current state; check it "
                 "and try again.")
        shown = _page_shown(self.sheet) if is_fragment_request() else None
        parts = {}
        if shown == "workflow":
            parts = _sheet_context(self.sheet)
        elif shown == "sheet":
            from portal.scoring.sheet_views import body_context

            parts = body_context(self.sheet)
        return self._answer(STEP_CONFLICT, form, text, shown=shown, **parts)

    def _answer(self, template: str, form, message: str, **parts):
        if not is_fragment_request():
            flash(message, "error")
            return render(SHEET_PAGE, sent_form=form, **_sheet_context(self.sheet))
        return _fragment(template, **{**parts, "sheet": self.sheet, "action_message": message,
                                      "action_ok": False, "sent_form": form,
                                      "next": self.back})

    def location(self, result) -> str:
        return self.back


def _act(sheet_id: int, form_cls, step, done: str, **fields):
    """One workflow step on a sheet; the action buttons answer in place."""
    sheet = db.get_or_404(ScoreSheet, sheet_id)
    form = form_cls()
    back = _safe_next(form.next.data, url_for("scoring.sheet_workflow", sheet_id=sheet.id))
    return actions.run(
        lambda: step(current_user, sheet, form.version.data,
                     **{name: getattr(form, name).data for name in fields}),
        form=form, answer=StepAnswer(sheet, back), done=_l(done), subject=sheet)


@bp.route("/sheets/<int:sheet_id>/submit", methods=["POST"])
@require("scoring.record")
def submit_sheet(sheet_id: int):
    """The supervisor submits the sheet to the manager."""
    return _act(sheet_id, SheetActionForm, workflow.submit,
                N_("Sheet submitted to the manager."))


@bp.route("/sheets/<int:sheet_id>/approve", methods=["POST"])
@require("scoring.approve")
def approve_sheet(sheet_id: int):
    """The manager approves the sheet; it is locked."""
    return _act(sheet_id, SheetActionForm, workflow.approve, N_("Sheet approved and locked."))


@bp.route("/sheets/<int:sheet_id>/return", methods=["POST"])
@require("scoring.approve")
def return_sheet(sheet_id: int):
    """The manager returns the sheet to the supervisor with a comment."""
    return _act(sheet_id, ReturnForm, workflow.return_sheet,
                N_("Sheet returned to the supervisor."), comment=True)


@bp.route("/sheets/<int:sheet_id>/reopen", methods=["POST"])
@require("scoring.approve")
def reopen_sheet(sheet_id: int):
    """The manager reopens an approved sheet with a reason."""
    return _act(sheet_id, ReopenForm, workflow.reopen,
                N_("Sheet reopened; the supervisor can correct it."), reason=True)


# --- a month ------------------------------------------------------------------------------


def _month_context(year: int, month: int) -> dict:
    sheets = month_sheets(year, month)
    today = clock.today()
    return {"year": year, "month": month, "sheets": sheets, "ranks": ranks(sheets),
            "payday": deadline.payday(year, month, payday_day()),
            "due": deadline.due_date(year, month, payday_day()),
            "days_left": deadline.days_left(year, month, today, payday_day()),
            "open_appeal_sheets": {a.sheet_id for a in appeals.open_appeals()}}


@bp.route("/<int:year>/<int:month>/status")
@require("scoring.overview")
def month_status(year: int, month: int):
    """The month's sheets by state, the deadline, submit all / approve all."""
    month_or_404(year, month)
    return render(MONTH_PAGE, block="month_status", **_month_context(year, month))


class BlockAnswer:
    """A page's block answers an action in place, with the message (``<note>_message``,
    ``<note>_ok``) and ``events`` when done; without JavaScript the whole page. The month's
    status and the staff member's own sheet answer this way."""

    def __init__(self, template: str, block: str, context, note: str, *, back: str,
                 events: tuple[str, ...] = (), conflict_text=None) -> None:
        self.template, self.block, self.context, self.note = template, block, context, note
        self.back, self.events, self.conflict_text = back, events, conflict_text

    def _block(self, message: str, ok: bool):
        context = self.context()
        if not is_fragment_request():
            flash(message, "error")
            return render(self.template, **context)
        return render(self.template, block=self.block, **context,
                      **{f"{self.note}_message": message, f"{self.note}_ok": ok})

    def done(self, result, message: str):
        response = self._block(message, True)
        return trigger(response, *self.events) if self.events else response

    def refused(self, form, message):
        return self._block(_said(form, message), False)

    def conflict(self, form, message: str):
        return self._block(str(self.conflict_text or message), False)

    def location(self, result) -> str:
        return self.back


def _month_act(year: int, month: int, step, done_message):
    month_or_404(year, month)
    answer = BlockAnswer(
        MONTH_PAGE, "month_status", lambda: _month_context(year, month), "month",
        back=url_for("scoring.month_status", year=year, month=month), events=(SHEET_EVENT,),
        conflict_text=_l("Someone else changed a sheet of this month first. This is the "
                         "current state; check it and try again."))
    return actions.run(lambda: step(current_user, year, month), form=MonthActionForm(),
                       answer=answer, done=done_message)


@bp.route("/<int:year>/<int:month>/submit-all", methods=["POST"])
@require("scoring.record")
def submit_all(year: int, month: int):
    """The supervisor submits every draft or returned sheet of the month."""
    return _month_act(year, month, workflow.submit_all,
                      lambda sheets: _("%(count)d sheets submitted to the manager.",
                                       count=len(sheets)))


def _approved_message(result) -> str:
    approved, skipped = result
    message = _("%(count)d sheets approved.", count=len(approved))
    if skipped:
        message += " " + _("%(count)d left submitted: they have an open appeal (%(names)s).",
                           count=len(skipped),
                           names=", ".join(s.user.display_name for s in skipped))
    return message


@bp.route("/<int:year>/<int:month>/approve-all", methods=["POST"])
@require("scoring.approve")
def approve_all(year: int, month: int):
    """The manager approves every submitted sheet of the month (not those with an open appeal)."""
    return _month_act(year, month, workflow.approve_all, _approved_message)


# --- my own sheets (staff) ----------------------------------------------------------------


def _my_months(today: date) -> list[tuple[int, int, ScoreSheet | None]]:
    """(year, month, sheet) for each month the user has a sheet, and the current month."""
    import sqlalchemy as sa

    sheets = {(s.year, s.month): s for s in db.session.scalars(
        sa.select(ScoreSheet).where(ScoreSheet.user_id == current_user.id))}
    keys = set(sheets) | {(today.year, today.month)}
    return [(y, m, sheets.get((y, m))) for y, m in sorted(keys, reverse=True)]


def _my_context(year: int, month: int) -> dict:
    sheet = find_sheet(current_user.id, year, month)
    today = clock.today()
    return {"year": year, "month": month, "sheet": sheet, "months": _my_months(today),
            "entries": _entries(sheet) if sheet else [],
            "appeals_by_entry": appeals.by_entry(sheet) if sheet else {}}


@bp.route("/my")
@require("scoring.own")
def my_current():
    """My score sheet of the current month."""
    today = clock.today()
    return render(MY_PAGE, block="my_sheet", **_my_context(today.year, today.month))


@bp.route("/my/<int:year>/<int:month>")
@require("scoring.own")
def my_month(year: int, month: int):
    """My score sheet of a month, read-only."""
    month_or_404(year, month)
    return render(MY_PAGE, block="my_sheet", **_my_context(year, month))


@bp.route("/my/<int:year>/<int:month>/acknowledge", methods=["POST"])
@require("scoring.own")
def my_acknowledge(year: int, month: int):
    """I confirm I have read my sheet."""
    sheet = find_sheet(current_user.id, year, month)
    if sheet is None:
        abort(404)
    answer = BlockAnswer(MY_PAGE, "my_sheet", lambda: _my_context(year, month), "my",
                         back=url_for("scoring.my_month", year=year, month=month))
    return actions.run(lambda: workflow.acknowledge(current_user, sheet),
                       form=AcknowledgeForm(), answer=answer,
                       done=_l("You acknowledged your sheet."))


class AppealAnswer:
    """An entry's appeals answer a step on them in place (``_entry_appeal.html``): the
    appeal as it is now, and on a refusal or a conflict the form sent (``form_name``) as
    typed. Without JavaScript: ``page()`` with the message, or ``back`` when done."""

    def __init__(self, entry: ScoreEntry, *, form_name: str, events: tuple[str, ...],
                 page, back: str) -> None:
        self.entry, self.form_name, self.events = entry, form_name, events
        self.page, self.back = page, back

    def _appeals(self, message: str, ok: bool, form=None):
        sheet = db.session.get(ScoreSheet, self.entry.sheet_id)
        return _fragment(APPEAL, entry=self.entry, sheet=sheet,
                         appeals_by_entry=appeals.by_entry(sheet), appeal_message=message,
                         appeal_ok=ok, **({self.form_name: form} if form is not None else {}))

    def done(self, result, message: str):
        return trigger(self._appeals(message, True), *self.events)

    def refused(self, form, message):
        return self._refusal(form, _said(form, message))

    def conflict(self, form, message: str):
        return self._refusal(form, _("Someone else answered this appeal or changed the sheet "
                                     "first. This is the current state."))

    def _refusal(self, form, message: str):
        if not is_fragment_request():
            flash(message, "error")
            return self.page()
        return self._appeals(message, False, form)

    def location(self, result) -> str:
        return self.back


@bp.route("/my/entries/<int:entry_id>/appeal", methods=["POST"])
@require("scoring.own")
def my_appeal(entry_id: int):
    """I appeal an entry of my own sheet (anyone else's: an audited 403)."""
    entry = db.get_or_404(ScoreEntry, entry_id)
    sheet = db.session.get(ScoreSheet, entry.sheet_id)
    form = AppealForm()
    answer = AppealAnswer(entry, form_name="appeal_form", events=(APPEALS_EVENT,),
                          page=lambda: render(MY_PAGE, **_my_context(sheet.year, sheet.month)),
                          back=url_for("scoring.my_month", year=sheet.year, month=sheet.month))
    return actions.run(lambda: appeals.file_appeal(current_user, entry, form.comment.data),
                       form=form, answer=answer, done=_l("Your appeal went to the supervisor."))


# --- appeals (supervisor) -----------------------------------------------------------------


def _appeals_context() -> dict:
    open_ = appeals.open_appeals()
    sheets = {a.sheet_id: db.session.get(ScoreSheet, a.sheet_id) for a in open_}
    by_entry: dict[int, list[Appeal]] = {}
    for appeal in open_:
        by_entry.setdefault(appeal.entry_id, []).append(appeal)
    return {"open_appeals": open_, "sheets": sheets, "appeals_by_entry": by_entry,
            "answered": appeals.recent_answered()}


@bp.route("/appeals", endpoint="appeals")
@require("scoring.record")
def appeals_index():
    """Open appeals to answer, and the latest answers."""
    return render(APPEALS_PAGE, block="appeal_list", **_appeals_context())


@bp.route("/appeals/<int:appeal_id>/answer", methods=["POST"])
@require("scoring.record")
def answer_appeal(appeal_id: int):
    """The supervisor answers an appeal: keep, change or remove the entry."""
    appeal = db.get_or_404(Appeal, appeal_id)
    entry = db.session.get(ScoreEntry, appeal.entry_id)
    form = AnswerForm()
    answer = AppealAnswer(entry, form_name="answer_form", events=(APPEALS_EVENT, SHEET_EVENT),
                          page=lambda: render(APPEALS_PAGE, **_appeals_context()),
                          back=_safe_next(request.form.get("next"), url_for("scoring.appeals")))
    return actions.run(
        lambda: appeals.answer_appeal(current_user, appeal, form.version.data, form.outcome.data,
                                      form.answer.data, form.points.data, form.reason.data),
        form=form, answer=answer, subject=appeal,
        done=lambda _result: _("Answer sent to %(name)s.", name=appeal.user.display_name))


@bp.route("/appeals/badge")
@require("scoring.record")
@cheap_poll("score_appeals")
def appeals_badge():
    """How many appeals wait for an answer: the nav badge."""
    count = appeals.open_count()
    response = make_response(str(count) if count else "")
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.vary.add("HX-Request")
    return response


# --- Today cards --------------------------------------------------------------------------


def _overdue(today: date) -> list[ScoreSheet]:
    """Sheets still draft or returned whose due date has passed."""
    import sqlalchemy as sa

    pending = deadline.pending_month(today, payday_day())
    return list(db.session.scalars(
        sa.select(ScoreSheet).where(ScoreSheet.status.in_(workflow.TO_SUBMIT),
                                    ScoreSheet.year * 12 + ScoreSheet.month
                                    < pending.year * 12 + pending.month)
        .order_by(ScoreSheet.year, ScoreSheet.month, ScoreSheet.id)))


def supervisor_card(user) -> dict:
    """The month to submit next: days left, sheets still draft or returned; overdue sheets."""
    import sqlalchemy as sa

    today = clock.today()
    pending = deadline.pending_month(today, payday_day())
    to_submit = list(db.session.scalars(sa.select(ScoreSheet).where(
        ScoreSheet.year == pending.year, ScoreSheet.month == pending.month,
        ScoreSheet.status.in_(workflow.TO_SUBMIT)).order_by(ScoreSheet.id)))
    return {"pending": pending, "to_submit": to_submit, "overdue": _overdue(today),
            "open_appeals": appeals.open_count()}


def manager_card(user) -> dict:
    """Sheets waiting for approval, and overdue sheets."""
    import sqlalchemy as sa

    today = clock.today()
    waiting = list(db.session.scalars(sa.select(ScoreSheet).where(
        ScoreSheet.status == "submitted").order_by(ScoreSheet.year, ScoreSheet.month,
                                                   ScoreSheet.id)))
    return {"pending": deadline.pending_month(today, payday_day()), "waiting": waiting,
            "overdue": _overdue(today)}


_sheet_namer = namer(ScoreSheet, User.display_name, ScoreSheet.year, ScoreSheet.month,
                     joins=[(User, User.id == ScoreSheet.user_id)],
                     fmt=lambda sid, name, y, m: f"{name} {y}-{m:02d}")
_appeal_namer = namer(Appeal, User.display_name, ScoreEntry.day,
                      joins=[(User, User.id == Appeal.user_id),
                             (ScoreEntry, ScoreEntry.id == Appeal.entry_id)],
                      fmt=lambda aid, name, day: f"{name} {day.isoformat()}")


def register(app) -> None:
    """Navigation (My score sheet, Appeals with its badge), Today cards, audit labels."""
    from portal.ui import (
        Card,
        NavItem,
        audit_labels,
        register_audit,
        register_card,
        register_nav,
    )

    register_nav(app, NavItem("scoring.my_current", _l("My score sheet"), "scoring.own",
                              order=50, active_prefix="scoring.my_"))
    register_nav(app, NavItem("scoring.appeals", _l("Appeals"), "scoring.record",
                              order=51, active_prefix=("scoring.appeals", "scoring.answer_appeal"),
                              badge_endpoint="scoring.appeals_badge",
                              badge_event=APPEALS_EVENT))
    register_card(app, Card("scoring-deadline", _l("Score sheets due"), "scoring.record",
                            "scoring/workflow/_card_supervisor.html", supervisor_card,
                            order=50, stylesheet="css/scoring-workflow.css"))
    register_card(app, Card("scoring-approval", _l("Score sheets to approve"),
                            "scoring.approve", "scoring/workflow/_card_manager.html",
                            manager_card, order=50, stylesheet="css/scoring-workflow.css"))
    app.jinja_env.globals["sheet_status_labels"] = workflow.STATUS_LABELS
    app.jinja_env.globals["sheet_event_labels"] = workflow.EVENT_LABELS
    app.jinja_env.globals["appeal_status_labels"] = appeals.STATUS_LABELS
    app.jinja_env.globals["sheet_open_appeals"] = workflow.open_appeal_count
    app.jinja_env.globals["sheet_events"] = workflow.events_of
    app.jinja_env.globals["sheet_revisions"] = sheet_revisions
    register_audit(app, actions={
        "scoring.sheet_submitted": N_("Score sheet submitted"),
        "scoring.sheet_approved": N_("Score sheet approved"),
        "scoring.sheet_returned": N_("Score sheet returned"),
        "scoring.sheet_reopened": N_("Score sheet reopened"),
        "scoring.sheet_acknowledged": N_("Score sheet acknowledged"),
        "scoring.appeal_filed": N_("Appeal filed"),
        "scoring.appeal_answered": N_("Appeal answered"),
        "scoring.entry_changed": N_("Score entry changed"),
        "scoring.entry_removed": N_("Score entry removed"),
    }, fields={
        "status": N_("Status"), "comment": N_("Comment"), "answer": N_("Answer"),
        "acknowledged_at": N_("Acknowledged"), "points": N_("Points"), "reason": N_("Reason"),
        "removed_at": N_("Removed"),
    }, target=("score_sheets", N_("Score sheet"), _sheet_namer))
    # a status code another area named first keeps its label (as a field keeps its name)
    taken = audit_labels(app).values.get("status", {})
    register_audit(app, values={"status": {
        code: label for code, label in {**workflow.STATUS_LABELS, **appeals.STATUS_LABELS}.items()
        if code not in taken}}, target=("score_appeals", N_("Score sheet appeal"), _appeal_namer))
