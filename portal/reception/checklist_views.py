"""The opening checklist (R-R2), its items list, the fridge stock widget, and repair reports
(R-R3): pages, rows swapped in place, the navigation badge and the Today cards.

Every row (a checklist item, a repair) is its own fragment with ``hx-target="this"``: an action
answers the row as it is now — 200 after a change, 422 with the messages next to the fields
(nothing changed), 409 with the current state when someone else was first, the typing kept.
Every change runs through ``portal.actions.run``; the answer classes here say what a row, a
list or a form answers. Without JavaScript a change goes back to its page (303), and a
refusal or a conflict shows the page with that row's form and message.
"""

import sqlalchemy as sa
from flask import make_response, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from portal import actions, clock
from portal.audit.services import namer
from portal.auth.decorators import require
from portal.extensions import db
from portal.forms import record_id
from portal.i18n import N_
from portal.live.counters import cheap_poll
from portal.reception import bp
from portal.reception import checklist as svc
from portal.reception import repairs as rsvc
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
from portal.web import is_fragment_request, render, trigger

CHECKLIST = "reception/checklist/page.html"
ITEMS = "reception/checklist/items.html"
REPAIRS = "reception/repairs/page.html"
CHECKLIST_CHANGED = "checklist-changed"
STOCK_CHANGED = "stock-changed"
REPAIRS_CHANGED = "repairs-changed"
STYLESHEET = "css/reception.css"


def _failed(record, form, message) -> dict:
    """The row of a whole page that shows a refusal or a conflict (without JavaScript)."""
    return {"id": record.id, "form": form, "message": message}


def _open_repairs_by_item() -> dict[int, RepairReport]:
    rows = db.session.scalars(sa.select(RepairReport)
                              .where(RepairReport.status.in_(rsvc.OPEN),
                                     RepairReport.item_id.is_not(None))).unique()
    return {report.item_id: report for report in rows}


def _row_context(**extra) -> dict:
    return {"statuses": svc.STATUSES, "groups": svc.GROUPS, "repair_statuses": rsvc.STATUSES,
            **extra}


# --- the day's checklist -----------------------------------------------------------------------


def _checklist_page(failed: dict | None = None):
    day = clock.today()
    items = svc.active_items()
    state = svc.progress(day)
    return render(CHECKLIST, block="checklist", items=items, marks=svc.marks_of(state["checklist"]),
                  progress=state, stock=stock_rows(day), repairs_by_item=_open_repairs_by_item(),
                  failed=failed, **_row_context())


@bp.route("/checklist")
@require("reception.view")
def checklist():
    """R-R2: today's item check: every active item, its mark, the progress, the fridge stock."""
    return _checklist_page()


class CheckRowAnswer:
    """An item's row of the day's checklist answers its marks in place, with the progress
    out of band; after a conflict the mark as it is now (who marked it, when) and the count
    and note as typed."""

    def __init__(self, item: ChecklistItem) -> None:
        self.item = item

    def _row(self, form=None, message: str | None = None):
        if not is_fragment_request():
            return _checklist_page(failed=_failed(self.item, form, message))
        return render(CHECKLIST, block="check_row", item=self.item,
                      mark=svc.current_mark(self.item), row_form=form, row_message=message,
                      oob_progress=svc.progress(), repairs_by_item=_open_repairs_by_item(),
                      **_row_context())

    def done(self, result, message: str):
        events = [CHECKLIST_CHANGED] + ([STOCK_CHANGED] if self.item.counted else [])
        return trigger(self._row(), *events)

    def refused(self, form, message):
        return self._row(form, message)

    def conflict(self, form, message: str):
        mark = svc.current_mark(self.item)
        if mark is None:  # the day's checklist was opened at the same moment
            return self._row(form, message)
        return self._row(form, _(
            "%(name)s marked this item first, at %(time)s. This is its current state; check "
            "it and mark again if needed.", name=mark.marked_by.display_name,
            time=clock.local(mark.marked_at).strftime("%H:%M")))

    def location(self, result) -> str:
        return url_for("reception.checklist", _anchor=f"check-item-{self.item.id}")


@bp.route("/checklist/marks/<int:item_id>", methods=["POST"])
@require("reception.work")
def checklist_mark(item_id: int):
    """R-R2: mark one item OK, missing or damaged (with its count); answers the row."""
    item = db.get_or_404(ChecklistItem, item_id)
    form = MarkForm()
    return actions.run(
        lambda: svc.mark(current_user, item, status=form.status.data,
                         quantity=form.quantity.data, note=form.note.data,
                         version=form.version.data or 0),
        form=form, answer=CheckRowAnswer(item),
        # two first marks of the day at once: the day's checklist is made only once
        conflicts=(IntegrityError,))


