"""Overtime (R-S3): a night-shift agent whose customer is still consulting at 24:00 stays
until the customer is served and records the actual end time.

The record belongs to the shift's own date (a 16:00–24:00 shift never spills into the next
day); the actual end is an aware moment, usually on the next calendar date: "00:40" after
the night shift of 2026-11-22 is 2026-11-23 00:40 department time, 40 minutes past the end.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from portal import audit, clock
from portal.actions import Conflict, NotAllowed
from portal.auth.models import User
from portal.extensions import db
from portal.i18n import N_
from portal.notifications import notify
from portal.rules import RuleError
from portal.shifts.models import OvertimeRecord, RosterEntry, RosterMonth, ShiftType
from portal.shifts.slots import published_entry

# Longer than this past a shift's end is taken for a typing mistake.
MAX_OVERTIME_MINUTES = 6 * 60
# How far back a person may still record the end of a shift.
RECORD_WITHIN_DAYS = 14


class OvertimeError(RuleError):
    """An overtime record the rules refuse."""


def actual_end(shift_type: ShiftType, day: date, end: time) -> datetime:
    """The aware moment a clock time ``end`` means after the shift on ``day``: the first such
    time at or after the shift's start (00:40 after 16:00–24:00 is 00:40 of the next date)."""
    minute = end.hour * 60 + end.minute
    moment = datetime.combine(day, time(), clock.get_clock().tz)
    if minute < shift_type.start_minute:
        moment += timedelta(days=1)
    # wall-clock arithmetic, then normalised (correct across a DST change elsewhere)
    return (moment + timedelta(minutes=minute)).astimezone(UTC).astimezone(moment.tzinfo)


