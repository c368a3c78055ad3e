"""Articles: versions on every save, diff, revert, publish by the editor only, the 409 with
both texts, bad input (issue 18 items 5 and "Bad input and conflicts")."""

import pytest
import sqlalchemy as sa

from portal.actions import NotAllowed
from portal.extensions import db
from portal.knowledge import articles as svc
from portal.knowledge.models import Article, ArticleVersion
from portal.rules import RuleError
from tests.knowledge.conftest import HX, form


def _versions(article):
    return list(db.session.scalars(sa.select(ArticleVersion).where(
        ArticleVersion.article_id == article.id).order_by(ArticleVersion.number)))


# --- services --------------------------------------------------------------------------------


def test_every_save_is_a_version_and_revert_is_a_new_one(create_user, category):
    author, editor = create_user("presales"), create_user("supervisor")
    article = svc.create(author, {"question": "包邮吗？", "answer": "全国包邮。",
                                  "category_id": category.id})
    svc.update(author, article, article.version, {"question": "包邮吗？",
                                                  "answer": "全国包邮，偏远地区除外。"}, "补充")
    svc.update(editor, article, article.version, {"question": "包邮吗？",
                                                  "answer": "江浙沪包邮。"})
    kept = _versions(article)
    assert [v.number for v in kept] == [1, 2, 3]
    assert kept[1].note == "补充" and kept[1].user_id == author.id
    assert kept[0].answer == "全国包邮。" and article.revision == 3

    svc.revert(editor, article, article.version, 1)
    assert article.answer == "全国包邮。" and article.revision == 4
    assert _versions(article)[-1].note == "reverted to 1"
    with pytest.raises(RuleError):  # already reads as version 1
        svc.revert(editor, article, article.version, 1)
    with pytest.raises(RuleError):
        svc.revert(editor, article, article.version, 99)


def test_nothing_changed_is_refused(create_user):
    author = create_user("presales")
    article = svc.create(author, {"question": "包邮吗？", "answer": "是"})
    with pytest.raises(RuleError, match="Nothing was changed"):
        svc.update(author, article, article.version, {"question": " 包邮吗？ ", "answer": "是"})


def test_diff_marks_inserted_and_deleted_characters():
    pieces = svc.diff("签收后7天内可退货。\n运费自理。", "签收后15天内可退货。\n运费自理。")
    kinds = [(p.kind, p.text) for p in pieces]
    assert ("del", "7") in kinds and ("ins", "15") in kinds
    assert "".join(p.text for p in pieces if p.kind != "ins") == "签收后7天内可退货。\n运费自理。"
    assert "".join(p.text for p in pieces if p.kind != "del") == "签收后15天内可退货。\n运费自理。"
    assert svc.diff("", "新") == [svc.Piece("ins", "新")]


def test_only_the_editor_publishes_and_an_answer_is_needed(create_user):
    author, editor = create_user("presales"), create_user("supervisor")
    article = svc.create(author, {"question": "能开发票吗？", "answer": ""})
    with pytest.raises(NotAllowed):
        svc.set_state(author, article, article.version, "published")
    with pytest.raises(RuleError, match="answer"):
        svc.set_state(editor, article, article.version, "published")
    svc.update(author, article, article.version, {"question": "能开发票吗？",
                                                  "answer": "可以开电子发票。"})
    svc.set_state(editor, article, article.version, "published")
    assert article.state == "published" and article.reviewer_id == editor.id
    assert article.reviewed_at is not None and article.published_at is not None
    # a writer no longer changes a published answer; the editor does
    with pytest.raises(NotAllowed):
        svc.update(author, article, article.version, {"question": "x", "answer": "y"})
    svc.set_state(editor, article, article.version, "retired")
    assert article.state == "retired"
    assert [v.note for v in _versions(article)] == ["created", "", "published", "retired"]


def test_reviewed_still_right_moves_reviewed_at(create_user, freeze):
    editor = create_user("supervisor")
    freeze("2026-01-05 10:00")
    article = svc.create(editor, {"question": "床垫能试睡吗？", "answer": "门店可试睡。"})
    svc.set_state(editor, article, article.version, "published")
    freeze("2026-12-01 10:00")
    assert svc.is_stale(article)
    assert svc.editor_counts()["stale"] == 1
    svc.mark_reviewed(editor, article, article.version)
    assert not svc.is_stale(article) and svc.editor_counts()["stale"] == 0


# --- pages -----------------------------------------------------------------------------------


def test_create_edit_and_read_through_the_pages(client, login, category):
    me = login("presales")
    response = client.post("/knowledge/new", data=form(
        question="茶几是什么材质？", answer="胡桃木实木。", category_id=str(category.id),
        tags="材质 茶几", skus="TB-01, TB-02"))
    assert response.status_code == 303
    article = db.session.scalar(sa.select(Article).order_by(Article.id.desc()))
    assert article.author_id == me.id and article.state == "draft"
    assert article.tags == "材质 茶几" and article.skus == "TB-01 TB-02"
    page = client.get(f"/knowledge/{article.id}").get_data(as_text=True)
    assert "胡桃木实木" in page and "Publish" not in page  # a writer does not publish
    response = client.post(f"/knowledge/{article.id}/edit",
                           data=form(article, answer="北美黑胡桃木实木。", note="更准确"))
    assert response.status_code == 303
    assert article.revision == 2
    listing = client.get("/knowledge/?tag=材质").get_data(as_text=True)
    assert "茶几是什么材质？" in listing
    assert "茶几是什么材质？" not in client.get("/knowledge/?tag=保养").get_data(as_text=True)


