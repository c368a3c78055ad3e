"""The after-sales case pages: the lists (my cases, unassigned, all) with their filters, a new
case (from an order, or on a typed order number), one case with its actions in place —
assign, a step of the workflow, a note, a photo, the photos' check, freight, interception —
the evidence photos and their thumbnails, and the two-part return slip. Every action runs
through the action runner (``portal.actions.run``); what it answers is a ``CardAnswer``.

A case's card (block ``case_card``) is made of blocks, one per panel; an action answers the
block it was sent from — 200 after the change with its message, 422 with the messages
(nothing changed) — and, out of band, only what else it changed: a note the new event (and
the head when it answered the first-response clock), a step the head, the facts and the
event, and every change the case's new version for the card's other forms. A conflict
(someone else changed the case first) answers 409 with the whole card as it is now, the form
that was sent kept as typed (its version moved to the current one).
"""

from contextlib import contextmanager
from functools import cached_property

import sqlalchemy as sa
from flask import abort, flash, make_response, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2_fragments.flask import render_block
from sqlalchemy.orm import defaultload

from portal import actions, clock
from portal.aftersales import bp, evidence, replies, sla
from portal.aftersales import cases as svc
from portal.aftersales.case_forms import (
    ActionForm,
    AssignForm,
    CaseFilterForm,
    CaseForm,
    ConfirmForm,
    CustomerReplyForm,
    DetailsForm,
    FreightForm,
    HidePhotoForm,
    InterceptionForm,
    NoteForm,
    OrderPickForm,
    PhotoForm,
    StateForm,
)
from portal.aftersales.models import AfterSalesCase, CaseEvent, CasePhoto
from portal.audit.services import namer
from portal.auth.decorators import require
from portal.extensions import db
from portal.forms import choices, record_id
from portal.i18n import N_
from portal.orders import orders as order_svc
from portal.orders.models import Order
from portal.orders.orders import PLATFORMS, STAGES
from portal.paging import keyset_page
from portal.rules import RuleError
from portal.web import is_fragment_request, page_args, redirect_htmx_aware, render, trigger

LIST = "aftersales/cases/index.html"
NEW = "aftersales/cases/new.html"
DETAIL = "aftersales/cases/detail.html"
SLIP = "aftersales/cases/slip.html"
EVENTS = "aftersales/cases/events.html"
ANSWERS = "aftersales/cases/_answers.html"  # what an action answers besides DETAIL's blocks
ANSWER_BLOCKS = frozenset({"new_events", "new_thumb", "photo_thumb", "photo_gone", "new_hidden",
                           "version_stamp"})
CHANGED = "aftersales-changed"  # HX-Trigger: badges and lists that follow a case
LIST_ARGS = ("view", "type", "state", "assignee", "sla", "date_from", "date_to", "order_no",
             "tracking")
CHANGED_FIRST = N_("Someone else changed this case first. This is its current state; check it "
                   "and try again.")
PER_PAGE = 50  # rows of a case list page
ROWS_FETCHED = 8  # rows of an htmx answer (a filter as one types, each "show more")
EVENTS_SHOWN = 10  # the card shows the latest events; "show earlier" loads the rest
EVENTS_PAGE = 50


def vocab() -> dict:
    """The after-sales words, for every case template."""
    return {"order_stages": STAGES, "step_actions": svc.STEP_ACTIONS, "types": svc.TYPES,
            "states": svc.STATES, "categories": svc.CATEGORIES,
            "problems": svc.LOGISTICS_PROBLEMS, "interceptions": svc.INTERCEPTION_STATES,
            "platform_statuses": svc.PLATFORM_STATUSES, "event_kinds": svc.EVENT_KINDS,
            "system_texts": svc.SYSTEM_TEXTS, "detail_labels": svc.DETAIL_LABELS,
            "platforms": PLATFORMS, "sla_status": sla.status}


def names() -> dict:
    """The after-sales words translated once for a list (not once per row)."""
    def translated(table: dict) -> dict:
        return {code: _(label) for code, label in table.items()}

    return {"types": translated(svc.TYPES), "states": translated(svc.STATES),
            "problems": translated(svc.LOGISTICS_PROBLEMS), "platforms": translated(PLATFORMS),
            "platform_statuses": translated(svc.PLATFORM_STATUSES),
            "unassigned": _("— unassigned —")}


