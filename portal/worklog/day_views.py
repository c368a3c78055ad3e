"""My day (/worklog/): the one-line form, today's lines edited in place, earlier days'
lines corrected with the earlier text kept; the supervisor and the manager read any agent's
day (``?user=<id>``).

Adding a line answers the emptied form (its question field focused) with the new line put
at the top of the list and the day's counts out of band: one INSERT, a small fragment.
"""

from datetime import date, timedelta

from flask import abort, make_response, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2_fragments.flask import render_block

from portal import actions, clock
from portal.audit.services import namer
from portal.auth.decorators import refuse, require
from portal.auth.models import User
from portal.extensions import db
from portal.forms import INT_MAX, record_id
from portal.i18n import N_
from portal.web import is_fragment_request, render, trigger
from portal.worklog import bp
from portal.worklog import services as svc
from portal.worklog.forms import LineCorrectForm, LineEditForm, LineForm
from portal.worklog.models import WorkLine

TEMPLATE = "worklog/day.html"
LINE = "worklog/_line.html"
ADDED = "worklog/_added.html"
EVENT = "worklog-changed"


def _category_choices(form, keep=None) -> None:
    listed = svc.categories(active_only=False)
    form.category.choices = [(str(c.id), c.local_name) for c in listed
                             if c.active or c.id == keep]
    form._categories = {c.id for c in listed if c.active or c.id == keep}


def _blank_form(category_id: int | None = None) -> LineForm:
    form = LineForm(formdata=None)
    _category_choices(form)
    if category_id:
        form.category.data = category_id
    customer = record_id(request.args.get("customer"))
    form.customer.data = customer or ""
    return form


def day_arg() -> date:
    """``?day=YYYY-MM-DD`` (department date), today by default; a bad one is a 400."""
    raw = request.args.get("day", "")
    if not raw:
        return clock.today()
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        abort(400)
    if not 2000 <= day.year <= 2200:
        abort(400)
    return day


def _person() -> User:
    """Whose day: ``?user=<id>`` needs oversight unless it is one's own."""
    raw = request.args.get("user")
    if raw in (None, ""):
        if not current_user.can("worklog.own"):
            refuse("worklog.own")
        return current_user._get_current_object()
    ident = record_id(raw)
    if ident is None:
        abort(404)
    if ident != current_user.id and not current_user.can("worklog.oversee"):
        refuse("worklog.oversee")
    if ident == current_user.id and not current_user.can("worklog.own"):
        refuse("worklog.own")
    return db.get_or_404(User, ident)


def _day_context(person: User, day: date, form=None) -> dict:
    lines = svc.day_lines(person.id, day)
    own = person.id == current_user.id and current_user.can("worklog.own")
    today = clock.today()
    if own and day == today and form is None:
        form = _blank_form()
    return {"person": person, "day": day, "today": today, "lines": lines, "own": own,
            "form": form if own and day == today else None,
            "corrections": svc.corrections_of(line.id for line in lines if line.corrections),
            "orders": svc.order_numbers(lines),
            "resolved_count": sum(1 for line in lines if line.resolved),
            "prev_day": day - timedelta(days=1),
            "next_day": day + timedelta(days=1) if day < today else None}


@bp.route("/", endpoint="day")
@require("home.view")  # one's own day: worklog.own; another's: worklog.oversee (checked below)
def day_page():
    """A person's work record of a day: the quick form on one's own today, the lines."""
    if request.args.get("user") in (None, "") and not current_user.can("worklog.own") \
            and current_user.can("worklog.oversee"):
        return redirect(url_for("worklog.team", day=request.args.get("day") or None), 303)
    person = _person()
    return render(TEMPLATE, block="day_lines", **_day_context(person, day_arg()))


