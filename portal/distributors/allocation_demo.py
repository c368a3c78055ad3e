"""Demo for the allocation run: the festive gift box B is short (12 in stock, 19 asked by
three distributors in three markets), 西南 is marked short of it, and a run is proposed so
the page shows why each order got what it got. For demonstration only."""

import sqlalchemy as sa

from portal.extensions import db
from portal.orders.models import StockItem

from . import allocation


def seed(users, accounts, make_order) -> dict:
    presales, clerk, supervisor = users["presales"], users["clerk"], users["supervisor"]
    box = db.session.scalar(sa.select(StockItem).where(StockItem.sku == "GIFT-BOX-B"))
    if box is None:
        return {}
    box.on_hand = 12
    hz, cd, gz = accounts["fx_hzcy"], accounts["fx_cdsc"], accounts["fx_gzmx"]
    make_order(presales, gz.code, [("GIFT-BOX-B", 8), ("CADDY-TIN-2", 10)], 40)
    make_order(presales, hz.code, [("GIFT-BOX-B", 6)], 36)
    make_order(presales, cd.code, [("GIFT-BOX-B", 5), ("TOWEL-CT-3", 20)], 10)
    db.session.flush()
    allocation.rules()
    allocation.set_market(supervisor, "西南", "GIFT-BOX-B", 3, "春节前西南礼盒断货")
    run = allocation.make_run(clerk)
    return {"allocation runs": 1 if run else 0}
