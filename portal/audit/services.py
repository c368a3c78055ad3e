"""Writing and reading the audit trail."""

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import has_request_context, request
from flask_login import current_user

from portal import clock
from portal.audit.models import AuditEvent
from portal.extensions import db


def labels():
    """Every area's audit words, as the areas registered them (``portal.ui.register_audit``)."""
    from portal.ui import audit_labels

    return audit_labels()


def namer(model, *columns, fmt=None, joins=()):
    """A namer for ``register_audit(target=...)``: ``ids -> {id: name}`` in one query of
    ``columns`` (joined through ``joins``, pairs of (target, on clause)); ``fmt(id, *values)``
    makes the name, by default the first column's value."""

    def names(ids) -> dict:
        query = sa.select(model.id, *columns)
        for target, on in joins:
            query = query.join(target, on)
        rows = db.session.execute(query.where(model.id.in_([int(i) for i in ids])))
        return {row[0]: fmt(*row) if fmt else row[1] for row in rows}

    return names


def target_names(events, known: dict[str, dict] | None = None) -> dict[tuple[str, str], str]:
    """{(type, id): name} for the events' targets, one query per record type; ``known``
    ({type: {id: name}}, names the caller has already read) spares its type's query."""
    known = known or {}
    wanted: dict[str, set[str]] = {}
    names = {}
    namers = labels().namers
    for event in events:
        if event.target_type in namers and event.target_id:
            name = known.get(event.target_type, {}).get(int(event.target_id)) \
                if event.target_id.isdigit() else None
            if name is not None:
                names[(event.target_type, event.target_id)] = name
            else:
                wanted.setdefault(event.target_type, set()).add(event.target_id)
    for table, ids in wanted.items():
        for key, name in namers[table](ids).items():
            names[(table, str(key))] = name
    return names


def _plain(value):
    """A JSON-safe form of a field value."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def changes(obj, fields, before: dict | None = None) -> dict:
    """{field: [before, after]} for ``fields`` of ``obj`` that differ from ``before``.

    Without ``before``, the session's change history is used: ``obj`` must have been loaded
    (not expired) before it was changed.
    """
    if before is None:
        state = sa.inspect(obj)
        result = {}
        for name in fields:
            hist = state.attrs[name].history
            if hist.has_changes():
                old = hist.deleted[0] if hist.deleted else None
                result[name] = [_plain(old), _plain(getattr(obj, name))]
        return result
    return {
        name: [_plain(before.get(name)), _plain(getattr(obj, name))]
        for name in fields
        if before.get(name) != getattr(obj, name)
    }


def record(action: str, target=None, *, changes: dict | None = None,
           details: dict | None = None, actor=None) -> AuditEvent:
    """Add an event to the session; the caller's commit writes it with the change."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    # current_user is a proxy: record the object behind it
    target = getattr(target, "_get_current_object", lambda: target)()
    actor = getattr(actor, "_get_current_object", lambda: actor)()
    event = AuditEvent(
        at=clock.now(),
        actor_id=getattr(actor, "id", None),
        action=action,
        target_type=type(target).__tablename__ if target is not None else None,
        target_id=str(target.id) if target is not None else None,
        changes=changes or None,
        details=details or None,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event


def search(*, actor_id=None, action=None, target_type=None, date_from=None, date_to=None):
    """The filtered query, newest first (paginated by the caller)."""
    query = sa.select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if actor_id:
        query = query.where(AuditEvent.actor_id == actor_id)
    if action:
        query = query.where(AuditEvent.action == action)
    if target_type:
        query = query.where(AuditEvent.target_type == target_type)
    tz = clock.get_clock().tz
    if date_from:
        query = query.where(AuditEvent.at >= datetime.combine(date_from, time(), tz))
    if date_to:
        query = query.where(
            AuditEvent.at < datetime.combine(date_to + timedelta(days=1), time(), tz)
        )
    return query
