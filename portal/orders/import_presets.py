"""The order files as the platforms' seller centres export them (issue 19 item 5): each
preset is data — the headers it goes by, the platform(s) its orders belong to, how items
are given and the platform's status words — and is recognised from a file's header row by
its key headers. The importer (``portal.orders.importer``) reads any of them, and a plain
table with the general headers when no preset matches.

Column names follow the published export lists: Taobao/Tmall 卖家中心 订单报表 with the
宝贝报表's item columns (one row per item), 京东商家 订单导出, 拼多多商家后台 订单导出
(one row per order line, address in parts), 抖店 订单导出 (商品维度: one row per 子订单).

Statuses are reduced to the portal's view of a platform order:
``awaiting_payment`` · ``paid`` · ``shipped`` · ``completed`` · ``refunding`` · ``closed``.
"""

import re
from dataclasses import dataclass, field
from functools import cached_property

from portal.i18n import N_

STATUSES = {
    "awaiting_payment": N_("Awaiting payment"),
    "paid": N_("Paid"),
    "shipped": N_("Shipped"),
    "completed": N_("Completed"),
    "refunding": N_("Refunding"),
    "closed": N_("Closed"),
}
# statuses that mean the same to the desk: the order goes ahead (shipping is ours to record)
GOING = ("paid", "shipped", "completed")


def status_class(status: str | None) -> str | None:
    """A status as the desk sees a change: paid, shipped and completed are one."""
    return "going" if status in GOING else status


def key(text) -> str:
    """A header or status word as compared: no spaces, underscores, dashes, dots, colons,
    commas or brackets (half- or full-width); any case."""
    return re.sub(r"[\s_\-.:：,，()（）【】\[\]]+", "", str(text)).casefold()


@dataclass(frozen=True)
class Preset:
    """One platform's export file."""

    code: str
    label: str                          # "Taobao/Tmall order export"
    platforms: tuple[str, ...]          # the platforms its orders may belong to (first: default)
    key_headers: tuple[str, ...]        # all present → this preset
    headers: dict[str, tuple[str, ...]]  # field → header names (first: the usual one)
    items: str                          # how items are given, shown in the preview
    statuses: dict[str, str] = field(default_factory=dict)  # status word → status
    # after-sale words (售后状态) that override the order status; others are ignored
    after_sale: dict[str, str] = field(default_factory=dict)
    # the address in parts (province, city, district, street, detail), joined in this order
    address_parts: tuple[str, ...] = ()
    known: tuple[str, ...] = ()         # published columns the portal does not need
    distributor: bool = False           # its orders are distributor orders (created one by one)

    def status_of(self, word: str) -> str | None:
        return self._statuses.get(key(word))

    def after_sale_of(self, word: str) -> str | None:
        return self._after_sale.get(key(word))

    @cached_property
    def _statuses(self) -> dict[str, str]:
        return {key(word): status for word, status in self.statuses.items()}

    @cached_property
    def _after_sale(self) -> dict[str, str]:
        return {key(word): status for word, status in self.after_sale.items()}


ONE_ROW_PER_ITEM = N_("One row per item; rows with the same order number are one order.")

TAOBAO = Preset(
    code="taobao",
    label=N_("Taobao/Tmall order export"),
    platforms=("taobao", "tmall"),
    key_headers=("订单编号", "买家会员名", "买家实际支付金额"),
    headers={
        "order_no": ("订单编号",),
        "buyer_id": ("买家会员名",),
        "amount": ("买家实际支付金额",),
        "status": ("订单状态",),
        "receiver_name": ("收货人姓名",),
        "receiver_address": ("收货地址",),
        "receiver_phone": ("联系手机", "联系电话"),
        "paid_at": ("订单付款时间",),
        "item_name": ("宝贝标题", "标题"),
        "sku": ("商家编码", "外部系统编号"),
        "attributes": ("商品属性", "销售属性"),
        "quantity": ("购买数量", "宝贝总数量"),
        "unit_price": ("价格", "单价"),
        "remark": ("商家备注", "订单备注"),
    },
    items=ONE_ROW_PER_ITEM,
    statuses={
        "等待买家付款": "awaiting_payment",
        "买家已付款，等待卖家发货": "paid",
        "等待卖家发货": "paid",
        "卖家部分发货": "paid",
        "卖家已发货，等待买家确认": "shipped",
        "买家已签收": "shipped",
        "交易成功": "completed",
        "退款中": "refunding",
        "交易关闭": "closed",
        "付款以前，卖家或买家主动关闭交易": "closed",
    },
    known=("买家支付宝账号", "支付单号", "支付详情", "买家应付货款", "买家应付邮费", "买家支付积分",
           "总金额", "返点积分", "买家实际支付积分", "买家留言", "运送方式", "订单创建时间",
           "宝贝种类", "物流单号", "物流公司", "店铺Id", "店铺名称", "订单关闭原因",
           "卖家服务费", "买家服务费", "发票抬头", "是否手机订单", "退款金额", "套餐信息",
           "备注"),
)

JD = Preset(
    code="jd",
    label=N_("JD order export"),
    platforms=("jd",),
    key_headers=("订单号", "客户姓名", "客户地址"),
    headers={
        "order_no": ("订单号",),
        "buyer_id": ("下单帐号", "下单账号"),
        "amount": ("应付金额", "订单金额"),
        "status": ("订单状态",),
        "receiver_name": ("客户姓名",),
        "receiver_address": ("客户地址",),
        "receiver_phone": ("联系电话",),
        "paid_at": ("付款确认时间",),
        "item_name": ("商品名称",),
        "sku": ("商家SKU", "货号", "商家编码"),
        "quantity": ("订购数量",),
        "unit_price": ("京东价",),
        "remark": ("商家备注",),
    },
    items=ONE_ROW_PER_ITEM,
    statuses={
        "等待付款": "awaiting_payment",
        "等待出库": "paid",
        "暂停": "paid",
        "等待确认收货": "shipped",
        "完成": "completed",
        "锁定": "refunding",
        "退款中": "refunding",
        "已取消": "closed",
        "取消": "closed",
    },
    known=("商品ID", "支付方式", "下单时间", "结算金额", "余额支付", "订单类型", "订单备注",
           "发票类型", "发票抬头", "发票内容", "商家备注等级", "运费金额", "订单完成时间",
           "订单来源", "订单渠道", "服务费"),
)

