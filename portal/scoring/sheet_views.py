"""Score-sheet pages of the supervisor and the manager: the catalogue, a sheet with its
entries (added, corrected and removed in place), quick entry from another area's record,
the month overview, the print views and the .xlsx export (issue 5, items 1-5 and 10).

The sheet page reads its sheet with the rank, its entries with their appeals, the entries'
earlier values and the link candidates of every type in one query each. A row's correction
and removal forms are fetched when "Correct" is clicked (``entry_row?edit=1``; without
JavaScript the same link opens the entry's own page with the forms).

Every change runs through ``portal.actions.run``; ``EntryAnswer`` says what an entry change
answers (htmx): the entry's row only, put in its place, with the totals, the rank and
everything that carries the sheet's version out of band (``_entry_changed.html``); inside the
month overview, the person's overview row and the ranks that moved follow. The answer is
rendered before the commit, so nothing it shows is read again. A locked sheet or a stale form
is a 409 that shows the whole sheet as it is now, with what was typed still in its form; bad
input is a 422 that changes nothing and shows the form again with its messages.
"""

from datetime import date

import sqlalchemy as sa
from flask import abort, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload

from portal import actions, clock
from portal.audit.services import namer
from portal.auth.decorators import require
from portal.auth.models import User
from portal.extensions import db
from portal.forms import choices
from portal.i18n import N_
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
from portal.scoring.sheets import (
    SCORED_ROLES,
    ScoringError,
    find_ranked,
    find_sheet,
    locked_message,
    max_points,
    month_or_404,
    month_sheets,
    new_sheet,
    rank_by_total,
)
from portal.ui import link_sources, overview_columns
from portal.web import is_fragment_request, render, trigger

CHANGED = "scores-changed"  # HX-Trigger: widgets that show totals follow
REVISED = "score-entry-revised"  # HX-Trigger: the sheet's record shows the earlier value
SHEET = "scoring/sheet.html"
ENTRY_PAGE = "scoring/entry.html"
ENTRY_CHANGED = "scoring/_entry_changed.html"
STATUS_LABELS = {"draft": N_("Draft"), "submitted": N_("Submitted"),
                 "approved": N_("Approved"), "returned": N_("Returned")}
# the supervisor's and manager's pages; the staff member's own pages are "scoring.my*"
ENDPOINTS = ("scoring.index", "scoring.overview", "scoring.overview_print", "scoring.export",
             "scoring.sheet", "scoring.sheet_print", "scoring.rules", "scoring.new_entry",
             "scoring.entry_row")


def _month(year: int, month: int) -> None:
    month_or_404(year, month)


