"""What the supervisor keeps for complaints (/complaints/setup): the categories, named per
language, and the working hours a complaint of each severity may take before it is due."""

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import NotFound

from portal import actions
from portal.auth.decorators import require
from portal.complaints import bp
from portal.complaints import register as svc
from portal.complaints.forms import CategoryEditForm, CategoryForm, DueHoursForm
from portal.complaints.models import SEVERITIES, ComplaintCategory
from portal.extensions import db
from portal.forms import INT_MAX
from portal.web import render

SETUP = "complaints/setup.html"


def _edit_form(category: ComplaintCategory) -> CategoryEditForm:
    form = CategoryEditForm(formdata=None, prefix=f"cat{category.id}", obj=category)
    form.name_zh_TW.data = (category.names or {}).get("zh_TW", "")
    form.name_en.data = (category.names or {}).get("en", "")
    form.version.data = category.version
    return form


def _hours_form() -> DueHoursForm:
    rules = svc.due_rules()
    form = DueHoursForm(formdata=None)
    for severity in SEVERITIES:
        form[severity].data = svc.due_hours(severity)
        rule = rules.get(severity)
        form[f"version_{severity}"].data = rule.version if rule else None
    return form


def _page(status: int = 200, message: str | None = None, ok: bool = True, *, typed=None,
          typed_id=None, new_form=None, hours_form=None):
    every = svc.categories(active_only=False)
    forms = {c.id: _edit_form(c) for c in every}
    if typed is not None and typed_id in forms:
        forms[typed_id] = typed
    return render(SETUP, block="setup", status=status, categories=every, forms=forms,
                  new_form=new_form or CategoryForm(formdata=None),
                  hours_form=hours_form or _hours_form(), message=message, ok=ok)


@bp.route("/setup", endpoint="setup")
@require("complaints.manage")
def setup():
    """Categories and due times."""
    return _page()


class SetupAnswer:
    def __init__(self, which: str, category: ComplaintCategory | None = None) -> None:
        self.which, self.category = which, category

    def _typed(self, form):
        if self.which == "hours":
            return {"hours_form": form}
        if self.which == "new":
            return {"new_form": form}
        return {"typed": form, "typed_id": self.category.id if self.category else None}

    def done(self, result, message: str):
        return _page(message=message)

    def refused(self, form, message):
        return _page(422, message or " ".join(getattr(form, "form_errors", [])), False,
                     **self._typed(form))

    def conflict(self, form, message: str):
        return _page(409, message, False, **self._typed(form))

    def location(self, result) -> str:
        return url_for("complaints.setup")


@bp.route("/setup/categories", methods=["POST"], endpoint="create_category")
@require("complaints.manage")
def create_category():
    """Add a category."""
    form = CategoryForm()
    return actions.run(
        lambda: svc.save_category(current_user, None, None, name=form.name.data,
                                  names=form.names(), position=form.position.data or 100,
                                  active=bool(form.active.data)),
        form=form, answer=SetupAnswer("new"), done=_l("Category added."))


@bp.route("/setup/categories/<int:category_id>", methods=["POST"], endpoint="save_category")
@require("complaints.manage")
def save_category(category_id: int):
    """Rename a category, move it, switch it off or on."""
    if category_id > INT_MAX:
        raise NotFound()
    category = db.get_or_404(ComplaintCategory, category_id)
    form = CategoryEditForm(prefix=f"cat{category.id}")
    return actions.run(
        lambda: svc.save_category(current_user, category, form.version.data,
                                  name=form.name.data, names=form.names(),
                                  position=form.position.data or 0,
                                  active=bool(form.active.data)),
        form=form, answer=SetupAnswer("edit", category), done=_l("Category saved."),
        subject=category)


@bp.route("/setup/due-hours", methods=["POST"], endpoint="save_due_hours")
@require("complaints.manage")
def save_due_hours():
    """The working hours to an answer, per severity."""
    form = DueHoursForm()
    return actions.run(
        lambda: svc.save_due_hours(
            current_user, {s: form[s].data for s in SEVERITIES},
            {s: form[f"version_{s}"].data for s in SEVERITIES}),
        form=form, answer=SetupAnswer("hours"), done=_l("Due times saved."))


def register(app) -> None:
    """Nothing beyond the routes: the register's module registers the navigation."""
