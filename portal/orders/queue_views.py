"""The order clerks' queue (R-O2, R-O5, R-O6, R-O9, R-O10): paid orders not yet shipped in
review order with the open tasks on top, the 16:30 cut-off banner and the overdue orders;
each row flagged, packed, shipped or voided in place; slips printed for a selection.

One template (``orders/queue/index.html``) serves the page and its fragments: a row
(``queue_row``), the tasks panel, the cut-off banner, the overdue section, the print status.
"""

from flask import abort, flash, make_response, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import clock
from portal.auth.decorators import require
from portal.extensions import db
from portal.i18n import N_
from portal.orders import bp
from portal.orders import orders as svc
from portal.orders import queue as queue_svc
from portal.orders.models import Order, OrderTask
from portal.orders.order_views import CHANGED_FIRST, vocab
from portal.orders.queue_forms import (
    ActionForm,
    FlagForm,
    PrintForm,
    QueueFilterForm,
    ShipForm,
    TaskDoneForm,
)
from portal.rules import RuleError
from portal.web import (
    Conflict,
    is_fragment_request,
    page_args,
    redirect_htmx_aware,
    render,
    trigger,
)

PAGE = "orders/queue/index.html"
SLIPS = "orders/queue/slips.html"
CHANGED = "orders-changed"  # HX-Trigger: the badge, the tasks, the overdue list follow
PRINT = "orders-print"  # HX-Trigger: orders-queue.js opens the slips page in a new tab
QUEUE_ARGS = ("sort", "flag", "platform", "page")


def _order_changed(order_id: int) -> str:
    """The event a row of the queue listens for (it reloads itself when it is shown)."""
    return f"order-{order_id}-changed"


def _context() -> dict:
    """The words and helpers every part of the queue page uses."""
    return {**vocab(), "couriers": svc.COURIERS, "now": clock.now(),
            "age_days": queue_svc.age_days, "paid_by": svc.paid_by(),
            "dispatch_days": queue_svc.dispatch_days()}


def _page(block: str | None = None, status: int = 200, **extra):
    """The whole queue page, or one of its blocks for htmx (reading only that block's data)."""
    whole = block is None or not is_fragment_request()
    context = {**_context(), **extra}
    if whole or block == "queue_table":
        form = QueueFilterForm()
        values = form.values()
        page = queue_svc.queue_page(values["sort"], flag=values["flag"],
                                    platform=values["platform"],
                                    page=request.args.get("page", 1, type=int) or 1)
        context.update(filter_form=form, page=page, queue_args=page_args(QUEUE_ARGS),
                       **queue_svc.row_context(page.items))
    if whole or block == "task_panel":
        tasks = queue_svc.open_tasks()
        context.update(tasks=tasks, task_total=queue_svc.open_task_count()
                       if len(tasks) >= queue_svc.TASKS_SHOWN else len(tasks))
    if whole or block == "cutoff_banner":
        context["cutoff"] = queue_svc.cutoff()
    if whole or block == "overdue_section":
        overdue = queue_svc.overdue()
        context.update(overdue=overdue, overdue_total=svc.overdue_count()
                       if len(overdue) >= queue_svc.OVERDUE_SHOWN else len(overdue))
    return render(PAGE, block=block, status=status, **context)


@bp.route("/queue", endpoint="queue")
@require("orders.work")
def queue_index():
    """The queue: cut-off banner, open tasks, overdue orders, then paid orders not yet shipped
    in review order (first come first served, large orders or urgent markets first)."""
    return _page(block="queue_table")


@bp.route("/queue/tasks")
@require("orders.work")
def queue_tasks():
    """The open tasks panel (polled)."""
    return _page(block="task_panel")


@bp.route("/queue/cutoff")
@require("orders.work")
def queue_cutoff():
    """R-O5: the cut-off banner; once it passed, the orders that missed it."""
    return _page(block="cutoff_banner")


@bp.route("/queue/overdue")
@require("orders.work")
def queue_overdue():
    """R-O10: orders paid more than three days ago and not shipped."""
    return _page(block="overdue_section")


@bp.route("/queue/badge")
@require("orders.work")
def queue_badge():
    """The navigation count: open tasks for the order clerks."""
    response = make_response(render("orders/queue/_badge.html",
                                    count=queue_svc.open_task_count()))
    response.headers["Cache-Control"] = "no-store"
    return response


# --- one row ---------------------------------------------------------------------------------



EDITORS = ("flag", "ship")


