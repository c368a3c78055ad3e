"""The registers pre-sales keep: bank transfers (R-O7) with the order each one pays, picked
by search, and buyers waiting for an out-of-stock item (R-O8); their Today cards.

Each register has a quick-add form at the top (the entry appears at the top of the list
without a reload) and rows swapped in place (``hx-target="this"``): 200 after a change,
422 with the messages (nothing changed), 409 with the current row when someone was first.
"""

import re
from datetime import timedelta

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from wtforms import BooleanField, DecimalField, IntegerField, SelectField, StringField
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from portal import actions, clock
from portal.audit.services import namer
from portal.auth.decorators import require
from portal.extensions import db
from portal.forms import FilterForm, Form, LocalDateField, VersionedForm
from portal.i18n import N_
from portal.orders import bp
from portal.orders import orders as order_svc
from portal.orders import registers as svc
from portal.orders import stock as stock_svc
from portal.orders.models import BankTransfer, Order, StockWait
from portal.orders.order_forms import labelled
from portal.paging import keyset_page
from portal.web import (
    is_fragment_request,
    page_args,
    redirect_htmx_aware,
    render,
    trigger,
)

TRANSFERS = "orders/registers/transfers.html"
WAITS = "orders/registers/waits.html"
PICKER = "orders/registers/_picker.html"
TELL_ITEM = "orders/registers/_tell_item.html"
TRANSFERS_CHANGED = "transfers-changed"
WAITS_CHANGED = "waits-changed"
TRANSFER_ARGS = ("date_from", "date_to", "unlinked", "q")
WAIT_ARGS = ("state", "q")
PICKER_KEY = re.compile(r"^(new|t\d{1,12})$")
TRANSFER_CHANGED_FIRST = N_("Someone else changed this entry first (or linked that order to "
                            "another transfer). This is its current state.")
ORDER_CHANGED_FIRST = N_("Someone else changed that order (or linked it to another transfer) "
                         "first. Nothing was entered; check it and try again.")
WAIT_CHANGED_FIRST = N_("Someone else updated this buyer's entry first. This is its current "
                        "state.")


# --- forms -----------------------------------------------------------------------------------


def _short(limit: int):
    return Length(max=limit, message=_l("Keep this under %(max)d characters.", max=limit))


class MoneyField(DecimalField):
    """An amount of money (``1280.00``) whose parse error is in the portal's catalogues."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_l("Enter the amount as a number, such as 1280.00.")) from error


class PaidCheckForm(Form):
    """R-O7: the explicit confirmation (of the difference shown) and its note, when a
    transfer of another amount, or to an order being cancelled, is to mark it paid."""

    confirm_paid = StringField(_l("Mark the order paid anyway"),
                               validators=[Optional(), _short(80)])
    paid_note = StringField(_l("Note (short payment, overpayment)"),
                            validators=[Optional(), _short(300)])


class TransferForm(PaidCheckForm):
    """R-O7: a transfer received, with the order it pays when known (picked by search)."""

    received_on = LocalDateField(_l("Date received"), validators=[
        InputRequired(_l("Enter the date the transfer was received."))])
    payer = StringField(_l("Payer"), validators=[InputRequired(_l("Enter who paid.")),
                                                 _short(60)])
    amount = MoneyField(_l("Amount"), places=2, validators=[
        InputRequired(_l("Enter the amount.")),
        NumberRange(min=0.01, message=_l("The amount must be more than zero."))])
    bank = StringField(_l("Bank"), validators=[InputRequired(_l("Enter the bank.")),
                                               _short(60)])
    reference = StringField(_l("Reference (optional)"), validators=[Optional(), _short(60)])
    order_id = IntegerField(widget=HiddenInput(), validators=[Optional()])


class LinkForm(VersionedForm, PaidCheckForm):
    """R-O7: link an unlinked entry to the order it pays."""

    order_id = IntegerField(widget=HiddenInput(), validators=[
        InputRequired(_l("Choose the order from the search results."))])


class TransferFilterForm(FilterForm):
    """The register's filters: dates received, unlinked only, payer or reference."""

    date_from = LocalDateField(_l("Received from"), validators=[Optional()])
    date_to = LocalDateField(_l("Received until"), validators=[Optional()])
    unlinked = BooleanField(_l("Unlinked only"))
    q = StringField(_l("Payer or reference contains"), validators=[Optional(), _short(60)])


