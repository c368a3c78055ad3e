"""The complaints' monthly analysis (issue 18 item 3, R-C3): every figure on a known set of
complaints, the months before, the median, repeat complainants, the chart, the workbook,
the comment (409), sending it to the manager, the Today card and the reminder."""

import io
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal import clock as portal_clock
from portal.audit.models import AuditEvent
from portal.complaints import analysis as svc
from portal.complaints.models import Complaint, ComplaintCategory, ComplaintMonth
from portal.customers.models import Customer
from portal.extensions import db
from portal.notifications.models import Notification
from portal.orders.models import Order, OrderLine
from tests.conftest import count_rows

HX = {"HX-Request": "true"}


def at(text: str) -> datetime:
    """A department-local moment (Asia/Shanghai in the tests)."""
    return datetime.fromisoformat(text).replace(tzinfo=portal_clock.get_clock().tz)


@pytest.fixture
def known(create_user, freeze):
    """A known set of complaints around November 2026 (see each test's numbers)."""
    freeze("2026-11-20 10:00")
    u1 = create_user("presales", display_name="王客服")
    u2 = create_user("aftersales", display_name="李售后")
    cats = {}
    for position, (code, zh) in enumerate([("quality", "产品质量"), ("logistics", "物流"),
                                           ("suggestion", "建议"), ("old", "旧分类")]):
        cats[code] = ComplaintCategory(name=code, names={"zh_TW": zh}, position=position,
                                       active=code != "old")
    db.session.add_all(cats.values())
    customers = {n: Customer(name=name) for n, name in
                 [(1, "陈女士"), (2, "周先生"), (3, "吴女士"), (4, "郑先生"), (5, "孙女士")]}
    db.session.add_all(customers.values())
    db.session.flush()

    def order(platform, *skus):
        o = Order(platform=platform, order_no=f"N{len(skus)}{platform}{id(skus)}"[:40],
                  buyer_id="tb", receiver_name="买家", receiver_phone="13800001111",
                  receiver_address="杭州", amount=Decimal("88.00"), payment="online")
        o.lines = [OrderLine(sku=sku, item_name=f"品名{sku}", quantity=1,
                             unit_price=Decimal("88.00")) for sku in skus]
        db.session.add(o)
        db.session.flush()
        return o

    o1, o2, o3 = order("tmall", "TEA-01", "POT-03"), order("jd", "TEA-01"), order("tmall", "CUP-02")

    def complaint(cat, when, *, severity="normal", channel="chat", owner=None, order=None,
                  customer=None, answered=None, satisfaction=None, said="茶叶有霉味"):
        c = Complaint(category_id=cats[cat].id, received_at=at(when), severity=severity,
                      channel=channel, owner_id=owner.id if owner else None,
                      order_id=order.id if order else None,
                      customer_id=customers[customer].id if customer else None,
                      answered_at=at(answered) if answered else None,
                      state="answered" if answered else "received",
                      answer="已处理" if answered else None, satisfaction=satisfaction,
                      said=said, created_by_id=u1.id)
        db.session.add(c)
        return c

    made = [
        # November 2026
        complaint("quality", "2026-11-02 10:00", owner=u1, order=o1, customer=1,
                  answered="2026-11-02 14:00", satisfaction="satisfied", said="壶盖有裂纹"),
        complaint("quality", "2026-11-10 09:00", severity="serious", channel="phone", owner=u1,
                  order=o2, customer=1, answered="2026-11-11 09:00",
                  satisfaction="dissatisfied", said="第二次投诉:\n茶叶还是有霉味"),
        complaint("logistics", "2026-11-15 08:00", severity="crisis", channel="dispute",
                  owner=u2, order=o3, customer=2, answered="2026-11-15 10:00",
                  satisfaction="neutral", said="快递三周未到"),
        complaint("logistics", "2026-11-30 23:30", channel="letter", said="包装破损"),
        complaint("suggestion", "2026-11-01 00:10", channel="showroom", owner=u2, customer=3,
                  said="希望增加小包装"),
        # the months before
        complaint("quality", "2026-10-05 10:00", customer=2),
        complaint("quality", "2026-10-06 10:00", severity="crisis", customer=4),
        complaint("logistics", "2026-10-20 10:00", customer=4),
        complaint("logistics", "2026-09-10 10:00", customer=5),
        complaint("suggestion", "2026-08-15 10:00", customer=3),
        # outside the four months
        complaint("quality", "2026-07-20 10:00", customer=3),
        complaint("quality", "2026-12-01 00:30", customer=1),
    ]
    db.session.commit()
    return {"cats": cats, "u1": u1, "u2": u2, "customers": customers, "complaints": made}


