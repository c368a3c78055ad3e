"""After-sales on the action runner (portal/actions.py): the services only flush (the
request's one commit is the runner's), a conflict (409) answers the record as it is now with
what the user typed kept, a refusal without JavaScript shows a page (not a redirect), and a
paid order voided by the order desk opens a "refund only" case through a signal."""

from datetime import date

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.aftersales import cases as svc
from portal.aftersales import evidence, queue, visits
from portal.aftersales.models import AfterSalesCase, CaseEvent, CasePhoto
from portal.extensions import db
from portal.signals import order_voided_while_paid
from tests.aftersales.conftest import HX, html, image_bytes
from tests.aftersales.fixtures_desk import *  # noqa: F403
from tests.conftest import TEST_SECRET, count_rows


def someone_else_changes(record) -> None:
    """Another request moved the record's version on (committed) behind this one's back."""
    model = type(record)
    db.session.execute(sa.update(model).where(model.id == record.id)
                       .values(version=model.version + 1)
                       .execution_options(synchronize_session=False))
    db.session.commit()


# --- the services flush; the runner commits ----------------------------------------------------


def test_the_case_services_do_not_commit(open_case, agent, other_agent):
    case = open_case()
    version, events = case.version, count_rows(CaseEvent)
    svc.change_state(agent, case, case.version, "in_progress")
    svc.assign(agent, case, case.version, other_agent.id)
    svc.add_note(agent, case, "已联系客户")
    assert case.state == "in_progress"
    db.session.rollback()
    assert (case.state, case.assignee_id, case.version) == ("new", agent.id, version)
    assert count_rows(CaseEvent) == events


def test_opening_a_case_does_not_commit(agent):
    svc.open_case(agent, type="return_refund", order_no="AS-NOCOMMIT", problem="破损")
    db.session.rollback()
    assert count_rows(AfterSalesCase) == 0


def test_the_evidence_services_do_not_commit(open_case, agent):
    case = open_case("quality")
    photo = evidence.add_photo(agent, case, image_bytes(), "a.png")
    db.session.rollback()
    assert count_rows(CasePhoto) == 0
    photo = evidence.add_photo(agent, case, image_bytes(), "b.png")
    db.session.commit()
    evidence.hide(agent, photo, "拍错了")
    assert photo.hidden_reason == "拍错了"  # what the answer shows, without reading again
    db.session.rollback()
    assert photo.hidden_at is None


def test_the_desk_services_do_not_commit(agent, supervisor, make_visit, make_case, freeze):
    freeze("2026-11-22 10:00")
    visit = make_visit(date(2026, 11, 22))
    case = make_case(platform_status="dispute", state="in_progress")
    visits.record(agent, visit, visit.version, "declined")
    queue.remind(supervisor, case.id)
    queue.remind_all(supervisor)
    db.session.rollback()
    assert visit.done_at is None
    assert count_rows(CaseEvent, CaseEvent.kind == "remind") == 0


# --- a conflict answers the current state and keeps the typing ---------------------------------


def test_a_step_sent_on_an_old_version_keeps_the_comment(desk, open_case, step):
    case = open_case()
    seen = case.version
    step(case, "in_progress")  # someone else moved it on
    response = desk.post(f"/aftersales/{case.id}/state", headers=HX, data={
        "version": seen, "state": "in_progress", "comment": "客户下午再打来"})
    body = html(response)
    assert response.status_code == 409 and response.headers["HX-Retarget"] == "#case-card"
    assert "Someone else changed this case first." in body
    assert 'data-state="in_progress"' in body  # the state as it is now
    assert 'value="客户下午再打来"' in body  # what was typed
    assert f'name="version" value="{case.version}"' in body
    assert f'name="version" value="{seen}"' not in body


