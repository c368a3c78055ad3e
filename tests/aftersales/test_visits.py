"""Return visits and satisfaction (R-C2, issue 7 item 11): due visits listed for agents
(supervisors read), the outcome recorded in place — reached with a satisfaction 1–5,
not reached (called again tomorrow), declined — version-checked."""

from datetime import UTC, date, datetime

import pytest

from portal.actions import Conflict
from portal.aftersales import visits as svc
from portal.aftersales.models import ReturnVisit
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.rules import RuleError
from tests.aftersales.fixtures_desk import *  # noqa: F403
from tests.aftersales.fixtures_desk import HX
from tests.conftest import count_rows

TODAY = date(2026, 11, 22)


@pytest.fixture
def visits_due(make_visit, freeze):
    """Visits due two days ago and today (open), tomorrow (not yet), and one done."""
    freeze("2026-11-22 10:00")
    return {
        "late": make_visit(date(2026, 11, 20)),
        "today": make_visit(TODAY),
        "tomorrow": make_visit(date(2026, 11, 23)),
        "done": make_visit(date(2026, 11, 21), outcome="reached", satisfaction=5,
                           done_at=datetime(2026, 11, 21, 15, 0, tzinfo=UTC)),
    }


# --- services -------------------------------------------------------------------------------


def test_schedule_sets_the_visit_three_days_after_closing(make_case, freeze):
    case = make_case(state="closed")
    visit = svc.schedule(case, freeze("2026-11-22 18:00"))
    assert visit.due_on == date(2026, 11, 25)


def test_due_lists_open_visits_due_today_or_earlier_oldest_first(visits_due):
    assert [v.id for v in svc.due(TODAY)] == [visits_due["late"].id, visits_due["today"].id]
    assert svc.due_count(TODAY) == 2
    assert svc.due(TODAY)[0].case.assignee.display_name == "刘晓东"


def test_reached_with_a_satisfaction_is_recorded_and_audited(visits_due, agent):
    visit = visits_due["today"]
    assert svc.record(agent, visit, visit.version, "reached", 4, " 很满意 ") is None
    assert (visit.outcome, visit.satisfaction, visit.comment) == ("reached", 4, "很满意")
    assert visit.done_by_id == agent.id and visit.done_at is not None
    assert svc.due_count(TODAY) == 1
    assert [v.id for v in svc.done_on(TODAY)] == [visit.id]
    assert count_rows(AuditEvent, AuditEvent.action == "aftersales.visit_recorded") == 1


@pytest.mark.parametrize(("outcome", "satisfaction", "field"), [
    ("reached", None, "satisfaction"), ("reached", 6, "satisfaction"),
    ("reached", 0, "satisfaction"), ("maybe", None, "outcome"),
])
def test_bad_outcomes_change_nothing(visits_due, agent, outcome, satisfaction, field):
    visit = visits_due["today"]
    with pytest.raises(RuleError) as caught:
        svc.record(agent, visit, visit.version, outcome, satisfaction)
    assert caught.value.field == field
    db.session.rollback()
    assert visit.done_at is None


def test_not_reached_is_called_again_tomorrow(visits_due, agent):
    visit = visits_due["today"]
    following = svc.record(agent, visit, visit.version, "not_reached", 3, again=True)
    assert visit.satisfaction is None  # only a customer reached gives one
    assert following.due_on == date(2026, 11, 23) and following.done_at is None
    assert following.case_id == visit.case_id
    assert count_rows(AuditEvent, AuditEvent.action == "aftersales.visit_rescheduled") == 1


def test_only_not_reached_is_called_again(visits_due, agent):
    visit = visits_due["today"]
    with pytest.raises(RuleError):
        svc.record(agent, visit, visit.version, "declined", again=True)


def test_a_visit_recorded_twice_or_with_an_old_version_is_a_conflict(visits_due, agent):
    visit = visits_due["today"]
    with pytest.raises(Conflict):
        svc.record(agent, visit, visit.version + 1, "declined")
    svc.record(agent, visit, visit.version, "declined")
    with pytest.raises(Conflict):
        svc.record(agent, visit, visit.version, "reached", 5)


# --- the page -------------------------------------------------------------------------------


@pytest.fixture
def as_agent(client, sign_in, agent):
    sign_in(client, agent)
    return client


