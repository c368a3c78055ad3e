"""The tokeniser (portal/search/tokens.py): what a record is indexed as and what a query asks."""

import pytest

from portal.search.tokens import doc_tokens, key, parse, runs, squeeze, text_tokens


def test_chinese_is_single_characters_and_pairs():
    assert text_tokens("退货运费") == {"退", "货", "运", "费", "退货", "货运", "运费"}


def test_latin_and_digit_words_are_indexed_by_their_beginnings():
    tokens = text_tokens("SKU AB-1234")
    assert {"sk", "sku", "ab", "ab1", "ab12", "ab123", "ab1234", "1234", "12", "123"} <= tokens
    assert "b1234" not in tokens and "34" not in tokens  # beginnings only


def test_full_width_and_case_are_folded():
    assert text_tokens("ＡＢ－１２") == text_tokens("ab-12")
    assert "tb2026" in text_tokens("订单TB20261206")


def test_mixed_runs_split_by_script():
    assert runs("退货SKU-12的客人") == [("cjk", "退货"), ("word", "sku12"), ("cjk", "的客人")]


def test_title_tokens_are_marked_and_keys_cannot_be_typed():
    tokens = doc_tokens("退货", "发票", [key("article_published")])
    assert "_退货" in tokens and "退货" in tokens and "_发票" not in tokens
    assert "__article_published" in tokens
    # whatever is typed, no query token starts with "_" (a title or a key)
    for text in ["__article_published", "_退货", "__", "k_x", "_a_b"]:
        assert not any(t.startswith("_") for t in parse(text).tokens)


@pytest.mark.parametrize("text, tokens, exact", [
    ("退", ("退",), True),
    ("退货", ("退货",), True),
    ("七天无理由", ("七天", "天无", "无理", "理由"), False),
    ("ab-12", ("ab12",), True),
    ("发票 TB2026", ("发票", "tb2026"), True),
])
def test_queries_ask_pairs_and_beginnings(text, tokens, exact):
    query = parse(text)
    assert query.tokens == tokens and query.exact is exact


def test_a_long_run_asks_a_bounded_number_of_pairs_and_is_checked():
    query = parse("一二三四五六七八九十甲乙丙丁")
    assert len(query.tokens) == 8 and not query.exact
    assert query.holds("前面一二三四五六七八九十甲乙丙丁后面")
    assert not query.holds("一二三四五六七八九十甲乙丙")


@pytest.mark.parametrize("text", ["", "   ", "\x00", "%_*\"'", "😀😀", "^$~!@",
                                  "-- ;", "()[]{}"])
def test_nothing_searchable_asks_nothing(text):
    assert not parse(text)


def test_any_length_reads_a_bounded_query():
    query = parse("退货" * 10_000 + " 发票" * 100)
    assert 0 < len(query.tokens) <= 48
    assert squeeze("Ａ-b_c 退") == "abc退"
