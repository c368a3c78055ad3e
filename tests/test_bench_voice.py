"""The bench's customer's voice (issue 18 item 8): the generator's complaints, work-record
lines and articles hold the rules the pages rely on, at the smallest scale, on SQLite and (with
TEST_DATABASE_URL) on PostgreSQL in a database of their own; and the load's form reader sends
a rendered form as a browser would."""

import os

import pytest
import sqlalchemy as sa

from bench.forms import fill, form_of, yes_no
from portal.aftersales.replies import DEFAULT_REPLIES


@pytest.fixture(scope="module")
def bench_db(tmp_path_factory):
    """A bench database at scale 0.001, built by ``flask portal bench-data`` as ``make bench``
    does; its URL."""
    from bench.run import build_data, ensure_database

    test_url = os.environ.get("TEST_DATABASE_URL")
    if test_url:
        target = sa.make_url(test_url)
        url = target.set(database=f"{target.database}_bench_voice") \
            .render_as_string(hide_password=False)
        ensure_database(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('bench') / 'voice.sqlite3'}"

    class Log:
        text = ""

        def write(self, text):
            Log.text += text

    build_data(url, 0.001, Log())
    assert "voice:" in Log.text, Log.text[-2000:]
    engine = sa.create_engine(url)
    yield engine
    engine.dispose()


def _rows(engine, sql: str, **params):
    with engine.connect() as connection:
        return connection.execute(sa.text(sql), params).all()


def _one(engine, sql: str, **params):
    return _rows(engine, sql, **params)[0][0]


def test_volumes_follow_the_scale_and_the_live_register_does_not(bench_db):
    assert _one(bench_db, "SELECT COUNT(*) FROM articles") == 50 + len(DEFAULT_REPLIES)
    versions = _one(bench_db, "SELECT COUNT(*) FROM article_versions")
    assert 75 <= versions <= 150  # about two each
    # the history's 1,000 lines and yesterday's (and today's so far) at the full rate
    lines = _one(bench_db, "SELECT COUNT(*) FROM work_lines")
    assert 1_000 + 500 <= lines <= 1_000 + 2 * 34 * 27
    complaints = _one(bench_db, "SELECT COUNT(*) FROM complaints")
    assert 20 + 150 <= complaints <= 20 + 11 * 18
    events = _one(bench_db, "SELECT COUNT(*) FROM complaint_events")
    assert 3 * complaints <= events <= 5 * complaints  # about four each
    assert _one(bench_db, "SELECT COUNT(*) FROM complaint_categories") == 6
    assert _one(bench_db, "SELECT COUNT(*) FROM question_categories") == 6
    assert _one(bench_db, "SELECT COUNT(*) FROM complaint_due_rules") == 3
    assert _one(bench_db, "SELECT COUNT(*) FROM complaint_months WHERE sent_at IS NOT NULL") \
        == 36


def test_complaints_hold_the_registers_rules(bench_db):
    states = dict(_rows(bench_db, "SELECT state, COUNT(*) FROM complaints GROUP BY state"))
    assert states.get("closed", 0) > sum(states.values()) / 2  # mostly closed
    assert states.get("received", 0) + states.get("investigating", 0) \
        + states.get("escalated", 0) > 0  # the live register has open ones
    # never closed or answered without an answer; open ones have none
    assert not _one(bench_db, "SELECT COUNT(*) FROM complaints WHERE state IN "
                              "('answered', 'closed') AND (answer IS NULL OR answered_at IS NULL)")
    assert not _one(bench_db, "SELECT COUNT(*) FROM complaints WHERE state NOT IN "
                              "('answered', 'closed') AND answer IS NOT NULL")
    assert not _one(bench_db, "SELECT COUNT(*) FROM complaints WHERE satisfaction IS NOT NULL "
                              "AND state <> 'closed'")
    # escalated ones are above the owner; serious and crisis ones are escalated at once
    assert not _one(bench_db, "SELECT COUNT(*) FROM complaints WHERE state = 'escalated' "
                              "AND (level < 1 OR escalated_at IS NULL)")
    assert not _one(bench_db, "SELECT COUNT(*) FROM complaints WHERE severity = 'crisis' "
                              "AND level <> 2")
    assert not _one(bench_db, "SELECT COUNT(*) FROM complaints WHERE severity = 'serious' "
                              "AND level < 1")
    assert not _one(bench_db, "SELECT COUNT(*) FROM complaints WHERE due_at <= received_at "
                              "OR (answered_at IS NOT NULL AND answered_at < received_at) "
                              "OR (closed_at IS NOT NULL AND closed_at < answered_at)")
    # each one's first event is its receipt; a closed one went through four steps at least
    assert not _one(bench_db, "SELECT COUNT(*) FROM complaints c WHERE NOT EXISTS (SELECT 1 "
                              "FROM complaint_events e WHERE e.complaint_id = c.id AND "
                              "e.kind = 'received')")
    assert not _one(bench_db, "SELECT COUNT(*) FROM complaints c WHERE c.state = 'closed' AND "
                              "(SELECT COUNT(*) FROM complaint_events e WHERE "
                              "e.complaint_id = c.id) < 4")
    # linked to the order's customer
    assert _one(bench_db, "SELECT COUNT(*) FROM complaints WHERE customer_id IS NOT NULL") > 0
    assert not _one(bench_db, "SELECT COUNT(*) FROM complaints c JOIN orders o ON "
                              "o.id = c.order_id WHERE c.customer_id <> o.customer_id")
    categories = {row[0] for row in _rows(bench_db, "SELECT DISTINCT category_id FROM "
                                                    "complaints")}
    assert categories <= set(range(1, 7)) and len(categories) >= 4


