"""The visitor log's rules without HTTP: phones, arrivals, serving, departures, lists."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from portal.actions import Conflict
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.reception import visitors as svc
from portal.reception.models import Serving, Visit
from tests.conftest import count_rows

# --- phones (R-R6) ---------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "stored"), [
    ("13812341234", "13812341234"),
    ("138 1234 1234", "13812341234"),
    ("138-1234-1234", "13812341234"),
    ("+86 13812341234", "13812341234"),
    ("0571-88886666", "0571-88886666"),
    ("057188886666", "0571-88886666"),
    ("010-12345678", "010-12345678"),
    ("010-12345678-123", "010-12345678-123"),
    ("0571-88886666转8001", "0571-88886666-8001"),
    ("", None),
    (None, None),
])
def test_phone_numbers_are_normalised(raw, stored):
    assert svc.normalise_phone(raw) == stored


@pytest.mark.parametrize("raw", ["12812341234", "1381234123", "138123412345", "abc",
                                 "88886666", "0571-123", "138****1234"])
def test_bad_phone_numbers_are_refused_with_a_clear_message(raw):
    with pytest.raises(svc.VisitError) as error:
        svc.normalise_phone(raw)
    assert error.value.field == "phone" and "0571-88886666" in error.value.message


def test_mask_phone():
    assert svc.mask_phone("13812341234") == "138****1234"
    assert svc.mask_phone("0571-88886666") == "0571-****6666"
    assert svc.mask_phone("010-12345678-123") == "010-*******5678" or \
        svc.mask_phone("010-12345678-123").endswith("8123")
    assert "8888" not in svc.mask_phone("0571-88886666")
    assert svc.mask_phone(None) == "" and svc.mask_phone("") == ""


def test_phones_in_full_only_with_the_personal_permission(create_user):
    assert svc.shown_phone("13812341234", create_user("reception")) == "13812341234"
    assert svc.shown_phone("13812341234", create_user("supervisor")) == "13812341234"
    assert svc.shown_phone("13812341234", create_user("presales")) == "138****1234"
    assert svc.shown_name("王先生", create_user("presales")) == "王**"


# --- arrivals --------------------------------------------------------------------------------


def test_an_arrival_is_logged_and_audited(arrive, consultant):
    visit = arrive(phone="138 1234 1234", visitor_name="王先生", note="看三居室")
    assert visit.day == date(2026, 11, 22) and visit.left_at is None
    assert visit.phone == "13812341234" and visit.consultant_id == consultant.id
    event = db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == "reception.visit_arrived"))
    assert event.target_id == str(visit.id)
    assert "13812341234" not in str(event.changes)  # personal data stays out of the trail


def test_an_arrival_may_name_a_consultant_who_is_no_account(arrive):
    visit = arrive(consultant_name="外援小李")
    assert visit.consultant_id is None and svc.consultant_display(visit) == "外援小李"


def test_the_arrival_time_may_be_corrected_but_not_in_the_future(arrive, freeze):
    visit = arrive(at="2026-11-22 09:30", arrived_at=datetime(2026, 11, 22, 9, 5))
    assert svc.minutes_in_showroom(visit) == 25
    with pytest.raises(svc.VisitError) as error:
        arrive(at="2026-11-22 09:30", arrived_at=datetime(2026, 11, 22, 10, 0))
    assert error.value.field == "arrived_at"


@pytest.mark.parametrize(("fields", "field"), [
    ({"party_size": 0}, "party_size"),
    ({"party_size": 51}, "party_size"),
    ({"purpose": "shopping"}, "purpose"),
    ({"source": "tv"}, "source"),
    ({"phone": "12345"}, "phone"),
])
def test_bad_arrivals_change_nothing(arrive, fields, field):
    with pytest.raises(svc.VisitError) as error:
        arrive(**fields)
    assert error.value.field == field
    db.session.rollback()
    assert count_rows(Visit) == 0


def test_an_inactive_consultant_is_refused(arrive, create_user):
    gone = create_user("presales", active=False)
    with pytest.raises(svc.VisitError) as error:
        arrive(consultant_id=gone.id)
    assert error.value.field == "consultant_id"


# --- serving ---------------------------------------------------------------------------------


def test_serving_records_items_and_quantities(arrive, menu, receptionist):
    visit = arrive()
    svc.serve(receptionist, visit, {menu["矿泉水"].id: 2})
    svc.serve(receptionist, visit, {menu["饼干"].id: 1})
    assert [(s.menu_item.name, s.quantity) for s in visit.servings] == [("矿泉水", 2), ("饼干", 1)]
    assert count_rows(AuditEvent, AuditEvent.action == "reception.visit_served") == 2


@pytest.mark.parametrize(("item", "quantity", "field"), [
    (999999, 1, "item_999999"), ("x", 1, None), ("可乐", 0, None), ("可乐", None, None),
    ("可乐", 21, "item_{id}"), ("可乐", -1, "item_{id}"), ("可乐", "x", "item_{id}")])
def test_bad_servings_are_refused(arrive, menu, receptionist, item, quantity, field):
    visit = arrive()
    menu_id = menu[item].id if item in menu else item
    with pytest.raises(svc.VisitError) as error:
        svc.serve(receptionist, visit, {menu_id: quantity})
    assert error.value.field == (field.format(id=menu_id) if field else None)
    db.session.rollback()
    assert count_rows(Serving) == 0


def test_a_whole_order_is_served_at_once(arrive, menu, receptionist):
    """Issue 15 item 14: a party of four orders two waters, a cola and biscuits: one submit,
    one serving per item, none for the items left at 0."""
    visit = arrive(party_size=4)
    servings = svc.serve(receptionist, visit, {menu["矿泉水"].id: 2, menu["可乐"].id: "1",
                                               menu["饼干"].id: 1, 999999: 0})
    assert [(s.menu_item.name, s.quantity) for s in servings] == \
        [("矿泉水", 2), ("可乐", 1), ("饼干", 1)]
    assert [(s.menu_item.name, s.quantity) for s in visit.servings] == \
        [("矿泉水", 2), ("可乐", 1), ("饼干", 1)]
    assert count_rows(AuditEvent, AuditEvent.action == "reception.visit_served") == 3


def test_one_refused_item_serves_nothing_of_the_order(arrive, menu, receptionist, fridge_item,
                                                      monkeypatch):
    """Two drinks drawing on one fridge count are summed: 2 + 2 of 3 left is refused, next to
    the first of them, and the water ordered with them is not served either."""
    from portal.reception import menu as menu_svc

    cola = menu["可乐"]
    zero = menu_svc.add_item(receptionist, name="零度可乐", stock_item_id=fridge_item.id)
    cola.stock_item_id = fridge_item.id
    db.session.commit()
    monkeypatch.setattr(svc, "_fridge_stock", lambda day: {fridge_item.id: 3})
    visit = arrive()
    with pytest.raises(svc.VisitError) as error:
        svc.serve(receptionist, visit, {menu["矿泉水"].id: 1, cola.id: 2, zero.id: 2})
    assert error.value.field == f"item_{cola.id}" and error.value.params["left"] == 3
    db.session.rollback()
    assert count_rows(Serving) == 0
    assert len(svc.serve(receptionist, visit, {cola.id: 2, zero.id: 1})) == 2


def test_an_inactive_menu_item_cannot_be_served(arrive, menu, receptionist):
    from portal.reception import menu as menu_svc

    cola = menu["可乐"]
    menu_svc.update_item(receptionist, cola, version=cola.version, name="可乐", kind="drink",
                         active=False)
    with pytest.raises(svc.VisitError):
        svc.serve(receptionist, arrive(), {cola.id: 1})


def test_a_party_that_left_is_not_served(arrive, menu, receptionist):
    """Someone marked the party as left first: a Conflict (the row answers its state)."""
    visit = arrive()
    svc.depart(receptionist, visit, visit.version)
    with pytest.raises(Conflict):
        svc.serve(receptionist, visit, {menu["可乐"].id: 1})
    assert count_rows(Serving) == 0


def test_a_drink_cannot_take_the_fridge_below_zero(arrive, menu, receptionist, fridge_item,
                                                   monkeypatch):
    cola = menu["可乐"]
    cola.stock_item_id = fridge_item.id
    db.session.commit()
    stock = {fridge_item.id: 3}
    monkeypatch.setattr(svc, "_fridge_stock", lambda day: stock)
    visit = arrive()
    svc.serve(receptionist, visit, {cola.id: 3})
    stock[fridge_item.id] = 0
    with pytest.raises(svc.VisitError) as error:
        svc.serve(receptionist, visit, {cola.id: 1})
    assert error.value.field == f"item_{cola.id}" and error.value.params["left"] == 0
    # a drink not yet counted today is served freely
    stock.clear()
    svc.serve(receptionist, visit, {cola.id: 1})


def test_the_fridge_stock_module_draws_down(arrive, menu, receptionist, fridge_item):
    """With the checklist's stock module: a morning count of 2 allows two colas."""
    stock = pytest.importorskip("portal.reception.stock")
    from portal import clock
    from portal.reception.models import ChecklistDay, ChecklistMark

    visit = arrive()
    day = ChecklistDay(day=clock.today())
    db.session.add(day)
    db.session.flush()
    db.session.add(ChecklistMark(checklist_id=day.id, item_id=fridge_item.id, status="ok",
                                 quantity=2, marked_by_id=receptionist.id))
    cola = menu["可乐"]
    cola.stock_item_id = fridge_item.id
    db.session.commit()
    svc.serve(receptionist, visit, {cola.id: 2})
    assert stock.fridge_stock(clock.today())[fridge_item.id] == 0
    with pytest.raises(svc.VisitError):
        svc.serve(receptionist, visit, {cola.id: 1})


