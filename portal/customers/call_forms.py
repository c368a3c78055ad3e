"""Forms of the calls: a call's result, a call plan, the care list's filter and export.

The rules are checked again in calls.py and care.py."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional, Regexp

from portal.customers.call_models import FOLLOW_UP, PLAN_KINDS, RESULTS
from portal.customers.calls import HINT_MAX, NOTE_MAX
from portal.customers.models import KINDS
from portal.forms import FilterForm, Form, VersionedForm, choices
from portal.reception.visitor_forms import LocalDateTimeField


def _short(limit: int):
    return Length(max=limit, message=_l("Keep this under %(max)d characters.", max=limit))


class CallResultForm(VersionedForm):
    """R-C5: how one try of a call went, a note, and when to call back."""

    result = StringField(_l("Result"), validators=[
        InputRequired(_l("Choose how the call went.")),
        AnyOf(tuple(RESULTS), message=_l("Choose how the call went."))])
    note = StringField(_l("Note"), validators=[Optional(), _short(NOTE_MAX)])
    call_back_at = LocalDateTimeField(_l("Call back at"), validators=[Optional()])


def _role_choices():
    from portal.auth.permissions import ROLE_LABELS
    from portal.customers.calls import _callers

    return choices((role, _l(label)) for role, label in ROLE_LABELS.items()
                   if role in _callers())


class PlanForm(Form):
    """A call plan: kind, which customers, when, windows, tries, script hint."""

    name = StringField(_l("Name"), validators=[
        InputRequired(_l("Give the plan a name.")), _short(60)])
    kind = SelectField(_l("Kind of plan"), choices=choices(
        (code, _l(label)) for code, label in PLAN_KINDS.items() if code != FOLLOW_UP),
        validators=[InputRequired(_l("Choose the kind of plan."))])
    customer_kind = SelectField(_l("Customers of kind"), choices=choices(
        [("", _l("Any kind"))] + [(code, _l(label)) for code, label in KINDS.items()]),
        validators=[Optional()])
    value_classes = StringField(_l("Value classes (codes, none: any)"),
                                validators=[Optional(), _short(200)])
    days = IntegerField(_l("Days"), validators=[
        InputRequired(_l("Enter a number of days.")),
        NumberRange(min=0, max=3650, message=_l("Between %(min)d and %(max)d days."))])
    max_tries = IntegerField(_l("Tries at most"), default=3, validators=[
        InputRequired(_l("Enter a number of tries.")),
        NumberRange(min=1, max=10, message=_l("Between %(min)d and %(max)d tries."))])
    windows = StringField(_l("Call windows"), default="10:00-11:30 15:00-17:30",
                          validators=[InputRequired(_l("Give at least one call window.")),
                                      _short(100)])
    pool_role = SelectField(_l("Customers without an owner go to"), validators=[
        InputRequired(_l("Choose a role that makes calls."))])
    script_hint = StringField(_l("Script hint"), validators=[Optional(), _short(HINT_MAX)])
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pool_role.choices = _role_choices()


class PlanEditForm(VersionedForm, PlanForm):
    """Change a plan (version-checked)."""


MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


class CareFilterForm(FilterForm):
    """The care list: quiet for how many days, which month's greetings, all or only the not
    yet greeted."""

    days = IntegerField(_l("Quiet for at least (days)"), default=30, validators=[
        Optional(), NumberRange(min=1, max=3650, message=_l("Between %(min)d and %(max)d days."))])
    month = StringField(_l("Month"), validators=[
        Optional(), Regexp(MONTH, message=_l("Enter the month as YYYY-MM."))])
    all = BooleanField(_l("Also those greeted this month"))


class CareExportForm(Form):
    """Export the care list (and mark the customers greeted this month)."""

    days = IntegerField(validators=[InputRequired(), NumberRange(
        min=1, max=3650, message=_l("Between %(min)d and %(max)d days."))])
    month = StringField(validators=[
        InputRequired(_l("Enter the month as YYYY-MM.")),
        Regexp(MONTH, message=_l("Enter the month as YYYY-MM."))])
    all = BooleanField()
    format = StringField(validators=[InputRequired(), AnyOf(("xlsx", "csv"))])
