"""Issue 19 item 5 in the browser: an order clerk uploads a Taobao export as the seller
centre writes it — GBK, ="…" order numbers, ￥ amounts with thousands separators, an order
of three items on three rows, a column the portal does not read — without choosing the
platform; the preview names the preset ("识别为：淘宝/天猫订单导出") and the column not read;
confirming creates the order with its three lines."""

import csv
import io
import re
import secrets

import pytest

from tests.e2e.support import expect

pytestmark = pytest.mark.e2e

CLERK = "presales7"  # 曹颖: the account the import browser tests write with
HEADER = ["订单编号", "买家会员名", "买家实际支付金额", "订单状态", "收货人姓名", "收货地址",
          "联系手机", "订单付款时间", "宝贝标题", "商家编码", "价格", "购买数量", "商品属性",
          "商家备注", "分阶段订单信息"]


def _orders(portal_data, numbers):
    def read():
        import sqlalchemy as sa

        from portal.extensions import db
        from portal.orders.models import Order

        return {o.order_no: (o.platform, o.stage, str(o.amount), len(o.lines))
                for o in db.session.scalars(sa.select(Order).where(
                    Order.order_no.in_(numbers)))}

    return portal_data(read)


def test_a_taobao_gbk_export_imports_as_it_is(page, t, sign_in, portal_data, tmp_path,
                                              screenshot):
    number = f"33{secrets.randbelow(10**16):016d}"
    paid = "2026-11-21 20:15:07"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerow([f'="{number}"', "tb_linxiaoyu", "￥1,066.00", "买家已付款，等待卖家发货",
                     "林晓雨", "浙江省 杭州市 西湖区 文三路 90 号", "13812345678", paid,
                     "西湖龙井 250g", "TEA-LJ-250", "￥168.00", "2", "简装", "送礼，附贺卡", ""])
    writer.writerow([f'="{number}"', "", "", "", "", "", "", "", "青瓷茶杯六只装", "CUP-QC-6",
                     "￥89.00", "2", "青色", "", ""])
    writer.writerow([f'="{number}"', "", "", "", "", "", "", "", "功夫茶具十二件套",
                     "SET-GF-12", "￥468.00", "1", "标准", "", ""])
    export = tmp_path / "ExportOrderList202611221000.csv"
    export.write_bytes(out.getvalue().encode("gbk"))

    sign_in(CLERK)
    page.goto("/orders/import")
    expect(page.locator(".import-presets")).to_contain_text(t("Taobao/Tmall order export"))
    # the platform is left to the file
    page.get_by_label(t("Export file"), exact=True).set_input_files(str(export))
    page.get_by_role("button", name=t("Preview the import"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/orders/import/\d+$"))

    preview = page.locator("#import-preview")
    expect(preview.locator(".import-preset")).to_contain_text(
        t("Recognised as: %(preset)s", preset=t("Taobao/Tmall order export")))
    expect(preview.locator(".import-unknown")).to_contain_text("分阶段订单信息")
    expect(preview.locator(".count-create strong")).to_have_text("1")
    expect(preview.locator("#import-create")).to_contain_text(number)
    expect(preview.locator("#import-create ul.lines li")).to_have_count(3)
    page.wait_for_load_state("networkidle")
    screenshot(page, "orders-import-taobao-preview")

    page.get_by_role("button", name=t("Confirm import"), exact=True).click()
    expect(preview.locator(".import-message")).to_have_text(
        t("%(count)d orders were created.", count=1))
    assert _orders(portal_data, [number]) == {number: ("taobao", "paid", "1066.00", 3)}
    screenshot(page, "orders-import-taobao-done")


def test_the_demo_export_shows_a_status_change(page, t, sign_in, screenshot):
    """The demo's Taobao export waiting for confirmation: an order already here is now
    refunding on the platform (a status change and what it does), a closed one is not for
    the desk."""
    sign_in(CLERK)
    page.goto("/orders/import")
    page.locator("#import-history tr").filter(has_text="ExportOrderList").filter(
        has_text=t("Waiting for confirmation")).first.locator("a").click()
    preview = page.locator("#import-preview")
    expect(preview.locator(".count-update strong")).to_have_text("1")
    expect(preview.locator("#import-update")).to_contain_text("退款中")
    expect(preview.locator("#import-update")).to_contain_text(
        t("Cancellation asked: the order clerks are told to void it."))
    expect(preview.locator("#import-skip")).to_contain_text("交易关闭")
    page.wait_for_load_state("networkidle")
    screenshot(page, "orders-import-status-change")
    page.goto("/orders/import")
    page.locator("details.import-columns summary").click()
    screenshot(page, "orders-import-presets")