def test_every_figure_of_the_month(known):
    data = svc.analyse(2026, 11)
    assert data.labels == ["2026-08", "2026-09", "2026-10", "2026-11"]
    rows = {row.name: row.counts for row in data.categories}
    # the retired category with nothing counted is left out; the others in their order
    assert list(rows) == ["quality", "logistics", "suggestion"]
    assert rows == {"quality": [0, 0, 2, 2], "logistics": [0, 1, 1, 2],
                    "suggestion": [1, 0, 0, 1]}
    assert data.totals == [1, 1, 3, 5] and data.total == 5
    assert data.by_severity == {"normal": [1, 1, 2, 3], "serious": [0, 0, 0, 1],
                                "crisis": [0, 0, 1, 1]}
    assert dict(data.by_channel) == {"chat": 1, "phone": 1, "dispute": 1, "letter": 1,
                                     "showroom": 1}
    assert data.by_owner == [("李售后", 2), ("王客服", 2), (None, 1)]
    assert data.by_platform == [("tmall", 2), ("jd", 1), (None, 2)]
    assert data.by_sku == [("TEA-01", "品名TEA-01", 2), ("CUP-02", "品名CUP-02", 1),
                           ("POT-03", "品名POT-03", 1)]
    assert dict(data.satisfaction) == {"satisfied": 1, "neutral": 1, "dissatisfied": 1}
    assert data.asked == 3 and data.share("satisfied") == 33
    # 4 h, 24 h and 2 h: the median is 4 calendar hours
    assert data.answered == 3 and data.median_hours == 4.0
    texts = {cat: [t.text for t in texts] for cat, texts in data.texts.items()}
    assert texts[known["cats"]["quality"].id] == ["第二次投诉: 茶叶还是有霉味", "壶盖有裂纹"]
    assert texts[known["cats"]["logistics"].id] == ["包装破损", "快递三周未到"]
    assert data.record is None and data.version == 0


def test_the_month_is_the_department_calendar_month(known):
    """23:30 on the 30th (15:30 UTC) is November; 00:30 on 1 December (16:30 UTC on the
    30th) is not; 00:10 on 1 November (16:10 UTC on 31 October) is."""
    assert svc.analyse(2026, 12).totals[-1] == 1
    assert svc.analyse(2026, 10).totals == [1, 1, 1, 3]  # July, August, September


def test_the_median_of_an_even_count_and_of_none(known):
    data = svc.analyse(2026, 10)
    assert data.answered == 0 and data.median_hours is None
    extra = known["complaints"][3]  # the letter of the 30th, answered 6 h later
    extra.answered_at = at("2026-12-01 05:30")
    db.session.commit()
    assert svc.analyse(2026, 11).median_hours == 5.0  # (4 + 6) / 2


def test_repeat_complainants_are_of_the_month_within_ninety_days(known):
    """陈女士: twice in November; 周先生: once in November and once in October; 吴女士 once
    in November and once in August (more than 90 days before the end): no; 郑先生 twice in
    October only: not this month's."""
    data = svc.analyse(2026, 11)
    assert [(r.name, r.in_month, r.in_window) for r in data.repeaters] == [
        ("周先生", 1, 2), ("陈女士", 2, 2)] or \
        [(r.name, r.in_month, r.in_window) for r in data.repeaters] == [
        ("陈女士", 2, 2), ("周先生", 1, 2)]
    october = svc.analyse(2026, 10)
    assert [(r.name, r.in_month, r.in_window) for r in october.repeaters] == [("郑先生", 2, 2)]


