"""The Today page renders the cards an area registers, for those allowed to see them."""

import pytest
from flask_babel import lazy_gettext as _l

from portal.auth.permissions import ROLES, role_can
from portal.ui import Card, cards_for, nav_for, register_card
from tests.conftest import today


@pytest.mark.parametrize("role", ROLES)
def test_each_role_lands_on_its_today_page(client, sign_in, create_user, role):
    sign_in(client, create_user(role))
    html = today(client).get_data(as_text=True)
    assert 'id="card-notifications"' in html
    assert ('id="card-staff"' in html) == role_can(role, "staff.manage")


@pytest.mark.parametrize("role", ROLES)
def test_navigation_lists_only_the_roles_pages(app, client, sign_in, create_user, role):
    from flask import url_for

    user = sign_in(client, create_user(role))
    html = today(client).get_data(as_text=True)
    nav = html.split('class="sidenav"', 1)[1].split("</nav>", 1)[0]
    with app.test_request_context():
        # a blueprint's name need not be its URL prefix (shifts lives under /roster/)
        hrefs = [url_for(item.endpoint) for item in nav_for(user)]
    for href in hrefs:
        assert f'href="{href}"' in nav
    assert ('href="/staff/"' in nav) == role_can(role, "staff.manage")
    assert ('href="/audit/"' in nav) == role_can(role, "audit.view")


def test_an_area_card_appears_for_its_permission_only(app, client, sign_in, create_user,
                                                      monkeypatch):
    registry = app.extensions["portal_ui"]
    monkeypatch.setitem(registry, "cards", list(registry["cards"]))
    seen = []
    register_card(app, Card("audit-test", _l("Audit trail"), "audit.view",
                            "notifications/_card.html",
                            lambda user: seen.append(user.id) or {"unread": 0, "latest": []}))
    manager = sign_in(client, create_user("manager"))
    assert 'id="card-audit-test"' in today(client).get_data(as_text=True)
    assert seen == [manager.id]
    assert "audit-test" in [c.key for c in cards_for(manager)]
    clerk = create_user("order_clerk")
    assert "audit-test" not in [c.key for c in cards_for(clerk)]


def test_today_shows_the_department_date(client, sign_in, create_user, freeze):
    freeze("2026-11-22 23:30")
    sign_in(client, create_user("presales"))
    assert "2026-11-22" in today(client).get_data(as_text=True)
