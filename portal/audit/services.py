"""Writing and reading the audit trail."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

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
    makes the name, by default the first column's value. ``target_names`` reads the names of
    every record type on a page in one query through the namer's ``select`` and ``make``."""

    def select(ids):
        query = sa.select(model.id, *columns)
        for target, on in joins:
            query = query.join(target, on)
        return query.where(model.id.in_([int(i) for i in ids]))

    def make(row) -> str:
        return fmt(*row) if fmt else row[1]

    def names(ids) -> dict:
        return {row[0]: make(row) for row in db.session.execute(select(ids))}

    names.select, names.make = select, make
    names.types = [model.id.type, *(column.type for column in columns)]
    return names


def target_names(events, known: dict[str, dict] | None = None) -> dict[tuple[str, str], str]:
    """{(type, id): name} for the events' targets in one query whatever the mix of record
    types (a UNION ALL of each type's namer); ``known`` ({type: {id: name}}, names the caller
    has already read) spares its type."""
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
    together = {table: ids for table, ids in wanted.items()
                if getattr(namers[table], "types", None) and _revivable(namers[table].types)
                and all(i.isdigit() for i in ids)}
    for table, ids in wanted.items():
        if table not in together:
            for key, name in namers[table](ids).items():
                names[(table, str(key))] = name
    if len(together) == 1:
        (table, ids), = together.items()
        for key, name in namers[table](ids).items():
            names[(table, str(key))] = name
    elif together:
        names.update(_names_in_one_query({t: namers[t] for t in together}, together))
    return names


def _names_in_one_query(namers: dict, wanted: dict) -> dict:
    """The names of several record types in one UNION ALL: every column as text (the types
    differ from one record type to the next), turned back into its type for ``fmt``."""
    width = max(len(n.types) for n in namers.values())
    parts = []
    for table, name in namers.items():
        query = name.select(wanted[table])
        columns = [sa.cast(c, sa.String) for c in query.selected_columns]
        columns += [sa.cast(sa.null(), sa.String)] * (width - len(columns))
        parts.append(query.with_only_columns(sa.literal(table, sa.String), *columns,
                                             maintain_column_froms=True))
    names = {}
    for table, *values in db.session.execute(sa.union_all(*parts)):
        namer = namers[table]
        row = [_revive(kind, value) for kind, value in zip(namer.types, values, strict=False)]
        names[(table, str(row[0]))] = namer.make(row)
    return names


REVIVABLE = (str, int, date, Decimal)


def _revivable(types) -> bool:
    try:
        return all(kind.python_type in REVIVABLE for kind in types)
    except NotImplementedError:
        return False


def _revive(kind, value):
    """A column's value read as text, back in its Python type (what a namer's fmt expects)."""
    if value is None:
        return None
    python_type = kind.python_type
    if python_type is date:
        return date.fromisoformat(value[:10])
    if python_type is int:
        return int(value)
    if python_type is Decimal:
        return Decimal(value)
    return value


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
