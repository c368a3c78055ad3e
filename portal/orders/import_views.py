"""(being written)"""


def register(app) -> None:
    """Navigation entries and Today cards of this part."""
