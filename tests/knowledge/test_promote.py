"""Promote a daily-record line (an unresolved question) to a draft article in one click;
the editor's Today card."""

import pytest
import sqlalchemy as sa

from portal.actions import NotAllowed
from portal.extensions import db
from portal.knowledge import articles as svc
from portal.knowledge.models import Article, ArticleVersion
from portal.rules import RuleError
from tests.conftest import today
from tests.knowledge.conftest import HX


def test_promote_copies_question_answer_category_and_links_the_line(client, login,
                                                                     make_line):
    me = login("presales")
    line = make_line(user=me, question="餐桌能加长吗？", answer="可以定制，加价20%。",
                     resolved=True)
    response = client.post(f"/knowledge/promote/{line.id}", headers=HX)
    assert response.status_code == 200
    assert "Promoted → article" in response.get_data(as_text=True)
    db.session.refresh(line)
    article = db.session.get(Article, line.article_id)
    assert (article.question, article.answer, article.category_id, article.state,
            article.author_id) == ("餐桌能加长吗？", "可以定制，加价20%。", line.category_id,
                                   "draft", me.id)
    kept = db.session.scalar(sa.select(ArticleVersion).where(
        ArticleVersion.article_id == article.id))
    assert kept.number == 1 and kept.note == "promoted"
    # once is enough
    again = client.post(f"/knowledge/promote/{line.id}", headers=HX)
    assert again.status_code == 422
    assert "already" in again.get_data(as_text=True)


def test_promote_without_javascript_opens_the_draft(client, login, make_line):
    me = login("aftersales")
    line = make_line(user=me)
    response = client.post(f"/knowledge/promote/{line.id}")
    assert response.status_code == 303
    db.session.refresh(line)
    assert response.headers["Location"].endswith(f"/knowledge/{line.article_id}/edit")


def test_an_agent_promotes_only_their_own_lines_the_editor_any(create_user, make_line):
    agent, other, editor = (create_user("presales"), create_user("presales"),
                            create_user("supervisor"))
    line = make_line(user=other)
    with pytest.raises(NotAllowed):
        svc.promote(agent, line)
    svc.promote(editor, line)
    with pytest.raises(RuleError):
        svc.promote(editor, line)


def test_a_long_question_keeps_its_whole_text_in_the_answer(create_user, make_line):
    long_question = "问" * 400
    line = make_line(question=long_question, answer="答")
    article = svc.promote(create_user("supervisor"), line)
    assert len(article.question) == 300 and long_question in article.answer


@pytest.mark.parametrize("line_id", ["0", "99999999999999999999", "abc", "99999"])
def test_forged_line_ids_are_404(client, login, line_id):
    login("presales")
    assert client.post(f"/knowledge/promote/{line_id}").status_code == 404


def test_the_editors_card_and_the_unresolved_list(client, login, make_line, make_article,
                                                  freeze):
    freeze("2026-01-05 10:00")
    make_article("published", question="旧文章")
    freeze("2026-12-05 10:00")
    make_article(question="等待发布的草稿")
    make_line(question="沙发能拆洗吗？", resolved=False)
    make_line(question="已解决的问题", resolved=True)
    promoted = make_line(question="已转文章的问题", resolved=False)
    svc.promote(promoted.user, promoted)
    db.session.commit()
    assert svc.editor_counts() == {"unresolved": 1, "drafts": 2, "stale": 1}
    login("supervisor")
    home = today(client).get_data(as_text=True)
    assert "1 unresolved questions" in home and "2 drafts waiting" in home
    assert "1 articles not reviewed in 180 days" in home
    listing = client.get("/knowledge/questions").get_data(as_text=True)
    assert "沙发能拆洗吗？" in listing and "已解决的问题" not in listing
    assert "已转文章的问题" not in listing
    assert "旧文章" in client.get("/knowledge/stale").get_data(as_text=True)


def test_the_card_is_one_query(make_line, count_queries):
    make_line()
    with count_queries(like_bench=True) as counted:
        svc.editor_counts()
    assert counted.count == 1


def test_a_promoted_line_links_its_draft_only_for_those_who_may_open_it(app, client, login,
                                                                       make_line):
    """The manager reads the unresolved questions but not drafts: no link that answers 404."""
    login("supervisor")
    line = make_line()
    assert client.post(f"/knowledge/promote/{line.id}", headers=HX).status_code == 200
    db.session.refresh(line)
    link = f'href="/knowledge/{line.article_id}"'
    assert link in client.get("/worklog/unresolved").get_data(as_text=True)
    manager = app.test_client()
    login("manager", the_client=manager)
    page = manager.get("/worklog/unresolved").get_data(as_text=True)
    assert "Promoted → article" in page and link not in page
    assert manager.get(f"/knowledge/{line.article_id}").status_code == 404
