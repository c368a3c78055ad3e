"""Every kind of record the search finds links to its page (the sources were written before
some of the pages: a wrong endpoint would show hits without links, silently)."""

from portal.search import sources


def test_every_source_links_to_a_page_that_exists(app, client, login):
    login("supervisor")
    refs = {"article": "", "complaint": "", "workline": "7:2026-11-24", "handover": "desk"}
    with app.test_request_context():
        found = sources()
        assert set(found) >= {"article", "complaint", "workline"}, set(found)
        urls = {kind: source.url(1, refs.get(kind, "")) for kind, source in found.items()}
    assert all(urls.values()), urls
    assert urls["workline"].startswith("/worklog/?") and "user=7" in urls["workline"]
    for kind, url in urls.items():
        # the page exists (a record 1 that is not there is a 404 of that page, not a 405/500)
        status = client.get(url.split("#")[0]).status_code
        assert status in (200, 302, 404), (kind, url, status)