def test_the_latest_ten_texts_per_category_cut_to_a_line(known):
    for day in range(1, 13):
        db.session.add(Complaint(category_id=known["cats"]["suggestion"].id,
                                 received_at=at(f"2026-11-{day + 10:02d} 12:00"),
                                 channel="chat", said=f"{day:02d}" + "很长的建议" * 40,
                                 created_by_id=known["u1"].id))
    db.session.commit()
    texts = svc.analyse(2026, 11).texts[known["cats"]["suggestion"].id]
    assert len(texts) == 10
    assert [t.text[:2] for t in texts] == [f"{d:02d}" for d in range(12, 2, -1)]
    assert all(len(t.text) == svc.TEXT_CUT and t.text.endswith("…") for t in texts)


def test_the_analysis_is_six_queries_however_many_complaints(known, count_queries):
    def measure():
        db.session.scalar(sa.select(1))
        with count_queries() as counter:
            data = svc.analyse(2026, 11)
        return counter.count, data.total

    assert measure() == (6, 5)
    for n in range(30):
        db.session.add(Complaint(category_id=known["cats"]["quality"].id,
                                 received_at=at(f"2026-11-{n % 28 + 1:02d} 11:00"),
                                 channel="phone", said="又坏了", created_by_id=known["u1"].id,
                                 customer_id=known["customers"][n % 5 + 1].id))
    db.session.commit()
    assert measure() == (6, 35)


def test_the_page_stays_within_ten_queries(known, client, sign_in, create_user,
                                          count_queries):
    sign_in(client, create_user("manager"))

    def measure():
        with count_queries(like_bench=True) as counter:
            response = client.get("/complaints/analysis?month=2026-11")
            assert response.status_code == 200
        return counter.count, len(response.get_data())

    few, size = measure()
    for _n in range(30):
        db.session.add(Complaint(category_id=known["cats"]["logistics"].id,
                                 received_at=at("2026-11-18 11:00"), channel="chat",
                                 said="物流慢" * 30, created_by_id=known["u1"].id))
    db.session.commit()
    many, size_many = measure()
    assert many == few <= 10
    assert size_many <= 60_000


def test_the_page_shows_the_figures_and_the_chart(known, client, sign_in, create_user):
    sign_in(client, create_user("supervisor"))
    page = client.get("/complaints/analysis?month=2026-11").get_data(as_text=True)
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="complaints-chart"' in page
    assert "quality 2026-11: 2" in page  # a bar's title
    assert "style=" not in page and "<script>" not in page
    assert "壶盖有裂纹" in page and "周先生" in page
    assert "4.0 hours" in page
    assert 'name="comment"' in page
    # another month is another page (its figures alone are over a fragment's 5 KB)
    assert 'href="/complaints/analysis?month=2026-10" rel="prev"' in page
    other = client.get("/complaints/analysis?month=2026-10", headers=HX)
    assert other.status_code == 200
    body = other.get_data(as_text=True)
    assert "<html" in body and 'id="analysis"' in body and "2026-10" in body


def test_the_print_view(known, client, sign_in, create_user):
    sign_in(client, create_user("manager"))
    page = client.get("/complaints/analysis/print?month=2026-11").get_data(as_text=True)
    assert "analysis-print" in page and "complaints-chart" in page and "壶盖有裂纹" in page
    assert 'name="comment"' not in page


