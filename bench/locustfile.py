"""Virtual staff doing their day, for Locust (headless); started by ``bench.run``.

Each virtual user signs in as one account of the plan (``BENCH_PLAN``, a JSON file written by
``bench.run``) and works as a browser with htmx would: a full page, then the fragments the page
loads itself (``hx-trigger="load"``: the navigation badges) and, every 30 s, the ones it polls;
an htmx action is a POST with ``HX-Request`` and the CSRF header, after which the widgets that
listen to the response's ``HX-Trigger`` events are fetched again. Between steps it thinks.

Phases (``phase`` in the plan):

* ``mixed``  the day: 20 staff of every role (the plan's accounts) with the baseline users;
* ``burst``  the shift change: 50 staff arriving within the same minute, each signing in and
  working through the handover book at once, then going on with their day.

Every request is kept as a sample (name, milliseconds, bytes, SQL queries from the bench-only
``X-Query-Count`` header, ok) and written to the plan's ``samples`` file when the run ends.
Request names say what they are: ``page``, ``fragment``, ``action`` (htmx POST), ``signin``,
``baseline``.
"""

import html
import json
import os
import random
import re
import time
from collections import defaultdict
from datetime import datetime, timedelta
from itertools import count
from urllib.parse import quote
from zoneinfo import ZoneInfo

from locust import FastHttpUser, between, events, task

from bench.data.voice import ASKS, CATEGORY_WEIGHTS, SAID, WORK, WORK_WEIGHTS, fill_in
from bench.forms import fill, form_of, yes_no

PLAN = json.loads(open(os.environ["BENCH_PLAN"], encoding="utf-8").read())  # noqa: SIM115
TZ = ZoneInfo(PLAN.get("timezone", "Asia/Shanghai"))
THINK = PLAN.get("think", [1.0, 3.0])
POLL_SECONDS = 30
ACCOUNTS = PLAN["accounts"]  # [[username, role], ...] in the order users start
NEXT_ACCOUNT = count()
SAMPLES: dict[str, list] = defaultdict(list)
ERRORS: dict[str, list[str]] = defaultdict(list)
STARTED = time.time()
AGENT = "portal-bench (Locust)"

TAG = re.compile(r"<[a-zA-Z][^>]*\bhx-get=\"[^\"]*\"[^>]*>")
ATTR = re.compile(r"\b(hx-get|hx-trigger)=\"([^\"]*)\"")
CSRF_HEADER = re.compile(r"\"X-CSRFToken\": \"([^\"]+)\"")
CSRF_FIELD = re.compile(r"name=\"csrf_token\" type=\"hidden\" value=\"([^\"]+)\"")
NUMBER = re.compile(r"/\d+")


def route(path: str) -> str:
    """``/handover/desk/items/123/sign?x=1`` -> ``/handover/desk/items/<n>/sign``."""
    bare, _, query = path.partition("?")
    return NUMBER.sub("/<n>", bare) + ("?…" if query else "")


def hidden(body: str, name: str) -> str | None:
    """The value of the hidden input ``name`` in ``body``."""
    match = re.search(r"<input[^>]*\bname=\"" + re.escape(name) + r"\"[^>]*>", body)
    if not match:
        return None
    value = re.search(r"value=\"([^\"]*)\"", match.group(0))
    return html.unescape(value.group(1)) if value else None


@events.request.add_listener
def keep_sample(request_type, name, response_time, response_length, response=None,
                exception=None, **_kwargs):
    """Every request as a sample; the first few failures of each name with their reason."""
    queries = None
    if response is not None:
        try:
            value = response.headers.get("X-Query-Count")
            queries = int(value) if value is not None else None
        except (AttributeError, ValueError, TypeError):
            queries = None
    ok = exception is None
    SAMPLES[name].append((round(time.time() - STARTED, 3), round(response_time, 2),
                          response_length or 0, queries, ok))
    if not ok and len(ERRORS[name]) < 5:
        ERRORS[name].append(str(exception)[:300])


@events.quitting.add_listener
def write_samples(environment, **_kwargs):
    with open(PLAN["samples"], "w", encoding="utf-8") as out:
        json.dump({"phase": PLAN["phase"], "started": STARTED, "samples": SAMPLES,
                   "errors": ERRORS}, out)


