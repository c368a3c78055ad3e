"""The day's fridge stock: the morning count minus the day's servings, in one query."""

from datetime import date

from portal.extensions import db
from portal.reception.models import MenuItem
from portal.reception.stock import fridge_stock, stock_rows
from tests.reception import fixtures_checklist as fx

items = fx.items  # the shared fixtures, by name
mark = fx.mark
serve = fx.serve


def menu(name, stock_item=None) -> MenuItem:
    item = MenuItem(name=name, kind="drink", stock_item_id=stock_item.id if stock_item else None)
    db.session.add(item)
    db.session.commit()
    return item


def test_counts_minus_servings_of_every_menu_item_drawing_on_it(create_user, freeze, items, mark,
                                                                serve):
    freeze("2026-11-22 08:20")
    user = create_user("reception")
    water, chairs = items["矿泉水"], items["椅子"]
    mark(user, water, quantity=24)
    mark(user, chairs, quantity=12)
    mark(user, items["装饰摆件"])
    still, sparkling, coffee = menu("矿泉水", water), menu("冰镇矿泉水", water), menu("咖啡")
    serve(still, 3)
    serve(sparkling, 2)
    serve(coffee, 5)  # not from the fridge count
    serve(still, 4, day=date(2026, 11, 21))  # another day's serving
    assert fridge_stock() == {water.id: 19, chairs.id: 12}
    assert fridge_stock(date(2026, 11, 21)) == {}
    (row,) = stock_rows()  # only the fridge group (and items menus draw on)
    assert (row.name, row.counted, row.served, row.remaining, row.restock) == \
        ("矿泉水", 24, 5, 19, False)


def test_below_the_restock_level_shows_restock(create_user, freeze, items, mark, serve):
    freeze("2026-11-22 08:20")
    water = items["矿泉水"]
    mark(create_user("reception"), water, quantity=8)
    serve(menu("矿泉水", water), 2)
    assert stock_rows()[0].restock is False  # 6 left: not below 6
    serve(menu("矿泉水2", water), 1)
    assert stock_rows()[0].remaining == 5 and stock_rows()[0].restock is True


def test_items_not_counted_today_have_no_stock(create_user, freeze, items):
    freeze("2026-11-22 08:20")
    assert fridge_stock() == {} and stock_rows() == []


def test_stock_takes_one_query_however_many_servings(create_user, freeze, items, mark, serve,
                                                     count_queries):
    freeze("2026-11-22 08:20")
    water = items["矿泉水"]
    mark(create_user("reception"), water, quantity=24)
    drink = menu("矿泉水", water)
    for _ in range(8):
        serve(drink, 1)
    water_id = water.id
    db.session.expire_all()
    with count_queries() as n:
        assert fridge_stock() == {water_id: 16}
    assert n.count == 1
    with count_queries() as n:
        assert stock_rows()[0].remaining == 16
    assert n.count == 1
