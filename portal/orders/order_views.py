"""The orders pages: the quick search with the shipping promise (R-O4), one order with its
lines, remarks (R-O1, R-O3), tasks and cancellation (R-O2), and an order typed by hand.

An order's card (``order_card``) is one fragment: a remark, a cancellation or a one-click
action answers the card as it is now — 200 after the change, 422 with the messages (nothing
changed), 409 with the current state when someone else was first.
"""

from decimal import Decimal

import sqlalchemy as sa
from flask import abort, flash, make_response, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2_fragments.flask import render_blocks
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, lazyload

from portal import actions
from portal.audit.services import namer
from portal.auth.decorators import require
from portal.extensions import db
from portal.forms import choices
from portal.i18n import N_
from portal.orders import bp
from portal.orders import orders as svc
from portal.orders import remarks as remark_svc
from portal.orders.models import Order, OrderRemark, OrderTask
from portal.orders.order_forms import ActionForm, CancelForm, OrderForm, RemarkForm, SearchForm
from portal.orders.registers import transfer_for
from portal.paging import keyset_page
from portal.web import (
    is_fragment_request,
    page_args,
    redirect_htmx_aware,
    render,
    trigger,
)

LIST = "orders/index.html"
DETAIL = "orders/detail.html"
NEW = "orders/new.html"
CHANGED = "orders-changed"
SEARCH_ARGS = ("q", "stage", "platform", "flag", "archive")
CHANGED_FIRST = N_("Someone else changed this order first. This is its current state; "
                   "check it and try again.")


def vocab() -> dict:
    """The order desk's words, for every orders template."""
    return {"platforms": svc.PLATFORMS, "stages": svc.STAGES, "payments": svc.PAYMENTS,
            "flags": svc.FLAGS, "task_kinds": svc.TASK_KINDS, "remark_kinds": remark_svc.KINDS,
            "remark_text": remark_svc.text}


# --- the list and the quick search -----------------------------------------------------------


PER_PAGE = 10  # a distributor's or a regular buyer's orders: a page stays a 5 KB fragment


@bp.route("/")
@require("orders.view")
def index():
    """Orders, newest first: the quick search (order number, buyer ID, phone) and filters,
    each with its shipping promise; archived orders only when asked (R-O11)."""
    form = SearchForm()
    if not form.validate():
        abort(400)
    query = svc.search(form.q.data, stage=form.stage.data or None,
                       platform=form.platform.data or None, flag=form.flag.data or None,
                       include_archive=form.archive.data)
    page = keyset_page(query, (Order.created_at, Order.id), before=request.args.get("before"),
                       after=request.args.get("after"), per_page=PER_PAGE)
    return render(LIST, block="order_results", form=form, page=page,
                  promises=svc.promises(page.items), args=page_args(SEARCH_ARGS), **vocab())


# --- one order -------------------------------------------------------------------------------



def _remark_form(order: Order, formdata=None) -> RemarkForm:
    form = RemarkForm(formdata=formdata)
    form.line_id.choices = choices(
        (str(line.id), f"{line.sku} {line.item_name} ({line.attributes or '—'})")
        for line in order.lines)
    if formdata is None:
        form.version.data = order.version
    return form


def _remarks(order: Order) -> list[OrderRemark]:
    return db.session.scalars(sa.select(OrderRemark).where(OrderRemark.order_id == order.id)
                              .order_by(OrderRemark.id)).all()


def _tasks(order: Order) -> list[OrderTask]:
    return db.session.scalars(sa.select(OrderTask).where(OrderTask.order_id == order.id)
                              .options(lazyload(OrderTask.order))
                              .order_by(OrderTask.id)).all()


def _forms(order: Order) -> dict:
    """Which of the card's versioned one-click forms the user has (the card shows them; a
    remark's answer moves their version)."""
    open_ = not order.cancel_requested_at
    return {"paid": current_user.can("orders.create") and open_
            and order.stage == "awaiting_payment",
            "cancel": current_user.can("orders.cancel") and open_ and order.stage != "cancelled"}


