"""Fixtures of the scoring tests: a supervisor, staff, the catalogue and sheets."""

import functools

import pytest
from flask_babel import force_locale

from portal.extensions import db
from portal.scoring import entries as svc
from portal.scoring.catalogue import seed_catalogue
from portal.scoring.sheets import get_sheet

HX = {"HX-Request": "true"}


def html(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def rules(db):
    """The seeded catalogue: {description: rule}."""
    made = seed_catalogue()
    db.session.commit()
    return {r.description: r for r in made}


@pytest.fixture
def supervisor(create_user):
    return create_user("supervisor", display_name="李主管")


@pytest.fixture
def staff(create_user):
    return create_user("presales", display_name="张小红")


@pytest.fixture
def sheet(freeze, staff):
    """张小红's sheet of 2026-11 (a draft), the clock on 2026-11-22."""
    freeze("2026-11-22 10:00")
    made = get_sheet(staff, 2026, 11)
    db.session.commit()
    return made


@pytest.fixture
def add(supervisor):
    """``add(sheet, points=-5, day=date(...), **fields)`` -> a committed entry."""
    from datetime import date

    def _add(the_sheet, points=-5, day=None, **fields):
        fields.setdefault("reason", "工位不整洁")
        fields.setdefault("evidence", "周会检查")  # R-P1: every entry has its evidence
        entry = svc.add_entry(supervisor, the_sheet, day=day or date(2026, 11, 3),
                              points=points, **fields)
        db.session.commit()
        return entry

    return _add


@pytest.fixture(autouse=True)
def request_context(app, db):
    """Services translate their messages (as sheets.py does): give them a request, in
    English like the test users, so assertions read the source texts."""
    with app.test_request_context(), force_locale("en"):
        yield


@pytest.fixture
def sql_statements(count_queries):
    """``with sql_statements() as n: ...`` then ``n.count``: the queries the block sent, counted
    as the budget counts them (bench/portal_app.py): without BEGIN/COMMIT, nor the SAVEPOINTs
    that stand for the app's commits in tests."""
    return functools.partial(count_queries, like_bench=True)
