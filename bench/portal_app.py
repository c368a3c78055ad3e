"""The portal as a bench run serves it (``gunicorn bench.portal_app:app``), with the SQL
query counter that exists only here: every response carries ``X-Query-Count``, the number of
statements the request sent to the database (a SQLAlchemy ``before_cursor_execute`` hook).
Each worker also compiles the templates when it starts (see ``warm_templates``).

Nothing of this is in the portal itself: production runs ``wsgi:app``.
"""

import contextlib

from flask import Flask, g

from portal import create_app

TRANSACTION_CONTROL = frozenset({"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"})


def count_queries(app: Flask) -> Flask:
    """Count each request's SQL statements into ``X-Query-Count``."""
    import sqlalchemy as sa

    from portal.extensions import db

    def before_cursor_execute(_conn, _cursor, statement, *_args, **_kwargs):
        if statement.split(None, 1)[0].upper() in TRANSACTION_CONTROL:
            return  # SQLite's BEGIN is a statement, PostgreSQL's is not: count only queries
        with contextlib.suppress(RuntimeError):  # outside a request (start-up)
            g.bench_queries = g.get("bench_queries", 0) + 1

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", before_cursor_execute)

    @app.after_request
    def query_count_header(response):
        response.headers["X-Query-Count"] = str(g.get("bench_queries", 0))
        return response

    return app


def warm_templates(app: Flask) -> Flask:
    """Compile every template when the worker starts. A worker compiles a template the first
    time it renders it (the roster grid: over 100 ms), once in its life; a run of minutes with
    five workers would otherwise time that start-up cost on the pages few people open."""
    for name in app.jinja_env.list_templates(extensions=("html",)):
        app.jinja_env.get_template(name)
    return app


app = warm_templates(count_queries(create_app({"LIVE_STAMP_EVENTS": True})))
