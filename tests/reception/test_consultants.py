"""The showroom's consultants (issue 15 item 14): the arrival form offers only staff marked
as consultants, plus a free name; the supervisor keeps the marks."""

import re

import pytest
import sqlalchemy as sa

from portal.audit.models import AuditEvent
from portal.audit.services import target_names
from portal.extensions import db
from portal.reception import consultants as consultant_svc
from portal.reception.models import Consultant, Visit
from tests.conftest import count_rows
from tests.reception.conftest import HX
from tests.reception.test_visitors_views import ARRIVAL, html


def _offered(body: str) -> list[str]:
    select = re.search(r'<select[^>]*id="consultant_id".*?</select>', body, re.S).group(0)
    return re.findall(r"<option[^>]*>([^<]*)</option>", select)


@pytest.fixture
def staff(create_user, consultant):
    """Everyone a showroom knows: a manager, a clerk, an unmarked pre-sales agent."""
    return {"manager": create_user("manager", display_name="王经理"),
            "clerk": create_user("order_clerk", display_name="陈打单"),
            "presales": create_user("presales", display_name="李售前"),
            "consultant": consultant}


def test_the_arrival_form_offers_only_consultants_and_a_free_name(desk, staff):
    body = html(desk.get("/showroom/"))
    offered = _offered(body)
    assert "张小红" in offered
    assert not {"王经理", "陈打单", "李售前", "赵前台"} & set(offered)
    assert 'name="consultant_name"' in body  # anyone else: typed


def test_a_staff_member_not_marked_is_refused_even_posted_by_hand(desk, staff):
    before = count_rows(Visit)
    response = desk.post("/showroom/visits", headers=HX, data={
        **ARRIVAL, "consultant_name": "", "consultant_id": staff["manager"].id})
    assert response.status_code == 422
    assert "Choose a consultant from the list" in html(response)
    assert count_rows(Visit) == before
    taken = desk.post("/showroom/visits", headers=HX, data={
        **ARRIVAL, "consultant_name": "", "consultant_id": staff["consultant"].id})
    assert taken.status_code == 200


def test_the_supervisor_marks_and_unmarks_consultants(client, sign_in, create_user, staff,
                                                      receptionist, freeze):
    freeze("2026-11-22 09:30")
    sign_in(client, create_user("supervisor", display_name="孙主管"))
    page = html(client.get("/showroom/consultants"))
    assert "<html" in page and "张小红" in page
    marked = client.post("/showroom/consultants", headers=HX,
                         data={"user_id": staff["presales"].id})
    assert marked.status_code == 200 and "李售前 is now offered" in html(marked)
    twice = client.post("/showroom/consultants", headers=HX,
                        data={"user_id": staff["presales"].id})
    assert twice.status_code == 422 and "already a consultant" in html(twice)
    mark = db.session.scalar(sa.select(Consultant).where(
        Consultant.user_id == staff["consultant"].id))
    version = mark.version
    off = client.post(f"/showroom/consultants/{mark.id}/unmark", headers=HX,
                      data={"version": version})
    assert off.status_code == 200 and "张小红 is no longer offered" in html(off)
    stale = client.post(f"/showroom/consultants/{mark.id}/unmark", headers=HX,
                        data={"version": version})
    assert stale.status_code == 409

    reception = client.application.test_client()
    sign_in(reception, receptionist)
    offered = _offered(html(reception.get("/showroom/")))
    assert "李售前" in offered and "张小红" not in offered
    actions = db.session.scalars(sa.select(AuditEvent.action).where(
        AuditEvent.target_type == "showroom_consultants").order_by(AuditEvent.id)).all()
    assert actions == ["reception.consultant_marked", "reception.consultant_unmarked"]
    # the trail names the consultant
    events = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.target_type == "showroom_consultants")).all()
    assert set(target_names(events).values()) == {"李售前", "张小红"}


def test_a_deactivated_account_is_not_offered(desk, staff):
    staff["consultant"].active = False
    db.session.commit()
    assert "张小红" not in _offered(html(desk.get("/showroom/")))
    assert consultant_svc.offered() == []


def test_bad_marks_are_refused(client, sign_in, create_user, staff):
    sign_in(client, create_user("supervisor"))
    for value in ("", "abc", "99999999"):
        response = client.post("/showroom/consultants", headers=HX, data={"user_id": value})
        assert response.status_code == 422, value
    assert client.post("/showroom/consultants/99999999/unmark",
                       data={"version": 1}).status_code == 404


def test_reception_cannot_keep_the_consultants(client, sign_in, receptionist, staff):
    sign_in(client, receptionist)
    assert client.get("/showroom/consultants").status_code == 403
    assert client.post("/showroom/consultants",
                       data={"user_id": staff["clerk"].id}).status_code == 403
