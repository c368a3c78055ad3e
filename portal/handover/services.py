"""The rules of the handover book (交接本, R-H1..R-H6): writing, signing, taking over,
carrying forward, closing, editing with history, and what waits for a shift.

Which shift an action belongs to (decided here, documented in docs/architecture.md):

* Writing (``writing_slot``): the writer's published shift when the roster has them on duty
  now; otherwise the shift the clock is in; between shifts (00:00–08:00) the shift that
  ended last — a night-shift agent kept past 24:00 (R-S3) writes for the next day's day
  shift, and the item still belongs to the night shift's own date (nothing spills).
* Reading (``reading_slot``): the reader's published shift when on duty now; otherwise the
  clock's upcoming shift (someone arriving at 07:45 reads for the 08:00 shift).

An item written in slot W waits for every later slot of its book until it is closed
(R-H3). For a slot S it is *unsigned* until someone acting in S signs it or takes it over
(R-H2): each incoming shift confirms the open items it inherits.
"""

from datetime import date, datetime, timedelta
from types import SimpleNamespace

import sqlalchemy as sa
from flask import url_for

from portal import audit, clock, paging
from portal.actions import Conflict
from portal.auth.models import User
from portal.extensions import db
from portal.handover.models import HandoverAck, HandoverItem, HandoverRevision
from portal.i18n import N_
from portal.notifications import notify
from portal.rules import RuleError
from portal.shifts.slots import (
    Slot,
    current_shift_of,
    previous_slot,
    shift_types,
    slot_at,
    upcoming_slot,
)

# R-H5: two books
BOOKS = ("desk", "showroom")
BOOK_LABELS = {"desk": N_("Desk handover book"), "showroom": N_("Showroom handover book")}

CATEGORIES = {
    "customer_follow_up": N_("Customer follow-up"),
    "order_problem": N_("Order problem"),
    "aftersales_case": N_("After-sales case"),
    "showroom": N_("Showroom"),
    "equipment": N_("Equipment"),
    "other": N_("Other"),
}
# R-H4: a problem case handed over names its order number and the problem (the text)
PROBLEM_CATEGORIES = ("order_problem", "aftersales_case")
PRIORITIES = {"normal": N_("Normal"), "urgent": N_("Urgent")}
STATUSES = {"open": N_("Open"), "closed": N_("Closed")}
ACK_KINDS = {"signed": N_("Signed as read"), "taken_over": N_("Taken over")}

TEXT_MAX = 2000
OPEN_TOO_LONG = timedelta(days=3)
# The book shows this many items of each list, then a link to the next keyset page: a shift
# that inherits hundreds of open items still gets a page of bounded size (≤ 60 KB).
WAITING_PAGE = 15
WRITTEN_PAGE = 10


class HandoverError(RuleError):
    """A handover request the rules refuse."""


# --- shifts --------------------------------------------------------------------------------


def _types_exist() -> bool:
    return bool(shift_types())


def acting_slots(user: User, moment: datetime | None = None) -> tuple[Slot | None, Slot | None]:
    """(reading slot, writing slot) of ``user`` now, asking the roster once."""
    moment = moment or clock.now()
    on_duty = current_shift_of(user, moment)
    if on_duty:
        return on_duty[1], on_duty[1]
    if not _types_exist():
        return None, None
    upcoming = upcoming_slot(moment)
    return upcoming, slot_at(moment) or previous_slot(upcoming)


def reading_slot(user: User, moment: datetime | None = None) -> Slot | None:
    """The shift ``user`` reads the book for (None when no shift types exist)."""
    moment = moment or clock.now()
    on_duty = current_shift_of(user, moment)
    if on_duty:
        return on_duty[1]
    if not _types_exist():
        return None
    return upcoming_slot(moment)


