"""Query and size budgets of the knowledge base's pages (≤ 10 queries, pages ≤ 60 KB,
fragments ≤ 5 KB), the same with few or many articles."""

import pytest

from tests.knowledge.conftest import HX

PAGE_BYTES, FRAGMENT_BYTES, QUERIES = 60 * 1024, 5 * 1024, 10


@pytest.fixture
def many(make_article, make_line):
    def _make(n):
        made = [make_article("published", question=f"问题{i}", tags="保养 材质",
                             answer="答" * 200) for i in range(n)]
        for _ in range(n):
            make_line()
        return made

    return _make


@pytest.mark.parametrize("n", [1, 12])
def test_pages_stay_within_budget(client, login, many, count_queries, n):
    articles = many(n)
    login("supervisor")
    first = articles[0]
    for path, headers, limit in (
            ("/knowledge/", {}, PAGE_BYTES),
            ("/knowledge/?tag=保养", HX, FRAGMENT_BYTES * 4),  # the list's rows (30 a page)
            (f"/knowledge/{first.id}", {}, PAGE_BYTES),
            (f"/knowledge/{first.id}/edit", {}, PAGE_BYTES),
            (f"/knowledge/{first.id}/versions?a=1&b=2", {}, PAGE_BYTES),
            ("/knowledge/questions", {}, PAGE_BYTES)):
        with count_queries(like_bench=True) as counted:
            response = client.get(path, headers=headers)
        assert response.status_code == 200, path
        assert counted.count <= QUERIES, (path, counted.statements)
        assert len(response.data) <= limit, (path, len(response.data))


def test_the_promote_answer_is_a_small_fragment(client, login, make_line, count_queries):
    me = login("presales")
    line = make_line(user=me)
    with count_queries(like_bench=True) as counted:
        response = client.post(f"/knowledge/promote/{line.id}", headers=HX)
    assert response.status_code == 200 and len(response.data) < 1024
    assert counted.count <= QUERIES, counted.statements
