"""Live updates in the browser (issue 20 item 3): a visitor logged on one reception screen
shows on another screen allowed to see it (the supervisor's) within about a second, through
the stream, not a poll; a screen where someone is typing in the board keeps the typing and
says "updated by someone else" with a refresh."""

import secrets
import time

import pytest

from tests.e2e.support import (
    CHROMIUM,
    REPORT_CSP_VIOLATIONS,
    VIEWPORT,
    BrowserProblems,
    expect,
)

pytestmark = pytest.mark.e2e

LOGGER = "reception4"  # 邓琪: an account no other browser test touches
TYPIST = "reception"  # 赵前台
WATCHER = "supervisor"


@pytest.fixture
def screens(browser, live_server, t):
    """``screen(username)``: a signed-in page of a browser context of its own."""
    opened = []

    def _screen(username):
        context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", base_url=live_server)
        context.set_default_timeout(5_000)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        page = context.new_page()
        problems = BrowserProblems()
        page.on("console", problems.console)
        page.on("pageerror", problems.page_error)
        page.problems = problems
        opened.append((context, problems))
        page.goto("/login")
        page.locator("input[name=username]").fill(username)
        page.locator("input[name=password]").fill("demo-pass-2026")
        page.get_by_role("button", name=t("Sign in"), exact=True).click()
        page.wait_for_url("/")
        return page

    yield _screen
    for context, problems in opened:
        context.close()
        assert not problems.errors, "\n".join(problems.errors)


def live(page):
    """Wait until the page's stream is open."""
    page.wait_for_function("() => document.body.dataset.live === 'open'")


def log_arrival(page, t, consultant):
    page.get_by_label(t("People"), exact=True).fill("2")
    page.get_by_label(t("Or another consultant's name"), exact=True).fill(consultant)
    page.get_by_role("button", name=t("Log the arrival"), exact=True).click()
    expect(page.locator("#showroom-board li.visit-row").filter(has_text=consultant)) \
        .to_have_count(1)


def test_a_visitor_logged_on_one_screen_shows_on_another_within_a_second(screens, t,
                                                                           screenshot):
    watcher = screens(WATCHER)
    watcher.goto("/showroom/")
    live(watcher)
    polls = []
    watcher.on("request", lambda r: polls.append(r.url) if "/showroom/board" in r.url else None)
    logger = screens(LOGGER)
    logger.goto("/showroom/")
    live(logger)

    consultant = f"实时{secrets.token_hex(2)}"
    log_arrival(logger, t, consultant)
    started = time.monotonic()
    row = watcher.locator("#showroom-board li.visit-row").filter(has_text=consultant)
    expect(row).to_have_count(1, timeout=1_500)
    assert time.monotonic() - started < 1.5
    assert len(polls) == 1  # one fetch, after the event (the poll is every 15 s)
    screenshot(watcher, "live-board-watcher")


def test_a_board_being_typed_in_is_not_replaced(screens, t, screenshot):
    typist = screens(TYPIST)
    typist.goto("/showroom/")
    live(typist)
    row = typist.locator("#showroom-board li.visit-row").first
    row.get_by_text(t("Serve"), exact=True).click()
    quantity = row.locator("input.qty").first
    quantity.fill("2")

    logger = screens(LOGGER)
    logger.goto("/showroom/")
    live(logger)
    consultant = f"打字{secrets.token_hex(2)}"
    log_arrival(logger, t, consultant)

    board = typist.locator("#showroom-board")
    notice = board.locator(".live-stale")
    expect(notice).to_contain_text(t("Updated by someone else"))
    expect(quantity).to_have_value("2")  # the typing is kept
    expect(board.locator("li.visit-row").filter(has_text=consultant)).to_have_count(0)
    screenshot(typist, "live-board-typing")
    notice.get_by_role("button").click()
    expect(board.locator("li.visit-row").filter(has_text=consultant)).to_have_count(1)
    expect(board.locator(".live-stale")).to_have_count(0)


def test_the_stream_does_not_keep_the_network_busy_for_playwright(screens):
    page = screens(WATCHER)
    live(page)
    page.wait_for_load_state("networkidle", timeout=5_000)


assert CHROMIUM