# --- departures ------------------------------------------------------------------------------


def test_departure_is_recorded_once(arrive, receptionist, freeze, create_user):
    visit = arrive()
    seen = visit.version
    freeze("2026-11-22 10:15")
    svc.depart(receptionist, visit, seen)
    first = visit.left_at
    assert svc.minutes_in_showroom(visit) == 45
    freeze("2026-11-22 10:16")
    with pytest.raises(Conflict):
        svc.depart(create_user("reception"), visit, seen)
    db.session.refresh(visit)
    assert visit.left_at == first
    assert count_rows(AuditEvent, AuditEvent.action == "reception.visit_departed") == 1


def test_two_sessions_racing_to_mark_the_same_party_one_wins(app, arrive, receptionist, db):
    """The loser's UPDATE ... WHERE version = n finds no row: StaleDataError at the service's
    flush (the runner answers it 409), not a second time."""
    visit = arrive()
    seen = visit.version
    # someone else marked it left in the meantime, behind this session's back
    db.session.execute(sa.update(Visit).where(Visit.id == visit.id).values(
        left_at=datetime(2026, 11, 22, 2, 0, tzinfo=UTC), version=seen + 1)
        .execution_options(synchronize_session=False))
    # the session still holds the stale row (left_at None, version seen)
    assert visit.left_at is None
    with pytest.raises(StaleDataError):
        svc.depart(receptionist, visit, seen)


