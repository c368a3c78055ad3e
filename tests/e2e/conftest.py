"""Browser tests: a live portal with the demo data, driven by Debian's Chromium via Playwright.

The live server is its own app on its own SQLite file, served by werkzeug in a thread.
Without Chromium (or the ``playwright`` package) every test here is skipped with the reason.

    .venv/bin/python -m pytest tests/e2e -q
    PORTAL_CHROMIUM=/path/to/chrome ...          another browser binary
    PORTAL_SCREENSHOTS=/tmp/shots ...            also save screenshots of the pages toured
"""

import logging
import os
import secrets
import threading
from datetime import datetime, time
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.e2e.support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DEMO_PASSWORD,
    E2E_DIR,
    REPORT_CSP_VIOLATIONS,
    VIEWPORT,
    BrowserProblems,
    skip_reason,
    sync_playwright,
)


def pytest_collection_modifyitems(config, items):
    """Mark every test under tests/e2e as e2e; skip them all when there is no browser."""
    reason = skip_reason()
    for item in items:
        if E2E_DIR not in Path(item.path).resolve().parents:
            continue
        item.add_marker(pytest.mark.e2e)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test reports the page's requests with their statuses first (a CI
    log keeps the head and the tail of a failure's output, and the server's log is long)."""
    report = yield
    page = item.funcargs.get("page") if report.failed else None
    problems = getattr(page, "problems", None)
    if problems is not None and problems.journal:
        report.sections.insert(0, (f"the page's requests ({report.when})",
                                   "\n".join(problems.journal[-80:])))
    return report


class _NoStaticFiles(logging.Filter):
    """The live server's log without the static files each page loads (dozens a page)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "/static/" not in record.getMessage()


# --- the live portal -----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def db():
    """Overrides tests/conftest.py's autouse ``db`` for the browser tests.

    That fixture swaps the module-level ``db.session`` for one bound to the unit-test app's
    database connection. ``db`` is shared by every app, so while it is active the live
    server's request threads would read and write the unit-test database instead of their
    own. The live server commits for real and needs no rollback.
    """
    yield None


# Package-scoped, not session-scoped: the live server and the browser end with the last
# browser test. Left running, a page's stream reconnecting after the browser tests reached
# the live server while the unit tests after them ran, and its request used the unit tests'
# swapped ``db.session`` from another thread ("Session is already flushing", "This
# transaction is closed" in tests/handover, in one CI run of four).
@pytest.fixture(scope="package")
def live_app(tmp_path_factory):
    """A portal app of its own, on its own SQLite file, with the demo department seeded."""
    from portal import create_app, demo
    from portal.extensions import db as _db

    database = tmp_path_factory.mktemp("e2e") / "portal.sqlite3"
    app = create_app({
        "TESTING": False,
        "PORTAL_ENV": "e2e",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "RATELIMIT_STORAGE_URI": "memory://",
        "AFTERSALES_PHOTO_DIR": str(tmp_path_factory.mktemp("evidence")),
    })
    at = os.environ.get("PORTAL_E2E_AT")  # "16:05": the run's day starts at that time
    if at:
        clock = app.extensions["portal_clock"]
        clock.run_from(datetime.combine(clock.today(), time.fromisoformat(at)))
    with app.app_context():
        _db.create_all()
        demo.seed()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture(scope="package")
def live_server(live_app):
    """Base URL of the live portal, served by werkzeug in a daemon thread."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    quiet = _NoStaticFiles()
    logging.getLogger("werkzeug").addFilter(quiet)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)
    logging.getLogger("werkzeug").removeFilter(quiet)


@pytest.fixture(scope="package")
def t(live_app):
    """``t(msgid, locale="zh_CN", **params)``: the text the portal shows for ``msgid``.

    Uses the portal's own compiled catalogues, so a test finds buttons and messages by
    what a person sees, whether or not a string has been translated yet.
    """
    from flask_babel import force_locale, gettext

    def translate(msgid: str, locale: str = "zh_CN", **params) -> str:
        with live_app.test_request_context(), force_locale(locale):
            return gettext(msgid, **params)

    return translate


@pytest.fixture(scope="package")
def portal_data(live_app):
    """``portal_data(fn)`` runs ``fn()`` in the live app's context and returns its result."""

    def run(fn):
        from portal.extensions import db as _db

        with live_app.app_context():
            try:
                return fn()
            finally:
                _db.session.remove()

    return run


# --- the browser ---------------------------------------------------------------------------


@pytest.fixture(scope="package")
def browser():
    """One headless Chromium for the whole run."""
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception:
        playwright.stop()
        raise
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture(autouse=True)
def streams_end_with_the_test(live_app):
    """Every live-updates stream the test's pages opened ends with the test: a stream notices
    a closed browser only at its next heartbeat, and its thread must not outlive the e2e tests
    into the rest of the suite (whose tests share one database session)."""
    yield
    broker = live_app.extensions.get("portal_live")
    if broker is not None:
        broker.close_all()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (1366x768, zh-CN) and page; fails on any JS or CSP error."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", base_url=live_server)
    context.set_default_timeout(5_000)
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    problems = BrowserProblems()
    page.on("console", problems.console)
    page.on("pageerror", problems.page_error)
    page.on("response", problems.response)
    page.on("requestfailed", problems.request_failed)
    page.problems = problems
    yield page
    context.close()
    assert not problems.errors, "the browser reported problems:\n" + "\n".join(problems.errors)


@pytest.fixture
def sign_in(page, t):
    """``sign_in(username)`` signs in through the form and waits for the Today page."""

    def _sign_in(username: str, password: str = DEMO_PASSWORD):
        try:
            page.goto("/login")
        except PlaywrightError as error:
            # a page whose cookies a test cleared sends itself to the sign-in page at its next
            # poll (the portal's own redirect), which can abort this navigation: go again
            if "ERR_ABORTED" not in str(error):
                raise
            page.wait_for_load_state("load")
            page.goto("/login")
        page.locator("input[name=username]").fill(username)
        page.locator("input[name=password]").fill(password)
        page.get_by_role("button", name=t("Sign in"), exact=True).click()
        page.wait_for_url("/")
        return page

    return _sign_in


@pytest.fixture(scope="package")
def screenshot():
    """``screenshot(page, name)`` saves to $PORTAL_SCREENSHOTS/name.png when that is set."""
    target = os.environ.get("PORTAL_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)

    def _shot(page, name: str) -> None:
        if target:
            page.screenshot(path=str(Path(target) / f"{name}.png"))

    return _shot
