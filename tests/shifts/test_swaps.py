"""Shift swap requests (R-S2): ask, accept, approve; the roster changes; rules shown first."""

import json
from datetime import date

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from portal.audit.models import AuditEvent
from portal.audit.services import labels
from portal.extensions import db
from portal.notifications.models import Notification
from portal.shifts import swaps
from portal.shifts.models import RosterEntry, SwapRequest
from tests.conftest import count_rows, today
from tests.shifts.conftest import HX, days


@pytest.fixture
def team(app, create_user, roster, freeze):
    """Two pre-sales agents and two supervisors; the clock on 2026-11-20 09:00.

    a: 24th day shift, 26th rest;  b: 24th night shift, 26th day shift.
    """
    freeze("2026-11-20 09:00")
    a = create_user("presales", display_name="张小红", locale="en")
    b = create_user("presales", display_name="周婷", locale="en")
    s1 = create_user("supervisor", display_name="李主管", locale="en")
    s2 = create_user("supervisor", display_name="冯主管", locale="en")
    roster(a, {24: "day", 25: "day", 26: None})
    roster(b, {24: "night", 25: "day", 26: "day"})
    return {"a": a, "b": b, "s1": s1, "s2": s2}


def as_user(app, sign_in, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def ask(client, colleague, mine="2026-11-24", theirs="2026-11-24", headers=None, **extra):
    return client.post("/roster/swaps/new", headers=headers or {}, data={
        "colleague": colleague.id if colleague else "", "requester_day": mine,
        "colleague_day": theirs, "reason": "家里有事", **extra})


def cell(user, day):
    return db.session.scalar(sa.select(RosterEntry).where(
        RosterEntry.user_id == user.id, RosterEntry.day == date(2026, 11, day)))


def shift_code(user, day):
    entry = cell(user, day)
    db.session.refresh(entry)
    return entry.shift_type.code if entry.shift_type else None


def notes_of(user):
    return [n.message for n in db.session.scalars(
        sa.select(Notification).where(Notification.user_id == user.id))]


def do(client, swap, step, version=None, headers=None):
    return client.post(f"/roster/swaps/{swap.id}/{step}", headers=headers or {},
                       data={"version": version or swap.version})


def fresh(swap):
    db.session.refresh(swap)
    return swap


def test_the_whole_way_ask_accept_approve(app, sign_in, team):
    a, b, s1 = team["a"], team["b"], team["s1"]
    response = ask(as_user(app, sign_in, a), b)
    assert response.status_code == 303
    swap = db.session.scalar(sa.select(SwapRequest))
    assert (swap.status, swap.requester_id, swap.colleague_id) == ("requested", a.id, b.id)
    assert any("asks to swap" in m for m in notes_of(b))

    assert do(as_user(app, sign_in, b), swap, "accept").status_code == 303
    assert fresh(swap).status == "accepted"
    assert any("accepted your swap" in m for m in notes_of(a))
    assert any("waits for your approval" in m for m in notes_of(s1))

    assert do(as_user(app, sign_in, s1), swap, "approve").status_code == 303
    assert fresh(swap).status == "approved" and swap.decided_by_id == s1.id
    assert (shift_code(a, 24), shift_code(b, 24)) == ("night", "day")
    assert cell(a, 24).fixed and cell(b, 24).fixed
    for person in (a, b):
        assert any("approved the shift swap" in m for m in notes_of(person))
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"shifts.swap_requested", "shifts.swap_accepted", "shifts.swap_approved",
            "shifts.entry_swapped"} <= actions
    assert {a for a in actions if a.startswith("shifts.")} <= set(labels().actions)
    assert set(db.session.scalars(sa.select(Notification.link))) == {"/roster/swaps"}


def test_different_days_exchange_both_peoples_cells_on_both_days(app, sign_in, team):
    a, b, s1 = team["a"], team["b"], team["s1"]
    assert ask(as_user(app, sign_in, a), b, "2026-11-25", "2026-11-26").status_code == 303
    swap = db.session.scalar(sa.select(SwapRequest))
    do(as_user(app, sign_in, b), swap, "accept")
    do(as_user(app, sign_in, s1), fresh(swap), "approve")
    # 25th: both day shifts (unchanged); 26th: a takes b's day shift, b rests
    assert (shift_code(a, 25), shift_code(b, 25)) == ("day", "day")
    assert (shift_code(a, 26), shift_code(b, 26)) == ("day", None)