def test_the_workbook_holds_the_numbers_and_no_formula(known, client, sign_in, create_user):
    from openpyxl import load_workbook

    known["complaints"][0].said = '=HYPERLINK("http://x","点我")'
    db.session.commit()
    sign_in(client, create_user("manager"))
    response = client.get("/complaints/analysis.xlsx?month=2026-11")
    assert response.status_code == 200
    assert "complaint-analysis-2026-11.xlsx" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row
             if c.value is not None]
    assert not [c for c in cells if c.data_type == "f"]
    values = [[c.value for c in row] for row in book.worksheets[0].iter_rows()]
    assert ["quality", 0, 0, 2, 2] in values
    assert ["Total", 1, 1, 3, 5] in values
    assert ["TEA-01", "品名TEA-01", 2] in [v[:3] for v in values]
    assert ["Median hours (calendar hours, receipt to answer)", 4.0] in [v[:2] for v in values]
    texts = [c.value for row in book.worksheets[1].iter_rows() for c in row]
    assert any(isinstance(v, str) and "HYPERLINK" in v for v in texts)


# --- who may do what -------------------------------------------------------------------------

READERS = {"supervisor", "manager"}
ROLES = ["supervisor", "manager", "presales", "aftersales", "order_clerk", "reception"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", ["/complaints/analysis", "/complaints/analysis?month=2026-11",
                                  "/complaints/analysis/print?month=2026-11",
                                  "/complaints/analysis.xlsx?month=2026-11"])
def test_only_the_supervisor_and_the_manager_read_it(client, sign_in, create_user, freeze,
                                                     role, path):
    freeze("2026-11-20 10:00")
    sign_in(client, create_user(role))
    assert client.get(path).status_code == (200 if role in READERS else 403)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ["comment", "send", "reopen"])
def test_only_the_supervisor_comments_sends_and_reopens(client, sign_in, create_user, freeze,
                                                        role, action):
    freeze("2026-11-20 10:00")
    sign_in(client, create_user(role))
    if action == "reopen":
        db.session.add(ComplaintMonth(month=datetime(2026, 10, 1).date(), comment="好",
                                      sent_at=portal_clock.now()))
        db.session.commit()
    response = client.post(f"/complaints/analysis/2026-10/{action}", headers=HX,
                           data={"version": 1 if action == "reopen" else 0, "comment": "意见"})
    assert response.status_code == (200 if role == "supervisor" else 403)


def test_anonymous_goes_to_sign_in(client):
    assert client.get("/complaints/analysis").status_code in (302, 303)


# --- the comment, sending, reopening ---------------------------------------------------------


def test_the_comment_is_saved_then_a_stale_form_is_a_conflict_keeping_the_typing(
        known, client, sign_in, create_user):
    sign_in(client, create_user("supervisor"))
    first = client.post("/complaints/analysis/2026-11/comment", headers=HX,
                        data={"version": 0, "comment": "物流投诉上升,需与快递沟通"})
    assert first.status_code == 200 and "The comment was saved." in first.get_data(as_text=True)
    record = db.session.get(ComplaintMonth, datetime(2026, 11, 1).date())
    assert record.comment == "物流投诉上升,需与快递沟通" and record.version == 1
    # a second supervisor's form still at version 0 (nothing written when it opened)
    stale = client.post("/complaints/analysis/2026-11/comment", headers=HX,
                        data={"version": 0, "comment": "我的另一段意见"})
    assert stale.status_code == 409
    body = stale.get_data(as_text=True)
    assert "我的另一段意见" in body and 'name="version" type="hidden" value="1"' in body
    db.session.expire_all()
    assert db.session.get(ComplaintMonth, datetime(2026, 11, 1).date()).comment == \
        "物流投诉上升,需与快递沟通"
    # at the version shown it is saved
    again = client.post("/complaints/analysis/2026-11/comment", headers=HX,
                        data={"version": 1, "comment": "我的另一段意见"})
    assert again.status_code == 200
    assert count_rows(AuditEvent, AuditEvent.action == "complaints.analysis_commented") == 2


def test_without_javascript_the_comment_redirects_back(known, client, sign_in, create_user):
    sign_in(client, create_user("supervisor"))
    response = client.post("/complaints/analysis/2026-11/comment",
                           data={"version": 0, "comment": "好"})
    assert response.status_code == 303
    assert "/complaints/analysis?month=2026-11" in response.headers["Location"]


