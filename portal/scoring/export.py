"""The month's score sheets as an .xlsx workbook (issue 5, item 10): the first worksheet has
one row per person; then one worksheet per person with their entries.

Every row goes through the portal's one cell writer (``portal.exports.append``): what staff
typed (a reason, evidence, a name) is text, never a formula on the manager's PC, and
characters a spreadsheet cannot hold are dropped, so one entry cannot fail the month's
export (issue 16, item 2). Removed entries are listed apart, under their own heading, with
their points as text: they are never read as live ones nor summed with them."""

import sqlalchemy as sa
from flask_babel import gettext as _

from portal.exports import append, clean_text, workbook_bytes
from portal.extensions import db
from portal.scoring.models import ScoreEntry
from portal.ui import link_sources

STATUS = {"draft": "Draft", "submitted": "Submitted", "approved": "Approved",
          "returned": "Returned"}


def _title(name: str, used: set[str]) -> str:
    """A worksheet title: at most 31 characters, none of []:*?/\\ nor what XML cannot hold,
    not starting or ending with an apostrophe, unique."""
    clean = "".join("_" if c in "[]:*?/\\" else c for c in clean_text(name)).strip("'")
    clean = clean[:28] or "-"
    title, n = clean, 2
    while title in used:
        title, n = f"{clean[:26]}~{n}", n + 1
    used.add(title)
    return title


def _link(entry: ScoreEntry) -> str:
    if not entry.link_type:
        return ""
    source = link_sources().get(entry.link_type)
    return f"{_(source.label) if source else entry.link_type} #{entry.link_id}"


def _entry_row(entry: ScoreEntry, points) -> list:
    return [entry.day, entry.shown_reason, points, entry.evidence or "", _link(entry),
            entry.recorded_by.display_name]


def export_xlsx(year: int, month: int, rows) -> bytes:
    """The workbook of the month; ``rows`` are the overview's rows (sheet, rank)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from portal.auth.permissions import ROLE_LABELS

    sheet_ids = [row.sheet.id for row in rows]
    entries: dict[int, list[ScoreEntry]] = {i: [] for i in sheet_ids}
    if sheet_ids:
        for entry in db.session.scalars(sa.select(ScoreEntry)
                                        .where(ScoreEntry.sheet_id.in_(sheet_ids))
                                        .order_by(ScoreEntry.day, ScoreEntry.id)):
            entries[entry.sheet_id].append(entry)
    book = Workbook()
    summary = book.active
    label = f"{year:04d}-{month:02d}"
    summary.title = label
    append(summary, [_("Score sheets %(year)d-%(month)02d", year=year, month=month)])
    summary["A1"].font = Font(bold=True, size=13)
    append(summary, [_("Staff member"), _("Role"), _("Base"), _("Rewards"), _("Penalties"),
                     _("Total"), _("Rank"), _("State"), _("Entries")])
    for cell in summary[2]:
        cell.font = Font(bold=True)
    used = {label}
    bold = Font(bold=True)
    for row in rows:
        s = row.sheet
        live = [e for e in entries[s.id] if e.removed_at is None]
        removed = [e for e in entries[s.id] if e.removed_at is not None]
        append(summary, [s.user.display_name, _(ROLE_LABELS.get(s.user.role, s.user.role)),
                         s.base_score, s.rewards, s.penalties, s.total, row.rank,
                         _(STATUS.get(s.status, s.status)), len(live)])
        ws = book.create_sheet(_title(s.user.display_name, used))
        append(ws, [s.user.display_name, label, _("Total"), s.total])
        ws["A1"].font = bold
        append(ws, [_("Date"), _("Reason"), _("Points"), _("Evidence"), _("Linked record"),
                    _("Recorded by")])
        for cell in ws[2]:
            cell.font = bold
        for e in live:
            ws.cell(append(ws, _entry_row(e, e.points)), 1).number_format = "yyyy-mm-dd"
        if removed:
            append(ws, [])
            ws.cell(append(ws, [_("Removed entries (not counted in the total)")]), 1).font = bold
            for e in removed:
                # the points as text: a removed entry is never summed with the live ones
                ws.cell(append(ws, _entry_row(e, f"{e.points:+d}")), 1).number_format = \
                    "yyyy-mm-dd"
        ws.column_dimensions["A"].width = 12
        ws.column_dimensions["B"].width = 40
        ws.column_dimensions["D"].width = 40
    summary.column_dimensions["A"].width = 16
    return workbook_bytes(book)
