"""The handover book's rules, without HTTP (R-H1..R-H6)."""

from datetime import date

import pytest
import sqlalchemy as sa

from portal.actions import Conflict
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.handover import services as svc
from portal.handover.models import HandoverAck, HandoverItem, HandoverRevision
from portal.notifications.models import Notification
from portal.shifts.slots import Slot
from tests.conftest import count_rows


def slot(types, day: str, code: str) -> Slot:
    return Slot.of(date.fromisoformat(day), types[code])


def actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


# --- which shift ---------------------------------------------------------------------------


def test_an_item_belongs_to_the_shift_it_is_written_in(create_user, write, shift_types):
    # R-H1: written on the day shift, addressed to the night shift of the same date
    item = write(create_user("presales"), at="2026-11-22 15:50")
    assert (item.shift_date, item.shift_type.code) == (date(2026, 11, 22), "day")
    assert item in svc.waiting_items("desk", slot(shift_types, "2026-11-22", "night"))
    assert item not in svc.waiting_items("desk", slot(shift_types, "2026-11-22", "day"))


def test_the_night_shift_hands_to_the_next_days_day_shift(create_user, write, shift_types):
    # R-S1, R-H3: 16:00-24:00 belongs wholly to its date; nothing spills into the next one
    author = create_user("aftersales")
    late = write(author, at="2026-11-22 23:59")
    overtime = write(author, at="2026-11-23 00:30")  # R-S3: kept past 24:00 by a customer
    for item in (late, overtime):
        assert (item.shift_date, item.shift_type.code) == (date(2026, 11, 22), "night")
    next_day = slot(shift_types, "2026-11-23", "day")
    assert svc.waiting_items("desk", next_day) == [late, overtime]
    assert count_rows(HandoverItem, HandoverItem.shift_date == date(2026, 11, 23)) == 0


def test_reading_before_the_shift_starts_reads_for_that_shift(create_user, freeze, shift_types):
    user = create_user("presales")
    freeze("2026-11-23 07:45")
    reading, writing = svc.acting_slots(user)
    assert reading == slot(shift_types, "2026-11-23", "day")
    assert writing == slot(shift_types, "2026-11-22", "night")


def test_items_are_carried_to_every_following_shift_until_closed(create_user, write, freeze,
                                                                 shift_types):
    # R-H3
    item = write(create_user("presales"), at="2026-11-21 10:00")
    for day, code in [("2026-11-21", "night"), ("2026-11-22", "day"), ("2026-11-22", "night"),
                      ("2026-11-23", "day")]:
        assert item in svc.waiting_items("desk", slot(shift_types, day, code))
    freeze("2026-11-22 10:00")
    owner = create_user("aftersales")
    svc.take_over(owner, item, item.version)
    svc.close(owner, item, "已退款", item.version)
    assert svc.waiting_items("desk", slot(shift_types, "2026-11-22", "night")) == []
    assert svc.shifts_between(svc.slot_of(item), slot(shift_types, "2026-11-23", "day"),
                              [shift_types["day"], shift_types["night"]]) == 4


# --- writing -------------------------------------------------------------------------------


def test_writing_keeps_the_problem_case_fields_and_is_audited(create_user, write):
    # R-H4
    item = write(create_user("aftersales"), category="aftersales_case", priority="urgent",
                 text="内胆有划痕", order_no="TB1", customer_ref="c-9",
                 purchase_date=date(2026, 11, 10), return_tracking="SF123",
                 customer_request="换货")
    assert (item.order_no, item.customer_ref, item.return_tracking) == ("TB1", "c-9", "SF123")
    assert item.purchase_date == date(2026, 11, 10) and item.priority == "urgent"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "handover.created"))
    assert event.target_id == str(item.id) and event.changes["text"] == [None, "内胆有划痕"]


@pytest.mark.parametrize(("fields", "field"), [
    ({"text": "   "}, "text"),
    ({"category": "gossip"}, "category"),
    ({"purchase_date": date(2026, 11, 23)}, "purchase_date"),
    ({"priority": "panic"}, "priority"),
])
def test_bad_input_is_refused_and_nothing_saved(create_user, write, fields, field):
    with pytest.raises(svc.HandoverError) as refused:
        write(create_user("presales"), at="2026-11-22 10:00", **fields)
    assert refused.value.field == field
    assert count_rows(HandoverItem) == 0


def test_desk_staff_cannot_write_the_showroom_book_and_reception_not_the_desks(create_user, write):
    # R-H5
    with pytest.raises(svc.HandoverError):
        write(create_user("presales"), book="showroom")
    with pytest.raises(svc.HandoverError):
        write(create_user("reception"), book="desk")
    with pytest.raises(svc.HandoverError):
        write(create_user("manager"), book="desk")
    assert write(create_user("reception"), book="showroom").book == "showroom"


# --- reading -------------------------------------------------------------------------------


