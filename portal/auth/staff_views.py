"""Staff accounts, managed by supervisors (staff) and managers (everyone)."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth import staff_bp as bp
from portal.auth.decorators import require
from portal.auth.forms import (
    ResetPasswordForm,
    SetActiveForm,
    StaffCreateForm,
    StaffEditForm,
    StaffFilterForm,
    role_choices,
)
from portal.auth.models import User
from portal.auth.permissions import ROLES, SENIOR_ROLES
from portal.auth.services import (
    AccountError,
    create_staff,
    reset_password,
    set_active,
    staff_query,
    update_staff,
)
from portal.extensions import db
from portal.web import Conflict, is_fragment_request, render


def _assignable_roles():
    if current_user.can("staff.manage_supervisors"):
        return ROLES
    return tuple(r for r in ROLES if r not in SENIOR_ROLES)


def _get_user(user_id: int) -> User:
    return db.get_or_404(User, user_id)


def _field_error(form, error: AccountError) -> None:
    if error.field and error.field in form:
        form[error.field].errors.append(str(error))
    else:
        form.form_errors.append(str(error))


@bp.route("/")
@require("staff.manage")
def index():
    """The staff list with filters."""
    filters = StaffFilterForm()
    filters.validate()
    page = db.paginate(
        staff_query(q=filters.q.data, role=filters.role.data or None,
                    status=filters.status.data or "active"),
        per_page=50, error_out=False,
    )
    return render("staff/index.html", block="staff_table", filters=filters, page=page)


@bp.route("/new", methods=["GET", "POST"])
@require("staff.manage")
def create():
    """Create an account."""
    form = StaffCreateForm()
    form.role.choices = role_choices(_assignable_roles())
    if form.validate_on_submit():
        try:
            user = create_staff(current_user, username=form.username.data,
                                display_name=form.display_name.data, role=form.role.data,
                                password=form.password.data)
        except AccountError as error:
            _field_error(form, error)
        else:
            flash(_("Account %(name)s created.", name=user.display_name), "success")
            return redirect(url_for("staff.index"), 303)
    return render("staff/create.html", form=form, status=422 if form.errors else 200)


def _forms_for(user: User, **bound):
    """The three forms of the account page, pre-filled from ``user`` unless bound."""
    edit = bound.get("edit") or StaffEditForm(obj=user, formdata=None)
    reset = bound.get("reset") or ResetPasswordForm(obj=user, formdata=None)
    toggle = bound.get("toggle") or SetActiveForm(formdata=None, version=user.version,
                                                  active=not user.active)
    edit.role.choices = role_choices(_assignable_roles() if user.role not in SENIOR_ROLES
                                     or current_user.can("staff.manage_supervisors")
                                     else ROLES)
    return {"edit": edit, "reset": reset, "toggle": toggle}


def _may_touch(user: User) -> bool:
    return user.role not in SENIOR_ROLES or current_user.can("staff.manage_supervisors")


def _show(user: User, status: int = 200, conflict: bool = False, **bound):
    if conflict:
        db.session.rollback()
        db.session.refresh(user)
        bound = {}
    return render("staff/edit.html", user=user, conflict=conflict, may_touch=_may_touch(user),
                  status=status, **_forms_for(user, **bound))


def _submit(user: User, form, bound: str, action, done: str):
    """Run ``action`` for a valid ``form``: back to the account (303), 409 on a conflict,
    else the account page with ``form``'s messages (422)."""
    if form.validate_on_submit():
        try:
            action()
        except Conflict:
            return _show(user, 409, conflict=True)
        except AccountError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            flash(done, "success")
            return redirect(url_for("staff.edit", user_id=user.id), 303)
    return _show(user, 422, **{bound: form})


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@require("staff.manage")
def edit(user_id: int):
    """An account: change name or role."""
    user = _get_user(user_id)
    if request.method == "GET":
        return _show(user)
    form = StaffEditForm()
    form.role.choices = role_choices(ROLES)
    return _submit(user, form, "edit", lambda: update_staff(
        current_user, user, version=form.version.data, display_name=form.display_name.data,
        role=form.role.data), _("Changes saved."))


@bp.route("/<int:user_id>/password", methods=["POST"])
@require("staff.manage")
def reset(user_id: int):
    """Set a new password for the account."""
    user = _get_user(user_id)
    form = ResetPasswordForm()
    return _submit(user, form, "reset", lambda: reset_password(
        current_user, user, version=form.version.data, password=form.password.data),
        _("The password was reset; tell %(name)s the new one in person.",
          name=user.display_name))


@bp.route("/<int:user_id>/active", methods=["POST"])
@require("staff.manage")
def toggle_active(user_id: int):
    """Deactivate or reactivate the account (from the list row or the account page)."""
    user = _get_user(user_id)
    form = SetActiveForm()
    if not form.validate_on_submit():
        abort(400)
    status, message = 200, None
    try:
        set_active(current_user, user, version=form.version.data, active=form.active.data)
    except Conflict:
        status, message = 409, _("Someone else changed this account first. This is its "
                                 "current state; check it and try again.")
    except AccountError as error:
        status, message = 422, str(error)
    if status != 200:
        db.session.rollback()
        db.session.refresh(user)
    if is_fragment_request():
        return render("staff/index.html", block="staff_row", user=user, row_message=message,
                      status=status)
    if message:
        flash(message, "error")
        return _show(user, status)
    flash(_("Account reactivated.") if user.active else _("Account deactivated."), "success")
    return redirect(url_for("staff.edit", user_id=user.id), 303)
