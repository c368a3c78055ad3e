"""The work record's pages: who may do what, adding in place, editing, correcting, 409,
bad input and the query budgets."""

from datetime import date

import pytest

from portal.auth.permissions import role_can
from portal.extensions import db
from portal.worklog.models import WorkLine, WorkLineCorrection
from tests.conftest import count_rows

HX = {"HX-Request": "true"}
ROLES = ("manager", "supervisor", "presales", "aftersales", "order_clerk", "reception")
TODAY = date(2026, 11, 24)


def _line_data(categories, **fields):
    data = {"category": str(categories["Product"].id), "question": "这款餐桌能伸缩吗?",
            "answer": "可以,拉开后 1.8 米。", "resolved": "y", "order_no": ""}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


# --- who may do what -------------------------------------------------------------------------

ENDPOINTS = [
    ("GET", "/worklog/team", "worklog.oversee"),
    ("GET", "/worklog/unresolved", "worklog.oversee"),
    ("POST", "/worklog/lines", "worklog.own"),
    ("GET", "/worklog/categories", "worklog.manage"),
    ("POST", "/worklog/categories", "worklog.manage"),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "url", "permission"), ENDPOINTS)
def test_role_matrix(client, sign_in, create_user, categories, role, method, url, permission):
    sign_in(client, create_user(role))
    response = client.open(url, method=method, data={})
    if role_can(role, permission):
        assert response.status_code in (200, 303, 422), (role, url, response.status_code)
    else:
        assert response.status_code == 403, (role, url)


@pytest.mark.parametrize("role", ROLES)
def test_my_day_and_another_agents_day(client, sign_in, create_user, make_line, freeze, role):
    freeze("2026-11-24 10:00")
    other = create_user("presales")
    make_line(other, TODAY, question="别人的问题")
    sign_in(client, create_user(role))
    mine = client.get("/worklog/")
    theirs = client.get(f"/worklog/?user={other.id}&day=2026-11-24")
    if role == "manager":  # no record of their own: the team's day instead
        assert mine.status_code == 303 and "/worklog/team" in mine.location
    else:
        assert mine.status_code == 200
    if role_can(role, "worklog.oversee"):
        assert theirs.status_code == 200 and "别人的问题" in theirs.get_data(as_text=True)
    else:
        assert theirs.status_code == 403


def test_manager_reads_but_cannot_write(client, sign_in, create_user, make_line, categories,
                                        freeze):
    freeze("2026-11-24 10:00")
    agent = create_user("presales")
    line = make_line(agent, TODAY)
    sign_in(client, create_user("manager"))
    page = client.get(f"/worklog/?user={agent.id}&day=2026-11-24").get_data(as_text=True)
    assert line.question in page and "/edit" not in page and 'name="question"' not in page
    assert client.post("/worklog/lines", data=_line_data(categories)).status_code == 403
    assert client.post(f"/worklog/lines/{line.id}/edit",
                       data=_line_data(categories, version="1")).status_code == 403


def test_an_agent_cannot_change_anothers_line(client, sign_in, create_user, make_line,
                                               categories, freeze):
    freeze("2026-11-24 10:00")
    line = make_line(create_user("presales"), TODAY)
    sign_in(client, create_user("presales"))
    response = client.post(f"/worklog/lines/{line.id}/edit",
                           data=_line_data(categories, question="改别人的", version="1"))
    assert response.status_code == 403
    db.session.refresh(line)
    assert line.question != "改别人的"


# --- adding in place ---------------------------------------------------------------------------


def test_add_in_place_answers_the_emptied_form_and_the_new_line(
        client, login, categories, freeze, count_queries):
    freeze("2026-11-24 10:00")
    agent = login("presales")
    with count_queries(like_bench=True) as queries:
        response = client.post("/worklog/lines", headers=HX, data=_line_data(categories))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    print("add: bytes", len(response.data), "queries", queries.count)
    assert len(response.data) <= 5 * 1024, len(response.data)
    assert 'hx-swap-oob="afterbegin:#work-lines"' in body and "这款餐桌能伸缩吗?" in body
    assert 'id="question"' in body and "autofocus" in body
    assert 'value="这款餐桌能伸缩吗?"' not in body  # the form is empty again
    inserts = [s for s in queries.statements if s.upper().startswith("INSERT INTO WORK_LINES")]
    assert len(inserts) == 1
    assert queries.count <= 10, queries.statements
    line = db.session.query(WorkLine).one()
    assert (line.user_id, line.day, line.resolved) == (agent.id, TODAY, True)
    assert "worklog-changed" in response.headers["HX-Trigger"]


