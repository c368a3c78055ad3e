"""The refund and dispute queue (退款中/维权中, issue 7 item 9): the open cases in a platform
refund or dispute, oldest first, with their age and assignee; "remind" notifies the
assignee in place; "remind all" reminds everyone."""

from datetime import date

import pytest

from portal.actions import Conflict
from portal.aftersales import queue as svc
from portal.aftersales.models import CaseEvent
from portal.audit.models import AuditEvent
from portal.notifications.models import Notification
from portal.rules import RuleError
from tests.aftersales.fixtures_desk import *  # noqa: F403
from tests.aftersales.fixtures_desk import HX
from tests.conftest import count_rows


@pytest.fixture
def queued(make_case, freeze):
    """Three cases in the queue (a dispute, two refunds; one unassigned) and two that are
    not (no platform status; closed)."""
    freeze("2026-11-22 10:05")
    return {
        "dispute": make_case(at="2026-11-15 09:00", platform_status="dispute",
                             platform_since="2026-11-18 14:00", state="in_progress"),
        "refund": make_case(at="2026-11-19 09:00", platform_status="refunding",
                            state="waiting_parcel"),
        "unassigned": make_case(at="2026-11-20 09:00", platform_status="refunding",
                                assignee_id=None),
        "plain": make_case(at="2026-11-10 09:00"),
        "closed": make_case(at="2026-11-01 09:00", platform_status="dispute",
                            state="closed", sla_state="stopped"),
    }


# --- services -------------------------------------------------------------------------------


def test_the_queue_lists_open_refunds_and_disputes_oldest_first(queued):
    rows = svc.rows()
    assert [r.case.id for r in rows] == [queued[k].id for k in ("dispute", "refund",
                                                                 "unassigned")]
    dispute = rows[0]
    today = date(2026, 11, 22)
    assert dispute.age_days(today) == 7
    assert dispute.status_days(today) == 4  # since the platform event of 2026-11-18
    assert rows[1].status_days(today) == 3  # no event: since the case was opened
    assert svc.count() == 3


def test_remind_notifies_the_assignee_with_the_case_link(queued, supervisor, agent):
    row = svc.remind(supervisor, queued["dispute"].id)
    assert row.reminded_at is not None
    note = Notification.query.filter_by(user_id=agent.id).one()
    assert note.link == f"/aftersales/{queued['dispute'].id}"
    assert note.params["days"] == 4 and note.params["name"] == "李主管"
    assert "dispute" in note.message
    assert count_rows(CaseEvent, CaseEvent.kind == "remind") == 1
    assert count_rows(AuditEvent, AuditEvent.action == "aftersales.reminded") == 1
    assert svc.row(queued["dispute"].id).reminded_at == row.reminded_at


def test_an_unassigned_case_or_one_out_of_the_queue_cannot_be_reminded(queued, supervisor):
    with pytest.raises(RuleError):
        svc.remind(supervisor, queued["unassigned"].id)
    for key in ("plain", "closed"):  # it left the queue since the page was read
        with pytest.raises(Conflict):
            svc.remind(supervisor, queued[key].id)
    assert count_rows(Notification) == 0


def test_remind_all_reminds_every_assignee(queued, supervisor):
    assert svc.remind_all(supervisor) == (2, 1)
    assert count_rows(Notification) == 2
    assert count_rows(AuditEvent, AuditEvent.action == "aftersales.reminded_all") == 1


# --- the page -------------------------------------------------------------------------------


@pytest.fixture
def as_supervisor(client, sign_in, supervisor):
    sign_in(client, supervisor)
    return client


def test_the_page_shows_age_assignee_and_the_remind_buttons(as_supervisor, queued):
    html = as_supervisor.get("/aftersales/queue").get_data(as_text=True)
    assert "<html" in html
    assert html.index(queued["dispute"].order_no) < html.index(queued["refund"].order_no)
    assert queued["plain"].order_no not in html and queued["closed"].order_no not in html
    assert "刘晓东" in html and "Unassigned" in html
    assert html.count(">Remind<") == 2
    assert "since 2026-11-18" in html


