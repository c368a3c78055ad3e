"""Forms of the desk pages: return visits, reminders.

Messages are translatable; the rules are checked again in visits.py, queue.py.
"""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, RadioField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from portal.aftersales.visits import COMMENT_MAX, OUTCOMES
from portal.forms import VersionedForm, choices


def _short(limit: int):
    return Length(max=limit, message=_l("Keep this under %(max)d characters.", max=limit))


class VisitForm(VersionedForm):
    """R-C2: how the return visit went."""

    outcome = RadioField(_l("Outcome"), choices=choices(
        (code, _l(label)) for code, label in OUTCOMES.items()),
        validators=[InputRequired(_l("Choose how the call went."))])
    satisfaction = IntegerField(_l("Satisfaction (1–5)"), validators=[
        Optional(), NumberRange(min=1, max=5, message=_l("Satisfaction goes from 1 to 5."))])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), _short(COMMENT_MAX)])
    again = BooleanField(_l("Call again tomorrow"))

    def validate(self, extra_validators=None) -> bool:
        """A customer reached says how satisfied they are (Optional() stops the field's own
        chain when it is empty, so this is checked here)."""
        valid = super().validate(extra_validators)
        if self.outcome.data == "reached" and self.satisfaction.data is None \
                and not self.satisfaction.errors:
            self.satisfaction.errors = [_l("Ask how satisfied the customer is (1 to 5).")]
            valid = False
        return valid
