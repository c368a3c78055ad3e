"""Shift types (R-S1, issue 15 item 17): a name per language shown in the reader's language,
and the supervisor's page that edits names, colour and times under the rules, audited."""

import pytest
import sqlalchemy as sa

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.shifts.models import ShiftType
from tests.conftest import today
from tests.shifts.conftest import days

PAGE = "/roster/shift-types"


def form_of(shift_type, **changes) -> dict:
    db.session.refresh(shift_type)
    names = shift_type.names or {}
    data = {"version": shift_type.version, "name": shift_type.name,
            "name_zh_TW": names.get("zh_TW", ""), "name_en": names.get("en", ""),
            "colour": shift_type.colour,
            "start": ShiftType.clock_text(shift_type.start_minute),
            "end": ShiftType.clock_text(shift_type.end_minute)}
    data.update(changes)
    return data


@pytest.fixture
def planner(client, create_user, sign_in, shift_types):
    return sign_in(client, create_user("supervisor", display_name="李主管"))


def test_the_supervisor_names_a_shift_type_per_language_and_each_reader_sees_theirs(
        app, client, planner, shift_types, create_user, sign_in, roster, freeze):
    freeze("2026-11-22 09:30")
    night = shift_types["night"]
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'id="t{night.id}-name_en"' in html and f'for="t{night.id}-name_en"' in html
    response = client.post(f"{PAGE}/{night.id}", data=form_of(
        night, name_en="Night shift", name_zh_TW="晚班（繁）"))
    assert response.status_code == 303
    db.session.refresh(night)
    assert night.names == {"en": "Night shift", "zh_TW": "晚班（繁）"}
    event = db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == "shifts.shift_type_changed"))
    assert event.actor_id == planner.id
    assert event.changes == {"name_zh_TW": [None, "晚班（繁）"], "name_en": [None, "Night shift"]}

    # each reader sees the name in their language; Simplified Chinese keeps the default
    for locale, shown, hidden in (("en", "Night shift", "晚班"), ("zh_TW", "晚班（繁）", None),
                                  ("zh_CN", "晚班", "Night shift")):
        person = create_user("presales", locale=locale)
        roster(person, {22: "night", 23: "day"})
        other = app.test_client()
        sign_in(other, person)
        mine = other.get("/roster/me?month=2026-11").get_data(as_text=True)
        assert shown in mine
        week = today(other).get_data(as_text=True).split('id="card-my-week"', 1)[1]
        week = week.split("</section>", 1)[0]
        assert shown in week
        if hidden:
            assert f">{hidden}<" not in week
    # a language left empty falls back to the default name
    english = create_user("aftersales", locale="en")
    roster(english, {22: "day"})
    other = app.test_client()
    sign_in(other, english)
    assert "白班" in other.get("/roster/me?month=2026-11").get_data(as_text=True)


def test_the_grid_legend_and_checks_show_the_readers_names(client, planner, shift_types,
                                                           roster, create_user):
    night = shift_types["night"]
    client.post(f"{PAGE}/{night.id}", data=form_of(night, name_en="Night shift"))
    person = create_user("presales")
    roster(person, days(1, 8, "night"), published=False)
    html = client.get("/roster/plan/2026/11").get_data(as_text=True)
    assert "Night shift 16:00–24:00" in html  # the legend
    assert "Night shift: below the minimum" in html  # the checks


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"name": "  "}, "name", "Give the shift type its name."),
    ({"colour": "red"}, "colour", "Choose a colour as #rrggbb."),
    ({"start": "25:00"}, "start", "Enter a time as HH:MM, from 00:00 to 24:00."),
    ({"start": "16:00", "end": "08:00"}, "end", "A shift ends after it starts"),
    ({"start": "07:00", "end": "17:00"}, "start", "overlaps 晚班 (16:00–24:00)"),
    ({"name_en": "x" * 41}, "name_en", "At most 40 characters."),
])
def test_a_shift_type_breaking_a_rule_is_refused_next_to_its_field(
        client, planner, shift_types, changes, field, message):
    day = shift_types["day"]
    before = (day.name, day.colour, day.start_minute, day.end_minute, day.names)
    response = client.post(f"{PAGE}/{day.id}", data=form_of(day, **changes))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="t{day.id}-{field}-error"' in html and message in html
    db.session.refresh(day)
    assert (day.name, day.colour, day.start_minute, day.end_minute, day.names) == before
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.action == "shifts.shift_type_changed")) == 0


def test_times_and_colour_change_with_a_version_check(client, planner, shift_types):
    day = shift_types["day"]
    seen = form_of(day)
    response = client.post(f"{PAGE}/{day.id}", data={**seen, "start": "08:30",
                                                     "colour": "#FFEEAA"})
    assert response.status_code == 303
    db.session.refresh(day)
    assert (day.hours_text, day.colour) == ("08:30–16:00", "#ffeeaa")
    assert f".shift-{day.id}, .roster-grid .s{day.id} {{ background: #ffeeaa; }}" in \
        client.get("/roster/shift-types.css").get_data(as_text=True)
    stale = client.post(f"{PAGE}/{day.id}", data={**seen, "name_en": "Day shift"})
    assert stale.status_code == 409
    html = stale.get_data(as_text=True)
    assert "Someone else changed this shift type first." in html
    assert 'value="Day shift"' in html and "08:30–16:00" in html  # typing kept, state now
    db.session.refresh(day)
    assert day.names is None


@pytest.mark.parametrize("role", ["manager", "presales", "aftersales", "order_clerk",
                                  "reception"])
def test_only_the_planner_edits_shift_types(client, create_user, sign_in, shift_types, role):
    sign_in(client, create_user(role))
    day = shift_types["day"]
    assert client.get(PAGE).status_code == 403
    assert client.post(f"{PAGE}/{day.id}", data=form_of(day, name="改")).status_code == 403
    db.session.refresh(day)
    assert day.name == "白班"
