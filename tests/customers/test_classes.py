"""Value classes (issue 17 item 3): the eight RFM cells at their boundaries, the preview that
equals what saving gives, the recompute after each order and the nightly set-based one, the
explanation, the thresholds page (roles, fragments, conflicts, hostile figures)."""

import random
from datetime import datetime, time, timedelta
from decimal import Decimal
from itertools import count

import pytest
import sqlalchemy as sa

from portal import clock
from portal.aftersales.models import AfterSalesCase
from portal.customers import classes
from portal.customers.class_models import ClassThresholds
from portal.customers.models import Customer
from portal.extensions import db
from portal.orders.models import Order
from tests.conftest import today

HX = {"HX-Request": "true"}
NOW = "2026-11-22 10:00"
_numbers = count(1)

# recent: at most 30 days; frequent: 2 orders in the window; big: ¥500.00; window 365 days
LIMITS = classes.Limits(window_days=365, recency_days=30, frequency_orders=2,
                        money_amount=Decimal("500.00"))


@pytest.fixture
def limits(freeze):
    """The thresholds above, saved; the clock at NOW."""
    freeze(NOW)
    db.session.add(ClassThresholds(id=1, window_days=LIMITS.window_days,
                                   recency_days=LIMITS.recency_days,
                                   frequency_orders=LIMITS.frequency_orders,
                                   money_amount=LIMITS.money_amount, recomputed_version=1))
    db.session.commit()
    return LIMITS


def _at(days_ago: int) -> datetime:
    """Local 09:00 of the day ``days_ago`` calendar days before NOW's."""
    return datetime.combine(clock.today() - timedelta(days=days_ago), time(9),
                            clock.get_clock().tz)


def order(buyer: str, days_ago: int, amount: str, stage: str = "paid", **fields) -> Order:
    """An order of ``buyer`` made ``days_ago`` days ago (the attach listener finds or makes
    the customer; the flush recomputes its class)."""
    fields.setdefault("receiver_phone", f"139{abs(hash(buyer)) % 10**8:08d}")
    made = Order(platform="tmall", order_no=f"C{next(_numbers):08d}", buyer_id=buyer,
                 receiver_name="顾客", receiver_address="浙江省杭州市西湖区文三路 1 号",
                 amount=Decimal(amount), payment="online", stage=stage,
                 created_at=_at(days_ago), **fields)
    db.session.add(made)
    db.session.flush()
    return made


def _class(customer_id: int) -> str | None:
    return db.session.scalar(sa.select(Customer.value_class).where(Customer.id == customer_id))


# --- the eight cells, at their boundaries ----------------------------------------------------

CELL_CASES = [(r, f, m) for r in (True, False) for f in (True, False) for m in (True, False)]


@pytest.mark.parametrize(("recent", "frequent", "big"), CELL_CASES)
def test_each_of_the_eight_cells_at_its_boundary(limits, recent, frequent, big):
    """30 days ago is recent, 31 is not; 2 orders are frequent, 1 is not; ¥500.00 is big,
    ¥499.99 is not."""
    last = 30 if recent else 31
    total = Decimal("500.00") if big else Decimal("499.99")
    if frequent:
        first = order("tb_cell", 200, str(total - Decimal("100.00")))
        order("tb_cell", last, "100.00")
    else:
        first = order("tb_cell", last, str(total))
    expected = classes.CELLS[(recent, frequent, big)]
    assert _class(first.customer_id) == expected
    # the nightly recompute and the preview agree with the one after the order
    classes.recompute_all()
    assert _class(first.customer_id) == expected
    assert classes.preview(limits)[expected] == 1


def test_the_eight_codes_are_the_classic_rfm_cells():
    assert set(classes.CELLS.values()) == set(classes.CLASSES)
    assert classes.CELLS[(True, True, True)] == "important_value"       # 重要价值
    assert classes.CELLS[(False, True, True)] == "important_keep"       # 重要保持
    assert classes.CELLS[(True, False, True)] == "important_develop"    # 重要发展
    assert classes.CELLS[(False, False, True)] == "important_retain"    # 重要挽留
    assert classes.CELLS[(False, False, False)] == "general_retain"     # 一般挽留


