"""The daily work record's rules (R-C4, R-P4).

Every agent writes each question of the day on one line: the category, the question, the
answer given, resolved or not, optionally the order and the customer. A line is edited on
its own day (department time, ``clock.today()``); afterwards it is only corrected, and the
earlier text is kept in ``WorkLineCorrection`` (as the handover book keeps revisions).
Services flush, never commit.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import url_for

from portal import audit, clock
from portal.actions import Conflict, NotAllowed
from portal.auth.models import User
from portal.extensions import db
from portal.i18n import N_
from portal.rules import RuleError
from portal.worklog.models import QuestionCategory, WorkLine, WorkLineCorrection

QUESTION_MAX = 1000
ANSWER_MAX = 2000
REASON_MAX = 500
UNRESOLVED_PAGE = 50
LINK_TEXT = 40


class WorklogError(RuleError):
    """A rule of the work record refuses the request."""


# --- categories ------------------------------------------------------------------------------


def categories(*, active_only: bool = True) -> list[QuestionCategory]:
    """The question categories in their order (one list with the knowledge base)."""
    query = sa.select(QuestionCategory).order_by(QuestionCategory.position, QuestionCategory.id)
    if active_only:
        query = query.where(QuestionCategory.active.is_(True))
    return list(db.session.scalars(query))


def _category(category_id: int | None, *, keep: int | None = None) -> QuestionCategory:
    """An active category (or the line's own one, ``keep``, even if switched off since)."""
    found = db.session.get(QuestionCategory, category_id) if category_id else None
    if found is None or not (found.active or found.id == keep):
        raise WorklogError(N_("Choose a category from the list."), "category")
    return found


def save_category(actor: User, category: QuestionCategory | None, *, name: str,
                  name_tw: str, name_en: str, position: int, active: bool,
                  version: int | None = None) -> QuestionCategory:
    """Add (``category`` None) or change a question category; names per language."""
    name = (name or "").strip()
    if not name:
        raise WorklogError(N_("Give the category a name."), "name")
    taken = db.session.scalar(sa.select(QuestionCategory.id).where(QuestionCategory.name == name))
    if taken and (category is None or taken != category.id):
        raise WorklogError(N_("A category of that name exists already."), "name")
    names = {k: v for k, v in (("zh_TW", (name_tw or "").strip()),
                               ("en", (name_en or "").strip())) if v}
    if category is None:
        category = QuestionCategory(name=name, names=names, position=position, active=active)
        db.session.add(category)
        db.session.flush()
        audit.record("worklog.category_added", category, actor=actor,
                     changes={"name": [None, name]})
        return category
    if version is not None and version != category.version:
        raise Conflict(category)
    before = {"name": category.name, "names": category.names, "position": category.position,
              "active": category.active}
    category.name, category.names = name, names
    category.position, category.active = position, active
    changes = audit.changes(category, ("name", "names", "position", "active"), before)
    if changes:
        audit.record("worklog.category_changed", category, actor=actor, changes=changes)
    db.session.flush()
    return category


# --- lines -----------------------------------------------------------------------------------


@dataclass
class LineInput:
    """What the one-line form gives."""

    category_id: int | None
    question: str
    answer: str = ""
    resolved: bool = True
    order_no: str | None = None
    customer_id: int | None = None


def _text(value: str | None, limit: int, field_name: str, *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        if field_name == "question":
            raise WorklogError(N_("Write the question you met."), field_name)
        raise WorklogError(N_("Fill in this field (spaces alone do not count)."), field_name)
    if len(value) > limit:
        raise WorklogError(N_("Keep this under %(max)d characters."), field_name, max=limit)
    return value


def _order_and_customer(order_no: str | None,
                        customer_id: int | None) -> tuple[int | None, int | None]:
    """The order (by its number, any platform) and its customer; ``customer_id`` when no
    order says otherwise."""
    from portal.orders.models import Order

    order_no = (order_no or "").strip()
    if not order_no:
        return None, customer_id
    row = db.session.execute(
        sa.select(Order.id, Order.customer_id).where(Order.order_no == order_no)
        .order_by(Order.id.desc()).limit(1)).first()
    if row is None:
        raise WorklogError(N_("No order has the number %(number)s."), "order_no",
                           number=order_no[:40])
    return row.id, row.customer_id or customer_id


def _check(data: LineInput, *, keep_category: int | None = None) -> dict:
    question = _text(data.question, QUESTION_MAX, "question", required=True)
    answer = _text(data.answer, ANSWER_MAX, "answer", required=False)
    # R-C4: an unanswered question is written down too, but a resolved one has its answer
    if data.resolved and not answer:
        raise WorklogError(N_("Write the answer you gave, or untick “Resolved”."), "answer")
    category = _category(data.category_id, keep=keep_category)
    order_id, customer_id = _order_and_customer(data.order_no, data.customer_id)
    return {"question": question, "answer": answer, "resolved": bool(data.resolved),
            "category_id": category.id, "category": category, "order_id": order_id,
            "customer_id": customer_id}


def add_line(user: User, data: LineInput) -> WorkLine:
    """R-C4: one question of today's record (department date): one INSERT."""
    values = _check(data)
    line = WorkLine(user_id=user.id, day=clock.today(), **values)
    db.session.add(line)
    db.session.flush()
    return line


def _own(user: User, line: WorkLine) -> None:
    if line.user_id != user.id:
        raise NotAllowed("worklog.own", N_("Only the author changes a line of the record."))


def editable(line: WorkLine, today: date | None = None) -> bool:
    """A line is edited in place on its own day only; afterwards it is corrected."""
    return line.day >= (today or clock.today())


EDITED_FIELDS = ("question", "answer", "resolved", "category_id", "order_id", "customer_id")


def edit_line(user: User, line: WorkLine, data: LineInput, version: int | None) -> WorkLine:
    """Edit a line of today (its author); a line of an earlier day is refused."""
    _own(user, line)
    if version is not None and version != line.version:
        raise Conflict(line)
    if not editable(line):
        raise WorklogError(N_("A line of an earlier day cannot be edited; correct it "
                              "instead (the earlier text is kept)."))
    values = _check(data, keep_category=line.category_id)
    for name, value in values.items():
        setattr(line, name, value)
    db.session.flush()
    return line


def correct_line(user: User, line: WorkLine, data: LineInput, reason: str,
                 version: int | None) -> WorkLine:
    """Correct a line of an earlier day: the text it had is kept (WorkLineCorrection) and
    shown with it; the correction is audited."""
    _own(user, line)
    if version is not None and version != line.version:
        raise Conflict(line)
    if editable(line):
        raise WorklogError(N_("Today's lines are edited in place."))
    reason = _text(reason, REASON_MAX, "reason", required=False)
    values = _check(data, keep_category=line.category_id)
    before = {name: getattr(line, name) for name in EDITED_FIELDS}
    if all(before[name] == values[name] for name in EDITED_FIELDS):
        raise WorklogError(N_("Nothing was changed."))
    db.session.add(WorkLineCorrection(
        line_id=line.id, at=clock.now(), user_id=user.id, question=line.question,
        answer=line.answer, resolved=line.resolved, category_id=line.category_id,
        reason=reason))
    for name, value in values.items():
        setattr(line, name, value)
    line.corrections = (line.corrections or 0) + 1
    audit.record("worklog.corrected", line, actor=user,
                 changes=audit.changes(line, ("question", "answer", "resolved",
                                              "category_id"), before))
    db.session.flush()
    return line


def corrections_of(line_ids) -> dict[int, list[WorkLineCorrection]]:
    """The kept earlier texts of lines, oldest first (one query; none without corrections)."""
    ids = list(line_ids)
    found: dict[int, list[WorkLineCorrection]] = defaultdict(list)
    if not ids:
        return found
    for row in db.session.scalars(sa.select(WorkLineCorrection)
                                  .where(WorkLineCorrection.line_id.in_(ids))
                                  .order_by(WorkLineCorrection.line_id, WorkLineCorrection.id)):
        found[row.line_id].append(row)
    return found


def day_lines(user_id: int, day: date) -> list[WorkLine]:
    """A person's lines of a day, newest first (the (user_id, day, id) index)."""
    return list(db.session.scalars(
        sa.select(WorkLine).where(WorkLine.user_id == user_id, WorkLine.day == day)
        .order_by(WorkLine.id.desc())).unique())


def day_counts(user_id: int, day: date) -> tuple[int, int]:
    """(lines, resolved) of a person's day (one query)."""
    row = db.session.execute(
        sa.select(sa.func.count(),
                  sa.func.sum(sa.case((WorkLine.resolved.is_(True), 1), else_=0)))
        .where(WorkLine.user_id == user_id, WorkLine.day == day)).one()
    return row[0], int(row[1] or 0)


def order_numbers(lines) -> dict[int, str]:
    """Order id -> number of the lines' orders (one query, none without orders)."""
    from portal.orders.models import Order

    ids = {line.order_id for line in lines if line.order_id}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(Order.id, Order.order_no)
                                   .where(Order.id.in_(ids))).all())


