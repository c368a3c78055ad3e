"""After-sales cases (售后): opening one, assigning, internal notes and the workflow with its
rules — the return window (R-A1), evidence before a quality decision (R-A2), the freight
rule (R-A3), interception of a shipped parcel and the order clerk's receipt of the returned
parcel (R-A5), refunds no larger than the order (R-A6), the case's record (R-A7).

Services take the acting user, use ``clock.now()``, write the case's events and the audit
trail in the same transaction, and raise ``RuleError`` (nothing changed) or ``Conflict``
(someone else changed the case first). They flush, never commit: the action runner
(``portal.actions``) commits once, and a version moved meanwhile fails at the flush (409).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import lazyload

from portal import audit, clock
from portal.actions import Conflict
from portal.aftersales import sla, visits
from portal.aftersales.models import AfterSalesCase, CaseEvent, CasePhoto
from portal.auth.models import User
from portal.extensions import db
from portal.forms import record_id
from portal.i18n import N_
from portal.notifications import notify, notify_role
from portal.orders.models import Order
from portal.orders.orders import PLATFORMS
from portal.paging import KeysetPage, keyset_page
from portal.rules import RuleError

TYPES = {
    "return_refund": N_("Return and refund"),
    "exchange": N_("Exchange"),
    "refund_only": N_("Refund only"),
    "quality": N_("Quality complaint"),
    "logistics": N_("Logistics complaint"),
    "interception": N_("Interception of a shipped parcel"),
}
LOGISTICS_PROBLEMS = {
    "lost": N_("Parcel lost"),
    "damaged": N_("Arrived damaged"),
    "short": N_("Items missing"),
    "wrong": N_("Wrong item"),
}
# R-C3: complaint categories (the weekly report counts them)
CATEGORIES = {
    "quality": N_("Product quality"),
    "logistics": N_("Logistics"),
    "market": N_("Market support"),
    "suggestion": N_("Suggestion"),
}
STATES = {
    "new": N_("New"),
    "in_progress": N_("In progress"),
    "waiting_customer": N_("Waiting for the customer"),
    "waiting_parcel": N_("Waiting for the returned parcel"),
    "parcel_received": N_("Parcel received"),
    "refunded": N_("Refunded"),
    "exchange_shipped": N_("Exchange shipped"),
    "resolved": N_("Resolved"),
    "closed": N_("Closed"),
}
# what the buttons of each step say
STEP_ACTIONS = {
    "in_progress": N_("Start working on it"),
    "waiting_customer": N_("Wait for the customer"),
    "waiting_parcel": N_("Wait for the returned parcel"),
    "refunded": N_("Refund"),
    "exchange_shipped": N_("Exchange shipped"),
    "resolved": N_("Resolved"),
    "closed": N_("Close the case"),
}
INTERCEPTION_STATES = {
    "requested": N_("Interception requested"),
    "intercepted": N_("Intercepted"),
    "failed": N_("Interception failed"),
}
# 退款中 / 维权中: what the supervisor's daily queue lists
PLATFORM_STATUSES = {
    "refunding": N_("Refund in progress on the platform (退款中)"),
    "dispute": N_("Platform dispute (维权中)"),
}
EVENT_KINDS = {
    "state": N_("Step"),
    "note": N_("Note"),
    "reply": N_("Replied to the customer"),
    "assign": N_("Assigned"),
    "photo": N_("Photo"),
    "photo_hidden": N_("Photo hidden"),
    "details": N_("Details changed"),
    "confirm": N_("Photos checked"),
    "freight": N_("Freight"),
    "interception": N_("Interception"),
    "platform": N_("Platform status"),
}

# Event texts the portal writes itself (stored untranslated, shown in the reader's language)
SYSTEM_TEXTS = frozenset({
    N_("Case opened"), N_("Original parcel received"), N_("The intercepted parcel comes back."),
    N_("Intercepted"), N_("Interception failed: the case continues as a return."),
    N_("The photos confirm the claim."), N_("The photos do not confirm the claim."),
    N_("Freight refunded"),
})
DETAIL_LABELS = {
    "problem": N_("What is wrong"), "request": N_("What the customer asks for"),
    "purchase_date": N_("Purchase date"), "delivery_date": N_("Delivery date"),
    "return_courier": N_("Return courier"), "return_tracking_no": N_("Return tracking number"),
    "category": N_("Complaint category"), "platform_status": N_("Platform status"),
    "logistics_problem": N_("Delivery problem"),
}

WINDOW_DAYS = 7  # R-A1
NO_REASON = ("return_refund", "exchange")  # returns the window applies to
ACCEPTING = ("waiting_parcel", "refunded", "exchange_shipped")  # a return accepted
DECIDING = ("waiting_parcel", "refunded", "exchange_shipped", "resolved")  # a claim decided
OUTCOMES = ("refunded", "exchange_shipped", "resolved")
OPEN_STATES = tuple(s for s in STATES if s != "closed")

# The workflow: which step may follow which, per type. "Steps cannot be skipped": no refund
# on a return before its parcel is back, unless the type is refund only. ``parcel_received``
# is signed by an order clerk on their page (sign_parcel), never chosen here.
_COMMON = {
    "new": {"in_progress"},
    "in_progress": {"waiting_customer", "resolved"},
    "waiting_customer": {"in_progress"},
    "waiting_parcel": {"parcel_received"},
    "refunded": {"closed"},
    "exchange_shipped": {"closed"},
    "resolved": {"closed"},
    "closed": set(),
}


def _table(**extra) -> dict[str, set[str]]:
    table = {state: set(following) for state, following in _COMMON.items()}
    for state, following in extra.items():
        table.setdefault(state, set()).update(following)
    return table


TRANSITIONS = {
    "return_refund": _table(in_progress={"waiting_parcel"},
                            parcel_received={"refunded", "resolved"}),
    "exchange": _table(in_progress={"waiting_parcel"},
                       parcel_received={"exchange_shipped", "resolved"}),
    "refund_only": _table(in_progress={"refunded"}),
    "quality": _table(in_progress={"waiting_parcel"},
                      parcel_received={"refunded", "exchange_shipped", "resolved"}),
    "logistics": _table(in_progress={"waiting_parcel", "refunded", "exchange_shipped"},
                        parcel_received={"refunded", "exchange_shipped", "resolved"}),
    # the parcel comes back once intercepted (interception_result moves it on)
    "interception": _table(parcel_received={"refunded", "resolved"}),
}
SIGNED_BY_CLERK = "parcel_received"


# --- reading ---------------------------------------------------------------------------------


def agents() -> list[User]:
    """The active after-sales agents (whom a case may be assigned to)."""
    return list(db.session.scalars(
        sa.select(User).where(User.role == "aftersales", User.active.is_(True))
        .order_by(User.display_name, User.id)))


def visible_photos(case: AfterSalesCase) -> list[CasePhoto]:
    """The case's photos not hidden, oldest first."""
    return list(db.session.scalars(
        sa.select(CasePhoto).where(CasePhoto.case_id == case.id, CasePhoto.hidden_at.is_(None))
        .order_by(CasePhoto.id)))


