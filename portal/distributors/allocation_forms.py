"""The allocation run's forms: a cell's quantity, the run's issue, the rules, the markets
short of stock."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from portal.forms import Form, VersionedForm

from .allocation import MAX_QUANTITY


class NewRunForm(Form):
    """Make a run: nothing but the CSRF token."""


class RunForm(VersionedForm):
    """Issue all: the run's version."""


class CellForm(VersionedForm):
    """One cell: the run's version and the proposed quantity (range checked by the service,
    so each refusal names the SKU and the limit)."""

    quantity = IntegerField(_l("Proposed"), validators=[
        InputRequired(_l("Enter whole numbers of units.")),
        NumberRange(min=-MAX_QUANTITY, max=MAX_QUANTITY,
                    message=_l("Enter whole numbers of units."))])


class RuleForm(VersionedForm):
    position = IntegerField(_l("Place"), validators=[
        InputRequired(_l("Enter the place.")),
        NumberRange(min=1, max=3, message=_l("The place must be between 1 and %(max)d.",
                                             max=3))])
    weight = IntegerField(_l("Weight"), validators=[
        InputRequired(_l("Enter the weight.")),
        NumberRange(min=0, max=100, message=_l("The weight must be between 0 and 100."))])


class MarketForm(Form):
    market = StringField(_l("Market"), validators=[InputRequired(_l("Enter the market.")),
                                                   Length(max=20)])
    sku = StringField(_l("SKU"), validators=[InputRequired(_l("Enter the SKU.")),
                                             Length(max=40)])
    priority = IntegerField(_l("Priority"), validators=[
        InputRequired(_l("The priority must be between 1 and 9.")),
        NumberRange(min=1, max=9, message=_l("The priority must be between 1 and 9."))])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])
