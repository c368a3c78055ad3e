"""Remarks on orders (红旗备注, R-O1, R-O3): written in the standard form, stamped
``---YYYY.MM.DD name``, appended and never edited. An address or attribute change also
changes the order, keeping the old value in the remark. A remark on a printed or packed
order gives the order clerks a task; on a shipped order it is refused (after-sales)."""

from flask_babel import gettext
from sqlalchemy.orm.attributes import flag_modified

from portal import audit, clock
from portal.auth.models import User
from portal.extensions import db
from portal.i18n import N_
from portal.notifications import notify_role
from portal.orders import orders as svc
from portal.orders.models import Order, OrderRemark
from portal.rules import RuleError

KINDS = {
    "address": N_("Address change"),
    "attributes": N_("Attribute change"),
    "courier": N_("Courier"),
    "invoice": N_("Invoice title"),
    "card": N_("Greeting-card text"),
    "delivery": N_("Delivery time"),
    "other": N_("Other"),
}

# The standard wording of each kind (R-O1); %(new)s / %(old)s for changes.
TEXTS = {
    "address": N_("Customer asked to change the address; new address: %(new)s "
                  "(was: %(old)s)"),
    "attributes": N_("Customer asked to change %(item)s to %(new)s (was: %(old)s)"),
    "courier": N_("Customer asks for courier: %(details)s"),
    "invoice": N_("Invoice title: %(details)s"),
    "card": N_("Greeting-card text: %(details)s"),
    "delivery": N_("Delivery time: %(details)s"),
    "other": N_("%(details)s"),
}

MAX_DETAILS = 500

# A remark on an order the clerks have already printed or packed gives them a task (R-O3).
TASK_FOR_STAGE = {"printed": "correct_slip", "packed": "reprint"}


def stamp(remark: OrderRemark) -> str:
    """``---2026.11.22 张三``: the date and the author's name (R-O1)."""
    return f"---{clock.local(remark.created_at):%Y.%m.%d} {remark.author.display_name}"


def text(remark: OrderRemark) -> str:
    """The remark in the standard form, in the reader's language, with its stamp."""
    body = gettext(TEXTS[remark.kind], details=remark.details, new=remark.new_value or "",
                   old=remark.old_value or "", item=remark.details)
    extra = remark.details if remark.kind == "address" and remark.details else ""
    return " ".join(part for part in (body, extra, stamp(remark)) if part)


def _address(order: Order) -> str:
    return f"{order.receiver_name} {order.receiver_phone} {order.receiver_address}"


def add(user: User, order: Order, version: int, kind: str, details: str = "", *,
        receiver_name: str | None = None, receiver_phone: str | None = None,
        receiver_address: str | None = None, line_id: int | None = None,
        attributes: str | None = None) -> OrderRemark:
    """Append a remark (and apply an address or attribute change) to ``order``."""
    svc._expect(order, version)
    details = (details or "").strip()
    if kind not in KINDS:
        raise RuleError(N_("Choose what the remark is about."), "kind")
    if order.stage in svc.GONE:
        raise RuleError(N_("This order has shipped: the change cannot be made here. Open an "
                           "after-sales case instead."), after_sales=True)
    if order.stage == "cancelled":
        raise RuleError(N_("This order is cancelled: no more remarks."))
    if len(details) > MAX_DETAILS:
        raise RuleError(N_("Keep the remark under %(max)d characters."), "details",
                        max=MAX_DETAILS)
    remark = OrderRemark(order_id=order.id, kind=kind, stage=order.stage, author=user,
                         author_id=user.id, created_at=clock.now())
    if kind == "address":
        new = {"receiver_name": (receiver_name or "").strip() or order.receiver_name,
               "receiver_phone": svc.receiver_phone_of(receiver_phone)
               if (receiver_phone or "").strip() else order.receiver_phone,
               "receiver_address": (receiver_address or "").strip()}
        if not new["receiver_address"]:
            raise RuleError(N_("Enter the new address."), "receiver_address")
        before = {name: getattr(order, name) for name in new}
        remark.old_value = _address(order)[:400]
        for name, value in new.items():
            setattr(order, name, value)
        remark.new_value = _address(order)[:400]
        if remark.old_value == remark.new_value:
            raise RuleError(N_("The new address is the same as the old one."),
                            "receiver_address")
        changes = audit.changes(order, tuple(new), before)
    elif kind == "attributes":
        line = next((line for line in order.lines if line.id == line_id), None)
        if line is None:
            raise RuleError(N_("Choose the line to change."), "line_id")
        attributes = (attributes or "").strip()
        if not attributes:
            raise RuleError(N_("Enter the new attributes (colour, size)."), "attributes")
        if attributes == line.attributes:
            raise RuleError(N_("These are already the line's attributes."), "attributes")
        remark.old_value, remark.new_value = line.attributes or "—", attributes
        remark.details = details or line.item_name
        changes = {"attributes": [line.attributes, attributes]}
        line.attributes = attributes
    else:
        if not details:
            raise RuleError(N_("Enter the remark."), "details")
        changes = {}
    if kind != "attributes":
        remark.details = details
    db.session.add(remark)
    # the order row is written (its version moves): a remark racing a print or a
    # cancellation conflicts instead of missing the task it needs
    flag_modified(order, "stage")
    task = TASK_FOR_STAGE.get(order.stage)
    # one UPDATE of the order (stage, open tasks and version together), and the audit events
    # written together at the last flush: nothing is flushed early by the notifications' reads
    with db.session.no_autoflush:
        if task:
            svc.open_task(user, order, task, remark)  # flushes the remark with the task
        else:
            db.session.flush()  # the remark's id, for the trail
        audit.record("orders.remarked", order, actor=user, changes=changes or None,
                     details={"kind": kind, "remark_id": remark.id, "stage": order.stage})
        if order.stage == "paid":
            notify_role("order_clerk", N_("Order %(no)s: new remark from %(name)s."),
                        svc._order_link(order), no=order.order_no, name=user.display_name)
    db.session.flush()  # the order's version is checked here: a stale one is a conflict
    return remark
