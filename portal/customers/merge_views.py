"""Possible duplicates (/customers/duplicates): merge a pair or dismiss it; undo a merge.

Each pair answers its own actions in place (htmx); a merge also refreshes the list of
recent merges out of band, where its undo button is.
"""

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import actions
from portal.audit.services import namer
from portal.auth.decorators import require
from portal.customers import bp
from portal.customers import merge as svc
from portal.customers.merge_forms import MergeForm, PairForm, UndoForm
from portal.customers.merge_models import CustomerMerge
from portal.customers.models import KINDS, Customer
from portal.customers.privacy import mask_address, mask_phone, sees_contacts
from portal.extensions import db
from portal.i18n import N_
from portal.web import is_fragment_request, render, trigger

TEMPLATE = "customers/merge/index.html"
PAIR = "customers/merge/_pair.html"
MERGE_ROW = "customers/merge/_merge.html"
EVENT = "customers-merged"

TABLE_LABELS = {
    "orders": N_("orders"),
    "aftersales_cases": N_("after-sales cases"),
    "bank_transfers": N_("bank transfers"),
    "stock_waits": N_("out-of-stock waits"),
    "visits": N_("showroom visits"),
    "aftersales_visits": N_("return visits"),
    "customer_contacts": N_("contacts"),
    "customer_notes": N_("notes"),
    "customer_tag_links": N_("tags"),
}


def _lists(after: str | None = None) -> dict:
    pairs, more = svc.duplicate_page(after)
    return {"pairs": pairs, "more": more, "merges": svc.recent_merges()}


@bp.route("/duplicates", endpoint="duplicates")
@require("customers.merge")
def duplicates():
    """Possible duplicates side by side, paged; the recent merges with their undo."""
    from flask import request

    after = request.args.get("after")
    return render(TEMPLATE, block="pair_page" if after else "duplicates", after=after,
                  **_lists(after))


class PairAnswer:
    """A pair answers a merge or a dismissal in place; without JavaScript, the page."""

    def __init__(self, pair) -> None:
        self.pair = pair

    def _pair(self, message: str, ok: bool, outcome=None):
        if not is_fragment_request():
            from flask import flash

            flash(message, "success" if ok else "error")
            return render(TEMPLATE, **_lists())
        return render(PAIR, pair=self.pair, outcome=outcome, pair_message=message, pair_ok=ok,
                      merges=svc.recent_merges() if outcome is not None else None)

    def done(self, result, message: str):
        outcome = result if isinstance(result, CustomerMerge) else "dismissed"
        return trigger(self._pair(message, True, outcome), EVENT)

    def refused(self, form, message):
        text = message or " ".join(str(e) for errors in (form.errors if form else {}).values()
                                   for e in errors)
        return self._pair(text, False)

    def conflict(self, form, message: str):
        self.pair = svc.find_pair(self.pair.low.id, self.pair.high.id) or self.pair
        return self._pair(_("Someone else changed one of these customers first. This is how "
                            "they are now."), False)

    def location(self, result) -> str:
        return url_for("customers.duplicates")


def _pair_of(first, second):
    pair = svc.find_pair(first, second)
    if pair is None:
        from flask import abort

        abort(404)
    return pair


@bp.route("/merge", methods=["POST"], endpoint="merge")
@require("customers.merge")
def merge_pair():
    """Keep one customer of a pair and merge the other into it."""
    form = MergeForm()
    pair = _pair_of(form.survivor_id.data, form.absorbed_id.data)
    by_id = {pair.low.id: pair.low, pair.high.id: pair.high}
    survivor = by_id.get(form.survivor_id.data)
    absorbed = by_id.get(form.absorbed_id.data)
    return actions.run(
        lambda: svc.merge(current_user, survivor, absorbed, form.survivor_version.data,
                          form.absorbed_version.data),
        form=form, answer=PairAnswer(pair), subject=absorbed, done=lambda record: _(
            "%(absorbed)s (No. %(a)d) was merged into %(survivor)s (No. %(s)d).",
            absorbed=absorbed.name, a=absorbed.id, survivor=survivor.name, s=survivor.id))


