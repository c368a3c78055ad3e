"""Reading order exports without HTTP: CSV in UTF-8 (with BOM), GBK and UTF-16, XLSX built
with openpyxl, header aliases, grouping rows into orders, every reason a row is wrong,
duplicates in the database and within the file, files that are not tables, and 10,000 rows.
"""

import csv
import io
import zipfile
from datetime import datetime
from decimal import Decimal

import pytest

from portal.orders import importer as svc
from portal.orders.models import OrderImport
from portal.rules import RuleError

HEADER = ["订单编号", "买家会员名", "收货人姓名", "联系手机", "收货地址", "商家编码", "宝贝标题",
          "销售属性", "购买数量", "单价", "实付金额", "订单付款时间"]
ENGLISH = ["Order No", "buyer_id", "receiver", "phone", "address", "SKU", "item_name",
           "attributes", "quantity", "unit_price", "amount", "paid_at"]


def line(no="TB1001", sku="TEA-01", qty="2", price="88.00", *, receiver="王先生",
         phone="13800001111", address="浙江省杭州市西湖区文三路 1 号", buyer="tb_wang",
         title="龙井茶 250g", attrs="250g", amount="", paid="2026-11-22 08:00:00") -> list:
    """One row of an export, in HEADER's order."""
    return [no, buyer, receiver, phone, address, sku, title, attrs, qty, price, amount, paid]


def make_csv(rows, header=HEADER, encoding="utf-8-sig", delimiter=",") -> bytes:
    """The bytes of a CSV export."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def make_xlsx(rows, header=HEADER) -> bytes:
    """The bytes of an .xlsx export built with openpyxl."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def now(freeze):
    return freeze("2026-11-22 09:30")


def judged(data: bytes, platform="tmall"):
    """{order number (or "row N"): entry}, counts."""
    entries, counts = svc.judge(svc.read_table(data), platform)
    return {e["order_no"] or f"row {e['rows'][0]}": e for e in entries}, counts


def basic(counts: dict) -> dict:
    """The counts of the first importer (no presets, no status changes)."""
    return {k: counts[k] for k in ("create", "duplicate", "error", "lines", "error_rows",
                                   "rows")}


def reasons(entry) -> list[str]:
    """The reasons of an entry as English text with their row numbers."""
    return [f"row {r['row']}: " + (r["message"] % r["params"] if r["params"] else r["message"])
            for r in entry["reasons"]]


# --- reading files ---------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk", "utf-16"])
def test_csv_in_each_encoding(stock, now, encoding):
    entries, counts = judged(make_csv([line("TB1"), line("TB2", "CUP-02", "1", "35")],
                                      encoding=encoding))
    assert counts["create"] == 2 and counts["rows"] == 2
    assert entries["TB1"]["receiver_address"] == "浙江省杭州市西湖区文三路 1 号"
    assert entries["TB2"]["lines"][0]["item_name"] == "龙井茶 250g"
    assert entries["TB2"]["amount"] == "35.00"


def test_an_xlsx_export(stock, now):
    rows = [line("TB1", qty=2, price=88.5, phone=13800001111,
                 paid=datetime(2026, 11, 22, 8, 15)),
            line(202611220001, "CUP-02", 1, 35, paid="")]
    entries, counts = judged(make_xlsx(rows))
    assert counts["create"] == 2
    first = entries["TB1"]
    assert first["receiver_phone"] == "13800001111"  # a number cell read as text
    assert first["lines"][0] == {"row": 2, "sku": "TEA-01", "item_name": "龙井茶 250g",
                                 "attributes": "250g", "quantity": 2, "unit_price": "88.50"}
    assert first["amount"] == "177.00"
    assert first["paid_at"].startswith("2026-11-22T08:15:00+08:00")
    assert entries["202611220001"]["paid_at"] is None  # awaiting payment


def test_english_headers_tabs_and_title_lines(stock, now):
    data = ("Orders exported 2026-11-22\n\n"
            + make_csv([line("A-1", amount="¥1,000.00")], header=ENGLISH,
                       delimiter="\t").decode("utf-8-sig")).encode()
    entries, counts = judged(data)
    assert counts["create"] == 1 and entries["A-1"]["amount"] == "1000.00"
    assert entries["A-1"]["lines"][0]["row"] == 4  # the file's own row numbers


