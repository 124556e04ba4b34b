"""A browser publishes its screen as the courtroom's evidence source (getDisplayMedia, the
publish page's "share a screen" choice), beside the bench camera, and it is recorded like any
camera: the archived evidence track decodes, at the shared screen's size. Screenshot:
publish-evidence-screen-zh."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.court import (
    Hearing,
    camera_token,
    create_hearing,
    created,
    publish_from_page,
    publish_link,
)
from tests.support.archive import ArchivedTrack, decode, fetch_track
from tests.support.server import RunningServer

SLOW_MS = 20_000
SHARED_SURFACE = """() => document.getElementById('self-view').srcObject
  .getVideoTracks()[0].getSettings().displaySurface ?? null"""


def evidence_hearing(api: httpx.Client) -> Hearing:
    room = {
        "name": "科技法庭",
        "cameras": ["bench", "doc"],
        "camera_labels": {"doc": {"zh": "证据展示", "en": "Evidence"}},
        "evidence_sources": ["doc"],
    }
    return create_hearing(api, ["bench", "doc"], room=room)


def archived(server: RunningServer, playlist: str) -> ArchivedTrack:
    """The archived track, read as a player does (in a thread of its own: Playwright's sync API
    holds this thread's event loop)."""

    async def fetch() -> ArchivedTrack:
        async with server.client() as client:
            return await fetch_track(client, playlist)

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, fetch()).result()


def test_a_shared_screen_is_published_and_recorded_as_the_evidence_source(
    page: Page, api: httpx.Client, web_server: RunningServer
) -> None:
    hearing = evidence_hearing(api)
    recording = str(created(api.post(f"/api/v1/hearings/{hearing.id}/recordings"))["id"])
    publish_from_page(page, api, hearing, "bench")

    evidence = page.context.new_page()
    evidence.goto(publish_link(camera_token(api, hearing.courtroom_id, "doc")))
    expect(evidence.locator("#target-camera")).to_have_text("证据展示")
    expect(evidence.locator("#source-field")).to_be_visible()
    evidence.get_by_label("画面来源").select_option("screen")
    evidence.wait_for_function(f"() => ({SHARED_SURFACE})() === 'monitor'", timeout=SLOW_MS)
    evidence.get_by_role("button", name="开始推流").click()
    expect(evidence.locator("#state")).to_have_class("state state-live", timeout=SLOW_MS)
    time.sleep(5)  # footage of both sources
    screenshot(evidence, "publish-evidence-screen-zh")
    stopped = api.post(f"/api/v1/recordings/{recording}/stop")
    assert stopped.status_code == 200, stopped.text
    tracks = {track["camera"]: track for track in stopped.json()["tracks"]}
    assert set(tracks) == {"bench", "doc"}, tracks

    shared = evidence.evaluate(
        "() => document.getElementById('self-view').srcObject.getVideoTracks()[0].getSettings()"
    )
    track = archived(web_server, f"/api/v1/recordings/{recording}/cameras/doc/playlist.m3u8")
    decoded = [decode(epoch.file()) for epoch in track.epochs]
    assert sum(d.video_frames for d in decoded) > 10
    assert set().union(*(d.sizes for d in decoded)) == {(shared["width"], shared["height"])}
