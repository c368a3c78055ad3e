"""Forms of the complaint register; the rules are checked again in register.py."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from portal.complaints.models import CHANNELS, SATISFACTION, SEVERITIES, STATES
from portal.complaints.register import ASKS_MAX, SAID_MAX, TEXT_MAX
from portal.forms import FilterForm, Form, LocalDateField, VersionedForm, choices, record_id
from portal.reception.names import NamesFields
from portal.reception.visitor_forms import LocalDateTimeField

TOO_LONG = _l("Keep this under %(max)d characters.")


def _labelled(options: dict, blank=None):
    pairs = [(code, _l(label)) for code, label in options.items()]
    return choices(([("", blank)] if blank is not None else []) + pairs)


def _id(value):
    return record_id(value) if value not in (None, "") else None


def _named(message):
    """A typed id that names no record (letters, beyond INTEGER) is refused, not ignored."""

    def check(form, field):
        if field.raw_data and (field.raw_data[0] or "").strip() and field.data is None:
            raise ValidationError(message)
    return check


class ComplaintForm(Form):
    """A new complaint (R-C3)."""

    received_at = LocalDateTimeField(_l("Received at"), validators=[Optional()])
    channel = SelectField(_l("Channel"), choices=_labelled(CHANNELS), validators=[
        InputRequired(_l("Choose a channel from the list."))])
    customer = StringField(_l("Customer"), filters=[_id], validators=[
        _named(_l("Choose the customer from the search.")), Optional()])
    order_no = StringField(_l("Order number"), validators=[Optional(), Length(max=40,
                                                                             message=TOO_LONG)])
    case = StringField(_l("After-sales case number"), filters=[_id], validators=[
        _named(_l("No after-sales case has this number.")), Optional()])
    handover_item = StringField(filters=[_id], validators=[
        _named(_l("No handover item has this number.")), Optional()])
    category = SelectField(_l("Category"), coerce=_id, validate_choice=False, validators=[
        InputRequired(_l("Choose a category from the list."))])
    severity = SelectField(_l("Severity"), choices=_labelled(SEVERITIES), default="normal",
                           validators=[InputRequired(_l("Choose a severity from the list."))])
    said = TextAreaField(_l("What the customer said"), validators=[
        InputRequired(_l("Write what the customer said.")),
        Length(max=SAID_MAX, message=TOO_LONG)])
    asks = TextAreaField(_l("What the customer asks for"), validators=[
        Optional(), Length(max=ASKS_MAX, message=TOO_LONG)])
    owner = SelectField(_l("Owner"), coerce=_id, validate_choice=False,
                        validators=[Optional()])


class StepForm(VersionedForm):
    """A step with nothing to type: start investigating."""


class TextStepForm(VersionedForm):
    """A note, a decision, an answer, a reason: text."""

    text = TextAreaField(_l("Text"), validators=[Optional(), Length(max=TEXT_MAX,
                                                                    message=TOO_LONG)])


class ReassignForm(VersionedForm):
    owner = SelectField(_l("Owner"), coerce=_id, validate_choice=False,
                        validators=[InputRequired(_l("Choose an owner from the list."))])


class CloseForm(VersionedForm):
    satisfaction = SelectField(_l("Customer's satisfaction"), choices=_labelled(
        SATISFACTION, _l("Choose…")), validators=[Optional()])


class RegisterFilters(FilterForm):
    """The register's filters (GET)."""

    state = SelectField(_l("State"), choices=choices(
        [("", _l("Any state")), ("open", _l("Open"))]
        + [(code, _l(label)) for code, label in STATES.items()]), validators=[Optional()])
    severity = SelectField(_l("Severity"), choices=_labelled(SEVERITIES, _l("Any severity")),
                           validators=[Optional()])
    category = SelectField(_l("Category"), coerce=_id, validate_choice=False,
                           validators=[Optional()])
    owner = SelectField(_l("Owner"), coerce=_id, validate_choice=False,
                        validators=[Optional()])
    mine = BooleanField(_l("Mine only"))
    month = StringField(_l("Received in month"), validators=[Optional(), Length(max=7)])
    customer = StringField(filters=[_id], validators=[Optional()])


class CategoryForm(NamesFields, Form):
    name = StringField(_l("Category name"), validators=[
        InputRequired(_l("Give the category a name.")), Length(max=30, message=TOO_LONG)])
    position = IntegerField(_l("Position"), default=100, validators=[
        Optional(), NumberRange(min=0, max=10000)])
    active = BooleanField(_l("Active"), default=True)


class CategoryEditForm(CategoryForm, VersionedForm):
    pass


class DueHoursForm(Form):
    normal = IntegerField(_l("Normal"), validators=[
        InputRequired(_l("Enter a number of hours.")), NumberRange(min=1, max=720)])
    serious = IntegerField(_l("Serious"), validators=[
        InputRequired(_l("Enter a number of hours.")), NumberRange(min=1, max=720)])
    crisis = IntegerField(_l("Crisis"), validators=[
        InputRequired(_l("Enter a number of hours.")), NumberRange(min=1, max=720)])
    version_normal = IntegerField(validators=[Optional()])
    version_serious = IntegerField(validators=[Optional()])
    version_crisis = IntegerField(validators=[Optional()])


__all__ = ["ComplaintForm", "StepForm", "TextStepForm", "ReassignForm", "CloseForm",
           "RegisterFilters", "CategoryForm", "CategoryEditForm", "DueHoursForm",
           "LocalDateField"]
