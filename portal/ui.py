"""What an area contributes to the shell, kept per app: navigation entries, Today-page
cards, the audit trail's labels, and the records a score entry may point to.

An area registers its entries in its ``init_app``; the base template and the home page
show only those whose permission the user holds. No area edits another's templates or
module globals, and no area imports another's models to offer its records: it asks here.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class NavItem:
    """A link in the navigation, shown to holders of ``permission``."""

    endpoint: str
    label: object  # a lazy string
    permission: str
    order: int = 100
    # endpoints (prefixes) that mark this entry as current
    active_prefix: str | tuple[str, ...] = ""
    # an endpoint answering a small count badge (polled by htmx, and refreshed at once
    # when an action sends the ``badge_event`` through HX-Trigger)
    badge_endpoint: str | None = None
    badge_event: str | None = None


@dataclass(frozen=True)
class Card:
    """A card on the Today page: ``template`` rendered with ``context(user)``."""

    key: str
    title: object  # a lazy string
    permission: str
    template: str
    context: Callable[[object], dict] = field(default=lambda user: {})
    order: int = 100
    # the area's stylesheet (under static/) the card's markup needs on the Today page
    stylesheet: str | None = None
    # live events (portal.live.WATCHES) after which the card is fetched again
    events: tuple[str, ...] = ()


def _registry(app=None) -> dict:
    app = app or current_app
    return app.extensions.setdefault("portal_ui", {
        "nav": [], "cards": [], "links": {},
        "audit": AuditLabels({}, {}, {}, {}, {}),
    })


def register_nav(app, item: NavItem) -> None:
    """Add a navigation entry."""
    _registry(app)["nav"].append(item)
    _registry(app)["nav"].sort(key=lambda i: i.order)


def register_card(app, card: Card) -> None:
    """Add a Today-page card."""
    _registry(app)["cards"].append(card)
    _registry(app)["cards"].sort(key=lambda c: c.order)


def nav_for(user) -> list[NavItem]:
    """Navigation entries ``user`` may see."""
    return [i for i in _registry()["nav"] if user.can(i.permission)]


# The side navigation in groups, by the area (blueprint) of each entry: the supervisor sees
# about forty entries, which read as a wall without them. The first group has no heading.
NAV_GROUPS = (
    ("start", None, ("home", "search", "notifications")),
    ("shifts", _l("Shifts and handover"), ("shifts", "handover")),
    ("showroom", _l("Showroom"), ("reception",)),
    ("orders", _l("Orders"), ("orders", "distributors")),
    ("aftersales", _l("After-sales"), ("aftersales",)),
    ("customers", _l("Customers"), ("customers",)),
    ("voice", _l("The customer's voice"), ("complaints", "worklog", "knowledge")),
    ("scores", _l("Scores"), ("scoring",)),
    ("admin", _l("Administration"), ()),  # everything else: reminders, staff, audit
)


@dataclass(frozen=True)
class NavGroup:
    key: str
    label: object | None  # None: no heading (the first group; a group of one entry)
    items: list


def nav_groups(user) -> list[NavGroup]:
    """``user``'s navigation entries in NAV_GROUPS' order (each group's own in their order);
    a group of one entry is shown without its heading."""
    by_area = {area: key for key, _label, areas in NAV_GROUPS for area in areas}
    found: dict[str, list] = {key: [] for key, _label, _areas in NAV_GROUPS}
    for item in nav_for(user):
        found[by_area.get(item.endpoint.split(".", 1)[0], "admin")].append(item)
    return [NavGroup(key, label if len(found[key]) > 1 else None, found[key])
            for key, label, _areas in NAV_GROUPS if found[key]]


def cards_for(user) -> list[Card]:
    """Today-page cards ``user`` may see."""
    return [c for c in _registry()["cards"] if user.can(c.permission)]


# --- the audit trail's words -----------------------------------------------------------------


@dataclass(frozen=True)
class AuditLabels:
    """How the audit browser names actions, record types, fields and stored codes."""

    actions: dict  # action -> N_(label)
    targets: dict  # table -> N_(label)
    fields: dict  # field -> N_(label)
    values: dict  # field -> {code: N_(label)}
    namers: dict  # table -> function(ids) -> {id: name}


def register_audit(app, *, actions: dict | None = None, fields: dict | None = None,
                   values: dict | None = None, target: tuple | None = None) -> None:
    """Add an area's audit words: action labels, field labels (a field another area named
    keeps its first name), code labels per field, and ``target`` = (table, label, namer)."""
    labels = _registry(app)["audit"]
    labels.actions.update(actions or {})
    for name, label in (fields or {}).items():
        labels.fields.setdefault(name, label)
    for name, codes in (values or {}).items():
        labels.values.setdefault(name, {}).update(codes)
    if target:
        table, label, *namer = target
        labels.targets[table] = label
        if namer and namer[0]:
            labels.namers[table] = namer[0]


def audit_labels(app=None) -> AuditLabels:
    """Every area's audit words."""
    return _registry(app)["audit"]