@pytest.mark.parametrize("header", [
    ["订单号", "买家账号", "收货人", "手机", "详细地址", "商品编码", "商品名称", "颜色尺码", "数量",
     "价格", "订单金额", "付款时间"],
    ["order number", "Buyer", "Receiver", "Mobile", "Address", "sku", "Item", "Attributes",
     "Qty", "Price", "Amount", "Paid At"],
])
def test_other_header_names(stock, now, header):
    entries, counts = judged(make_csv([line("X1")], header=header))
    assert counts["create"] == 1 and entries["X1"]["buyer_id"] == "tb_wang"


def test_optional_columns_may_be_missing(stock, now):
    header = ["订单编号", "收货人姓名", "联系手机", "收货地址", "商家编码", "购买数量", "单价"]
    data = make_csv([["TB9", "李女士", "13900002222", "上海市", "POT-03", "1", "260"]],
                    header=header)
    entries, counts = judged(data)
    entry = entries["TB9"]
    assert counts["create"] == 1
    assert entry["lines"][0]["item_name"] == "紫砂壶"  # from the stock list
    assert entry["buyer_id"] == "" and entry["paid_at"] is None and entry["amount"] == "260.00"


def test_missing_required_columns_are_named(stock, now):
    header = ["订单编号", "收货人姓名", "收货地址", "商家编码", "单价"]
    with pytest.raises(RuleError) as error:
        svc.judge(svc.read_table(make_csv([["TB1", "王", "杭州", "TEA-01", "1"]],
                                          header=header)), "tmall")
    assert error.value.params["missing"] == ["receiver_phone", "quantity"]
    assert "联系手机 (phone)" in error.value.params["columns"]
    assert "购买数量 (quantity)" in error.value.params["columns"]


def test_excel_quoting_is_removed(stock, now):
    entries, _counts = judged(make_csv([line('="2026112200123"', phone="'13800001111")]))
    assert entries["2026112200123"]["receiver_phone"] == "13800001111"


@pytest.mark.parametrize(("data", "message"), [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(range(256)) * 4, svc.NOT_A_TABLE),
    (bytes(range(256)) * 8, svc.NOT_A_TABLE),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old Excel file"),
    (b"", "The file is empty."),
    (b"just some words\nnothing like an order\n", svc.NOT_A_TABLE),  # text, not a table
])
def test_files_that_are_not_order_tables(stock, now, data, message):
    with pytest.raises(RuleError) as error:
        svc.judge(svc.read_table(data), "tmall")
    assert message in error.value.message and error.value.field == "file"


def test_a_zip_that_is_not_a_workbook(now):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(RuleError, match="not an Excel workbook"):
        svc.read_table(out.getvalue())


def test_a_damaged_workbook(now):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not really")
    with pytest.raises(RuleError, match="could not be read"):
        svc.read_table(out.getvalue())


def test_too_large_and_too_long(stock, now, monkeypatch):
    with pytest.raises(RuleError) as error:
        svc.read_table(b"x" * (svc.MAX_BYTES + 1))
    assert error.value.params["status"] == 413
    monkeypatch.setattr(svc, "MAX_ROWS", 5)
    with pytest.raises(RuleError, match="more than"):
        svc.judge(svc.read_table(make_csv([line(f"T{i}") for i in range(30)])), "tmall")


def test_a_header_without_rows(stock, now):
    with pytest.raises(RuleError, match="no orders"):
        svc.judge(svc.read_table(make_csv([])), "tmall")


# --- grouping and verdicts -------------------------------------------------------------------


def test_rows_with_one_order_number_are_one_order(stock, now):
    rows = [line("TB1", "TEA-01", "2", "88"),
            line("TB2", "CUP-02", "1", "35"),
            # a continuation row may leave the order's fields empty
            line("TB1", "CUP-02", "4", "35", receiver="", phone="", address="", buyer="",
                 paid="")]
    entries, counts = judged(make_csv(rows))
    assert basic(counts) == {"create": 2, "duplicate": 0, "error": 0, "lines": 3,
                             "error_rows": 0, "rows": 3}
    order = entries["TB1"]
    assert order["rows"] == [2, 4]
    assert [(x["sku"], x["quantity"]) for x in order["lines"]] == [("TEA-01", 2), ("CUP-02", 4)]
    assert order["amount"] == "316.00"  # the sum of the lines without an amount
    assert order["receiver_name"] == "王先生"