class WaitForm(Form):
    """R-O8: a buyer who will wait for an out-of-stock item."""

    buyer = StringField(_l("Buyer"), validators=[InputRequired(_l("Enter the buyer.")),
                                                 _short(60)])
    contact = StringField(_l("Contact (phone, WeChat or platform ID)"), validators=[
        InputRequired(_l("Enter how to reach the buyer.")), _short(60)])
    sku = StringField(_l("SKU"), validators=[InputRequired(_l("Enter the SKU.")), _short(40)])
    quantity = IntegerField(_l("Quantity"), default=1, validators=[
        InputRequired(_l("The quantity must be at least 1.")),
        NumberRange(min=1, max=9999, message=_l("From 1 to 9999."))])
    note = StringField(_l("Note"), validators=[Optional(), _short(300)])


class WaitFilterForm(FilterForm):
    """The out-of-stock register's filters: state, and a SKU or buyer."""

    state = SelectField(_l("Show"), choices=labelled(svc.WAIT_FILTERS), default="waiting",
                        validate_choice=False, validators=[
                            Optional(), AnyOf(list(svc.WAIT_FILTERS),
                                              message=_l("Choose from the list."))])
    q = StringField(_l("SKU or buyer"), validators=[Optional(), _short(60)])


class MarkForm(VersionedForm):
    """R-O8: the waiting buyer was told, bought, or gave up."""

    outcome = StringField(validators=[AnyOf(list(svc.NEXT_STATES["waiting"]),
                                            message=_l("Choose told, bought or gave up."))])


# --- shared ----------------------------------------------------------------------------------



def _vocab() -> dict:
    return {"stages": order_svc.STAGES, "payments": order_svc.PAYMENTS,
            "platforms": order_svc.PLATFORMS, "wait_states": svc.WAIT_STATES,
            "next_states": svc.NEXT_STATES, "today": clock.today(),
            "late_before": clock.today() - timedelta(days=svc.UNLINKED_AFTER_DAYS)}


def _order(order_id) -> Order | None:
    return db.session.get(Order, order_id) if order_id else None


# --- bank transfers (R-O7) -------------------------------------------------------------------


def _transfer_form(formdata=None) -> TransferForm | None:
    if not current_user.can("orders.registers"):
        return None
    form = TransferForm(formdata=formdata)
    if formdata is None:
        form.received_on.data = clock.today()
    return form


def _transfers_page(*, status: int = 200, block: str | None = "transfer_table",
                    add_form=None):
    """The register (or its table): quick-add form, filters, the entries newest first."""
    form = TransferFilterForm()
    valid = form.validate()
    if valid and form.date_from.data and form.date_to.data \
            and form.date_from.data > form.date_to.data:
        form.date_to.errors = [_("The end date is before the start date.")]
        valid = False
    query = svc.transfers_query(
        date_from=form.date_from.data if valid else None,
        date_to=form.date_to.data if valid else None,
        unlinked=bool(form.unlinked.data), text=form.q.data if valid else None)
    page = keyset_page(query, (BankTransfer.received_on, BankTransfer.id),
                       before=request.args.get("before"), after=request.args.get("after"))
    add_form = add_form if add_form is not None else _transfer_form()
    return render(TRANSFERS, block=block, status=status if valid else 422, form=form,
                  page=page, args=page_args(TRANSFER_ARGS), add_form=add_form,
                  **_picked(add_form, "new"), **_vocab())


def _picked(form, key: str, amount=None) -> dict:
    """The order picked in a transfer's form and, when linking would mark it paid, what to
    check first (the difference, a cancellation asked for: R-O7)."""
    picked = _order(form.order_id.data) if form is not None else None
    if amount is None and form is not None and "amount" in form:
        amount = form.amount.data
    return {f"{key}_picked": picked, f"{key}_check": svc.payment_check(amount, picked)}


def _transfer_row(transfer: BankTransfer, *, status: int = 200, link_form=None,
                  message: str | None = None, events=()):
    """The entry's row swapped in place (htmx), else the register (with the message)."""
    if not is_fragment_request():
        if link_form is not None and link_form.errors and not message:
            message = " ".join(str(e) for errors in link_form.errors.values() for e in errors)
        if message:
            flash(message, "error" if status >= 400 else "success")
        if status >= 400:
            return _transfers_page(block=None, status=status)
        return redirect_htmx_aware(url_for("orders.transfers"))
    response = render(TRANSFERS, block="transfer_row", status=status, t=transfer,
                      link_form=link_form, row_message=message, row_error=status >= 400,
                      **_picked(link_form, "link", transfer.amount), **_vocab())
    return trigger(response, *events) if events else response


