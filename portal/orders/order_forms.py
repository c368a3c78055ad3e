"""Forms of the orders pages: the search, an order typed by hand, a remark, a cancellation.

Messages are translatable; the rules are checked again in orders.py / remarks.py.
"""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DecimalField,
    FieldList,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional

from portal.forms import FilterForm, Form, SubForm, VersionedForm, choices
from portal.orders.orders import FLAGS, PAYMENTS, PLATFORMS, STAGES
from portal.orders.remarks import KINDS
from portal.reception.visitor_forms import LocalDateTimeField

LINES_ON_FORM = 5


def labelled(options: dict, blank=None):
    """Select choices from a {code: label} table, with an optional blank first."""
    pairs = [(code, _l(label)) for code, label in options.items()]
    return choices(([("", blank)] if blank is not None else []) + pairs)


def _short(limit: int):
    return Length(max=limit, message=_l("Keep this under %(max)d characters.", max=limit))


class SearchForm(FilterForm):
    """The quick search pre-sales use while chatting, and the list's filters."""

    q = StringField(_l("Order number, buyer ID, name or phone (last 4 digits will do)"),
                    validators=[Optional(), _short(60)])
    stage = SelectField(_l("Stage"), choices=labelled(STAGES, _l("Any stage")),
                        validate_choice=False, validators=[Optional()])
    platform = SelectField(_l("Platform"), choices=labelled(PLATFORMS, _l("Any platform")),
                           validate_choice=False, validators=[Optional()])
    flag = SelectField(_l("Flag"), choices=labelled(
        {**FLAGS, "none": _l("No flag")}, _l("Any flag")),
        validate_choice=False, validators=[Optional()])
    archive = BooleanField(_l("Include the archive (closed over six months ago)"))


class LineForm(SubForm):
    """One line of an order typed by hand; a line with no SKU is left out."""

    sku = StringField(_l("SKU"), validators=[Optional(), _short(40)])
    item_name = StringField(_l("Item"), validators=[Optional(), _short(120)])
    attributes = StringField(_l("Attributes (colour, size)"), validators=[Optional(), _short(120)])
    quantity = IntegerField(_l("Quantity"), validators=[
        Optional(), NumberRange(min=1, max=9999, message=_l("From 1 to 9999."))])
    unit_price = DecimalField(_l("Unit price"), places=2, validators=[
        Optional(), NumberRange(min=0, max=999999, message=_l("From 0 to 999,999."))])


class OrderForm(Form):
    """An order typed by hand (a phone order, a distributor's order, a missing import)."""

    platform = SelectField(_l("Platform"), choices=labelled(PLATFORMS), validate_choice=False,
                           validators=[AnyOf(list(PLATFORMS),
                                             message=_l("Choose a platform from the list."))])
    order_no = StringField(_l("Order number"), validators=[
        InputRequired(_l("Enter the order number.")), _short(40)])
    buyer_id = StringField(_l("Buyer ID"), validators=[
        InputRequired(_l("Enter the buyer's ID.")), _short(60)])
    receiver_name = StringField(_l("Receiver"), validators=[
        InputRequired(_l("Enter the receiver's name.")), _short(60)])
    receiver_phone = StringField(_l("Receiver's phone"), validators=[
        InputRequired(_l("Enter the receiver's phone.")), _short(20)])
    receiver_address = TextAreaField(_l("Receiver's address"), validators=[
        InputRequired(_l("Enter the address.")), _short(300)])
    payment = SelectField(_l("Payment"), choices=labelled(PAYMENTS), validate_choice=False,
                          validators=[AnyOf(list(PAYMENTS),
                                            message=_l("Choose a payment from the list."))])
    paid_at = LocalDateTimeField(_l("Paid at (empty: now)"), validators=[Optional()])
    lines = FieldList(FormField(LineForm), min_entries=LINES_ON_FORM,
                      max_entries=LINES_ON_FORM * 4)


class RemarkForm(VersionedForm):
    """R-O1: a remark of a kind, with its details; address and attribute changes carry the
    new values."""

    kind = SelectField(_l("The remark is about"), choices=labelled(KINDS), default="other",
                       validate_choice=False,
                       validators=[AnyOf(list(KINDS), message=_l("Choose from the list."))])
    details = TextAreaField(_l("Details"), validators=[Optional(), _short(500)])
    receiver_name = StringField(_l("New receiver (empty: unchanged)"),
                                validators=[Optional(), _short(60)])
    receiver_phone = StringField(_l("New phone (empty: unchanged)"),
                                 validators=[Optional(), _short(20)])
    receiver_address = StringField(_l("New address"), validators=[Optional(), _short(300)])
    line_id = SelectField(_l("Line"), coerce=lambda v: int(v) if str(v).isdigit() else None,
                          validate_choice=False, validators=[Optional()])
    attributes = StringField(_l("New attributes"), validators=[Optional(), _short(120)])


class CancelForm(VersionedForm):
    """R-O2: pre-sales ask for a cancellation, with the buyer's reason."""

    reason = StringField(_l("Why the buyer cancels"), validators=[
        InputRequired(_l("Enter why the buyer cancels.")), _short(300)])


class ActionForm(VersionedForm):
    """A one-click action on an order (mark paid, completed): only the version."""
