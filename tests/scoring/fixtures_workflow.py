"""Fixtures of the workflow, deadline, appeals and own-sheet tests: people and sheets made
directly (no HTTP), so these tests do not depend on the entry pages."""

from datetime import date

import pytest

from portal.extensions import db
from portal.scoring.models import Appeal, ScoreEntry, ScoreSheet
from portal.scoring.sheets import apply_totals

YEAR, MONTH = 2026, 11


@pytest.fixture
def people(create_user):
    """A manager, a supervisor and two scored staff members (presales)."""
    return {
        "manager": create_user("manager"),
        "manager2": create_user("manager"),
        "supervisor": create_user("supervisor"),
        "staff": create_user("presales"),
        "other": create_user("aftersales"),
    }


@pytest.fixture
def make_sheet(people):
    """``make_sheet(user=None, status="draft", points=(5, -3), year=, month=)`` -> a
    committed ScoreSheet with entries and totals."""

    def _make(user=None, status="draft", points=(5, -3), year=YEAR, month=MONTH, **fields):
        user = user or people["staff"]
        sheet = ScoreSheet(user_id=user.id, year=year, month=month, base_score=100,
                           status=status, **fields)
        db.session.add(sheet)
        db.session.flush()
        for n, p in enumerate(points, start=1):
            db.session.add(ScoreEntry(sheet_id=sheet.id, day=date(year, month, n), points=p,
                                      reason=f"reason {n}", evidence="note",
                                      recorded_by_id=people["supervisor"].id))
        db.session.flush()
        apply_totals(sheet)
        db.session.commit()
        return sheet

    return _make


@pytest.fixture
def make_appeal(people):
    """``make_appeal(entry, user=None, comment="I was on break")`` -> an open Appeal."""

    def _make(entry, user=None, comment="I was on break"):
        appeal = Appeal(entry_id=entry.id, sheet_id=entry.sheet_id,
                        user_id=(user or people["staff"]).id, comment=comment, status="open")
        db.session.add(appeal)
        db.session.commit()
        return appeal

    return _make


def entries_of(sheet):
    """The sheet's entries by id."""
    import sqlalchemy as sa

    return list(db.session.scalars(sa.select(ScoreEntry).where(ScoreEntry.sheet_id == sheet.id)
                                   .order_by(ScoreEntry.id)))


HX = {"HX-Request": "true"}