def test_signing_records_name_time_and_shift(create_user, write, freeze, shift_types):
    # R-H2 签字确认
    item = write(create_user("presales"), at="2026-11-22 15:00")
    night = slot(shift_types, "2026-11-22", "night")
    assert svc.unsigned_count("desk", night) == 1
    freeze("2026-11-22 16:05")
    reader = create_user("presales")
    ack = svc.sign(reader, item)
    assert (ack.user_id, ack.kind, ack.shift_date, ack.shift_type_id) == (
        reader.id, "signed", date(2026, 11, 22), shift_types["night"].id)
    db.session.refresh(ack)  # as stored (the commit keeps the loaded, local moment)
    assert ack.at.hour == 8 and ack.at.minute == 5  # 16:05 in Shanghai, stored as UTC
    assert svc.unsigned_count("desk", night) == 0
    svc.sign(reader, item)  # twice: nothing more
    assert count_rows(HandoverAck) == 1
    # carried to the next shift, which signs it again (R-H3)
    assert svc.unsigned_count("desk", slot(shift_types, "2026-11-23", "day")) == 1
    assert "handover.signed" in actions()


def test_the_writing_shift_does_not_sign_its_own_items(create_user, write):
    item = write(create_user("presales"), at="2026-11-22 10:00")
    with pytest.raises(svc.HandoverError):
        svc.sign(create_user("presales"), item)


def test_taking_over_makes_an_owner_and_tells_the_author(create_user, write, freeze):
    # R-H2 继续跟进
    author = create_user("presales")
    item = write(author, at="2026-11-22 15:00")
    freeze("2026-11-22 16:10")
    taker = create_user("aftersales")
    svc.take_over(taker, item, item.version)
    assert item.owner_id == taker.id and item.taken_over_at is not None
    assert count_rows(HandoverAck, HandoverAck.kind == "taken_over") == 1
    assert count_rows(Notification, Notification.user_id == author.id) == 1
    event = db.session.scalar(sa.select(AuditEvent)
                              .where(AuditEvent.action == "handover.taken_over"))
    assert event.changes == {"owner": [None, taker.display_name]}


def test_the_second_of_two_taking_over_at_once_gets_a_conflict(create_user, write, freeze):
    item = write(create_user("presales"), at="2026-11-22 15:00")
    seen = item.version
    freeze("2026-11-22 16:10")
    first, second = create_user("aftersales"), create_user("presales")
    svc.take_over(first, item, seen)
    db.session.commit()  # the first request's end (the runner commits)
    with pytest.raises(Conflict):
        svc.take_over(second, item, seen)
    db.session.rollback()
    db.session.refresh(item)
    assert item.owner_id == first.id
    assert count_rows(HandoverAck, HandoverAck.user_id == second.id) == 0


def test_the_services_write_nothing_the_runner_does_not_commit(create_user, write, freeze):
    """Services flush; the runner commits once per request, so a rollback undoes them."""
    item = write(create_user("presales"), at="2026-11-22 15:00")
    db.session.commit()
    freeze("2026-11-22 17:00")
    taker = create_user("aftersales")
    db.session.commit()
    svc.sign(taker, item)
    svc.take_over(taker, item, item.version)
    svc.edit(item.author, item, "改过的文字", item.version)
    svc.close(taker, item, "已补发", item.version)
    db.session.rollback()
    db.session.refresh(item)
    assert (item.status, item.owner_id, item.text) == ("open", None, "客户要求修改地址")
    assert count_rows(HandoverAck) == count_rows(HandoverRevision) == 0
    assert count_rows(AuditEvent, AuditEvent.action != "handover.created") == 0


def test_the_card_drawn_after_a_take_over_names_the_new_owner(create_user, write, freeze):
    """Issue 15 item 5: the item object (which the card is drawn from) names the new owner
    and who closed it, not the ones it was loaded with."""
    item = write(create_user("reception"), at="2026-11-22 10:00", book="showroom")
    freeze("2026-11-22 17:00")
    first = create_user("reception", display_name="晚班前台")
    svc.take_over(first, item, item.version)
    db.session.commit()
    freeze("2026-11-23 09:00")
    second = create_user("reception", display_name="早班前台")
    svc.take_over(second, item, item.version)
    assert item.owner is second and item.owner.display_name == "早班前台"
    svc.close(second, item, "已修好", item.version)
    assert item.closed_by is second


# --- closing and correcting ----------------------------------------------------------------