class Browser:
    """What a browser keeps for one person: the CSRF token, the widgets of the current page
    (polled ones and the ones listening for events), when it last polled."""

    def __init__(self, user: "StaffUser") -> None:
        self.user = user
        self.csrf = ""
        self.current = "/"
        self.last_body = ""  # the current page as it came (its forms)
        self.polled: list[str] = []
        self.listeners: dict[str, list[str]] = {}
        self.last_poll = time.time()
        self.etags: dict[str, str] = {}

    def _get(self, path: str, name: str, fragment: bool, poll: bool = False) -> str:
        headers = {"HX-Request": "true", "HX-Current-URL": self.current} if fragment else {}
        if poll and path in self.etags:  # as the browser does: its copy, if still current
            headers["If-None-Match"] = self.etags[path]
        with self.user.client.get(path, headers=headers, name=name,
                                  catch_response=True) as response:
            if poll and response.status_code == 304:
                response.request_meta["name"] = f"{name} 304"  # nothing changed: not rendered
                return ""
            if response.status_code != 200:
                response.failure(f"{response.status_code} for GET {path}")
                return ""
            if poll and response.headers.get("ETag"):
                self.etags[path] = response.headers["ETag"]
            return response.text or ""

    def page(self, path: str) -> str:
        """A full page, then what it loads by itself."""
        body = self._get(path, f"page {route(path)}", False)
        if not body:
            return body
        self.current = path
        self.last_body = body
        token = CSRF_HEADER.search(body)
        self.csrf = token.group(1) if token else self.csrf
        self.polled, self.listeners = [], {}
        for tag in TAG.findall(body):
            attrs = dict(ATTR.findall(tag))
            url, triggers = html.unescape(attrs.get("hx-get", "")), attrs.get("hx-trigger", "")
            if not url:
                continue
            if re.search(r"(^|,)\s*load\b", triggers):
                self.fragment(url)
            if "every " in triggers:
                self.polled.append(url)
            for event in re.findall(r"([\w-]+) from:body", triggers):
                self.listeners.setdefault(event, []).append(url)
        return body

    def fragment(self, path: str) -> str:
        return self._get(path, f"fragment {route(path)}", True)

    def poll(self) -> None:
        """The widgets htmx polls (badges every 30 s, the bell)."""
        if time.time() - self.last_poll >= POLL_SECONDS:
            self.last_poll = time.time()
            for url in self.polled:
                self._get(url, f"fragment {route(url)} (poll)", True, poll=True)

    def action(self, path: str, data: dict, expect: int | tuple = 200) -> str:
        """An htmx POST; then the widgets that listen to the events it triggers, and the page
        an ``HX-Redirect`` names (htmx navigates there)."""
        headers = {"HX-Request": "true", "HX-Current-URL": self.current,
                   "X-CSRFToken": self.csrf}
        expected = expect if isinstance(expect, tuple) else (expect,)
        with self.user.client.post(path, data=data, headers=headers,
                                   name=f"action {route(path)}",
                                   catch_response=True) as response:
            if response.status_code not in expected:
                response.failure(f"{response.status_code} for POST {path}: "
                                 f"{(response.text or '')[:200]!r}")
                return ""
            body = response.text or ""
            fired = response.headers.get("HX-Trigger") or ""
            moved = response.headers.get("HX-Redirect")
        if moved:
            return self.page(moved)
        events_fired = []
        if fired:
            try:
                events_fired = list(json.loads(fired))
            except ValueError:
                events_fired = [e.strip() for e in fired.split(",")]
        for event in events_fired:
            for url in self.listeners.get(event, []):
                self.fragment(url)
        return body


def listen(user: "StaffUser") -> None:
    """The tab's ``/events`` stream, open while the user works (``BENCH_SSE_URL``: the gevent
    process serving it, else the portal's own address), opened again as the browser does
    when it ends. Each event the portal stamped with its publishing time is an "event to
    screen" sample: published -> received here. An answer other than 200 is a failed
    ``sse open``."""
    from urllib.parse import urlsplit

    import gevent

    base = urlsplit(os.environ.get("BENCH_SSE_URL") or user.host)
    while True:
        opened = time.perf_counter()
        try:
            _stream(user, base, opened)
        except (OSError, ValueError) as error:
            events.request.fire(request_type="SSE", name="sse open",
                                response_time=(time.perf_counter() - opened) * 1000,
                                response_length=0, exception=error, context={})
        gevent.sleep(2)  # the stream's ``retry:``


def _stream(user: "StaffUser", base, opened: float) -> None:
    import socket

    cookie = "; ".join(f"{c.name}={c.value}" for c in user.client.cookiejar)
    sock = socket.create_connection((base.hostname, base.port or 80), timeout=60)
    try:
        sock.sendall((f"GET /events HTTP/1.1\r\nHost: {base.netloc}\r\n"
                      f"User-Agent: {AGENT}\r\nAccept: text/event-stream\r\n"
                      f"Cookie: {cookie}\r\n\r\n").encode())
        buffer = b""
        while b"\r\n\r\n" not in buffer:
            chunk = sock.recv(4096)
            if not chunk:
                raise ValueError("the stream closed before its headers")
            buffer += chunk
        head, _, buffer = buffer.partition(b"\r\n\r\n")
        status = head.split(b"\r\n", 1)[0].decode("latin-1")
        if " 200 " not in status + " ":
            raise ValueError(f"/events answered {status}")
        events.request.fire(request_type="SSE", name="sse open",
                            response_time=(time.perf_counter() - opened) * 1000,
                            response_length=0, exception=None, context={})
        while True:
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                if line.startswith(b": at "):
                    latency = (time.time() - float(line[5:])) * 1000
                    events.request.fire(request_type="SSE", name="sse event-to-screen",
                                        response_time=latency, response_length=0,
                                        exception=None, context={})
            chunk = sock.recv(4096)
            if not chunk:
                return
            buffer += chunk
    finally:
        sock.close()


