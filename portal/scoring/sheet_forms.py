"""Forms of the catalogue and of sheet entries; messages are translatable. The rules are
checked again in the services (catalogue.py, entries.py)."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from portal.forms import Form, LocalDateField, VersionedForm, choices
from portal.scoring.catalogue import KINDS, LANGUAGES

WHOLE = _l("Enter a whole number.")


class WholeNumberField(IntegerField):
    """An integer whose parse error is in the portal's catalogues."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(WHOLE) from error


def kind_choices():
    return choices((code, _l(label)) for code, label in KINDS.items())


class RuleForm(Form):
    """A catalogue item: kind, default points (positive), description, active."""

    kind = SelectField(_l("Kind"), choices=kind_choices(), validate_choice=False,
                       validators=[InputRequired(_l("Choose reward or penalty."))])
    default_points = WholeNumberField(_l("Points"), validators=[
        InputRequired(_l("Give the points."))])
    description = StringField(_l("Description"), validators=[
        InputRequired(_l("Describe the item.")),
        Length(max=200, message=_l("Keep this under 200 characters."))])
    # the item's name per language (issue 15, item 17): each language's own name for itself
    name_zh_CN = StringField("简体中文", validators=[  # noqa: N815 - named by the locale
        Optional(), Length(max=200, message=_l("Keep this under 200 characters."))])
    name_zh_TW = StringField("繁體中文", validators=[  # noqa: N815
        Optional(), Length(max=200, message=_l("Keep this under 200 characters."))])
    name_en = StringField("English", validators=[
        Optional(), Length(max=200, message=_l("Keep this under 200 characters."))])
    active = BooleanField(_l("Active"), default=True)

    def names(self) -> dict:
        """{language: name} as typed."""
        return {language: self[f"name_{language}"].data for language in LANGUAGES}


class RuleEditForm(RuleForm, VersionedForm):
    """A catalogue item changed in place."""


class EntryForm(Form):
    """A reward or penalty on a sheet (R-P1)."""

    rule = SelectField(_l("Catalogue item"), validate_choice=False, validators=[Optional()])
    reason = StringField(_l("Reason"), validators=[
        Optional(), Length(max=200, message=_l("Keep this under 200 characters."))])
    points = WholeNumberField(_l("Points (+ reward, − penalty)"), validators=[Optional()])
    day = LocalDateField(_l("Date"), validators=[InputRequired(_l("Give the date."))])
    evidence = TextAreaField(_l("Evidence"), validators=[
        Optional(), Length(max=500, message=_l("Keep this under 500 characters."))])
    link = SelectField(_l("Linked record"), validate_choice=False, validators=[Optional()])
    sheet_version = IntegerField(widget=HiddenInput(), validators=[
        InputRequired(_l("The form is incomplete; reload the page."))])
    in_overview = StringField(widget=HiddenInput(), validators=[Optional()])


class EntryEditForm(VersionedForm):
    """Correcting an entry; the earlier value is kept."""

    reason = StringField(_l("Reason"), validators=[
        InputRequired(_l("Write the reason.")),
        Length(max=200, message=_l("Keep this under 200 characters."))])
    points = WholeNumberField(_l("Points"), validators=[InputRequired(_l("Give the points."))])
    day = LocalDateField(_l("Date"), validators=[InputRequired(_l("Give the date."))])
    evidence = TextAreaField(_l("Evidence"), validators=[
        Optional(), Length(max=500, message=_l("Keep this under 500 characters."))])
    in_overview = StringField(widget=HiddenInput(), validators=[Optional()])


class EntryRemoveForm(VersionedForm):
    """Removing an entry (it stays visible, struck through)."""

    in_overview = StringField(widget=HiddenInput(), validators=[Optional()])
