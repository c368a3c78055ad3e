"""The allocation run when stock is short (R-O9): the proposal as a table (order, line,
asked, proposed, why), cells adjusted in place (totals and stock left recomputed), issued
all at once; the supervisor's rules (order and weights) and markets short of stock."""

import sqlalchemy as sa
from flask import abort, flash, make_response, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import actions
from portal.auth.decorators import require
from portal.extensions import db
from portal.i18n import N_
from portal.orders.models import Order
from portal.web import is_fragment_request, render

from . import allocation as svc
from . import bp
from .allocation_forms import CellForm, MarketForm, NewRunForm, RuleForm, RunForm
from .allocation_models import AllocationCell, AllocationRule, AllocationRun, MarketStock
from .models import DistributorAccount

PAGE = "distributors/allocation.html"
ROW = "distributors/allocation_row.html"
SHOWN = 50  # cells of short SKUs on a page (lines stock covers are counted, not listed)


def _form_message(form) -> str | None:
    """A refused form's messages, when the service gave none."""
    if form is None:
        return None
    return " ".join(str(e) for errors in form.errors.values() for e in errors) or None


def _vocab() -> dict:
    return {"rule_names": svc.RULES, "whys": svc.WHY, "run_states": svc.STATES,
            "waiting_reasons": svc.WAITING}


def _start() -> int:
    """The page of the run's table: ``?start=`` the first short cell shown (bounded)."""
    raw = request.args.get("start", "")
    return int(raw) if raw.isdigit() and len(raw) < 6 else 0


def _run_context(run: AllocationRun | None, start: int = 0) -> dict:
    if run is None:
        return {"run": None}
    cells = svc.cells_of(run)  # a run's cells are bounded by the orders waiting: all read
    totals = svc.totals(cells)
    stock = {sku: int(n) for sku, n in (run.stock or {}).items()}
    short = {sku for sku, row in totals.items() if row["asked"] > stock.get(sku, 0)}
    short_cells = [c for c in cells if c.sku in short]
    shown = short_cells[start:start + SHOWN] if run.state == "open" else []
    wanted = {c.order_id for c in shown} | {int(i) for i in (run.outcome or {}).get(
        "waiting", {})}
    orders = {o.id: o for o in db.session.execute(
        sa.select(Order.id, Order.order_no, Order.buyer_id, Order.created_at)
        .where(Order.id.in_(wanted))).all()} if wanted else {}
    names = dict(db.session.execute(sa.select(DistributorAccount.code, DistributorAccount.name)
                                    .where(DistributorAccount.code.in_(
                                        {o.buyer_id for o in orders.values()})))
                 .all()) if orders else {}
    decided: dict[str, int] = {}
    for cell in cells:
        if cell.rule:
            decided[cell.rule] = decided.get(cell.rule, 0) + 1
    return {"run": run, "cells": shown, "totals": totals, "stock": stock, "short": short,
            "covered": sum(1 for c in cells if c.sku not in short), "orders": orders,
            "names": names, "decided": decided,
            "order_count": len({c.order_id for c in cells}), "start": start,
            "more": start + SHOWN < len(short_cells), "short_count": len(short_cells)}


def _page(*, block=None, status=200, message=None, ok=True, run=None, rule_form=None,
          market_form=None, settings_message=None):
    run = run if run is not None else svc.latest_run()
    rules = svc.rules()
    if market_form is None and current_user.can("distributors.manage"):
        market_form = MarketForm(formdata=None)
    return render(PAGE, block=block, status=status, message=message, ok=ok, rules=rules,
                  settings_message=settings_message,
                  markets=svc.market_rows(), market_form=market_form, rule_form=rule_form,
                  waiting=db.session.scalar(sa.select(sa.func.count()).select_from(Order)
                                            .where(Order.stage == "review")),
                  **_run_context(run, _start()), **_vocab())


@bp.route("/allocation")
@require("distributors.view")
def allocation():
    """The latest run over the orders waiting for review, the rules and markets."""
    return _page()


@bp.route("/allocation/<int:run_id>")
@require("distributors.view")
def allocation_run(run_id: int):
    return _page(run=db.get_or_404(AllocationRun, run_id))


class RunAnswer:
    """A run made or issued: htmx goes to the run's page (the table is a page, not a
    fragment), the message flashed there; refusals and conflicts answer the panel."""

    def __init__(self, run=None) -> None:
        self.run = run

    def done(self, result, message):
        if not is_fragment_request():
            return _page(run=result, message=message)
        flash(message, "success")
        response = make_response("", 200)
        response.headers["HX-Redirect"] = self.location(result)
        return response

    def refused(self, form, message):
        message = message or _form_message(form)
        return _page(block="run", status=422, run=self.run, message=message, ok=False)

    def conflict(self, form, message):
        return _page(block="run", status=409, run=self.run, ok=False,
                     message=message or _("Someone else changed this run: this is it as it "
                                          "is now."))

    def location(self, result) -> str:
        return url_for("distributors.allocation_run", run_id=result.id)


@bp.route("/allocation/new", methods=["POST"])
@require("distributors.work")
def allocation_new():
    """Propose quantities for every order waiting for review."""
    form = NewRunForm()
    return actions.run(lambda: svc.make_run(current_user), form=form, answer=RunAnswer(),
                       done=_l("Run made: check the proposal, adjust cells, then issue."))


