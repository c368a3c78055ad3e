"""The knowledge editor: the supervisor by role, or granted to a person on the staff page
(one column on users read by ``User.can``: no query per request)."""

import sqlalchemy as sa

from portal.audit.models import AuditEvent
from portal.extensions import db


def _grant(client, person, *grants):
    return client.post(f"/staff/{person.id}/grants",
                       data={"version": str(person.version), "grants": list(grants)})


def test_a_granted_presales_agent_publishes_an_ungranted_one_is_refused(
        client, login, create_user, make_article, sign_in):
    article = make_article()
    agent = create_user("presales")
    assert not agent.can("knowledge.edit")
    sign_in(client, agent)
    response = client.post(f"/knowledge/{article.id}/state",
                           data={"version": article.version, "state": "published"})
    assert response.status_code == 403

    sign_in(client, create_user("supervisor"))
    assert _grant(client, agent, "knowledge.edit").status_code == 303
    db.session.refresh(agent)
    assert agent.grants == "knowledge.edit" and agent.can("knowledge.edit")
    event = db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == "staff.grants_changed"))
    assert event.changes == {"grants": ["", "knowledge.edit"]}

    sign_in(client, agent)
    response = client.post(f"/knowledge/{article.id}/state",
                           data={"version": article.version, "state": "published"})
    assert response.status_code == 303
    db.session.refresh(article)
    assert article.state == "published" and article.reviewer_id == agent.id


def test_the_grant_is_taken_back_and_only_grantable_permissions_are_given(
        client, create_user, sign_in):
    agent = create_user("presales", grants="knowledge.edit")
    sign_in(client, create_user("supervisor"))
    assert _grant(client, agent, "staff.manage").status_code == 422
    db.session.refresh(agent)
    assert agent.grants == "knowledge.edit"
    assert _grant(client, agent).status_code == 303
    db.session.refresh(agent)
    assert agent.grants == "" and not agent.can("knowledge.edit")


def test_a_grant_never_gives_a_permission_outside_grantable(create_user):
    agent = create_user("presales", grants="staff.manage audit.view knowledge.edit")
    assert agent.can("knowledge.edit")
    assert not agent.can("staff.manage") and not agent.can("audit.view")
    assert not create_user("presales", grants="knowledge.edit", active=False).can(
        "knowledge.edit")


def test_the_staff_page_shows_the_knowledge_editor_box(client, create_user, sign_in):
    agent = create_user("presales")
    sign_in(client, create_user("supervisor"))
    page = client.get(f"/staff/{agent.id}").get_data(as_text=True)
    assert "Knowledge editor" in page and 'value="knowledge.edit"' in page


def test_a_stale_grant_form_is_409(client, create_user, sign_in):
    agent = create_user("presales")
    sign_in(client, create_user("supervisor"))
    seen = agent.version
    assert _grant(client, agent, "knowledge.edit").status_code == 303
    response = client.post(f"/staff/{agent.id}/grants",
                           data={"version": str(seen), "grants": []})
    assert response.status_code == 409


def test_an_agent_cannot_grant(client, login, create_user):
    agent = create_user("presales")
    login("presales")
    assert _grant(client, agent, "knowledge.edit").status_code == 403


def test_can_costs_no_query(create_user, count_queries):
    agent = create_user("presales", grants="knowledge.edit")
    db.session.refresh(agent)
    with count_queries(like_bench=True) as counted:
        assert agent.can("knowledge.edit")
    assert counted.count == 0
