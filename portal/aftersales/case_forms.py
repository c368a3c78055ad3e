"""Forms of the after-sales case pages and the order clerks' returned-parcels page.

Messages are translatable; the rules are checked again in cases.py and evidence.py.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import DecimalField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from portal.aftersales.cases import (
    CATEGORIES,
    LOGISTICS_PROBLEMS,
    PLATFORM_STATUSES,
    STATES,
    TYPES,
)
from portal.forms import FilterForm, Form, LocalDateField, VersionedForm, choices

VIEWS = {"mine": _l("My cases"), "unassigned": _l("Unassigned"), "all": _l("All cases")}
SLA_KINDS = {"breached": _l("SLA breached"), "soon": _l("About to breach"),
             "paused": _l("Clock paused (waiting for the customer)")}


def labelled(options: dict, blank=None):
    """Select choices from a {code: label} table, with an optional blank first."""
    pairs = [(code, _l(label)) for code, label in options.items()]
    return choices(([("", blank)] if blank is not None else []) + pairs)


def _short(limit: int):
    return Length(max=limit, message=_l("Keep this under %(max)d characters.", max=limit))


class CaseFilterForm(FilterForm):
    """The case lists' filters (read from the query string)."""

    view = SelectField(_l("Cases"), choices=labelled(VIEWS), validate_choice=False,
                       validators=[Optional()])
    type = SelectField(_l("Kind"), choices=labelled(TYPES, _l("Any kind")),
                       validate_choice=False, validators=[Optional()])
    state = SelectField(_l("State"), choices=choices(
        [("", _l("Open (not closed)")), ("all", _l("Any state"))]
        + [(code, _l(label)) for code, label in STATES.items()]),
        validate_choice=False, validators=[Optional()])
    assignee = SelectField(_l("Agent"), validate_choice=False, validators=[Optional()])
    sla = SelectField(_l("SLA"), choices=labelled(SLA_KINDS, _l("Any")),
                      validate_choice=False, validators=[Optional()])
    date_from = LocalDateField(_l("Opened from"), validators=[Optional()])
    date_to = LocalDateField(_l("Opened until"), validators=[Optional()])
    order_no = StringField(_l("Order number"), validators=[Optional(), _short(40)])
    tracking = StringField(_l("Return tracking number"), validators=[Optional(), _short(40)])


class OrderPickForm(FilterForm):
    """The order search on the new-case form."""

    q = StringField(_l("Find the order (number, buyer ID or phone)"),
                    validators=[Optional(), _short(60)])


class CaseForm(Form):
    """A new case: its kind, the order (picked or typed), dates, problem and request."""

    type = SelectField(_l("Kind of case"), choices=labelled(TYPES), validate_choice=False,
                       validators=[InputRequired(_l("Choose the kind of case from the list."))])
    logistics_problem = SelectField(_l("Delivery problem (logistics complaints)"),
                                    choices=labelled(LOGISTICS_PROBLEMS, _l("—")),
                                    validate_choice=False, validators=[Optional()])
    order_id = HiddenField()
    order_no = StringField(_l("Order number (when the order is not in the portal)"),
                           validators=[Optional(), _short(40)])
    platform = SelectField(_l("Platform"), validate_choice=False, validators=[Optional()])
    purchase_date = LocalDateField(_l("Purchase date"), validators=[Optional()])
    delivery_date = LocalDateField(_l("Delivery date"), validators=[Optional()])
    problem = TextAreaField(_l("What is wrong"), validators=[
        InputRequired(_l("Describe what is wrong.")), _short(1000)])
    request = TextAreaField(_l("What the customer asks for"), validators=[
        Optional(), _short(500)])
    return_courier = StringField(_l("Courier"), validators=[Optional(), _short(30)])
    return_tracking_no = StringField(_l("Tracking number"), validators=[Optional(), _short(40)])
    category = SelectField(_l("Complaint category"), choices=labelled(CATEGORIES, _l("—")),
                           validate_choice=False, validators=[Optional()])
    assignee_id = SelectField(_l("Agent"), validate_choice=False, validators=[Optional()])


