"""The opening checklist (R-R2), its items list, the fridge stock widget, and repair reports
(R-R3): pages, rows swapped in place, the navigation badge and the Today cards.

Every row (a checklist item, a repair) is its own fragment with ``hx-target="this"``: an action
answers the row as it is now — 200 after a change, 422 with the messages next to the fields
(nothing changed), 409 with the current state when someone else was first.
"""

import sqlalchemy as sa
from flask import abort, flash, make_response, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import clock
from portal.audit.services import namer
from portal.auth.decorators import require
from portal.extensions import db
from portal.forms import show_refusal
from portal.i18n import N_
from portal.reception import bp
from portal.reception import checklist as svc
from portal.reception import repairs as rsvc
from portal.reception.checklist import ReceptionError
from portal.reception.checklist_forms import (
    ActiveForm,
    ItemEditForm,
    ItemForm,
    MarkForm,
    NoteForm,
    RepairForm,
)
from portal.reception.models import ChecklistDay, ChecklistItem, ChecklistMark, RepairReport
from portal.reception.stock import stock_rows
from portal.web import Conflict, is_fragment_request, redirect_htmx_aware, render, trigger

CHECKLIST = "reception/checklist/page.html"
ITEMS = "reception/checklist/items.html"
REPAIRS = "reception/repairs/page.html"
CHECKLIST_CHANGED = "checklist-changed"
STOCK_CHANGED = "stock-changed"
REPAIRS_CHANGED = "repairs-changed"
STYLESHEET = "css/reception.css"



def _open_repairs_by_item() -> dict[int, RepairReport]:
    rows = db.session.scalars(sa.select(RepairReport)
                              .where(RepairReport.status.in_(rsvc.OPEN),
                                     RepairReport.item_id.is_not(None))).unique()
    return {report.item_id: report for report in rows}


def _row_context(**extra) -> dict:
    return {"statuses": svc.STATUSES, "groups": svc.GROUPS, "repair_statuses": rsvc.STATUSES,
            **extra}


# --- the day's checklist -----------------------------------------------------------------------


@bp.route("/checklist")
@require("reception.view")
def checklist():
    """R-R2: today's item check: every active item, its mark, the progress, the fridge stock."""
    day = clock.today()
    items = svc.active_items()
    state = svc.progress(day)
    return render(CHECKLIST, block="checklist", items=items, marks=svc.marks_of(state["checklist"]),
                  progress=state, stock=stock_rows(day), repairs_by_item=_open_repairs_by_item(),
                  **_row_context())


def _row(item: ChecklistItem, *, status: int = 200, form: MarkForm | None = None,
         message: str | None = None):
    mark = svc.current_mark(item)
    if is_fragment_request():
        response = render(CHECKLIST, block="check_row", item=item, mark=mark, row_form=form,
                          row_message=message, status=status, oob_progress=svc.progress(),
                          repairs_by_item=_open_repairs_by_item(), **_row_context())
        if status == 200:
            trigger(response, CHECKLIST_CHANGED, *([STOCK_CHANGED] if item.counted else []))
        return response
    if form is not None and form.errors and not message:
        message = " ".join(str(e) for errors in form.errors.values() for e in errors)
    if message:
        flash(message, "error")
    return redirect_htmx_aware(url_for("reception.checklist", _anchor=f"check-item-{item.id}"))


@bp.route("/checklist/marks/<int:item_id>", methods=["POST"])
@require("reception.work")
def checklist_mark(item_id: int):
    """R-R2: mark one item OK, missing or damaged (with its count); answers the row."""
    item = db.session.get(ChecklistItem, item_id) or abort(404)
    form = MarkForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _row(item, status=422, form=form)
    try:
        svc.mark(current_user, item, status=form.status.data, quantity=form.quantity.data,
                 note=form.note.data, version=form.version.data or 0)
    except Conflict:
        db.session.rollback()
        mark = svc.current_mark(item)
        who = mark.marked_by.display_name if mark else "—"
        return _row(item, status=409, message=_(
            "%(name)s marked this item first, at %(time)s. This is its current state; check "
            "it and mark again if needed.", name=who,
            time=clock.local(mark.marked_at).strftime("%H:%M") if mark else ""))
    except ReceptionError as error:
        db.session.rollback()
        show_refusal(form, error)
        return _row(item, status=422, form=form)
    return _row(item)