def rule_message(error: RuleError) -> str:
    """A rule's message in the reader's language (state codes in it named)."""
    params = {key: (_(svc.STATES[value]) if key in ("from_state", "to_state")
                    and value in svc.STATES else value)
              for key, value in error.params.items()}
    return _(error.message, **params)



# --- the lists -------------------------------------------------------------------------------


def _agent_choices(blank):
    return choices([("", blank)] + [(str(u.id), u.display_name) for u in svc.agents()])


@bp.route("/")
@require("aftersales.view")
def index():
    """The case lists: my cases (agents' default), unassigned, all; filtered by kind, state,
    agent, dates, SLA, order and tracking number; newest first, page by page (a filter's
    htmx answer: its first rows, then "show more")."""
    return _case_list("case_results")


@bp.route("/rows")
@require("aftersales.view")
def index_rows():
    """The next rows of a case list (its "show more" row), in the same filters."""
    return _case_list("case_rows")


def _case_list(block: str):
    form = CaseFilterForm()
    fragment = is_fragment_request()
    # the agents' names only where the filter form is drawn (not in an htmx answer)
    form.assignee.choices = [] if fragment else _agent_choices(_l("Any agent"))
    valid = form.validate()
    if valid and form.date_from.data and form.date_to.data \
            and form.date_from.data > form.date_to.data:
        form.date_to.errors = [_("The end date is before the start date.")]
        valid = False
    default_view = "mine" if current_user.can("aftersales.work") else "all"
    view = form.view.data if form.view.data in ("mine", "unassigned", "all") else default_view
    if view == "mine" and not current_user.can("aftersales.work"):
        view = "all"
    data = {name: form[name].data if valid else None
            for name in ("type", "state", "assignee", "sla", "date_from", "date_to",
                         "order_no", "tracking")}
    assignee = data["assignee"]
    query = svc.search(
        current_user, view=view, type=data["type"] if data["type"] in svc.TYPES else None,
        state=data["state"] or None,
        assignee_id=int(assignee) if assignee and str(assignee).isdigit() else None,
        date_from=data["date_from"], date_to=data["date_to"],
        sla_kind=data["sla"] if data["sla"] in ("breached", "soon", "paused") else None,
        order_no=data["order_no"], tracking=data["tracking"])
    page = keyset_page(query, (AfterSalesCase.created_at, AfterSalesCase.id),
                       before=request.args.get("before"),
                       after=None if fragment else request.args.get("after"),
                       per_page=ROWS_FETCHED if fragment else PER_PAGE)
    args = page_args(LIST_ARGS)
    args["view"] = view
    return render(LIST, block=block, status=200 if valid else 422, form=form,
                  page=page, view=view, args=args, now=clock.now(), more_rows=fragment,
                  names=names())


# --- a new case ------------------------------------------------------------------------------


def _case_form(formdata=None, order=None) -> CaseForm:
    form = CaseForm(formdata=formdata)
    form.platform.choices = choices([("", _l("—"))] + [(code, _l(label))
                                                      for code, label in PLATFORMS.items()])
    form.assignee_id.choices = _agent_choices(_l("— unassigned —"))
    if formdata is None:
        if order is not None:
            form.order_id.data = str(order.id)
            if order.stage == "shipped":
                form.type.data = "interception"
        if current_user.role == "aftersales":
            form.assignee_id.data = str(current_user.id)
    return form


def _picked_order(value):
    return db.session.get(Order, number) if (number := record_id(value)) else None


def _new_page(form, order, status=200, found=None, pick=None):
    return render(NEW, block="case_form", status=status, form=form,
                  order=order, found=found, pick=pick or OrderPickForm(), **vocab())


@bp.route("/new")
@require("aftersales.open")
def new():
    """A new case: from an order (``?order=<id>``, the order page's link), an order found
    by its number, or a typed order number when the order is not in the portal."""
    order = _picked_order(request.args.get("order"))
    if request.args.get("order") and order is None:
        abort(404)
    return _new_page(_case_form(order=order), order)


@bp.route("/new/orders")
@require("aftersales.open")
def find_orders():
    """The order search of the new-case form (a few matches, newest first)."""
    pick = OrderPickForm()
    text = (pick.q.data or "").strip() if pick.validate() else ""
    found = list(db.session.scalars(order_svc.search(text).limit(8))) if text else []
    if not is_fragment_request():
        return _new_page(_case_form(), None, found=found, pick=pick)
    return render(NEW, block="order_matches", found=found, pick=pick, typed=bool(text),
                  **vocab())


