"""The weekly report (R-C2, R-C3, issue 7 item 12): cases opened and closed in an ISO week by
type and complaint category, SLA met, return visits and their average satisfaction; four
grouped queries, an .xlsx export and a print view."""

from datetime import date, datetime
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from openpyxl import load_workbook

from portal.aftersales import report as svc
from portal.aftersales.models import ReturnVisit
from portal.extensions import db
from tests.aftersales.fixtures_desk import *  # noqa: F403
from tests.aftersales.fixtures_desk import HX

TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture
def week47(make_case, freeze):
    """2026-W47 is Monday 2026-11-16 to Sunday 2026-11-22 (department time)."""
    freeze("2026-11-23 09:00")
    cases = [
        # opened in the week
        make_case(at="2026-11-16 00:30", type="quality", category="quality"),  # Sun 16:30 UTC
        make_case(at="2026-11-18 10:00", type="logistics", category="logistics"),
        make_case(at="2026-11-22 23:59", type="return_refund"),  # no category
        # opened earlier, resolved and closed in the week
        make_case(at="2026-11-10 10:00", type="quality", category="quality", state="closed",
                  sla_state="stopped", resolved_at=at("2026-11-17 10:00"), sla_met=True,
                  closed_at=at("2026-11-18 10:00")),
        make_case(at="2026-11-12 10:00", type="exchange", category="market", state="closed",
                  sla_state="stopped", resolved_at=at("2026-11-20 10:00"), sla_met=False,
                  closed_at=at("2026-11-21 10:00")),
        # outside the week
        make_case(at="2026-11-15 23:59", type="quality"),
        make_case(at="2026-11-23 00:00", type="quality"),
        make_case(at="2026-11-01 10:00", type="refund_only", state="closed",
                  sla_state="stopped", resolved_at=at("2026-11-02 10:00"), sla_met=True,
                  closed_at=at("2026-11-23 08:00")),
    ]
    for done_at, outcome, score in [("2026-11-19 10:00", "reached", 4),
                                    ("2026-11-20 10:00", "reached", 5),
                                    ("2026-11-20 11:00", "reached", 4),
                                    ("2026-11-21 10:00", "not_reached", None),
                                    ("2026-11-21 11:00", "declined", None),
                                    ("2026-11-24 10:00", "reached", 1)]:  # next week
        db.session.add(ReturnVisit(case_id=cases[3].id, due_on=date(2026, 11, 19),
                                   outcome=outcome, satisfaction=score, done_at=at(done_at)))
    db.session.commit()
    return cases


# --- services -------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "week"), [
    ("2026-W47", (2026, 47)), ("2026-W53", (2026, 53)), (" 2026-W01 ", (2026, 1)),
    ("2025-W53", None), ("2026-W00", None), ("2026-47", None), ("", None), (None, None),
    ("2026-W47x", None),
])
def test_parse_week(text, week):
    assert svc.parse_week(text) == week


def test_neighbours_cross_the_year():
    assert svc.neighbours(2026, 1) == ("2025-W52", "2026-W02")
    assert svc.neighbours(2026, 53) == ("2026-W52", "2027-W01")


def test_the_week_is_counted_in_department_time(week47):
    report = svc.weekly(2026, 47)
    assert (report.monday, report.sunday) == (date(2026, 11, 16), date(2026, 11, 22))
    assert report.opened == 3 and report.closed == 2
    assert dict(report.opened_by_type) == {"quality": 1, "logistics": 1, "return_refund": 1}
    assert dict(report.opened_by_category) == {"quality": 1, "logistics": 1, None: 1}
    assert dict(report.closed_by_type) == {"quality": 1, "exchange": 1}
    assert dict(report.closed_by_category) == {"quality": 1, "market": 1}


def test_sla_met_counts_the_cases_resolved_in_the_week(week47):
    report = svc.weekly(2026, 47)
    assert (report.resolved, report.sla_met, report.sla_missed) == (2, 1, 1)
    assert report.sla_met_percent == 50


