"""The sheets' workflow (R-P2, R-P3): submit, approve, return, reopen, one or the whole month;
events, audit, notifications, conflicts, roles, and the lock on approved sheets."""

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from portal.actions import Conflict
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.notifications.models import Notification
from portal.scoring import workflow
from portal.scoring.models import ScoreEntry, ScoreEntryRevision, ScoreSheet, SheetEvent
from portal.scoring.sheets import ScoringError, apply_totals
from tests.conftest import count_rows
from tests.scoring import fixtures_workflow
from tests.scoring.fixtures_workflow import HX, entries_of

# the shared fixtures of these tests
make_appeal = fixtures_workflow.make_appeal
make_sheet = fixtures_workflow.make_sheet
people = fixtures_workflow.people


def notes_of(user):
    return list(db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id)))


def events_of(sheet):
    return [e.action for e in workflow.events_of(sheet)]


def audit_of(action):
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


# --- services ----------------------------------------------------------------------------


def test_submit_then_approve(people, make_sheet):
    sheet = make_sheet()
    workflow.submit(people["supervisor"], sheet, sheet.version)
    assert sheet.status == "submitted" and sheet.submitted_by_id == people["supervisor"].id
    assert len(notes_of(people["manager"])) == 1 and len(notes_of(people["manager2"])) == 1
    workflow.approve(people["manager"], sheet, sheet.version)
    assert sheet.status == "approved" and sheet.decided_by_id == people["manager"].id
    assert events_of(sheet) == ["submitted", "approved"]
    (note,) = notes_of(people["staff"])
    assert "approved" in note.text and "102" in note.text
    (event,) = audit_of("scoring.sheet_approved")
    assert event.changes == {"status": ["submitted", "approved"]}
    assert event.target_type == "score_sheets" and event.target_id == str(sheet.id)


def test_return_needs_a_comment_and_tells_the_supervisors(people, make_sheet):
    sheet = make_sheet(status="submitted")
    with pytest.raises(ScoringError):
        workflow.return_sheet(people["manager"], sheet, sheet.version, "   ")
    assert sheet.status == "submitted"
    workflow.return_sheet(people["manager"], sheet, sheet.version, "Entry 2 lacks evidence")
    assert sheet.status == "returned" and sheet.return_comment == "Entry 2 lacks evidence"
    (note,) = notes_of(people["supervisor"])
    assert "Entry 2 lacks evidence" in note.text
    (event,) = workflow.events_of(sheet)
    assert (event.action, event.comment) == ("returned", "Entry 2 lacks evidence")
    (audit,) = audit_of("scoring.sheet_returned")
    assert audit.changes["status"] == ["submitted", "returned"]
    # returned → corrected → submitted again
    workflow.submit(people["supervisor"], sheet, sheet.version)
    assert sheet.status == "submitted"


@pytest.mark.parametrize(("status", "step"), [
    ("approved", "submit"), ("submitted", "submit"), ("draft", "approve"),
    ("returned", "approve"), ("approved", "approve"), ("draft", "return"),
    ("draft", "reopen"), ("submitted", "reopen"),
])
def test_wrong_state_is_refused_and_changes_nothing(people, make_sheet, status, step):
    sheet = make_sheet(status=status)
    before = sheet.version
    actor = people["supervisor"] if step == "submit" else people["manager"]
    calls = {"submit": lambda: workflow.submit(actor, sheet, sheet.version),
             "approve": lambda: workflow.approve(actor, sheet, sheet.version),
             "return": lambda: workflow.return_sheet(actor, sheet, sheet.version, "x"),
             "reopen": lambda: workflow.reopen(actor, sheet, sheet.version, "x")}
    with pytest.raises(ScoringError):
        calls[step]()
    db.session.rollback()
    assert (sheet.status, sheet.version) == (status, before)
    assert count_rows(SheetEvent) == 0