def test_the_window_counts_its_last_day_and_not_the_one_before(limits):
    inside = order("tb_window_in", 364, "300.00")
    order("tb_window_in", 1, "300.00")
    outside = order("tb_window_out", 365, "300.00")
    order("tb_window_out", 1, "300.00")
    assert _class(inside.customer_id) == "important_value"
    customer = db.session.get(Customer, outside.customer_id)
    assert (customer.order_count, customer.order_money) == (1, Decimal("300.00"))
    assert customer.value_class == "general_develop"


def test_cancelled_orders_do_not_count_and_a_customer_without_orders_has_no_class(limits):
    kept = order("tb_cancel", 3, "400.00")
    order("tb_cancel", 2, "400.00", stage="cancelled")
    assert _class(kept.customer_id) == "general_develop"  # one order, ¥400
    only = order("tb_only_cancelled", 2, "900.00", stage="cancelled")
    customer = db.session.get(Customer, only.customer_id)
    assert customer.value_class is None and customer.order_count == 0


# --- after each order ----------------------------------------------------------------------------


def test_an_order_written_or_changed_recomputes_its_customer_in_the_same_transaction(limits):
    first = order("tb_after", 40, "300.00")
    customer = db.session.get(Customer, first.customer_id)
    assert customer.value_class == "general_retain"  # 40 days ago, one order, ¥300
    order("tb_after", 1, "250.00")
    assert customer.value_class == "important_value"  # read again: the flush recomputed it
    assert (customer.order_count, customer.order_money) == (2, Decimal("550.00"))
    first.amount = Decimal("200.00")
    db.session.flush()
    assert customer.value_class == "general_value"  # ¥450 now
    first.stage = "cancelled"
    db.session.flush()
    assert customer.value_class == "general_develop"
    db.session.rollback()  # not committed: nothing of it stays
    assert db.session.get(Customer, first.customer_id) is None


def test_packing_or_shipping_does_not_recompute(limits, count_queries):
    made = order("tb_ship", 3, "100.00")
    with count_queries() as counter:
        made.stage = "printed"
        db.session.flush()
    assert not any("customers" in s.lower() for s in counter.statements if "UPDATE" in s)


def test_an_order_through_the_order_desk_classes_its_customer(make_order):
    made = make_order(buyer_id="tb_desk", lines=[("TEA-01", 3)])  # 3 × ¥88.00
    customer = db.session.get(Customer, made.customer_id)
    assert customer.value_class == "general_develop"  # defaults: 2 orders, ¥1,000 a year
    assert customer.order_money == Decimal("264.00")


def test_a_merged_customer_s_orders_count_for_the_survivor_and_undo_gives_them_back(limits):
    survivor = db.session.get(Customer, order("tb_keep", 2, "300.00").customer_id)
    absorbed = db.session.get(Customer, order("tb_gone", 5, "300.00").customer_id)
    absorbed.merged_into_id = survivor.id
    db.session.flush()
    assert survivor.value_class == "important_value" and survivor.order_count == 2
    assert absorbed.value_class is None
    absorbed.merged_into_id = None
    db.session.flush()
    assert survivor.value_class == "general_develop"
    assert absorbed.value_class == "general_develop"


# --- the nightly recompute ------------------------------------------------------------------------


def _random_orders(n_customers: int, seed: int = 7) -> list[int]:
    rng = random.Random(seed)
    ids = []
    for n in range(n_customers):
        made = None
        for _ in range(rng.randint(1, 4)):
            made = order(f"tb_rand{n}", rng.randint(0, 500), f"{rng.randint(1, 40000) / 100:.2f}",
                         stage=rng.choice(["paid", "shipped", "completed", "cancelled"]))
        ids.append(made.customer_id)
    return ids


def test_the_nightly_recompute_is_set_based_and_equals_the_per_customer_result(
        limits, count_queries):
    ids = _random_orders(40)
    stored = sa.select(Customer.id, Customer.value_class, Customer.order_count,
                       Customer.order_money, Customer.last_order_at).where(Customer.id.in_(ids))
    per_customer = {row.id: tuple(row) for row in db.session.execute(stored)}
    db.session.execute(sa.update(Customer).values(value_class="general_retain", order_count=9))
    with count_queries(like_bench=True) as counter:
        classed = classes.recompute_all()
    # (the thresholds,) one UPDATE … FROM, one reset, the counts rewritten (2), the
    # thresholds marked recomputed
    assert counter.count <= 6
    assert {row.id: tuple(row) for row in db.session.execute(stored)} == per_customer
    assert classed == sum(1 for row in per_customer.values() if row[1] is not None)
    assert classes.preview(limits) == classes.class_counts()
    assert classes.stored_counts() == {k: v for k, v in classes.class_counts().items() if k}


