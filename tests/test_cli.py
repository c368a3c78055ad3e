"""`flask portal create-user` and `flask portal seed-demo`; the commands of an installed
portal (no source tree around it)."""

import os
import shutil
import subprocess
import sysconfig
import venv
from pathlib import Path

import pytest
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


ROOT = Path(__file__).resolve().parent.parent


def _python(python: str, *args: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    """``python *args`` in ``cwd`` with only ``env``."""
    return subprocess.run([python, *args], cwd=cwd, env=env,  # noqa: S603 - the test's own venv
                          capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_an_installed_portal_lists_its_commands_without_the_source_tree(tmp_path):
    """Issue 14 item 8: an installed (not editable) portal holds only the ``portal`` package;
    ``flask --app wsgi portal --help`` must work from a directory holding only wsgi.py, with
    no ``bench/`` anywhere.

    The install is what ``pip install .`` puts in site-packages: setuptools' ``build_py``
    of the project (the wheel's contents, by the project's own package discovery) into a
    fresh venv, whose dependencies come from this environment through a ``.pth`` file (no
    download). pip itself cannot build the wheel offline here: the environment's setuptools
    (older than pyproject's >=68) needs the separate ``wheel`` package for bdist_wheel.
    """
    source = tmp_path / "src"  # the project without bench/ and tests/
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "portal", source / "portal",
                    ignore=shutil.ignore_patterns("__pycache__"))
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = str(env_dir / "bin" / "python")
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
             "LANG": "C.UTF-8"}
    site = _python(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                   cwd=tmp_path, env=clean).stdout.strip()
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "_portal_dependencies.pth").write_text("\n".join(sorted(deps)) + "\n")
    built = _python(python, "-c", "from setuptools import setup; setup()", "-q", "build_py",
                    "--build-lib", site, cwd=source, env=clean)
    assert built.returncode == 0, built.stderr
    shutil.rmtree(source)

    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(ROOT / "wsgi.py", run / "wsgi.py")

    def in_venv(*args):
        return _python(python, *args, cwd=run, env=clean)

    where = in_venv("-c", "import importlib.util, portal; print(portal.__file__); "
                          "print(importlib.util.find_spec('bench'))")
    assert where.returncode == 0, where.stderr
    installed, bench = where.stdout.split()
    assert installed.startswith(site) and bench == "None"

    listed = in_venv("-m", "flask", "--app", "wsgi", "portal", "--help")
    assert listed.returncode == 0, listed.stderr
    assert "seed-demo" in listed.stdout and "create-user" in listed.stdout

    refused = in_venv("-m", "flask", "--app", "wsgi", "portal", "bench-data")
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert "needs the bench/ folder" in refused.stderr
