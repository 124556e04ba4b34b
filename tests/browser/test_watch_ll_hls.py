"""hls.js (lowLatencyMode) on the watch page plays the live playlist's LL-HLS parts."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, Request

from tests.browser.court import create_hearing, publish_from_page


def test_hls_js_plays_parts_with_blocking_reloads(page: Page, api: httpx.Client) -> None:
    hearing = create_hearing(api, ["bench"])
    recording = api.post(f"/api/v1/hearings/{hearing.id}/recordings").json()
    publish_from_page(page, api, hearing, "bench")
    asked: list[str] = []

    def note(request: Request) -> None:
        if f"/live/{hearing.id}/bench/" in request.url:
            asked.append(request.url)

    viewer = page.context.new_page()
    viewer.on("request", note)
    viewer.route("**/whep/**", lambda route: route.fulfill(status=503, body="{}"))
    page.wait_for_timeout(1500)  # a first part
    viewer.goto(f"/watch/{hearing.id}")
    viewer.wait_for_function(
        "() => document.getElementById('player').getVideoPlaybackQuality().totalVideoFrames > 30",
        timeout=20_000,
    )
    api.post(f"/api/v1/recordings/{recording['id']}/stop")
    assert any("_HLS_msn=" in url and "_HLS_part=" in url for url in asked), asked
    assert any(url.split("?")[0].endswith(".m4s") and "/ll/" in url for url in asked), asked
