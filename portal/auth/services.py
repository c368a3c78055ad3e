"""Account rules: sign-in, own password, and staff management by supervisors and managers."""

from datetime import timedelta

import sqlalchemy as sa
from limits import parse as parse_limit

from portal import audit, clock
from portal.actions import Conflict
from portal.auth.models import SignInFailure, User, new_session_token
from portal.auth.passwords import hash_password, needs_rehash, password_refusal, verify_password
from portal.auth.permissions import GRANTABLE, ROLES, SENIOR_ROLES
from portal.extensions import db
from portal.i18n import N_
from portal.rules import RuleError


class AccountError(RuleError):
    """A staff-account request the rules refuse."""


def normalise_username(username: str) -> str:
    """Usernames are compared case-insensitively and without surrounding spaces."""
    return (username or "").strip().lower()


def find_by_username(username: str) -> User | None:
    """The account with that username, active or not."""
    return db.session.scalar(sa.select(User).where(User.username == normalise_username(username)))


def authenticate(username: str, password: str, locale: str | None = None) -> User | None:
    """The active account these credentials open, or None. Audits both outcomes (the caller
    keeps the record of a failure although it refuses the sign-in). ``locale``: a supported
    language chosen before signing in, kept for an account that has none yet."""
    user = find_by_username(username)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or not user.active:
        audit.record(
            "auth.login_failed", user,
            details={"username": normalise_username(username)[:64],
                     "reason": "inactive" if ok else "password"},
        )
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if user.locale is None:
        adopt_language(user, locale)
    audit.record("auth.login", user, actor=user)
    db.session.flush()  # a concurrent change of the account fails here, before signing in
    return user


def _window(limit: str) -> tuple[int, timedelta]:
    """``"10 per 15 minutes"`` → (10, 15 minutes)."""
    item = parse_limit(limit)
    return item.amount, timedelta(seconds=item.get_expiry())


def sign_in_refused(username: str, ip: str, *, per_username: str, per_ip: str) -> bool:
    """True when ``username`` or the address ``ip`` had too many failed sign-ins within the
    window of its limit (moving window, counted in the database: every worker and instance
    sees the same count). On PostgreSQL the username's attempts queue on a transaction lock,
    so two at once cannot both pass on the same count; SQLite's sign-in transaction takes
    the write lock first (BEGIN IMMEDIATE) and queues them anyway."""
    username = normalise_username(username)[:64]
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(
            sa.func.hashtext("sign-in:" + username))))
    now = clock.now()
    for column, key, limit in ((SignInFailure.username, username, per_username),
                               (SignInFailure.ip, ip, per_ip)):
        amount, window = _window(limit)
        count = db.session.scalar(sa.select(sa.func.count()).select_from(SignInFailure)
                                  .where(column == key, SignInFailure.at > now - window))
        if count >= amount:
            return True
    return False


def record_sign_in_failure(username: str, ip: str, *, per_username: str, per_ip: str) -> None:
    """Count a failed sign-in; forget the failures older than the longest window."""
    now = clock.now()
    keep = max(_window(per_username)[1], _window(per_ip)[1])
    db.session.execute(sa.delete(SignInFailure).where(SignInFailure.at < now - keep))
    db.session.add(SignInFailure(username=normalise_username(username)[:64], ip=ip[:64],
                                 at=now))


def adopt_language(user: User, locale: str | None) -> None:
    """Remember ``locale`` (one the portal speaks) as ``user``'s language."""
    if locale and user.locale != locale:
        user.locale = locale


def check_new_password(password: str, field: str, *, username: str, name: str) -> None:
    """Refuse a new password the rules do not allow (ASVS 2.1), saying why next to ``field``."""
    refusal = password_refusal(password, username=username, name=name)
    if refusal:
        raise AccountError(refusal, field)


def change_own_password(user: User, current: str, new: str) -> None:
    """Change the signed-in user's password after checking the current one."""
    if not verify_password(user.password_hash, current):
        raise AccountError(N_("The current password is not correct."), "current_password")
    check_new_password(new, "new_password", username=user.username, name=user.display_name)
    if verify_password(user.password_hash, new):
        raise AccountError(N_("Choose a password different from the current one."),
                           "new_password")
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.session_token = new_session_token()
    audit.record("auth.password_changed", user, actor=user)
    db.session.flush()  # a concurrent change of the account fails here: 409


def end_sessions(user: User) -> None:
    """Every session of ``user`` ends, on this computer and any other: each copy of a session
    cookie is refused from now on (ASVS 3.3.1). Only the token changes, not the account's
    version, so signing out never conflicts with a supervisor changing the account."""
    db.session.execute(sa.update(User).where(User.id == user.id)
                       .values(session_token=new_session_token(), updated_at=User.updated_at))


