"""Forms of the daily work record and its question categories."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from portal.forms import Form, VersionedForm, record_id
from portal.worklog.services import ANSWER_MAX, QUESTION_MAX, REASON_MAX

_TOO_LONG = _l("At most %(max)d characters.")


class LineForm(Form):
    """One question of the day on one line."""

    category = SelectField(_l("Category"), coerce=record_id, validate_choice=False,
                           validators=[InputRequired(_l("Choose a category from the list."))])
    question = StringField(_l("Question"), validators=[
        InputRequired(_l("Write the question you met.")),
        Length(max=QUESTION_MAX, message=_TOO_LONG)])
    answer = StringField(_l("Answer given"), validators=[
        Optional(), Length(max=ANSWER_MAX, message=_TOO_LONG)])
    resolved = BooleanField(_l("Resolved"), default=True)
    order_no = StringField(_l("Order number (optional)"), validators=[
        Optional(), Length(max=40, message=_TOO_LONG)])
    customer = HiddenField(filters=[record_id])


class LineEditForm(LineForm, VersionedForm):
    """A line of today, edited in place."""


class LineCorrectForm(LineEditForm):
    """A line of an earlier day, corrected: the earlier text is kept."""

    reason = StringField(_l("Why (optional)"), validators=[
        Optional(), Length(max=REASON_MAX, message=_TOO_LONG)])


class CategoryForm(Form):
    """A question category: names per language, order, active."""

    name = StringField(_l("Name (简体中文)"), validators=[
        InputRequired(_l("Give the category a name.")), Length(max=30, message=_TOO_LONG)])
    name_tw = StringField(_l("Name (繁體中文)"), validators=[
        Optional(), Length(max=30, message=_TOO_LONG)])
    name_en = StringField(_l("Name (English)"), validators=[
        Optional(), Length(max=30, message=_TOO_LONG)])
    position = IntegerField(_l("Order"), default=100, validators=[
        InputRequired(_l("Enter a whole number.")), NumberRange(min=0, max=9999)])
    active = BooleanField(_l("Active"), default=True)


class CategoryEditForm(CategoryForm, VersionedForm):
    """A category changed."""