def test_add_without_javascript_redirects_to_the_day(client, login, categories, freeze):
    freeze("2026-11-24 10:00")
    login("presales")
    response = client.post("/worklog/lines", data=_line_data(categories))
    assert response.status_code == 303
    page = client.get("/worklog/").get_data(as_text=True)
    assert "这款餐桌能伸缩吗?" in page


@pytest.mark.parametrize(("fields", "message"), [
    ({"question": ""}, "Write the question you met."),
    ({"question": "   "}, "Write the question you met."),
    ({"question": "有\x00空字符"}, "Remove the control characters"),
    ({"question": "问" * 10_000}, "At most 1000 characters."),
    ({"answer": "答" * 10_000}, "At most 2000 characters."),
    ({"answer": "", "resolved": None}, None),  # unresolved without an answer: fine
    ({"answer": ""}, "Write the answer you gave"),
    ({"category": "999999"}, "Choose a category from the list."),
    ({"category": "99999999999999999999"}, "Choose"),
    ({"category": "抱枕"}, "Choose a category from the list."),
    ({"order_no": "不存在的单号"}, "No order has the number"),
    ({"customer": "99999999999999999999"}, None),  # a forged customer id is dropped
])
def test_bad_input_is_refused_with_a_message(client, login, categories, freeze, fields,
                                             message):
    freeze("2026-11-24 10:00")
    login("presales")
    response = client.post("/worklog/lines", headers=HX, data=_line_data(categories, **fields))
    if message is None:
        assert response.status_code == 200
        return
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert message in response.get_data(as_text=True)
    assert count_rows(WorkLine) == 0


@pytest.mark.parametrize("url", ["/worklog/lines/99999999999999999999/edit",
                                 "/worklog/lines/0/correct", "/worklog/lines/123456/edit"])
def test_huge_or_missing_ids_are_404(client, login, categories, url):
    login("presales")
    assert client.post(url, data=_line_data(categories, version="1")).status_code == 404
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("query", ["?day=2026-13-45", "?day=0001-01-01", "?user=abc",
                                   "?user=99999999999999999999", "?day=%00"])
def test_bad_day_or_user_arguments_are_4xx(client, login, query):
    login("supervisor")
    assert 400 <= client.get(f"/worklog/{query}").status_code < 500


# --- editing today, correcting afterwards ---------------------------------------------------


def test_edit_today_in_place(client, login, make_line, categories, freeze):
    freeze("2026-11-24 10:00")
    agent = login("presales")
    line = make_line(agent, TODAY)
    form = client.get(f"/worklog/lines/{line.id}/edit", headers=HX)
    assert form.status_code == 200 and 'name="version" value="1"' in form.get_data(as_text=True)
    # the line's form takes no focus by itself and marks no field invalid before a refusal
    assert "autofocus" not in form.get_data(as_text=True)
    assert '="None"' not in form.get_data(as_text=True)
    assert '="None"' not in client.get("/worklog/").get_data(as_text=True)
    response = client.post(f"/worklog/lines/{line.id}/edit", headers=HX,
                           data=_line_data(categories, question="改过的问题", version="1"))
    assert response.status_code == 200
    assert "改过的问题" in response.get_data(as_text=True)
    db.session.refresh(line)
    assert line.question == "改过的问题" and line.version == 2
    assert count_rows(WorkLineCorrection) == 0


def test_stale_edit_is_409_and_keeps_the_typing(client, login, make_line, categories, freeze):
    freeze("2026-11-24 10:00")
    agent = login("presales")
    line = make_line(agent, TODAY, question="原问题")
    line.answer = "别处改过"
    db.session.commit()  # version 2 now
    response = client.post(f"/worklog/lines/{line.id}/edit", headers=HX,
                           data=_line_data(categories, question="我正在打的字", version="1"))
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert 'value="我正在打的字"' in body  # the typing kept
    assert "别处改过" in body  # the line as it is now
    assert 'name="version" value="2"' in body
    db.session.refresh(line)
    assert line.question == "原问题"


