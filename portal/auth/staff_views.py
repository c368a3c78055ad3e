"""Staff accounts, managed by supervisors (staff) and managers (everyone)."""

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from portal import actions
from portal.auth import staff_bp as bp
from portal.auth.decorators import require
from portal.auth.forms import (
    GrantsForm,
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
    create_staff,
    reset_password,
    set_active,
    set_grants,
    staff_query,
    update_staff,
)
from portal.auth.views import PageAnswer
from portal.extensions import db
from portal.web import is_fragment_request, render


def _assignable_roles():
    if current_user.can("staff.manage_supervisors"):
        return ROLES
    return tuple(r for r in ROLES if r not in SENIOR_ROLES)


def _get_user(user_id: int) -> User:
    return db.get_or_404(User, user_id)


@bp.route("/")
@require("staff.manage")
def index():
    """The staff list with filters."""
    filters = StaffFilterForm()
    valid = filters.validate()  # an invalid filter (a search too long) lists without it
    page = db.paginate(
        staff_query(q=filters.q.data if valid else None,
                    role=filters.role.data or None if valid else None,
                    status=filters.status.data or "active" if valid else "active"),
        per_page=50, error_out=False,
    )
    return render("staff/index.html", block="staff_table", filters=filters, page=page)


class CreateAnswer(PageAnswer):
    """The new-account form as typed with its messages; on success the staff list."""

    def refused(self, form, message):
        return render("staff/create.html", form=form)

    def conflict(self, form, message: str):
        # the unique username refused the account: someone created it meanwhile
        form.username.errors = [*form.username.errors, _("That username is taken.")]
        return self.refused(form, None)


@bp.route("/new", methods=["GET", "POST"])
@require("staff.manage")
def create():
    """Create an account."""
    form = StaffCreateForm()
    form.role.choices = role_choices(_assignable_roles())
    if request.method == "GET":
        return render("staff/create.html", form=form)
    return actions.run(
        lambda: create_staff(current_user, username=form.username.data,
                             display_name=form.display_name.data, role=form.role.data,
                             password=form.password.data),
        form=form, answer=CreateAnswer(url_for("staff.index")), conflicts=(IntegrityError,),
        done=lambda user: _("Account %(name)s created.", name=user.display_name))


def _forms_for(user: User, **bound):
    """The three forms of the account page, pre-filled from ``user`` unless bound."""
    edit = bound.get("edit") or StaffEditForm(obj=user, formdata=None)
    reset = bound.get("reset") or ResetPasswordForm(obj=user, formdata=None)
    toggle = bound.get("toggle") or SetActiveForm(formdata=None, version=user.version,
                                                  active=not user.active)
    grants = bound.get("grants") or GrantsForm(formdata=None, version=user.version,
                                               grants=(user.grants or "").split())
    edit.role.choices = role_choices(_assignable_roles() if user.role not in SENIOR_ROLES
                                     or current_user.can("staff.manage_supervisors")
                                     else ROLES)
    return {"edit": edit, "reset": reset, "toggle": toggle, "grants": grants}


def _may_touch(user: User) -> bool:
    return user.role not in SENIOR_ROLES or current_user.can("staff.manage_supervisors")


def _show(user: User, conflict: bool = False, **bound):
    """The account page: ``user`` as stored now, ``bound`` forms as the user sent them."""
    return render("staff/edit.html", user=user, conflict=conflict, may_touch=_may_touch(user),
                  **_forms_for(user, **bound))


class AccountAnswer(PageAnswer):
    """One form of the account page: back to the page (303); the page with that form as
    typed and its messages (422); the account as it is now, the typing kept (409)."""

    def __init__(self, user: User, slot: str) -> None:
        super().__init__(url_for("staff.edit", user_id=user.id))
        self.user, self.slot = user, slot

    def refused(self, form, message):
        return _show(self.user, **{self.slot: form})

    def conflict(self, form, message: str):
        return _show(self.user, conflict=True, **{self.slot: form})


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@require("staff.manage")
def edit(user_id: int):
    """An account: change name or role."""
    user = _get_user(user_id)
    if request.method == "GET":
        return _show(user)
    form = StaffEditForm()
    form.role.choices = role_choices(ROLES)
    return actions.run(
        lambda: update_staff(current_user, user, version=form.version.data,
                             display_name=form.display_name.data, role=form.role.data),
        form=form, answer=AccountAnswer(user, "edit"), done=_l("Changes saved."), subject=user)


@bp.route("/<int:user_id>/password", methods=["POST"])
@require("staff.manage")
def reset(user_id: int):
    """Set a new password for the account."""
    user = _get_user(user_id)
    form = ResetPasswordForm()
    return actions.run(
        lambda: reset_password(current_user, user, version=form.version.data,
                               password=form.password.data),
        form=form, answer=AccountAnswer(user, "reset"), subject=user,
        done=lambda _result: _("The password was reset; tell %(name)s the new one in person.",
                               name=user.display_name))


@bp.route("/<int:user_id>/grants", methods=["POST"])
@require("staff.manage")
def grants(user_id: int):
    """Permissions beyond the role: the knowledge editor (audited)."""
    user = _get_user(user_id)
    form = GrantsForm()
    return actions.run(
        lambda: set_grants(current_user, user, version=form.version.data,
                           grants=form.grants.data),
        form=form, answer=AccountAnswer(user, "grants"), done=_l("Changes saved."),
        subject=user)


class RowAnswer:
    """Deactivating or reactivating: the staff list's row in place (htmx), or, without
    JavaScript, the account page."""

    def __init__(self, user: User) -> None:
        self.user = user

    def _page(self, message: str, **bound):
        if is_fragment_request():
            return render("staff/index.html", block="staff_row", user=self.user,
                          row_message=message)
        flash(message, "error")
        return _show(self.user, **bound)

    def done(self, result, message: str):
        return render("staff/index.html", block="staff_row", user=self.user, row_message=None)

    def refused(self, form, message):
        return self._page(message or " ".join(form.form_errors))

    def conflict(self, form, message: str):
        return self._page(_("Someone else changed this account first. This is its current "
                            "state; check it and try again."), toggle=form)

    def location(self, result) -> str:
        return url_for("staff.edit", user_id=self.user.id)


@bp.route("/<int:user_id>/active", methods=["POST"])
@require("staff.manage")
def toggle_active(user_id: int):
    """Deactivate or reactivate the account (from the list row or the account page)."""
    user = _get_user(user_id)
    form = SetActiveForm()
    return actions.run(
        lambda: set_active(current_user, user, version=form.version.data,
                           active=form.active.data),
        form=form, answer=RowAnswer(user), subject=user,
        done=lambda _result: _("Account reactivated.") if user.active
        else _("Account deactivated."))