@bp.route("/checklist/stock")
@require("reception.view")
def stock():
    """The fridge-stock widget: this morning's counts minus what was served today."""
    response = make_response(render("reception/checklist/_stock.html", stock=stock_rows()))
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the items list (supervisor) ---------------------------------------------------------------


def _items_page(form: ItemForm | None = None, *, edit_forms=None, messages=None):
    return render(ITEMS, block="item_list", items=svc.all_items(),
                  form=form or ItemForm(formdata=None), edit_forms=edit_forms or {},
                  messages=messages or {}, groups=svc.GROUPS)


@bp.route("/checklist/items")
@require("reception.lists")
def checklist_items():
    """R-R2: the list of showroom items checked each morning."""
    return _items_page()


class ItemsAnswer:
    """Adding an item answers the whole list (it may land anywhere in the order)."""

    def done(self, item, message: str):
        return trigger(_items_page(), CHECKLIST_CHANGED)

    def refused(self, form, message):
        return _items_page(form=form)

    conflict = refused  # a new item changes no record someone else could have changed

    def location(self, item) -> str:
        return url_for("reception.checklist_items")


@bp.route("/checklist/items", methods=["POST"])
@require("reception.lists")
def checklist_item_create():
    """Add an item to the morning check."""
    form = ItemForm()
    return actions.run(
        lambda: svc.create_item(current_user, name=form.name.data, names=form.names(),
                                group=form.group.data, counted=form.counted.data,
                                expected_count=form.expected_count.data,
                                restock_level=form.restock_level.data,
                                sort_order=form.sort_order.data),
        form=form, answer=ItemsAnswer(), done=_l("The item was added to the checklist."))


CHANGED_FIRST = N_("Someone else changed this item first. This is its current state; check it "
                   "and try again.")


class ItemRowAnswer:
    """An item's row of the list answers its changes in place: the item as it is now, and
    (after a refusal or a conflict) the change form open as typed."""

    def __init__(self, item: ChecklistItem) -> None:
        self.item = item

    def _row(self, form=None, message: str | None = None):
        form = form if isinstance(form, ItemEditForm) else None  # not the one-button form
        if not is_fragment_request():
            return _items_page(edit_forms={self.item.id: form} if form else None,
                               messages={self.item.id: message} if message else None)
        return render(ITEMS, block="item_row", item=self.item, edit_form=form,
                      row_message=message, groups=svc.GROUPS)

    def done(self, result, message: str):
        return trigger(self._row(), CHECKLIST_CHANGED)

    def refused(self, form, message):
        return self._row(form, message)

    def conflict(self, form, message: str):
        return self._row(form, _(CHANGED_FIRST))

    def location(self, result) -> str:
        return url_for("reception.checklist_items", _anchor=f"item-{self.item.id}")


@bp.route("/checklist/items/<int:item_id>", methods=["POST"])
@require("reception.lists")
def checklist_item_edit(item_id: int):
    """Change an item's name, group, counts or order."""
    item = db.get_or_404(ChecklistItem, item_id)
    form = ItemEditForm()
    return actions.run(
        lambda: svc.update_item(current_user, item, form.version.data, name=form.name.data,
                                names=form.names(),
                                group=form.group.data, counted=form.counted.data,
                                expected_count=form.expected_count.data,
                                restock_level=form.restock_level.data,
                                sort_order=form.sort_order.data),
        form=form, answer=ItemRowAnswer(item), subject=item, done=_l("The item was saved."))


@bp.route("/checklist/items/<int:item_id>/active", methods=["POST"])
@require("reception.lists")
def checklist_item_active(item_id: int):
    """Deactivate an item (or bring it back); it stays in earlier checklists."""
    item = db.get_or_404(ChecklistItem, item_id)
    form = ActiveForm()
    return actions.run(
        lambda: svc.set_item_active(current_user, item, request.form.get("active") == "1",
                                    form.version.data),
        form=form, answer=ItemRowAnswer(item), subject=item, done=_l("The item was saved."))


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


def _repairs_page(form: RepairForm | None = None, failed: dict | None = None):
    if form is None and current_user.can("reception.repairs"):
        form = _repair_form(formdata=False)
    return render(REPAIRS, block="repairs_lists", form=form, open_reports=rsvc.open_reports(),
                  closed_reports=rsvc.recently_closed(), failed=failed, **_repair_context())