@bp.route("/checklist/stock")
@require("reception.view")
def stock():
    """The fridge-stock widget: this morning's counts minus what was served today."""
    response = make_response(render("reception/checklist/_stock.html", stock=stock_rows()))
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the items list (supervisor) ---------------------------------------------------------------


def _items_page(form: ItemForm | None = None, status: int = 200, *, edit_forms=None,
                messages=None):
    return render(ITEMS, block="item_list", items=svc.all_items(),
                  form=form or ItemForm(formdata=None), edit_forms=edit_forms or {},
                  messages=messages or {}, status=status, groups=svc.GROUPS)


@bp.route("/checklist/items")
@require("reception.lists")
def checklist_items():
    """R-R2: the list of showroom items checked each morning."""
    return _items_page()


@bp.route("/checklist/items", methods=["POST"])
@require("reception.lists")
def checklist_item_create():
    """Add an item to the morning check."""
    form = ItemForm()
    if form.validate_on_submit():
        try:
            svc.create_item(current_user, name=form.name.data, group=form.group.data,
                            counted=form.counted.data, expected_count=form.expected_count.data,
                            restock_level=form.restock_level.data, sort_order=form.sort_order.data)
        except ReceptionError as error:
            db.session.rollback()
            show_refusal(form, error)
        else:
            if not is_fragment_request():
                flash(_("The item was added to the checklist."), "success")
                return redirect_htmx_aware(url_for("reception.checklist_items"))
            return trigger(_items_page(), CHECKLIST_CHANGED)
    return _items_page(form=form, status=422)


def _item_or_404(item_id: int) -> ChecklistItem:
    return db.session.get(ChecklistItem, item_id) or abort(404)


def _item_row(item: ChecklistItem, *, status=200, form=None, message=None):
    if status != 200:
        db.session.rollback()
        db.session.refresh(item)
    if is_fragment_request():
        return render(ITEMS, block="item_row", item=item, edit_form=form, row_message=message,
                      status=status, groups=svc.GROUPS)
    if form is not None and form.errors and not message:
        message = " ".join(str(e) for errors in form.errors.values() for e in errors)
    flash(message or _("The item was saved."), "error" if status != 200 else "success")
    return redirect_htmx_aware(url_for("reception.checklist_items", _anchor=f"item-{item.id}"))


CHANGED_FIRST = N_("Someone else changed this item first. This is its current state; check it "
                   "and try again.")


@bp.route("/checklist/items/<int:item_id>", methods=["POST"])
@require("reception.lists")
def checklist_item_edit(item_id: int):
    """Change an item's name, group, counts or order."""
    item = _item_or_404(item_id)
    form = ItemEditForm()
    if not form.validate_on_submit():
        return _item_row(item, status=422, form=form)
    try:
        svc.update_item(current_user, item, form.version.data, name=form.name.data,
                        group=form.group.data, counted=form.counted.data,
                        expected_count=form.expected_count.data,
                        restock_level=form.restock_level.data, sort_order=form.sort_order.data)
    except Conflict:
        return _item_row(item, status=409, message=_(CHANGED_FIRST))
    except ReceptionError as error:
        show_refusal(form, error)
        return _item_row(item, status=422, form=form)
    return trigger(_item_row(item), CHECKLIST_CHANGED)


@bp.route("/checklist/items/<int:item_id>/active", methods=["POST"])
@require("reception.lists")
def checklist_item_active(item_id: int):
    """Deactivate an item (or bring it back); it stays in earlier checklists."""
    item = _item_or_404(item_id)
    form = ActiveForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        svc.set_item_active(current_user, item, request.form.get("active") == "1",
                            form.version.data)
    except Conflict:
        return _item_row(item, status=409, message=_(CHANGED_FIRST))
    return trigger(_item_row(item), CHECKLIST_CHANGED)


# --- repairs -------------------------------------------------------------------------------------