def photos(case: AfterSalesCase) -> tuple[list[CasePhoto], list[CasePhoto]]:
    """The case's photos in one query, oldest first: (visible, hidden — kept, shown only as
    a line with the reason)."""
    every = db.session.scalars(
        sa.select(CasePhoto).where(CasePhoto.case_id == case.id).order_by(CasePhoto.id)).all()
    return ([p for p in every if p.hidden_at is None],
            [p for p in every if p.hidden_at is not None])


def events(case: AfterSalesCase) -> list[CaseEvent]:
    """What happened on the case, oldest first (with who)."""
    return list(db.session.scalars(
        sa.select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)))


def event_page(case: AfterSalesCase, *, before: str | None = None,
               per_page: int = 10) -> KeysetPage:
    """A page of what happened on the case, newest first (with who), older than the cursor
    ``before``: the card shows the first page, "show earlier" the next ones."""
    return keyset_page(sa.select(CaseEvent).where(CaseEvent.case_id == case.id),
                       (CaseEvent.id,), before=before, per_page=per_page)


@dataclass(frozen=True)
class Window:
    """R-A1: ``kind`` within | outside | unknown; ``days`` from delivery to the request."""

    kind: str
    days: int | None = None


def request_day(case: AfterSalesCase) -> date:
    """The day the customer asked (the case's opening, department time)."""
    return (clock.local(case.created_at) if case.created_at else clock.now()).date()


