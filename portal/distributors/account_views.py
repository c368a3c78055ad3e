"""Distributor accounts: the list (balance, credit left, overdue, state), an account's page
with its ledger and the actions in place, the statement of account (print and xlsx)."""

from urllib.parse import quote

import sqlalchemy as sa
from flask import Response, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import actions, clock
from portal.auth.decorators import require
from portal.extensions import db
from portal.i18n import N_
from portal.paging import keyset_page
from portal.web import is_fragment_request, page_args, render, trigger

from . import bp, ledger
from .forms import (
    AccountFilterForm,
    AccountForm,
    AdjustmentForm,
    HoldForm,
    PaymentForm,
    StatementForm,
    TermsForm,
)
from .models import DistributorAccount, LedgerEntry

LIST = "distributors/list.html"
ACCOUNT = "distributors/account.html"
STATEMENT = "distributors/statement.html"
LEDGER_CHANGED = "ledger-changed"
LIST_ARGS = ("market", "state", "q")


def _vocab() -> dict:
    return {"modes": ledger.MODES, "states": ledger.STATES, "kinds": ledger.KINDS,
            "markets": ledger.MARKETS}


# --- the list --------------------------------------------------------------------------------


def _list_page(*, status=200, add_form=None, block="account_table"):
    form = AccountFilterForm()
    valid = form.validate()
    query = sa.select(DistributorAccount)
    if valid and form.market.data:
        query = query.where(DistributorAccount.market == form.market.data)
    if valid and form.state.data:
        query = query.where(DistributorAccount.state == form.state.data)
    if valid and form.q.data:
        query = query.where(DistributorAccount.name >= form.q.data,
                            DistributorAccount.name < form.q.data + "\uffff")
    page = keyset_page(query, (DistributorAccount.name, DistributorAccount.id),
                       before=request.args.get("before"), after=request.args.get("after"),
                       per_page=40)
    if add_form is None and current_user.can("distributors.manage"):
        add_form = AccountForm(formdata=None)
    return render(LIST, block=block, status=status if valid else 422, form=form, page=page,
                  figures=ledger.standings(page.items), args=page_args(LIST_ARGS),
                  add_form=add_form, **_vocab())


@bp.route("/")
@require("distributors.view")
def index():
    """Every distributor with its balance, credit left, overdue debt and state."""
    return _list_page()


class NewAccountAnswer:
    def done(self, account, message):
        return _redirect(account)

    def refused(self, form, message):
        return _list_page(add_form=form, block="add_account")

    def conflict(self, form, message):
        return _list_page(add_form=form, block="add_account")

    def location(self, account) -> str:
        return url_for("distributors.account", account_id=account.id)


def _redirect(account):
    from portal.web import redirect_htmx_aware

    return redirect_htmx_aware(url_for("distributors.account", account_id=account.id))


@bp.route("/new", methods=["POST"])
@require("distributors.manage")
def create():
    """A new distributor account."""
    form = AccountForm()
    return actions.run(lambda: ledger.create_account(
        current_user, name=form.name.data, code=form.code.data, market=form.market.data,
        contact_name=form.contact_name.data or "", contact_phone=form.contact_phone.data or "",
        credit_line=form.credit_line.data, terms_days=form.terms_days.data,
        mode=form.mode.data), form=form, answer=NewAccountAnswer(),
        done=lambda a: _("Account %(name)s created.", name=a.name))


# --- an account ------------------------------------------------------------------------------


def _account(account_id: int) -> DistributorAccount:
    return db.get_or_404(DistributorAccount, account_id)


def _ledger_page(account):
    return keyset_page(ledger.entries_query(account.id),
                       (LedgerEntry.booked_at, LedgerEntry.id),
                       before=request.args.get("before"), after=request.args.get("after"),
                       per_page=25)


def _forms(account, **given) -> dict:
    forms = {"payment_form": None, "adjust_form": None, "terms_form": None, "hold_form": None}
    if current_user.can("distributors.payments"):
        forms["payment_form"] = PaymentForm(formdata=None)
    if current_user.can("distributors.manage"):
        forms["adjust_form"] = AdjustmentForm(formdata=None)
        forms["terms_form"] = TermsForm(formdata=None, obj=account)
        forms["hold_form"] = HoldForm(formdata=None, obj=account)
    forms.update(given)
    return forms


