"""Time one allocation run over the distributor orders waiting for review (the bench data
has 200 over 30 short SKUs): ``DATABASE_URL=… .venv/bin/python -m bench.allocation_timing``.
The run is rolled back, so the database is left as it was. Budget: ≤ 1 s."""

import sys
import time

import sqlalchemy as sa


def main() -> int:
    from portal import create_app
    from portal.auth.models import User
    from portal.distributors import allocation
    from portal.extensions import db
    from portal.orders.models import Order

    app = create_app()
    with app.test_request_context():
        clerk = db.session.scalar(sa.select(User).where(User.role == "order_clerk").limit(1))
        waiting = db.session.scalar(sa.select(sa.func.count()).select_from(Order).where(
            Order.stage == "review"))
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            run = allocation.make_run(clerk)
            db.session.flush()
            timings.append(time.perf_counter() - started)
            cells = len(allocation.cells_of(run))
            db.session.rollback()
        best = min(timings)
        print(f"allocation run over {waiting} waiting orders ({cells} lines): best "
              f"{best * 1000:.0f} ms, runs {', '.join(f'{t * 1000:.0f}' for t in timings)} ms")
    return 0 if best <= 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
