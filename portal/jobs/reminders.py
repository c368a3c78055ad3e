"""The periodic reminder check: every minute, each kind of reminder (``portal.ui``'s
registry) is asked what fell due since it last looked, and each due reminder is sent once.

One transaction per kind: move the kind's mark (compare-and-set: of two workers only one
gets the window), find what is due, write one ``reminders_sent`` row per reminder (its
(kind, key) unique: a reminder found again, by a restart or a second worker, is skipped)
and its notifications; commit. A kind that fails rolls back alone and its window is looked
at again on the next run. Times are the department's (``portal.clock``).
"""

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from portal import clock
from portal.actions import commit, discard
from portal.auth.models import User
from portal.extensions import db
from portal.jobs.models import JobMark, ReminderSent, ReminderSetting
from portal.notifications import notify
from portal.ui import Due, ReminderKind, reminder_kinds

log = logging.getLogger(__name__)

DEFAULTS = {
    # a kind never run before looks back this far (a new installation, a new kind)
    "JOBS_FIRST_LOOKBACK_MINUTES": 60,
    # a worker down for longer catches up at most this far back
    "JOBS_CATCH_UP_HOURS": 72,
}


def setting(name: str):
    return current_app.config.get(name, DEFAULTS[name])


def enabled_kinds() -> set[str]:
    """The kinds that are sent: all but those the supervisor switched off."""
    off = set(db.session.scalars(sa.select(ReminderSetting.kind)
                                 .where(ReminderSetting.enabled.is_(False))))
    return {r.kind for r in reminder_kinds()} - off


def _insert_ignoring_duplicate(model, values: dict) -> bool:
    """INSERT … ON CONFLICT DO NOTHING on either database; whether the row went in."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    key = next(iter(model.__table__.primary_key.columns))
    # RETURNING, not rowcount: through psycopg the row count of this statement is not 1
    return db.session.execute(insert(model).values(**values).on_conflict_do_nothing()
                              .returning(key)).first() is not None


def claim_window(name: str, now: datetime) -> datetime | None:
    """Move the mark ``name`` to ``now``; the moment it was at (the window's start), or None
    when another run moved it first (or it is at ``now`` already)."""
    first = now - timedelta(minutes=int(setting("JOBS_FIRST_LOOKBACK_MINUTES")))
    _insert_ignoring_duplicate(JobMark, {"name": name, "at": first})
    previous = db.session.scalar(sa.select(JobMark.at).where(JobMark.name == name))
    if previous is None or previous >= now:
        return None
    moved = db.session.execute(
        sa.update(JobMark).where(JobMark.name == name, JobMark.at == previous)
        .values(at=now).execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        return None
    return max(previous, now - timedelta(hours=int(setting("JOBS_CATCH_UP_HOURS"))))


def recipients(due: Due) -> list[User]:
    """The active users ``due`` goes to: its users and the holders of its roles."""
    if not due.users and not due.roles:
        return []
    return list(db.session.scalars(
        sa.select(User).where(User.active.is_(True),
                              sa.or_(User.id.in_(due.users), User.role.in_(due.roles)))
        .order_by(User.id)))


def send_once(kind: str, due: Due, now: datetime | None = None) -> int:
    """Send ``due`` unless it was sent before; how many people it went to (0: sent before
    or nobody to tell)."""
    users = recipients(due)
    if not _insert_ignoring_duplicate(ReminderSent, {
            "kind": kind, "key": due.key[:120], "recipients": len(users),
            "sent_at": now or clock.now()}):
        return 0
    if users:
        notify(users, due.message, due.link, **due.params)
    return len(users)


def check_kind(reminder: ReminderKind, now: datetime, enabled: bool = True) -> int:
    """One kind's window: claim it, send what fell due (unless switched off); commits.
    How many reminders went out."""
    sent = 0
    try:
        since = claim_window(f"reminder:{reminder.kind}", now)
        if since is not None and enabled:
            for due in reminder.find_due(since, now):
                sent += 1 if send_once(reminder.kind, due, now) else 0
        commit()
    except Exception:
        discard()
        log.exception("reminder kind %s failed; its window is looked at again", reminder.kind)
        raise
    return sent


def check(now: datetime | None = None) -> dict[str, int]:
    """The periodic job: every kind's due reminders sent once. {kind: reminders sent}."""
    now = now or clock.now()
    enabled = enabled_kinds()
    sent, failed = {}, []
    for reminder in reminder_kinds():
        try:
            sent[reminder.kind] = check_kind(reminder, now, reminder.kind in enabled)
        except Exception:
            failed.append(reminder.kind)
    if failed:
        log.warning("reminder kinds failed: %s", ", ".join(failed))
    return sent