def test_the_command_recomputes_every_class(limits, runner):
    made = order("tb_cli", 3, "50.00")
    db.session.execute(sa.update(Customer).values(value_class=None))
    db.session.commit()
    result = runner.invoke(args=["portal", "customer-classes"])
    assert result.exit_code == 0, result.output
    assert "customers classed" in result.output
    assert _class(made.customer_id) == "general_develop"


# --- complaints, returns, the explanation ------------------------------------------------------


def test_complaints_and_returns_beside_the_class(limits, presales):
    made = order("tb_cases", 3, "50.00")
    for kind, category in (("return_refund", None), ("exchange", None),
                           ("quality", "quality"), ("logistics", "logistics"),
                           ("refund_only", None)):
        db.session.add(AfterSalesCase(type=kind, category=category, order=made,
                                      order_no=made.order_no, problem="问题",
                                      created_by_id=presales.id))
    db.session.flush()
    assert classes.case_counts([made.customer_id]) == {made.customer_id: (2, 2)}


def _explain_html(app, customer, locale):
    from flask import render_template

    with app.test_request_context(headers={"Accept-Language": locale}):
        from flask import session
        session["locale"] = locale
        return render_template("customers/classes/_explain.html", customer=customer)


def test_the_explanation_gives_the_figures_against_each_threshold(app, limits):
    order("tb_explain", 200, "1500.00")
    made = order("tb_explain", 12, "640.00")
    customer = db.session.get(Customer, made.customer_id)
    why = classes.explain(customer)
    assert (why.code, why.orders, why.money, why.days_ago) == (
        "important_value", 2, Decimal("2140.00"), 12)
    assert why.recent and why.frequent and why.big
    html = _explain_html(app, customer, "en")
    assert "Important value" in html
    assert "2 order(s) in 365 days, ¥2,140.00; last order 12 days ago (2026-11-10)." in html
    assert html.count('class="met"') == 3


def test_the_explanation_reads_in_chinese(app, limits):
    order("tb_zh", 200, "1500.00")
    made = order("tb_zh", 12, "640.00")
    html = _explain_html(app, db.session.get(Customer, made.customer_id), "zh_CN")
    assert "重要价值" in html
    assert "365 天内下单 2 次，共 ¥2,140.00；最近一次在 12 天前（2026-11-10）。" in html
    assert "投诉：0 · 退货：0" in html


def test_a_customer_without_orders_is_explained_as_such(app, limits, presales):
    from portal.orders.models import StockWait

    wait = StockWait(buyer="孙先生", contact="wx_nobuy", sku="POT-03", registered_by_id=presales.id)
    db.session.add(wait)
    db.session.flush()
    html = _explain_html(app, wait.customer, "en")
    assert "No orders yet" in html and "No order counts yet" in html


# --- the thresholds page --------------------------------------------------------------------------

FORM = {"window_days": "365", "recency_days": "30", "frequency_orders": "2",
        "money_amount": "500.00"}


def _counts(html: str) -> dict[str, int]:
    import re

    return {code: int(n) for code, n in re.findall(
        r'data-class="(\w+)".*?class="number class-count">(\d+)<', html, re.S)}


@pytest.mark.parametrize("role", ["manager", "presales", "aftersales", "order_clerk",
                                  "reception", "supervisor"])
def test_only_the_supervisor_sets_the_thresholds(client, login, role):
    login(role)
    allowed = role == "supervisor"
    for response in (client.get("/customers/classes"),
                     client.get("/customers/classes/preview", query_string=FORM, headers=HX),
                     client.post("/customers/classes", data=dict(FORM, version="0"))):
        assert response.status_code == (response.status_code if allowed else 403)
        if allowed:
            assert response.status_code in (200, 303)


