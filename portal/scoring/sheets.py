"""The core of the score sheets, shared by every scoring module: which sheet, whether it may
change, its totals, and the month's ranking (R-P1, R-P3).

Every change to a sheet's entries goes through ``apply_totals`` so that the sheet row itself
is updated with its ``version``: a concurrent approval and an added entry can never both win.
"""

from datetime import date

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import flag_modified

from portal.auth.models import User
from portal.extensions import db
from portal.i18n import N_
from portal.rules import RuleError
from portal.scoring.models import ScoreEntry, ScoreSheet

# The staff whose work the supervisor scores (R-P1).
SCORED_ROLES = ("presales", "aftersales", "order_clerk", "reception")

STATES = ("draft", "submitted", "approved", "returned")


class ScoringError(RuleError):
    """A score-sheet request the rules refuse (an ``N_()`` marker and its params)."""


def base_score() -> int:
    """The base every sheet starts from (SCORING_BASE_SCORE, default 100)."""
    return int(current_app.config.get("SCORING_BASE_SCORE", 100))


def max_points() -> int:
    """The largest |points| of one entry (SCORING_MAX_POINTS, default 50)."""
    return int(current_app.config.get("SCORING_MAX_POINTS", 50))


def check_month(year: int, month: int) -> None:
    """A real month, or ScoringError."""
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        raise ScoringError(N_("There is no such month."))


def month_or_404(year: int, month: int) -> None:
    """For views: a month in the URL that does not exist is a 404."""
    from flask import abort

    try:
        check_month(year, month)
    except ScoringError:
        abort(404)


def find_sheet(user_id: int, year: int, month: int) -> ScoreSheet | None:
    """The sheet if it exists."""
    return db.session.scalar(sa.select(ScoreSheet).where(
        ScoreSheet.user_id == user_id, ScoreSheet.year == year, ScoreSheet.month == month))


def get_sheet(user: User, year: int, month: int) -> ScoreSheet:
    """The user's sheet of the month, created on first use (R-P1) for scored staff."""
    check_month(year, month)
    sheet = find_sheet(user.id, year, month)
    return sheet if sheet is not None else new_sheet(user, year, month)


def new_sheet(user: User, year: int, month: int) -> ScoreSheet:
    """Start the user's sheet of the month (the caller knows there is none yet)."""
    if user.role not in SCORED_ROLES:
        raise ScoringError(N_("%(name)s has no score sheet."), name=user.display_name)
    sheet = ScoreSheet(user_id=user.id, year=year, month=month, base_score=base_score())
    db.session.add(sheet)
    db.session.flush()
    return sheet


def locked_message(sheet: ScoreSheet) -> str | None:
    """Why entries of ``sheet`` cannot change now (an ``N_()`` marker), or None (R-P3)."""
    if sheet.editable:
        return None
    if sheet.status == "approved":
        return N_("This sheet is approved and locked. The manager must reopen it before "
                  "anything changes.")
    return N_("This sheet has been submitted to the manager; it cannot change unless the "
              "manager returns it.")


def require_editable(sheet: ScoreSheet) -> None:
    """Entries change only on a draft or returned sheet; approved sheets are locked (R-P3)."""
    message = locked_message(sheet)
    if message is not None:
        raise ScoringError(message)


def in_month(sheet: ScoreSheet, day: date) -> bool:
    """True when ``day`` falls in the sheet's month."""
    return (day.year, day.month) == (sheet.year, sheet.month)


def apply_totals(sheet: ScoreSheet) -> None:
    """Recompute rewards and penalties from the live entries; the sheet's version moves on."""
    rows = db.session.execute(
        sa.select(ScoreEntry.points).where(ScoreEntry.sheet_id == sheet.id,
                                           ScoreEntry.removed_at.is_(None))
    ).scalars().all()
    sheet.rewards = sum(p for p in rows if p > 0)
    sheet.penalties = -sum(p for p in rows if p < 0)
    # touch the row even if the sums did not change: the version check guards the lock
    flag_modified(sheet, "rewards")


def _total(table):
    """The total of a sheet as SQL (base + rewards − penalties)."""
    return table.base_score + table.rewards - table.penalties


def _rank_columns(year, month, total):
    """(sheets above ``total`` in the month, sheets in the month) as scalar subqueries."""
    other = aliased(ScoreSheet)
    same_month = sa.and_(other.year == year, other.month == month)
    above = sa.select(sa.func.count()).select_from(other).where(same_month, _total(other) > total)
    count = sa.select(sa.func.count()).select_from(other).where(same_month)
    return above.scalar_subquery(), count.scalar_subquery()


def find_ranked(user_id: int, year: int, month: int) -> tuple[ScoreSheet, int, int] | None:
    """(sheet with its person, rank, number of sheets in the month) if the sheet exists: one
    query, where the sheet, then the month's sheets for the rank, took two."""
    above, count = _rank_columns(ScoreSheet.year, ScoreSheet.month, _total(ScoreSheet))
    row = db.session.execute(sa.select(ScoreSheet, above, count).where(
        ScoreSheet.user_id == user_id, ScoreSheet.year == year, ScoreSheet.month == month)
    ).first()
    return None if row is None else (row[0], row[1] + 1, row[2])


def rank_columns(sheet: ScoreSheet):
    """Scalar subqueries (sheets of the month with a higher total, sheets of the month) for
    ``sheet`` as it is in this transaction: put them in a SELECT that is run anyway.
    Ties share a rank (1, 2, 2, 4), as ``ranks`` gives."""
    return _rank_columns(sheet.year, sheet.month, sheet.total)


def month_sheets(year: int, month: int) -> list[ScoreSheet]:
    """The month's sheets with their people, highest total first (one query)."""
    return list(db.session.scalars(
        sa.select(ScoreSheet).where(ScoreSheet.year == year, ScoreSheet.month == month)
        .order_by((ScoreSheet.base_score + ScoreSheet.rewards - ScoreSheet.penalties).desc(),
                  ScoreSheet.user_id)
    ))


def ranks(sheets: list[ScoreSheet]) -> dict[int, int]:
    """{sheet id: rank} by total, ties sharing a rank (1, 2, 2, 4)."""
    return rank_by_total({sheet.id: sheet.total for sheet in sheets})


def rank_by_total(totals: dict[int, int]) -> dict[int, int]:
    """{sheet id: rank} from {sheet id: total}, ties sharing a rank (1, 2, 2, 4)."""
    result, previous, rank = {}, None, 0
    for position, (sheet_id, total) in enumerate(
            sorted(totals.items(), key=lambda item: -item[1]), start=1):
        if total != previous:
            rank, previous = position, total
        result[sheet_id] = rank
    return result
