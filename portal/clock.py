"""The one place that knows "now" and the department's time zone.

Services call ``now()`` / ``today()``; tests freeze the clock with ``freeze()``.
Everything stored is UTC (portal.database.UTCDateTime); ``local()`` converts for display.
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


class Clock:
    """Department clock for one app: a time zone and, in tests, a frozen moment."""

    def __init__(self, tz_name: str = "Asia/Shanghai") -> None:
        self.tz = ZoneInfo(tz_name)
        self.frozen: datetime | None = None
        self.offset = timedelta(0)

    def now(self) -> datetime:
        """Aware current moment in the department's time zone."""
        moment = self.frozen or datetime.now(UTC) + self.offset
        return moment.astimezone(self.tz)

    def today(self) -> date:
        """The department's calendar date now."""
        return self.now().date()

    def freeze(self, moment: datetime) -> None:
        """Stop the clock at ``moment`` (naive values are read as department time)."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.tz)
        self.frozen = moment

    def unfreeze(self) -> None:
        """Let the clock run again."""
        self.frozen = None

    def run_from(self, moment: datetime) -> None:
        """Let the clock run on from ``moment`` (naive: department time), not from the real
        now: a browser-test run at a chosen time of day, such as the shift change."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.tz)
        self.offset = moment - datetime.now(UTC)


_fallback = Clock()


def get_clock() -> Clock:
    """The current app's clock (a default one outside an app context)."""
    if has_app_context():
        return current_app.extensions["portal_clock"]
    return _fallback


def now() -> datetime:
    """Aware current moment in the department's time zone."""
    return get_clock().now()


def today() -> date:
    """The department's calendar date."""
    return get_clock().today()


def local(moment: datetime | None) -> datetime | None:
    """``moment`` converted to the department's time zone, for display."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(get_clock().tz)


def init_app(app) -> None:
    """Attach a clock configured from PORTAL_TIMEZONE."""
    app.extensions["portal_clock"] = Clock(app.config["PORTAL_TIMEZONE"])
