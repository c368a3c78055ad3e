"""The check before a distributor order is issued (R-O9): the review queue (oldest first)
and one order's check with its three ways out in place (issue, reduce, ask to pay); the
dispatch clock (R-O10): undispatched orders and delivery investigations."""

from datetime import timedelta

import sqlalchemy as sa
from flask import abort, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import actions
from portal.auth.decorators import require
from portal.extensions import db
from portal.i18n import N_
from portal.orders.models import Order
from portal.orders.orders import STAGES
from portal.rules import RuleError
from portal.ui import Due
from portal.web import render

from . import bp, ledger
from . import review as svc
from .forms import AnswerForm, DeliveryIssueForm, IssueForm, ReduceForm
from .models import DeliveryIssue, OrderReview

QUEUE = "distributors/review.html"
CHECK = "distributors/check.html"
DISPATCH = "distributors/dispatch.html"
ISSUE_ROW = "distributors/_issue_row.html"
QUEUE_LIMIT = 40  # the oldest first (R-O9): a page of checks renders in ~20 ms, not 70


def _vocab() -> dict:
    return {"review_states": svc.REVIEW_STATES, "stages": STAGES, "kinds": ledger.KINDS,
            "issue_kinds": svc.ISSUE_KINDS, "issue_states": svc.ISSUE_STATES}


@bp.route("/review")
@require("distributors.view")
def review_queue():
    """Distributor orders waiting for review, oldest first, each with its check."""
    state = request.args.get("state") if request.args.get("state") in ("waiting", "asked") \
        else None
    rows = db.session.execute(svc.review_query(state).limit(QUEUE_LIMIT + 1)).all()
    more = len(rows) > QUEUE_LIMIT
    rows = rows[:QUEUE_LIMIT]
    checks = svc.checks_for(order for order, _r in rows)
    return render(QUEUE, block="review_table", rows=rows, checks=checks, more=more,
                  state=state or "", **_vocab())


def _order(order_id: int) -> Order:
    order = db.get_or_404(Order, order_id)
    if order.platform != "distributor":
        abort(404)
    return order


def _check_page(order, *, block=None, status=200, message=None, ok=True, form=None):
    account = svc.account_of(order)
    result = svc.check(order, account)
    found = db.session.scalar(sa.select(OrderReview).where(OrderReview.order_id == order.id))
    return render(CHECK, block=block, status=status, order=order, account=account,
                  check=result, review=found, blocked=svc.blocked_text(result, account, order),
                  message=message, ok=ok, form=form, **_vocab())


@bp.route("/review/<int:order_id>")
@require("distributors.view")
def check(order_id: int):
    """One order's check: total, balance, credit left, overdue; issue, reduce, ask to pay."""
    return _check_page(_order(order_id))


class CheckAnswer:
    """Every action on the check answers the check as it is now (the whole panel)."""

    def __init__(self, order) -> None:
        self.order = order

    def done(self, result, message):
        return _check_page(self.order, block="check", message=message)

    def refused(self, form, message):
        if message is None and form is not None:
            message = " ".join(e for errors in form.errors.values() for e in errors) or None
        return _check_page(self.order, block="check", message=message, ok=False, form=form)

    def conflict(self, form, message):
        return _check_page(self.order, block="check", message=message, ok=False)

    def location(self, result) -> str:
        return url_for("distributors.check", order_id=self.order.id)


@bp.route("/review/<int:order_id>/issue", methods=["POST"])
@require("distributors.work")
def issue(order_id: int):
    """Issue: the charge in the ledger, the order on to the clerks' queue."""
    order = _order(order_id)
    form = IssueForm()
    return actions.run(lambda: svc.issue(current_user, order, form.version.data,
                                         form.seen.data),
                       form=form, answer=CheckAnswer(order), subject=order,
                       done=lambda r: _("Order %(no)s issued: %(amount)s charged to the "
                                        "account.", no=order.order_no,
                                        amount=f"¥{order.amount:,.2f}"))


def _quantities(order) -> dict[int, int | None]:
    """The reduce form's ``q<line id>`` fields: whole numbers, only of this order's lines."""
    wanted = {}
    for line in order.lines:
        raw = request.form.get(f"q{line.id}")
        if raw is None or raw.strip() == "":
            continue
        text = raw.strip()
        if not text.lstrip("-").isdigit() or len(text) > 6:
            raise RuleError(N_("Enter whole numbers of units."))
        wanted[line.id] = int(text)
    return wanted


@bp.route("/review/<int:order_id>/reduce", methods=["POST"])
@require("distributors.work")
def reduce(order_id: int):
    """Reduce quantities line by line (at least one unit each); the total is re-checked."""
    order = _order(order_id)
    form = ReduceForm()
    return actions.run(lambda: svc.reduce(current_user, order, form.version.data,
                                          _quantities(order)),
                       form=form, answer=CheckAnswer(order), subject=order,
                       done=lambda o: _("Quantities reduced: the order now comes to "
                                        "%(amount)s.", amount=f"¥{o.amount:,.2f}"))


@bp.route("/review/<int:order_id>/ask", methods=["POST"])
@require("distributors.work")
def ask(order_id: int):
    """Ask the distributor to pay: the desk's task and a message to copy."""
    order = _order(order_id)
    form = IssueForm()
    return actions.run(lambda: svc.ask_to_pay(current_user, order, form.version.data),
                       form=form, answer=CheckAnswer(order), subject=order,
                       done=_l("Asked to pay: copy the message below to the distributor."))


# --- the dispatch clock (R-O10) --------------------------------------------------------------


