"""Sign-in, own password and staff account forms."""

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.auth.permissions import GRANTABLE, ROLE_LABELS, ROLES
from portal.forms import FilterForm, Form, VersionedForm, choices


def password_length(form, field):
    """ASVS 2.1: at least 12 characters, at most 128, no composition rules."""
    low = current_app.config["PASSWORD_MIN_LENGTH"]
    high = current_app.config["PASSWORD_MAX_LENGTH"]
    if not low <= len(field.data or "") <= high:
        raise ValidationError(
            _l("A password has %(low)d to %(high)d characters.", low=low, high=high)
        )


def role_choices(roles=ROLES):
    """(value, label) pairs for a role select, labels translated when rendered."""
    return choices((role, _l(ROLE_LABELS[role])) for role in roles)


class LoginForm(Form):
    """Username and password."""

    username = StringField(_l("Username"), validators=[InputRequired(_l("Enter your username.")),
                                                       Length(max=64)])
    password = PasswordField(_l("Password"), validators=[InputRequired(_l("Enter your password.")),
                                                         Length(max=128)])


class ChangePasswordForm(Form):
    """The signed-in user changes their own password."""

    current_password = PasswordField(
        _l("Current password"), validators=[InputRequired(_l("Enter your current password."))]
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[InputRequired(_l("Enter a new password.")), password_length],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[EqualTo("new_password", _l("The two new passwords differ."))],
    )


USERNAME = Regexp(r"^[a-z0-9][a-z0-9._-]*$",
                  message=_l("Use lower-case letters, digits, dots, dashes or underscores."))


class StaffCreateForm(Form):
    """A new staff account with its first password."""

    username = StringField(_l("Username"), filters=[lambda v: v.strip().lower() if v else v],
                           validators=[InputRequired(_l("Enter a username.")),
                                       Length(min=2, max=64), USERNAME])
    display_name = StringField(_l("Name"), validators=[
        InputRequired(_l("Enter the person's name.")), Length(max=100)])
    role = SelectField(_l("Role"), choices=role_choices(),
                       validators=[InputRequired(_l("Choose a role."))])
    password = PasswordField(_l("First password"), validators=[
        InputRequired(_l("Enter a first password.")), password_length])


class StaffEditForm(VersionedForm):
    """Name and role of an existing account."""

    display_name = StringField(_l("Name"), validators=[
        InputRequired(_l("Enter the person's name.")), Length(max=100)])
    role = SelectField(_l("Role"), choices=role_choices(),
                       validators=[InputRequired(_l("Choose a role."))])


class ResetPasswordForm(VersionedForm):
    """A new password set by a supervisor or manager."""

    password = PasswordField(_l("New password"), validators=[
        InputRequired(_l("Enter a new password.")), password_length])


class SetActiveForm(VersionedForm):
    """Deactivate or reactivate (the target state travels with the form)."""

    active = BooleanField()


class StaffFilterForm(FilterForm):
    """Filters of the staff list."""

    q = StringField(_l("Search"), validators=[Optional(), Length(max=64)])
    role = SelectField(_l("Role"), choices=choices([("", _l("All roles"))]) + role_choices(),
                       validators=[Optional()])
    status = SelectField(_l("Status"), choices=choices([("active", _l("Active")),
                                                        ("inactive", _l("Deactivated")),
                                                        ("all", _l("All"))]),
                         default="active", validators=[Optional()])


class GrantsForm(VersionedForm):
    """Permissions given to one person beyond their role (``GRANTABLE``: the knowledge
    editor)."""

    grants = SelectMultipleField(
        _l("Beyond the role"), choices=choices((code, _l(label))
                                               for code, label in GRANTABLE.items()),
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