class NewCaseAnswer:
    """Opening a case goes to the case (or, for someone who may not read cases, back to the
    order or to an empty form); a refusal shows the form as typed with its messages."""

    refusal_text = staticmethod(rule_message)

    def __init__(self, order) -> None:
        self.order = order

    def done(self, case: AfterSalesCase, message: str):
        flash(message, "success")
        return redirect_htmx_aware(self.location(case))

    def refused(self, form, message):
        return _new_page(form, self.order, status=422)

    conflict = refused  # a new case has no version: only a refusal can happen

    def location(self, case: AfterSalesCase) -> str:
        if current_user.can("aftersales.view"):
            return url_for("aftersales.detail", case_id=case.id)
        if self.order is not None:
            return url_for("orders.detail", order_id=self.order.id)
        return url_for("aftersales.new")


@bp.route("/new", methods=["POST"])
@require("aftersales.open")
def create():
    """Open the case; its SLA clock starts and the agent (or all agents) are told."""
    form = _case_form(request.form)
    order = _picked_order(form.order_id.data)
    return actions.run(lambda: svc.open_case(
        current_user, type=form.type.data, problem=form.problem.data,
        order_id=order.id if order else None, order_no=form.order_no.data,
        platform=form.platform.data or None, purchase_date=form.purchase_date.data,
        delivery_date=form.delivery_date.data, request=form.request.data or "",
        logistics_problem=form.logistics_problem.data or None,
        category=form.category.data or None, return_courier=form.return_courier.data,
        return_tracking_no=form.return_tracking_no.data,
        assignee_id=(form.assignee_id.data or None)
        if current_user.can("aftersales.work") else None),
        form=form, answer=NewCaseAnswer(order),
        done=lambda case: _("After-sales case #%(id)s opened.", id=case.id))


# --- one case --------------------------------------------------------------------------------


def _case_or_404(case_id: int) -> AfterSalesCase:
    """The case with what its card shows in the same query (order, agent, opener), without
    the order's lines."""
    return db.get_or_404(AfterSalesCase, case_id,
                         options=[defaultload(AfterSalesCase.order).lazyload(Order.lines)])


class _Forms:
    """The card's forms, each made when a block shows it: fresh with the case's version,
    except those ``given`` (a refused one, with what was typed and its messages)."""

    def __init__(self, case: AfterSalesCase, given: dict) -> None:
        self._case = case
        self._given = {name: form for name, form in given.items() if form is not None}

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        form = self._given.get(name) or self._fresh(name)
        if name == "assign":
            form.assignee_id.choices = _agent_choices(_l("— unassigned —"))
        setattr(self, name, form)
        return form

    def _fresh(self, name: str):
        case = self._case
        if name == "details":
            form = DetailsForm(formdata=None, obj=case)
            form.platform_status.data = case.platform_status or ""
            form.category.data = case.category or ""
            form.logistics_problem.data = case.logistics_problem or ""
            return form
        if name == "assign":
            return AssignForm(formdata=None, version=case.version,
                              assignee_id=str(case.assignee_id or ""))
        if name == "freight":
            return FreightForm(formdata=None, version=case.version, amount=case.freight_owed)
        versioned = {"state": StateForm, "confirm": ConfirmForm, "action": ActionForm,
                     "interception": InterceptionForm}
        if name in versioned:
            return versioned[name](formdata=None, version=case.version)
        plain = {"note": NoteForm, "reply": CustomerReplyForm, "photo": PhotoForm,
                 "hide": HidePhotoForm}
        if name in plain:
            return plain[name](formdata=None)
        raise AttributeError(name)