def test_visits_and_average_satisfaction_of_the_week(week47):
    report = svc.weekly(2026, 47)
    assert report.visits_done == 5 and report.reached == 3
    assert report.average_satisfaction == 4.3  # (4 + 5 + 4) / 3
    assert dict(report.satisfaction) == {4: 2, 5: 1}


def test_an_empty_week_has_no_averages():
    report = svc.weekly(2026, 1)
    assert report.opened == report.closed == report.visits_done == 0
    assert report.average_satisfaction is None and report.sla_met_percent is None


def test_the_report_is_four_queries_however_many_cases(week47, make_case, count_queries):
    def measure():
        db.session.scalar(sa.select(1))  # the test's savepoint is not the report's
        with count_queries() as counter:
            report = svc.weekly(2026, 47)
        return counter.count, report.opened

    assert measure() == (4, 3)
    for n in range(20):
        make_case(at=f"2026-11-{17 + n % 5} 10:00", type="exchange", category="suggestion")
    assert measure() == (4, 23)


def test_the_workbook_holds_the_numbers(week47, app):
    with app.test_request_context(), force_locale("en"):
        data = svc.export_xlsx(svc.weekly(2026, 47), {"quality": "Quality complaint"},
                               {"quality": "Product quality"}, {"reached": "Reached"})
    sheet = load_workbook(BytesIO(data)).active
    rows = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "After-sales weekly report 2026-W47"
    assert ["Total", 3, 2] in [list(r[:3]) for r in rows]
    assert ["Quality complaint", 1, 1] in [list(r[:3]) for r in rows]
    assert ["Average satisfaction (1–5)", 4.3] in [list(r[:2]) for r in rows]


HOSTILE = {"problem": "=1+1\x01 杯子裂了", "request": "=HYPERLINK(\"http://x\",\"点我\")",
           "order_no": "=1+2", "return_tracking_no": "@SUM(A1)", "return_courier": "+1\x01"}


def _cells(data: bytes):
    sheet = load_workbook(BytesIO(data)).active
    return [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]


def test_the_workbook_writes_every_cell_as_text_never_a_formula(week47, make_case, app):
    """Issue 16 item 2: every cell goes through portal.exports; a name that is data (a
    category's, a type's) starting with = + - @ stays text, and a character XML cannot carry
    is dropped instead of failing the download."""
    make_case(at="2026-11-18 11:00", type="quality", category="quality", **HOSTILE)
    types = {"quality": "=1+1 质量\x01", "exchange": "-2 换货"}
    categories = {"quality": "+3 产品质量", "market": "@市场"}
    with app.test_request_context(), force_locale("en"):
        data = svc.export_xlsx(svc.weekly(2026, 47), types, categories, {"reached": "\tok"})
    cells = _cells(data)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    values = {c.value: c for c in cells}
    assert values["=1+1 质量"].data_type == "s" and values["=1+1 质量"].quotePrefix
    rows = [list(r[:3]) for r in load_workbook(BytesIO(data)).active.iter_rows(values_only=True)]
    assert ["=1+1 质量", 2, 1] in rows and ["+3 产品质量", 2, 1] in rows
    assert ["@市场", 0, 1] in rows and ["\tok", 3, None] in rows


def test_a_week_with_hostile_case_fields_downloads(as_manager, week47, make_case):
    make_case(at="2026-11-18 11:00", type="quality", category="quality", **HOSTILE)
    response = as_manager.get("/aftersales/report.xlsx?week=2026-W47")
    assert response.status_code == 200
    cells = _cells(response.data)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert ["Total", 4, 2] in [list(r[:3]) for r in load_workbook(
        BytesIO(response.data)).active.iter_rows(values_only=True)]


# --- the pages ------------------------------------------------------------------------------


@pytest.fixture
def as_manager(client, sign_in, create_user):
    sign_in(client, create_user("manager"))
    return client


