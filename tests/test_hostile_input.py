"""No 500 on any input (issue 16 item 3, ASVS 5.1): hostile values into every form of every area.

The demo department is loaded; then, for every endpoint of ``app.url_map``, a member of staff
whose role may use it sends:

- into each field of the endpoint's real form (the form the view builds, caught as it is
  built), a NUL and an overflow of the field's kind, the other fields filled with ordinary
  values; the endpoint's first field of each kind gets the whole list below;
- ids in the URL beyond the INTEGER range or just inside it (a year 2147483647, a month 13);
- query strings with NUL, huge numbers and forged keyset cursors on every GET endpoint.

Every answer is < 500. A value the field cannot hold is refused (4xx) and nothing changed: no
row added or removed in any table, no new audit event (every change writes one).
"""

import json
from base64 import urlsafe_b64encode

import pytest
import sqlalchemy as sa
from werkzeug.routing import IntegerConverter
from wtforms import (
    BooleanField,
    DateField,
    DateTimeField,
    DecimalField,
    FieldList,
    FileField,
    FormField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TimeField,
)

from portal import clock, demo
from portal.auth.decorators import declared_permission
from portal.auth.models import User
from portal.auth.permissions import PUBLIC, ROLES, role_can
from portal.extensions import db
from portal.forms import Form

# The demo department's account for each role.
DEMO_USER = {"manager": "manager", "supervisor": "supervisor", "presales": "presales",
             "aftersales": "aftersales", "order_clerk": "clerk", "reception": "reception"}

# Endpoints left out, and why.
SKIPPED = {
    "auth.logout": "signs the tester out (takes no input)",
    "static": "files",
    "live.events": "a stream that does not end; its input (Last-Event-ID) in tests/live",
}

NUL, CONTROL = "a\x00b", "x\x1b[2Jy"
SPACES, ZERO_WIDTH = "   ", "\u200b\u200b"
HUGE_TEXT = "长" * 100_000
LONG_TEXT = "长" * 1_000  # longer than any short column: refused or stored, never a 500
OVER, UNDER, FAR = "2147483648", "-2147483649", str(10**30)

# Every value of the brief, for each endpoint's first text field (else its first field).
FULL_LIST = [NUL, "\x01", "\x7f", CONTROL, SPACES, ZERO_WIDTH, OVER, UNDER, FAR, "NaN",
             "Infinity", "-Infinity", "0001-01-01", "9999-12-31", HUGE_TEXT]


# A field's kind, by its class (the first that matches).
KINDS = ((FileField, "file"), (BooleanField, "boolean"),
         (SelectField | SelectMultipleField | RadioField, "choice"), (IntegerField, "integer"),
         (DecimalField, "money"), (DateField | DateTimeField | TimeField, "date"),
         (StringField, "text"))


def _kind(field) -> str:
    return next((kind for classes, kind in KINDS if isinstance(field, classes)), "other")


# For each kind: what every field of it gets (a NUL and an overflow at least).
PER_FIELD = {
    "text": [NUL, HUGE_TEXT, LONG_TEXT],
    "integer": [NUL, OVER, UNDER],
    "money": [NUL, "1e30", "NaN"],
    "date": [NUL, "0001-01-01", "9999-12-31"],
    "choice": [NUL, FAR, OVER],
}


def _refusable(field, value) -> bool:
    """True when the field cannot hold ``value``: it must be refused (4xx), nothing changed.
    Blank is refused only where a value is required; a text may hold "NaN" or a long
    paragraph, not a control character or 100,000 characters."""
    if value in (SPACES, ZERO_WIDTH):
        return field.flags.required
    if _kind(field) == "text":
        return value == HUGE_TEXT or any(c < " " and c not in "\t\n" or c == "\x7f"
                                         for c in value)
    return True


def _leaves(form):
    """Every input field of a form, sub-forms and repeated entries included."""
    for field in form:
        if isinstance(field, FormField):
            yield from _leaves(field.form)
        elif isinstance(field, FieldList):
            for entry in field.entries:
                yield from (_leaves(entry.form) if isinstance(entry, FormField) else [entry])
        elif field.name != "csrf_token":
            yield field