def test_the_page_and_its_preview_fragment(client, login, limits):
    login("supervisor")
    order("tb_page", 3, "800.00")
    db.session.commit()
    page = client.get("/customers/classes")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert _counts(html)["important_develop"] == 1
    fragment = client.get("/customers/classes/preview", headers=HX,
                          query_string=dict(FORM, money_amount="800.00", frequency_orders="1"))
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body and 'id="class-preview"' in body
    assert _counts(body)["important_value"] == 1 and _counts(body)["important_develop"] == 0
    assert "not saved" in body
    assert _class(db.session.scalar(sa.select(Customer.id).where(
        Customer.name == "顾客"))) == "important_develop"  # nothing changed


@pytest.fixture
def job_queue(app):
    """The app's job queue, emptied: ``job_queue.dequeue()`` -> the next task handed over."""
    from portal.jobs.queue import get_huey

    huey = get_huey(app)
    huey.flush()
    yield huey
    huey.flush()


def test_saving_gives_what_the_preview_showed(client, login, limits, job_queue):
    supervisor = login("supervisor")
    for n in range(6):
        order(f"tb_save{n}", n * 20, f"{(n + 1) * 150}.00")
        order(f"tb_save{n}", 200, "100.00")
    db.session.commit()
    typed = {"window_days": "180", "recency_days": "45", "frequency_orders": "2",
             "money_amount": "400.00"}
    preview = _counts(client.get("/customers/classes/preview", query_string=typed,
                                 headers=HX).get_data(as_text=True))
    response = client.post("/customers/classes", data=dict(typed, version="1"), headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="class-settings"' in body
    assert "Thresholds saved" in body
    assert _counts(body) == preview  # the preview stays in place
    assert 'id="class-recomputing"' in body and 'hx-trigger="every 5s"' in body
    before = classes.class_counts()
    assert {k: v for k, v in before.items() if k} != {k: v for k, v in preview.items()
                                                      if k != "none"}  # not in the request
    polled = client.get("/customers/classes", headers=HX).get_data(as_text=True)
    assert 'id="class-recomputing"' in polled and _counts(polled) == preview
    task = job_queue.dequeue()  # handed to the job queue when the save committed
    assert task.name == "portal.run_task" and task.args == ("customers.recompute_classes",)
    assert job_queue.dequeue() is None
    job_queue.execute(task)  # what the worker does
    done = client.get("/customers/classes", headers=HX).get_data(as_text=True)
    assert 'id="class-recomputing"' not in done and _counts(done) == preview
    counts = classes.class_counts()
    assert {k: v for k, v in counts.items() if k} == {k: v for k, v in preview.items()
                                                      if k != "none"}
    saved = db.session.get(ClassThresholds, 1)
    db.session.refresh(saved)
    assert (saved.window_days, saved.recency_days, saved.money_amount, saved.version) == (
        180, 45, Decimal("400.00"), 2)
    assert saved.updated_by_id == supervisor.id
    from portal.audit.models import AuditEvent
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "customers.classes_saved")) == 1


def test_the_first_save_makes_the_row(client, login):
    login("supervisor")
    response = client.post("/customers/classes", data=dict(FORM, version="0"))
    assert response.status_code == 303
    assert db.session.get(ClassThresholds, 1).recency_days == 30


def test_two_supervisors_saving_at_once_the_second_gets_a_conflict(client, login, limits):
    login("supervisor")
    assert client.post("/customers/classes", data=dict(FORM, recency_days="60", version="1"),
                       headers=HX).status_code == 200
    late = client.post("/customers/classes", data=dict(FORM, recency_days="10", version="1"),
                       headers=HX)
    body = late.get_data(as_text=True)
    assert late.status_code == 409
    assert "Someone else saved the thresholds first" in body
    assert 'value="10"' in body  # the typing kept
    assert 'name="version" type="hidden" value="2"' in body or 'value="2"' in body
    assert db.session.get(ClassThresholds, 1).recency_days == 60


HOSTILE = [("recency_days", "-1"), ("window_days", "0"), ("window_days", "99999999999999"),
           ("frequency_orders", "1e9"), ("money_amount", "-5"), ("money_amount", "1e40"),
           ("money_amount", "NaN"), ("recency_days", "3\x00"), ("money_amount", ""),
           ("frequency_orders", "200000")]


