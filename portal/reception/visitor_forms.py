"""Forms of the visitor log: arrival, serving, departure, the history filters, the menu.

Messages are translatable; the rules are checked again in visitors.py / menu.py.
"""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional

from portal.forms import FilterForm, Form, LocalDateField, QuickSelect, VersionedForm, choices
from portal.reception.menu import KINDS
from portal.reception.names import NamesFields
from portal.reception.visitors import MAX_PARTY, MAX_SERVING, PURPOSES, SOURCES, order_field


class LocalDateTimeField(DateTimeLocalField):
    """A date and time (``2026-11-22T09:30``) with a translatable parse error."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"])
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_l("Enter the date and time as YYYY-MM-DD HH:MM.")) from error

    def _value(self):
        return self.data.strftime("%Y-%m-%dT%H:%M") if self.data else \
            (self.raw_data[0] if self.raw_data else "")


def _labelled(options: dict, blank=None):
    pairs = [(code, _l(label)) for code, label in options.items()]
    return choices(([("", blank)] if blank is not None else []) + pairs)


def _int_or_none(value):
    return int(value) if value and str(value).isdigit() else None


class ArrivalForm(Form):
    """R-R5: a party arrives (the quick form at the top of the board)."""

    arrived_at = LocalDateTimeField(_l("Arrived at"), validators=[
        InputRequired(_l("Enter the arrival time."))])
    party_size = IntegerField(_l("People"), default=1, validators=[
        InputRequired(_l("Enter how many people came (at least 1).")),
        NumberRange(min=1, max=MAX_PARTY,
                    message=_l("A party has from 1 to %(max)d people.", max=MAX_PARTY))])
    purpose = SelectField(_l("Purpose"), choices=_labelled(PURPOSES), default="viewing",
                          validate_choice=False, validators=[
                              AnyOf(list(PURPOSES), message=_l("Choose a purpose from the list."))])
    source = SelectField(_l("How they came"), choices=_labelled(SOURCES), default="walk_in",
                         validate_choice=False, validators=[
                             AnyOf(list(SOURCES),
                                   message=_l("Choose how they came from the list."))])
    consultant_id = SelectField(_l("Consultant"), coerce=_int_or_none, validate_choice=False,
                                validators=[Optional()], widget=QuickSelect())  # every staff
    consultant_name = StringField(_l("Or another consultant's name"), validators=[
        Optional(), Length(max=60, message=_l("Keep this under 60 characters."))])
    visitor_name = StringField(_l("Visitor's name (optional)"), validators=[
        Optional(), Length(max=60, message=_l("Keep this under 60 characters."))])
    phone = StringField(_l("Phone (optional)"), validators=[
        Optional(), Length(max=30, message=_l("Keep this under 30 characters."))])
    note = TextAreaField(_l("Note"), validators=[
        Optional(), Length(max=500, message=_l("Keep this under 500 characters."))])


class ServeForm(Form):
    """R-R5: a party's whole order at once (issue 15 item 14): how many of each item on the
    menu, one field ``item_<id>`` per item (0: none). Made for the menu of the moment by
    ``for_menu``."""

    menu: list = []

    @classmethod
    def for_menu(cls, menu, formdata=None) -> "ServeForm":
        """The order form of ``menu`` (active items): fresh, or read from ``formdata``."""
        fields = {order_field(item.id): IntegerField(
            item.local_name,
            default=0, validators=[Optional(), NumberRange(
                min=0, max=MAX_SERVING,
                message=_l("Enter how many, from 0 to %(max)d.", max=MAX_SERVING))])
            for item in menu}
        form = type("MenuServeForm", (cls,), fields)(formdata=formdata)
        form.menu = list(menu)
        return form

    def order(self) -> dict[int, int | None]:
        """{menu item id: how many} as typed."""
        return {item.id: self[order_field(item.id)].data for item in self.menu}

    def lines(self) -> list:
        """(menu item, its field) in the menu's order."""
        return [(item, self[order_field(item.id)]) for item in self.menu]


class DepartForm(VersionedForm):
    """One click: the party left now (the version the person saw)."""


class DepartureForm(VersionedForm):
    """Correct the recorded departure time."""

    left_at = LocalDateTimeField(_l("Left at"), validators=[
        InputRequired(_l("Enter the departure time."))])


class HistoryFilterForm(FilterForm):
    """Filters of the visit history."""

    date_from = LocalDateField(_l("From"), validators=[Optional()])
    date_to = LocalDateField(_l("To"), validators=[Optional()])
    consultant = SelectField(_l("Consultant"), validators=[Optional()], validate_choice=False)
    purpose = SelectField(_l("Purpose"), choices=_labelled(PURPOSES, _l("Any purpose")),
                          validators=[Optional()], validate_choice=False)
    source = SelectField(_l("How they came"), choices=_labelled(SOURCES, _l("Any source")),
                         validators=[Optional()], validate_choice=False)


class MenuItemForm(NamesFields, Form):
    """A new menu item."""

    name = StringField(_l("Name"), validators=[InputRequired(_l("Enter the item's name.")),
                                               Length(max=60, message=_l(
                                                   "Keep this under 60 characters."))])
    kind = SelectField(_l("Kind"), choices=_labelled(KINDS), default="drink",
                       validate_choice=False,
                       validators=[AnyOf(list(KINDS), message=_l("Choose drink or snack."))])
    stock_item_id = SelectField(_l("Fridge count (checklist item)"), coerce=_int_or_none,
                                validate_choice=False, validators=[Optional()])


class MenuEditForm(MenuItemForm, VersionedForm):
    """Rename, relink or deactivate a menu item."""

    active = BooleanField(_l("On the menu"))


class ConsultantMarkForm(Form):
    """Mark a member of staff as a showroom consultant."""

    user_id = SelectField(_l("Staff member"), coerce=_int_or_none, validate_choice=False,
                          validators=[InputRequired(_l("Choose an active staff member."))],
                          widget=QuickSelect())


class ConsultantUnmarkForm(VersionedForm):
    """Take a consultant off the arrival form's list (the version the supervisor saw)."""