def window(case: AfterSalesCase) -> Window:
    """R-A1: whether the request came within 7 days of delivery."""
    if case.delivery_date is None:
        return Window("unknown")
    days = (request_day(case) - case.delivery_date).days
    return Window("within" if days <= WINDOW_DAYS else "outside", days)


def window_applies(case: AfterSalesCase) -> bool:
    """A no-reason return (not a confirmed quality problem) is held to the 7 days."""
    return case.type in NO_REASON and case.photos_confirm is not True


def needs_override(case: AfterSalesCase) -> bool:
    """Accepting this return needs a written reason (outside the window, none given yet)."""
    return (window_applies(case) and window(case).kind != "within"
            and not case.window_override)


@dataclass(frozen=True)
class Freight:
    """R-A3: who pays which leg. ``company_both``: the company pays both ways and owes the
    customer the return freight they advanced (``owed``, refunded at ``refunded_at``)."""

    company_both: bool
    owed: Decimal | None = None
    refunded_at: datetime | None = None

    @property
    def outstanding(self) -> bool:
        return self.company_both and self.owed is not None and self.refunded_at is None


def quality_confirmed(case: AfterSalesCase) -> bool:
    """A quality problem the photos confirm (R-A2, R-A3)."""
    return case.type == "quality" and case.photos_confirm is True


def freight(case: AfterSalesCase) -> Freight:
    """R-A3: a confirmed quality problem → the company pays both ways; otherwise the
    customer pays the return leg."""
    if quality_confirmed(case):
        return Freight(True, case.freight_owed, case.freight_refunded_at)
    return Freight(False)


def next_states(case: AfterSalesCase) -> list[str]:
    """The steps an agent may take from here (in the workflow's order)."""
    allowed = TRANSITIONS.get(case.type, _COMMON).get(case.state, set()) - {SIGNED_BY_CLERK}
    return [state for state in STATES if state in allowed]


# --- lists -----------------------------------------------------------------------------------


def search(viewer: User, *, view: str = "all", type: str | None = None,
           state: str | None = None, assignee_id: int | None = None,
           date_from: date | None = None, date_to: date | None = None,
           sla_kind: str | None = None, order_no: str | None = None,
           tracking: str | None = None):
    """The case list's query, newest first: ``view`` mine | unassigned | all; ``state``
    None means the open ones, "all" every state."""
    query = sa.select(AfterSalesCase).options(lazyload(AfterSalesCase.order))
    if view == "mine":
        query = query.where(AfterSalesCase.assignee_id == viewer.id)
    elif view == "unassigned":
        query = query.where(AfterSalesCase.assignee_id.is_(None))
    if assignee_id:
        query = query.where(AfterSalesCase.assignee_id == assignee_id)
    if type:
        query = query.where(AfterSalesCase.type == type)
    if state in STATES:
        query = query.where(AfterSalesCase.state == state)
    elif state != "all":
        query = query.where(AfterSalesCase.state.in_(OPEN_STATES))
    tz = clock.get_clock().tz
    if date_from:
        query = query.where(AfterSalesCase.created_at >= datetime.combine(date_from, time(), tz))
    if date_to:
        query = query.where(AfterSalesCase.created_at < datetime.combine(
            date_to + timedelta(days=1), time(), tz))
    if sla_kind:
        query = query.where(sla.breach_filter(AfterSalesCase, sla_kind))
    order_no = (order_no or "").strip()
    if order_no:
        # a range, not LIKE: the index serves the beginning of a number on both databases
        query = query.where(AfterSalesCase.order_no >= order_no,
                            AfterSalesCase.order_no < order_no + "\uffff")
    tracking = (tracking or "").strip()
    if tracking:
        query = query.where(AfterSalesCase.return_tracking_no >= tracking,
                            AfterSalesCase.return_tracking_no < tracking + "\uffff")
    return query


def waiting_parcels(tracking: str | None = None):
    """R-A5: the cases waiting for their returned parcel (the order clerks' page)."""
    query = (sa.select(AfterSalesCase).options(lazyload(AfterSalesCase.order))
             .where(AfterSalesCase.state == "waiting_parcel"))
    tracking = (tracking or "").strip()
    if tracking:
        query = query.where(AfterSalesCase.return_tracking_no >= tracking,
                            AfterSalesCase.return_tracking_no < tracking + "\uffff")
    return query