@pytest.mark.parametrize(("name", "value"), HOSTILE)
def test_hostile_thresholds_are_refused_with_a_message(client, login, limits, name, value):
    login("supervisor")
    saved = client.post("/customers/classes", data=dict(FORM, version="1", **{name: value}),
                        headers=HX)
    assert saved.status_code == 422
    assert 'class="field-error"' in saved.get_data(as_text=True)
    preview = client.get("/customers/classes/preview", query_string=dict(FORM, **{name: value}),
                         headers=HX)
    if "\x00" in value:  # the portal refuses a NUL in any query string first
        assert preview.status_code == 400
    else:
        assert preview.status_code == 422 and 'role="alert"' in preview.get_data(as_text=True)
    assert db.session.get(ClassThresholds, 1).version == 1


def test_the_service_refuses_what_the_form_would(supervisor_user):
    from portal.rules import RuleError

    with pytest.raises(RuleError):
        classes.save(supervisor_user, 0, classes.Limits(0, 30, 2, Decimal("1")))
    with pytest.raises(RuleError):
        classes.save(supervisor_user, 0, classes.Limits(30, 30, 2, Decimal("0")))


@pytest.fixture
def supervisor_user(create_user):
    return create_user("supervisor")


# --- the Today cards ---------------------------------------------------------------------------


def test_my_customers_waiting_for_something(client, login, limits, presales, create_user):
    me = login("aftersales")
    waiting = order("tb_mine_wait", 1, "80.00", stage="paid")
    done = order("tb_mine_done", 1, "80.00", stage="completed")
    cased = order("tb_mine_case", 1, "80.00", stage="completed")
    others = order("tb_not_mine", 1, "80.00", stage="paid")
    for made, owner in ((waiting, me), (done, me), (cased, me), (others, create_user("presales"))):
        db.session.get(Customer, made.customer_id).owner_id = owner.id
    db.session.get(Customer, cased.customer_id).name = "有售后"
    db.session.get(Customer, waiting.customer_id).name = "等发货"
    db.session.get(Customer, others.customer_id).name = "别人的"
    db.session.add(AfterSalesCase(type="quality", order=cased, order_no=cased.order_no,
                                  problem="坏了", created_by_id=presales.id))
    db.session.commit()
    html = today(client).get_data(as_text=True)
    assert "My customers waiting for something" in html
    assert "等发货" in html and "有售后" in html and "别人的" not in html
    assert "2 customers wait for something." in html
    assert "open cases: 1" in html and "orders not shipped: 1" in html


def test_the_supervisor_sees_customers_per_class(app, client, login, limits):
    login("supervisor")
    order("tb_summary", 1, "800.00")
    db.session.commit()
    card = client.get("/today/customers-classes", headers=HX)
    body = card.get_data(as_text=True)
    assert card.status_code == 200 and "<html" not in body
    assert 'General to develop</a></th>' in body  # each class links to the filtered list
    assert _summary(body)["important_develop"] == 1 and _summary(body)["important_value"] == 0
    other = app.test_client()
    login("presales", the_client=other)
    assert other.get("/today/customers-classes", headers=HX).status_code == 404


def _summary(html: str) -> dict[str, int]:
    import re

    return {code: int(n) for code, n in re.findall(
        r'data-class="(\w+)">.*?<td class="number">(\d+)<', html, re.S)}


def test_a_merge_and_its_undo_recompute_both_classes(limits, presales):
    """Through the merge service (orders moved by a bulk UPDATE): the survivor's class
    counts both customers' orders; after the undo each has its own again."""
    from portal.customers import merge

    survivor = db.session.get(Customer, order("tb_keep2", 2, "300.00").customer_id)
    absorbed = db.session.get(Customer, order("tb_gone2", 5, "300.00").customer_id)
    db.session.commit()
    assert _class(survivor.id) == _class(absorbed.id) == "general_develop"
    record = merge.merge(presales, survivor, absorbed, survivor.version, absorbed.version)
    db.session.commit()
    assert _class(survivor.id) == "important_value" and _class(absorbed.id) is None
    assert db.session.get(Customer, survivor.id).order_count == 2
    merge.undo(presales, record, record.version)
    db.session.commit()
    assert _class(survivor.id) == _class(absorbed.id) == "general_develop"
    assert db.session.get(Customer, survivor.id).order_money == Decimal("300.00")
