"""``/healthz``: public, JSON, nothing personal; 503 when the database is down, 200 "degraded"
when only Redis is (the instance still serves)."""

import json

import pytest

from portal import create_app
from portal.ops import health


def test_healthy_without_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.is_json
    assert response.json == {"status": "ok",
                             "checks": {"database": "ok", "redis": "not configured"}}
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers, "a load balancer's probe makes no session"


def test_public_and_the_same_for_everyone(client, login):
    anonymous = client.get("/healthz")
    login("manager")
    signed_in = client.get("/healthz")
    assert anonymous.status_code == signed_in.status_code == 200
    assert anonymous.json == signed_in.json


def test_database_down_is_503_without_details(client, db, monkeypatch, caplog):
    def fail(*args, **kwargs):
        raise RuntimeError("could not connect to server at 10.0.0.7 as portal_user")

    monkeypatch.setattr(health.db.session, "execute", fail)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "down"
    assert response.json["checks"]["database"] == "down"
    body = response.get_data(as_text=True)
    assert "10.0.0.7" not in body and "portal_user" not in body
    assert any("database does not answer" in r.getMessage() for r in caplog.records)


@pytest.fixture
def app_with_redis(app):
    """A second portal on the test's database with REDIS_URL set (to the port given)."""

    def make(url):
        return create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                           "SECRET_KEY": "x" * 40, "REDIS_URL": url})

    return make


def _redis_answers(url="redis://127.0.0.1:6379/0") -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


@pytest.mark.skipif(not _redis_answers(), reason="no Redis at 127.0.0.1:6379")
def test_redis_reachable(app_with_redis):
    response = app_with_redis("redis://127.0.0.1:6379/0").test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json["checks"] == {"database": "ok", "redis": "ok"}


def test_redis_down_is_degraded_not_down(app_with_redis):
    # nothing listens on port 1 of loopback: refused at once. The instance still serves pages
    # and actions, and one shared Redis down must not empty the load balancer
    response = app_with_redis("redis://127.0.0.1:1/0").test_client().get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.get_data()) == {
        "status": "degraded", "checks": {"database": "ok", "redis": "down"}}


def test_redis_url_is_the_limiter_storage_unless_given(monkeypatch, tmp_path):
    from portal import config

    monkeypatch.setenv("REDIS_URL", "redis://10.1.2.3:6379/2")
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    settings = config.from_environment(str(tmp_path))
    assert settings["REDIS_URL"] == settings["RATELIMIT_STORAGE_URI"] == "redis://10.1.2.3:6379/2"
    monkeypatch.delenv("REDIS_URL")
    settings = config.from_environment(str(tmp_path))
    assert settings["REDIS_URL"] is None and settings["RATELIMIT_STORAGE_URI"] == "memory://"


def test_one_query_and_no_session(client, count_queries):
    with count_queries(like_bench=True) as n:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert n.count == 1, n.statements


def test_hostile_query_is_a_400_not_a_500(client):
    assert client.get("/healthz?probe=%00").status_code == 400
    assert client.post("/healthz").status_code == 405
