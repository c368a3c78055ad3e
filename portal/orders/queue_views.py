"""The order clerks' queue (R-O2, R-O5, R-O6, R-O9, R-O10): paid orders not yet shipped in
review order with the open tasks on top, the 16:30 cut-off banner and the overdue orders;
each row flagged, packed, shipped or voided in place; slips printed for a selection.

One template (``orders/queue/index.html``) serves the page and its fragments: a row
(``queue_row``), the tasks panel, the cut-off banner, the overdue section, the print status.
"""

from flask import flash, make_response, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import actions, clock
from portal.auth.decorators import require
from portal.extensions import db
from portal.forms import record_id
from portal.i18n import N_
from portal.live.counters import cheap_poll
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
from portal.web import (
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
@cheap_poll("orders", "order_tasks", period=60)
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
@cheap_poll("orders", "order_tasks", period=60)
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
    """The row swapped in place (htmx). A row opens the red-flag or shipping form only when
    asked (``editing``), or when a form sent from it is refused or was late (its typing
    kept): the queue stays light with fifty rows. Without JavaScript a row's form is a page
    of its own."""
    if editing is None and status >= 400:
        editing = "ship" if ship_form is not None else "flag" if flag_form is not None \
            and flag_form.flag.data == "red" else None
    context = {"order": order, "row_message": message, "row_failed": status >= 400,
               "flag_form": flag_form, "ship_form": ship_form, "editing": editing,
               **queue_svc.row_context([order]), **_context()}
    if not is_fragment_request():
        if status >= 400:  # the message with the row and its form as typed
            if message:
                flash(message, "error")
            return render("orders/queue/row_page.html", status=status, **context)
        if editing and request.method == "GET":
            return render("orders/queue/row_page.html", **context)
        if message:
            flash(message, "success")
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


class RowAnswer:
    """An action on a queue row answers the row: 200 after the change, 422 with the messages
    (nothing changed), 409 with the current state when someone was first — the red-flag or
    shipping form still open with what was typed."""

    def __init__(self, order: Order, **forms) -> None:
        self.order = order
        self.forms = forms  # the row's form that was sent: flag_form / ship_form

    def done(self, result, message: str):
        return _row(self.order, message=message, events=(CHANGED,))

    def refused(self, form, message):
        if message is None and form is not None and form.form_errors:
            message = " ".join(form.form_errors)  # the row shows it in its actions cell
        return _row(self.order, status=422, message=message, **self.forms)

    def conflict(self, form, message: str):
        return _row(self.order, status=409, message=_(CHANGED_FIRST), **self.forms)

    def location(self, result) -> str:
        return url_for("orders.queue")


def _act(order: Order, form, action, done, **forms):
    """Run ``action`` on the row's order for a valid form; the row answers."""
    return actions.run(action, form=form, answer=RowAnswer(order, **forms), done=done,
                       subject=order)


@bp.route("/queue/<int:order_id>/flag", methods=["POST"])
@require("orders.work")
def queue_flag(order_id: int):
    """R-O6: flag yellow (checked) or red (out of stock: SKU and arrival; pre-sales are
    told), or clear the flag."""
    order = db.get_or_404(Order, order_id)
    form = FlagForm().for_order(order)
    flag = None if form.flag.data == "none" else form.flag.data
    done = {"yellow": _l("Flagged yellow: checked."),
            "red": _l("Flagged red; pre-sales were told.")}.get(flag, _l("The flag was cleared."))
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
                _l("Packed."))


@bp.route("/queue/<int:order_id>/ship", methods=["POST"])
@require("orders.work")
def queue_ship(order_id: int):
    """A packed order is shipped with its courier and tracking number."""
    order = db.get_or_404(Order, order_id)
    form = ShipForm()
    return _act(order, form, lambda: svc.ship(current_user, order, form.version.data,
                                              form.courier.data, form.tracking_no.data),
                _l("Shipped."), ship_form=form)


@bp.route("/queue/<int:order_id>/void", methods=["POST"])
@require("orders.work")
def queue_void(order_id: int):
    """R-O2: void an order whose cancellation was asked for (after taking back its slip or
    parcel when it was printed or packed)."""
    order = db.get_or_404(Order, order_id)
    form = ActionForm()
    return _act(order, form, lambda: svc.void(current_user, order, form.version.data),
                _l("Voided."))


# --- tasks -----------------------------------------------------------------------------------


