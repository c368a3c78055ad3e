"""My shifts (/roster/me): my month, today's line-up, the top-bar shift, the Today cards."""

import pytest

from portal.auth.permissions import ROLES, role_can
from tests.conftest import today
from tests.shifts.conftest import days, hx


@pytest.fixture
def agent(create_user, sign_in, client):
    return sign_in(client, create_user("presales", display_name="张小红", locale="en"))


def test_my_month_shows_my_published_cells(client, agent, roster, freeze):
    freeze("2026-11-22 09:30")
    roster(agent, {**days(16, 21), 22: "day", 23: "night", 24: None})
    html = client.get("/roster/me").get_data(as_text=True)
    assert "<html" in html and 'id="my-month"' in html
    assert "2026-11" in html
    cell = html.split('aria-current="date"', 1)[0].rsplit("<td", 1)[1]
    assert "shift-order-1" in cell and "today" in cell
    assert "晚班" in html and "16:00–24:00" in html
    assert "shift-rest" in html
    assert 'href="/roster/swaps?day=2026-11-23"' in html  # a coming shift can be swapped
    assert 'href="/roster/swaps?day=2026-11-21"' not in html  # a past one cannot


def test_a_draft_month_is_not_shown(client, agent, roster, freeze):
    freeze("2026-11-22 09:30")
    roster(agent, {22: "day"}, published=False)
    html = client.get("/roster/me").get_data(as_text=True)
    assert "The roster of 2026-11 is not published yet." in html
    assert "shift-order-1" not in html.split('id="my-month"', 1)[1].split("</section>", 1)[0]


def test_month_navigation_full_page_and_fragment(client, agent, roster, freeze):
    freeze("2026-11-22 09:30")
    roster(agent, {1: "night"}, month=12)
    full = client.get("/roster/me?month=2026-12").get_data(as_text=True)
    assert "<html" in full and 'href="/roster/me?month=2026-11"' in full
    fragment = client.get("/roster/me?month=2026-12", headers=hx("my-month"))
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith('<section id="my-month"') and "晚班" in body
    assert 'id="lineup"' not in body
    assert "HX-Request" in fragment.headers["Vary"]


def test_my_month_is_a_small_fragment_and_says_each_shifts_hours_once(client, agent, roster,
                                                                    freeze):
    freeze("2026-12-01 09:30")  # a whole month of coming shifts, each one a swap link
    roster(agent, {d: ("day", "night", None)[d % 3] for d in range(1, 32)}, month=12)
    for headers in (hx("my-month"), hx()):  # an htmx request that names no part: my month
        response = client.get("/roster/me", headers=headers)
        body = response.get_data(as_text=True)
        assert body.lstrip().startswith('<section id="my-month"')
        assert len(response.data) <= 5 * 1024, len(response.data)
    assert body.count("16:00–24:00") == 1 and body.count("08:00–16:00") == 1
    assert body.count('href="/roster/swaps?day=2026-12-') == 21
    assert "Choose a coming shift to ask a colleague to swap it." in body


def test_the_lineup_polls_for_itself(client, agent, roster, freeze):
    freeze("2026-11-22 09:30")
    roster(agent, {22: "day"})
    page = client.get("/roster/me").get_data(as_text=True)
    assert 'hx-get="/roster/me?part=lineup" hx-trigger="every 300s, sse:roster-changed"' in page
    body = client.get("/roster/me?part=lineup", headers=hx()).get_data(as_text=True)
    assert body.lstrip().startswith('<section id="lineup"') and "张小红" in body
    assert 'id="my-month"' not in body


@pytest.mark.parametrize("bad", ["2026-13", "nov", "2026-11-01", "99999-1"])
def test_a_malformed_month_is_refused(client, agent, bad):
    assert client.get(f"/roster/me?month={bad}").status_code == 400


def test_todays_lineup_groups_by_shift_and_role_and_marks_now(client, agent, create_user,
                                                              roster, freeze):
    freeze("2026-11-22 17:05")
    clerk = create_user("order_clerk", display_name="陈打单")
    night = create_user("presales", display_name="周婷")
    gone = create_user("presales", display_name="离职者", active=False)
    roster(agent, {22: "day"})
    roster(clerk, {22: "day"})
    roster(night, {22: "night"})
    roster(gone, {22: "night"})
    response = client.get("/roster/me", headers=hx("lineup"))
    body = response.get_data(as_text=True)
    assert "<html" not in body and body.lstrip().startswith('<section id="lineup"')
    day_part, night_part = body.split("晚班", 1)
    assert "张小红" in day_part and "陈打单" in day_part and "now-badge" not in day_part
    assert "周婷" in night_part and "now-badge" in night_part
    assert "离职者" not in body
    assert 'class="person me"' in day_part


def test_top_bar_shows_the_current_shift_with_time_left(client, agent, roster, freeze):
    freeze("2026-11-22 09:30")
    roster(agent, {22: "day"})
    html = today(client).get_data(as_text=True)
    bar = html.split('class="topbar"', 1)[1].split("</header>", 1)[0]
    assert "白班 08:00–16:00" in bar and "on-now" in bar
    assert "6 h 30 min left" in bar


