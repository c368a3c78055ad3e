"""Possible duplicates, merge and undo (issue 17 item 2, R-C1).

A *possible duplicate* is two live customers with the same phone, or with the same name and
the same address. A person either dismisses the pair ("not the same person": kept, never
listed again) or merges it, choosing the survivor.

A merge moves every row that points at the absorbed customer to the survivor: every column
of every table with a foreign key to ``customers.id`` (found from the metadata, so tables
other areas add later — calls, complaints — move too), except the archive's own
bookkeeping (``merged_into_id``, the merges, the dismissed pairs). The keys of the moved rows
are kept on the ``CustomerMerge``; the absorbed customer stays, pointing at the survivor.
A link table row the survivor already has (the same tag) stays with the absorbed customer.

Undo moves exactly the recorded rows back and clears ``merged_into_id``. Records written
after the merge for the absorbed buyer ID or phone attached to the survivor and stay there.

Refused, with a message: a customer into itself; into or from a customer merged already;
absorbing a customer that is the survivor of a merge still in force (that merge is
*pending*: it could still be undone, and undoing it after its survivor moved on could not
give back exactly what it moved — undo it first, or keep that customer as the survivor);
undoing a merge undone already. Two people acting on the same pair or merge at once: the
second gets a conflict (versions of both customers, and of the merge).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased

from portal import audit, clock
from portal.actions import Conflict
from portal.customers import classes
from portal.customers.merge_models import CustomerMerge, DismissedPair, DuplicateCount
from portal.customers.models import Customer, CustomerContact, match_key
from portal.extensions import db
from portal.i18n import N_
from portal.paging import after_cursor, encode_cursor
from portal.rules import RuleError
from portal.ui import enqueue_after_commit

# the archive's own bookkeeping: what a merge must not move
OWN_COLUMNS = {("customers", "merged_into_id")}
OWN_TABLES = {CustomerMerge.__tablename__, DismissedPair.__tablename__}
CHUNK = 500  # keys per IN list when undoing


class MergeError(RuleError):
    """A merge or an undo the rules refuse."""


# --- the rows that belong to a customer ---------------------------------------------------


def linked_columns() -> list[tuple[sa.Table, sa.Column]]:
    """Every (table, column) pointing at ``customers.id`` that a merge moves."""
    found = []
    for table in db.metadata.sorted_tables:
        if table.name in OWN_TABLES:
            continue
        for column in table.columns:
            if (table.name, column.name) in OWN_COLUMNS:
                continue
            if any(fk.column.table.name == Customer.__tablename__ and fk.column.name == "id"
                   for fk in column.foreign_keys):
                found.append((table, column))
    return found


def _keys(table: sa.Table, column: sa.Column) -> list[sa.Column]:
    """What names a row apart from its customer: the primary key without ``column``."""
    return [c for c in table.primary_key.columns if c is not column]


def _key(row) -> object:
    return row[0] if len(row) == 1 else list(row)


def links_of(customer_id: int) -> dict[str, set]:
    """{"table.column": {keys}} of every row pointing at the customer (what a test compares
    before and after a merge and an undo)."""
    result = {}
    for table, column in linked_columns():
        keys = _keys(table, column)
        rows = db.session.execute(sa.select(*keys).where(column == customer_id))
        found = {_key(row) if len(keys) == 1 else tuple(row) for row in rows}
        if found:
            result[f"{table.name}.{column.name}"] = found
    return result


def _move(table: sa.Table, column: sa.Column, source: int, target: int,
          only: list | None = None) -> list:
    """Point the rows of ``table`` at ``target`` instead of ``source`` (only those with the
    keys ``only`` when given); the keys of the rows moved."""
    keys = _keys(table, column)
    if only is not None and not only:
        return []
    chunks = [None] if only is None else [only[i:i + CHUNK] for i in range(0, len(only), CHUNK)]
    moved = []
    for chunk in chunks:
        statement = sa.update(table).where(column == source).values({column.name: target})
        if chunk is not None:
            statement = statement.where(
                keys[0].in_(chunk) if len(keys) == 1
                else sa.tuple_(*keys).in_([tuple(k) for k in chunk]))
        if column.primary_key:  # a link row the target has already stays where it is
            other = table.alias("already")
            statement = statement.where(~sa.exists().where(
                other.c[column.name] == target, *(other.c[k.name] == k for k in keys)))
        moved += [_key(row) for row in db.session.execute(statement.returning(*keys))]
    return moved


# --- possible duplicates --------------------------------------------------------------------


@dataclass
class Pair:
    """Two customers that may be one person, with what they share."""

    low: Customer
    high: Customer
    phones: list[str]
    addresses: list[str]


def _shared_keys() -> sa.Subquery:
    """The (kind, match_key) two or more customers have: one index-only GROUP BY over
    ``ix_customer_contacts_match`` (its size, not a self-join of every contact)."""
    c = CustomerContact
    return (sa.select(c.kind, c.match_key).where(c.match_key.is_not(None))
            .group_by(c.kind, c.match_key)
            .having(sa.func.min(c.customer_id) != sa.func.max(c.customer_id))).subquery("shared")


def _pairs() -> sa.Subquery:
    """Every live pair sharing a phone, or a receiver name and an address, not dismissed:
    the shared keys (few), then their contacts through the same index."""
    shared = _shared_keys()
    a, b = aliased(CustomerContact), aliased(CustomerContact)
    low, high = aliased(Customer), aliased(Customer)
    query = (sa.select(a.customer_id.label("low"), b.customer_id.label("high"))
             .select_from(shared)
             .join(a, sa.and_(a.kind == shared.c.kind, a.match_key == shared.c.match_key))
             .join(b, sa.and_(b.kind == shared.c.kind, b.match_key == shared.c.match_key,
                              b.customer_id > a.customer_id))
             .join(low, low.id == a.customer_id).join(high, high.id == b.customer_id)
             .where(low.merged_into_id.is_(None), high.merged_into_id.is_(None),
                    ~sa.exists().where(DismissedPair.low_id == a.customer_id,
                                       DismissedPair.high_id == b.customer_id))
             .distinct())
    return query.subquery("candidates")


def duplicate_count(bound: int | None = None) -> int:
    """How many pairs wait for a person; at most ``bound`` + 1 when given (the card says
    "20+")."""
    pairs = sa.select(_pairs().c.low)
    if bound is not None:
        pairs = pairs.limit(bound + 1)
    return db.session.scalar(sa.select(sa.func.count()).select_from(pairs.subquery()))


def duplicate_page(after: str | None = None, per_page: int = 20):
    """One page of pairs in id order (the oldest customers first), the cursor of the next
    page or None. Three queries: the pairs, their customers, their contacts."""
    pairs = _pairs()
    columns = (pairs.c.low, pairs.c.high)
    query = after_cursor(sa.select(*columns), columns, after).order_by(*columns)
    rows = list(db.session.execute(query.limit(per_page + 1)))
    more = encode_cursor(rows[per_page - 1], columns) if len(rows) > per_page else None
    rows = rows[:per_page]
    ids = {i for row in rows for i in row}
    customers = {c.id: c for c in db.session.scalars(
        sa.select(Customer).where(Customer.id.in_(ids)))} if ids else {}
    return [_pair(customers[row.low], customers[row.high]) for row in rows], more


def _pair(low: Customer, high: Customer) -> Pair:
    def shared(kind):
        mine = {match_key(c.kind, c.value, c.label): c.value for c in low.contacts_of(kind)}
        theirs = {match_key(c.kind, c.value, c.label) for c in high.contacts_of(kind)}
        return sorted(mine[k] for k in mine.keys() & theirs if k is not None)

    return Pair(low, high, shared("phone"), shared("address"))


RECOUNT_TASK = "customers.count_duplicates"


def _recount_minutes() -> int:
    """How old the stored count may grow before the job queue counts again; 0 (the tests):
    not stored, the card counts each time."""
    return current_app.config.get("CUSTOMER_DUPLICATES_RECOUNT_MINUTES",
                                  0 if current_app.testing else 10)


def recount() -> int:
    """Count the pairs and store the figure (the job queue's task)."""
    pairs = duplicate_count()
    row = db.session.get(DuplicateCount, 1)
    if row is None:
        row = DuplicateCount(id=1)
        db.session.add(row)
    row.pairs, row.counted_at = pairs, clock.now()
    db.session.flush()
    return pairs


def recount_is_pending() -> bool:
    """The stored figure is missing or older than the recount period (the worker's check
    each minute then counts again)."""
    minutes = _recount_minutes()
    if not minutes:
        return False
    row = db.session.get(DuplicateCount, 1)
    return row is None or row.counted_at < clock.now() - timedelta(minutes=minutes)


def card_count() -> int:
    """The Today card's count: the stored figure (one row). Before the job queue has stored
    one it is counted here, without storing (two requests would race to write it)."""
    if not _recount_minutes():
        return duplicate_count()
    row = db.session.get(DuplicateCount, 1)
    return duplicate_count() if row is None else row.pairs


def _forget_count() -> None:
    """A merge, an undo or a dismissal changed the pairs: count again once it commits."""
    if _recount_minutes():
        enqueue_after_commit(RECOUNT_TASK)


def find_pair(first: int | None, second: int | None) -> Pair | None:
    """The pair of these two customers (either order), or None if either is unknown."""
    if not first or not second:
        return None
    low, high = (db.session.get(Customer, i) for i in sorted((first, second)))
    return _pair(low, high) if low and high else None


def dismiss(actor, pair: Pair) -> DismissedPair:
    """"Not the same person": the pair is kept and never listed again."""
    if pair.low.id == pair.high.id:
        raise MergeError(N_("Choose two different customers."))
    if db.session.get(DismissedPair, (pair.low.id, pair.high.id)) is not None:
        raise Conflict(pair.low, N_("Someone has dismissed this pair already."))
    row = DismissedPair(low_id=pair.low.id, high_id=pair.high.id, dismissed_by_id=actor.id,
                        dismissed_at=clock.now())
    db.session.add(row)
    _forget_count()
    audit.record("customers.pair_dismissed", pair.low, actor=actor,
                 details={"other_id": pair.high.id})
    return row


# --- merge and undo -------------------------------------------------------------------------


def _check_version(customer: Customer, version: int | None) -> None:
    if version is not None and version != customer.version:
        raise Conflict(customer)


def _pending_as_survivor(customer: Customer) -> CustomerMerge | None:
    return db.session.scalar(sa.select(CustomerMerge).where(
        CustomerMerge.survivor_id == customer.id, CustomerMerge.state == "in_force")
        .order_by(CustomerMerge.id.desc()).limit(1))


def merge(actor, survivor: Customer, absorbed: Customer, survivor_version: int | None,
          absorbed_version: int | None) -> CustomerMerge:
    """Move everything of ``absorbed`` to ``survivor``; ``absorbed`` stays, merged."""
    if survivor.id == absorbed.id:
        raise MergeError(N_("A customer cannot be merged into itself."))
    # someone else acted on either since the page was read: a conflict before any rule
    _check_version(survivor, survivor_version)
    _check_version(absorbed, absorbed_version)
    for customer in (survivor, absorbed):
        if customer.merged_into_id is not None:
            raise MergeError(N_("%(name)s (No. %(id)d) is merged into another customer "
                                "already."), name=customer.name, id=customer.id)
    pending = _pending_as_survivor(absorbed)
    if pending is not None:
        raise MergeError(N_("%(name)s (No. %(id)d) absorbed another customer in a merge that "
                            "can still be undone; undo that merge first, or keep %(name)s as "
                            "the survivor."), name=absorbed.name, id=absorbed.id)
    now = clock.now()
    absorbed.merged_into_id = survivor.id
    absorbed.updated_at = survivor.updated_at = now  # both versions move: a second try is 409
    db.session.flush()
    moved = {}
    for table, column in linked_columns():
        keys = _move(table, column, absorbed.id, survivor.id)
        if keys:
            moved[f"{table.name}.{column.name}"] = keys
    if absorbed.last_contact_at and (survivor.last_contact_at is None
                                     or absorbed.last_contact_at > survivor.last_contact_at):
        survivor.last_contact_at = absorbed.last_contact_at
    record = CustomerMerge(survivor_id=survivor.id, absorbed_id=absorbed.id, moved=moved,
                           merged_by_id=actor.id, merged_at=now)
    db.session.add(record)
    return _settled(actor, record, survivor, absorbed, "customers.merged")


def undo(actor, record: CustomerMerge, version: int | None) -> CustomerMerge:
    """Move back exactly what the merge moved; the absorbed customer is live again."""
    if version is not None and version != record.version:
        raise Conflict(record)
    if record.state != "in_force":
        raise MergeError(N_("This merge has been undone already."))
    survivor, absorbed = record.survivor, record.absorbed
    if survivor.merged_into_id is not None:  # refused at merge time; kept as a guard
        raise MergeError(N_("%(name)s (No. %(id)d) is merged into another customer now; undo "
                            "that merge first."), name=survivor.name, id=survivor.id)
    columns = {f"{t.name}.{c.name}": (t, c) for t, c in linked_columns()}
    for name, keys in (record.moved or {}).items():
        if name in columns:
            table, column = columns[name]
            _move(table, column, survivor.id, absorbed.id, only=keys)
    absorbed.merged_into_id = None
    absorbed.updated_at = survivor.updated_at = clock.now()
    record.state, record.undone_by_id, record.undone_at = "undone", actor.id, clock.now()
    return _settled(actor, record, survivor, absorbed, "customers.merge_undone")


def _settled(actor, record: CustomerMerge, survivor: Customer, absorbed: Customer,
             action: str) -> CustomerMerge:
    """After a merge or its undo: both customers' classes recomputed by the flush, the
    duplicates count forgotten, their contacts and tags read again, the audit event."""
    classes.touch(db.session, (survivor.id, absorbed.id))
    db.session.flush()
    _forget_count()
    db.session.expire(survivor, ["contacts", "tags"])
    db.session.expire(absorbed, ["contacts", "tags"])
    audit.record(action, survivor, actor=actor, details={
        "merge_id": record.id, "absorbed_id": absorbed.id, "absorbed_name": absorbed.name,
        "moved": record.counts()})
    return record


def recent_merges(limit: int = 20) -> list[CustomerMerge]:
    """The latest merges, newest first (the duplicates page's list with undo)."""
    return list(db.session.scalars(sa.select(CustomerMerge)
                                   .order_by(CustomerMerge.merged_at.desc(),
                                             CustomerMerge.id.desc()).limit(limit)))
