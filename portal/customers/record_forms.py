"""Forms of the customer record (issue 17 items 1 and 8). Messages are translatable; the
rules are checked again in records.py."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.customers.models import KINDS
from portal.customers.records import NAME_MAX, NEEDS_MAX, NOTE_MAX, TAG_MAX
from portal.forms import Form, VersionedForm, choices
from portal.i18n import N_
from portal.reception.names import NamesFields

TOO_LONG = _l("Keep this under %(max)d characters.")


def _int_or_none(value):
    return int(value) if value and str(value).isascii() and str(value).isdigit() else None


def kind_choices():
    return choices((key, _l(label)) for key, label in KINDS.items())


class RecordForm(VersionedForm):
    """The record's header, edited in place."""

    name = StringField(_l("Display name"), validators=[
        InputRequired(_l("Enter the customer's name.")), Length(max=NAME_MAX, message=TOO_LONG)])
    kind = SelectField(_l("Kind"), choices=kind_choices())
    owner_id = SelectField(_l("Owner"), coerce=_int_or_none, validate_choice=False,
                           validators=[Optional()])
    marketing_consent = BooleanField(_l("Agrees to marketing contact (SMS, greetings)"))
    need_notes = TextAreaField(_l("Needs and interests"), validators=[
        Optional(), Length(max=NEEDS_MAX, message=TOO_LONG)])
    tags = SelectMultipleField(_l("Tags"), coerce=int, validate_choice=False,
                               widget=ListWidget(prefix_label=False),
                               option_widget=CheckboxInput())


class TakeForm(VersionedForm):
    """An agent takes an unowned customer."""


class NewCustomerForm(Form):
    """A customer entered by hand."""

    name = StringField(_l("Display name"), validators=[
        InputRequired(_l("Enter the customer's name.")), Length(max=NAME_MAX, message=TOO_LONG)])
    kind = SelectField(_l("Kind"), choices=kind_choices())
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30, message=TOO_LONG)])
    wechat = StringField(_l("WeChat ID"), validators=[Optional(), Length(max=60, message=TOO_LONG)])
    marketing_consent = BooleanField(_l("Agrees to marketing contact (SMS, greetings)"))
    need_notes = TextAreaField(_l("Needs and interests"), validators=[
        Optional(), Length(max=NEEDS_MAX, message=TOO_LONG)])


CONTACT_KINDS = {"phone": N_("Phone"), "wechat": N_("WeChat ID")}


class ContactForm(Form):
    """A phone or a WeChat ID added by hand."""

    kind = SelectField(_l("Kind"), choices=choices((k, _l(v)) for k, v in CONTACT_KINDS.items()))
    value = StringField(_l("Phone or WeChat ID"), validators=[
        InputRequired(_l("Enter the phone or the WeChat ID.")),
        Length(max=60, message=TOO_LONG)])


class NoteForm(Form):
    """A note on the customer (kept, never edited)."""

    body = TextAreaField(_l("Note"), validators=[
        InputRequired(_l("Write the note first.")), Length(max=NOTE_MAX, message=TOO_LONG)])


class TagForm(NamesFields, Form):
    """A tag of the shared set."""

    name = StringField(_l("Tag"), validators=[
        InputRequired(_l("Enter the tag's name.")), Length(max=TAG_MAX, message=TOO_LONG)])


class TagEditForm(TagForm, VersionedForm):
    """Rename a tag (its names per language)."""


class TagActiveForm(VersionedForm):
    """Deactivate or reactivate a tag."""


class RequestForm(VersionedForm):
    """A data request (export, anonymisation): why, and that the supervisor means it."""

    reason = StringField(_l("Reason (e.g. the customer asked on 2026-11-22 by phone)"),
                         validators=[InputRequired(_l("Say why.")),
                                     Length(max=200, message=TOO_LONG)])
    confirm = BooleanField(_l("I have checked that this is the right customer."),
                           validators=[InputRequired(_l("Tick the box to confirm."))])