def writing_slot(user: User, moment: datetime | None = None) -> Slot | None:
    """The shift an item ``user`` writes now belongs to (None when no shift types exist)."""
    moment = moment or clock.now()
    on_duty = current_shift_of(user, moment)
    if on_duty:
        return on_duty[1]
    if not _types_exist():
        return None
    # between shifts: the shift that ended last (R-S3 overtime after 24:00)
    return slot_at(moment) or previous_slot(upcoming_slot(moment))


def slot_of(item: HandoverItem) -> Slot:
    """The shift ``item`` was written in."""
    return Slot(item.shift_date, item.shift_type.sort_order, item.shift_type_id)


def _earlier_type_ids(slot: Slot, types) -> list[int]:
    return [t.id for t in types if (t.sort_order, t.id) < (slot.order, slot.shift_type_id)]


def written_before(slot: Slot, types=None):
    """SQL condition: the item was written in a shift before ``slot``."""
    earlier = _earlier_type_ids(slot, types if types is not None else shift_types())
    condition = HandoverItem.shift_date < slot.day
    if earlier:
        condition = sa.or_(condition, sa.and_(HandoverItem.shift_date == slot.day,
                                              HandoverItem.shift_type_id.in_(earlier)))
    return condition


def shifts_between(earlier: Slot, later: Slot, types) -> int:
    """How many shifts ``later`` comes after ``earlier`` (the item's age in shifts)."""
    index = {t.id: i for i, t in enumerate(types)}
    if earlier.shift_type_id not in index or later.shift_type_id not in index:
        return 0
    return ((later.day - earlier.day).days * len(types)
            + index[later.shift_type_id] - index[earlier.shift_type_id])


# --- reading -------------------------------------------------------------------------------


def _acked_in(slot: Slot):
    return sa.exists().where(HandoverAck.item_id == HandoverItem.id,
                             HandoverAck.shift_date == slot.day,
                             HandoverAck.shift_type_id == slot.shift_type_id)


# the order of what waits: urgent first, then oldest first; also the keyset of its pages
URGENT_FIRST = sa.case((HandoverItem.priority == "urgent", 0), else_=1).label("urgent_first")
WAITING_KEY = (URGENT_FIRST, HandoverItem.shift_date, HandoverItem.id)


def waiting_query(book: str, slot: Slot, types=None):
    """R-H3: open items of ``book`` written before ``slot``: urgent first, oldest first."""
    return (
        sa.select(HandoverItem)
        .where(HandoverItem.book == book, HandoverItem.status == "open",
               written_before(slot, types))
        .order_by(*WAITING_KEY)
    )


def waiting_items(book: str, slot: Slot, types=None) -> list[HandoverItem]:
    """The items the shift ``slot`` inherits (R-H2, R-H3)."""
    return list(db.session.scalars(waiting_query(book, slot, types)).unique())


def waiting_page(book: str, slot: Slot, types=None, *, after: str | None = None,
                 per_page: int = WAITING_PAGE) -> tuple[list[HandoverItem], str | None]:
    """A page of what waits for ``slot`` (in ``waiting_query``'s order), after the cursor
    ``after``; with the cursor of the next page, or None when this is the last one."""
    query = waiting_query(book, slot, types)
    key = _cursor_of(after, (int, date, int))
    if key:
        query = query.where(sa.tuple_(*WAITING_KEY) > sa.tuple_(*key))
    rows = list(db.session.scalars(query.limit(per_page + 1)).unique())
    items = rows[:per_page]
    return items, (_waiting_cursor(items[-1]) if len(rows) > per_page else None)


def _cursor_of(token: str | None, kinds: tuple) -> tuple | None:
    """The values of a cursor when they are of ``kinds`` (a tampered one is no cursor: the
    first page, not a type error from PostgreSQL)."""
    values = paging.decode_cursor(token, len(kinds))
    if values and all(type(v) is k for v, k in zip(values, kinds, strict=True)):
        return values
    return None


def _waiting_cursor(item: HandoverItem) -> str:
    values = SimpleNamespace(urgent_first=0 if item.priority == "urgent" else 1,
                             shift_date=item.shift_date, id=item.id)
    return paging.encode_cursor(values, WAITING_KEY)


