"""Who may use each page of the knowledge base: role × endpoint (each role refused where it
should be)."""

import pytest

from portal.auth.permissions import ROLES

READ = {"manager", "supervisor", "presales", "aftersales", "order_clerk", "reception"}
WRITE = {"supervisor", "presales", "aftersales", "order_clerk", "reception"}
EDIT = {"supervisor"}


def _routes(article, published, line):
    return [
        ("get", "/knowledge/", READ),
        ("get", f"/knowledge/{published.id}", READ),
        ("get", "/knowledge/new", WRITE),
        ("get", f"/knowledge/{article.id}/edit", WRITE),  # a draft: writers edit it
        ("get", f"/knowledge/{published.id}/edit", EDIT),  # published: the editor's
        ("get", f"/knowledge/{article.id}/versions", WRITE),
        ("get", "/knowledge/questions", EDIT),
        ("get", "/knowledge/stale", EDIT),
        ("post", f"/knowledge/{article.id}/state", EDIT),
        ("post", f"/knowledge/{published.id}/reviewed", EDIT),
        ("post", f"/knowledge/{published.id}/revert", EDIT),
        ("post", f"/knowledge/promote/{line.id}", WRITE),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(client, sign_in, create_user, make_article, make_line, role):
    article, published = make_article(), make_article("published")
    me = create_user(role)
    line = make_line(user=me)  # one's own line: others' are the editor's to promote
    sign_in(client, me)
    for method, path, allowed in _routes(article, published, line):
        response = getattr(client, method)(path, data={"version": "999999"})
        if role in allowed:
            assert response.status_code not in (401, 403, 302), (role, path)
        else:
            assert response.status_code in (403, 404), (role, path, response.status_code)


def test_anonymous_is_sent_to_sign_in(client, make_article):
    article = make_article("published")
    for path in ("/knowledge/", f"/knowledge/{article.id}", "/knowledge/new"):
        assert client.get(path).status_code in (302, 303)
