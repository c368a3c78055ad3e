"""The work record's rules: adding, editing the same day, correcting afterwards."""

from datetime import date

import pytest

from portal.actions import Conflict, NotAllowed
from portal.extensions import db
from portal.worklog import services as svc
from portal.worklog.models import WorkLineCorrection


def _input(categories, **fields):
    fields.setdefault("category_id", categories["Product"].id)
    fields.setdefault("question", "这款沙发有几种颜色?")
    fields.setdefault("answer", "灰色、米白两种。")
    return svc.LineInput(**fields)


def test_a_line_goes_to_todays_department_date(create_user, categories, freeze):
    # 00:30 in Shanghai is still the previous day in UTC: the department's date counts
    freeze("2026-11-24 00:30")
    agent = create_user("presales")
    line = svc.add_line(agent, _input(categories))
    assert line.day == date(2026, 11, 24)
    assert line.resolved and line.version == 1


@pytest.mark.parametrize(("fields", "field", "words"), [
    ({"question": "   "}, "question", "Write the question"),
    ({"question": "x" * 1001}, "question", "under"),
    ({"answer": "", "resolved": True}, "answer", "answer you gave"),
    ({"category_id": 999999}, "category", "category"),
    ({"order_no": "NO-SUCH-ORDER"}, "order_no", "No order"),
])
def test_bad_lines_are_refused(create_user, categories, freeze, fields, field, words):
    freeze("2026-11-24 10:00")
    agent = create_user("presales")
    with pytest.raises(svc.WorklogError) as refused:
        svc.add_line(agent, _input(categories, **fields))
    assert refused.value.field == field
    assert words in refused.value.message


def test_an_unresolved_question_needs_no_answer(create_user, categories, freeze):
    freeze("2026-11-24 10:00")
    line = svc.add_line(create_user("presales"),
                        _input(categories, answer="", resolved=False))
    assert not line.resolved and line.answer == ""


def test_a_switched_off_category_is_refused_for_new_lines_but_kept_by_old_ones(
        create_user, categories, make_line, freeze):
    freeze("2026-11-24 10:00")
    agent = create_user("presales")
    line = make_line(agent, date(2026, 11, 24), category_id=categories["Other"].id)
    categories["Other"].active = False
    db.session.commit()
    with pytest.raises(svc.WorklogError):
        svc.add_line(agent, _input(categories, category_id=categories["Other"].id))
    svc.edit_line(agent, line, _input(categories, category_id=categories["Other"].id,
                                      question="改了"), line.version)
    assert line.question == "改了"


def test_edit_same_day(create_user, make_line, categories, freeze):
    freeze("2026-11-24 10:00")
    agent = create_user("presales")
    line = make_line(agent, date(2026, 11, 24))
    svc.edit_line(agent, line, _input(categories, question="新的问题"), line.version)
    db.session.flush()
    assert line.question == "新的问题" and line.version == 2
    assert line.corrections == 0


def test_yesterdays_line_cannot_be_edited(create_user, make_line, categories, freeze):
    freeze("2026-11-25 09:00")
    agent = create_user("presales")
    line = make_line(agent, date(2026, 11, 24))
    with pytest.raises(svc.WorklogError, match="earlier day"):
        svc.edit_line(agent, line, _input(categories, question="改"), line.version)


def test_a_correction_keeps_the_earlier_text(create_user, make_line, categories, freeze):
    freeze("2026-11-25 09:00")
    agent = create_user("presales")
    line = make_line(agent, date(2026, 11, 24), question="原来的问题", answer="原来的回答")
    svc.correct_line(agent, line, _input(categories, question="更正后的问题",
                                         answer="更正后的回答"), "写错了", line.version)
    db.session.flush()
    kept = db.session.query(WorkLineCorrection).filter_by(line_id=line.id).one()
    assert (kept.question, kept.answer, kept.reason) == ("原来的问题", "原来的回答", "写错了")
    assert line.question == "更正后的问题" and line.corrections == 1
    assert svc.corrections_of([line.id])[line.id] == [kept]


