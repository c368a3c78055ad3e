"""The complaints' monthly analysis (R-C3): the page with its chart, the print view, the
workbook, the supervisor's comment, sending it to the manager and reopening it; the
supervisor's Today card at month end and the reminder when it is not sent."""

from flask import Response, abort, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from portal import actions
from portal.auth.decorators import require
from portal.complaints import analysis as svc
from portal.complaints import bp
from portal.complaints.analysis_forms import CommentForm, MonthVersionForm
from portal.complaints.models import CHANNELS, SATISFACTION, SEVERITIES
from portal.i18n import N_
from portal.web import render

PAGE = "complaints/analysis.html"
PRINT = "complaints/analysis_print.html"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _month_arg(strict: bool) -> tuple[tuple[int, int], str | None]:
    """The month asked for (``?month=2026-11``), else the one due; a month that is not one is
    a 404 when ``strict``, else the month due with a message saying so."""
    text = request.args.get("month")
    if not text:
        return svc.default_month(), None
    month = svc.parse_month(text)
    if month is not None:
        return month, None
    if strict:
        abort(404)
    fallback = svc.default_month()
    return fallback, _("“%(text)s” is not a month (write it as 2026-11); this is %(month)s.",
                       text=text[:20], month=svc.label(*fallback))


def _month_path(text: str) -> tuple[int, int]:
    month = svc.parse_month(text)
    if month is None:
        abort(404)
    return month


def vocab() -> dict:
    return {"severities": SEVERITIES, "channels": CHANNELS, "satisfaction": SATISFACTION,
            "owner_name": svc.owner_name, "platform_name": svc.platform_name}


def _context(year: int, month: int) -> dict:
    data = svc.analyse(year, month)
    return {"analysis": data, "chart": svc.chart_svg(data),
            "previous": svc.label(*svc.shift(year, month, -1)),
            "following": svc.label(*svc.shift(year, month, 1)),
            "repeat_days": svc.REPEAT_DAYS, **vocab()}


def _comment_form(data) -> CommentForm:
    form = CommentForm(formdata=None)
    form.version.data = data.version
    form.comment.data = data.record.comment if data.record else ""
    return form


@bp.route("/analysis")
@require("complaints.analysis")
def analysis():
    """R-C3: the month's complaints analysed for the general manager (?month=2026-11)."""
    (year, month), notice = _month_arg(strict=False)
    context = _context(year, month)
    data = context["analysis"]
    # always the whole page: a month's figures are 11 KB, over a fragment's 5 KB budget, so
    # the month links are plain links
    return render(PAGE, notice=notice, comment_form=_comment_form(data),
                  record=data.record, month_label=data.label, status=400 if notice else 200,
                  **context)


@bp.route("/analysis/print")
@require("complaints.analysis")
def analysis_print():
    """The month's analysis laid out for printing (A4)."""
    (year, month), _notice = _month_arg(strict=True)
    return render(PRINT, **_context(year, month))


@bp.route("/analysis.xlsx")
@require("complaints.analysis")
def analysis_xlsx():
    """The month's analysis as an .xlsx workbook (values only, never a formula)."""
    (year, month), _notice = _month_arg(strict=True)
    data = svc.analyse(year, month)
    response = Response(svc.export_xlsx(data), mimetype=XLSX)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="complaint-analysis-{data.label}.xlsx"')
    return response


class CommentAnswer:
    """The comment part of the page answers the change: the record as it is, the form as
    typed after a refusal or a conflict (with the current version)."""

    def __init__(self, year: int, month: int) -> None:
        self.year, self.month = year, month

    def _part(self, *, form=None, message: str | None = None, error: bool = False):
        record = svc.month_record(self.year, self.month)
        if form is None:
            form = CommentForm(formdata=None)
            form.version.data = record.version if record else 0
            form.comment.data = record.comment if record else ""
        return render(PAGE, block="analysis_comment", record=record, comment_form=form,
                      month_label=svc.label(self.year, self.month), comment_message=message,
                      comment_error=error)

    def done(self, result, message: str):
        return self._part(message=message)

    def refused(self, form, message):
        if form is None or "comment" not in form:
            form = None
        return self._part(form=form, message=message, error=True)

    def conflict(self, form, message: str):
        if form is not None and "comment" in form:
            record = svc.month_record(self.year, self.month)
            form.version.data = record.version if record else 0
            form.version.raw_data = [str(form.version.data)]
        else:
            form = None
        return self._part(form=form, message=message, error=True)

    def location(self, result) -> str:
        return url_for("complaints.analysis", month=svc.label(self.year, self.month),
                       _anchor="analysis-comment")


def _with_comment(month_text: str, work, done):
    """Run ``work(user, year, month, version, comment)`` with the comment form as typed."""
    year, month = _month_path(month_text)
    form = CommentForm()
    return actions.run(
        lambda: work(current_user, year, month, form.version.data, form.comment.data),
        form=form, answer=CommentAnswer(year, month), subject=svc.month_record(year, month),
        done=done, conflicts=(IntegrityError,))


@bp.route("/analysis/<month_text>/comment", methods=["POST"])
@require("complaints.report")
def analysis_comment(month_text: str):
    """Save the supervisor's comment on the month's analysis."""
    return _with_comment(month_text, svc.save_comment, _l("The comment was saved."))


@bp.route("/analysis/<month_text>/send", methods=["POST"])
@require("complaints.report")
def analysis_send(month_text: str):
    """Send the month's analysis, with the comment as typed, to the manager."""
    return _with_comment(month_text, svc.send, _l("The analysis was sent to the manager."))


@bp.route("/analysis/<month_text>/reopen", methods=["POST"])
@require("complaints.report")
def analysis_reopen(month_text: str):
    """Take a sent analysis back to change its comment; it is sent again afterwards."""
    year, month = _month_path(month_text)
    form = MonthVersionForm()
    return actions.run(
        lambda: svc.reopen(current_user, year, month, form.version.data),
        form=form, answer=CommentAnswer(year, month), subject=svc.month_record(year, month),
        done=_l("The analysis was reopened: change the comment and send it again."))


# --- navigation, card, reminder, audit ----------------------------------------------------------


def register(app) -> None:
    """The analysis' navigation entry, the supervisor's month-end card, its reminder and its
    audit words."""
    from portal.ui import (
        Card,
        NavItem,
        ReminderKind,
        register_audit,
        register_card,
        register_nav,
        register_reminder,
    )

    register_nav(app, NavItem("complaints.analysis", _l("Complaint analysis"),
                              "complaints.analysis", order=57,
                              active_prefix=("complaints.analysis",)))
    register_card(app, Card("complaints-analysis", _l("Monthly complaint analysis"),
                            "complaints.report", "complaints/analysis_card.html",
                            svc.card_context, order=66,
                            stylesheet="css/complaints-analysis.css"))
    register_reminder(app, ReminderKind("complaints_analysis", N_(
        "Complaint analysis not sent"), N_(
        "09:00 on the third last day of the month, and again on the 1st, while the month's "
        "complaint analysis is not sent to the manager, to the supervisor."),
        svc.unsent_reminders, order=85))
    register_audit(app, actions={
        "complaints.analysis_commented": N_("Complaint analysis: comment"),
        "complaints.analysis_sent": N_("Complaint analysis sent to the manager"),
        "complaints.analysis_reopened": N_("Complaint analysis reopened"),
    }, fields={"comment": N_("Comment"), "sent_at": N_("Sent")})