def written_query(book: str, slot: Slot):
    """What the shift ``slot`` wrote for the next one (ordered by the caller)."""
    return sa.select(HandoverItem).where(HandoverItem.book == book,
                                         HandoverItem.shift_date == slot.day,
                                         HandoverItem.shift_type_id == slot.shift_type_id)


def written_page(book: str, slot: Slot, *, before: str | None = None,
                 per_page: int = WRITTEN_PAGE) -> paging.KeysetPage:
    """A page of what ``slot`` wrote, newest first, older than the cursor ``before``
    (through ``ix_handover_items_book_shift``)."""
    before = before if _cursor_of(before, (int,)) else None
    return paging.keyset_page(written_query(book, slot), (HandoverItem.id,), before=before,
                              per_page=per_page)


def unsigned_count(book: str, slot: Slot | None, types=None) -> int:
    """The navigation badge: items waiting for ``slot`` that nobody on it signed yet."""
    if slot is None:
        return 0
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(HandoverItem)
        .where(HandoverItem.book == book, HandoverItem.status == "open",
               written_before(slot, types), ~_acked_in(slot))
    )


def unsigned_items(book: str, slot: Slot | None, limit: int = 5) -> list[HandoverItem]:
    """The first items waiting for ``slot`` that nobody on it signed yet (Today card)."""
    if slot is None:
        return []
    return list(db.session.scalars(waiting_query(book, slot).where(~_acked_in(slot))
                                   .limit(limit)).unique())


def acks_in(slot: Slot, item_ids) -> dict[int, list[HandoverAck]]:
    """{item id: the signatures and take-overs made in ``slot``}, in one query."""
    result: dict[int, list[HandoverAck]] = {}
    ids = list(item_ids)
    if not ids:
        return result
    for ack in db.session.scalars(
        sa.select(HandoverAck)
        .where(HandoverAck.item_id.in_(ids), HandoverAck.shift_date == slot.day,
               HandoverAck.shift_type_id == slot.shift_type_id)
        .order_by(HandoverAck.at, HandoverAck.id)
    ):
        result.setdefault(ack.item_id, []).append(ack)
    return result


def revision_count_column():
    """How many earlier texts the item keeps, as a column of a query of items."""
    return (sa.select(sa.func.count()).where(HandoverRevision.item_id == HandoverItem.id)
            .correlate(HandoverItem).scalar_subquery().label("revision_count"))


def revision_counts(item_ids) -> dict[int, int]:
    """{item id: how many earlier texts it keeps}, in one query."""
    ids = list(item_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(HandoverRevision.item_id, sa.func.count())
        .where(HandoverRevision.item_id.in_(ids)).group_by(HandoverRevision.item_id)
    )
    return dict(rows.all())


def item_history(item: HandoverItem) -> dict:
    """Everything that happened to ``item``: signatures and take-overs, earlier texts."""
    acks = db.session.scalars(
        sa.select(HandoverAck).where(HandoverAck.item_id == item.id)
        .order_by(HandoverAck.at, HandoverAck.id)
    ).unique().all()
    revisions = db.session.scalars(
        sa.select(HandoverRevision).where(HandoverRevision.item_id == item.id)
        .order_by(HandoverRevision.edited_at, HandoverRevision.id)
    ).unique().all()
    return {"acks": acks, "revisions": revisions}


# --- writing -------------------------------------------------------------------------------


def _check_book(user: User, book: str, action: str = "write") -> None:
    if book not in BOOKS or not user.can(f"handover.{book}.{action}"):
        raise HandoverError(N_("You may not write in this handover book."))