def _ordinary(field, record=None) -> str | None:
    """An ordinary value for ``field`` (None: leave it out)."""
    kind = _kind(field)
    if field.short_name == "version" and record is not None:
        return str(getattr(record, "version", 1) or 1)
    if kind == "choice":
        values = [str(choice[0]) for choice in field.iter_choices() if str(choice[0])]
        return values[0] if values else None
    if kind == "boolean" or kind == "file":
        return None
    if kind == "integer":
        return str(field.data) if isinstance(field.data, int) else "1"
    if kind == "money":
        return "10.00"
    if kind == "date":
        today = clock.now()
        formats = field.format if isinstance(field.format, list) else [field.format]
        return today.strftime(formats[0])
    if isinstance(field, PasswordField):
        return "an-ordinary-pass-phrase-2026"
    return "测试 test 1"


# --- catching the forms a view builds -----------------------------------------------------


class Caught:
    """The forms built and validated during one request."""

    def __init__(self):
        self.built, self.validated = [], []

    def form(self):
        """The form the request validated (its action's form), else the first built."""
        chosen = self.validated or self.built
        return chosen[0] if chosen else None


@pytest.fixture
def caught(monkeypatch):
    holder = {"now": Caught()}
    build, validate = Form.__init__, Form.validate

    def building(self, *args, **kwargs):
        build(self, *args, **kwargs)
        holder["now"].built.append(self)

    def validating(self, *args, **kwargs):
        holder["now"].validated.append(self)
        return validate(self, *args, **kwargs)

    monkeypatch.setattr(Form, "__init__", building)
    monkeypatch.setattr(Form, "validate", validating)

    def fresh():
        holder["now"] = Caught()
        return holder["now"]

    return fresh


# --- the department and its records ------------------------------------------------------


MOMENT = "2026-11-22 10:30"


@pytest.fixture(scope="module")
def seeded(app):
    """The demo department, loaded once for this module and committed (loading it takes
    seconds); each test still runs in its own transaction rolled back afterwards. Emptied
    again at the end of the module."""
    from datetime import datetime

    clock = app.extensions["portal_clock"]
    with app.app_context():
        clock.freeze(datetime.fromisoformat(MOMENT))
        try:
            demo.seed()
        finally:
            clock.unfreeze()
    yield
    with app.app_context():
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
        db.session.remove()


@pytest.fixture
def department(seeded, freeze):
    freeze(MOMENT)
    return {user.username: user for user in db.session.scalars(sa.select(User))}


def _models():
    return {mapper.class_.__tablename__: mapper.class_
            for mapper in db.Model.registry.mappers}


def _record_for(endpoint: str, arg: str):
    """A record of the demo department for a URL argument of ``endpoint``."""
    from portal.aftersales.models import AfterSalesCase, CasePhoto, ReturnVisit
    from portal.customers.call_models import CallPlan, CareExport, PlannedCall
    from portal.customers.models import Customer, CustomerTag
    from portal.handover.models import HandoverItem
    from portal.knowledge.models import Article
    from portal.notifications.models import Notification
    from portal.orders.models import (
        BankTransfer,
        Order,
        OrderImport,
        OrderTask,
        StockItem,
        StockWait,
    )
    from portal.reception.models import ChecklistItem, MenuItem, RepairReport, Visit
    from portal.scoring.models import Appeal, ScoreEntry, ScoreRule, ScoreSheet
    from portal.shifts.models import OvertimeRecord, SwapRequest
    from portal.worklog.models import QuestionCategory, WorkLine

    area = endpoint.split(".")[0]
    by_arg = {
        "case_id": AfterSalesCase, "photo_id": CasePhoto,
        "notification_id": Notification, "order_id": Order, "import_id": OrderImport,
        "task_id": OrderTask, "transfer_id": BankTransfer, "wait_id": StockWait,
        "report_id": RepairReport, "appeal_id": Appeal, "entry_id": ScoreEntry,
        "rule_id": ScoreRule, "sheet_id": ScoreSheet, "record_id": OvertimeRecord,
        "swap_id": SwapRequest, "ident": Order,
        "call_id": PlannedCall, "plan_id": CallPlan, "export_id": CareExport,
        "customer_id": Customer, "tag_id": CustomerTag,
        "article_id": Article, "line_id": WorkLine, "category_id": QuestionCategory,
    }
    model, where = by_arg.get(arg), ()
    if area == "distributors":
        from portal.distributors.models import DeliveryIssue, DistributorAccount

        model = {"account_id": DistributorAccount, "issue_id": DeliveryIssue}.get(arg, model)
        if arg == "order_id":
            where = (Order.stage == "review",)
    if arg == "visit_id":
        model = ReturnVisit if area == "aftersales" else Visit
    elif arg == "item_id":
        model = {"handover": HandoverItem, "orders": StockItem}.get(area)
        if area == "handover":
            where = (HandoverItem.book == ("showroom" if "showroom" in endpoint else "desk"),)
        elif area == "reception":
            model = MenuItem if "menu" in endpoint else ChecklistItem
    elif arg == "user_id":
        model, where = User, (User.role == "presales",)
    if model is None:
        return None
    return db.session.scalar(sa.select(model).where(*where).order_by(model.id.desc()).limit(1))


