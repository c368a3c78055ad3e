"""Static files under addresses that change with their content (nginx caches them a year)."""

import re

from portal.ops import static


def test_pages_name_static_files_by_content_hash(client):
    html = client.get("/login").get_data(as_text=True)
    css = re.search(r'href="/static/css/portal\.css\?v=([0-9a-f]{12})"', html)
    js = re.search(r'src="/static/js/portal\.js\?v=([0-9a-f]{12})"', html)
    assert css and js and css.group(1) != js.group(1)
    assert client.get(f"/static/css/portal.css?v={css.group(1)}").status_code == 200


def test_the_address_changes_when_the_file_does(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "static_folder", str(tmp_path))
    (tmp_path / "x.js").write_text("one")
    with app.test_request_context():
        from flask import url_for

        first = url_for("static", filename="x.js")
        assert first == url_for("static", filename="x.js")
        (tmp_path / "x.js").write_text("two, longer")
        second = url_for("static", filename="x.js")
        missing = url_for("static", filename="no-such.js")
    assert first != second and first.startswith("/static/x.js?v=")
    assert missing == "/static/no-such.js"
    static._digest.cache_clear()
