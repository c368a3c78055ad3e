"""What an area contributes to the shell: navigation entries and Today-page cards.

An area registers its entries in its ``init_app``; the base template and the home page
show only those whose permission the user holds. No area edits another's templates.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app


@dataclass(frozen=True)
class NavItem:
    """A link in the navigation, shown to holders of ``permission``."""

    endpoint: str
    label: object  # a lazy string
    permission: str
    order: int = 100
    # endpoints (prefixes) that mark this entry as current
    active_prefix: str | tuple[str, ...] = ""
    # an endpoint answering a small count badge (polled by htmx, and refreshed at once
    # when an action sends the ``badge_event`` through HX-Trigger)
    badge_endpoint: str | None = None
    badge_event: str | None = None


@dataclass(frozen=True)
class Card:
    """A card on the Today page: ``template`` rendered with ``context(user)``."""

    key: str
    title: object  # a lazy string
    permission: str
    template: str
    context: Callable[[object], dict] = field(default=lambda user: {})
    order: int = 100
    # the area's stylesheet (under static/) the card's markup needs on the Today page
    stylesheet: str | None = None


def _registry(app=None) -> dict:
    app = app or current_app
    return app.extensions.setdefault("portal_ui", {"nav": [], "cards": []})


def register_nav(app, item: NavItem) -> None:
    """Add a navigation entry."""
    _registry(app)["nav"].append(item)
    _registry(app)["nav"].sort(key=lambda i: i.order)


def register_card(app, card: Card) -> None:
    """Add a Today-page card."""
    _registry(app)["cards"].append(card)
    _registry(app)["cards"].sort(key=lambda c: c.order)


def nav_for(user) -> list[NavItem]:
    """Navigation entries ``user`` may see."""
    return [i for i in _registry()["nav"] if user.can(i.permission)]


def cards_for(user) -> list[Card]:
    """Today-page cards ``user`` may see."""
    return [c for c in _registry()["cards"] if user.can(c.permission)]