def test_versions_page_shows_the_diff(client, login, make_article):
    article = make_article()
    login("supervisor")
    client.post(f"/knowledge/{article.id}/edit",
                data=form(article, answer="用干布擦拭，避免暴晒和潮湿。"))
    page = client.get(f"/knowledge/{article.id}/versions?a=1&b=2").get_data(as_text=True)
    assert '<ins class="diff-ins">' in page and '<del class="diff-del">' in page
    assert "style=" not in page
    response = client.post(f"/knowledge/{article.id}/revert",
                           data={"version": str(article.version), "number": "1"})
    assert response.status_code == 303
    assert article.answer == "用干布擦拭，避免阳光直射。" and article.revision == 3


def test_editing_an_article_changed_meanwhile_is_409_with_both_texts(
        client, login, make_article, create_user):
    article = make_article("published")
    login("supervisor")
    seen = form(article)
    other = create_user("supervisor")
    svc.update(other, article, article.version, {"question": article.question,
                                                 "answer": "他们的新答案：请用专用护理油。"})
    db.session.commit()
    seen["answer"] = "我的答案：每月打蜡一次。"
    response = client.post(f"/knowledge/{article.id}/edit", data=seen)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "他们的新答案：请用专用护理油。" in page  # theirs now
    assert "我的答案：每月打蜡一次。" in page  # mine kept in the form
    assert f'name="version" value="{article.version}"' in page
    db.session.refresh(article)
    assert article.answer == "他们的新答案：请用专用护理油。"


def test_publishing_an_article_someone_published_meanwhile_is_409(client, login,
                                                                 make_article):
    article = make_article()
    login("supervisor")
    stale = article.version
    assert client.post(f"/knowledge/{article.id}/state",
                       data={"version": stale, "state": "published"}).status_code == 303
    response = client.post(f"/knowledge/{article.id}/state",
                           data={"version": stale, "state": "published"}, headers=HX)
    assert response.status_code == 409


def test_publishing_without_an_answer_is_refused(client, login, make_article):
    article = make_article(answer="")
    login("supervisor")
    response = client.post(f"/knowledge/{article.id}/state",
                           data={"version": article.version, "state": "published"})
    assert response.status_code == 422
    assert "write the answer first" in response.get_data(as_text=True)
    db.session.refresh(article)
    assert article.state == "draft"


@pytest.mark.parametrize(("fields", "message"), [
    ({"question": ""}, "Write the question."),
    ({"question": "坏\x00字节"}, "control characters"),
    ({"answer": "x" * 20001}, "under 20000 characters"),
    ({"category_id": "99999999999999"}, "from the list."),
    ({"category_id": "abc"}, "Choose a category from the list."),
    ({"category_id": "123456"}, "Choose a category from the list."),
])
def test_bad_article_input_is_422_and_nothing_saved(client, login, fields, message):
    login("presales")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Article))
    response = client.post("/knowledge/new", data=form(**{"answer": "好", **fields}))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Article)) == before


@pytest.mark.parametrize("state", ["draft", "deleted", "published\x00", ""])
def test_a_state_outside_the_list_is_refused(client, login, make_article, state):
    article = make_article()
    login("supervisor")
    response = client.post(f"/knowledge/{article.id}/state",
                           data={"version": article.version, "state": state})
    assert response.status_code in (400, 422)
    db.session.refresh(article)
    assert article.state == "draft"


@pytest.mark.parametrize("path", ["/knowledge/0", "/knowledge/99999999999999999999",
                                  "/knowledge/99999/versions", "/knowledge/abc"])
def test_forged_article_ids_are_404(client, login, path):
    login("supervisor")
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("query", ["?category=99999999999999999", "?state=nope",
                                   "?tag=" + "x" * 500, "?before=garbage", "?category=%00"])
def test_hostile_list_filters_never_5xx(client, login, query):
    login("presales")
    assert client.get("/knowledge/" + query).status_code < 500


def test_readers_see_published_only(client, login, make_article):
    draft, published = make_article(question="草稿问题"), make_article("published",
                                                                      question="已发布问题")
    retired = make_article("retired", question="已下架问题")
    login("manager")  # reads, writes nothing
    listing = client.get("/knowledge/").get_data(as_text=True)
    assert "已发布问题" in listing and "草稿问题" not in listing and "已下架问题" not in listing
    assert client.get(f"/knowledge/{draft.id}").status_code == 404
    assert client.get(f"/knowledge/{retired.id}").status_code == 404
    assert client.get(f"/knowledge/{published.id}").status_code == 200
    assert client.get(f"/knowledge/{published.id}/versions").status_code == 404
