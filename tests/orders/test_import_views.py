"""The import pages over HTTP: the upload form and recent imports (page and fragment), the
upload (redirect to the preview; 422 for a file that is not a table or lacks columns; 413
for a large one), the preview with the reasons, confirm and discard in place, 409 for a
second confirm, the problems CSV, who may use them, and query counts."""

import csv
import io

import pytest

from portal.extensions import db
from portal.orders import importer as svc
from portal.orders.models import Order, OrderImport
from tests.conftest import count_rows, today
from tests.orders.conftest import HX
from tests.orders.test_import_parsing import line, make_csv, make_xlsx


def html(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def desk(client, sign_in, presales, stock, freeze):
    freeze("2026-11-22 09:30")
    sign_in(client, presales)
    return client


def upload(client, data: bytes, filename="orders.csv", platform="tmall", headers=None):
    return client.post("/orders/import", data={
        "platform": platform, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data", headers=headers or {})


SAMPLE = [line("TB1"), line("TB2", "XY-9"), line("TB3", qty="0"), line("TB-OLD"),
          line("", "TEA-01")]


# --- the upload page -------------------------------------------------------------------------


def test_the_import_page_and_its_fragment(desk, presales):
    svc.preview(presales, "jd", "京东导出.xlsx", make_xlsx([line("JD1")]))
    page = html(desk.get("/orders/import"))
    for needle in ("<html", 'id="import-upload"', 'id="import-history"', "京东导出.xlsx",
                   'enctype="multipart/form-data"', 'hx-encoding="multipart/form-data"',
                   "css/orders-import.css", "订单编号 / 订单号", "Import orders",
                   "1 to create"):
        assert needle in page, needle
    fragment = desk.get("/orders/import", headers=HX)
    body = html(fragment)
    assert fragment.status_code == 200 and "HX-Request" in fragment.headers["Vary"]
    assert "<html" not in body and body.lstrip().startswith('<section id="import-history"')


def test_the_nav_link(desk):
    assert 'href="/orders/import"' in html(desk.get("/orders/import"))


# --- uploading -------------------------------------------------------------------------------


def test_an_upload_shows_the_preview_with_the_reasons(desk, make_order, freeze):
    make_order(order_no="TB-OLD")
    freeze("2026-11-22 09:30")
    response = upload(desk, make_csv(SAMPLE))
    record = db.session.query(OrderImport).one()
    assert response.status_code == 303
    assert response.headers["Location"] == f"/orders/import/{record.id}"
    assert count_rows(Order) == 1  # only TB-OLD: nothing created yet
    page = html(desk.get(response.headers["Location"]))
    for needle in ("orders.csv", "orders to create", "Row 3: SKU XY-9 is not in the stock list.",
                   "Row 4: The quantity must be at least 1.", "Row 6: Missing order number.",
                   "Row 5: Order TB-OLD already exists on this platform.", "Confirm import",
                   "Discard", f'value="{record.version}"', "¥176.00",
                   f"/orders/import/{record.id}/problems.csv"):
        assert needle in page, needle


def test_an_upload_through_htmx_redirects_the_browser(desk):
    response = upload(desk, make_csv([line("TB1")]), headers=HX)
    record = db.session.query(OrderImport).one()
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/orders/import/{record.id}"


def test_a_csv_named_otherwise_is_read_by_its_content(desk):
    response = upload(desk, make_csv([line("TB1")], encoding="gbk"), filename="photo.jpg")
    assert response.status_code == 303 and count_rows(OrderImport) == 1


@pytest.mark.parametrize(("data", "filename", "message"), [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8, "orders.csv",
     "neither a CSV file"),
    (bytes(range(256)) * 8, "orders.xlsx", "is not an Excel workbook, although its name says so"),
    (b"hello, this is a note\nnot an export at all\n", "note.jpg", "No known header row"),
    (make_csv([["TB1", "王", "杭州", "TEA-01", "1"]],
              header=["订单编号", "收货人姓名", "收货地址", "商家编码", "单价"]), "orders.csv",
     "联系手机 (phone), 购买数量 (quantity)"),
    (b"", "empty.csv", "The file is empty."),
])
def test_files_that_are_not_exports_are_refused(desk, data, filename, message):
    response = upload(desk, data, filename=filename, headers=HX)
    body = html(response)
    assert response.status_code == 422
    assert body.lstrip().startswith('<section id="import-upload"')
    assert 'id="file-error"' in body and message in body
    assert count_rows(OrderImport) == 0


def test_a_missing_file_or_platform_is_refused(desk):
    response = desk.post("/orders/import", data={"platform": "tmall"}, headers=HX)
    assert response.status_code == 422 and "Choose the exported file" in html(response)
    response = upload(desk, make_csv([line("TB1")]), platform="amazon", headers=HX)
    assert response.status_code == 422 and 'id="platform-error"' in html(response)
    assert count_rows(OrderImport) == 0


def test_a_file_too_large_is_refused(desk, monkeypatch):
    monkeypatch.setattr(svc, "MAX_BYTES", 1000)
    data = make_csv([line(f"TB{n}") for n in range(50)])
    response = upload(desk, data)
    assert response.status_code == 413 and "larger than 10 MB" in html(response)
    response = upload(desk, data, headers=HX)  # htmx shows a 422 next to the field
    assert response.status_code == 422 and "larger than 10 MB" in html(response)
    assert count_rows(OrderImport) == 0


# --- confirming and discarding ---------------------------------------------------------------


@pytest.fixture
def record(desk, presales):
    return svc.preview(presales, "tmall", "orders.csv", make_csv(SAMPLE))


def test_confirm_in_place_then_a_second_confirm_is_409(desk, record):
    url = f"/orders/import/{record.id}/confirm"
    version = record.version
    response = desk.post(url, data={"version": version}, headers=HX)
    body = html(response)
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="import-preview"') and "<html" not in body
    assert "2 orders were created." in body and "orders created" in body
    assert "Confirm import" not in body
    assert count_rows(Order, Order.import_id == record.id) == 2  # TB1, TB-OLD

    again = desk.post(url, data={"version": version}, headers=HX)
    assert again.status_code == 409
    assert "This import was already confirmed at 2026-11-22 09:30" in html(again)
    assert count_rows(Order) == 2


def test_confirm_without_htmx_redirects(desk, record):
    response = desk.post(f"/orders/import/{record.id}/confirm", data={"version": record.version})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/orders/import/{record.id}"
    assert "2 orders were created." in html(desk.get(response.headers["Location"]))


def test_discard_then_confirm_is_409(desk, record):
    version = record.version
    response = desk.post(f"/orders/import/{record.id}/discard", data={"version": version},
                         headers=HX)
    assert response.status_code == 200 and "Discarded: nothing was imported." in html(response)
    again = desk.post(f"/orders/import/{record.id}/confirm", data={"version": version},
                      headers=HX)
    assert again.status_code == 409 and "This import was discarded" in html(again)
    assert count_rows(Order) == 0


def test_a_confirm_without_its_version_changes_nothing(desk, record):
    assert desk.post(f"/orders/import/{record.id}/confirm", headers=HX).status_code == 400
    assert count_rows(Order) == 0 and record.state == "preview"
    assert desk.post("/orders/import/999999/confirm", data={"version": 1}).status_code == 404


def test_the_preview_fragment(desk, record):
    body = html(desk.get(f"/orders/import/{record.id}", headers=HX))
    assert "<html" not in body and body.lstrip().startswith('<section id="import-preview"')


def test_the_preview_is_bounded(desk, presales, monkeypatch):
    monkeypatch.setattr(svc, "SHOWN", 3)
    rows = [line(f"TB{n}") for n in range(10)] + [line(f"BAD{n}", "XY-9") for n in range(5)]
    big = svc.preview(presales, "tmall", "big.csv", make_csv(rows))
    page = html(desk.get(f"/orders/import/{big.id}"))
    assert "… and 7 more." in page and "… and 2 more." in page
    assert "TB2<" in page and "TB3<" not in page and "BAD2<" in page and "BAD3<" not in page


def test_the_problems_csv(desk, record):
    response = desk.get(f"/orders/import/{record.id}/problems.csv")
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert text.startswith("\ufeffRow,Order number,Verdict,Why")
    assert "3,TB2,Wrong row,SKU XY-9 is not in the stock list." in text
    assert "6,,Wrong row,Missing order number." in text


def test_the_problems_csv_defuses_formulas(desk, presales):
    record = svc.preview(presales, "tmall", "x.csv", make_csv([line("=cmd|1", "XY-9")]))
    text = desk.get(f"/orders/import/{record.id}/problems.csv").get_data(as_text=True)
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert "formula" in text and not any(cell.startswith(("=", "+", "@")) for cell in cells)


# --- who may -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["aftersales", "reception", "supervisor"])
def test_roles_without_import_are_refused(client, sign_in, create_user, stock, presales, role):
    record = svc.preview(presales, "tmall", "x.csv", make_csv([line("TB1")]))
    sign_in(client, create_user(role))
    assert client.get("/orders/import").status_code == 403
    assert client.get(f"/orders/import/{record.id}").status_code == 403
    assert upload(client, make_csv([line("TB9")])).status_code == 403
    response = client.post(f"/orders/import/{record.id}/confirm",
                           data={"version": record.version})
    assert response.status_code == 403 and count_rows(Order) == 0
    assert 'href="/orders/import"' not in html(today(client))


def test_an_order_clerk_may_import(client, sign_in, clerk, stock):
    sign_in(client, clerk)
    assert upload(client, make_csv([line("TB1")])).status_code == 303


# --- query counts ----------------------------------------------------------------------------


def test_the_import_page_reads_the_same_with_few_and_many_imports(desk, presales, clerk,
                                                                   count_queries):
    svc.preview(presales, "tmall", "a.csv", make_csv([line("A1")]))
    with count_queries() as few:
        desk.get("/orders/import")
    for n in range(25):
        svc.preview(clerk if n % 2 else presales, "jd", f"b{n}.csv", make_csv([line(f"B{n}")]))
    with count_queries() as many:
        body = html(desk.get("/orders/import"))
    assert few.count == many.count
    assert body.count("/orders/import/") - body.count("/orders/import/?") >= 20


def test_the_preview_reads_the_same_for_small_and_large_imports(desk, presales,
                                                                 count_queries):
    small = svc.preview(presales, "tmall", "s.csv", make_csv([line("S1")]))
    large = svc.preview(presales, "tmall", "l.csv",
                        make_csv([line(f"L{n}", "XY-9" if n % 3 else "TEA-01")
                                  for n in range(600)]))
    db.session.commit()  # the services only flush; counted below: the pages alone
    with count_queries() as few:
        desk.get(f"/orders/import/{small.id}")
    with count_queries() as many:
        page = html(desk.get(f"/orders/import/{large.id}"))
    assert few.count == many.count
    assert "… and 200 more." in page  # 400 wrong orders, 200 shown


def test_an_import_file_name_is_cleaned_like_every_upload(desk, presales):
    """Issue 16 item 8: the import keeps the name through the one cleaner (portal/uploads.py)
    — no control, format or line-separator characters, the last path part only."""
    record = svc.preview(presales, "tmall", "C:\\exports\\订单\u202egpj.csv\x00\x07",
                         make_csv([line("TB1")]))
    assert record.filename == "订单gpj.csv"
    assert svc.preview(presales, "tmall", "\u200b\x01", make_csv([line("TB2")])).filename \
        == "orders"


def test_the_problems_csv_drops_control_characters(desk, presales):
    record = svc.preview(presales, "tmall", "x.csv", make_csv([line("TB\x01X", "XY-9")]))
    text = desk.get(f"/orders/import/{record.id}/problems.csv").get_data(as_text=True)
    assert "\x01" not in text