def test_a_given_amount_wins_over_the_lines(stock, now):
    entries, _counts = judged(make_csv([line("TB1", amount="150.00"), line("TB1", amount="")]))
    assert entries["TB1"]["amount"] == "150.00"


@pytest.mark.parametrize(("row", "expected"), [
    (line("TB1", sku="XY-9"), "row 2: SKU XY-9 is not in the stock list."),
    (line("TB1", sku=""), "row 2: Missing SKU."),
    (line("TB1", qty="0"), "row 2: The quantity must be at least 1."),
    (line("TB1", qty="-3"), "row 2: The quantity must be at least 1."),
    (line("TB1", qty="two"), "row 2: The quantity two is not a whole number."),
    (line("TB1", qty="1.5"), "row 2: The quantity 1.5 is not a whole number."),
    (line("TB1", qty=""), "row 2: Missing quantity."),
    (line("TB1", qty="1000000"), "row 2: The quantity cannot be more than 99,999."),
    (line("TB1", price="-1"), "row 2: The unit price cannot be negative."),
    (line("TB1", price="abc"), "row 2: The unit price abc is not a number."),
    (line("TB1", price=""), "row 2: Missing unit price."),
    (line("", sku="TEA-01"), "row 2: Missing order number."),
    (line("TB1", receiver=""), "row 2: Missing receiver name."),
    (line("TB1", address=""), "row 2: Missing address."),
    (line("TB1", phone=""), "row 2: Missing phone number."),
    (line("TB1", paid="yesterday"), "row 2: The payment time yesterday is not a date (write "
                                    "it as 2026-11-22 10:05)."),
    (line("TB1", paid="2026-11-23 08:00"), "row 2: The payment time 2026-11-23 08:00 is in "
                                           "the future."),
    (line("TB1", amount="-5"), "row 2: The amount cannot be negative."),
    (line("TB1", amount="lots"), "row 2: The amount lots is not a number."),
    (line("2.02611E+17"), "row 2: The order number 2.02611E+17 was shortened by Excel: "
                          "format the column as text and export again."),
    (line("N" * 41), "row 2: The order number is longer than 40 characters."),
    (line("TB1", address="路" * 301), "row 2: The address is longer than 300 characters."),
    (line("TB1", phone="1" * 21), "row 2: The phone number is longer than 20 characters."),
    # issue 15 item 12: the visitor log's rule (portal.phones)
    (line("TB1", phone="8888666"), "row 2: The phone number 8888666 is neither a mobile number "
                                   "(11 digits) nor a landline with its area code."),
    (line("TB1", phone="1380000111"), "row 2: The phone number 1380000111 is neither a mobile "
                                      "number (11 digits) nor a landline with its area code."),
    (line("TB1", phone="tel-call-me"), "row 2: The phone number tel-call-me is neither a "
                                       "mobile number (11 digits) nor a landline with its "
                                       "area code."),
])
def test_each_reason_a_row_is_wrong(stock, now, row, expected):
    good = line("TB0")
    entries, counts = judged(make_csv([row, good]))
    wrong = next(e for e in entries.values() if e["verdict"] == "error")
    assert expected in reasons(wrong)
    assert counts["error"] == 1 and counts["create"] == 1  # the good order is not blocked
    assert entries["TB0"]["verdict"] == "create"


def test_one_bad_line_marks_its_whole_order(stock, now):
    rows = [line("TB1"), line("TB2"), line("TB1", "XY-9"), line("TB1", qty="0")]
    entries, counts = judged(make_csv(rows))
    assert entries["TB1"]["verdict"] == "error" and entries["TB2"]["verdict"] == "create"
    assert reasons(entries["TB1"]) == ["row 4: SKU XY-9 is not in the stock list.",
                                       "row 5: The quantity must be at least 1."]
    assert counts["error_rows"] == 2 and counts["lines"] == 1


