"""The department: 60 staff of every role, all with the password ``bench-pass-2026``.

Usernames say the role and a number (``presales07``); the load run signs in as them.
"""

from datetime import timedelta

from bench.data import BENCH_PASSWORD, Context

# role, username prefix, how many (60 in all, at every scale)
STAFF = (
    ("manager", "manager", 2),
    ("supervisor", "supervisor", 4),
    ("presales", "presales", 20),
    ("aftersales", "aftersales", 14),
    ("order_clerk", "clerk", 12),
    ("reception", "reception", 8),
)

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘"
            "于蒋蔡余杜叶程")
GIVEN = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
         "明", "超", "秀英", "霞", "平", "刚", "桂英", "晓东", "小红", "婷", "颖", "浩", "琳")


def usernames() -> list[tuple[str, str]]:
    """[(username, role)] of the whole department, in id order."""
    return [(f"{prefix}{n:02d}", role) for role, prefix, count in STAFF
            for n in range(1, count + 1)]


def build(ctx: Context) -> None:
    from portal.auth.models import new_session_token
    from portal.auth.passwords import hash_password

    password_hash = hash_password(BENCH_PASSWORD)  # one argon2id hash: hashing 60 is slow
    created = ctx.w.dt(ctx.now_utc() - timedelta(days=4 * 365))
    rows = []
    for ident, (username, role) in enumerate(usernames(), start=1):
        name = ctx.rng.choice(SURNAMES) + ctx.rng.choice(GIVEN)
        rows.append((ident, username, name, role, True, password_hash, None,
                     new_session_token(), created, created, 1))
        ctx.staff.append((ident, username, role))
        ctx.by_role.setdefault(role, []).append(ident)
    ctx.w.rows("users", ("id", "username", "display_name", "role", "active", "password_hash",
                         "locale", "session_token", "created_at", "updated_at", "version"), rows)
    ctx.add("staff", len(rows))