def _card_context(order: Order) -> dict:
    """What the order card shows, in a fixed number of queries."""
    stock = svc.stock_of(line.sku for line in order.lines)
    return {"order": order, "remarks": _remarks(order), "tasks": _tasks(order), "stock": stock,
            "promise": svc.promise(order, stock), "archived": svc.is_archived(order),
            "transfer": transfer_for(order.id), "forms": _forms(order), **vocab()}


def _card(order: Order, *, status: int = 200, remark_form=None, cancel_form=None,
          message: str | None = None, after_sales: str | None = None):
    """The order card (htmx) or the whole order page."""
    if remark_form is None and current_user.can("orders.remark"):
        remark_form = _remark_form(order)
    if cancel_form is None and current_user.can("orders.cancel"):
        cancel_form = CancelForm(formdata=None, version=order.version)
    return render(DETAIL, block="order_card", status=status, remark_form=remark_form,
                  cancel_form=cancel_form, message=message, after_sales=after_sales,
                  failed=status >= 400,
                  action_form=ActionForm(formdata=None, version=order.version),
                  **_card_context(order))


def _order(order_id: int) -> Order:
    """The order with its lines, in one query."""
    return db.get_or_404(Order, order_id, options=[joinedload(Order.lines)])


@bp.route("/<int:order_id>")
@require("orders.view")
def detail(order_id: int):
    """One order: lines, promise, remarks in the standard form, tasks, cancellation."""
    return _card(_order(order_id))


class CardAnswer:
    """An action on the order card (ask to cancel, mark paid, completed) answers the card as
    it is now: 200 after the change, 422 with why (nothing changed), 409 with the current
    state when someone else was first. The cancel form keeps what was typed."""

    def __init__(self, order: Order, form_name: str | None = None) -> None:
        self.order = order
        self.form_name = form_name  # the card's own form that was sent ("cancel_form")
        self.after_sales = None

    def refusal_text(self, error) -> str:
        """A shipped order's refusal offers after-sales instead."""
        self.after_sales = "offer" if error.params.get("after_sales") else None
        return actions.refusal_text(error)

    def _sent(self, form) -> dict:
        return {self.form_name: form} if self.form_name and form is not None else {}

    def done(self, result, message: str):
        return trigger(_card(self.order, message=message), CHANGED)

    def refused(self, form, message):
        if message is None and form is not None and form.form_errors:
            message = " ".join(form.form_errors)  # the card shows it above, not in the form
        return _card(self.order, status=422, message=message, after_sales=self.after_sales,
                     **self._sent(form))

    def conflict(self, form, message: str):
        return _card(self.order, status=409, message=_(CHANGED_FIRST), **self._sent(form))

    def location(self, result) -> str:
        return url_for("orders.detail", order_id=self.order.id)


def _shown(default: int = 0) -> int:
    """How many remarks the page showed (the form says; a remark moves the order's version,
    so a form that is not stale saw every one of them)."""
    value = request.form.get("remarks_shown", "")
    return int(value) if value.isdigit() else default


def _remark_answer(order: Order, *, status: int = 200, form=None,
                   message: str | None = None, after_sales: str | None = None,
                   added: OrderRemark | None = None, changed: dict | None = None):
    """htmx: the remark form in place (fresh after a remark, else with the messages) and, out
    of band, the new remark and what it changed elsewhere on the card; not the whole card."""
    shown = _shown() + (1 if added else 0)
    context = {"order": order, "remarks_shown": shown,
               "remark_form": form if form is not None else _remark_form(order),
               "remark_message": message, "remark_after_sales": after_sales,
               "failed": status >= 400, "forms": _forms(order),
               "changed": dict(changed, remark=added) if added else None, **vocab()}
    response = make_response(render_blocks(DETAIL, ["remark_form", "remark_changes"],
                                           **context), status)
    response.vary.add("HX-Request")
    return response


