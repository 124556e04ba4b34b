"""The operator console records a published feed by keyboard alone; the judge's review page then
finds the hearing by case number, plays the archive, seeks to a marker and exports a clip."""

from __future__ import annotations

import io
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import av
import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.court import create_hearing, publish_from_page
from tests.support.server import RunningServer

# 0 until the page has drawn the element: the tile appears with the first feed poll
TILE_FRAMES = (
    "(document.querySelector('.feed-tile video')?.getVideoPlaybackQuality().totalVideoFrames ?? 0)"
)


def last_epoch_offset(api: httpx.Client, recording_id: str, first_segment_at: datetime) -> float:
    """Seconds from the first segment to the last change of picture size (0 if none).

    The first seconds of a WebRTC publication may change picture size as the bandwidth
    estimate ramps up, and a clip may not cross such a change (the playlist marks each with
    a discontinuity before the next segment's PROGRAM-DATE-TIME).
    """
    playlist = api.get(f"/api/v1/recordings/{recording_id}/cameras/bench/playlist.m3u8").text
    offset = 0.0
    after_discontinuity = False
    for line in playlist.splitlines():
        if line == "#EXT-X-DISCONTINUITY":
            after_discontinuity = True
        elif line.startswith("#EXT-X-PROGRAM-DATE-TIME:") and after_discontinuity:
            at = datetime.fromisoformat(line.split(":", 1)[1])
            offset = (at - first_segment_at).total_seconds()
            after_discontinuity = False
    return offset


COURT_ZONE = ZoneInfo("Asia/Shanghai")  # the test server's default COURTCAST_COURT_TIMEZONE


def court_clock_seconds(page: Page, selector: str, origin: datetime) -> float:
    """Seconds from `origin` to the court clock time an input holds (on origin's court day)."""
    clock = datetime.strptime(page.locator(selector).input_value(), "%H:%M:%S").time()
    local = origin.astimezone(COURT_ZONE)
    return (datetime.combine(local.date(), clock, COURT_ZONE) - local).total_seconds()


def case_number(api: httpx.Client, hearing_id: str) -> str:
    hearing = api.get(f"/api/v1/hearings/{hearing_id}").json()
    return str(api.get(f"/api/v1/cases/{hearing['case_id']}").json()["number"])


