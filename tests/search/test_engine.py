"""The engine (portal/search/engine.py) on the database the suite runs on: Chinese terms of
1, 2 and n characters, SKUs and order numbers, title hits first then newest, visibility by
keys, the index following writes in the same transaction, hostile input."""

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.search import engine
from portal.search.models import search_docs

PUBLISHED = ["__article_published"]
EVERYTHING = ["__article_published", "__article_editing", "__worklog_all", "__complaints",
              "__handover_desk", "__handover_showroom"]


def found(text, keys=EVERYTHING, **kwargs):
    return [(hit.kind, hit.ref_id) for hit in engine.ask(text, keys, **kwargs)[0]]


@pytest.fixture
def articles(article):
    return {
        "return": article("客户问七天无理由退货怎么办理", "在订单页申请退货",
                          "亲,支持七天无理由退货"),
        "invoice": article("发票怎么开", "增值税发票三个工作日寄出 订单号 TB2026120600123"),
        "sku": article("茶几玻璃有划痕", "补发配件 SKU HX-2381"),
        "refund": article("退款多久到账", "原路返回"),
    }


def test_one_character_finds_every_record_holding_it(articles):
    assert set(found("退")) == {("article", articles["return"].id),
                                ("article", articles["refund"].id)}


def test_two_characters_find_the_pair_not_the_characters_apart(articles, article):
    apart = article("退还货物", "")  # 退 and 货, never 退货
    assert found("退货") == [("article", articles["return"].id)]
    assert ("article", apart.id) not in found("退货")


def test_n_characters_are_checked_as_a_whole(articles, article):
    every_pair = article("七天无,无理由", "")  # 七天 天无 无理 理由, never 七天无理由
    assert found("七天无理由") == [("article", articles["return"].id)]
    assert ("article", every_pair.id) in found("七天无")  # the pieces are found
    assert ("article", every_pair.id) in found("无理由")


def test_skus_and_order_numbers_whole_or_their_beginning(articles):
    sku, invoice = ("article", articles["sku"].id), ("article", articles["invoice"].id)
    for text in ["HX-2381", "hx2381", "HX-23", "ｈｘ－２３８１", "2381"]:
        assert found(text) == [sku], text
    for text in ["TB2026120600123", "tb20261206", "TB202612"]:
        assert found(text) == [invoice], text
    assert found("发票 TB2026") == [invoice]  # mixed: Chinese and an order number
    assert found("HX-2399") == []


def test_title_hits_first_then_newest(article):
    old_title = article("退货运费谁承担", "")
    new_body = article("客人来电", "问退货运费")
    newer_title = article("退货地址", "")
    assert found("退货") == [("article", newer_title.id), ("article", old_title.id),
                           ("article", new_body.id)]
    hits = engine.ask("退货", EVERYTHING)[0]
    assert [hit.in_title for hit in hits] == [True, True, False]


def test_the_newest_are_read_first_and_more_is_said(article):
    made = [article(f"退货问题{i}", "") for i in range(8)]
    hits, more = engine.ask("退货", PUBLISHED, limit=3)
    assert [hit.ref_id for hit in hits] == [made[7].id, made[6].id, made[5].id] and more
    hits, more = engine.ask("退货", PUBLISHED, limit=20)
    assert len(hits) == 8 and not more


def test_only_what_the_keys_allow(article, work_line, complaint, handover_item, create_user):
    agent, other = create_user("presales"), create_user("aftersales")
    draft = article("退货草稿", state="draft", author=agent)
    mine, theirs = work_line(agent, "客户问退货"), work_line(other, "客户问退货")
    grievance = complaint(agent, "退货太慢")
    desk = handover_item(agent, "退货已登记")
    showroom = handover_item(agent, "展厅退货", book="showroom")
    agent_keys = engine.keys_of(agent)
    assert set(found("退货", agent_keys)) == {
        ("article", draft.id), ("workline", mine.id), ("complaint", grievance.id),
        ("handover", desk.id)}
    supervisor = create_user("supervisor")
    assert set(found("退货", engine.keys_of(supervisor))) == {
        ("article", draft.id), ("workline", mine.id), ("workline", theirs.id),
        ("complaint", grievance.id), ("handover", desk.id), ("handover", showroom.id)}
    reception = create_user("reception")
    assert set(found("退货", engine.keys_of(reception))) == {
        ("complaint", grievance.id), ("handover", showroom.id)}
    assert found("退货", []) == []


def test_the_index_follows_writes_in_the_same_transaction(article):
    row = article("发票怎么开", "")
    row.question = "退款多久到账"
    db.session.flush()  # not committed: the index sees it in the same transaction
    assert found("退款") == [("article", row.id)] and found("发票") == []
    row.state = "retired"
    db.session.flush()
    assert found("退款", PUBLISHED) == [] and found("退款") == [("article", row.id)]
    db.session.rollback()  # undone with the record
    assert found("发票") == [("article", row.id)]
    db.session.delete(db.session.get(type(row), row.id))
    db.session.flush()
    assert found("发票") == []
    db.session.rollback()


def test_a_rebuild_writes_the_same_index_oldest_first(articles):
    from portal.search.index import rebuild

    before = found("退")
    count = db.session.scalar(sa.select(sa.func.count()).select_from(search_docs))
    assert rebuild(db.session.connection(), ["article"]) == 4
    assert db.session.scalar(sa.select(sa.func.count()).select_from(search_docs)) == count
    assert found("退") == before


@pytest.mark.parametrize("text", [
    "\x00", "退\x00货", "退" * 10_000, "x" * 10_000, "😀退货😀", "%", "_", '"', "*", "'",
    'OR NEAR(', '退货 OR 发票', '"退货" AND NOT', "NEAR(退 货, 2)", "退货*", "^退货", "col:退货",
    "\\", "');DROP TABLE search_docs;--", "a & b | !c", "退货:*", "\uffff", " ", "",
])
def test_hostile_input_is_only_tokens(articles, text):
    hits, _more = engine.ask(text, EVERYTHING)
    assert isinstance(hits, list)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(search_docs)) >= 4


@pytest.mark.parametrize("few, window, glance", [
    (2_000, 50_000, 5_000), (1, 50_000, 5_000), (1, 6, 1), (1, 3, 1), (2_000, 6, 1)],
    ids=["few-through-the-index", "many-through-the-index", "glance-then-window",
         "window-too-small", "glance-then-few"])
def test_every_plan_finds_the_same_newest_first(article, monkeypatch, few, window, glance):
    """On PostgreSQL the newest ids are walked first, a rare term read through GIN and
    sorted, a common one by walking the newest window, then through GIN when it has too few
    (engine.GLANCE, FEW, WINDOW): forced here with tiny thresholds, the hits are the same,
    newest first, and paging goes on."""
    monkeypatch.setattr(engine, "FEW", few)
    monkeypatch.setattr(engine, "WINDOW", window)
    monkeypatch.setattr(engine, "GLANCE", glance)
    made = [article(f"退货问题{i}", "发票" if i % 3 == 0 else "") for i in range(9)]
    article("别的问题", "毫不相干")
    hits, more = engine.ask("退货", PUBLISHED, limit=4)
    assert [hit.ref_id for hit in hits] == [m.id for m in made[::-1][:4]] and more
    older, _more = engine.ask("退货", PUBLISHED, limit=20, before=min(h.id for h in hits))
    assert [hit.ref_id for hit in older] == [m.id for m in made[::-1][4:]]
    assert found("发票", PUBLISHED) == [("article", m.id) for m in made[::-1] if
                                        made.index(m) % 3 == 0]
    assert found("FX000001000805", PUBLISHED) == []
