"""Benchmarks of the portal: years of data, concurrent staff, a bare-Flask baseline.

    make bench                                  # scales 0.01, 0.1 and 1 on SQLite
    DATABASE_URL=postgresql+psycopg://... make bench
    .venv/bin/python -m bench --help            # every option (scales, users, durations)

Pieces:

* ``bench.data``       the generator behind ``flask portal bench-data --scale N``: a department
                       with years of history, written with bulk inserts (COPY on PostgreSQL),
                       linear in N. Each area has its module; a new area adds one.
* ``bench.portal_app`` the portal as gunicorn serves it in a run, plus the bench-only SQL
                       query counter (``X-Query-Count`` on every response).
* ``bench.baseline``   a bare Flask app rendering a small template: the yardstick.
* ``bench.locustfile`` virtual staff of every role signing in and doing their day (Locust,
                       headless), the 50-staff shift-change burst, and the baseline users.
* ``bench.run``        builds the data at each scale, starts gunicorn, runs Locust, and
                       calls ``bench.report``, which writes ``bench/results/latest.md`` and the
                       SVG scale curve and prints a one-screen summary.

The budgets and the latest figures are explained in ``docs/performance.md``.
"""
