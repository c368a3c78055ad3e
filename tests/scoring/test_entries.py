"""Entries of a sheet: the services without HTTP, then the sheet page and its actions over
HTTP (full page and fragment), bad input, the lock, conflicts, quick entry."""

import re
from datetime import date

import pytest
import sqlalchemy as sa

from portal.actions import Conflict
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.scoring import entries as svc
from portal.scoring.models import Appeal, ScoreEntry, ScoreEntryRevision, ScoreSheet
from portal.scoring.sheets import ScoringError, get_sheet
from tests.conftest import count_rows
from tests.scoring.conftest import HX, html

# --- services ------------------------------------------------------------------------------


def test_entries_move_the_totals_and_are_audited(supervisor, sheet, add, rules):
    add(sheet, points=-5)
    add(sheet, points=None, rule_id=rules["客户表扬"].id, reason="")
    assert (sheet.rewards, sheet.penalties, sheet.total) == (5, 5, 100)
    entry = db.session.scalar(sa.select(ScoreEntry).where(ScoreEntry.points == 5))
    assert entry.reason == "客户表扬" and entry.rule_id == rules["客户表扬"].id
    event = db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == "scoring.entry_added", AuditEvent.target_id == str(entry.id)))
    assert event.changes["points"] == [None, 5] and event.actor_id == supervisor.id


@pytest.mark.parametrize(("fields", "field"), [
    ({"points": 0}, "points"), ({"points": 51}, "points"), ({"points": -51}, "points"),
    ({"points": None}, "points"), ({"day": date(2026, 10, 31)}, "day"),
    ({"day": date(2026, 12, 1)}, "day"), ({"rule_id": 999999}, "rule"),
    ({"reason": "  "}, "reason"), ({"link": "order:1"}, "link"),
    ({"link": "handover_item:999999"}, "link")])
def test_bad_entries_change_nothing(supervisor, sheet, fields, field):
    data = {"day": date(2026, 11, 3), "points": -5, "reason": "迟到"} | fields
    with pytest.raises(ScoringError) as error:
        svc.add_entry(supervisor, sheet, **data)
    assert error.value.field == field
    db.session.rollback()
    assert count_rows(ScoreEntry) == 0


@pytest.mark.parametrize("status", ["submitted", "approved"])
def test_a_locked_sheet_refuses_every_change(supervisor, sheet, add, status):
    entry = add(sheet)
    sheet.status = status
    db.session.commit()
    for change in (lambda: svc.add_entry(supervisor, sheet, day=date(2026, 11, 4), points=3,
                                         reason="x"),
                   lambda: svc.edit_entry(supervisor, entry, entry.version,
                                          day=entry.day, points=-1, reason="x", evidence=None),
                   lambda: svc.remove_entry(supervisor, entry, entry.version)):
        # the sheet was submitted or approved since the page was shown: a 409 over HTTP
        with pytest.raises(Conflict):
            change()
        db.session.rollback()
    assert count_rows(ScoreEntry) == 1 and entry.points == -5 and entry.removed_at is None


def test_edit_and_remove_keep_the_earlier_value(supervisor, sheet, add):
    entry = add(sheet, points=-5, evidence="周会检查")
    svc.edit_entry(supervisor, entry, entry.version, day=date(2026, 11, 4), points=-2,
                   reason="工位不整洁", evidence="复查")
    db.session.commit()
    assert sheet.total == 98
    svc.remove_entry(supervisor, entry, entry.version)
    db.session.commit()
    assert sheet.total == 100 and entry.removed_at is not None
    revisions = db.session.scalars(sa.select(ScoreEntryRevision)
                                   .order_by(ScoreEntryRevision.id)).all()
    assert [(r.action, r.points_before) for r in revisions] == [("changed", -5),
                                                                 ("removed", -2)]
    assert revisions[0].evidence_before == "周会检查"
    with pytest.raises(ScoringError):
        svc.edit_entry(supervisor, entry, entry.version, day=entry.day, points=-1,
                       reason="x", evidence=None)


def test_stale_versions_are_conflicts(supervisor, sheet, add):
    entry = add(sheet)
    with pytest.raises(Conflict):
        svc.edit_entry(supervisor, entry, entry.version - 1, day=entry.day, points=-1,
                       reason="x", evidence="周会检查")
    with pytest.raises(Conflict):
        svc.add_entry(supervisor, sheet, day=date(2026, 11, 4), points=2, reason="x",
                      evidence="周会检查", sheet_version=sheet.version - 1)


def test_entry_changes_do_not_commit(supervisor, sheet, add):
    """The runner commits once per request: an entry added, corrected or removed is gone
    after a rollback, and the sheet's totals and version are as they were."""
    entry = add(sheet, points=-5)
    version = sheet.version
    svc.add_entry(supervisor, sheet, day=date(2026, 11, 4), points=3, reason="客户表扬",
                  evidence="客户留言")
    svc.edit_entry(supervisor, entry, entry.version, day=entry.day, points=-2,
                   reason=entry.reason, evidence=entry.evidence)
    assert sheet.total == 101
    db.session.rollback()
    db.session.expire_all()
    assert (sheet.total, sheet.version, entry.points) == (95, version, -5)
    svc.remove_entry(supervisor, entry, entry.version)
    db.session.rollback()
    db.session.expire_all()
    assert entry.removed_at is None and count_rows(ScoreEntry) == 1
    assert count_rows(ScoreEntryRevision) == 0