def _line_input(form, line: WorkLine | None = None) -> svc.LineInput:
    category = form.category.data
    if category is not None and category not in getattr(form, "_categories", set()):
        category = -1  # outside the list: the service refuses it with its message
    customer = form.customer.data or None
    if line is not None and customer is None:
        customer = line.customer_id
    return svc.LineInput(category_id=category, question=form.question.data or "",
                         answer=form.answer.data or "", resolved=bool(form.resolved.data),
                         order_no=form.order_no.data, customer_id=customer)


class AddAnswer:
    """The emptied form (focused again, the category kept) and the new line at the top."""

    def done(self, line: WorkLine, message: str):
        today = clock.today()
        count, resolved = svc.day_counts(current_user.id, today)
        orders = {line.order_id: (request.form.get("order_no") or "").strip()} \
            if line.order_id else {}
        body = render_block(TEMPLATE, "line_form", form=_blank_form(line.category_id),
                            today=today) + \
            render_template(ADDED, line=line, own=True, today=today, message=message,
                            count=count, resolved_count=resolved, corrections={},
                            orders=orders)
        response = make_response(body)
        response.vary.add("HX-Request")
        return trigger(response, EVENT)

    def refused(self, form, message):
        if not is_fragment_request():
            return render(TEMPLATE, **_day_context(current_user, clock.today(), form=form))
        return render(TEMPLATE, block="line_form", form=form, form_message=message,
                      today=clock.today())

    conflict = refused

    def location(self, line) -> str:
        return url_for("worklog.day")


@bp.route("/lines", methods=["POST"], endpoint="add")
@require("worklog.own")
def add():
    """Add one question to today's record (R-C4)."""
    form = LineForm()
    _category_choices(form)
    return actions.run(lambda: svc.add_line(current_user, _line_input(form)), form=form,
                       answer=AddAnswer(), done=_l("Written down."))


class LineAnswer:
    """A line answers its edits and corrections in place; without JavaScript, its day."""

    def __init__(self, line: WorkLine, mode: str) -> None:
        self.line, self.mode = line, mode

    def _page(self, form=None, status_form=None):
        return render(TEMPLATE, **_day_context(current_user, self.line.day))

    def done(self, line: WorkLine, message: str):
        return trigger(_line_response(line, message=message), EVENT)

    def refused(self, form, message):
        if not is_fragment_request():
            return self._page()
        return _line_response(self.line, form=form, mode=self.mode, message=message)

    def conflict(self, form, message):
        if not is_fragment_request():
            return self._page()
        return _line_response(self.line, form=form, mode=self.mode, message=message,
                              conflict=True)

    def location(self, line) -> str:
        return url_for("worklog.day", day=line.day.isoformat())


def _line_response(line: WorkLine, *, form=None, mode=None, message=None, conflict=False):
    return render(LINE, line=line, line_form=form, mode=mode, line_message=message,
                  conflict=conflict, own=line.user_id == current_user.id, today=clock.today(),
                  corrections=svc.corrections_of([line.id]) if line.corrections else {},
                  orders=svc.order_numbers([line]))


def _line_or_404(line_id: int) -> WorkLine:
    if not 0 < line_id <= INT_MAX:
        abort(404)
    return db.get_or_404(WorkLine, line_id)


def _filled(form, line: WorkLine) -> None:
    form.category.data = line.category_id
    form.question.data, form.answer.data = line.question, line.answer
    form.resolved.data = line.resolved
    form.version.data = line.version
    form.customer.data = line.customer_id or ""
    if line.order_id:
        form.order_no.data = svc.order_numbers([line]).get(line.order_id, "")


@bp.route("/lines/<int:line_id>", endpoint="line")
@require("home.view")
def line_view(line_id: int):
    """One line as shown in its day (the edit's "Cancel")."""
    line = _line_or_404(line_id)
    if line.user_id != current_user.id and not current_user.can("worklog.oversee"):
        refuse("worklog.oversee")
    if not is_fragment_request():
        return redirect(url_for("worklog.day", day=line.day.isoformat(),
                                user=None if line.user_id == current_user.id else line.user_id))
    return _line_response(line)


