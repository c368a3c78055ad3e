"""What operations change in the browser: static files under content-hashed addresses (nginx
caches them a year) still load and run, and every request, htmx ones included, gets its own
request id back."""

import re

import pytest

pytestmark = pytest.mark.e2e


def test_versioned_static_files_load_and_every_request_has_an_id(page, sign_in, screenshot):
    statics, ids = [], {}
    page.on("response", lambda r: statics.append((r.url, r.status)) if "/static/" in r.url
            else ids.setdefault(r.url, r.headers.get("x-request-id")))
    sign_in("manager")
    # the Today cards arrive one request each, through htmx (which itself came from ?v=)
    page.wait_for_function("() => window.htmx && !document.querySelector('.card-loading')")
    screenshot(page, "ops-today-with-versioned-static")

    versioned = [url for url, status in statics if re.search(r"\?v=[0-9a-f]{12}$", url)]
    assert any("/static/vendor/htmx/htmx.min.js?v=" in url for url in versioned)
    assert any("/static/js/portal.js?v=" in url for url in versioned)
    assert any("/static/css/portal.css?v=" in url for url in versioned)
    assert all(status in (200, 304) for _, status in statics), statics

    cards = [url for url in ids if "/today/" in url]
    assert cards, list(ids)
    assert all(ids.values()), ids
    assert len(set(ids.values())) == len(ids), "each request its own id"