def _repair_context(**extra) -> dict:
    now = clock.now()
    return {"repair_statuses": rsvc.STATUSES, "moves_from": rsvc.moves_from,
            "age_of": lambda report: rsvc.age_days(report, now), "closed": rsvc.CLOSED, **extra}


@bp.route("/repairs")
@require("reception.view")
def repairs():
    """R-R3: open repairs (oldest first), recently closed ones, and reporting a new one."""
    return _repairs_page()


class RepairFormAnswer:
    """Reporting a repair answers the emptied form with its note, the new report put on top
    of the open ones out of band; a refusal, the form as typed."""

    def done(self, created: RepairReport, message: str):
        response = render(REPAIRS, block="repair_form", form=RepairForm(formdata=None),
                          created=created, saved=True, **_repair_context())
        return trigger(response, REPAIRS_CHANGED)

    def refused(self, form, message):
        if is_fragment_request():
            return render(REPAIRS, block="repair_form", form=form, **_repair_context())
        return _repairs_page(form=form)

    conflict = refused  # a new report changes no record someone else could have changed

    def location(self, created) -> str:
        return url_for("reception.repairs")


@bp.route("/repairs", methods=["POST"])
@require("reception.repairs")
def repair_create():
    """R-R3: report a repair; the supervisor is notified."""
    form = _repair_form()
    item_id = record_id(form.item_id.data)
    item = db.session.get(ChecklistItem, item_id) if item_id else None
    return actions.run(
        lambda: rsvc.report(current_user, place=form.place.data, problem=form.problem.data,
                            item=item),
        form=form, answer=RepairFormAnswer(),
        done=_l("The repair was reported; the supervisor is notified."))


class RepairRowAnswer:
    """A repair answers its follow-ups in place: its status and trail as they are now, and
    (after a refusal or a conflict) the note as typed."""

    def __init__(self, report: RepairReport) -> None:
        self.report = report

    def _row(self, form=None, message: str | None = None):
        if not is_fragment_request():
            return _repairs_page(failed=_failed(self.report, form, message))
        return render(REPAIRS, block="repair_row", report=self.report, note_form=form,
                      row_message=message, **_repair_context())

    def done(self, note, message: str):
        return trigger(self._row(), REPAIRS_CHANGED)

    def refused(self, form, message):
        return self._row(form, message)

    def conflict(self, form, message: str):
        return self._row(form, _("Someone else followed this repair up first. This is its "
                                 "current state; check it and try again."))

    def location(self, note) -> str:
        return url_for("reception.repairs", _anchor=f"repair-{self.report.id}")


@bp.route("/repairs/<int:report_id>/notes", methods=["POST"])
@require("reception.repairs")
def repair_note(report_id: int):
    """R-R3: follow a repair up with a note, optionally moving its status."""
    report = db.get_or_404(RepairReport, report_id)
    form = NoteForm()
    return actions.run(
        lambda: rsvc.add_note(current_user, report, form.text.data, form.version.data,
                              form.status_to.data or None),
        form=form, answer=RepairRowAnswer(report), subject=report, done=_l("The note was added."))


@bp.route("/repairs/badge")
@require("reception.view")
@cheap_poll("repair_reports")
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
    from portal.ui import Card, NavItem, register_audit, register_card, register_nav

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
    register_audit(app, actions={
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
    }, fields={
        "name": N_("Name"), "group": N_("Group"), "counted": N_("Counted"),
        "expected_count": N_("Expected count"), "restock_level": N_("Restock below"),
        "sort_order": N_("Order"), "active": N_("Active"), "status": N_("Status"),
        "quantity": N_("Count"), "note": N_("Note"), "place": N_("Item or place"),
        "problem": N_("What is wrong"),
    }, values={
        "group": svc.GROUPS,
        # "status" codes of the checklist and of repairs do not overlap
        "status": {**svc.STATUSES, **rsvc.STATUSES},
    })
    for target in (
        ("checklist_items", N_("Checklist item"), _namer(ChecklistItem, ChecklistItem.name)),
        ("checklist_marks", N_("Checklist mark"), _mark_names),
        ("checklist_days", N_("Opening checklist"), _namer(ChecklistDay, ChecklistDay.day)),
        ("repair_reports", N_("Repair report"), _namer(RepairReport, RepairReport.place)),
    ):
        register_audit(app, target=target)
