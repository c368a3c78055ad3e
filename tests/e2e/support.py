"""What the browser tests share besides fixtures: the browser settings, the reason to skip,
Playwright's ``expect`` (None when Playwright is missing: the tests are skipped then), and
the collector of JavaScript and CSP errors.
"""

import os
from pathlib import Path

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError as error:  # pragma: no cover - depends on the machine
    expect = sync_playwright = None
    _IMPORT_ERROR: str | None = str(error)
else:
    _IMPORT_ERROR = None

E2E_DIR = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1366, "height": 768}
DEMO_PASSWORD = "demo-pass-2026"  # portal.demo.DEMO_PASSWORD, spelled out as a user types it


def skip_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if _IMPORT_ERROR is not None:
        return f"e2e skipped: the playwright package cannot be imported ({_IMPORT_ERROR}); " \
               "pip install -e '.[dev]'"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"e2e skipped: Chromium not found at {CHROMIUM} (apt-get install chromium, " \
               "or set PORTAL_CHROMIUM to a Chromium binary)"
    return None


# A CSP violation logs to the console by itself; this makes sure, with the blocked URI.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  console.error("CSP violation: " + event.violatedDirective + " blocked " + event.blockedURI
                + " at " + event.sourceFile + ":" + event.lineNumber);
});
"""


class BrowserProblems:
    """JavaScript errors, CSP violations and failed sub-resources seen by one page."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        # the page's own requests (no static files), to tell what happened when a test fails
        self.journal: list[str] = []

    def allow(self, text: str) -> list[str]:
        """Drop (and return) the problems containing ``text`` that a test provoked on purpose."""
        allowed = [e for e in self.errors if text in e]
        self.errors = [e for e in self.errors if text not in e]
        return allowed

    def console(self, message) -> None:
        text = message.text
        if message.type == "error" and not text.startswith("Failed to load resource"):
            # HTTP error statuses are checked through the responses below, where the URL
            # tells a deliberate 404/422 page from a missing script or stylesheet.
            self.errors.append(f"console error: {text}")
        elif "Content Security Policy" in text:
            self.errors.append(f"console {message.type}: {text}")

    def page_error(self, error) -> None:
        self.errors.append(f"uncaught exception: {error}")

    def response(self, response) -> None:
        request = response.request
        if "/static/" not in request.url:
            htmx = " (htmx)" if request.headers.get("hx-request") else ""
            self.journal.append(f"{request.method} /{request.url.split('/', 3)[-1]}"
                                f"{htmx} -> {response.status}")
        if (response.status >= 400
                and request.resource_type in {"script", "stylesheet", "image", "font"}
                and not request.url.endswith("/favicon.ico")):
            self.errors.append(f"{response.status} for {request.resource_type} {request.url}")

    def request_failed(self, request) -> None:
        # A request cut short by the next navigation (a bell poll, say) is not a failure.
        if "ERR_ABORTED" not in (request.failure or ""):
            self.errors.append(f"request failed: {request.url} ({request.failure})")


SETTLED = ("() => !document.querySelector("
           "'.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')")


def settled(page) -> None:
    """Wait until no htmx request is in flight and every swap has settled (the parts a page
    fetches on load included)."""
    page.wait_for_function(SETTLED)


def keep_marker(page) -> None:
    """Put a marker on ``window`` once the page and htmx are ready; a full page load would
    wipe it. Waiting matters: a click before htmx has processed the page submits the form
    the plain way (the no-JavaScript fallback), which reloads the page."""
    page.wait_for_load_state("load")
    page.wait_for_function("() => window.htmx !== undefined && document.readyState === 'complete'")
    page.evaluate("window.__e2eMarker = 'still the same page'")


def marker_survived(page) -> bool:
    """True while no full page load happened since ``keep_marker``."""
    return page.evaluate("window.__e2eMarker") == "still the same page"