def test_links_offer_the_persons_handover_items_and_visits(supervisor, staff, sheet,
                                                           create_user, shift_types):
    from portal.handover import services as handover

    item = handover.write(staff, "desk", category="other", text="客户要求修改地址")
    other = handover.write(create_user("presales"), "desk", category="other",
                           text="别人的")
    db.session.commit()
    offered = dict((k, [v for v, _t in options]) for k, _l, options in svc.link_choices(sheet))
    assert offered == {"handover_item": [f"handover_item:{item.id}"]}
    entry = svc.add_entry(supervisor, sheet, day=date(2026, 11, 22), points=-10,
                          reason="交班未回复", link=f"handover_item:{item.id}")
    assert (entry.link_type, entry.link_id) == ("handover_item", item.id)
    with pytest.raises(ScoringError):
        svc.add_entry(supervisor, sheet, day=date(2026, 11, 22), points=-10, reason="x",
                      link=f"handover_item:{other.id}")


# --- the sheet page ----------------------------------------------------------------------------


def is_the_entry_form(body: str, sheet) -> bool:
    """The answer is the sheet's entry form and nothing around it."""
    first = body.lstrip()
    return (first.startswith("<form ") and f'id="entry-form-{sheet.id}"' in first[:first.index(">")]
            and first.rstrip().endswith("</form>"))


def url(sheet) -> str:
    return f"/scores/{sheet.year}/{sheet.month}/{sheet.user_id}"


def entry_data(sheet, **fields) -> dict:
    return {"day": "2026-11-05", "points": "-5", "reason": "工作时间看视频", "rule": "",
            "evidence": "10:20 在看视频", "link": "", "sheet_version": str(sheet.version),
            **fields}


def test_the_sheet_page_and_its_fragment(client, sign_in, supervisor, sheet, add):
    add(sheet, points=-5)
    sign_in(client, supervisor)
    page = html(client.get(url(sheet)))
    assert "<html" in page and f'id="sheet-body-{sheet.id}"' in page and "工位不整洁" in page
    assert f'id="entry-form-{sheet.id}"' in page and "css/scoring.css" in page
    response = client.get(url(sheet), headers=HX)
    body = html(response)
    assert "HX-Request" in response.headers["Vary"]
    assert "<html" not in body and body.lstrip().startswith(f'<section id="sheet-body-{sheet.id}"')


def test_the_manager_reads_the_sheet_without_forms(client, sign_in, create_user, sheet, add):
    add(sheet)
    sign_in(client, create_user("manager"))
    page = html(client.get(url(sheet)))
    assert "工位不整洁" in page and "entry-form-" not in page and "/remove" not in page


def test_adding_shows_the_row_total_and_rank_at_once(client, sign_in, supervisor, sheet,
                                                     create_user, sql_statements):
    """The answer is the new row, with the totals, the rank and everything that carries the
    sheet's version out of band: a small fragment, not the sheet body."""
    other = get_sheet(create_user("presales"), 2026, 11)
    db.session.commit()
    sign_in(client, supervisor)
    path, data = f"{url(sheet)}/entries", entry_data(sheet)
    with sql_statements() as queries:
        response = client.post(path, data=data, headers=HX)
    assert response.status_code == 200
    body = html(response)
    entry = db.session.scalar(sa.select(ScoreEntry))
    assert "<html" not in body and body.lstrip().startswith(f'<tr id="entry-{entry.id}"')
    assert "工作时间看视频" in body and f'id="sheet-body-{sheet.id}"' not in body
    assert f'<div id="sheet-totals-{sheet.id}" class="sheet-totals" hx-swap-oob="true">' in body
    assert '<strong class="value sheet-total">95</strong>' in body
    assert "2 of 2" in body and other.total == 100
    db.session.refresh(sheet)
    # the form's sheet version and the submit button's follow the sheet's new version
    assert (f'<input type="hidden" id="sheet-version-{sheet.id}" name="sheet_version" '
            f'value="{sheet.version}" hx-swap-oob="true">') in body
    assert f'id="sheet-actions-{sheet.id}"' in body and f'value="{sheet.version}"' in body
    assert "scores-changed" in response.headers["HX-Trigger"]
    assert "overview-row-" not in body  # not inside the overview
    # the first entry goes at the top of the table
    assert response.headers["HX-Retarget"] == f"#entries-{sheet.id}"
    assert response.headers["HX-Reswap"] == "afterbegin"
    assert len(response.get_data()) <= 5 * 1024
    assert queries.count <= 10


