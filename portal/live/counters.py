"""Change counters: a polled fragment answers 304 Not Modified when nothing it shows changed.

``change_counters(scope, value)`` holds one number per watched table (and per user for a
table kept per user, ``notifications:12``), bumped in the transaction of the change
(``portal.live`` does it before the commit). A poll reads the few counters its fragment
depends on (one query) and compares their ETag with the browser's ``If-None-Match``, never
rendering to find out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import wraps

import sqlalchemy as sa
from flask import make_response, request
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy.orm import Mapped, mapped_column

from portal import clock
from portal.extensions import db


class ChangeCounter(db.Model):
    """How many times a scope (a watched table, or a table for one user) has changed."""

    __tablename__ = "change_counters"

    scope: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0)


def bump(session, scopes: Iterable[str]) -> None:
    """Add one to each scope's counter (made at 1 when new): one statement."""
    rows = [{"scope": scope[:80], "value": 1} for scope in sorted(set(scopes))]
    if not rows:
        return
    table = ChangeCounter.__table__
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table).values(rows)
    stmt = stmt.on_conflict_do_update(index_elements=[table.c.scope],
                                      set_={"value": table.c.value + 1})
    session.execute(stmt)


def values(scopes: Iterable[str]) -> dict[str, int]:
    """The counters of ``scopes`` (a scope never changed is absent)."""
    scopes = list(scopes)
    rows = db.session.execute(sa.select(ChangeCounter.scope, ChangeCounter.value)
                              .where(ChangeCounter.scope.in_(scopes)))
    return dict(rows.all())


def poll_etag(scopes: Iterable[str], period: int | None = None) -> str:
    """The ETag of a fragment that depends on ``scopes``, on who asks (user, role), in which
    language, fragment or page, and, for a fragment that shows the time (minutes waiting),
    on the ``period`` (seconds) of the clock it is in."""
    scopes = [s.format(user=current_user.get_id() and current_user.id) for s in scopes]
    if any(s.endswith(f":{current_user.id}") for s in scopes):
        scopes += [s.rsplit(":", 1)[0] + ":*" for s in scopes
                   if s.endswith(f":{current_user.id}")]
    counted = values(scopes)
    parts = [f"{s}={counted.get(s, 0)}" for s in sorted(scopes)]
    parts += [f"u={current_user.id}", f"r={current_user.role}", f"l={get_locale()}",
              f"p={request.full_path}", f"d={clock.today().isoformat()}"]
    if period:
        parts.append(f"t={int(clock.now().timestamp()) // period}")
    return hashlib.blake2s("|".join(parts).encode(), digest_size=12).hexdigest()


def cheap_poll(*scopes: str, period: int | None = None):
    """A polled view (under its ``@require``): 304 when the browser holds the current state.

    ``scopes``: the change counters the fragment depends on (``"{user}"`` is the asker's id:
    ``"notifications:{user}"``); ``period``: seconds after which a fragment that shows the
    time is new anyway."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not request.headers.get("HX-Request"):
                return view(*args, **kwargs)  # a whole page shows more (the bell, the nav)
            tag = poll_etag(scopes, period)
            if request.if_none_match.contains_weak(tag):
                response = make_response("", 304)
            else:
                response = make_response(view(*args, **kwargs))
                if response.status_code != 200:
                    return response
            response.set_etag(tag, weak=True)
            # the browser keeps it but asks every time (Vary: the fragment or the page)
            response.headers["Cache-Control"] = "private, no-cache"
            response.vary.add("HX-Request")
            return response

        wrapped.cheap_poll = scopes
        return wrapped

    return decorator
