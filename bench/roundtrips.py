"""Round trips, queries and Python CPU per request, measured in one process against the
bench's data — figures that do not depend on how loaded the machine is:

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python \\
        -m bench.roundtrips [--repeat 5] [--cpu]

Each role signs in and walks its main pages, fragments and htmx actions through Flask's test
client. *Round trips* are the messages that wait for the server's answer (psycopg's pure-Python
libpq wrapper is counted, so a run without ``--cpu`` sets ``PSYCOPG_IMPL=python``): the
pool's pre-ping, ``BEGIN``, every query, ``COMMIT``/``ROLLBACK``, ``SET``s. *Queries* are what
the bench's ``X-Query-Count`` counts (statements other than transaction control). ``--cpu``
uses the compiled driver and reports the median ``time.process_time`` per request instead.
"""

import argparse
import os
import re
import statistics
import sys
import time
from collections import Counter

CSRF_HEADER = re.compile(r"\"X-CSRFToken\": \"([^\"]+)\"")
CSRF_FIELD = re.compile(r"name=\"csrf_token\" type=\"hidden\" value=\"([^\"]+)\"")
LOADED = re.compile(r"hx-get=\"([^\"]+)\"[^>]*hx-trigger=\"[^\"]*\bload\b")
HIDDEN = r"name=\"{}\"[^>]*value=\"([^\"]*)\"|value=\"([^\"]*)\"[^>]*name=\"{}\""
SENDS = ("send_query", "send_query_params", "send_query_prepared", "send_prepare",
         "send_describe_prepared", "send_describe_portal", "exec_", "exec_params",
         "exec_prepared", "prepare", "describe_prepared", "describe_portal")


class Meter:
    """What one request sent: round trips by their first word, queries, CPU seconds."""

    def __init__(self) -> None:
        self.trips: Counter = Counter()

    def reset(self) -> None:
        self.trips = Counter()

    def patch_libpq(self) -> None:
        from psycopg.pq import pq_ctypes

        for name in SENDS:
            original = getattr(pq_ctypes.PGconn, name, None)
            if original is None:
                continue

            def counted(conn, *args, _original=original, _name=name, **kwargs):
                word = _name
                if args and isinstance(args[0], bytes | str):
                    text = args[0].decode() if isinstance(args[0], bytes) else args[0]
                    word = (text.split(None, 1) or ["?"])[0].upper()
                    if text.strip().upper() == "SELECT 1":
                        word = "PING"
                elif _name in ("send_query_prepared", "exec_prepared"):
                    word = "EXECUTE"
                elif _name == "send_prepare":
                    word = "PREPARE"
                self.trips[word] += 1
                return _original(conn, *args, **kwargs)

            setattr(pq_ctypes.PGconn, name, counted)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.roundtrips", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="times each request is sent")
    parser.add_argument("--cpu", action="store_true",
                        help="compiled driver, median Python CPU ms instead of round trips")
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL", "").startswith("postgresql"):
        sys.exit("DATABASE_URL must name the bench's PostgreSQL database")
    if not args.cpu:
        os.environ["PSYCOPG_IMPL"] = "python"  # before psycopg is imported
    os.environ.setdefault("PORTAL_ENV", "development")
    os.environ.setdefault("LOG_LEVEL", "WARNING")

    import sqlalchemy as sa

    from bench.portal_app import TRANSACTION_CONTROL
    from portal import create_app
    from portal.extensions import db

    meter = Meter()
    if not args.cpu:
        meter.patch_libpq()
    app = create_app({"RATELIMIT_ENABLED": False})
    queries = [0]

    def before_cursor_execute(_conn, _cursor, statement, *_a, **_k):
        if statement.split(None, 1)[0].upper() not in TRANSACTION_CONTROL:
            queries[0] += 1

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", before_cursor_execute)
        ids = _records(db)
    rows = []
    for username, walk in _walks(ids):
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = CSRF_FIELD.search(page).group(1)
        answer = client.post("/login", data={"csrf_token": token, "username": username,
                                             "password": "bench-pass-2026"})
        assert answer.status_code == 303, (username, answer.status_code)
        csrf = ""
        for kind, path, data in walk:
            headers = {} if kind == "page" else {"HX-Request": "true", "X-CSRFToken": csrf}
            if callable(data):
                data = data(client, csrf)
            samples = []
            for _ in range(args.repeat):
                meter.reset()
                queries[0] = 0
                started = time.process_time()
                if kind == "action":
                    response = client.post(path, data=data, headers=headers)
                else:
                    response = client.get(path, headers=headers)
                cpu = time.process_time() - started
                body = response.get_data(as_text=True)
                samples.append((sum(meter.trips.values()), queries[0], cpu, dict(meter.trips),
                                response.status_code))
                if kind == "page":
                    found = CSRF_HEADER.search(body)
                    csrf = found.group(1) if found else csrf
            trips, count, _cpu, words, status = samples[0 if kind == "action" else -1]
            cpu_ms = statistics.median(s[2] for s in samples[1:] or samples) * 1000
            rows.append((username, kind, path, status, trips, count, cpu_ms, words))
            if kind == "page":
                for fragment in LOADED.findall(body):
                    walk_fragment = ("fragment", fragment.replace("&amp;", "&"), None)
                    if walk_fragment not in walk:
                        walk.append(walk_fragment)
    _print(rows, args.cpu)
    return 0