class StaffUser(FastHttpUser):
    """One member of staff: signs in, opens the Today page, then works as their role does."""

    wait_time = between(*THINK)
    weight = 10
    # the session is bound to the browser (address and user agent): the stream sends the same
    default_headers = {"User-Agent": AGENT}

    def on_start(self) -> None:
        index = next(NEXT_ACCOUNT)
        self.index = index
        self.username, self.role = ACCOUNTS[index % len(ACCOUNTS)]
        self.rng = random.Random(index)
        self.browser = Browser(self)
        self.taken: set[tuple[str, int]] = set()  # records this user already changed once
        self.sign_in()
        self.browser.page("/")
        if os.environ.get("BENCH_SSE_URL") and PLAN["phase"] == "mixed":
            import gevent

            self.stream = gevent.spawn(listen, self)  # the tab's live stream (/events)
        if PLAN["phase"] == "burst":
            self.shift_change()
        elif PLAN.get("smoke"):
            for step in SMOKE_STEPS[self.role]:  # every htmx action at least once
                getattr(self, step)()

    def on_stop(self) -> None:
        stream = getattr(self, "stream", None)
        if stream is not None:
            stream.kill(block=False)

    def sign_in(self) -> None:
        with self.client.get("/login", name="signin GET /login",
                             catch_response=True) as response:
            token = CSRF_FIELD.search(response.text or "")
            if response.status_code != 200 or not token:
                response.failure(f"sign-in page {response.status_code}")
                return
        form = {"csrf_token": token.group(1), "username": self.username,
                "password": PLAN["password"]}
        with self.client.post("/login", data=form, name="signin POST /login",
                              allow_redirects=False, catch_response=True) as response:
            if response.status_code != 303:
                response.failure(f"sign-in {response.status_code} for {self.username}")

    # -- the role's day ---------------------------------------------------------------------

    @task
    def day(self) -> None:
        self.browser.poll()
        steps = ROLE_STEPS[self.role]
        names, weights = zip(*steps, strict=True)
        getattr(self, self.rng.choices(names, weights)[0])()

    def shift_change(self) -> None:
        """The burst: the incoming shift reads and signs the book, the outgoing one writes."""
        book = "showroom" if self.role == "reception" else "desk"
        if self.role in ("manager", "supervisor"):
            self.browser.page("/handover/desk/")
            return
        # the incoming half signs what waits; the outgoing half writes for the next shift
        if self.index % 2:
            self.sign_items(book, 2)
        else:
            self.write_item(book)

    # steps shared by several roles
    def home(self) -> None:
        self.browser.page("/")

    def desk_book(self) -> None:
        self.sign_items("desk", 1)

    def showroom_book(self) -> None:
        self.sign_items("showroom", 1)

    def write_desk(self) -> None:
        self.write_item("desk")

    def write_showroom(self) -> None:
        self.write_item("showroom")

    def sign_items(self, book: str, how_many: int) -> None:
        body = self.browser.page(f"/handover/{book}/")
        items = self.signable(book, re.findall(rf"/handover/{book}/items/(\d+)/sign", body))
        for item in self.rng.sample(items, min(how_many, len(items))):
            self.wait_a_moment()
            self.browser.action(f"/handover/{book}/items/{item}/sign", {})

    def write_item(self, book: str) -> None:
        if not self.browser.current.startswith(f"/handover/{book}/"):
            self.browser.page(f"/handover/{book}/")
            self.wait_a_moment()
        problem = self.rng.random() < 0.4
        self.browser.action(f"/handover/{book}/items", {
            "category": "order_problem" if problem else ("showroom" if book == "showroom"
                                                         else "customer_follow_up"),
            "priority": "urgent" if self.rng.random() < 0.1 else "normal",
            "text": f"压测：客户来电询问订单进度，请下一班跟进（{self.username}）",
            "order_no": f"TB{self.rng.randrange(10**8):08d}" if problem else "",
            "customer_ref": f"C{self.rng.randrange(10**5):06d}" if problem else "",
            "purchase_date": "", "return_tracking": "", "customer_request": "",
        })

    def follow_up(self) -> None:
        """Take over an item of the book and close it with a resolution (R-H2, R-H3): the
        take-over button carries the version seen (name="version" value=…); the close form
        comes on request (a GET of the card with the form open)."""
        book = "showroom" if self.role == "reception" else "desk"
        body = self.browser.page(f"/handover/{book}/")
        index, count = self.share(BOOK_ROLES[book])
        offered = [(item, seen) for item, seen in re.findall(
            rf'<button[^>]*\bhx-post="/handover/{book}/items/(\d+)/take-over"[^>]*'
            r'\bname="version" value="(\d+)"', body)
            if int(item) % count == index]
        if not offered:
            return
        item, seen = self.rng.choice(offered)
        self.wait_a_moment()
        if not self.browser.action(f"/handover/{book}/items/{item}/take-over",
                                   {"version": seen}):
            return
        self.wait_a_moment()
        version = hidden(self.browser.fragment(f"/handover/{book}/items/{item}/close"),
                         "version")
        if version is None:
            return
        self.wait_a_moment()
        self.browser.action(f"/handover/{book}/items/{item}/close",
                            {"version": version, "resolution": "压测：已联系客户，处理完毕。"})

    def roster(self) -> None:
        self.browser.page("/roster/")

    def my_shifts(self) -> None:
        self.browser.page("/roster/me")

    def my_scores(self) -> None:
        self.browser.page("/scores/my")

    def notifications(self) -> None:
        self.browser.page("/notifications/")

    def handover_history(self) -> None:
        self.browser.page("/handover/desk/history")
        self.wait_a_moment()
        self.browser.fragment("/handover/desk/history?q=" + self.rng.choice(
            ("退款", "发票", f"C{self.rng.randrange(50000):06d}")))

    def audit(self) -> None:
        self.browser.page("/audit/")

    # pre-sales and after-sales: orders
    def order_search(self) -> None:
        self.browser.page("/orders/")
        self.wait_a_moment()
        self.browser.fragment("/orders/?q=" + self.rng.choice(PLAN["search_terms"]))

    def order_remark(self) -> None:
        orders = self.mine("remark_orders")
        if not orders:
            return self.order_search()
        order = self.rng.choice(orders)
        body = self.browser.page(f"/orders/{order}")
        version = hidden(body, "version")
        if version is None:
            return None
        self.wait_a_moment()
        self.browser.action(f"/orders/{order}/remarks", {
            "version": version, "remarks_shown": hidden(body, "remarks_shown") or "0",
            "kind": "other", "details": "客户要求周末送货",
            "receiver_name": "", "receiver_phone": "", "receiver_address": "",
            "line_id": "", "attributes": ""})
        return None

    def order_detail(self) -> None:
        self.browser.page(f"/orders/{self.rng.choice(PLAN['any_orders'])}")

    # customers (issue 17): the one search box, the customer's page, My calls today
    def customer_search(self) -> None:
        self.browser.page("/customers/")
        self.wait_a_moment()
        self.browser.fragment("/customers/?q=" + quote(self.rng.choice(PLAN["customer_terms"])))

    def customer_page(self) -> None:
        if "customers.record" not in PLAN["customer_pages"]:
            return self.customer_search()  # the story page is not in this build
        self.browser.page(f"/customers/{self.rng.choice(PLAN['any_customers'])}")
        return None

    def my_calls(self) -> None:
        if "customers.calls" not in PLAN["customer_pages"]:
            return self.customer_search()  # My calls is not in this build
        self.browser.page("/customers/calls")
        return None

    # distributors (issue 19): the bench data's 500 accounts have ids 1..500
    def distributor_account(self) -> None:
        self.browser.page(f"/distributors/{self.rng.randint(1, 500)}")

    def distributor_statement(self) -> None:
        self.browser.page(f"/distributors/{self.rng.randint(1, 500)}/statement")

    def review_queue(self) -> None:
        self.browser.page("/distributors/review")

    def allocation_run(self) -> None:
        """A run over the orders waiting for review (≈ 200): made, then its page (the
        action answers HX-Redirect); the run is never issued, so the load can repeat it."""
        self.browser.page("/distributors/allocation")
        self.wait_a_moment()
        self.browser.action("/distributors/allocation/new", {})
        self.browser.page("/distributors/allocation")

    # order clerks
    def queue(self) -> None:
        self.browser.page("/orders/queue")

    def flag_order(self) -> None:
        orders = self.mine("flag_orders")
        if not orders:
            return self.queue()
        order = self.rng.choice(orders)
        self.browser.page("/orders/queue")
        self.wait_a_moment()
        row = self.browser.fragment(f"/orders/queue/{order}/row")
        version = hidden(row, "version")
        if version is None:
            return None
        flag = "yellow" if "flag-yellow" not in row else "none"
        self.browser.action(f"/orders/queue/{order}/flag",
                            {"version": version, "flag": flag, "sku": "", "arrival": ""})
        return None

    def stock(self) -> None:
        self.browser.page("/orders/stock")

    # reception
    def showroom(self) -> None:
        self.browser.page("/showroom/")

    def log_visitor(self) -> None:
        if self.browser.current != "/showroom/":
            self.browser.page("/showroom/")
            self.wait_a_moment()
        now = datetime.now(TZ) - timedelta(minutes=1)
        self.browser.action("/showroom/visits", {
            "arrived_at": now.strftime("%Y-%m-%dT%H:%M"), "party_size": str(self.rng.randint(1, 4)),
            "purpose": "viewing", "source": "walk_in", "consultant_id": "",
            "consultant_name": "", "visitor_name": "", "phone": "", "note": ""})

    def serve(self) -> None:
        """Open a party's serve form on the board (it comes on request), then serve."""
        body = self.browser.page("/showroom/")
        index, count = self.share(("reception",))  # the parties only this user marks as left
        visits = [v for v in re.findall(r'hx-get="/showroom/visits/(\d+)/serve"', body)
                  if int(v) % count == index]
        if not visits or not PLAN["menu_items"]:
            return
        visit = self.rng.choice(visits)
        self.browser.fragment(f"/showroom/visits/{visit}/serve")
        self.wait_a_moment()
        # the party's whole order in one submit: one field per menu item, 0 for none
        self.browser.action(f"/showroom/visits/{visit}/serve",
                            {f"item_{self.rng.choice(PLAN['menu_items'])}": "1"})

    def depart(self) -> None:
        """Mark the party that came first as left (one click on the board: the button posts
        the version it carries in hx-vals)."""
        body = self.browser.page("/showroom/")
        index, count = self.share(("reception",))
        parties = sorted((int(visit), version) for visit, version in re.findall(
            r'hx-post="/showroom/visits/(\d+)/depart" hx-vals=\'\{"version": (\d+)\}\'', body)
            if int(visit) % count == index)
        if not parties:
            return
        visit, version = parties[0]
        self.wait_a_moment()
        self.browser.action(f"/showroom/visits/{visit}/depart", {"version": version})

    def showroom_history(self) -> None:
        self.browser.page("/showroom/history")

    def checklist(self) -> None:
        self.browser.page("/showroom/checklist")

    # supervisors and managers
    def score_entry(self) -> None:
        people = self.mine("scored_people")
        if not people:
            return self.scores()
        person = self.rng.choice(people)
        year, month = PLAN["month"]
        path = f"/scores/{year}/{month}/{person}"
        body = self.browser.page(path)
        version = hidden(body, "sheet_version")
        if version is None:
            return None
        self.wait_a_moment()
        self.browser.action(f"{path}/entries", {
            "rule": "", "reason": "压测：主动跟进客户", "points": "2",
            "day": datetime.now(TZ).date().isoformat(), "evidence": "压测：通话记录", "link": "",
            "sheet_version": version, "in_overview": ""})
        return None

    def scores(self) -> None:
        year, month = PLAN["month"]
        self.browser.page(f"/scores/{year}/{month}")

    def staff(self) -> None:
        self.browser.page("/staff/")

    # after-sales agents: their cases, a case's card and its htmx actions, return visits
    def cases(self) -> None:
        """My cases (the agents' default list), now and then narrowed by a filter (htmx)."""
        self.browser.page("/aftersales/")
        if self.rng.random() < 0.6:
            self.wait_a_moment()
            self.browser.fragment("/aftersales/?" + self.rng.choice(CASE_FILTERS))

    def case_note(self) -> None:
        """An internal note on one of this agent's open cases."""
        cases = self.mine("case_notes")
        if not cases:
            return self.cases()
        case = self.rng.choice(cases)
        body = self.browser.page(f"/aftersales/{case}")
        if f"/aftersales/{case}/notes" not in body:  # closed meanwhile (by this agent)
            return None
        self.wait_a_moment()
        self.browser.action(f"/aftersales/{case}/notes",
                            {"text": f"压测：已联系客户，等待回复（{self.username}）"})
        return None

    def case_step(self) -> None:
        """One step of the workflow on one of this agent's cases, among those that need no
        input (start working, wait for the customer, close a resolved case)."""
        cases = self.mine("case_steps")
        if not cases:
            return self.cases()
        case = self.rng.choice(cases)
        body = self.browser.page(f"/aftersales/{case}")
        steps = [s for s in re.findall(r'name="state" value="(\w+)"', body) if s in SAFE_STEPS]
        version = hidden(body, "version")
        if not steps or version is None:
            return None
        self.wait_a_moment()
        self.browser.action(f"/aftersales/{case}/state", {
            "version": version, "state": self.rng.choice(steps), "refund_amount": "",
            "window_override": "", "return_courier": "", "return_tracking_no": "",
            "comment": ""})
        return None

    def take_case(self) -> None:
        """From the unassigned list: open a case and assign it to oneself."""
        self.browser.page("/aftersales/?view=unassigned")
        cases = [c for c in self.mine("unassigned_cases") if ("case", c) not in self.taken]
        me = PLAN.get("user_ids", {}).get(self.username)
        if not cases or me is None:
            return
        case = cases[0]
        self.wait_a_moment()
        body = self.browser.page(f"/aftersales/{case}")
        version = hidden(body, "version")
        self.taken.add(("case", case))
        if version is None or f"/aftersales/{case}/assign" not in body:
            return
        self.wait_a_moment()
        self.browser.action(f"/aftersales/{case}/assign",
                            {"version": version, "assignee_id": str(me)})

    def return_visits(self) -> None:
        """The return visits due; now and then record one of this agent's share."""
        body = self.browser.page("/aftersales/visits")
        visits = [v for v in self.mine("due_visits") if ("visit", v) not in self.taken]
        if not visits or self.rng.random() < 0.4:
            return
        visit = visits[0]
        self.taken.add(("visit", visit))
        if f'id="visit-{visit}"' not in body:
            return
        self.wait_a_moment()  # "Record the result" fetches the row's form
        version = hidden(self.browser.fragment(f"/aftersales/visits/{visit}"), "version")
        if version is None:
            return
        self.wait_a_moment()
        self.browser.action(f"/aftersales/visits/{visit}", {
            "version": version, "outcome": "reached", "satisfaction": "5",
            "comment": "压测：客户满意"})

    # order clerks: the returned parcels
    def parcels(self) -> None:
        self.browser.page("/aftersales/parcels")

    def parcel_received(self) -> None:
        """Find a returned parcel by its tracking number and sign "原包裹已收到"."""
        parcels = [p for p in self.mine("parcel_cases") if ("case", p[0]) not in self.taken]
        if not parcels:
            return self.parcels()
        case, tracking = parcels[0]
        self.taken.add(("case", case))
        self.browser.page("/aftersales/parcels")
        self.wait_a_moment()
        found = self.browser.fragment(f"/aftersales/parcels?q={tracking}")
        row = re.search(rf'<tr id="parcel-{case}".*?</tr>', found, re.S)
        version = hidden(row.group(0), "version") if row else None
        if version is None:
            return None
        self.browser.action(f"/aftersales/parcels/{case}/received", {"version": version})
        return None

    # supervisors and managers: the refund and dispute queue, the weekly report
    def refund_queue(self) -> None:
        """退款中 / 维权中; a supervisor reminds the assignee of one case now and then."""
        body = self.browser.page("/aftersales/queue")
        if self.role != "supervisor" or self.rng.random() < 0.5:
            return
        index, count = self.share(("supervisor",))
        cases = [c for c in re.findall(r'action="/aftersales/queue/(\d+)/remind"', body)
                 if int(c) % count == index]
        if cases:
            self.wait_a_moment()
            self.browser.action(f"/aftersales/queue/{self.rng.choice(cases)}/remind", {})

    def aftersales_report(self) -> None:
        self.browser.page("/aftersales/report")

    # pre-sales: the registers and the import page
    def transfers(self) -> None:
        self.browser.page("/orders/transfers")

    def stock_waits(self) -> None:
        self.browser.page("/orders/waits")

    def import_page(self) -> None:
        self.browser.page("/orders/import")

    # the customer's voice (issue 18): the daily work record, the knowledge base and the one
    # search box for agents; the complaint register, a complaint, the month's analysis and
    # the team's day for supervisors (and the manager); a complaint recorded now and then
    def my_day(self) -> None:
        self.browser.page("/worklog/")

    def write_line(self) -> None:
        """One question of the day, added in place (the form as rendered, its fields found by
        name): typing the question asks for suggestions twice, as htmx's delayed keyup does."""
        if self.browser.current != "/worklog/":
            self.browser.page("/worklog/")
            self.wait_a_moment()
        category = self.rng.choices(list(WORK), WORK_WEIGHTS)[0]
        question, answer = self.rng.choice(WORK[category])
        question = self.typed(question)
        for typed in (question[:2], question[:6]):
            self.browser.fragment("/knowledge/suggest?q=" + quote(typed))
        resolved = self.rng.random() >= 0.08
        form = form_of(self.browser.last_body, "/worklog/lines")
        self.browser.action("/worklog/lines", fill(form, {
            "category": lambda options: self.pick(options, str(category)),
            "question": f"{question}（压测 {self.username}）",
            "answer": self.typed(answer) if resolved else "还没查到原因，待确认后回复客户。",
            "resolved": lambda options: yes_no(options, resolved),
        }))

    def suggest(self) -> None:
        """Suggestions while typing a question (the work record, a case note, an answer)."""
        question = self.typed(self.rng.choice(self.rng.choice(list(WORK.values())))[0])
        for length in (1, 2, 4, len(question)):
            self.browser.fragment("/knowledge/suggest?q=" + quote(question[:length]))

    def search(self) -> None:
        """The one search box: articles, work records, complaints and the handover history."""
        terms = [*SEARCH_TERMS, *PLAN["search_terms"][:6]]
        self.browser.page("/search?q=" + quote(self.rng.choice(terms)))

    def knowledge(self) -> None:
        self.browser.page("/knowledge/")
        if PLAN["article_ids"]:
            self.wait_a_moment()
            self.browser.page(f"/knowledge/{self.rng.choice(PLAN['article_ids'])}")

    def record_complaint(self) -> None:
        """A complaint recorded at the desk: the form as the register renders it (or its own
        page), what the customer said and asks for, a normal one mostly."""
        body = self.browser.page("/complaints/")
        form = form_of(body, "/complaints/new")
        if form is None:
            self.wait_a_moment()
            body = self.browser.page("/complaints/new")
            form = form_of(body, "/complaints/new")
        category = self.rng.choices(range(1, 7), CATEGORY_WEIGHTS)[0]
        self.wait_a_moment()
        self.browser.action("/complaints/new", fill(form, {
            "channel": lambda options: self.pick(options, "chat"),
            "category": lambda options: self.pick(options, str(category)),
            "severity": lambda options: "serious" if self.rng.random() < 0.05 and
            "serious" in options else "normal",
            "said": self.typed(self.rng.choice(SAID[category])) + f"（压测 {self.username}）",
            "asks": self.typed(self.rng.choice(ASKS)) or "道歉并说明原因",
        }), expect=(200, 204))  # recorded: 204 and HX-Redirect to the complaint

    def complaint_register(self) -> None:
        """The register, now and then narrowed by state or severity (htmx)."""
        self.browser.page("/complaints/")
        if self.rng.random() < 0.6:
            self.wait_a_moment()
            self.browser.fragment("/complaints/?" + self.rng.choice(COMPLAINT_FILTERS))

    def complaint_page(self) -> None:
        if not PLAN["complaint_ids"]:
            return self.complaint_register()
        self.browser.page(f"/complaints/{self.rng.choice(PLAN['complaint_ids'])}")
        return None

    def complaint_analysis(self) -> None:
        """The month's analysis: last month's (the one sent) mostly, now and then this one's."""
        today = datetime.now(TZ).date()
        month = today.replace(day=1) - timedelta(days=1) if self.rng.random() < 0.7 else today
        self.browser.page(f"/complaints/analysis?month={month:%Y-%m}")

    def team_day(self) -> None:
        """The team's day (每日工作统计): today's so far, or yesterday's."""
        day = datetime.now(TZ).date() - timedelta(days=self.rng.choice((0, 0, 1)))
        self.browser.page(f"/worklog/team?day={day.isoformat()}")

    def typed(self, text: str) -> str:
        return fill_in(text, self.rng)

    def pick(self, options, preferred: str) -> str:
        """``preferred`` when the field offers it, else one of its options at random."""
        options = list(options)
        if preferred in options or not options:
            return preferred
        return self.rng.choice(options)

    # helpers
    def mine(self, key: str) -> list:
        """This user's share of a list in the plan (no two users change the same record)."""
        shares = PLAN.get(key, {})
        return shares.get(self.username, [])

    def signable(self, book: str, items: list[str]) -> list[str]:
        """Items nobody of the plan closes (``follow_up`` closes those in its own share):
        signing one that was closed a moment before is a 409, as it should be."""
        names = [role for _name, role in ACCOUNTS if role in BOOK_ROLES[book]]
        closers = {i for i, role in enumerate(names) if role in FOLLOWERS}
        return [i for i in items if int(i) % max(1, len(names)) not in closers]

    def share(self, roles) -> tuple[int, int]:
        """(this user's position, how many) among the plan's users of ``roles``: each
        changes only the records of its share, so no two change one record at once."""
        names = [name for name, role in ACCOUNTS if role in roles]
        return (names.index(self.username) if self.username in names else 0), max(1, len(names))

    def wait_a_moment(self) -> None:
        """A short pause between reading a page and acting on it."""
        time.sleep(self.rng.uniform(0.3, 1.0))


