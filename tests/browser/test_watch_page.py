"""/watch/{hearing_id}: the public player, fed by the publish page in the same browser."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import screenshot
from tests.browser.court import Hearing, create_hearing, created, publish_from_page
from tests.support.server import RunningServer

DECODED_FRAMES = "document.getElementById('player').getVideoPlaybackQuality().totalVideoFrames"


def test_watch_page_plays_what_the_publish_page_sends(
    page: Page, browser: Browser, api: httpx.Client
) -> None:
    hearing = create_hearing(api, ["bench", "witness"])
    created(api.post(f"/api/v1/hearings/{hearing.id}/recordings"))  # in session: live to all
    publish_from_page(page, api, hearing, "bench")

    viewer = page.context.new_page()
    viewer.goto(f"/watch/{hearing.id}?camera=bench&cameras=bench,witness")
    viewer.wait_for_function(f"() => {DECODED_FRAMES} > 0", timeout=10_000)
    expect(viewer.locator("#live-badge")).to_be_visible()
    expect(viewer.locator("#overlay")).to_be_hidden()
    expect(viewer.locator("#mode")).to_have_text("实时")
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
    expect(overlay).to_have_text("即将开庭", timeout=10_000)  # scheduled, not yet opened
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px phone"
    player = phone_page.locator("#player").bounding_box()
    assert player is not None and player["width"] >= 380  # the video uses the phone's width
    screenshot(phone_page, "watch-phone-zh")

    phone_page.get_by_role("button", name="切换到英文").click()
    expect(phone_page.locator("html")).to_have_attribute("lang", "en")
    expect(phone_page.locator("h1")).to_have_text("Live hearing")
    expect(overlay).to_have_text("Starting soon")
    expect(phone_page.get_by_role("button", name="Unmute")).to_be_visible()
    screenshot(phone_page, "watch-phone-en")

    phone_page.reload()  # the choice is remembered
    expect(phone_page.locator("h1")).to_have_text("Live hearing")
    phone_page.goto("/publish")
    expect(phone_page.locator("h1")).to_have_text("Camera publishing")
    phone_page.wait_for_function(
        "() => document.getElementById('self-view').getVideoPlaybackQuality().totalVideoFrames > 0"
    )
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone_page, "publish-phone-en")


def restricted_hearing_in_session(api: httpx.Client) -> tuple[Hearing, str]:
    """A restricted hearing being recorded (so in session), and a code for two devices."""
    public = create_hearing(api, ["bench"])
    case_id = api.get(f"/api/v1/hearings/{public.id}").json()["case_id"]
    hearing_id = str(
        created(
            api.post(
                "/api/v1/hearings",
                json={
                    "case_id": case_id,
                    "courtroom_id": public.courtroom_id,
                    "title": "不公开审理",
                    "scheduled_start": datetime.now(UTC).isoformat(),
                    "visibility": "restricted",
                },
            )
        )["id"]
    )
    created(api.post(f"/api/v1/hearings/{hearing_id}/recordings"))
    code = created(
        api.post(
            f"/api/v1/hearings/{hearing_id}/access-codes", json={"label": "家属", "max_viewers": 2}
        )
    )
    return Hearing(hearing_id, public.courtroom_id, ["bench"]), str(code["code"])


def test_a_restricted_hearing_plays_with_a_code_typed_or_linked_never_kept_in_a_url(
    page: Page, browser: Browser, web_server: RunningServer, api: httpx.Client
) -> None:
    hearing, code = restricted_hearing_in_session(api)
    publish_from_page(page, api, hearing, "bench")

    family = browser.new_context(base_url=web_server.base_url)
    try:
        viewer = family.new_page()
        viewer.goto(f"/watch/{hearing.id}")
        expect(viewer.locator("#overlay-text")).to_have_text("此庭审需要访问码", timeout=10_000)
        viewer.get_by_label("访问码").fill(code.replace("-", " "))
        viewer.get_by_role("button", name="观看").click()
        viewer.wait_for_function(f"() => {DECODED_FRAMES} > 0", timeout=15_000)
        expect(viewer.locator("#live-badge")).to_be_visible()
        assert code.replace("-", "") not in viewer.url.replace("-", "")
        cookies = {c["name"]: c for c in family.cookies()}
        ticket = cookies[f"courtcast_ticket_{hearing.id}"]
        assert ticket["httpOnly"] and ticket["sameSite"] == "Strict"
        assert viewer.evaluate("document.cookie") == ""  # no script reads the ticket
        screenshot(viewer, "watch-restricted-typed")
    finally:
        family.close()

    linked = browser.new_context(base_url=web_server.base_url)
    try:
        viewer = linked.new_page()
        viewer.goto(f"/watch/{hearing.id}?camera=bench&code={code}")
        viewer.wait_for_function(f"() => {DECODED_FRAMES} > 0", timeout=15_000)
        assert "code=" not in viewer.url and viewer.url.endswith("?camera=bench")
    finally:
        linked.close()


def test_too_many_wrong_codes_say_how_long_to_wait(page: Page, api: httpx.Client) -> None:
    hearing, code = restricted_hearing_in_session(api)
    page.goto(f"/watch/{hearing.id}")
    overlay = page.locator("#overlay-text")
    expect(overlay).to_have_text("此庭审需要访问码", timeout=10_000)
    for n in range(5):
        page.get_by_label("访问码").fill(f"0000-0000-000{n}")
        page.get_by_role("button", name="观看").click()
        expect(overlay).to_have_text("访问码无效")
        page.evaluate("document.getElementById('overlay-text').textContent = ''")
    page.get_by_label("访问码").fill(code)  # even the right code waits now
    page.get_by_role("button", name="观看").click()
    expect(overlay).to_have_text(re.compile(r"^尝试次数过多，请 (29\d|300) 秒后再试$"))
    page.get_by_role("button", name="切换到英文").click()
    expect(overlay).to_have_text(re.compile(r"^Too many attempts, try again in \d+ s$"))
    expect(page.get_by_label("Access code")).to_be_visible()
    screenshot(page, "watch-too-many-codes")