def _url_args(rule) -> tuple[dict, object]:
    """Ordinary values for the rule's arguments, and the record the URL names (if any)."""
    today, values, record = clock.today(), {}, None
    for arg in rule.arguments:
        if arg == "year":
            values[arg] = today.year
        elif arg == "month":
            values[arg] = today.month
        elif arg == "day":
            values[arg] = 1
        elif arg == "kind":
            values[arg] = "sla_soon" if rule.endpoint.startswith("jobs.") else "order"
        elif arg == "key":
            values[arg] = "x"
        elif arg == "filename":
            values[arg] = "css/portal.css"
        else:
            found = _record_for(rule.endpoint, arg)
            values[arg] = found.id if found is not None else 1
            record = record or found
    return values, record


def _build(rule, values) -> str:
    path = rule.rule
    for arg, value in values.items():
        path = path.replace(f"<int:{arg}>", str(value)).replace(f"<{arg}>", str(value))
        path = path.replace(f"<path:{arg}>", str(value))
    return path


def _int_args(rule) -> list[str]:
    return [arg for arg, converter in rule._converters.items()
            if isinstance(converter, IntegerConverter)]


def _role_for(app, endpoint) -> str | None:
    permission = declared_permission(app, endpoint)
    if permission == PUBLIC:
        return "presales"
    return next((role for role in ROLES if role_can(role, permission)), None)


def _footprint() -> tuple:
    """How many rows each table holds, in one query (the audit trail is one of them: every
    change writes an event)."""
    tables = [model.__table__ for model in _models().values()]
    counts = sa.select(*[sa.select(sa.func.count()).select_from(t).scalar_subquery()
                         for t in tables])
    return tuple(db.session.execute(counts).one())


