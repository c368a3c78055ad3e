"""Complaints (投诉, R-C3): register, escalation, the monthly analysis."""


def init_app(app) -> None:
    """Register the area's tables (its views come with its issue)."""
    from portal.complaints import models  # noqa: F401 - the tables belong to the app
