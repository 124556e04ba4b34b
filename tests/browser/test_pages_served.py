"""Every page and the files it loads come from the app itself, as UTF-8, under a self-only CSP.

The CSP tests open the pages in Chromium and collect every `securitypolicyviolation` event
and every console report of a refused load: a page that needs an inline script, a style
attribute or a file from elsewhere fails here instead of silently losing a feature.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page

from api.security_headers import content_security_policy, s3_origin
from api.settings import Settings
from tests.browser.conftest import PageErrors, screenshot
from tests.browser.court import create_hearing, publish_from_page
from tests.support.server import RunningServer

PAGES = [
    "/publish",
    "/watch/any-hearing-id",
    "/watch",
    "/console",
    "/review",
    "/desk",
    "/screen/any-screen-id",
    "/display/any-courtroom-id",
    "/confirm/any-recording-id",
    "/supervise",
]


@pytest.mark.parametrize("path", PAGES)
def test_page_is_utf8_html(api: httpx.Client, path: str) -> None:
    response = httpx.get(str(api.base_url.join(path)))  # no token: pages are public
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    text = response.content.decode("utf-8")
    assert '<meta charset="utf-8">' in text
    assert 'lang="zh-CN"' in text
    assert '<meta name="court-timezone" content="Asia/Shanghai">' in text


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/assets/css/courtcast.css", "text/css"),
        ("/assets/js/i18n.js", "javascript"),
        ("/assets/locales/zh-CN.js", "javascript"),
        ("/vendor/hls.js/hls.min.mjs", "javascript"),  # installed by npm ci, never committed
        ("/favicon.ico", "image/svg+xml"),  # browsers ask for it on every page
    ],
)
def test_page_files_are_served(api: httpx.Client, path: str, content_type: str) -> None:
    response = httpx.get(str(api.base_url.join(path)))
    assert response.status_code == 200, path
    assert content_type in response.headers["content-type"]


def test_unknown_vendor_file_is_404(api: httpx.Client) -> None:
    response = httpx.get(str(api.base_url.join("/vendor/hls.js/package.json")))
    assert response.status_code == 404
    assert "detail" in response.json()


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self' blob:; connect-src 'self' blob:; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


@pytest.mark.parametrize(
    "path",
    [*PAGES, "/assets/js/i18n.js", "/vendor/hls.js/hls.min.mjs", "/api/v1/public/hearings"],
)
def test_responses_carry_security_headers(api: httpx.Client, path: str) -> None:
    response = httpx.get(str(api.base_url.join(path)))
    assert response.status_code == 200, path
    assert response.headers["content-security-policy"] == CSP  # no S3 endpoint in this server
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_errors_carry_security_headers(api: httpx.Client) -> None:
    response = httpx.get(str(api.base_url.join("/api/v1/hearings")))  # no token
    assert response.status_code == 401
    assert response.headers["content-security-policy"] == CSP
    assert response.headers["x-content-type-options"] == "nosniff"


# Runs before the page's own scripts (Playwright injects it through the DevTools protocol, which
# the page's CSP does not govern) and keeps what the browser reports.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""


@dataclass
class CspWatch:
    """CSP violations seen by every page of one browser context."""

    console: list[str] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.console.append(message.text)

    def new_page(self, page: Page) -> None:
        self.pages.append(page)
        page.on("console", self.on_console)

    def violations(self) -> list[str]:
        seen = list(self.console)
        for page in self.pages:
            if not page.is_closed():
                seen += page.evaluate("window.__cspViolations ?? []")
        return seen


@pytest.fixture
def csp_page(
    browser: Browser, web_server: RunningServer, page_errors: PageErrors
) -> Iterator[tuple[Page, CspWatch]]:
    context = browser.new_context(base_url=web_server.base_url)
    context.add_init_script(RECORD_VIOLATIONS)
    watch = CspWatch()
    context.on("page", watch.new_page)
    page = page_errors.watch(context.new_page())
    yield page, watch
    context.close()


@pytest.mark.parametrize("path", ["/publish", "/watch", "/console", "/review", "/desk"])
def test_page_loads_without_a_404(csp_page: tuple[Page, CspWatch], path: str) -> None:
    page, _ = csp_page
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    page.goto(path)
    page.wait_for_load_state("networkidle")
    page.goto("/favicon.ico")  # what the browser fetches for the tab, whether or not headless does
    assert missing == []


@pytest.mark.parametrize("path", PAGES)
def test_page_runs_without_csp_violation(csp_page: tuple[Page, CspWatch], path: str) -> None:
    page, watch = csp_page
    page.goto(path)
    page.wait_for_load_state("networkidle")
    # The scripts ran: the language switch was labelled by i18n.js, styles applied.
    assert page.locator("[data-lang-switch]").get_attribute("aria-label")
    assert page.evaluate("getComputedStyle(document.body).margin") == "0px"
    page.locator("[data-lang-switch]").click()
    page.wait_for_load_state("networkidle")
    assert watch.violations() == []


def test_live_watching_through_hls_js_has_no_csp_violation(
    csp_page: tuple[Page, CspWatch], api: httpx.Client
) -> None:
    """Publish from the camera page, then watch through hls.js: its worker, MediaSource and
    segment fetches all pass the CSP (WHEP is refused so the page falls back to live HLS)."""
    page, watch = csp_page
    hearing = create_hearing(api, ["bench"])
    recording = api.post(f"/api/v1/hearings/{hearing.id}/recordings").json()
    publish_from_page(page, api, hearing, "bench")
    viewer = page.context.new_page()
    viewer.route("**/whep/**", lambda route: route.fulfill(status=503, body="{}"))
    page.wait_for_timeout(3000)  # a first segment in the archive
    viewer.goto(f"/watch/{hearing.id}")
    viewer.wait_for_function(
        # a function, not an expression: Playwright would eval() an expression, which the
        # page's CSP refuses
        "() => document.getElementById('player').getVideoPlaybackQuality().totalVideoFrames > 0",
        timeout=20_000,
    )
    assert viewer.evaluate("document.getElementById('player').src").startswith("blob:")
    screenshot(viewer, "watch-hls-under-csp")
    api.post(f"/api/v1/recordings/{recording['id']}/stop")
    assert watch.violations() == []


@pytest.mark.parametrize(
    ("endpoint", "secure", "origin"),
    [
        ("minio.court.example:9000", False, "http://minio.court.example:9000"),
        ("s3.court.example", True, "https://s3.court.example"),
        ("https://s3.court.example/ignored/path", False, "https://s3.court.example"),
    ],
)
def test_presigned_segments_are_allowed_from_the_s3_endpoint(
    endpoint: str, secure: bool, origin: str
) -> None:
    """Archive and live segments redirect there: media and fetches must be allowed from it."""
    policy = content_security_policy(s3_origin(Settings(s3_endpoint=endpoint, s3_secure=secure)))
    directives = dict(part.split(" ", 1) for part in policy.split("; "))
    assert directives["media-src"] == f"'self' blob: {origin}"
    assert directives["connect-src"] == f"'self' blob: {origin}"
    assert directives["script-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
