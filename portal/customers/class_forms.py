"""Forms of the value-class thresholds: saving them, and previewing typed ones."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import DecimalField, IntegerField
from wtforms.validators import InputRequired, NumberRange
from wtforms.widgets import HiddenInput

from portal.customers.classes import FREQUENCY_MAX, MONEY_MAX, WINDOW_MAX
from portal.forms import FilterForm, Form


class _Thresholds:
    """The four figures (a mixin: the save form and the preview form share them)."""

    window_days = IntegerField(_l("Window (days counted for frequency and money)"), validators=[
        InputRequired(_l("Enter the window in days.")),
        NumberRange(min=1, max=WINDOW_MAX, message=_l("From 1 to 3650 days."))])
    recency_days = IntegerField(_l("Recent: last order at most this many days ago"), validators=[
        InputRequired(_l("Enter the days for recency.")),
        NumberRange(min=0, max=WINDOW_MAX, message=_l("From 0 to 3650 days."))])
    frequency_orders = IntegerField(_l("Frequent: at least this many orders in the window"),
                                    validators=[
        InputRequired(_l("Enter the number of orders.")),
        NumberRange(min=1, max=FREQUENCY_MAX, message=_l("From 1 to 100,000 orders."))])
    money_amount = DecimalField(_l("Big spender: at least this amount (¥) in the window"),
                                places=2, validators=[
        InputRequired(_l("Enter the amount.")),
        NumberRange(min=Decimal("0.01"), max=MONEY_MAX,
                    message=_l("From ¥0.01 to ¥99,999,999.99."))])


class ThresholdsForm(_Thresholds, Form):
    """Save the thresholds; ``version`` is 0 while only the defaults exist."""

    version = IntegerField(widget=HiddenInput(), validators=[
        InputRequired(_l("The form is incomplete; reload the page.")), NumberRange(min=0)])


class PreviewForm(_Thresholds, FilterForm):
    """Typed thresholds to preview (a GET: changes nothing)."""
