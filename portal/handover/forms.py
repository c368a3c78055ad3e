"""Forms of the handover book: writing an item, closing, correcting, and the history filters.

Every message is translatable; the rules themselves are checked again in services.py.
"""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, Optional, ValidationError

from portal import clock
from portal.forms import FilterForm, Form, LocalDateField, VersionedForm, choices
from portal.handover.services import CATEGORIES, PRIORITIES, STATUSES, TEXT_MAX


def not_in_future(form, field):
    """R-H4: a purchase date has already happened."""
    if field.data and field.data > clock.today():
        raise ValidationError(_l("The purchase date cannot be in the future."))


def category_choices(blank: str | None = None):
    pairs = [(code, _l(label)) for code, label in CATEGORIES.items()]
    return choices(([("", blank)] if blank else []) + pairs)


TEXT_REQUIRED = _l("Write what the next shift needs to know.")
TEXT_LENGTH = Length(max=TEXT_MAX, message=_l("Keep the text under %(max)d characters.",
                                              max=TEXT_MAX))
SHORT = Length(max=64, message=_l("Keep this under 64 characters."))


class ItemForm(Form):
    """R-H1, R-H4: a new handover item."""

    category = SelectField(
        _l("Category"), choices=category_choices(), validate_choice=False,
        validators=[InputRequired(_l("Choose a category.")),
                    AnyOf(list(CATEGORIES), message=_l("Choose a category from the list."))])
    priority = SelectField(
        _l("Priority"), choices=choices((code, _l(label)) for code, label in PRIORITIES.items()),
        default="normal", validate_choice=False,
        validators=[AnyOf(list(PRIORITIES), message=_l("Choose normal or urgent."))])
    text = TextAreaField(_l("What the next shift needs to know"),
                         validators=[InputRequired(TEXT_REQUIRED), TEXT_LENGTH])
    order_no = StringField(_l("Order number"), validators=[Optional(), SHORT])
    customer_ref = StringField(_l("Customer ID"), validators=[Optional(), SHORT])
    purchase_date = LocalDateField(_l("Purchase date"), validators=[Optional(), not_in_future])
    return_tracking = StringField(_l("Return tracking number"), validators=[Optional(), SHORT])
    customer_request = TextAreaField(
        _l("What the customer asks for"),
        validators=[Optional(), Length(max=500, message=_l("Keep this under 500 characters."))])


class TakeOverForm(VersionedForm):
    """R-H2: take the item over (the version the person saw)."""


class CloseForm(VersionedForm):
    """R-H3: close with a resolution."""

    resolution = TextAreaField(_l("Resolution"), validators=[
        InputRequired(_l("Write how the item was resolved.")), TEXT_LENGTH])


class EditForm(VersionedForm):
    """R-H6: correct the text; the earlier text is kept."""

    text = TextAreaField(_l("Text"), validators=[InputRequired(TEXT_REQUIRED), TEXT_LENGTH])


def _int_or_none(value):
    return int(value) if value and str(value).isdigit() else None


class HistoryFilterForm(FilterForm):
    """Search and filters of the history."""

    q = StringField(_l("Text, order number or customer ID"), validators=[Optional(),
                                                                        Length(max=100)])
    book = SelectField(_l("Book"), validators=[Optional()], validate_choice=False)
    category = SelectField(_l("Category"), choices=category_choices(_l("Any category")),
                           validators=[Optional()], validate_choice=False)
    status = SelectField(
        _l("Status"), validators=[Optional()], validate_choice=False,
        choices=choices([("", _l("Any status"))]
                        + [(code, _l(label)) for code, label in STATUSES.items()]
                        + [("unsigned", _l("Never signed"))]))
    author = SelectField(_l("Written by"), coerce=_int_or_none,
                         validators=[Optional()], validate_choice=False)
    date_from = LocalDateField(_l("From"), validators=[Optional()])
    date_to = LocalDateField(_l("To"), validators=[Optional()])
