"""Shift types (R-S1: data, not code): the supervisor edits a type's name in each language,
its colour and its times. The rules a shift type keeps: a default name; a colour
``#rrggbb`` (it becomes the grid's stylesheet); a start before its end within its own date
(24:00 the latest end: a night shift never spills into the next day); no two active types
overlapping (a moment of the day belongs to one shift, which the handover book and the
top bar rely on).
"""

import re

import sqlalchemy as sa

from portal import audit
from portal.actions import Conflict
from portal.auth.models import User
from portal.extensions import db
from portal.i18n import N_
from portal.rules import RuleError
from portal.shifts.models import MINUTES_PER_DAY, ShiftType

COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
CLOCK = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")
# the languages a shift type is named in besides its default name (zh_CN)
OTHER_LANGUAGES = ("zh_TW", "en")
NAME_MAX = 40


def all_types() -> list[ShiftType]:
    """Every shift type, in the order of the day (switched-off ones too)."""
    return list(db.session.scalars(sa.select(ShiftType).order_by(
        ShiftType.sort_order, ShiftType.start_minute, ShiftType.id)))


def parse_clock(value: str | None, field: str) -> int:
    """``"16:00"`` -> 960; ``"24:00"`` -> 1440; anything else is refused next to ``field``."""
    found = CLOCK.match((value or "").strip())
    minute = int(found.group(1)) * 60 + int(found.group(2)) if found else -1
    if not 0 <= minute <= MINUTES_PER_DAY:
        raise RuleError(N_("Enter a time as HH:MM, from 00:00 to 24:00."), field)
    return minute


def update(actor: User, shift_type: ShiftType, version: int | None, *, name: str,
           names: dict[str, str | None], colour: str, start: str, end: str) -> ShiftType:
    """Change a shift type's names, colour and times (audited); a stale version is a
    conflict."""
    if version != shift_type.version:
        raise Conflict(shift_type)
    name = (name or "").strip()
    if not name:
        raise RuleError(N_("Give the shift type its name."), "name")
    if len(name) > NAME_MAX:
        raise RuleError(N_("At most %(max)d characters."), "name", max=NAME_MAX)
    cleaned = {}
    for language in OTHER_LANGUAGES:
        value = (names.get(language) or "").strip()
        if len(value) > NAME_MAX:
            raise RuleError(N_("At most %(max)d characters."), f"name_{language}",
                            max=NAME_MAX)
        if value:
            cleaned[language] = value
    colour = (colour or "").strip().lower()
    if not COLOUR.match(colour):
        raise RuleError(N_("Choose a colour as #rrggbb."), "colour")
    start_minute, end_minute = parse_clock(start, "start"), parse_clock(end, "end")
    if start_minute >= end_minute:
        raise RuleError(N_("A shift ends after it starts, by 24:00 of its own day."), "end")
    for other in all_types():
        if (other.id != shift_type.id and other.active and shift_type.active
                and start_minute < other.end_minute and other.start_minute < end_minute):
            raise RuleError(N_("%(start)s–%(end)s overlaps %(shift)s (%(hours)s)."), "start",
                            start=ShiftType.clock_text(start_minute),
                            end=ShiftType.clock_text(end_minute), shift=other.label,
                            hours=other.hours_text)
    before = {"name": shift_type.name, "names": dict(shift_type.names or {}),
              "colour": shift_type.colour, "hours": shift_type.hours_text}
    shift_type.name, shift_type.names, shift_type.colour = name, cleaned or None, colour
    shift_type.start_minute, shift_type.end_minute = start_minute, end_minute
    after = {"name": name, "names": cleaned, "colour": colour, "hours": shift_type.hours_text}
    changes = {}
    for key in ("name", "colour", "hours"):
        if before[key] != after[key]:
            changes[key] = [before[key], after[key]]
    for language in OTHER_LANGUAGES:
        old, new = before["names"].get(language), cleaned.get(language)
        if old != new:
            changes[f"name_{language}"] = [old, new]
    if changes:
        audit.record("shifts.shift_type_changed", shift_type, actor=actor, changes=changes)
    db.session.flush()  # a concurrent change fails here: the runner answers 409
    return shift_type
