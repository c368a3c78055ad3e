"""The one search box's index over what the generators wrote (issue 18 item 6): the same
``rebuild`` the migration's backfill uses, run after every area has loaded (``AFTER_LOAD``),
so the day's searches and suggestions read an index as full as production's."""

from bench.data import Context


def fill(ctx: Context) -> None:
    from portal.extensions import db
    from portal.search.index import rebuild

    with db.engine.begin() as connection:
        ctx.counts["search_docs"] = rebuild(connection)