class Card:
    """What the case card shows, each part read when a block first shows it: an answer that
    renders two blocks reads only what those two show. ``new_events``: the events the action
    just wrote (put on top of the history out of band)."""

    def __init__(self, case: AfterSalesCase, *, given: dict | None = None,
                 hide_for: int | None = None, details: bool = False, new_events=(),
                 keep_timeline: bool = False) -> None:
        given = given or {}
        self.case = case
        self.keep_timeline = keep_timeline
        self.work = current_user.can("aftersales.work") and case.state != "closed"
        self.forms = _Forms(case, given)
        self.hide_for = hide_for
        self.new_events = list(new_events)
        self.now = clock.now()
        self._details = details or given.get("details") is not None

    @cached_property
    def _photos(self):
        return svc.photos(self.case)

    @property
    def photos(self):
        return self._photos[0]

    @property
    def hidden(self):
        return self._photos[1]

    @cached_property
    def events(self):
        """The latest events, newest first (``older``: the cursor of the rest)."""
        return svc.event_page(self.case, per_page=EVENTS_SHOWN)

    @cached_property
    def replies(self) -> list:
        """The canned replies with this case's facts filled in (one query)."""
        return replies.for_case(self.case)

    @cached_property
    def facts(self) -> dict:
        return replies.case_facts(self.case)

    @cached_property
    def window(self):
        return svc.window(self.case)

    @cached_property
    def needs_override(self) -> bool:
        return svc.needs_override(self.case)

    @cached_property
    def freight(self):
        return svc.freight(self.case)

    @cached_property
    def next_states(self) -> list[str]:
        return svc.next_states(self.case)

    @cached_property
    def sla(self):
        return sla.status(self.case, self.now)

    @property
    def details_form(self):
        """The details form when it is shown open (fetched, or refused), else None."""
        return self.forms.details if self._details and self.work else None


def _context(card: Card, **extra) -> dict:
    return {"case": card.case, "card": card, "forms": card.forms, "work": card.work,
            **vocab(), **extra}


def _answer(card: Card, main: str, *, status: int = 200, message: str | None = None,
            oob=(), retarget: str | None = None, **extra):
    """Block ``main`` of the card with ``message`` in it and, out of band, the blocks ``oob``
    (htmx); the whole case page otherwise. ``retarget``: the element ``main`` replaces when
    it is not the one the form aimed at (a conflict answers the whole card)."""
    context = _context(card, message=message, failed=status >= 400, message_in=main, **extra)
    if not is_fragment_request():
        return render(DETAIL, status=status, **context)
    parts = [render_block(ANSWERS if main in ANSWER_BLOCKS else DETAIL, main, **context)]
    for name in dict.fromkeys(name for name in oob if name != main):
        parts.append(render_block(ANSWERS if name in ANSWER_BLOCKS else DETAIL, name,
                                  **_context(card, oob=name, **extra)))
    response = make_response("".join(parts), status)
    response.vary.add("HX-Request")
    if retarget:
        response.headers["HX-Retarget"] = retarget
        response.headers["HX-Reswap"] = "outerHTML"
    return response


def _whole_card(case: AfterSalesCase, *, status: int = 200, message: str | None = None,
                **given):
    """The whole card (the page's fragment) in place of the block the form aimed at: after a
    conflict (its current state), or a refusal on a closed case (no form is left)."""
    if status >= 400 and message is None and case.state == "closed":
        # a closed case shows no forms: their messages go on top of the card
        message = " ".join(str(error) for form in given.values() if form is not None
                           for errors in form.errors.values() for error in errors) or None
    return _answer(Card(case, given=given), "case_card", status=status, message=message,
                   retarget="#case-card")


@contextmanager
def _written_events():
    """The case events the block adds to the session (the answer shows them)."""
    written: list[CaseEvent] = []
    session = db.session()

    def added(_session, instance) -> None:
        if isinstance(instance, CaseEvent):
            written.append(instance)

    sa.event.listen(session, "transient_to_pending", added)
    try:
        yield written
    finally:
        sa.event.remove(session, "transient_to_pending", added)


def _snapshot(case: AfterSalesCase) -> dict:
    """What decides which blocks an action changed, before it."""
    return {"version": case.version, "state": case.state, "type": case.type,
            "needs_override": svc.needs_override(case),
            "company_both": svc.freight(case).company_both,
            "parcel": (case.return_courier, case.return_tracking_no)}


def _parcel_blocks(before: dict, case: AfterSalesCase) -> list[str]:
    """The return parcel changed: the interception panel shows it and an open details form
    holds the old values (it closes)."""
    if before["parcel"] == (case.return_courier, case.return_tracking_no):
        return []
    return ["case_details"] + (["case_interception"] if case.interception_state else [])


def _refused(case: AfterSalesCase, key: str, form, main: str, *, hide_for: int | None = None,
             **extra):
    """422: block ``main`` with the form as typed and its messages (nothing changed)."""
    if case.state == "closed":
        return _whole_card(case, status=422, **{key: form})
    return _answer(Card(case, given={key: form}, hide_for=hide_for), main, status=422, **extra)


