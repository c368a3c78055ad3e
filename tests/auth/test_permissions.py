"""Every route declares who may use it, and every role gets exactly what the table says."""

import pytest
from werkzeug.routing import Rule

from portal import create_app
from portal.auth.decorators import declared_permission
from portal.auth.permissions import PERMISSIONS, PUBLIC, ROLES, all_permissions, role_can


def make_app():
    """A second portal app (its sessions go to the test's database, see conftest)."""
    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x" * 40,
                       "WTF_CSRF_ENABLED": False})


def _rules():
    app = make_app()
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            rules.append(pytest.param(rule.endpoint, method, id=f"{rule.endpoint}-{method}"))
    return rules


ENDPOINTS = _rules()


def test_every_endpoint_declares_a_permission(app):
    undeclared = [
        rule.endpoint for rule in app.url_map.iter_rules()
        if declared_permission(app, rule.endpoint) is None
    ]
    assert undeclared == []


def test_declared_permissions_exist_in_the_table(app):
    unknown = {
        declared_permission(app, rule.endpoint) for rule in app.url_map.iter_rules()
    } - all_permissions() - {PUBLIC}
    assert unknown == set()


def test_an_undeclared_route_is_caught(create_user, sign_in):
    """A route added without @require fails the walk above and is refused at run time."""
    app = make_app()
    app.add_url_rule("/undeclared-test-route", "undeclared_test_route", lambda: "secret")
    assert declared_permission(app, "undeclared_test_route") is None
    client = app.test_client()
    sign_in(client, create_user("manager"))
    assert client.get("/undeclared-test-route").status_code == 403


def test_every_role_is_in_the_table():
    assert set(PERMISSIONS) == set(ROLES)


def _url(app, rule: Rule, sample_id: int) -> str:
    # a number for every argument; a choice of words (any(csv, xlsx)) takes its first word
    values = {arg: min(getattr(rule._converters.get(arg), "items", None) or [sample_id])
              for arg in rule.arguments}
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


@pytest.mark.parametrize(("endpoint", "method"), ENDPOINTS)
def test_access_matrix(app, client, create_user, sign_in, endpoint, method):
    """Anonymous -> sign-in page; without the permission -> 403; with it -> served."""
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    permission = declared_permission(app, endpoint)
    target = create_user("presales")
    url = _url(app, rule, target.id)

    response = client.open(url, method=method)
    if permission == PUBLIC:
        assert response.status_code not in (401, 403), "public endpoint refused anonymous"
    else:
        assert response.status_code == 302, f"anonymous got {response.status_code}"
        assert "/login" in response.headers["Location"]

    for role in ROLES:
        user = create_user(role)
        role_client = app.test_client()
        sign_in(role_client, user)
        response = role_client.open(url, method=method)
        if permission == PUBLIC or role_can(role, permission):
            assert response.status_code not in (401, 403), f"{role} refused {endpoint}"
            assert response.status_code < 500, f"{role} on {endpoint}: {response.status_code}"
        else:
            assert response.status_code == 403, f"{role} on {endpoint}: {response.status_code}"
