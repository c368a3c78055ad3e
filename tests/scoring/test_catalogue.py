"""The catalogue: seeded from the domain brief, added to and changed in place, audited."""

import pytest
import sqlalchemy as sa

from portal.actions import Conflict
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.scoring import catalogue as cat
from portal.scoring.models import ScoreRule
from portal.scoring.sheets import ScoringError
from tests.conftest import count_rows
from tests.scoring.conftest import HX, html


def test_seed_has_the_brief_examples_once(rules):
    wrong = rules["漏备注导致错发"]
    assert wrong.kind == "penalty" and wrong.default_points == 20
    assert rules["客户表扬"].kind == "reward" and cat.signed(rules["客户表扬"]) == 5
    assert cat.signed(rules["工位不整洁"]) == -2
    assert len(rules) == 10 and cat.seed_catalogue() == []


def test_create_and_update_are_audited_with_before_and_after(supervisor):
    rule = cat.create_rule(supervisor, kind="penalty", default_points=4, description="迟到")
    cat.update_rule(supervisor, rule, rule.version, kind="penalty", default_points=6,
                    description="迟到", active=False)
    db.session.commit()
    event = db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == "scoring.rule_changed"))
    assert event.changes == {"default_points": [4, 6], "active": [True, False]}
    assert rule not in cat.active_rules()


@pytest.mark.parametrize(("kind", "points", "text", "field"), [
    ("bonus", 5, "x", "kind"), ("reward", 0, "x", "default_points"),
    ("reward", 51, "x", "default_points"), ("penalty", 5, "  ", "description")])
def test_bad_items_are_refused(supervisor, kind, points, text, field):
    with pytest.raises(ScoringError) as error:
        cat.create_rule(supervisor, kind=kind, default_points=points, description=text)
    assert error.value.field == field


def test_a_stale_version_is_a_conflict(supervisor, rules):
    rule = rules["客户表扬"]
    with pytest.raises(Conflict):
        cat.update_rule(supervisor, rule, rule.version + 1, kind="reward", default_points=3,
                        description="客户表扬", active=True)


def test_the_page_and_its_fragment(client, sign_in, supervisor, rules):
    sign_in(client, supervisor)
    page = html(client.get("/scores/rules"))
    assert "<html" in page and 'id="rule-form"' in page and "漏备注导致错发" in page
    body = html(client.get("/scores/rules", headers=HX))
    assert "<html" in body  # the page has no fragment of its own on GET


def test_quick_add_and_edit_in_place(client, sign_in, supervisor, rules):
    sign_in(client, supervisor)
    response = client.post("/scores/rules", headers=HX, data={
        "kind": "reward", "default_points": "8", "description": "主动补位", "active": "y"})
    assert response.status_code == 200
    body = html(response)
    assert "<html" not in body and 'id="rule-form"' in body and "主动补位" in body
    assert 'hx-swap-oob="afterbegin:#rules"' in body
    rule = rules["工位不整洁"]
    response = client.post(f"/scores/rules/{rule.id}", headers=HX, data={
        "kind": "penalty", "default_points": "3", "description": "工位不整洁",
        "version": rule.version})
    assert response.status_code == 200
    body = html(response)
    assert body.lstrip().startswith(f'<tr id="rule-{rule.id}"') and "<html" not in body
    db.session.refresh(rule)
    assert rule.default_points == 3 and rule.active is False  # unchecked: deactivated


def test_bad_input_is_422_and_changes_nothing(client, sign_in, supervisor, rules):
    sign_in(client, supervisor)
    before = count_rows(ScoreRule)
    response = client.post("/scores/rules", headers=HX, data={
        "kind": "reward", "default_points": "0", "description": "x"})
    assert response.status_code == 422 and count_rows(ScoreRule) == before
    rule = rules["客户表扬"]
    response = client.post(f"/scores/rules/{rule.id}", headers=HX, data={
        "kind": "reward", "default_points": "99", "description": "x", "version": rule.version,
        "active": "y"})
    assert response.status_code == 422
    db.session.refresh(rule)
    assert rule.default_points == 5


def test_second_editor_gets_409(client, sign_in, supervisor, rules):
    sign_in(client, supervisor)
    rule = rules["客户表扬"]
    data = {"kind": "reward", "default_points": "6", "description": "客户表扬", "active": "y",
            "version": rule.version}
    assert client.post(f"/scores/rules/{rule.id}", headers=HX, data=data).status_code == 200
    response = client.post(f"/scores/rules/{rule.id}", headers=HX,
                           data=dict(data, default_points="7", description="客户书面表扬"))
    assert response.status_code == 409
    body = html(response)
    # the row keeps what was typed, its version the current one, and says what the item is
    assert body.lstrip().startswith(f'<tr id="rule-{rule.id}"')
    assert "Someone else changed this item first" in body
    assert 'value="7"' in body and 'value="客户书面表扬"' in body
    assert "Now: Reward 6 · 客户表扬." in body
    db.session.refresh(rule)
    assert rule.default_points == 6
    assert f'name="version" value="{rule.version}"' in body


def test_catalogue_changes_do_not_commit(supervisor, rules):
    """The runner commits once per request: an item added or changed is gone after a
    rollback."""
    before = count_rows(ScoreRule)
    cat.create_rule(supervisor, kind="reward", default_points=3, description="主动补位")
    rule = rules["客户表扬"]
    cat.update_rule(supervisor, rule, rule.version, kind="reward", default_points=9,
                    description="客户表扬", active=True)
    db.session.rollback()
    db.session.expire_all()
    assert count_rows(ScoreRule) == before and rule.default_points == 5
    assert count_rows(AuditEvent) == 0


@pytest.mark.parametrize("role", ["presales", "manager", "reception"])
def test_only_the_supervisor_keeps_the_catalogue(client, sign_in, create_user, role):
    sign_in(client, create_user(role))
    assert client.get("/scores/rules").status_code == 403
