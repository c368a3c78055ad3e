"""Which kinds of reminder are sent: the supervisor switches a kind off and on."""

import sqlalchemy as sa

from portal import audit, clock
from portal.actions import Conflict
from portal.auth.models import User
from portal.extensions import db
from portal.jobs.models import ReminderSent, ReminderSetting
from portal.jobs.reminders import _insert_ignoring_duplicate
from portal.ui import ReminderKind, reminder_kinds


def ensure_settings() -> dict[str, ReminderSetting]:
    """{kind: its setting}, a row made (switched on) for a kind registered since."""
    known = {s.kind: s for s in db.session.scalars(sa.select(ReminderSetting))}
    missing = [r.kind for r in reminder_kinds() if r.kind not in known]
    for kind in missing:
        _insert_ignoring_duplicate(ReminderSetting, {"kind": kind, "enabled": True, "version": 1})
    if missing:
        known = {s.kind: s for s in db.session.scalars(
            sa.select(ReminderSetting).execution_options(populate_existing=True))}
    return known


def last_sent() -> dict[str, object]:
    """{kind: when one was last sent} (one grouped query)."""
    return dict(db.session.execute(
        sa.select(ReminderSent.kind, sa.func.max(ReminderSent.sent_at))
        .group_by(ReminderSent.kind)).all())


def rows() -> list[tuple[ReminderKind, ReminderSetting]]:
    """Every kind with its setting, in the registry's order."""
    settings = ensure_settings()
    return [(kind, settings[kind.kind]) for kind in reminder_kinds()]


def switch(actor: User, setting: ReminderSetting, version: int | None,
           enabled: bool) -> ReminderSetting:
    """Switch a kind on or off; a stale version is a conflict. Audited."""
    if version is not None and version != setting.version:
        raise Conflict(setting)
    before = setting.enabled
    setting.enabled = bool(enabled)
    setting.updated_at = clock.now()
    setting.updated_by_id = actor.id
    db.session.flush()
    audit.record("reminder.switch", setting, changes={"enabled": [before, setting.enabled]},
                 actor=actor)
    return setting
