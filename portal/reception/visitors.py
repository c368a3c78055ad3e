"""The visitor log's rules (R-R5, R-R6): arrivals, what a party was served, departures,
returning visitors by phone, today's list and the history.

Plain functions taking the acting user; the clock is ``portal.clock``; no ``request`` here.
Every change is written to the audit trail in the same transaction; the services flush (a
stale version fails there) and the action runner commits.
"""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import lazyload

from portal import audit, clock, paging, phones
from portal.actions import Conflict
from portal.auth.models import User
from portal.extensions import db
from portal.i18n import N_
from portal.reception.consultants import offered, offered_consultant
from portal.reception.models import Consultant, MenuItem, Serving, Visit
from portal.rules import RuleError

PURPOSES = {
    "viewing": N_("Viewing"),
    "signing": N_("Signing"),
    "aftersales": N_("After-sales"),
    "other": N_("Other"),
}
SOURCES = {
    "walk_in": N_("Walk-in"),
    "appointment": N_("Appointment"),
    "referral": N_("Referral"),
    "advertising": N_("Advertising"),
    "returning": N_("Returning"),
}
MAX_PARTY = 50
MAX_SERVING = 20
LONG_STAY_MINUTES = 90  # default of app.config["SHOWROOM_LONG_STAY_MINUTES"]
BOARD_ROWS = 4  # parties on one page of the board (the rest on "older" pages)
TODAY_ROWS = 8  # latest arrivals listed under today's totals (the rest: the history)
NOTE_SHOWN = 24  # characters of a note on the board (all of it on the visit's page)


class VisitError(RuleError):
    """A visitor-log request the rules refuse."""


# --- phone numbers (R-R6) --------------------------------------------------------------------

# R-R6: the rule is the portal's (portal.phones): the same for orders' receivers
MOBILE, LANDLINE, PHONE_MESSAGE = phones.MOBILE, phones.LANDLINE, phones.PHONE_MESSAGE


def normalise_phone(raw: str | None) -> str | None:
    """The stored form of a phone number (``portal.phones.normalise``); None when empty.
    Raises VisitError."""
    try:
        return phones.normalise(raw)
    except ValueError:
        raise VisitError(PHONE_MESSAGE, "phone") from None


def mask_phone(phone: str | None) -> str:
    """``13812341234`` → ``138****1234``; ``0571-88886666`` → ``0571-****6666``."""
    if not phone:
        return ""
    if "-" in phone:
        area, rest = phone.split("-", 1)
        digits = rest.replace("-", "")
        return f"{area}-{'*' * max(len(digits) - 4, 0)}{digits[-4:]}"
    if len(phone) <= 7:
        return "*" * (len(phone) - 4) + phone[-4:] if len(phone) > 4 else "****"
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def shown_phone(phone: str | None, user) -> str:
    """The phone as ``user`` may see it: in full with "reception.personal", else masked."""
    if not phone:
        return ""
    return phone if user.can("reception.personal") else mask_phone(phone)


def shown_name(name: str | None, user) -> str:
    """A visitor's name as ``user`` may see it (R-R6): the family name only, without
    "reception.personal"."""
    if not name:
        return ""
    return name if user.can("reception.personal") else name[0] + "**"


# --- arrivals ---------------------------------------------------------------------------------


def consultants():
    """Who the arrival form offers: active staff marked as consultants (issue 15 item 14);
    anyone else is typed as a free name."""
    return offered()


def _check_choices(purpose: str, source: str) -> None:
    if purpose not in PURPOSES:
        raise VisitError(N_("Choose a purpose from the list."), "purpose")
    if source not in SOURCES:
        raise VisitError(N_("Choose how they came from the list."), "source")


def _resolve_consultant(consultant_id, consultant_name) -> tuple[User | None, str | None]:
    name = (consultant_name or "").strip() or None
    if consultant_id:
        user = offered_consultant(int(consultant_id))  # one query on the happy path
        if user is None:
            user = db.session.get(User, int(consultant_id))
            if user is None or not user.active:
                raise VisitError(N_("Choose an active staff member."), "consultant_id")
            # a manager's or a clerk's id posted by hand (issue 15 item 14)
            raise VisitError(N_("Choose a consultant from the list, or type another "
                                "consultant's name."), "consultant_id")
        return user, None
    if name and len(name) > 60:
        raise VisitError(N_("Keep the name under %(max)d characters."), "consultant_name", max=60)
    return None, name


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=clock.get_clock().tz) if moment.tzinfo is None else moment


