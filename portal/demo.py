"""Demo data: a department in mid-month. For demonstration only, never for production.

The accounts below all use the password ``demo-pass-2026``. An area adds its own demo data
with a ``demo`` module holding ``seed(users)``; it is called after the accounts exist.
"""

import importlib
from datetime import timedelta

from portal import audit, clock
from portal.auth.models import User
from portal.auth.passwords import hash_password
from portal.extensions import db
from portal.i18n import N_

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - documented demo credential

DEMO_ACCOUNTS = [
    ("manager", "王经理", "manager"),
    ("supervisor", "李主管", "supervisor"),
    ("presales", "张小红", "presales"),
    ("aftersales", "刘晓东", "aftersales"),
    ("clerk", "陈打单", "order_clerk"),
    ("reception", "赵前台", "reception"),
]

MORE_STAFF = [
    ("presales2", "周婷", "presales"), ("presales3", "吴磊", "presales"),
    ("presales4", "郑丽", "presales"), ("presales5", "孙浩", "presales"),
    ("presales6", "黄静", "presales"), ("aftersales2", "林峰", "aftersales"),
    ("aftersales3", "何敏", "aftersales"), ("aftersales4", "高翔", "aftersales"),
    ("aftersales5", "罗琳", "aftersales"), ("clerk2", "梁强", "order_clerk"),
    ("clerk3", "宋佳", "order_clerk"), ("clerk4", "唐杰", "order_clerk"),
    ("reception2", "许蕾", "reception"), ("reception3", "韩雪", "reception"),
    ("supervisor2", "冯主管", "supervisor"), ("presales7", "曹颖", "presales"),
    ("aftersales6", "彭博", "aftersales"), ("clerk5", "董亮", "order_clerk"),
    ("presales8", "袁芳", "presales"), ("reception4", "邓琪", "reception"),
]

# People who left: deactivated, their records stay theirs.
INACTIVE = {"presales8"}


def seed() -> dict:
    """Create the demo accounts and every area's demo data; returns what was made."""
    from portal import AREAS
    from portal.notifications import notify

    users = {}
    # One argon2id hash for every demo account (same password; hashing 26 times is slow).
    demo_hash = hash_password(DEMO_PASSWORD)
    for username, name, role in DEMO_ACCOUNTS + MORE_STAFF:
        user = User(username=username, display_name=name, role=role,
                    password_hash=demo_hash, active=username not in INACTIVE,
                    created_at=clock.now() - timedelta(days=120))
        db.session.add(user)
        users[username] = user
    db.session.flush()
    for user in users.values():
        audit.record("staff.created", user, actor=users["manager"],
                     changes={"username": [None, user.username], "role": [None, user.role]})
    audit.record("staff.deactivated", users["presales8"], actor=users["supervisor"],
                 changes={"active": [True, False]})
    for user in users.values():
        if user.active:
            notify(user, N_("Welcome to the customer-service portal, %(name)s."), "/",
                   name=user.display_name)
    notify(users["supervisor"], N_("%(name)s left the department; the account was deactivated."),
           f"/staff/{users['presales8'].id}", name=users["presales8"].display_name)
    counts = {"accounts": len(users)}
    for area in AREAS:
        try:
            module = importlib.import_module(f"{area}.demo")
        except ModuleNotFoundError as error:
            if error.name != f"{area}.demo":
                raise
            continue
        counts.update(module.seed(users) or {})
    db.session.commit()
    return counts