def write(user: User, book: str, *, category: str, text: str, priority: str = "normal",
          order_no: str | None = None, customer_ref: str | None = None,
          purchase_date: date | None = None, return_tracking: str | None = None,
          customer_request: str | None = None, slot: Slot | None = None) -> HandoverItem:
    """R-H1, R-H4: the outgoing shift writes an item for the next shift of ``book``
    (``slot``: the writer's ``writing_slot`` when the caller knows it already)."""
    _check_book(user, book)
    text = (text or "").strip()
    if not text:
        raise HandoverError(N_("Write what the next shift needs to know."), "text")
    if len(text) > TEXT_MAX:
        raise HandoverError(N_("Keep the text under %(max)d characters."), "text", max=TEXT_MAX)
    if category not in CATEGORIES:
        raise HandoverError(N_("Choose a category from the list."), "category")
    if category in PROBLEM_CATEGORIES and not _clean(order_no):
        raise HandoverError(N_("A problem case names its order number."), "order_no")
    if priority not in PRIORITIES:
        raise HandoverError(N_("Choose normal or urgent."), "priority")
    if purchase_date and purchase_date > clock.today():
        raise HandoverError(N_("The purchase date cannot be in the future."), "purchase_date")
    slot = slot or writing_slot(user)
    if slot is None:
        raise HandoverError(N_("No shifts are set up yet; ask the supervisor."))
    item = HandoverItem(
        book=book, shift_date=slot.day, shift_type_id=slot.shift_type_id, author_id=user.id,
        category=category, priority=priority, text=text,
        order_no=_clean(order_no), customer_ref=_clean(customer_ref),
        purchase_date=purchase_date, return_tracking=_clean(return_tracking),
        customer_request=_clean(customer_request), status="open", created_at=clock.now(),
    )
    db.session.add(item)
    db.session.flush()
    audit.record("handover.created", item, actor=user, changes=audit.changes(
        item, ("book", "category", "priority", "text", "order_no", "customer_ref",
               "purchase_date", "return_tracking", "customer_request"), before={}))
    return item


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def may_escalate(user: User) -> bool:
    """A supervisor takes over an item of the shift it was written in: an escalation (R-C6)
    is recorded on the item, not only told across the desk."""
    return user.can("handover.close_any")


def _check_receiving(user: User, item: HandoverItem, slot: Slot | None = None, *,
                     escalation: bool = False) -> Slot:
    """R-H2: only a later shift of the item's book signs or takes it over (``escalation``:
    a supervisor's take-over, of any open item of the book)."""
    _check_book(user, item.book)
    slot = slot or reading_slot(user)
    if slot is None:
        raise HandoverError(N_("No shifts are set up yet; ask the supervisor."))
    if item.status != "open":
        raise Conflict(item, N_("This item was closed meanwhile."))
    if escalation and may_escalate(user):
        return max(slot, slot_of(item))
    if not (slot_of(item) < slot):
        raise HandoverError(N_("This item was written on your own shift; the next shift "
                               "signs it."))
    return slot


def _existing_ack(item: HandoverItem, user: User, slot: Slot, kind: str,
                  acks: list[HandoverAck] | None = None) -> HandoverAck | None:
    """``user``'s ack of ``kind`` in ``slot``; looked up in ``acks`` (the item's acks in
    ``slot``, as ``acks_in`` gives them) when the caller has them."""
    if acks is not None:
        return next((ack for ack in acks if ack.user_id == user.id and ack.kind == kind), None)
    return db.session.scalar(
        sa.select(HandoverAck).where(
            HandoverAck.item_id == item.id, HandoverAck.user_id == user.id,
            HandoverAck.shift_date == slot.day, HandoverAck.shift_type_id == slot.shift_type_id,
            HandoverAck.kind == kind)
    )


