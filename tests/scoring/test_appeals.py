"""Appeals: the staff member appeals an entry of their own sheet before approval; the
supervisor keeps, changes or removes it; the staff member is notified; all audited."""

import pytest
import sqlalchemy as sa

from portal.actions import Conflict, NotAllowed
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.notifications.models import Notification
from portal.scoring import appeals
from portal.scoring.models import Appeal, ScoreEntryRevision
from portal.scoring.sheets import ScoringError
from tests.conftest import count_rows
from tests.scoring import fixtures_workflow
from tests.scoring.fixtures_workflow import HX, entries_of

# the shared fixtures of these tests
make_appeal = fixtures_workflow.make_appeal
make_sheet = fixtures_workflow.make_sheet
people = fixtures_workflow.people


def notes_of(user):
    return [n.text for n in db.session.scalars(
        sa.select(Notification).where(Notification.user_id == user.id))]


def test_file_appeal_notifies_supervisors_and_audits(people, make_sheet):
    sheet = make_sheet()
    entry = entries_of(sheet)[1]
    appeal = appeals.file_appeal(people["staff"], entry, "I was helping a customer")
    assert appeal.status == "open" and appeal.sheet_id == sheet.id
    assert any("I was helping a customer" in t for t in notes_of(people["supervisor"]))
    (event,) = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "scoring.appeal_filed"))
    assert event.changes["status"] == [None, "open"]


@pytest.mark.parametrize("case", ["other_person", "empty", "approved", "duplicate", "removed"])
def test_bad_appeals_are_refused(people, make_sheet, case):
    sheet = make_sheet(status="approved" if case == "approved" else "submitted")
    entry = entries_of(sheet)[0]
    actor, comment = people["staff"], "no"
    if case == "other_person":
        actor = people["other"]
    if case == "empty":
        comment = "  "
    if case == "duplicate":
        appeals.file_appeal(people["staff"], entry, "first")
        db.session.commit()
    if case == "removed":
        entry.removed_at = entry.recorded_at
        db.session.commit()
    before = count_rows(Appeal)
    with pytest.raises(NotAllowed if case == "other_person" else ScoringError):
        appeals.file_appeal(actor, entry, comment)
    db.session.rollback()
    assert count_rows(Appeal) == before


def test_answer_kept(people, make_sheet, make_appeal):
    sheet = make_sheet(status="submitted")  # keeping is possible while with the manager
    appeal = make_appeal(entries_of(sheet)[0])
    appeals.answer_appeal(people["supervisor"], appeal, appeal.version, "kept", "Seen on camera")
    assert appeal.status == "kept" and appeal.answer == "Seen on camera"
    assert any("the entry stays" in t and "Seen on camera" in t for t in notes_of(people["staff"]))


def test_answer_changed_uses_the_entry_path(people, make_sheet, make_appeal):
    sheet = make_sheet(points=(5, -10))
    entry = entries_of(sheet)[1]
    appeal = make_appeal(entry)
    version = sheet.version
    appeals.answer_appeal(people["supervisor"], appeal, appeal.version, "changed",
                          "Halved", points=-5, reason="late reply")
    assert (entry.points, entry.reason) == (-5, "late reply")
    assert sheet.penalties == 5 and sheet.total == 100 and sheet.version > version
    (revision,) = db.session.scalars(sa.select(ScoreEntryRevision))
    assert (revision.action, revision.points_before) == ("changed", -10)
    audit = db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == "scoring.entry_changed"))
    assert audit.changes["points"] == [-10, -5]
    assert any("was changed" in t for t in notes_of(people["staff"]))


def test_answer_removed(people, make_sheet, make_appeal):
    sheet = make_sheet(points=(5, -10))
    entry = entries_of(sheet)[1]
    appeal = make_appeal(entry)
    appeals.answer_appeal(people["supervisor"], appeal, appeal.version, "removed", "Fair")
    assert entry.removed_at is not None and sheet.penalties == 0 and sheet.total == 105
    assert count_rows(ScoreEntryRevision, ScoreEntryRevision.action == "removed") == 1


@pytest.mark.parametrize(("outcome", "fields"), [
    ("changed", {"points": 0}), ("changed", {"points": 99}), ("changed", {"points": "x"}),
    ("bogus", {}), ("kept", {"answer": ""}),
])
def test_bad_answers_change_nothing(people, make_sheet, make_appeal, outcome, fields):
    sheet = make_sheet()
    entry = entries_of(sheet)[0]
    appeal = make_appeal(entry)
    answer = fields.pop("answer", "because")
    with pytest.raises(ScoringError):
        appeals.answer_appeal(people["supervisor"], appeal, appeal.version, outcome, answer,
                              **fields)
    db.session.rollback()
    assert appeal.status == "open" and entry.points == 5


def test_change_on_submitted_sheet_is_refused_by_the_lock(people, make_sheet, make_appeal):
    sheet = make_sheet(status="submitted")
    entry = entries_of(sheet)[0]
    appeal = make_appeal(entry)
    with pytest.raises(ScoringError, match="submitted"):
        appeals.answer_appeal(people["supervisor"], appeal, appeal.version, "removed", "ok")
    db.session.rollback()
    assert entry.removed_at is None and appeal.status == "open"


