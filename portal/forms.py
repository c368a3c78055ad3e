"""Form pieces shared by every area."""

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import DateField, IntegerField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange
from wtforms.widgets import HiddenInput, Select


class FilterForm(FlaskForm):
    """A GET form of filters: read from the query string, no CSRF token (it changes nothing)."""

    class Meta:
        csrf = False

    def __init__(self, *args, **kwargs):
        from flask import request

        super().__init__(request.args, *args, **kwargs)


class VersionedForm(FlaskForm):
    """A form editing a record that carries a ``version``; a stale version is a conflict."""

    version = IntegerField(
        widget=HiddenInput(),
        validators=[InputRequired(_l("The form is incomplete; reload the page.")),
                    NumberRange(min=1)],
    )


def choices(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class LocalDateField(DateField):
    """A ``YYYY-MM-DD`` date whose parse error is in the portal's catalogues."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_l("Enter the date as YYYY-MM-DD.")) from error


def show_refusal(form, error, message: str | None = None) -> None:
    """Show a rule's refusal (a ``RuleError``) next to its field, else above the form; the
    message is translated here unless the caller gives it."""
    if message is None:
        message = gettext(error.message, **error.params)
    if error.field and error.field in form:
        form[error.field].errors = list(form[error.field].errors) + [message]
    else:
        form.form_errors.append(message)


class QuickSelect(Select):
    """WTForms' select with each plain option written directly (same markup): a list of every
    member of staff or every action has dozens of options, and ``html_params`` per option was
    a third of such a page's time."""

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw or isinstance(choice.value, bool):
            return super().render_option(choice, **kwargs)
        selected = " selected" if choice.selected else ""
        value, label = escape(choice.value), escape(choice.label or choice.value)
        return Markup(f'<option{selected} value="{value}">{label}</option>')  # noqa: S704 - escaped