def test_two_managers_second_gets_a_conflict(people, make_sheet):
    sheet = make_sheet(status="submitted")
    seen = sheet.version
    workflow.approve(people["manager"], sheet, seen)
    db.session.commit()  # the first manager's request
    with pytest.raises(Conflict):
        workflow.return_sheet(people["manager2"], sheet, seen, "too late")
    db.session.rollback()
    assert sheet.status == "approved"


def test_approval_racing_an_added_entry_is_a_conflict(people, make_sheet):
    """The manager saw version v; the sheet was returned, an entry added, resubmitted."""
    sheet = make_sheet(status="submitted")
    seen = sheet.version
    workflow.return_sheet(people["manager2"], sheet, seen, "add the praise")
    db.session.add(ScoreEntry(sheet_id=sheet.id, day=date(2026, 11, 20), points=5,
                              reason="praise", recorded_by_id=people["supervisor"].id))
    db.session.flush()
    apply_totals(sheet)
    db.session.commit()
    workflow.submit(people["supervisor"], sheet, sheet.version)
    with pytest.raises(Conflict):
        workflow.approve(people["manager"], sheet, seen)


def test_concurrent_write_at_the_flush_is_stale_data(people, make_sheet):
    """Someone else's UPDATE lands between reading and writing: the step's flush finds the
    row's version moved (StaleDataError, which the runner answers with a 409)."""
    sheet = make_sheet(status="submitted")
    version = sheet.version
    db.session.execute(sa.text("UPDATE score_sheets SET version = version + 1 WHERE id = :id"),
                       {"id": sheet.id})
    with pytest.raises(StaleDataError):
        workflow.approve(people["manager"], sheet, version)


@pytest.mark.parametrize("step", ["submit", "approve", "return", "reopen", "submit_all",
                                  "approve_all", "acknowledge"])
def test_steps_do_not_commit(people, make_sheet, step):
    """The runner commits once per request: a step's change is gone after a rollback."""
    status = {"submit": "draft", "submit_all": "draft", "reopen": "approved"}.get(step,
                                                                                 "submitted")
    sheet = make_sheet(status=status)
    version = sheet.version
    calls = {
        "submit": lambda: workflow.submit(people["supervisor"], sheet, version),
        "approve": lambda: workflow.approve(people["manager"], sheet, version),
        "return": lambda: workflow.return_sheet(people["manager"], sheet, version, "why"),
        "reopen": lambda: workflow.reopen(people["manager"], sheet, version, "why"),
        "submit_all": lambda: workflow.submit_all(people["supervisor"], 2026, 11),
        "approve_all": lambda: workflow.approve_all(people["manager"], 2026, 11),
        "acknowledge": lambda: workflow.acknowledge(people["staff"], sheet),
    }
    calls[step]()
    assert count_rows(SheetEvent) == 1  # flushed: visible in the transaction
    db.session.rollback()
    db.session.expire_all()
    assert (sheet.status, sheet.version, sheet.acknowledged_at) == (status, version, None)
    assert count_rows(SheetEvent) == 0 and count_rows(Notification) == 0


def test_open_appeal_blocks_approval(people, make_sheet, make_appeal):
    sheet = make_sheet(status="submitted")
    make_appeal(entries_of(sheet)[0])
    with pytest.raises(ScoringError, match="open appeal"):
        workflow.approve(people["manager"], sheet, sheet.version)
    db.session.rollback()
    assert sheet.status == "submitted"


def test_submit_all_and_approve_all(people, make_sheet, make_appeal, create_user):
    a = make_sheet(status="draft")
    b = make_sheet(user=people["other"], status="returned")
    c = make_sheet(user=create_user("reception"), status="approved")
    sheets = workflow.submit_all(people["supervisor"], 2026, 11)
    assert {s.id for s in sheets} == {a.id, b.id}
    assert len(notes_of(people["manager"])) == 1  # one notification for the batch
    make_appeal(entries_of(b)[0], user=people["other"])
    approved, skipped = workflow.approve_all(people["manager"], 2026, 11)
    assert [s.id for s in approved] == [a.id] and [s.id for s in skipped] == [b.id]
    assert (a.status, b.status, c.status) == ("approved", "submitted", "approved")
    with pytest.raises(ScoringError):
        workflow.submit_all(people["supervisor"], 2026, 11)


