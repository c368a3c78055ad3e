"""The order clerks' returned-parcels page (R-A5): the cases waiting for a returned parcel,
found by tracking number, and the one-click "原包裹已收到" that signs the receipt in place
(name and date) and tells the case's agent. A navigation entry counts what is waiting.
"""

from flask import abort, flash, make_response, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import lazyload

from portal import actions
from portal.aftersales import bp
from portal.aftersales import cases as svc
from portal.aftersales.case_forms import ActionForm, ParcelSearchForm
from portal.aftersales.case_views import CHANGED, case_slip, rule_message
from portal.aftersales.models import AfterSalesCase
from portal.auth.decorators import require
from portal.extensions import db
from portal.live.counters import cheap_poll
from portal.paging import keyset_page
from portal.web import is_fragment_request, page_args, render, trigger

PAGE = "aftersales/parcels/index.html"
PER_PAGE = 50  # rows of the page
ROWS_FETCHED = 5  # rows of an htmx answer (a search as one types, each "show more"; a
#                   row carries its form)


def _context() -> dict:
    return {"types": svc.TYPES, "states": svc.STATES, "problems": svc.LOGISTICS_PROBLEMS}


@bp.route("/parcels")
@require("aftersales.parcels")
def parcels():
    """R-A5: the returned parcels after-sales is waiting for; search by tracking number (an
    htmx answer: the first rows, then "show more")."""
    return _parcel_list("parcel_results")


@bp.route("/parcels/rows")
@require("aftersales.parcels")
def parcel_rows():
    """The next rows of the parcels (their "show more" row), in the same search."""
    return _parcel_list("parcel_rows")


def _parcel_list(block: str):
    form = ParcelSearchForm()
    valid = form.validate()
    fragment = is_fragment_request()
    query = svc.waiting_parcels(form.q.data if valid else None)
    page = keyset_page(query, (AfterSalesCase.created_at, AfterSalesCase.id),
                       before=request.args.get("before"),
                       after=None if fragment else request.args.get("after"),
                       per_page=ROWS_FETCHED if fragment else PER_PAGE)
    return render(PAGE, block=block, status=200 if valid else 422, form=form,
                  page=page, since=svc.waiting_since(c.id for c in page.items),
                  args=page_args(("q",)), more_rows=fragment, **_context())


@bp.route("/parcels/badge")
@require("aftersales.parcels")
@cheap_poll("aftersales_cases")
def parcels_badge():
    """The navigation count: returned parcels being waited for."""
    response = make_response(render("aftersales/parcels/_badge.html",
                                    count=svc.waiting_parcel_count()))
    response.headers["Cache-Control"] = "no-store"
    return response


class RowAnswer:
    """Signing answers the parcel's row in place (the badge follows); a refusal or a
    conflict the row as it is now with the reason. Without JavaScript a refusal shows the
    page with the message."""

    refusal_text = staticmethod(rule_message)

    def __init__(self, case: AfterSalesCase) -> None:
        self.case = case

    def _row(self, status: int, message: str):
        if not is_fragment_request():
            flash(message, "error" if status >= 400 else "success")
            return _parcel_list("parcel_results")
        return render(PAGE, block="parcel_row", case=self.case, row_message=message,
                      failed=status >= 400, since=svc.waiting_since([self.case.id]),
                      **_context())

    def done(self, result, message: str):
        return trigger(self._row(200, message), CHANGED)

    def refused(self, form, message):
        return self._row(422, message or " ".join(map(str, form.form_errors)))

    def conflict(self, form, message: str):
        return self._row(409, _("Someone else changed this case first. This is its current "
                                "state."))

    def location(self, result) -> str:
        return url_for("aftersales.parcels")


@bp.route("/parcels/<int:case_id>/received", methods=["POST"])
@require("aftersales.parcels")
def parcel_received(case_id: int):
    """R-A5: sign "原包裹已收到": the returned parcel is back (the agent is told)."""
    # the row does not show the order: not read with the case
    case = db.session.get(AfterSalesCase, case_id, options=[lazyload(AfterSalesCase.order)])
    if case is None:
        abort(404)
    form = ActionForm()
    return actions.run(lambda: svc.sign_parcel(current_user, case, form.version.data),
                       form=form, answer=RowAnswer(case), subject=case,
                       done=_("Signed: original parcel received."))


@bp.route("/parcels/<int:case_id>/slip")
@require("aftersales.parcels")
def parcel_slip(case_id: int):
    """R-A5: the two-part return slip, for the order clerk to print."""
    return case_slip(case_id)


def register(app) -> None:
    """Navigation entry (with the count of parcels being waited for)."""
    from portal.ui import NavItem, register_nav

    register_nav(app, NavItem("aftersales.parcels", _l("Returned parcels"), "aftersales.parcels",
                              order=17, active_prefix=("aftersales.parcels",
                                                       "aftersales.parcel_slip"),
                              badge_endpoint="aftersales.parcels_badge", badge_event=CHANGED))