def _check_may_manage(actor: User, role: str) -> None:
    """Supervisors manage staff; only managers manage supervisors and managers."""
    if role not in ROLES:
        raise AccountError(N_("Choose a role."), "role")
    if role in SENIOR_ROLES and not actor.can("staff.manage_supervisors"):
        raise AccountError(N_("Only a manager manages supervisor and manager accounts."), "role")


def _check_version(user: User, version: int | None) -> None:
    if version is not None and version != user.version:
        raise Conflict(user)


def create_staff(actor: User, *, username: str, display_name: str, role: str,
                 password: str) -> User:
    """A new active account."""
    _check_may_manage(actor, role)
    username = normalise_username(username)
    if find_by_username(username):
        raise AccountError(N_("That username is taken."), "username")
    check_new_password(password, "password", username=username, name=display_name)
    user = User(username=username, display_name=display_name.strip(), role=role,
                password_hash=hash_password(password), active=True, must_change_password=True)
    db.session.add(user)
    db.session.flush()
    audit.record("staff.created", user,
                 changes={"username": [None, username], "display_name": [None, user.display_name],
                          "role": [None, role]})
    return user


def update_staff(actor: User, user: User, *, version: int, display_name: str, role: str) -> None:
    """Change name or role; a stale ``version`` is a conflict."""
    _check_version(user, version)
    _check_may_manage(actor, user.role)
    _check_may_manage(actor, role)
    if user.id == actor.id and role != user.role:
        raise AccountError(N_("You cannot change your own role."), "role")
    user.display_name = display_name.strip()
    user.role = role
    diff = audit.changes(user, ["display_name", "role"])
    if diff:
        if "role" in diff:
            user.session_token = new_session_token()
        audit.record("staff.updated", user, changes=diff)
    db.session.flush()  # a concurrent change fails here: the runner answers 409


def set_grants(actor: User, user: User, *, version: int, grants) -> None:
    """Give ``user`` the ``GRANTABLE`` permissions ticked (the knowledge editor), beyond the
    role; read by ``User.can`` from the account row itself (no query per request)."""
    _check_version(user, version)
    _check_may_manage(actor, user.role)
    unknown = [g for g in grants or () if g not in GRANTABLE]
    if unknown:
        raise AccountError(N_("Choose from the list."), "grants")
    before = user.grants or ""
    user.grants = " ".join(sorted(set(grants or ())))
    if user.grants != before:
        audit.record("staff.grants_changed", user, changes={"grants": [before, user.grants]})
    db.session.flush()  # a concurrent change fails here: the runner answers 409


def reset_password(actor: User, user: User, *, version: int, password: str) -> None:
    """Set a new password for someone else; their open sessions end, and they choose their
    own at their next sign-in."""
    _check_version(user, version)
    _check_may_manage(actor, user.role)
    check_new_password(password, "password", username=user.username, name=user.display_name)
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.session_token = new_session_token()
    audit.record("staff.password_reset", user)
    db.session.flush()  # a concurrent change fails here: the runner answers 409


def set_active(actor: User, user: User, *, version: int, active: bool) -> None:
    """Deactivate (signs them out, keeps everything they wrote) or reactivate."""
    _check_version(user, version)
    _check_may_manage(actor, user.role)
    if user.id == actor.id and not active:
        raise AccountError(N_("You cannot deactivate your own account."))
    if user.active == active:
        return
    user.active = active
    if not active:
        user.session_token = new_session_token()
    audit.record("staff.reactivated" if active else "staff.deactivated", user,
                 changes={"active": [not active, active]})
    db.session.flush()  # a concurrent change fails here: the runner answers 409


def staff_query(*, q: str | None = None, role: str | None = None, status: str = "active"):
    """Staff list, by role then name."""
    role_order = sa.case({role: n for n, role in enumerate(ROLES)}, value=User.role, else_=99)
    query = sa.select(User).order_by(role_order, User.display_name, User.id)
    if q:
        like = f"%{q.strip()}%"
        query = query.where(sa.or_(User.username.ilike(like), User.display_name.ilike(like)))
    if role:
        query = query.where(User.role == role)
    if status == "active":
        query = query.where(User.active.is_(True))
    elif status == "inactive":
        query = query.where(User.active.is_(False))
    return query


def staff_counts() -> dict:
    """Active accounts per role and the number deactivated (for the staff card)."""
    rows = db.session.execute(
        sa.select(User.role, User.active, sa.func.count()).group_by(User.role, User.active)
    ).all()
    per_role = {role: 0 for role in ROLES}
    inactive = 0
    for role, active, count in rows:
        if active:
            per_role[role] = per_role.get(role, 0) + count
        else:
            inactive += count
    return {"per_role": per_role, "inactive": inactive}