def minutes_past_end(shift_type: ShiftType, day: date, moment: datetime) -> int:
    """Whole minutes from the shift's planned end to ``moment`` (negative when before)."""
    delta = moment.astimezone(UTC) - shift_type.ends_at(day).astimezone(UTC)
    return int(delta.total_seconds() // 60)


def recent_shifts(user: User, days: int = RECORD_WITHIN_DAYS) -> list[RosterEntry]:
    """``user``'s published shifts of the last ``days`` days up to today, newest first."""
    today = clock.today()
    return list(db.session.scalars(
        sa.select(RosterEntry).join(RosterMonth, RosterMonth.id == RosterEntry.month_id)
        .where(RosterEntry.user_id == user.id, RosterEntry.shift_type_id.is_not(None),
               RosterEntry.day <= today, RosterEntry.day > today - timedelta(days=days),
               RosterMonth.status == "published")
        .order_by(RosterEntry.day.desc())
    ))


def _measure(shift_type: ShiftType, day: date, end: time) -> tuple[datetime, int]:
    """(actual end, minutes past the planned end), or the reason it cannot be right."""
    moment = actual_end(shift_type, day, end)
    minutes = minutes_past_end(shift_type, day, moment)
    planned = shift_type.clock_text(shift_type.end_minute)
    said = end.strftime("%H:%M")
    if minutes <= 0:
        raise OvertimeError(N_("The %(shift)s of %(day)s ended at %(end)s; %(time)s is not "
                               "after its end."), "end_time", shift=shift_type.label,
                            day=day.isoformat(), end=planned, time=said)
    if minutes > MAX_OVERTIME_MINUTES:
        raise OvertimeError(N_("%(time)s is more than %(hours)d hours after the shift's end "
                               "(%(end)s); check the time."), "end_time", time=said,
                            hours=MAX_OVERTIME_MINUTES // 60, end=planned)
    if moment > clock.now():
        raise OvertimeError(N_("%(moment)s is still to come; record the end time once you "
                               "have finished."), "end_time",
                            moment=moment.strftime("%Y-%m-%d %H:%M"))
    return moment, minutes


MANAGE = "shifts.overtime_manage"  # the supervisor records and corrects anyone's (R-S3)


def _check_person(actor: User, person: User) -> None:
    """Someone else's overtime is the supervisor's to record or correct."""
    if person.id != actor.id and not actor.can(MANAGE):
        raise NotAllowed(MANAGE)


def record_overtime(actor: User, day: date | None, end: time, note: str | None = None,
                    person: User | None = None) -> OvertimeRecord:
    """Record that ``person`` (``actor`` unless the supervisor records it for an agent)
    finished the shift of ``day`` at ``end`` (R-S3)."""
    person = person or actor
    _check_person(actor, person)
    if day is None:
        raise OvertimeError(N_("Choose the shift."), "day")
    if day > clock.today() or day <= clock.today() - timedelta(days=RECORD_WITHIN_DAYS):
        raise OvertimeError(N_("Record overtime for one of your shifts of the last %(days)d "
                               "days."), "day", days=RECORD_WITHIN_DAYS)
    entry = published_entry(person, day)
    if entry is None or entry.shift_type is None:
        if person.id != actor.id:
            raise OvertimeError(N_("%(name)s was not on a shift on %(day)s."), "day",
                                name=person.display_name, day=day.isoformat())
        raise OvertimeError(N_("You were not on a shift on %(day)s."), "day",
                            day=day.isoformat())
    if db.session.scalar(sa.select(OvertimeRecord.id).where(
            OvertimeRecord.user_id == person.id, OvertimeRecord.day == day,
            OvertimeRecord.shift_type_id == entry.shift_type_id)):
        raise _duplicate(day)
    moment, minutes = _measure(entry.shift_type, day, end)
    record = OvertimeRecord(user_id=person.id, day=day, shift_type_id=entry.shift_type_id,
                            actual_end_at=moment, minutes=minutes,
                            note=(note or "").strip() or None, recorded_at=clock.now())
    try:
        # recorded at the same moment in another tab: only this insert is taken back (a
        # savepoint), and the rule says why
        with db.session.begin_nested():
            db.session.add(record)
    except IntegrityError as error:
        raise _duplicate(day) from error
    audit.record("shifts.overtime_recorded", record, actor=actor, changes={
        "day": [None, day.isoformat()], "actual_end_at": [None, moment.isoformat()],
        "minutes": [None, minutes], "note": [None, record.note]},
        details={"person": person.display_name} if person.id != actor.id else None)
    if person.id != actor.id:
        notify(person, N_("%(name)s recorded your overtime after the shift of %(day)s."),
               _my_month_link(day), name=actor.display_name, day=day.isoformat())
    return record


def _my_month_link(day: date) -> str:
    from flask import has_request_context, url_for

    month = f"{day.year:04d}-{day.month:02d}"
    return url_for("shifts.my_shifts", month=month) if has_request_context() \
        else f"/roster/me?month={month}"


def _duplicate(day: date) -> OvertimeError:
    return OvertimeError(N_("The overtime of your shift on %(day)s is already recorded; "
                            "change that record instead."), "day", day=day.isoformat())


def update_overtime(actor: User, record: OvertimeRecord, version: int | None, end: time,
                    note: str | None = None) -> None:
    """The author, or the supervisor, corrects the end time or the note; a stale version is
    a conflict."""
    if record.user_id != actor.id and not actor.can(MANAGE):
        raise NotAllowed("shifts.overtime")
    if version is not None and version != record.version:
        raise Conflict(record)
    moment, minutes = _measure(record.shift_type, record.day, end)
    before = {"actual_end_at": record.actual_end_at, "minutes": record.minutes,
              "note": record.note}
    record.actual_end_at, record.minutes = moment, minutes
    record.note = (note or "").strip() or None
    changed = audit.changes(record, ("minutes", "note"), before)
    if record.actual_end_at != before["actual_end_at"]:
        changed["actual_end_at"] = [clock.local(before["actual_end_at"]).isoformat(),
                                    moment.isoformat()]
    if not changed:
        return  # the same values again: no UPDATE, no version change
    audit.record("shifts.overtime_changed", record, actor=actor, changes=changed,
                 details={"person": record.user.display_name}
                 if record.user_id != actor.id else None)
    if record.user_id != actor.id:
        notify(record.user, N_("%(name)s corrected your overtime record of %(day)s."),
               _my_month_link(record.day), name=actor.display_name, day=record.day.isoformat())
    db.session.flush()  # a concurrent change fails here: the runner answers 409


def records_of(user: User, year: int, month: int) -> list[OvertimeRecord]:
    """``user``'s overtime records of a month (by the shift's date)."""
    first, last = month_bounds(year, month)
    return list(db.session.scalars(
        sa.select(OvertimeRecord).where(OvertimeRecord.user_id == user.id,
                                        OvertimeRecord.day >= first, OvertimeRecord.day <= last)
        .order_by(OvertimeRecord.day)
    ))


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """The first and last date of a month."""
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return first, following - timedelta(days=1)


@dataclass
class PersonOvertime:
    """One person's overtime in a month."""

    user: User
    records: list[OvertimeRecord] = field(default_factory=list)

    @property
    def minutes(self) -> int:
        return sum(r.minutes for r in self.records)


def monthly_report(year: int, month: int) -> list[PersonOvertime]:
    """Overtime per person in a month, most minutes first. One query."""
    first, last = month_bounds(year, month)
    people: dict[int, PersonOvertime] = {}
    rows = db.session.scalars(
        sa.select(OvertimeRecord).where(OvertimeRecord.day >= first, OvertimeRecord.day <= last)
        .order_by(OvertimeRecord.day, OvertimeRecord.id)
    )
    for record in rows:
        people.setdefault(record.user_id, PersonOvertime(record.user)).records.append(record)
    return sorted(people.values(), key=lambda p: (-p.minutes, p.user.display_name))


def month_totals(year: int, month: int) -> dict:
    """{"minutes", "records", "people"} of a month, for the Today card. One query."""
    first, last = month_bounds(year, month)
    minutes, records, people = db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(OvertimeRecord.minutes), 0),
                  sa.func.count(OvertimeRecord.id),
                  sa.func.count(sa.distinct(OvertimeRecord.user_id)))
        .where(OvertimeRecord.day >= first, OvertimeRecord.day <= last)
    ).one()
    return {"minutes": int(minutes), "records": records, "people": people}