def test_duplicates_in_the_database_and_in_the_file(stock, now, make_order):
    make_order(order_no="TB-OLD", platform="tmall")
    make_order(order_no="TB-JD", platform="jd")
    now = svc.clock.now()
    rows = [line("TB-OLD"), line("TB-JD"), line("TB-A"), line("TB-A", "CUP-02"),
            line("TB-A", receiver="李四", address="北京市朝阳区")]
    entries, counts = svc.judge(svc.read_table(make_csv(rows)), "tmall", now)
    by_rows = {tuple(e["rows"]): e for e in entries}
    assert [e["verdict"] for e in entries] == ["duplicate", "create", "create", "duplicate"]
    assert reasons(by_rows[(2,)]) == ["row 2: Order TB-OLD already exists on this platform."]
    assert by_rows[(3,)]["order_no"] == "TB-JD"  # the same number on another platform
    assert by_rows[(4, 5)]["lines"][1]["sku"] == "CUP-02"
    assert reasons(by_rows[(6,)]) == ["row 6: Order TB-A already appears in row 4 with "
                                      "another receiver."]
    assert counts["duplicate"] == 2 and counts["create"] == 2


def test_preview_keeps_the_import_and_creates_nothing(stock, now, presales):
    from portal.orders.models import Order
    from tests.conftest import count_rows

    record = svc.preview(presales, "tmall", "C:\\exports\\订单.csv",
                         make_csv([line("TB1"), line("TB2", "XY-9")]))
    assert record.state == "preview" and record.filename == "订单.csv"
    assert record.counts["create"] == 1 and record.counts["error"] == 1
    assert count_rows(Order) == 0
    shown, total = svc.entries(record, "error")
    assert total == 1 and shown[0].order_no == "TB2" and shown[0].row_span == "3"
    assert count_rows(OrderImport) == 1


def test_preview_refuses_an_unknown_platform(stock, now, presales):
    with pytest.raises(RuleError) as error:
        svc.preview(presales, "amazon", "x.csv", make_csv([line("TB1")]))
    assert error.value.field == "platform"


def test_ten_thousand_rows(stock, now, presales):
    """4,000 orders on 10,000 rows, some wrong and some duplicated: the counts (the time is
    measured separately: see the report)."""
    rows = []
    for n in range(4000):
        no = f"TB{n:07d}"
        rows.append(line(no, "TEA-01", "1", "88.00"))
        rows.append(line(no, "CUP-02", "2", "35.00", receiver="", phone="", address=""))
        if n % 2 == 0:
            rows.append(line(no, "POT-03", "1", "260.00"))
    rows = rows[:10_000]
    rows[10] = line(rows[10][0], "XY-9")  # one wrong line: its order is wrong
    assert len(rows) == 10_000
    record = svc.preview(presales, "taobao", "big.csv", make_csv(rows))
    counts = record.counts
    assert counts["rows"] == 10_000
    assert counts["create"] + counts["error"] == 4000 and counts["error"] == 1
    shown, total = svc.entries(record, "create")
    assert total == 3999 and len(shown) == svc.SHOWN
    assert Decimal(shown[0].amount) == Decimal("418.00")


def test_the_sample_export(stock, now):
    """tests/orders/data/taobao-export-gbk.csv: a GBK export as Taobao writes it (a title
    line, ="…" order numbers, a remark column the import ignores)."""
    from pathlib import Path

    data = (Path(__file__).parent / "data" / "taobao-export-gbk.csv").read_bytes()
    entries, counts = judged(data)
    assert basic(counts) == {"create": 2, "duplicate": 0, "error": 2, "lines": 3,
                             "error_rows": 2, "rows": 5}
    first = entries["2026112200000001"]
    assert first["rows"] == [4, 5] and first["amount"] == "211.00"
    assert entries["2026112200000002"]["amount"] == "240.00"
    assert reasons(entries["2026112200000003"]) == [
        "row 7: SKU XY-9 is not in the stock list."]
    assert reasons(entries["2026112200000004"]) == ["row 8: The quantity must be at least 1."]


def test_a_long_order_number_kept_as_a_number_in_a_workbook(stock, now):
    entries, _counts = judged(make_xlsx([line(2.0261122000123456e17), line(20261122)]))
    wrong = next(e for e in entries.values() if e["verdict"] == "error")
    assert "was shortened by Excel" in reasons(wrong)[0]
    assert entries["20261122"]["verdict"] == "create"


def test_phones_are_kept_in_the_visitor_logs_form(stock, now):
    """A mobile with spaces or +86 and a landline with its area code are accepted, stored as
    the visitor log stores them."""
    entries, counts = judged(make_csv([line("TB1", phone="+86 138 0000 1111"),
                                       line("TB2", phone="0571 88886666")]))
    assert counts["error"] == 0
    assert entries["TB1"]["receiver_phone"] == "13800001111"
    assert entries["TB2"]["receiver_phone"] == "0571-88886666"


