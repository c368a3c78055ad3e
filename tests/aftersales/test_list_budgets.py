"""The after-sales lists within issue 8's budgets however many rows there are: a page <= 60 KB
of HTML, an htmx answer (a filter, a search, each "show more") <= 5 KB, <= 10 SQL queries;
what is cut is paged ("show more" in place, the next page without JavaScript)."""

import re
from datetime import date

import pytest

from portal.aftersales import visits as visits_svc
from portal.aftersales.case_views import PER_PAGE, ROWS_FETCHED
from portal.aftersales.desk_views import (
    DONE_SHOWN,
    QUEUE_FETCHED,
    QUEUE_PAGE,
    VISITS_FETCHED,
    VISITS_PAGE,
)
from portal.aftersales.models import CaseEvent
from portal.aftersales.parcel_views import ROWS_FETCHED as PARCELS_FETCHED
from portal.audit.models import AuditEvent
from portal.notifications.models import Notification
from tests.aftersales.fixtures_desk import *  # noqa: F403
from tests.aftersales.fixtures_desk import HX
from tests.conftest import count_rows

PAGE_BYTES = 60 * 1024
FRAGMENT_BYTES = 5 * 1024
QUERIES = 10
TODAY = date(2026, 11, 22)


def get(client, count_queries, url, htmx=False):
    """(response, its SQL queries as the bench counts them)."""
    with count_queries(like_bench=True) as counter:
        response = client.get(url, headers=HX if htmx else {})
    assert response.status_code == 200, url
    return response, counter.count


def within(response, queries, limit):
    size = len(response.get_data())
    assert size <= limit, f"{response.request.full_path}: {size} bytes"
    assert queries <= QUERIES, f"{response.request.full_path}: {queries} queries"
    return response.get_data(as_text=True)


def more_link(body: str) -> str:
    return re.search(r'hx-get="([^"]+)"[^>]*>Show more<', body).group(1).replace("&amp;", "&")


@pytest.fixture
def as_agent(client, sign_in, agent, freeze):
    freeze("2026-11-22 16:00")
    sign_in(client, agent)
    return client


@pytest.fixture
def as_supervisor(client, sign_in, supervisor, freeze):
    freeze("2026-11-22 16:00")
    sign_in(client, supervisor)
    return client


def many_cases(make_case, n, **fields):
    """``n`` cases with every column of a list row filled (the widest rows)."""
    fields.setdefault("type", "logistics")
    fields.setdefault("logistics_problem", "damaged")
    fields.setdefault("platform", "tmall")
    fields.setdefault("platform_status", "dispute")
    for i in range(n):
        make_case(at=f"2026-11-{1 + i % 21:02d} {8 + i % 12:02d}:{i % 60:02d}",
                  order_no=f"T20261122{i:010d}", return_courier="顺丰速运",
                  return_tracking_no=f"SF{i:013d}", **fields)


@pytest.mark.parametrize("query", ["view=all", "view=mine", "view=all&sla=breached",
                                   "view=all&type=logistics"])
def test_the_case_lists(as_agent, make_case, count_queries, query):
    many_cases(make_case, PER_PAGE + 10)
    page, queries = get(as_agent, count_queries, f"/aftersales/?{query}")
    body = within(page, queries, PAGE_BYTES)
    assert body.count('<tr class="as-row-') == PER_PAGE and 'rel="next"' in body
    fragment, queries = get(as_agent, count_queries, f"/aftersales/?{query}", htmx=True)
    body = within(fragment, queries, FRAGMENT_BYTES)
    assert body.count('<tr class="as-row-') == ROWS_FETCHED and "Show more" in body
    rows, queries = get(as_agent, count_queries, more_link(body), htmx=True)
    rows_body = within(rows, queries, FRAGMENT_BYTES)
    assert rows_body.lstrip().startswith("<tr") and "<thead" not in rows_body
    assert rows_body.count('<tr class="as-row-') == ROWS_FETCHED
    first = set(re.findall(r'href="/aftersales/(\d+)"', body))
    assert first.isdisjoint(re.findall(r'href="/aftersales/(\d+)"', rows_body))