def test_yesterdays_line_cannot_be_edited(client, login, make_line, categories, freeze):
    freeze("2026-11-25 09:00")
    agent = login("presales")
    line = make_line(agent, TODAY, question="昨天的问题")
    response = client.post(f"/worklog/lines/{line.id}/edit", headers=HX,
                           data=_line_data(categories, question="偷偷改", version="1"))
    assert response.status_code == 422
    assert "cannot be edited" in response.get_data(as_text=True)
    db.session.refresh(line)
    assert line.question == "昨天的问题" and line.version == 1


def test_a_correction_keeps_and_shows_the_earlier_text(client, login, make_line, categories,
                                                       freeze):
    freeze("2026-11-25 09:00")
    agent = login("presales")
    line = make_line(agent, TODAY, question="昨天的问题", answer="昨天的回答")
    form = client.get(f"/worklog/lines/{line.id}/correct", headers=HX).get_data(as_text=True)
    assert 'name="reason"' in form
    response = client.post(f"/worklog/lines/{line.id}/correct", headers=HX,
                           data=_line_data(categories, question="更正的问题",
                                           answer="更正的回答", reason="记错了", version="1"))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "更正的问题" in body and "Corrected on 2026-11-25 09:00" in body
    assert "昨天的问题" in body  # the earlier text, shown
    kept = db.session.query(WorkLineCorrection).one()
    assert (kept.question, kept.answer, kept.reason) == ("昨天的问题", "昨天的回答", "记错了")
    page = client.get("/worklog/?day=2026-11-24").get_data(as_text=True)
    assert "Corrected on" in page and "昨天的问题" in page


# --- the supervisor's pages ------------------------------------------------------------------


def test_team_page_shows_totals_and_opens_an_agents_day(client, login, create_user, make_line,
                                                        categories, freeze):
    freeze("2026-11-24 18:00")
    agent = create_user("presales", display_name="周婷")
    for n in range(3):
        make_line(agent, TODAY, question=f"问题{n}", resolved=n != 0,
                  answer="" if n == 0 else "答")
    login("supervisor")
    page = client.get("/worklog/team?day=2026-11-24").get_data(as_text=True)
    assert "周婷" in page and f"/worklog/?user={agent.id}&amp;day=2026-11-24" in page
    assert "3 questions" in page and "2 resolved" in page and "1 unresolved" in page


def test_unresolved_list_is_keyset_paged_newest_first(client, login, create_user, make_line,
                                                      freeze):
    freeze("2026-11-24 18:00")
    agent = create_user("presales")
    for n in range(55):
        make_line(agent, date(2026, 11, 1 + n % 20), question=f"未解决{n:02d}", resolved=False,
                  answer="")
    make_line(agent, TODAY, question="已解决的")
    login("supervisor")
    first = client.get("/worklog/unresolved").get_data(as_text=True)
    assert "已解决的" not in first and 'class="line-actions"' in first
    assert first.count('class="work-line unresolved"') == 50
    assert "before=" in first
    older = first.split('href="/worklog/unresolved?before=')[1].split('"')[0]
    rest = client.get(f"/worklog/unresolved?before={older}").get_data(as_text=True)
    assert rest.count('class="work-line unresolved"') == 5
    assert client.get("/worklog/unresolved?before=garbage").status_code == 200
    assert 400 <= client.get("/worklog/unresolved?before=%00").status_code < 500


def test_categories_are_kept_by_the_supervisor(client, login, categories):
    login("supervisor")
    response = client.post("/worklog/categories", headers=HX, data={
        "name": "安装服务", "name_tw": "安裝服務", "name_en": "Installation", "position": "70",
        "active": "y"})
    assert response.status_code == 200 and "安装服务" in response.get_data(as_text=True)
    taken = client.post("/worklog/categories", headers=HX, data={"name": "安装服务",
                                                                 "position": "1"})
    assert taken.status_code == 422
    other = categories["Other"]
    response = client.post(f"/worklog/categories/{other.id}", headers=HX, data={
        "name": "其他", "name_en": "Other", "position": "99", "version": str(other.version)})
    assert response.status_code == 200
    db.session.refresh(other)
    assert other.active is False and other.position == 99
    stale = client.post(f"/worklog/categories/{other.id}", headers=HX, data={
        "name": "其他", "position": "1", "version": "1"})
    assert stale.status_code == 409


# --- budgets ---------------------------------------------------------------------------------


