"""Staff's own sheets: read-only, any month, acknowledge, appeal; never someone else's."""

import sqlalchemy as sa

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.scoring.models import Appeal, SheetEvent
from tests.conftest import count_rows
from tests.scoring import fixtures_workflow
from tests.scoring.fixtures_workflow import HX, entries_of

# the shared fixtures of these tests
make_appeal = fixtures_workflow.make_appeal
make_sheet = fixtures_workflow.make_sheet
people = fixtures_workflow.people


def test_my_current_month_page_and_fragment(client, sign_in, people, make_sheet, freeze):
    freeze("2026-11-22 10:00")
    make_sheet()
    make_sheet(month=10, status="approved", points=(7,))
    sign_in(client, people["staff"])
    page = client.get("/scores/my").get_data(as_text=True)
    assert "<html" in page and "2026-11" in page and "reason 1" in page
    assert "2026-10" in page  # the month list
    assert 'href="/scores/my"' in page  # the nav entry "My score sheet"
    assert "Submit to the manager" not in page and "scoring/sheets" not in page
    fragment = client.get("/scores/my/2026/10", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and 'id="my-sheet"' in fragment
    assert "107" in fragment and "Appeal this entry" not in fragment  # approved: closed


def test_month_without_a_sheet(client, sign_in, people):
    sign_in(client, people["staff"])
    response = client.get("/scores/my/2025/3")
    assert response.status_code == 200
    assert "No score sheet for this month yet." in response.get_data(as_text=True)
    assert client.get("/scores/my/2025/13").status_code == 404


def test_staff_never_see_other_sheets(client, sign_in, people, make_sheet):
    theirs = make_sheet(user=people["other"])
    entry = entries_of(theirs)[0]
    sign_in(client, people["staff"])
    page = client.get("/scores/my/2026/11").get_data(as_text=True)
    assert "reason 1" not in page  # the colleague's sheet is not shown as mine
    assert client.get(f"/scores/sheets/{theirs.id}/workflow").status_code == 403
    assert client.get(f"/scores/2026/11/{people['other'].id}").status_code == 403
    # appealing a colleague's entry: an audited 403, whatever the comment (a refusal of the
    # comment would show the entry's appeals)
    for comment in ("x", ""):
        response = client.post(f"/scores/my/entries/{entry.id}/appeal", headers=HX,
                               data={"comment": comment})
        assert response.status_code == 403 and "reason 1" not in response.get_data(as_text=True)
    assert count_rows(Appeal) == 0
    refusals = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "auth.forbidden")).all()
    assert [r.details["permission"] for r in refusals][-2:] == ["scoring.own", "scoring.own"]


def test_acknowledge(client, sign_in, people, make_sheet):
    sheet = make_sheet(status="submitted")
    version = sheet.version
    sign_in(client, people["staff"])
    response = client.post("/scores/my/2026/11/acknowledge", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "You acknowledged this sheet" in html
    db.session.refresh(sheet)
    assert sheet.acknowledged_at is not None
    assert sheet.version == version  # no conflict for a manager approving meanwhile
    assert db.session.scalar(sa.select(SheetEvent.action)) == "acknowledged"
    again = client.post("/scores/my/2026/11/acknowledge", headers=HX)
    assert again.status_code == 422
    assert client.post("/scores/my/2026/9/acknowledge").status_code == 404


def test_appeal_route(client, sign_in, people, make_sheet):
    sheet = make_sheet()
    entry = entries_of(sheet)[0]
    sign_in(client, people["staff"])
    page = client.get("/scores/my/2026/11").get_data(as_text=True)
    assert "Appeal this entry" in page
    response = client.post(f"/scores/my/entries/{entry.id}/appeal", headers=HX,
                           data={"comment": ""})
    assert response.status_code == 422
    assert "Write why you disagree" in response.get_data(as_text=True)
    response = client.post(f"/scores/my/entries/{entry.id}/appeal", headers=HX,
                           data={"comment": "I was at lunch"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and f'id="entry-appeal-{entry.id}"' in html
    assert "I was at lunch" in html and "appeals-changed" in response.headers["HX-Trigger"]
    response = client.post(f"/scores/my/entries/{entry.id}/appeal", headers=HX,
                           data={"comment": "again"})
    assert response.status_code == 422
    assert "already have an open appeal" in response.get_data(as_text=True)
    assert count_rows(Appeal) == 1
    full = client.post(f"/scores/my/entries/{entries_of(sheet)[1].id}/appeal",
                       data={"comment": "second entry"})
    assert full.status_code == 303


def test_other_roles_have_no_my_sheet(client, sign_in, create_user):
    for role in ("supervisor", "manager"):
        sign_in(client, create_user(role))
        assert client.get("/scores/my").status_code == 403