def waiting_parcel_count() -> int:
    """How many returned parcels the order clerks are waiting for (the navigation badge)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(AfterSalesCase)
                             .where(AfterSalesCase.state == "waiting_parcel"))


def waiting_since(case_ids) -> dict[int, datetime]:
    """{case id: when it began waiting for the parcel} for a page of cases, in one query."""
    ids = list(case_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(CaseEvent.case_id, sa.func.max(CaseEvent.at))
        .where(CaseEvent.case_id.in_(ids), CaseEvent.to_state == "waiting_parcel")
        .group_by(CaseEvent.case_id))
    return {case_id: at for case_id, at in rows}


# --- helpers of the changes ------------------------------------------------------------------


def _expect(case: AfterSalesCase, version: int | None) -> None:
    if version is None or int(version) != case.version:
        raise Conflict(case)


def _event(case: AfterSalesCase, user: User, kind: str, text: str = "", *,
           from_state: str | None = None, to_state: str | None = None,
           at: datetime | None = None) -> CaseEvent:
    event = CaseEvent(case_id=case.id, kind=kind, text=(text or "")[:2000], actor_id=user.id,
                      actor=user, from_state=from_state, to_state=to_state,
                      at=at or clock.now())
    db.session.add(event)
    return event


def _clean(text: str | None, limit: int) -> str:
    return (text or "").strip()[:limit]


def _agent(assignee_id) -> User | None:
    if assignee_id in (None, "", 0):
        return None
    user = db.session.get(User, number) if (number := record_id(assignee_id)) else None
    if user is None or user.role != "aftersales" or not user.active:
        raise RuleError(N_("Choose an after-sales agent from the list."), "assignee_id")
    return user


def _money(value: Decimal) -> str:
    return f"¥{value:,.2f}"


def _link(case: AfterSalesCase) -> str:
    return f"/aftersales/{case.id}"


def _check_dates(purchase: date | None, delivery: date | None) -> None:
    today = clock.today()
    if purchase and purchase > today:
        raise RuleError(N_("The purchase date cannot be in the future."), "purchase_date")
    if delivery and delivery > today:
        raise RuleError(N_("The delivery date cannot be in the future."), "delivery_date")
    if purchase and delivery and delivery < purchase:
        raise RuleError(N_("The delivery date is before the purchase date."), "delivery_date")


# --- opening a case --------------------------------------------------------------------------


def open_case(user: User, *, type: str, problem: str, order_id: int | None = None,
              order_no: str | None = None, platform: str | None = None,
              purchase_date: date | None = None, delivery_date: date | None = None,
              request: str = "", logistics_problem: str | None = None,
              category: str | None = None, return_courier: str | None = None,
              return_tracking_no: str | None = None,
              assignee_id: int | None = None) -> AfterSalesCase:
    """Open a case on a picked order (its number, platform and payment date copied) or on a
    typed order number; the SLA clock starts (R-A7)."""
    if type not in TYPES:
        raise RuleError(N_("Choose the kind of case from the list."), "type")
    if type == "logistics":
        if logistics_problem not in LOGISTICS_PROBLEMS:
            raise RuleError(N_("Choose what went wrong with the delivery."), "logistics_problem")
    else:
        logistics_problem = None
    if category and category not in CATEGORIES:
        raise RuleError(N_("Choose a complaint category from the list."), "category")
    category = category or {"quality": "quality", "logistics": "logistics"}.get(type)
    problem = _clean(problem, 1000)
    if not problem:
        raise RuleError(N_("Describe what is wrong."), "problem")
    return_courier = _clean(return_courier, 30) or None
    return_tracking_no = _clean(return_tracking_no, 40) or None
    order = None
    if order_id:
        order = db.session.get(Order, int(order_id))
        if order is None:
            raise RuleError(N_("This order is not in the portal; type its number instead."),
                            "order_no")
        order_no, platform = order.order_no, order.platform
        if purchase_date is None and order.paid_at is not None:
            purchase_date = clock.local(order.paid_at).date()
    else:
        order_no = _clean(order_no, 40)
        if not order_no:
            raise RuleError(N_("Pick the order, or type its number."), "order_no")
        if platform and platform not in PLATFORMS:
            raise RuleError(N_("Choose a platform from the list."), "platform")
        platform = platform or None
    _check_dates(purchase_date, delivery_date)
    interception = None
    if type == "interception":
        # R-A5: only a parcel on its way can be intercepted
        if order is not None:
            if order.stage != "shipped":
                raise RuleError(N_("Only a shipped order on its way can be intercepted."),
                                "order_no")
            return_courier, return_tracking_no = order.courier, order.tracking_no
        if not (return_courier and return_tracking_no):
            raise RuleError(N_("Enter the courier and tracking number of the parcel to "
                               "intercept."), "return_tracking_no")
        interception = "requested"
    assignee = _agent(assignee_id)
    now = clock.now()
    case = AfterSalesCase(
        type=type, logistics_problem=logistics_problem, category=category,
        order_id=order.id if order else None, order_no=order_no, platform=platform,
        purchase_date=purchase_date, delivery_date=delivery_date, problem=problem,
        request=_clean(request, 500), return_courier=return_courier,
        return_tracking_no=return_tracking_no, assignee_id=assignee.id if assignee else None,
        state="new", interception_state=interception, created_at=now, created_by_id=user.id)
    sla.start(case, now)
    db.session.add(case)
    db.session.flush()
    _event(case, user, "state", N_("Case opened"), to_state="new", at=now)
    if assignee:
        _event(case, user, "assign", assignee.display_name, at=now)
    audit.record("aftersales.case_opened", case, actor=user, details={
        "type": type, "order_no": order_no, "order_id": case.order_id,
        "assignee": assignee.display_name if assignee else None})
    if assignee and assignee.id != user.id:
        notify(assignee, N_("After-sales case #%(id)s (order %(no)s) was assigned to you by "
                            "%(name)s."), _link(case), id=case.id, no=order_no,
               name=user.display_name)
    elif assignee is None and user.role != "aftersales":
        notify_role("aftersales", N_("New after-sales case #%(id)s (order %(no)s) opened by "
                                     "%(name)s."), _link(case), id=case.id, no=order_no,
                    name=user.display_name)
    db.session.flush()
    return case


def refund_voided_order(order: Order, *, user: User, **_signal) -> None:
    """R-O2: refunds are after-sales' — a paid order voided (the order desk's signal
    ``order_voided_while_paid``) opens a "refund only" case, with the buyer's reason as the
    problem; in the voiding's transaction (flushed, never committed)."""
    open_case(user, type="refund_only", order_id=order.id,
              problem=order.cancel_reason or order.order_no)


