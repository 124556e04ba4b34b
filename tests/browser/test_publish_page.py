"""/publish: a phone or laptop opens a camera's link (#token=...) and publishes with one tap; the
page names the courtroom and camera, keeps the screen awake, and says what is wrong when it can't.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS, PHONE, PageErrors, screenshot
from tests.browser.court import (
    Hearing,
    camera_token,
    create_hearing,
    created,
    publish_from_page,
    publish_link,
)
from tests.browser.language_sweep import LocaleTables, assert_one_language
from tests.support.server import RunningServer

# Runs before the page's scripts: records what became of each screen wake lock request.
RECORD_WAKE_LOCK = """
window.__wakeLock = [];
window.__wakeSentinels = [];
if (navigator.wakeLock) {
  const request = navigator.wakeLock.request.bind(navigator.wakeLock);
  navigator.wakeLock.request = (type) => {
    const asked = request(type);
    asked.then(
      (sentinel) => { window.__wakeLock.push("held"); window.__wakeSentinels.push(sentinel); },
      (error) => window.__wakeLock.push(error.name),
    );
    return asked;
  };
} else {
  window.__wakeLock.push("unsupported");
}
"""
WAKE_HELD = {"zh-CN": "推流期间屏幕保持常亮。", "en": "The screen stays on while publishing."}
WAKE_UNAVAILABLE = {
    "zh-CN": "本设备无法保持屏幕常亮，屏幕可能会自动熄灭并中断推流：请在系统设置中关闭自动锁屏。",
    "en": "This device cannot keep its screen on: the screen may sleep and stop publishing. "
    "Turn off auto-lock in the system settings.",
}
REVOKED = "推流令牌无效、已过期或已被撤销：请向书记员索取新的推流链接。"


def wait_until_publishing(api: httpx.Client, courtroom_id: str, camera: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if camera in api.get(f"/api/v1/courtrooms/{courtroom_id}").json()["publishing"]:
            return
        time.sleep(0.2)
    raise AssertionError(f"{camera} never showed as publishing")


def new_token(api: httpx.Client, **body: object) -> dict[str, object]:
    return created(api.post("/api/v1/tokens", json=body))


def labelled_hearing(api: httpx.Client) -> Hearing:
    """A hearing whose witness camera has display names of its own."""
    hearing = create_hearing(api, ["bench", "witness"])
    labels = api.put(
        f"/api/v1/courtrooms/{hearing.courtroom_id}/cameras",
        json={
            "cameras": [
                {"name": "bench"},
                {"name": "witness", "zh": "证人席平板", "en": "Witness tablet"},
            ]
        },
    )
    assert labels.status_code == 200, labels.text
    return hearing


def expect_wake_lock(page: Page, lang: str) -> None:
    """The page asked for a wake lock; what it says depends on what this browser answered."""
    page.wait_for_function("() => window.__wakeLock.length > 0")
    outcome = page.evaluate("window.__wakeLock[0]")
    expected = WAKE_HELD if outcome == "held" else WAKE_UNAVAILABLE
    expect(page.locator("#wake")).to_have_text(expected[lang])


def switch_to_english(page: Page) -> None:
    page.get_by_role("button", name="切换到英文").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_camera_link_publishes_into_a_recording_with_one_tap(page: Page, api: httpx.Client) -> None:
    page.add_init_script(RECORD_WAKE_LOCK)
    hearing = create_hearing(api, ["bench"])
    recording = api.post(f"/api/v1/hearings/{hearing.id}/recordings")
    assert recording.status_code == 201, recording.text

    page.goto(publish_link(camera_token(api, hearing.courtroom_id, "bench")))
    expect(page.locator("#target-courtroom")).to_have_text("第三法庭")
    expect(page.locator("#target-camera")).to_have_text("审判席")
    assert page.evaluate("location.href") == page.url.split("#")[0]
    assert "token" not in page.evaluate("location.href")  # the secret left the address bar
    expect(page.locator("#token-form")).to_be_hidden()
    expect(page.locator("#pick")).to_be_hidden()
    assert hearing.courtroom_id not in page.locator("body").inner_text()  # no ids on screen

    page.get_by_role("button", name="开始推流").click()
    expect(page.locator("#state")).to_have_class("state state-live", timeout=20_000)
    wait_until_publishing(api, hearing.courtroom_id, "bench")
    expect_wake_lock(page, "zh-CN")
    expect(page.locator("#since")).to_be_visible()
    frames = page.evaluate(
        "document.getElementById('self-view').getVideoPlaybackQuality().totalVideoFrames"
    )
    assert frames > 0
    if page.evaluate("window.__wakeLock[0]") == "held":
        # what the browser does to a hidden page: it drops the lock; shown again, it is re-asked
        page.evaluate("window.__wakeSentinels[0].release()")
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        page.wait_for_function("() => window.__wakeLock.length === 2")
        expect_wake_lock(page, "zh-CN")
    time.sleep(3)  # footage for the recording
    screenshot(page, "publish-link-live-zh")
    assert_one_language(
        page, LocaleTables.load(), name="publish-live", viewport="desktop", allowed={"第三法庭"}
    )
    switch_to_english(page)
    expect(page.locator("#target-camera")).to_have_text("Bench")
    expect(page.locator("#state-text")).to_have_text("Publishing")
    expect_wake_lock(page, "en")
    screenshot(page, "publish-link-live-en")

    recording_id = recording.json()["id"]
    assert api.post(f"/api/v1/recordings/{recording_id}/stop").status_code == 200
    tracks = {
        t["camera"]: t for t in api.get(f"/api/v1/recordings/{recording_id}").json()["tracks"]
    }
    assert tracks["bench"]["frames"] > 0 and tracks["bench"]["segments"] > 0, tracks

    page.get_by_role("button", name="Stop publishing").click()
    expect(page.locator("#state")).to_have_class("state state-preview")
    expect(page.locator("#wake")).to_be_hidden()


def test_phone_opens_the_link_and_publishes_its_labelled_camera(
    phone_page: Page, api: httpx.Client
) -> None:
    phone = phone_page
    phone.add_init_script(RECORD_WAKE_LOCK)
    hearing = labelled_hearing(api)
    phone.goto(publish_link(camera_token(api, hearing.courtroom_id, "witness")))
    expect(phone.locator("#target-camera")).to_have_text("证人席平板")
    expect(phone.locator("#state")).to_have_class("state state-preview")
    screenshot(phone, "publish-phone-link-zh")
    phone.get_by_role("button", name="开始推流").tap()
    expect(phone.locator("#state")).to_have_class("state state-live", timeout=20_000)
    wait_until_publishing(api, hearing.courtroom_id, "witness")
    expect_wake_lock(phone, "zh-CN")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "publish-phone-live-zh")
    assert_one_language(
        phone, LocaleTables.load(), name="publish-live", viewport="phone", allowed={"第三法庭"}
    )
    switch_to_english(phone)
    expect(phone.locator("#target-camera")).to_have_text("Witness tablet")
    expect_wake_lock(phone, "en")
    screenshot(phone, "publish-phone-live-en")
    phone.get_by_role("button", name="Stop publishing").tap()
    expect(phone.locator("#state")).to_have_class("state state-preview")


def test_a_screen_that_cannot_stay_on_is_said(page: Page, api: httpx.Client) -> None:
    page.add_init_script("delete Navigator.prototype.wakeLock;")  # as on older phones
    hearing = create_hearing(api, ["bench"])
    page.goto(publish_link(camera_token(api, hearing.courtroom_id, "bench")))
    page.get_by_role("button", name="开始推流").click()
    expect(page.locator("#state")).to_have_class("state state-live", timeout=20_000)
    expect(page.locator("#wake")).to_have_text(WAKE_UNAVAILABLE["zh-CN"])
    expect(page.locator("#wake")).to_have_class("wake-note small wake-off")
    page.get_by_role("button", name="停止推流").click()
    expect(page.locator("#wake")).to_be_hidden()


def test_revoked_token_says_so_before_and_after_the_tap(page: Page, api: httpx.Client) -> None:
    hearing = create_hearing(api, ["bench"])
    made = new_token(
        api, role="camera", name="bench", courtroom_ids=[hearing.courtroom_id], camera="bench"
    )
    page.goto(publish_link(str(made["token"])))
    expect(page.locator("#target-camera")).to_have_text("审判席")
    assert api.delete(f"/api/v1/tokens/{made['id']}").status_code == 204
    page.get_by_role("button", name="开始推流").click()  # WHIP refuses it: 401
    expect(page.locator("#state")).to_have_class("state state-error")
    expect(page.locator("#state-text")).to_have_text(REVOKED)

    page.goto(publish_link(str(made["token"])))  # opened again in this tab: no reload
    expect(page.locator("#state-text")).to_have_text(REVOKED)
    expect(page.locator("#token-form")).to_be_visible()
    page.goto("about:blank")
    page.goto(publish_link(str(made["token"])))  # in a fresh page: /api/v1/me refuses it
    expect(page.locator("#state")).to_have_class("state state-error")
    expect(page.locator("#state-text")).to_have_text(REVOKED)
    expect(page.locator("#token-form")).to_be_visible()
    expect(page.locator("#target")).to_be_hidden()
    screenshot(page, "publish-revoked-zh")
    switch_to_english(page)
    expect(page.locator("#state-text")).to_have_text(
        "The publishing token is invalid, expired or revoked: ask the clerk for a new publish link."
    )
    screenshot(page, "publish-revoked-en")


def test_a_camera_publishing_from_another_device_is_named(
    page: Page, phone_page: Page, api: httpx.Client
) -> None:
    hearing = create_hearing(api, ["bench"])
    publish_from_page(page, api, hearing, "bench")
    phone_page.goto(publish_link(camera_token(api, hearing.courtroom_id, "bench")))
    phone_page.get_by_role("button", name="开始推流").tap()
    expect(phone_page.locator("#state")).to_have_class("state state-reconnecting")
    expect(phone_page.locator("#state-text")).to_have_text(
        re.compile(r"^第三法庭的审判席正由另一台设备推流；\d+ 秒后第 \d+ 次重试…$")
    )
    screenshot(phone_page, "publish-busy-phone-zh")
    switch_to_english(phone_page)
    expect(phone_page.locator("#state-text")).to_have_text(
        re.compile(r"^Another device is publishing Bench in 第三法庭; trying again in \d+ s")
    )
    screenshot(phone_page, "publish-busy-phone-en")
    phone_page.get_by_role("button", name="Stop publishing").tap()
    expect(phone_page.locator("#state")).to_have_class("state state-preview")


@pytest.fixture(scope="module")
def refusing_browser(playwright: Playwright) -> Iterator[Browser]:
    """Chromium without the flag that accepts the camera prompt: headless, nobody answers it,
    so the browser refuses the camera as when a person taps "block"."""
    flags = [flag for flag in CHROMIUM_FLAGS if flag != "--use-fake-ui-for-media-stream"]
    launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=flags)
    yield launched
    launched.close()


def test_camera_permission_denied_is_said(
    refusing_browser: Browser, web_server: RunningServer, api: httpx.Client, page_errors: PageErrors
) -> None:
    hearing = create_hearing(api, ["bench"])
    context = refusing_browser.new_context(base_url=web_server.base_url)
    try:
        page = page_errors.watch(context.new_page())
        page.goto(publish_link(camera_token(api, hearing.courtroom_id, "bench")))
        expect(page.locator("#state")).to_have_class("state state-error")
        expect(page.locator("#state-text")).to_have_text(
            "未获准使用摄像头或麦克风：请在浏览器的网站设置中允许本网站使用，然后重试。"
        )
        expect(page.locator("#target-camera")).to_have_text("审判席")
        page.get_by_role("button", name="开始推流").click()  # asks again, still refused
        expect(page.locator("#state-text")).to_have_text(re.compile("^未获准使用摄像头"))
        screenshot(page, "publish-denied-zh")
        switch_to_english(page)
        expect(page.locator("#state-text")).to_have_text(
            "Camera or microphone not allowed: allow this site in the browser's site settings, "
            "then try again."
        )
        screenshot(page, "publish-denied-en")
    finally:
        context.close()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("NotFoundError", "本机没有可用的摄像头或麦克风。"),
        ("NotReadableError", "摄像头或麦克风正被其他应用占用：请关闭该应用后重试。"),
    ],
)
def test_each_device_failure_has_its_message(
    page: Page, api: httpx.Client, name: str, message: str
) -> None:
    page.add_init_script(
        "navigator.mediaDevices.getUserMedia = () => "
        f"Promise.reject(new DOMException('from the test', '{name}'));"
    )
    hearing = create_hearing(api, ["bench"])
    page.goto(publish_link(camera_token(api, hearing.courtroom_id, "bench")))
    expect(page.locator("#state-text")).to_have_text(message)


def test_unreachable_or_failing_server_is_said(page: Page, api: httpx.Client) -> None:
    hearing = create_hearing(api, ["bench"])
    link = publish_link(camera_token(api, hearing.courtroom_id, "bench"))
    page.route("**/api/v1/me", lambda route: route.fulfill(status=503, json={"detail": "down"}))
    page.goto(link)
    expect(page.locator("#state-text")).to_have_text("推流失败：服务器暂时不可用，请稍后再试")
    page.unroute("**/api/v1/me")
    page.route("**/api/v1/me", lambda route: route.abort())
    page.goto("about:blank")
    page.goto(link)
    expect(page.locator("#state-text")).to_have_text(
        "无法连接服务器，请检查网络后点“开始推流”重试。"
    )
    page.unroute("**/api/v1/me")
    page.route("**/whip/**", lambda route: route.abort())
    page.get_by_role("button", name="开始推流").click()  # asks /api/v1/me again, then WHIP
    expect(page.locator("#target-camera")).to_have_text("审判席")
    expect(page.locator("#state-text")).to_have_text(
        re.compile(r"^无法连接服务器，请检查网络；\d+ 秒后第 \d+ 次重试…$")
    )
    page.get_by_role("button", name="停止推流").click()


def test_a_typed_operator_token_picks_courtroom_and_camera(page: Page, api: httpx.Client) -> None:
    hearing = labelled_hearing(api)
    other = create_hearing(api, ["overview"])
    operator = new_token(
        api,
        role="operator",
        name="书记员",
        courtroom_ids=[hearing.courtroom_id, other.courtroom_id],
    )
    page.goto("/publish")
    page.get_by_role("button", name="开始推流").click()
    expect(page.locator("#state-text")).to_have_text(
        "请先输入推流令牌，或用书记员给的推流链接打开本页。"
    )
    page.get_by_label("推流令牌").fill(str(operator["token"]))
    page.get_by_role("button", name="使用此令牌").click()
    expect(page.locator("#pick")).to_be_visible()
    rooms = page.locator("#courtroom option")
    expect(rooms).to_have_count(2)
    page.locator("#courtroom").select_option(hearing.courtroom_id)
    expect(page.locator("#camera option")).to_have_text(["审判席", "证人席平板"])
    page.locator("#camera").select_option("witness")
    expect(page.locator("#target-camera")).to_have_text("证人席平板")
    screenshot(page, "publish-operator-pick-zh")
    page.get_by_role("button", name="开始推流").click()
    expect(page.locator("#state")).to_have_class("state state-live", timeout=20_000)
    wait_until_publishing(api, hearing.courtroom_id, "witness")
    expect(page.locator("#courtroom")).to_be_disabled()
    page.get_by_role("button", name="停止推流").click()
    expect(page.locator("#state")).to_have_class("state state-preview")