def sign(user: User, item: HandoverItem, slot: Slot | None = None,
         acks: list[HandoverAck] | None = None) -> HandoverAck:
    """R-H2 签字确认: ``user`` read the item; name and time are recorded. Signing twice in
    the same shift changes nothing.

    ``slot`` (the user's ``reading_slot``) and ``acks`` (the item's acks in it) spare the
    queries when the caller has them already."""
    slot = _check_receiving(user, item, slot)
    existing = _existing_ack(item, user, slot, "signed", acks)
    if existing:
        return existing
    ack = HandoverAck(item_id=item.id, user_id=user.id, kind="signed", shift_date=slot.day,
                      shift_type_id=slot.shift_type_id, at=clock.now())
    db.session.add(ack)
    audit.record("handover.signed", item, actor=user,
                 details={"shift_date": slot.day.isoformat(), "shift": _type_name(slot)})
    db.session.flush()  # a concurrent change fails here: the runner answers 409
    return ack


def _type_name(slot: Slot) -> str:
    return slot.shift_type.name


def take_over(user: User, item: HandoverItem, version: int, slot: Slot | None = None,
              acks: list[HandoverAck] | None = None) -> HandoverAck:
    """R-H2 继续跟进: ``user`` becomes the item's owner and follows it up.

    ``version`` is the one the user saw: when someone took it over (or changed it) first,
    ``Conflict`` carries the current state and nothing is overwritten. Taking over an item
    one already owns changes nothing. ``slot`` and ``acks`` as for ``sign``.
    """
    if version != item.version and item.owner_id != user.id:
        raise Conflict(item)
    slot = _check_receiving(user, item, slot, escalation=True)
    if item.owner_id == user.id:
        existing = _existing_ack(item, user, slot, "taken_over", acks)
        if existing:
            return existing
        before_owner = user.display_name
    else:
        before_owner = item.owner.display_name if item.owner else None
        # the relationship, not only the key: the card drawn from this object names the new
        # owner (issue 15 item 5: it named the previous one until a reload)
        item.owner = user
        item.taken_over_at = clock.now()
    ack = HandoverAck(item_id=item.id, user_id=user.id, kind="taken_over", shift_date=slot.day,
                      shift_type_id=slot.shift_type_id, at=clock.now())
    db.session.add(ack)
    audit.record("handover.taken_over", item, actor=user,
                 changes={"owner": [before_owner, user.display_name]},
                 details={"shift_date": slot.day.isoformat(), "shift": _type_name(slot)})
    if item.author_id != user.id and before_owner != user.display_name:
        # in the same transaction: a take-over that conflicts notifies nobody
        notify(item.author, N_("%(name)s took over your handover item: %(text)s"),
               item_link(item), name=user.display_name, text=_excerpt(item.text))
    db.session.flush()  # a concurrent change fails here: the runner answers 409
    return ack


def may_close(user: User, item: HandoverItem) -> bool:
    """R-H3: the owner closes the item, or a supervisor (handover.close_any)."""
    if item.status != "open":
        return False
    if user.can("handover.close_any"):
        return True
    return item.owner_id == user.id and user.can(f"handover.{item.book}.write")


def close(user: User, item: HandoverItem, resolution: str, version: int) -> HandoverItem:
    """R-H3: close an open item with its resolution (required)."""
    if version != item.version:
        raise Conflict(item)
    if item.status != "open":
        raise Conflict(item, N_("This item was closed meanwhile."))
    if not may_close(user, item):
        raise HandoverError(N_("Only the item's owner or a supervisor closes it; take it over "
                               "first."))
    resolution = (resolution or "").strip()
    if not resolution:
        raise HandoverError(N_("Write how the item was resolved."), "resolution")
    if len(resolution) > TEXT_MAX:
        raise HandoverError(N_("Keep the text under %(max)d characters."), "resolution",
                            max=TEXT_MAX)
    item.status = "closed"
    item.resolution = resolution
    item.closed_by = user  # the relationship too: the card names who closed it
    item.closed_at = clock.now()
    audit.record("handover.closed", item, actor=user,
                 changes=audit.changes(item, ("status", "resolution")))
    if item.owner_id and item.owner_id != user.id:
        notify(item.owner, N_("%(name)s closed the handover item you followed: %(text)s"),
               item_link(item), name=user.display_name, text=_excerpt(item.text))
    db.session.flush()  # a concurrent change fails here: the runner answers 409
    return item


