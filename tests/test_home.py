"""The Today page renders the cards an area registers, for those allowed to see them."""

import re

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


def test_the_navigation_comes_in_groups_named_for_screen_readers(client, sign_in, create_user):
    """NAV_GROUPS: the supervisor's forty entries under headings, each group a list named by
    its heading; the first group, and a group of one entry, without a heading."""
    sign_in(client, create_user("supervisor"))
    nav = today(client).get_data(as_text=True).split('class="sidenav"', 1)[1] \
        .split("</nav>", 1)[0]
    headings = re.findall(r'<p class="nav-group" id="nav-(\w+)">([^<]+)</p>', nav)
    assert [key for key, _label in headings] == [
        "shifts", "showroom", "orders", "aftersales", "customers", "voice", "scores", "admin"]
    assert ("voice", "The customer's voice") in headings
    for key, _label in headings:
        assert f'<ul aria-labelledby="nav-{key}">' in nav
    first = nav.split("<ul>", 1)[1].split("</ul>", 1)[0]
    assert re.findall(r'href="([^"]+)"', first) == ["/", "/search", "/notifications/"]
    # the order of the old flat list is kept inside a group: the handover book before the roster
    shifts = nav.split('aria-labelledby="nav-shifts">', 1)[1].split("</ul>", 1)[0]
    assert shifts.index("/handover/desk/") < shifts.index("/roster/")


def test_a_group_of_one_entry_has_no_heading(client, sign_in, create_user):
    sign_in(client, create_user("reception"))
    nav = today(client).get_data(as_text=True).split('class="sidenav"', 1)[1] \
        .split("</nav>", 1)[0]
    assert 'id="nav-customers"' not in nav and 'href="/customers/"' in nav
    assert 'id="nav-showroom"' in nav