def test_reopen_needs_a_reason_and_goes_on_the_record(people, make_sheet):
    sheet = make_sheet(status="approved")
    with pytest.raises(ScoringError):
        workflow.reopen(people["manager"], sheet, sheet.version, "")
    db.session.rollback()
    workflow.reopen(people["manager"], sheet, sheet.version, "Praise on the 3rd was missed")
    assert sheet.status == "returned" and sheet.editable
    (event,) = workflow.events_of(sheet)
    assert (event.action, event.comment) == ("reopened", "Praise on the 3rd was missed")
    (audit,) = audit_of("scoring.sheet_reopened")
    assert audit.changes["status"] == ["approved", "returned"]
    assert any("reopened" in n.text for n in notes_of(people["staff"]))
    assert any("reopened" in n.text for n in notes_of(people["supervisor"]))


# --- routes ------------------------------------------------------------------------------


def test_month_status_page_and_fragment(client, sign_in, people, make_sheet):
    make_sheet()
    sign_in(client, people["supervisor"])
    page = client.get("/scores/2026/11/status")
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
    fragment = client.get("/scores/2026/11/status", headers=HX)
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and 'id="month-status"' in html
    assert "Submit all drafts" in html and "Approve all" not in html


def test_sheet_page_and_fragment(client, sign_in, people, make_sheet):
    sheet = make_sheet()
    sign_in(client, people["manager"])
    page = client.get(f"/scores/sheets/{sheet.id}/workflow").get_data(as_text=True)
    assert "<html" in page and "Record of this sheet" in page
    assert "Submit to the manager" not in page  # the manager does not submit
    html = client.get(f"/scores/sheets/{sheet.id}/workflow", headers=HX).get_data(as_text=True)
    assert "<html" not in html and 'id="sheet-summary"' in html
    history = client.get(f"/scores/sheets/{sheet.id}/history", headers=HX)
    assert f'id="sheet-history-{sheet.id}"' in history.get_data(as_text=True)