@bp.route("/transfers")
@require("orders.registers_view")
def transfers():
    """R-O7: the bank-transfer register, newest entry first; filters; quick-add on top."""
    return _transfers_page()


class TransferAddAnswer:
    """A transfer entered appears at the top of the register without a reload; the form
    comes back empty, or as typed with why."""

    def done(self, result, message: str):
        transfer, _paid = result
        response = render(TRANSFERS, block="transfer_add_form", add_form=_transfer_form(),
                          added=transfer, saved=message, new_picked=None, new_check=None,
                          link_form=None, row_message=None, **_vocab())
        return trigger(response, TRANSFERS_CHANGED)

    def refused(self, form, message, status: int = 422):
        if is_fragment_request():
            return render(TRANSFERS, block="transfer_add_form", add_form=form, status=status,
                          **_picked(form, "new"), **_vocab())
        return _transfers_page(block=None, status=status, add_form=form)

    def conflict(self, form, message: str):
        """The order was paid, or linked to another transfer, meanwhile."""
        form.form_errors.append(_(ORDER_CHANGED_FIRST))
        return self.refused(form, None, 409)

    def location(self, result) -> str:
        return url_for("orders.transfers")


def _entered(result) -> str:
    transfer, paid = result
    if paid:
        return _("Entered. Order %(no)s was marked paid by this transfer.",
                 no=transfer.order.order_no)
    if transfer.order:
        return _("Entered and linked to order %(no)s.", no=transfer.order.order_no)
    return _("Entered.")


@bp.route("/transfers", methods=["POST"])
@require("orders.registers")
def transfer_add():
    """R-O7: enter a transfer received; linked to an order awaiting payment, the order is
    marked paid by transfer. The entry appears at the top of the list without a reload."""
    form = _transfer_form(request.form)
    return actions.run(lambda: svc.add_transfer(
        current_user, received_on=form.received_on.data, payer=form.payer.data,
        amount=form.amount.data, bank=form.bank.data, reference=form.reference.data,
        order_id=form.order_id.data, confirmed=form.confirm_paid.data,
        note=form.paid_note.data),
        form=form, answer=TransferAddAnswer(), done=_entered, conflicts=(IntegrityError,))


@bp.route("/transfers/pick")
@require("orders.registers")
def transfer_pick():
    """Pick the order a transfer pays: matching orders (order number prefix, buyer ID) as
    one types, and the picked one with its hidden ``order_id``."""
    key = request.args.get("key", "new")
    if not PICKER_KEY.match(key):
        abort(404)
    if not is_fragment_request():
        return redirect_htmx_aware(url_for("orders.transfers"))
    picked = _order(request.args.get("pick", type=int))
    if picked is None and "order_q" in request.args:
        text = request.args.get("order_q", "")[:60]
        picks = svc.pick_orders(text)
        return render(PICKER, block="order_picks", key=key, q=text, picks=picks,
                      linked=svc.linked_orders(o.id for o in picks), **_vocab())
    label = _("Linked order (optional)") if key == "new" else _("Linked order")
    return render(PICKER, key=key, picked=picked, q="", picks=[], linked=set(),
                  picker_label=label, **_vocab())


class TransferRowAnswer:
    """Linking answers the entry's row; after someone else's change, the row as it is now,
    the picked order still in its form while the entry is unlinked."""

    def __init__(self, transfer: BankTransfer) -> None:
        self.transfer = transfer

    def done(self, paid: bool, message: str):
        return _transfer_row(self.transfer, message=message, events=(TRANSFERS_CHANGED,))

    def refused(self, form, message):
        return _transfer_row(self.transfer, status=422, link_form=form, message=message)

    def conflict(self, form, message: str):
        return _transfer_row(self.transfer, status=409, link_form=form,
                             message=_(TRANSFER_CHANGED_FIRST))

    def location(self, paid) -> str:
        return url_for("orders.transfers")


