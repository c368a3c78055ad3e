"""Notifications addressed to one user each."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Mapped, mapped_column

from portal import clock
from portal.database import UTCDateTime
from portal.extensions import db


class Notification(db.Model):
    """A message for one user, with an optional link; unread until they mark it."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_user_unread", "user_id", "read_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    message: Mapped[str] = mapped_column(sa.String(255))  # the msgid, translated when shown
    params: Mapped[dict | None] = mapped_column(sa.JSON)
    link: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def text(self) -> str:
        """The message in the reader's language, with the parameters that are message ids
        (``term()``) in it too."""
        params = {name: gettext(value["msgid"]) if is_term(value) else value
                  for name, value in (self.params or {}).items()}
        return gettext(self.message, **params)


def is_term(value) -> bool:
    """Whether a stored parameter is a message id (see ``services.term``)."""
    return isinstance(value, dict) and isinstance(value.get("msgid"), str)