def test_submit_route_fragment_and_full(client, sign_in, people, make_sheet):
    sheet = make_sheet()
    sign_in(client, people["supervisor"])
    response = client.post(f"/scores/sheets/{sheet.id}/submit",
                           data={"version": sheet.version}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and f'id="sheet-actions-{sheet.id}"' in html
    assert "<html" not in html and "score-sheet-changed" in response.headers["HX-Trigger"]
    db.session.refresh(sheet)
    assert sheet.status == "submitted"
    other = make_sheet(user=people["other"])
    response = client.post(f"/scores/sheets/{other.id}/submit",
                           data={"version": other.version, "next": "/scores/2026/11/status"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/status")
    response = client.post(f"/scores/sheets/{other.id}/submit",
                           data={"version": other.version, "next": "//evil.example"})
    assert response.status_code == 422  # already submitted: the current version is stale? no
    assert "already with the manager" in response.get_data(as_text=True)


def test_approve_conflict_answers_409_with_the_current_state(client, sign_in, people,
                                                             make_sheet):
    sheet = make_sheet(status="submitted")
    seen = sheet.version
    workflow.approve(people["manager2"], sheet, seen)
    db.session.commit()
    sign_in(client, people["manager"])
    response = client.post(f"/scores/sheets/{sheet.id}/return",
                           data={"version": seen, "comment": "no"}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed this sheet first" in html and "Approved" in html
    db.session.refresh(sheet)
    assert sheet.status == "approved"


def _oob(html: str, element_id: str) -> str:
    """The out-of-band element with ``element_id`` in an answer (its opening tag and on)."""
    start = html.index(f'id="{element_id}"')
    assert 'hx-swap-oob="true"' in html[start:html.index(">", start)], element_id
    return html[start:]


@pytest.mark.parametrize("page", ["workflow", "sheet"])
def test_a_return_after_another_managers_approval_answers_the_whole_sheet(
        client, sign_in, people, make_sheet, page):
    """Issue 15 item 4: manager A approves; manager B, on the page as it was, returns the
    sheet with a comment. B's answer (409) has the state, the totals and the record as they
    are now, every version field the current one, and B's comment kept: in the reopen form,
    which is how an approved sheet goes back to the supervisor."""
    sheet = make_sheet(status="submitted")
    seen = sheet.version
    workflow.approve(people["manager2"], sheet, seen)
    db.session.commit()
    current = sheet.version
    sign_in(client, people["manager"])
    shown = (f"/scores/sheets/{sheet.id}/workflow" if page == "workflow"
             else f"/scores/2026/11/{sheet.user_id}")
    response = client.post(f"/scores/sheets/{sheet.id}/return", headers={
        **HX, "HX-Current-URL": f"http://localhost{shown}"},
        data={"version": seen, "comment": "第2条缺少证据"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "HX-Trigger" not in response.headers
    buttons = html[:html.index("hx-swap-oob")]  # the buttons come first, then the parts
    assert html.lstrip().startswith(f'<div id="sheet-actions-{sheet.id}"')
    assert "Someone else changed this sheet first" in buttons
    assert 'class="sheet-state state-approved">Approved<' in buttons
    assert f'action="/scores/sheets/{sheet.id}/reopen"' in html
    assert "Return with comment" not in html
    assert ">第2条缺少证据</textarea>" in html  # B's typing, in the form the sheet offers
    assert f'name="version" value="{seen}"' not in html
    assert f'name="version" value="{current}"' in html
    history = _oob(html, f"sheet-history-{sheet.id}")
    assert "<strong>Approved</strong>" in history and people["manager2"].display_name in history
    if page == "workflow":
        summary = _oob(html, "sheet-summary")
        assert "reason 1" in summary and "<dd>102</dd>" in summary
        assert f"sheet-body-{sheet.id}" not in html
    else:
        body = _oob(html, f"sheet-body-{sheet.id}")
        assert 'class="state state-approved">Approved<' in body
        assert '<strong class="value sheet-total">102</strong>' in body
        assert 'id="sheet-summary"' not in html
    db.session.refresh(sheet)
    assert sheet.status == "approved" and sheet.return_comment is None


def test_a_step_conflict_keeps_the_comment_when_no_form_takes_it(client, sign_in, people,
                                                                make_sheet):
    """Another manager returned the sheet first: nothing a manager can send now takes the
    comment, so it is shown as not sent (and nothing out of band without a known page)."""
    sheet = make_sheet(status="submitted")
    seen = sheet.version
    workflow.return_sheet(people["manager2"], sheet, seen, "first")
    db.session.commit()
    sign_in(client, people["manager"])
    response = client.post(f"/scores/sheets/{sheet.id}/return", headers=HX,
                           data={"version": seen, "comment": "mine too"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "What you wrote was not sent: mine too" in html and "Returned" in html
    assert "hx-swap-oob" not in html
    response = client.post(f"/scores/sheets/{sheet.id}/return",
                           data={"version": seen, "comment": "mine too"})
    assert response.status_code == 409 and "<html" in response.get_data(as_text=True)
    assert "What you wrote was not sent: mine too" in response.get_data(as_text=True)


def test_return_without_comment_is_422(client, sign_in, people, make_sheet):
    sheet = make_sheet(status="submitted")
    sign_in(client, people["manager"])
    response = client.post(f"/scores/sheets/{sheet.id}/return",
                           data={"version": sheet.version, "comment": ""}, headers=HX)
    assert response.status_code == 422
    assert "Write what should be corrected." in response.get_data(as_text=True)
    db.session.refresh(sheet)
    assert sheet.status == "submitted"


def test_reopen_route_and_approve_refused_with_open_appeal(client, sign_in, people,
                                                         make_sheet, make_appeal):
    sheet = make_sheet(status="approved")
    sign_in(client, people["manager"])
    response = client.post(f"/scores/sheets/{sheet.id}/reopen",
                           data={"version": sheet.version, "reason": ""}, headers=HX)
    assert response.status_code == 422
    response = client.post(f"/scores/sheets/{sheet.id}/reopen",
                           data={"version": sheet.version, "reason": "wrong date"}, headers=HX)
    assert response.status_code == 200
    db.session.refresh(sheet)
    assert sheet.status == "returned"
    pending = make_sheet(user=people["other"], status="submitted")
    make_appeal(entries_of(pending)[0], user=people["other"])
    response = client.post(f"/scores/sheets/{pending.id}/approve",
                           data={"version": pending.version}, headers=HX)
    assert response.status_code == 422 and "open appeal" in response.get_data(as_text=True)


def test_month_bulk_routes(client, sign_in, people, make_sheet):
    make_sheet()
    make_sheet(user=people["other"])
    sign_in(client, people["supervisor"])
    response = client.post("/scores/2026/11/submit-all", headers=HX)
    assert response.status_code == 200
    assert "2 sheets submitted" in response.get_data(as_text=True)
    sign_in(client, people["manager"])
    response = client.post("/scores/2026/11/approve-all")
    assert response.status_code == 303
    statuses = db.session.scalars(sa.select(ScoreSheet.status)).all()
    assert statuses == ["approved", "approved"]
    response = client.post("/scores/2026/11/approve-all", headers=HX)
    assert response.status_code == 422


def test_a_month_step_beaten_by_another_answers_the_month_as_it_is(client, sign_in, people,
                                                                   make_sheet, monkeypatch):
    """A concurrent write found at the flush (StaleDataError) while approving the month: 409
    with the month's sheets as they are now, nothing of the step kept."""
    sheet = make_sheet(status="submitted")
    real = workflow.approve_all

    def beaten(actor, year, month):
        real(actor, year, month)
        raise StaleDataError("score_sheets: 0 rows matched")

    monkeypatch.setattr(workflow, "approve_all", beaten)
    sign_in(client, people["manager"])
    response = client.post("/scores/2026/11/approve-all", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and 'id="month-status"' in html
    assert "Someone else changed a sheet of this month first" in html
    assert "Approve all submitted sheets" in html  # still submitted: the step did not happen
    db.session.refresh(sheet)
    assert sheet.status == "submitted" and count_rows(SheetEvent) == 0


ROLE_MATRIX = [
    # (role, method, path template, allowed)
    ("presales", "post", "/scores/sheets/{id}/submit", False),
    ("presales", "post", "/scores/sheets/{id}/approve", False),
    ("presales", "get", "/scores/sheets/{id}/workflow", False),
    ("presales", "get", "/scores/appeals", False),
    ("reception", "post", "/scores/2026/11/submit-all", False),
    ("supervisor", "post", "/scores/sheets/{id}/approve", False),
    ("supervisor", "post", "/scores/sheets/{id}/reopen", False),
    ("supervisor", "post", "/scores/2026/11/approve-all", False),
    ("manager", "post", "/scores/sheets/{id}/submit", False),
    ("manager", "post", "/scores/2026/11/{uid}/entries", False),
    ("manager", "get", "/scores/appeals", False),
    ("manager", "post", "/scores/appeals/1/answer", False),
    ("manager", "get", "/scores/my", False),
    ("supervisor", "get", "/scores/my", False),
    ("supervisor", "get", "/scores/appeals", True),
    ("manager", "get", "/scores/sheets/{id}/workflow", True),
]


@pytest.mark.parametrize(("role", "method", "path", "allowed"), ROLE_MATRIX)
def test_role_matrix(client, sign_in, create_user, make_sheet, role, method, path, allowed):
    sheet = make_sheet(status="submitted")
    sign_in(client, create_user(role))
    response = getattr(client, method)(path.format(id=sheet.id, uid=sheet.user_id),
                                       data={"version": sheet.version, "reason": "x"})
    if allowed:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
    db.session.refresh(sheet)
    assert sheet.status == "submitted"


# --- the lock (R-P3) ---------------------------------------------------------------------


def _form_for(rule: str) -> dict:
    """Plausible values for every field any scoring form might read."""
    return {"version": "1", "day": "2026-11-05", "points": "-5", "reason": "crafted",
            "evidence": "x", "comment": "x", "answer": "x", "outcome": "changed",
            "rule_id": "", "kind": "penalty", "description": "x", "default_points": "3",
            "user_id": "", "sheet_id": "", "year": "2026", "month": "11", "base_score": "100"}


def test_no_post_route_changes_an_approved_sheet(app, client, sign_in, people, make_sheet,
                                                 make_appeal, create_user):
    """Walk every POST route under /scores with the approved sheet's ids, as supervisor and
    manager: the sheet, its entries and its totals never change (except a reopen, which is
    the one legitimate way and is excluded here)."""
    sheet = make_sheet(status="approved")
    entry = entries_of(sheet)[0]
    appeal = make_appeal(entry)
    db.session.execute(sa.update(type(appeal)).where(type(appeal).id == appeal.id)
                       .values(status="open"))
    db.session.commit()

    def snapshot():
        db.session.expire_all()
        s = db.session.get(ScoreSheet, sheet.id)
        rows = db.session.execute(sa.select(ScoreEntry.id, ScoreEntry.day, ScoreEntry.points,
                                            ScoreEntry.reason, ScoreEntry.removed_at)
                                  .where(ScoreEntry.sheet_id == sheet.id)).all()
        return (s.status, s.rewards, s.penalties, sorted(rows),
                count_rows(ScoreEntryRevision))

    before = snapshot()
    ids = {"sheet_id": sheet.id, "entry_id": entry.id, "appeal_id": appeal.id,
           "user_id": people["staff"].id, "year": 2026, "month": 11, "rule_id": 1}
    rules = [r for r in app.url_map.iter_rules()
             if r.rule.startswith("/scores") and "POST" in r.methods
             and r.endpoint != "scoring.reopen_sheet"]
    assert len(rules) >= 8
    for role in ("supervisor", "manager"):
        sign_in(client, people[role])
        for rule in rules:
            path = rule.rule
            for name, value in ids.items():
                path = path.replace(f"<int:{name}>", str(value))
            assert "<" not in path, path
            data = _form_for(rule.rule) | {"sheet_id": str(sheet.id),
                                           "user_id": str(people["staff"].id),
                                           "version": str(db.session.get(ScoreSheet,
                                                                         sheet.id).version)}
            for headers in ({}, HX):
                response = client.post(path, data=data, headers=headers)
                assert response.status_code < 500, (path, response.status_code)
                assert snapshot() == before, (role, path)


def test_the_audit_words_and_namers_are_registered(app, people, make_sheet):
    """The area's audit words go through the app's registry; each namer runs its query."""
    from portal.ui import audit_labels

    labels = audit_labels(app)
    assert labels.actions["scoring.sheet_returned"] == "Score sheet returned"
    assert labels.actions["scoring.rule_created"] == "Score catalogue item added"
    assert labels.values["status"]["submitted"] and labels.values["kind"]["penalty"]
    tables = {"score_sheets", "score_appeals", "score_entries", "score_rules"}
    assert tables <= set(labels.namers) and tables <= set(labels.targets)
    sheet = make_sheet()
    for table in tables:
        assert labels.namers[table](["999999"]) == {}, table
    name = people["staff"].display_name
    assert labels.namers["score_sheets"]([str(sheet.id)]) == {sheet.id: f"{name} 2026-11"}