def test_console_records_and_review_plays_back(
    page: Page, api: httpx.Client, web_server: RunningServer
) -> None:
    hearing = create_hearing(api, ["bench"])
    publish_from_page(page, api, hearing, "bench")

    console = page.context.new_page()
    console.goto(f"/console?courtroom={hearing.courtroom_id}")
    console.keyboard.type(web_server.admin_token)
    console.keyboard.press("Enter")
    expect(console.locator("#desk")).to_be_visible()
    console.wait_for_function(f"() => {TILE_FRAMES} > 0", timeout=15_000)
    expect(console.locator(".feed-tile .feed-state")).to_have_text("在线", timeout=5_000)
    expect(console.locator(".feed-tile .health")).to_contain_text("帧/秒")
    # A healthy feed is green, not the red of a live broadcast, and the figures are plain words
    expect(console.locator(".feed-tile .feed-state")).to_have_class(
        "feed-state badge badge-feed-live"
    )
    assert (
        console.evaluate(
            "getComputedStyle(document.querySelector('.feed-tile .feed-state')).backgroundColor"
        )
        == "rgb(227, 244, 232)"
    )
    expect(console.locator(".feed-tile .health")).not_to_contain_text("关键帧")
    expect(console.locator("#backlog")).to_have_text("录像已全部上传")
    hang_ups: list[str] = []
    console.on(
        "response",
        lambda r: hang_ups.append(f"{r.status} {r.url}") if r.request.method == "DELETE" else None,
    )

    # Keyboard alone: Tab reaches the start button with a visible focus ring, Alt+R starts.
    expect(console.locator("#rec-start")).to_be_enabled(timeout=5_000)
    console.keyboard.press("Tab")
    expect(console.locator("#rec-start")).to_be_focused()
    console.keyboard.press("Alt+R")
    expect(console.locator("#record-state")).to_contain_text("录制中", timeout=10_000)
    feeds = api.get(f"/api/v1/courtrooms/{hearing.courtroom_id}/feeds").json()
    recording_id = feeds["recording_id"]
    assert recording_id is not None
    assert feeds["feeds"][0]["fps"] > 0 and feeds["feeds"][0]["bitrate_bps"] > 0

    time.sleep(3)
    console.locator("body").focus()
    console.keyboard.press("w")  # witness sworn: the time is taken at the key press
    expect(console.locator("#marker-text")).to_be_focused()
    console.keyboard.type("证人王五")
    console.keyboard.press("Enter")
    expect(console.locator("#marker-list li")).to_have_count(1, timeout=5_000)
    console.keyboard.press("Escape")
    console.keyboard.press("t")
    expect(console.locator("#line")).to_be_focused()
    console.keyboard.type("证人如实作证。")
    console.keyboard.press("Enter")
    expect(console.locator("#transcript-list li")).to_have_count(1, timeout=5_000)
    time.sleep(3)
    screenshot(console, "console-recording")

    stopped = api.post(f"/api/v1/recordings/{recording_id}/stop")
    assert stopped.status_code == 200, stopped.text
    recording = stopped.json()
    marker = api.get(f"/api/v1/recordings/{recording_id}/markers").json()[0]
    track = recording["tracks"][0]
    marker_offset = (
        datetime.fromisoformat(marker["at"]) - datetime.fromisoformat(track["first_segment_at"])
    ).total_seconds()

    review = page.context.new_page()
    review.goto("/review")
    review.get_by_label("法官令牌").fill(web_server.admin_token)
    review.get_by_label("案号").fill(case_number(api, hearing.id))
    review.get_by_role("button", name="搜索").click()
    expect(review.locator("#search-status")).to_have_text("找到 1 次庭审", timeout=10_000)
    review.locator(".open-recording").first.click()
    expect(review.locator("#viewer")).to_be_visible()
    review.locator("#play").click()
    frames = (
        "(document.querySelector('#videos video')?.getVideoPlaybackQuality().totalVideoFrames ?? 0)"
    )
    review.wait_for_function(f"() => {frames} > 0", timeout=15_000)

    review.locator("#markers button").first.click()
    review.wait_for_function(
        f"() => Math.abs(document.querySelector('#videos video').currentTime - {marker_offset})"
        " < 0.5",
        timeout=5_000,
    )
    review.locator("#play").click()  # pause: the playhead stays where "set from" will read it
    playhead = review.evaluate("() => document.querySelector('#videos video').currentTime")
    screenshot(review, "review-recording")

    # The clip is chosen in court clock time: from the marker (set from the playhead, or picked
    # from the marker list) to the end, or from the last change of picture size if the marker
    # came before it (a clip may not cross one; see last_epoch_offset).
    first_segment_at = datetime.fromisoformat(track["first_segment_at"])
    review.locator("#set-from").click()
    marker_at = datetime.fromisoformat(marker["at"])
    assert abs(court_clock_seconds(review, "#clip-from", first_segment_at) - playhead) <= 1.5
    review.locator("#clip-from").fill("00:00:00")
    review.locator("#clip-marker").select_option(index=1)  # the first marker
    expect(review.locator("#clip-from")).to_have_value(
        f"{marker_at.astimezone(COURT_ZONE):%H:%M:%S}"
    )
    set_from = court_clock_seconds(review, "#clip-from", first_segment_at)
    epoch_start = last_epoch_offset(api, recording_id, first_segment_at)
    if epoch_start > set_from:
        later = first_segment_at + timedelta(seconds=epoch_start + 1)
        review.locator("#clip-from").fill(f"{later.astimezone(COURT_ZONE):%H:%M:%S}")
        review.locator("#clip-from").dispatch_event("change")
    end = first_segment_at + timedelta(seconds=track["duration_s"])
    review.locator("#clip-to").fill(f"{end.astimezone(COURT_ZONE):%H:%M:%S}")
    review.locator("#clip-to").dispatch_event("change")
    mp4_url = review.locator("#export-mp4").get_attribute("href")
    assert mp4_url and "export.mp4" in mp4_url
    clip = api.get(mp4_url)
    assert clip.status_code == 200, clip.text
    with av.open(io.BytesIO(clip.content)) as container:
        decoded = sum(1 for _ in container.decode(video=0))
    assert decoded > 0
    proof = api.get(str(review.locator("#export-json").get_attribute("href")))
    assert proof.status_code == 200, proof.text

    # Downloaded from the page: named by case number, camera and court time, and the page says
    # what the clip holds (it begins on the keyframe at or before the time asked for).
    with review.expect_download() as downloading:
        review.locator("#export-mp4").click()
    exported_from = datetime.fromisoformat(clip.headers["x-courtcast-exported-from"])
    local = exported_from.astimezone(COURT_ZONE)
    name = f"{case_number(api, hearing.id)}_bench_{local:%Y-%m-%d_%H%M%S}.mp4"
    assert downloading.value.suggested_filename == name
    expect(review.locator("#export-range")).to_contain_text(f"已导出 {local:%H:%M:%S}–")
    screenshot(review, "review-exported")

    # The camera stops: the console's preview hangs up by DELETE, and its viewer is still there
    # to be hung up (it answered 404 when the peer was closed first).
    page.close()
    expect(console.locator(".feed-tile .feed-state")).to_have_text("离线", timeout=15_000)
    console.wait_for_timeout(1000)
    assert hang_ups and all(h.startswith("200 ") for h in hang_ups), hang_ups