# --- assignment, notes, details --------------------------------------------------------------


def assign(user: User, case: AfterSalesCase, version: int,
           assignee_id: int | None) -> AfterSalesCase:
    """Give the case to an after-sales agent (or back to the unassigned list)."""
    _expect(case, version)
    assignee = _agent(assignee_id)
    new_id = assignee.id if assignee else None
    if new_id == case.assignee_id:
        raise RuleError(N_("The case is already with this agent."), "assignee_id")
    before = case.assignee.display_name if case.assignee else None
    case.assignee_id = new_id
    case.assignee = assignee
    _event(case, user, "assign", assignee.display_name if assignee else "")
    audit.record("aftersales.case_assigned", case, actor=user, changes={
        "assignee": [before, assignee.display_name if assignee else None]})
    if assignee and assignee.id != user.id:
        notify(assignee, N_("After-sales case #%(id)s (order %(no)s) was assigned to you by "
                            "%(name)s."), _link(case), id=case.id, no=case.order_no,
               name=user.display_name)
    db.session.flush()  # a change made meanwhile fails here: the runner answers 409
    return case


def _case_text(case: AfterSalesCase, text: str | None, empty: str) -> str:
    """The text of a note or a reply, trimmed; refused when empty (``empty``), too long, or
    on a closed case."""
    text = (text or "").strip()
    if not text:
        raise RuleError(empty, "text")
    if len(text) > 2000:
        raise RuleError(N_("Keep this under %(max)d characters."), "text", max=2000)
    if case.state == "closed":
        raise RuleError(N_("The case is closed."), "text")
    return text


