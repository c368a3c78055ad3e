"""A real server of the portal in a subprocess (gunicorn with workers, or ``flask run`` as
``make run`` serves it) on a fresh SQLite file in WAL mode, for the tests that need several
processes or threads at once. Traffic goes to 127.0.0.1 only, bounded in count and time."""

import os
import re
import secrets
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "quiet harbour lanterns"

_SETUP = """
import sys
from portal import create_app
from portal.extensions import db
from portal.auth.models import User
from portal.auth.passwords import hash_password
app = create_app()
with app.app_context():
    db.create_all()
    digest = hash_password(sys.argv[1])
    for spec in sys.argv[2:]:
        username, role = spec.split(":")
        db.session.add(User(username=username, display_name=username, role=role,
                            password_hash=digest))
    db.session.commit()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(tmp_path, users: dict[str, str], *, workers: int = 0):
    """Serve a fresh portal with ``users`` ({username: role}, password PASSWORD): gunicorn
    with ``workers`` sync workers, or, with ``workers=0``, ``flask run`` (threaded werkzeug,
    what ``make run`` starts). Yields (base URL, path of the server's log)."""
    database = tmp_path / "portal.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}",
           "SECRET_KEY": secrets.token_urlsafe(48), "PORTAL_ENV": "development",
           "FLASK_APP": "wsgi", "LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"}
    env.pop("TEST_DATABASE_URL", None)
    subprocess.run([sys.executable, "-c", _SETUP, PASSWORD,  # noqa: S603 - this interpreter
                    *(f"{u}:{r}" for u, r in users.items())],
                   cwd=ROOT, env=env, check=True, timeout=120)
    port = free_port()
    log = tmp_path / "server.log"
    if workers:
        command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b",
                   f"127.0.0.1:{port}", "--access-logfile", "-",
                   "--access-logformat", "pid=%(p)s %(s)s %(U)s", "wsgi:app"]
    else:
        command = [sys.executable, "-m", "flask", "run", "--host", "127.0.0.1",
                   "--port", str(port), "--with-threads"]
    with log.open("w") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out,  # noqa: S603 - ours
                                  stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if requests.get(base + "/login", timeout=20).status_code == 200:
                        break
                except (requests.ConnectionError, requests.Timeout):
                    pass
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the server did not start:\n" + log.read_text()
                time.sleep(0.2)
            yield base, log
        finally:
            stop(server)


def stop(server: subprocess.Popen) -> None:
    """End a server we started: SIGTERM (gunicorn stops its workers), SIGKILL after 15 s."""
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', html).group(1)


def sign_in_attempt(base: str, username: str, password: str,
                    browser: requests.Session | None = None) -> requests.Response:
    """One sign-in through the form as a browser does it (a new one unless given): load the
    page, then post."""
    browser = browser or requests.Session()
    page = browser.get(base + "/login", timeout=30)
    return browser.post(base + "/login", timeout=60, allow_redirects=False, data={
        "csrf_token": csrf_token(page.text), "username": username, "password": password})


def signed_in(base: str, username: str) -> requests.Session:
    """A browser signed in as ``username``."""
    browser = requests.Session()
    response = sign_in_attempt(base, username, PASSWORD, browser)
    assert response.status_code == 303, response.text[:500]
    return browser