# --- the supervisor's day (每日工作统计) ---------------------------------------------------------


@dataclass
class AgentTotals:
    user_id: int
    name: str
    lines: int = 0
    resolved: int = 0
    per_category: dict = field(default_factory=dict)

    @property
    def unresolved(self) -> int:
        return self.lines - self.resolved


@dataclass
class DayTotals:
    day: date
    agents: list[AgentTotals]
    categories: list[QuestionCategory]
    per_category: dict[int, int]
    lines: int
    resolved: int

    @property
    def unresolved(self) -> int:
        return self.lines - self.resolved


def day_totals(day: date) -> DayTotals:
    """The day's lines per agent and category (one grouped query) and the categories."""
    rows = db.session.execute(
        sa.select(WorkLine.user_id, User.display_name, WorkLine.category_id,
                  sa.func.count().label("n"),
                  sa.func.sum(sa.case((WorkLine.resolved.is_(True), 1), else_=0)).label("ok"))
        .join(User, User.id == WorkLine.user_id)
        .where(WorkLine.day == day)
        .group_by(WorkLine.user_id, User.display_name, WorkLine.category_id)).all()
    agents: dict[int, AgentTotals] = {}
    per_category: dict[int, int] = defaultdict(int)
    for row in rows:
        agent = agents.setdefault(row.user_id, AgentTotals(row.user_id, row.display_name))
        agent.lines += row.n
        agent.resolved += int(row.ok or 0)
        agent.per_category[row.category_id] = row.n
        per_category[row.category_id] += row.n
    listed = categories(active_only=False)
    shown = [c for c in listed if c.active or per_category.get(c.id)]
    ordered = sorted(agents.values(), key=lambda a: (-a.lines, a.name))
    return DayTotals(day, ordered, shown, dict(per_category),
                     sum(a.lines for a in ordered), sum(a.resolved for a in ordered))


