"""/watch/{hearing_id}: the public player, fed by the publish page in the same browser."""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import screenshot
from tests.browser.court import create_hearing, publish_from_page

DECODED_FRAMES = "document.getElementById('player').getVideoPlaybackQuality().totalVideoFrames"


def test_watch_page_plays_what_the_publish_page_sends(
    page: Page, browser: Browser, api: httpx.Client
) -> None:
    hearing = create_hearing(api, ["bench", "witness"])
    publish_from_page(page, api, hearing, "bench")

    viewer = page.context.new_page()
    viewer.goto(f"/watch/{hearing.id}?camera=bench&cameras=bench,witness")
    viewer.wait_for_function(f"{DECODED_FRAMES} > 0", timeout=10_000)
    expect(viewer.locator("#live-badge")).to_be_visible()
    expect(viewer.locator("#overlay")).to_be_hidden()
    expect(viewer.locator("#mode")).to_have_text("实时（WebRTC）")
    expect(viewer.get_by_label("机位")).to_have_value("bench")
    viewer.get_by_role("button", name="打开声音").click()
    assert viewer.evaluate("document.getElementById('player').muted") is False
    expect(viewer.get_by_role("button", name="静音")).to_be_visible()
    screenshot(viewer, "watch-live")

    # The witness camera has no publisher: the page says so instead of showing black.
    viewer.get_by_label("机位").select_option("witness")
    expect(viewer.locator("#overlay-text")).to_have_text("庭审尚未开始或暂无画面", timeout=10_000)
    assert "camera=witness" in viewer.url
    screenshot(viewer, "watch-no-feed")


def test_watch_page_on_a_phone_switches_language(phone_page: Page, api: httpx.Client) -> None:
    hearing = create_hearing(api, ["bench"])
    phone_page.goto(f"/watch/{hearing.id}")
    expect(phone_page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(phone_page.locator("h1")).to_have_text("庭审直播")
    overlay = phone_page.locator("#overlay-text")
    expect(overlay).to_have_text("庭审尚未开始或暂无画面", timeout=10_000)
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px phone"
    player = phone_page.locator("#player").bounding_box()
    assert player is not None and player["width"] >= 380  # the video uses the phone's width
    screenshot(phone_page, "watch-phone-zh")

    phone_page.get_by_role("button", name="切换到英文").click()
    expect(phone_page.locator("html")).to_have_attribute("lang", "en")
    expect(phone_page.locator("h1")).to_have_text("Live hearing")
    expect(overlay).to_have_text("The hearing has not started or has no picture yet")
    expect(phone_page.get_by_role("button", name="Unmute")).to_be_visible()
    screenshot(phone_page, "watch-phone-en")

    phone_page.reload()  # the choice is remembered
    expect(phone_page.locator("h1")).to_have_text("Live hearing")
    phone_page.goto("/publish")
    expect(phone_page.locator("h1")).to_have_text("Camera publishing")
    phone_page.wait_for_function(
        "document.getElementById('self-view').getVideoPlaybackQuality().totalVideoFrames > 0"
    )
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone_page, "publish-phone-en")
