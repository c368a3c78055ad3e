"""The stock page: SKUs with how many are on hand and the expected arrival, searched by SKU
or name; order clerks edit a row in place and add SKUs (R-O4, R-O6, R-O8).

Each row is its own fragment (``hx-target="this"``): saving answers the row as it is now —
200 after the change, 422 with the messages next to the fields (nothing changed), 409 with
the current row when another clerk saved it first.
"""

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from portal import actions, clock
from portal.audit.services import namer
from portal.auth.decorators import require
from portal.extensions import db
from portal.forms import FilterForm, Form, LocalDateField, VersionedForm
from portal.i18n import N_
from portal.orders import bp
from portal.orders import stock as svc
from portal.orders.models import StockItem
from portal.web import is_fragment_request, redirect_htmx_aware, render, trigger

PAGE = "orders/stock/index.html"
CHANGED = "stock-changed"  # HX-Trigger after a change: widgets showing stock may follow
CHANGED_FIRST = N_("Another clerk changed this SKU first. This is its current state; check "
                   "it and try again.")


def _short(limit: int):
    return Length(max=limit, message=_l("Keep this under %(max)d characters.", max=limit))


def _count_field(label):
    return IntegerField(label, validators=[
        InputRequired(_l("Enter how many are on hand (0 or more).")),
        NumberRange(min=0, max=svc.MAX_ON_HAND, message=_l("From 0 to %(max)d.",
                                                           max=svc.MAX_ON_HAND))])


class StockFilterForm(FilterForm):
    """The stock page's search: SKU or name prefix, out of stock only."""

    q = StringField(_l("SKU or name begins with"), validators=[Optional(), _short(60)])
    out = BooleanField(_l("Out of stock only"))


class StockForm(VersionedForm):
    """A clerk's count of one SKU and its expected arrival."""

    on_hand = _count_field(_l("On hand"))
    expected_on = LocalDateField(_l("Expected arrival"), validators=[Optional()])


class StockAddForm(Form):
    """A new SKU in the stock list."""

    sku = StringField(_l("SKU"), validators=[InputRequired(_l("Enter the SKU.")), _short(40)])
    name = StringField(_l("Item name"), validators=[
        InputRequired(_l("Enter the item's name.")), _short(120)])
    on_hand = _count_field(_l("On hand"))
    expected_on = LocalDateField(_l("Expected arrival"), validators=[Optional()])




def _row_context(items) -> dict:
    """What rows need, in one query for the whole page: buyers waiting per SKU."""
    return {"waiting": svc.waiting_counts(item.sku for item in items), "today": clock.today()}


def _add_form(formdata=None) -> StockAddForm | None:
    if not current_user.can("orders.stock"):
        return None
    form = StockAddForm(formdata=formdata)
    if formdata is None and form.on_hand.data is None:
        form.on_hand.data = 0
    return form


def _page(*, status: int = 200, block: str | None = "stock_table", add_form=None,
          text: str | None = None, editing: int | None = None, row_form=None,
          row_message: str | None = None):
    """The stock page (or its table): the search, the list, one row maybe in edit mode."""
    form = StockFilterForm()
    valid = form.validate()
    if text is not None:  # a row's own action without JavaScript: show that SKU
        form.q.data, form.out.data = text, False
    elif not valid:
        status = 422
    query = svc.stock_query(form.q.data if valid or text is not None else None,
                            bool(form.out.data) if valid else False)
    page = db.paginate(query, per_page=svc.PER_PAGE, error_out=False)
    return render(PAGE, block=block, status=status, form=form, page=page,
                  add_form=add_form if add_form is not None else _add_form(),
                  editing=editing, row_form=row_form, row_message=row_message,
                  **_row_context(page.items))


def _row(item: StockItem, *, status: int = 200, editing: bool = False, form=None,
         message: str | None = None, events=()):
    """The row swapped in place (htmx), else the page showing that SKU (its form as typed
    when it was refused or late)."""
    if not is_fragment_request():
        if status >= 400:
            return _page(status=status, block=None, text=item.sku, editing=item.id,
                         row_form=form, row_message=message)
        if message:
            flash(message, "success")
        return redirect_htmx_aware(url_for("orders.stock", q=item.sku))
    response = render(PAGE, block="stock_row", status=status, item=item,
                      editing=item.id if editing else None, row_form=form,
                      row_message=message, row_error=status >= 400,
                      **_row_context([item]))
    return trigger(response, *events) if events else response