class CardAnswer:
    """What an action on a case answers. 200: block ``main`` with the message and, out of
    band, the blocks the action also changed (``changed(before, case)``), the events it wrote
    and the case's new version for every form of the card (closing: the whole card without
    its forms); 422: ``main`` with the form as typed and its messages, nothing changed; 409:
    the whole card as it is now, with the form as typed (its version the current one)."""

    refusal_text = staticmethod(rule_message)

    def __init__(self, case: AfterSalesCase, key: str, main: str, changed=None) -> None:
        self.case, self.key, self.main, self.changed = case, key, main, changed
        self.before: dict = {}
        self.written: list[CaseEvent] = []

    def watching(self, action):
        """``action``, noting what the case was before it and the events it writes."""
        def work():
            self.before = _snapshot(self.case)
            with _written_events() as written:
                result = action()
            self.written = written
            return result

        return work

    def done(self, result, message: str):
        case, before = self.case, self.before
        if case.state == "closed" and before["state"] != "closed":
            # closed: every form leaves the card; the history stays as the page shows it
            card = Card(case, new_events=self.written, keep_timeline=True)
            return trigger(_answer(card, "case_card", message=message, oob=["new_events"],
                                   retarget="#case-card"), CHANGED)
        oob = list(self.changed(before, case)) if self.changed else []
        oob.append("new_events")
        if case.version != before["version"]:
            oob.append("version_stamp")
        return trigger(_answer(Card(case, new_events=self.written), self.main, message=message,
                               oob=oob), CHANGED)

    def refused(self, form, message):
        return _refused(self.case, self.key, form, self.main)

    def conflict(self, form, message: str):
        return _whole_card(self.case, status=409, message=_(CHANGED_FIRST), **{self.key: form})

    def location(self, result) -> str:
        return url_for("aftersales.detail", case_id=self.case.id)


def _act(case: AfterSalesCase, form, key: str, main: str, action, done: str, changed=None):
    """Run ``action`` (a service call) for ``form``, sent from block ``main`` of the card
    (``key``: the form's name on the card), answered by a ``CardAnswer``."""
    answer = CardAnswer(case, key, main, changed)
    return actions.run(answer.watching(action), form=form, answer=answer, done=done,
                       subject=case)


@bp.route("/<int:case_id>")
@require("aftersales.view")
def detail(case_id: int):
    """One case: the order, the return window, who pays the freight, the interception,
    photos, the workflow's next steps, notes and the latest of everything that happened.
    ``?reply=<id>``: that canned reply, filled in, in the reply form (shown selectable to
    copy without JavaScript)."""
    case = _case_or_404(case_id)
    given = {}
    chosen = request.args.get("reply", "")
    if chosen.isdigit() and current_user.can("aftersales.work"):
        reply = replies.find(int(chosen)) if len(chosen) < 10 else None
        if reply is not None:
            given["reply"] = CustomerReplyForm(
                formdata=None, text=replies.fill(reply, replies.case_facts(case)).text)
    return _answer(Card(case, given=given), "case_card")


@bp.route("/<int:case_id>/details")
@require("aftersales.work")
def details_form(case_id: int):
    """The form correcting the case's details: fetched when its panel is opened (seldom
    needed, so the page does not carry it); the case page with it open without JavaScript."""
    return _answer(Card(_case_or_404(case_id), details=True), "case_details")


@bp.route("/<int:case_id>/events")
@require("aftersales.view")
def case_events(case_id: int):
    """The case's earlier events, page by page, newest first (the card shows the latest)."""
    case = _case_or_404(case_id)
    page = svc.event_page(case, before=request.args.get("before"), per_page=EVENTS_PAGE)
    return render(EVENTS, block="event_page", case=case, page=page, **vocab())


@bp.route("/<int:case_id>/assign", methods=["POST"])
@require("aftersales.work")
def assign(case_id: int):
    """Give the case to an agent (they are told), or back to the unassigned list."""
    case = _case_or_404(case_id)
    form = AssignForm()
    form.assignee_id.choices = _agent_choices(_l("— unassigned —"))
    return _act(case, form, "assign", "case_assign", lambda: svc.assign(
        current_user, case, form.version.data, form.assignee_id.data or None),
        _("The case was assigned."), lambda before, case: ["case_assignee"])


def _step_blocks(before: dict, case: AfterSalesCase) -> list[str]:
    return ["case_head", "case_facts", *_parcel_blocks(before, case)]


