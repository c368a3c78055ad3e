"""Forms of the roster planner: a cell, generating, publishing, minimums, cleaning duty."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from portal.forms import Form
from portal.shifts.roster import MAX_CLEANERS

INCOMPLETE = _l("The form is incomplete; reload the page.")


def _version_field():
    # 0: the record did not exist when the form was drawn (an empty cell, an unplanned month)
    return IntegerField(widget=HiddenInput(),
                        validators=[InputRequired(INCOMPLETE), NumberRange(min=0)])


class CellForm(Form):
    """One cell: a shift type id, "rest", or "" (empty: the generator decides)."""

    shift = SelectField(_l("Shift"), validate_choice=False)
    version = _version_field()


class MonthActionForm(Form):
    """Publish (or any action on the whole month): the month's version."""

    version = _version_field()


class PublishForm(MonthActionForm):
    """Publish the month; ``anyway`` with a ``reason`` publishes it below the minimum
    staffing (never past a run of more than six days, R-S2)."""

    anyway = BooleanField(_l("Publish anyway"))
    reason = TextAreaField(_l("Why publish below the minimum staffing"), validators=[
        Optional(), Length(max=200, message=_l("At most %(max)d characters."))])


class GenerateForm(Form):
    """Choose the people the rotation plans (all rostered active staff by default)."""

    staff = SelectMultipleField(_l("People to plan"), coerce=int, validate_choice=False,
                                widget=ListWidget(prefix_label=False),
                                option_widget=CheckboxInput())
    version = _version_field()


class CleaningGenerateForm(Form):
    """How many people keep the office tidy each day."""

    per_day = IntegerField(_l("People a day"), default=1, validators=[
        InputRequired(_l("Enter how many people a day.")),
        NumberRange(min=1, max=MAX_CLEANERS,
                    message=_l("Choose from 1 to %(n)d people a day.", n=MAX_CLEANERS))])
    version = _version_field()


class CleaningDayForm(Form):
    """Who has cleaning duty on one day; ``token`` is what the editor saw."""

    person = SelectMultipleField(_l("Cleaning duty"), coerce=int, validate_choice=False,
                                 validators=[Optional()])
    token = StringField(widget=HiddenInput(), validators=[InputRequired(INCOMPLETE)])


def minimums_form(roles, shift_types, current: dict):
    """A form with one number per role and shift: ``min_<role>_<shift id>``."""

    class MinimumsForm(Form):
        pass

    for role in roles:
        for shift_type in shift_types:
            setattr(MinimumsForm, f"min_{role}_{shift_type.id}", IntegerField(
                shift_type.label, default=current.get((role, shift_type.id), 0),
                validators=[InputRequired(_l("Enter a number.")),
                            NumberRange(min=0, max=99, message=_l("From 0 to 99."))]))
    return MinimumsForm()