def _walk(app, sweep, area, method=None):
    """Each endpoint of ``area`` (answering ``method``), the sweep signed in as a role that
    may use it: (rule, ordinary URL arguments, the record the URL names)."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule)):
        if rule.endpoint in SKIPPED or not _in_area(rule.endpoint, area) or (
                method and method not in rule.methods):
            continue
        role = _role_for(app, rule.endpoint)
        if role is None:
            continue
        sweep.as_role(role)
        args, record = _url_args(rule)
        yield rule, args, record


def _cursor(*pairs) -> str:
    raw = json.dumps(list(pairs)).encode()
    return urlsafe_b64encode(raw).decode().rstrip("=")


# Query strings no page may answer with a 500: NUL, huge numbers, forged keyset cursors.
ARGUMENTS = ("pick", "order", "item", "phone", "month", "week", "key", "edit", "ids", "waiting",
             "written", "book", "order_q", "page", "user", "year", "day", "size", "next",
             "state", "status", "kind", "from", "to", "date", "sort", "view")
HOSTILE_QUERIES = {
    "NUL in the search and cursors": {"q": "\x00", "before": "\x00", "after": "\x00",
                                      "page": "99999999999"},
    "controls and a long search": {"q": "\x01" + HUGE_TEXT[:5000], "page": "-99999999999",
                                   "before": "%%%"},
    "NUL in every argument": dict.fromkeys(ARGUMENTS, "\x00"),
    "numbers beyond INTEGER": dict.fromkeys(ARGUMENTS, FAR),
    "forged cursors: huge id, NUL": {
        "before": _cursor(["t", "2026-11-22T10:00:00+00:00"], ["v", 10**30]),
        "after": _cursor(["v", "\x00"], ["v", "\x00"])},
    "forged cursors: year 1, year 9999, swapped kinds": {
        "before": _cursor(["t", "0001-01-01T00:00:00+01:00"], ["v", -(10**30)]),
        "after": _cursor(["d", "9999-12-31"], ["v", 2**31]), "waiting": _cursor(["v", 10**30]),
        "written": _cursor(["v", "\x00"], ["v", 10**30])},
}


class Sweep:
    """Sends the requests and collects what went wrong, one line each."""

    def __init__(self, app, client, sign_in, department, caught):
        self.app, self.client, self.sign_in = app, client, sign_in
        self.department, self.caught = department, caught
        self.role = None
        self.failures: list[str] = []

    def as_role(self, role):
        if role != self.role:
            self.sign_in(self.client, self.department[DEMO_USER[role]])
            self.role = role

    def send(self, method, url, data=None, *, refuse=False, what=""):
        before = _footprint() if refuse else None
        caught = self.caught()
        if method == "GET":
            response = self.client.get(url, query_string=data)
        else:
            response = self.client.post(url, data=data or {})
        status = response.status_code
        where = f"{method} {url} {what}".strip()
        if status >= 500:
            self.failures.append(f"{status} {where}")
        elif refuse and not 400 <= status < 500:
            self.failures.append(f"{status} (not refused) {where}")
        elif refuse and _footprint() != before:
            self.failures.append(f"{status} but something changed: {where}")
        return caught

    def report(self):
        assert not self.failures, "\n".join(self.failures)


@pytest.fixture
def sweep(app, client, sign_in, department, caught):
    return Sweep(app, client, sign_in, department, caught)


AREAS = ["aftersales", "audit", "auth", "complaints", "customers", "distributors", "handover",
         "home", "jobs", "knowledge", "notifications", "orders", "ops", "reception",
         "roster_and_shifts", "scoring", "search", "staff", "worklog"]


def _in_area(endpoint, area):
    blueprint = endpoint.split(".")[0]
    return blueprint == area or (area == "roster_and_shifts" and blueprint == "shifts")


def test_the_areas_cover_every_endpoint(app):
    covered = {rule.endpoint for rule in app.url_map.iter_rules()
               if any(_in_area(rule.endpoint, area) for area in AREAS)}
    missing = {rule.endpoint for rule in app.url_map.iter_rules()} - covered - set(SKIPPED)
    assert not missing


def _hostile_fields(form, record):
    """Ordinary values for the whole form, and (field name, value, must be refused) for each
    request: every field its kind's sample, the first text field (else the first field) the
    whole list."""
    fields = [f for f in _leaves(form) if _kind(f) in PER_FIELD]
    ordinary = {f.name: _ordinary(f, record) for f in _leaves(form)}
    ordinary = {name: value for name, value in ordinary.items() if value is not None}
    first = next((f for f in fields if _kind(f) == "text"), fields[0] if fields else None)
    return ordinary, [(field.name, value, _refusable(field, value))
                      for field in fields
                      for value in (FULL_LIST if field is first else PER_FIELD[_kind(field)])]


@pytest.mark.parametrize("area", AREAS)
def test_hostile_values_into_every_form(app, sweep, area):
    for rule, args, record in _walk(app, sweep, area, "POST"):
        url = _build(rule, args)
        form = sweep.send("POST", url, {}, what="(empty form)").form()
        if form is None:
            continue
        ordinary, cases = _hostile_fields(form, record)
        for name, value, refuse in cases:
            shown = repr(value[:12]) + ("…" if len(value) > 12 else "")
            sweep.send("POST", url, {**ordinary, name: value}, refuse=refuse,
                       what=f"{name}={shown}")
    sweep.report()


# Ids no record has: just inside INTEGER, and beyond it; impossible years, months, days.
IMPOSSIBLE = {"year": ["0", "1", "10000", "2147483647", "99999999999"],
              "month": ["0", "13", "2147483647", "99999999999"],
              "day": ["0", "32", "2147483647"]}
IMPOSSIBLE_ID = ["2147483647", "99999999999999999999"]


@pytest.mark.parametrize("area", AREAS)
def test_impossible_ids_in_the_url(app, sweep, area):
    for rule, args, _record in _walk(app, sweep, area):
        method = "GET" if "GET" in rule.methods else "POST"
        for arg in _int_args(rule):
            for value in IMPOSSIBLE.get(arg, IMPOSSIBLE_ID):
                sweep.send(method, _build(rule, {**args, arg: value}),
                           refuse=method == "POST", what=f"({arg})")
        for arg in set(rule.arguments) - set(_int_args(rule)) - {"filename"}:
            sweep.send("GET", _build(rule, {**args, arg: "%00"}), what=f"({arg})")
    sweep.report()


@pytest.mark.parametrize("area", AREAS)
def test_hostile_query_strings_on_every_page(app, sweep, area):
    for rule, args, record in _walk(app, sweep, area, "GET"):
        url = _build(rule, args)
        filters = None
        for name, query in HOSTILE_QUERIES.items():
            caught = sweep.send("GET", url, query, what=f"({name})")
            filters = filters or next((f for f in caught.built if not f.meta.csrf), None)
        if filters is None:
            continue
        ordinary, cases = _hostile_fields(filters, record)
        for name, value, _refuse in cases:
            sweep.send("GET", url, {**ordinary, name: value}, what=f"{name}={value[:12]!r}")
    sweep.report()


def test_a_nul_in_a_query_string_is_a_clear_400(client, login):
    login("presales")
    response = client.get("/orders/?q=%00")
    assert response.status_code == 400
    assert "control characters" in response.get_data(as_text=True)


def test_the_footprint_sees_a_change(department):
    before = _footprint()
    db.session.add(User(username="x-added", display_name="x", role="presales",
                        password_hash="x", active=True))
    db.session.flush()
    assert _footprint() != before


def test_the_sweep_reaches_the_forms(app, sweep):
    """The forms are really caught and filled: the ordinary values (a choice from the
    form's own list, a moment in the field's format) are accepted (the arrival form)."""
    sweep.as_role("reception")
    form = sweep.send("POST", "/showroom/visits", {}).form()
    ordinary, cases = _hostile_fields(form, None)
    assert {name for name, _value, _refuse in cases} >= {"party_size", "arrived_at"}
    required = {name: ordinary[name] for name in ("arrived_at", "party_size", "purpose",
                                                  "source")}
    before = _footprint()
    assert sweep.client.post("/showroom/visits", data=required).status_code == 303
    assert _footprint() != before


def test_a_value_beyond_its_column_is_cleared_as_soon_as_parsed(app):
    """A view may read a field before validating (to find the record it names): a number,
    date or choice beyond its column is None by then, and refused when validated."""
    from wtforms.validators import Optional

    class Picking(Form):
        class Meta:
            csrf = False

        count = IntegerField()
        colleague = SelectField(coerce=int, validate_choice=False)
        people = SelectMultipleField(coerce=int, validate_choice=False, validators=[Optional()])
        day = DateField()

    data = {"count": OVER, "colleague": FAR, "people": SPACES, "day": "9999-12-31"}
    with app.test_request_context("/", method="POST", data=data):
        form = Picking()
        assert (form.count.data, form.colleague.data, form.day.data) == (None, None, None)
        assert form.people.data == []
        assert not form.validate()
        assert {"count", "colleague", "day"} <= set(form.errors)


@pytest.mark.parametrize(("typed", "expected"), [
    ("42", 42), (" 7 ", 7), (7, 7), ("0", None), ("-3", None), ("2147483648", None),
    ("99999999999999999999", None), ("١٢", None), ("NaN", None), ("", None), (None, None)])
def test_a_record_id_typed_as_text(typed, expected):
    from portal.forms import record_id

    assert record_id(typed) == expected
