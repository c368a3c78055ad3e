"""Sign-in limits and refusals against a real server: several gunicorn workers (the limits
count per person, not per worker), and parallel refused requests on the WAL SQLite file
``make run`` uses (a refusal is never a 500, and each is in the audit trail)."""

import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.auth.servers import PASSWORD, serving, sign_in_attempt, signed_in


def _pids(log) -> set[str]:
    return {line.split()[0] for line in log.read_text().splitlines() if line.startswith("pid=")}


def test_ten_failures_lock_the_username_across_two_gunicorn_workers(tmp_path):
    """Failures are counted in the database: with two workers the 11th attempt is refused,
    whichever worker answers it (the limiter's memory storage let 20 through)."""
    with serving(tmp_path, {"wang": "presales", "li": "presales"}, workers=2) as (base, log):
        with ThreadPoolExecutor(2) as pool:  # two at a time: both workers take attempts
            first = list(pool.map(lambda _: sign_in_attempt(base, "wang", "wrong" * 4),
                                  range(10)))
            assert [r.status_code for r in first] == [422] * 10
            then = list(pool.map(lambda _: sign_in_attempt(base, "wang", PASSWORD), range(6)))
        assert [r.status_code for r in then] == [429] * 6, "the right password is refused too"
        assert len(_pids(log)) == 2, "both workers answered sign-ins"
        # another person at the same address still signs in
        assert sign_in_attempt(base, "li", PASSWORD).status_code in (303, 422)


@pytest.mark.parametrize("workers", [0, 2], ids=["flask-run-threads", "gunicorn-2-workers"])
def test_parallel_refusals_are_403_and_every_one_is_audited(tmp_path, workers):
    """75 refused requests at once on the WAL SQLite file: each answers 403 (never 500), and
    each refusal is in the audit trail."""
    with serving(tmp_path, {"clerk": "order_clerk"}, workers=workers) as (base, log):
        browser = signed_in(base, "clerk")
        paths = ["/staff/", "/audit/", "/scores/"] * 25
        with ThreadPoolExecutor(15) as pool:
            statuses = list(pool.map(lambda p: browser.get(base + p, timeout=60,
                                                           allow_redirects=False).status_code,
                                     paths))
    assert sorted(set(statuses)) == [403], statuses
    with sqlite3.connect(tmp_path / "portal.sqlite3") as con:
        refusals = con.execute("select count(*) from audit_events "
                               "where action = 'auth.forbidden'").fetchone()[0]
    assert refusals == 75
    assert "Traceback" not in log.read_text()
