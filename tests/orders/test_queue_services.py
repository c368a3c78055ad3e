"""The queue's read side without HTTP: review order with tasks first, a page's remarks, the
16:30 cut-off and the orders that missed it (R-O5), overdue orders (R-O10), and printing a
selection as the clerk saw it."""

from datetime import datetime

import pytest

from portal import clock
from portal.actions import Conflict
from portal.orders import orders as svc
from portal.orders import queue
from portal.orders import remarks as remark_svc
from portal.rules import RuleError


def numbers(orders):
    return [order.order_no for order in orders]


@pytest.fixture
def three(make_order, presales, freeze):
    """A (tmall, 09:00, ¥176), B (distributor, 10:00, ¥176), D (tmall, 10:30, ¥880), C
    (taobao, 11:00, printed, with an address change: an open task); now 2026-11-22 14:00."""
    a = make_order("paid", paid="2026-11-22 09:00", order_no="A")
    b = make_order("paid", paid="2026-11-22 10:00", order_no="B", platform="distributor")
    make_order("paid", paid="2026-11-22 10:30", order_no="D", lines=(("TEA-01", 10),))
    c = make_order("printed", paid="2026-11-22 11:00", order_no="C", platform="taobao")
    freeze("2026-11-22 11:30")
    remark_svc.add(presales, c, c.version, "address", receiver_address="上海市 新地址 8 号")
    freeze("2026-11-22 14:00")
    return a, b, c


@pytest.mark.parametrize(("sort", "expected"), [
    ("fifo", ["C", "A", "B", "D"]),
    ("large", ["C", "D", "A", "B"]),
    ("urgent", ["C", "B", "A", "D"]),
    ("nonsense", ["C", "A", "B", "D"]),
])
def test_review_order_puts_tasks_first(three, sort, expected):
    assert numbers(queue.queue_page(sort).items) == expected


def test_filters_and_stages(three, make_order, freeze):
    make_order("shipped", paid="2026-11-22 08:00", order_no="GONE")
    make_order("awaiting_payment", paid="2026-11-22 08:00", order_no="UNPAID")
    freeze("2026-11-22 14:00")
    assert numbers(queue.queue_page().items) == ["C", "A", "B", "D"]
    assert numbers(queue.queue_page(platform="distributor").items) == ["B"]
    assert queue.queue_page(flag="red").items == []


def test_pages_of_twenty(make_order, freeze):
    for n in range(22):
        make_order("paid", paid=f"2026-11-22 09:{n:02d}")
    freeze("2026-11-22 14:00")
    first, second = queue.queue_page(page=1), queue.queue_page(page=2)
    assert (first.total, first.pages, len(first.items), len(second.items)) == (22, 2, 20, 2)
    assert first.has_next and not second.has_next and second.has_prev
    assert queue.queue_page(page=99).page == 2  # past the end: the last page


def test_remark_summaries_count_and_keep_the_last(three, presales, freeze, app):
    a, b, c = three
    remark_svc.add(presales, a, a.version, "invoice", "杭州某公司")
    remark_svc.add(presales, a, a.version, "card", "生日快乐")
    summaries = queue.remark_summaries([a.id, b.id, c.id])
    assert summaries[a.id].count == 2 and summaries[a.id].last.details == "生日快乐"
    assert summaries[c.id].count == 1 and b.id not in summaries


def test_open_tasks_oldest_first(three):
    (task,) = queue.open_tasks()
    assert task.order.order_no == "C" and task.kind == "correct_slip"
    assert task.remark.kind == "address" and queue.open_task_count() == 1


def test_cutoff_counts_down(freeze):
    freeze("2026-11-22 15:18")
    cut = queue.cutoff()
    assert not cut.passed and (cut.hours, cut.minutes) == (1, 12)
    assert cut.deadline == datetime(2026, 11, 22, 16, 30, tzinfo=clock.get_clock().tz)
    freeze("2026-11-22 16:29:30")
    assert queue.cutoff().minutes_left == 1


def test_cutoff_follows_the_setting(app, monkeypatch, freeze):
    monkeypatch.setitem(app.config, "ORDERS_SHIP_CUTOFF", "17:00")
    freeze("2026-11-22 16:45")
    assert queue.cutoff().minutes_left == 15


def test_after_the_cutoff_the_missed_orders(make_order, freeze):
    missed = make_order("printed", paid="2026-11-22 10:00", order_no="MISSED")
    make_order("paid", paid="2026-11-22 16:10", order_no="LATE-PAY")
    make_order("paid", paid="2026-11-22 11:00", order_no="NO-STOCK", lines=(("POT-03", 1),))
    make_order("shipped", paid="2026-11-22 09:00", order_no="SHIPPED")
    make_order("paid", paid="2026-11-21 10:00", order_no="YESTERDAY")
    freeze("2026-11-22 16:31")
    cut = queue.cutoff()
    assert cut.passed and cut.minutes_left == 0
    assert numbers(cut.missed) == ["MISSED"] and cut.missed[0].id == missed.id
    freeze("2026-11-22 16:00")
    assert queue.cutoff().missed == []


def test_overdue_after_three_days(make_order, freeze):
    make_order("packed", paid="2026-11-18 10:00", order_no="OLD")
    make_order("paid", paid="2026-11-17 09:00", order_no="OLDER")
    make_order("paid", paid="2026-11-20 10:00", order_no="RECENT")
    make_order("shipped", paid="2026-11-10 10:00", order_no="SHIPPED")
    freeze("2026-11-22 10:30")
    overdue = queue.overdue()
    assert numbers(overdue) == ["OLDER", "OLD"] and svc.overdue_count() == 2
    assert [queue.age_days(order) for order in overdue] == [5, 4]
    assert numbers(queue.overdue(limit=1)) == ["OLDER"]


def test_print_selection_prints_the_versions_seen(three, clerk):
    a, b, c = three
    printed = queue.print_selection(clerk, [(a.id, a.version), (c.id, c.version)])
    assert [o.stage for o in printed] == ["printed", "printed"]  # C: a reprint


def test_print_selection_refuses_a_stale_order(three, clerk, presales):
    a, b, c = three
    seen = a.version
    svc.set_flag(clerk, a, a.version, "yellow")
    with pytest.raises(Conflict) as caught:
        queue.print_selection(clerk, [(b.id, b.version), (a.id, seen)])
    assert caught.value.record == [a]
    assert b.stage == "paid"  # nothing printed


@pytest.mark.parametrize("selection", [[], [(999999, 1)]])
def test_print_selection_needs_real_orders(clerk, selection):
    with pytest.raises(RuleError):
        queue.print_selection(clerk, selection)


def test_slips_keep_the_order_asked_and_all_remarks(three, presales):
    a, b, c = three
    remark_svc.add(presales, a, a.version, "card", "生日快乐")
    orders, remarks = queue.slips([c.id, a.id, c.id, 999999])
    assert numbers(orders) == ["C", "A"]
    assert [r.kind for r in remarks[c.id]] == ["address"]
    assert [r.details for r in remarks[a.id]] == ["生日快乐"]
