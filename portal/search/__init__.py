"""The one search box (issue 18 item 6): articles, daily-record lines, complaints and the
handover history, found by 1-, 2- and n-character Chinese terms and by SKUs and order
numbers, on SQLite and PostgreSQL (docs/search.md).

Areas register their records here (``register_source``), as they register navigation in
portal/ui.py; this package imports no area. The four sources of issue 18 live in each
area's ``search_source.py`` and are registered by ``SOURCE_MODULES`` below (by name, so
the areas stay unimported: an area may instead call its module's ``register(app)`` from its
own ``init_app`` and leave this list).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import Blueprint, current_app

bp = Blueprint("search", __name__)

SOURCE_MODULES = (
    "portal.knowledge.search_source",
    "portal.worklog.search_source",
    "portal.complaints.search_source",
    "portal.handover.search_source",
)


@dataclass(frozen=True)
class Doc:
    """What a record shows and is found by: ``keys`` name who may see it (a user holding
    one of them sees it; see ``Source.keys_for``)."""

    title: str
    body: str
    at: datetime
    keys: tuple[str, ...]
    ref: str = ""  # what its link needs besides its id (a handover item's book)
    summary: str = ""  # shown with it besides the snippet (an article's reply text)


@dataclass(frozen=True)
class Source:
    """A kind of record the search finds.

    ``columns``: the model's attributes ``doc`` reads (a change of one re-indexes the
    record; the backfill selects them); ``doc(row)``: its ``Doc``; ``keys_for(user)``: the
    keys the user holds for this kind (empty: none of them); ``url(ref_id, ref)``: its page.
    """

    kind: str
    label: object  # a lazy string: "Article", "Handover item"…
    model: type
    columns: tuple[str, ...]
    doc: Callable[[object], Doc]
    keys_for: Callable[[object], tuple[str, ...]]
    url: Callable[[int, str], str | None] = field(default=lambda ref_id, ref: None)
    order: int = 100


def _registry(app=None) -> dict[str, Source]:
    return (app or current_app).extensions.setdefault("portal_search", {})


def register_source(app, source: Source) -> None:
    """Make ``source``'s records searchable (kept current by portal.search.index)."""
    _registry(app)[source.kind] = source


def sources(app=None) -> dict[str, Source]:
    """The registered sources by kind, in their order."""
    return dict(sorted(_registry(app).items(), key=lambda item: (item[1].order, item[0])))


def init_app(app) -> None:
    from portal.search import index, models, views  # noqa: F401 - tables, routes

    for name in SOURCE_MODULES:
        importlib.import_module(name).register(app)
    index.init_app(app)
    views.register(app)
    app.register_blueprint(bp)


def link(endpoint: str, **values) -> str | None:
    """``url_for`` that answers None when the page is not there (an area's views may come
    later than its records)."""
    from flask import url_for
    from werkzeug.routing import BuildError

    try:
        return url_for(endpoint, **values)
    except (BuildError, RuntimeError):
        return None