@bp.route("/transfers/<int:transfer_id>/link", methods=["POST"])
@require("orders.registers")
def transfer_link(transfer_id: int):
    """R-O7: link an unlinked entry to its order (in place); an order awaiting payment by
    transfer is marked paid."""
    transfer = db.get_or_404(BankTransfer, transfer_id)
    form = LinkForm()

    def linked(paid: bool) -> str:
        no = transfer.order.order_no
        return (_("Linked. Order %(no)s was marked paid by this transfer.", no=no) if paid
                else _("Linked to order %(no)s.", no=no))

    return actions.run(lambda: svc.link_transfer(current_user, transfer, form.version.data,
                                                 form.order_id.data, form.confirm_paid.data,
                                                 form.paid_note.data),
                       form=form, answer=TransferRowAnswer(transfer), done=linked,
                       subject=transfer, conflicts=(IntegrityError,))


# --- the out-of-stock register (R-O8) ------------------------------------------------------


def _wait_form(formdata=None) -> WaitForm | None:
    if not current_user.can("orders.registers"):
        return None
    return WaitForm(formdata=formdata)


def _stock_names(waits) -> dict:
    return order_svc.stock_of(w.sku for w in waits)


def _waits_page(*, status: int = 200, block: str | None = "wait_table", add_form=None):
    """The register (or its table): quick-add form, the state filter, the entries."""
    form = WaitFilterForm()
    valid = form.validate()
    state = form.state.data if valid and form.state.data else "waiting"
    query = svc.waits_query(state, form.q.data if valid else None)
    if state in svc.HISTORY_KEYS:  # years of entries: keyset pages, no COUNT
        page = keyset_page(query, svc.HISTORY_KEYS[state], before=request.args.get("before"),
                           after=request.args.get("after"), per_page=svc.WAITS_PER_PAGE)
    else:  # the open entries, in the order they are dealt with
        page = db.paginate(query, per_page=svc.WAITS_PER_PAGE, error_out=False)
    return render(WAITS, block=block, status=status if valid else 422, form=form, page=page,
                  state=state, keyset=state in svc.HISTORY_KEYS, args=page_args(WAIT_ARGS),
                  add_form=add_form if add_form is not None else _wait_form(),
                  stock=_stock_names(page.items), **_vocab())


def _wait_row(wait: StockWait, *, status: int = 200, card: bool = False,
              message: str | None = None, events=()):
    """The entry swapped in place: its register row, or its line on the Today card."""
    if not is_fragment_request():
        if message:
            flash(message, "error" if status >= 400 else "success")
        if status >= 400:
            return _waits_page(block=None, status=status)
        return redirect_htmx_aware(url_for("home.index") if card else url_for("orders.waits"))
    context = {"wait": wait, "row_message": message, "row_error": status >= 400,
               "stock": _stock_names([wait]), **_vocab()}
    if card:
        response = render(TELL_ITEM, status=status, **context)
    else:
        response = render(WAITS, block="wait_row", status=status, **context)
    return trigger(response, *events) if events else response


@bp.route("/waits/skus")
@require("orders.registers_view")
def sku_choices():
    """The SKUs offered as one types in the register's SKU field (any case, by SKU or name),
    as the options of its ``datalist``."""
    if not is_fragment_request():
        return redirect_htmx_aware(url_for("orders.waits"))
    return render(WAITS, block="sku_choices",
                  choices=stock_svc.sku_choices(request.args.get("sku")))


@bp.route("/waits")
@require("orders.registers_view")
def waits():
    """R-O8: the out-of-stock register: waiting buyers (those to tell first), or those
    told, who bought, who gave up; quick-add on top."""
    return _waits_page()


class WaitAddAnswer:
    """A buyer registered appears at the top of the register without a reload; the form
    comes back empty, or as typed with why."""

    def done(self, wait: StockWait, message: str):
        response = render(WAITS, block="wait_add_form", add_form=_wait_form(), added=wait,
                          stock=_stock_names([wait]), row_message=None, **_vocab())
        return trigger(response, WAITS_CHANGED)

    def refused(self, form, message):
        if is_fragment_request():
            return render(WAITS, block="wait_add_form", add_form=form, **_vocab())
        return _waits_page(block=None, add_form=form)

    conflict = refused  # a new entry: nobody else can have changed it

    def location(self, wait: StockWait) -> str:
        return url_for("orders.waits")


