"""The knowledge base (知识库): articles, versions, the editor."""


def init_app(app) -> None:
    """Register the area's tables (its views come with its issue)."""
    from portal.knowledge import models  # noqa: F401 - the tables belong to the app
