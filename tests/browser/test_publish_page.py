"""/publish: a browser publishes its (fake) camera and microphone over WHIP with a camera token."""

from __future__ import annotations

import time

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.court import create_hearing, publish_from_page


def wait_until_publishing(api: httpx.Client, courtroom_id: str, camera: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if camera in api.get(f"/api/v1/courtrooms/{courtroom_id}").json()["publishing"]:
            return
        time.sleep(0.2)
    raise AssertionError(f"{camera} never showed as publishing")


def test_publish_page_publishes_into_a_recording(page: Page, api: httpx.Client) -> None:
    hearing = create_hearing(api, ["bench"])
    recording = api.post(f"/api/v1/hearings/{hearing.id}/recordings")
    assert recording.status_code == 201, recording.text

    publish_from_page(page, api, hearing, "bench")

    wait_until_publishing(api, hearing.courtroom_id, "bench")
    assert "token=" not in page.url  # the secret does not stay in the address bar
    self_view_frames = page.evaluate(
        "document.getElementById('self-view').getVideoPlaybackQuality().totalVideoFrames"
    )
    assert self_view_frames > 0
    expect(page.locator("#since")).to_be_visible()
    time.sleep(4)  # two segments' worth of footage
    screenshot(page, "publish-live")

    recording_id = recording.json()["id"]
    stopped = api.post(f"/api/v1/recordings/{recording_id}/stop")
    assert stopped.status_code == 200, stopped.text
    stored = api.get(f"/api/v1/recordings/{recording_id}").json()
    tracks = {track["camera"]: track for track in stored["tracks"]}
    assert tracks["bench"]["frames"] > 0, tracks
    assert tracks["bench"]["segments"] > 0, tracks

    page.get_by_role("button", name="停止推流").click()
    expect(page.locator("#state")).to_have_class("state state-preview")


def test_publish_page_names_a_bad_token(page: Page, api: httpx.Client) -> None:
    hearing = create_hearing(api, ["bench"])
    page.goto(f"/publish?courtroom={hearing.courtroom_id}&camera=bench&token=not-a-token")
    page.get_by_role("button", name="开始推流").click()
    expect(page.locator("#state")).to_have_class("state state-error")
    expect(page.locator("#state-text")).to_have_text("令牌无效、已过期或已撤销。")
    screenshot(page, "publish-bad-token")
