"""The knowledge base in the browser (issue 18 item 5): the editor promotes an unresolved
question of a daily record to a draft in one click (in place), writes the answer and
publishes it; the versions page shows what changed between two versions as inserted and
deleted text; an edit made meanwhile answers both texts side by side."""

import secrets

import pytest

from tests.e2e.support import expect, keep_marker, marker_survived

pytestmark = pytest.mark.e2e


def _unresolved_line(portal_data, question: str) -> int:
    def make():
        import sqlalchemy as sa

        from portal import clock
        from portal.auth.models import User
        from portal.extensions import db
        from portal.worklog.models import QuestionCategory, WorkLine

        agent = db.session.scalar(sa.select(User).where(User.username == "presales"))
        category = db.session.scalar(sa.select(QuestionCategory).order_by(QuestionCategory.id))
        line = WorkLine(user_id=agent.id, day=clock.today(), category_id=category.id,
                        question=question, answer="先回复买家稍后答复", resolved=False)
        db.session.add(line)
        db.session.commit()
        return line.id

    return portal_data(make)


def test_the_editor_publishes_a_promoted_question(page, t, sign_in, portal_data, screenshot):
    question = f"茶几玻璃台面能换成岩板吗？{secrets.token_hex(2)}"
    line_id = _unresolved_line(portal_data, question)
    sign_in("supervisor")
    page.goto("/knowledge/questions")
    row = page.locator(f"#line-{line_id}")
    expect(row).to_contain_text(question)
    screenshot(page, "knowledge-questions")
    keep_marker(page)
    row.get_by_role("button", name=t("Promote to an article"), exact=True).click()
    promoted = row.get_by_role("link", name=t("Promoted → article"), exact=True)
    expect(promoted).to_be_visible()
    assert marker_survived(page), "promoting reloaded the page"

    promoted.click()
    expect(page.locator("#question")).to_have_value(question)
    page.locator("#answer").fill("可以，岩板台面加价 300 元，定制周期 15 个工作日。")
    page.locator("#tags").fill("茶几 定制")
    screenshot(page, "knowledge-edit")
    page.get_by_role("button", name=t("Save as a new version"), exact=True).click()
    expect(page.locator("h1")).to_contain_text(question)
    expect(page.locator(".kb-state")).to_have_text(t("Draft"))
    page.get_by_role("button", name=t("Publish"), exact=True).click()
    expect(page.locator(".kb-state")).to_have_text(t("Published"))
    expect(page.locator(".kb-facts")).to_contain_text("李主管")  # the reviewer
    screenshot(page, "knowledge-article")

    # the agent finds it among the published answers
    page.goto("/knowledge/?tag=定制")
    expect(page.locator("#article-list")).to_contain_text(question)
    screenshot(page, "knowledge-list")


def test_the_diff_between_two_versions_and_a_conflict_shows_both_texts(
        page, t, sign_in, portal_data, screenshot):
    def first_edited():
        import sqlalchemy as sa

        from portal.extensions import db
        from portal.knowledge.models import Article

        return db.session.scalar(sa.select(Article.id).where(Article.revision >= 3)
                                 .order_by(Article.id))

    article_id = portal_data(first_edited)
    sign_in("supervisor")
    page.goto(f"/knowledge/{article_id}")
    page.get_by_role("link", name=t("Versions"), exact=True).click()
    diff = page.locator(".kb-diff")
    expect(diff.locator("ins.diff-ins").first).to_be_visible()
    expect(diff.locator("del.diff-del").first).to_be_visible()
    expect(diff.locator(".kb-diff-text ins.diff-ins").first).to_contain_text("72")
    screenshot(page, "knowledge-diff")

    # someone else saves while the editor types: a 409 with their text and ours
    page.goto(f"/knowledge/{article_id}/edit")
    page.locator("#answer").fill("我的版本：现货 24 小时内发货。")

    def someone_else():
        import sqlalchemy as sa

        from portal.auth.models import User
        from portal.extensions import db
        from portal.knowledge import articles as svc
        from portal.knowledge.models import Article

        article = db.session.get(Article, article_id)
        other = db.session.scalar(sa.select(User).where(User.username == "supervisor2"))
        svc.update(other, article, article.version, {
            "question": article.question, "answer": "他们的版本：现货 36 小时内发货。",
            "reply_text": article.reply_text, "tags": article.tags,
            "category_id": article.category_id})
        db.session.commit()

    portal_data(someone_else)
    page.get_by_role("button", name=t("Save as a new version"), exact=True).click()
    expect(page.locator(".kb-theirs")).to_contain_text("他们的版本：现货 36 小时内发货。")
    expect(page.locator("#answer")).to_have_value("我的版本：现货 24 小时内发货。")
    screenshot(page, "knowledge-conflict")


def test_the_supervisor_makes_an_agent_knowledge_editor(page, t, sign_in, portal_data,
                                                        screenshot):
    def ids():
        import sqlalchemy as sa

        from portal.auth.models import User
        from portal.extensions import db
        from portal.knowledge.models import Article

        agent = db.session.scalar(sa.select(User).where(User.username == "presales3"))
        draft = db.session.scalar(sa.select(Article.id).where(
            Article.state == "draft", Article.answer != "").order_by(Article.id.desc()))
        return agent.id, draft

    agent_id, draft_id = portal_data(ids)
    sign_in("supervisor")
    page.goto(f"/staff/{agent_id}")
    box = page.get_by_label(t("Knowledge editor"), exact=True)
    box.check()
    screenshot(page, "knowledge-grant")
    box.locator("xpath=ancestor::form").get_by_role("button", name=t("Save"),
                                                     exact=True).click()
    expect(page.get_by_label(t("Knowledge editor"), exact=True)).to_be_checked()

    page.get_by_role("button", name=t("Sign out")).first.click()
    sign_in("presales3")
    page.goto(f"/knowledge/{draft_id}")
    page.get_by_role("button", name=t("Publish"), exact=True).click()
    expect(page.locator(".kb-state")).to_have_text(t("Published"))
