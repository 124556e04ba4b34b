"""/watch lists today's hearings; /watch/{id} plays one and stops within a second of the kill
switch, saying the court stopped it."""

from __future__ import annotations

import time

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.court import create_hearing, publish_from_page

FRAMES = "document.getElementById('player').getVideoPlaybackQuality().totalVideoFrames"


def test_watch_list_and_kill_switch(page: Page, phone_page: Page, api: httpx.Client) -> None:
    hearing = create_hearing(api, ["bench"])
    publish_from_page(page, api, hearing, "bench")
    assert api.patch(f"/api/v1/hearings/{hearing.id}", json={"status": "in_session"}).is_success

    phone_page.goto("/watch")
    card = phone_page.locator(f'a[href^="/watch/{hearing.id}"]')
    expect(card).to_be_visible(timeout=10_000)
    expect(card).to_contain_text("张三诉李四")
    expect(card).to_contain_text("直播中")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone_page, "watch-list-phone")

    card.click()
    expect(phone_page.locator("#case-title")).to_contain_text("张三诉李四")
    phone_page.wait_for_function(f"() => {FRAMES} > 0", timeout=15_000)
    expect(phone_page.locator("#live-badge")).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone_page, "watch-live-phone")

    cut = api.put(f"/api/v1/hearings/{hearing.id}/broadcast", json={"on": False})
    assert cut.status_code == 200, cut.text
    cut_at = time.monotonic()
    expect(phone_page.locator("#overlay-text")).to_have_text("直播已被法院停止", timeout=1_000)
    assert time.monotonic() - cut_at < 1.2
    frames = phone_page.evaluate(FRAMES)
    time.sleep(1)
    assert phone_page.evaluate(FRAMES) == frames, "frames still decoding after the kill switch"
    screenshot(phone_page, "watch-stopped-phone")


def test_public_hearings_hide_sealed(api: httpx.Client) -> None:
    hearing = create_hearing(api, ["bench"])
    public = httpx.get(str(api.base_url.join(f"/api/v1/public/hearings/{hearing.id}")))
    assert public.status_code == 200
    assert public.json()["broadcast_on"] is True
    unknown = httpx.get(str(api.base_url.join("/api/v1/public/hearings/nope")))
    assert unknown.status_code == 404
    listed = httpx.get(str(api.base_url.join("/api/v1/public/hearings"))).json()
    assert hearing.id in [item["id"] for item in listed["items"]]
    assert all(item["visibility"] != "sealed" for item in listed["items"])