PDD = Preset(
    code="pdd",
    label=N_("Pinduoduo order export"),
    platforms=("pdd",),
    key_headers=("订单号", "商品数量(件)", "商家实收金额(元)"),
    headers={
        "order_no": ("订单号",),
        "amount": ("用户实付金额(元)",),
        "status": ("订单状态",),
        "after_sale": ("售后状态",),
        "receiver_name": ("收货人",),
        "receiver_phone": ("手机", "收货人手机"),
        "paid_at": ("支付时间",),
        "item_name": ("商品",),
        "sku": ("商家编码-SKU维度", "商家编码-商品维度"),
        "attributes": ("商品规格",),
        "quantity": ("商品数量(件)",),
        "line_total": ("商品总价(元)",),
        "remark": ("商家备注",),
    },
    items=N_("One row per order line; the unit price is the line's total divided by its "
             "quantity."),
    statuses={
        "待支付": "awaiting_payment",
        "待发货": "paid",
        "已发货，待签收": "shipped",
        "已签收": "completed",
        "已取消": "closed",
        "未发货，退款成功": "closed",
        "已发货，退款成功": "closed",
    },
    after_sale={"退款中": "refunding", "退货退款中": "refunding", "退款成功": "closed"},
    address_parts=("省", "市", "区", "街道"),
    known=("店铺优惠折扣(元)", "平台优惠折扣(元)", "邮费(元)", "商家实收金额(元)",
           "身份证姓名", "身份证号码", "是否审核中", "拼单成功时间", "订单成交时间",
           "承诺发货时间", "发货时间", "确认收货时间", "商品id", "用户购买手机号", "样式ID",
           "快递单号", "快递公司", "买家留言"),
)

DOUYIN = Preset(
    code="douyin",
    label=N_("Douyin shop order export"),
    platforms=("douyin",),
    key_headers=("主订单编号", "子订单编号", "选购商品"),
    headers={
        "order_no": ("主订单编号",),
        "amount": ("订单应付金额",),
        "status": ("订单状态",),
        "after_sale": ("售后状态",),
        "receiver_name": ("收件人",),
        "receiver_phone": ("收件人手机号",),
        "paid_at": ("支付完成时间",),
        "item_name": ("选购商品",),
        "sku": ("商家编码",),
        "attributes": ("商品规格",),
        "quantity": ("商品数量",),
        "unit_price": ("商品单价",),
        "remark": ("商家备注",),
    },
    items=N_("One row per sub-order (商品维度); rows with the same main order number are one "
             "order."),
    statuses={
        "待支付": "awaiting_payment",
        "备货中": "paid",
        "部分发货": "paid",
        "已发货": "shipped",
        "已完成": "completed",
        "已关闭": "closed",
    },
    after_sale={"退款中": "refunding", "售后中": "refunding", "退款成功": "closed"},
    address_parts=("省", "市", "区", "街道", "详细地址"),
    known=("子订单编号", "商品ID", "运费", "优惠总金额", "是否修改过地址", "买家留言",
           "订单提交时间", "订单完成时间", "承诺发货时间", "达人ID", "达人昵称", "流量来源",
           "支付方式", "快递公司", "快递单号"),
)

DISTRIBUTOR = Preset(
    code="distributor",
    label=N_("Distributor order sheet"),
    platforms=("distributor",),
    key_headers=("分销商", "订单号", "商家编码"),
    headers={
        "buyer_id": ("分销商",),
        "order_no": ("订单号",),
        "sku": ("商家编码",),
        "quantity": ("数量",),
        "unit_price": ("单价",),
        "receiver_name": ("收货人",),
        "receiver_phone": ("电话", "手机"),
        "receiver_address": ("地址", "收货地址"),
        "remark": ("备注",),
    },
    items=N_("One row per item; the orders wait for review (balance check) before they are "
             "issued."),
    distributor=True,
)

PRESETS = (TAOBAO, JD, PDD, DOUYIN, DISTRIBUTOR)
BY_CODE = {preset.code: preset for preset in PRESETS}


def detect(cells: list) -> Preset | None:
    """The preset whose key headers all appear in a header row; of several, the one that
    knows most of the row's columns."""
    present = {key(cell) for cell in cells if cell is not None and str(cell).strip()}
    best, best_score = None, 0
    for preset in PRESETS:
        if not all(key(header) in present for header in preset.key_headers):
            continue
        names = {key(h) for headers in preset.headers.values() for h in headers}
        names |= {key(h) for h in preset.address_parts + preset.known}
        score = len(names & present)
        if score > best_score:
            best, best_score = preset, score
    return best


def gettext(msgid: str, **params) -> str:
    """Translated for the request's reader; the English text outside a request."""
    from flask import has_request_context
    from flask_babel import gettext as translate

    if has_request_context():
        return translate(msgid, **params)
    return msgid % params if params else msgid


def expected() -> str:
    """The presets' key headers, as named in a refusal: ``淘宝/天猫 (订单编号, …)``."""
    return "; ".join(f"{gettext(preset.label)} ({', '.join(preset.key_headers)})"
                     for preset in PRESETS)
