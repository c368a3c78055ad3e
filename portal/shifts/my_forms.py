"""Forms of My shifts, swap requests and overtime."""

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField, TimeField
from wtforms.validators import InputRequired, Length, Optional

from portal.forms import Form, LocalDateField, VersionedForm


def _int_or_none(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _date_or_none(value):
    if isinstance(value, date) or value is None:
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def _end_time() -> TimeField:
    """The actual end of a shift (R-S3), as typed: ``00:40``."""
    return TimeField(_l("Actual end"), format="%H:%M", validators=[
        InputRequired(_l("Enter the time you finished, e.g. 00:40."))])


def _note() -> StringField:
    return StringField(_l("Note (optional)"), validators=[
        Optional(), Length(max=200, message=_l("At most %(max)d characters."))])


class SwapRequestForm(Form):
    """Ask a colleague to swap: my day for their day (the same day swaps shift types)."""

    colleague = SelectField(_l("Colleague"), coerce=_int_or_none, validate_choice=False,
                            validators=[InputRequired(_l("Choose a colleague."))])
    requester_day = DateField(_l("My shift on"),
                              validators=[InputRequired(_l("Enter the day of your shift."))])
    colleague_day = DateField(_l("For their shift on"),
                              validators=[InputRequired(_l("Enter the colleague's day."))],
                              description=_l("The same day swaps your shift types."))
    reason = StringField(_l("Reason (optional)"), validators=[
        Optional(), Length(max=200, message=_l("At most %(max)d characters."))])


class SwapActionForm(VersionedForm):
    """Accept, decline, withdraw, approve or reject: only the version the user saw."""


class OvertimeForm(Form):
    """The actual end of one of my recent shifts (R-S3)."""

    day = SelectField(_l("Shift"), coerce=_date_or_none, validate_choice=False,
                      validators=[InputRequired(_l("Choose the shift."))])
    end_time = _end_time()
    note = _note()


class OvertimeEditForm(VersionedForm):
    """Correct the end time or the note of my overtime record."""

    end_time = _end_time()
    note = _note()


class StaffOvertimeForm(Form):
    """The supervisor records an agent's overtime (R-S3): who, which shift, when it ended."""

    person = SelectField(_l("Staff member"), coerce=_int_or_none, validate_choice=False,
                         validators=[InputRequired(_l("Choose a staff member."))])
    day = LocalDateField(_l("Date of the shift"),
                         validators=[InputRequired(_l("Choose the shift."))])
    end_time = _end_time()
    note = _note()
