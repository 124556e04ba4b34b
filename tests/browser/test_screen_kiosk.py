"""A viewing point's kiosk page in Chromium: a screen in a prison's cell block follows the
sitting in its courtroom on its own. Before the sitting, the running order without its sealed
hearing and "next: case 1"; video during a public hearing; the notice (and nothing of the
hearing) during the sealed one; and after the server restarts, it rejoins by itself within
5 s of the server answering again."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PageErrors, screenshot
from tests.browser.court import Hearing, create_hearing, create_sitting, created, publish_from_page
from tests.browser.test_console_sitting import another_hearing
from tests.support.server import RunningServer, running_server

SLOW_MS = 30_000
FRAMES = "document.getElementById('screen-video').getVideoPlaybackQuality().totalVideoFrames"
REJOIN_S = 5.0


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[RunningServer]:
    """A server of this test's own: it is restarted."""
    with running_server(tmp_path / "data") as running:
        yield running


def frames_after(kiosk: Page, count: int, timeout_ms: int = SLOW_MS) -> int:
    kiosk.wait_for_function(f"() => {FRAMES} > {count}", timeout=timeout_ms)
    decoded: int = kiosk.evaluate(f"() => {FRAMES}")
    return decoded


def test_a_cell_block_screen_follows_the_sitting_and_recovers_after_a_restart(
    browser: Browser, own_server: RunningServer, page_errors: PageErrors
) -> None:
    server = own_server
    context = browser.new_context(base_url=server.base_url, viewport={"width": 1280, "height": 720})
    headers = {"Authorization": f"Bearer {server.admin_token}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as api:
        first: Hearing = create_hearing(api, ["bench"])
        room = first.courtroom_id
        sealed = another_hearing(api, room, "罪犯某某减刑（不公开）", "sealed")
        last = another_hearing(api, room, "罪犯赵某某假释", "public")
        sitting = create_sitting(api, room, [first.id, sealed, last])
        screen = created(
            api.post(
                "/api/v1/tokens",
                json={
                    "role": "screen",
                    "name": "三监区监舍",
                    "courtroom_ids": [room],
                    "place": "cell_block",
                    "visibilities": ["public"],
                },
            )
        )
        publisher = page_errors.watch(context.new_page())
        publish_from_page(publisher, api, first, "bench")

        kiosk = page_errors.watch(context.new_page())
        kiosk.goto(f"/screen/{screen['id']}#token={screen['token']}")
        assert "token=" not in kiosk.url, "the token leaves the address bar"
        expect(kiosk.locator("#board-title")).to_contain_text("下一案：第 1 案", timeout=SLOW_MS)
        expect(kiosk.locator("#order-list li")).to_have_count(2)  # the sealed one is left out
        expect(kiosk.locator("#order-list")).not_to_contain_text("不公开")
        screenshot(kiosk, "screen-before-zh")

        url = f"/api/v1/sittings/{sitting}"
        assert api.post(f"{url}/start").status_code == 200
        frames_after(kiosk, 10)
        expect(kiosk.locator("#screen-video")).to_be_visible()
        screenshot(kiosk, "screen-live-zh")

        assert api.post(f"{url}/next").status_code == 200  # the sealed hearing
        expect(kiosk.locator("#board-title")).to_have_text(
            "正在进行的庭审不在本屏幕播放", timeout=SLOW_MS
        )
        expect(kiosk.locator("#screen-video")).to_be_hidden()
        expect(kiosk.locator("#screen-case")).to_have_text("")
        screenshot(kiosk, "screen-not-for-this-screen-zh")

        assert api.post(f"{url}/next").status_code == 200  # public again
        decoded = frames_after(kiosk, 0)

        server.stop()
        expect(kiosk.locator("#board-title")).to_have_text(
            "正在重新连接法院服务器…", timeout=SLOW_MS
        )
        server.start()
        answering = time.monotonic()
        # the kiosk is back on the hearing by itself (its WHEP viewer joins) within 5 s...
        expect(kiosk.locator("#board-title")).to_be_hidden(timeout=REJOIN_S * 1000)
        assert time.monotonic() - answering <= REJOIN_S
        # ...and pictures follow once the camera has published again
        frames_after(kiosk, decoded + 10, timeout_ms=60_000)
        kiosk.locator("[data-lang-switch]").click()
        screenshot(kiosk, "screen-live-en")
    context.close()