def seed_demo_overtime(users: dict[str, User]) -> int:
    """A few overtime records after night shifts earlier this month (demo data)."""
    today = clock.today()
    first, _last = month_bounds(today.year, today.month)
    entries = db.session.scalars(
        sa.select(RosterEntry).join(RosterMonth, RosterMonth.id == RosterEntry.month_id)
        .join(ShiftType, ShiftType.id == RosterEntry.shift_type_id)
        .where(RosterMonth.status == "published", RosterEntry.day >= first,
               RosterEntry.day < today, ShiftType.end_minute == 24 * 60,
               RosterEntry.user_id.in_([u.id for u in users.values() if u.active]))
        .order_by(RosterEntry.day.desc(), RosterEntry.user_id)
    ).all()
    made, seen = 0, set()
    by_user: dict[int, list[RosterEntry]] = defaultdict(list)
    for entry in entries:
        by_user[entry.user_id].append(entry)
    for n, (user_id, mine) in enumerate(sorted(by_user.items())[:4]):
        entry = mine[0]
        if (user_id, entry.day) in seen:
            continue
        seen.add((user_id, entry.day))
        end = time(0, 10 + 15 * n)
        moment = actual_end(entry.shift_type, entry.day, end)
        record = OvertimeRecord(user_id=user_id, day=entry.day, shift_type_id=entry.shift_type_id,
                                actual_end_at=moment,
                                minutes=minutes_past_end(entry.shift_type, entry.day, moment),
                                note="顾客咨询售后退换货, 服务完毕后下班",
                                recorded_at=moment + timedelta(minutes=5))
        db.session.add(record)
        db.session.flush()
        audit.record("shifts.overtime_recorded", record, actor=db.session.get(User, user_id),
                     changes={"minutes": [None, record.minutes]})
        made += 1
    return made