@pytest.mark.parametrize("filename", ["orders.xlsx", "导出.XLSX", "orders.xls"])
def test_a_text_file_named_as_a_workbook_is_not_a_spreadsheet(stock, now, filename):
    """Issue 15 item 12: a CSV or text file renamed ``.xlsx`` is told it is not a workbook,
    not that its columns are missing."""
    for data in (make_csv([line("TB1")]), b"just some words\nnothing like an order\n"):
        with pytest.raises(RuleError) as error:
            svc.read_table(data, filename)
        assert error.value.message == svc.NOT_A_WORKBOOK and error.value.field == "file"
        assert error.value.params["name"] == filename


# --- a huge workbook is refused before it is read (issue 16 item 7) -----------------------------


def _huge_xlsx(rows: int, dimension: bool = True) -> bytes:
    """An .xlsx of ``rows`` filled rows written by hand (openpyxl would take a minute), with
    inline strings, and a dimension that says so (or none)."""
    cells = "".join(f'<c t="inlineStr"><is><t>{name}</t></is></c>' for name in HEADER)
    body = ['<row r="1">' + cells + "</row>"]
    for r in range(2, rows + 2):
        body.append(f'<row r="{r}"><c t="inlineStr"><is><t>TB{r}</t></is></c><c><v>1</v></c>'
                    "</row>")
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxml'
             'formats.org/spreadsheetml/2006/main">'
             + (f'<dimension ref="A1:L{rows + 1}"/>' if dimension else "")
             + "<sheetData>" + "".join(body) + "</sheetData></worksheet>")
    ns = "http://schemas.openxmlformats.org"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="' + ns + '/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxml'
            'formats-package.relationships+xml"/><Default Extension="xml" ContentType='
            '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="applicat'
            'ion/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
            'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlforma'
            'ts-officedocument.spreadsheetml.worksheet+xml"/></Types>'))
        archive.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="' + ns + '/package/'
            '2006/relationships"><Relationship Id="rId1" Type="' + ns + '/officeDocument/2006'
            '/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        archive.writestr("xl/workbook.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="' + ns + '/spreadsheetml/'
            '2006/main" xmlns:r="' + ns + '/officeDocument/2006/relationships"><sheets><sheet '
            'name="订单" sheetId="1" r:id="rId1"/></sheets></workbook>'))
        archive.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="' + ns + '/package/'
            '2006/relationships"><Relationship Id="rId1" Type="' + ns + '/officeDocument/2006'
            '/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'))
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return out.getvalue()


@pytest.fixture(scope="module")
def huge_xlsx() -> bytes:
    return _huge_xlsx(200_000)


def test_a_200000_row_workbook_is_refused_without_reading_its_rows(huge_xlsx, monkeypatch):
    """Issue 16 item 7: the refusal comes from counting the sheet's rows as it unpacks,
    stopped at the limit: openpyxl never opens the workbook, and the count stops a little
    past 20,010 rows of the 200,001."""
    import openpyxl

    scanned = []
    real = svc.count_sheet_rows
    monkeypatch.setattr(svc, "count_sheet_rows",
                        lambda archive, limit: scanned.append(real(archive, limit))
                        or scanned[-1])

    def never(*args, **kwargs):
        raise AssertionError("openpyxl read the workbook")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    assert len(huge_xlsx) < svc.MAX_BYTES
    with pytest.raises(RuleError) as error:
        svc.read_table(huge_xlsx, "orders.xlsx")
    assert error.value.params["max"] == f"{svc.MAX_ROWS:,}" and error.value.field == "file"
    assert "more than" in error.value.message
    limit = svc.MAX_ROWS + svc.HEADER_SEARCH
    # one block of XML past the limit at most, far from the 200,001 rows of the file
    assert limit < scanned[0] < limit + 20_000


def test_a_workbook_at_the_limit_is_read(stock, now, monkeypatch):
    """The count does not refuse a workbook within the limit, even one whose dimension is
    missing or overstated by formatted empty rows."""
    monkeypatch.setattr(svc, "MAX_ROWS", 30)
    data = _huge_xlsx(30, dimension=False)
    rows = svc.read_table(data, "orders.xlsx")
    assert len(rows) == 31
    with pytest.raises(RuleError, match="more than"):
        svc.read_table(_huge_xlsx(41), "orders.xlsx")