def test_the_parcels(client, sign_in, clerk, make_case, count_queries, freeze):
    freeze("2026-11-22 16:00")
    sign_in(client, clerk)
    many_cases(make_case, 60, state="waiting_parcel", interception_state="intercepted")
    page, queries = get(client, count_queries, "/aftersales/parcels")
    body = within(page, queries, PAGE_BYTES)
    assert body.count('<tr id="parcel-') == 50
    fragment, queries = get(client, count_queries, "/aftersales/parcels?q=SF", htmx=True)
    body = within(fragment, queries, FRAGMENT_BYTES)
    assert body.count('<tr id="parcel-') == PARCELS_FETCHED and "Show more" in body
    rows, queries = get(client, count_queries, more_link(body), htmx=True)
    assert within(rows, queries, FRAGMENT_BYTES).count('<tr id="parcel-') == PARCELS_FETCHED


def test_the_refund_and_dispute_queue(as_supervisor, make_case, count_queries):
    many_cases(make_case, QUEUE_PAGE + 10, platform_since="2026-11-20 10:00")
    page, queries = get(as_supervisor, count_queries, "/aftersales/queue")
    body = within(page, queries, PAGE_BYTES)
    assert body.count('<tr id="queue-case-') == QUEUE_PAGE
    assert f'<span class="count">{QUEUE_PAGE + 10}</span>' in body
    rows, queries = get(as_supervisor, count_queries, more_link(body), htmx=True)
    rows_body = within(rows, queries, FRAGMENT_BYTES)
    assert rows_body.count('<tr id="queue-case-') == QUEUE_FETCHED and "Show more" in rows_body
    shown = re.findall(r'id="queue-case-(\d+)"', body)
    assert set(shown).isdisjoint(re.findall(r'id="queue-case-(\d+)"', rows_body))
    # the page after the last one shown, without JavaScript
    plain = re.search(r'<a href="([^"]+)" hx-get', body).group(1).replace("&amp;", "&")
    rest, queries = get(as_supervisor, count_queries, plain)
    assert within(rest, queries, PAGE_BYTES).count('<tr id="queue-case-') == 10
    # reminding them all: one INSERT per table, however long the queue
    with count_queries(like_bench=True) as counter:
        response = as_supervisor.post("/aftersales/queue/remind-all", headers=HX)
    assert response.status_code == 204 and counter.count <= QUERIES
    assert count_rows(Notification) == QUEUE_PAGE + 10
    assert count_rows(CaseEvent, CaseEvent.kind == "remind") == QUEUE_PAGE + 10
    assert count_rows(AuditEvent, AuditEvent.action == "aftersales.reminded") == QUEUE_PAGE + 10


def test_the_return_visits(as_agent, make_visit, make_case, count_queries, agent):
    for i in range(VISITS_PAGE + 10):
        make_visit(date(2026, 11, 1 + i % 21), case=make_case(
            state="closed", sla_state="stopped", problem="收到的茶杯有裂纹，" * 30))
    page, queries = get(as_agent, count_queries, "/aftersales/visits")
    body = within(page, queries, PAGE_BYTES)
    assert body.count('class="visit-row') == VISITS_PAGE and 'class="visit-form"' not in body
    rows, queries = get(as_agent, count_queries, more_link(body), htmx=True)
    assert within(rows, queries, FRAGMENT_BYTES).count('class="visit-row') == VISITS_FETCHED
    fragment, queries = get(as_agent, count_queries, "/aftersales/visits", htmx=True)
    assert within(fragment, queries, FRAGMENT_BYTES).count('class="visit-row') == VISITS_FETCHED
    # today's recorded visits: the latest few, then "show more"
    for visit in visits_svc.due(TODAY, limit=DONE_SHOWN + 5):
        visits_svc.record(agent, visit, visit.version, "reached", 5, "满意")
    done, queries = get(as_agent, count_queries, "/aftersales/visits/done", htmx=True)
    body = within(done, queries, FRAGMENT_BYTES)
    assert body.count('<td class="num">5</td>') == DONE_SHOWN
    assert f'<span class="count">{DONE_SHOWN + 5}</span>' in body
    rest, queries = get(as_agent, count_queries, more_link(body), htmx=True)
    assert within(rest, queries, FRAGMENT_BYTES).count('<td class="num">5</td>') == 5