def test_a_new_row_goes_where_its_date_puts_it(client, sign_in, supervisor, sheet, add):
    early, late = add(sheet, day=date(2026, 11, 2)), add(sheet, day=date(2026, 11, 20))
    sign_in(client, supervisor)
    db.session.refresh(sheet)
    response = client.post(f"{url(sheet)}/entries", headers=HX,
                           data=entry_data(sheet, day="2026-11-10"))
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == f"#entry-{early.id}"
    assert response.headers["HX-Reswap"] == "afterend"
    db.session.refresh(sheet)
    response = client.post(f"{url(sheet)}/entries", headers=HX,
                           data=entry_data(sheet, day="2026-11-01"))
    assert response.headers["HX-Retarget"] == f"#entries-{sheet.id}"
    db.session.refresh(sheet)
    response = client.post(f"{url(sheet)}/entries", headers=HX,
                           data=entry_data(sheet, day="2026-11-30"))
    assert response.headers["HX-Retarget"] == f"#entry-{late.id}"


def test_inside_the_overview_the_rows_follow_out_of_band(client, sign_in, supervisor, sheet):
    sign_in(client, supervisor)
    response = client.post(f"{url(sheet)}/entries", headers=HX,
                           data=entry_data(sheet, in_overview="1", points="7"))
    body = html(response)
    assert f'<tr id="overview-row-{sheet.user_id}"' in body and 'hx-swap-oob="true"' in body
    assert "<template>" in body and f'id="sheet-actions-{sheet.id}"' not in body


def test_inside_the_overview_the_ranks_that_moved_follow(client, sign_in, supervisor, sheet,
                                                        create_user, add):
    """Only the ranks the entry moved are sent, each into its overview row's rank cell."""
    people = [create_user("presales") for _ in range(3)]
    for points, person in zip((5, 3, -4), people, strict=True):
        add(get_sheet(person, 2026, 11), points=points)
    sign_in(client, supervisor)
    db.session.refresh(sheet)
    response = client.post(f"{url(sheet)}/entries", headers=HX,
                           data=entry_data(sheet, in_overview="1", points="4"))
    body = html(response)
    assert response.status_code == 200
    # 104 passes 103 (rank 2 -> 3) but not 105; 96 stays last (4)
    assert f'hx-swap-oob="innerHTML:#overview-row-{people[1].id} .rank">3</span>' in body
    assert f"#overview-row-{people[0].id} .rank" not in body
    assert f"#overview-row-{people[2].id} .rank" not in body
    assert '<td class="num rank">2</td>' in body  # the person's own row


def test_a_catalogue_item_fills_reason_and_points(client, sign_in, supervisor, sheet, rules):
    sign_in(client, supervisor)
    rule = rules["漏备注导致错发"]
    response = client.get(f"/scores/entries/new?user={sheet.user_id}&day=2026-11-05"
                          f"&rule={rule.id}&inline=1", headers=HX)
    body = html(response)
    assert is_the_entry_form(body, sheet)
    assert 'value="-20"' in body and 'value="漏备注导致错发"' in body
    response = client.post(f"{url(sheet)}/entries", headers=HX,
                           data=entry_data(sheet, rule=str(rule.id), reason="", points=""))
    assert response.status_code == 200
    db.session.refresh(sheet)
    assert sheet.penalties == 20


@pytest.mark.parametrize(("fields", "message"), [
    ({"points": "0"}, "0 is not an entry"), ({"points": "60"}, "at most 50 points"),
    ({"points": "abc"}, "whole number"), ({"day": "2026-10-31"}, "must be in 2026-11"),
    ({"rule": "999999", "reason": ""}, "Choose an item"), ({"day": ""}, "Give the date")])
def test_bad_input_is_422_and_nothing_changes(client, sign_in, supervisor, sheet, fields,
                                              message):
    sign_in(client, supervisor)
    response = client.post(f"{url(sheet)}/entries", data=entry_data(sheet, **fields),
                           headers=HX)
    assert response.status_code == 422
    body = html(response)
    # the form again, typed values and messages kept, in place of the form
    assert message in body and is_the_entry_form(body, sheet)
    assert response.headers["HX-Retarget"] == f"#entry-form-{sheet.id}"
    assert f'name="sheet_version" value="{sheet.version}"' in body
    assert count_rows(ScoreEntry) == 0


def test_bad_input_without_htmx_is_the_page_with_422(client, sign_in, supervisor, sheet):
    sign_in(client, supervisor)
    response = client.post(f"{url(sheet)}/entries", data=entry_data(sheet, points="0"))
    assert response.status_code == 422 and "<html" in html(response)


