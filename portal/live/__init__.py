"""Live updates and cheap polls (docs/live.md).

A change to a record people watch becomes, after the one commit, a small "what changed"
event (``visitors-changed``, ``case-42-changed``: never the data) that the broker fans out to
every open ``/events`` stream; each stream forwards only the events its user may see (an
event names the permission, or the user, it is for) and the page re-fetches its fragment
through the normal permission-checked view (``hx-trigger="sse:…"``).

What changed is seen by the ORM, not told by each service: ``WATCHES`` names the tables
people watch and, per table, the event and who may receive it; every flush and every bulk
statement on such a table is collected in ``session.info``. In the same transaction the
tables' change counters are bumped (``change_counters``: a polled fragment's ETag, so that a
poll with nothing new is a 304 read from one small table). After the commit the events are
published; a rollback drops them. A service may add an event of its own: ``changed(...)``.

This package imports no area: the watched tables are named by their table names.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Blueprint
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

bp = Blueprint("live", __name__)


@dataclass(frozen=True)
class Watch:
    """What a change to a row of one table tells, and to whom.

    ``event``: the SSE event every allowed stream gets. ``perm``: the permission needed to
    receive it; ``perm_from``: (column, template) when it depends on the row (a book's
    ``handover.{}.read``). ``user_column``: the event is only for the user in that column
    (their notifications), and the counter is kept per user. ``record``: (name, column) adds
    the record's own event ``{name}-{id}-changed`` (a case page follows its case)."""

    event: str | None
    perm: str | None = None
    perm_from: tuple[str, str] | None = None
    user_column: str | None = None
    record: tuple[str, str] | None = None


# table -> what its changes tell. Events re-use the areas' HX-Trigger names, so a fragment
# that follows the acting browser's own change follows everyone else's the same way.
WATCHES: dict[str, Watch] = {
    "notifications": Watch("notifications-changed", user_column="user_id"),
    "visits": Watch("visitors-changed", perm="reception.view"),
    "servings": Watch("visitors-changed", perm="reception.view"),
    "repair_reports": Watch("repairs-changed", perm="reception.view"),
    "handover_items": Watch("handover-changed", perm_from=("book", "handover.{}.read")),
    "handover_acks": Watch(None),  # a signature: the item's counter only (its book unknown)
    "orders": Watch("orders-changed", perm="orders.view", record=("order", "id")),
    "order_tasks": Watch("orders-changed", perm="orders.view", record=("order", "order_id")),
    "aftersales_cases": Watch("aftersales-changed", perm="aftersales.view",
                              record=("case", "id")),
    "aftersales_events": Watch("aftersales-changed", perm="aftersales.view",
                               record=("case", "case_id")),
    "aftersales_visits": Watch("aftersales-visits-changed", perm="aftersales.view"),
    "swap_requests": Watch("swap-requested", perm="shifts.swap"),
    "roster_entries": Watch("roster-changed", perm="roster.view"),
    "roster_months": Watch("roster-changed", perm="roster.view"),
    "score_appeals": Watch("appeals-changed", perm="scoring.record"),
    "articles": Watch("knowledge-changed", perm="knowledge.view", record=("article", "id")),
    "complaints": Watch("complaints-changed", perm="complaints.view",
                        record=("complaint", "id")),
    "complaint_events": Watch("complaints-changed", perm="complaints.view",
                              record=("complaint", "complaint_id")),
    # the daily work record: the team page and the Today cards follow it
    "work_lines": Watch("worklog-changed", perm="worklog.oversee"),
    "question_categories": Watch(None),
    # counters only: the value-class page polls while the classes are being recomputed
    "customer_class_thresholds": Watch(None),
    "customer_class_counts": Watch(None),
}


@dataclass(frozen=True)
class Event:
    """One "what changed": the SSE event name, who may receive it, and an optional id."""

    name: str
    perm: str | None = None
    user: int | None = None
    data: str = ""

    def as_dict(self) -> dict:
        return {"event": self.name, "perm": self.perm, "user": self.user, "data": self.data}


def allowed(event: dict, user_id: int, permissions: frozenset[str]) -> bool:
    """Whether a stream of ``user_id`` holding ``permissions`` may receive ``event``: an event
    names a permission or a user, and one that names neither goes to nobody."""
    perm, user = event.get("perm"), event.get("user")
    if perm is None and user is None:
        return False
    return (perm is None or perm in permissions) and (user is None or user == user_id)


