"""How the SLA clock shows (issue 7 item 7): the partial each case includes (time left in
working time, paused, breached N ago, highlighted when soon or breached) and the Today
cards — an agent's cases about to breach and due return visits, the supervisor's counts
across the desk and the refund/dispute queue — in a bounded number of queries."""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import render_template
from flask_babel import force_locale

from portal.aftersales import sla
from portal.extensions import db
from tests.aftersales.fixtures_desk import *  # noqa: F403
from tests.conftest import today

TZ = ZoneInfo("Asia/Shanghai")
DUE = datetime(2026, 11, 22, 11, 30, tzinfo=TZ)


def shown(app, status, now=None) -> str:
    """The partial's text (tags dropped) after its root element's opening tag."""
    with app.test_request_context(), force_locale("en"):
        html = render_template("aftersales/desk/_sla.html", sla=status, now=now)
    head, _sep, body = html.partition(">")
    return head + "> " + " ".join(re.sub(r"<[^>]+>", " ", body).split())


@pytest.mark.parametrize(("status", "now", "kind", "text"), [
    (sla.Status("ok", 80, DUE, "resolve"), None, "ok",
     "Resolution: 1 h 20 min left (working time)"),
    (sla.Status("soon", 20, DUE, "response"), None, "soon",
     "First response: 20 min left (working time)"),
    (sla.Status("breached", -20, DUE, "resolve"), DUE + timedelta(minutes=35), "breached",
     "Resolution: breached 35 min ago"),
    (sla.Status("breached", 0, DUE, "resolve"), DUE + timedelta(hours=9, minutes=5),
     "breached", "breached 9 h 5 min ago"),
    (sla.Status("paused", 125), None, "paused",
     "paused: waiting for the customer (2 h 5 min left when it runs again)"),
    (sla.Status("stopped", met=True), None, "stopped", "SLA met"),
    (sla.Status("stopped", met=False), None, "stopped", "SLA missed"),
])
def test_the_partial_says_how_much_time_is_left(app, status, now, kind, text):
    html = shown(app, status, now)
    assert f'class="sla-clock sla-{kind}"' in html
    assert text in html, html


def test_the_partial_of_a_real_case(app, make_case, freeze, shift_types):
    case = make_case(at="2026-11-22 09:30")
    now = freeze("2026-11-22 10:10")
    html = shown(app, sla.status(case, now), now)
    assert "First response: 1 h 20 min left (working time)" in html
    assert 'title="Due 2026-11-22 11:30"' in html


# --- Today cards ----------------------------------------------------------------------------


@pytest.fixture
def desk(make_case, make_visit, create_user, agent, freeze, shift_types):
    """At 2026-11-22 15:00: the agent's cases — one breached, one about to breach, one fine,
    one paused — another agent's breached case, a dispute, and visits due."""
    other = create_user("aftersales", display_name="何敏")
    cases = {
        "breached": make_case(at="2026-11-22 09:00"),             # answer due 11:00
        "soon": make_case(at="2026-11-22 13:10"),                 # answer due 15:10
        "fine": make_case(at="2026-11-22 14:30"),                 # answer due 16:30
        "paused": make_case(at="2026-11-22 09:00", sla_state="paused",
                            first_response_at=datetime(2026, 11, 22, 9, 5, tzinfo=TZ),
                            sla_remaining_minutes=600),
        "others": make_case(at="2026-11-22 08:00", assignee_id=other.id),
        "dispute": make_case(at="2026-11-22 14:40", platform_status="dispute"),
    }
    cases["paused"].resolve_due_at = None
    make_visit(date(2026, 11, 22))
    make_visit(date(2026, 11, 21))
    make_visit(date(2026, 11, 23))
    freeze("2026-11-22 15:00")
    return cases


def card(html: str, key: str) -> str:
    start = html.index(f'id="card-{key}"')
    return html[start:html.index("</section>", start)]


def test_the_agent_sees_own_cases_about_to_breach(client, sign_in, agent, desk):
    sign_in(client, agent)
    html = today(client).get_data(as_text=True)
    mine = card(html, "aftersales-my-sla")
    assert ">2</strong>" in mine
    assert f"#{desk['breached'].id} " in mine and f"#{desk['soon'].id} " in mine
    assert f"#{desk['fine'].id} " not in mine and f"#{desk['others'].id} " not in mine
    assert mine.index(f"#{desk['breached'].id} ") < mine.index(f"#{desk['soon'].id} ")
    assert "sla-breached" in mine and "sla-soon" in mine
    visits = card(html, "aftersales-visits")
    assert ">2</strong> return visits are due." in visits
    assert 'id="card-aftersales-desk"' not in html  # the supervisor's card


def test_the_supervisor_sees_the_whole_desk(client, sign_in, supervisor, desk):
    sign_in(client, supervisor)
    html = today(client).get_data(as_text=True)
    counts = card(html, "aftersales-desk")
    assert 'data-count="breached">2<' in counts  # the agent's and the other agent's
    assert 'data-count="soon">1<' in counts
    assert 'data-count="queued">1<' in counts
    assert 'id="card-aftersales-my-sla"' not in html


@pytest.mark.parametrize("role", ["presales", "order_clerk", "reception"])
def test_other_roles_get_no_desk_cards(client, sign_in, create_user, role, desk):
    sign_in(client, create_user(role))
    html = today(client).get_data(as_text=True)
    assert "card-aftersales-my-sla" not in html and "card-aftersales-desk" not in html


@pytest.mark.parametrize("who", ["agent", "supervisor"])
def test_the_today_page_costs_the_same_with_few_or_many_cases(client, sign_in, who, agent,
                                                              supervisor, desk, make_case,
                                                              make_visit, count_queries):
    sign_in(client, agent if who == "agent" else supervisor)

    def measure():
        db.session.commit()  # as in a new request: nothing read before, no transaction open
        with count_queries() as counter:
            assert today(client).status_code == 200
        return counter.count

    few = measure()
    for n in range(12):
        make_case(at=f"2026-11-22 0{n % 9}:00")
        make_case(at="2026-11-22 13:30", platform_status="refunding")
        make_visit(date(2026, 11, 20))
    assert measure() == few
