"""Browser tests: Playwright (pytest-playwright) driving Debian's chromium against a live server.

The app (with the same test database as the rest of the suite) is served by
werkzeug in a thread on a random loopback port. Playwright never downloads a
browser: it launches /usr/bin/chromium (CHROMIUM env to override). Without
chromium or Playwright these tests skip, and the run's summary says so plainly.
"""
import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - requirements.txt installs it
    sync_playwright = None


def _skip_reason():
    if os.environ.get("BROWSER_TESTS") == "0":
        return "BROWSER_TESTS=0 in the environment"
    if sync_playwright is None:
        return "the playwright package is not installed (pip install -r requirements.txt)"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"chromium not found at {CHROMIUM} (apt-get install -y chromium)"
    return None


SKIP_REASON = _skip_reason()


def pytest_collection_modifyitems(config, items):
    if not SKIP_REASON:
        return
    marker = pytest.mark.skip(reason=f"browser tests skipped: {SKIP_REASON}")
    for item in items:
        if "tests/browser" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(marker)


def pytest_terminal_summary(terminalreporter):
    # Counted from the reports, not from collection: under xdist the workers collect.
    skipped = [report for report in terminalreporter.stats.get("skipped", [])
               if "browser tests skipped" in str(report.longrepr)]
    if skipped:
        terminalreporter.write_line(
            f"BROWSER TESTS SKIPPED ({len(skipped)}): {SKIP_REASON}", yellow=True, bold=True)


@pytest.fixture(scope="session")
def live_server(app):
    """The session's app on http://127.0.0.1:<random port>, served from a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's `browser` fixture, pointed at Debian's chromium."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS,
            "headless": True}


class Visitor:
    """One person's browser (its own cookies), with helpers the tests share."""

    def __init__(self, browser, base_url, viewport=PHONE, locale="zh-CN"):
        self.context = browser.new_context(viewport=viewport, locale=locale, base_url=base_url,
                                           device_scale_factor=1)
        self.context.set_default_timeout(15000)
        self.page = self.context.new_page()
        self.console_errors = []
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        self.page.on("pageerror", lambda e: self.console_errors.append(str(e)))

    def go(self, path):
        response = self.page.goto(path)
        assert response is not None
        return response

    def login(self, name, password):
        self.go("/login")
        self.page.fill("#login", name)
        self.page.fill("#password", password)
        self.submit("main form button[type=submit], main form input[type=submit]")
        assert "/login" not in self.page.url, self.page.inner_text("main")

    def sign_in(self, name, password):
        """Signed in by the sign-in form's own POST (CSRF token and all) from this browser's
        cookie jar, without drawing the form: for tests about the pages behind it (`login`
        types into the form, as a person does)."""
        form = self.context.request.get("/login").text()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
        answer = self.context.request.post("/login", max_redirects=0, form={
            "login": name, "password": password, "csrf_token": token})
        assert answer.status == 302 and "/login" not in answer.headers["location"], answer.text()

    def submit(self, selector):
        """Click what sends a form or follows a link, and wait for the next page to have
        loaded (styles included): reading it straight after the click can catch the old
        page or the new one without its stylesheet when the machine is busy."""
        with self.page.expect_navigation(wait_until="load"):
            self.page.click(selector)

    def flash(self):
        # A click that submits a form returns once the next page has started to
        # load, not once it is there: read the messages from the parsed page.
        self.page.wait_for_load_state("domcontentloaded")
        return " ".join(self.page.locator(".flash").all_inner_texts())

    def shot(self, name):
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def close(self):
        self.context.close()


@pytest.fixture
def visitor(browser, live_server):
    made = []

    def make(**kwargs):
        made.append(Visitor(browser, live_server, **kwargs))
        return made[-1]

    yield make
    for v in made:
        v.close()