def _waiting_orders(account):
    from portal.orders.models import Order

    return list(db.session.scalars(
        sa.select(Order).where(Order.stage == "review", Order.buyer_id == account.code)
        .order_by(Order.created_at, Order.id).limit(20)))


def _account_page(account, *, block=None, status=200, message=None, ok=True, **given):
    context = {"account": account, "standing": ledger.standing(account),
               "message": message, "ok": ok, **_forms(account, **given), **_vocab()}
    if block is None or not is_fragment_request():
        entries = _ledger_page(account)
        context.update(entries=entries, numbers=ledger.order_numbers(entries.items),
                       waiting=_waiting_orders(account),
                       customer_id=account.customer_id or ledger.customer_of(account.code),
                       statement_form=StatementForm())
    return render(ACCOUNT, block=block, status=status, **context)


@bp.route("/<int:account_id>")
@require("distributors.view")
def account(account_id: int):
    """An account: where it stands, its terms, the actions, the ledger (newest first)."""
    found = _account(account_id)
    if is_fragment_request() and request.args.get("part") == "ledger":
        entries = _ledger_page(found)
        return render(ACCOUNT, block="ledger", account=found, entries=entries,
                      numbers=ledger.order_numbers(entries.items), **_vocab())
    return _account_page(found)


class AccountAnswer:
    """An account's action answers where it stands (and its forms); the ledger re-fetches
    itself on ``ledger-changed``."""

    def __init__(self, account, form_name: str) -> None:
        self.account, self.form_name = account, form_name

    def done(self, result, message):
        return trigger(_account_page(self.account, block="standing", message=message),
                       LEDGER_CHANGED)

    def refused(self, form, message):
        return _account_page(self.account, block="standing", message=message, ok=False,
                             **{self.form_name: form})

    def conflict(self, form, message):
        return _account_page(self.account, block="standing", message=message, ok=False,
                             **{self.form_name: form})

    def location(self, result) -> str:
        return url_for("distributors.account", account_id=self.account.id)


@bp.route("/<int:account_id>/payment", methods=["POST"])
@require("distributors.payments")
def payment(account_id: int):
    """A payment in (linked to its bank transfer when there is one)."""
    found = _account(account_id)
    form = PaymentForm()
    return actions.run(lambda: ledger.record_payment(
        current_user, found, form.amount.data, transfer_id=form.transfer_id.data,
        note=form.note.data or ""), form=form, answer=AccountAnswer(found, "payment_form"),
        done=lambda e: _("Payment of %(amount)s booked.", amount=f"¥{e.amount:,.2f}"))


@bp.route("/<int:account_id>/adjust", methods=["POST"])
@require("distributors.manage")
def adjust(account_id: int):
    """The supervisor's adjustment or refund, with its reason."""
    found = _account(account_id)
    form = AdjustmentForm()

    def work():
        if form.kind.data == "refund":
            return ledger.record_refund(current_user, found, form.amount.data, form.reason.data)
        return ledger.adjust(current_user, found, form.amount.data, form.reason.data)

    return actions.run(work, form=form, answer=AccountAnswer(found, "adjust_form"),
                       done=lambda e: _("%(kind)s of %(amount)s booked.",
                                        kind=_(ledger.KINDS[e.kind]),
                                        amount=f"¥{e.amount:,.2f}"))


@bp.route("/<int:account_id>/terms", methods=["POST"])
@require("distributors.manage")
def terms(account_id: int):
    """Credit line, payment terms, mode, contacts."""
    found = _account(account_id)
    form = TermsForm()
    return actions.run(lambda: ledger.update_account(
        current_user, found, form.version.data, name=form.name.data, market=form.market.data,
        contact_name=form.contact_name.data or "", contact_phone=form.contact_phone.data or "",
        credit_line=form.credit_line.data, terms_days=form.terms_days.data,
        mode=form.mode.data), form=form, answer=AccountAnswer(found, "terms_form"),
        subject=found, done=_l("Terms saved."))


