"""A hearing's life on screen: the operator opens and closes it from the console and the public
page follows on desktop and phone (starting soon, live pictures, closed); the console keeps the
hearing's markers and transcript, oldest first, after its recording stops; alarms and camera
names speak the page's language; a camera switch on the public page hangs up without a 404."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, Response, expect

from tests.browser.conftest import screenshot
from tests.browser.court import Hearing, create_hearing, created, publish_from_page
from tests.browser.language_sweep import LocaleTables, assert_one_language, cjk_strings
from tests.support.server import RunningServer

COURT_ZONE = ZoneInfo("Asia/Shanghai")  # the test server's default COURTCAST_COURT_TIMEZONE
CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
DECODED_FRAMES = "document.getElementById('player').getVideoPlaybackQuality().totalVideoFrames"
SLOW_MS = (
    15_000  # a page's answer on a loaded 2-core machine (the picture's own limits are tighter)
)
TILE_FRAMES = (
    "(document.querySelector('.feed-tile video')?.getVideoPlaybackQuality().totalVideoFrames ?? 0)"
)


def open_console(page: Page, web_server: RunningServer, hearing: Hearing) -> Page:
    console = page.context.new_page()
    console.goto(f"/console?courtroom={hearing.courtroom_id}")
    console.keyboard.type(web_server.admin_token)
    console.keyboard.press("Enter")
    expect(console.locator("#desk")).to_be_visible()
    return console


def typed(api: httpx.Client, hearing: Hearing, recording_id: str | None = None) -> set[str]:
    """What staff typed (names, titles, markers, lines): it may show in either language."""
    paths = [f"/api/v1/courtrooms/{hearing.courtroom_id}/feeds"]
    if recording_id:
        paths += [f"/api/v1/recordings/{recording_id}/{part}" for part in ("markers", "transcript")]
    return set().union(*(cjk_strings(api.get(path).json()) for path in paths))


def test_console_opens_and_closes_a_hearing_and_phones_follow(
    page: Page, phone_page: Page, api: httpx.Client, web_server: RunningServer
) -> None:
    hearing = create_hearing(api, ["bench"])
    publish_from_page(page, api, hearing, "bench")
    scheduled = datetime.fromisoformat(
        api.get(f"/api/v1/hearings/{hearing.id}").json()["scheduled_start"]
    )
    viewers = {"desktop": page.context.new_page(), "phone": phone_page}
    tables = LocaleTables.load()

    # Before it opens: a card with the scheduled court time, and no camera asked for.
    for device, viewer in viewers.items():
        viewer.goto(f"/watch/{hearing.id}")
        expect(viewer.locator("#overlay-text")).to_have_text("即将开庭", timeout=10_000)
        expect(viewer.locator("#overlay-hint")).to_contain_text(
            f"{scheduled.astimezone(COURT_ZONE):%H:%M}"
        )
        expect(viewer.locator("#status-badge")).to_have_text("即将开庭")
        screenshot(viewer, f"watch-soon-{device}-zh")
        assert_one_language(
            viewer, tables, name="watch-soon", viewport=device, allowed=typed(api, hearing)
        )
    for viewer in viewers.values():
        assert viewer.evaluate(f"() => {DECODED_FRAMES}") == 0
    listed = phone_page.context.new_page()  # today's list says the same
    listed.goto("/watch")
    card = listed.locator(f'a[href^="/watch/{hearing.id}"]')
    expect(card.locator(".badge").first).to_have_text("即将开庭", timeout=10_000)

    console = open_console(page, web_server, hearing)
    expect(console.locator("#hearing-status")).to_have_text("未开始", timeout=SLOW_MS)
    expect(console.locator("#hearing-close")).to_be_disabled()
    console.locator("#hearing-open").click()
    expect(console.locator("#hearing-status")).to_have_text("开庭中", timeout=SLOW_MS)
    expect(console.locator("#hearing-open")).to_be_disabled()
    for viewer in viewers.values():
        viewer.wait_for_function(f"() => {DECODED_FRAMES} > 0", timeout=15_000)
        expect(viewer.locator("#live-badge")).to_be_visible()

    # Recorded with markers and transcript lines; one marker is stamped earlier than the rest.
    console.locator("#rec-start").click()
    expect(console.locator("#record-state")).to_contain_text("录制中", timeout=10_000)
    recording_id = api.get(f"/api/v1/courtrooms/{hearing.courtroom_id}/feeds").json()[
        "recording_id"
    ]
    console.locator("#marker-text").fill("第一个标记")
    console.locator("#marker-text").press("Enter")
    expect(console.locator("#marker-list li")).to_have_count(1, timeout=SLOW_MS)
    console.locator("#line").fill("第一句")
    console.locator("#line").press("Enter")
    expect(console.locator("#transcript-list li")).to_have_count(1, timeout=SLOW_MS)
    first = api.get(f"/api/v1/recordings/{recording_id}/markers").json()[0]
    earlier = datetime.fromisoformat(first["at"]) - timedelta(seconds=2)
    created(
        api.post(
            f"/api/v1/recordings/{recording_id}/markers",
            json={"at": earlier.isoformat(), "kind": "note", "text": "更早的标记"},
        )
    )
    console.locator("#marker-text").fill("第二个标记")
    console.locator("#marker-text").press("Enter")
    console.locator("#line").fill("第二句")
    console.locator("#line").press("Enter")
    expect(console.locator("#transcript-list li")).to_have_count(2, timeout=SLOW_MS)
    screenshot(console, "console-in-session-zh")

    # Closing asks what else stops; the operator stops the recording and the broadcast.
    console.locator("#hearing-close").click()
    expect(console.locator("#close-dialog")).to_be_visible()
    expect(console.locator("#close-stop-recording")).to_be_checked()
    expect(console.locator("#close-stop-broadcast")).to_be_checked()
    screenshot(console, "console-close-dialog-zh")
    console.locator("#close-confirm").click()
    closed = f"/api/v1/public/hearings/{hearing.id}"
    deadline = time.monotonic() + SLOW_MS / 1000
    while api.get(closed).json()["status"] != "closed" and time.monotonic() < deadline:
        time.sleep(0.1)
    closed_at = time.monotonic()  # the court closed it: each page follows within 5 s
    for viewer in viewers.values():
        expect(viewer.locator("#overlay-text")).to_have_text("已闭庭", timeout=5_000)
    assert time.monotonic() - closed_at < 5
    for viewer in viewers.values():
        before = viewer.evaluate(f"() => {DECODED_FRAMES}")
        viewer.wait_for_timeout(1000)
        assert viewer.evaluate(f"() => {DECODED_FRAMES}") == before
        playing = "(v => v.srcObject !== null || (!v.paused && !!v.currentSrc))"
        assert viewer.evaluate(f"() => {playing}(document.getElementById('player'))") is False
        expect(viewer.locator("#live-badge")).to_be_hidden()
        expect(viewer.locator("#status-badge")).to_have_text("已闭庭")

    expect(console.locator("#hearing-status")).to_have_text("已结束", timeout=SLOW_MS)
    expect(console.locator("#record-state")).to_have_text("未录制", timeout=SLOW_MS)
    expect(console.locator("#hearing-close")).to_be_disabled()
    assert api.get(f"/api/v1/recordings/{recording_id}").json()["status"] == "stopped"
    assert api.get(f"/api/v1/hearings/{hearing.id}/broadcast").json()["on"] is False

    # The hearing's markers and transcript stay, oldest first, also in a console opened later.
    for desk in (console, open_console(page, web_server, hearing)):
        markers = desk.locator("#marker-list li span")
        expect(markers).to_have_text(["更早的标记", "第一个标记", "第二个标记"], timeout=SLOW_MS)
        expect(desk.locator("#transcript-list li span")).to_have_text(["第一句", "第二句"])
    screenshot(console, "console-closed-zh")
    shown = typed(api, hearing, recording_id)
    assert_one_language(console, tables, name="console-closed", viewport="desktop", allowed=shown)
    console.get_by_role("button", name="切换到英文").click()
    expect(console.locator("#hearing-status")).to_have_text("Ended")
    screenshot(console, "console-closed-en")
    for device, viewer in viewers.items():
        assert_one_language(viewer, tables, name="watch-closed", viewport=device, allowed=shown)
        viewer.get_by_role("button", name="切换到英文").click()
        expect(viewer.locator("#overlay-text")).to_have_text("Hearing closed")
        screenshot(viewer, f"watch-closed-{device}-en")
    listed.reload()  # in English now, as the phone chose
    expect(card.locator(".badge").first).to_have_text("Hearing closed", timeout=10_000)
    screenshot(listed, "watch-list-closed-phone-en")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_alarms_and_camera_names_follow_the_language(
    viewport: str,
    request: pytest.FixtureRequest,
    page: Page,
    api: httpx.Client,
    web_server: RunningServer,
) -> None:
    hearing = create_hearing(api, ["bench"])
    publisher = page.context.new_page()
    publish_from_page(publisher, api, hearing, "bench")
    operator: Page = page if viewport == "desktop" else request.getfixturevalue("phone_page")
    console = open_console(operator, web_server, hearing)
    console.wait_for_function(f"() => {TILE_FRAMES} > 0", timeout=15_000)
    expect(console.locator(".feed-tile .video-label")).to_have_text("审判席")
    console.locator("#rec-start").click()
    expect(console.locator("#record-state")).to_contain_text("录制中", timeout=SLOW_MS)

    publisher.close()  # the camera is lost: the server's alarm, said from its code
    alarms = console.locator("#alarm-list")
    expect(alarms).to_contain_text("机位 审判席 没有画面", timeout=10_000)
    # the API keeps the English message beside the code and its params
    alarm = next(
        a
        for a in api.get("/api/v1/alarms").json()
        if a["kind"] == "no_frames" and a["courtroom_id"] == hearing.courtroom_id
    )
    assert alarm["code"] == "no_frames" and alarm["params"] == {"camera": "bench"}
    assert alarm["message"].startswith("no frames from camera bench")
    screenshot(console, f"console-alarm-{viewport}-zh")

    console.get_by_role("button", name="切换到英文").click()
    expect(alarms).to_contain_text("No picture from camera Bench")
    banner = console.locator("#alarm-banner").inner_text()
    assert not CHINESE.search(banner), banner
    expect(console.locator(".feed-tile .video-label")).to_have_text("Bench")
    screenshot(console, f"console-alarm-{viewport}-en")

    console.get_by_role("button", name="Switch to Chinese").click()
    expect(alarms).to_contain_text("机位 审判席 没有画面")
    assert "No picture" not in console.locator("#alarm-banner").inner_text()
    # and nothing else on the console stays in the other language after a switch
    feeds = api.get(f"/api/v1/courtrooms/{hearing.courtroom_id}/feeds").json()
    assert_one_language(
        console,
        LocaleTables.load(),
        name="console-alarm",
        viewport=viewport,
        allowed=cjk_strings(feeds),
    )
    stopped = api.post(f"/api/v1/recordings/{feeds['recording_id']}/stop")  # its alarm ends
    assert stopped.status_code == 200, stopped.text


def test_switching_camera_on_the_public_page_hangs_up_without_a_404(
    page: Page, phone_page: Page, api: httpx.Client
) -> None:
    hearing = create_hearing(api, ["bench", "witness"])
    created(api.post(f"/api/v1/hearings/{hearing.id}/recordings"))  # in session: live to all
    publish_from_page(page, api, hearing, "bench")
    publish_from_page(page.context.new_page(), api, hearing, "witness")
    missing: list[str] = []
    hang_ups: list[int] = []

    def seen(response: Response) -> None:
        if response.status == 404:
            missing.append(f"{response.request.method} {response.url}")
        if response.request.method == "DELETE":
            hang_ups.append(response.status)

    phone_page.on("response", seen)
    phone_page.goto(f"/watch/{hearing.id}?camera=bench")
    phone_page.wait_for_function(f"() => {DECODED_FRAMES} > 0", timeout=15_000)
    for camera in ("witness", "bench"):
        with phone_page.expect_response(
            lambda r: "/whep/" in r.url and r.request.method == "POST", timeout=10_000
        ):
            phone_page.get_by_label("机位").select_option(camera)
        phone_page.wait_for_function(
            "() => document.body.dataset.playerState === 'live'", timeout=15_000
        )
    screenshot(phone_page, "watch-switched-phone-zh")
    assert hang_ups == [200, 200], hang_ups
    assert missing == [], missing