def changed(name: str, *, perm: str | None = None, user: int | None = None,
            data: str = "", scope: str | None = None, session: Session | None = None) -> None:
    """Tell, after this transaction commits, that something changed (for a change the
    tables do not show). ``scope``: a change counter to bump too."""
    from portal.extensions import db

    if perm is None and user is None:
        raise ValueError("an event names the permission or the user it is for")
    pending = _pending(session or db.session())
    pending["events"].add(Event(name, perm, user, str(data)))
    if scope:
        pending["scopes"].add(scope)


def _pending(session: Session) -> dict:
    return session.info.setdefault("live", {"events": set(), "scopes": set()})


def _value(row, column: str):
    return row.get(column) if isinstance(row, dict) else getattr(row, column, None)


def _collect(session: Session, table: str, rows) -> None:
    """Events and counters for ``rows`` (objects or parameter dicts; None: not known, as for
    a bulk UPDATE) of a watched ``table``."""
    watch = WATCHES.get(table)
    if watch is None:
        return
    pending = _pending(session)
    pending["scopes"].add(table)
    if watch.event is None:
        return  # a counter only
    for row in rows if rows is not None else [None]:
        if watch.user_column:
            user = _value(row, watch.user_column) if row is not None else None
            # who it is for is not known (a bulk update): every user's counter moves, and
            # no event goes out (the acting browser follows through HX-Trigger)
            pending["scopes"].add(f"{table}:{user if user is not None else '*'}")
            if user is not None:
                pending["events"].add(Event(watch.event, user=int(user)))
            continue
        perm = watch.perm
        if watch.perm_from:
            column, template = watch.perm_from
            value = _value(row, column) if row is not None else None
            if value is None:
                continue  # whose it is is not known: no event (the counter still moves)
            perm = template.format(value)
        pending["events"].add(Event(watch.event, perm=perm))
        if watch.record and row is not None:
            name, column = watch.record
            ident = _value(row, column)
            if ident is not None:
                pending["events"].add(Event(f"{name}-{ident}-changed", perm=perm,
                                            data=str(ident)))


@sa_event.listens_for(Session, "after_flush")
def _after_flush(session, context) -> None:
    for group, check in ((session.new, False), (session.dirty, True), (session.deleted, False)):
        for obj in group:
            table = getattr(obj, "__tablename__", None)
            if table in WATCHES and (not check or session.is_modified(obj)):
                _collect(session, table, [obj])


@sa_event.listens_for(Session, "do_orm_execute")
def _bulk(state) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if table not in WATCHES:
        return
    rows = None
    if state.is_insert:
        params = state.parameters
        rows = params if isinstance(params, list) else [params] if params else None
    _collect(state.session, table, rows)


@sa_event.listens_for(Session, "before_commit")
def _bump_counters(session) -> None:
    """In the transaction that commits: the changed scopes' counters move (one statement)."""
    if session.new or session.dirty or session.deleted:
        session.flush()  # what is still unflushed is collected too
    if not session.info.get("live"):
        return
    scopes = session.info["live"]["scopes"]
    if scopes:
        from portal.live.counters import bump

        bump(session, scopes)
        scopes.clear()


@sa_event.listens_for(Session, "after_commit")
def _publish(session) -> None:
    """After the commit, never before: the events go to the broker."""
    pending = session.info.pop("live", None)
    if pending and pending["events"]:
        from portal.live.broker import current_broker

        broker = current_broker()
        if broker is not None:
            broker.publish([e.as_dict() for e in pending["events"]])


@sa_event.listens_for(Session, "after_soft_rollback")
def _dropped(session, previous_transaction) -> None:
    """A rollback (a refusal, a conflict, an error) tells nothing."""
    session.info.pop("live", None)


def init_app(app) -> None:
    """The broker, the ``/events`` stream, and the counters' model."""
    from portal.live import counters, views  # noqa: F401
    from portal.live.broker import make_broker

    app.config.setdefault("REDIS_URL", None)
    app.config.setdefault("LIVE_HEARTBEAT_SECONDS", 15.0)
    app.extensions["portal_live"] = make_broker(app.config.get("REDIS_URL"))
    app.register_blueprint(bp)


__all__ = ["WATCHES", "Event", "Watch", "allowed", "bp", "changed", "init_app"]