@bp.route("/<int:case_id>/state", methods=["POST"])
@require("aftersales.work")
def change_state(case_id: int):
    """One step of the workflow (no step skipped; the rules of R-A1, R-A2 and refunds)."""
    case = _case_or_404(case_id)
    form = StateForm()
    target = form.state.data if form.state.data in svc.STATES else None
    return _act(case, form, "state", "case_workflow", lambda: svc.change_state(
        current_user, case, form.version.data, form.state.data,
        refund_amount=form.refund_amount.data, window_override=form.window_override.data,
        return_courier=form.return_courier.data,
        return_tracking_no=form.return_tracking_no.data, comment=form.comment.data or ""),
        _("Now: %(state)s.", state=_(svc.STATES[target])) if target else "", _step_blocks)


@bp.route("/<int:case_id>/notes", methods=["POST"])
@require("aftersales.work")
def add_note(case_id: int):
    """An internal note (the first one answers the first-response clock)."""
    case = _case_or_404(case_id)
    form = NoteForm()
    return _act(case, form, "note", "note_fields",
                lambda: svc.add_note(current_user, case, form.text.data), _("Note added."),
                lambda before, case: ["case_head"] if case.version != before["version"]
                else [])


@bp.route("/<int:case_id>/replied", methods=["POST"])
@require("aftersales.work")
def record_reply(case_id: int):
    """What was sent to the customer, on the history as a reply (not an internal note); the
    first one answers the first-response clock."""
    case = _case_or_404(case_id)
    form = CustomerReplyForm()
    return _act(case, form, "reply", "reply_fields",
                lambda: svc.record_reply(current_user, case, form.text.data),
                _("Recorded: replied to the customer."),
                lambda before, case: ["case_head"] if case.version != before["version"]
                else [])


def _details_blocks(before: dict, case: AfterSalesCase) -> list[str]:
    blocks = ["case_head", "case_facts", *_parcel_blocks(before, case)]
    if svc.needs_override(case) != before["needs_override"]:
        blocks.append("case_workflow")
    return blocks


@bp.route("/<int:case_id>/details", methods=["POST"])
@require("aftersales.work")
def update_details(case_id: int):
    """Correct the case's dates, problem, request, return parcel, category, platform status."""
    case = _case_or_404(case_id)
    form = DetailsForm()
    return _act(case, form, "details", "case_details", lambda: svc.update_details(
        current_user, case, form.version.data, problem=form.problem.data,
        request=form.request.data or "", purchase_date=form.purchase_date.data,
        delivery_date=form.delivery_date.data, return_courier=form.return_courier.data,
        return_tracking_no=form.return_tracking_no.data, category=form.category.data,
        platform_status=form.platform_status.data,
        logistics_problem=form.logistics_problem.data), _("The case was saved."),
        _details_blocks)


def _confirm_blocks(before: dict, case: AfterSalesCase) -> list[str]:
    blocks = []
    if svc.freight(case).company_both != before["company_both"]:
        blocks.append("case_freight")
    if svc.needs_override(case) != before["needs_override"]:
        blocks += ["case_facts", "case_workflow"]
    return blocks


@bp.route("/<int:case_id>/confirm", methods=["POST"])
@require("aftersales.work")
def confirm_photos(case_id: int):
    """R-A2: record whether the photos confirm the claim."""
    case = _case_or_404(case_id)
    form = ConfirmForm()
    return _act(case, form, "confirm", "case_confirm", lambda: svc.confirm_photos(
        current_user, case, form.version.data, form.confirms.data == "yes"),
        _("What the photos show was recorded."), _confirm_blocks)


@bp.route("/<int:case_id>/freight", methods=["POST"])
@require("aftersales.work")
def freight_owed(case_id: int):
    """R-A3: the return freight the customer advanced, owed back by the company."""
    case = _case_or_404(case_id)
    form = FreightForm()
    return _act(case, form, "freight", "case_freight", lambda: svc.set_freight_owed(
        current_user, case, form.version.data, form.amount.data),
        _("The freight owed was recorded."))


@bp.route("/<int:case_id>/freight-refunded", methods=["POST"])
@require("aftersales.work")
def freight_refunded(case_id: int):
    """R-A3: the advanced return freight was paid back."""
    case = _case_or_404(case_id)
    form = ActionForm()
    return _act(case, form, "action", "case_freight", lambda: svc.freight_refunded(
        current_user, case, form.version.data), _("Freight refunded."))


