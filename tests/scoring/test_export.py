"""The month as .xlsx: one row per person, one worksheet per person's entries."""

from io import BytesIO

from openpyxl import load_workbook

from portal.scoring.sheets import get_sheet


def test_the_workbook_opens_and_holds_every_person(client, sign_in, supervisor, sheet, add,
                                                   create_user):
    add(sheet, points=-5, evidence="周会检查")
    get_sheet(create_user("reception", display_name="赵前台"), 2026, 11)
    sign_in(client, supervisor)
    response = client.get("/scores/2026/11.xlsx")
    assert response.status_code == 200
    assert "spreadsheetml" in response.headers["Content-Type"]
    assert "scores-2026-11.xlsx" in response.headers["Content-Disposition"]
    book = load_workbook(BytesIO(response.data))
    summary = book.worksheets[0]
    rows = list(summary.iter_rows(min_row=3, values_only=True))
    assert {r[0] for r in rows} == {"张小红", "赵前台"}
    mine = next(r for r in rows if r[0] == "张小红")
    assert mine[2:7] == (100, 0, 5, 95, 2)
    assert set(book.sheetnames) == {"2026-11", "张小红", "赵前台"}
    entries = list(book["张小红"].iter_rows(min_row=3, values_only=True))
    assert entries[0][1:4] == ("工位不整洁", -5, "周会检查")