@bp.route("/waits", methods=["POST"])
@require("orders.registers")
def wait_add():
    """R-O8: register a buyer who will wait for an item; it appears at the top of the list
    without a reload."""
    form = _wait_form(request.form)
    return actions.run(
        lambda: svc.add_wait(current_user, buyer=form.buyer.data, contact=form.contact.data,
                             sku=form.sku.data, quantity=form.quantity.data,
                             note=form.note.data),
        form=form, answer=WaitAddAnswer(),
        done=lambda wait: _("%(buyer)s is registered as waiting for %(sku)s.",
                            buyer=wait.buyer, sku=wait.sku))


class WaitRowAnswer:
    """Marking a waiting buyer answers the entry in place (register row or Today card)."""

    def __init__(self, wait: StockWait, card: bool) -> None:
        self.wait, self.card = wait, card

    def done(self, wait: StockWait, message: str):
        return _wait_row(self.wait, card=self.card, message=message, events=(WAITS_CHANGED,))

    def refused(self, form, message):
        if message is None:
            message = " ".join([*form.outcome.errors, *form.form_errors])
        return _wait_row(self.wait, status=422, card=self.card, message=message)

    def conflict(self, form, message: str):
        return _wait_row(self.wait, status=409, card=self.card, message=_(WAIT_CHANGED_FIRST))

    def location(self, wait) -> str:
        return url_for("home.index") if self.card else url_for("orders.waits")


@bp.route("/waits/<int:wait_id>/mark", methods=["POST"])
@require("orders.registers")
def wait_mark(wait_id: int):
    """R-O8: mark a waiting buyer told, bought or gave up (in the register or on the Today
    card)."""
    wait = db.get_or_404(StockWait, wait_id)
    form = MarkForm()
    return actions.run(lambda: svc.mark_wait(current_user, wait, form.version.data,
                                             form.outcome.data),
                       form=form, answer=WaitRowAnswer(wait, request.form.get("view") == "card"),
                       subject=wait,
                       done=lambda wait: _("%(buyer)s: %(state)s.", buyer=wait.buyer,
                                           state=_(svc.WAIT_STATES[wait.state])))


# --- navigation, cards, audit ----------------------------------------------------------------


def _transfers_card(user) -> dict:
    count, rows = svc.unlinked_late()
    return {"count": count, "transfers": rows}


def _tell_card(user) -> dict:
    count, rows = svc.to_tell()
    return {"count": count, "waits": rows, "stock": _stock_names(rows), **_vocab()}


_transfer_names = namer(BankTransfer, BankTransfer.received_on, BankTransfer.payer,
                        BankTransfer.amount,
                        fmt=lambda ident, day, payer, amount:
                        f"{day.isoformat()} {payer} ¥{amount:,.2f}")
_wait_names = namer(StockWait, StockWait.buyer, StockWait.sku,
                    fmt=lambda ident, buyer, sku: f"{buyer} ({sku})")


def register(app) -> None:
    """Navigation entries, Today cards and audit labels of the two registers."""
    from portal.ui import Card, NavItem, register_audit, register_card, register_nav

    register_nav(app, NavItem("orders.transfers", _l("Bank transfers"),
                              "orders.registers_view", order=16,
                              active_prefix="orders.transfer"))
    register_nav(app, NavItem("orders.waits", _l("Out-of-stock register"),
                              "orders.registers_view", order=17, active_prefix="orders.wait"))
    register_card(app, Card("orders-tell-buyers", _l("Tell these buyers"), "orders.registers",
                            "orders/registers/_card_tell.html", _tell_card, order=22,
                            stylesheet="css/orders-registers.css"))
    register_card(app, Card("orders-unlinked-transfers", _l("Unlinked bank transfers"),
                            "orders.registers", "orders/registers/_card_transfers.html",
                            _transfers_card, order=24, stylesheet="css/orders-registers.css"))
    register_audit(app, actions={
        "orders.transfer_added": N_("Bank transfer entered"),
        "orders.transfer_linked": N_("Bank transfer linked to an order"),
    }, fields={"order": N_("Linked order")},
        target=("bank_transfers", N_("Bank transfer"), _transfer_names))
    register_audit(app, actions={
        "orders.wait_added": N_("Buyer registered as waiting for stock"),
        "orders.wait_marked": N_("Waiting buyer marked"),
    }, fields={"state": N_("State")}, values={"state": svc.WAIT_STATES},
        target=("stock_waits", N_("Out-of-stock register entry"), _wait_names))
