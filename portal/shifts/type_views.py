"""The supervisor's shift types page (R-S1, issue 15 item 17): each type's name in every
language, its colour and its times, one form per type; every change through the runner."""

from flask import flash, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import StringField
from wtforms.validators import InputRequired, Length, Optional

from portal import actions
from portal.auth.decorators import require
from portal.extensions import db
from portal.forms import VersionedForm
from portal.i18n import N_
from portal.shifts import bp
from portal.shifts import shift_types as svc
from portal.shifts.models import ShiftType
from portal.web import redirect_htmx_aware, render

TEMPLATE = "shifts/types/index.html"
NAME_LENGTH = Length(max=svc.NAME_MAX, message=_l("At most %(max)d characters.",
                                                   max=svc.NAME_MAX))


class ShiftTypeForm(VersionedForm):
    """One shift type: its default name (简体中文), the other languages' names, colour,
    start and end (``HH:MM``, 24:00 the latest end)."""

    name = StringField(_l("Name (简体中文, the default)"), validators=[
        InputRequired(_l("Give the shift type its name.")), NAME_LENGTH])
    name_zh_TW = StringField(_l("Name (繁體中文)"), validators=[Optional(), NAME_LENGTH])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), NAME_LENGTH])
    colour = StringField(_l("Colour"), validators=[InputRequired(_l("Choose a colour as "
                                                                    "#rrggbb."))])
    start = StringField(_l("Starts"), validators=[InputRequired(_l(
        "Enter a time as HH:MM, from 00:00 to 24:00."))])
    end = StringField(_l("Ends"), validators=[InputRequired(_l(
        "Enter a time as HH:MM, from 00:00 to 24:00."))])


def _form(shift_type: ShiftType) -> ShiftTypeForm:
    """The type's form as it is now."""
    names = shift_type.names or {}
    return _own_ids(ShiftTypeForm(
        formdata=None, version=shift_type.version,
        name=shift_type.name, name_zh_TW=names.get("zh_TW"), name_en=names.get("en"),
        colour=shift_type.colour, start=ShiftType.clock_text(shift_type.start_minute),
        end=ShiftType.clock_text(shift_type.end_minute)), shift_type.id)


def _own_ids(form: ShiftTypeForm, type_id: int) -> ShiftTypeForm:
    """Element ids of the type's own (several forms on one page); the field names stay as
    they are, the CSRF token's too."""
    for field in form:
        field.id = field.label.field_id = f"t{type_id}-{field.short_name}"
    return form


def _page(status: int = 200, sent: ShiftTypeForm | None = None, sent_id: int | None = None,
          message: str | None = None):
    types = svc.all_types()
    forms = {t.id: _own_ids(sent, t.id) if t.id == sent_id and sent is not None else _form(t)
             for t in types}
    return render(TEMPLATE, status=status, types=types, forms=forms, sent_id=sent_id,
                  message=message)


@bp.route("/shift-types")
@require("roster.plan")
def shift_types_page():
    """Every shift type with its form: names per language, colour, times."""
    return _page()


class TypeAnswer:
    """A saved type answers the page (303 without JavaScript); refused, the page with the
    type's form as typed and its messages; a conflict, the type as it is now beside what was
    typed (the form's version moved on: sending it again is deliberate)."""

    def __init__(self, shift_type: ShiftType) -> None:
        self.shift_type = shift_type

    def done(self, result, message: str):
        flash(message, "success")
        return redirect_htmx_aware(self.location(result))

    def refused(self, form, message):
        return _page(422, form, self.shift_type.id)

    def conflict(self, form, message: str):
        return _page(409, form, self.shift_type.id, _(
            "Someone else changed this shift type first. This is its current state; check it "
            "and save again."))

    def location(self, result) -> str:
        return url_for("shifts.shift_types_page")


@bp.route("/shift-types/<int:type_id>", methods=["POST"])
@require("roster.plan")
def update_shift_type(type_id: int):
    """Save a shift type's names, colour and times (audited)."""
    shift_type = db.get_or_404(ShiftType, type_id)
    form = ShiftTypeForm()
    return actions.run(
        lambda: svc.update(current_user, shift_type, form.version.data, name=form.name.data,
                           names={"zh_TW": form.name_zh_TW.data, "en": form.name_en.data},
                           colour=form.colour.data, start=form.start.data, end=form.end.data),
        form=form, answer=TypeAnswer(shift_type), subject=shift_type,
        done=lambda result: _("Saved: %(name)s.", name=result.label))


def register(app) -> None:
    """Audit words of the shift types (the page is reached from the roster planner)."""
    from portal.ui import register_audit

    register_audit(
        app,
        actions={"shifts.shift_type_changed": N_("Shift type changed")},
        fields={"name": N_("Name"), "name_zh_TW": N_("Name (繁體中文)"),
                "name_en": N_("Name (English)"), "colour": N_("Colour"),
                "hours": N_("Hours")},
        target=("shift_types", N_("Shift type"), None),
    )