def _run(run_id: int) -> AllocationRun:
    return db.get_or_404(AllocationRun, run_id)


@bp.route("/allocation/<int:run_id>/issue", methods=["POST"])
@require("distributors.work")
def allocation_issue(run_id: int):
    """Issue every order of the run at once, in one transaction."""
    run = _run(run_id)
    form = RunForm()
    return actions.run(lambda: svc.issue_all(current_user, run, form.version.data),
                       form=form, answer=RunAnswer(run), subject=run,
                       done=lambda r: _("Issued %(issued)d orders; %(waiting)d stay waiting.",
                                        issued=len(r.outcome["issued"]),
                                        waiting=len(r.outcome["waiting"])))


class CellAnswer:
    """A cell adjusted: its row, and out of band the SKU's totals and every run version."""

    def __init__(self, run, cell) -> None:
        self.run, self.cell = run, cell

    def _row(self, status=200, message=None, form=None):
        context = _run_context(self.run)
        return render(ROW, status=status, cell=self.cell, message=message, form=form,
                      oob=True, **context, **_vocab())

    def done(self, cell, message):
        return self._row()  # the SKU's totals and the badge say it; no message in the row

    def refused(self, form, message):
        message = message or _form_message(form)
        return self._row(422, message, form)

    def conflict(self, form, message):
        return self._row(409, message or _("Someone else changed this run: the cell as it is "
                                           "now."), form)

    def location(self, cell) -> str:
        return url_for("distributors.allocation_run", run_id=self.run.id)


@bp.route("/allocation/<int:run_id>/cells/<int:cell_id>", methods=["POST"])
@require("distributors.work")
def allocation_cell(run_id: int, cell_id: int):
    """Adjust one cell in place: totals and stock left recomputed."""
    run = _run(run_id)
    cell = db.get_or_404(AllocationCell, cell_id)
    if cell.run_id != run.id:
        abort(404)
    form = CellForm()
    return actions.run(lambda: svc.adjust(current_user, run, form.version.data, cell,
                                          form.quantity.data),
                       form=form, answer=CellAnswer(run, cell), subject=run,
                       done=_l("Proposal changed."))


class SettingsAnswer:
    def __init__(self, form_name=None) -> None:
        self.form_name = form_name

    def done(self, result, message):
        return _page(block="settings", settings_message=message)

    def refused(self, form, message):
        message = message or _form_message(form)
        extra = {"market_form": form} if isinstance(form, MarketForm) else {}
        return _page(block="settings", status=422, settings_message=message, ok=False,
                     **extra)

    def conflict(self, form, message):
        return _page(block="settings", status=409, ok=False,
                     settings_message=message or _("Someone else changed this first: "
                                                   "this is it as it is now."))

    def location(self, result) -> str:
        return url_for("distributors.allocation")


@bp.route("/allocation/rules/<int:rule_id>", methods=["POST"])
@require("distributors.manage")
def allocation_rule(rule_id: int):
    """The supervisor changes a rule's place in the order or its weight."""
    rule = db.get_or_404(AllocationRule, rule_id)
    form = RuleForm()
    return actions.run(lambda: svc.update_rule(current_user, rule, form.version.data,
                                               form.position.data, form.weight.data),
                       form=form, answer=SettingsAnswer(), subject=rule,
                       done=_l("Rule saved: the next run follows it."))


@bp.route("/allocation/markets", methods=["POST"])
@require("distributors.manage")
def allocation_market():
    """Mark a market short of a SKU (or change its priority)."""
    form = MarketForm()
    return actions.run(lambda: svc.set_market(current_user, form.market.data, form.sku.data,
                                              form.priority.data, form.note.data),
                       form=form, answer=SettingsAnswer(), done=_l("Market saved."))


@bp.route("/allocation/markets/<int:market_id>/remove", methods=["POST"])
@require("distributors.manage")
def allocation_market_remove(market_id: int):
    found = db.get_or_404(MarketStock, market_id)
    form = RunForm()
    return actions.run(lambda: svc.remove_market(current_user, found, form.version.data),
                       form=form, answer=SettingsAnswer(), subject=found,
                       done=_l("Market removed."))


def register(app) -> None:
    from portal.audit.services import namer
    from portal.ui import register_audit

    register_audit(app, actions={
        "distributors.allocation_run": N_("Allocation run made"),
        "distributors.allocation_adjusted": N_("Allocation proposal adjusted"),
        "distributors.allocation_issued": N_("Allocation run issued"),
        "distributors.allocation_rule": N_("Allocation rule changed"),
        "distributors.market_short": N_("Market marked short of stock"),
        "distributors.market_short_removed": N_("Market no longer short of stock"),
    }, target=("distributor_allocation_runs", N_("Allocation run"),
               namer(AllocationRun, AllocationRun.id, fmt=lambda ident, _i: f"#{ident}")))
    register_audit(app, target=("distributor_allocation_rules", N_("Allocation rule"),
                                namer(AllocationRule, AllocationRule.key)))
    register_audit(app, target=("distributor_market_stock", N_("Market short of stock"),
                                namer(MarketStock, MarketStock.market, MarketStock.sku,
                                      fmt=lambda ident, market, sku: f"{market} · {sku}")))