def _dispatch_page(*, block=None, status=200, form=None):
    count, late = svc.undispatched()
    issues = list(db.session.scalars(
        sa.select(DeliveryIssue).order_by(DeliveryIssue.state.desc(),
                                          DeliveryIssue.created_at.desc()).limit(50)))
    if form is None and current_user.can("distributors.work"):
        form = DeliveryIssueForm(formdata=None)
    return render(DISPATCH, block=block, status=status, count=count, late=late, issues=issues,
                  names=svc.account_names(late), form=form, days=svc.DISPATCH_DAYS, **_vocab())


@bp.route("/dispatch")
@require("distributors.view")
def dispatch():
    """Issued distributor orders not shipped after three days; delivery investigations."""
    return _dispatch_page()


class NewIssueAnswer:
    def done(self, found, message):
        return _dispatch_page(block="issues")

    def refused(self, form, message):
        return _dispatch_page(block="issues", form=form)

    conflict = refused

    def location(self, found) -> str:
        return url_for("distributors.dispatch")


@bp.route("/issues/new", methods=["POST"])
@require("distributors.work")
def issue_new():
    """Open a delivery investigation (short, missing, wrong items) on an issued order."""
    form = DeliveryIssueForm()

    def work():
        order = db.session.scalar(sa.select(Order).where(
            Order.platform == "distributor", Order.order_no == (form.order_no.data or "")))
        if order is None:
            raise RuleError(N_("No distributor order has that number."), "order_no")
        return svc.open_issue(current_user, order, form.kind.data, form.text.data)

    return actions.run(work, form=form, answer=NewIssueAnswer(),
                       done=_l("Investigation opened."))


class IssueRowAnswer:
    def __init__(self, found) -> None:
        self.found = found

    def _row(self, status=200, message=None, form=None):
        return render(ISSUE_ROW, status=status, found=self.found, message=message, form=form,
                      **_vocab())

    def done(self, found, message):
        return self._row(message=message)

    def refused(self, form, message):
        return self._row(422, message, form)

    def conflict(self, form, message):
        return self._row(409, message, form)

    def location(self, found) -> str:
        return url_for("distributors.dispatch")


@bp.route("/issues/<int:issue_id>/answer", methods=["POST"])
@require("distributors.work")
def issue_answer(issue_id: int):
    """The investigation's answer to the distributor."""
    found = db.get_or_404(DeliveryIssue, issue_id)
    form = AnswerForm()
    return actions.run(lambda: svc.answer_issue(current_user, found, form.version.data,
                                                form.answer.data),
                       form=form, answer=IssueRowAnswer(found), subject=found,
                       done=_l("Answer recorded: tell the distributor."))


# --- cards, reminder, navigation, audit ------------------------------------------------------


def _review_card(user) -> dict:
    waiting = db.session.scalar(sa.select(sa.func.count()).select_from(Order).where(
        Order.stage == "review"))
    asked = db.session.scalar(sa.select(sa.func.count()).select_from(OrderReview).where(
        OrderReview.state == "asked"))
    return {"waiting": waiting, "asked": asked}


def _dispatch_card(user) -> dict:
    count, late = svc.undispatched(limit=5)
    return {"count": count, "late": late, "names": svc.account_names(late)}


def undispatched_due(since, now):
    """R-O10: the moment an issued distributor order has waited three days unshipped, to
    the order clerks and the supervisor (once per order)."""
    days = timedelta(days=svc.DISPATCH_DAYS)
    from portal.orders.orders import IN_QUEUE

    found = db.session.scalars(sa.select(Order).where(
        ledger.distributor_platform(), Order.stage.in_(IN_QUEUE),
        Order.paid_at > since - days, Order.paid_at <= now - days).order_by(Order.paid_at))
    for order in found:
        yield Due(f"order-{order.id}", N_(
            "Distributor order %(no)s was issued three days ago and is not dispatched yet. "
            "Ship it today or tell the distributor why."), roles=("order_clerk", "supervisor"),
            link=url_for("distributors.dispatch"), params={"no": order.order_no})


def register(app) -> None:
    from portal.audit.services import namer
    from portal.ui import (
        Card,
        NavItem,
        ReminderKind,
        register_audit,
        register_card,
        register_nav,
        register_reminder,
    )

    register_nav(app, NavItem("distributors.review_queue", _l("Distributor review"),
                              "distributors.view", order=19,
                              active_prefix=("distributors.review_queue",
                                             "distributors.check", "distributors.dispatch")))
    register_card(app, Card("distributors-review", _l("Distributor orders to review"),
                            "distributors.work", "distributors/_card_review.html",
                            _review_card, order=26))
    register_card(app, Card("distributors-undispatched", _l("Distributor orders not dispatched"),
                            "distributors.work", "distributors/_card_dispatch.html",
                            _dispatch_card, order=27))
    register_reminder(app, ReminderKind(
        "distributors_undispatched", N_("Distributor orders undispatched after three days"),
        N_("When an issued distributor order has waited three days without being shipped, "
           "to the order clerks and the supervisor."), undispatched_due, order=35))
    register_audit(app, actions={
        "distributors.issued": N_("Distributor order issued"),
        "distributors.reduced": N_("Distributor order quantities reduced"),
        "distributors.asked_to_pay": N_("Distributor asked to pay"),
        "distributors.issue_opened": N_("Delivery investigation opened"),
        "distributors.issue_answered": N_("Delivery investigation answered"),
    }, target=("distributor_delivery_issues", N_("Delivery investigation"),
               namer(DeliveryIssue, DeliveryIssue.kind,
                     fmt=lambda ident, kind: f"#{ident}")))

