"""Cheap polls: a polled fragment answers 304 when nothing it shows changed, from the change
counters (one small query), never by rendering; and 200 with the new state after a change."""

import re

import pytest

from portal.auth.decorators import declared_permission
from tests.conftest import ROOT
from tests.live.conftest import HX
from tests.live.test_events import ARRIVAL


def poll(client, url, tag=None, **headers):
    if tag:
        headers["If-None-Match"] = tag
    return client.get(url, headers={**HX, **headers})


def test_the_bell_answers_304_until_a_notification_comes(app, client, sign_in, create_user,
                                                         create_notification, count_queries):
    user = sign_in(client, create_user("presales"))
    first = poll(client, "/notifications/bell")
    assert first.status_code == 200 and first.headers["ETag"].startswith('W/"')
    assert "private" in first.headers["Cache-Control"]
    tag = first.headers["ETag"]
    with count_queries(like_bench=True) as queries:
        again = poll(client, "/notifications/bell", tag)
    assert again.status_code == 304 and again.get_data() == b""
    assert queries.count <= 2, queries.statements  # the user, the counters
    create_notification(create_user("presales"))  # someone else's: nothing to fetch
    assert poll(client, "/notifications/bell", tag).status_code == 304
    create_notification(user)
    changed = poll(client, "/notifications/bell", tag)
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    assert 'class="bell-count" aria-hidden="true" >1<' in changed.get_data(as_text=True)


def test_the_board_answers_304_until_a_visitor_is_logged(desk, count_queries, freeze):
    first = poll(desk, "/showroom/board")
    tag = first.headers["ETag"]
    with count_queries(like_bench=True) as queries:
        assert poll(desk, "/showroom/board", tag).status_code == 304
    assert queries.count <= 2, queries.statements
    assert desk.post("/showroom/visits", data=ARRIVAL, headers=HX).status_code == 200
    changed = poll(desk, "/showroom/board", tag)
    assert changed.status_code == 200 and "王先生" in changed.get_data(as_text=True)
    # the board shows minutes waiting: a new minute is new content
    tag = changed.headers["ETag"]
    freeze("2026-11-22 09:31")
    assert poll(desk, "/showroom/board", tag).status_code == 200


def test_the_etag_depends_on_who_asks_and_in_which_language(app, desk, sign_in, create_user):
    tag = poll(desk, "/showroom/board").headers["ETag"]
    assert poll(desk, "/showroom/board", tag, **{"Accept-Language": "en"}).status_code in (
        200, 304)
    desk.post("/language", data={"locale": "zh_TW", "next": "/"})
    assert poll(desk, "/showroom/board", tag).status_code == 200  # another language
    colleague = app.test_client()
    sign_in(colleague, create_user("supervisor"))
    assert poll(colleague, "/showroom/board", tag).status_code == 200  # another person


def test_a_304_never_skips_the_permission(app, desk, sign_in, create_user):
    tag = poll(desk, "/showroom/board").headers["ETag"]
    presales = app.test_client()
    sign_in(presales, create_user("presales"))
    assert poll(presales, "/showroom/board", tag).status_code == 403


def test_a_whole_page_is_never_a_304(desk):
    page = desk.get("/showroom/board")
    assert "ETag" not in page.headers
    assert desk.get("/showroom/board", headers={"If-None-Match": "*"}).status_code == 200


def _polled_endpoints(app):
    """Every endpoint a template polls (hx-trigger="every …"), and the nav badges."""
    found = set()
    for path in (ROOT / "templates").rglob("*.html"):
        for tag in re.findall(r"<[^<]*?hx-trigger=\"[^\"]*every [^<]*?>", path.read_text()):
            match = re.search(r"hx-get=\"\{\{ url_for\('([\w.]+)'", tag)
            if match:
                found.add(match.group(1))
    found |= {item.badge_endpoint for item in app.extensions["portal_ui"]["nav"]
              if item.badge_endpoint}
    return sorted(found)


def test_every_polled_fragment_is_a_cheap_poll(app):
    endpoints = _polled_endpoints(app)
    assert "reception.board" in endpoints and "notifications.bell" in endpoints
    assert len(endpoints) >= 9
    for endpoint in endpoints:
        assert declared_permission(app, endpoint), endpoint
        assert getattr(app.view_functions[endpoint], "cheap_poll", None), endpoint


@pytest.mark.parametrize("junk", ['W/"', "*", '"' + "a" * 5000 + '"', "\x00", 'W/"x", "y"'])
def test_junk_etags_are_a_normal_poll(desk, junk):
    assert poll(desk, "/showroom/board", junk).status_code in (200, 304)