def _change(line_id: int, mode: str):
    line = _line_or_404(line_id)
    if line.user_id != current_user.id:
        refuse("worklog.own")
    form_class = LineEditForm if mode == "edit" else LineCorrectForm
    if request.method == "GET":
        form = form_class(formdata=None)
        _category_choices(form, keep=line.category_id)
        _filled(form, line)
        if not is_fragment_request():
            return render(TEMPLATE, **_day_context(current_user, line.day)
                          | {"editing": (line.id, form, mode)})
        return _line_response(line, form=form, mode=mode)
    form = form_class()
    _category_choices(form, keep=line.category_id)
    if mode == "edit":
        work = lambda: svc.edit_line(current_user, line, _line_input(form, line),  # noqa: E731
                                     form.version.data)
        done = _l("Saved.")
    else:
        work = lambda: svc.correct_line(current_user, line, _line_input(form, line),  # noqa: E731
                                        form.reason.data or "", form.version.data)
        done = _l("Correction saved; the earlier text is kept.")
    return actions.run(work, form=form, answer=LineAnswer(line, mode), done=done, subject=line)


@bp.route("/lines/<int:line_id>/edit", methods=["GET", "POST"], endpoint="edit")
@require("worklog.own")
def edit(line_id: int):
    """Edit a line of today in place (version-checked)."""
    return _change(line_id, "edit")


@bp.route("/lines/<int:line_id>/correct", methods=["GET", "POST"], endpoint="correct")
@require("worklog.own")
def correct(line_id: int):
    """Correct a line of an earlier day; the earlier text is kept and shown."""
    return _change(line_id, "correct")


# --- navigation, cards, links, reminders, audit ----------------------------------------------

_audit_names = namer(WorkLine, WorkLine.day, WorkLine.question,
                     fmt=lambda ident, day, text: f"{day.isoformat()} {text[:30]}")


def register(app) -> None:
    """My day in the navigation, the agent's Today card, the score-sheet link source, the
    month overview's column, the reminder kind and the audit words."""
    from portal.ui import (
        Card,
        LinkSource,
        NavItem,
        OverviewColumn,
        ReminderKind,
        register_audit,
        register_card,
        register_link_source,
        register_nav,
        register_overview_column,
        register_reminder,
    )

    register_nav(app, NavItem("worklog.day", _l("My work record"), "worklog.own", order=60,
                              active_prefix=("worklog.day", "worklog.add", "worklog.edit",
                                             "worklog.correct", "worklog.line")))
    register_card(app, Card("worklog-mine", _l("My work record today"), "worklog.own",
                            "worklog/_card_agent.html", svc.agent_card, order=35,
                            stylesheet="css/worklog.css", events=(EVENT,)))
    register_link_source(app, "work_day", LinkSource(
        N_("Daily work record"), svc.link_query, svc.link_text, svc.link_url))
    register_overview_column(app, OverviewColumn(
        "worklog", N_("Work record (resolved)"), svc.month_cell))
    register_reminder(app, ReminderKind(
        "worklog.not_written", N_("Work record not written"),
        N_("To an agent who has written no line of the work record an hour into their "
           "shift."), svc.late_records, order=80))
    register_audit(
        app,
        actions={
            "worklog.corrected": N_("Work record line corrected"),
            "worklog.category_added": N_("Question category added"),
            "worklog.category_changed": N_("Question category changed"),
        },
        fields={"question": N_("Question"), "answer": N_("Answer given"),
                "resolved": N_("Resolved"), "category_id": N_("Category"),
                "names": N_("Names"), "position": N_("Order"), "active": N_("Active"),
                "name": N_("Name")},
        target=("work_lines", N_("Work record line"), _audit_names),
    )
    app.jinja_env.globals.setdefault("worklog_event", EVENT)