def _repair_form(formdata=True) -> RepairForm:
    if formdata:
        return RepairForm()
    form = RepairForm(formdata=None)
    item_id = request.args.get("item", type=int)
    item = db.session.get(ChecklistItem, item_id) if item_id else None
    if item is not None:  # R-R2 → R-R3: prefilled from the damaged or missing item
        form.item_id.data = str(item.id)
        form.place.data = item.name
        mark = svc.current_mark(item)
        if mark and mark.status != "ok":
            form.problem.data = (f"{_(svc.STATUSES[mark.status])}"
                                 + (f": {mark.note}" if mark.note else ""))
    return form


def _repairs_page(form: RepairForm | None = None, status: int = 200):
    if form is None and current_user.can("reception.repairs"):
        form = _repair_form(formdata=False)
    return render(REPAIRS, block="repairs_lists", form=form, open_reports=rsvc.open_reports(),
                  closed_reports=rsvc.recently_closed(), status=status, **_repair_context())


def _repair_context(**extra) -> dict:
    now = clock.now()
    return {"repair_statuses": rsvc.STATUSES, "moves_from": rsvc.moves_from,
            "age_of": lambda report: rsvc.age_days(report, now), "closed": rsvc.CLOSED, **extra}


@bp.route("/repairs")
@require("reception.view")
def repairs():
    """R-R3: open repairs (oldest first), recently closed ones, and reporting a new one."""
    return _repairs_page()


@bp.route("/repairs", methods=["POST"])
@require("reception.repairs")
def repair_create():
    """R-R3: report a repair; the supervisor is notified."""
    form = _repair_form()
    created = None
    if form.validate_on_submit():
        item = None
        if form.item_id.data and str(form.item_id.data).isdigit():
            item = db.session.get(ChecklistItem, int(form.item_id.data))
        try:
            created = rsvc.report(current_user, place=form.place.data, problem=form.problem.data,
                                  item=item)
        except ReceptionError as error:
            db.session.rollback()
            show_refusal(form, error)
    if created is None:
        if is_fragment_request():
            return render(REPAIRS, block="repair_form", form=form, status=422,
                          **_repair_context())
        return _repairs_page(form=form, status=422)
    if not is_fragment_request():
        flash(_("The repair was reported; the supervisor is notified."), "success")
        return redirect_htmx_aware(url_for("reception.repairs"))
    response = render(REPAIRS, block="repair_form", form=RepairForm(formdata=None),
                      created=created, saved=True, **_repair_context())
    return trigger(response, REPAIRS_CHANGED)


def _repair_row(report: RepairReport, *, status=200, form=None, message=None):
    if status != 200:
        db.session.rollback()
        db.session.refresh(report)
    if is_fragment_request():
        response = render(REPAIRS, block="repair_row", report=report, note_form=form,
                          row_message=message, status=status, **_repair_context())
        return trigger(response, REPAIRS_CHANGED) if status == 200 else response
    if form is not None and form.errors and not message:
        message = " ".join(str(e) for errors in form.errors.values() for e in errors)
    flash(message or _("The note was added."), "error" if status != 200 else "success")
    return redirect_htmx_aware(url_for("reception.repairs", _anchor=f"repair-{report.id}"))


@bp.route("/repairs/<int:report_id>/notes", methods=["POST"])
@require("reception.repairs")
def repair_note(report_id: int):
    """R-R3: follow a repair up with a note, optionally moving its status."""
    report = db.session.get(RepairReport, report_id) or abort(404)
    form = NoteForm()
    if not form.validate_on_submit():
        if form.version.errors or "csrf_token" in form.errors:
            abort(400)
        return _repair_row(report, status=422, form=form)
    try:
        rsvc.add_note(current_user, report, form.text.data, form.version.data,
                      form.status_to.data or None)
    except Conflict:
        return _repair_row(report, status=409, message=_(
            "Someone else followed this repair up first. This is its current state; check it "
            "and try again."))
    except ReceptionError as error:
        show_refusal(form, error)
        return _repair_row(report, status=422, form=form)
    db.session.refresh(report)
    return _repair_row(report)


