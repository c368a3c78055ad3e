"""The benchmark never rots: a tiny run of ``python -m bench --smoke`` (scale 0.001, a few
seconds of load) builds its data, serves the portal and the bare-Flask baseline with gunicorn,
drives virtual staff of every role and the shift-change burst with Locust, and writes the
report, with no failed request. Timings are not checked here (docs/performance.md).

On SQLite it uses files of its own; with TEST_DATABASE_URL it uses the database
``bench_smoke`` on the same server (created when missing), never the suite's tables.
"""

import json
import os
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