# --- records a score entry may point to ------------------------------------------------------


@dataclass(frozen=True)
class LinkSource:
    """Records of one type a person's score entry may point to (R-P1 evidence)."""

    label: str  # N_()
    # (user_id, first, last, limit) -> a SELECT of ``candidate_columns`` of the person's
    # records of those days, newest first, at most ``limit`` rows
    query: Callable[[int, date, date, int], sa.Select]
    # a row of that SELECT -> the text the list offers
    describe: Callable[[Any], str]
    # id -> url to open the record (None: shown as text only)
    url: Callable[[int], str | None] | None = None


def candidate_columns(ident, day, at=None, number=None, text=None) -> tuple:
    """The columns every source's query gives (ref_id, ref_day, ref_at, ref_number, ref_text),
    typed alike, so that one UNION ALL reads the candidates of every type at once."""
    from portal.database import UTCDateTime

    def typed(value, type_, name):
        # a missing column is a NULL cast to the column's type (PostgreSQL types a bare NULL
        # of a subquery as text, which no other part's column matches)
        if value is None:
            return sa.cast(sa.null(), type_).label(name)
        return sa.type_coerce(value, type_).label(name)

    return (typed(ident, sa.Integer(), "ref_id"), typed(day, sa.Date(), "ref_day"),
            typed(at, UTCDateTime(), "ref_at"), typed(number, sa.Integer(), "ref_number"),
            typed(text, sa.String(), "ref_text"))


def register_link_source(app, kind: str, source: LinkSource) -> None:
    """Let score entries point to an area's records of ``kind``."""
    _registry(app)["links"][kind] = source


def link_sources(app=None) -> dict[str, LinkSource]:
    """Every kind of record a score entry may point to, in registration order."""
    return _registry(app)["links"]


