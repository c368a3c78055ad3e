"""Canned replies become published articles with a reply text: the migration copies the old
rows (the seeded defaults of the after-sales migration), and the case's reply picker reads
published articles with a reply text."""

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from portal import create_app
from portal.aftersales import replies
from portal.extensions import db
from portal.knowledge import articles as svc
from tests.test_migrations import empty_database_url  # noqa: F401 - the fixture

BEFORE = "998fdedccc53"


def test_the_migration_copies_the_replies_into_published_articles(
        empty_database_url):  # noqa: F811
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "m" * 40})
    with app.app_context():
        engine = db.engines[None]
        upgrade(revision=BEFORE)
        with engine.begin() as conn:
            seeded = conn.execute(sa.text(
                "SELECT title, text FROM aftersales_replies ORDER BY sort_order, id")).all()
            conn.execute(sa.text("UPDATE aftersales_replies SET active = :no WHERE title = :t"),
                         {"no": False, "t": seeded[0][0]})
        assert len(seeded) >= 5
        upgrade()
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT question, reply_text, answer, state, revision FROM articles "
                "ORDER BY id")).all()
            notes = conn.execute(sa.text(
                "SELECT note FROM article_versions WHERE number = 1")).scalars().all()
        assert [(q, r) for q, r, *_ in rows] == [tuple(row) for row in seeded]
        assert [state for *_, state, _rev in rows] == ["retired"] + ["published"] * (
            len(seeded) - 1)
        assert all(answer == reply for _q, reply, answer, *_ in rows)
        assert notes == ["canned reply"] * len(seeded)
        assert "aftersales_replies" not in sa.inspect(engine).get_table_names()

        downgrade(revision=BEFORE)
        with engine.connect() as conn:
            back = conn.execute(sa.text(
                "SELECT title, text FROM aftersales_replies ORDER BY sort_order")).all()
            left = conn.execute(sa.text("SELECT count(*) FROM articles")).scalar()
        assert [tuple(row) for row in back] == [tuple(row) for row in seeded] and left == 0
        engine.dispose()


def test_the_picker_offers_published_articles_with_a_reply_text(create_user, make_article):
    offered = make_article("published", question="运费说明",
                           reply_text="亲，{订单号} 运费我们承担。")
    make_article("published", question="没有回复文字")  # no reply text: not offered
    make_article(question="草稿回复", reply_text="草稿")  # a draft: not offered
    make_article("retired", question="下架回复", reply_text="旧的")
    picked = replies.active()
    assert [r.title for r in picked] == ["运费说明"]
    filled = replies.fill(picked[0], {"order_no": "TB123"})
    assert filled.text == "亲，TB123 运费我们承担。" and filled.missing == ()
    assert replies.find(offered.id).text == offered.reply_text
    editor = create_user("supervisor")
    svc.set_state(editor, offered, offered.version, "retired")
    assert replies.find(offered.id) is None and replies.active() == []


def test_seed_defaults_makes_published_articles_once(db):
    assert replies.seed_defaults() == len(replies.DEFAULT_REPLIES)
    assert replies.seed_defaults() == 0
    assert len(replies.active()) == len(replies.DEFAULT_REPLIES)


def test_the_old_replies_page_goes_to_the_knowledge_base(client, login):
    login("supervisor")
    response = client.get("/aftersales/replies")
    assert response.status_code == 303 and response.headers["Location"].endswith("/knowledge/")