def test_appeal_steps_do_not_commit(people, make_sheet, make_appeal):
    """The runner commits once per request: an appeal and an answer are gone after a
    rollback, the entry and the sheet's totals as they were."""
    sheet = make_sheet(points=(5, -10))
    first, second = entries_of(sheet)
    appeals.file_appeal(people["staff"], first, "not me")
    assert count_rows(Appeal) == 1
    db.session.rollback()
    assert count_rows(Appeal) == 0
    appeal = make_appeal(second)
    appeals.answer_appeal(people["supervisor"], appeal, appeal.version, "removed", "Fair")
    assert sheet.penalties == 0
    db.session.rollback()
    db.session.expire_all()
    assert (appeal.status, second.removed_at, sheet.penalties) == ("open", None, 10)
    assert count_rows(ScoreEntryRevision) == 0 and count_rows(Notification) == 0


def test_stale_answer_is_a_conflict(people, make_sheet, make_appeal):
    sheet = make_sheet()
    appeal = make_appeal(entries_of(sheet)[0])
    seen = appeal.version
    appeals.answer_appeal(people["supervisor"], appeal, seen, "kept", "first")
    db.session.commit()
    with pytest.raises(Conflict):
        appeals.answer_appeal(people["supervisor"], appeal, seen, "removed", "second")


# --- routes ------------------------------------------------------------------------------


def test_appeals_page_fragment_and_badge(client, sign_in, people, make_sheet, make_appeal):
    sheet = make_sheet()
    make_appeal(entries_of(sheet)[0], comment="Not me")
    sign_in(client, people["supervisor"])
    page = client.get("/scores/appeals").get_data(as_text=True)
    assert "<html" in page and "Not me" in page and "Send answer" in page
    assert 'href="/scores/appeals"' in page  # the nav entry
    fragment = client.get("/scores/appeals", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and 'id="appeal-list"' in fragment
    assert client.get("/scores/appeals/badge").get_data(as_text=True) == "1"


def test_answer_route(client, sign_in, people, make_sheet, make_appeal):
    sheet = make_sheet()
    entry = entries_of(sheet)[0]
    appeal = make_appeal(entry)
    sign_in(client, people["supervisor"])
    response = client.post(f"/scores/appeals/{appeal.id}/answer", headers=HX, data={
        "version": appeal.version, "outcome": "kept", "answer": ""})
    assert response.status_code == 422
    assert "Write your answer" in response.get_data(as_text=True)
    response = client.post(f"/scores/appeals/{appeal.id}/answer", headers=HX, data={
        "version": appeal.version, "outcome": "removed", "answer": "Agreed"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and f'id="entry-appeal-{entry.id}"' in html
    assert "appeals-changed" in response.headers["HX-Trigger"]
    db.session.refresh(appeal)
    assert appeal.status == "removed"
    response = client.post(f"/scores/appeals/{appeal.id}/answer", headers=HX, data={
        "version": 1, "outcome": "kept", "answer": "again"})
    assert response.status_code == 409
    assert client.get("/scores/appeals/badge").get_data(as_text=True) == ""


def test_a_late_answer_keeps_what_was_written(client, sign_in, people, make_sheet,
                                             make_appeal, create_user, app):
    """Another supervisor answered first: 409 with the appeal as it is now (their answer)
    and this supervisor's answer shown as not sent."""
    sheet = make_sheet()
    entry = entries_of(sheet)[0]
    appeal = make_appeal(entry)
    seen = appeal.version
    other = app.test_client()
    sign_in(other, create_user("supervisor"))
    assert other.post(f"/scores/appeals/{appeal.id}/answer", headers=HX, data={
        "version": seen, "outcome": "kept", "answer": "监控已核实"}).status_code == 200
    sign_in(client, people["supervisor"])
    response = client.post(f"/scores/appeals/{appeal.id}/answer", headers=HX, data={
        "version": seen, "outcome": "removed", "answer": "同意撤销"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else answered this appeal" in html and "监控已核实" in html
    assert "What you wrote was not sent: 同意撤销" in html
    assert "Send answer" not in html  # answered: nothing to send any more
    db.session.refresh(appeal)
    assert (appeal.status, appeal.answer) == ("kept", "监控已核实")


def test_answer_route_full_page_redirects(client, sign_in, people, make_sheet, make_appeal):
    sheet = make_sheet()
    appeal = make_appeal(entries_of(sheet)[0])
    sign_in(client, people["supervisor"])
    response = client.post(f"/scores/appeals/{appeal.id}/answer", data={
        "version": appeal.version, "outcome": "kept", "answer": "ok"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/appeals")


def test_an_answer_that_rewrites_a_catalogue_reason_leaves_the_catalogue(people, make_sheet,
                                                                        make_appeal):
    from portal.scoring.catalogue import seed_catalogue

    rule = next(r for r in seed_catalogue() if r.description == "工位不整洁")
    sheet = make_sheet(points=(5, -2))
    entry = entries_of(sheet)[1]
    entry.rule_id, entry.reason = rule.id, rule.description
    db.session.commit()
    appeal = make_appeal(entry)
    appeals.answer_appeal(people["supervisor"], appeal, appeal.version, "changed",
                          "Not untidy: moving desks", points=-1, reason="搬工位未及时整理")
    assert (entry.reason, entry.rule_id) == ("搬工位未及时整理", None)
    audit = db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == "scoring.entry_changed"))
    assert audit.changes["rule_id"] == [rule.id, None]
