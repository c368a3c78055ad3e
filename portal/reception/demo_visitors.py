"""Demo visitors: the showroom's menu (drinks linked to the fridge counts of the checklist
when its items exist), a month of visits, the visits of today so far and three parties in
the showroom now. For demonstration only.

The returning visitor 13912345678 came ten days ago and was taken by 周婷 (presales2): the
browser test types that number.
"""

import random
from datetime import datetime, time, timedelta

import sqlalchemy as sa

from portal import audit, clock
from portal.extensions import db
from portal.reception.models import ChecklistItem, Consultant, MenuItem, Serving, Visit
from portal.reception.visitors import _fridge_stock

# (name, kind, the checklist item whose count is its stock)
MENU = [
    ("矿泉水", "drink", "矿泉水"), ("可乐", "drink", "可乐"), ("咖啡", "drink", None),
    ("茶", "drink", "茶饮"), ("橙汁", "drink", "橙汁"), ("饼干", "snack", None),
    ("水果拼盘", "snack", None),
]
FREE_CONSULTANTS = ["外援小李", "项目经理老陈", "渠道顾问王磊"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
TITLES = ["先生", "女士", "小姐", "阿姨", "叔叔"]
NOTES = ["看三居室样板间", "咨询首付比例", "带父母来看房", "等贷款审批结果", "问车位价格",
         "对比了隔壁楼盘", "约了下周签约", "交房问题咨询", None, None, None]
PURPOSES = ["viewing"] * 6 + ["signing"] * 2 + ["aftersales"] * 2 + ["other"]
SOURCES = ["walk_in"] * 4 + ["appointment"] * 3 + ["referral"] * 2 + ["advertising"] * 2 \
    + ["returning"] * 2
RETURNING_PHONE = "13912345678"


def _moment(day, hhmm_minutes: int) -> datetime:
    return datetime.combine(day, time()).replace(tzinfo=clock.get_clock().tz) \
        + timedelta(minutes=hhmm_minutes)


def _menu() -> list[MenuItem]:
    counted = {item.name: item.id for item in db.session.scalars(
        sa.select(ChecklistItem).where(ChecklistItem.counted.is_(True)))}
    items = [MenuItem(name=name, kind=kind, stock_item_id=counted.get(stock), sort_order=n)
             for n, (name, kind, stock) in enumerate(MENU, start=1)]
    db.session.add_all(items)
    db.session.flush()
    return items


def seed_visitors(users: dict) -> dict:
    """Seed the menu and the visits; returns what was made."""
    rng = random.Random(20261122)
    menu = _menu()
    drinks = [m for m in menu if m.kind == "drink"]
    snacks = [m for m in menu if m.kind == "snack"]
    staff = [u for name, u in sorted(users.items()) if u.role == "presales" and u.active]
    desk = [u for u in users.values() if u.role == "reception" and u.active] \
        or [users["reception"]]
    # the pre-sales staff take parties: the arrival form offers them (issue 15 item 14)
    supervisor = next((u for u in users.values() if u.role == "supervisor"), desk[0])
    db.session.add_all(Consultant(user_id=u.id, marked_by_id=supervisor.id, marked_at=clock.now())
                       for u in staff)
    phones = [f"1{rng.choice('3578')}{rng.randrange(10**9):09d}" for _ in range(40)]
    now = clock.now()
    today = now.date()
    stock_today = dict(_fridge_stock(today))
    visits: list[Visit] = []
    servings: list[tuple[Visit, MenuItem, int]] = []

    def add(day, arrived_at, stay_minutes, **fields) -> Visit:
        consultant = rng.choice(staff) if rng.random() < 0.8 and staff else None
        phone = rng.choice(phones) if rng.random() < 0.45 else None
        visit = Visit(
            day=day, arrived_at=arrived_at,
            left_at=arrived_at + timedelta(minutes=stay_minutes) if stay_minutes else None,
            party_size=rng.choice([1, 1, 2, 2, 2, 3, 3, 4, 5]),
            purpose=rng.choice(PURPOSES), source=rng.choice(SOURCES),
            consultant_id=consultant.id if consultant else None,
            consultant_name=None if consultant else rng.choice(FREE_CONSULTANTS),
            visitor_name=(rng.choice(SURNAMES) + rng.choice(TITLES)) if phone else None,
            phone=phone, note=rng.choice(NOTES), created_by_id=rng.choice(desk).id,
            created_at=arrived_at)
        for name, value in fields.items():
            setattr(visit, name, value)
        visits.append(visit)
        for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
            item = rng.choice(drinks if rng.random() < 0.75 else snacks)
            quantity = rng.choice([1, 1, 2, visit.party_size])
            if day == today and item.stock_item_id in stock_today:
                if stock_today[item.stock_item_id] < quantity:
                    continue  # never serve more than the fridge held this morning
                stock_today[item.stock_item_id] -= quantity
            servings.append((visit, item, quantity))
        return visit

    # a month of history: 8–15 parties a day between 09:00 and 18:00
    for back in range(30, 0, -1):
        day = today - timedelta(days=back)
        for _ in range(rng.randint(8, 15)):
            start = rng.randrange(9 * 60, 18 * 60)
            add(day, _moment(day, start), rng.randint(15, 130))
    # the returning visitor, taken by 周婷 ten days ago
    ten_days = today - timedelta(days=10)
    add(ten_days, _moment(ten_days, 15 * 60 + 10), 55, phone=RETURNING_PHONE,
        visitor_name="钱先生", consultant_id=users["presales2"].id, consultant_name=None,
        purpose="viewing", source="advertising", note="看了两套三居室,下次带家人来")
    # today so far: earlier parties that have left (when the day is far enough along)
    minutes_now = now.hour * 60 + now.minute
    first = 9 * 60 if minutes_now >= 11 * 60 else max(minutes_now - 180, 0)
    last = minutes_now - 100
    for _ in range(rng.randint(6, 9) if last - first > 60 else 0):
        start = rng.randrange(first, last)
        stay = rng.randint(15, max(min(minutes_now - start - 5, 120), 16))
        add(today, _moment(today, start), min(stay, minutes_now - start - 1))
    # three parties in the showroom now, one of them for a long time
    for minutes_ago in (105, 42, 12):
        arrived = now - timedelta(minutes=minutes_ago)
        add(clock.local(arrived).date(), arrived, None)
    db.session.add_all(visits)
    db.session.flush()
    db.session.add_all(
        Serving(visit_id=visit.id, menu_item_id=item.id, quantity=quantity, day=visit.day,
                served_at=visit.arrived_at + timedelta(minutes=5),
                served_by_id=visit.created_by_id)
        for visit, item, quantity in servings)
    for visit in visits[-3:]:
        audit.record("reception.visit_arrived", visit, actor=db.session.get(
            type(users["reception"]), visit.created_by_id),
            changes={"party_size": [None, visit.party_size], "purpose": [None, visit.purpose]})
    return {"menu_items": len(menu), "visits": len(visits), "servings": len(servings)}