def test_request_by_htmx_answers_with_the_form_and_events(app, sign_in, team):
    response = ask(as_user(app, sign_in, team["a"]), team["b"], headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith('<section id="swap-form"')
    assert "Your request went to 周婷." in body
    events = json.loads(response.headers["HX-Trigger"])
    assert {"swap-requested", "swaps-changed"} <= set(events)


@pytest.mark.parametrize(("case", "message"), [
    ("self", "You cannot swap a shift with yourself."),
    ("other-role", "has another role"),
    ("inactive", "deactivated"),
    ("not-on-roster", "is not on the published roster on 2026-11-27"),
    ("past", "2026-11-19 is in the past"),
    ("rest-day", "张小红 has no shift on 2026-11-26 to swap."),
    ("draft", "is not on the published roster on 2026-12-01"),
    ("nothing-changes", "would change nothing"),
    ("no-colleague", "Choose a colleague."),
])
def test_bad_requests_are_refused_with_a_message_and_nothing_saved(
        app, sign_in, create_user, roster, team, case, message):
    a, b = team["a"], team["b"]
    colleague, mine, theirs = b, "2026-11-24", "2026-11-24"
    if case == "self":
        colleague = a
    elif case == "other-role":
        colleague = create_user("aftersales", display_name="刘晓东")
        roster(colleague, {24: "night"})
    elif case == "inactive":
        colleague = create_user("presales", active=False)
        roster(colleague, {24: "night"})
    elif case == "not-on-roster":
        mine = theirs = "2026-11-27"
        roster(a, {27: "day"})
    elif case == "past":
        roster(a, {19: "day"})
        roster(b, {19: None})
        mine = theirs = "2026-11-19"
    elif case == "rest-day":
        mine = theirs = "2026-11-26"
    elif case == "draft":
        roster(a, {1: "day"}, month=12, published=False)
        roster(b, {1: None}, month=12, published=False)
        mine = theirs = "2026-12-01"
    elif case == "nothing-changes":
        mine = theirs = "2026-11-25"
    elif case == "no-colleague":
        colleague = None
    for headers in ({}, HX):
        response = ask(as_user(app, sign_in, a), colleague, mine, theirs, headers=headers)
        body = response.get_data(as_text=True)
        assert response.status_code == 422, body[:300]
        assert message in body
    assert count_rows(SwapRequest) == 0
    assert count_rows(Notification) == 0


def test_the_same_swap_cannot_be_requested_twice_while_open(app, sign_in, team):
    a, b = team["a"], team["b"]
    assert ask(as_user(app, sign_in, a), b).status_code == 303
    again = ask(as_user(app, sign_in, a), b)
    assert again.status_code == 422 and "already open" in again.get_data(as_text=True)
    # nor the mirror image by the colleague
    mirror = ask(as_user(app, sign_in, b), a)
    assert mirror.status_code == 422
    assert count_rows(SwapRequest) == 1
    swap = db.session.scalar(sa.select(SwapRequest))
    do(as_user(app, sign_in, a), swap, "cancel")
    assert ask(as_user(app, sign_in, a), b).status_code == 303  # withdrawn: may ask again


def test_only_the_colleague_accepts_and_only_a_supervisor_approves(app, sign_in, create_user,
                                                                   team):
    a, b, s1 = team["a"], team["b"], team["s1"]
    ask(as_user(app, sign_in, a), b)
    swap = db.session.scalar(sa.select(SwapRequest))
    stranger = create_user("presales")
    assert do(as_user(app, sign_in, stranger), swap, "accept").status_code == 403
    assert do(as_user(app, sign_in, a), swap, "accept").status_code == 403
    assert do(as_user(app, sign_in, b), swap, "approve").status_code == 403
    assert do(as_user(app, sign_in, s1), swap, "approve").status_code == 409  # not accepted yet
    assert fresh(swap).status == "requested"
    assert (shift_code(a, 24), shift_code(b, 24)) == ("day", "night")


def test_a_supervisor_does_not_approve_a_swap_they_are_part_of(app, sign_in, roster, team):
    s1, s2 = team["s1"], team["s2"]
    roster(s1, {24: "day"})
    roster(s2, {24: None})
    ask(as_user(app, sign_in, s1), s2)
    swap = db.session.scalar(sa.select(SwapRequest))
    do(as_user(app, sign_in, s2), swap, "accept")
    response = do(as_user(app, sign_in, s1), fresh(swap), "approve", headers=HX)
    assert response.status_code == 422
    assert "Another supervisor decides" in response.get_data(as_text=True)
    assert fresh(swap).status == "accepted"


def test_two_supervisors_approving_at_once_the_second_gets_409_with_the_state(app, sign_in,
                                                                             team):
    a, b = team["a"], team["b"]
    ask(as_user(app, sign_in, a), b)
    swap = db.session.scalar(sa.select(SwapRequest))
    do(as_user(app, sign_in, b), swap, "accept")
    seen = fresh(swap).version  # both supervisors' pages show this version
    first = do(as_user(app, sign_in, team["s1"]), swap, "approve", version=seen, headers=HX)
    assert first.status_code == 200
    second = do(as_user(app, sign_in, team["s2"]), swap, "reject", version=seen, headers=HX)
    body = second.get_data(as_text=True)
    assert second.status_code == 409
    assert body.lstrip().startswith(f'<tr id="swap-{swap.id}"') and "<html" not in body
    assert "Approved" in body and "acted on this request first" in body
    assert fresh(swap).status == "approved"
    assert (shift_code(a, 24), shift_code(b, 24)) == ("night", "day")  # swapped once


def test_rule_breaks_are_shown_to_the_supervisor_before_approval(app, sign_in, roster, team):
    a, b, s1 = team["a"], team["b"], team["s1"]
    roster(a, {**days(20, 25), 26: None, 27: "day"})  # six days, rest, then work
    ask(as_user(app, sign_in, a), b, "2026-11-25", "2026-11-26")
    swap = db.session.scalar(sa.select(SwapRequest))
    do(as_user(app, sign_in, b), swap, "accept")
    with app.test_request_context(), force_locale("en"):
        breaks = swaps.rule_breaks(fresh(swap))
    assert [x.kind for x in breaks] == ["run"]
    assert "张小红 would work 8 days in a row (2026-11-20 – 2026-11-27)" in breaks[0].message
    html = as_user(app, sign_in, s1).get("/roster/swaps").get_data(as_text=True)
    queue = html.split('id="swap-queue-title"', 1)[1].split("</section>", 1)[0]
    assert "would work 8 days in a row" in queue and "swap-breaks" in queue


def test_a_role_change_after_the_request_shows_the_staffing_shortfall(app, sign_in, roster,
                                                                      create_user, team):
    a, b = team["a"], team["b"]
    other = create_user("presales")
    roster(other, {24: "day"})  # presales day shift on the 24th: a and other = 2 (minimum 2)
    ask(as_user(app, sign_in, a), b)
    swap = db.session.scalar(sa.select(SwapRequest))
    do(as_user(app, sign_in, b), swap, "accept")
    b.role = "aftersales"
    db.session.commit()
    with app.test_request_context(), force_locale("en"):
        breaks = [(x.kind, x.message) for x in swaps.rule_breaks(fresh(swap))]
    # the pre-sales day shift loses a, the after-sales night shift loses b (now after-sales)
    assert [kind for kind, _ in breaks] == ["staffing", "staffing"]
    assert breaks[0][1].startswith("2026-11-24 白班: 1 ")
    assert breaks[0][1].endswith(" instead of at least 2.")
    assert breaks[1][1].startswith("2026-11-24 晚班: 0 ")


def test_decline_and_withdraw(app, sign_in, team):
    a, b = team["a"], team["b"]
    ask(as_user(app, sign_in, a), b)
    swap = db.session.scalar(sa.select(SwapRequest))
    response = do(as_user(app, sign_in, b), swap, "decline", headers=HX)
    assert response.status_code == 200 and "Declined" in response.get_data(as_text=True)
    assert any("declined your swap" in m for m in notes_of(a))
    assert do(as_user(app, sign_in, a), fresh(swap), "cancel").status_code == 409
    assert ask(as_user(app, sign_in, a), b).status_code == 303
    again = db.session.scalars(sa.select(SwapRequest).order_by(SwapRequest.id.desc())).first()
    assert do(as_user(app, sign_in, a), again, "cancel").status_code == 303
    assert fresh(again).status == "cancelled"
    assert any("withdrew" in m for m in notes_of(b))


def test_approval_of_a_day_gone_by_is_refused(app, sign_in, freeze, team):
    a, b = team["a"], team["b"]
    ask(as_user(app, sign_in, a), b)
    swap = db.session.scalar(sa.select(SwapRequest))
    do(as_user(app, sign_in, b), swap, "accept")
    freeze("2026-11-25 09:00")
    response = do(as_user(app, sign_in, team["s1"]), fresh(swap), "approve", headers=HX)
    assert response.status_code == 422 and "in the past" in response.get_data(as_text=True)
    assert (shift_code(a, 24), shift_code(b, 24)) == ("day", "night")


def test_swaps_page_full_and_fragment(app, sign_in, team):
    a, b = team["a"], team["b"]
    ask(as_user(app, sign_in, a), b)
    client = as_user(app, sign_in, b)
    full = client.get("/roster/swaps?day=2026-11-24").get_data(as_text=True)
    assert "<html" in full and 'id="swap-form"' in full and 'id="swap-lists"' in full
    assert 'value="2026-11-24"' in full
    to_me = full.split('id="swap-to-me-title"', 1)[1].split("</section>", 1)[0]
    assert "张小红" in to_me and "/accept" in to_me and "/decline" in to_me
    fragment = client.get("/roster/swaps", headers=HX)
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and body.lstrip().startswith('<div id="swap-lists"')


def test_a_row_action_answers_with_the_row(app, sign_in, team):
    ask(as_user(app, sign_in, team["a"]), team["b"])
    swap = db.session.scalar(sa.select(SwapRequest))
    response = do(as_user(app, sign_in, team["b"]), swap, "accept", headers=HX)
    body = response.get_data(as_text=True)
    assert "<html" not in body and body.lstrip().startswith(f'<tr id="swap-{swap.id}"')
    assert "swaps-changed" in response.headers["HX-Trigger"]


def test_badge_counts_what_waits_for_me(app, sign_in, team):
    a, b, s1 = team["a"], team["b"], team["s1"]
    assert as_user(app, sign_in, b).get("/roster/swaps/badge").get_data(as_text=True) == ""
    ask(as_user(app, sign_in, a), b)
    assert as_user(app, sign_in, b).get("/roster/swaps/badge").get_data(as_text=True) == "1"
    assert as_user(app, sign_in, s1).get("/roster/swaps/badge").get_data(as_text=True) == ""
    do(as_user(app, sign_in, b), db.session.scalar(sa.select(SwapRequest)), "accept")
    assert as_user(app, sign_in, b).get("/roster/swaps/badge").get_data(as_text=True) == ""
    assert as_user(app, sign_in, s1).get("/roster/swaps/badge").get_data(as_text=True) == "1"
    page = today(as_user(app, sign_in, s1)).get_data(as_text=True)
    nav = page.split('class="sidenav"', 1)[1].split("</nav>", 1)[0]
    assert 'hx-get="/roster/swaps/badge"' in nav and "swaps-changed from:body" in nav
    card = page.split('id="card-swap-approvals"', 1)[1].split("</section>", 1)[0]
    assert "1 waiting" in card and "张小红" in card


@pytest.mark.parametrize(("role", "status"), [
    ("manager", 403), ("presales", 200), ("reception", 200), ("supervisor", 200)])
def test_swaps_page_by_role(client, create_user, sign_in, role, status):
    sign_in(client, create_user(role))
    assert client.get("/roster/swaps").status_code == status


def test_seed_demo_makes_swaps_in_several_states(app, create_user, roster, freeze):
    freeze("2026-11-10 09:00")
    users = {}
    for name in ("presales", "presales2", "presales3", "presales4", "aftersales",
                 "aftersales2", "supervisor"):
        role = "".join(c for c in name if not c.isdigit())
        users[name] = create_user(role)
    pattern = ["day", "night", None]
    for n, name in enumerate(users):
        roster(users[name], {d: pattern[(d + n) % 3] for d in range(1, 31)})
    with app.test_request_context():
        counts = swaps.seed_demo(users)
    db.session.commit()
    assert counts["shift swaps"] == 3
    assert set(db.session.scalars(sa.select(SwapRequest.status))) == {
        "requested", "accepted", "approved"}
    assert counts["overtime records"] >= 1