def test_sending_tells_the_manager_and_freezes_the_comment(known, client, sign_in,
                                                         create_user, freeze):
    supervisor = sign_in(client, create_user("supervisor"))
    manager = create_user("manager")
    freeze("2026-12-02 09:00")
    sent = client.post("/complaints/analysis/2026-11/send", headers=HX,
                       data={"version": 0, "comment": "本月危机投诉一起,已处理"})
    assert sent.status_code == 200
    body = sent.get_data(as_text=True)
    assert "Sent to the manager on" in body and 'name="comment"' not in body
    record = db.session.get(ComplaintMonth, datetime(2026, 11, 1).date())
    assert record.sent_by_id == supervisor.id and record.comment == "本月危机投诉一起,已处理"
    assert portal_clock.local(record.sent_at).date().isoformat() == "2026-12-02"
    told = db.session.scalars(sa.select(Notification).where(
        Notification.user_id == manager.id)).all()
    assert [n.link for n in told] == ["/complaints/analysis?month=2026-11"]
    assert count_rows(AuditEvent, AuditEvent.action == "complaints.analysis_sent") == 1
    # frozen: a comment is refused, sending again is refused
    frozen = client.post("/complaints/analysis/2026-11/comment", headers=HX,
                         data={"version": record.version, "comment": "改一下"})
    assert frozen.status_code == 422 and "reopen" in frozen.get_data(as_text=True)
    twice = client.post("/complaints/analysis/2026-11/send", headers=HX,
                        data={"version": record.version, "comment": "改一下"})
    assert twice.status_code == 422
    # the manager reads it, with the date, and no form
    reader = client.__class__(client.application, client.response_wrapper)
    sign_in(reader, manager)
    page = reader.get("/complaints/analysis?month=2026-11").get_data(as_text=True)
    assert "本月危机投诉一起,已处理" in page and "Sent to the manager on" in page
    assert 'name="comment"' not in page and "Reopen" not in page


def test_reopening_lets_the_comment_change_and_send_again(known, client, sign_in, create_user):
    sign_in(client, create_user("supervisor"))
    create_user("manager")
    client.post("/complaints/analysis/2026-11/send", headers=HX,
                data={"version": 0, "comment": "初稿"})
    record = db.session.get(ComplaintMonth, datetime(2026, 11, 1).date())
    opened = client.post("/complaints/analysis/2026-11/reopen", headers=HX,
                         data={"version": record.version})
    assert opened.status_code == 200 and 'name="comment"' in opened.get_data(as_text=True)
    db.session.expire_all()
    record = db.session.get(ComplaintMonth, datetime(2026, 11, 1).date())
    assert record.sent_at is None
    assert client.post("/complaints/analysis/2026-11/send", headers=HX,
                       data={"version": record.version, "comment": "定稿"}).status_code == 200
    assert count_rows(AuditEvent, AuditEvent.action == "complaints.analysis_reopened") == 1
    assert count_rows(Notification) == 2


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("month", ["9999-99", "2026-13", "2026-00", "1999-12", "x", "2026-1",
                                   "\x00", "2026-11\x00", "9" * 400, "２０２６-１１"])
def test_a_bad_month_falls_back_with_a_message(client, sign_in, create_user, freeze, month):
    freeze("2026-11-20 10:00")
    sign_in(client, create_user("manager"))
    response = client.get("/complaints/analysis", query_string={"month": month})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    if "\x00" not in month:  # a NUL is refused before any view (400)
        assert "is not a month" in body and "2026-10" in body  # the month due on the 20th
    for path in ("/complaints/analysis/print", "/complaints/analysis.xlsx"):
        assert client.get(path, query_string={"month": month}).status_code in (400, 404)


@pytest.mark.parametrize("month", ["9999-99", "2026-13", "x", "99999999999999999999-01"])
def test_a_bad_month_in_an_action_is_not_found(client, sign_in, create_user, month):
    sign_in(client, create_user("supervisor"))
    response = client.post(f"/complaints/analysis/{month}/comment", headers=HX,
                           data={"version": 0, "comment": "好"})
    assert response.status_code == 404