# --- reminders the job queue sends -----------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """One reminder to send: ``key`` names it within its kind (sent once per key, ever);
    ``message`` an ``N_()`` text with %(name)s ``params`` (labels through
    ``notifications.term``), to the active ``users`` (ids) and every active holder of a role
    in ``roles``; ``link`` where the action is."""

    key: str
    message: str
    users: tuple[int, ...] = ()
    roles: tuple[str, ...] = ()
    link: str | None = None
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ReminderKind:
    """A kind of reminder: ``find_due(since, now)`` gives the ``Due`` reminders whose moment
    fell in (since, now] (aware department times) and whose reason still holds. The job
    queue asks every minute; a kind the supervisor switched off is not asked."""

    kind: str  # at most 40 characters
    label: str  # N_()
    description: str  # N_(): when it fires and to whom
    find_due: Callable[[Any, Any], Any]
    order: int = 100


def register_reminder(app, reminder: ReminderKind) -> None:
    """Add a kind of reminder (an area's own: calls due, complaints past due, ...)."""
    kinds = _registry(app).setdefault("reminders", {})
    kinds[reminder.kind] = reminder


def reminder_kinds(app=None) -> list[ReminderKind]:
    """Every kind of reminder, in their order."""
    return sorted(_registry(app).get("reminders", {}).values(), key=lambda r: (r.order, r.kind))


# --- work the job queue runs for an area -------------------------------------------------------


@dataclass(frozen=True)
class DailyJob:
    """Work the job queue runs once a day at ``at`` (``"02:00"``, department time):
    ``run(day)`` with the department's date, idempotent (a worker that was down runs it
    once when it starts again; of two workers one runs it)."""

    name: str  # at most 50 characters
    at: str
    run: Callable[[date], Any]


@dataclass(frozen=True)
class Task:
    """Work an action hands to the job queue (``enqueue_after_commit(name)``): ``run()``,
    idempotent; ``pending()`` says whether there is work left, so that the worker's check
    each minute does it when the hand-over was lost (the queue down at the commit)."""

    name: str
    run: Callable[[], Any]
    pending: Callable[[], bool] | None = None


def register_daily_job(app, job: DailyJob) -> None:
    """Add a daily job (an area's own: the nightly class recompute, the morning calls)."""
    _registry(app).setdefault("daily", {})[job.name] = job


def daily_jobs(app=None) -> list[DailyJob]:
    return sorted(_registry(app).get("daily", {}).values(), key=lambda j: j.name)


def register_task(app, task: Task) -> None:
    """Add a task an action may hand to the job queue."""
    _registry(app).setdefault("tasks", {})[task.name] = task


def tasks(app=None) -> dict[str, Task]:
    return _registry(app).get("tasks", {})


def enqueue_after_commit(name: str) -> None:
    """Hand the task ``name`` to the job queue once this transaction commits (a rollback
    hands nothing). The job queue (portal.jobs) does the handing."""
    from portal.extensions import db

    if name not in tasks():
        raise KeyError(name)
    db.session().info.setdefault("portal_tasks", set()).add(name)


# --- sections another area adds to a report ---------------------------------------------------


@dataclass(frozen=True)
class ReportSection:
    """A part of another area's report (the customers' calls in the after-sales weekly
    report): ``template`` rendered with ``section`` = ``context(begin, end)``."""

    key: str
    title: object  # a lazy string
    template: str
    context: Callable[[Any, Any], dict]


def register_report_section(app, report: str, section: ReportSection) -> None:
    """Add ``section`` to the report named ``report`` (e.g. ``"aftersales.weekly"``)."""
    _registry(app).setdefault("reports", {}).setdefault(report, []).append(section)


def report_sections(report: str, app=None) -> list[ReportSection]:
    """The sections other areas added to ``report``, in registration order."""
    return _registry(app).get("reports", {}).get(report, [])


# --- what another area shows on a record's page ----------------------------------------------


@dataclass(frozen=True)
class RecordHook:
    """A part another area adds to a record's page (on an after-sales case: the complaints
    raised from it, or "raise to a complaint"): ``template`` rendered with ``hook`` =
    ``context(record)``, for holders of ``permission``. The page's area imports nothing of
    the other: its template asks ``record_hooks(kind, record)``."""

    key: str
    permission: str
    template: str
    context: Callable[[Any], dict]


def register_record_hook(app, kind: str, hook: RecordHook) -> None:
    """Add ``hook`` to the pages of records of ``kind`` (``"aftersales_case"``)."""
    _registry(app).setdefault("record_hooks", {}).setdefault(kind, []).append(hook)
    app.jinja_env.globals.setdefault("record_hooks", record_hooks)


def record_hooks(kind: str, record) -> list[tuple[RecordHook, dict]]:
    """The hooks of ``kind`` the signed-in user may see, each with its context."""
    from flask_login import current_user

    return [(hook, hook.context(record))
            for hook in _registry().get("record_hooks", {}).get(kind, [])
            if current_user.can(hook.permission)]


# --- columns another area adds to the score sheets' month overview ----------------------------


@dataclass(frozen=True)
class OverviewColumn:
    """A column of the month overview (the work record's count and share resolved, R-P4):
    ``values(year, month, user_ids)`` -> {user id: text}, one query; ``user_ids`` None for
    every person of the month, else only those (a row answered on its own)."""

    key: str
    label: str  # N_()
    values: Callable[[int, int, Any], dict]


def register_overview_column(app, column: OverviewColumn) -> None:
    """Add a column to the score sheets' month overview."""
    _registry(app).setdefault("overview_columns", {})[column.key] = column


def overview_columns(year: int, month: int, user_ids=None, app=None) -> list[tuple]:
    """[(column, {user id: text})] of every registered column, in registration order."""
    return [(column, column.values(year, month, user_ids))
            for column in _registry(app).get("overview_columns", {}).values()]
