"""The complaint register (/complaints/): the list with its filters, a new complaint, a
complaint's page with its steps in place (htmx, version-checked; a 409 keeps the typing).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import aliased
from werkzeug.exceptions import NotFound
from wtforms.fields import Label

from portal import actions, clock
from portal.aftersales.models import AfterSalesCase
from portal.auth.decorators import require
from portal.auth.models import User
from portal.complaints import bp
from portal.complaints import register as svc
from portal.complaints.forms import (
    CloseForm,
    ComplaintForm,
    ReassignForm,
    RegisterFilters,
    StepForm,
    TextStepForm,
)
from portal.complaints.models import Complaint
from portal.customers import calls as customer_calls
from portal.customers import search as customer_search
from portal.customers.models import Customer, CustomerContact
from portal.customers.privacy import mask_address, mask_phone
from portal.customers.story import story_columns
from portal.extensions import db
from portal.forms import INT_MAX, record_id
from portal.handover.models import HandoverItem
from portal.i18n import N_
from portal.notifications import term
from portal.orders.models import Order
from portal.web import is_fragment_request, redirect_htmx_aware, render, trigger

INDEX = "complaints/index.html"
NEW = "complaints/new.html"
SHOW = "complaints/show.html"
PICKER = "complaints/_customer_picker.html"
EVENT = "complaints-changed"


def _get(complaint_id: int) -> Complaint:
    if not 0 < complaint_id <= INT_MAX:
        raise NotFound()
    complaint = svc.get(complaint_id)
    if complaint is None:
        raise NotFound()
    return complaint


def _owners() -> list[User]:
    return [u for u in db.session.scalars(
        sa.select(User).where(User.active.is_(True)).order_by(User.display_name))
        if u.can("complaints.work")]


def _owner_choices(blank=None) -> list:
    pairs = [(u.id, u.display_name) for u in _owners()]
    return ([("", blank)] if blank is not None else []) + pairs


def _category_choices(blank=None, active_only=True) -> list:
    pairs = [(c.id, c.local_name) for c in svc.categories(active_only)]
    return ([("", blank)] if blank is not None else []) + pairs


# --- the register ----------------------------------------------------------------------------


def _month(text: str | None) -> date | None:
    try:
        year, month = (text or "").split("-")
        return date(int(year), int(month), 1) if 2000 <= int(year) <= 2100 else None
    except ValueError:
        return None


def _filters(form: RegisterFilters) -> svc.Filters:
    from portal.complaints.models import SEVERITIES, STATES

    state = form.state.data if form.state.data in (*STATES, "open") else None
    severity = form.severity.data if form.severity.data in SEVERITIES else None
    return svc.Filters(state=state, severity=severity, category_id=form.category.data,
                       owner_id=form.owner.data, mine=bool(form.mine.data),
                       month=_month(form.month.data), customer_id=form.customer.data)


def _cursor(name: str) -> str | None:
    value = request.args.get(name)
    return value if value and len(value) <= 200 else None


@bp.route("/", endpoint="index")
@require("complaints.view")
def index():
    """The register: newest first, filtered; open ones show their age and due time."""
    form = RegisterFilters()
    form.category.choices = _category_choices(_l("Any category"), active_only=False)
    form.owner.choices = _owner_choices(_l("Anyone"))
    found = svc.page(current_user, _filters(form), before=_cursor("before"),
                     after=_cursor("after"))
    args = {k: v for k, v in request.args.items() if k not in ("before", "after") and v}
    return render(INDEX, block="complaint_list", form=form, page=found, args=args,
                  now=clock.now(), labels=svc.LABELS)


# --- a new complaint -------------------------------------------------------------------------


def _new_form(formdata=None) -> ComplaintForm:
    form = ComplaintForm(formdata=formdata) if formdata is not None else ComplaintForm()
    form.category.choices = _category_choices(_l("Choose…"))
    form.owner.choices = _owner_choices()
    return form


def _known_order_no(order_no: str | None) -> str | None:
    """A case's or handover item's order number when the desk has that order (a number
    typed from a platform's page the desk never imported would refuse the complaint)."""
    if not order_no:
        return None
    found = db.session.scalar(sa.select(Order.id).where(Order.order_no == order_no).limit(1))
    return order_no if found is not None else None


def _prefill(form: ComplaintForm) -> dict:
    """``?case=`` / ``?handover_item=`` / ``?customer=``: raise a complaint from a case or
    a handover item, prefilled (the link is kept)."""
    case = item = None
    case_id = record_id(request.args.get("case", ""))
    item_id = record_id(request.args.get("handover_item", ""))
    if case_id:
        case = db.session.get(AfterSalesCase, case_id)
        if case is not None:
            form.case.data = case.id
            form.order_no.data = _known_order_no(case.order_no)
            form.said.data = case.problem[:svc.SAID_MAX]
            form.asks.data = (case.request or "")[:svc.ASKS_MAX]
            form.category.data = _category_of_case(case)
            if case.customer_id:
                form.customer.data = case.customer_id
    if item_id:
        item = db.session.get(HandoverItem, item_id)
        if item is not None and current_user.can(f"handover.{item.book}.read"):
            form.handover_item.data = item.id
            form.order_no.data = _known_order_no(item.order_no) or form.order_no.data
            form.said.data = item.text[:svc.SAID_MAX]
            form.asks.data = (item.customer_request or "")[:svc.ASKS_MAX]
        else:
            item = None
    customer_id = record_id(request.args.get("customer", "")) or form.customer.data
    customer = db.session.get(Customer, customer_id) if customer_id else None
    if customer is not None:
        form.customer.data = customer.id
    return {"case": case, "item": item, "picked": customer}


def _category_of_case(case: AfterSalesCase) -> int | None:
    """The complaint category named as the case's (its English name is the case's label)."""
    from portal.aftersales.cases import CATEGORIES

    label = CATEGORIES.get(case.category or "")
    return next((c.id for c in svc.categories() if label and (c.names or {}).get("en") == label),
                None)


@bp.route("/new", endpoint="new")
@require("complaints.work")
def new():
    """The form of a new complaint; ``?case=`` or ``?handover_item=`` prefill it."""
    form = _new_form(formdata={})
    form.owner.data = current_user.id
    form.severity.data = "normal"
    form.received_at.data = clock.local(clock.now()).replace(second=0, microsecond=0,
                                                             tzinfo=None)
    return render(NEW, form=form, **_prefill(form))


class CreateAnswer:
    def __init__(self, form: ComplaintForm) -> None:
        self.form = form

    def done(self, complaint: Complaint, message: str):
        flash(message, "success")
        return trigger(redirect_htmx_aware(url_for("complaints.show",
                                                   complaint_id=complaint.id)), EVENT)

    def refused(self, form, message):
        if message:
            form.form_errors.append(message)
        customer_id = form.customer.data
        return render(NEW, form=form, case=None, item=None,
                      picked=db.session.get(Customer, customer_id) if customer_id else None)

    conflict = refused

    def location(self, complaint: Complaint) -> str:
        return url_for("complaints.show", complaint_id=complaint.id)


def _received(form: ComplaintForm):
    value = form.received_at.data
    if value is None:
        return None
    return value.replace(tzinfo=clock.get_clock().tz) if value.tzinfo is None else value


@bp.route("/new", methods=["POST"], endpoint="create")
@require("complaints.work")
def create():
    """Record a complaint."""
    form = _new_form()
    return actions.run(
        lambda: svc.create(
            current_user, received_at=_received(form), channel=form.channel.data,
            category_id=form.category.data, severity=form.severity.data,
            said=form.said.data, asks=form.asks.data or "", owner_id=form.owner.data,
            customer_id=form.customer.data, order_no=(form.order_no.data or None),
            case_id=form.case.data, handover_item_id=form.handover_item.data),
        form=form, answer=CreateAnswer(form),
        done=lambda c: _("Complaint #%(number)s recorded.", number=c.id))


@bp.route("/pick-customer", endpoint="pick_customer")
@require("complaints.work")
def pick_customer():
    """Pick the customer of a new complaint: matches as one types (the customers' search),
    and the picked one with its hidden ``customer`` id."""
    if not is_fragment_request():
        return redirect_htmx_aware(url_for("complaints.new"))
    picked = None
    pick = record_id(request.args.get("pick", ""))
    if pick:
        picked = db.session.get(Customer, pick)
    text = (request.args.get("customer_q") or "")[:60].strip()
    picks = customer_search.search(text, per_page=8).items if text and picked is None else []
    return render(PICKER, picked=picked, picks=picks, q=text, errors=None)


# --- a complaint's page ----------------------------------------------------------------------


def _customer(customer_id: int | None):
    """The customer's name and contacts, masked (R-C8; the full ones are on the customer's
    record), in one query: (row with id and name, [(kind, shown value)])."""
    if not customer_id:
        return None, []
    rows = db.session.execute(
        sa.select(Customer.id, Customer.name, CustomerContact.kind, CustomerContact.value)
        .outerjoin(CustomerContact, CustomerContact.customer_id == Customer.id)
        .where(Customer.id == customer_id).order_by(CustomerContact.id).limit(6)).all()
    if not rows:
        return None, []
    shown = []
    for row in rows:
        if row.kind == "phone":
            shown.append((row.kind, mask_phone(row.value)))
        elif row.kind == "address":
            shown.append((row.kind, mask_address(row.value)))
        elif row.kind:
            shown.append((row.kind, row.value))
    return rows[0], shown


STEP_LABELS = {
    "note": _l("Note"),
    "escalate": _l("Why it is escalated"),
    "decide": _l("What you decided"),
    "answer": _l("The answer given to the customer"),
    "reopen": _l("Why it is reopened"),
}


def _forms(complaint: Complaint, typed=None, name: str | None = None,
           reassigning: bool = False) -> dict:
    """Each step's form at the complaint's version; ``typed`` (the form as sent) kept in
    ``name``'s place."""
    forms = {
        "start": StepForm(formdata=None, version=complaint.version),
        "note": TextStepForm(formdata=None, version=complaint.version),
        "escalate": TextStepForm(formdata=None, version=complaint.version),
        "decide": TextStepForm(formdata=None, version=complaint.version),
        "answer": TextStepForm(formdata=None, version=complaint.version),
        "close": CloseForm(formdata=None, version=complaint.version),
        "reopen": TextStepForm(formdata=None, version=complaint.version),
    }
    if reassigning and current_user.can("complaints.oversee"):
        forms["reassign"] = ReassignForm(formdata=None, version=complaint.version)
        forms["reassign"].owner.choices = _owner_choices(_l("Choose…"))
    if typed is not None and name:
        typed.version.data = complaint.version
        typed.version.raw_data = [str(complaint.version)]
        if name == "reassign":
            typed.owner.choices = _owner_choices(_l("Choose…"))
        forms[name] = typed
    for key, label in STEP_LABELS.items():
        if key in forms:
            forms[key].text.id = f"step-{key}-text"
            forms[key].text.label = Label(forms[key].text.id, label)
    return forms


def _page_context(complaint: Complaint, **extra) -> dict:
    """What the page shows: the links read as the few columns shown (a customer or an order
    loaded whole would bring its contacts, tags and lines along)."""
    customer, contacts = _customer(complaint.customer_id)
    order = db.session.execute(sa.select(Order.id, Order.order_no).where(
        Order.id == complaint.order_id)).first() if complaint.order_id else None
    item = db.session.execute(sa.select(HandoverItem.id, HandoverItem.book).where(
        HandoverItem.id == complaint.handover_item_id)).first() \
        if complaint.handover_item_id else None
    return {
        "complaint": complaint, "customer": customer, "contacts": contacts, "order": order,
        "case": {"id": complaint.case_id} if complaint.case_id else None, "item": item,
        "events": svc.events(complaint), "now": clock.now(), "labels": svc.LABELS,
        "overdue": svc.overdue(complaint), "decides": svc.decides(current_user, complaint),
        "forms": extra.pop("forms", None)
        or _forms(complaint), **extra,
    }


@bp.route("/<int:complaint_id>", endpoint="show")
@require("complaints.view")
def show(complaint_id: int):
    """A complaint: its facts, customer, links, events, and the steps in place."""
    complaint = _get(complaint_id)
    return render(SHOW, block="complaint", **_page_context(complaint))


class StepAnswer:
    """A step answers the complaint's part of the page (facts, actions, events); without
    JavaScript, the page."""

    def __init__(self, complaint: Complaint, name: str) -> None:
        self.complaint, self.name = complaint, name

    def _part(self, status: int, message: str | None, ok: bool, form=None):
        forms = _forms(self.complaint, form, self.name) if form is not None else None
        context = _page_context(self.complaint, forms=forms, message=message, ok=ok,
                                step=self.name)
        return render(SHOW, block="complaint", status=status, **context)

    def done(self, complaint: Complaint, message: str):
        return trigger(self._part(200, message, True), EVENT)

    def refused(self, form, message):
        if form is not None and not message:
            # every message above the steps, once (a step's form may not be shown: closing
            # a complaint not yet answered)
            texts = list(form.form_errors)
            for field in form:
                texts.extend(str(e) for e in field.errors)
                field.errors = []
            form.form_errors = []
            message = " ".join(texts)
        return self._part(422, message, False, form)

    def conflict(self, form, message: str):
        return self._part(409, message, False, form)

    def location(self, result) -> str:
        return url_for("complaints.show", complaint_id=self.complaint.id)


def _follow_up(customer_id: int, assignee_id: int):
    return customer_calls.plan_follow_up(customer_id, assignee_id)


def _run(complaint_id: int, name: str, form, work, done):
    complaint = _get(complaint_id)
    return actions.run(lambda: work(complaint, form), form=form,
                       answer=StepAnswer(complaint, name), done=done, subject=complaint)


@bp.route("/<int:complaint_id>/start", methods=["POST"], endpoint="start")
@require("complaints.work")
def start(complaint_id: int):
    """Start investigating."""
    return _run(complaint_id, "start", StepForm(),
                lambda c, f: svc.start(current_user, c, f.version.data),
                _l("Investigation started."))


@bp.route("/<int:complaint_id>/note", methods=["POST"], endpoint="note")
@require("complaints.work")
def note(complaint_id: int):
    """A note."""
    return _run(complaint_id, "note", TextStepForm(),
                lambda c, f: svc.add_note(current_user, c, f.version.data, f.text.data),
                _l("Note added."))


@bp.route("/<int:complaint_id>/reassign", endpoint="reassign_form")
@require("complaints.oversee")
def reassign_form(complaint_id: int):
    """The complaint with the reassign form open (the list of colleagues on request)."""
    complaint = _get(complaint_id)
    return render(SHOW, block="complaint", **_page_context(
        complaint, forms=_forms(complaint, reassigning=True)))


@bp.route("/<int:complaint_id>/reassign", methods=["POST"], endpoint="reassign")
@require("complaints.oversee")
def reassign(complaint_id: int):
    """Give it to someone else (the supervisor, the manager)."""
    form = ReassignForm()
    form.owner.choices = _owner_choices(_l("Choose…"))
    return _run(complaint_id, "reassign", form,
                lambda c, f: svc.reassign(current_user, c, f.version.data, f.owner.data),
                _l("Reassigned."))


@bp.route("/<int:complaint_id>/escalate", methods=["POST"], endpoint="escalate")
@require("complaints.work")
def escalate(complaint_id: int):
    """Escalate one level, with a reason."""
    return _run(complaint_id, "escalate", TextStepForm(),
                lambda c, f: svc.escalate(current_user, c, f.version.data, f.text.data),
                _l("Escalated."))


@bp.route("/<int:complaint_id>/decide", methods=["POST"], endpoint="decide")
@require("complaints.oversee")
def decide(complaint_id: int):
    """The escalated person's decision."""
    return _run(complaint_id, "decide", TextStepForm(),
                lambda c, f: svc.decide(current_user, c, f.version.data, f.text.data),
                _l("Decision recorded."))


@bp.route("/<int:complaint_id>/answer", methods=["POST"], endpoint="answer")
@require("complaints.work")
def answer(complaint_id: int):
    """The answer given to the customer; a follow-up call is planned."""
    return _run(complaint_id, "answer", TextStepForm(),
                lambda c, f: svc.answer(current_user, c, f.version.data, f.text.data,
                                        follow_up=_follow_up),
                _l("Answer recorded; a follow-up call is planned."))


@bp.route("/<int:complaint_id>/close", methods=["POST"], endpoint="close")
@require("complaints.work")
def close(complaint_id: int):
    """Close with the customer's satisfaction."""
    return _run(complaint_id, "close", CloseForm(),
                lambda c, f: svc.close(current_user, c, f.version.data,
                                       f.satisfaction.data or None),
                _l("Complaint closed."))


@bp.route("/<int:complaint_id>/reopen", methods=["POST"], endpoint="reopen")
@require("complaints.work")
def reopen(complaint_id: int):
    """Take it up again."""
    return _run(complaint_id, "reopen", TextStepForm(),
                lambda c, f: svc.reopen(current_user, c, f.version.data, f.text.data),
                _l("Complaint reopened."))


# --- what the register adds to the shell and to other areas ----------------------------------


def open_card(user) -> dict:
    """The supervisor's and the manager's card: open complaints by severity, the oldest's
    age, the latest (two queries)."""
    latest = db.session.scalar(
        sa.select(Complaint).where(Complaint.state.in_(svc.OPEN_STATES))
        .order_by(Complaint.received_at.desc(), Complaint.id.desc()).limit(1))
    return {"rows": svc.open_by_severity(), "now": clock.now(), "latest": latest}


def _overdue_reminders(since, now):
    """The "complaints past due" reminder: each open complaint whose due time fell in the
    window goes one level up (the supervisor, then the manager too), once."""
    from portal.ui import Due

    for complaint in svc.escalate_overdue(since, now):
        yield Due(f"{complaint.id}:{complaint.level}", N_(
            "Complaint #%(number)s (%(severity)s) is past its due time and was escalated to "
            "you. Decide what to do and record it on the complaint."),
            users=(complaint.owner_id,) if complaint.owner_id else (),
            roles=svc.ROLES_OF_LEVEL[complaint.level],
            link=url_for("complaints.show", complaint_id=complaint.id),
            params={"number": complaint.id,
                    "severity": term(svc.SEVERITIES[complaint.severity])})


def _story(ids):
    user = aliased(User)
    return (sa.select(*story_columns(
        "complaint", at=Complaint.received_at, id=Complaint.id, state=Complaint.state,
        text=Complaint.said, text2=Complaint.answer, text3=Complaint.severity,
        ref_id=Complaint.case_id, person=user.display_name))
        .outerjoin(user, user.id == Complaint.owner_id)
        .where(Complaint.customer_id.in_(ids)))


def _open_count(ids):
    return (sa.select(sa.func.count()).select_from(Complaint)
            .where(Complaint.customer_id.in_(ids), Complaint.state.in_(svc.OPEN_STATES))
            .scalar_subquery())


LINKED = {"case": Complaint.case_id, "handover_item": Complaint.handover_item_id}


def _raise_hook(arg: str):
    """On a case or a handover item: a part that loads its complaints on its own request (the
    record's page spends no query on it), "raise to a complaint" without JavaScript."""
    def context(record) -> dict:
        return {"kind": arg, "id": record.id,
                "raise_url": url_for("complaints.new", **{arg: record.id})
                if current_user.can("complaints.work") else None}
    return context


@bp.route("/linked", endpoint="linked")
@require("complaints.view")
def linked():
    """The complaints raised from a case or a handover item (``?case=`` or
    ``?handover_item=``), or the button that raises one: the part of that record's page."""
    kind = next((k for k in LINKED if k in request.args), None)
    ident = record_id(request.args.get(kind, "")) if kind else None
    if ident is None:
        raise NotFound()
    found = svc.linked_to(LINKED[kind], ident)
    raise_url = url_for("complaints.new", **{kind: ident}) \
        if current_user.can("complaints.work") else None
    return render("complaints/_raise.html", hook={"kind": kind, "id": ident,
                                                  "complaints": found, "loaded": True,
                                                  "raise_url": raise_url})


def register(app) -> None:
    """Navigation, the Today card, audit words, the past-due reminder, the customer's story
    and open items, and the "raise to a complaint" hooks on cases and handover items."""
    from portal.audit.services import namer
    from portal.customers.story import OpenItem, StorySource, register_open_item, register_source
    from portal.ui import (
        Card,
        NavItem,
        RecordHook,
        ReminderKind,
        register_audit,
        register_card,
        register_nav,
        register_record_hook,
        register_reminder,
    )

    app.jinja_env.globals["complaint_labels"] = svc.LABELS
    register_nav(app, NavItem("complaints.index", _l("Complaints"), "complaints.view",
                              order=56, active_prefix="complaints."))
    register_card(app, Card("complaints-open", _l("Open complaints"), "complaints.oversee",
                            "complaints/_card.html", open_card, order=15,
                            stylesheet="css/complaints.css", events=(EVENT,)))
    register_reminder(app, ReminderKind("complaints_overdue", N_("Complaints past due"), N_(
        "The moment an open complaint is past its due time: it is escalated one level (the "
        "supervisor, then the manager too), to them and its owner."), _overdue_reminders,
        order=85))
    register_source(app, StorySource("complaint", N_("Complaint"), _story,
                                     "complaints/_story.html"))
    register_open_item(app, OpenItem("complaints", _open_count, "complaints/_open_item.html"))
    register_record_hook(app, "aftersales_case", RecordHook(
        "complaints", "complaints.view", "complaints/_raise.html",
        _raise_hook("case")))
    register_record_hook(app, "handover_item", RecordHook(
        "complaints", "complaints.view", "complaints/_raise.html",
        _raise_hook("handover_item")))
    register_audit(
        app,
        actions={
            "complaints.created": N_("Complaint recorded"),
            "complaints.investigating": N_("Complaint investigation started"),
            "complaints.reassigned": N_("Complaint reassigned"),
            "complaints.escalated": N_("Complaint escalated"),
            "complaints.decided": N_("Decision on an escalated complaint"),
            "complaints.answered": N_("Complaint answered"),
            "complaints.closed": N_("Complaint closed"),
            "complaints.reopened": N_("Complaint reopened"),
            "complaints.category_saved": N_("Complaint category saved"),
            "complaints.due_hours": N_("Complaint due time changed"),
        },
        fields={"state": N_("State"), "severity": N_("Severity"), "level": N_("Escalated to"),
                "owner_id": N_("Owner"), "satisfaction": N_("Customer's satisfaction"),
                "hours": N_("Working hours")},
        values={"severity": svc.SEVERITIES, "satisfaction": svc.SATISFACTION},
        target=("complaints", N_("Complaint"),
                namer(Complaint, Complaint.said, fmt=lambda cid, said: f"#{cid} {said[:30]}")),
    )