def test_the_table_is_a_fragment(as_supervisor, queued):
    response = as_supervisor.get("/aftersales/queue", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and 'id="queue-table"' in html


def test_remind_swaps_the_row_in_place(as_supervisor, queued):
    case = queued["refund"]
    response = as_supervisor.post(f"/aftersales/queue/{case.id}/remind", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="queue-case-{case.id}"')
    assert "reminded at 10:05" in html and "刘晓东 was reminded." in html


def test_remind_of_an_unassigned_case_is_a_422_and_sends_nothing(as_supervisor, queued):
    case = queued["unassigned"]
    response = as_supervisor.post(f"/aftersales/queue/{case.id}/remind", headers=HX)
    assert response.status_code == 422
    assert "assign it first" in response.get_data(as_text=True)
    assert count_rows(Notification) == 0


def test_remind_of_a_case_that_left_the_queue_says_so_in_its_row(as_supervisor, queued):
    case = queued["plain"]
    response = as_supervisor.post(f"/aftersales/queue/{case.id}/remind", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert html.lstrip().startswith(f'<tr id="queue-case-{case.id}"')
    assert "no longer in the refund and dispute queue" in html and len(html) < 1000
    assert as_supervisor.post("/aftersales/queue/999999/remind", headers=HX) \
        .status_code == 404


def test_remind_all_shows_the_queue_again_with_a_count(as_supervisor, queued):
    response = as_supervisor.post("/aftersales/queue/remind-all", headers=HX)
    assert response.status_code == 204  # every row changed: the page is loaded again
    assert response.headers["HX-Redirect"] == "/aftersales/queue"
    html = as_supervisor.get("/aftersales/queue").get_data(as_text=True)
    assert "2 reminders sent." in html and "1 cases have nobody assigned." in html
    assert html.count("reminded at 10:05") == 2


def test_a_plain_remind_redirects_to_the_queue(as_supervisor, queued):
    response = as_supervisor.post(f"/aftersales/queue/{queued['refund'].id}/remind")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/aftersales/queue")


def test_remind_needs_the_csrf_token(as_supervisor, queued, csrf_enabled):
    response = as_supervisor.post(f"/aftersales/queue/{queued['refund'].id}/remind",
                                  headers=HX)
    assert response.status_code == 400
    assert count_rows(Notification) == 0


def test_the_queue_costs_the_same_with_few_or_many_rows(as_supervisor, make_case,
                                                        count_queries, create_user):
    make_case(platform_status="refunding", platform_since="2026-11-20 10:00")

    def measure():
        with count_queries() as counter:
            assert as_supervisor.get("/aftersales/queue").status_code == 200
        return counter.count

    few = measure()
    for n in range(15):
        other = create_user("aftersales")
        make_case(platform_status="dispute" if n % 2 else "refunding", assignee_id=other.id,
                  platform_since="2026-11-21 10:00")
    many = measure()
    assert many == few, (few, many)
    assert few <= 8


@pytest.mark.parametrize("role", ["aftersales", "presales", "order_clerk", "reception"])
def test_only_supervisor_and_manager_see_the_queue(client, sign_in, create_user, role,
                                                   queued):
    sign_in(client, create_user(role))
    assert client.get("/aftersales/queue").status_code == 403
    assert client.post(f"/aftersales/queue/{queued['refund'].id}/remind").status_code == 403
    assert client.post("/aftersales/queue/remind-all").status_code == 403
    assert count_rows(Notification) == 0


def test_the_manager_reminds_too(client, sign_in, create_user, queued):
    sign_in(client, create_user("manager"))
    assert client.post(f"/aftersales/queue/{queued['refund'].id}/remind",
                       headers=HX).status_code == 200