def arrive(user: User, *, party_size: int, purpose: str, source: str,
           arrived_at: datetime | None = None, consultant_id: int | None = None,
           consultant_name: str | None = None, visitor_name: str | None = None,
           phone: str | None = None, note: str | None = None) -> Visit:
    """R-R5: log a party's arrival (now unless corrected). Name and phone are optional (R-R6)."""
    now = clock.now()
    arrived_at = _aware(arrived_at) if arrived_at else now
    if arrived_at > now + timedelta(minutes=1):
        raise VisitError(N_("The arrival time cannot be in the future."), "arrived_at")
    if party_size is None or party_size < 1:
        raise VisitError(N_("A party has at least one person."), "party_size")
    if party_size > MAX_PARTY:
        raise VisitError(N_("A party has at most %(max)d people."), "party_size", max=MAX_PARTY)
    _check_choices(purpose, source)
    consultant, consultant_name = _resolve_consultant(consultant_id, consultant_name)
    visit = Visit(
        day=clock.local(arrived_at).date(), arrived_at=arrived_at, party_size=party_size,
        purpose=purpose, source=source, consultant=consultant,
        consultant_name=consultant_name, visitor_name=(visitor_name or "").strip() or None,
        phone=normalise_phone(phone), note=(note or "").strip() or None,
        created_by_id=user.id, created_at=now,
    )
    db.session.add(visit)
    db.session.flush()
    audit.record("reception.visit_arrived", visit, actor=user, changes={
        "arrived_at": [None, arrived_at.isoformat()], "party_size": [None, party_size],
        "purpose": [None, purpose], "source": [None, source],
        "consultant": [None, consultant_display(visit)],
        # personal data stays out of the trail's text: only whether it was given
        "phone": [None, bool(visit.phone)],
    })
    return visit


def consultant_display(visit: Visit) -> str:
    """The consultant's name, whether a staff member or a free name."""
    if visit.consultant is not None:
        return visit.consultant.display_name
    if visit.consultant_id:
        user = db.session.get(User, visit.consultant_id)
        return user.display_name if user else ""
    return visit.consultant_name or ""


# --- serving (R-R5, with the fridge stock) ----------------------------------------------------


def _fridge_stock(day: date) -> dict[int, int]:
    """Today's remaining fridge counts from the checklist (another module; optional)."""
    try:
        from portal.reception.stock import fridge_stock
    except ImportError:
        return {}
    return fridge_stock(day) or {}


def order_field(item_id) -> str:
    """The serve form's field of one menu item: where a refusal about it is shown."""
    return f"item_{item_id}"


def serve(user: User, visit: Visit, order: Mapping) -> list[Serving]:
    """R-R5: record what the party was served, their whole order at once (issue 15 item 14):
    ``order`` maps menu item ids to how many (0: none of it). All or nothing: one refused
    item serves nothing. A drink counted in the fridge cannot go below zero in today's
    stock (R-R2), summed over the items that draw on the same count. A party someone marked
    as left meanwhile is a Conflict: the row answers its current state."""
    if visit.left_at is not None:
        raise Conflict(visit)
    wanted: dict[int, int] = {}
    for item_id, raw in order.items():
        try:
            quantity = int(raw or 0)
        except (TypeError, ValueError):
            quantity = -1
        if not 0 <= quantity <= MAX_SERVING:
            raise VisitError(N_("Enter how many, from 0 to %(max)d."), order_field(item_id),
                             max=MAX_SERVING)
        if quantity:
            if not str(item_id).isdigit():
                raise VisitError(N_("Choose an item from the menu."), None)
            wanted[int(item_id)] = quantity
    if not wanted:
        raise VisitError(N_("Enter how many of at least one item."), None)
    # the view has read the menu: these come from the session, no query
    items = {item_id: db.session.get(MenuItem, item_id) for item_id in wanted}
    for item_id in wanted:
        if items[item_id] is None or not items[item_id].active:
            raise VisitError(N_("Choose an item from the menu."), order_field(item_id))
    today = clock.today()
    drawn: dict[int, list[int]] = {}  # fridge count -> the ordered items drawing on it
    for item_id in wanted:
        if items[item_id].stock_item_id:
            drawn.setdefault(items[item_id].stock_item_id, []).append(item_id)
    stock = _fridge_stock(today) if drawn else {}
    for stock_id, item_ids in drawn.items():
        if stock_id in stock and stock[stock_id] - sum(wanted[i] for i in item_ids) < 0:
            item = items[item_ids[0]]
            raise VisitError(N_("Only %(left)d of %(name)s left in the fridge today."),
                             order_field(item.id), left=max(stock[stock_id], 0),
                             name=item.local_name)
    servings = []
    for item_id, quantity in wanted.items():
        item = items[item_id]
        # built through the relationships: the visit's servings (already loaded) gain it in
        # memory, so the row shown next needs no second read
        servings.append(Serving(visit=visit, menu_item=item, quantity=quantity, day=today,
                                served_at=clock.now(), served_by_id=user.id))
    db.session.add_all(servings)
    db.session.flush()
    for serving in servings:
        audit.record("reception.visit_served", visit, actor=user,
                     details={"item": serving.menu_item.name, "quantity": serving.quantity})
    return servings