def test_work_lines_hold_the_records_rules(bench_db):
    total, unresolved = _rows(bench_db, "SELECT COUNT(*), SUM(CASE WHEN resolved THEN 0 "
                                        "ELSE 1 END) FROM work_lines")[0]
    assert 0.04 < unresolved / total < 0.12  # about 8 % unresolved
    # every correction kept the earlier text and is counted on its line
    assert _one(bench_db, "SELECT COUNT(*) FROM work_line_corrections") == \
        _one(bench_db, "SELECT SUM(corrections) FROM work_lines") > 0
    assert not _one(bench_db, "SELECT COUNT(*) FROM work_line_corrections k JOIN work_lines l "
                              "ON l.id = k.line_id WHERE k.at < l.created_at OR "
                              "l.version <> 1 + l.corrections")
    # only agents write; texts in Chinese; lines linked to orders carry their customer
    assert not _one(bench_db, "SELECT COUNT(*) FROM work_lines l JOIN users u ON "
                              "u.id = l.user_id WHERE u.role NOT IN ('presales', 'aftersales')")
    assert not _one(bench_db, "SELECT COUNT(*) FROM work_lines l JOIN orders o ON "
                              "o.id = l.order_id WHERE l.customer_id <> o.customer_id")
    assert _one(bench_db, "SELECT COUNT(*) FROM work_lines WHERE question LIKE '%快递%' OR "
                          "question LIKE '%发货%'") > 0


def test_articles_keep_every_version(bench_db):
    assert not _one(bench_db, "SELECT COUNT(*) FROM articles a WHERE a.revision <> (SELECT "
                              "COUNT(*) FROM article_versions v WHERE v.article_id = a.id)")
    states = dict(_rows(bench_db, "SELECT state, COUNT(*) FROM articles GROUP BY state"))
    assert states["published"] > 0.7 * sum(states.values())
    assert not _one(bench_db, "SELECT COUNT(*) FROM articles WHERE state = 'published' AND "
                              "(published_at IS NULL OR reviewer_id IS NULL)")
    # the newest version is the article as it is
    assert not _one(bench_db, "SELECT COUNT(*) FROM articles a JOIN article_versions v ON "
                              "v.article_id = a.id AND v.number = a.revision WHERE "
                              "v.state <> a.state OR v.question <> a.question")


def test_every_link_of_the_new_tables_finds_its_row(bench_db):
    """The load skips the foreign keys (SQLite pragma off, PostgreSQL replica role): each
    key of the voice tables is checked here instead."""
    from bench.data.voice import TABLES
    from portal.complaints import models as _complaints  # noqa: F401 - the tables
    from portal.extensions import db
    from portal.knowledge import models as _knowledge  # noqa: F401
    from portal.worklog import models as _worklog  # noqa: F401

    checked = 0
    for name in TABLES:
        for key in db.metadata.tables[name].foreign_keys:
            column, target = key.parent.name, key.column
            orphans = _one(bench_db, f"SELECT COUNT(*) FROM {name} t WHERE t.{column} IS NOT "  # noqa: S608
                                     f"NULL AND NOT EXISTS (SELECT 1 FROM {target.table.name} "
                                     f"r WHERE r.{target.name} = t.{column})")
            assert orphans == 0, (name, column)
            checked += 1
    assert checked >= 20


