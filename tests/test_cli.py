"""`flask portal create-user` and `flask portal seed-demo`."""

import sqlalchemy as sa

from portal.auth.models import User
from portal.auth.passwords import verify_password
from portal.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from portal.extensions import db
from tests.conftest import count_rows


def test_create_first_manager(runner):
    result = runner.invoke(args=["portal", "create-user", "--username", "Boss", "--name", "王总",
                                 "--role", "manager", "--password", "first manager pass"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.username == "boss"))
    assert user.role == "manager" and verify_password(user.password_hash, "first manager pass")


def test_create_user_refuses_short_password_and_duplicates(runner, create_user):
    short = runner.invoke(args=["portal", "create-user", "--username", "x1", "--name", "X",
                                "--password", "short"])
    assert short.exit_code != 0 and count_rows(User, User.username == "x1") == 0
    create_user("manager", username="taken")
    dup = runner.invoke(args=["portal", "create-user", "--username", "taken", "--name", "X",
                              "--password", "long enough password"])
    assert dup.exit_code != 0 and "exists" in dup.output


def test_seed_demo_creates_every_role_and_is_idempotent_with_if_empty(runner):
    result = runner.invoke(args=["portal", "seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    usernames = {u for u, _, _ in DEMO_ACCOUNTS}
    users = db.session.scalars(sa.select(User).where(User.username.in_(usernames))).all()
    assert {u.role for u in users} == {"manager", "supervisor", "presales", "aftersales",
                                       "order_clerk", "reception"}
    assert verify_password(users[0].password_hash, DEMO_PASSWORD)
    assert count_rows(User) >= 26
    again = runner.invoke(args=["portal", "seed-demo", "--if-empty"])
    assert "not loaded" in again.output
    assert count_rows(User) >= 26 and count_rows(User) < 40