# --- departures -------------------------------------------------------------------------------


def depart(user: User, visit: Visit, version: int | None = None,
           left_at: datetime | None = None) -> Visit:
    """R-R5: mark the party as left (now). A party already marked left, or changed since
    ``version``, is a Conflict: never a second departure time."""
    if visit.left_at is not None or (version is not None and version != visit.version):
        raise Conflict(visit)
    moment = _aware(left_at) if left_at else clock.now()
    if moment < visit.arrived_at:
        moment = visit.arrived_at  # a party logged a moment ago with a corrected arrival
    visit.left_at = moment
    audit.record("reception.visit_departed", visit, actor=user,
                 changes={"left_at": [None, moment.isoformat()]})
    db.session.flush()  # UPDATE ... WHERE version = n: the loser of a race gets 0 rows (409)
    return visit


def correct_departure(user: User, visit: Visit, left_at: datetime, version: int) -> Visit:
    """Correct a recorded departure time (not before the arrival, not in the future)."""
    if version != visit.version:
        raise Conflict(visit)
    left_at = _aware(left_at)
    if left_at < visit.arrived_at:
        raise VisitError(N_("The departure cannot be before the arrival (%(time)s)."),
                         "left_at", time=clock.local(visit.arrived_at).strftime("%H:%M"))
    if left_at > clock.now() + timedelta(minutes=1):
        raise VisitError(N_("The departure time cannot be in the future."), "left_at")
    before = visit.left_at
    visit.left_at = left_at
    audit.record("reception.departure_corrected", visit, actor=user,
                 changes={"left_at": [before.isoformat() if before else None,
                                      left_at.isoformat()]})
    db.session.flush()  # a concurrent correction fails here (409)
    return visit


# --- reading ----------------------------------------------------------------------------------


def long_stay_minutes() -> int:
    return int(current_app.config.get("SHOWROOM_LONG_STAY_MINUTES", LONG_STAY_MINUTES))


def minutes_in_showroom(visit: Visit, now: datetime | None = None) -> int:
    """How long the party has been (or was) in the showroom, in whole minutes."""
    end = visit.left_at or now or clock.now()
    return max(int((end - visit.arrived_at).total_seconds() // 60), 0)


def _open_visits():
    """Parties not marked as left (the ``ix_visits_open`` index: left_at, arrived_at)."""
    return (sa.select(Visit).where(Visit.left_at.is_(None))
            .options(lazyload(Visit.created_by)))


def in_showroom(limit: int | None = None) -> list[Visit]:
    """Parties in the showroom now (not marked as left), newest arrival first."""
    query = _open_visits().order_by(Visit.arrived_at.desc(), Visit.id.desc())
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query).unique())


BOARD_KEY = (Visit.arrived_at, Visit.id)


def board_page(*, before: str | None = None, after: str | None = None,
               per_page: int = BOARD_ROWS) -> paging.KeysetPage:
    """One page of the board: parties in the showroom, newest arrival first, keyset-paged on
    (arrival, id) so that a crowded showroom still answers a small page."""
    return paging.keyset_page(_open_visits(), BOARD_KEY, before=before, after=after,
                              per_page=per_page)


def in_showroom_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Visit)
                             .where(Visit.left_at.is_(None)))


@dataclass
class DayList:
    """Visitors of one day with their totals by purpose and source. ``visits`` may be only
    the latest few (``more``: there are others, in the history)."""

    day: date
    visits: list
    by_purpose: Counter = field(default_factory=Counter)
    by_source: Counter = field(default_factory=Counter)
    parties: int = 0
    people: int = 0
    more: bool = False


