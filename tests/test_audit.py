"""The audit trail: recorded by every area, browsed and filtered by supervisors and managers."""

from datetime import datetime

from portal import audit
from portal.audit.models import AuditEvent
from portal.extensions import db

HX = {"HX-Request": "true"}


def test_record_with_changes(create_user, freeze):
    freeze("2026-11-22 09:30")
    actor, target = create_user("supervisor"), create_user("presales", display_name="甲")
    db.session.refresh(target)  # loaded, as a view loads what it changes
    target.display_name = "乙"
    diff = audit.changes(target, ["display_name", "role"])
    event = audit.record("staff.updated", target, changes=diff, actor=actor)
    db.session.commit()
    assert diff == {"display_name": ["甲", "乙"]}
    assert (event.actor_id, event.target_type, event.target_id) == (
        actor.id, "users", str(target.id))
    assert event.at.astimezone(freeze("2026-11-22 09:30").tzinfo) == freeze("2026-11-22 09:30")


def test_browse_and_filter(client, sign_in, create_user, freeze):
    manager = sign_in(client, create_user("manager"))
    someone = create_user("presales", display_name="被审计的人")
    freeze("2026-11-01 10:00")
    audit.record("staff.deactivated", someone, actor=manager)
    freeze("2026-11-20 10:00")
    audit.record("staff.reactivated", someone, actor=manager)
    db.session.commit()
    page = client.get("/audit/").get_data(as_text=True)
    assert "<html" in page and page.count("被审计的人</td>") == 2
    fragment = client.get("/audit/?action=staff.deactivated", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and 'id="audit-table"' in fragment
    assert "2026-11-01 10:00" in fragment and "2026-11-20 10:00" not in fragment
    by_date = client.get("/audit/?date_from=2026-11-15&date_to=2026-11-30").get_data(as_text=True)
    assert "2026-11-20 10:00" in by_date and "2026-11-01 10:00" not in by_date


def test_bad_filter_is_reported_not_ignored(client, sign_in, create_user):
    sign_in(client, create_user("supervisor"))
    response = client.get("/audit/?date_from=not-a-date")
    assert response.status_code == 422
    assert 'class="field-error"' in response.get_data(as_text=True)


def test_refusals_are_audited(client, sign_in, create_user):
    user = sign_in(client, create_user("presales"))
    assert client.get("/audit/").status_code == 403
    event = db.session.query(AuditEvent).filter_by(action="auth.forbidden").one()
    assert event.actor_id == user.id and event.details["permission"] == "audit.view"


def test_times_are_stored_in_utc_and_shown_in_department_time(create_user, freeze):
    moment = freeze("2026-11-22 00:30")  # 16:30 UTC the day before
    event = audit.record("auth.login", create_user("presales"))
    db.session.commit()
    db.session.expire(event)
    assert event.at == moment
    assert event.at.utcoffset().total_seconds() == 0
    assert event.at.replace(tzinfo=None) == datetime(2026, 11, 21, 16, 30)


def test_changes_show_names_and_labels_not_codes(client, sign_in, create_user):
    manager = sign_in(client, create_user("manager", locale="en"))
    target = create_user("presales", display_name="小张")
    audit.record("staff.updated", target, actor=manager,
                 changes={"role": ["presales", "reception"], "active": [True, False]})
    db.session.commit()
    html = client.get("/audit/").get_data(as_text=True)
    assert "Staff account" in html and "小张</td>" in html
    assert "Pre-sales agent → Showroom reception" in html
    assert "Yes → No" in html


def test_every_registered_namer_runs_its_query(app):
    """Each area's namer (joins included) compiles and runs; unknown ids name nothing."""
    from portal.audit.services import labels

    namers = labels().namers
    assert {"users", "handover_items", "visits", "score_sheets", "swap_requests"} <= set(namers)
    for table, names in namers.items():
        assert names(["999999"]) == {}, table


def test_namer_formats_rows_through_joins(create_user):
    from portal.audit.services import namer
    from portal.auth.models import User

    user = create_user("presales", display_name="小林")
    plain = namer(User, User.display_name)
    shaped = namer(User, User.username, User.role, fmt=lambda i, name, role: f"{name}/{role}")
    assert plain([str(user.id)]) == {user.id: "小林"}
    assert shaped([str(user.id)]) == {user.id: f"{user.username}/presales"}


def test_the_names_of_every_kind_of_record_on_a_page_come_in_one_query(create_user,
                                                                      count_queries):
    """The trail names its targets in one UNION ALL however many kinds a page shows (the
    audit page sent one query per kind: 11 queries with the bench's mix); the values come
    back in their types for each namer's format (a date, an int, money)."""
    from datetime import date
    from decimal import Decimal

    from portal.audit.services import labels, target_names
    from portal.orders.models import BankTransfer
    from portal.shifts.models import RosterMonth

    actor = create_user("supervisor", display_name="审计员")
    month = RosterMonth(year=2026, month=3)
    transfer = BankTransfer(received_on=date(2026, 11, 3), payer="张三",
                            amount=Decimal("1234.50"), bank="工行", registered_by_id=actor.id)
    db.session.add_all([month, transfer])
    db.session.flush()
    events = [audit.record("staff.updated", actor, actor=actor),
              audit.record("roster.published", month, actor=actor),
              audit.record("transfers.registered", transfer, actor=actor)]
    db.session.flush()
    namers = labels().namers
    one_by_one = {(t, str(i)): name for t, record in (("users", actor),
                                                      ("roster_months", month),
                                                      ("bank_transfers", transfer))
                  for i, name in namers[t]([str(record.id)]).items()}
    with count_queries() as counter:
        together = target_names(events)
    assert counter.count == 1
    assert together == one_by_one
    assert together[("bank_transfers", str(transfer.id))] == "2026-11-03 张三 ¥1,234.50"
    assert together[("users", str(actor.id))] == "审计员"


def test_every_registered_namer_runs_in_the_one_query(app):
    """Every area's namer (joins, padding, casts) runs inside the UNION ALL."""
    from portal.audit.services import _names_in_one_query, labels

    namers = labels().namers
    assert _names_in_one_query(namers, {table: {"999999"} for table in namers}) == {}


def test_the_filters_render_as_wtforms_would_and_keep_the_choice(client, sign_in,
                                                                  create_user):
    """The filters' quick select writes each option as WTForms does, escaped, the chosen one
    selected."""
    from werkzeug.datastructures import MultiDict
    from wtforms import Form, SelectField

    from portal.forms import QuickSelect, choices

    options = choices([("", "Any"), ("a&b", "<甲>"), ("c", "乙")])

    class Both(Form):
        quick = SelectField(choices=options, widget=QuickSelect())
        plain = SelectField(choices=options)

    for chosen in ("", "a&b", "c"):
        form = Both(MultiDict({"quick": chosen, "plain": chosen}))
        assert str(form.quick()).replace('"quick"', '"x"') == \
            str(form.plain()).replace('"plain"', '"x"')
    sign_in(client, create_user("manager", display_name="审计员"))
    page = client.get("/audit/?action=staff.created").get_data(as_text=True)
    assert '<option selected value="staff.created">Account created</option>' in page
    assert '<option value="auth.login">Signed in</option>' in page
    assert ">审计员</option>" in page
