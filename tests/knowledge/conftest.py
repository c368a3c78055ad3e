"""Fixtures of the knowledge-base tests: a question category, daily-record lines, articles."""

from datetime import date

import pytest

from portal.extensions import db
from portal.knowledge import articles as svc
from portal.worklog.models import QuestionCategory, WorkLine

HX = {"HX-Request": "true"}


@pytest.fixture
def category():
    """A question category (the list is seeded by the migration; tests make their own)."""
    made = QuestionCategory(name="物流", names={"en": "Logistics"}, position=1)
    db.session.add(made)
    db.session.commit()
    return made


@pytest.fixture
def make_line(category, create_user):
    """``make_line(user=None, question=..., answer=..., resolved=False)`` -> a committed line."""

    def _make(user=None, question="沙发多久能发货？", answer="", resolved=False):
        user = user or create_user("presales")
        line = WorkLine(user_id=user.id, day=date(2026, 12, 1), category_id=category.id,
                        question=question, answer=answer, resolved=resolved)
        db.session.add(line)
        db.session.commit()
        return line

    return _make


@pytest.fixture
def make_article(create_user, category):
    """``make_article(state="draft", **fields)`` -> a committed article (published ones by an
    editor)."""

    def _make(state="draft", **fields):
        author = create_user("presales")
        editor = create_user("supervisor")
        fields.setdefault("question", "实木床怎么保养？")
        fields.setdefault("answer", "用干布擦拭，避免阳光直射。")
        fields.setdefault("category_id", category.id)
        article = svc.create(author, fields)
        if state != "draft":
            svc.set_state(editor, article, article.version, "published")
        if state == "retired":
            svc.set_state(editor, article, article.version, "retired")
        db.session.commit()
        return article

    return _make


def form(article=None, **fields) -> dict:
    """The edit form's fields as a browser posts them."""
    data = {"question": article.question if article else "新问题",
            "phrasings": article.phrasings if article else "",
            "answer": article.answer if article else "",
            "reply_text": article.reply_text if article else "",
            "category_id": str(article.category_id or "") if article else "",
            "skus": article.skus if article else "", "tags": article.tags if article else "",
            "note": ""}
    if article is not None:
        data["version"] = str(article.version)
    data.update(fields)
    return data