def test_day_page_reads_a_fixed_number_of_queries(client, login, make_line, categories, freeze,
                                                  count_queries):
    freeze("2026-11-25 10:00")
    agent = login("presales")
    for n in range(40):
        line = make_line(agent, TODAY, question=f"问题{n}")
        if n % 10 == 0:
            db.session.add(WorkLineCorrection(line_id=line.id, user_id=agent.id,
                                              question="旧", answer="", resolved=True,
                                              category_id=line.category_id))
            line.corrections = 1
    db.session.commit()
    with count_queries(like_bench=True) as queries:
        response = client.get("/worklog/?day=2026-11-24")
    assert response.status_code == 200
    print("day page (40 lines): bytes", len(response.data), "queries", queries.count)
    assert queries.count <= 10, queries.statements
    assert len(response.data) <= 60 * 1024
    with count_queries(like_bench=True) as queries:
        assert client.get("/worklog/").status_code == 200
    assert queries.count <= 10, queries.statements


def test_team_page_reads_a_fixed_number_of_queries(client, login, create_user, make_line,
                                                   freeze, count_queries):
    freeze("2026-11-24 18:00")
    for _ in range(8):
        agent = create_user("presales")
        for n in range(5):
            make_line(agent, TODAY, question=f"问题{n}")
    login("supervisor")
    with count_queries(like_bench=True) as queries:
        response = client.get("/worklog/team")
    assert response.status_code == 200
    print("team page: bytes", len(response.data), "queries", queries.count)
    assert queries.count <= 10, queries.statements
    with count_queries(like_bench=True) as queries:
        assert client.get("/worklog/unresolved").status_code == 200
    assert queries.count <= 10, queries.statements


# --- Today cards, score sheets -----------------------------------------------------------------


def test_today_cards(client, login, create_user, make_line, freeze):
    from tests.conftest import today

    freeze("2026-11-24 10:00")
    agent = login("presales")
    make_line(agent, TODAY)
    assert "1 question written down today" in today(client).get_data(as_text=True)


def test_supervisor_card(client, sign_in, create_user, make_line, freeze):
    from tests.conftest import today

    freeze("2026-11-24 10:00")
    make_line(create_user("presales"), TODAY, resolved=False, answer="")
    sign_in(client, create_user("supervisor"))
    page = today(client).get_data(as_text=True)
    assert "1 unresolved questions" in page or "unresolved" in page


def test_score_overview_shows_record_count_and_share_resolved(client, login, create_user,
                                                              make_line, freeze):
    freeze("2026-11-24 10:00")
    agent = create_user("presales", display_name="郑丽")
    make_line(agent, TODAY)
    make_line(agent, TODAY, resolved=False, answer="")
    login("supervisor")
    page = client.get("/scores/2026/11").get_data(as_text=True)
    assert "Work record (resolved)" in page and "2 · 50%" in page


def test_a_line_is_promoted_to_an_article_from_the_day_and_the_unresolved_list(
        app, client, login, sign_in, create_user, make_line, freeze):
    """The knowledge base's "promote" sits on each line of one's day and on each unresolved
    question; once promoted the line links to its draft."""
    from portal.knowledge.models import Article

    freeze("2026-11-24 10:00")
    agent = login("presales")
    line = make_line(agent, TODAY, question="实木餐桌可以定制尺寸吗?", resolved=False, answer="")
    day = client.get("/worklog/").get_data(as_text=True)
    assert f'/knowledge/promote/{line.id}"' in day
    response = client.post(f"/knowledge/promote/{line.id}", headers=HX)
    assert response.status_code == 200
    db.session.refresh(line)
    article = db.session.get(Article, line.article_id)
    assert article.state == "draft" and article.question == "实木餐桌可以定制尺寸吗?"
    day = client.get("/worklog/").get_data(as_text=True)
    assert f"/knowledge/{article.id}" in day and f'/knowledge/promote/{line.id}"' not in day
    other = make_line(agent, TODAY, question="床垫能试睡吗?", resolved=False, answer="")
    supervisor = app.test_client()
    sign_in(supervisor, create_user("supervisor"))
    listing = supervisor.get("/worklog/unresolved").get_data(as_text=True)
    assert f'/knowledge/promote/{other.id}"' in listing
    assert f"/knowledge/{article.id}" in listing


def test_the_quick_form_suggests_articles_while_typing(client, login, freeze):
    """The knowledge base's answers under the question being typed (issue 18 item 6)."""
    freeze("2026-11-24 10:00")
    login("presales")
    page = client.get("/worklog/").get_data(as_text=True)
    assert 'data-suggest-for="' in page and "/knowledge/suggest?field=question" in page