@pytest.mark.parametrize("status", ["submitted", "approved"])
def test_a_locked_sheet_refuses_crafted_posts(client, sign_in, supervisor, sheet, add, status):
    entry = add(sheet)
    sheet.status = status
    db.session.commit()
    sign_in(client, supervisor)
    for headers in (HX, {}):
        response = client.post(f"{url(sheet)}/entries", data=entry_data(sheet), headers=headers)
        assert response.status_code == 409
        assert "cannot change" in html(response) or "locked" in html(response)
        if headers:  # the whole sheet as it is now, in place of the sheet body
            assert response.headers["HX-Retarget"] == f"#sheet-body-{sheet.id}"
            assert html(response).lstrip().startswith(f'<section id="sheet-body-{sheet.id}"')
            assert "entry-form-" not in html(response)
        response = client.post(f"/scores/entries/{entry.id}/edit", headers=headers, data={
            "version": entry.version, "day": "2026-11-03", "points": "-1", "reason": "x",
        "evidence": "周会检查"})
        assert response.status_code == 409
        response = client.post(f"/scores/entries/{entry.id}/remove", headers=headers,
                               data={"version": entry.version})
        assert response.status_code == 409
    db.session.refresh(entry)
    assert count_rows(ScoreEntry) == 1 and entry.points == -5 and entry.removed_at is None


def test_edit_and_remove_in_place(client, sign_in, supervisor, sheet, add, sql_statements):
    entry = add(sheet, points=-5)
    sign_in(client, supervisor)
    path, data = f"/scores/entries/{entry.id}/edit", {
        "version": entry.version, "day": "2026-11-03", "points": "-3", "reason": "工位不整洁",
        "evidence": "复查"}
    with sql_statements() as queries:
        response = client.post(path, headers=HX, data=data)
    body = html(response)
    assert response.status_code == 200 and body.lstrip().startswith(f'<tr id="entry-{entry.id}"')
    assert '<strong class="value sheet-total">97</strong>' in body and "Corrections: 1" in body
    assert "HX-Retarget" not in response.headers  # same date: the row replaces itself
    assert "score-entry-revised" in response.headers["HX-Trigger"]  # the record follows
    assert len(response.get_data()) <= 5 * 1024 and queries.count <= 9, queries.statements
    db.session.refresh(entry)
    response = client.post(f"/scores/entries/{entry.id}/remove", headers=HX,
                           data={"version": entry.version})
    body = html(response)
    assert response.status_code == 200 and "<del>" in body and "removed" in body
    assert f"/scores/entries/{entry.id}?edit=1" not in body  # a removed entry is final
    db.session.refresh(sheet)
    assert sheet.total == 100 and count_rows(ScoreEntryRevision) == 2


def test_a_corrected_date_moves_the_row(client, sign_in, supervisor, sheet, add):
    first, second = add(sheet, day=date(2026, 11, 3)), add(sheet, day=date(2026, 11, 10))
    sign_in(client, supervisor)
    response = client.post(f"/scores/entries/{first.id}/edit", headers=HX, data={
        "version": first.version, "day": "2026-11-12", "points": "-5", "reason": "工位不整洁",
        "evidence": "周会检查"})
    body = html(response)
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == f"#entry-{second.id}"
    assert response.headers["HX-Reswap"] == "afterend"
    assert f'<template><tr id="entry-{first.id}" hx-swap-oob="delete"></tr></template>' in body


def test_a_refused_correction_keeps_the_form_open_with_its_messages(client, sign_in,
                                                                    supervisor, sheet, add):
    entry = add(sheet)
    sign_in(client, supervisor)
    for data, message in (({"points": "0"}, "0 is not an entry"),
                          ({"day": "2026-12-01"}, "must be in 2026-11"),
                          ({"points": "abc"}, "whole number"), ({"reason": ""}, "reason")):
        response = client.post(f"/scores/entries/{entry.id}/edit", headers=HX, data={
            "version": entry.version, "day": "2026-11-03", "points": "-2", "reason": "迟到",
            **data})
        body = html(response)
        assert response.status_code == 422, data
        assert body.lstrip().startswith(f'<tr id="entry-{entry.id}"') and message in body
        assert 'class="edit-entry"' in body and 'aria-invalid="true"' in body
        assert f'value="{next(iter(data.values()))}"' in body  # what was typed stays
    db.session.refresh(entry)
    assert entry.points == -5 and count_rows(ScoreEntryRevision) == 0
    response = client.post(f"/scores/entries/{entry.id}/edit", data={
        "version": entry.version, "day": "2026-11-03", "points": "0", "reason": "迟到",
        "evidence": "周会检查"})
    assert response.status_code == 422 and "<html" in html(response)  # without JavaScript


# --- corrections on request ----------------------------------------------------------------