def _person(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.role not in SCORED_ROLES:
        abort(404)
    return user


def _flag(value) -> bool:
    return str(value or "") in ("1", "true", "on")


def _found_or_made(find, user_id: int, year: int, month: int):
    """(``find(user_id, year, month)``, whether the sheet was just made): a person's sheet is
    made on first use (R-P1); a page that made it commits it after answering
    (``actions.commit_request``), an entry with the entry."""
    found = find(user_id, year, month)
    if found is not None:
        return found, False
    try:
        new_sheet(_person(user_id), year, month)
    except ScoringError:
        abort(404)
    return find(user_id, year, month), True


def _scored(the_sheet: ScoreSheet) -> ScoreSheet:
    if the_sheet.user.role not in SCORED_ROLES:
        abort(404)
    return the_sheet


def _sheet_of(user_id: int, year: int, month: int) -> tuple[ScoreSheet, tuple[int, int], bool]:
    """(the person's sheet with its person, (rank, sheets of the month), just made): one query
    when the sheet exists."""
    (the_sheet, rank, count), fresh = _found_or_made(find_ranked, user_id, year, month)
    return _scored(the_sheet), (rank, count), fresh


def _sheet_for_change(user_id: int, year: int, month: int) -> ScoreSheet:
    """The person's sheet for an entry change."""
    return _scored(_found_or_made(find_sheet, user_id, year, month)[0])


# --- the sheet body (shared with the print view) ---------------------------------------------


def _links() -> dict:
    return {"link_labels": {kind: source.label for kind, source in link_sources().items()},
            "link_pages": {kind for kind, source in link_sources().items() if source.url}}


def _recorder(sheet: ScoreSheet) -> bool:
    return (sheet.editable and current_user.is_authenticated
            and current_user.can("scoring.record"))


def body_context(sheet: ScoreSheet, *, rank: tuple[int, int] | None = None,
                 form: EntryForm | None = None, message: str | None = None,
                 in_overview: bool = False, readonly: bool = False,
                 fresh: bool = False, editing: tuple[int, EntryEditForm | None] | None = None
                 ) -> dict:
    """What templates/scoring/_sheet_body.html (and the sheet's record under it) needs: one
    query per list, none per row. ``rank`` when it was read with the sheet; ``fresh``: the
    sheet was just made (no entries, no record to read). The print view passes
    ``readonly=True``: no forms at all. ``editing`` = (entry id, its correction as typed):
    that row shows its correction form open (after a conflict)."""
    entries = [] if fresh else svc.sheet_entries(sheet)
    revisions = [] if fresh else svc.sheet_revisions(sheet)
    rank, count = rank or ov.sheet_rank(sheet)
    recorder = not readonly and _recorder(sheet)
    if recorder and form is None:
        form = _entry_form(sheet, None, in_overview=in_overview)
    elif recorder:
        _fill_choices(form, sheet)
    return {
        "sheet": sheet, "entries": entries, "rank": rank, "sheet_count": count,
        "appeals_by_entry": svc.appeals_by_entry(entries),
        "revision_counts": svc.revision_counts(revisions), "history_revisions": revisions,
        "status_labels": STATUS_LABELS, "entry_form": form if recorder else None,
        "recorder": recorder, "readonly": readonly, "body_message": message,
        "in_overview": in_overview, "max_points": max_points(),
        "edit_entry_id": editing[0] if editing else None,
        "edit_form": editing[1] if editing else None, **_links(),
    }


def _fill_choices(form: EntryForm, sheet: ScoreSheet) -> None:
    rules = cat.active_rules()
    form.rule.choices = choices(
        [("", _l("— free reason —"))]
        + [(str(r.id), f"{'+' if r.kind == 'reward' else '−'}{r.default_points} "
                       f"{r.name}") for r in rules])
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


def _sheet_url(sheet: ScoreSheet) -> str:
    return url_for("scoring.sheet", year=sheet.year, month=sheet.month, user_id=sheet.user_id)


@bp.route("/<int:year>/<int:month>/<int:user_id>")
@require("scoring.overview")
def sheet(year: int, month: int, user_id: int):
    """One staff member's sheet of a month: base, entries, total and rank (R-P1)."""
    _month(year, month)
    the_sheet, rank, fresh = _sheet_of(user_id, year, month)
    ctx = body_context(the_sheet, rank=rank, fresh=fresh,
                       in_overview=_flag(request.args.get("in_overview")))
    if fresh:
        ctx["history_events"] = []
    return render(SHEET, block="sheet_body", **ctx)


@bp.route("/<int:year>/<int:month>/<int:user_id>/print")
@require("scoring.overview")
def sheet_print(year: int, month: int, user_id: int):
    """The sheet on A4 with signature lines (staff member, supervisor, manager)."""
    _month(year, month)
    the_sheet, rank, fresh = _sheet_of(user_id, year, month)
    return render("scoring/sheet_print.html",
                  **body_context(the_sheet, rank=rank, fresh=fresh, readonly=True))


# --- answers to entry changes ----------------------------------------------------------------


def _retarget(response, target: str, swap: str = "outerHTML"):
    response.headers["HX-Retarget"] = target
    response.headers["HX-Reswap"] = swap
    return response


def _overview_row(sheet: ScoreSheet, rank: int) -> dict:
    # other areas' columns (portal.ui.register_overview_column) for this person only
    return {"overview_row": ov.OverviewRow(sheet, rank),
            "extra_columns": overview_columns(sheet.year, sheet.month, [sheet.user_id])}


def _rank_changes(sheet: ScoreSheet, total_before: int) -> tuple[int, list]:
    """Inside the overview: (the sheet's rank, [(other sheet, new rank)] of the month's other
    sheets whose rank the change moved). One query: the month's sheets, read after the change
    was flushed (``sheet`` itself is the object in memory)."""
    sheets = month_sheets(sheet.year, sheet.month)
    after = rank_by_total({s.id: s.total for s in sheets})
    before = rank_by_total({s.id: total_before if s.id == sheet.id else s.total
                            for s in sheets})
    return after[sheet.id], [(s, after[s.id]) for s in sheets
                             if s.id != sheet.id and after[s.id] != before[s.id]]


def _entry_changed(sheet: ScoreSheet, entry: ScoreEntry, *, in_overview: bool,
                   total_before: int, new: bool = False, moved: bool = False):
    """The answer to an entry change (htmx): its row, the totals and the sheet's version out
    of band. A ``new`` entry's row goes where its date puts it; so does a corrected one whose
    date ``moved`` (its old row is deleted); else the row replaces itself."""
    where = svc.row_place(sheet, entry)
    place = new or moved
    ctx = {"sheet": sheet, "entry": entry, "recorder": _recorder(sheet), "readonly": False,
           "revision_counts": {entry.id: where.corrections},
           # a new entry has no appeals (and reading entry.appeals would query for none)
           "appeals_by_entry": {} if new else svc.appeals_by_entry([entry]),
           "in_overview": in_overview, "rank": where.rank, "sheet_count": where.sheet_count,
           "status_labels": STATUS_LABELS, "replaced": moved, "next": _sheet_url(sheet),
           **_links()}
    if in_overview:
        rank, ctx["rank_changes"] = _rank_changes(sheet, total_before)
        ctx.update(_overview_row(sheet, rank))
    response = render(ENTRY_CHANGED, **ctx)
    if place:
        if where.previous_id is None:
            _retarget(response, f"#entries-{sheet.id}", "afterbegin")
        else:
            _retarget(response, f"#entry-{where.previous_id}", "afterend")
    return trigger(response, CHANGED, *(() if new else (REVISED,)))


def _said(form) -> str:
    """A refusal that belongs to no field (the rule's message, put above the form)."""
    return " ".join(str(e) for e in form.form_errors) if form is not None else ""


class EntryAnswer:
    """What an entry change (``entry`` None: a new one) answers on its sheet: the row with the
    totals and version fields out of band (200); the form as typed with its messages (422);
    the whole sheet as it is now, in place of its body, the typing kept in its form (409)."""

    def __init__(self, sheet: ScoreSheet, *, in_overview: bool,
                 entry: ScoreEntry | None = None, find=None) -> None:
        self.sheet, self.entry, self.in_overview = sheet, entry, in_overview
        self.total_before = sheet.total
        self.day_before = entry.day if entry is not None else None
        # how a refusal finds the sheet again: one made for this entry is gone with it
        self.find = find

    def _now(self) -> ScoreSheet:
        """The sheet as it is now (after a refusal the runner has rolled back)."""
        if self.find is not None:
            self.sheet = self.find()
        return self.sheet

    def done(self, entry: ScoreEntry, message: str):
        return _entry_changed(self.sheet, entry, in_overview=self.in_overview,
                              total_before=self.total_before, new=self.entry is None,
                              moved=self.entry is not None and entry.day != self.day_before)

    def refused(self, form, message):
        sheet = self._now()
        if not sheet.editable:  # bad input on a locked sheet: the sheet says why
            return self._sheet(form, _(locked_message(sheet)))
        if self.entry is not None:
            correction = form if isinstance(form, EntryEditForm) else None
            return _row(self.entry, editing=True, edit_form=correction,
                        message=message or _said(form), in_overview=self.in_overview)
        form.sheet_version.data = sheet.version
        if not is_fragment_request():
            return render(SHEET, **body_context(sheet, form=form))
        _fill_choices(form, sheet)
        response = render("scoring/_entry_form.html", form=form, sheet=sheet, plain=False,
                          max_points=max_points())
        return _retarget(response, f"#entry-form-{sheet.id}")

    def conflict(self, form, message: str):
        locked = locked_message(self._now())
        return self._sheet(form, _(locked) if locked else _(
            "Someone else changed this sheet first. This is its current state; check it and "
            "try again."))

    def _sheet(self, form, message: str):
        """The whole sheet as it is now with ``message``; the form sent, as typed, where the
        sheet still offers it (its version fields the current ones)."""
        sheet = self.sheet
        if self.entry is None:
            if form is not None:
                form.sheet_version.data = sheet.version
            ctx = body_context(sheet, form=form, message=message, in_overview=self.in_overview)
        else:
            correction = form if isinstance(form, EntryEditForm) else None
            ctx = body_context(sheet, message=message, in_overview=self.in_overview,
                               editing=(self.entry.id, correction) if correction else None)
        if not is_fragment_request():
            return render(SHEET, **ctx)
        if self.in_overview:
            ctx.update(_overview_row(sheet, ctx["rank"]))
        response = render(SHEET, block="sheet_body", **ctx)
        return _retarget(response, f"#sheet-body-{sheet.id}")

    def location(self, entry) -> str:
        return _sheet_url(self.sheet)


def _rule_id(value: str | None) -> int | None:
    """The catalogue item chosen (-1: something that is none, which the service refuses)."""
    if not value:
        return None
    return int(value) if value.isdigit() else -1


@bp.route("/<int:year>/<int:month>/<int:user_id>/entries", methods=["POST"])
@require("scoring.record")
def add_entry(year: int, month: int, user_id: int):
    """R-P1: record a reward or penalty on the sheet (the inline row form)."""
    _month(year, month)
    the_sheet = _sheet_for_change(user_id, year, month)
    form = EntryForm()
    return actions.run(
        lambda: svc.add_entry(current_user, the_sheet, day=form.day.data,
                              points=form.points.data, reason=form.reason.data,
                              rule_id=_rule_id(form.rule.data), evidence=form.evidence.data,
                              link=form.link.data, sheet_version=form.sheet_version.data),
        form=form, answer=EntryAnswer(the_sheet, in_overview=_flag(form.in_overview.data),
                                      find=lambda: _sheet_for_change(user_id, year, month)),
        done=_l("The entry was recorded."), subject=the_sheet)


def _get_entry(entry_id: int) -> ScoreEntry:
    """The entry with its sheet, the sheet's person and the entry's appeals (one query)."""
    from portal.scoring.models import Appeal

    entry = db.session.scalars(
        sa.select(ScoreEntry).where(ScoreEntry.id == entry_id)
        .options(joinedload(ScoreEntry.sheet),
                 joinedload(ScoreEntry.appeals).options(
                     joinedload(Appeal.answered_by)).lazyload(Appeal.entry))).unique().first()
    if entry is None:
        abort(404)
    return entry


def _row(entry: ScoreEntry, *, editing: bool = False, edit_form=None,
         message: str | None = None, in_overview: bool = False):
    """One entry's row (htmx), or without JavaScript the entry's own page."""
    the_sheet = entry.sheet
    recorder = _recorder(the_sheet)
    ctx = {"entry": entry, "sheet": the_sheet, "recorder": recorder, "readonly": False,
           "editing": editing and recorder and entry.removed_at is None,
           "edit_form": edit_form, "row_message": message, "in_overview": in_overview,
           "revision_counts": svc.correction_counts([entry.id]),
           "appeals_by_entry": svc.appeals_by_entry([entry]), **_links()}
    return render(ENTRY_PAGE, block="entry_row", **ctx)


@bp.route("/entries/<int:entry_id>")
@require("scoring.overview")
def entry_row(entry_id: int):
    """One entry as its sheet shows it; ``?edit=1`` opens its correction and removal forms in
    the row (the row's "Correct"). Without JavaScript, the entry's own page."""
    entry = _get_entry(entry_id)
    return _row(entry, editing=_flag(request.args.get("edit")),
                in_overview=_flag(request.args.get("in_overview")))


def _entry_action(entry: ScoreEntry, form, work, done):
    """Correct or remove an entry: its row answers (200), or the row with the form and its
    messages (422), or the whole sheet as it is now (409)."""
    return actions.run(work, form=form, done=done, subject=entry,
                       answer=EntryAnswer(entry.sheet, entry=entry,
                                          in_overview=_flag(form.in_overview.data)))


@bp.route("/entries/<int:entry_id>/edit", methods=["POST"])
@require("scoring.record")
def edit_entry(entry_id: int):
    """Correct an entry of an editable sheet; the earlier value is kept."""
    entry = _get_entry(entry_id)
    form = EntryEditForm()
    return _entry_action(entry, form, lambda: svc.edit_entry(
        current_user, entry, form.version.data, day=form.day.data, points=form.points.data,
        reason=form.reason.data, evidence=form.evidence.data), _l("The entry was corrected."))


@bp.route("/entries/<int:entry_id>/remove", methods=["POST"])
@require("scoring.record")
def remove_entry(entry_id: int):
    """Remove an entry of an editable sheet; it stays visible, struck through."""
    entry = _get_entry(entry_id)
    form = EntryRemoveForm()
    return _entry_action(entry, form, lambda: svc.remove_entry(current_user, entry,
                                                               form.version.data),
                         _l("The entry was removed."))


@bp.route("/links/<kind>/<int:ident>")
@require("scoring.overview")
def open_link(kind: str, ident: int):
    """Open the record an entry links to (its page is looked up only when it is opened)."""
    url = svc.link_url(kind, ident)
    if url is None:
        abort(404)
    return redirect(url, 303)


@bp.route("/entries/new")
@require("scoring.record")
def new_entry():
    """Quick entry from another area's record: the entry form with person, date and link
    prefilled (R-P1); choosing a catalogue item refills reason and points (htmx: only the
    form answers)."""
    args = request.args
    user_id = args.get("user", type=int)
    if not user_id:
        abort(404)
    try:
        day = date.fromisoformat(args.get("day") or "")
    except ValueError:
        day = clock.today()
    month_or_404(day.year, day.month)
    the_sheet, rank, _fresh = _sheet_of(user_id, day.year, day.month)
    link = args.get("link") or (f"{args['link_type']}:{args['link_id']}"
                                 if args.get("link_type") and args.get("link_id") else "")
    data = {"day": day, "link": link, "reason": args.get("reason") or "",
            "evidence": args.get("evidence") or "",
            "points": args.get("points", type=int), "rule": args.get("rule") or ""}
    rule = db.session.get(ScoreRule, int(data["rule"])) if data["rule"].isdigit() else None
    if rule is not None and rule.active:
        data["reason"], data["points"] = rule.name, cat.signed(rule)
    in_overview = _flag(args.get("in_overview"))
    recorder = _recorder(the_sheet)
    form = _entry_form(the_sheet, None, in_overview=in_overview, **data) if recorder else None
    return render("scoring/new_entry.html", block="entry_form", plain=not _flag(args.get("inline")),
                  sheet=the_sheet, rank=rank[0], sheet_count=rank[1], entry_form=form,
                  status_labels=STATUS_LABELS, max_points=max_points())


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
    ov.ensure_month_sheets(year, month)  # committed after the answer (actions.commit_request)
    sort = request.args.get("sort") if request.args.get("sort") in ov.SORTS else ov.DEFAULT_SORT
    descending = request.args.get("dir") == "desc"
    return {"year": year, "month": month, "rows": ov.month_rows(year, month, sort, descending),
            "sort": sort, "descending": descending, "status_labels": STATUS_LABELS,
            "extra_columns": overview_columns(year, month), **_month_nav(year, month)}


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


def _rules_page(form=None, **extra):
    return render("scoring/rules.html", block="rule_form",
                  form=form or RuleForm(formdata=None), rules=cat.all_rules(), kinds=cat.KINDS,
                  **extra)


@bp.route("/rules")
@require("scoring.record")
def rules():
    """The catalogue of standard rewards and penalties."""
    return render("scoring/rules.html", form=RuleForm(formdata=None), rules=cat.all_rules(),
                  kinds=cat.KINDS)


class NewRuleAnswer:
    """The quick-add form: emptied, with the new item's row out of band; or as typed with
    its messages."""

    def done(self, rule: ScoreRule, message: str):
        return render("scoring/rules.html", block="rule_form", form=RuleForm(formdata=None),
                      created=rule, kinds=cat.KINDS)

    def refused(self, form, message):
        return _rules_page(form)

    conflict = refused

    def location(self, rule) -> str:
        return url_for("scoring.rules")


@bp.route("/rules", methods=["POST"])
@require("scoring.record")
def create_rule():
    """Add an item to the catalogue (quick-add at the top)."""
    form = RuleForm()
    return actions.run(
        lambda: cat.create_rule(current_user, kind=form.kind.data,
                                default_points=form.default_points.data,
                                description=form.description.data, active=form.active.data,
                                names=form.names()),
        form=form, answer=NewRuleAnswer(), done=_l("The item was added to the catalogue."))


class RuleRowAnswer:
    """A catalogue item's row answers its own save in place; without JavaScript, the page.
    After a conflict the row holds what was typed, its version the current one, and says
    what the item is now."""

    def __init__(self, rule: ScoreRule) -> None:
        self.rule = rule

    def _row(self, form=None, message: str | None = None, saved: bool = False):
        rule = self.rule
        if not is_fragment_request():
            return render("scoring/rules.html", form=RuleForm(formdata=None),
                          rules=cat.all_rules(), kinds=cat.KINDS, rule_message=message,
                          edit_forms={rule.id: form} if form else {})
        return render("scoring/rules.html", block="rule_row", rule=rule, edit_form=form,
                      kinds=cat.KINDS, rule_message=message, saved=saved)

    def done(self, rule, message: str):
        return self._row(saved=True)

    def refused(self, form, message):
        return self._row(form)

    def conflict(self, form, message: str):
        return self._row(form, _("Someone else changed this item first. This is its current "
                                 "state."))

    def location(self, rule) -> str:
        return url_for("scoring.rules")


@bp.route("/rules/<int:rule_id>", methods=["POST"])
@require("scoring.record")
def update_rule(rule_id: int):
    """Change or deactivate an item in place."""
    rule = db.get_or_404(ScoreRule, rule_id)
    form = RuleEditForm()
    return actions.run(
        lambda: cat.update_rule(current_user, rule, form.version.data, kind=form.kind.data,
                                default_points=form.default_points.data,
                                description=form.description.data, active=form.active.data,
                                names=form.names()),
        form=form, answer=RuleRowAnswer(rule), done=_l("The item was saved."), subject=rule)


# --- navigation and audit ------------------------------------------------------------------


_audit_entries = namer(ScoreEntry, ScoreEntry.reason, ScoreEntry.points,
                       fmt=lambda i, reason, points: f"#{i} {reason[:30]} ({points:+d})")
_audit_rules = namer(ScoreRule, ScoreRule.description, fmt=lambda i, text: f"#{i} {text[:30]}")


def register(app) -> None:
    """Navigation entry of the supervisor's and manager's pages, and audit labels."""
    from portal.ui import NavItem, register_audit, register_nav

    register_nav(app, NavItem("scoring.index", _l("Score sheets"), "scoring.overview",
                              order=50, active_prefix=ENDPOINTS))
    register_audit(app, actions={
        "scoring.rule_created": N_("Score catalogue item added"),
        "scoring.rule_changed": N_("Score catalogue item changed"),
        "scoring.entry_added": N_("Score entry recorded"),
        "scoring.entry_changed": N_("Score entry corrected"),
        "scoring.entry_removed": N_("Score entry removed"),
    }, fields={
        "kind": N_("Kind"), "default_points": N_("Points"), "description": N_("Description"),
        "names": N_("Names per language"), "active": N_("Active"), "day": N_("Date"),
        "points": N_("Points"),
        "reason": N_("Reason"), "evidence": N_("Evidence"), "link_type": N_("Linked record"),
        "link_id": N_("Linked record number"), "rule_id": N_("Catalogue item"),
        "removed_at": N_("Removed"),
    }, values={
        "kind": cat.KINDS,
        "link_type": {kind: source.label for kind, source in link_sources(app).items()},
    }, target=("score_entries", N_("Score entry"), _audit_entries))
    register_audit(app, target=("score_rules", N_("Score catalogue item"), _audit_rules))