def _row(order, *, status: int = 200, message: str | None = None, flag_form=None,
         ship_form=None, events=(), editing: str | None = None):
    """The row swapped in place (htmx), else back to the queue with the message. A row
    opens the red-flag or shipping form only when asked (``editing``): the queue stays
    light with fifty rows."""
    if editing is None and status == 422:
        editing = "ship" if ship_form is not None else "flag" if flag_form is not None \
            and flag_form.flag.data == "red" else None
    context = {"order": order, "row_message": message, "row_failed": status >= 400,
               "flag_form": flag_form, "ship_form": ship_form, "editing": editing,
               **queue_svc.row_context([order]), **_context()}
    if not is_fragment_request():
        if editing and status < 400 and request.method == "GET":
            return render("orders/queue/row_page.html", **context)
        if message:
            flash(message, "error" if status >= 400 else "success")
        return redirect_htmx_aware(url_for("orders.queue"))
    response = render(PAGE, block="queue_row", status=status, **context)
    return trigger(response, *events) if events else response


@bp.route("/queue/<int:order_id>/row")
@require("orders.work")
def queue_row(order_id: int):
    """One row of the queue as it is now (a row reloads itself when its order changed);
    ``?edit=flag`` or ``?edit=ship`` opens that form in the row."""
    edit = request.args.get("edit")
    return _row(db.get_or_404(Order, order_id), editing=edit if edit in EDITORS else None)


def _act(order, form, action, done: str, **forms):
    """Run ``action`` for a valid form and answer the row: 200 after the change, 422 with
    the messages (nothing changed), 409 with the current state when someone was first."""
    if not form.validate_on_submit():
        if "csrf_token" in form.errors or "version" in form.errors:
            abort(400)
        return _row(order, status=422, **forms)
    try:
        action()
    except Conflict:
        db.session.rollback()
        return _row(order, status=409, message=_(CHANGED_FIRST))
    except RuleError as error:
        db.session.rollback()
        message = _(error.message, **error.params)
        if error.field and error.field in form:
            form[error.field].errors = list(form[error.field].errors) + [message]
            message = None
        return _row(order, status=422, message=message, **forms)
    return _row(order, message=done, events=(CHANGED,))


@bp.route("/queue/<int:order_id>/flag", methods=["POST"])
@require("orders.work")
def queue_flag(order_id: int):
    """R-O6: flag yellow (checked) or red (out of stock: SKU and arrival; pre-sales are
    told), or clear the flag."""
    order = db.get_or_404(Order, order_id)
    form = FlagForm().for_order(order)
    flag = None if form.flag.data == "none" else form.flag.data
    done = {"yellow": _("Flagged yellow: checked."),
            "red": _("Flagged red; pre-sales were told.")}.get(flag, _("The flag was cleared."))
    return _act(order, form, lambda: svc.set_flag(
        current_user, order, form.version.data, flag, sku=form.sku.data,
        arrival=form.arrival.data), done, flag_form=form)


@bp.route("/queue/<int:order_id>/pack", methods=["POST"])
@require("orders.work")
def queue_pack(order_id: int):
    """A printed order is packed."""
    order = db.get_or_404(Order, order_id)
    form = ActionForm()
    return _act(order, form, lambda: svc.pack(current_user, order, form.version.data),
                _("Packed."))


@bp.route("/queue/<int:order_id>/ship", methods=["POST"])
@require("orders.work")
def queue_ship(order_id: int):
    """A packed order is shipped with its courier and tracking number."""
    order = db.get_or_404(Order, order_id)
    form = ShipForm()
    return _act(order, form, lambda: svc.ship(current_user, order, form.version.data,
                                              form.courier.data, form.tracking_no.data),
                _("Shipped."), ship_form=form)


@bp.route("/queue/<int:order_id>/void", methods=["POST"])
@require("orders.work")
def queue_void(order_id: int):
    """R-O2: void an order whose cancellation was asked for (after taking back its slip or
    parcel when it was printed or packed)."""
    order = db.get_or_404(Order, order_id)
    form = ActionForm()
    return _act(order, form, lambda: svc.void(current_user, order, form.version.data),
                _("Voided."))


# --- tasks -----------------------------------------------------------------------------------


@bp.route("/queue/tasks/<int:task_id>/done", methods=["POST"])
@require("orders.work")
def queue_task_done(task_id: int):
    """A task done (slip corrected, reprinted, taken back): the panel, the badge and the
    order's row follow."""
    task = db.get_or_404(OrderTask, task_id)
    form = TaskDoneForm()
    if not form.validate_on_submit():
        abort(400)
    order_id, order_no, kind = task.order_id, task.order.order_no, task.kind
    try:
        svc.finish_task(current_user, task, form.version.data)
    except Conflict:
        db.session.rollback()
        message, status = _("Someone else finished this task first."), 409
    else:
        message = _("Done: %(task)s (order %(no)s).", task=_(svc.TASK_KINDS[kind]), no=order_no)
        status = 200
    if not is_fragment_request():
        flash(message, "error" if status >= 400 else "success")
        return redirect_htmx_aware(url_for("orders.queue"))
    response = _page(block="task_panel", status=status, task_message=message,
                     task_failed=status >= 400)
    return trigger(response, CHANGED, _order_changed(order_id))


