"""When WHEP fails, the watch page falls back to the live HLS playlist through hls.js.

WHEP is refused by intercepting it in the browser; the live playlist is answered with the
recording's own playlist (same fMP4 segments, signed links), so the test depends only on
the archive and exercises the page's fallback and the npm-installed hls.js.
"""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import screenshot
from tests.browser.court import create_hearing, publish_from_page


def test_watch_page_falls_back_to_hls(page: Page, api: httpx.Client) -> None:
    hearing = create_hearing(api, ["bench"])
    recording = api.post(f"/api/v1/hearings/{hearing.id}/recordings").json()
    publish_from_page(page, api, hearing, "bench")
    archive = f"/api/v1/recordings/{recording['id']}/cameras/bench/"

    def live_playlist(route: Route) -> None:
        text = api.get(archive + "playlist.m3u8").text
        # Absolute links, since the page asked for the playlist under /live/.
        text = re.sub(r"^segments/", archive + "segments/", text, flags=re.MULTILINE)
        text = text.replace('URI="segments/', f'URI="{archive}segments/')
        route.fulfill(status=200, body=text, content_type="application/vnd.apple.mpegurl")

    viewer = page.context.new_page()
    viewer.route("**/whep/**", lambda route: route.fulfill(status=503, body="{}"))
    viewer.route(f"**/live/{hearing.id}/bench/playlist.m3u8*", live_playlist)
    page.wait_for_timeout(3000)  # a first segment in the archive
    viewer.goto(f"/watch/{hearing.id}")
    viewer.wait_for_function(
        "() => document.getElementById('player').getVideoPlaybackQuality().totalVideoFrames > 0",
        timeout=20_000,
    )
    expect(viewer.locator("#mode")).to_have_text("稍有延迟")
    expect(viewer.locator("#live-badge")).to_be_visible()
    screenshot(viewer, "watch-hls-fallback")
    api.post(f"/api/v1/recordings/{recording['id']}/stop")
