"""Forms of the opening checklist and the repair reports. Messages are translatable; the
rules are checked again in checklist.py and repairs.py."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    AnyOf,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import HiddenInput

from portal.forms import Form, VersionedForm, choices
from portal.reception.checklist import GROUPS, NAME_MAX, NOTE_MAX, STATUSES
from portal.reception.names import NamesFields
from portal.reception.repairs import PLACE_MAX, TEXT_MAX
from portal.reception.repairs import STATUSES as REPAIR_STATUSES

NOT_NEGATIVE = _l("A count cannot be below zero.")


def not_negative(message):
    """A count ≥ 0; a value that did not parse keeps only its own message."""

    def check(form, field):
        if field.data is not None and field.data < 0:
            raise ValidationError(message)

    return check


class CountField(IntegerField):
    """A whole number whose parse error is in the portal's catalogues."""

    def process_formdata(self, valuelist):
        if valuelist and str(valuelist[0]).strip():
            try:
                self.data = int(str(valuelist[0]).strip())
            except ValueError as error:
                self.data = None
                raise ValueError(_l("Enter a whole number.")) from error
        else:
            self.data = None


class MarkForm(Form):
    """R-R2: one item marked on the day's checklist (``version`` 0: it was not marked)."""

    status = SelectField(
        _l("Status"), validate_choice=False,
        choices=choices((code, _l(label)) for code, label in STATUSES.items()),
        validators=[InputRequired(_l("Mark the item OK, missing or damaged.")),
                    AnyOf(list(STATUSES), message=_l("Mark the item OK, missing or damaged."))])
    quantity = CountField(_l("Count"), validators=[
        Optional(), not_negative(_l("The count cannot be below zero."))])
    note = StringField(_l("Note"), validators=[
        Optional(), Length(max=NOTE_MAX, message=_l("Keep the note under %(max)d characters.",
                                                    max=NOTE_MAX))])
    version = IntegerField(widget=HiddenInput(), default=0, validators=[
        InputRequired(_l("The form is incomplete; reload the page.")), NumberRange(min=0)])


def group_choices():
    return choices((code, _l(label)) for code, label in GROUPS.items())


class ItemForm(NamesFields, Form):
    """R-R2: an item of the morning check (the supervisor's list)."""

    name = StringField(_l("Item"), validators=[
        InputRequired(_l("Give the item a name.")),
        Length(max=NAME_MAX, message=_l("Keep the name under %(max)d characters.",
                                        max=NAME_MAX))])
    group = SelectField(_l("Group"), choices=group_choices(), validate_choice=False,
                        validators=[AnyOf(list(GROUPS),
                                          message=_l("Choose a group from the list."))])
    counted = BooleanField(_l("Counted"))
    expected_count = CountField(_l("Expected count"), validators=[
        Optional(), not_negative(NOT_NEGATIVE)])
    restock_level = CountField(_l("Restock below"), validators=[
        Optional(), not_negative(NOT_NEGATIVE)])
    sort_order = CountField(_l("Order"), validators=[Optional()])


class ItemEditForm(ItemForm, VersionedForm):
    """Changing an item (the version the supervisor saw)."""


class ActiveForm(VersionedForm):
    """Deactivate or bring back an item."""


class RepairForm(Form):
    """R-R3: a new repair report, prefilled from a checklist item when it comes from one."""

    item_id = HiddenField()
    place = StringField(_l("Item or place"), validators=[
        InputRequired(_l("Say which item or place needs repair.")),
        Length(max=PLACE_MAX, message=_l("Keep this under %(max)d characters.", max=PLACE_MAX))])
    problem = TextAreaField(_l("What is wrong"), validators=[
        InputRequired(_l("Describe what is wrong.")),
        Length(max=TEXT_MAX, message=_l("Keep this under %(max)d characters.", max=TEXT_MAX))])


class NoteForm(VersionedForm):
    """R-R3: a follow-up note, optionally moving the status."""

    text = TextAreaField(_l("Follow-up note"), validators=[
        InputRequired(_l("Write what happened.")),
        Length(max=TEXT_MAX, message=_l("Keep this under %(max)d characters.", max=TEXT_MAX))])
    status_to = SelectField(_l("Move to"), validate_choice=False, validators=[Optional()],
                            choices=choices([("", _l("Keep the status"))]
                                            + [(code, _l(label))
                                               for code, label in REPAIR_STATUSES.items()]))
