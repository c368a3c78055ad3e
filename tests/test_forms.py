"""The form layer every form inherits: trimmed text, no control characters, bounded numbers,
money and dates; data names in the reader's language."""

from datetime import date

import pytest
from wtforms import DateField, DecimalField, IntegerField, PasswordField, StringField
from wtforms.validators import InputRequired, Optional

from portal.forms import Form, SubForm
from portal.i18n import localized


class _Form(Form):
    class Meta:
        csrf = False

    name = StringField(validators=[InputRequired()])
    note = StringField(validators=[Optional()])
    secret = PasswordField()
    count = IntegerField(validators=[Optional()])
    amount = DecimalField(validators=[Optional()])
    day = DateField(validators=[Optional()])


def _form(app, **data):
    data.setdefault("name", "张三")
    with app.test_request_context("/", method="POST", data=data):
        form = _Form()
        form.validate()
        return form


def test_text_is_trimmed_of_every_kind_of_space(app):
    form = _form(app, name="\u3000\u200b 张三 \u00a0", note="  ")
    assert not form.errors and form.name.data == "张三" and form.note.data == ""


@pytest.mark.parametrize("value", [" ", "\u200b\u200b", "\u3000", "\ufeff \t"])
def test_required_text_blank_after_trimming_is_refused(app, value):
    form = _form(app, name=value)
    assert "只有空格不算" in " ".join(form.errors["name"])


@pytest.mark.parametrize("value", ["a\x00b", "\x01", "x\x1by", "\x7f"])
def test_control_characters_are_refused(app, value):
    form = _form(app, note=value)
    assert "控制字符" in " ".join(form.errors["note"])


def test_tab_and_newline_are_text_and_passwords_are_not_trimmed(app):
    form = _form(app, note="a\tb\nc", secret="  pass word  ")
    assert not form.errors and form.secret.data == "  pass word  "


@pytest.mark.parametrize("value", ["2147483648", "-2147483649", "9" * 30])
def test_whole_numbers_stay_within_integer(app, value):
    assert "count" in _form(app, count=value).errors
    assert not _form(app, count="2147483647").errors


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e30", "99999999999"])
def test_money_is_finite_and_bounded(app, value):
    assert "amount" in _form(app, amount=value).errors
    assert not _form(app, amount="1280.00").errors


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "1899-12-31"])
def test_dates_stay_within_sensible_years(app, value):
    assert "day" in _form(app, day=value).errors
    assert _form(app, day="2026-12-06").day.data == date(2026, 12, 6)


def test_a_repeated_sub_form_is_guarded_too(app):
    class Line(SubForm):
        sku = StringField()

    with app.test_request_context("/"):
        line = Line(data={"sku": "A\x00"})
        assert not line.validate() and "sku" in line.errors


def test_data_names_in_the_reader_language():
    names = {"zh_CN": "白班", "zh_TW": "白班", "en": "Day shift"}
    assert localized(names, "白班", "en") == "Day shift"
    assert localized({"en": " "}, "白班", "en") == "白班"
    assert localized(None, "白班", "zh_TW") == "白班"