def day_list(day: date | None = None, limit: int | None = None) -> DayList:
    """The parties that arrived on ``day`` (today by default), newest first, with the day's
    totals. With ``limit`` only the latest ``limit`` parties are read: the totals come from
    one GROUP BY on the ``day`` index, however busy the day was."""
    day = day or clock.today()
    totals = db.session.execute(
        sa.select(Visit.purpose, Visit.source, sa.func.count(), sa.func.sum(Visit.party_size))
        .where(Visit.day == day).group_by(Visit.purpose, Visit.source))
    result = DayList(day, [])
    for purpose, source, parties, people in totals:
        result.by_purpose[purpose] += parties
        result.by_source[source] += parties
        result.parties += parties
        result.people += int(people or 0)
    if result.parties:
        query = (sa.select(Visit).where(Visit.day == day)
                 .options(lazyload(Visit.created_by), lazyload(Visit.servings))
                 .order_by(Visit.arrived_at.desc(), Visit.id.desc()))
        if limit:
            query = query.limit(limit)
        result.visits = list(db.session.scalars(query).unique())
        result.more = len(result.visits) < result.parties
    return result


def earlier_visits(phone: str | None, *, exclude_id: int | None = None,
                   limit: int = 5) -> list[Visit]:
    """Returning visitors: earlier visits with this phone number, newest first."""
    if not phone:
        return []
    query = sa.select(Visit).where(Visit.phone == phone)
    if exclude_id:
        query = query.where(Visit.id != exclude_id)
    return list(db.session.scalars(
        query.order_by(Visit.arrived_at.desc(), Visit.id.desc()).limit(limit)).unique())


# --- history (keyset pages) -------------------------------------------------------------------

HISTORY_KEY = (Visit.day, Visit.arrived_at, Visit.id)


def decode_cursor(token: str | None):
    """The (day, arrival, id) key in a history cursor, or None."""
    return paging.decode_cursor(token, len(HISTORY_KEY))


def history_query(*, date_from: date | None = None, date_to: date | None = None,
                  consultant: str | None = None, purpose: str | None = None,
                  source: str | None = None):
    """The filtered visits; ``consultant`` is a staff id or ``name:<free name>``. Every
    filter reads the ``day`` index first, so years of visits stay fast."""
    query = sa.select(Visit)
    if date_from:
        query = query.where(Visit.day >= date_from)
    if date_to:
        query = query.where(Visit.day <= date_to)
    if consultant:
        if consultant.startswith("name:"):
            query = query.where(Visit.consultant_name == consultant[5:])
        elif consultant.isdigit():
            query = query.where(Visit.consultant_id == int(consultant))
    if purpose in PURPOSES:
        query = query.where(Visit.purpose == purpose)
    if source in SOURCES:
        query = query.where(Visit.source == source)
    return query


def history_page(query, *, before: str | None = None, after: str | None = None,
                 per_page: int = 50) -> paging.KeysetPage:
    """A page of ``query``, newest first, keyset-paged on (day, arrival, id): the
    ``ix_visits_day_arrived`` index serves both the filter and the order."""
    return paging.keyset_page(query, HISTORY_KEY, before=before, after=after,
                              per_page=per_page)


def consultant_choices() -> list[tuple[str, str]]:
    """The history's consultant filter: staff ever marked as consultants or chosen on a
    visit in the last year, and the free names used in the last year."""
    since = clock.today() - timedelta(days=365)
    # one probe of ix_visits_consultant_day per member of staff, not a year of visits read
    # (the bench measured 52 ms at a million visits for the IN form, 3× the page before)
    chosen = sa.exists().where(Visit.consultant_id == User.id, Visit.day >= since)
    staff = [(str(u.id), u.display_name) for u in db.session.scalars(
        sa.select(User).where(sa.or_(User.id.in_(sa.select(Consultant.user_id)), chosen))
        .order_by(User.display_name))]
    # a free name is kept only when no staff member was chosen: asking for those rows (the
    # consultant_id IS NULL range of ix_visits_consultant_day) reads the year's few free
    # names, not the whole year of visits
    names = db.session.scalars(
        sa.select(Visit.consultant_name).where(Visit.consultant_id.is_(None), Visit.day >= since,
                                               Visit.consultant_name.is_not(None))
        .distinct().order_by(Visit.consultant_name))
    return staff + [(f"name:{n}", n) for n in names]


# --- what a score entry may point to (registered in visitor_views.register) -----------------


def link_query(user_id: int, first: date, last: date, limit: int) -> sa.Select:
    """The visits the person received as consultant in those days, newest first."""
    from portal.ui import candidate_columns

    return (sa.select(*candidate_columns(Visit.id, Visit.day, Visit.arrived_at,
                                         Visit.party_size))
            .where(Visit.consultant_id == user_id, Visit.day.between(first, last))
            .order_by(Visit.arrived_at.desc()).limit(limit))


def link_text(row) -> str:
    return (f"{row.ref_day:%Y-%m-%d} {clock.local(row.ref_at):%H:%M} #{row.ref_id} "
            f"{_('%(count)d people', count=row.ref_number)}")
