"""The stock page: SKUs with how many are on hand and the expected arrival, searched by SKU
or name; order clerks edit a row in place and add SKUs (R-O4, R-O6, R-O8).

Each row is its own fragment (``hx-target="this"``): saving answers the row as it is now —
200 after the change, 422 with the messages next to the fields (nothing changed), 409 with
the current row when another clerk saved it first.
"""

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from portal import clock
from portal.audit.services import namer
from portal.auth.decorators import require
from portal.extensions import db
from portal.forms import FilterForm, LocalDateField, VersionedForm, show_refusal
from portal.i18n import N_
from portal.orders import bp
from portal.orders import stock as svc
from portal.orders.models import StockItem
from portal.rules import RuleError
from portal.web import Conflict, is_fragment_request, redirect_htmx_aware, render, trigger

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


class StockAddForm(FlaskForm):
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
    """The row swapped in place (htmx), else the page showing that SKU."""
    if not is_fragment_request():
        if status == 422:
            return _page(status=422, block=None, text=item.sku, editing=item.id, row_form=form)
        if message:
            flash(message, "error" if status >= 400 else "success")
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


@bp.route("/stock/<int:item_id>", methods=["POST"])
@require("orders.stock")
def stock_save(item_id: int):
    """Save a SKU's count and expected arrival; from zero to positive, the waiting buyers
    are to be told and pre-sales notified (R-O8)."""
    item = db.get_or_404(StockItem, item_id)
    form = StockForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors or form.version.errors:
            abort(400)
        return _row(item, status=422, editing=True, form=form)
    try:
        told = svc.set_stock(current_user, item, form.version.data, form.on_hand.data,
                             form.expected_on.data)
    except Conflict:
        db.session.rollback()
        db.session.refresh(item)
        return _row(item, status=409, message=_(CHANGED_FIRST))
    except RuleError as error:
        db.session.rollback()
        db.session.refresh(item)
        show_refusal(form, error)
        return _row(item, status=422, editing=True, form=form)
    if told:
        message = _("Saved. Buyers to tell now: %(count)d; pre-sales were notified.",
                    count=told)
    else:
        message = _("Saved.")
    return _row(item, message=message, events=(CHANGED,))


@bp.route("/stock", methods=["POST"])
@require("orders.stock")
def stock_add():
    """Add a SKU to the stock list; it appears at the top of the list without a reload."""
    form = _add_form(request.form)
    item = None
    if form.validate_on_submit():
        try:
            item = svc.add_item(current_user, form.sku.data, form.name.data, form.on_hand.data,
                                form.expected_on.data)
        except RuleError as error:
            db.session.rollback()
            show_refusal(form, error)
        except Conflict:  # the same SKU added at the same moment by another clerk
            db.session.rollback()
            form.sku.errors = [_("SKU %(sku)s is already in the stock list.",
                                 sku=form.sku.data.strip())]
    elif "csrf_token" in form.errors:
        abort(400)
    if item is None:
        if is_fragment_request():
            return render(PAGE, block="stock_add_form", add_form=form, status=422)
        return _page(block=None, status=422, add_form=form)
    if not is_fragment_request():
        flash(_("SKU %(sku)s was added.", sku=item.sku), "success")
        return redirect_htmx_aware(url_for("orders.stock", q=item.sku))
    response = render(PAGE, block="stock_add_form", add_form=_add_form(), added=item,
                      editing=None, **_row_context([item]))
    return trigger(response, CHANGED)


# --- navigation, audit -----------------------------------------------------------------------

_stock_names = namer(StockItem, StockItem.sku, StockItem.name,
                     fmt=lambda ident, sku, name: f"{sku} {name}")


def register(app) -> None:
    """Navigation entry and audit labels of the stock page."""
    from portal.audit.services import ACTION_LABELS, FIELD_LABELS, register_target
    from portal.ui import NavItem, register_nav

    register_nav(app, NavItem("orders.stock", _l("Stock"), "orders.view", order=15,
                              active_prefix="orders.stock"))
    ACTION_LABELS.update({
        "orders.stock_changed": N_("Stock count changed"),
        "orders.stock_added": N_("SKU added to the stock list"),
    })
    for name, label in {"on_hand": N_("On hand"),
                        "expected_on": N_("Expected arrival")}.items():
        FIELD_LABELS.setdefault(name, label)
    register_target("stock_items", N_("Stock item"), _stock_names)