def test_the_correction_forms_open_on_request(client, sign_in, supervisor, sheet, add,
                                              sql_statements):
    """The sheet carries a "Correct" link per entry, not its forms; the link answers with the
    row and its correction and removal forms (htmx), or the entry's page (no JavaScript)."""
    entry = add(sheet, evidence="周会检查")
    sign_in(client, supervisor)
    page = html(client.get(url(sheet)))
    edit = f"/scores/entries/{entry.id}?edit=1"
    assert f'href="{edit}" hx-get="{edit}"' in page
    assert f"/scores/entries/{entry.id}/edit" not in page and "/remove" not in page
    with sql_statements() as queries:
        response = client.get(edit, headers=HX)
    row = html(response)
    assert response.status_code == 200 and row.lstrip().startswith(f'<tr id="entry-{entry.id}"')
    assert f'action="/scores/entries/{entry.id}/edit"' in row
    assert f'action="/scores/entries/{entry.id}/remove"' in row
    assert f'name="version" value="{entry.version}"' in row and 'value="周会检查"' not in row
    assert ">周会检查</textarea>" in row and 'value="2026-11-03"' in row
    assert "<html" not in row and len(response.get_data()) <= 5 * 1024
    assert queries.count <= 3, queries.statements
    # closing it gives the plain row back
    closed = html(client.get(f"/scores/entries/{entry.id}", headers=HX))
    assert "/remove" not in closed and f'hx-get="{edit}"' in closed
    # without JavaScript: the entry's own page with the forms and the way back
    page = html(client.get(edit))
    assert "<html" in page and f'action="/scores/entries/{entry.id}/edit"' in page
    assert f'href="{url(sheet)}"' in page


def test_inside_the_overview_the_forms_keep_the_overview_flag(client, sign_in, supervisor,
                                                              sheet, add):
    entry = add(sheet)
    sign_in(client, supervisor)
    body = html(client.get(f"{url(sheet)}?in_overview=1", headers=HX))
    edit = f"/scores/entries/{entry.id}?edit=1&amp;in_overview=1"
    assert edit in body
    row = html(client.get(edit.replace("&amp;", "&"), headers=HX))
    assert row.count('name="in_overview" value="1"') == 2


@pytest.mark.parametrize("status", ["submitted", "approved"])
def test_no_correction_forms_on_a_locked_sheet_or_for_the_manager(client, sign_in, supervisor,
                                                                  sheet, add, create_user,
                                                                  status):
    entry = add(sheet)
    sign_in(client, create_user("manager"))
    row = html(client.get(f"/scores/entries/{entry.id}?edit=1", headers=HX))
    assert "/edit" not in row and "?edit=1" not in row and "工位不整洁" in row
    sheet.status = status
    db.session.commit()
    sign_in(client, supervisor)
    row = html(client.get(f"/scores/entries/{entry.id}?edit=1", headers=HX))
    assert "/edit" not in row and "?edit=1" not in row
    assert client.get("/scores/entries/999999?edit=1").status_code == 404


def test_two_supervisors_editing_the_same_entry_second_gets_409(client, sign_in, supervisor,
                                                               sheet, add, create_user, app):
    entry = add(sheet)
    seen = entry.version
    sign_in(client, supervisor)
    second = app.test_client()
    sign_in(second, create_user("supervisor"))
    data = {"version": seen, "day": "2026-11-03", "points": "-4", "reason": "工位不整洁",
            "evidence": "周会检查"}
    assert client.post(f"/scores/entries/{entry.id}/edit", data=data,
                       headers=HX).status_code == 200
    response = second.post(f"/scores/entries/{entry.id}/edit", headers=HX,
                           data=dict(data, points="-1"))
    assert response.status_code == 409
    assert "Someone else changed this sheet first" in html(response)
    db.session.refresh(entry)
    assert entry.points == -4


def test_a_stale_correction_answers_the_sheet_with_the_correction_kept(
        client, sign_in, supervisor, sheet, add, create_user, app):
    """409: the whole sheet as it is now (the other supervisor's points in the row and the
    totals), and this entry's row with its correction form open, holding what was typed,
    its version the entry's current one."""
    entry = add(sheet, points=-5)
    seen = entry.version
    other = app.test_client()
    sign_in(other, create_user("supervisor"))
    data = {"version": seen, "day": "2026-11-03", "points": "-4", "reason": "工位不整洁",
            "evidence": "周会检查"}
    assert other.post(f"/scores/entries/{entry.id}/edit", data=data,
                      headers=HX).status_code == 200
    sign_in(client, supervisor)
    response = client.post(f"/scores/entries/{entry.id}/edit", headers=HX, data=dict(
        data, points="-1", reason="工位不整洁（已整改）", evidence="下午复查"))
    body = html(response)
    assert response.status_code == 409
    assert response.headers["HX-Retarget"] == f"#sheet-body-{sheet.id}"
    assert body.lstrip().startswith(f'<section id="sheet-body-{sheet.id}"')
    assert "Someone else changed this sheet first" in body
    assert '<strong class="value sheet-total">96</strong>' in body  # the other's −4
    assert 'class="edit-entry"' in body
    assert 'value="工位不整洁（已整改）"' in body and 'value="-1"' in body
    assert ">下午复查</textarea>" in body
    db.session.refresh(entry)
    assert entry.points == -4 and f'name="version" value="{entry.version}"' in body
    assert f'name="version" value="{seen}"' not in body
    # sent again from there, it is a deliberate second try and goes through
    response = client.post(f"/scores/entries/{entry.id}/edit", headers=HX, data=dict(
        data, version=entry.version, points="-1"))
    assert response.status_code == 200


