"""Fixtures of the visitor-log tests: a menu, parties arriving, signed-in clients."""

import pytest

from portal.extensions import db
from portal.reception import menu as menu_svc
from portal.reception import visitors as svc
from portal.reception.models import ChecklistItem

HX = {"HX-Request": "true"}


@pytest.fixture
def receptionist(create_user):
    return create_user("reception", display_name="赵前台")


@pytest.fixture
def mark_consultant(create_user):
    """``mark_consultant(user)`` -> the user, marked as a showroom consultant."""
    from portal.reception.models import Consultant

    def _mark(user):
        db.session.add(Consultant(user_id=user.id, marked_by_id=user.id))
        db.session.commit()
        db.session.refresh(user)  # loaded again now, not inside a counted request
        return user

    return _mark


@pytest.fixture
def consultant(create_user, mark_consultant):
    """张小红 (presales), marked as a showroom consultant."""
    return mark_consultant(create_user("presales", display_name="张小红"))


@pytest.fixture
def menu(receptionist):
    """A small menu: 矿泉水 and 可乐 (drinks), 饼干 (a snack); {name: MenuItem}."""
    made = {name: menu_svc.add_item(receptionist, name=name, kind=kind)
            for name, kind in (("矿泉水", "drink"), ("可乐", "drink"), ("饼干", "snack"))}
    db.session.commit()  # the services only flush; a request's end would discard them
    return made


@pytest.fixture
def fridge_item():
    """A counted checklist item (the fridge's cola) a drink can draw on."""
    item = ChecklistItem(name="可乐(冰箱)", group="fridge", counted=True, expected_count=12,
                         restock_level=4)
    db.session.add(item)
    db.session.commit()
    return item


@pytest.fixture
def arrive(freeze, receptionist, consultant):
    """``arrive(at="2026-11-22 09:30", **fields)`` -> a new Visit logged by reception."""

    def _arrive(at="2026-11-22 09:30", by=None, **fields):
        freeze(at)
        fields.setdefault("party_size", 2)
        fields.setdefault("purpose", "viewing")
        fields.setdefault("source", "walk_in")
        if "consultant_name" not in fields:
            fields.setdefault("consultant_id", consultant.id)
        visit = svc.arrive(by or receptionist, **fields)
        db.session.commit()  # the service only flushes (the runner commits in a request)
        return visit

    return _arrive


@pytest.fixture
def desk(client, sign_in, receptionist, freeze):
    """The client signed in as the receptionist, at 2026-11-22 09:30."""
    freeze("2026-11-22 09:30")
    sign_in(client, receptionist)
    return client