def may_edit(user: User, item: HandoverItem) -> bool:
    """The author corrects their own open item."""
    return (item.status == "open" and item.author_id == user.id
            and user.can(f"handover.{item.book}.write"))


def edit(user: User, item: HandoverItem, text: str, version: int) -> HandoverItem:
    """R-H6: correct the text; the earlier text is kept as a revision, never lost."""
    if version != item.version:
        raise Conflict(item)
    if not may_edit(user, item):
        raise HandoverError(N_("Only the author corrects an open item."))
    text = (text or "").strip()
    if not text:
        raise HandoverError(N_("Write what the next shift needs to know."), "text")
    if len(text) > TEXT_MAX:
        raise HandoverError(N_("Keep the text under %(max)d characters."), "text", max=TEXT_MAX)
    if text == item.text:
        return item
    db.session.add(HandoverRevision(item_id=item.id, text_before=item.text,
                                    edited_by_id=user.id, edited_at=clock.now()))
    item.text = text
    audit.record("handover.edited", item, actor=user, changes=audit.changes(item, ("text",)))
    db.session.flush()  # a concurrent change fails here: the runner answers 409
    return item


def item_link(item: HandoverItem) -> str | None:
    """The item's page, for a notification (None outside a request)."""
    try:
        return url_for(f"handover.{item.book}_item", item_id=item.id)
    except RuntimeError:
        return None


def _excerpt(text: str, length: int = 40) -> str:
    return text if len(text) <= length else text[:length] + "…"


# --- history -------------------------------------------------------------------------------


# Keyset pages on (shift_date, id) — the ``ix_handover_items_book_shift`` index — so a page
# costs the same on the first day and after years, with no COUNT.
HISTORY_KEY = (HandoverItem.shift_date, HandoverItem.id)
SEARCH_LIMIT = 300  # items a text search of the history reads, newest first


def history_query(book: str, *, q: str | None = None, category: str | None = None,
                  status: str | None = None, author_id: int | None = None,
                  date_from: date | None = None, date_to: date | None = None):
    """R-H6: every item of ``book`` ever written, filtered; ordered by the caller."""
    query = sa.select(HandoverItem)
    q = (q or "").strip()
    matches = _reference_matches(book, q) if q and _is_reference(q) else []
    if q and not matches:
        # the one search index (portal/search): 1-, 2- and n-character Chinese terms, SKUs
        # and order numbers; the newest SEARCH_LIMIT items of the book holding them (an
        # ILIKE read all 1,000,000 items: 0.6-1.2 s); the filters and keyset pages apply
        from portal.search.engine import ref_ids

        matches = ref_ids("handover", q, [f"handover_{book}"], limit=SEARCH_LIMIT)
        if not matches:
            return query.where(sa.false())
    if matches:
        # found through an index, where a text search reads every row of the book. The ids
        # are of this book already: a "book = ?" next to them would tempt SQLite into
        # reading the whole book through the book's index
        query = query.where(HandoverItem.id.in_(matches))
    else:
        query = query.where(HandoverItem.book == book)
    if category:
        query = query.where(HandoverItem.category == category)
    if status in STATUSES:
        query = query.where(HandoverItem.status == status)
    elif status == "unsigned":
        query = query.where(HandoverItem.status == "open", ~sa.exists().where(
            HandoverAck.item_id == HandoverItem.id))
    if author_id:
        query = query.where(HandoverItem.author_id == author_id)
    if date_from:
        query = query.where(HandoverItem.shift_date >= date_from)
    if date_to:
        query = query.where(HandoverItem.shift_date <= date_to)
    return query


