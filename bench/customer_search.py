"""Time the customer search at a scale's data (issue 17 item 7): 200 representative queries,
the whole ``search()`` with its first page of 20, p50 / p95 per kind of query.

    DATABASE_URL=… .venv/bin/python -m bench.customer_search        # on the bench data
"""

import statistics
import sys
import time

import sqlalchemy as sa


def _terms(session) -> dict[str, list[str]]:
    """Terms of each kind, taken from the data (spread over the whole table)."""
    last = session.scalar(sa.text("SELECT MAX(id) FROM customers")) or 0
    step = max(1, last // 25)
    ids = list(range(7, last + 1, step))[:25]
    rows = session.execute(sa.text(
        "SELECT c.id, c.name, p.value, b.value FROM customers c "
        "JOIN customer_contacts p ON p.customer_id = c.id AND p.kind = 'phone' "
        "JOIN customer_contacts b ON b.customer_id = c.id AND b.kind = 'buyer' "
        "WHERE c.id IN :ids").bindparams(sa.bindparam("ids", expanding=True)),
        {"ids": ids}).all()
    orders = session.execute(sa.text(
        "SELECT order_no, tracking_no FROM orders WHERE tracking_no IS NOT NULL AND id IN :ids")
        .bindparams(sa.bindparam("ids", expanding=True)),
        {"ids": list(range(11, last * 3, max(1, last * 3 // 25)))}).all()
    return {
        "name, one character (王: thousands match)": [r.name[:1] for r in rows],
        "name, two characters inside (晓明)": [r.name[-2:] for r in rows],
        "name, whole": [r.name for r in rows],
        "phone, last 4 digits": [r[2][-4:] for r in rows],
        "phone, whole": [r[2] for r in rows],
        "buyer ID, beginning": [r[3][:-2] for r in rows],
        "order number, whole": [o.order_no for o in orders],
        "tracking number, beginning": [o.tracking_no[:-2] for o in orders],
    }


def _matching_alone(search, db, word: str) -> None:
    """The first query of ``search()``: the ids of every way of matching (no rows loaded)."""
    parts = [part.subquery() for part in search._others(word)]
    by_name = search._by_name(word, search.Filters(), None, 21)
    if by_name is not None:
        parts.append(by_name.subquery())
    db.session.execute(sa.union_all(*(sa.select(p.c[0]) for p in parts))).all()


def main() -> int:
    from portal import create_app
    from portal.customers import search
    from portal.extensions import db

    app = create_app()
    with app.app_context():
        terms = _terms(db.session)
        results, every = {}, []
        runs = 25
        for kind, words in terms.items():
            times, alone = [], []
            for word in (words * runs)[:runs]:
                started = time.perf_counter()
                _matching_alone(search, db, word)
                alone.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                found = search.search(word)
                times.append((time.perf_counter() - started) * 1000)
                assert found.items or kind.startswith("tracking"), (kind, word)
                db.session.rollback()
            every += times
            times.sort()
            alone.sort()
            results[kind] = (statistics.median(times), times[int(len(times) * 0.95) - 1],
                             statistics.median(alone), alone[int(len(alone) * 0.95) - 1])
        every.sort()
        count = db.session.scalar(sa.text("SELECT COUNT(*) FROM customers"))
        print(f"{db.engine.dialect.name}, {count:,} customers, {len(every)} queries: "
              f"p50 {statistics.median(every):.1f} ms, p95 {every[int(len(every) * .95) - 1]:.1f}")
        print("| what is typed | search() p50 / p95 ms | the matching query alone |")
        for kind, (p50, p95, a50, a95) in results.items():
            print(f"| {kind} | {p50:.1f} / {p95:.1f} | {a50:.1f} / {a95:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