@bp.route("/<int:case_id>/interception", methods=["POST"])
@require("aftersales.work")
def interception(case_id: int):
    """R-A5: the courier's answer: intercepted (the parcel comes back) or failed (a return)."""
    case = _case_or_404(case_id)
    form = InterceptionForm()
    done = (_("Intercepted: the case waits for the parcel.")
            if form.outcome.data == "intercepted"
            else _("Interception failed: the case continues as a return."))
    return _act(case, form, "interception", "case_interception", lambda: svc.interception_result(
        current_user, case, form.version.data, form.outcome.data), done,
        lambda before, case: ["case_head", "case_facts", "case_workflow",
                              *_parcel_blocks(before, case)])


# --- photos ----------------------------------------------------------------------------------


class PhotoAnswer(CardAnswer):
    """An upload answers the emptied upload form and, out of band, the new thumbnail, the
    count and the event (the first photo: the check of what it shows appears)."""

    def __init__(self, case: AfterSalesCase) -> None:
        super().__init__(case, "photo", "photo_upload")

    def done(self, photo: CasePhoto, message: str):
        card = Card(self.case, new_events=self.written)
        oob = ["new_thumb", "photo_count", "new_events"]
        if len(card.photos) == 1:  # the first: the check of what it shows appears
            oob += ["no_photos", "case_confirm"]
        return trigger(_answer(card, "photo_upload", message=message, oob=oob, photo=photo),
                       CHANGED)


@bp.route("/<int:case_id>/photos", methods=["POST"])
@require("aftersales.work")
def add_photo(case_id: int):
    """R-A2: upload an evidence photo (checked by its content, not its name); the answer is
    the emptied upload form, and out of band the new thumbnail, the count and the event."""
    case = _case_or_404(case_id)
    # a much larger body is cut off before it is read (413); a slightly larger photo gets
    # the message next to the field below
    request.max_content_length = evidence.max_bytes() * 2 + 1024 * 1024
    form = PhotoForm()
    upload = form.photo.data
    answer = PhotoAnswer(case)
    return actions.run(answer.watching(lambda: evidence.add_photo(
        current_user, case, evidence.read_upload(getattr(upload, "stream", None)),
        getattr(upload, "filename", "") or "")), form=form, answer=answer,
        done=_("Photo added."), subject=case)


def _photo_or_404(photo_id: int, hidden_too: bool = False) -> CasePhoto:
    photo = db.session.get(CasePhoto, photo_id)
    if photo is None or (photo.hidden_at is not None and not hidden_too):
        abort(404)
    return photo


class HideAnswer(CardAnswer):
    """Hiding a photo answers its place (it says so) and, out of band, the hidden photos'
    list, the count and the history; someone who hid it first: the photos as they are now."""

    def __init__(self, case: AfterSalesCase, photo: CasePhoto) -> None:
        super().__init__(case, "hide", "photo_thumb")
        self.photo = photo

    def done(self, result, message: str):
        card = Card(self.case, new_events=self.written)
        oob = ["new_hidden", "photo_count", "new_events"]
        if not card.photos:  # the last visible one: nothing left to check
            oob += ["no_photos", "case_confirm"]
        return _answer(card, "photo_gone", message=message, oob=oob, photo=self.photo)

    def refused(self, form, message):
        return _refused(self.case, "hide", form, "photo_thumb", hide_for=self.photo.id,
                        photo=self.photo)

    def conflict(self, form, message: str):
        return _answer(Card(self.case), "case_photos", status=409, message=_(message),
                       retarget="#case-photos")


@bp.route("/photos/<int:photo_id>/hide", methods=["POST"])
@require("aftersales.work")
def hide_photo(photo_id: int):
    """Hide a photo with a reason (it is kept, never deleted): its thumbnail says so, the
    hidden photos' list, the count and the history follow out of band."""
    photo = _photo_or_404(photo_id, hidden_too=True)
    case = _case_or_404(photo.case_id)
    form = HidePhotoForm()
    answer = HideAnswer(case, photo)
    return actions.run(answer.watching(lambda: evidence.hide(current_user, photo,
                                                             form.reason.data)),
                       form=form, answer=answer, done=_("The photo was hidden."), subject=photo)


def _send(path, mimetype: str, name: str):
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=mimetype, conditional=True, download_name=name,
                         as_attachment=False, max_age=0)
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.route("/photos/<int:photo_id>")
@require("aftersales.view")
def photo(photo_id: int):
    """An evidence photo, to staff who may read cases (never cached by shared caches)."""
    item = _photo_or_404(photo_id)
    return _send(evidence.file_path(item), item.content_type,
                 f"photo-{item.id}{evidence.EXTENSIONS.get(item.content_type, '')}")