def test_a_departure_can_be_corrected_but_not_before_the_arrival(arrive, receptionist, freeze):
    visit = arrive(at="2026-11-22 09:30")
    freeze("2026-11-22 11:00")
    svc.depart(receptionist, visit, visit.version)
    svc.correct_departure(receptionist, visit, datetime(2026, 11, 22, 10, 40), visit.version)
    assert svc.minutes_in_showroom(visit) == 70
    db.session.commit()  # as the runner would: the refusals below roll back to here
    with pytest.raises(svc.VisitError) as error:
        svc.correct_departure(receptionist, visit, datetime(2026, 11, 22, 9, 0), visit.version)
    assert error.value.field == "left_at"
    db.session.rollback()
    with pytest.raises(svc.VisitError):
        svc.correct_departure(receptionist, visit, datetime(2026, 11, 22, 12, 0), visit.version)
    db.session.rollback()
    with pytest.raises(Conflict):
        svc.correct_departure(receptionist, visit, datetime(2026, 11, 22, 10, 50), 1)


# --- lists -----------------------------------------------------------------------------------


def test_the_board_today_and_returning_visitors(arrive, receptionist, freeze, create_user,
                                                mark_consultant):
    other = mark_consultant(create_user("presales", display_name="周婷"))
    earlier = arrive(at="2026-10-05 14:00", phone="13900001111", consultant_id=other.id)
    svc.depart(receptionist, earlier, earlier.version)
    a = arrive(at="2026-11-22 09:00", purpose="signing", source="referral")
    b = arrive(at="2026-11-22 09:20", phone="139-0000-1111", party_size=3)
    svc.depart(receptionist, a, a.version)
    assert svc.in_showroom() == [b]
    today = svc.day_list()
    assert today.visits == [b, a] and today.people == 5
    assert today.by_purpose == {"viewing": 1, "signing": 1}
    assert today.by_source == {"walk_in": 1, "referral": 1}
    found = svc.earlier_visits("13900001111", exclude_id=b.id)
    assert found == [earlier] and svc.consultant_display(found[0]) == "周婷"


def test_history_filters_and_keyset_pages(arrive, consultant, create_user, mark_consultant):
    other = mark_consultant(create_user("presales"))
    made = [arrive(at=f"2026-11-{day:02d} 10:00", consultant_id=other.id if day % 2 else
                   consultant.id, purpose="signing" if day % 3 == 0 else "viewing")
            for day in range(1, 13)]
    query = svc.history_query(date_from=date(2026, 11, 3), date_to=date(2026, 11, 10))
    first = svc.history_page(query, per_page=3)
    assert [v.day.day for v in first.items] == [10, 9, 8] and first.older and not first.newer
    second = svc.history_page(query, before=first.older, per_page=3)
    assert [v.day.day for v in second.items] == [7, 6, 5] and second.newer
    back = svc.history_page(query, after=second.newer, per_page=3)
    assert [v.day.day for v in back.items] == [10, 9, 8]
    signing = svc.history_page(svc.history_query(purpose="signing", consultant=str(other.id)))
    assert [v.day.day for v in signing.items] == [9, 3]
    assert len(made) == 12


def test_history_orders_by_arrival_within_a_day(arrive, receptionist):
    late = arrive(at="2026-11-22 15:00")
    early = arrive(at="2026-11-22 09:00")  # logged afterwards (a higher id)
    page = svc.history_page(svc.history_query(), per_page=1)
    assert page.items == [late]
    assert svc.history_page(svc.history_query(), before=page.older, per_page=1).items == [early]
    assert svc.decode_cursor("not-a-cursor") is None
