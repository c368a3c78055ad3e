"""Score-sheet pages of the supervisor and the manager: the catalogue, a sheet with its
entries (added, corrected and removed in place), quick entry from another area's record,
the month overview, the print views and the .xlsx export (issue 5, items 1-5 and 10).

Every entry change answers with the whole sheet body (the new row, the total and the rank at
once); inside the month overview the overview's rows follow out of band. A locked sheet or a
stale form is a 409 that shows the current state; bad input is a 422 that changes nothing.
"""

from datetime import date

from flask import abort, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from portal import clock
from portal.audit.services import namer
from portal.auth.decorators import require
from portal.auth.models import User
from portal.extensions import db
from portal.forms import choices
from portal.i18n import N_
from portal.scoring import appeals as appeal_svc
from portal.scoring import bp
from portal.scoring import catalogue as cat
from portal.scoring import entries as svc
from portal.scoring import overview as ov
from portal.scoring.models import ScoreEntry, ScoreRule, ScoreSheet
from portal.scoring.sheet_forms import (
    EntryEditForm,
    EntryForm,
    EntryRemoveForm,
    RuleEditForm,
    RuleForm,
)
from portal.scoring.sheets import SCORED_ROLES, ScoringError, get_sheet, max_points, month_or_404
from portal.web import Conflict, is_fragment_request, redirect_htmx_aware, render, trigger

CHANGED = "scores-changed"  # HX-Trigger: widgets that show totals follow
SHEET = "scoring/sheet.html"
STATUS_LABELS = {"draft": N_("Draft"), "submitted": N_("Submitted"),
                 "approved": N_("Approved"), "returned": N_("Returned")}
# the supervisor's and manager's pages; the staff member's own pages are "scoring.my*"
ENDPOINTS = ("scoring.index", "scoring.overview", "scoring.overview_print", "scoring.export",
             "scoring.sheet", "scoring.sheet_print", "scoring.rules", "scoring.new_entry")


def _month(year: int, month: int) -> None:
    month_or_404(year, month)