@bp.route("/photos/<int:photo_id>/thumb")
@require("aftersales.view")
def thumbnail(photo_id: int):
    """A photo's thumbnail (made once, kept on disk)."""
    item = _photo_or_404(photo_id)
    if not evidence.file_path(item).is_file():
        abort(404)
    return _send(evidence.thumbnail_path(item), "image/jpeg", f"photo-{item.id}-thumb.jpg")


# --- the return slip -------------------------------------------------------------------------


def case_slip(case_id: int):
    """R-A5: the two-part return slip of a case (courier's signature; courier's copy)."""
    case = db.get_or_404(AfterSalesCase, case_id)
    return render(SLIP, case=case, today=clock.today(), **vocab())


@bp.route("/<int:case_id>/slip")
@require("aftersales.view")
def slip(case_id: int):
    """R-A5: the printable two-part return slip (A4, cut in two)."""
    return case_slip(case_id)


# --- registration ----------------------------------------------------------------------------

_case_names = namer(AfterSalesCase, AfterSalesCase.order_no,
                    fmt=lambda ident, order_no: f"#{ident} ({order_no})")
_photo_names = namer(CasePhoto, CasePhoto.case_id, CasePhoto.original_name,
                     fmt=lambda ident, case_id, name: f"#{case_id} {name}")


def register(app) -> None:
    """Navigation entry, settings and audit labels of the case pages."""
    import os

    from portal.ui import NavItem, register_audit, register_nav

    app.config.setdefault("AFTERSALES_MAX_PHOTO_BYTES", evidence.MAX_PHOTO_BYTES)
    if not app.config.get("AFTERSALES_PHOTO_DIR"):
        app.config["AFTERSALES_PHOTO_DIR"] = os.path.join(app.instance_path, "evidence")
    register_nav(app, NavItem("aftersales.index", _l("After-sales"), "aftersales.view",
                              order=18, active_prefix=(
                                  "aftersales.index", "aftersales.detail", "aftersales.new",
                                  "aftersales.find_orders", "aftersales.slip")))
    register_audit(app, actions={
        "aftersales.case_opened": N_("After-sales case opened"),
        "aftersales.case_assigned": N_("After-sales case assigned"),
        "aftersales.note_added": N_("After-sales note added"),
        "aftersales.replied": N_("After-sales reply to the customer recorded"),
        "aftersales.case_changed": N_("After-sales case details changed"),
        "aftersales.state_changed": N_("After-sales case moved on"),
        "aftersales.photos_checked": N_("After-sales photos checked"),
        "aftersales.freight_owed": N_("Return freight owed recorded"),
        "aftersales.freight_refunded": N_("Return freight refunded"),
        "aftersales.interception": N_("Parcel interception answered"),
        "aftersales.parcel_received": N_("Returned parcel received (原包裹已收到)"),
        "aftersales.photo_added": N_("Evidence photo added"),
        "aftersales.photo_hidden": N_("Evidence photo hidden"),
    }, fields={
        "assignee": N_("Agent"), "state": N_("State"), "refund_amount": N_("Refund"),
        "window_override": N_("Accepted outside the 7 days because"),
        "photos_confirm": N_("Photos confirm the claim"),
        "freight_owed": N_("Return freight owed"),
        "freight_refunded_at": N_("Freight refunded at"),
        "interception_state": N_("Interception"), "type": N_("Kind"),
        "problem": N_("What is wrong"), "request": N_("What the customer asks for"),
        "purchase_date": N_("Purchase date"), "delivery_date": N_("Delivery date"),
        "return_courier": N_("Return courier"),
        "return_tracking_no": N_("Return tracking number"),
        "category": N_("Complaint category"), "platform_status": N_("Platform status"),
        "logistics_problem": N_("Delivery problem"), "hidden_reason": N_("Hidden because"),
    }, values={
        "state": svc.STATES, "type": svc.TYPES, "category": svc.CATEGORIES,
        "platform_status": svc.PLATFORM_STATUSES,
        "interception_state": svc.INTERCEPTION_STATES,
        "logistics_problem": svc.LOGISTICS_PROBLEMS,
    }, target=("aftersales_cases", N_("After-sales case"), _case_names))
    register_audit(app, target=("aftersales_photos", N_("Evidence photo"), _photo_names))
