"""Forms of the score sheets' workflow, the staff's own sheets and appeals."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from portal.forms import Form, VersionedForm, choices

LONG = Length(max=500, message=_l("At most %(max)d characters."))


class SheetActionForm(VersionedForm):
    """Submit or approve one sheet: only the version the user saw (and where to go back)."""

    next = HiddenField()


class ReturnForm(SheetActionForm):
    """Return a submitted sheet with a comment (required)."""

    comment = TextAreaField(_l("Comment for the supervisor"), validators=[
        InputRequired(_l("Write what should be corrected.")), LONG])


class ReopenForm(SheetActionForm):
    """Reopen an approved sheet with a reason (required, R-P3)."""

    reason = TextAreaField(_l("Reason for reopening"), validators=[
        InputRequired(_l("Write why the sheet is reopened.")), LONG])


class MonthActionForm(Form):
    """Submit all or approve all of a month: nothing but the CSRF token."""


class AcknowledgeForm(Form):
    """The staff member acknowledges their sheet."""


class AppealForm(Form):
    """Appeal an entry of my sheet. The comment is checked by ``appeals.file_appeal`` after
    it has made sure the entry is the user's own: a refusal shows the entry's appeals, which
    nobody else may see."""

    comment = TextAreaField(_l("Why do you disagree?"))


class AnswerForm(VersionedForm):
    """The supervisor's answer to an appeal."""

    outcome = SelectField(_l("Answer"), choices=choices([
        ("kept", _l("Keep the entry")), ("changed", _l("Change the entry")),
        ("removed", _l("Remove the entry"))]),
        validators=[InputRequired(_l("Choose an answer."))])
    points = IntegerField(_l("New points (when changing)"), validators=[Optional()])
    reason = StringField(_l("New reason (when changing)"), validators=[
        Optional(), Length(max=200, message=_l("At most %(max)d characters."))])
    answer = TextAreaField(_l("Answer to the staff member"), validators=[
        InputRequired(_l("Write your answer to the appeal.")), LONG])
