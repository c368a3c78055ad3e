"""The daily work record (每日工作记录, R-C4, R-P4)."""


def init_app(app) -> None:
    """Register the area's tables (its views come with its issue)."""
    from portal.worklog import models  # noqa: F401 - the tables belong to the app
