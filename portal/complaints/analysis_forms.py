"""The forms of the month's analysis: the supervisor's comment (saved or sent with the
analysis), and reopening a sent analysis."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange
from wtforms.widgets import HiddenInput

from portal.complaints.analysis import COMMENT_MAX
from portal.forms import Form


class MonthVersionForm(Form):
    """A form on the month's record: its version, 0 while nothing was written."""

    version = IntegerField(
        widget=HiddenInput(),
        validators=[InputRequired(_l("The form is incomplete; reload the page.")),
                    NumberRange(min=0)],
    )


class CommentForm(MonthVersionForm):
    comment = TextAreaField(_l("Supervisor's comment"), validators=[
        Length(max=COMMENT_MAX, message=_l("Keep this under %(max)d characters."))])