class TaskAnswer:
    """A task done answers the tasks panel; the badge and the order's row follow."""

    def __init__(self, task: OrderTask) -> None:
        self.order_id = task.order_id

    def _panel(self, message: str, status: int = 200):
        response = _page(block="task_panel", status=status, task_message=message,
                         task_failed=status >= 400)
        return trigger(response, CHANGED, _order_changed(self.order_id))

    def done(self, task: OrderTask, message: str):
        return self._panel(message)

    def refused(self, form, message):
        return self._panel(message or " ".join(form.form_errors), 422)

    def conflict(self, form, message: str):
        return self._panel(_("Someone else finished this task first."), 409)

    def location(self, task) -> str:
        return url_for("orders.queue")


@bp.route("/queue/tasks/<int:task_id>/done", methods=["POST"])
@require("orders.work")
def queue_task_done(task_id: int):
    """A task done (slip corrected, reprinted, taken back): the panel, the badge and the
    order's row follow."""
    task = db.get_or_404(OrderTask, task_id)
    form = TaskDoneForm()
    return actions.run(
        lambda: svc.finish_task(current_user, task, form.version.data), form=form,
        answer=TaskAnswer(task), subject=task,
        done=lambda task: _("Done: %(task)s (order %(no)s).", task=_(svc.TASK_KINDS[task.kind]),
                            no=task.order.order_no))


# --- slips -----------------------------------------------------------------------------------


class PrintAnswer:
    """Printing a selection answers the queue table as it is now, with what was printed and
    a link to the slips (opened in a new tab), or why nothing was."""

    def __init__(self, selection) -> None:
        self.selection = selection

    def done(self, printed, message: str):
        url = self.location(printed)
        response = _page(block="queue_table", print_message=message, slips_url=url)
        return trigger(response, CHANGED, **{PRINT: {"url": url}})

    def _refused(self, status: int, message: str):
        """The queue table as it is now (the whole page without JavaScript), with why
        nothing was printed."""
        return _page(block="queue_table", status=status, print_message=message,
                     print_failed=True)

    def refused(self, form, message):
        return self._refused(422, message or " ".join(form.form_errors))

    def conflict(self, form, message: str):
        stale = queue_svc.stale_in(self.selection)
        return self._refused(409, _(
            "Someone else changed these orders first: %(numbers)s. Their current state is "
            "shown; nothing was printed.", numbers=", ".join(o.order_no for o in stale)))

    def location(self, printed) -> str:
        """The slips of what was printed (without JavaScript, the answer goes there)."""
        return url_for("orders.slips", ids=",".join(str(order.id) for order in printed))


@bp.route("/queue/print", methods=["POST"])
@require("orders.work")
def queue_print():
    """Print the dispatch slips of the ticked orders: paid ones become "printed" (the queue
    table is redrawn as it is now) and the slips page opens in a new tab; without
    JavaScript the answer leads to the slips page itself."""
    form = PrintForm()
    selection = form.selection()
    return actions.run(lambda: queue_svc.print_selection(current_user, selection), form=form,
                       answer=PrintAnswer(selection),
                       done=lambda printed: _("%(count)d slips printed.", count=len(printed)))


def _slips_page(order_ids):
    """The slips of ``order_ids``, ready to print."""
    orders, remarks = queue_svc.slips(order_ids)
    return render(SLIPS, orders=orders, remarks=remarks, printed_at=clock.now(), **vocab())


@bp.route("/slips")
@require("orders.work")
def slips():
    """The dispatch slips of ``?ids=1,2,3``, one per A5 page, ready to print."""
    raw = request.args.get("ids", "")
    ids = [number for part in raw.split(",") if (number := record_id(part))]
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
    from portal.ui import Card, NavItem, register_audit, register_card, register_nav

    register_nav(app, NavItem("orders.queue", _l("Order queue"), "orders.work", order=12,
                              active_prefix=("orders.queue", "orders.slips"),
                              badge_endpoint="orders.queue_badge", badge_event=CHANGED))
    register_card(app, Card("orders-clerk", _l("Order queue"), "orders.work",
                            "orders/queue/_card_clerk.html", _clerk_card, order=25,
                            stylesheet="css/orders-queue.css", events=(CHANGED,)))
    register_card(app, Card("orders-overdue", _l("Overdue orders"), "orders.oversee",
                            "orders/queue/_card_overdue.html", _overdue_card, order=26,
                            stylesheet="css/orders-queue.css", events=(CHANGED,)))
    register_audit(app, actions={
        "orders.printed": N_("Dispatch slip printed"),
        "orders.reprinted": N_("Dispatch slip reprinted"),
        "orders.packed": N_("Order packed"),
        "orders.shipped": N_("Order shipped"),
        "orders.completed": N_("Order completed"),
        "orders.flagged": N_("Order flagged"),
        "orders.voided": N_("Order voided"),
        "orders.task_opened": N_("Order clerk task opened"),
        "orders.task_done": N_("Order clerk task done"),
    })
