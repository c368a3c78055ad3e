"""The month's score sheets as an .xlsx workbook (issue 5, item 10): the first worksheet has
one row per person; then one worksheet per person with their entries."""

from io import BytesIO

import sqlalchemy as sa
from flask_babel import gettext as _

from portal.extensions import db
from portal.scoring.models import ScoreEntry

STATUS = {"draft": "Draft", "submitted": "Submitted", "approved": "Approved",
          "returned": "Returned"}


def _title(name: str, used: set[str]) -> str:
    """A worksheet title: at most 31 characters, none of []:*?/\\, unique."""
    clean = "".join("_" if c in "[]:*?/\\" else c for c in name)[:28] or "-"
    title, n = clean, 2
    while title in used:
        title, n = f"{clean[:26]}~{n}", n + 1
    used.add(title)
    return title


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
    summary.append([_("Score sheets %(year)d-%(month)02d", year=year, month=month)])
    summary["A1"].font = Font(bold=True, size=13)
    summary.append([_("Staff member"), _("Role"), _("Base"), _("Rewards"), _("Penalties"),
                    _("Total"), _("Rank"), _("State"), _("Entries")])
    for cell in summary[2]:
        cell.font = Font(bold=True)
    used = {label}
    for row in rows:
        s = row.sheet
        live = [e for e in entries[s.id] if e.removed_at is None]
        summary.append([s.user.display_name, _(ROLE_LABELS.get(s.user.role, s.user.role)),
                        s.base_score, s.rewards, s.penalties, s.total, row.rank,
                        _(STATUS.get(s.status, s.status)), len(live)])
        ws = book.create_sheet(_title(s.user.display_name, used))
        ws.append([s.user.display_name, label, _("Total"), s.total])
        ws["A1"].font = Font(bold=True)
        ws.append([_("Date"), _("Reason"), _("Points"), _("Evidence"), _("Linked record"),
                   _("Recorded by"), _("Removed")])
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for e in entries[s.id]:
            ws.append([e.day, e.reason, e.points, e.evidence or "",
                       f"{e.link_type} #{e.link_id}" if e.link_type else "",
                       e.recorded_by.display_name, _("Removed") if e.removed_at else ""])
            ws.cell(ws.max_row, 1).number_format = "yyyy-mm-dd"
        ws.column_dimensions["A"].width = 12
        ws.column_dimensions["B"].width = 40
        ws.column_dimensions["D"].width = 40
    summary.column_dimensions["A"].width = 16
    out = BytesIO()
    book.save(out)
    return out.getvalue()