@bp.route("/stock")
@require("orders.view")
def stock():
    """Stock per SKU: search by SKU or name, out of stock only, 50 a page."""
    return _page(block="stock_table")


@bp.route("/stock/<int:item_id>")
@require("orders.view")
def stock_row(item_id: int):
    """One SKU's row (the edit form's Cancel swaps it back)."""
    item = db.get_or_404(StockItem, item_id)
    if not is_fragment_request():
        return _page(block=None, text=item.sku)
    return _row(item)


@bp.route("/stock/<int:item_id>/edit")
@require("orders.stock")
def stock_edit(item_id: int):
    """One SKU's row as a form: the count on hand and the expected arrival."""
    item = db.get_or_404(StockItem, item_id)
    form = StockForm(formdata=None, obj=item)
    if not is_fragment_request():
        return _page(block=None, text=item.sku, editing=item.id, row_form=form)
    return _row(item, editing=True, form=form)


class RowAnswer:
    """Saving a SKU answers its row: as it is now after the change; in edit mode with the
    messages when refused; after another clerk's save, in edit mode with what was typed and,
    beside it, the count as it is now."""

    def __init__(self, item: StockItem) -> None:
        self.item = item

    def done(self, told: int, message: str):
        return _row(self.item, message=message, events=(CHANGED,))

    def refused(self, form, message):
        return _row(self.item, status=422, editing=True, form=form)

    def conflict(self, form, message: str):
        return _row(self.item, status=409, editing=True, form=form,
                    message=_(CHANGED_FIRST))

    def location(self, told) -> str:
        return url_for("orders.stock", q=self.item.sku)


def _saved(told: int) -> str:
    if told:
        return _("Saved. Buyers to tell now: %(count)d; pre-sales were notified.", count=told)
    return _("Saved.")


@bp.route("/stock/<int:item_id>", methods=["POST"])
@require("orders.stock")
def stock_save(item_id: int):
    """Save a SKU's count and expected arrival; from zero to positive, the waiting buyers
    are to be told and pre-sales notified (R-O8)."""
    item = db.get_or_404(StockItem, item_id)
    form = StockForm()
    return actions.run(lambda: svc.set_stock(current_user, item, form.version.data,
                                             form.on_hand.data, form.expected_on.data),
                       form=form, answer=RowAnswer(item), done=_saved, subject=item)


class AddAnswer:
    """A SKU added appears at the top of the list without a reload; the form comes back
    empty, or as typed with why."""

    def done(self, item: StockItem, message: str):
        response = render(PAGE, block="stock_add_form", add_form=_add_form(), added=item,
                          editing=None, **_row_context([item]))
        return trigger(response, CHANGED)

    def refused(self, form, message):
        if is_fragment_request():
            return render(PAGE, block="stock_add_form", add_form=form)
        return _page(block=None, add_form=form)

    def conflict(self, form, message: str):
        """The same SKU added at the same moment by another clerk (the unique key)."""
        form.sku.errors = [_("SKU %(sku)s is already in the stock list.",
                             sku=(form.sku.data or "").strip())]
        return self.refused(form, None)

    def location(self, item: StockItem) -> str:
        return url_for("orders.stock", q=item.sku)


@bp.route("/stock", methods=["POST"])
@require("orders.stock")
def stock_add():
    """Add a SKU to the stock list; it appears at the top of the list without a reload."""
    form = _add_form(request.form)
    return actions.run(lambda: svc.add_item(current_user, form.sku.data, form.name.data,
                                            form.on_hand.data, form.expected_on.data),
                       form=form, answer=AddAnswer(), conflicts=(IntegrityError,),
                       done=lambda item: _("SKU %(sku)s was added.", sku=item.sku))


# --- navigation, audit -----------------------------------------------------------------------

_stock_names = namer(StockItem, StockItem.sku, StockItem.name,
                     fmt=lambda ident, sku, name: f"{sku} {name}")


def register(app) -> None:
    """Navigation entry and audit labels of the stock page."""
    from portal.ui import NavItem, register_audit, register_nav

    register_nav(app, NavItem("orders.stock", _l("Stock"), "orders.view", order=15,
                              active_prefix="orders.stock"))
    register_audit(app, actions={
        "orders.stock_changed": N_("Stock count changed"),
        "orders.stock_added": N_("SKU added to the stock list"),
    }, fields={"on_hand": N_("On hand"), "expected_on": N_("Expected arrival")},
        target=("stock_items", N_("Stock item"), _stock_names))
