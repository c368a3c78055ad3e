"""The showroom's menu (drinks and snacks served to visitors, R-R5), kept by the supervisor.

A drink kept in the fridge is linked to the counted checklist item whose morning count is
its stock for the day.
"""

import sqlalchemy as sa

from portal import audit
from portal.actions import Conflict
from portal.extensions import db
from portal.i18n import N_
from portal.reception.models import ChecklistItem, MenuItem
from portal.reception.names import clean_names
from portal.reception.visitors import VisitError

KINDS = {"drink": N_("Drink"), "snack": N_("Snack")}
NAME_MAX = 60


def active_menu() -> list[MenuItem]:
    """What can be served now, drinks first."""
    return list(db.session.scalars(
        sa.select(MenuItem).where(MenuItem.active.is_(True))
        .order_by(MenuItem.kind, MenuItem.sort_order, MenuItem.id)).unique())


def all_items() -> list[MenuItem]:
    """The whole menu, active items first."""
    return list(db.session.scalars(
        sa.select(MenuItem).order_by(MenuItem.active.desc(), MenuItem.kind,
                                     MenuItem.sort_order, MenuItem.id)).unique())


def counted_items() -> list[ChecklistItem]:
    """Checklist items with a count a drink may draw on."""
    return list(db.session.scalars(
        sa.select(ChecklistItem).where(ChecklistItem.counted.is_(True),
                                       ChecklistItem.active.is_(True))
        .order_by(ChecklistItem.sort_order, ChecklistItem.id)))


def _clean(name: str | None, kind: str, stock_item_id, exclude_id: int | None = None):
    name = (name or "").strip()
    if not name:
        raise VisitError(N_("Enter the item's name."), "name")
    if len(name) > NAME_MAX:
        raise VisitError(N_("Keep the name under %(max)d characters."), "name", max=NAME_MAX)
    if kind not in KINDS:
        raise VisitError(N_("Choose drink or snack."), "kind")
    query = sa.select(MenuItem.id).where(sa.func.lower(MenuItem.name) == name.lower(),
                                         MenuItem.active.is_(True))
    if exclude_id:
        query = query.where(MenuItem.id != exclude_id)
    if db.session.scalar(query):
        raise VisitError(N_("%(name)s is already on the menu."), "name", name=name)
    stock_id = int(stock_item_id) if str(stock_item_id or "").isdigit() else None
    if stock_id is not None:
        item = db.session.get(ChecklistItem, stock_id)
        if item is None or not item.counted:
            raise VisitError(N_("Choose a counted checklist item."), "stock_item_id")
    return name, stock_id


def add_item(user, *, name: str, kind: str = "drink", stock_item_id=None,
             names: dict | None = None) -> MenuItem:
    """Put a drink or snack on the menu; ``names``: its name in the other languages."""
    name, stock_id = _clean(name, kind, stock_item_id)
    names = clean_names(names)
    last = db.session.scalar(sa.select(sa.func.max(MenuItem.sort_order))) or 0
    item = MenuItem(name=name, names=names, kind=kind, stock_item_id=stock_id,
                    sort_order=last + 1)
    db.session.add(item)
    db.session.flush()
    audit.record("reception.menu_added", item, actor=user,
                 changes={"name": [None, name], "names": [None, names], "kind": [None, kind],
                          "stock_item_id": [None, stock_id]})
    return item


def update_item(user, item: MenuItem, *, version: int, name: str, kind: str,
                stock_item_id=None, active: bool = True, names: dict | None = None) -> MenuItem:
    """Rename (in each language), relink or (de)activate a menu item; servings keep pointing
    at it."""
    if version != item.version:
        raise Conflict(item)
    names = clean_names(names)
    name, stock_id = _clean(name, kind, stock_item_id, exclude_id=item.id) if active else \
        ((name or "").strip() or item.name, item.stock_item_id)
    # assigned after _clean's query: an autoflush would hide the change from the audit
    item.name, item.kind, item.stock_item_id, item.active = name, kind, stock_id, bool(active)
    item.names = names
    changed = audit.changes(item, ("name", "names", "kind", "stock_item_id", "active"))
    if changed:
        audit.record("reception.menu_changed", item, actor=user, changes=changed)
    db.session.flush()  # a concurrent change of the item fails here (409)
    return item