SEARCH_TERMS = ("壶", "茶", "退款", "发票", "龙井", "漏水", "裂纹", "快递", "紫砂壶漏水",
                "物流三天没有更新", "七天无理由退货", "POT-ZS-300", "TEA-LJ", "SF0000", "顺丰 破损",
                "礼盒 A 款", "50%")
COMPLAINT_FILTERS = ("state=escalated", "severity=serious", "severity=crisis",
                     "state=investigating", "state=closed", "state=answered&severity=normal",
                     "state=received")
CASE_FILTERS = ("view=mine&sla=breached", "view=mine&sla=soon", "view=all&sla=breached",
                "view=all&state=waiting_customer", "view=all&type=quality", "view=unassigned",
                "view=mine&sla=paused")
SAFE_STEPS = ("in_progress", "waiting_customer", "closed")  # steps that need no input
BOOK_ROLES = {"desk": ("presales", "aftersales", "order_clerk"), "showroom": ("reception",)}
FOLLOWERS = ("presales", "aftersales")  # the roles whose day has follow_up

ROLE_STEPS = {
    "presales": [("home", 2), ("desk_book", 3), ("write_desk", 0.5), ("follow_up", 1),
                 ("order_search", 4), ("write_line", 3), ("my_day", 1), ("suggest", 1.5),
                 ("search", 1.5), ("knowledge", 0.5), ("record_complaint", 0.2),
                 ("order_remark", 3), ("order_detail", 2), ("my_shifts", 1), ("my_scores", 1),
                 ("notifications", 1), ("handover_history", 1),
                 ("transfers", 1), ("stock_waits", 1), ("import_page", 0.3),
                 ("customer_search", 2), ("customer_page", 1.5), ("my_calls", 1)],
    "aftersales": [("home", 2), ("desk_book", 2), ("write_desk", 0.5), ("follow_up", 1),
                   ("order_search", 2), ("write_line", 3), ("my_day", 1), ("suggest", 1.5),
                   ("search", 1.5), ("knowledge", 0.5), ("record_complaint", 0.5),
                   ("order_detail", 1), ("handover_history", 1), ("my_shifts", 1),
                   ("my_scores", 1), ("notifications", 1), ("cases", 4), ("case_note", 3),
                   ("case_step", 2), ("take_case", 1), ("return_visits", 1.5),
                   ("customer_search", 1.5), ("customer_page", 1.5), ("my_calls", 1)],
    "order_clerk": [("home", 2), ("queue", 4), ("flag_order", 4), ("order_detail", 1),
                    ("stock", 2), ("desk_book", 2), ("write_desk", 0.3), ("my_shifts", 1),
                    ("parcels", 1), ("parcel_received", 1.5), ("import_page", 0.3),
                    ("review_queue", 1), ("distributor_account", 0.5),
                    ("distributor_statement", 0.3), ("allocation_run", 0.3)],
    "reception": [("home", 2), ("showroom", 3), ("log_visitor", 4), ("depart", 3), ("serve", 2),
                  ("showroom_book", 2), ("write_showroom", 0.3), ("showroom_history", 1),
                  ("checklist", 1), ("my_shifts", 1), ("customer_search", 0.5)],
    "supervisor": [("home", 2), ("score_entry", 2), ("scores", 2), ("roster", 1),
                   ("audit", 1), ("handover_history", 1), ("showroom", 1), ("staff", 1),
                   ("refund_queue", 1.5), ("aftersales_report", 0.5),
                   ("customer_search", 1), ("customer_page", 1),
                   ("complaint_register", 1.5), ("complaint_page", 1.5),
                   ("complaint_analysis", 0.5), ("team_day", 1), ("search", 0.5),
                   ("distributor_account", 0.5), ("distributor_statement", 0.5)],
    "manager": [("home", 2), ("scores", 2), ("audit", 2), ("roster", 1), ("staff", 1),
                ("order_search", 1), ("handover_history", 1), ("refund_queue", 1),
                ("aftersales_report", 1), ("complaint_register", 1), ("complaint_page", 0.5),
                ("complaint_analysis", 1)],
}

SMOKE_STEPS = {
    "presales": ("order_remark", "write_line", "write_desk", "desk_book", "customer_search",
                 "customer_page", "my_calls", "my_day", "search"),
    "aftersales": ("desk_book", "record_complaint", "follow_up", "order_search", "take_case",
                   "case_note", "case_step", "return_visits", "suggest", "knowledge"),
    "order_clerk": ("flag_order", "queue", "parcel_received", "review_queue",
                    "distributor_account", "distributor_statement", "allocation_run"),
    "reception": ("log_visitor", "serve", "depart", "showroom_book"),
    "supervisor": ("score_entry", "complaint_register", "handover_history", "refund_queue",
                   "complaint_page", "complaint_analysis", "team_day"),
    "manager": ("audit", "scores", "complaint_analysis"),
}


class BaselineUser(FastHttpUser):
    """The yardstick: a bare Flask app rendering a small template, same gunicorn settings."""

    wait_time = between(*THINK)
    fixed_count = PLAN.get("baseline_users", 2)
    host = PLAN.get("baseline_url")

    @task
    def hello(self) -> None:
        self.client.get("/", name="baseline GET /")