def test_top_bar_announces_a_shift_later_today_and_nothing_after_it(client, agent, roster,
                                                                    freeze):
    roster(agent, {22: "night", 23: None})
    freeze("2026-11-22 09:30")
    bar = today(client).get_data(as_text=True).split("</header>", 1)[0]
    assert "晚班 16:00–24:00" in bar and "on-now" not in bar
    freeze("2026-11-22 23:59")
    bar = today(client).get_data(as_text=True).split("</header>", 1)[0]
    assert "晚班" in bar and "on-now" in bar
    freeze("2026-11-23 00:10")  # the night shift belongs to the 22nd; the 23rd is rest
    bar = today(client).get_data(as_text=True).split("</header>", 1)[0]
    assert "topbar-shift" not in bar


def test_top_bar_shift_is_not_drawn_in_fragments(client, agent, roster, freeze):
    freeze("2026-11-22 09:30")
    roster(agent, {22: "day"})
    assert "topbar-shift" not in client.get("/roster/me", headers=hx("my-month")).get_data(
        as_text=True)


def test_top_bar_costs_no_query_for_an_unrostered_role(client, create_user, sign_in,
                                                      count_queries, freeze):
    freeze("2026-11-22 09:30")
    sign_in(client, create_user("manager"))
    with count_queries() as manager_queries:
        client.get("/notifications/")
    clerk_client = client.application.test_client()
    sign_in(clerk_client, create_user("order_clerk"))
    with count_queries() as clerk_queries:
        clerk_client.get("/notifications/")
    assert clerk_queries.count == manager_queries.count + 1  # the one query of the top bar


def test_my_shifts_queries_do_not_grow_with_staff(client, agent, create_user, roster,
                                                  count_queries, freeze):
    freeze("2026-11-22 09:30")
    roster(agent, {**days(1, 21), 22: "day", 23: None})

    def add_staff(n):
        for i in range(n):
            person = create_user(("presales", "aftersales", "order_clerk")[i % 3])
            roster(person, {22: "day" if i % 2 else "night", 23: "day"})

    add_staff(3)
    with count_queries() as few:
        assert client.get("/roster/me").status_code == 200
    add_staff(20)
    with count_queries() as many:
        assert client.get("/roster/me").status_code == 200
    assert many.count == few.count
    assert few.count <= 14


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_my_shifts_and_only_rostered_roles_record_overtime(
        client, create_user, sign_in, role):
    sign_in(client, create_user(role))
    response = client.get("/roster/me")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert ('id="my-overtime"' in html) == role_can(role, "shifts.overtime")
    nav = html.split('class="sidenav"', 1)[1].split("</nav>", 1)[0]
    assert 'href="/roster/me"' in nav
    assert ('href="/roster/swaps"' in nav) == role_can(role, "shifts.swap")
    assert ('href="/roster/overtime"' in nav) == role_can(role, "shifts.overtime_report")


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/roster/me")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/roster/me", headers=hx("lineup")).status_code == 401


@pytest.mark.parametrize("role", ROLES)
def test_today_cards(client, create_user, sign_in, roster, freeze, role):
    freeze("2026-11-22 09:30")
    user = sign_in(client, create_user(role))
    roster(user, {22: "day", 23: "night", 24: None})
    html = today(client).get_data(as_text=True)
    # only people who work shifts have a week of their own (issue 15.15)
    assert ('id="card-my-week"' in html) == role_can(role, "shifts.own")
    if role_can(role, "shifts.own"):
        week = html.split('id="card-my-week"', 1)[1].split("</section>", 1)[0]
        assert "2026-11-22" in week and "2026-11-28" in week and "晚班" in week
        # 25th to 28th: off the published roster, said once
        assert week.count("Not on the published roster") == 1
    assert ('id="card-swap-approvals"' in html) == role_can(role, "shifts.swap_approve")
    assert ('id="card-overtime-month"' in html) == role_can(role, "shifts.overtime_report")


def test_the_today_page_shows_a_person_only_their_own_shift_state(
        client, create_user, sign_in, roster, freeze):
    """Issue 15.15: the manager's Today page listed seven "不在已发布的值班表上" lines; an
    agent with an unpublished week saw seven too; the supervisor gets one summary line."""
    freeze("2026-11-22 09:30")
    agents = [create_user("presales", display_name=f"售前{n}") for n in range(3)]
    roster(agents[0], {22: "day"})
    roster(agents[1], {22: None})
    sign_in(client, create_user("manager", locale="zh_CN"))
    html = today(client).get_data(as_text=True)
    assert "不在已发布的值班表上" not in html and 'id="card-my-week"' not in html

    sign_in(client, agents[2])
    week = today(client).get_data(as_text=True).split('id="card-my-week"', 1)[1]
    week = week.split("</section>", 1)[0]
    assert week.count("<tr") == 1 and "2026-11-22" in week and "2026-11-28" in week
    assert "Department today" not in week

    supervisor = sign_in(client, create_user("supervisor", locale="en"))
    roster(supervisor, {22: "night"})
    week = today(client).get_data(as_text=True).split('id="card-my-week"', 1)[1]
    week = week.split("</section>", 1)[0]
    # 售前0 and the supervisor on shift, 售前1 resting, 售前2 not planned
    assert "Department today: 2 on shift, 1 resting, 1 not on the published roster." in week
    assert week.count("Not on the published roster") == 1  # the supervisor's own 23rd–28th