def test_a_stale_new_entry_answers_the_sheet_with_the_entry_kept(client, sign_in, supervisor,
                                                                 sheet, add):
    """409 for the entry form: the sheet as it is now, the form as typed, its sheet version
    the current one."""
    sign_in(client, supervisor)
    seen = sheet.version
    add(sheet, points=-5)  # another supervisor's entry meanwhile
    response = client.post(f"{url(sheet)}/entries", headers=HX, data=entry_data(
        sheet, sheet_version=str(seen), reason="客户书面表扬", points="8"))
    body = html(response)
    assert response.status_code == 409 and "Someone else changed this sheet first" in body
    assert "工位不整洁" in body and '<strong class="value sheet-total">95</strong>' in body
    form = body[body.index(f'id="entry-form-{sheet.id}"'):]
    assert 'value="客户书面表扬"' in form and 'value="8"' in form
    db.session.refresh(sheet)
    assert f'name="sheet_version" value="{sheet.version}"' in form and sheet.version != seen
    assert count_rows(ScoreEntry) == 1


def test_approval_racing_an_added_entry_refuses_the_entry(client, sign_in, supervisor, sheet):
    sign_in(client, supervisor)
    form_version = sheet.version
    # the manager approves between the page load and the post: the sheet's version moves on
    sheet.status = "approved"
    db.session.commit()
    response = client.post(f"{url(sheet)}/entries", headers=HX,
                           data=entry_data(sheet, sheet_version=str(form_version)))
    assert response.status_code == 409 and count_rows(ScoreEntry) == 0
    # and a version change alone (another supervisor's entry) is also a 409
    sheet.status = "draft"
    db.session.commit()
    response = client.post(f"{url(sheet)}/entries", headers=HX,
                           data=entry_data(sheet, sheet_version=str(form_version)))
    assert response.status_code == 409 and count_rows(ScoreEntry) == 0
    assert "current state" in html(response)


def test_appeals_are_loaded_once_for_the_rows(client, sign_in, supervisor, sheet, add, staff,
                                              count_queries):
    for n in range(5):
        entry = add(sheet, points=-(n + 1))
        db.session.add(Appeal(entry_id=entry.id, sheet_id=sheet.id, user_id=staff.id,
                              comment="不同意"))
    db.session.commit()
    sign_in(client, supervisor)
    client.get(url(sheet))
    with count_queries() as few:
        client.get(url(sheet))
    for n in range(10):
        add(sheet, points=n + 1)
    with count_queries() as many:
        client.get(url(sheet))
    assert many.count == few.count


def test_quick_entry_from_a_handover_item(client, sign_in, supervisor, staff, freeze,
                                          shift_types):
    from portal.handover import services as handover

    freeze("2026-11-22 10:00")
    item = handover.write(staff, "desk", category="other", text="客户要求修改地址")
    db.session.commit()
    sign_in(client, supervisor)
    page = html(client.get(f"/handover/desk/items/{item.id}"))
    link = (f"/scores/entries/new?user={staff.id}&amp;day=2026-11-22"
            f"&amp;link_type=handover_item&amp;link_id={item.id}")
    assert link in page
    page = html(client.get(link.replace("&amp;", "&")))
    assert "<html" in page and 'value="2026-11-22"' in page
    selected = rf'<option selected value="handover_item:{item.id}"'
    assert re.search(selected, page)
    the_sheet = db.session.scalar(sa.select(ScoreSheet).where(ScoreSheet.user_id == staff.id))
    response = client.post(f"{url(the_sheet)}/entries", data=entry_data(
        the_sheet, day="2026-11-22", link=f"handover_item:{item.id}"))
    assert response.status_code == 303
    entry = db.session.scalar(sa.select(ScoreEntry))
    assert (entry.link_type, entry.link_id) == ("handover_item", item.id)
    page = html(client.get(url(the_sheet)))
    # the link opens the item through a redirect: the sheet reads no item to show it
    assert f'href="/scores/links/handover_item/{item.id}"' in page
    response = client.get(f"/scores/links/handover_item/{item.id}")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/handover/desk/items/{item.id}")
    assert client.get("/scores/links/handover_item/999999").status_code == 404
    assert client.get(f"/scores/links/visit/{item.id}").status_code == 404


@pytest.mark.parametrize("role", ["presales", "aftersales", "order_clerk", "reception"])
def test_staff_cannot_open_the_supervisor_pages(client, sign_in, create_user, sheet, role):
    sign_in(client, create_user(role))
    for path in ("/scores/", "/scores/2026/11", url(sheet), f"{url(sheet)}/print",
                 "/scores/2026/11.xlsx", "/scores/2026/11/print"):
        assert client.get(path).status_code == 403, path
    assert client.post(f"{url(sheet)}/entries", data=entry_data(sheet)).status_code == 403


# --- budgets (issue 8) -------------------------------------------------------------------------