def _reference_matches(book: str, reference: str, limit: int = 1000) -> list[int]:
    """Ids of ``book``'s items with this order number or customer ID, asked one index at a
    time (an OR, or a filter on the book, tempts SQLite into reading the whole book)."""
    ids = db.session.scalars(sa.union(
        sa.select(HandoverItem.id).where(HandoverItem.order_no == reference),
        sa.select(HandoverItem.id).where(HandoverItem.customer_ref == reference),
    ).limit(limit)).all()
    if not ids:
        return []
    # the book is checked here, not in SQL: "id IN (...) AND book = ?" makes SQLite walk the
    # book's index instead of looking the few ids up
    rows = db.session.execute(sa.select(HandoverItem.id, HandoverItem.book)
                              .where(HandoverItem.id.in_(ids)))
    return [ident for ident, item_book in rows if item_book == book]


def _is_reference(text: str) -> bool:
    """Looks like an order number or customer ID: one word of letters, digits, - _ ."""
    return len(text) >= 3 and all(c.isascii() and (c.isalnum() or c in "-_.") for c in text)


def history_page(query, *, before: str | None = None, after: str | None = None,
                 per_page: int = 50) -> paging.KeysetPage:
    """A page of ``query`` older than ``before`` or newer than ``after`` (keyset)."""
    return paging.keyset_page(query, HISTORY_KEY, before=before, after=after,
                              per_page=per_page)


# --- attention (Today cards) ---------------------------------------------------------------


def supervisor_attention(limit: int = 5) -> dict:
    """Items a supervisor should look at: unsigned after the shift they were addressed to
    (R-H2), and open for more than three days (R-H3, R-S5)."""
    if not _types_exist():
        return {"unsigned": [], "unsigned_count": 0, "stale": [], "stale_count": 0}
    current = upcoming_slot()
    # written before the shift before now: the shift it was addressed to is over
    unsigned = sa.and_(HandoverItem.book.in_(BOOKS), HandoverItem.status == "open",
                       written_before(previous_slot(current)),
                       ~sa.exists().where(HandoverAck.item_id == HandoverItem.id))
    stale = sa.and_(HandoverItem.book.in_(BOOKS), HandoverItem.status == "open",
                    HandoverItem.created_at < clock.now() - OPEN_TOO_LONG)

    def first(condition):
        return list(db.session.scalars(
            sa.select(HandoverItem).where(condition)
            .order_by(HandoverItem.shift_date, HandoverItem.id).limit(limit)).unique())

    def count(condition):
        return db.session.scalar(sa.select(sa.func.count()).select_from(HandoverItem)
                                 .where(condition))

    return {"unsigned": first(unsigned), "unsigned_count": count(unsigned),
            "stale": first(stale), "stale_count": count(stale)}


# --- what a score entry may point to (registered in views.register) -------------------------


def link_query(user_id: int, first: date, last: date, limit: int) -> sa.Select:
    """The person's items of those days, newest first: written by them or followed up."""
    from portal.ui import candidate_columns

    # two index ranges instead of an OR (which reads every item the person ever wrote):
    # written, through (book, author_id, shift_date, id); followed up, through owner_id
    columns = (HandoverItem.id, HandoverItem.shift_date, HandoverItem.text)
    written = sa.select(*columns).where(HandoverItem.book.in_(BOOKS),
                                        HandoverItem.author_id == user_id,
                                        HandoverItem.shift_date.between(first, last))
    followed = sa.select(*columns).where(HandoverItem.owner_id == user_id,
                                         HandoverItem.shift_date.between(first, last))
    both = sa.union(written, followed).subquery()
    return (sa.select(*candidate_columns(both.c.id, both.c.shift_date, text=both.c.text))
            .order_by(both.c.shift_date.desc(), both.c.id.desc()).limit(limit))


def link_text(row) -> str:
    return f"{row.ref_day:%Y-%m-%d} #{row.ref_id} {(row.ref_text or '')[:40]}"


def link_url(ident: int) -> str | None:
    book = db.session.scalar(sa.select(HandoverItem.book).where(HandoverItem.id == ident))
    return url_for(f"handover.{book}_item", item_id=ident) if book else None