@bp.route("/duplicates/dismiss", methods=["POST"], endpoint="dismiss_pair")
@require("customers.merge")
def dismiss_pair():
    """"Not the same person": the pair is not listed again."""
    form = PairForm()
    pair = _pair_of(form.low_id.data, form.high_id.data)
    return actions.run(lambda: svc.dismiss(current_user, pair), form=form,
                       answer=PairAnswer(pair), subject=pair.low,
                       done=_l("Kept apart: this pair will not be listed again."))


class MergeAnswer:
    """A merge's row answers its undo in place."""

    def __init__(self, record: CustomerMerge) -> None:
        self.record = record

    def _row(self, message: str, ok: bool):
        if not is_fragment_request():
            from flask import flash

            flash(message, "success" if ok else "error")
            return render(TEMPLATE, **_lists())
        return render(MERGE_ROW, merge=self.record, row_message=message, row_ok=ok)

    def done(self, result, message: str):
        return trigger(self._row(message, True), EVENT)

    def refused(self, form, message):
        return self._row(message or " ".join(form.form_errors), False)

    def conflict(self, form, message: str):
        # the runner rolled back: the merge reads as it is now
        return self._row(_("Someone else acted on this merge first. This is its current "
                           "state."), False)

    def location(self, result) -> str:
        return url_for("customers.duplicates")


@bp.route("/merges/<int:merge_id>/undo", methods=["POST"], endpoint="undo_merge")
@require("customers.merge")
def undo_merge(merge_id: int):
    """Move back exactly what a merge moved."""
    record = db.get_or_404(CustomerMerge, merge_id)
    form = UndoForm()
    return actions.run(lambda: svc.undo(current_user, record, form.version.data), form=form,
                       answer=MergeAnswer(record), subject=record,
                       done=lambda r: _("The merge is undone: %(name)s (No. %(id)d) is a "
                                        "customer of their own again.",
                                        name=r.absorbed.name, id=r.absorbed_id))


# --- shown in templates --------------------------------------------------------------------


def shown_phone(customer: Customer, phone: str) -> str:
    return phone if sees_contacts(current_user, customer) else mask_phone(phone)


def shown_address(customer: Customer, address: str) -> str:
    return address if sees_contacts(current_user, customer) else mask_address(address)


# moved too, but nothing a person counts: the search's index of names
UNCOUNTED = {"customer_name_grams"}


def moved_words(record: CustomerMerge) -> str:
    """"3 orders, 1 after-sales case…": what a merge moved, in words."""
    return _("; ").join(f"{count} {_(TABLE_LABELS.get(table, table))}"
                        for table, count in record.counts().items()
                        if table not in UNCOUNTED) or _("nothing")


def duplicates_card(user) -> dict:
    """How many possible duplicates wait for a person."""
    return {"count": svc.card_count()}


def register(app) -> None:
    """Navigation entry, the supervisor's duplicates card, audit words, template helpers."""
    from portal.ui import Card, NavItem, register_audit, register_card, register_nav

    register_nav(app, NavItem("customers.duplicates", _l("Duplicate customers"),
                              "customers.merge", order=60,
                              active_prefix=("customers.duplicates", "customers.merge",
                                             "customers.dismiss_pair", "customers.undo_merge")))
    register_card(app, Card("customer-duplicates", _l("Possible duplicate customers"),
                            "customers.manage", "customers/merge/_card.html", duplicates_card,
                            order=85))
    app.jinja_env.globals.update(shown_phone=shown_phone,
                                 shown_address=shown_address, merge_moved_words=moved_words,
                                 customer_kinds=KINDS)
    register_audit(
        app,
        actions={
            "customers.merged": N_("Customers merged"),
            "customers.merge_undone": N_("Customer merge undone"),
            "customers.pair_dismissed": N_("Possible duplicate dismissed"),
        },
        target=("customers", N_("Customer"), namer(Customer, Customer.name)),
    )