@bp.route("/repairs/badge")
@require("reception.view")
def repair_badge():
    """The navigation count: open repairs."""
    response = make_response(render("reception/repairs/_badge.html", count=rsvc.open_count()))
    response.headers["Cache-Control"] = "no-store"
    return response


# --- navigation, cards, audit --------------------------------------------------------------------


def _checklist_card(user) -> dict:
    return {"progress": svc.progress(), "stock": stock_rows()}


def _repairs_card(user) -> dict:
    now = clock.now()
    return {"reports": rsvc.open_reports(), "age_of": lambda r: rsvc.age_days(r, now),
            "statuses": rsvc.STATUSES}


def _namer(model, label):
    return namer(model, label, fmt=lambda ident, name: f"#{ident} {name}")


_mark_names = namer(ChecklistMark, ChecklistItem.name, ChecklistDay.day,
                    joins=[(ChecklistItem, ChecklistItem.id == ChecklistMark.item_id),
                           (ChecklistDay, ChecklistDay.id == ChecklistMark.checklist_id)],
                    fmt=lambda ident, name, day: f"{day.isoformat()} {name}")


def register(app) -> None:
    """Navigation entries (repairs with their badge), Today cards and audit labels."""
    from portal.audit.services import ACTION_LABELS, FIELD_LABELS, VALUE_LABELS, register_target
    from portal.ui import Card, NavItem, register_card, register_nav

    register_nav(app, NavItem("reception.checklist", _l("Opening checklist"), "reception.view",
                              order=6, active_prefix="reception.checklist"))
    register_nav(app, NavItem("reception.repairs", _l("Repairs"), "reception.view", order=7,
                              active_prefix="reception.repair",
                              badge_endpoint="reception.repair_badge",
                              badge_event=REPAIRS_CHANGED))
    # "reception.repairs" is held by exactly reception and supervisor: the two roles whose
    # morning these cards are about (the manager reads the pages themselves)
    register_card(app, Card("reception-checklist", _l("Opening checklist"), "reception.repairs",
                            "reception/checklist/_card.html", _checklist_card, order=30,
                            stylesheet=STYLESHEET))
    register_card(app, Card("reception-repairs", _l("Open repairs"), "reception.repairs",
                            "reception/repairs/_card.html", _repairs_card, order=31,
                            stylesheet=STYLESHEET))
    ACTION_LABELS.update({
        "checklist.item_created": N_("Checklist item added"),
        "checklist.item_updated": N_("Checklist item changed"),
        "checklist.item_deactivated": N_("Checklist item deactivated"),
        "checklist.item_reactivated": N_("Checklist item reactivated"),
        "checklist.marked": N_("Checklist item marked"),
        "checklist.remarked": N_("Checklist mark corrected"),
        "checklist.completed": N_("Opening checklist completed"),
        "repair.reported": N_("Repair reported"),
        "repair.noted": N_("Repair followed up"),
        "repair.status_changed": N_("Repair status changed"),
        "repair.reopened": N_("Repair reopened"),
    })
    for name, label in {
        "name": N_("Name"), "group": N_("Group"), "counted": N_("Counted"),
        "expected_count": N_("Expected count"), "restock_level": N_("Restock below"),
        "sort_order": N_("Order"), "active": N_("Active"), "status": N_("Status"),
        "quantity": N_("Count"), "note": N_("Note"), "place": N_("Item or place"),
        "problem": N_("What is wrong"),
    }.items():
        FIELD_LABELS.setdefault(name, label)
    VALUE_LABELS.setdefault("group", {}).update(svc.GROUPS)
    # "status" codes of the checklist and of repairs do not overlap
    VALUE_LABELS.setdefault("status", {}).update({**svc.STATUSES, **rsvc.STATUSES})
    register_target("checklist_items", N_("Checklist item"),
                    _namer(ChecklistItem, ChecklistItem.name))
    register_target("checklist_marks", N_("Checklist mark"), _mark_names)
    register_target("checklist_days", N_("Opening checklist"),
                    _namer(ChecklistDay, ChecklistDay.day))
    register_target("repair_reports", N_("Repair report"), _namer(RepairReport, RepairReport.place))
