"""Shift swap requests (/roster/swaps): ask, accept or decline, withdraw, approve or reject.

Each request row answers its own actions in place (htmx); the nav badge counts what waits for
the user and follows the ``swaps-changed`` event.
"""

from datetime import date

from flask import flash, make_response, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import actions
from portal.audit.services import namer
from portal.auth.decorators import require
from portal.auth.models import User
from portal.extensions import db
from portal.i18n import N_
from portal.live.counters import cheap_poll
from portal.shifts import bp, swaps
from portal.shifts.models import SwapRequest
from portal.shifts.my_forms import SwapActionForm, SwapRequestForm
from portal.web import is_fragment_request, render, trigger

TEMPLATE = "shifts/swaps/index.html"
ROW = "shifts/swaps/_row.html"
EVENT = "swaps-changed"  # the nav badge and the Today card follow it


def _request_form(formdata=None) -> SwapRequestForm:
    form = SwapRequestForm(formdata=formdata) if formdata is not None else SwapRequestForm()
    form.colleague.choices = [("", _("Choose…"))] + [
        (str(u.id), u.display_name) for u in swaps.colleagues_for(current_user)]
    return form


def _blank_form() -> SwapRequestForm:
    """An empty request form; ``?day=2026-11-24`` (from My shifts) fills both days."""
    form = _request_form(formdata={})
    try:
        day = date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        day = None
    form.requester_day.data = form.colleague_day.data = day
    form.colleague.data = None
    return form


def _lists() -> dict:
    """The three lists, with the cells of the open swaps (one query) and, for the approval
    queue, the rules each swap would break."""
    mine, to_me = swaps.my_requests(current_user), swaps.requests_to(current_user)
    queue = swaps.approval_queue(current_user)
    return {"mine": mine, "to_me": to_me, "queue": queue,
            "cells": swaps.cells_for_rows(mine + to_me + queue),
            "breaks": {s.id: swaps.rule_breaks(s) for s in queue}}


@bp.route("/swaps", endpoint="swaps")
@require("shifts.swap")
def swaps_index():
    """My swap requests, requests to me, and (supervisor) the approval queue."""
    return render(TEMPLATE, block="swap_lists", form=_blank_form(), **_lists())


class RequestAnswer:
    """What asking for a swap answers: the emptied form with a message, or the form as
    typed with its messages."""

    def done(self, swap: SwapRequest, message: str):
        response = render(TEMPLATE, block="swap_form", form=_blank_form(), form_message=message)
        return trigger(response, "swap-requested", EVENT)

    def refused(self, form, message):
        if is_fragment_request():
            return render(TEMPLATE, block="swap_form", form=form)
        return render(TEMPLATE, form=form, **_lists())

    conflict = refused

    def location(self, swap) -> str:
        return url_for("shifts.swaps")


@bp.route("/swaps/new", methods=["POST"])
@require("shifts.swap")
def request_swap():
    """Ask a colleague to swap shifts."""
    form = _request_form()
    colleague = db.session.get(User, form.colleague.data) if form.colleague.data else None
    return actions.run(
        lambda: swaps.request_swap(current_user, colleague, form.requester_day.data,
                                   form.colleague_day.data, form.reason.data),
        form=form, answer=RequestAnswer(),
        done=lambda swap: _("Your request went to %(name)s.", name=swap.colleague.display_name))


STEPS = {
    "accept": (swaps.accept, N_("You accepted the swap; it goes to the supervisor.")),
    "decline": (swaps.decline, N_("You declined the swap.")),
    "cancel": (swaps.cancel, N_("You withdrew the request.")),
    "approve": (swaps.approve, N_("Swap approved; the roster has changed.")),
    "reject": (swaps.reject, N_("Swap rejected.")),
}


class RowAnswer:
    """A swap's row answers its own steps in place; without JavaScript, the page."""

    def __init__(self, swap: SwapRequest) -> None:
        self.swap = swap

    def _row(self, message: str, ok: bool):
        swap = self.swap
        if not is_fragment_request():
            flash(message, "error")
            return render(TEMPLATE, form=_blank_form(), **_lists())
        approving = swap.status == "accepted" and current_user.can("shifts.swap_approve")
        return render(ROW, swap=swap, row_message=message, row_ok=ok,
                      cells=swaps.cells_for_rows([swap]),
                      breaks={swap.id: swaps.rule_breaks(swap)} if approving else {})

    def done(self, result, message: str):
        return trigger(self._row(message, True), EVENT)

    def refused(self, form, message):
        return self._row(message or " ".join(form.form_errors), False)

    def conflict(self, form, message: str):
        return self._row(_("Someone else acted on this request first. This is its current "
                           "state."), False)

    def location(self, result) -> str:
        return url_for("shifts.swaps")


