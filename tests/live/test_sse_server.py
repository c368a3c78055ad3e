"""The production setup of the stream: its own gunicorn on gevent (portal.live.sse_server),
Redis between instances. A stream is served and heartbeats; an event published by another
instance arrives; a dropped connection frees its greenlet within a heartbeat."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
import redis

from portal import create_app
from tests.conftest import ROOT, TEST_SECRET

pytestmark = pytest.mark.slow

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
AGENT = "live-test"


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A gevent gunicorn serving the portal on a SQLite file with one reception user; the
    cookie of that user's session."""
    if not _redis_up():
        pytest.skip("Redis is not reachable")  # the machine and .ci/run have it
    from flask_login.utils import _create_identifier

    from portal.auth.models import User
    from portal.extensions import db
    from tests.fixtures.factories import password_hash

    folder = tmp_path_factory.mktemp("sse")
    url = f"sqlite:///{folder / 'portal.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": TEST_SECRET,
                      "REDIS_URL": None})
    with app.app_context():
        db.create_all()
        user = User(username="live-reception", display_name="前台", role="reception",
                    password_hash=password_hash(), locale="en")
        db.session.add(user)
        db.session.commit()
        session_id = user.get_id()
        db.session.remove()
        db.engine.dispose()
    with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"},
                                  headers={"User-Agent": AGENT}):
        identifier = _create_identifier()
    cookie = app.session_interface.get_signing_serializer(app).dumps(
        {"_user_id": session_id, "_fresh": True, "_id": identifier})
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": TEST_SECRET, "REDIS_URL": REDIS_URL,
           "LIVE_HEARTBEAT_SECONDS": "0.5", "SSE_BIND": f"127.0.0.1:{port}"}
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn
        [sys.executable, "-m", "gunicorn", "-c", "python:portal.live.sse_server", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60  # the worker imports the portal (seconds on a busy box)
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2).close()  # noqa: S310
            break
        except OSError:
            time.sleep(0.3)
    else:
        server.kill()
        pytest.fail(server.stderr.read().decode()[-2000:])
    yield port, cookie
    server.terminate()
    server.wait(10)


def _open(port, cookie) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall((f"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: {AGENT}\r\n"
                  f"Accept: text/event-stream\r\nCookie: session={cookie}\r\n\r\n").encode())
    return sock


def _read_until(sock, needle: bytes, timeout: float) -> bytes:
    sock.settimeout(timeout)
    seen = b""
    end = time.monotonic() + timeout
    while needle not in seen and time.monotonic() < end:
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            break
        if not chunk:
            break
        seen += chunk
    return seen


def test_the_gevent_server_streams_heartbeats_and_events(served):
    port, cookie = served
    sock = _open(port, cookie)
    head = _read_until(sock, b": open", 5)
    assert b"200 OK" in head and b"text/event-stream" in head, head
    assert b"X-Accel-Buffering: no" in head
    assert b": heartbeat" in _read_until(sock, b": heartbeat", 3)
    # another instance publishes (through Redis): it arrives within a second
    redis.Redis.from_url(REDIS_URL).publish("portal:live", json.dumps(
        [{"event": "visitors-changed", "perm": "reception.view", "user": None, "data": ""},
         {"event": "orders-changed", "perm": "orders.view", "user": None, "data": ""}]))
    started = time.monotonic()
    got = _read_until(sock, b"event: visitors-changed", 3)
    assert b"event: visitors-changed" in got and time.monotonic() - started < 1
    assert b"orders-changed" not in got + _read_until(sock, b"orders-changed", 1)
    sock.close()


def test_a_dropped_connection_frees_its_greenlet_within_a_heartbeat(served):
    port, cookie = served
    first = _open(port, cookie)
    assert b": open" in _read_until(first, b": open", 5)
    time.sleep(1.2)  # what the earlier test left has gone (its heartbeat failed)
    second = _open(port, cookie)
    assert b": open 2" in _read_until(second, b": open", 5)  # the first and this one
    first.close()  # the browser went away without a word
    time.sleep(1.5)  # a heartbeat (0.5 s) finds it gone
    third = _open(port, cookie)
    assert b": open 2" in _read_until(third, b": open", 5)  # the second and this one
    second.close()
    third.close()