@pytest.mark.parametrize("data, status, text", [
    ({"version": 0, "comment": "含\x00空字符"}, 422, "control characters"),
    ({"version": 0, "comment": "长" * 4001}, 422, "under 4000"),
    ({"version": "99999999999999", "comment": "好"}, 400, ""),
    ({"version": "-1", "comment": "好"}, 400, ""),
    ({"comment": "好"}, 400, ""),
])
def test_bad_comments_are_refused(known, client, sign_in, create_user, data, status, text):
    sign_in(client, create_user("supervisor"))
    response = client.post("/complaints/analysis/2026-11/comment", headers=HX, data=data)
    assert response.status_code == status
    assert text in response.get_data(as_text=True)
    assert count_rows(ComplaintMonth) == 0


def test_a_month_not_begun_takes_no_comment(known, client, sign_in, create_user):
    sign_in(client, create_user("supervisor"))
    response = client.post("/complaints/analysis/2027-01/send", headers=HX,
                           data={"version": 0, "comment": "好"})
    assert response.status_code == 422 and "not begun" in response.get_data(as_text=True)
    assert count_rows(ComplaintMonth) == 0


# --- the Today card and the reminder ----------------------------------------------------------


def _card(client) -> str:
    response = client.get("/today/complaints-analysis", headers=HX)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_card_at_month_end_until_sent(app, client, sign_in, create_user, freeze):
    supervisor = sign_in(client, create_user("supervisor"))
    freeze("2026-11-20 10:00")  # mid-month: October's is due until sent
    assert "The complaint analysis of 2026-10 is not sent" in _card(client)
    freeze("2026-11-28 10:00")  # the last three days: November's
    card = _card(client)
    assert "2026-11 is not sent" in card and "The month ends in a few days" in card
    freeze("2026-12-03 10:00")  # after the month: still November's, until sent
    assert "2026-11 is not sent" in _card(client)
    with app.test_request_context():
        svc.send(supervisor, 2026, 11, 0, "好")
    db.session.commit()
    assert "was sent on" in _card(client)


def test_the_card_is_the_supervisors(client, sign_in, create_user):
    sign_in(client, create_user("manager"))
    assert client.get("/today/complaints-analysis", headers=HX).status_code == 404


def test_the_reminder_on_the_third_last_day_and_the_first(app, freeze):
    freeze("2026-11-20 10:00")
    with app.test_request_context():
        since, now = at("2026-11-27 12:00"), at("2026-12-01 12:00")
        due = list(svc.unsent_reminders(since, now))
        assert [d.key for d in due] == ["2026-11:end", "2026-11:late"]
        assert due[0].roles == ("supervisor",)
        assert due[0].link == "/complaints/analysis?month=2026-11"
        db.session.add(ComplaintMonth(month=datetime(2026, 11, 1).date(),
                                      sent_at=portal_clock.now()))
        db.session.flush()
        assert list(svc.unsent_reminders(since, now)) == []
        # February 2027 has 28 days: the 26th
        assert [d.key for d in svc.unsent_reminders(at("2027-02-26 08:00"),
                                                    at("2027-02-26 10:00"))] == ["2027-02:end"]


def test_the_reminder_kind_is_registered(app):
    from portal.ui import reminder_kinds

    assert "complaints_analysis" in [k.kind for k in reminder_kinds(app)]


def test_month_arithmetic():
    assert svc.shift(2026, 1, -1) == (2025, 12) and svc.shift(2026, 12, 1) == (2027, 1)
    assert svc.shift(2026, 3, -3) == (2025, 12)
    from datetime import date
    assert svc.due_month(date(2026, 11, 27)) == (2026, 10)
    assert svc.due_month(date(2026, 11, 28)) == (2026, 11)
    assert svc.due_month(date(2027, 2, 26)) == (2027, 2)
    assert svc.parse_month("2026-11") == (2026, 11) and svc.parse_month("2026-11 ") is None
    assert timedelta(days=svc.REPEAT_DAYS).days == 90