def _records(db) -> dict:
    import sqlalchemy as sa

    one = lambda sql: db.session.execute(sa.text(sql)).scalar()  # noqa: E731
    return {
        "order": one("SELECT id FROM orders WHERE stage = 'awaiting_payment' "
                     "AND cancel_requested_at IS NULL ORDER BY id DESC LIMIT 1"),
        "case": one("SELECT c.id FROM aftersales_cases c JOIN users u ON u.id = c.assignee_id "
                    "WHERE c.state <> 'closed' AND u.username = 'aftersales01' "
                    "ORDER BY c.id LIMIT 1"),
    }


def _hidden(client, path: str, name: str) -> str:
    body = client.get(path).get_data(as_text=True)
    match = re.search(HIDDEN.format(name, name), body)
    return (match.group(1) or match.group(2)) if match else ""


def _walks(ids: dict) -> list:
    """[(username, [(kind, path, data)])]: the main pages and actions of each role."""

    def remark(client, _csrf):
        version = _hidden(client, f"/orders/{ids['order']}", "version")
        return {"version": version, "remarks_shown": "0", "kind": "other",
                "details": "客户要求周末送货", "receiver_name": "", "receiver_phone": "",
                "receiver_address": "", "line_id": "", "attributes": ""}

    def visit(_client, _csrf):
        from datetime import timedelta

        from portal import clock

        with_tz = clock.Clock(os.environ.get("PORTAL_TIMEZONE", "Asia/Shanghai")).now()
        return {"arrived_at": (with_tz - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M"),
                "party_size": "2", "purpose": "viewing", "source": "walk_in",
                "consultant_id": "", "consultant_name": "", "visitor_name": "", "phone": "",
                "note": ""}

    item = {"category": "customer_follow_up", "priority": "normal", "text": "压测：请跟进",
            "order_no": "", "customer_ref": "", "purchase_date": "", "return_tracking": "",
            "customer_request": ""}
    return [
        ("presales01", [("page", "/", None), ("page", "/handover/desk/", None),
                  ("action", "/handover/desk/items", item),
                  ("page", "/orders/", None), ("fragment", "/orders/?q=TB0000", None),
                  ("page", f"/orders/{ids['order']}", None),
                  ("action", f"/orders/{ids['order']}/remarks", remark),
                  ("page", "/roster/me", None), ("page", "/scores/my", None),
                  ("page", "/notifications/", None)]),
        ("aftersales01", [("page", "/aftersales/", None),
                          ("page", f"/aftersales/{ids['case']}", None),
                          ("action", f"/aftersales/{ids['case']}/notes",
                           {"text": "压测：已联系客户"})]),
        ("clerk01", [("page", "/orders/queue", None), ("page", "/orders/stock", None)]),
        ("reception01", [("page", "/showroom/", None), ("action", "/showroom/visits", visit),
                  ("page", "/showroom/checklist", None), ("page", "/showroom/history", None)]),
        ("supervisor01", [("page", "/audit/", None), ("page", "/roster/", None),
                  ("page", "/staff/", None), ("page", "/aftersales/queue", None)]),
    ]


def _print(rows, cpu: bool) -> None:
    print(f"{'user':6} {'kind':8} {'status':>6} {'trips':>5} {'queries':>7} {'cpu ms':>7}  "
          "path  (round trips by first word)")
    for username, kind, path, status, trips, count, cpu_ms, words in rows:
        detail = " ".join(f"{w}={n}" for w, n in sorted(words.items())
                          if w not in ("SELECT", "EXECUTE"))
        print(f"{username:6} {kind:8} {status:>6} {'' if cpu else trips:>5} {count:>7} "
              f"{cpu_ms:7.1f}  {path}  {detail}")
    if not cpu:
        print(f"\nmean round trips per request {statistics.mean(r[4] for r in rows):.1f}, "
              f"queries {statistics.mean(r[5] for r in rows):.1f}")
    print(f"median Python CPU per request {statistics.median(r[6] for r in rows):.1f} ms")


if __name__ == "__main__":
    sys.exit(main())
