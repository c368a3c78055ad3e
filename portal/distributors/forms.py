"""The distributors' forms: accounts, movements, statements, the check before issuing,
delivery investigations."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional

from portal.forms import FilterForm, Form, LocalDateField, VersionedForm
from portal.orders.order_forms import labelled
from portal.orders.register_views import MoneyField

from . import ledger, review

MONEY_MAX = float(ledger.MAX_MONEY)


def _short(limit: int):
    return Length(max=limit, message=_l("Keep this under %(max)d characters.", max=limit))


def _money(label, *, minimum=0.01, message=None):
    return MoneyField(label, places=2, validators=[
        InputRequired(_l("Enter the amount.")),
        NumberRange(min=minimum, max=MONEY_MAX,
                    message=message or _l("The amount must be more than zero."))])


class AccountFilterForm(FilterForm):
    market = StringField(_l("Market"), validators=[Optional(), _short(20)])
    state = SelectField(_l("State"), choices=labelled(ledger.STATES, blank=_l("All")),
                        default="", validate_choice=False, validators=[
                            Optional(), AnyOf(["", *ledger.STATES],
                                              message=_l("Choose from the list."))])
    q = StringField(_l("Name begins with"), validators=[Optional(), _short(40)])


class TermsFields:
    name = StringField(_l("Name"), validators=[InputRequired(_l("Enter the distributor's name.")),
                                               _short(80)])
    market = StringField(_l("Market"), validators=[InputRequired(_l("Enter the market.")),
                                                   _short(20)])
    contact_name = StringField(_l("Contact"), validators=[Optional(), _short(60)])
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), _short(30)])
    credit_line = MoneyField(_l("Credit line"), places=2, default=0, validators=[
        InputRequired(_l("Enter the amount.")),
        NumberRange(min=0, max=MONEY_MAX, message=_l("The credit line cannot be negative."))])
    terms_days = IntegerField(_l("Payment terms (days)"), default=30, validators=[
        InputRequired(_l("Enter the payment terms.")),
        NumberRange(min=0, max=365, message=_l("Payment terms are from 0 to 365 days."))])
    mode = SelectField(_l("Mode"), choices=labelled(ledger.MODES), default="strict",
                       validate_choice=False, validators=[
                           AnyOf(list(ledger.MODES), message=_l("Choose strict or loose."))])


class AccountForm(Form, TermsFields):
    code = StringField(_l("Code on its orders (buyer ID)"), validators=[
        InputRequired(_l("Enter the code on the distributor's orders.")), _short(60)])


class TermsForm(VersionedForm, TermsFields):
    pass


class HoldForm(VersionedForm):
    action = StringField(validators=[AnyOf(["hold", "release"],
                                           message=_l("Choose from the list."))])
    reason = StringField(_l("Reason for the hold"), validators=[Optional(), _short(300)])


class PaymentForm(Form):
    amount = _money(_l("Amount"))
    transfer_id = IntegerField(_l("Bank transfer no. (optional)"), validators=[
        Optional(), NumberRange(min=1, max=2**31 - 1, message=_l("No bank transfer has that "
                                                                  "number."))])
    note = StringField(_l("Note"), validators=[Optional(), _short(300)])


class AdjustmentForm(Form):
    kind = SelectField(_l("Kind"), choices=labelled({"adjustment": ledger.KINDS["adjustment"],
                                                     "refund": ledger.KINDS["refund"]}),
                       validate_choice=False, validators=[
                           AnyOf(["adjustment", "refund"], message=_l("Choose from the list."))])
    amount = MoneyField(_l("Amount (negative lowers the balance)"), places=2, validators=[
        InputRequired(_l("Enter the amount.")),
        NumberRange(min=-MONEY_MAX, max=MONEY_MAX, message=_l("The amount is too large."))])
    reason = StringField(_l("Reason"), validators=[
        InputRequired(_l("Give the reason for the adjustment.")), _short(300)])


class StatementForm(FilterForm):
    date_from = LocalDateField(_l("From"), validators=[Optional()])
    date_to = LocalDateField(_l("Until"), validators=[Optional()])


class IssueForm(VersionedForm):
    seen = StringField(validators=[Optional(), _short(20)])


class ReduceForm(VersionedForm):
    """One ``q<line id>`` field per line is read by the view (the lines vary)."""


class DeliveryIssueForm(Form):
    order_no = StringField(_l("Order number"), validators=[
        InputRequired(_l("Enter the order number.")), _short(40)])
    kind = SelectField(_l("Problem"), choices=labelled(review.ISSUE_KINDS),
                       validate_choice=False, validators=[
                           AnyOf(list(review.ISSUE_KINDS),
                                 message=_l("Choose short, missing or wrong items."))])
    text = TextAreaField(_l("What the distributor reported"), validators=[
        InputRequired(_l("Describe the problem.")), _short(1000)])


class AnswerForm(VersionedForm):
    answer = TextAreaField(_l("Answer to the distributor"), validators=[
        InputRequired(_l("Write the answer to the distributor.")), _short(1000)])
