"""Sending, counting and marking notifications."""

from collections.abc import Iterable

import sqlalchemy as sa

from portal import clock, live
from portal.auth.models import User
from portal.extensions import db
from portal.notifications.models import Notification


def term(msgid: str) -> dict:
    """A parameter that is itself a message id (a task's kind, a status): stored untranslated
    like the message, and shown in the reader's language. Pass labels this way, never
    rendered: ``notify(user, N_("... %(status)s"), status=term(STATUSES[s]))``."""
    return {"msgid": str(msgid)}


def notify(users: User | Iterable[User], message: str, link: str | None = None,
           **params) -> list[Notification]:
    """Notify one user or several; ``message`` is an ``N_()``-marked text with %(name)s params
    (a parameter that is a word of the portal, such as a label, goes through ``term()``).

    Written in the caller's transaction: they are sent with the caller's commit. One person's
    notification is returned; several people's (a whole role) are written in one statement
    (the ORM would send one INSERT per person) and not returned.
    """
    if isinstance(users, User):
        users = [users]
    users = list(users)
    now = clock.now()
    if len(users) > 1:
        db.session.execute(sa.insert(Notification), [
            {"user_id": user.id, "message": message, "params": params or None, "link": link,
             "created_at": now}
            for user in users])
        return []
    created = [Notification(user_id=user.id, message=message, params=params or None,
                            link=link, created_at=now) for user in users]
    db.session.add_all(created)
    return created


def notify_role(role: str | tuple[str, ...], message: str, link: str | None = None,
                **params) -> list[int]:
    """Notify every active user with ``role`` (or any of several roles): one INSERT … SELECT
    (a request that tells the clerks stays within its ten queries); their bells learn it
    from ``portal.live``. The ids of the users told."""
    roles = (role,) if isinstance(role, str) else tuple(role)
    columns = Notification.__table__.c
    chosen = sa.select(
        User.id, sa.literal(message, columns.message.type),
        sa.literal(params, columns.params.type) if params else sa.null(),
        sa.literal(link, columns.link.type) if link else sa.null(),
        sa.literal(clock.now(), columns.created_at.type),
    ).where(User.role.in_(roles), User.active.is_(True))
    told = db.session.scalars(
        sa.insert(Notification)
        .from_select(["user_id", "message", "params", "link", "created_at"], chosen)
        .returning(columns.user_id)).all()
    for user_id in told:
        live.changed("notifications-changed", user=user_id, scope=f"notifications:{user_id}")
    return list(told)


def unread_count(user: User) -> int:
    """How many notifications ``user`` has not read."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def for_user(user: User, *, unread_only: bool = False):
    """``user``'s notifications, unread first, newest first."""
    query = sa.select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return query.order_by(Notification.read_at.is_not(None), Notification.created_at.desc(),
                          Notification.id.desc())


def mark_read(user: User, notification_id: int | None = None) -> int:
    """Mark one (or, without an id, all) of ``user``'s notifications read; returns how many.
    The notifications the session holds change with the rows (the ORM's synchronisation)."""
    stmt = (
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=clock.now())
    )
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    return db.session.execute(stmt).rowcount


def card_context(user: User) -> dict:
    """The Today card: the five newest unread and the unread count."""
    latest = db.session.scalars(for_user(user, unread_only=True).limit(5)).all()
    return {"latest": latest, "unread": unread_count(user)}