def test_the_sheet_page_stays_within_its_budgets(client, sign_in, supervisor, staff, sheet, add,
                                                 rules, shift_types, sql_statements):
    """A full month (55 entries, as many as the busiest sheet of the bench) with appeals,
    corrections and links of both types: at most 10 queries however many rows, and under
    60 KB, the correction forms being fetched on request."""
    from portal.handover import services as handover
    from portal.reception.models import Visit

    item = handover.write(staff, "desk", category="other", text="客户要求修改地址")
    from portal import clock

    visit = Visit(day=date(2026, 11, 22), consultant_id=staff.id, party_size=3,
                  purpose="viewing", source="walk_in", visitor_name="王先生",
                  created_by_id=staff.id, arrived_at=clock.now())
    db.session.add(visit)
    db.session.commit()
    sign_in(client, supervisor)

    last, path = [], url(sheet)

    def page():
        with sql_statements() as queries:
            response = client.get(path)
        assert response.status_code == 200
        last[:] = queries.statements
        return queries.count, len(response.get_data())

    add(sheet, points=-3)
    few, _size = page()
    for n in range(54):
        fields = {"reason": f"第{n}次：工作时间做无关事情（看视频）",
                  "evidence": "10:20 主管巡查发现"}
        if n % 9 == 0:
            fields["link"] = f"handover_item:{item.id}" if n % 2 else f"visit:{visit.id}"
        if n % 7 == 0:
            fields["rule_id"] = rules["工位不整洁"].id
        entry = add(sheet, points=(n % 10) - 5 or 1, day=date(2026, 11, 1 + n % 28), **fields)
        if n % 11 == 0:
            svc.edit_entry(supervisor, entry, entry.version, day=entry.day, points=-1,
                           reason=entry.reason, evidence="复查")
            db.session.add(Appeal(entry_id=entry.id, sheet_id=sheet.id, user_id=staff.id,
                                  comment="不同意"))
            db.session.commit()
    many, size = page()
    assert many == few and many <= 9, (few, many, last)
    assert size <= 60 * 1024, size
    print("sheet page:", many, "queries,", size, "bytes")


def test_a_sheet_opened_for_the_first_time_stays_within_the_query_budget(
        client, sign_in, supervisor, staff, freeze, sql_statements):
    freeze("2026-11-22 10:00")
    sign_in(client, supervisor)
    with sql_statements() as queries:
        response = client.get(f"/scores/2026/11/{staff.id}")  # the sheet is made now
    assert response.status_code == 200 and count_rows(ScoreSheet) == 1
    assert queries.count <= 10, queries.statements


def test_an_entry_for_a_month_without_a_sheet_yet(client, sign_in, supervisor, staff, freeze):
    """The sheet is made with the first entry; a refused first entry changes nothing (not
    even the sheet) and shows its form again, with the version to send it with."""
    freeze("2026-11-22 10:00")
    sign_in(client, supervisor)
    path = f"/scores/2026/11/{staff.id}/entries"
    data = {"day": "2026-11-05", "points": "-2", "reason": "迟到", "rule": "", "link": "",
            "evidence": "打卡记录 09:12", "sheet_version": ""}
    for refused in ({}, {"points": "0", "sheet_version": "1"}):  # the form, then the rule
        response = client.post(path, headers=HX, data=dict(data, **refused))
        assert response.status_code == 422 and "entry-form-" in html(response)
        assert count_rows(ScoreSheet) == 0
        version = re.search(r'name="sheet_version" value="(\d+)"', html(response)).group(1)
    response = client.post(path, headers=HX, data=dict(data, sheet_version=version))
    assert response.status_code == 200 and count_rows(ScoreEntry) == 1
    assert count_rows(ScoreSheet) == 1


# --- evidence (R-P1; issue 15, item 2) ---------------------------------------------------------


@pytest.mark.parametrize("evidence", [None, "", "   "])
def test_an_entry_without_evidence_or_link_is_refused_at_the_evidence(supervisor, sheet,
                                                                      evidence):
    with pytest.raises(ScoringError) as error:
        svc.add_entry(supervisor, sheet, day=date(2026, 11, 3), points=-5, reason="迟到",
                      evidence=evidence)
    assert error.value.field == "evidence"
    db.session.rollback()
    assert count_rows(ScoreEntry) == 0


def test_a_linked_record_is_evidence_enough(supervisor, staff, sheet, shift_types):
    from portal.handover import services as handover

    item = handover.write(staff, "desk", category="other", text="客户要求修改地址")
    db.session.commit()
    entry = svc.add_entry(supervisor, sheet, day=date(2026, 11, 22), points=-10,
                          reason="交班未回复", link=f"handover_item:{item.id}")
    assert entry.evidence is None and entry.link_id == item.id
    # and a correction of a linked entry may leave the note empty
    svc.edit_entry(supervisor, entry, entry.version, day=entry.day, points=-8,
                   reason=entry.reason, evidence="")
    assert entry.points == -8


def test_a_correction_cannot_take_the_evidence_away(supervisor, sheet, add):
    entry = add(sheet, evidence="周会检查")
    with pytest.raises(ScoringError) as error:
        svc.edit_entry(supervisor, entry, entry.version, day=entry.day, points=-5,
                       reason=entry.reason, evidence=" ")
    assert error.value.field == "evidence"
    db.session.rollback()
    assert entry.evidence == "周会检查" and count_rows(ScoreEntryRevision) == 0