def test_the_report_page_shows_the_week(as_manager, week47):
    html = as_manager.get("/aftersales/report?week=2026-W47").get_data(as_text=True)
    assert "<html" in html and "Week 2026-W47" in html
    assert '<td class="num" data-total="opened">3</td>' in html
    assert '<td class="num" data-total="sla-met">1</td>' in html
    assert '<td class="num" data-total="satisfaction">4.3</td>' in html
    assert "week=2026-W46" in html and "week=2026-W48" in html
    assert "/aftersales/report.xlsx?week=2026-W47" in html


def test_the_report_is_a_fragment(as_manager, week47):
    response = as_manager.get("/aftersales/report?week=2026-W47", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and 'id="weekly-report"' in html


def test_without_a_week_the_report_opens_on_the_last_complete_week(as_manager, week47):
    """Issue 15 item 16: on Monday morning the report opened on the week just begun, all
    zeros; it opens on the week that is over, and this week is one click away."""
    html = as_manager.get("/aftersales/report").get_data(as_text=True)  # Mon 2026-11-23
    assert "Week 2026-W47" in html
    assert '<td class="num" data-total="opened">3</td>' in html
    assert 'href="/aftersales/report?week=2026-W48"' in html  # this week, one click away
    assert "/aftersales/report.xlsx?week=2026-W47" in html
    assert "not over yet" not in html


@pytest.mark.parametrize("path", ["/aftersales/report.xlsx", "/aftersales/report/print"])
def test_the_export_and_print_view_default_to_the_last_complete_week(as_manager, freeze, path):
    freeze("2027-01-03 23:00")  # Sunday of 2026-W53
    response = as_manager.get(path)
    assert b"2026-W52" in response.data or load_workbook(
        BytesIO(response.data)).active.title == "2026-W52"


def test_this_week_says_it_is_not_over_and_offers_no_empty_weeks_ahead(as_manager, week47):
    html = as_manager.get("/aftersales/report?week=2026-W48").get_data(as_text=True)
    assert "Week 2026-W48" in html and "not over yet" in html
    assert "week=2026-W47" in html and "week=2026-W49" not in html  # no next week yet
    assert ">This week<" not in html


def test_the_last_complete_week_crosses_the_year():
    assert svc.last_complete_week(date(2027, 1, 4)) == (2026, 53)
    assert svc.last_complete_week(date(2026, 1, 4)) == (2025, 52)  # a Sunday: W01 not over


def test_a_bad_week_is_not_found(as_manager):
    assert as_manager.get("/aftersales/report?week=2026-W99").status_code == 404
    assert as_manager.get("/aftersales/report.xlsx?week=yesterday").status_code == 404


def test_the_xlsx_download(as_manager, week47):
    response = as_manager.get("/aftersales/report.xlsx?week=2026-W47")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert 'filename="aftersales-week-2026-W47.xlsx"' in response.headers["Content-Disposition"]
    assert load_workbook(BytesIO(response.data)).active.title == "2026-W47"


def test_the_print_view(as_manager, week47):
    html = as_manager.get("/aftersales/report/print?week=2026-W47").get_data(as_text=True)
    assert "After-sales weekly report 2026-W47" in html and "no-print" in html
    assert '<td class="num" data-total="reached">3</td>' in html


def test_the_report_page_costs_the_same_with_few_or_many(as_manager, week47, make_case,
                                                        count_queries):
    def measure():
        with count_queries() as counter:
            assert as_manager.get("/aftersales/report?week=2026-W47").status_code == 200
        return counter.count

    few = measure()
    for _n in range(20):
        make_case(at="2026-11-19 10:00", type="exchange", category="suggestion")
    assert measure() == few
    assert few <= 9  # 8, and one grouped query of the customers' follow-up calls


@pytest.mark.parametrize("role", ["aftersales", "presales", "order_clerk", "reception"])
@pytest.mark.parametrize("path", ["/aftersales/report", "/aftersales/report.xlsx",
                                  "/aftersales/report/print"])
def test_only_supervisor_and_manager_read_the_report(client, sign_in, create_user, role, path):
    sign_in(client, create_user(role))
    assert client.get(path).status_code == 403


def test_the_supervisor_reads_the_report(client, sign_in, supervisor):
    sign_in(client, supervisor)
    assert client.get("/aftersales/report").status_code == 200