def test_the_form_reader_sends_what_a_browser_sends():
    body = """<form action="/elsewhere"><input name="x" value="1"></form>
    <form class="line" hx-post="/worklog/lines" hx-target="#lines">
      <input type="hidden" name="csrf_token" value="t&amp;k">
      <input type="hidden" name="version" value="3">
      <select name="category" required><option value="">—</option>
        <option value="1">产品</option><option value="3" selected>物流</option></select>
      <input name="question" type="text" value="">
      <textarea name="answer" rows="2">
旧的</textarea>
      <input type="checkbox" name="resolved" value="y" checked>
      <input type="checkbox" name="urgent" value="y" disabled>
      <input type="radio" name="kind" value="a"><input type="radio" name="kind" value="b" checked>
      <input type="checkbox" name="follow">
      <button type="submit" name="go">保存</button>
    </form>"""
    values, choices = form_of(body, "/worklog/lines")
    assert values == {"csrf_token": "t&k", "version": "3", "category": "3", "question": "",
                      "answer": "旧的", "resolved": "y", "kind": "b"}
    assert choices == {"category": ["1", "3"], "resolved": ["y"], "kind": ["a", "b"],
                       "follow": ["on"]}
    assert form_of(body, "/worklog/other") is None
    filled = fill((values, choices), {
        "category": lambda options: "1" if "1" in options else None,
        "question": "问", "answer": "答", "version": "9",
        "resolved": lambda options: yes_no(options, False), "follow": lambda o: yes_no(o, True)})
    assert filled == {"csrf_token": "t&k", "version": "3", "category": "1", "question": "问",
                      "answer": "答", "kind": "b", "follow": "on"}
    # no form in the page: the words are the names
    assert fill(None, {"said": "话", "resolved": lambda o: yes_no(o, False),
                       "severity": lambda o: "normal"}) == {"said": "话", "severity": "normal"}
    assert yes_no(["0", "1"], True) == "1" and yes_no(["yes", "no"], False) == "no"


DRIVE = r'''
import json, os, sys
from contextlib import contextmanager

import bench.locustfile as load

WORKLOG = """<body hx-headers='{"X-CSRFToken": "tok"}'>
<form hx-post="/worklog/lines" hx-target="#lines">
<select name="category"><option value="1">产品咨询</option><option value="2">订单</option>
<option value="3">物流</option><option value="4">售后</option><option value="5">活动</option>
<option value="6">其他</option></select>
<input name="question" value=""><input name="answer" value="">
<input type="checkbox" name="resolved" value="y" checked>
<input name="order_no" value=""><input type="hidden" name="customer" value="">
</form></body>"""
NEW = """<body hx-headers='{"X-CSRFToken": "tok"}'>
<form method="post" action="/complaints/new"><input type="hidden" name="csrf_token" value="c">
<input name="received_at" type="datetime-local" value="2026-12-06T09:00">
<select name="channel"><option value="chat">平台聊天</option><option value="phone">电话</option>
</select><input name="customer" value=""><input name="order_no" value="">
<select name="category"><option value="1">质量</option><option value="2">物流</option>
<option value="3">市场</option><option value="4">资料</option><option value="5">建议</option>
<option value="6">其他</option></select>
<select name="severity"><option value="normal" selected>一般</option>
<option value="serious">严重</option><option value="crisis">危机</option></select>
<textarea name="said"></textarea><textarea name="asks"></textarea>
<select name="owner"><option value="31" selected>我</option></select></form></body>"""
sent, failures = [], []


class Response:
    def __init__(self, status, text="", headers=None):
        self.status_code, self.text, self.headers = status, text, headers or {}
        self.request_meta = {}

    def failure(self, message):
        failures.append(message)


class Client:
    cookiejar = []

    @contextmanager
    def get(self, path, headers=None, name=None, catch_response=False):
        sent.append(["GET", path, None])
        bare = path.partition("?")[0]
        yield Response(200, WORKLOG if bare == "/worklog/" else
                       NEW if bare == "/complaints/new" else "<p>好</p>")

    @contextmanager
    def post(self, path, data=None, headers=None, name=None, catch_response=False):
        sent.append(["POST", path, data, headers.get("X-CSRFToken")])
        if path == "/complaints/new":
            yield Response(204, "", {"HX-Redirect": "/complaints/7"})
        else:
            yield Response(200, "<li>好</li>", {"HX-Trigger": "worklog-changed"})


load.StaffUser.wait_a_moment = lambda self: None
steps = {"aftersales": ["write_line", "my_day", "suggest", "search", "knowledge",
                        "record_complaint"],
         "supervisor": ["complaint_register", "complaint_page", "complaint_analysis",
                        "team_day", "search"]}
for role, names in steps.items():
    user = load.StaffUser.__new__(load.StaffUser)
    user.client, user.username, user.role, user.index = Client(), role + "01", role, 0
    user.rng = load.random.Random(3)
    user.browser, user.taken = load.Browser(user), set()
    for step in names:
        getattr(user, step)()
    for step, _weight in load.ROLE_STEPS[role]:
        assert hasattr(user, step), step
json.dump({"sent": sent, "failures": failures}, sys.stdout, ensure_ascii=False)
'''


