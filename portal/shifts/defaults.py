"""The department's standing shift data: 白班 08:00–16:00 and 晚班 16:00–24:00 (R-S1), and
the minimum staffing the rotation keeps. Created once; the supervisor may change them."""

import sqlalchemy as sa

from portal.extensions import db
from portal.shifts.models import ShiftType, StaffingMinimum

DEFAULT_SHIFT_TYPES = (
    # code, name, start minute, end minute, colour, order
    ("day", "白班", 8 * 60, 16 * 60, "#fde8a8", 1),
    ("night", "晚班", 16 * 60, 24 * 60, "#c9dcf5", 2),
)

# (role, shift code) -> fewest people on that shift each day
DEFAULT_MINIMUMS = {
    ("presales", "day"): 2, ("presales", "night"): 1,
    ("aftersales", "day"): 1, ("aftersales", "night"): 1,
}


def ensure_defaults() -> dict[str, ShiftType]:
    """Create the default shift types and minimums where missing; returns types by code."""
    types = {t.code: t for t in db.session.scalars(sa.select(ShiftType))}
    for code, name, start, end, colour, order in DEFAULT_SHIFT_TYPES:
        if code not in types:
            types[code] = ShiftType(code=code, name=name, start_minute=start, end_minute=end,
                                    colour=colour, sort_order=order)
            db.session.add(types[code])
    db.session.flush()
    existing = {(m.role, m.shift_type_id) for m in db.session.scalars(sa.select(StaffingMinimum))}
    for (role, code), minimum in DEFAULT_MINIMUMS.items():
        if (role, types[code].id) not in existing:
            db.session.add(StaffingMinimum(role=role, shift_type_id=types[code].id,
                                           minimum=minimum))
    db.session.flush()
    return types
