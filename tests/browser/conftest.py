"""Debian's chromium driven by Playwright against a real Courtcast server.

The flags are GUIDE section 4's: a fake camera at 30 fps with its permission prompt accepted,
and loopback candidates allowed (without them ICE never completes on 127.0.0.1).
Screenshots go to test-artifacts/browser/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, ViewportSize, sync_playwright

from tests.support.server import RunningServer, running_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-fake-device-for-media-stream=fps=30",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
PHONE: ViewportSize = {"width": 390, "height": 844}


# Module scope, not session: Playwright's sync API keeps an event loop running while it is
# started, and the asyncio tests that follow the browser modules need the thread's loop back.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: tests/run installs Debian's chromium")
    launched = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
    )
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One server for all browser tests: each test makes its own courtroom and hearing."""
    with running_server(tmp_path_factory.mktemp("browser") / "data") as running:
        yield running


@pytest.fixture
def api(web_server: RunningServer) -> Iterator[httpx.Client]:
    """The JSON API as the administrator, to set up what a page needs and check what it did."""
    headers = {"Authorization": f"Bearer {web_server.admin_token}"}
    with httpx.Client(base_url=web_server.base_url, headers=headers, timeout=30) as client:
        yield client


class PageErrors:
    """Uncaught errors in a page's scripts: a test fails on any of them."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def watch(self, page: Page) -> Page:
        page.on("pageerror", lambda error: self.messages.append(str(error)))
        return page


@pytest.fixture
def page_errors() -> Iterator[PageErrors]:
    errors = PageErrors()
    yield errors
    assert errors.messages == [], errors.messages


@pytest.fixture
def page(browser: Browser, web_server: RunningServer, page_errors: PageErrors) -> Iterator[Page]:
    context = browser.new_context(base_url=web_server.base_url)
    yield page_errors.watch(context.new_page())
    context.close()


@pytest.fixture
def phone_page(
    browser: Browser, web_server: RunningServer, page_errors: PageErrors
) -> Iterator[Page]:
    context = browser.new_context(
        base_url=web_server.base_url,
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    yield page_errors.watch(context.new_page())
    context.close()


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