def test_the_page_lists_the_due_visits_and_a_row_fetches_its_form(as_agent, visits_due):
    html = as_agent.get("/aftersales/visits").get_data(as_text=True)
    assert "<html" in html
    assert f'id="visit-{visits_due["late"].id}"' in html
    assert f'id="visit-{visits_due["today"].id}"' in html
    assert f'id="visit-{visits_due["tomorrow"].id}"' not in html
    visit = visits_due["today"]
    # the list carries no form: each row fetches its own when the agent records it
    assert 'class="visit-form"' not in html
    assert html.count("Record the result") == 2
    assert f'hx-get="/aftersales/visits/{visit.id}"' in html
    row = as_agent.get(f"/aftersales/visits/{visit.id}", headers=HX)
    body = row.get_data(as_text=True)
    assert row.status_code == 200 and body.lstrip().startswith(f'<li id="visit-{visit.id}"')
    assert body.count('class="visit-form"') == 1 and f'value="{visit.version}"' in body
    assert len(row.get_data()) < 5 * 1024
    page = as_agent.get(f"/aftersales/visits/{visit.id}").get_data(as_text=True)
    assert "<html" in page and 'class="visit-form"' in page  # without JavaScript


def test_the_due_list_is_a_fragment(as_agent, visits_due):
    response = as_agent.get("/aftersales/visits", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and 'id="due-visits"' in html
    done = as_agent.get("/aftersales/visits/done", headers=HX).get_data(as_text=True)
    assert 'id="done-visits"' in done and "<html" not in done


def test_a_supervisor_reads_the_visits_without_forms(client, sign_in, supervisor, visits_due):
    sign_in(client, supervisor)
    html = client.get("/aftersales/visits").get_data(as_text=True)
    assert f'id="visit-{visits_due["today"].id}"' in html and "visit-form" not in html
    visit = visits_due["today"]
    assert client.post(f"/aftersales/visits/{visit.id}", data={
        "version": visit.version, "outcome": "reached", "satisfaction": 4}).status_code == 403


def test_recording_swaps_the_row_and_tells_the_done_list(as_agent, visits_due):
    visit = visits_due["today"]
    response = as_agent.post(f"/aftersales/visits/{visit.id}", data={
        "version": visit.version, "outcome": "reached", "satisfaction": "4",
        "comment": "满意"}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<li id="visit-{visit.id}"')
    assert "satisfaction 4 of 5" in html and "visit-form" not in html
    assert "aftersales-visits-changed" in response.headers["HX-Trigger"]
    db.session.refresh(visit)
    assert visit.satisfaction == 4


@pytest.mark.parametrize(("data", "message"), [
    ({"outcome": "reached", "satisfaction": "6"}, "Satisfaction goes from 1 to 5."),
    ({"outcome": "reached"}, "Ask how satisfied the customer is (1 to 5)."),
    ({"satisfaction": "3"}, "Choose how the call went."),
    ({"outcome": "declined", "again": "y"}, "Only a customer not reached is called again."),
])
def test_bad_input_is_a_422_and_changes_nothing(as_agent, visits_due, data, message):
    visit = visits_due["today"]
    response = as_agent.post(f"/aftersales/visits/{visit.id}",
                             data={"version": visit.version, **data}, headers=HX)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.refresh(visit)
    assert visit.done_at is None and count_rows(ReturnVisit) == 4


def test_a_visit_someone_recorded_first_is_a_409_with_its_state(as_agent, visits_due):
    visit = visits_due["today"]
    version = visit.version
    as_agent.post(f"/aftersales/visits/{visit.id}", data={
        "version": version, "outcome": "declined"}, headers=HX)
    response = as_agent.post(f"/aftersales/visits/{visit.id}", data={
        "version": version, "outcome": "reached", "satisfaction": "5"}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else recorded this visit first" in html and "Declined the visit" in html
    db.session.refresh(visit)
    assert visit.outcome == "declined"


def test_not_reached_again_tomorrow_through_the_page(as_agent, visits_due):
    visit = visits_due["late"]
    response = as_agent.post(f"/aftersales/visits/{visit.id}", data={
        "version": visit.version, "outcome": "not_reached", "again": "y"}, headers=HX)
    assert response.status_code == 200
    assert "called again on 2026-11-23" in response.get_data(as_text=True)
    assert count_rows(ReturnVisit, ReturnVisit.case_id == visit.case_id) == 2


def test_the_visits_page_costs_the_same_with_few_or_many(as_agent, make_visit, freeze,
                                                        count_queries, create_user,
                                                        make_case):
    freeze("2026-11-22 10:00")
    make_visit(TODAY)

    def measure():
        with count_queries() as counter:
            assert as_agent.get("/aftersales/visits").status_code == 200
        return counter.count

    few = measure()
    for _n in range(12):
        other = create_user("aftersales")
        make_visit(TODAY, case=make_case(state="closed", assignee_id=other.id))
    assert measure() == few
    assert few <= 8


@pytest.mark.parametrize("role", ["presales", "order_clerk", "reception"])
def test_other_roles_are_refused_the_visits(client, sign_in, create_user, role, visits_due):
    sign_in(client, create_user(role))
    visit = visits_due["today"]
    assert client.get("/aftersales/visits").status_code == 403
    assert client.post(f"/aftersales/visits/{visit.id}", data={
        "version": visit.version, "outcome": "declined"}).status_code == 403
