"""Canned replies (issue 7 item 8, issue 15 item 13; issue 18 item 5): they are published
articles of the knowledge base with a short reply text (kept there by the editor,
tests/knowledge/); the defaults come from the department's rules; agents copy them filled in
with the case's facts (tests/aftersales/test_customer_replies.py for the case page)."""

import pytest

from portal.aftersales import replies as svc
from tests.aftersales.fixtures_desk import *  # noqa: F403

# --- services -------------------------------------------------------------------------------


def test_seed_defaults_puts_the_rules_in_the_customers_words():
    assert svc.seed_defaults() == 7
    texts = " ".join(r.text for r in svc.active())
    for words in ("换", "照片", "7 天", "运费", "卡片"):  # R-A6, R-A2, R-A1, R-A3, R-A4
        assert words in texts
    assert [r.title for r in svc.active()] == [t for t, _ in svc.DEFAULT_REPLIES]
    assert svc.seed_defaults() == 0  # once only


FACTS = {"buyer": "jd_tea_lover", "order_no": "T00000042", "tracking_no": "SF0000000042",
         "return_tracking_no": None}


@pytest.mark.parametrize(("text", "filled", "missing"), [
    ("{买家} 您好，订单 {订单号} 的快递单号是 {快递单号}。",
     "jd_tea_lover 您好，订单 T00000042 的快递单号是 SF0000000042。", ()),
    ("Hi {buyer}, order {order_no}: {tracking_no}", "Hi jd_tea_lover, order T00000042: "
     "SF0000000042", ()),
    ("｛订单号｝ 全角括号", "T00000042 全角括号", ()),
    ("退货单号 {退货单号}，{退货单号}", "退货单号 {退货单号}，{退货单号}", ("{退货单号}",)),
    ("没有占位符 {别的}", "没有占位符 {别的}", ()),
])
def test_a_reply_is_filled_in_with_the_cases_facts(make_reply, text, filled, missing):
    result = svc.fill(make_reply("t", text), FACTS)
    assert (result.text, result.missing) == (filled, missing)


def test_a_fact_is_never_read_as_a_placeholder(make_reply):
    """A buyer ID that looks like a placeholder is put in as it is, once."""
    result = svc.fill(make_reply("t", "{买家} / {订单号}"), {**FACTS, "buyer": "{订单号}"})
    assert result.text == "{订单号} / T00000042"


def test_some_defaults_name_the_orders_facts():
    svc.seed_defaults()
    texts = " ".join(r.text for r in svc.active())
    for placeholder in ("{买家}", "{订单号}", "{快递单号}", "{退货单号}"):
        assert placeholder in texts


# --- the old page --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["supervisor", "manager"])
def test_the_old_page_goes_to_the_knowledge_base(client, sign_in, create_user, role):
    sign_in(client, create_user(role))
    response = client.get("/aftersales/replies")
    assert response.status_code == 303 and response.headers["Location"].endswith("/knowledge/")


@pytest.mark.parametrize("role", ["aftersales", "presales", "order_clerk", "reception"])
def test_agents_are_refused_the_old_page(client, sign_in, create_user, role):
    sign_in(client, create_user(role))
    assert client.get("/aftersales/replies").status_code == 403
