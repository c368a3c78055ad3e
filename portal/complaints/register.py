"""The complaint register (R-C3; issue 18 items 1 and 2): record, work, escalate, answer,
close a complaint; its due time in working time; escalation by a person and by the clock.

received -> investigating -> answered -> closed; escalated beside received/investigating
(the escalated person's decision moves it back to investigating); answered or closed may be
reopened. Serious complaints go to the supervisor at once, crisis ones to the supervisor and
the manager; a complaint past its due time goes one level up by itself (``escalate_overdue``,
run by the job queue's "complaints past due" reminder). Every step is a ``ComplaintEvent``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import url_for

from portal import audit, clock
from portal.actions import Conflict, NotAllowed
from portal.aftersales import sla
from portal.aftersales.models import AfterSalesCase
from portal.auth.models import User
from portal.complaints.models import (
    CHANNELS,
    LEVELS,
    OPEN_STATES,
    SATISFACTION,
    SEVERITIES,
    STATES,
    Complaint,
    ComplaintCategory,
    ComplaintDueRule,
    ComplaintEvent,
)
from portal.customers.models import Customer
from portal.extensions import db
from portal.handover.models import HandoverItem
from portal.i18n import N_
from portal.notifications import notify, notify_role, term
from portal.orders.models import Order
from portal.paging import KeysetPage, keyset_page
from portal.reception.names import clean_names
from portal.rules import RuleError

SAID_MAX = 4000
ASKS_MAX = 1000
TEXT_MAX = 4000
PER_PAGE = 7  # a page of the register (the filters answer it in place) stays within 5 KB
DEFAULT_HOURS = {"normal": 16, "serious": 8, "crisis": 2}
# a complaint of this severity goes at once to this level (1 the supervisor, 2 the manager too)
LEVEL_OF_SEVERITY = {"normal": 0, "serious": 1, "crisis": 2}
ROLES_OF_LEVEL = {1: ("supervisor",), 2: ("supervisor", "manager")}

EVENT_KINDS = {
    "received": N_("Complaint received"),
    "state": N_("State changed"),
    "note": N_("Note"),
    "reassigned": N_("Reassigned"),
    "escalated": N_("Escalated"),
    "overdue": N_("Escalated by the clock"),
    "decision": N_("Decision"),
    "answered": N_("Answered"),
    "closed": N_("Closed"),
    "reopened": N_("Reopened"),
    "follow_up": N_("Follow-up call planned"),
}


class ComplaintError(RuleError):
    """A complaint step the rules refuse."""


# --- reading ---------------------------------------------------------------------------------


def categories(active_only: bool = True) -> list[ComplaintCategory]:
    query = sa.select(ComplaintCategory).order_by(ComplaintCategory.position,
                                                  ComplaintCategory.id)
    if active_only:
        query = query.where(ComplaintCategory.active.is_(True))
    return list(db.session.scalars(query))


def due_rules() -> dict[str, ComplaintDueRule]:
    rules = {r.severity: r for r in db.session.scalars(sa.select(ComplaintDueRule))}
    return {s: rules[s] for s in SEVERITIES if s in rules}


def due_hours(severity: str) -> int:
    rule = db.session.get(ComplaintDueRule, severity)
    return rule.hours if rule else DEFAULT_HOURS[severity]


def due_at(received_at: datetime, severity: str) -> datetime:
    """When a complaint received at ``received_at`` must be answered: the severity's hours
    of working time (the after-sales SLA clock's)."""
    return sla.add_working(received_at, due_hours(severity) * 60, sla.working_periods())


def get(complaint_id: int) -> Complaint | None:
    return db.session.get(Complaint, complaint_id)


@dataclass(frozen=True)
class Filters:
    """The register's filters (None: any)."""

    state: str | None = None  # a STATES code, or "open"
    severity: str | None = None
    category_id: int | None = None
    owner_id: int | None = None
    mine: bool = False
    month: date | None = None  # the first day of the received month
    customer_id: int | None = None  # a customer's complaints (from their record)

    def apply(self, query, user: User):
        if self.state == "open":
            query = query.where(Complaint.state.in_(OPEN_STATES))
        elif self.state:
            query = query.where(Complaint.state == self.state)
        if self.severity:
            query = query.where(Complaint.severity == self.severity)
        if self.category_id:
            query = query.where(Complaint.category_id == self.category_id)
        if self.mine:
            query = query.where(Complaint.owner_id == user.id)
        elif self.owner_id:
            query = query.where(Complaint.owner_id == self.owner_id)
        if self.customer_id:
            query = query.where(Complaint.customer_id == self.customer_id)
        if self.month:
            first = datetime.combine(self.month, datetime.min.time(), clock.get_clock().tz)
            following = (self.month.replace(day=28) + timedelta(days=4)).replace(day=1)
            last = datetime.combine(following, datetime.min.time(), clock.get_clock().tz)
            query = query.where(Complaint.received_at >= first, Complaint.received_at < last)
        return query


def page(user: User, filters: Filters, *, before: str | None = None,
         after: str | None = None, per_page: int = PER_PAGE) -> KeysetPage:
    """A page of the register, newest received first."""
    query = filters.apply(sa.select(Complaint), user)
    return keyset_page(query, (Complaint.received_at, Complaint.id), before=before,
                       after=after, per_page=per_page)


def events(complaint: Complaint) -> list[ComplaintEvent]:
    return list(db.session.scalars(
        sa.select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id)
        .options(sa.orm.joinedload(ComplaintEvent.user)).order_by(ComplaintEvent.id)))