def _act(swap_id: int, step: str):
    """One step on a swap, answered by its row: 200, 409 (someone acted first, with the
    current state), 422 (the rules refuse, nothing changed)."""
    action, done = STEPS[step]
    swap = db.get_or_404(SwapRequest, swap_id)
    form = SwapActionForm()
    return actions.run(lambda: action(current_user, swap, form.version.data), form=form,
                       answer=RowAnswer(swap), done=done, subject=swap)


@bp.route("/swaps/<int:swap_id>/accept", methods=["POST"])
@require("shifts.swap")
def accept_swap(swap_id: int):
    """The colleague accepts."""
    return _act(swap_id, "accept")


@bp.route("/swaps/<int:swap_id>/decline", methods=["POST"])
@require("shifts.swap")
def decline_swap(swap_id: int):
    """The colleague declines."""
    return _act(swap_id, "decline")


@bp.route("/swaps/<int:swap_id>/cancel", methods=["POST"])
@require("shifts.swap")
def cancel_swap(swap_id: int):
    """The requester withdraws."""
    return _act(swap_id, "cancel")


@bp.route("/swaps/<int:swap_id>/approve", methods=["POST"])
@require("shifts.swap_approve")
def approve_swap(swap_id: int):
    """The supervisor approves; the roster changes."""
    return _act(swap_id, "approve")


@bp.route("/swaps/<int:swap_id>/reject", methods=["POST"])
@require("shifts.swap_approve")
def reject_swap(swap_id: int):
    """The supervisor rejects."""
    return _act(swap_id, "reject")


@bp.route("/swaps/badge")
@require("shifts.swap")
@cheap_poll("swap_requests")
def swap_badge():
    """How many swaps wait for me (to accept, or to approve): the nav badge."""
    count = swaps.waiting_count(current_user)
    response = make_response(str(count) if count else "")
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.vary.add("HX-Request")
    return response


def approval_card(user) -> dict:
    """Accepted swaps waiting for the supervisor."""
    queue = swaps.approval_queue(user)
    return {"count": len(queue), "latest": queue[:5]}


def _swap_namer():
    from sqlalchemy.orm import aliased

    a, b = aliased(User), aliased(User)
    return namer(SwapRequest, a.display_name, b.display_name, SwapRequest.requester_day,
                 joins=[(a, a.id == SwapRequest.requester_id),
                        (b, b.id == SwapRequest.colleague_id)],
                 fmt=lambda sid, x, y, day: f"{x} ⇄ {y} {day.isoformat()}")


def register(app) -> None:
    """Navigation entry with its badge, the approval card, audit words."""
    from portal.ui import Card, NavItem, register_audit, register_card, register_nav

    register_nav(app, NavItem("shifts.swaps", _l("Shift swaps"), "shifts.swap", order=30,
                              active_prefix="shifts.swap", badge_endpoint="shifts.swap_badge",
                              badge_event=EVENT))
    app.jinja_env.globals["swap_status_labels"] = swaps.STATUS_LABELS
    register_card(app, Card("swap-approvals", _l("Swaps waiting for approval"),
                            "shifts.swap_approve", "shifts/swaps/_card.html", approval_card,
                            order=40, stylesheet="css/myshifts.css"))
    register_audit(
        app,
        actions={
            "shifts.swap_requested": N_("Shift swap requested"),
            "shifts.swap_accepted": N_("Shift swap accepted by the colleague"),
            "shifts.swap_declined": N_("Shift swap declined by the colleague"),
            "shifts.swap_cancelled": N_("Shift swap withdrawn"),
            "shifts.swap_approved": N_("Shift swap approved"),
            "shifts.swap_rejected": N_("Shift swap rejected"),
            "shifts.entry_swapped": N_("Roster cell changed by a swap"),
        },
        fields={"status": N_("Status"), "shift_type_id": N_("Shift"),
                "requester_day": N_("Requester's day"), "colleague_day": N_("Colleague's day"),
                "colleague_id": N_("Colleague")},
        target=("swap_requests", N_("Shift swap request"), _swap_namer()),
    )