def _responded(user: User, case: AfterSalesCase, kind: str, action: str, text: str,
               missing: str) -> CaseEvent:
    """Text written on the case that answers the first-response clock (a note, a reply)."""
    text = _case_text(case, text, missing)
    now = clock.now()
    sla.responded(case, now)
    event = _event(case, user, kind, text, at=now)
    audit.record(action, case, actor=user, details={"text": text[:200]})
    db.session.flush()  # a change made meanwhile fails here: the runner answers 409
    return event


def add_note(user: User, case: AfterSalesCase, text: str) -> CaseEvent:
    """An internal note on the case (a call to the customer noted counts as the first
    response)."""
    return _responded(user, case, "note", "aftersales.note_added", text,
                      N_("Write the note first."))


def record_reply(user: User, case: AfterSalesCase, text: str) -> CaseEvent:
    """What the agent sent the customer (in the platform's chat), on the case's history as a
    reply to the customer, apart from the internal notes; it answers the first-response
    clock."""
    return _responded(user, case, "reply", "aftersales.replied", text,
                      N_("Write or choose the reply you sent."))


DETAIL_FIELDS = ("problem", "request", "purchase_date", "delivery_date", "return_courier",
                 "return_tracking_no", "category", "platform_status", "logistics_problem")


def update_details(user: User, case: AfterSalesCase, version: int, **fields) -> AfterSalesCase:
    """Correct what the case records: dates, problem and request, the return parcel's
    courier and number, the complaint category, the platform's refund/dispute status."""
    _expect(case, version)
    if case.state == "closed":
        raise RuleError(N_("The case is closed."))
    values = {name: fields.get(name, getattr(case, name)) for name in DETAIL_FIELDS}
    for name in ("problem", "request", "return_courier", "return_tracking_no"):
        limit = {"problem": 1000, "request": 500, "return_courier": 30}.get(name, 40)
        values[name] = _clean(values[name], limit)
    if not values["problem"]:
        raise RuleError(N_("Describe what is wrong."), "problem")
    for name in ("return_courier", "return_tracking_no", "category", "platform_status",
                 "logistics_problem"):
        values[name] = values[name] or None
    if values["category"] and values["category"] not in CATEGORIES:
        raise RuleError(N_("Choose a complaint category from the list."), "category")
    if values["platform_status"] and values["platform_status"] not in PLATFORM_STATUSES:
        raise RuleError(N_("Choose a platform status from the list."), "platform_status")
    if case.type == "logistics":
        if values["logistics_problem"] not in LOGISTICS_PROBLEMS:
            raise RuleError(N_("Choose what went wrong with the delivery."),
                            "logistics_problem")
    else:
        values["logistics_problem"] = None
    _check_dates(values["purchase_date"], values["delivery_date"])
    before = {name: getattr(case, name) for name in DETAIL_FIELDS}
    for name, value in values.items():
        setattr(case, name, value)
    changes = audit.changes(case, DETAIL_FIELDS, before)
    if not changes:
        raise RuleError(N_("Nothing was changed."))
    now = clock.now()
    if "platform_status" in changes:
        # the refund/dispute queue counts the age from this event
        _event(case, user, "platform", case.platform_status or "", at=now)
    _event(case, user, "details", ", ".join(sorted(changes)), at=now)
    audit.record("aftersales.case_changed", case, actor=user, changes=changes)
    db.session.flush()  # a change made meanwhile fails here: the runner answers 409
    return case


# --- evidence, freight, interception ---------------------------------------------------------


def confirm_photos(user: User, case: AfterSalesCase, version: int,
                   confirms: bool) -> AfterSalesCase:
    """R-A2: record whether the photos confirm the claim (needs at least one photo)."""
    _expect(case, version)
    if case.state == "closed":
        raise RuleError(N_("The case is closed."))
    if not visible_photos(case):
        raise RuleError(N_("Add at least one photo before recording what it shows."),
                        "photos_confirm")
    if case.photos_confirm is confirms:
        raise RuleError(N_("This is already recorded."), "photos_confirm")
    before = case.photos_confirm
    case.photos_confirm = confirms
    _event(case, user, "confirm", N_("The photos confirm the claim.") if confirms
           else N_("The photos do not confirm the claim."))
    audit.record("aftersales.photos_checked", case, actor=user,
                 changes={"photos_confirm": [before, confirms]})
    db.session.flush()  # a change made meanwhile fails here: the runner answers 409
    return case