@bp.route("/<int:account_id>/hold", methods=["POST"])
@require("distributors.manage")
def hold(account_id: int):
    """Put the account on hold (with the reason) or release it."""
    found = _account(account_id)
    form = HoldForm()
    return actions.run(lambda: ledger.set_hold(current_user, found, form.version.data,
                                               form.action.data == "hold", form.reason.data),
                       form=form, answer=AccountAnswer(found, "hold_form"), subject=found,
                       done=lambda a: _l("On hold: no order is issued.") if a.state == "hold"
                       else _l("Released: orders are issued again."))


# --- the statement ---------------------------------------------------------------------------


@bp.route("/<int:account_id>/statement")
@require("distributors.view")
def statement(account_id: int):
    """The statement of account for a date range: print view, or xlsx (``format=xlsx``)."""
    found = _account(account_id)
    form = StatementForm()
    if not form.validate():
        abort(422)
    today = clock.today()
    start = form.date_from.data or today.replace(day=1)
    end = form.date_to.data or today
    problem = ledger.range_problem(start, end)
    if problem:
        flash(_(problem), "error")
        return render(STATEMENT, status=422, statement=None, account=found, form=form,
                      **_vocab())
    result = ledger.statement(found, start, end)
    if request.args.get("format") == "xlsx":
        return _xlsx(result)
    return render(STATEMENT, statement=result, account=found, form=form,
                  numbers=ledger.order_numbers(result.entries), **_vocab())


def _xlsx(result) -> Response:
    from openpyxl import Workbook

    from portal.exports import append, workbook_bytes

    book = Workbook()
    ws = book.active
    ws.title = _("Statement")[:31]
    append(ws, [_("Statement of account"), result.account.name, result.account.code])
    append(ws, [_("From"), result.start, _("Until"), result.end])
    append(ws, [_("Opening balance"), result.opening])
    append(ws, [_("Booked"), _("Kind"), _("Amount"), _("Order number"), _("Reason"),
                _("Balance")])
    running = result.opening
    numbers = ledger.order_numbers(result.entries)
    for entry in result.entries:
        running += entry.amount
        append(ws, [clock.local(entry.booked_at).replace(tzinfo=None), _(ledger.KINDS[entry.kind]),
                    entry.amount, numbers.get(entry.order_id, ""), entry.reason, running])
    append(ws, [_("Closing balance"), result.closing])
    name = f"statement-{result.account.code}-{result.start}-{result.end}.xlsx"
    response = Response(workbook_bytes(book),
                        mimetype="application/vnd.openxmlformats-officedocument."
                                 "spreadsheetml.sheet")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=statement-{result.account.id}.xlsx; "
        f"filename*=UTF-8''{quote(name)}")
    return response


# --- navigation, cards, audit ----------------------------------------------------------------


def register(app) -> None:
    from portal.audit.services import namer
    from portal.ui import NavItem, register_audit, register_nav

    register_nav(app, NavItem("distributors.index", _l("Distributors"), "distributors.view",
                              order=18, active_prefix=("distributors.index",
                                                       "distributors.account",
                                                       "distributors.statement")))
    register_audit(app, actions={
        "distributors.account_created": N_("Distributor account created"),
        "distributors.account_changed": N_("Distributor terms changed"),
        "distributors.hold": N_("Distributor account put on hold"),
        "distributors.released": N_("Distributor account released"),
        "distributors.payment": N_("Distributor payment booked"),
        "distributors.refund": N_("Distributor refund booked"),
        "distributors.adjustment": N_("Distributor balance adjusted"),
        "distributors.charge": N_("Distributor order charged"),
    }, fields={"credit_line": N_("Credit line"), "terms_days": N_("Payment terms (days)"),
               "mode": N_("Mode"), "market": N_("Market")},
        values={"mode": ledger.MODES},
        target=("distributor_accounts", N_("Distributor account"),
                namer(DistributorAccount, DistributorAccount.name,
                      fmt=lambda ident, name: name)))