def test_only_the_owner_or_a_supervisor_closes_and_a_resolution_is_required(create_user, write,
                                                                          freeze):
    # R-H3
    item = write(create_user("presales"), at="2026-11-22 15:00")
    freeze("2026-11-22 17:00")
    owner, other = create_user("aftersales"), create_user("presales")
    with pytest.raises(svc.HandoverError):
        svc.close(owner, item, "done", item.version)  # not the owner yet
    svc.take_over(owner, item, item.version)
    db.session.commit()  # the request's end (the runner commits)
    with pytest.raises(svc.HandoverError):
        svc.close(other, item, "done", item.version)
    with pytest.raises(svc.HandoverError) as empty:
        svc.close(owner, item, "  ", item.version)
    assert empty.value.field == "resolution"
    db.session.rollback()
    svc.close(owner, item, "已补发", item.version)
    assert (item.status, item.resolution, item.closed_by_id) == ("closed", "已补发", owner.id)
    assert "handover.closed" in actions()


def test_a_supervisor_closes_any_item_and_the_owner_is_told(create_user, write, freeze):
    item = write(create_user("presales"), at="2026-11-22 15:00")
    freeze("2026-11-22 17:00")
    owner = create_user("aftersales")
    svc.take_over(owner, item, item.version)
    svc.close(create_user("supervisor"), item, "主管已处理", item.version)
    assert item.status == "closed"
    assert count_rows(Notification, Notification.user_id == owner.id) == 1
    with pytest.raises(svc.HandoverError):
        svc.close(create_user("manager"), write(create_user("presales")), "x", 1)


def test_a_correction_keeps_the_earlier_text(create_user, write):
    # R-H6: nothing is deleted
    author = create_user("presales")
    item = write(author, text="第一稿")
    svc.edit(author, item, "第二稿", item.version)
    svc.edit(author, item, "第三稿", item.version)
    assert item.text == "第三稿"
    revisions = db.session.scalars(sa.select(HandoverRevision.text_before)
                                   .order_by(HandoverRevision.id)).all()
    assert revisions == ["第一稿", "第二稿"]
    assert svc.item_history(item)["revisions"][0].text_before == "第一稿"
    with pytest.raises(svc.HandoverError):
        svc.edit(create_user("presales"), item, "别人改", item.version)  # only the author
    with pytest.raises(Conflict):
        svc.edit(author, item, "旧版本", item.version - 1)


# --- history and attention -----------------------------------------------------------------


def test_history_searches_text_order_and_customer_and_filters(create_user, write):
    author, other = create_user("presales"), create_user("aftersales")
    a = write(author, at="2026-11-20 10:00", text="投影仪遥控器没电", category="equipment")
    b = write(other, at="2026-11-21 10:00", text="退货", order_no="TB77", customer_ref="wang")
    write(author, at="2026-11-22 10:00", text="别的", book="desk")

    def ids(**filters):
        page = svc.history_page(svc.history_query("desk", **filters))
        return [item.id for item in page.items]

    assert ids(q="遥控器") == [a.id]
    assert ids(q="TB77") == [b.id]
    assert ids(q="wang") == [b.id]
    assert ids(q="100%") == []
    assert ids(category="equipment") == [a.id]
    assert ids(author_id=other.id) == [b.id]
    assert ids(date_from=date(2026, 11, 21), date_to=date(2026, 11, 21)) == [b.id]
    assert len(ids(status="open")) == 3 and ids(status="closed") == []
    assert len(ids(status="unsigned")) == 3
    assert svc.history_page(svc.history_query("showroom")).items == []


def test_history_pages_by_keyset_without_gaps_or_repeats(create_user, write):
    author = create_user("presales")
    made = [write(author, at=f"2026-11-{day:02d} 10:00", text=f"第{day}天").id
            for day in range(1, 13)]
    query = svc.history_query("desk")
    first = svc.history_page(query, per_page=5)
    second = svc.history_page(query, before=first.older, per_page=5)
    third = svc.history_page(query, before=second.older, per_page=5)
    seen = [i.id for page in (first, second, third) for i in page.items]
    assert seen == list(reversed(made))
    assert first.newer is None and third.older is None
    back = svc.history_page(query, after=second.newer, per_page=5)
    assert [i.id for i in back.items] == [i.id for i in first.items]


def test_supervisor_attention_lists_late_unsigned_and_long_open_items(create_user, write,
                                                                     freeze):
    author = create_user("presales")
    old = write(author, at="2026-11-18 10:00", text="四天前")
    fresh = write(author, at="2026-11-22 10:00", text="刚写")
    signed = write(author, at="2026-11-21 10:00", text="已签")
    freeze("2026-11-21 17:00")
    svc.sign(create_user("presales"), signed)
    freeze("2026-11-22 17:00")  # night shift; the day item's receiving shift is under way
    attention = svc.supervisor_attention()
    assert [i.id for i in attention["unsigned"]] == [old.id]
    assert attention["unsigned_count"] == 1
    assert [i.id for i in attention["stale"]] == [old.id]
    assert fresh not in attention["unsigned"]
    freeze("2026-11-23 09:00")  # the night shift has passed: the day item is late now
    assert {i.id for i in svc.supervisor_attention()["unsigned"]} == {old.id, fresh.id}