def overdue(complaint: Complaint, now: datetime | None = None) -> bool:
    return bool(complaint.is_open and complaint.due_at and complaint.due_at <= (now or clock.now()))


def age_hours(complaint: Complaint, now: datetime | None = None) -> int:
    return int(((now or clock.now()) - complaint.received_at).total_seconds() // 3600)


def open_by_severity() -> list[dict]:
    """The open complaints per severity with the oldest's received moment (one query)."""
    rows = db.session.execute(
        sa.select(Complaint.severity, sa.func.count(), sa.func.min(Complaint.received_at))
        .where(Complaint.state.in_(OPEN_STATES)).group_by(Complaint.severity)).all()
    found = {severity: (count, oldest) for severity, count, oldest in rows}
    return [{"severity": s, "count": found.get(s, (0, None))[0],
             "oldest": found.get(s, (0, None))[1]} for s in reversed(list(SEVERITIES))]


def linked_to(column, ident: int) -> list[Complaint]:
    """Complaints raised from one case or handover item (``column`` of Complaint)."""
    return list(db.session.scalars(sa.select(Complaint).where(column == ident)
                                   .order_by(Complaint.id).limit(5)))


# --- steps -----------------------------------------------------------------------------------


def _event(complaint: Complaint, user: User | None, kind: str, *, state: str | None = None,
           level: int | None = None, text: str = "") -> ComplaintEvent:
    event = ComplaintEvent(complaint=complaint, user_id=user.id if user else None, kind=kind,
                           state=state, level=level, text=text, at=clock.now())
    db.session.add(event)
    return event


def _link(complaint: Complaint) -> str:
    """The complaint's page (outside a request too: the demo loader, the job queue)."""
    try:
        return url_for("complaints.show", complaint_id=complaint.id)
    except RuntimeError:
        return f"/complaints/{complaint.id}"


def _check(complaint: Complaint, version: int | None, *states: str) -> None:
    if (version is not None and version != complaint.version) or (
            states and complaint.state not in states):
        raise Conflict(complaint)


def _may_work(user: User, complaint: Complaint) -> None:
    """The owner works a complaint; the supervisor and the manager work any."""
    if not (complaint.owner_id == user.id or user.can("complaints.oversee")):
        raise NotAllowed("complaints.work")


def _text(value: str | None, field: str, limit: int = TEXT_MAX, required: str | None = None) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ComplaintError(required, field)
    if len(value) > limit:
        raise ComplaintError(N_("Keep this under %(max)d characters."), field, max=limit)
    return value


def _tell_level(complaint: Complaint, level: int, message: str, **params) -> int:
    """Notify the people of escalation ``level``: the supervisor (1), the supervisor and the
    manager (2), in one statement. How many were told."""
    roles = ROLES_OF_LEVEL.get(level, ())
    if not roles:
        return 0
    return len(notify_role(roles, message, _link(complaint), number=complaint.id,
                           severity=term(SEVERITIES[complaint.severity]), **params))


def _resolve_links(*, customer_id, order_no, case_id, handover_item_id):
    """The customer, order, case and handover item a new complaint concerns; a number that
    names nothing is refused."""
    customer = order = case = item = None
    if customer_id:
        customer = db.session.get(Customer, customer_id)
        if customer is None:
            raise ComplaintError(N_("Choose the customer from the search."), "customer")
        while customer.merged_into_id:
            customer = db.session.get(Customer, customer.merged_into_id)
    if order_no:
        order = db.session.scalar(sa.select(Order).where(Order.order_no == order_no).limit(1))
        if order is None:
            raise ComplaintError(N_("No order has this number."), "order_no")
    if case_id:
        case = db.session.get(AfterSalesCase, case_id)
        if case is None:
            raise ComplaintError(N_("No after-sales case has this number."), "case")
    if handover_item_id:
        item = db.session.get(HandoverItem, handover_item_id)
        if item is None:
            raise ComplaintError(N_("No handover item has this number."), "handover_item")
    if customer is None:
        customer_id = (case.customer_id if case else None) or (
            order.customer_id if order else None)
        customer = db.session.get(Customer, customer_id) if customer_id else None
    if order is None and case is not None and getattr(case, "order_id", None):
        order = db.session.get(Order, case.order_id)
    return customer, order, case, item


def create(user: User, *, received_at: datetime | None, channel: str, category_id: int | None,
           severity: str, said: str, asks: str = "", owner_id: int | None = None,
           customer_id: int | None = None, order_no: str | None = None,
           case_id: int | None = None, handover_item_id: int | None = None) -> Complaint:
    """Record a complaint; its due time from the severity's rule; serious and crisis ones
    escalated at once (R-C3)."""
    now = clock.now()
    if channel not in CHANNELS:
        raise ComplaintError(N_("Choose a channel from the list."), "channel")
    if severity not in SEVERITIES:
        raise ComplaintError(N_("Choose a severity from the list."), "severity")
    category = db.session.get(ComplaintCategory, category_id) if category_id else None
    if category is None or not category.active:
        raise ComplaintError(N_("Choose a category from the list."), "category")
    said = _text(said, "said", SAID_MAX, N_("Write what the customer said."))
    asks = _text(asks, "asks", ASKS_MAX)
    received_at = received_at or now
    if received_at > now + timedelta(minutes=5):
        raise ComplaintError(N_("A complaint cannot be received in the future."),
                             "received_at")
    if received_at < now - timedelta(days=366):
        raise ComplaintError(N_("Received more than a year ago? Check the date."),
                             "received_at")
    owner = db.session.get(User, owner_id) if owner_id else user
    if owner is None or not owner.active or not owner.can("complaints.work"):
        raise ComplaintError(N_("Choose an owner from the list."), "owner")
    customer, order, case, item = _resolve_links(
        customer_id=customer_id, order_no=order_no, case_id=case_id,
        handover_item_id=handover_item_id)
    complaint = Complaint(
        received_at=received_at, channel=channel, category=category, severity=severity,
        said=said, asks=asks, owner_id=owner.id, created_by_id=user.id, created_at=now,
        customer_id=customer.id if customer else None, order_id=order.id if order else None,
        case_id=case.id if case else None, handover_item_id=item.id if item else None,
        due_at=due_at(received_at, severity), state="received", level=0)
    db.session.add(complaint)
    _event(complaint, user, "received", state="received")
    level = LEVEL_OF_SEVERITY[severity]
    if level:  # serious and crisis go up at once, written with the complaint
        _raise_level(complaint, None, level, "")
    db.session.flush()
    audit.record("complaints.created", complaint, actor=user, changes={
        "state": [None, "received"], "severity": [None, severity]})
    if level:
        _escalation_told(complaint, None, level, "", "escalated", "received")
    if owner.id != user.id:
        notify(owner, N_("Complaint #%(number)s was recorded and given to you. Investigate it "
                         "and answer the customer before it is due."), _link(complaint),
               number=complaint.id)
    return complaint


def _escalate(complaint: Complaint, user: User | None, level: int, reason: str,
              kind: str = "escalated") -> None:
    old = complaint.state
    _raise_level(complaint, user, level, reason, kind)
    _escalation_told(complaint, user, level, reason, kind, old)


def _raise_level(complaint: Complaint, user: User | None, level: int, reason: str,
                 kind: str = "escalated") -> None:
    """The escalation's state and event (before a new complaint's first flush: no UPDATE)."""
    complaint.level = level
    complaint.state = "escalated"
    complaint.escalated_at = clock.now()
    _event(complaint, user, kind, state="escalated", level=level, text=reason)


def _escalation_told(complaint: Complaint, user: User | None, level: int, reason: str,
                     kind: str, old: str) -> None:
    """Its audit event and who is told (its level's roles, at once). The audit event first:
    telling is one INSERT … SELECT, whose autoflush then writes it with any other pending."""
    audit.record("complaints.escalated", complaint, actor=user, changes={
        "state": [old, "escalated"], "level": [level - 1 if level else 0, level]},
        details={"by": "clock"} if kind == "overdue" else None)
    if kind == "overdue":
        pass  # the job queue's reminder tells them, once (escalate_overdue's caller)
    elif user is None:
        message = N_("A %(severity)s complaint (#%(number)s) was recorded. It is escalated to "
                     "you: look at it now and record your decision.")
        _tell_level(complaint, level, message)
    else:
        message = N_("%(name)s escalated complaint #%(number)s (%(severity)s) to you: "
                     "%(reason)s. Record your decision on the complaint.")
        _tell_level(complaint, level, message, name=user.display_name, reason=reason)


def start(user: User, complaint: Complaint, version: int | None) -> Complaint:
    """The owner starts investigating."""
    _may_work(user, complaint)
    _check(complaint, version, "received")
    complaint.state = "investigating"
    _event(complaint, user, "state", state="investigating")
    audit.record("complaints.investigating", complaint, actor=user,
                 changes={"state": ["received", "investigating"]})
    return complaint


def add_note(user: User, complaint: Complaint, version: int | None, text: str) -> Complaint:
    """A note on the complaint (anyone working complaints)."""
    _check(complaint, version)
    text = _text(text, "text", required=N_("Write the note."))
    _event(complaint, user, "note", text=text)
    complaint.updated_at = clock.now()  # the version moves: the page's forms follow
    return complaint


def reassign(user: User, complaint: Complaint, version: int | None,
             owner_id: int | None) -> Complaint:
    """The supervisor or the manager gives the complaint to someone else."""
    if not user.can("complaints.oversee"):
        raise NotAllowed("complaints.oversee")
    _check(complaint, version, *OPEN_STATES, "answered")
    owner = db.session.get(User, owner_id) if owner_id else None
    if owner is None or not owner.active or not owner.can("complaints.work"):
        raise ComplaintError(N_("Choose an owner from the list."), "owner")
    if owner.id == complaint.owner_id:
        raise ComplaintError(N_("The complaint is already theirs."), "owner")
    old = complaint.owner_id
    complaint.owner_id = owner.id
    complaint.owner = owner
    _event(complaint, user, "reassigned", text=owner.display_name)
    audit.record("complaints.reassigned", complaint, actor=user,
                 changes={"owner_id": [old, owner.id]})
    notify(owner, N_("%(name)s gave you complaint #%(number)s. Investigate it and answer the "
                     "customer before it is due."), _link(complaint),
           name=user.display_name, number=complaint.id)
    return complaint


def escalate(user: User, complaint: Complaint, version: int | None, reason: str) -> Complaint:
    """Escalate one level, with a reason: the supervisor, then the manager too."""
    _check(complaint, version, *OPEN_STATES)
    reason = _text(reason, "reason", 500, N_("Say why it is escalated."))
    if complaint.level >= 2:
        raise ComplaintError(N_("The complaint is already with the manager."), "reason")
    _escalate(complaint, user, complaint.level + 1, reason)
    return complaint


def decides(user: User, complaint: Complaint) -> bool:
    """Whether ``user`` is the one to record the decision on the escalated complaint: the
    supervisor at level 1; at level 2 (a crisis, or escalated again) the manager, though the
    supervisor is told as well."""
    return complaint.state == "escalated" and user.can("complaints.oversee") \
        and (complaint.level < 2 or user.role == "manager")


def decide(user: User, complaint: Complaint, version: int | None, text: str) -> Complaint:
    """The person it was escalated to records what they decided; it goes back to work."""
    if not user.can("complaints.oversee"):
        raise NotAllowed("complaints.oversee")
    _check(complaint, version, "escalated")
    if not decides(user, complaint):
        raise ComplaintError(N_("The complaint is with the manager: the manager records the "
                                "decision."), "text")
    text = _text(text, "text", required=N_("Write what you decided."))
    complaint.state = "investigating"
    _event(complaint, user, "decision", state="investigating", level=complaint.level, text=text)
    audit.record("complaints.decided", complaint, actor=user,
                 changes={"state": ["escalated", "investigating"]})
    if complaint.owner_id and complaint.owner_id != user.id:
        notify(db.session.get(User, complaint.owner_id), N_(
            "%(name)s decided on complaint #%(number)s: %(decision)s"), _link(complaint),
            name=user.display_name, number=complaint.id, decision=text[:200])
    return complaint


def answer(user: User, complaint: Complaint, version: int | None, text: str,
           follow_up=None) -> Complaint:
    """The answer given to the customer (text required); a follow-up call is planned, where
    the customer's satisfaction is asked (``follow_up(customer_id, assignee_id)`` gives the
    call's due moment, or None)."""
    _may_work(user, complaint)
    _check(complaint, version, *OPEN_STATES)
    text = _text(text, "answer", required=N_("Write the answer given to the customer."))
    old = complaint.state
    now = clock.now()
    complaint.state = "answered"
    complaint.answer = text
    complaint.answered_at = now
    complaint.answered_by_id = user.id
    _event(complaint, user, "answered", state="answered", text=text)
    audit.record("complaints.answered", complaint, actor=user,
                 changes={"state": [old, "answered"]})
    if follow_up is not None and complaint.customer_id:
        when = follow_up(complaint.customer_id, complaint.owner_id or user.id)
        if when is not None:
            _event(complaint, user, "follow_up", text=clock.local(when).strftime("%Y-%m-%d %H:%M"))
    return complaint


def close(user: User, complaint: Complaint, version: int | None,
          satisfaction: str | None) -> Complaint:
    """Close an answered complaint with the customer's satisfaction (asked at the follow-up
    call). An unanswered complaint cannot be closed."""
    _may_work(user, complaint)
    _check(complaint, version)
    if complaint.state != "answered" or not complaint.answer:
        raise ComplaintError(N_("A complaint cannot be closed before it is answered."),
                             "satisfaction")
    if satisfaction not in SATISFACTION:
        raise ComplaintError(N_("Choose the customer's satisfaction from the list."),
                             "satisfaction")
    complaint.state = "closed"
    complaint.satisfaction = satisfaction
    complaint.closed_at = clock.now()
    _event(complaint, user, "closed", state="closed")
    audit.record("complaints.closed", complaint, actor=user,
                 changes={"state": ["answered", "closed"], "satisfaction": [None, satisfaction]})
    return complaint


def reopen(user: User, complaint: Complaint, version: int | None, reason: str) -> Complaint:
    """An answered or closed complaint taken up again (the customer came back)."""
    _may_work(user, complaint)
    _check(complaint, version, "answered", "closed")
    reason = _text(reason, "reason", 500, N_("Say why it is reopened."))
    old = complaint.state
    complaint.state = "investigating"
    complaint.closed_at = None
    complaint.satisfaction = None
    complaint.due_at = due_at(clock.now(), complaint.severity)
    _event(complaint, user, "reopened", state="investigating", text=reason)
    audit.record("complaints.reopened", complaint, actor=user,
                 changes={"state": [old, "investigating"]})
    return complaint


# --- the clock -------------------------------------------------------------------------------


def escalate_overdue(since: datetime, now: datetime) -> list[Complaint]:
    """Open complaints whose due time fell in (since, now]: one level up each, by the clock,
    with a new due time (so that one still unanswered goes up again later). Each window is
    handled once (the job queue's mark), so each due moment escalates once."""
    found = list(db.session.scalars(
        sa.select(Complaint).where(Complaint.state.in_(OPEN_STATES), Complaint.due_at > since,
                                   Complaint.due_at <= now).order_by(Complaint.id)))
    moved = []
    for complaint in found:
        if complaint.level >= 2:
            continue
        _escalate(complaint, None, complaint.level + 1, "", kind="overdue")
        complaint.due_at = due_at(now, complaint.severity)
        moved.append(complaint)
    db.session.flush()
    return moved


# --- the supervisor's lists ------------------------------------------------------------------


def save_category(user: User, category: ComplaintCategory | None, version: int | None, *,
                  name: str, names: dict, position: int, active: bool) -> ComplaintCategory:
    """Add or change a category (names per language; a category is never deleted, it is
    switched off)."""
    name = _text(name, "name", 30, N_("Give the category a name."))
    taken = db.session.scalar(sa.select(ComplaintCategory.id).where(
        ComplaintCategory.name == name))
    if taken and (category is None or taken != category.id):
        raise ComplaintError(N_("A category of this name exists already."), "name")
    names = clean_names(names)
    if category is None:
        category = ComplaintCategory(name=name)
        db.session.add(category)
    else:
        _check(category, version)
    category.name, category.names = name, names
    category.position, category.active = position, active
    db.session.flush()
    audit.record("complaints.category_saved", category, actor=user,
                 details={"name": name, "active": active})
    return category


def save_due_hours(user: User, hours: dict[str, int], versions: dict[str, int | None]) -> None:
    """The working hours a complaint of each severity may take before it is due."""
    rules = due_rules()
    for severity, value in hours.items():
        if severity not in SEVERITIES:
            raise ComplaintError(N_("Choose a severity from the list."), "severity")
        if not 1 <= int(value) <= 24 * 30:
            raise ComplaintError(N_("Between %(min)d and %(max)d hours."), severity,
                                 min=1, max=24 * 30)
        rule = rules.get(severity)
        if rule is None:
            db.session.add(ComplaintDueRule(severity=severity, hours=int(value)))
            continue
        if versions.get(severity) is not None and versions[severity] != rule.version:
            raise Conflict(rule)
        if rule.hours != int(value):
            audit.record("complaints.due_hours", actor=user, details={"severity": severity},
                         changes={"hours": [rule.hours, int(value)]})
            rule.hours = int(value)
    db.session.flush()


LABELS = {"channels": CHANNELS, "severities": SEVERITIES, "states": STATES,
          "satisfaction": SATISFACTION, "levels": LEVELS, "events": EVENT_KINDS}
