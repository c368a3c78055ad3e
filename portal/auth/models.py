"""Staff accounts."""

import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column

from portal import clock
from portal.auth.permissions import GRANTABLE, ROLE_LABELS, role_can
from portal.database import UTCDateTime
from portal.extensions import db


def new_session_token() -> str:
    """A fresh token; changing it signs the account out everywhere."""
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    """A member of staff. Never deleted: deactivated, keeping authorship of their records."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(100))
    role: Mapped[str] = mapped_column(sa.String(20), index=True)
    active: Mapped[bool] = mapped_column(default=True, index=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    locale: Mapped[str | None] = mapped_column(sa.String(10))
    session_token: Mapped[str] = mapped_column(sa.String(64), default=new_session_token)
    # set by someone else (a new account, a reset): the person chooses their own at sign-in
    must_change_password: Mapped[bool] = mapped_column(default=False,
                                                       server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=clock.now, onupdate=clock.now
    )
    # permissions granted to this person beyond their role (GRANTABLE), space-separated:
    # read with the row itself, no query per request
    grants: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    def get_id(self) -> str:
        """Session identity: id plus a token rotated at password change and deactivation."""
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def role_label(self) -> str:
        """The role's name in the current language."""
        return gettext(ROLE_LABELS.get(self.role, self.role))

    def can(self, permission: str) -> bool:
        """True when the user's role holds ``permission``, or it was granted to them."""
        return self.active and (role_can(self.role, permission) or (
            permission in GRANTABLE and permission in (self.grants or "").split()))

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class SignInFailure(db.Model):
    """A failed sign-in. The sign-in limits (ASVS 2.2.1: failures per username and per
    address) count these rows, so they hold across every worker and instance that shares the
    database, whatever the deployment; rows older than the longest window are pruned."""

    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64))
    ip: Mapped[str] = mapped_column(sa.String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)

    __table_args__ = (
        sa.Index("ix_sign_in_failures_username_at", "username", "at"),
        sa.Index("ix_sign_in_failures_ip_at", "ip", "at"),
    )
