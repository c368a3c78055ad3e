"""Keyset pages: newest first, "newer"/"older" cursors, no COUNT over years of rows.

A page costs the same on the first day and after years when an index serves the key.
"""

import json
from base64 import urlsafe_b64decode, urlsafe_b64encode
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from portal.extensions import db
from portal.forms import FIRST_YEAR, INT_MAX, INT_MIN, LAST_YEAR, has_control_characters


@dataclass
class KeysetPage:
    """One page of rows, with cursors to the pages around it (None at either end)."""

    items: list
    newer: str | None
    older: str | None


def _plain(value):
    if isinstance(value, datetime):
        return ["t", value.isoformat()]
    if isinstance(value, date):
        return ["d", value.isoformat()]
    return ["v", value]


def _typed(pair):
    """A cursor's value; a forged one the database cannot hold (a number beyond INTEGER, a
    NUL, the year 1) is refused here, never sent to the database."""
    tag, value = pair
    if tag == "t":
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("naive moment in a cursor")
        return _sensible(moment)
    if tag == "d":
        return _sensible(date.fromisoformat(value))
    if tag == "v" and isinstance(value, int) and not isinstance(value, bool) \
            and INT_MIN <= value <= INT_MAX:
        return value
    if tag == "v" and isinstance(value, str) and len(value) <= 200 \
            and not has_control_characters(value):
        return value
    raise ValueError("bad cursor")


def _sensible(day):
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError("a cursor out of the years the portal knows")
    return day


def _fits(value, column) -> bool:
    """True when ``value`` is of the column's kind (a forged cursor may swap them)."""
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return True
    if kind is date:
        return isinstance(value, date) and not isinstance(value, datetime)
    return isinstance(value, kind) and not isinstance(value, bool)


def encode_cursor(row, columns) -> str:
    """The cursor of ``row``: its values of ``columns``, opaque in a URL."""
    raw = json.dumps([_plain(getattr(row, c.key)) for c in columns], separators=(",", ":"))
    return urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str | None, size: int) -> tuple | None:
    """The key values in ``token``, or None for a missing or tampered cursor."""
    if not token:
        return None
    try:
        values = json.loads(urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode())
        if not isinstance(values, list) or len(values) != size:
            return None
        return tuple(_typed(pair) for pair in values)
    except (ValueError, TypeError, UnicodeDecodeError):
        return None


def _bound(values, columns):
    """The cursor's values bound with their columns' types (a moment in any time zone is
    compared as the UTC a UTCDateTime column stores), or None (also for values not of their
    columns' kinds)."""
    if values is None or not all(_fits(v, c) for v, c in zip(values, columns, strict=True)):
        return None
    return tuple(sa.literal(value, column.type)
                 for value, column in zip(values, columns, strict=True))


def after_cursor(query, columns, token: str | None):
    """``query`` cut to the rows after the cursor ``token`` in the ascending order of
    ``columns`` (the "show more" of a list read oldest first); unchanged without a cursor or
    with a tampered one."""
    columns = tuple(columns)
    start = _bound(decode_cursor(token, len(columns)), columns)
    return query.where(sa.tuple_(*columns) > sa.tuple_(*start)) if start else query


def keyset_page(query, columns, *, before: str | None = None, after: str | None = None,
                per_page: int = 50) -> KeysetPage:
    """A page of ``query`` ordered by ``columns`` descending: older than ``before`` or newer
    than ``after``."""
    columns = tuple(columns)
    key = sa.tuple_(*columns)
    newer_than = _bound(decode_cursor(after, len(columns)), columns)
    older_than = _bound(decode_cursor(before, len(columns)), columns)

    def fetch(q):
        return list(db.session.scalars(q.limit(per_page + 1)).unique())

    if newer_than:
        rows = fetch(query.where(key > sa.tuple_(*newer_than)).order_by(None)
                     .order_by(*columns))
        items = list(reversed(rows[:per_page]))
        return KeysetPage(items,
                          encode_cursor(items[0], columns) if len(rows) > per_page else None,
                          encode_cursor(items[-1], columns) if items else None)
    if older_than:
        query = query.where(key < sa.tuple_(*older_than))
    rows = fetch(query.order_by(None).order_by(*(c.desc() for c in columns)))
    items = rows[:per_page]
    return KeysetPage(items,
                      encode_cursor(items[0], columns) if items and older_than else None,
                      encode_cursor(items[-1], columns) if len(rows) > per_page else None)