class RemarkAnswer(CardAnswer):
    """A remark answers its form in place (htmx) with, out of band, the new remark and what
    it changed on the card; a refusal answers the form as typed with why; a conflict the
    whole card as it is now, the remark as typed still in its form."""

    def __init__(self, order: Order, line) -> None:
        super().__init__(order, "remark_form")
        self.line = line  # the line an attribute change names

    def done(self, added: OrderRemark, message: str):
        task = remark_svc.TASK_FOR_STAGE.get(added.stage)
        changed = {"receiver": added.kind == "address",
                   "lines": [self.line] if added.kind == "attributes" and self.line else [],
                   "tasks": _tasks(self.order) if task else None}
        return trigger(_remark_answer(self.order, message=message, added=added,
                                      changed=changed), CHANGED)

    def refused(self, form, message):
        if not is_fragment_request():
            return super().refused(form, message)
        return _remark_answer(self.order, status=422, form=form, message=message,
                              after_sales=self.after_sales)

    def conflict(self, form, message: str):
        response = super().conflict(form, message)
        if is_fragment_request():  # someone else was first: the whole card as it is now
            response.headers["HX-Retarget"] = "#order-card"
            response.headers["HX-Reswap"] = "outerHTML"
        return response


def _remarked(added: OrderRemark) -> str:
    task = remark_svc.TASK_FOR_STAGE.get(added.stage)
    if task:
        return _("Remark added. The order clerks have a task: %(task)s.",
                 task=_(svc.TASK_KINDS[task]))
    return _("Remark added.")


@bp.route("/<int:order_id>/remarks", methods=["POST"])
@require("orders.remark")
def remark(order_id: int):
    """R-O1: append a remark in the standard form (an address or attribute change also
    changes the order); on a printed or packed order the clerks get a task. htmx gets the
    form back with, out of band, the new remark and what it changed on the card."""
    order = _order(order_id)
    form = _remark_form(order, request.form)
    line = next((line for line in order.lines if line.id == form.line_id.data), None)
    return actions.run(lambda: remark_svc.add(
        current_user, order, form.version.data, form.kind.data, form.details.data,
        receiver_name=form.receiver_name.data, receiver_phone=form.receiver_phone.data,
        receiver_address=form.receiver_address.data, line_id=form.line_id.data,
        attributes=form.attributes.data),
        form=form, answer=RemarkAnswer(order, line), done=_remarked, subject=order)


def _cancel_asked(order: Order) -> str:
    if order.open_tasks:
        return _("Cancellation asked. The clerks take the slip/parcel back from the warehouse "
                 "first, then void the order.")
    return _("Cancellation asked. An order clerk voids the order.")


@bp.route("/<int:order_id>/cancel", methods=["POST"])
@require("orders.cancel")
def cancel(order_id: int):
    """R-O2: ask for the cancellation; the clerks void it (after taking back a printed
    order's slip or parcel); a shipped order goes to after-sales."""
    order = db.get_or_404(Order, order_id)
    form = CancelForm()
    return actions.run(lambda: svc.request_cancel(current_user, order, form.version.data,
                                                  form.reason.data),
                       form=form, answer=CardAnswer(order, "cancel_form"), done=_cancel_asked,
                       subject=order)


@bp.route("/<int:order_id>/paid", methods=["POST"])
@require("orders.create")
def mark_paid(order_id: int):
    """An order awaiting payment has been paid."""
    order = db.get_or_404(Order, order_id)
    form = ActionForm()
    return actions.run(lambda: svc.mark_paid(current_user, order, form.version.data),
                       form=form, answer=CardAnswer(order), done=_l("Marked paid."),
                       subject=order)


@bp.route("/<int:order_id>/completed", methods=["POST"])
@require("orders.work")
def mark_completed(order_id: int):
    """A shipped order whose buyer confirmed receipt is completed."""
    order = db.get_or_404(Order, order_id)
    form = ActionForm()
    return actions.run(lambda: svc.complete(current_user, order, form.version.data),
                       form=form, answer=CardAnswer(order), done=_l("Marked completed."),
                       subject=order)


# --- an order typed by hand ------------------------------------------------------------------


