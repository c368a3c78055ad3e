"""The consultants page (kept by the supervisor, "reception.lists"): which staff the arrival
form offers as the consultant who takes a party (issue 15 item 14).

Changes run through ``portal.actions.run``; the page is short and answers its changes whole.
"""

from flask import request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import actions
from portal.audit.services import namer
from portal.auth.decorators import require
from portal.auth.models import User
from portal.extensions import db
from portal.forms import choices
from portal.i18n import N_
from portal.reception import bp
from portal.reception import consultants as svc
from portal.reception.models import Consultant
from portal.reception.visitor_forms import ConsultantMarkForm, ConsultantUnmarkForm
from portal.web import render

PAGE = "reception/visitors/consultants.html"


def _mark_form(formdata=None) -> ConsultantMarkForm:
    form = ConsultantMarkForm(formdata=formdata)
    form.user_id.choices = choices(
        [("", _l("— choose —"))]
        + [(str(u.id), f"{u.display_name} ({u.role_label})") for u in svc.unmarked_staff()])
    return form


def _page(*, form=None, block: str | None = "consultants_page", message: str | None = None,
          error: bool = False):
    return render(PAGE, block=block, form=form or _mark_form(), marks=svc.marks(),
                  consultants_message=message, consultants_error=error)


@bp.route("/consultants")
@require("reception.lists")
def consultants():
    """The showroom's consultants: mark staff the arrival form offers, or take them off."""
    return _page(block=None)


class ConsultantsAnswer:
    """The page answers its changes whole (a short list), with the message; a refusal keeps
    the choice next to its message; a conflict shows the list as it is now."""

    def done(self, result, message: str):
        return _page(message=message)

    def refused(self, form, message):
        if isinstance(form, ConsultantMarkForm):
            form.user_id.choices = _mark_form().user_id.choices
            return _page(form=form)
        return _page(message=message or " ".join(form.form_errors), error=True)

    def conflict(self, form, message: str):
        return _page(message=message, error=True)

    def location(self, result) -> str:
        return url_for("reception.consultants")


@bp.route("/consultants", methods=["POST"])
@require("reception.lists")
def consultant_mark():
    """Mark a member of staff as a showroom consultant."""
    form = ConsultantMarkForm(formdata=request.form)
    return actions.run(lambda: svc.mark(current_user, form.user_id.data), form=form,
                       answer=ConsultantsAnswer(),
                       done=lambda c: _("%(name)s is now offered as a consultant.",
                                        name=c.user.display_name))


@bp.route("/consultants/<int:consultant_id>/unmark", methods=["POST"])
@require("reception.lists")
def consultant_unmark(consultant_id: int):
    """Take a consultant off the arrival form's list (their visits stay theirs)."""
    consultant = db.get_or_404(Consultant, consultant_id)
    form = ConsultantUnmarkForm()
    return actions.run(lambda: svc.unmark(current_user, consultant, form.version.data),
                       form=form, answer=ConsultantsAnswer(), subject=consultant,
                       done=lambda c: _("%(name)s is no longer offered as a consultant.",
                                        name=c.user.display_name))


_names = namer(Consultant, User.display_name, joins=((User, User.id == Consultant.user_id),))


def register(app) -> None:
    """The audit trail's words for the consultants page."""
    from portal.ui import register_audit

    register_audit(app, actions={
        "reception.consultant_marked": N_("Showroom consultant marked"),
        "reception.consultant_unmarked": N_("Showroom consultant taken off the list"),
    }, target=("showroom_consultants", N_("Showroom consultant"), _names))