def set_freight_owed(user: User, case: AfterSalesCase, version: int,
                     amount: Decimal | None) -> AfterSalesCase:
    """R-A3: the return freight the customer advanced, which the company owes back."""
    _expect(case, version)
    if not freight(case).company_both:
        raise RuleError(N_("The customer pays the return leg here: only a confirmed quality "
                           "problem makes the company owe the freight."), "amount")
    if case.freight_refunded_at is not None:
        raise RuleError(N_("The freight was already refunded."), "amount")
    if amount is None or amount <= 0:
        raise RuleError(N_("Enter the freight the customer paid."), "amount")
    if amount > Decimal("9999"):
        raise RuleError(N_("From 0 to 9,999."), "amount")
    before = case.freight_owed
    case.freight_owed = amount
    _event(case, user, "freight", _money(amount))
    audit.record("aftersales.freight_owed", case, actor=user,
                 changes={"freight_owed": [str(before) if before is not None else None,
                                           str(amount)]})
    db.session.flush()  # a change made meanwhile fails here: the runner answers 409
    return case


def freight_refunded(user: User, case: AfterSalesCase, version: int) -> AfterSalesCase:
    """R-A3: the advanced return freight was paid back to the customer."""
    _expect(case, version)
    owed = freight(case)
    if not owed.company_both or owed.owed is None:
        raise RuleError(N_("Enter the freight owed first."), "amount")
    if owed.refunded_at is not None:
        raise RuleError(N_("The freight was already refunded."), "amount")
    now = clock.now()
    case.freight_refunded_at = now
    _event(case, user, "freight", N_("Freight refunded"), at=now)
    audit.record("aftersales.freight_refunded", case, actor=user,
                 changes={"freight_refunded_at": [None, now.isoformat()]},
                 details={"amount": str(case.freight_owed)})
    db.session.flush()  # a change made meanwhile fails here: the runner answers 409
    return case


def interception_result(user: User, case: AfterSalesCase, version: int,
                        outcome: str) -> AfterSalesCase:
    """R-A5: the courier intercepted the parcel (it comes back: waiting for it), or could
    not (the case becomes a normal return)."""
    _expect(case, version)
    if case.type != "interception" or case.interception_state != "requested":
        raise RuleError(N_("There is no interception waiting for an answer on this case."))
    if outcome not in ("intercepted", "failed"):
        raise RuleError(N_("Choose what the courier answered."))
    now = clock.now()
    if outcome == "intercepted":
        case.interception_state = "intercepted"
        _event(case, user, "interception", N_("Intercepted"), at=now)
        audit.record("aftersales.interception", case, actor=user,
                     changes={"interception_state": ["requested", "intercepted"]})
        if case.state in ("new", "in_progress", "waiting_customer"):
            _move(user, case, "waiting_parcel", now, N_("The intercepted parcel comes back."))
    else:
        before = {"type": case.type, "interception_state": case.interception_state,
                  "return_courier": case.return_courier,
                  "return_tracking_no": case.return_tracking_no}
        case.interception_state = "failed"
        case.type = "return_refund"
        # the customer gets the parcel and sends it back under a new number
        case.return_courier = case.return_tracking_no = None
        _event(case, user, "interception",
               N_("Interception failed: the case continues as a return."), at=now)
        audit.record("aftersales.interception", case, actor=user, changes=audit.changes(
            case, tuple(before), before))
    db.session.flush()  # a change made meanwhile fails here: the runner answers 409
    return case


# --- the workflow ----------------------------------------------------------------------------


def _move(user: User, case: AfterSalesCase, new: str, now: datetime, text: str = "") -> None:
    old = case.state
    case.state = new
    with db.session.no_autoflush:  # the clock reads the shift hours: one UPDATE, not two
        sla.on_state_change(case, old, new, now)
    if new == "closed":
        case.closed_at = now
    _event(case, user, "state", text, from_state=old, to_state=new, at=now)