# --- slips -----------------------------------------------------------------------------------


@bp.route("/queue/print", methods=["POST"])
@require("orders.work")
def queue_print():
    """Print the dispatch slips of the ticked orders: paid ones become "printed" (the queue
    table is redrawn as it is now) and the slips page opens in a new tab; without
    JavaScript the answer is the slips page itself."""
    form = PrintForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        printed = queue_svc.print_selection(current_user, form.selection())
    except Conflict as conflict:
        db.session.rollback()
        stale = conflict.record if isinstance(conflict.record, list) else [conflict.record]
        stale = [order for order in stale if order is not None]
        message = _("Someone else changed these orders first: %(numbers)s. Their current "
                    "state is shown; nothing was printed.",
                    numbers=", ".join(order.order_no for order in stale))
        return _print_refused(409, message)
    except RuleError as error:
        db.session.rollback()
        return _print_refused(422, _(error.message, **error.params))
    if not is_fragment_request():
        return _slips_page([order.id for order in printed])
    url = url_for("orders.slips", ids=",".join(str(order.id) for order in printed))
    response = _page(block="queue_table", print_message=_("%(count)d slips printed.",
                                                           count=len(printed)),
                     slips_url=url)
    return trigger(response, CHANGED, **{PRINT: {"url": url}})


def _print_refused(status: int, message: str):
    """The queue table as it is now, with why nothing was printed."""
    if not is_fragment_request():
        flash(message, "error")
        return redirect_htmx_aware(url_for("orders.queue"))
    return _page(block="queue_table", status=status, print_message=message, print_failed=True)


def _slips_page(order_ids):
    """The slips of ``order_ids``, ready to print."""
    orders, remarks = queue_svc.slips(order_ids)
    return render(SLIPS, orders=orders, remarks=remarks, printed_at=clock.now(), **vocab())


@bp.route("/slips")
@require("orders.work")
def slips():
    """The dispatch slips of ``?ids=1,2,3``, one per A5 page, ready to print."""
    raw = request.args.get("ids", "")
    ids = [int(part) for part in raw.split(",") if part.strip().isdigit()]
    return _slips_page(ids)


# --- navigation, Today cards, audit ----------------------------------------------------------


def _clerk_card(user) -> dict:
    """The clerk's Today card: open tasks, overdue orders, the cut-off."""
    cutoff = queue_svc.cutoff()
    return {"tasks": queue_svc.open_task_count(), "overdue": svc.overdue_count(),
            "cutoff": cutoff, "dispatch_days": queue_svc.dispatch_days()}


def _overdue_card(user) -> dict:
    """The supervisor's Today card: overdue orders, the five oldest."""
    now = clock.now()
    return {"count": svc.overdue_count(now), "oldest": queue_svc.overdue(5, now),
            "age_days": queue_svc.age_days, "now": now,
            "dispatch_days": queue_svc.dispatch_days(), **vocab()}


def register(app) -> None:
    """The "Order queue" entry with its open-task badge, the clerk's and the supervisor's
    Today cards, and the audit labels of the clerks' actions."""
    from portal.audit.services import ACTION_LABELS
    from portal.ui import Card, NavItem, register_card, register_nav

    register_nav(app, NavItem("orders.queue", _l("Order queue"), "orders.work", order=12,
                              active_prefix=("orders.queue", "orders.slips"),
                              badge_endpoint="orders.queue_badge", badge_event=CHANGED))
    register_card(app, Card("orders-clerk", _l("Order queue"), "orders.work",
                            "orders/queue/_card_clerk.html", _clerk_card, order=25,
                            stylesheet="css/orders-queue.css"))
    register_card(app, Card("orders-overdue", _l("Overdue orders"), "orders.oversee",
                            "orders/queue/_card_overdue.html", _overdue_card, order=26,
                            stylesheet="css/orders-queue.css"))
    for action, label in {
        "orders.printed": N_("Dispatch slip printed"),
        "orders.reprinted": N_("Dispatch slip reprinted"),
        "orders.packed": N_("Order packed"),
        "orders.shipped": N_("Order shipped"),
        "orders.completed": N_("Order completed"),
        "orders.flagged": N_("Order flagged"),
        "orders.voided": N_("Order voided"),
        "orders.task_opened": N_("Order clerk task opened"),
        "orders.task_done": N_("Order clerk task done"),
    }.items():
        ACTION_LABELS.setdefault(action, label)
