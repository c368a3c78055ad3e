"""The month overview (issue 5, item 5): every scored staff member's sheet with base,
rewards, penalties, total, rank and state, sortable.

Viewing a month creates the sheets of active scored staff that do not exist yet (one insert
for all of them), so every row is a real sheet that can be opened and ranked. The page's
query count does not grow with the staff: the users, the sheets (with their people joined)
and at most one insert.
"""

from dataclasses import dataclass

import sqlalchemy as sa

from portal.auth.models import User
from portal.extensions import db
from portal.scoring.models import ScoreSheet
from portal.scoring.sheets import (
    SCORED_ROLES,
    base_score,
    check_month,
    month_sheets,
    rank_columns,
    ranks,
)

SORTS = {
    "name": lambda row: (row.sheet.user.display_name,),
    "base": lambda row: (-row.sheet.base_score, row.rank),
    "rewards": lambda row: (-row.sheet.rewards, row.rank),
    "penalties": lambda row: (-row.sheet.penalties, row.rank),
    "total": lambda row: (row.rank, row.sheet.user.display_name),
    "rank": lambda row: (row.rank, row.sheet.user.display_name),
    "status": lambda row: (row.sheet.status, row.rank),
}
DEFAULT_SORT = "rank"


@dataclass
class OverviewRow:
    sheet: ScoreSheet
    rank: int


def ensure_month_sheets(year: int, month: int) -> int:
    """Create the missing sheets of the month's active scored staff; how many were made."""
    check_month(year, month)
    missing = db.session.scalars(
        sa.select(User.id).where(User.role.in_(SCORED_ROLES), User.active.is_(True),
                                 ~sa.exists().where(ScoreSheet.user_id == User.id,
                                                    ScoreSheet.year == year,
                                                    ScoreSheet.month == month))).all()
    if missing:
        base = base_score()
        db.session.execute(sa.insert(ScoreSheet), [
            {"user_id": uid, "year": year, "month": month, "base_score": base, "rewards": 0,
             "penalties": 0, "status": "draft", "version": 1} for uid in missing])
    return len(missing)


def month_rows(year: int, month: int, sort: str | None = None,
               descending: bool = False) -> list[OverviewRow]:
    """The month's rows sorted by ``sort`` (rank when unknown)."""
    sheets = month_sheets(year, month)
    rank_of = ranks(sheets)
    rows = [OverviewRow(sheet, rank_of[sheet.id]) for sheet in sheets]
    rows.sort(key=SORTS.get(sort or DEFAULT_SORT, SORTS[DEFAULT_SORT]), reverse=descending)
    return rows


def sheet_rank(sheet: ScoreSheet) -> tuple[int, int]:
    """(rank, number of sheets) of ``sheet`` in its month (one query)."""
    above, count = db.session.execute(sa.select(*rank_columns(sheet))).one()
    return above + 1, count
