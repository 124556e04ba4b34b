"""A delay change keeps a picture on a current viewer's screen: the last frame stays with a
notice while the page joins the delayed feed, and the page names the delay."""

from __future__ import annotations

import time

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.court import create_hearing, created, publish_from_page

DELAY_S = 3
DECODED_FRAMES = "document.getElementById('player').getVideoPlaybackQuality().totalVideoFrames"
# Each sample: decoded frames, whether the picture is covered, what the notice says.
SAMPLE = """() => {
  const video = document.getElementById('player');
  return [video.getVideoPlaybackQuality().totalVideoFrames,
          !document.getElementById('overlay').hidden,
          !document.getElementById('switch-notice').hidden,
          !document.getElementById('still').hidden ||
            (video.srcObject !== null && video.videoWidth > 0)];
}"""


@pytest.mark.parametrize("device", ["page", "phone_page"])
def test_a_delay_change_keeps_the_picture_and_names_the_delay(
    device: str, request: pytest.FixtureRequest, page: Page, api: httpx.Client
) -> None:
    hearing = create_hearing(api, ["bench"])
    created(api.post(f"/api/v1/hearings/{hearing.id}/recordings"))
    publish_from_page(page, api, hearing, "bench")
    viewer: Page = page.context.new_page() if device == "page" else request.getfixturevalue(device)
    viewer.goto(f"/watch/{hearing.id}")
    viewer.wait_for_function(f"() => {DECODED_FRAMES} > 30", timeout=15_000)
    expect(viewer.locator("#mode")).to_have_text("实时")

    changed = api.put(
        f"/api/v1/hearings/{hearing.id}/broadcast", json={"on": True, "delay_s": DELAY_S}
    )
    assert changed.status_code == 200, changed.text
    changed_at = time.monotonic()
    samples: list[tuple[float, int, bool, bool, bool]] = []
    noticed = False
    while time.monotonic() - changed_at < DELAY_S + 5:
        frames, covered, notice, picture = viewer.evaluate(SAMPLE)
        samples.append((time.monotonic() - changed_at, frames, covered, notice, picture))
        if notice and not noticed:
            noticed = True
            screenshot(viewer, f"watch-delay-switching-{device}")
        time.sleep(0.1)

    assert not any(covered for _, _, covered, _, _ in samples), "the picture was covered"
    # a picture in every sample: the video's, or its last one held while the feed changes
    assert all(picture for *_, picture in samples), ("the picture went away", samples)
    # frames stop on the old feed and resume on the new within the delay + 1 s
    longest, last_change, last_frames = 0.0, 0.0, samples[0][1]
    for at, frames, *_ in samples:
        if frames != last_frames:
            longest = max(longest, at - last_change)
            last_change, last_frames = at, frames
    assert last_frames != samples[0][1] and last_change > 0, "no new frames after the change"
    assert longest <= DELAY_S + 1, (longest, samples)
    assert noticed, "no notice while the picture waited for the delayed feed"
    expect(viewer.locator("#mode")).to_have_text(f"延时 {DELAY_S} 秒")
    expect(viewer.locator("#switch-notice")).to_be_hidden()
    viewer.get_by_role("button", name="切换到英文").click()
    expect(viewer.locator("#mode")).to_have_text(f"Delayed {DELAY_S} s")
    screenshot(viewer, f"watch-delayed-{device}")