def _person(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.role not in SCORED_ROLES:
        abort(404)
    return user


def _flag(value) -> bool:
    return str(value or "") in ("1", "true", "on")


# --- the sheet body (shared with the staff member's read-only view) ------------------------


def body_context(sheet: ScoreSheet, *, form: EntryForm | None = None,
                 message: str | None = None, in_overview: bool = False,
                 readonly: bool = False) -> dict:
    """What templates/scoring/_sheet_body.html needs; every list loaded at once (no N+1).

    The staff member's own view passes ``readonly=True``: no forms at all.
    """
    entries = svc.sheet_entries(sheet)
    rank, count = ov.sheet_rank(sheet)
    recorder = (not readonly and sheet.editable and current_user.is_authenticated
                and current_user.can("scoring.record"))
    if recorder and form is None:
        form = _entry_form(sheet, None, in_overview=in_overview)
    elif form is not None:
        _fill_choices(form, sheet)
    return {
        "sheet": sheet, "entries": entries, "rank": rank, "sheet_count": count,
        "appeals_by_entry": appeal_svc.by_entry(sheet),
        "revisions": svc.revision_counts(e.id for e in entries),
        "link_urls": svc.link_urls(entries), "link_labels": {
            kind: source.label for kind, source in svc.LINK_SOURCES.items()},
        "status_labels": STATUS_LABELS, "entry_form": form if recorder else None,
        "recorder": recorder, "readonly": readonly, "body_message": message,
        "in_overview": in_overview, "max_points": max_points(),
    }


def _fill_choices(form: EntryForm, sheet: ScoreSheet) -> None:
    rules = cat.active_rules()
    form.rule.choices = choices(
        [("", _l("— free reason —"))]
        + [(str(r.id), f"{'+' if r.kind == 'reward' else '−'}{r.default_points} "
                       f"{r.description}") for r in rules])
    groups = {"": [("", _("— none —"))]}
    for _kind, label, options in svc.link_choices(sheet):
        groups[_(label)] = options
    form.link.choices = groups


def _entry_form(sheet: ScoreSheet, formdata, *, in_overview: bool = False, **data) -> EntryForm:
    form = EntryForm(formdata=formdata, **data)
    if formdata is None:
        form.sheet_version.data = sheet.version
        form.in_overview.data = "1" if in_overview else ""
        if form.day.data is None:
            today = clock.today()
            form.day.data = today if (today.year, today.month) == (sheet.year, sheet.month) \
                else None
    _fill_choices(form, sheet)
    return form


def _overview_oob(sheet: ScoreSheet) -> dict:
    return {"overview_rows": ov.month_rows(sheet.year, sheet.month)}


def _sheet_response(sheet: ScoreSheet, *, status: int = 200, form=None,
                    message: str | None = None, in_overview: bool = False):
    ctx = body_context(sheet, form=form, message=message, in_overview=in_overview)
    if in_overview and is_fragment_request():
        ctx.update(_overview_oob(sheet))
    response = render(SHEET, block="sheet_body", status=status, **ctx)
    return trigger(response, CHANGED) if status == 200 else response


@bp.route("/<int:year>/<int:month>/<int:user_id>")
@require("scoring.overview")
def sheet(year: int, month: int, user_id: int):
    """One staff member's sheet of a month: base, entries, total and rank (R-P1)."""
    _month(year, month)
    person = _person(user_id)
    try:
        the_sheet = get_sheet(person, year, month)
    except ScoringError:
        abort(404)
    db.session.commit()
    return _sheet_response(the_sheet, in_overview=_flag(request.args.get("in_overview")))


@bp.route("/<int:year>/<int:month>/<int:user_id>/print")
@require("scoring.overview")
def sheet_print(year: int, month: int, user_id: int):
    """The sheet on A4 with signature lines (staff member, supervisor, manager)."""
    _month(year, month)
    person = _person(user_id)
    the_sheet = get_sheet(person, year, month)
    db.session.commit()
    ctx = body_context(the_sheet, readonly=True)
    return render("scoring/sheet_print.html", **ctx)


def _conflict_message(sheet: ScoreSheet) -> str:
    if not sheet.editable:
        try:
            from portal.scoring.sheets import require_editable

            require_editable(sheet)
        except ScoringError as error:
            return error.message
    return _("Someone else changed this sheet first. This is its current state; check it and "
             "try again.")


def _refused(sheet: ScoreSheet, message: str | None, in_overview: bool):
    """409 with the sheet as it is now (locked, or changed by someone else)."""
    db.session.rollback()
    sheet = db.session.get(ScoreSheet, sheet.id)
    db.session.refresh(sheet)
    message = message or _conflict_message(sheet)
    if is_fragment_request():
        return _sheet_response(sheet, status=409, message=message, in_overview=in_overview)
    return render(SHEET, status=409, **body_context(sheet, message=message))


def _field_error(form, error: ScoringError) -> None:
    if error.field and error.field in form:
        form[error.field].errors = list(form[error.field].errors) + [error.message]
    else:
        form.form_errors.append(error.message)


def _locked(sheet: ScoreSheet) -> bool:
    return not sheet.editable


@bp.route("/<int:year>/<int:month>/<int:user_id>/entries", methods=["POST"])
@require("scoring.record")
def add_entry(year: int, month: int, user_id: int):
    """R-P1: record a reward or penalty on the sheet (the inline row form)."""
    _month(year, month)
    person = _person(user_id)
    the_sheet = get_sheet(person, year, month)
    form = EntryForm()
    in_overview = _flag(form.in_overview.data)
    if _locked(the_sheet):
        return _refused(the_sheet, None, in_overview)
    entry = None
    if form.validate_on_submit():
        try:
            entry = svc.add_entry(current_user, the_sheet, day=form.day.data,
                                  points=form.points.data, reason=form.reason.data,
                                  rule_id=int(form.rule.data) if (form.rule.data or "").isdigit()
                                  else (-1 if form.rule.data else None),
                                  evidence=form.evidence.data, link=form.link.data,
                                  sheet_version=form.sheet_version.data)
            db.session.commit()
        except (Conflict, StaleDataError):
            return _refused(the_sheet, None, in_overview)
        except ScoringError as error:
            db.session.rollback()
            if error.field is None:  # the sheet itself refuses (locked)
                return _refused(the_sheet, error.message, in_overview)
            _field_error(form, error)
    if entry is None:
        db.session.rollback()
        form.sheet_version.data = the_sheet.version
        if is_fragment_request():
            return _sheet_response(the_sheet, status=422, form=form, in_overview=in_overview)
        return render(SHEET, status=422, **body_context(the_sheet, form=form))
    if not is_fragment_request():
        flash(_("The entry was recorded."), "success")
        return redirect_htmx_aware(url_for("scoring.sheet", year=year, month=month,
                                           user_id=user_id))
    return _sheet_response(the_sheet, in_overview=in_overview,
                           message=None)


def _get_entry(entry_id: int) -> ScoreEntry:
    entry = db.session.get(ScoreEntry, entry_id)
    if entry is None:
        abort(404)
    return entry


def _entry_action(entry: ScoreEntry, form, action, success: str):
    the_sheet = entry.sheet
    in_overview = _flag(form.in_overview.data)
    if _locked(the_sheet):
        return _refused(the_sheet, None, in_overview)
    if not form.validate_on_submit():
        if form.version.errors or "csrf_token" in form.errors:
            abort(400)
        message = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return _invalid(the_sheet, message, in_overview)
    try:
        action()
        db.session.commit()
    except (Conflict, StaleDataError):
        return _refused(the_sheet, None, in_overview)
    except ScoringError as error:
        if error.field is None:
            return _refused(the_sheet, error.message, in_overview)
        return _invalid(the_sheet, error.message, in_overview)
    if not is_fragment_request():
        flash(success, "success")
        return redirect_htmx_aware(url_for("scoring.sheet", year=the_sheet.year,
                                           month=the_sheet.month, user_id=the_sheet.user_id))
    return _sheet_response(the_sheet, in_overview=in_overview, message=None)


def _invalid(sheet: ScoreSheet, message: str, in_overview: bool):
    db.session.rollback()
    sheet = db.session.get(ScoreSheet, sheet.id)
    if is_fragment_request():
        return _sheet_response(sheet, status=422, message=message, in_overview=in_overview)
    return render(SHEET, status=422, **body_context(sheet, message=message))


@bp.route("/entries/<int:entry_id>/edit", methods=["POST"])
@require("scoring.record")
def edit_entry(entry_id: int):
    """Correct an entry of an editable sheet; the earlier value is kept."""
    entry = _get_entry(entry_id)
    form = EntryEditForm()
    return _entry_action(entry, form, lambda: svc.edit_entry(
        current_user, entry, form.version.data, day=form.day.data, points=form.points.data,
        reason=form.reason.data, evidence=form.evidence.data), _("The entry was corrected."))


@bp.route("/entries/<int:entry_id>/remove", methods=["POST"])
@require("scoring.record")
def remove_entry(entry_id: int):
    """Remove an entry of an editable sheet; it stays visible, struck through."""
    entry = _get_entry(entry_id)
    form = EntryRemoveForm()
    return _entry_action(entry, form, lambda: svc.remove_entry(current_user, entry,
                                                               form.version.data),
                         _("The entry was removed."))


@bp.route("/entries/new")
@require("scoring.record")
def new_entry():
    """Quick entry from another area's record: the entry form with person, date and link
    prefilled (R-P1); choosing a catalogue item refills reason and points (htmx)."""
    args = request.args
    user_id = args.get("user", type=int)
    if not user_id:
        abort(404)
    person = _person(user_id)
    try:
        day = date.fromisoformat(args.get("day") or "")
    except ValueError:
        day = clock.today()
    the_sheet = get_sheet(person, day.year, day.month)
    db.session.commit()
    link = args.get("link") or (f"{args['link_type']}:{args['link_id']}"
                                 if args.get("link_type") and args.get("link_id") else "")
    data = {"day": day, "link": link, "reason": args.get("reason") or "",
            "evidence": args.get("evidence") or "",
            "points": args.get("points", type=int), "rule": args.get("rule") or ""}
    rule = db.session.get(ScoreRule, int(data["rule"])) if data["rule"].isdigit() else None
    if rule is not None and rule.active:
        data["reason"], data["points"] = rule.description, cat.signed(rule)
    in_overview = _flag(args.get("in_overview"))
    form = _entry_form(the_sheet, None, in_overview=in_overview, **data)
    ctx = body_context(the_sheet, form=form, in_overview=in_overview)
    plain = not _flag(args.get("inline"))
    return render("scoring/new_entry.html", block="entry_form", plain=plain, **ctx)


# --- the month overview ------------------------------------------------------------------------


@bp.route("/")
@require("scoring.overview")
def index():
    """The current month's overview."""
    today = clock.today()
    return redirect(url_for("scoring.overview", year=today.year, month=today.month))


def _month_nav(year: int, month: int) -> dict:
    prev = (year - 1, 12) if month == 1 else (year, month - 1)
    nxt = (year + 1, 1) if month == 12 else (year, month + 1)
    return {"prev_month": prev, "next_month": nxt}


def _overview_context(year: int, month: int) -> dict:
    if ov.ensure_month_sheets(year, month):
        db.session.commit()
    sort = request.args.get("sort") if request.args.get("sort") in ov.SORTS else ov.DEFAULT_SORT
    descending = request.args.get("dir") == "desc"
    return {"year": year, "month": month, "rows": ov.month_rows(year, month, sort, descending),
            "sort": sort, "descending": descending, "status_labels": STATUS_LABELS,
            **_month_nav(year, month)}


@bp.route("/<int:year>/<int:month>")
@require("scoring.overview")
def overview(year: int, month: int):
    """Every staff member's sheet of the month: base, rewards, penalties, total, rank, state;
    sortable; a row opens its sheet in place."""
    _month(year, month)
    return render("scoring/overview.html", block="overview_table", **_overview_context(year,
                                                                                       month))


@bp.route("/<int:year>/<int:month>/print")
@require("scoring.overview")
def overview_print(year: int, month: int):
    """The month overview on A4 with signature lines."""
    _month(year, month)
    return render("scoring/overview_print.html", **_overview_context(year, month))


@bp.route("/<int:year>/<int:month>.xlsx")
@require("scoring.overview")
def export(year: int, month: int):
    """The month as a workbook: one row per person, one worksheet per person's entries."""
    from portal.scoring.export import export_xlsx

    _month(year, month)
    ctx = _overview_context(year, month)
    response = make_response(export_xlsx(year, month, ctx["rows"]))
    response.headers["Content-Type"] = ("application/vnd.openxmlformats-officedocument."
                                        "spreadsheetml.sheet")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="scores-{year}-{month:02d}.xlsx"')
    return response


# --- the catalogue -----------------------------------------------------------------------------


def _rules_page(form=None, status: int = 200, **extra):
    return render("scoring/rules.html", block="rule_form", status=status,
                  form=form or RuleForm(formdata=None), rules=cat.all_rules(), kinds=cat.KINDS,
                  **extra)


@bp.route("/rules")
@require("scoring.record")
def rules():
    """The catalogue of standard rewards and penalties."""
    return render("scoring/rules.html", form=RuleForm(formdata=None), rules=cat.all_rules(),
                  kinds=cat.KINDS)


@bp.route("/rules", methods=["POST"])
@require("scoring.record")
def create_rule():
    """Add an item to the catalogue (quick-add at the top)."""
    form = RuleForm()
    rule = None
    if form.validate_on_submit():
        try:
            rule = cat.create_rule(current_user, kind=form.kind.data,
                                   default_points=form.default_points.data,
                                   description=form.description.data, active=form.active.data)
            db.session.commit()
        except ScoringError as error:
            db.session.rollback()
            _field_error(form, error)
    if rule is None:
        return _rules_page(form, status=422)
    if not is_fragment_request():
        flash(_("The item was added to the catalogue."), "success")
        return redirect_htmx_aware(url_for("scoring.rules"))
    return render("scoring/rules.html", block="rule_form", form=RuleForm(formdata=None),
                  created=rule, kinds=cat.KINDS)


@bp.route("/rules/<int:rule_id>", methods=["POST"])
@require("scoring.record")
def update_rule(rule_id: int):
    """Change or deactivate an item in place."""
    rule = db.session.get(ScoreRule, rule_id)
    if rule is None:
        abort(404)
    form = RuleEditForm()
    status, message = 200, None
    if not form.validate_on_submit():
        status = 422
    else:
        try:
            cat.update_rule(current_user, rule, form.version.data, kind=form.kind.data,
                            default_points=form.default_points.data,
                            description=form.description.data, active=form.active.data)
            db.session.commit()
        except (Conflict, StaleDataError):
            db.session.rollback()
            rule = db.session.get(ScoreRule, rule_id)
            db.session.refresh(rule)
            status, form = 409, None
            message = _("Someone else changed this item first. This is its current state.")
        except ScoringError as error:
            db.session.rollback()
            _field_error(form, error)
            status = 422
    if status == 422:
        db.session.rollback()
        rule = db.session.get(ScoreRule, rule_id)
    if not is_fragment_request():
        if status == 200:
            flash(_("The item was saved."), "success")
            return redirect_htmx_aware(url_for("scoring.rules"))
        return render("scoring/rules.html", status=status, form=RuleForm(formdata=None),
                      rules=cat.all_rules(), kinds=cat.KINDS, rule_message=message,
                      edit_forms={rule.id: form} if form else {})
    return render("scoring/rules.html", block="rule_row", status=status, rule=rule,
                  edit_form=form if status == 422 else None, kinds=cat.KINDS,
                  rule_message=message, saved=status == 200)


# --- navigation and audit ------------------------------------------------------------------


_audit_entries = namer(ScoreEntry, ScoreEntry.reason, ScoreEntry.points,
                       fmt=lambda i, reason, points: f"#{i} {reason[:30]} ({points:+d})")
_audit_rules = namer(ScoreRule, ScoreRule.description, fmt=lambda i, text: f"#{i} {text[:30]}")


def register(app) -> None:
    """Navigation entry of the supervisor's and manager's pages, and audit labels."""
    from portal.audit.services import ACTION_LABELS, FIELD_LABELS, VALUE_LABELS, register_target
    from portal.ui import NavItem, register_nav

    register_nav(app, NavItem("scoring.index", _l("Score sheets"), "scoring.overview",
                              order=50, active_prefix=ENDPOINTS))
    ACTION_LABELS.update({
        "scoring.rule_created": N_("Score catalogue item added"),
        "scoring.rule_changed": N_("Score catalogue item changed"),
        "scoring.entry_added": N_("Score entry recorded"),
        "scoring.entry_changed": N_("Score entry corrected"),
        "scoring.entry_removed": N_("Score entry removed"),
    })
    for name, label in {
        "kind": N_("Kind"), "default_points": N_("Points"), "description": N_("Description"),
        "active": N_("Active"), "day": N_("Date"), "points": N_("Points"),
        "reason": N_("Reason"), "evidence": N_("Evidence"), "link_type": N_("Linked record"),
        "link_id": N_("Linked record number"), "rule_id": N_("Catalogue item"),
        "removed_at": N_("Removed"),
    }.items():
        FIELD_LABELS.setdefault(name, label)
    VALUE_LABELS.setdefault("kind", {}).update(cat.KINDS)
    VALUE_LABELS.setdefault("link_type", {}).update(
        {kind: source.label for kind, source in svc.LINK_SOURCES.items()})
    register_target("score_entries", N_("Score entry"), _audit_entries)
    register_target("score_rules", N_("Score catalogue item"), _audit_rules)