def _lines_of(form: OrderForm) -> list[svc.LineInput]:
    """The typed lines with a SKU; a missing name is the stock list's."""
    typed = [entry for entry in form.lines.entries if (entry.sku.data or "").strip()]
    known = svc.stock_of(entry.sku.data.strip() for entry in typed)
    return [svc.LineInput(
        sku=entry.sku.data.strip(),
        item_name=(entry.item_name.data or "").strip()
        or (known[entry.sku.data.strip()].name if entry.sku.data.strip() in known else ""),
        quantity=entry.quantity.data if entry.quantity.data is not None else 1,
        unit_price=entry.unit_price.data if entry.unit_price.data is not None
        else Decimal("0"),
        attributes=(entry.attributes.data or "").strip()) for entry in typed]


class NewAnswer:
    """An order typed by hand: its page once created, else the form as typed with why."""

    def done(self, order: Order, message: str):
        flash(message, "success")
        return redirect_htmx_aware(self.location(order))

    def refused(self, form, message):
        return render(NEW, form=form, status=422, **vocab())

    def conflict(self, form, message: str):
        """The number was taken this very moment (the unique key)."""
        no = (form.order_no.data or "").strip()
        form.order_no.errors = [_("Order %(no)s already exists on this platform.", no=no)]
        return render(NEW, form=form, status=409, **vocab())

    def location(self, order: Order) -> str:
        return url_for("orders.detail", order_id=order.id)


def _local(moment):
    return moment.replace(tzinfo=svc.clock.get_clock().tz) if moment else None


@bp.route("/new", methods=["GET", "POST"])
@require("orders.create")
def new():
    """Type an order in by hand (a phone order, a distributor's order)."""
    form = OrderForm()
    if request.method != "POST":
        return render(NEW, form=form, **vocab())
    return actions.run(lambda: svc.create(
        current_user, platform=form.platform.data, order_no=form.order_no.data,
        buyer_id=form.buyer_id.data, receiver_name=form.receiver_name.data,
        receiver_phone=form.receiver_phone.data, receiver_address=form.receiver_address.data,
        payment=form.payment.data, paid_at=_local(form.paid_at.data), lines=_lines_of(form)),
        form=form, answer=NewAnswer(), conflicts=(IntegrityError,),
        done=lambda order: _("Order %(no)s created.", no=order.order_no))


# --- registration ----------------------------------------------------------------------------

_order_names = namer(Order, Order.order_no)
_task_names = namer(OrderTask, Order.order_no, joins=((Order, Order.id == OrderTask.order_id),))


def register(app) -> None:
    """Navigation entries and audit labels of the orders pages."""
    from portal.ui import NavItem, register_audit, register_nav

    register_nav(app, NavItem("orders.index", _l("Orders"), "orders.view", order=13,
                              active_prefix=("orders.index", "orders.detail", "orders.new")))
    register_audit(app, actions={
        "orders.created": N_("Order created"),
        "orders.paid": N_("Order marked paid"),
        "orders.remarked": N_("Order remark added"),
        "orders.cancel_requested": N_("Order cancellation asked"),
        "orders.completed": N_("Order completed"),
        "orders.task_opened": N_("Order clerk task opened"),
        "orders.task_done": N_("Order clerk task done"),
    }, fields={
        "receiver_name": N_("Receiver"), "receiver_phone": N_("Receiver's phone"),
        "receiver_address": N_("Receiver's address"), "attributes": N_("Attributes"),
        "stage": N_("Stage"), "paid_at": N_("Paid at"), "payment": N_("Payment"),
        "flag": N_("Flag"), "flag_sku": N_("Out-of-stock SKU"),
        "flag_arrival": N_("Expected arrival"), "courier": N_("Courier"),
        "tracking_no": N_("Tracking number"),
    }, values={"stage": svc.STAGES, "payment": svc.PAYMENTS, "flag": svc.FLAGS},
        target=("orders", N_("Sales order"), _order_names))
    register_audit(app, target=("order_tasks", N_("Order clerk task"), _task_names))