class AssignForm(VersionedForm):
    """Give the case to an agent."""

    assignee_id = SelectField(_l("Agent"), validate_choice=False, validators=[Optional()])


class StateForm(VersionedForm):
    """One step of the workflow, with what some steps need."""

    state = HiddenField(validators=[InputRequired(_l("Choose a step from the list."))])
    refund_amount = DecimalField(_l("Refunded amount"), places=2, validators=[
        Optional(), NumberRange(min=0, max=999999, message=_l("From 0 to 999,999."))])
    window_override = StringField(_l("Why the return is accepted outside the 7 days"),
                                  validators=[Optional(), _short(300)])
    return_courier = StringField(_l("Return courier"), validators=[Optional(), _short(30)])
    return_tracking_no = StringField(_l("Return tracking number"),
                                     validators=[Optional(), _short(40)])
    comment = StringField(_l("Comment (optional)"), validators=[Optional(), _short(500)])


class NoteForm(Form):
    """An internal note."""

    text = TextAreaField(_l("Internal note"), validators=[
        InputRequired(_l("Write the note first.")), _short(2000)])


class CustomerReplyForm(Form):
    """What was sent to the customer (a canned reply filled in, or typed)."""

    text = TextAreaField(_l("Reply sent to the customer"), validators=[
        InputRequired(_l("Write or choose the reply you sent.")), _short(2000)])

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "reply")  # the card's note field is "text" already
        super().__init__(*args, **kwargs)


class PhotoForm(Form):
    """An evidence photo (checked by its content in evidence.py)."""

    photo = FileField(_l("Photo (JPEG, PNG or WebP, up to 5 MB)"))


class HidePhotoForm(Form):
    """Hide a photo, with the reason."""

    reason = StringField(_l("Why hide it"), validators=[
        InputRequired(_l("Write why the photo is hidden.")), _short(300)])


class ConfirmForm(VersionedForm):
    """R-A2: whether the photos confirm the claim."""

    confirms = SelectField(choices=choices([("yes", "yes"), ("no", "no")]), validate_choice=True,
                           validators=[InputRequired()])


class FreightForm(VersionedForm):
    """R-A3: the return freight the customer advanced."""

    amount = DecimalField(_l("Return freight the customer paid"), places=2, validators=[
        InputRequired(_l("Enter the freight the customer paid.")),
        NumberRange(min=0, max=9999, message=_l("From 0 to 9,999."))])


class ActionForm(VersionedForm):
    """A one-click action on a case (its version only)."""


class InterceptionForm(VersionedForm):
    """R-A5: what the courier answered."""

    outcome = SelectField(choices=choices([("intercepted", "intercepted"),
                                           ("failed", "failed")]),
                          validate_choice=True, validators=[InputRequired()])


class DetailsForm(VersionedForm):
    """Correct what the case records."""

    problem = TextAreaField(_l("What is wrong"), validators=[
        InputRequired(_l("Describe what is wrong.")), _short(1000)])
    request = TextAreaField(_l("What the customer asks for"), validators=[
        Optional(), _short(500)])
    logistics_problem = SelectField(_l("Delivery problem (logistics complaints)"),
                                    choices=labelled(LOGISTICS_PROBLEMS, _l("—")),
                                    validate_choice=False, validators=[Optional()])
    purchase_date = LocalDateField(_l("Purchase date"), validators=[Optional()])
    delivery_date = LocalDateField(_l("Delivery date"), validators=[Optional()])
    return_courier = StringField(_l("Return courier"), validators=[Optional(), _short(30)])
    return_tracking_no = StringField(_l("Return tracking number"),
                                     validators=[Optional(), _short(40)])
    category = SelectField(_l("Complaint category"), choices=labelled(CATEGORIES, _l("—")),
                           validate_choice=False, validators=[Optional()])
    platform_status = SelectField(_l("Platform status"),
                                  choices=labelled(PLATFORM_STATUSES, _l("None")),
                                  validate_choice=False, validators=[Optional()])


class ParcelSearchForm(FilterForm):
    """The returned-parcels page's search by tracking number."""

    q = StringField(_l("Tracking number"), validators=[Optional(), _short(40)])