def test_todays_line_is_edited_not_corrected(create_user, make_line, categories, freeze):
    freeze("2026-11-24 10:00")
    agent = create_user("presales")
    line = make_line(agent, date(2026, 11, 24))
    with pytest.raises(svc.WorklogError):
        svc.correct_line(agent, line, _input(categories), "", line.version)


def test_only_the_author_changes_a_line(create_user, make_line, categories, freeze):
    freeze("2026-11-24 10:00")
    line = make_line(create_user("presales"), date(2026, 11, 24))
    with pytest.raises(NotAllowed):
        svc.edit_line(create_user("supervisor"), line, _input(categories), line.version)


def test_a_stale_version_is_a_conflict(create_user, make_line, categories, freeze):
    freeze("2026-11-24 10:00")
    agent = create_user("presales")
    line = make_line(agent, date(2026, 11, 24))
    with pytest.raises(Conflict):
        svc.edit_line(agent, line, _input(categories), line.version + 1)


def test_day_totals_per_agent_and_category(create_user, make_line, categories):
    day = date(2026, 11, 24)
    a, b = create_user("presales", display_name="甲"), create_user("aftersales",
                                                                   display_name="乙")
    make_line(a, day, category_id=categories["Product"].id)
    make_line(a, day, category_id=categories["Delivery"].id, resolved=False, answer="")
    make_line(b, day, category_id=categories["Delivery"].id)
    make_line(b, date(2026, 11, 23))  # another day
    totals = svc.day_totals(day)
    assert (totals.lines, totals.resolved, totals.unresolved) == (3, 2, 1)
    first = totals.agents[0]
    assert first.name == "甲" and first.lines == 2 and first.unresolved == 1
    assert totals.per_category == {categories["Product"].id: 1, categories["Delivery"].id: 2}


def test_month_figures_for_the_score_overview(create_user, make_line):
    agent = create_user("presales")
    for resolved in (True, True, True, False):
        make_line(agent, date(2026, 11, 3), resolved=resolved)
    make_line(agent, date(2026, 12, 1))
    assert svc.month_figures(2026, 11) == {agent.id: (4, 3)}
    assert svc.month_cell(2026, 11, [agent.id]) == {agent.id: "4 · 75%"}


def test_link_source_gives_one_row_per_day(create_user, make_line, app):
    agent = create_user("presales")
    first = make_line(agent, date(2026, 11, 3))
    make_line(agent, date(2026, 11, 3))
    make_line(agent, date(2026, 11, 5))
    rows = db.session.execute(svc.link_query(agent.id, date(2026, 11, 1),
                                             date(2026, 11, 30), 10)).all()
    assert [(r.ref_day, r.ref_number) for r in rows] == [(date(2026, 11, 5), 1),
                                                         (date(2026, 11, 3), 2)]
    assert rows[1].ref_id == first.id
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("en"):
        assert "2 questions" in svc.link_text(rows[1])
        assert svc.link_url(first.id).endswith(f"user={agent.id}&day=2026-11-03")


def test_agent_card_says_not_written_an_hour_into_the_shift(create_user, shift_types, freeze):
    from portal.shifts.models import RosterEntry, RosterMonth

    agent = create_user("presales")
    month = RosterMonth(year=2026, month=11, status="published")
    db.session.add(month)
    db.session.flush()
    day_shift = min(shift_types.values(), key=lambda t: t.start_minute)
    db.session.add(RosterEntry(month_id=month.id, user_id=agent.id, day=date(2026, 11, 24),
                               shift_type_id=day_shift.id))
    db.session.commit()
    start = day_shift.starts_at(date(2026, 11, 24))
    freeze(start.replace(tzinfo=None).isoformat(sep=" "))
    assert svc.agent_card(agent) == {"count": 0, "late": False, "day": date(2026, 11, 24)}
    freeze((start.replace(tzinfo=None) + svc.FIRST_HOUR).isoformat(sep=" "))
    assert svc.agent_card(agent)["late"] is True
    # the reminder: once, for the moment an hour into the shift
    due = svc.late_records(start, start + svc.FIRST_HOUR)
    assert [d.users for d in due] == [(agent.id,)]
    assert svc.late_records(start + svc.FIRST_HOUR, start + 2 * svc.FIRST_HOUR) == []
