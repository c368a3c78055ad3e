"""The monthly care list (issue 17 item 6, R-C5): members quiet for N days with marketing
consent; exporting (xlsx/CSV) marks them greeted for the month; the next export of the month
lists only the not yet greeted unless asked for all."""

import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from portal import clock
from portal.audit.models import AuditEvent
from portal.customers.attach import add_contact
from portal.customers.call_models import CareExport, CareGreeting
from portal.customers.models import Customer
from portal.extensions import db
from tests.conftest import count_rows


@pytest.fixture
def members(freeze):
    """Five customers: two to greet, one without consent, one who came lately, one retail."""
    freeze("2026-11-24 10:00")
    long_ago = clock.now() - timedelta(days=60)

    def person(name, phone, **fields):
        fields.setdefault("kind", "member")
        fields.setdefault("marketing_consent", True)
        fields.setdefault("last_contact_at", long_ago)
        record = Customer(name=name, **fields)
        db.session.add(record)
        db.session.flush()
        add_contact(record, "phone", phone)
        return record

    people = {
        "greet": person("=钱女士", "13900000001", value_class="important_value"),
        "never": person("孙先生", "13900000002", last_contact_at=None),
        "no_consent": person("周女士", "13900000003", marketing_consent=False),
        "recent": person("吴先生", "13900000004", last_contact_at=clock.now()),
        "retail": person("郑女士", "13900000005", kind="retail"),
    }
    db.session.commit()
    return people


def _names(page: str) -> set[str]:
    return {name for name in ("钱女士", "孙先生", "周女士", "吴先生", "郑女士") if name in page}


def test_the_list_shows_quiet_members_with_consent(client, login, members):
    login("supervisor")
    page = client.get("/customers/care?days=30").get_data(as_text=True)
    assert _names(page) == {"钱女士", "孙先生"}
    fragment = client.get("/customers/care?days=30", headers={"HX-Request": "true"})
    assert 'id="care-results"' in fragment.get_data(as_text=True)
    assert "<html" not in fragment.get_data(as_text=True)


def test_export_marks_greeted_and_the_next_export_lists_only_the_rest(client, login, members):
    login("supervisor")
    response = client.post("/customers/care/export",
                           data={"days": "30", "month": "2026-11", "format": "xlsx"})
    assert response.status_code == 303
    assert "/customers/care/exports/" in response.location and response.location.endswith(".xlsx")
    download = client.get(response.location)
    assert download.status_code == 200
    sheet = load_workbook(io.BytesIO(download.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Name", "Phone", "Value class", "Last contact")
    assert sorted(r[1] for r in rows[1:]) == ["13900000001", "13900000002"]
    formula = next(c for c in sheet["A"] if c.value == "=钱女士")
    assert formula.data_type == "s"  # a name is text, never a formula
    assert count_rows(CareGreeting, CareGreeting.month == "2026-11") == 2
    assert count_rows(AuditEvent, AuditEvent.action == "customers.care_exported") == 1
    # greeted this month: no longer listed, and a second export greets nobody
    assert _names(client.get("/customers/care?days=30").get_data(as_text=True)) == set()
    again = client.post("/customers/care/export",
                        data={"days": "30", "month": "2026-11", "format": "csv"})
    text = client.get(again.location).data.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [["Name", "Phone", "Value class",
                                                    "Last contact"]]
    # unless asked for all: both again, not greeted twice
    everyone = client.post("/customers/care/export",
                           data={"days": "30", "month": "2026-11", "format": "csv", "all": "y"})
    rows = list(csv.reader(io.StringIO(client.get(everyone.location).data.decode("utf-8-sig"))))
    assert sorted(r[1] for r in rows[1:]) == ["13900000001", "13900000002"]
    assert rows[1][0] == "'=钱女士" or rows[2][0] == "'=钱女士"  # CSV: no formula either
    assert count_rows(CareGreeting) == 2
    # next month they are due again
    page = client.get("/customers/care?days=30&month=2026-12").get_data(as_text=True)
    assert _names(page) == {"钱女士", "孙先生"}


def test_a_customer_who_withdrew_consent_drops_out_of_the_file(client, login, members):
    login("supervisor")
    response = client.post("/customers/care/export",
                           data={"days": "30", "month": "2026-11", "format": "csv"})
    members["never"].marketing_consent = False
    db.session.commit()
    text = client.get(response.location).data.decode("utf-8-sig")
    assert "13900000002" not in text and "13900000001" in text


@pytest.mark.parametrize("query", ["days=0", "days=99999999999", "month=2026-13",
                                   "month=%00", "before=garbage", "days=abc"])
def test_bad_filters_are_refused_or_ignored_never_a_500(client, login, members, query):
    login("supervisor")
    response = client.get(f"/customers/care?{query}")
    assert response.status_code in (200, 400, 422)


@pytest.mark.parametrize("data", [
    {"days": "30", "month": "2026-13", "format": "xlsx"},
    {"days": "0", "month": "2026-11", "format": "xlsx"},
    {"days": "30", "month": "2026-11", "format": "exe"},
    {"days": "99999999999", "month": "2026-11", "format": "csv"},
])
def test_bad_exports_are_422_and_greet_nobody(client, login, members, data):
    login("supervisor")
    response = client.post("/customers/care/export", data=data)
    assert response.status_code == 422
    assert count_rows(CareGreeting) == 0 and count_rows(CareExport) == 0


def test_downloads_of_unknown_exports_are_404(client, login):
    login("supervisor")
    assert client.get("/customers/care/exports/999.xlsx").status_code == 404
    assert client.get("/customers/care/exports/1.pdf").status_code == 404


def test_only_the_supervisor_downloads(client, login, members, create_user, sign_in):
    supervisor = login("supervisor")
    response = client.post("/customers/care/export",
                           data={"days": "30", "month": "2026-11", "format": "xlsx"})
    client.post("/logout")
    for role in ("manager", "presales", "aftersales"):
        sign_in(client, create_user(role))
        assert client.get(response.location).status_code == 403
    assert supervisor is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CareExport)) == 1
