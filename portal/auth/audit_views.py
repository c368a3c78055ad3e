"""Browsing the audit trail (supervisors and managers): the account area serves it, since
it names staff and checks permissions; ``portal.audit`` below it only writes and reads
events and imports no area."""

from functools import cache

import sqlalchemy as sa
from flask import Blueprint, current_app, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField
from wtforms.validators import Optional

from portal.audit.models import AuditEvent
from portal.audit.services import labels, search, target_names
from portal.auth.decorators import require
from portal.auth.models import User
from portal.extensions import db
from portal.forms import FilterForm, QuickSelect, choices
from portal.paging import keyset_page
from portal.web import page_args, render

bp = Blueprint("audit", __name__, url_prefix="/audit")


class AuditFilterForm(FilterForm):
    """Filters of the audit browser."""

    actor = SelectField(_l("Who"), coerce=lambda v: int(v) if v else None,
                        validators=[Optional()], validate_choice=False, widget=QuickSelect())
    action = SelectField(_l("Action"), validators=[Optional()], validate_choice=False,
                         widget=QuickSelect())
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])


@bp.route("/")
@require("audit.view")
def index():
    """The audit trail, newest first, filtered."""
    form = AuditFilterForm()
    words = labels()
    users = db.session.execute(
        sa.select(User.id, User.display_name).order_by(User.display_name)).all()
    form.actor.choices = choices([("", _l("Anyone"))] + [(str(uid), name) for uid, name in users])
    form.action.choices = choices([("", _("Any action"))]
                                  + _action_choices(str(get_locale()), words.actions))
    valid = form.validate()
    query = search(
        actor_id=form.actor.data if valid else None,
        action=form.action.data or None if valid else None,
        date_from=form.date_from.data if valid else None,
        date_to=form.date_to.data if valid else None,
    )
    # newer/older pages by a cursor on (at, id): no COUNT over years of events
    page = keyset_page(query, (AuditEvent.at, AuditEvent.id), before=request.args.get("before"),
                       after=request.args.get("after"), per_page=current_app.config["PAGE_SIZE"])
    return render("audit/index.html", block="audit_table", form=form, page=page,
                  args=page_args(("actor", "action", "date_from", "date_to")),
                  labels=words.actions, targets=words.targets, fields=words.fields,
                  values=words.values,
                  names=target_names(page.items, known={"users": dict(users)}),
                  tr=cache(_),  # a page repeats a few labels fifty times: translate each once
                  status=200 if valid else 422)


_CHOICES: dict[tuple[str, int], list] = {}


def _action_choices(locale: str, actions: dict) -> list[tuple[str, str]]:
    """The action filter's options in ``locale``, translated once per language (and per set
    of labels, as areas register theirs) instead of on every page."""
    key = (locale, len(actions))
    if key not in _CHOICES:
        _CHOICES[key] = [(code, _(label)) for code, label in actions.items()]
    return _CHOICES[key]
