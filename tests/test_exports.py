"""The one cell writer: text stays text, illegal characters never break an export."""

from io import BytesIO

from openpyxl import Workbook, load_workbook

from portal import exports

HOSTILE = ["=HYPERLINK(\"http://x\",\"点我\")", "=1+1", "+1", "-2+3", "@SUM(A1)", "\tTAB",
           "\rCR", "正常文字", "bell\x01char\x00nul"]


def test_xlsx_cells_are_text_never_formulas():
    book = Workbook()
    ws = book.active
    exports.append(ws, ["title"])
    exports.append(ws, HOSTILE + [12, -3])
    data = exports.workbook_bytes(book)
    read = load_workbook(BytesIO(data)).active
    row = [c for c in read[2]]
    assert all(c.data_type != "f" for c in row)
    assert row[0].value == "=HYPERLINK(\"http://x\",\"点我\")" and row[0].data_type == "s"
    assert row[8].value == "bellcharnul"
    assert row[9].value == 12 and row[10].value == -3


def test_csv_fields_that_would_run_are_prefixed():
    import csv
    import io

    text = exports.csv_bytes([HOSTILE]).decode("utf-8-sig")
    fields = next(csv.reader(io.StringIO(text)))
    assert fields[0].startswith("'=HYPERLINK") and fields[1] == "'=1+1"
    assert fields[4] == "'@SUM(A1)" and fields[5] == "'\tTAB"
    assert "正常文字" in fields and "\x01" not in text and "\x00" not in text