UNRESOLVED_KEY = (WorkLine.day, WorkLine.id)


def unresolved_query():
    """Unresolved questions (the ``ix_work_lines_unresolved`` index), with their authors."""
    return (sa.select(WorkLine).where(WorkLine.resolved.is_(False))
            .options(sa.orm.joinedload(WorkLine.user)))


def unresolved_count(day: date | None = None) -> int:
    query = sa.select(sa.func.count()).select_from(WorkLine).where(WorkLine.resolved.is_(False))
    if day is not None:
        query = query.where(WorkLine.day == day)
    return db.session.scalar(query)


# --- Today cards -----------------------------------------------------------------------------

FIRST_HOUR = timedelta(hours=1)


def agent_card(user: User) -> dict:
    """Today's record count; "not written yet" once the first hour of the shift passed."""
    today = clock.today()
    count = db.session.scalar(sa.select(sa.func.count()).select_from(WorkLine)
                              .where(WorkLine.user_id == user.id, WorkLine.day == today))
    late = False
    if not count:
        started = shift_start(user, today)
        late = started is not None and clock.now() >= started + FIRST_HOUR
    return {"count": count, "late": late, "day": today}


def shift_start(user: User, day: date):
    """When ``user``'s published shift of ``day`` began (aware), or None (rest, no roster)."""
    from portal.shifts.slots import published_entry

    entry = published_entry(user, day)
    if entry is None or entry.shift_type is None:
        return None
    return entry.shift_type.starts_at(day)


