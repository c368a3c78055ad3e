"""Form pieces shared by every area, and the one place that guards what is typed.

Every form is a ``Form``: its text fields are trimmed (spaces, ideographic and zero-width
spaces), refuse control characters other than tab and newline (a NUL would fail on
PostgreSQL) or more than ``TEXT_MAX`` characters where the field sets no length of its own,
and a required text that is blank after trimming is refused; whole numbers stay
within the database's INTEGER range, money within the NUMERIC columns and finite, dates
within sensible years; a choice (a select, radio buttons) refuses control characters and a
number outside INTEGER (a forged record id). Each refusal is a translated message next to its
field (422). Numbers, dates and choices are checked as they are parsed: one beyond its
column is cleared from ``data`` (the typing stays in ``raw_data`` for the form shown again),
so a view that reads a field before validating never sends it to the database.
"""

import re
from datetime import date
from decimal import Decimal

import wtforms
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import DateField, DateTimeField, DecimalField, IntegerField, StringField
from wtforms.fields import PasswordField
from wtforms.fields.choices import SelectChoice, SelectFieldBase, SelectMultipleField
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, StopValidation
from wtforms.widgets import HiddenInput, Select

INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # PostgreSQL INTEGER
MONEY_MAX = Decimal("9999999999.99")  # NUMERIC(12, 2)
FIRST_YEAR, LAST_YEAR = 1900, 2200
TEXT_MAX = 10_000  # a text without a length of its own (a note, a reason)
BLANK = " \t\n\r\f\v\u00a0\u1680\u2000-\u200f\u2028-\u202f\u205f\u2060\u3000\ufeff"
_BLANK_EDGES = re.compile(f"^[{BLANK}]+|[{BLANK}]+$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_control_characters(text: str) -> bool:
    """True when ``text`` holds a control character other than tab and newline."""
    return bool(_CONTROL.search(text))


def trim(value):
    """Spaces of every kind (ideographic, zero-width, no-break) off both ends."""
    return _BLANK_EDGES.sub("", value) if isinstance(value, str) else value


def _text_guard(form, field) -> None:
    value = field.data
    if isinstance(value, str):
        if _CONTROL.search(value):
            raise StopValidation(gettext("Remove the control characters from this field."))
        if len(value) > TEXT_MAX and not any(
                isinstance(v, Length) and v.max not in (None, -1) for v in field.validators):
            raise StopValidation(gettext("Keep this under %(max)d characters.", max=TEXT_MAX))
        typed = field.raw_data[0] if field.raw_data else ""
        if not value and typed and field.flags.required:
            # the field's own "required" message where it has one, else the general one
            own = next((v.message for v in field.validators
                        if isinstance(v, InputRequired | DataRequired) and v.message), None)
            raise StopValidation(str(own) if own else gettext(
                "Fill in this field (spaces alone do not count)."))


def _out_of_bounds(field) -> str | None:
    """Why the number, date or choice in ``field.data`` cannot be stored, or None."""
    if isinstance(field, SelectFieldBase):
        typed = [value for value in (field.raw_data or []) if isinstance(value, str)]
        if any(_CONTROL.search(value) for value in typed):
            return gettext("Remove the control characters from this field.")
    values = field.data if isinstance(field.data, list | tuple) else [field.data]
    for value in values:
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int) and not INT_MIN <= value <= INT_MAX:
            return gettext("Enter a smaller number.") if isinstance(field, IntegerField) \
                else gettext("Choose from the list.")
        if isinstance(value, str) and isinstance(field, SelectFieldBase) and value.isascii() \
                and value.isdigit() and int(value) > INT_MAX:  # an id chosen as text
            return gettext("Choose from the list.")
        if isinstance(value, Decimal):
            if not value.is_finite():
                return gettext("Enter an amount as a number, e.g. 1280.00.")
            if abs(value) > MONEY_MAX:
                return gettext("Enter a smaller amount.")
        if isinstance(value, date) and not FIRST_YEAR <= value.year <= LAST_YEAR:
            return gettext("Enter a date between %(first)d and %(last)d.",
                           first=FIRST_YEAR, last=LAST_YEAR)
    return None


def _bounds_guard(form, field) -> None:
    message = _out_of_bounds(field)
    if message:
        field.data = None
        raise StopValidation(message)


def _parsed_within_bounds(field) -> None:
    """Check a number, date or choice as soon as it is parsed: a value beyond its column
    becomes None with the refusal as a parse error, so that even a view that reads the
    field before validating (to find the record it names) never sends it to the database;
    a multiple choice is always a list."""
    parse = field.process_formdata

    def process_formdata(valuelist):
        try:
            parse(valuelist)
        finally:
            if isinstance(field, SelectMultipleField) and field.data is None:
                field.data = []
        message = _out_of_bounds(field)
        if message:
            field.data = [] if isinstance(field, SelectMultipleField) else None
            raise ValueError(message)

    field.process_formdata = process_formdata


def record_id(value) -> int | None:
    """A record id typed or chosen as text (``"42"``), or None when it cannot be one: not
    a whole number, or outside the INTEGER range (a forged id is no record, never an
    overflow)."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        number = int(value)
    else:
        return None
    return number if 0 < number <= INT_MAX else None


class GuardedMeta:
    """Every field bound with the guards above (the Meta of ``Form`` and ``SubForm``)."""

    def bind_field(self, form, unbound_field, options):
        field_class = unbound_field.field_class
        if issubclass(field_class, StringField):
            guard = _text_guard
        elif issubclass(field_class, IntegerField | DecimalField | DateField | DateTimeField
                        | SelectFieldBase):
            guard = _bounds_guard
        else:
            return unbound_field.bind(form=form, **options)
        args, kwargs = list(unbound_field.args), dict(unbound_field.kwargs)
        if len(args) > 1:  # validators given by position
            kwargs["validators"] = args.pop(1)
        # the guard first: no other validator sees a NUL or an overflow
        kwargs["validators"] = [guard, *(kwargs.get("validators") or ())]
        if guard is _text_guard and not issubclass(field_class, PasswordField):
            kwargs["filters"] = [trim, *(kwargs.get("filters") or ())]
        field = UnboundField(field_class, *args, **kwargs).bind(form=form, **options)
        if guard is _bounds_guard:
            _parsed_within_bounds(field)
        return field


class Form(FlaskForm):
    """The portal's base form (see the module's docstring): every form inherits it."""

    class Meta(GuardedMeta):
        pass


class SubForm(wtforms.Form):
    """A form repeated inside another (``FormField``): the same guards, no CSRF of its own."""

    class Meta(GuardedMeta):
        pass


class FilterForm(Form):
    """A GET form of filters: read from the query string, no CSRF token (it changes nothing)."""

    class Meta:
        csrf = False

    def __init__(self, *args, **kwargs):
        from flask import request

        super().__init__(request.args, *args, **kwargs)


class VersionedForm(Form):
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