def test_the_voice_steps_send_what_the_pages_ask_for(tmp_path):
    """The load's voice steps against pages shaped as the areas render them: the work line
    and the complaint are posted with the form's own fields, the CSRF header, and the
    complaint's HX-Redirect is followed (run in a child: Locust patches the process)."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({
        "phase": "mixed", "accounts": [["aftersales01", "aftersales"]], "samples": "x",
        "search_terms": ["TM000000000001", "buyer0000001"], "complaint_ids": [5, 9],
        "article_ids": [2, 4]}), encoding="utf-8")
    result = subprocess.run(  # noqa: S603 - this interpreter, our own module
        [sys.executable, "-c", DRIVE], cwd=root, capture_output=True, text=True,
        env=dict(os.environ, BENCH_PLAN=str(plan), PYTHONPATH=str(root)), timeout=120,
        check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout)
    assert out["failures"] == []
    sent = out["sent"]
    posts = [s for s in sent if s[0] == "POST"]
    line = next(s for s in posts if s[1] == "/worklog/lines")
    assert line[3] == "tok"
    assert set(line[2]) >= {"category", "question", "answer", "order_no", "customer"}
    assert line[2]["category"] in {"1", "2", "3", "4", "5", "6"} and line[2]["question"]
    assert "{" not in line[2]["question"] + line[2]["answer"]
    complaint = next(s for s in posts if s[1] == "/complaints/new")
    data = complaint[2]
    assert data["csrf_token"] == "c" and data["owner"] == "31"
    assert data["received_at"] == "2026-12-06T09:00" and data["channel"] == "chat"
    assert data["severity"] in ("normal", "serious") and data["said"] and data["asks"]
    assert data["category"] in {"1", "2", "3", "4", "5", "6"}
    gets = [s[1].partition("?")[0] for s in sent if s[0] == "GET"]
    assert gets[gets.index("/complaints/new") + 1:].count("/complaints/7") == 1
    for path in ("/worklog/", "/knowledge/suggest", "/search", "/knowledge/",
                 "/knowledge/2", "/complaints/", "/complaints/analysis", "/worklog/team"):
        assert path in gets or path.replace("2", "4") in gets, path
    assert any(p in gets for p in ("/complaints/5", "/complaints/9"))


def test_a_visitor_who_gave_a_phone_is_that_phones_customer(bench_db):
    """As the portal attaches one when a visit is logged: no visit with a phone waits for its
    customer (the run's first serve would make it, with five more queries); and the Today
    card's duplicates count is stored as the worker stores it."""
    with bench_db.connect() as conn:
        unlinked = conn.scalar(sa.text(
            "SELECT count(*) FROM visits WHERE phone IS NOT NULL AND customer_id IS NULL"))
        linked = conn.scalar(sa.text("SELECT count(*) FROM visits WHERE customer_id IS NOT NULL"))
        wrong = conn.scalar(sa.text(
            "SELECT count(*) FROM visits v WHERE v.customer_id IS NOT NULL AND NOT EXISTS ("
            "SELECT 1 FROM customer_contacts c WHERE c.customer_id = v.customer_id "
            "AND c.kind = 'phone' AND c.value = v.phone)"))
        stored = conn.scalar(sa.text("SELECT count(*) FROM customer_duplicate_counts"))
    assert unlinked == 0 and linked > 0 and wrong == 0
    assert stored == 1