def test_details_saved_on_an_old_version_keep_the_open_form(desk, open_case):
    case = open_case()
    seen = case.version
    someone_else_changes(case)
    response = desk.post(f"/aftersales/{case.id}/details", headers=HX, data={
        "version": seen, "problem": "盖子也坏了", "request": "换新"})
    body = html(response)
    assert response.status_code == 409 and body.lstrip().startswith('<section id="case-card"')
    assert '<details class="as-panel as-details" open>' in body
    assert "盖子也坏了</textarea>" in body and "换新</textarea>" in body
    assert f'name="version" value="{seen + 1}"' in body
    db.session.refresh(case)
    assert case.problem == "茶杯有裂纹"


def test_a_stale_flush_is_a_409_too(desk, open_case, monkeypatch):
    """A version moved between the check and the write fails at the flush: 409, not 500."""
    case = open_case()
    checked = svc._expect

    def meanwhile(record, version):  # another request writes right after the check
        checked(record, version)
        db.session.execute(sa.update(AfterSalesCase).where(AfterSalesCase.id == record.id)
                           .values(version=AfterSalesCase.version + 1)
                           .execution_options(synchronize_session=False))

    monkeypatch.setattr(svc, "_expect", meanwhile)
    response = desk.post(f"/aftersales/{case.id}/state", headers=HX, data={
        "version": case.version, "state": "in_progress", "comment": "晚了一步"})
    assert response.status_code == 409 and 'value="晚了一步"' in html(response)
    db.session.refresh(case)
    assert case.state == "new"


@pytest.fixture
def as_supervisor(client, sign_in, supervisor):
    sign_in(client, supervisor)
    return client


def test_a_visit_recorded_on_an_old_version_keeps_the_form(client, sign_in, agent, make_visit,
                                                           freeze):
    freeze("2026-11-22 10:00")
    sign_in(client, agent)
    visit = make_visit(date(2026, 11, 22))
    seen = visit.version
    someone_else_changes(visit)
    response = client.post(f"/aftersales/visits/{visit.id}", headers=HX, data={
        "version": seen, "outcome": "reached", "satisfaction": "4", "comment": "很满意"})
    body = html(response)
    assert response.status_code == 409
    assert "Someone else recorded this visit first" in body
    assert "很满意</textarea>" in body and 'value="reached" checked' in body
    assert f'name="version" value="{seen + 1}"' in body
    db.session.refresh(visit)
    assert visit.done_at is None


def test_a_parcel_refusal_without_javascript_shows_the_page(client, sign_in, clerk, open_case,
                                                            freeze):
    case = open_case()  # not waiting for a parcel
    freeze("2026-11-22 14:00")
    sign_in(client, clerk)
    response = client.post(f"/aftersales/parcels/{case.id}/received",
                           data={"version": case.version})
    body = html(response)
    assert response.status_code == 422 and "<html" in body
    assert "This case is not waiting for a returned parcel." in body


# --- R-O2: a paid order voided opens the refund case -------------------------------------------


def test_a_paid_order_voided_opens_a_refund_only_case(make_order, presales):
    order = make_order(stage="completed")
    order.cancel_reason = "买家不想要了"
    order_voided_while_paid.send(order, user=presales)
    case = db.session.scalars(sa.select(AfterSalesCase)
                              .where(AfterSalesCase.order_id == order.id)).one()
    assert (case.type, case.problem, case.order_no) == ("refund_only", "买家不想要了",
                                                       order.order_no)
    assert case.created_by_id == presales.id and case.state == "new"
    db.session.rollback()  # in the sender's transaction: undone with it
    assert count_rows(AfterSalesCase) == 0


def test_the_receiver_is_connected_once_however_many_apps(app, make_order, presales, tmp_path):
    create_app({"TESTING": True, "SECRET_KEY": TEST_SECRET,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.sqlite3'}",
                "AFTERSALES_PHOTO_DIR": str(tmp_path)})
    order = make_order(stage="completed")
    order_voided_while_paid.send(order, user=presales)
    assert count_rows(AfterSalesCase, AfterSalesCase.order_id == order.id) == 1
