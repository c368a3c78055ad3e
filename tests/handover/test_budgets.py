"""The handover book within the issue-8 budgets, however many items a shift has: every
action ≤ 10 SQL statements and ≤ 5 KB; the book page ≤ 60 KB, showing a page of each list
with a link to the next; the history's htmx answers ≤ 5 KB, paged by "more" rows."""

import re
from datetime import date

import pytest

from portal.extensions import db
from portal.handover import services as svc
from portal.handover.models import HandoverAck
from portal.handover.views import HISTORY_FETCH, HISTORY_PAGE
from portal.notifications.models import Notification
from portal.shifts.models import RosterEntry, RosterMonth
from tests.conftest import count_rows
from tests.handover.conftest import HX

QUERIES = 10
FRAGMENT_BYTES = 5000
PAGE_BYTES = 60_000
LONG = "客户来电说收到的茶具少了一个杯子，已让客户拍照，照片还没发过来，请下一班继续跟进。" * 12


def size(response) -> int:
    return len(response.get_data())


def html(response) -> str:
    return response.get_data(as_text=True)


def cards(body: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li id="handover-item-(\d+)"', body)]


def on_duty(user, shift_types, day: date, code: str) -> None:
    """``user`` is on the published roster for ``code`` on ``day``."""
    month = db.session.query(RosterMonth).filter_by(year=day.year, month=day.month).first()
    if month is None:
        month = RosterMonth(year=day.year, month=day.month, status="published")
        db.session.add(month)
        db.session.flush()
    db.session.add(RosterEntry(month_id=month.id, user_id=user.id, day=day,
                               shift_type_id=shift_types[code].id))
    db.session.commit()


@pytest.fixture
def night(create_user, write, freeze, shift_types):
    """Three items of the day shift by its author; the clock then on the night shift."""
    author = create_user("presales", display_name="白班小王")
    items = [write(author, at=f"2026-11-22 15:{10 + n}", order_no=f"TB{n}",
                   customer_ref=f"C{n}", text=f"第{n}件事：客户要求修改地址") for n in range(3)]
    freeze("2026-11-22 16:10")
    return {"author": author, "items": items}


@pytest.mark.parametrize(("rostered", "locale"), [(False, "en"), (True, "zh_CN")],
                         ids=["by-the-clock", "on-the-roster"])
def test_every_action_within_ten_statements_and_five_kilobytes(
        client, sign_in, create_user, statements, shift_types, night, rostered, locale):
    reader = create_user("aftersales", display_name="晚班小赵", locale=locale)
    if rostered:  # the roster's shift, as for staff on duty (the bench's people)
        on_duty(reader, shift_types, date(2026, 11, 22), "night")
    sign_in(client, reader)
    first, second, third = night["items"]

    def act(url, data=None, expect_trigger=True):
        with statements() as seen:
            response = client.post(url, data=data or {}, headers=HX)
        assert response.status_code == 200, (url, html(response)[:300])
        assert len(seen) <= QUERIES, (url, len(seen), seen)
        assert size(response) <= FRAGMENT_BYTES, (url, size(response))
        assert ("handover-changed" in (response.headers.get("HX-Trigger") or "")) \
            == expect_trigger
        return response

    act("/handover/desk/items", {"category": "order_problem", "priority": "urgent",
                                 "text": LONG, "order_no": "TB20261122-0402",
                                 "customer_ref": "mama_baby_shop",
                                 "customer_request": LONG[:300]})
    signed = act(f"/handover/desk/items/{first.id}/sign")
    assert "晚班小赵 16:10" in html(signed)
    taken = act(f"/handover/desk/items/{second.id}/take-over", {"version": second.version})
    assert "晚班小赵" in html(taken) and "/take-over" not in html(taken)
    # the author is told, in the same transaction as the take-over
    assert count_rows(Notification, Notification.user_id == night["author"].id) == 1

    with statements() as seen:
        card = client.get(f"/handover/desk/items/{second.id}/close", headers=HX)
    assert card.status_code == 200 and len(seen) <= QUERIES and size(card) <= FRAGMENT_BYTES
    version = re.search(r'name="version" value="(\d+)"', html(card)).group(1)
    closed = act(f"/handover/desk/items/{second.id}/close",
                 {"version": version, "resolution": "已补发"})
    assert "已补发" in html(closed)

    # a supervisor closes an item someone else follows: the follower is told
    db.session.refresh(third)
    svc.take_over(reader, third, third.version)
    db.session.commit()  # the request's end (the runner commits)
    sign_in(client, create_user("supervisor", locale=locale))
    act(f"/handover/desk/items/{third.id}/supervisor-close",
        {"version": third.version, "resolution": "主管已处理"})
    assert count_rows(Notification, Notification.user_id == reader.id) == 1


def test_the_showroom_book_actions_within_budget(client, sign_in, create_user, statements,
                                                 write, freeze, shift_types):
    item = write(create_user("reception"), at="2026-11-22 15:00", book="showroom",
                 text="咖啡机提示除垢")
    freeze("2026-11-22 16:05")
    sign_in(client, create_user("reception"))
    for url, data in [("/handover/showroom/items", {"category": "showroom", "text": "茶歇"}),
                      (f"/handover/showroom/items/{item.id}/sign", {}),
                      (f"/handover/showroom/items/{item.id}/take-over",
                       {"version": item.version})]:
        with statements() as seen:
            response = client.post(url, data=data, headers=HX)
        assert response.status_code == 200, url
        assert len(seen) <= QUERIES and size(response) <= FRAGMENT_BYTES, (url, len(seen))


def test_signing_twice_and_a_lost_race_stay_within_budget(app, client, sign_in, create_user,
                                                          statements, night):
    item = night["items"][0]
    sign_in(client, create_user("presales"))
    client.post(f"/handover/desk/items/{item.id}/sign", headers=HX)
    with statements() as seen:
        again = client.post(f"/handover/desk/items/{item.id}/sign", headers=HX)
    assert again.status_code == 200 and len(seen) <= QUERIES
    assert count_rows(HandoverAck) == 1
    other = app.test_client()
    sign_in(other, create_user("aftersales"))
    stale = item.version
    assert other.post(f"/handover/desk/items/{item.id}/take-over", data={"version": stale},
                      headers=HX).status_code == 200
    with statements() as seen:
        lost = client.post(f"/handover/desk/items/{item.id}/take-over",
                           data={"version": stale}, headers=HX)
    assert lost.status_code == 409 and len(seen) <= QUERIES
    assert size(lost) <= FRAGMENT_BYTES


def test_the_items_page_and_a_correction_within_budget(client, sign_in, create_user,
                                                       statements, write):
    author = create_user("presales")
    item = write(author, text="原来的文字")
    sign_in(client, author)
    with statements() as seen:
        page = client.get(f"/handover/desk/items/{item.id}")
    assert page.status_code == 200 and len(seen) <= QUERIES
    version = item.version  # read before counting: the test's own reload is not the request's
    with statements() as seen:
        response = client.post(f"/handover/desk/items/{item.id}/edit",
                               data={"version": version, "text": "改正后的文字"}, headers=HX)
    assert response.status_code == 200 and len(seen) <= QUERIES
    assert size(response) <= FRAGMENT_BYTES
    assert "Signatures and take-overs" not in html(response)  # unchanged: not sent again


def test_a_conflicting_take_over_notifies_nobody(create_user, night):
    item = night["items"][0]
    stale = item.version
    svc.take_over(create_user("aftersales"), item, stale)
    with pytest.raises(svc.Conflict):
        svc.take_over(create_user("presales"), item, stale)
    assert count_rows(Notification) == 1  # the first take-over's


# --- the book: bounded, paged --------------------------------------------------------------


@pytest.fixture
def crowded(create_user, write, freeze, shift_types):
    """A shift that inherits 40 open items (long texts, every detail, a few urgent, each
    signed by six colleagues) and has written 25 itself."""
    authors = [create_user("presales"), create_user("aftersales")]
    waiting = []
    for n in range(40):
        waiting.append(write(
            authors[n % 2], at=f"2026-11-2{1 + n % 2} {10 + n % 5}:{n:02d}", text=LONG,
            priority="urgent" if n % 7 == 0 else "normal", order_no=f"TB20261121-{n:04d}",
            customer_ref=f"customer_{n:04d}", purchase_date=date(2026, 11, 1),
            return_tracking=f"SF{n:012d}", customer_request=LONG[:400]))
    freeze("2026-11-22 16:30")
    readers = [create_user("order_clerk") for _ in range(6)]
    for item in waiting:
        for reader in readers:
            svc.sign(reader, item)
    db.session.commit()
    written = [write(authors[n % 2], at=f"2026-11-22 17:{n:02d}", text=LONG[:200],
                     order_no=f"TB{n}") for n in range(25)]
    freeze("2026-11-22 18:00")
    return {"waiting": waiting, "written": written}


@pytest.mark.parametrize(("role", "locale"), [("presales", "zh_CN"), ("supervisor", "zh_CN"),
                                             ("order_clerk", "en")])
def test_the_book_stays_under_60_kilobytes_however_many_items(
        client, sign_in, create_user, statements, crowded, role, locale):
    sign_in(client, create_user(role, locale=locale))
    with statements() as seen:
        response = client.get("/handover/desk/")
    assert response.status_code == 200
    assert size(response) <= PAGE_BYTES, size(response)
    assert len(seen) <= QUERIES
    body = html(response)
    waiting = body.split('id="handover-waiting"', 1)[1].split("</ol>", 1)[0]
    assert len(cards(waiting)) == svc.WAITING_PAGE
    assert 'rel="next"' in waiting
    if role != "supervisor":
        written = body.split('id="handover-written"', 1)[1].split("</ol>", 1)[0]
        assert len(cards(written)) == svc.WRITTEN_PAGE and 'rel="next"' in written
    # long texts are cut in the book, whole on the item's page
    assert LONG not in body and f'{LONG[:119]}… <a href="/handover/desk/items/' in body
    item = crowded["waiting"][0]
    assert LONG in html(client.get(f"/handover/desk/items/{item.id}"))


def _follow(client, url: str, marker: str) -> list[list[int]]:
    """The ids of each page of one list, following its "next" link to the end."""
    pages = []
    while url:
        body = html(client.get(url))
        part = body.split(f'id="{marker}"', 1)[1].split("</ol>", 1)[0]
        pages.append(cards(part))
        link = re.search(r'<a href="([^"]+)" rel="next">', part)
        url = link.group(1).replace("&amp;", "&") if link else None
    return pages


def test_the_book_pages_through_each_list_in_order(client, sign_in, create_user, crowded,
                                                   shift_types):
    sign_in(client, create_user("presales"))
    waiting = _follow(client, "/handover/desk/", "handover-waiting")
    reading = svc.reading_slot(create_user("presales"))
    expected = [item.id for item in svc.waiting_items("desk", reading)]
    assert [i for page in waiting for i in page] == expected  # urgent first, oldest first
    assert [len(page) for page in waiting] == [15, 15, 10]
    urgent = {item.id for item in crowded["waiting"] if item.priority == "urgent"}
    assert set(waiting[0][:len(urgent)]) == urgent
    written = _follow(client, "/handover/desk/", "handover-written")
    assert [i for page in written for i in page] == sorted(
        (item.id for item in crowded["written"]), reverse=True)
    second = html(client.get(f"/handover/desk/?waiting={_cursor(client)}"))
    assert "Back to the first items" in second


def _cursor(client) -> str:
    body = html(client.get("/handover/desk/"))
    return re.search(r'\?waiting=([^"&]+)', body).group(1)


def test_a_tampered_cursor_shows_the_first_page(client, sign_in, create_user, crowded):
    sign_in(client, create_user("presales"))
    first = cards(html(client.get("/handover/desk/")))
    assert cards(html(client.get("/handover/desk/?waiting=zz&written=zz"))) == first
    # a NUL anywhere in the address is refused before any cursor is read (a clear 400)
    assert client.get("/handover/desk/?waiting=zz&written=%00").status_code == 400


# --- history ---------------------------------------------------------------------------------


def test_history_fragments_stay_under_5_kilobytes_and_page_with_more_rows(
        client, sign_in, create_user, statements, crowded):
    sign_in(client, create_user("aftersales"))
    total = len(crowded["waiting"]) + len(crowded["written"])
    page = client.get("/handover/desk/history")
    rows = re.findall(r'<tr(?: class="urgent")?><td>', html(page))
    assert len(rows) == HISTORY_PAGE and "<html" in html(page)
    assert 'class="more-row"' not in html(page)  # the page pages by its links

    with statements() as seen:
        fragment = client.get("/handover/desk/history?q=茶具", headers=HX)
    assert fragment.status_code == 200 and len(seen) <= QUERIES
    assert size(fragment) <= FRAGMENT_BYTES, size(fragment)
    body = html(fragment)
    assert "<html" not in body and body.lstrip().startswith('<div id="history-table"')
    seen_ids = re.findall(r'/handover/desk/items/(\d+)"', body)
    assert len(seen_ids) == HISTORY_FETCH
    while (more := re.search(r'hx-get="([^"]+)"', body.split('class="more-row"')[-1])
           if 'class="more-row"' in body else None):
        response = client.get(more.group(1).replace("&amp;", "&"), headers=HX)
        body = html(response)
        assert response.status_code == 200 and size(response) <= FRAGMENT_BYTES
        assert body.lstrip().startswith("<tr") and "<table" not in body
        seen_ids += re.findall(r'/handover/desk/items/(\d+)"', body)
    assert len(seen_ids) == len(set(seen_ids)) == total


def test_history_rows_without_javascript_are_the_page_from_there(client, sign_in, create_user,
                                                                 crowded):
    sign_in(client, create_user("aftersales"))
    body = html(client.get("/handover/desk/history", headers=HX))
    link = re.search(r'class="more-row"><td colspan="6"><a href="([^"]+)"', body).group(1)
    page = client.get(link.replace("&amp;", "&"))
    assert page.status_code == 200 and "<html" in html(page)
    assert 'rel="prev"' in html(page)  # newer: back towards the newest
