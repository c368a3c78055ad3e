"""The catalogue: seeded from the domain brief, added to and changed in place, audited."""

import pytest
import sqlalchemy as sa

from portal.actions import Conflict
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.i18n import localized
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


# --- a name per language (issue 15, item 17) ----------------------------------------------------

NAMES = {"zh_CN": "客户表扬", "zh_TW": "客戶表揚", "en": "Customer praise"}


def test_names_per_language_are_kept_and_audited(supervisor, rules):
    rule = rules["客户表扬"]
    cat.update_rule(supervisor, rule, rule.version, kind="reward", default_points=5,
                    description="客户表扬", active=True,
                    names={"zh_CN": " ", "zh_TW": " 客戶表揚 ", "en": "Customer praise"})
    db.session.commit()
    assert rule.names == {"zh_TW": "客戶表揚", "en": "Customer praise"}
    event = db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == "scoring.rule_changed"))
    assert event.changes == {"names": [None, {"zh_TW": "客戶表揚", "en": "Customer praise"}]}
    # a language without a name shows the description
    assert {loc: localized(rule.names, rule.description, loc)
            for loc in ("zh_CN", "zh_TW", "en")} == {"zh_CN": "客户表扬", "zh_TW": "客戶表揚",
                                                     "en": "Customer praise"}


def _name(client, sign_in, user, rule, names):
    sign_in(client, user)
    response = client.post(f"/scores/rules/{rule.id}", headers=HX, data={
        "kind": rule.kind, "default_points": str(rule.default_points),
        "description": rule.description, "active": "y", "version": rule.version,
        **{f"name_{code}": text for code, text in names.items()}})
    assert response.status_code == 200, html(response)
    return html(response)


def test_the_catalogue_page_edits_the_names(client, sign_in, supervisor, rules):
    rule = rules["客户表扬"]
    sign_in(client, supervisor)
    page = html(client.get("/scores/rules"))
    assert 'name="name_en"' in page and 'name="name_zh_TW"' in page  # quick-add and rows
    row = _name(client, sign_in, supervisor, rule, NAMES)
    assert 'value="Customer praise"' in row and 'value="客戶表揚"' in row
    db.session.refresh(rule)
    assert rule.names == NAMES
    response = client.post("/scores/rules", headers=HX, data={
        "kind": "reward", "default_points": "8", "description": "主动补位", "active": "y",
        "name_en": "Covered a shift", "name_zh_TW": "主動補位"})
    assert response.status_code == 200
    made = db.session.scalar(sa.select(ScoreRule).where(ScoreRule.description == "主动补位"))
    assert made.names == {"en": "Covered a shift", "zh_TW": "主動補位"}


@pytest.mark.parametrize(("locale", "shown"), [("en", "Customer praise"), ("zh_TW", "客戶表揚"),
                                              ("zh_CN", "客户表扬")])
def test_the_entry_form_and_the_sheet_show_the_item_in_the_readers_language(
        client, sign_in, supervisor, rules, sheet, create_user, locale, shown):
    rule = rules["客户表扬"]
    _name(client, sign_in, supervisor, rule, NAMES)
    reader = create_user("supervisor", locale=locale)
    sign_in(client, reader)
    url = f"/scores/2026/11/{sheet.user_id}"
    page = html(client.get(url))
    assert f'<option value="{rule.id}">+5 {shown}</option>' in page
    # choosing the item fills the reason in the reader's language; recorded, it is the item
    form = html(client.get(f"/scores/entries/new?inline=1&user={sheet.user_id}"
                           f"&day=2026-11-05&rule={rule.id}", headers=HX))
    assert f'value="{shown}"' in form
    db.session.refresh(sheet)
    response = client.post(f"{url}/entries", headers=HX, data={
        "rule": str(rule.id), "reason": shown, "points": "5", "day": "2026-11-05",
        "evidence": "客户留言", "link": "", "sheet_version": str(sheet.version)})
    assert response.status_code == 200, html(response)
    from portal.scoring.models import ScoreEntry

    entry = db.session.scalar(sa.select(ScoreEntry))
    assert (entry.rule_id, entry.reason) == (rule.id, "客户表扬")  # stored under its own text
    # every reader sees it in their own language
    for other, text in (("en", "Customer praise"), ("zh_TW", "客戶表揚")):
        sign_in(client, create_user("manager", locale=other))
        assert text in html(client.get(url))


def test_a_renamed_item_leaves_earlier_entries_as_recorded(client, sign_in, supervisor, rules,
                                                          sheet, add):
    rule = rules["客户表扬"]
    _name(client, sign_in, supervisor, rule, NAMES)
    entry = add(sheet, points=5, rule_id=rule.id, reason="")
    db.session.refresh(rule)
    cat.update_rule(supervisor, rule, rule.version, kind="reward", default_points=5,
                    description="客户书面表扬", active=True,
                    names={"en": "Written praise"})
    db.session.commit()
    assert entry.shown_reason == "客户表扬"  # the text of the day, not the new name
