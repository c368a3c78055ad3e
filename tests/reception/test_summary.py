"""The month summary (R-R7): numbers, the server-drawn SVG chart, the workbook, the card."""

import re
from datetime import date
from io import BytesIO

import pytest

from portal.reception import summary
from portal.reception import visitors as svc
from tests.reception.conftest import HX


@pytest.fixture
def november(arrive, receptionist, menu, freeze, create_user, mark_consultant):
    other = mark_consultant(create_user("presales", display_name="周婷"))
    a = arrive(at="2026-11-02 10:00", purpose="signing", source="referral", party_size=3)
    freeze("2026-11-02 10:40")
    svc.depart(receptionist, a, a.version)
    b = arrive(at="2026-11-02 14:00", consultant_id=other.id)
    svc.serve(receptionist, b, {menu["可乐"].id: 2})
    freeze("2026-11-02 15:20")
    svc.depart(receptionist, b, b.version)
    c = arrive(at="2026-11-20 11:00", consultant_name="外援小李")
    svc.serve(receptionist, c, {menu["可乐"].id: 1})
    svc.serve(receptionist, c, {menu["饼干"].id: 1})
    arrive(at="2026-10-31 11:00")  # another month
    return a, b, c


def test_the_month_is_summed_up(november):
    data = summary.month_summary(2026, 11)
    assert data.parties == 3 and data.people == 7 and len(data.days) == 30
    assert data.per_day[date(2026, 11, 2)] == 2 and data.per_day[date(2026, 11, 20)] == 1
    assert data.by_purpose == {"signing": 1, "viewing": 2}
    assert data.by_source == {"referral": 1, "walk_in": 2}
    assert dict(data.by_consultant) == {"张小红": 1, "周婷": 1, "外援小李": 1}
    assert data.average_stay == 60  # 40 and 80 minutes; the open visit does not count
    assert [(name, qty) for name, _kind, qty in data.served] == [("可乐", 3), ("饼干", 1)]


def test_an_empty_month(app):
    with app.test_request_context():
        data = summary.month_summary(2025, 2)
        assert data.parties == 0 and data.average_stay is None and len(data.days) == 28
        assert "<svg" in summary.bar_chart_svg(data)


def test_the_chart_is_accessible_svg_without_style_attributes(app, november):
    with app.test_request_context():
        svg = str(summary.bar_chart_svg(summary.month_summary(2026, 11)))
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert "<title" in svg and "<desc" in svg and "aria-labelledby" in svg
    assert "style=" not in svg and "<script" not in svg
    assert len(re.findall(r"<rect ", svg)) == 30


@pytest.mark.parametrize(("today", "month"), [
    (date(2026, 11, 28), (2026, 11)), (date(2026, 11, 30), (2026, 11)),
    (date(2026, 12, 3), (2026, 11)), (date(2027, 1, 1), (2026, 12)),
    (date(2026, 11, 27), None), (date(2026, 12, 4), None), (date(2026, 11, 15), None)])
def test_the_summary_is_ready_at_month_end(today, month):
    assert summary.summary_month_for(today) == month


def test_the_summary_page_fragment_and_bad_months(client, sign_in, create_user, november):
    sign_in(client, create_user("supervisor"))
    page = client.get("/showroom/summary?month=2026-11").get_data(as_text=True)
    assert "<html" in page and "<svg" in page and "外援小李" in page
    assert "style=" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]
    fragment = client.get("/showroom/summary?month=2026-11", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and fragment.lstrip().startswith('<div id="month-summary"')
    assert client.get("/showroom/summary?month=2026-13").status_code == 404
    assert client.get("/showroom/summary?month=abc").status_code == 404


def test_the_workbook_opens(client, sign_in, create_user, november):
    from openpyxl import load_workbook

    sign_in(client, create_user("manager"))
    response = client.get("/showroom/summary.xlsx?month=2026-11")
    assert response.status_code == 200
    assert "showroom-visitors-2026-11.xlsx" in response.headers["Content-Disposition"]
    book = load_workbook(BytesIO(response.data))
    sheet = book["2026-11"]
    rows = list(sheet.iter_rows(values_only=True))
    assert ("2026-11-02", 2, 5) in rows and ("Total", 3, 7) in rows
    breakdown = [row for row in book.worksheets[1].iter_rows(values_only=True)]
    assert ("可乐", 3) in breakdown and ("外援小李", 1) in breakdown


HOSTILE = "=1+1"


def test_the_workbook_keeps_hostile_texts_as_text(client, sign_in, create_user, arrive,
                                                   receptionist, menu):
    """Issue 16 item 2: a formula typed into a note, a free consultant name or a menu item's
    name is text in the workbook, never a live formula; a control character typed into them
    cannot make the month's export fail for everyone."""
    from openpyxl import load_workbook

    from portal.extensions import db
    from portal.reception.models import MenuItem

    drink = db.session.get(MenuItem, menu["可乐"].id)
    drink.name = "@SUM(A1)\x01"  # as it may be stored (written before the form layer)
    db.session.commit()
    visit = arrive(at="2026-11-20 11:00", consultant_name="=HYPERLINK(\"http://x\")",
                   note="=1+1\x01 -2+3")
    svc.serve(receptionist, visit, {drink.id: 1})
    db.session.commit()
    visit.consultant_name = "+cmd|'/c calc'!A0\x01"
    db.session.commit()

    sign_in(client, create_user("manager"))
    response = client.get("/showroom/summary.xlsx?month=2026-11")
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.data))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
             if isinstance(cell.value, str)]
    texts = {cell.value for cell in cells}
    assert "+cmd|'/c calc'!A0" in texts and "@SUM(A1)" in texts
    assert all(cell.data_type == "s" for cell in cells)  # not one formula ("f")
    hostile = [cell for cell in cells if cell.value[0] in "=+-@"]
    assert hostile and all(cell.quotePrefix for cell in hostile)
