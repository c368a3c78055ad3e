"""The platforms' export files over HTTP: the platform left to the file, the preset named
on the preview with the columns not read, a contradicting platform refused next to its
field, the status changes shown and made on confirmation (409 for a second confirm), a
file without a known header refused naming the presets, and who may upload."""

import io

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.orders.models import Order, OrderImport
from tests.conftest import count_rows
from tests.orders.conftest import HX
from tests.orders.test_import_presets import sample


def html(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def desk(client, sign_in, clerk, stock, freeze):
    freeze("2026-11-22 09:30")
    sign_in(client, clerk)
    return client


def upload(client, data: bytes, filename="ExportOrderList.csv", platform="", headers=None):
    return client.post("/orders/import", data={
        "platform": platform, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data", headers=headers or {})


def test_the_preset_is_named_on_the_preview(desk):
    response = upload(desk, sample("taobao-orders-gbk.csv"))
    assert response.status_code == 303
    page = html(desk.get(response.headers["Location"]))
    assert "Recognised as: Taobao/Tmall order export" in page
    assert "Columns not read (1): 分阶段订单信息" in page
    assert 'id="import-skip"' in page and "3312456789099990003" in page
    assert "Taobao ·" in page  # the platform the file gave


def test_the_upload_page_lists_the_presets(desk):
    page = html(desk.get("/orders/import"))
    for label in ("Taobao/Tmall order export", "JD order export", "Pinduoduo order export",
                  "Douyin shop order export", "Distributor order sheet"):
        assert label in page
    assert "主订单编号、子订单编号、选购商品" in page


def test_a_contradicting_platform_is_refused_at_its_field(desk):
    response = upload(desk, sample("pdd-orders-utf8.csv"), platform="jd", headers=HX)
    assert response.status_code == 422 and 'id="platform-error"' in html(response)
    assert "Pinduoduo order export" in html(response)
    assert count_rows(OrderImport) == 0


def test_no_known_header_names_what_was_expected(desk):
    response = upload(desk, "名称,数量\n茶,1\n".encode("gbk"), headers=HX)
    body = html(response)
    assert response.status_code == 422 and 'id="file-error"' in body
    assert "No known header row" in body and "订单编号, 买家会员名, 买家实际支付金额" in body
    assert count_rows(OrderImport) == 0


def test_status_changes_are_shown_and_made(desk):
    first = upload(desk, sample("taobao-orders-gbk.csv"))
    record_id = int(first.headers["Location"].rsplit("/", 1)[1])
    record = db.session.get(OrderImport, record_id)
    confirmed = desk.post(f"/orders/import/{record_id}/confirm",
                          data={"version": record.version}, headers=HX)
    assert confirmed.status_code == 200
    later = upload(desk, sample("taobao-orders-later-gbk.csv"))
    later_id = int(later.headers["Location"].rsplit("/", 1)[1])
    page = html(desk.get(f"/orders/import/{later_id}"))
    assert db.session.get(OrderImport, later_id).counts["update"] == 1
    assert 'id="import-update"' in page and "status changes" in page
    assert "Cancellation asked: the order clerks are told to void it." in page
    version = db.session.get(OrderImport, later_id).version
    done = desk.post(f"/orders/import/{later_id}/confirm", data={"version": version},
                     headers=HX)
    assert done.status_code == 200
    assert "0 orders were created; 1 orders changed their status." in html(done)
    db.session.expire_all()
    order = db.session.scalar(sa.select(Order).where(Order.order_no == "3312456789012345678"))
    assert order.platform_status == "refunding" and order.cancel_requested_at is not None
    again = desk.post(f"/orders/import/{later_id}/confirm", data={"version": version},
                      headers=HX)
    assert again.status_code == 409


@pytest.mark.parametrize("role", ["aftersales", "reception", "supervisor"])
def test_roles_without_import_cannot_upload_an_export(client, sign_in, create_user, stock,
                                                      role):
    sign_in(client, create_user(role))
    assert upload(client, sample("taobao-orders-gbk.csv")).status_code == 403
    assert count_rows(OrderImport) == 0
