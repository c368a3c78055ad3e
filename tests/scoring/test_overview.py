"""The month overview: every scored staff member's sheet, sortable, opening in place, with a
query count that does not grow with the staff; and its print view."""

import pytest

from portal.scoring.models import ScoreSheet
from portal.scoring.overview import ensure_month_sheets, month_rows
from portal.scoring.sheets import get_sheet
from tests.conftest import count_rows
from tests.scoring.conftest import HX, html


def test_the_month_has_a_sheet_for_every_active_scored_person(create_user, freeze):
    people = [create_user(role) for role in ("presales", "aftersales", "order_clerk",
                                             "reception")]
    create_user("presales", active=False)
    create_user("supervisor")
    assert ensure_month_sheets(2026, 11) == 4 and ensure_month_sheets(2026, 11) == 0
    assert {row.sheet.user_id for row in month_rows(2026, 11)} == {p.id for p in people}


def test_rows_sort_by_column(create_user, add, supervisor):
    low, high = create_user("presales", display_name="甲"), create_user("presales",
                                                                       display_name="乙")
    add(get_sheet(low, 2026, 11), points=-10)
    add(get_sheet(high, 2026, 11), points=5)
    assert [r.sheet.user_id for r in month_rows(2026, 11)] == [high.id, low.id]
    assert [r.rank for r in month_rows(2026, 11)] == [1, 2]
    assert [r.sheet.user_id for r in month_rows(2026, 11, "penalties")] == [low.id, high.id]
    assert [r.sheet.user_id for r in month_rows(2026, 11, "total", True)] == [low.id, high.id]


def test_the_page_and_its_fragment(client, sign_in, supervisor, sheet, add, freeze):
    add(sheet, points=-5)
    sign_in(client, supervisor)
    response = client.get("/scores/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/scores/2026/11")
    page = html(client.get("/scores/2026/11"))
    assert "<html" in page and 'id="overview-table"' in page and "张小红" in page
    assert f'id="overview-row-{sheet.user_id}"' in page and "95" in page
    assert f'id="sheet-slot-{sheet.user_id}"' in page and 'aria-current="page"' in page
    body = html(client.get("/scores/2026/11?sort=penalties&dir=desc", headers=HX))
    assert "<html" not in body and body.lstrip().startswith('<div id="overview-table"')
    assert 'aria-sort="descending"' in body
    # opening a row loads the sheet body under it
    body = html(client.get(f"/scores/2026/11/{sheet.user_id}?in_overview=1", headers=HX))
    assert body.lstrip().startswith(f'<section id="sheet-body-{sheet.id}"')
    assert 'type="hidden" name="in_overview" value="1"' in body
    # opening changes nothing: no overview rows sent along
    assert "overview-row-" not in body and "hx-swap-oob" not in body


def test_the_manager_sees_the_overview(client, sign_in, create_user, sheet):
    sign_in(client, create_user("manager"))
    assert client.get("/scores/2026/11").status_code == 200


def test_a_bad_month_is_404(client, sign_in, supervisor):
    sign_in(client, supervisor)
    assert client.get("/scores/2026/13").status_code == 404


@pytest.mark.parametrize("path", ["/scores/2026/11/print", "/scores/2026/11/{uid}/print"])
def test_print_views_have_signature_lines(client, sign_in, supervisor, sheet, add, path):
    add(sheet)
    sign_in(client, supervisor)
    page = html(client.get(path.format(uid=sheet.user_id)))
    assert 'class="signatures"' in page and page.count('class="signature-line"') == 3
    assert "Supervisor" in page and "Manager" in page and "entry-form-" not in page


def _staff(create_user, n):
    for index in range(n):
        create_user(("presales", "aftersales", "order_clerk", "reception")[index % 4])


def test_the_query_count_does_not_grow_with_the_staff(client, sign_in, supervisor,
                                                      create_user, count_queries, add, freeze):
    freeze("2026-11-22 10:00")
    sign_in(client, supervisor)
    _staff(create_user, 5)
    client.get("/scores/2026/11")  # creates the sheets
    client.get("/scores/2026/11")
    with count_queries() as few:
        assert client.get("/scores/2026/11").status_code == 200
    _staff(create_user, 20)
    client.get("/scores/2026/11")
    for sheet in ScoreSheet.query.filter_by(year=2026, month=11).limit(10):
        add(sheet, points=-3)
    assert count_rows(ScoreSheet) == 25
    client.get("/scores/2026/11")
    with count_queries() as many:
        assert client.get("/scores/2026/11").status_code == 200
    assert many.count == few.count, (few.count, many.count)
    print("overview queries:", many.count)