def supervisor_card(user: User) -> dict:
    """Today's totals (lines, people, resolved) and the unresolved questions overall."""
    today = clock.today()
    row = db.session.execute(
        sa.select(sa.func.count(), sa.func.count(sa.distinct(WorkLine.user_id)),
                  sa.func.sum(sa.case((WorkLine.resolved.is_(True), 1), else_=0)))
        .where(WorkLine.day == today)).one()
    return {"lines": row[0], "people": row[1], "resolved": int(row[2] or 0),
            "unresolved": unresolved_count(), "day": today}


# --- reminders: no record an hour into the shift -----------------------------------------------


def late_records(since, now):
    """``Due`` reminders: people whose published shift began an hour before a moment in
    (since, now] and who have written no line that day (one query for the shifts, one for
    the counts)."""
    from portal.shifts.models import RosterEntry, RosterMonth, ShiftType
    from portal.ui import Due

    due = []
    for day in sorted({clock.local(since).date(), clock.local(now).date()}):
        rows = db.session.execute(
            sa.select(RosterEntry.user_id, ShiftType.start_minute)
            .join(RosterMonth, RosterEntry.month_id == RosterMonth.id)
            .join(ShiftType, RosterEntry.shift_type_id == ShiftType.id)
            .join(User, User.id == RosterEntry.user_id)
            .where(RosterEntry.day == day, RosterMonth.status == "published",
                   User.active.is_(True))).all()
        if not rows:
            continue
        written = set(db.session.scalars(
            sa.select(WorkLine.user_id).where(WorkLine.day == day,
                                              WorkLine.user_id.in_({r.user_id for r in rows}))
            .distinct()))
        for row in rows:
            moment = (datetime.combine(day, time(), clock.get_clock().tz)
                      + timedelta(minutes=row.start_minute) + FIRST_HOUR)
            if since < moment <= now and row.user_id not in written:
                due.append(Due(f"{row.user_id}:{day.isoformat()}",
                               N_("You have not written today's work record yet."),
                               users=(row.user_id,), link=_day_link()))
    return due


def _day_link() -> str | None:
    try:
        return url_for("worklog.day")
    except RuntimeError:
        return "/worklog/"


# --- score sheets: a day's record as evidence (R-P4) -----------------------------------------


def link_query(user_id: int, first: date, last: date, limit: int) -> sa.Select:
    """The person's recorded days in (first, last), newest first: one row per day, its first
    line's id standing for the day."""
    from portal.ui import candidate_columns

    days = (sa.select(sa.func.min(WorkLine.id).label("id"), WorkLine.day,
                      sa.func.count().label("n"))
            .where(WorkLine.user_id == user_id, WorkLine.day.between(first, last))
            .group_by(WorkLine.day).subquery())
    return (sa.select(*candidate_columns(days.c.id, days.c.day, number=days.c.n))
            .order_by(days.c.day.desc()).limit(limit))


def link_text(row) -> str:
    from flask_babel import ngettext

    count = row.ref_number or 0
    return f"{row.ref_day:%Y-%m-%d} " + ngettext(
        "Work record: %(num)d question", "Work record: %(num)d questions", count)


def link_url(ident: int) -> str | None:
    row = db.session.execute(sa.select(WorkLine.user_id, WorkLine.day)
                             .where(WorkLine.id == ident)).first()
    if row is None:
        return None
    return url_for("worklog.day", user=row.user_id, day=row.day.isoformat())


# --- the month overview of the score sheets: count and share resolved --------------------------


def month_figures(year: int, month: int, user_ids=None) -> dict[int, tuple[int, int]]:
    """user id -> (lines, resolved) of the month (one grouped query)."""
    first = date(year, month, 1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    query = (sa.select(WorkLine.user_id, sa.func.count(),
                       sa.func.sum(sa.case((WorkLine.resolved.is_(True), 1), else_=0)))
             .where(WorkLine.day.between(first, last)).group_by(WorkLine.user_id))
    if user_ids is not None:
        query = query.where(WorkLine.user_id.in_(list(user_ids)))
    return {uid: (n, int(ok or 0)) for uid, n, ok in db.session.execute(query)}


def month_cell(year: int, month: int, user_ids=None) -> dict[int, str]:
    """The overview's cell per person: "12 · 83%" (records, share resolved)."""
    cells = {}
    for uid, (n, ok) in month_figures(year, month, user_ids).items():
        cells[uid] = f"{n} · {round(100 * ok / n)}%" if n else "0"
    return cells