EVIDENCE_MESSAGE = "Write the evidence, or link the record it comes from."


@pytest.mark.parametrize("headers", [HX, {}])
def test_an_entry_without_evidence_is_422_with_the_message_at_the_evidence(
        client, sign_in, supervisor, sheet, headers):
    sign_in(client, supervisor)
    response = client.post(f"{url(sheet)}/entries", headers=headers,
                           data=entry_data(sheet, evidence="  "))
    assert response.status_code == 422 and count_rows(ScoreEntry) == 0
    body = html(response)
    # the message sits under the evidence field, which says it is the one in error
    assert re.search(r'<textarea[^>]*aria-invalid="true"[^>]*name="evidence"|'
                     r'<textarea[^>]*name="evidence"[^>]*aria-invalid="true"', body), body
    error = re.search(r'<p class="field-error" id="evidence-error">([^<]*)</p>', body)
    assert error and EVIDENCE_MESSAGE in error.group(1)
    assert 'value="工作时间看视频"' in body  # the typing is kept


def test_a_correction_without_evidence_is_422_in_its_row(client, sign_in, supervisor, sheet,
                                                         add):
    entry = add(sheet, evidence="周会检查")
    sign_in(client, supervisor)
    response = client.post(f"/scores/entries/{entry.id}/edit", headers=HX, data={
        "version": entry.version, "day": "2026-11-03", "points": "-4", "reason": "工位不整洁",
        "evidence": ""})
    assert response.status_code == 422
    body = html(response)
    error = re.search(rf'<p class="field-error" id="edit-evidence-{entry.id}-error">([^<]*)</p>',
                      body)
    assert error and EVIDENCE_MESSAGE in error.group(1)
    db.session.refresh(entry)
    assert (entry.points, entry.evidence) == (-5, "周会检查")


# --- a free reason never carries a catalogue item (issue 15, item 3) ---------------------------


def _audit_of(entry, action="scoring.entry_added"):
    return db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == action, AuditEvent.target_id == str(entry.id))
        .order_by(AuditEvent.id.desc()))


def test_a_free_reason_sent_with_a_catalogue_item_is_a_free_entry(supervisor, sheet, add,
                                                                  rules):
    praise = rules["客户表扬"]
    entry = add(sheet, points=-3, rule_id=praise.id, reason="回复客户时语气生硬")
    assert (entry.rule_id, entry.reason, entry.points) == (None, "回复客户时语气生硬", -3)
    assert "rule_id" not in _audit_of(entry).changes
    assert (sheet.rewards, sheet.penalties) == (0, 3)


def test_the_catalogue_item_kept_when_its_text_is_sent(supervisor, sheet, add, rules):
    praise = rules["客户表扬"]
    entry = add(sheet, points=5, rule_id=praise.id, reason="客户表扬")
    assert (entry.rule_id, entry.reason) == (praise.id, "客户表扬")
    assert _audit_of(entry).changes["rule_id"] == [None, praise.id]
    # its sign is the item's: a reward that takes points off is refused at the points
    with pytest.raises(ScoringError) as error:
        svc.add_entry(supervisor, sheet, day=date(2026, 11, 4), points=-3, rule_id=praise.id,
                      reason="", evidence="x")
    assert error.value.field == "points"


def test_a_correction_that_rewrites_the_reason_leaves_the_catalogue(supervisor, sheet, add,
                                                                   rules):
    tidy = rules["工位不整洁"]
    entry = add(sheet, points=-2, rule_id=tidy.id, reason="")
    svc.edit_entry(supervisor, entry, entry.version, day=entry.day, points=-1,
                   reason=entry.reason, evidence=entry.evidence)  # points only: still the item
    assert entry.rule_id == tidy.id
    svc.edit_entry(supervisor, entry, entry.version, day=entry.day, points=-1,
                   reason="桌面堆放私人物品", evidence=entry.evidence)
    db.session.commit()
    assert (entry.rule_id, entry.reason) == (None, "桌面堆放私人物品")
    changes = _audit_of(entry, "scoring.entry_changed").changes
    assert changes["rule_id"] == [tidy.id, None]


def test_a_free_reason_posted_with_a_catalogue_item_is_recorded_free(client, sign_in,
                                                                    supervisor, sheet, rules):
    """What the browser sent when the entry form kept the item chosen for the entry before."""
    praise = rules["客户表扬"]
    sign_in(client, supervisor)
    response = client.post(f"{url(sheet)}/entries", headers=HX, data=entry_data(
        sheet, rule=str(praise.id), reason="回复客户时语气生硬", points="-3"))
    assert response.status_code == 200
    assert "catalogue-mark" not in html(response)
    entry = db.session.scalar(sa.select(ScoreEntry))
    assert (entry.rule_id, entry.points) == (None, -3)
    assert "rule_id" not in _audit_of(entry).changes
