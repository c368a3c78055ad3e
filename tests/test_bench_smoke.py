"""The benchmark never rots: a tiny run of ``python -m bench --smoke`` (scale 0.001, a few
seconds of load) builds its data, serves the portal and the bare-Flask baseline with gunicorn,
drives virtual staff of every role and the shift-change burst with Locust, and writes the
report, with no failed request. Timings are not checked here (docs/performance.md).

On SQLite it uses files of its own; with TEST_DATABASE_URL it uses the database
``bench_smoke`` on the same server (created when missing), never the suite's tables.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent


def test_bench_smoke_run_writes_the_report_without_errors(tmp_path):
    if not (Path(sys.executable).parent / "locust").exists():
        pytest.skip("locust is not installed (pip install -e '.[dev]')")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    test_url = os.environ.get("TEST_DATABASE_URL")
    if test_url:
        env["DATABASE_URL"] = sa.make_url(test_url).set(database="bench_smoke") \
            .render_as_string(hide_password=False)
    out, work = tmp_path / "results", tmp_path / "work"
    result = subprocess.run(  # noqa: S603 - this interpreter, our own module
        [sys.executable, "-m", "bench", "--smoke", "--out", str(out), "--workdir", str(work)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    log = (work / "run.log").read_text(encoding="utf-8", errors="replace") \
        if (work / "run.log").exists() else ""
    assert result.returncode == 0, (result.stdout[-2000:] + result.stderr[-3000:]
                                    + log[-4000:])

    report = (out / "latest.md").read_text(encoding="utf-8")
    database = "postgresql" if test_url else "sqlite"
    assert ("## PostgreSQL" if test_url else "## SQLite") in report
    assert (out / f"scale-curve-{database}.svg").read_text().startswith("<svg")
    summary = json.loads((out / f"summary-{database}.json").read_text(encoding="utf-8"))
    for phase in ("mixed", "burst"):
        endpoints = summary["scales"][0]["phases"][phase]["endpoints"]
        kinds = {name.split(" ", 1)[0] for name in endpoints}
        assert {"page", "fragment", "signin", "baseline"} <= kinds, (phase, kinds)
        failed = {name: s["errors"] for name, s in endpoints.items() if s["errors"]}
        assert not failed, (phase, failed, summary["scales"][0]["phases"][phase]["errors"])
        # the bench-only hook counted the portal's SQL
        assert any((s["queries"] or 0) > 0 for s in endpoints.values())
    mixed = summary["scales"][0]["phases"]["mixed"]["endpoints"]
    assert any(name.startswith("action ") for name in mixed), sorted(mixed)
    if shutil.which("redis-server"):  # the day's staff kept their /events streams open
        assert summary["streams"] == 6
        assert mixed["sse open"]["total"] >= 6 and mixed["sse open"]["errors"] == 0
        assert "sse event-to-screen" in mixed, "a change reached the streams"
        assert "event to screen: p50" in report


def test_case_shares_give_each_open_case_to_one_user_at_most():
    """The plan's after-sales shares: no case in two users' shares; the cases waiting for
    their parcel are the clerks', unassigned ones are only taken, an agent keeps its own."""
    from bench.run import case_shares

    accounts = [["aftersales01", "aftersales"], ["aftersales02", "aftersales"],
                ["clerk01", "order_clerk"], ["presales01", "presales"]]
    user_ids = {"aftersales01": 27, "aftersales02": 28, "clerk01": 41, "presales01": 7}
    cases = [(1, "new", None, None, None), (2, "in_progress", 28, None, None),
             (3, "waiting_parcel", 27, None, "SF1"), (4, "refunded", 99, "refunding", None),
             (5, "waiting_customer", 27, None, None), (6, "new", None, None, None)]
    shares = case_shares(accounts, user_ids, cases)

    def owners(key):
        found: dict = {}
        for name, items in shares[key].items():
            for item in items:
                ident = item[0] if isinstance(item, list) else item
                found.setdefault(ident, set()).add(name)
        return found

    assert owners("parcel_cases") == {3: {"clerk01"}}
    assert owners("unassigned_cases") == {1: {"aftersales01"}, 6: {"aftersales02"}}
    notes = owners("case_notes")
    assert notes[2] == {"aftersales02"} and notes[5] == {"aftersales01"}  # their own
    assert set(notes) == {2, 4, 5} and all(len(n) == 1 for n in notes.values())
    steps = owners("case_steps")
    assert set(steps) == {2, 5}  # not the one in the platform refund queue
    assert all(steps[i] == notes[i] for i in steps)
    assert shares["parcel_cases"]["clerk01"] == [[3, "SF1"]]


