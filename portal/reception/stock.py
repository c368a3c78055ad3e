"""The day's fridge stock: the morning count of each counted item (R-R2) minus what was served
of the menu items drawing on it that day (R-R5). A drink whose remaining count falls below its
``restock_level`` shows as "restock".

Both functions answer in one query, however many items and servings there are.
"""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from portal import clock
from portal.extensions import db
from portal.reception.models import ChecklistDay, ChecklistItem, ChecklistMark, MenuItem, Serving


def _served(day: date):
    """Subquery: (checklist item id, quantity served that day) of menu items drawing on it."""
    return (
        sa.select(MenuItem.stock_item_id.label("item_id"),
                  sa.func.sum(Serving.quantity).label("served"))
        .join(MenuItem, MenuItem.id == Serving.menu_item_id)
        .where(Serving.day == day, MenuItem.stock_item_id.is_not(None))
        .group_by(MenuItem.stock_item_id)
        .subquery()
    )


def _counted(day: date, served):
    return (
        sa.select(ChecklistItem, ChecklistMark.quantity,
                  sa.func.coalesce(served.c.served, 0))
        .join(ChecklistMark, ChecklistMark.item_id == ChecklistItem.id)
        .join(ChecklistDay, ChecklistDay.id == ChecklistMark.checklist_id)
        .outerjoin(served, served.c.item_id == ChecklistItem.id)
        .where(ChecklistDay.day == day, ChecklistItem.counted.is_(True),
               ChecklistMark.quantity.is_not(None))
    )


def fridge_stock(day: date | None = None) -> dict[int, int]:
    """{checklist item id: counted that morning minus served that day}, for the counted items
    marked on ``day``'s checklist. One query."""
    day = day or clock.today()
    served = _served(day)
    rows = db.session.execute(
        sa.select(ChecklistMark.item_id,
                  ChecklistMark.quantity - sa.func.coalesce(served.c.served, 0))
        .join(ChecklistDay, ChecklistDay.id == ChecklistMark.checklist_id)
        .join(ChecklistItem, ChecklistItem.id == ChecklistMark.item_id)
        .outerjoin(served, served.c.item_id == ChecklistMark.item_id)
        .where(ChecklistDay.day == day, ChecklistItem.counted.is_(True),
               ChecklistMark.quantity.is_not(None))
    )
    return {item_id: int(remaining) for item_id, remaining in rows}


@dataclass(frozen=True)
class StockRow:
    """One line of the fridge-stock widget."""

    item_id: int
    name: str
    counted: int
    served: int
    restock_level: int | None

    @property
    def remaining(self) -> int:
        return self.counted - self.served

    @property
    def restock(self) -> bool:
        return self.restock_level is not None and self.remaining < self.restock_level


def stock_rows(day: date | None = None) -> list[StockRow]:
    """The fridge stock for display: the fridge group's counted items, and any counted item a
    menu item draws on, in list order. One query."""
    day = day or clock.today()
    served = _served(day)
    drawn_on = sa.exists().where(MenuItem.stock_item_id == ChecklistItem.id)
    rows = db.session.execute(
        _counted(day, served)
        .where(sa.or_(ChecklistItem.group == "fridge", drawn_on))
        .order_by(ChecklistItem.sort_order, ChecklistItem.id)
    ).unique()
    return [StockRow(item.id, item.local_name, int(quantity), int(used), item.restock_level)
            for item, quantity, used in rows]