def change_state(user: User, case: AfterSalesCase, version: int, new: str, *,
                 refund_amount: Decimal | None = None, window_override: str | None = None,
                 return_courier: str | None = None, return_tracking_no: str | None = None,
                 comment: str = "") -> AfterSalesCase:
    """Move the case one step on; refuses a skipped step, a quality claim decided without
    photos and their check (R-A2), a no-reason return accepted outside 7 days without a
    written reason (R-A1), a refund above the order's amount. Closing schedules the
    return visit (R-C2)."""
    _expect(case, version)
    old = case.state
    if new not in STATES:
        raise RuleError(N_("Choose a step from the list."), "state")
    if new == SIGNED_BY_CLERK:
        raise RuleError(N_("An order clerk signs the returned parcel's receipt on the "
                           "returned-parcels page."), "state")
    if new not in TRANSITIONS.get(case.type, _COMMON).get(old, set()):
        raise RuleError(N_("A case cannot go from “%(from_state)s” to “%(to_state)s”: "
                           "steps cannot be skipped."), "state", from_state=old, to_state=new)
    if case.type == "quality" and new in DECIDING:
        # R-A2: no decision on a quality claim before its photos are checked
        if not visible_photos(case):
            raise RuleError(N_("A quality complaint needs at least one photo before it is "
                               "decided."), "photos")
        if case.photos_confirm is None:
            raise RuleError(N_("Record whether the photos confirm the claim before "
                               "deciding."), "photos_confirm")
    window_override = _clean(window_override, 300)
    override_given = new in ACCEPTING and needs_override(case)
    if override_given and not window_override:
        # R-A1: outside the 7 days a no-reason return needs a written reason
        message = (N_("The delivery date is not known: enter it, or write why the return "
                      "is accepted anyway.") if window(case).kind == "unknown"
                   else N_("The request came %(days)d days after delivery (more than 7): "
                           "write why the return is accepted anyway."))
        raise RuleError(message, "window_override", days=window(case).days or 0)
    if new == "refunded":
        if refund_amount is None:
            raise RuleError(N_("Enter the refunded amount."), "refund_amount")
        if refund_amount <= 0:
            raise RuleError(N_("The refund must be more than zero."), "refund_amount")
        if case.order is not None and refund_amount > case.order.amount:
            raise RuleError(N_("The refund %(amount)s is more than the order's amount "
                               "%(total)s."), "refund_amount", amount=_money(refund_amount),
                            total=_money(case.order.amount))
        case.refund_amount = refund_amount
    if override_given:
        case.window_override = window_override
    if new == "waiting_parcel":
        courier, number = _clean(return_courier, 30), _clean(return_tracking_no, 40)
        if courier:
            case.return_courier = courier
        if number:
            case.return_tracking_no = number
    now = clock.now()
    _move(user, case, new, now, _clean(comment, 500))
    changes = {"state": [old, new]}
    if new == "refunded":
        changes["refund_amount"] = [None, str(refund_amount)]
    if override_given:
        changes["window_override"] = [None, window_override]
    audit.record("aftersales.state_changed", case, actor=user, changes=changes)
    if new == "closed":
        visits.schedule(case, now)
    db.session.flush()  # a change made meanwhile fails here: the runner answers 409
    return case


def sign_parcel(user: User, case: AfterSalesCase, version: int) -> AfterSalesCase:
    """R-A5: an order clerk signs "原包裹已收到" — the returned parcel is back (name and
    date); the case's agent is told."""
    _expect(case, version)
    if case.state != "waiting_parcel":
        raise RuleError(N_("This case is not waiting for a returned parcel."))
    now = clock.now()
    case.parcel_received_at = now
    case.parcel_received_by_id = user.id
    case.parcel_received_by = user
    _move(user, case, SIGNED_BY_CLERK, now, N_("Original parcel received"))
    audit.record("aftersales.parcel_received", case, actor=user,
                 changes={"state": ["waiting_parcel", SIGNED_BY_CLERK]},
                 details={"tracking_no": case.return_tracking_no})
    message = N_("Case #%(id)s: the returned parcel %(tracking)s was received by %(name)s.")
    params = {"id": case.id, "tracking": case.return_tracking_no or case.order_no,
              "name": user.display_name}
    if case.assignee is not None:
        notify(case.assignee, message, _link(case), **params)
    else:
        notify_role("aftersales", message, _link(case), **params)
    db.session.flush()  # a change made meanwhile fails here: the runner answers 409
    return case