def test_aftersales_bench_data_has_a_live_desk_with_its_sla_clocks(tmp_path, app):
    """bench/data/aftersales.py at a tiny scale: N × 100,000 cases plus the live fortnight,
    an open tail in every state, due moments as portal.aftersales.sla computes them (so the
    lists' "breached" and "about to breach" find cases), return visits due today."""
    from types import SimpleNamespace

    from flask import g

    from portal import clock
    from portal.aftersales import sla
    from portal.aftersales.models import AfterSalesCase

    path = tmp_path / "bench.sqlite3"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update({"DATABASE_URL": f"sqlite:///{path}", "FLASK_APP": "wsgi",
                "PORTAL_ENV": "production", "SECRET_KEY": "x" * 48,
                "RATELIMIT_STORAGE_URI": "memory://", "PYTHONPATH": str(ROOT)})
    result = subprocess.run(  # noqa: S603 - our own venv's flask
        [str(Path(sys.executable).parent / "flask"), "portal", "bench-data", "--scale",
         "0.001", "--reset"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        check=False)
    assert result.returncode == 0, result.stderr[-3000:]

    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as connection, app.test_request_context():
        g.aftersales_periods = [(480, 1440)]  # the bench's shift types: 08:00-24:00
        now = clock.now()
        total = connection.scalar(sa.text("SELECT count(*) FROM aftersales_cases"))
        live = total - 100  # 0.001 × 100,000 of history
        assert 0.8 * 14 * 90 < live <= 15 * 90
        states = dict(connection.execute(sa.text(
            "SELECT state, count(*) FROM aftersales_cases GROUP BY state")).all())
        assert set(states) == {"new", "in_progress", "waiting_customer", "waiting_parcel",
                               "parcel_received", "refunded", "exchange_shipped", "resolved",
                               "closed"}
        still_open = sum(n for state, n in states.items() if state != "closed")
        assert 150 <= still_open <= 800, states
        assert connection.scalar(sa.text(
            "SELECT count(*) FROM aftersales_cases WHERE state = 'new' "
            "AND assignee_id IS NULL")) >= 3
        assert connection.scalar(sa.text(
            "SELECT count(*) FROM aftersales_cases WHERE state <> 'closed' "
            "AND platform_status IS NOT NULL")) >= 5
        for kind in ("breached", "soon", "paused"):
            found = connection.scalar(sa.select(sa.func.count()).select_from(AfterSalesCase)
                                      .where(AfterSalesCase.state != "closed",
                                             sla.breach_filter(AfterSalesCase, kind, now)))
            assert found > 0, kind
        # the stored clock is what the workflow would have stored
        rows = connection.execute(sa.select(AfterSalesCase.__table__).where(
            AfterSalesCase.state.in_(("new", "waiting_customer")))).mappings().all()
        for row in rows:
            case = SimpleNamespace(**row)
            assert case.first_response_due_at == sla.add_working(
                case.created_at, 120, g.aftersales_periods)
            if case.state == "waiting_customer":
                assert case.sla_state == "paused" and case.resolve_due_at is None
                assert case.sla_remaining_minutes is not None
            else:
                assert case.sla_state == "running" and case.first_response_at is None
            assert sla.status(case, now).kind in ("ok", "soon", "breached", "paused")
        assert connection.scalar(sa.text(
            "SELECT count(*) FROM aftersales_cases c WHERE state = 'closed' AND NOT EXISTS "
            "(SELECT 1 FROM aftersales_visits v WHERE v.case_id = c.id)")) == 0
        assert connection.scalar(sa.text(
            "SELECT count(*) FROM aftersales_visits WHERE done_at IS NULL AND due_on <= :day"),
            {"day": clock.today().isoformat()}) > 0
        # a quality claim decided has its photos (records only: no file is written)
        assert connection.scalar(sa.text(
            "SELECT count(*) FROM aftersales_cases c WHERE type = 'quality' "
            "AND photos_confirm IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM aftersales_photos p WHERE p.case_id = c.id)")) == 0
    engine.dispose()
