"""The customer list's search box and filters (issue 17 item 7): a GET form."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional

from portal.customers.models import KINDS
from portal.customers.search import TEXT_MAX
from portal.forms import FilterForm, choices


class CustomerSearchForm(FilterForm):
    """One box for what a customer tells us, and the list's filters."""

    q = StringField(_l("Name, phone (last 4 digits will do), buyer ID, order or tracking number"),
                    validators=[Optional(), Length(max=TEXT_MAX, message=_l(
                        "Keep this under %(max)d characters.", max=TEXT_MAX))])
    kind = SelectField(_l("Kind"), validate_choice=False, validators=[Optional()])
    value_class = SelectField(_l("Value class"), validate_choice=False, validators=[Optional()])
    tag = SelectField(_l("Tag"), validate_choice=False, validators=[Optional()])
    mine = BooleanField(_l("Mine only"))
    before = IntegerField(validators=[Optional(), NumberRange(min=1)])

    def __init__(self, tags=(), classes=None, *args, **kwargs):
        """Offer the kinds, the value classes and the shared tags."""
        super().__init__(*args, **kwargs)
        self.kind.choices = choices([("", _l("Any kind"))]
                                    + [(code, _l(label)) for code, label in KINDS.items()])
        self.value_class.choices = choices([("", _l("Any class"))] + [
            (code, _l(label)) for code, label in (classes or {}).items()])
        self.tag.choices = choices([("", _l("Any tag"))]
                                   + [(str(tag.id), tag.local_name) for tag in tags])

    def known(self, field, codes) -> str | None:
        """The field's value when it is one of ``codes`` (an unknown one is ignored)."""
        value = field.data or None
        return value if value in codes else None
